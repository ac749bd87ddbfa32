"""Hostile input at POST /webhook/evolution, validly authenticated: never a 5xx, always JSON.

Evolution stops retrying on a 4xx and retries a 5xx, so garbage must get a 4xx (or a 200 that
ignores it) and never a 5xx; the customers behind it are still answered afterwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from testkit.evolution import (
    HOSTILE,
    WEBHOOK_TOKEN,
    bearer,
    evolution_variants,
    leaves,
    recorded_webhooks,
    replaced,
)
from testkit.fake_evolution import FakeEvolution
from testkit.stack import Stack, running
from tests.system.test_hostile_input import JSON_BODIES
from webhooks.inbound import evolution as ev

API_KEY = "429683C4C977415CAAFCCE10F7D57E11"
TOKEN = WEBHOOK_TOKEN


def test_every_value_of_every_recorded_webhook_replaced_by_garbage_parses_or_is_refused():
    tried = 0
    for name, payload in recorded_webhooks().items():
        for path in leaves(payload):
            for new in HOSTILE:
                try:
                    event = ev.parse_event(replaced(payload, path, new))
                except ev.PayloadError:
                    continue  # a 400
                tried += 1
                for message, where in event.messages:
                    assert message.phone.startswith("+") and message.message_id, (name, path)
                    assert where.reply_jid.endswith(("@s.whatsapp.net", "@lid")), (name, path)
                    json.loads(message.to_json())
    assert tried > 5000


@pytest.fixture
def stack(redis_url: str) -> Iterator[tuple[Stack, FakeEvolution]]:
    with (
        FakeEvolution(api_key=API_KEY, instances={"seguros-vida": "open"}) as fake,
        running(
            redis_url,
            evolution_api_url=fake.url,
            evolution_api_key=API_KEY,
            evolution_instance="seguros-vida",
            evolution_webhook_token=TOKEN,
        ) as service,
    ):
        yield service, fake


def test_hostile_bodies_get_json_4xx_and_customers_are_still_answered(stack):
    service, fake = stack
    problems = []

    def post(body: bytes, headers: dict[str, str], what: str) -> None:
        answer = service.client.post("/webhook/evolution", data=body, headers=headers)
        if answer.status_code >= 500 or not answer.is_json:
            problems.append(f"{answer.status_code} {answer.mimetype} for {what}")
        elif answer.status_code >= 400 and "error" not in answer.json:
            problems.append(f"{answer.status_code} without an error for {what}")

    for n, body in enumerate(JSON_BODIES):
        post(body, bearer(), f"body {n}")
    base = recorded_webhooks()["messages_upsert_conversation"]
    for n, body in enumerate(evolution_variants()):
        post(body, bearer(), f"variant {n}")
    for header in ("Bearer", "Bearer " + "x" * 100_000, "Bearer a.b.c", "Bearer ..", "Basic x"):
        post(json.dumps(base).encode(), {"Authorization": header}, header[:20])
    assert problems == []

    service.start_workers()
    hello = json.loads(json.dumps(base))
    hello["data"]["key"].update(id="3AHAFTER0000000000001", remoteJid="34600400900@s.whatsapp.net")
    hello["data"]["message"]["conversation"] = "Hola"
    assert service.client.post(
        "/webhook/evolution", data=json.dumps(hello).encode(), headers=bearer()
    ).json == {"accepted": 1, "duplicates": 0, "statuses": 0}
    deadline = time.time() + 20
    while time.time() < deadline and not fake.texts_to("34600400900@s.whatsapp.net"):
        time.sleep(0.05)
    assert any("consentimiento" in t for t in fake.texts_to("34600400900@s.whatsapp.net"))
