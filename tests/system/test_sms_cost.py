"""What a whole sale costs over SMS: every reply in GSM-7, ten billed segments at most.

Driven for real: signed Twilio SMS webhooks in, the worker, the replies at the fake Twilio API.
WhatsApp (Meta) gets the same sale in its full Spanish, accents and emoji included.
"""

from __future__ import annotations

from integrations.messaging.gsm import is_gsm7, segments
from testkit.stack import Stack, post_meta, post_twilio

SALE = ["Hola", "si", "Soy Ana, 35 años, no fumo", "150.000 €", "20 años", "para mi familia"]
CLOSE = ["si", "la 2", "si"]  # the read-back confirmed, an option chosen and confirmed


def sell(stack: Stack, phone: str, send) -> list[str]:
    """The whole sale from `phone`, one message after each reply; the replies it got."""
    for n, text in enumerate([*SALE, *CLOSE], start=1):
        send(phone, text, n)
        stack.providers.wait_for(len(stack.providers.sent) + 1)
    return stack.providers.texts_to(phone)


def test_a_whole_sms_sale_is_gsm7_and_at_most_ten_segments(stack):
    stack.start_workers(1)
    phone = "+34600700100"
    replies = sell(
        stack, phone, lambda p, text, n: post_twilio(stack, p, text, f"SM{n:032d}", whatsapp=False)
    )
    assert len(replies) == len(SALE) + len(CLOSE)
    assert all(is_gsm7(reply) for reply in replies), [r for r in replies if not is_gsm7(r)]
    assert sum(map(segments, replies)) <= 10, [(segments(r), r) for r in replies]
    assert stack.service.state(phone)["stage"] == "FINALIZADO"
    # The same information: the price, the annual price, the capital and the term.
    closing = replies[-1]
    assert all(part in closing for part in ("17,83 €", "207,75 €", "150.000 €", "20 años"))


def test_whatsapp_keeps_its_full_spanish(stack):
    stack.start_workers(1)
    phone = "+34600700200"
    replies = sell(stack, phone, lambda p, text, n: post_meta(stack, p, text, f"wamid.sms{n}"))
    assert len(replies) == len(SALE) + len(CLOSE)
    assert "automático" in replies[0] and "👋" in replies[0]
    assert "🎉" in replies[-1] and "opción" in replies[-1]
