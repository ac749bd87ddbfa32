"""`iagente serve` as an operator runs it: gunicorn and the worker, against a real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from integrations.redis.server import free_port
from testkit.fake_providers import FakeProviders
from testkit.signed import meta_headers, meta_text

SECRET = "serve-secret"
SENT = ("iagente_sends_total", ("accepted", "meta", "whatsapp"))


def test_serve_answers_status_and_a_signed_message_end_to_end(redis_url, tmp_path):
    port = free_port()
    with FakeProviders() as providers:
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "VAR_DIR": str(tmp_path),
            "AGENT_BRAIN": "rules",
            "WEBHOOK_PORT": str(port),
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_TOKEN": "meta-token",
            "WHATSAPP_PHONE_NUMBER_ID": "1122334455667",
            "WHATSAPP_API_URL": f"{providers.url}/v23.0",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "webhooks.cli", "serve", "--workers", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    status = requests.get(f"{base}/webhook/status", timeout=5)
                    break
                except requests.RequestException:
                    assert time.monotonic() < deadline, "the service did not start"
                    time.sleep(0.2)
            assert status.status_code == 200 and status.json()["status"] == "ok"

            body = meta_text("+34600400100", "Hola", "wamid.serve1")
            answer = requests.post(
                f"{base}/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET), timeout=5
            )
            assert answer.status_code == 200
            forged = requests.post(
                f"{base}/webhook/whatsapp",
                data=body,
                timeout=5,
                headers={"X-Hub-Signature-256": "sha256=" + "0" * 64},
            )
            assert forged.status_code == 403
            # An admin path carries the phone: gunicorn's access log must not print it.
            admin = requests.get(f"{base}/webhook/conversation/+34600400100", timeout=5)
            assert admin.status_code in (401, 403)
            assert len(providers.wait_for(1, timeout=30)) == 1
            assert "consentimiento" in providers.texts_to("+34600400100")[0]

            # gunicorn's worker counted the webhooks, the worker process the turn and the send:
            # /metrics adds up both processes' samples.
            def counted() -> dict:
                text = requests.get(f"{base}/metrics", timeout=5).text
                assert "34600400100" not in text
                return {
                    (s.name, tuple(sorted(s.labels.values()))): s.value
                    for family in text_string_to_metric_families(text)
                    for s in family.samples
                }

            while (samples := counted()).get(SENT) != 1:
                assert time.monotonic() < deadline + 30, samples
                time.sleep(0.2)
            assert samples[("iagente_webhook_requests_total", ("accepted", "meta"))] == 1
            assert samples[("iagente_webhook_requests_total", ("forged", "meta"))] == 1
            assert samples[("iagente_turn_duration_seconds_count", ("rules",))] == 1
        finally:
            server.send_signal(signal.SIGTERM)
            output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0, output
    assert "34600400100" not in output  # phone numbers are masked in the logs
    assert "gunicorn.access" not in output
    assert (tmp_path / "metrics").is_dir()  # VAR_DIR/metrics: PROMETHEUS_MULTIPROC_DIR
