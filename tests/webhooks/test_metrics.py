"""GET /metrics: counters a conversation moves, and one view over several processes' samples."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import date

from agent.brains.base import Reading
from testkit import ROOT
from testkit.metrics import moved, scrape
from testkit.openai_server import FakeOpenAI
from testkit.settings import settings_for
from testkit.signed import meta_headers, meta_text
from testkit.stack import SECRET, post_meta, post_twilio, running
from webhooks.services import build_brain

TODAY = date(2026, 11, 23)


def _signed(body: bytes) -> dict:
    return meta_headers(body, SECRET)


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_conversation_moves_the_counters_by_exactly_what_happened(stack):
    before = scrape(stack.client)
    stack.start_workers()
    phone = "+34600200100"
    for n, text in enumerate(["Hola", "sí", "Soy Ana, 35 años, no fumo"], start=1):
        assert post_meta(stack, phone, text, f"wamid.m{n}").status_code == 200
        stack.providers.wait_for(n)
    assert post_meta(stack, phone, "Hola", "wamid.m1").json["duplicates"] == 1
    forged = meta_text(phone, "Hola", "wamid.forged")
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert stack.client.post("/webhook/whatsapp", data=forged, headers=headers).status_code == 403
    assert stack.client.post("/webhook/whatsapp", data=forged).status_code == 401
    # The window closed long ago: the template goes out instead of the reply.
    old = {"ts": time.time() - 2 * 86400}
    body = meta_text("+34600200200", "Hola", "wamid.old", **old)
    stack.client.post("/webhook/whatsapp", data=body, headers=_signed(body))
    # Twilio refuses the number: a failed send.
    stack.providers.wait_for(4)
    stack.providers.fail_next.append((400, {"code": 21211, "message": "Invalid 'To'"}))
    assert post_twilio(stack, "+34600200300", "Hola", "SM" + "1" * 32).status_code == 200
    wait_until(lambda: stack.service.store.transcript("+34600200300"))
    queue = stack.services.queue
    wait_until(lambda: queue.depth()["depth"] == 0)  # a busy phone's notice is reclaimed
    after = scrape(stack.client)

    webhooks = "iagente_webhook_requests_total"
    assert moved(before, after, webhooks, provider="meta", outcome="accepted") == 4
    assert moved(before, after, webhooks, provider="meta", outcome="duplicate") == 1
    assert moved(before, after, webhooks, provider="meta", outcome="forged") == 1
    assert moved(before, after, webhooks, provider="meta", outcome="missing_signature") == 1
    assert moved(before, after, webhooks, provider="twilio", outcome="accepted") == 1
    assert moved(before, after, "iagente_turn_duration_seconds_count", brain="rules") == 5
    sends = "iagente_sends_total"
    assert moved(before, after, sends, provider="meta", channel="whatsapp", outcome="accepted") == 3
    assert moved(before, after, sends, provider="meta", channel="whatsapp", outcome="template") == 1
    assert moved(before, after, sends, provider="twilio", channel="sms", outcome="failed") == 1
    transitions = "iagente_stage_transitions_total"
    assert moved(before, after, transitions, from_stage="INICIO", to_stage="NEEDS_ANALYSIS") == 1
    assert (
        sum(v for (name, _), v in after.items() if name == transitions)
        - sum(v for (name, _), v in before.items() if name == transitions)
        == 1
    )
    assert after[("iagente_queue_depth", ())] == 0
    assert after[("iagente_redis_up", ())] == 1


def test_malformed_oversized_and_unconfigured_webhooks_are_counted(redis_url, client):
    with running(redis_url, max_body_bytes=1024) as stack:
        before = scrape(stack.client)
        garbage = b"{not json"
        assert (
            stack.client.post(
                "/webhook/whatsapp", data=garbage, headers=_signed(garbage)
            ).status_code
            == 400
        )
        huge = b"{" + b" " * 4096 + b"}"
        assert (
            stack.client.post("/webhook/whatsapp", data=huge, headers=_signed(huge)).status_code
            == 413
        )
        after = scrape(stack.client)
    first = scrape(client)  # the app of the `client` fixture has no provider configured
    assert client.post("/webhook/twilio", data={"From": "+34600200400"}).status_code == 403
    last = scrape(client)
    webhooks = "iagente_webhook_requests_total"
    assert moved(before, after, webhooks, provider="meta", outcome="malformed") == 1
    assert moved(before, after, webhooks, provider="meta", outcome="too_large") == 1
    assert moved(first, last, webhooks, provider="twilio", outcome="unconfigured") == 1


def test_llm_calls_and_errors_are_counted_where_they_happen(client):
    with FakeOpenAI() as server:
        settings = settings_for(
            None,
            agent_brain="llm",
            openai_api_key="sk-test-metrics-000000",
            openai_base_url=server.base_url,
            llm_rephrase="all",
        )
        brain = build_brain(settings)
        before = scrape(client)
        unsure = (
            "pues no sé qué decirte la verdad, déjame que lo piense un poco más despacio "
            "antes de nada"
        )
        server.readings.append({"intent": "affirm"})
        assert brain.read(unsure, expecting="consent", today=TODAY) == Reading(intent="affirm")
        assert brain.read("sí", expecting="consent", today=TODAY) == Reading(intent="affirm")
        assert brain.phrase("Hola.", text="hola", stage="INICIO") == "¡Claro! Hola."
        server.fail_with = lambda body: (500, {"error": {"message": "down", "type": "server"}})
        brain.read(unsure, expecting="consent", today=TODAY)
        after = scrape(client)
    assert moved(before, after, "iagente_llm_calls_total", call="read") == 2
    assert moved(before, after, "iagente_llm_calls_total", call="phrase") == 1
    # "sí" was read by the rules, with confidence: no model call.
    assert moved(before, after, "iagente_llm_reads_total", reader="rules") == 1
    assert moved(before, after, "iagente_llm_reads_total", reader="model") == 2
    errors = {
        labels: value - before.get((name, labels), 0)
        for (name, labels), value in after.items()
        if name == "iagente_llm_errors_total" and value != before.get((name, labels), 0)
    }
    # One failed read, counted under the client's error type; the call that worked isn't.
    assert list(errors.values()) == [1] and dict(next(iter(errors)))["call"] == "read"


WEB = """
from testkit.signed import meta_headers, meta_text
from webhooks.app import create_app
from webhooks.settings import Settings

app = create_app(Settings(_env_file=None, redis_url={url!r}, agent_brain="rules",
                          whatsapp_app_secret="multi-secret"))
client = app.test_client()
for n, phone in enumerate(["+34600200501", "+34600200502"]):
    body = meta_text(phone, "Hola", f"wamid.mp{{n}}")
    assert client.post("/webhook/whatsapp", data=body,
                       headers=meta_headers(body, "multi-secret")).status_code == 200
forged = {{"X-Hub-Signature-256": "sha256=" + "0" * 64}}
assert client.post("/webhook/whatsapp", data=body, headers=forged).status_code == 403
"""

WORKER = """
import threading, time
from webhooks.settings import Settings
from webhooks.services import build_services
from webhooks.turns.process import run_workers

services = build_services(Settings(_env_file=None, redis_url={url!r}, agent_brain="rules"))
queue = services.queue
stop = threading.Event()
work = {{"threads": 1, "stop": stop}}
thread = threading.Thread(target=run_workers, args=(services,), kwargs=work)
thread.start()
deadline = time.monotonic() + 30
while queue.depth()["depth"] and time.monotonic() < deadline:
    time.sleep(0.05)
stop.set()
thread.join()
"""


def test_metrics_of_several_processes_are_added_up(redis_url, client, tmp_path, monkeypatch):
    """/metrics in one process shows what the web app and the worker in two others counted.

    They write into one directory, as under `iagente serve`.
    """
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for script in (WEB, WORKER):
        subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script.format(url=redis_url))],
            env=env,
            cwd=ROOT,
            check=True,
            timeout=120,
        )
    files = sorted(p.name for p in tmp_path.glob("*.db"))
    pids = {name.rsplit("_", 1)[1] for name in files}
    assert len(pids) == 2 and any(name.startswith("histogram_") for name in files)

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # read on each scrape
    answer = client.get("/metrics")
    samples = scrape(client)
    webhooks = "iagente_webhook_requests_total"
    assert samples[(webhooks, (("outcome", "accepted"), ("provider", "meta")))] == 2  # web
    assert samples[(webhooks, (("outcome", "forged"), ("provider", "meta")))] == 1
    assert samples[("iagente_turn_duration_seconds_count", (("brain", "rules"),))] == 2  # worker
    # No sender is configured in the worker: both replies failed, and say so.
    key = (("channel", "whatsapp"), ("outcome", "failed"), ("provider", "meta"))
    assert samples[("iagente_sends_total", key)] == 2
    assert samples[("iagente_queue_depth", ())] == 0
    assert "6002005" not in answer.text  # no phone numbers, in any label
