"""A worker process killed (SIGKILL) during a typing pause: another answers the burst once."""

from __future__ import annotations

import os
import signal
import time

import redis

from testkit.fake_providers import FakeProviders
from testkit.processes import start_worker, wait_until
from testkit.signed import meta_headers, meta_text
from webhooks.app import create_app
from webhooks.services import build_services
from webhooks.settings import Settings

SECRET = "meta-app-secret"
PHONE = "+34600200300"


def reading(redis_url: str) -> bool:
    client = redis.Redis.from_url(redis_url)
    try:
        return any(c.get("cmd") == "xreadgroup" for c in client.client_list())
    finally:
        client.close()


def test_a_worker_killed_during_the_pause_loses_nothing_and_answers_once(redis_url, tmp_path):
    with FakeProviders() as providers:
        config = {
            "REDIS_URL": redis_url,
            "AGENT_BRAIN": "rules",
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_TOKEN": "meta-token",
            "WHATSAPP_PHONE_NUMBER_ID": "1122334455667",
            "WHATSAPP_API_URL": f"{providers.url}/v23.0",
            "TURN_LOCK_SECONDS": "2",
            "CLAIM_IDLE_SECONDS": "1",
            # Long enough that the first worker is surely killed before the pause is over.
            "DEBOUNCE_SECONDS": "5",
            "DEBOUNCE_MAX_SECONDS": "8",
        }
        env = {**os.environ, **config, "VAR_DIR": str(tmp_path)}
        settings = Settings(_env_file=None, **{k.lower(): v for k, v in config.items()})
        client = create_app(services=build_services(settings)).test_client()

        first = start_worker(env)
        try:
            # Started (it takes seconds) and reading the queue before the customer writes.
            wait_until(lambda: reading(redis_url), what="the first worker to read the queue")
            for n, text in enumerate(["Hola", "quiero un seguro", "para mi familia"]):
                body = meta_text(PHONE, text, f"wamid.kp{n}")
                answer = client.post(
                    "/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET)
                )
                assert answer.status_code == 200
            # The worker has taken the messages' notifications: it shows "typing…" and waits.
            wait_until(lambda: len(providers.receipts) >= 3, what="the typing indicators")
        finally:
            first.send_signal(signal.SIGKILL)
            killed = first.communicate(timeout=30)[0].decode()
        assert providers.sent == [], killed  # killed before the pause was over

        second = start_worker(env)
        try:
            providers.wait_for(1, timeout=30)
            time.sleep(1.5)  # room for a wrong, duplicate reply to show up
        finally:
            second.send_signal(signal.SIGTERM)
            output = second.communicate(timeout=30)[0].decode()
        assert second.returncode == 0, output

    assert len(providers.sent) == 1
    service = build_services(settings).conversations
    transcript = service.store.transcript(PHONE)
    assert [(e["direction"], e.get("id")) for e in transcript] == [
        ("in", "wamid.kp0"),
        ("in", "wamid.kp1"),
        ("in", "wamid.kp2"),
        ("out", None),
    ]
