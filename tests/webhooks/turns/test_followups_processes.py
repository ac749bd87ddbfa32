"""Follow-ups across real worker processes: a kill -9'd worker's reminder still goes out, once.

The only test of reminders on the wall clock, with a delay of seconds; the rest move a clock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from agent import texts
from testkit.fake_providers import FakeProviders
from testkit.processes import start_worker
from testkit.signed import meta_headers, meta_text
from webhooks.app import create_app
from webhooks.services import build_services
from webhooks.settings import Settings

SECRET = "meta-app-secret"
PHONE = "+34600200300"


def test_the_reminder_of_a_kill_9d_worker_goes_out_once_from_another(redis_url, tmp_path):
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
            "DEBOUNCE_SECONDS": "0",
            "FOLLOW_UP_AFTER": "4s",
            "QUIET_HOURS": "",  # empty: none, whatever the time the test runs at
        }
        env = {**os.environ, **config, "VAR_DIR": str(tmp_path)}
        settings = Settings(_env_file=None, **{k.lower(): v for k, v in config.items()})
        client = create_app(services=build_services(settings)).test_client()

        def post(text: str, message_id: str) -> None:
            body = meta_text(PHONE, text, message_id)
            answer = client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET))
            assert answer.status_code == 200

        services = build_services(settings)
        assert services.followups is not None
        timers = services.followups.timers
        first = start_worker(env)
        try:
            post("Hola", "wamid.f1")
            assert len(providers.wait_for(1, timeout=30)) == 1
            post("sí", "wamid.f2")
            assert len(providers.wait_for(2, timeout=30)) == 2
            # Killed once the turn is recorded (killed before, its turn would be retried and
            # its reply sent again: the worker's own guarantee, tested elsewhere).
            store = services.conversations.store
            deadline = time.monotonic() + 10
            while len(store.transcript(PHONE)) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert timers.next_due(PHONE) is not None, "the first worker armed no reminder"
        finally:
            first.send_signal(signal.SIGKILL)  # its reminder is due in 4 s
            first.communicate(timeout=30)

        second = start_worker(env)
        try:
            assert len(providers.wait_for(3, timeout=30)) == 3
            time.sleep(2)  # room for a wrong, second reminder to show up
        finally:
            second.send_signal(signal.SIGTERM)
            output = second.communicate(timeout=30)[0].decode()
        assert second.returncode == 0, output

    received = providers.texts_to(PHONE)
    assert len(received) == 3, received
    assert received[2] == (
        texts.FOLLOW_UPS["data"].format(name="", question=texts.QUESTIONS["name"])
        + " "
        + texts.FOLLOW_UP_LAST
    )
    timer = timers.get(PHONE)
    assert timer is not None and timer.sent == 1 and timer.due is None


def test_a_bad_time_setting_stops_the_command_with_a_clear_line(tmp_path):
    for variable, value, said in [
        ("FOLLOW_UP_AFTER", "2x", "'2x' is not a delay"),
        ("QUIET_HOURS", "21h-9h", "is not a time range like 21:00-09:00"),
        ("BUSINESS_HOURS", "mon-fri 09:00-19:00", "a time zone"),
        ("BUSINESS_HOLIDAYS", "25/12", "is not a date like 2026-12-08"),
    ]:
        env = {**os.environ, variable: value, "VAR_DIR": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, "-m", "webhooks.cli", "worker"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,  # no .env of the checkout
        )
        assert done.returncode == 2, (variable, done.stderr)
        assert f"{variable}: " in done.stderr and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
