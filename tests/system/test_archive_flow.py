"""The SQL archive through the whole service: webhook, worker, outbox, drainer, database.

Each test runs on a SQLite file and on a real PostgreSQL server (testkit/databases.py).
A database outage is made for real: PostgreSQL refuses connections to the archive's database
(ALLOW_CONNECTIONS false, its sessions ended), SQLite's directory is moved away.
"""

from __future__ import annotations

import json
import time

import pytest

from testkit.databases import archive_url, database_outage, postgres_server
from testkit.metrics import scrape
from testkit.processes import wait_until
from testkit.signed import meta_headers
from testkit.stack import SECRET, Stack, post_meta

__all__ = ["archive_url", "postgres_server"]

PHONE = "+34600300401"
SALE = ["Hola", "sí", "Soy Ana, 35 años, no fumo", "150.000 €", "20 años", "para mi familia", "sí"]
CLOSE = ["la 2", "sí"]


@pytest.fixture
def stack_settings(archive_url: str) -> dict:
    return {"database_url": archive_url, "admin_token": "admin-token-for-archive"}


@pytest.fixture
def stack(stack: Stack) -> Stack:
    stack.start_workers()
    return stack


def converse(stack: Stack, phone: str, texts: list[str], start: int = 0) -> None:
    """Say each text and wait for its answer, as a customer does."""
    for n, said in enumerate(texts, start=start):
        before = len(stack.providers.texts_to(phone))
        assert post_meta(stack, phone, said, f"wamid.{phone[1:]}.{n}").status_code == 200
        wait_until(lambda b=before: len(stack.providers.texts_to(phone)) > b, what=repr(said))


def meta_status(wamid: str, status: str) -> dict:
    """Meta's status callback for one of our messages to PHONE."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "34910000000", "phone_number_id": "1122334455667"},
        "statuses": [
            {
                "id": wamid,
                "status": status,
                "timestamp": str(int(time.time())),
                "recipient_id": PHONE.lstrip("+"),
            }
        ],
    }
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}


def archived(stack: Stack, phone: str) -> dict:
    archive = stack.services.archive
    assert archive is not None
    return archive.store.ready().export(phone)


def backlog(stack: Stack) -> int:
    status = stack.client.get("/webhook/status").json
    assert status is not None
    return status["components"]["archive"]["outbox"]["pending"]


def test_a_sale_is_archived_by_the_worker_through_its_outbox(stack):
    converse(stack, PHONE, SALE + CLOSE)
    found = wait_until(lambda: (a := archived(stack, PHONE))["leads"] and a, what="the lead")
    wait_until(lambda: backlog(stack) == 0, what="an empty outbox")
    found = archived(stack, PHONE)

    transcript = stack.service.store.transcript(PHONE)
    assert [(m["direction"], m["text"]) for m in found["messages"]] == [
        (e["direction"], e["text"]) for e in transcript
    ]
    assert len(found["messages"]) == 2 * len(SALE + CLOSE)
    [conversation] = found["conversations"]
    assert conversation["stage"] == "FINALIZADO" and conversation["lead"] is True
    assert [c["given"] for c in found["consents"]] == [True]
    assert "consentimiento" in found["consents"][0]["text"]  # the question the customer read
    [needs] = found["needs_records"]
    assert needs["data"]["age"] == 35 and needs["data"]["smoker"] is False
    assert found["quotes"][0]["inputs"]["cover"] == "150000.00"
    assert found["quotes"][0]["tariff"]
    state = stack.service.state(PHONE)
    assert found["choices"][-1]["option_id"] == state["chosen"]
    monthly = {o["id"]: o["monthly"] for o in state["quote"]["options"]}
    assert found["choices"][-1]["monthly"] == monthly[state["chosen"]]
    assert [lead["option_id"] for lead in found["leads"]] == [state["chosen"]]
    assert [h["reason"] for h in found["handovers"]] == ["lead"]
    ours = [m for m in found["messages"] if m["direction"] == "out"]
    assert all(m["provider_ids"] and m["status"] == "accepted" for m in ours)

    # A delivery status Meta reports for our last reply reaches the archive too.
    wamid = ours[-1]["provider_ids"][0]
    body = json.dumps(meta_status(wamid, "read")).encode()
    answer = stack.client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET))
    assert answer.json["statuses"] == 1
    wait_until(lambda: archived(stack, PHONE)["deliveries"], what="the delivery status")
    [delivery] = archived(stack, PHONE)["deliveries"]
    assert (delivery["provider_message_id"], delivery["status"]) == (wamid, "read")

    status = stack.client.get("/webhook/status").json
    assert status["components"]["archive"]["reachable"] is True
    samples = scrape(stack.client)
    assert samples[("iagente_archive_outbox_pending", ())] == 0
    assert samples[("iagente_archive_ops_total", (("op", "turn"), ("outcome", "ok")))] >= 9


def test_customers_are_answered_while_the_database_is_away_and_nothing_is_lost(stack, archive_url):
    converse(stack, PHONE, SALE[:1])
    wait_until(lambda: archived(stack, PHONE)["messages"], what="the first turn archived")
    back = database_outage(stack, archive_url)
    try:
        converse(stack, PHONE, SALE[1:4], start=1)  # answered as usual
        wait_until(lambda: backlog(stack) >= 3, what="the backlog")
        status = wait_until(
            lambda: (
                (s := stack.client.get("/webhook/status").json)["components"]["archive"].get(
                    "reachable"
                )
                is False
                and s
            ),
            what="the outage seen",
        )
        assert status["status"] == "degraded"
        assert scrape(stack.client)[("iagente_archive_outbox_pending", ())] >= 3
    finally:
        back()
    wait_until(lambda: backlog(stack) == 0, timeout=90, what="the backlog drained")
    found = archived(stack, PHONE)
    assert [m["text"] for m in found["messages"] if m["direction"] == "in"] == SALE[:4]
    assert len(found["messages"]) == 8 and [c["given"] for c in found["consents"]] == [True]
