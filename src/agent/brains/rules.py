"""The offline brain: deterministic Spanish understanding, replies said exactly as drafted."""

from __future__ import annotations

from typing import Unpack

from agent.brains.base import ReadContext, Reading
from agent.brains.spanish import read_spanish


class RulesBrain:
    """A Brain that needs no model: the Spanish rules read, and drafts are sent as they are."""

    name = "rules"

    def read(self, text: str, **context: Unpack[ReadContext]) -> Reading:
        """Read `text` with the Spanish rules."""
        return read_spanish(text, **context)

    def phrase(self, draft: str, *, text: str, stage: str) -> str:
        """Return `draft` unchanged: the rules brain has no words of its own."""
        return draft
