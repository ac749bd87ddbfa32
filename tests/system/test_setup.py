"""A newcomer's first steps: `.env.example` copied as is, `./run` and its banner, `simulate`.

Each command runs as a user runs it: a separate process in a folder holding only a `.env`,
against the embedded Redis that folder's VAR_DIR starts (or the tests' Redis server).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import requests

from integrations.redis.conversations import ConversationStore
from integrations.redis.server import free_port, stop_local_redis
from testkit import ROOT
from testkit.fake_providers import FakeProviders
from testkit.signed import meta_headers, meta_text
from testkit.stack import SECRET, post_meta, running
from webhooks.cli.banner import banner
from webhooks.settings import Settings

APP_SECRET, TWILIO_TOKEN = "newcomer-app-secret", "newcomer-twilio-token"
TWILIO_SID, TWILIO_SMS = "AC" + "7" * 32, "+14155550123"


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any setting of ours, so that the folder's .env decides."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ours and k not in ("PROMETHEUS_MULTIPROC_DIR", "IAGENTE_PROG")
    }
    return {**env, **extra}


def iagente(folder: Path, *args: str, stdin: str = "", env: dict | None = None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "webhooks.cli", *args],
        cwd=folder,
        input=stdin,
        text=True,
        capture_output=True,
        env=env or clean_env(),
        timeout=timeout,
    )


def env_file(folder: Path, **changes: str) -> Path:
    """`.env.example` copied to folder/.env, with these variables' lines rewritten."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name, value in changes.items():
        text, found = re.subn(rf"(?m)^{name}=.*$", f"{name}={value}", text)
        assert found == 1, name
    (folder / ".env").write_text(text, encoding="utf-8")
    return folder / ".env"


def wait_until_up(base: str, process: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, output.read_text()
        try:
            if requests.get(f"{base}/webhook/status", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, output.read_text()
        time.sleep(0.2)


# --- .env.example copied as is -----------------------------------------------------------------


def test_env_example_copied_as_is_works_for_check_and_chat(tmp_path):
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    try:
        checked = iagente(tmp_path, "check")
        assert checked.returncode == 0, checked.stderr
        assert "embedded server" in checked.stdout
        chatted = iagente(tmp_path, "chat", "--phone", "+34600300900", stdin="Hola\n")
        assert chatted.returncode == 0, chatted.stderr
        assert "agente [INICIO]>" in chatted.stdout and "consentimiento" in chatted.stdout
        assert "Traceback" not in chatted.stderr
    finally:
        stop_local_redis(tmp_path / "var")


@pytest.mark.parametrize("command", [["check"], ["serve"], ["chat"], ["worker"]])
def test_a_bad_value_is_one_line_naming_the_variable(tmp_path, command):
    env_file(tmp_path, CHATWOOT_ACCOUNT_ID="abc")
    done = iagente(tmp_path, *command, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "CHATWOOT_ACCOUNT_ID" in line and "integer" in line
    assert not (tmp_path / "var").exists()  # nothing was started


def test_an_unknown_log_level_is_refused_by_name(tmp_path):
    (tmp_path / ".env").write_text("LOG_LEVEL=chatty\n")
    done = iagente(tmp_path, "check", timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "LOG_LEVEL" in done.stderr and "'CHATTY'" in done.stderr and "DEBUG" in done.stderr


# --- ./run from a folder with .env: banner, settings, simulate ----------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """`iagente serve` in a folder whose .env is .env.example with a few lines filled in."""
    folder = tmp_path_factory.mktemp("newcomer")
    port, redis_port = free_port(), free_port()
    with FakeProviders() as providers:
        env_file(
            folder,
            WEBHOOK_PORT=str(port),
            EMBEDDED_REDIS_PORT=str(redis_port),
            LOG_LEVEL="DEBUG",
            WHATSAPP_APP_SECRET=APP_SECRET,
            TWILIO_ACCOUNT_SID=TWILIO_SID,
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
            TWILIO_SMS_NUMBER=TWILIO_SMS,
            TWILIO_API_URL=providers.url,
        )
        output = folder / "serve.log"
        with output.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "webhooks.cli", "serve", "--workers", "1"],
                cwd=folder,
                env=clean_env(IAGENTE_PROG="./run"),
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, process, output)
            yield SimpleNamespace(
                folder=folder,
                base=base,
                port=port,
                redis_port=redis_port,
                output=output,
                providers=providers,
                process=process,
            )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
            stop_local_redis(folder / "var")
    assert process.returncode == 0, output.read_text()


def test_serve_prints_where_it_listens_what_to_paste_and_what_is_configured(service):
    text = service.output.read_text()
    base = service.base
    assert f"listening on {base}" in text
    for path in ("whatsapp", "twilio", "twilio/status", "chatwoot"):
        assert f"{base}/webhook/{path}" in text
    assert "PUBLIC_BASE_URL is not set" in text
    assert f"embedded, 127.0.0.1:{service.redis_port}/0" in text
    assert "no sender (WHATSAPP_TOKEN" in text and "app secret set" in text
    assert "twilio    account set; SMS from +141******23" in text
    assert './run simulate --phone +34600000002 "Hola"' in text
    for secret in (APP_SECRET, TWILIO_TOKEN, TWILIO_SMS):
        assert secret not in text


def test_the_embedded_redis_listens_on_the_configured_port(service):
    client = redis.Redis(port=service.redis_port)
    try:
        assert client.ping()
        assert client.config_get("dir")["dir"] == str((service.folder / "var").resolve())
    finally:
        client.close()


def test_simulate_shows_the_reply_and_why_it_was_not_sent(service):
    done = iagente(service.folder, "simulate", "--phone", "+34600000002", "Hola")
    assert done.returncode == 0, done.stderr
    assert "agente>" in done.stdout and "consentimiento" in done.stdout
    assert "not sent: no meta sender is configured" in done.stderr
    assert "WHATSAPP_TOKEN" in done.stderr
    # LOG_LEVEL=DEBUG came from .env alone: the web process and the worker process both log
    # at DEBUG (the queued line is the web app's, the turn text the worker's).
    deadline = time.monotonic() + 10
    while "turn text" not in (log := service.output.read_text()):
        assert time.monotonic() < deadline, log
        time.sleep(0.2)
    assert '"queued provider=meta' in log or "queued provider=meta" in log
    assert '"level": "debug"' in log


def test_simulate_twilio_signs_as_twilio_and_the_reply_goes_out(service):
    done = iagente(
        service.folder, "simulate", "--provider", "twilio", "--phone", "+34600000003", "Hola"
    )
    assert done.returncode == 0, done.stderr
    assert "sent via twilio" in done.stderr
    [sms] = service.providers.texts_to("+34600000003")
    assert sms.endswith("SI o NO") and "asistente automatico" in sms  # GSM-7 on the wire
    assert "agente> Hola, soy el asistente automático" in done.stdout  # the transcript's Spanish


def test_simulate_says_what_to_do_when_the_service_refuses_or_is_not_there(service, tmp_path):
    try:
        env_file(tmp_path, WEBHOOK_PORT=str(service.port), WHATSAPP_APP_SECRET="another-secret")
        refused = iagente(tmp_path, "simulate", "Hola", timeout=60)
        assert refused.returncode == 1 and "refused" in refused.stderr
        assert "WHATSAPP_APP_SECRET" in refused.stderr and "Traceback" not in refused.stderr
        env_file(tmp_path, WEBHOOK_PORT=str(free_port()))
        unsigned = iagente(tmp_path, "simulate", "Hola", timeout=60)
        assert unsigned.returncode == 1 and "WHATSAPP_APP_SECRET is not set" in unsigned.stderr
        env_file(tmp_path, WEBHOOK_PORT=str(free_port()), WHATSAPP_APP_SECRET="x" * 8)
        nobody = iagente(tmp_path, "simulate", "Hola", timeout=60)
        assert nobody.returncode == 1 and "nothing answers at" in nobody.stderr
    finally:
        stop_local_redis(tmp_path / "var")  # simulate started it, and it outlives the command


# --- a busy port -------------------------------------------------------------------------------


def _workers_of(var_dir: Path) -> list[int]:
    """Live `webhooks.cli worker` processes started for this VAR_DIR."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        ours = f"VAR_DIR={var_dir}".encode() in environ
        if b"webhooks.cli" in cmdline and b"worker" in cmdline and ours:
            found.append(int(proc.name))
    return found


def test_a_busy_port_is_one_clear_line_and_no_worker_takes_queued_work(redis_url, tmp_path):
    with running(redis_url) as stack:  # a message waits in the queue, nobody works yet
        assert post_meta(stack, "+34600300950", "Hola", "wamid.busy1").status_code == 200
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(REDIS_URL=redis_url, WEBHOOK_PORT=str(port), VAR_DIR=str(tmp_path))
        server = subprocess.Popen(
            [sys.executable, "-m", "webhooks.cli", "serve", "--workers", "1"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 8  # a worker would have been there by now
            while time.monotonic() < deadline and server.poll() is None:
                assert not _workers_of(tmp_path)
                time.sleep(0.1)
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
            out, err = server.communicate(timeout=60)
    assert server.returncode == 1
    assert err.strip() == (
        f"iagente: port {port} on 127.0.0.1 is already in use (another ./run?): stop what "
        "listens there or set WEBHOOK_PORT in .env"
    )
    assert not _workers_of(tmp_path)
    time.sleep(2)
    assert ConversationStore(redis.Redis.from_url(redis_url)).transcript("+34600300950") == []


# --- the banner, from settings -----------------------------------------------------------------


def test_the_banner_shows_the_public_urls_and_no_secret():
    settings = Settings(
        _env_file=None,
        webhook_host="0.0.0.0",
        webhook_port=8080,
        public_base_url="https://bot.example.com/",
        openai_api_key="sk-live-0123456789abcdef",
        openai_base_url="https://llm.example.net/v1",
        whatsapp_token="EAAG-meta-token",
        whatsapp_phone_number_id="1122334455667",
        whatsapp_app_secret="meta-app-secret",
        chatwoot_base_url="https://chat.example.com",
        chatwoot_account_id=3,
        chatwoot_user_token="chatwoot-user-token",
        chatwoot_inbox_id=7,
        admin_token="admin-token-value",
    )
    text = banner(settings, redis_url="redis://:redis-pass@db.internal:6380/2", embedded=False)
    assert "listening on http://127.0.0.1:8080" in text
    for path in ("whatsapp", "twilio", "twilio/status", "chatwoot"):
        assert f"https://bot.example.com/webhook/{path}" in text.split()
    assert "PUBLIC_BASE_URL is not set" not in text
    assert "llm gpt-4o-mini at llm.example.net" in text
    assert "external, db.internal:6380/2 (REDIS_URL)" in text
    assert "meta      sends replies; app secret set, verify token NOT SET" in text
    assert "twilio    not configured" in text
    assert "chatwoot  mirror on (chat.example.com); webhook secret NOT SET" in text
    assert "ADMIN_TOKEN set" in text
    for secret in (
        "sk-live",
        "EAAG",
        "meta-app-secret",
        "chatwoot-user-token",
        "admin-token-value",
        "redis-pass",
    ):
        assert secret not in text


# --- run_webhook.py with an interpreter that lacks the dependencies --------------------------


def test_run_webhook_with_a_bare_python_says_how_to_get_the_dependencies(tmp_path):
    deps = "import flask, gunicorn, langgraph, pydantic_settings, redis, stamina, structlog"
    candidates = [Path(sys.base_prefix) / "bin" / "python3", Path("/usr/bin/python3")]
    bare = next(
        (
            python
            for python in candidates
            if python.exists()
            and subprocess.run([python, "-I", "-c", deps], capture_output=True).returncode
        ),
        None,
    )
    if bare is None:
        pytest.skip("every Python here has the dependencies")
    done = subprocess.run(
        [bare, "-I", str(ROOT / "run_webhook.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "run ./run (it creates .venv" in done.stderr.lower()
    assert "activate .venv" in done.stderr


# --- what the log says when a reply can't go out -------------------------------------------------


def _reply_entry(stack, phone: str) -> dict:
    deadline = time.monotonic() + 20
    store = stack.service.store
    while not (out := [e for e in store.transcript(phone) if e["direction"] == "out"]):
        assert time.monotonic() < deadline, "no reply recorded"
        time.sleep(0.05)
    return out[0]


def test_a_closed_window_without_template_is_logged_with_what_to_configure(redis_url, caplog):
    phone = "+34600300960"
    with running(redis_url, whatsapp_template_name=None) as stack:
        body = meta_text(phone, "Hola", "wamid.old1", ts=time.time() - 2 * 86400)
        headers = meta_headers(body, SECRET)
        answer = stack.client.post("/webhook/whatsapp", data=body, headers=headers)
        assert answer.status_code == 200
        with caplog.at_level(logging.WARNING, logger="webhooks.turns.worker"):
            stack.start_workers(1)
            entry = _reply_entry(stack, phone)
    assert entry["status"] == "failed"
    assert entry["error"]["title"] == "24-hour window closed and no template configured"
    [line] = [r.getMessage() for r in caplog.records if "reply not sent" in r.getMessage()]
    assert "over 24 hours old" in line and "WHATSAPP_TEMPLATE_NAME" in line
    assert phone not in line


def test_a_missing_sender_is_logged_with_what_to_configure(redis_url, caplog):
    phone = "+34600300961"
    with running(redis_url, whatsapp_token=None) as stack:
        assert post_meta(stack, phone, "Hola", "wamid.nosender1").status_code == 200
        with caplog.at_level(logging.WARNING, logger="webhooks.turns.worker"):
            stack.start_workers(1)
            entry = _reply_entry(stack, phone)
    assert entry["status"] == "failed" and "consentimiento" in entry["text"]
    [line] = [r.getMessage() for r in caplog.records if "reply not sent" in r.getMessage()]
    assert "WHATSAPP_TOKEN" in line and "kept in the transcript" in line
