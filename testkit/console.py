"""The operator console in tests: customers seeded through the real stack, a served app, Chromium.

Chromium and its driver are Debian's (`chromium`, `chromium-driver`, listed in
scripts/system_deps.sh); nothing is downloaded at run time.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from testkit.signed import meta_headers, meta_text
from testkit.stack import SECRET, Stack, post_twilio
from webhooks.turns.worker import Worker

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
PACKAGES = "chromium chromium-driver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

ADMIN = "console-admin-token"
SALE = ["Hola", "sí", "Soy Ana, 35 años, no fumo", "150.000 €", "20 años", "para mi familia", "sí"]
# Seeded customers: one lead, one at the proposal, one giving data, one who only said hello.
CUSTOMERS = {
    "+34600111222": ("Ana", [*SALE, "la 2", "sí"]),
    "+34600333444": ("Ana M.", SALE),
    "+34600555666": ("Luis", ["Hola", "sí", "Soy Luis, 52 años"]),
    "+34600777888": ("Marta", ["Buenas"]),
}
SMS_CUSTOMER = ("+34600999000", ["Hola", "sí"])


def csrf_of(page: TestResponse) -> str:
    """The CSRF token of the first form of `page`."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def work(stack: Stack) -> None:
    """Let one worker (as the service builds them) take everything queued, then return."""
    services = stack.services
    worker = Worker(
        services.conversations,
        services.queue,
        services.channels,
        name="console",
        health=services.health,
        chatwoot=services.chatwoot,
    )
    services.queue.ensure_group()
    while entries := services.queue.read(worker.name, count=10, block_ms=1):
        for entry_id, fields in entries:
            worker.handle(entry_id, fields)


def talk(
    stack: Stack, phone: str, texts: list[str], *, sms: bool = False, name: str = "Ana"
) -> None:
    """Post each text signed as the provider signs it; the worker answers it before the next."""
    for n, text in enumerate(texts):
        if sms:
            answer = post_twilio(stack, phone, text, f"SM{phone[1:]}{n:020d}")
        else:
            body = meta_text(phone, text, f"wamid.{phone[1:]}.{n}", name=name)
            answer = stack.client.post(
                "/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET)
            )
        assert answer.status_code == 200
        work(stack)


def seed(stack: Stack) -> None:
    """The seeded customers, on WhatsApp (Meta) and one on SMS (Twilio)."""
    for phone, (name, texts) in CUSTOMERS.items():
        talk(stack, phone, texts, name=name)
    talk(stack, SMS_CUSTOMER[0], SMS_CUSTOMER[1], sms=True)


@contextlib.contextmanager
def served(app: Flask) -> Iterator[str]:
    """`app` on a real HTTP server on 127.0.0.1; yields its origin."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def missing_browser() -> str | None:
    """Why no browser test can run here, or None."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return None
    return f"Chromium is not installed: sudo apt-get install {PACKAGES} (./test does it as root)"


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator:
    """A headless Debian Chromium under Selenium, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors (CSP)
    if width < 500:  # a desktop window is never narrower: emulate the phone's screen instead
        metrics = {"width": width, "height": height, "pixelRatio": 1, "mobile": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
