"""Phone numbers: one normalised form (E.164 with '+') keys a conversation across channels."""

from __future__ import annotations

import re

from integrations.messaging.outbound import mask_phone as mask_phone  # one masking rule for logs

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
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", phone):  # not \d: it matches '٣' too
        raise PhoneError("not an international phone number")
    return phone
