"""What a customer can ask for at any stage: a person, BAJA, a restart, another language."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent import texts
from agent.context import AgentContext
from agent.stages.common import Update, say
from agent.state import AgentState


def explain_language(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """A message in another language: one reply in it, and a person offered."""
    return {
        "language_told": True,
        "expecting": "handoff_offer",
        "offer_reason": "language",
        "reply": say(
            state,
            texts.foreign(
                state["reading"].get("language") or "en", again=bool(state.get("language_told"))
            ),
        ),
    }


def _handoff(state: AgentState, reason: str) -> Update:
    if state.get("handoff") and state.get("handoff_reason") != "lead":
        return {"reply": say(state, texts.HANDOFF_AGAIN)}
    return {
        "handoff": True,
        "handoff_reason": reason,
        "expecting": None,
        "reply": say(state, texts.HANDOFF),
    }


def hand_off(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """At any stage: the customer asked for a person, or said yes to the one offered."""
    if state.get("expecting") != "handoff_offer":
        return _handoff(state, "customer_request")
    if state.get("ineligible"):
        return _handoff(state, "ineligible")
    return _handoff(state, state.get("offer_reason") or "customer_request")


def opt_out(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """At any stage: BAJA / STOP. Confirmed once; after this the bot stays silent."""
    return {"opted_out": True, "expecting": None, "reply": say(state, texts.OPTED_OUT)}


def restart(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """'Empezar de nuevo' (or ALTA after a BAJA): forget the sale, keep a consent already given."""
    consent = state.get("consent")
    kept = consent if consent and consent["given"] else None
    return {
        "stage": "NEEDS_ANALYSIS" if kept else "INICIO",
        "consent": kept,
        "profile": {},
        "pending_profile": {},
        "quote": None,
        "chosen": None,
        "handoff": False,
        "handoff_reason": None,
        "lead": False,
        "ineligible": None,
        "opted_out": False,
        "expecting": None,
        "pending_option": None,
        "misses": {},
        "offer_reason": None,
        "declared": {},
        "reading": {"intent": "restart"},
        "reply": say(state, texts.RESTARTED if kept else ""),
    }


def resume_bot(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """The customer takes back a request for a person: the bot goes on where it was."""
    return {
        "handoff": False,
        "handoff_reason": None,
        "reply": say(state, texts.RESUMED),
    }
