"""Meta numbers: another app's phone_number_id is ignored; several are each answered from.

With several numbers, replies leave from the number the customer wrote to.
"""

from __future__ import annotations

import json
import logging
import time

from testkit.metrics import moved, scrape
from testkit.signed import meta_headers, meta_text
from testkit.stack import META_TOKEN, SECRET, running

OURS, SECOND, FOREIGN = "1122334455667", "2233445566778", "9988776655443"
ADMIN = "admin-token-for-tests"


def post_to(stack, number: str, phone: str, text: str, message_id: str):
    payload = json.loads(meta_text(phone, text, message_id))
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = number
    body = json.dumps(payload).encode()
    return stack.client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET))


def sent_from(stack, phone: str) -> set[str]:
    """The phone_number_ids whose /messages endpoint carried something to `phone`."""
    return {
        record["path"].split("/")[-2]
        for record in stack.providers.sent
        if record["provider"] == "meta" and record["json"].get("to") == phone.lstrip("+")
    }


def test_a_message_to_a_number_we_do_not_serve_is_ignored_logged_and_counted(stack, caplog):
    stack.start_workers()
    before = scrape(stack.client)
    phone = "+34600300100"
    with caplog.at_level(logging.INFO, logger="webhooks.http.providers"):
        answer = post_to(stack, FOREIGN, phone, "Hola", "wamid.foreign1")
    assert answer.status_code == 200
    assert answer.json == {"accepted": 0, "duplicates": 0, "statuses": 0, "foreign_number": 1}
    after = scrape(stack.client)
    assert moved(before, after, "iagente_meta_foreign_number_total") == 1
    assert moved(
        before,
        after,
        "iagente_webhook_requests_total",
        provider="meta",
        outcome="foreign_number",
    )
    logged = [r.getMessage() for r in caplog.records if "phone_number_id" in r.getMessage()]
    assert logged and not any("600300100" in line for line in logged)
    assert stack.service.store.count() == 0
    assert stack.services.queue.inbox(phone) == []

    # The same customer writing to our number is answered, from our number, and only once.
    assert post_to(stack, OURS, phone, "Hola", "wamid.ours1").json["accepted"] == 1
    stack.providers.wait_for(1)
    time.sleep(0.3)
    assert len(stack.providers.texts_to(phone)) == 1
    assert sent_from(stack, phone) == {OURS}


def test_each_customer_is_answered_from_the_number_they_wrote_to(redis_url):
    numbers = f"{OURS}, {SECOND}"
    with running(redis_url, whatsapp_phone_number_id=numbers, admin_token=ADMIN) as stack:
        stack.start_workers()
        first, second = "+34600300201", "+34600300202"
        assert post_to(stack, OURS, first, "Hola", "wamid.n1").json["accepted"] == 1
        assert post_to(stack, SECOND, second, "Hola", "wamid.n2").json["accepted"] == 1
        stack.providers.wait_for(2)
        assert sent_from(stack, first) == {OURS}
        assert sent_from(stack, second) == {SECOND}
        assert all(r["auth"] == f"Bearer {META_TOKEN}" for r in stack.providers.sent)

        # An operator's message later goes out from the number that customer wrote to as well.
        deadline = time.monotonic() + 10  # the turn is recorded just after its reply went out
        while not stack.service.store.summary(second) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stack.service.store.summary(second)["our_number"] == SECOND
        answer = stack.client.post(
            f"/webhook/conversation/{second}/messages",
            json={"text": "Hola, soy Marta."},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
        assert answer.status_code == 200, answer.json
        [operator] = [
            r
            for r in stack.providers.sent
            if r["json"].get("text", {}).get("body") == "Hola, soy Marta."
        ]
        assert operator["path"] == f"/v23.0/{SECOND}/messages"
        assert operator["json"]["to"] == second.lstrip("+")
