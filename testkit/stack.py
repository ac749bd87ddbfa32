"""The whole service in one test process: web app, worker threads, real Redis, fake providers."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from testkit.fake_providers import FakeProviders
from testkit.settings import settings_for
from testkit.signed import meta_headers, meta_text, twilio_form, twilio_headers
from webhooks.app import create_app
from webhooks.services import Services, build_services
from webhooks.settings import Settings
from webhooks.turns.conversations import ConversationService
from webhooks.turns.process import run_workers

SECRET, TOKEN, BASE = "meta-app-secret-for-tests", "twilio-auth-token-for-tests", "https://bot.test"
META_TOKEN = "meta-token-for-tests"
TWILIO_SID = "AC00000000000000000000000000000001"
TWILIO_WA, TWILIO_SMS = "+14155238886", "+14155550100"


@dataclass
class Stack:
    """A running service: its settings and parts, a test client, and the fake providers."""

    settings: Settings
    client: FlaskClient
    providers: FakeProviders
    app: Flask
    services: Services
    start_workers: Callable[..., None]
    service: ConversationService


@contextlib.contextmanager
def running(redis_url: str, **overrides: Any) -> Iterator[Stack]:
    """The app (`.client`) and `.start_workers()`; the workers stop when the block ends."""
    with FakeProviders() as providers, tempfile.TemporaryDirectory() as scratch:
        values: dict[str, Any] = {
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
            # The SQL archive: a SQLite file of this stack's own (tests may name another).
            "database_url": f"sqlite:///{scratch}/archive.sqlite3",
        }
        settings = settings_for(redis_url, **(values | overrides))
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

        stack = Stack(
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
            if services.archive is not None:
                services.archive.store.engine.dispose()  # its database may be dropped next


def post_meta(stack: Stack, phone: str, text: str, message_id: str, **headers: str) -> TestResponse:
    """POST a signed Meta text message from `phone` to the stack's webhook."""
    body = meta_text(phone, text, message_id)
    return stack.client.post(
        "/webhook/whatsapp", data=body, headers={**meta_headers(body, SECRET), **headers}
    )


def post_twilio(
    stack: Stack, phone: str, text: str, sid: str, *, whatsapp: bool = False
) -> TestResponse:
    """POST a signed Twilio message (SMS, or WhatsApp) from `phone` to the stack's webhook."""
    form = twilio_form(
        phone, text, sid, whatsapp=whatsapp, to=TWILIO_WA if whatsapp else TWILIO_SMS
    )
    headers = twilio_headers(f"{BASE}/webhook/twilio", form, TOKEN)
    return stack.client.post("/webhook/twilio", data=form, headers=headers)
