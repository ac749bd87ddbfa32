"""The llm brain: the rules read first, a chat model reads what they can't and rephrases.

A message is read by the rules brain; the model is asked only when that Reading is not
`confident` (agent/brains/confidence.py: free-form, an unknown intent, another language, a
figure left over). Replies are reworded by the model as `rephrase` says: never ("off"), the
proposal stage's only ("proposal"), or every one ("all"). So a typical turn costs no model call,
and none costs more than two. Any model error or timeout keeps the rules' Reading or the draft,
so a turn never fails because the model did. The model never decides a number: a rephrased
reply that adds, drops or changes any figure is discarded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Literal, Unpack

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from agent import prompts
from agent.brains.base import Brain, ReadContext, Reading
from agent.brains.confidence import confident
from agent.brains.rules import RulesBrain

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_AMOUNT = re.compile(r"\d+(?:[.,]\d+)*\s?€")

Rephrase = Literal["off", "proposal", "all"]
PROPOSAL_STAGES = frozenset({"PRESENTACION_PROPUESTA"})  # the quote laid out, options discussed


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
    """A Brain backed by a chat model, with the rules brain as its fallback."""

    name = "llm"

    def __init__(
        self,
        model: BaseChatModel,
        *,
        fallback: Brain | None = None,
        on_call: Callable[[str, str | None], None] | None = None,
        on_read: Callable[[str], None] | None = None,
        rephrase: Rephrase = "proposal",
    ) -> None:
        """Wrap `model`; `fallback` reads first and takes any call the model fails (rules).

        `on_call(call, error)` hears of every model call ("read" or "phrase"), with the error's
        name when it failed, and `on_read(reader)` of every message read ("rules" when their
        Reading was confident, else "model"): how the service counts them without this package
        knowing about metrics. `rephrase` says which drafts the model rewords.
        """
        self._model = model
        # Tool calling is the structured-output method most OpenAI-compatible servers support.
        self._reader = model.with_structured_output(Reading, method="function_calling")
        self._fallback = fallback or RulesBrain()
        self._on_call = on_call
        self._on_read = on_read
        self.rephrase = rephrase
        self.calls = 0
        self.errors = 0

    def _called(self, call: str, error: str | None = None) -> None:
        self.calls += 1
        self.errors += bool(error)
        if self._on_call is not None:
            self._on_call(call, error)

    def read(self, text: str, **context: Unpack[ReadContext]) -> Reading:
        """The rules' Reading of `text` if confident, else the model's (the rules' if it fails)."""
        first = self._fallback.read(text, **context)
        trusted = confident(first, text)
        if self._on_read is not None:
            self._on_read("rules" if trusted else "model")
        if trusted:
            return first
        expecting, today = context["expecting"], context["today"]
        system = prompts.READ_SYSTEM.format(expecting=expecting or "nothing", today=today)
        if known := context.get("known"):
            system += prompts.KNOWN.format(known=", ".join(sorted(known)))
        try:
            reading = self._reader.invoke([SystemMessage(system), HumanMessage(text)])
        except Exception as exc:  # any provider failure: the rules brain takes this turn
            self._called("read", type(exc).__name__)
            # The error's own text only at DEBUG: providers quote the request in it.
            log.warning("llm read failed, using rules brain: %s", type(exc).__name__)
            log.debug("llm read error", exc_info=True)
            return first
        if not isinstance(reading, Reading):
            self._called("read", "invalid_output")
            return first
        self._called("read")
        return reading

    def phrase(self, draft: str, *, text: str, stage: str) -> str:
        """The model's wording of `draft` if `rephrase` covers `stage`; else the draft itself.

        The draft is also what goes out when the model fails or changes a figure.
        """
        if self.rephrase == "off" or (self.rephrase == "proposal" and stage not in PROPOSAL_STAGES):
            return draft
        user = prompts.PHRASE_USER.format(stage=stage, text=text, draft=draft)
        try:
            answer = self._model.invoke([SystemMessage(prompts.PHRASE_SYSTEM), HumanMessage(user)])
        except Exception as exc:
            self._called("phrase", type(exc).__name__)
            log.warning("llm phrase failed, sending the draft: %s", type(exc).__name__)
            log.debug("llm phrase error", exc_info=True)
            return draft
        self._called("phrase")
        phrased = answer.text if isinstance(answer.text, str) else str(answer.content)
        if not keeps_figures(draft, phrased):
            log.warning("llm phrasing changed a figure; sending the draft")
            return draft
        return phrased.strip()
