"""A worker killed with SIGKILL in the middle of a turn: another worker finishes it, once."""

from __future__ import annotations

import os
import signal
import time

from testkit.fake_providers import FakeProviders
from testkit.openai_server import FakeOpenAI
from testkit.processes import start_worker
from testkit.signed import meta_headers, meta_text
from webhooks.app import create_app
from webhooks.services import build_services
from webhooks.settings import Settings

SECRET = "meta-app-secret"
# Free-form (more words than the rules read with confidence), so the turn asks the model.
YES = "pues mira te cuento, la verdad es que sí quiero seguir con esto y que me vayas preguntando"


def test_a_killed_worker_loses_nothing_and_no_reply_is_sent_twice(redis_url, tmp_path):
    with FakeProviders() as providers, FakeOpenAI() as model:
        model.by_text = {YES: {"intent": "affirm"}}
        model.hang_once_on = YES
        config = {
            "REDIS_URL": redis_url,
            "AGENT_BRAIN": "llm",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": model.base_url,
            "LLM_TIMEOUT_SECONDS": "120",
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_TOKEN": "meta-token",
            "WHATSAPP_PHONE_NUMBER_ID": "1122334455667",
            "WHATSAPP_API_URL": f"{providers.url}/v23.0",
            "TURN_LOCK_SECONDS": "2",
            "CLAIM_IDLE_SECONDS": "1",
        }
        env = {**os.environ, **config, "VAR_DIR": str(tmp_path)}
        settings = Settings(_env_file=None, **{k.lower(): v for k, v in config.items()})
        client = create_app(settings).test_client()
        phone = "+34600200100"

        def post(text: str, message_id: str) -> None:
            body = meta_text(phone, text, message_id)
            answer = client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET))
            assert answer.status_code == 200

        first = start_worker(env)
        try:
            post("Hola", "wamid.k1")
            assert len(providers.wait_for(1, timeout=30)) == 1
            post(YES, "wamid.k2")
            assert model.hanging.wait(30), "the turn never reached the model"
        finally:
            first.send_signal(signal.SIGKILL)  # mid-turn: the model call is in flight
            first.communicate(timeout=30)

        second = start_worker(env)
        try:
            providers.wait_for(2, timeout=30)
            time.sleep(1.5)  # room for a wrong, duplicate reply to show up
        finally:
            second.send_signal(signal.SIGTERM)
            output = second.communicate(timeout=30)[0].decode()
        assert second.returncode == 0, output

    replies = [r["json"]["text"]["body"] for r in providers.sent if r["json"]["type"] == "text"]
    assert len(replies) == 2, replies
    assert "consentimiento" in replies[0] and "¿Cómo te llamas?" in replies[1]
    service = build_services(settings).conversations
    state = service.state(phone)
    assert state["turns"] == 2 and state["stage"] == "NEEDS_ANALYSIS"
    assert [e["direction"] for e in service.store.transcript(phone)] == ["in", "out", "in", "out"]
