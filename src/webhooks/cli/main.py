"""The `iagente` command: serve, worker, chat, check, simulate, db and whatsapp-web.

Every command takes its settings from one place (the environment, then .env), and so do the
processes `serve` starts: gunicorn's web workers get the very object, the worker process reads
the same environment and .env from the same directory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from webhooks import logs
from webhooks.settings import Settings, SettingsError, load_settings

# How the user typed the command, for the hints we print: ./run sets it.
PROG = os.environ.get("IAGENTE_PROG") or "iagente"


def with_redis(settings: Settings) -> Settings:
    """Settings whose REDIS_URL is set, starting the embedded server when it wasn't.

    The launcher's job (here, and `run_webhook.py` for gunicorn): services are built on a set
    REDIS_URL and never start a server themselves.
    """
    if not settings.redis_url:
        from integrations.redis.server import ensure_local_redis

        url = ensure_local_redis(settings.var_dir, preferred_port=settings.embedded_redis_port)
        print(f"Redis embebido en {url} (datos en {settings.var_dir}/)", file=sys.stderr)
        settings = settings.model_copy(update={"redis_url": url})
    return settings


def _metrics_dir(settings: Settings) -> None:
    """Point every process of `serve` at one metrics directory.

    The directory is emptied here, so counters start at zero with the service; an operator's
    PROMETHEUS_MULTIPROC_DIR is used as given. It must be set before anything imports
    prometheus_client, which reads it once.
    """
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(given) if given else (settings.var_dir / "metrics").resolve()
    path.mkdir(parents=True, exist_ok=True)
    if not given:
        for stale in path.glob("*.db"):
            stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def _child_env() -> dict[str, str]:
    """This environment, with our packages importable even from a checkout not pip-installed."""
    src = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{path}" if path else src}


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """The web app under gunicorn, and the worker beside it (unless --no-worker).

    The worker starts only once gunicorn holds the port: a service that can't listen must not
    take queued work either.
    """
    from webhooks.cli.server import ListenError, check_listen, run_gunicorn

    try:
        check_listen(settings.webhook_host, settings.webhook_port)
    except ListenError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    embedded = not settings.redis_url
    settings = with_redis(settings)
    assert settings.redis_url is not None  # with_redis sets it
    os.environ["REDIS_URL"] = settings.redis_url  # the worker process reuses it
    _metrics_dir(settings)
    worker = None

    def ready() -> None:
        nonlocal worker
        if not args.no_worker:
            worker = subprocess.Popen(
                [sys.executable, "-m", "webhooks.cli", "worker"], env=_child_env()
            )
        from webhooks.cli.banner import banner

        print(
            banner(settings, redis_url=settings.redis_url, embedded=embedded, prog=PROG),
            flush=True,
        )

    try:
        run_gunicorn(settings, workers=args.workers, when_ready=ready)
    finally:
        if worker is not None:
            worker.terminate()  # SIGTERM: it finishes the phone it is on, then exits
            worker.wait(timeout=30)
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid)
    return 0


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Process queued messages and send the replies until SIGTERM."""
    from webhooks.services import build_services
    from webhooks.turns.process import run_workers

    run_workers(build_services(with_redis(settings)), threads=args.threads)
    return 0


def chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to the agent in a terminal, through the same graph, Redis and brain as the service."""
    from webhooks.services import build_services

    service = build_services(with_redis(settings)).conversations
    interactive = sys.stdin.isatty()
    print(
        f"iAgente Vida ({service.context.brain.name}) · {args.phone} · Ctrl-D para salir",
        file=sys.stderr,
    )
    while True:
        if interactive:
            print("tú> ", end="", flush=True, file=sys.stderr)
        line = sys.stdin.readline()
        if not line:
            return 0
        text = line.strip()
        if not text:
            continue
        result = service.turn(args.phone, text, channel="chat")
        if result.reply:
            print(f"agente [{result.stage}]> {result.reply}\n", flush=True)
        else:
            reason = (
                "dado de baja" if result.opted_out else "un asesor humano lleva la conversación"
            )
            print(f"agente [{result.stage}]> (sin respuesta: {reason})\n", flush=True)


def check(args: argparse.Namespace, settings: Settings) -> int:
    """Try every configured outside service and say which work."""
    from webhooks.cli.checks import run_checks

    return run_checks(settings)


def simulate(args: argparse.Namespace, settings: Settings) -> int:
    """Post one signed customer message to the running service and show the reply."""
    from webhooks.cli.simulate import simulate as run
    from webhooks.services import build_services

    return run(
        build_services(with_redis(settings)),
        phone=args.phone,
        text=" ".join(args.text),
        provider=args.provider,
        channel=args.channel,
        url=args.url,
        timeout=args.timeout,
    )


def db(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate the SQL archive's schema, or run its retention job."""
    from webhooks.cli.db import run

    return run(args, settings, PROG)


def whatsapp_web(args: argparse.Namespace, settings: Settings) -> int:
    """Link a WhatsApp number by QR code through Evolution API."""
    from webhooks.cli.whatsapp_web import link

    return link(settings, wait_seconds=args.wait)


def main(argv: list[str] | None = None) -> int:
    """Run the `iagente` command given by `argv` (default: the process's arguments)."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="iAgente Vida, life-insurance sales agent"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the web service and the worker")
    p.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: from CPUs)"
    )
    p.add_argument("--no-worker", action="store_true", help="run the web app alone")
    p.set_defaults(func=serve)
    p = sub.add_parser("worker", help="process queued messages and send the replies")
    p.add_argument("--threads", type=int, default=None, help="worker threads (WORKER_THREADS)")
    p.set_defaults(func=worker)
    p = sub.add_parser("chat", help="talk to the agent in the terminal (reads stdin)")
    p.add_argument("--phone", default="+34600000000", help="the customer's phone number (E.164)")
    p.set_defaults(func=chat)
    p = sub.add_parser("check", help="try every configured outside service")
    p.set_defaults(func=check)
    p = sub.add_parser(
        "simulate", help="post a signed customer message to the running service, show the reply"
    )
    p.add_argument("text", nargs="+", help="what the customer writes")
    p.add_argument("--phone", default="+34600000002", help="the customer's phone number (E.164)")
    p.add_argument("--provider", choices=("meta", "twilio", "evolution"), default="meta")
    p.add_argument("--channel", choices=("sms", "whatsapp"), default="sms", help="Twilio's channel")
    p.add_argument("--url", help="the service's origin (default: WEBHOOK_HOST:WEBHOOK_PORT)")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for the reply")
    p.set_defaults(func=simulate)
    p = sub.add_parser("db", help="the SQL archive: migrate its schema, run its retention job")
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser("upgrade", help="migrate the schema up (default: to the newest)")
    p.add_argument("revision", nargs="?", default="head")
    p = actions.add_parser("downgrade", help="migrate the schema down ('base': no tables)")
    p.add_argument("revision")
    actions.add_parser("current", help="the schema's revision")
    actions.add_parser("purge", help="delete unconverted conversations and expired holds now")
    for action in actions.choices.values():
        action.set_defaults(func=db)
    p = sub.add_parser("whatsapp-web", help="a WhatsApp number linked by QR code (Evolution API)")
    web = p.add_subparsers(dest="action", required=True)
    p = web.add_parser("link", help="create the instance, set its webhook, show the QR code")
    p.add_argument("--wait", type=float, default=300, help="seconds to wait for the scan")
    p.set_defaults(func=whatsapp_web)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    # The terminal commands talk to a person: only problems, unless LOG_LEVEL says otherwise.
    quiet = args.command in ("chat", "simulate") and "log_level" not in settings.model_fields_set
    logs.configure("WARNING" if quiet else settings.log_level, secrets=logs.secrets_of(settings))
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
