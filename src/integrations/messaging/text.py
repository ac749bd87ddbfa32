"""Text a sender shapes itself: long texts split to the channel's limit, options as numbered text.

The few words a sender adds around options are the customer's language, not the sender's: the
caller gives them (`OptionTexts`), so this package holds no customer-facing text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from integrations.messaging.base import Option


@dataclass(frozen=True)
class OptionTexts:
    """The words a sender adds when it renders options.

    `answer` closes a numbered list of up to five options, with the numbers joined by ", " and
    `last_joiner` ("1, 2 o 3"); `answer_range` closes a longer one, with its `count`. `choose` is
    the body of buttons whose text went out first (too long for one interactive message);
    `list_button` opens a WhatsApp list and `section` titles its rows.
    """

    answer: str
    answer_range: str
    last_joiner: str
    choose: str
    list_button: str
    section: str


_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCES = re.compile(r"(?<=[.!?…])\s+")
_WORDS = re.compile(r"\s+")
_LEVELS = ((_PARAGRAPHS, "\n\n"), (_SENTENCES, " "), (_WORDS, " "))


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into messages of at most `limit` characters.

    Cuts at paragraph, then sentence, then word boundaries; a single longer word is cut hard.
    """
    text = text.strip()
    if not text:
        return []
    return _split(text, limit, 0)


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_LEVELS):
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    pattern, joiner = _LEVELS[level]
    pieces = [piece.strip() for piece in pattern.split(text) if piece.strip()]
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if len(piece) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.extend(_split(piece, limit, level + 1))
        elif not current:
            current = piece
        elif len(current) + len(joiner) + len(piece) <= limit:
            current = f"{current}{joiner}{piece}"
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def shorten(text: str, limit: int) -> str:
    """Fit a title in `limit` characters, cutting at a word when that keeps most of it."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if text[limit - 1] != " " and space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def numbered(text: str, options: Sequence[Option], texts: OptionTexts) -> str:
    """The options as a numbered list the customer answers with a number."""
    if not options:
        return text
    lines = [
        f"{n}. {option.title}" + (f" - {option.description}" if option.description else "")
        for n, option in enumerate(options, start=1)
    ]
    count = len(options)
    if count <= 5:
        numbers = [str(n) for n in range(1, count + 1)]
        joined = texts.last_joiner.join([", ".join(numbers[:-1]), numbers[-1]])
        prompt = texts.answer.format(numbers=joined if count > 1 else numbers[0])
    else:
        prompt = texts.answer_range.format(count=count)
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines), prompt) if part)
