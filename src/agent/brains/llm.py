"""The llm brain: a chat model reads messages into a Reading and rephrases drafted replies.

Two model calls per turn at most (one read, one phrase). Any model error or timeout falls back
to the rules brain for that call, so a turn never fails because the model did. The model never
decides a number: a rephrased reply that adds, drops or changes any figure is discarded.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from agent import prompts
from agent.brains.base import Brain, Reading
from agent.brains.rules import RulesBrain

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_AMOUNT = re.compile(r"\d+(?:[.,]\d+)*\s?€")


def keeps_figures(draft: str, phrased: str) -> bool:
    """True when `phrased` has every amount of `draft` and no number the draft lacks."""
    if not phrased.strip():
        return False
    draft_numbers = set(_NUMBER.findall(draft))
    if not set(_NUMBER.findall(phrased)) <= draft_numbers:
        return False
    amounts = {re.sub(r"\s", "", a) for a in _AMOUNT.findall(draft)}
    return amounts <= {re.sub(r"\s", "", a) for a in _AMOUNT.findall(phrased)}


class LLMBrain:
    name = "llm"

    def __init__(self, model: BaseChatModel, *, fallback: Brain | None = None) -> None:
        self._model = model
        # Tool calling is the structured-output method most OpenAI-compatible servers support.
        self._reader = model.with_structured_output(Reading, method="function_calling")
        self._fallback = fallback or RulesBrain()
        self.calls = 0
        self.errors = 0

    def read(self, text: str, *, expecting: str | None, today: date) -> Reading:
        system = prompts.READ_SYSTEM.format(expecting=expecting or "nothing", today=today)
        self.calls += 1
        try:
            reading = self._reader.invoke([SystemMessage(system), HumanMessage(text)])
        except Exception as exc:  # any provider failure: the rules brain takes this turn
            self.errors += 1
            log.warning("llm read failed, using rules brain: %s", type(exc).__name__)
            return self._fallback.read(text, expecting=expecting, today=today)
        if not isinstance(reading, Reading):
            self.errors += 1
            return self._fallback.read(text, expecting=expecting, today=today)
        return reading

    def phrase(self, draft: str, *, text: str, stage: str) -> str:
        user = prompts.PHRASE_USER.format(stage=stage, text=text, draft=draft)
        self.calls += 1
        try:
            answer = self._model.invoke([SystemMessage(prompts.PHRASE_SYSTEM), HumanMessage(user)])
        except Exception as exc:
            self.errors += 1
            log.warning("llm phrase failed, sending the draft: %s", type(exc).__name__)
            return draft
        phrased = answer.text if isinstance(answer.text, str) else str(answer.content)
        if not keeps_figures(draft, phrased):
            log.warning("llm phrasing changed a figure; sending the draft")
            return draft
        return phrased.strip()
