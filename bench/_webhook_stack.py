"""What webhook_bench's parts share: the service's child processes, signed posts, the apps.

`bare_app` and `floor_app` are gunicorn targets (`bench._webhook_stack:bare_app()`).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench._common import (
    ChildError,
    Children,
)

ROOT = Path(__file__).resolve().parents[1]
PATH = "/webhook/whatsapp"
SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "1122334455667"
REAL = "run_webhook:app"  # the service's web app, as gunicorn is given it
TEXTS = ["Hola", "sí", "Soy Ana, 35 años, no fumo", "150.000 €", "20 años"]
# --e2e-seconds: each customer writes a whole sale, then a new customer takes their place.
SALE = [*TEXTS, "para mi familia", "sí", "la 2", "sí"]


def bare_app():
    """The baseline: same server, same bodies, no signature, no Redis; gunicorn calls this."""
    from flask import Flask, jsonify, request

    app = Flask("bare")

    @app.post(PATH)
    def parse():
        payload = json.loads(request.get_data(cache=False))
        return jsonify(accepted=int(isinstance(payload, dict)), duplicates=0, statuses=0)

    return app


def floor_app():
    """The bare endpoint plus what an accepted message can't do without: the real queue's accept.

    No signature, no parsing into a message beyond the one field read, no log line, no hooks:
    what the real webhook costs above this is what the service adds to a durable write.
    """
    import redis
    from flask import Flask, jsonify, request

    from webhooks.inbound.messages import InboundMessage
    from webhooks.inbound.queue import MessageQueue

    queue = MessageQueue(redis.Redis.from_url(os.environ["REDIS_URL"]))
    app = Flask("floor")

    @app.post(PATH)
    def accept():
        payload = json.loads(request.get_data(cache=False))
        raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
        message = InboundMessage(
            provider="meta",
            channel="whatsapp",
            phone="+" + raw["from"],
            message_id=raw["id"],
            kind="text",
            text=raw["text"]["body"],
        )
        return jsonify(accepted=int(queue.accept(message)), duplicates=0, statuses=0)

    return app


def child_env(redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The service's configuration for a child: ours only, whatever the caller's shell has."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WHATSAPP_", "TWILIO_", "CHATWOOT_", "OPENAI_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),  # gunicorn imports bench._webhook_stack and run_webhook
        REDIS_URL=redis_url,
        VAR_DIR=str(var_dir),
        AGENT_BRAIN="rules",
        WHATSAPP_APP_SECRET=SECRET,
        LOG_LEVEL="INFO",  # what production runs with: one line per webhook and per turn
        # The pipeline's own speed: the typing pause's cost is bench/debounce_bench.py's.
        DEBOUNCE_SECONDS="0",
    )
    env.update(extra)
    return env


def start_gunicorn(
    children: Children, name: str, target: str, env: dict, args, cwd: Path
) -> tuple[int, subprocess.Popen]:
    """Start gunicorn on `target` on a free port; its port and process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-connections",
        str(args.worker_connections),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        target,
    ]
    proc = children.spawn(name, argv, env, cwd)  # cwd: no stray .env file gets read
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ChildError(f"{name} exited ({proc.returncode}):\n{children.log_tail(name)}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/webhook/status")  # any answer will do: the bare app has a 404
            conn.getresponse().read()
            return port, proc
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
        finally:
            conn.close()
    raise ChildError(f"{name} not answering on port {port}:\n{children.log_tail(name)}")


def post(port: int, headers: dict, body: bytes, conn=None) -> tuple[int, dict]:
    """POST `body` to the webhook; the status and the JSON answer."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", PATH, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if answer.status == 200 else {}
    finally:
        if own:
            conn.close()


def signed(phones: list[str], tag: str, count: int, text: str = "Hola") -> list[tuple]:
    """`count` signed Meta text webhooks from `phones` in turn, message ids unique per tag."""
    from testkit.signed import meta_headers, meta_text

    pool = []
    for n in range(count):
        body = meta_text(phones[n % len(phones)], text, f"wamid.bench.{tag}.{n}")
        pool.append((meta_headers(body, SECRET), body))
    return pool


def redis_cpu(client) -> float:
    """CPU seconds (user + system) Redis has used so far."""
    info = client.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]
