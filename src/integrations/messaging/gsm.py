"""SMS text in the GSM-7 alphabet (GSM 03.38), and what an SMS costs in billed segments.

One character outside GSM 03.38 turns the whole SMS into UCS-2, 70 characters a segment instead
of 160. GSM 03.38 has ñ Ñ ü Ü é É è à ù ì ò ¡ ¿ and € (an escape: two septets), but not á í ó ú
Á Í Ó Ú, so on SMS those lose their accent and an emoji is left out. Twilio's Smart Encoding
would not help here: it replaces quotes, dashes and spaces only, and only for Messaging Services.
"""

from __future__ import annotations

import re
import unicodedata

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

_CODEC = "gsm03.38"
# Punctuation with a GSM-7 twin (as Twilio's Smart Encoding list replaces it).
_PUNCTUATION = str.maketrans(
    {
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "→": "->",
        "·": ".",
        "\u00a0": " ",
        "\u202f": " ",
    }
)
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+(?=[.,;:!?)\n]|$)", re.MULTILINE)
_SPACES = re.compile(r"[ \t]{2,}")


def septets(text: str) -> int | None:
    """The septets `text` takes in GSM-7 (€ and the other escapes take two); None if not GSM-7."""
    try:
        return len(text.encode(_CODEC))
    except UnicodeEncodeError:
        return None


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` is in the GSM 03.38 alphabet (with its extension)."""
    return septets(text) is not None


def segments(text: str) -> int:
    """The billed segments of one SMS body: 160/153 septets in GSM-7, else 70/67 in UCS-2."""
    length = septets(text)
    if length is None:
        length = len(text.encode("utf-16-le")) // 2  # UCS-2 code units
        single, part = 70, 67
    else:
        single, part = 160, 153
    if length <= single:
        return 1 if length else 0
    return -(-length // part)


def _char(char: str) -> str:
    if is_gsm7(char):
        return char
    if char.isspace():
        return " "
    bare = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return bare if bare and is_gsm7(bare) else ""  # an emoji, a pictograph: left out


def to_gsm7(text: str) -> str:
    """`text` in GSM-7: GSM letters kept (ñ, ü, é), other accents dropped (á → a), emoji out."""
    if is_gsm7(text):
        return text
    converted = "".join(_char(c) for c in text.translate(_PUNCTUATION))
    # An emoji taken out leaves its spaces behind: "hola 👋 Ana" → "hola Ana", "sí 🙂." → "sí."
    converted = _SPACES.sub(" ", _SPACE_BEFORE_PUNCT.sub("", converted))
    return converted.strip()
