"""Twilio's `From` is E.164 after an optional `whatsapp:`; anything else is refused, not fixed."""

from __future__ import annotations

import pytest

from testkit.signed import twilio_form, twilio_headers
from testkit.stack import BASE, TOKEN, TWILIO_SMS


def _post(stack, sender: str, sid: str):
    form = {**twilio_form("+34600000000", "Hola", sid, whatsapp=False, to=TWILIO_SMS)}
    form["From"] = sender
    headers = twilio_headers(f"{BASE}/webhook/twilio", form, TOKEN)
    return stack.client.post("/webhook/twilio", data=form, headers=headers)


@pytest.mark.parametrize(
    "sender",
    ["600123456", "whatsapp:600123456", "0034600123456", "+34 600 123 456", "Maria", "12345"],
)
def test_a_sender_that_is_not_e164_is_refused_and_nothing_is_queued(stack, sender):
    answer = _post(stack, sender, "SM" + "1" * 32)
    assert answer.status_code == 400
    assert answer.is_json and answer.json["error"]
    assert stack.services.queue.depth()["depth"] == 0
    assert stack.service.store.count() == 0


@pytest.mark.parametrize(
    ("sender", "phone", "channel"),
    [
        ("+34600123456", "+34600123456", "sms"),
        ("whatsapp:+34600123456", "+34600123456", "whatsapp"),
    ],
)
def test_an_e164_sender_is_queued_on_its_channel(stack, sender, phone, channel):
    answer = _post(stack, sender, "SM" + "2" * 32)
    assert answer.status_code == 200 and b"<Response>" in answer.data
    [queued] = stack.services.queue.inbox(phone)
    assert (queued.phone, queued.channel) == (phone, channel)
