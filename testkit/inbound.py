"""Customer messages as the webhook hands them to the queue, for tests of what comes after."""

from __future__ import annotations

from typing import Any

from webhooks.inbound.messages import InboundMessage


def whatsapp_text(phone: str, message_id: str, text: str = "Hola", **more: Any) -> InboundMessage:
    """A text the customer at `phone` wrote on WhatsApp, as Meta's webhook is parsed into it.

    `more` sets any other field (`kind`, `timestamp`, `profile_name`, …).
    """
    fields: dict[str, Any] = {"kind": "text", **more}
    return InboundMessage("meta", "whatsapp", phone, message_id, text=text, **fields)
