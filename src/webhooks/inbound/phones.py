"""Phone numbers: one normalised form (E.164 with '+') keys a conversation across channels."""

from __future__ import annotations

import re

from integrations.messaging.phones import E164

_NOISE = re.compile(r"[\s().\-]")


class PhoneError(ValueError):
    """Not something we can treat as a phone number."""


def normalise_phone(raw: str) -> str:
    """'whatsapp:+34 600-000-000', '0034600000000', '34600000000' -> '+34600000000'."""
    phone = _NOISE.sub("", raw.strip())
    phone = phone.removeprefix("whatsapp:").removeprefix("sms:")
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not phone.startswith("+"):
        phone = "+" + phone
    if not E164.fullmatch(phone):
        raise PhoneError("not an international phone number")
    return phone
