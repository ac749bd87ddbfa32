"""Phone numbers in what we send and log: the E.164 form, and the one masking rule."""

from __future__ import annotations

import re

# [0-9], not \d: \d matches other scripts' digits ('٣') too.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# E.164 with or without '+', national numbers too; not digits inside ids ("SM0012…",
# "1700000000000-0", "v23.0") and not short numbers (amounts, ages, milliseconds). A
# percent-escape before the digits is a boundary: urllib3 logs URLs as sent, and a search for
# "+34600…" goes out as "q=%2B34600…" (Twilio's "whatsapp:+34…" as "whatsapp%3A%2B34…").
_PHONE = re.compile(r"(?:(?<=%[0-9A-Fa-f]{2})|(?<![\w.+\-]))\+?\d{9,15}(?![\w\-])")


def mask_phone(phone: str) -> str:
    """Keep the country prefix and the last two digits: '+34600000000' -> '+346******00'."""
    keep = 4 if phone.startswith("+") else 3
    if len(phone) <= keep + 2:
        return "*" * len(phone)
    return phone[:keep] + "*" * (len(phone) - keep - 2) + phone[-2:]


def redact_phones(text: str) -> str:
    """Mask everything phone-shaped in `text` (a log line, a provider's error message)."""
    return _PHONE.sub(lambda match: mask_phone(match.group()), text)
