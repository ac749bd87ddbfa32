"""The whole service in one test process: web app, worker threads, real Redis, fake providers."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from types import SimpleNamespace

from tests.support.fake_providers import FakeProviders
from tests.support.signed import meta_headers, meta_text, twilio_form, twilio_headers
from webhooks.app import create_app
from webhooks.services import build_services
from webhooks.settings import Settings
from webhooks.turns.worker import run_workers

SECRET, TOKEN, BASE = "meta-app-secret-for-tests", "twilio-auth-token-for-tests", "https://bot.test"
META_TOKEN = "meta-token-for-tests"
TWILIO_SID = "AC00000000000000000000000000000001"
TWILIO_WA, TWILIO_SMS = "+14155238886", "+14155550100"


@contextlib.contextmanager
def running(redis_url: str, **overrides) -> Iterator[SimpleNamespace]:
    """The app (`.client`) and `.start_workers()`; the workers stop when the block ends."""
    with FakeProviders() as providers:
        settings = Settings(
            **{
                "_env_file": None,
                "redis_url": redis_url,
                "agent_brain": "rules",
                "whatsapp_app_secret": SECRET,
                "whatsapp_token": META_TOKEN,
                "whatsapp_phone_number_id": "1122334455667",
                "whatsapp_api_url": f"{providers.url}/v23.0",
                "whatsapp_template_name": "retomar_conversacion",
                "twilio_account_sid": TWILIO_SID,
                "twilio_auth_token": TOKEN,
                "twilio_whatsapp_number": TWILIO_WA,
                "twilio_sms_number": TWILIO_SMS,
                "twilio_api_url": providers.url,
                "public_base_url": BASE,
                "turn_lock_seconds": 2,
                "claim_idle_seconds": 1,
                **overrides,
            }
        )
        services = build_services(settings)
        app = create_app(services=services)
        stop = threading.Event()
        threads: list[threading.Thread] = []

        def start_workers(n: int = 2) -> None:
            thread = threading.Thread(
                target=run_workers, args=(services,), kwargs={"threads": n, "stop": stop}
            )
            thread.start()
            threads.append(thread)

        stack = SimpleNamespace(
            settings=settings,
            client=app.test_client(),
            providers=providers,
            app=app,
            services=services,
            start_workers=start_workers,
            service=services.conversations,
        )
        try:
            yield stack
        finally:
            stop.set()
            for thread in threads:
                thread.join()


def post_meta(stack, phone: str, text: str, message_id: str, **headers):
    body = meta_text(phone, text, message_id)
    return stack.client.post(
        "/webhook/whatsapp", data=body, headers={**meta_headers(body, SECRET), **headers}
    )


def post_twilio(stack, phone: str, text: str, sid: str, *, whatsapp: bool = False):
    form = twilio_form(
        phone, text, sid, whatsapp=whatsapp, to=TWILIO_WA if whatsapp else TWILIO_SMS
    )
    headers = twilio_headers(f"{BASE}/webhook/twilio", form, TOKEN)
    return stack.client.post("/webhook/twilio", data=form, headers=headers)
