"""The offline brain: deterministic Spanish understanding, replies said exactly as drafted."""

from __future__ import annotations

from datetime import date

from agent.brains.base import Reading
from agent.brains.spanish import read_spanish


class RulesBrain:
    name = "rules"

    def read(self, text: str, *, expecting: str | None, today: date) -> Reading:
        return read_spanish(text, expecting=expecting, today=today)

    def phrase(self, draft: str, *, text: str, stage: str) -> str:
        return draft
