"""Pure routers: which node runs next, from the state alone.

"respond" means the turn's work is done: `agent.graph` phrases the reply in the same step and
ends the turn. Each router runs inside its node's step, on the state as the node leaves it.
"""

from __future__ import annotations

from typing import Literal

from agent.state import AgentState

StageNode = Literal["greet", "analyse_needs", "make_quote", "handle_proposal", "follow_up"]
STAGE_NODES: dict[str, StageNode] = {
    "INICIO": "greet",
    "NEEDS_ANALYSIS": "analyse_needs",
    "COTIZACION": "make_quote",
    "PRESENTACION_PROPUESTA": "handle_proposal",
    "FINALIZADO": "follow_up",
}


# A yes hedged with "me lo pienso", "es caro" or "espera" confirms nothing; nor one that asks
# who we are or what the data are for ("sí, pero ¿quiénes sois?"): answered first, asked again.
_HEDGES = frozenset({"think", "price", "trust", "wait", "distributor", "data"})


def plain_yes(reading: dict) -> bool:
    """The message is a yes, and not one hedged with doubt, a price complaint or distrust."""
    return reading.get("intent") == "affirm" and reading.get("topic") not in _HEDGES


def route_after_understand(
    state: AgentState,
) -> Literal[
    "opt_out",
    "restart",
    "hand_off",
    "respond",
    "greet",
    "analyse_needs",
    "make_quote",
    "handle_proposal",
    "follow_up",
    "explain_language",
    "resume_bot",
]:
    """After reading a message: a command (opt-out, restart, handoff) first, else the stage."""
    reading = state["reading"]
    intent = reading.get("intent")
    if state.get("opted_out"):
        # After BAJA only an explicit ALTA or "empezar de nuevo" gets an answer.
        return "restart" if intent in ("opt_in", "restart") else "respond"
    if intent == "opt_out":
        return "opt_out"
    if intent == "restart":
        return "restart"
    if intent == "handoff" or (state.get("expecting") == "handoff_offer" and plain_yes(reading)):
        return "hand_off"
    language = reading.get("language")
    # Told once; asked for consent or a person again, a customer who can't read Spanish gets
    # the offer in their language again: a yes to a question they can't read is no consent.
    asked = state.get("expecting") in ("consent", "handoff_offer")
    if language and language != "es" and (not state.get("language_told") or asked):
        return "explain_language"
    stage = state.get("stage", "INICIO")
    if intent == "resume" and state.get("handoff_reason") == "customer_request":
        return "resume_bot"
    if state.get("handoff") and stage != "FINALIZADO":
        return "respond"  # a human has the conversation: the bot keeps quiet
    return STAGE_NODES[stage]


def route_after_greet(state: AgentState) -> Literal["analyse_needs", "respond"]:
    """Into the needs analysis once consent was given this turn; otherwise the reply goes out."""
    return "analyse_needs" if state.get("stage") == "NEEDS_ANALYSIS" else "respond"


def route_after_resume(state: AgentState) -> StageNode:
    """Back to the stage the customer was at, with the same message (it may carry data)."""
    return STAGE_NODES[state.get("stage", "INICIO")]


def route_after_restart(state: AgentState) -> Literal["greet", "analyse_needs"]:
    """Into the needs analysis when an earlier consent was kept; otherwise greet again."""
    return "analyse_needs" if state.get("stage") == "NEEDS_ANALYSIS" else "greet"


def route_after_needs(state: AgentState) -> Literal["make_quote", "respond"]:
    """Price the profile once the customer confirmed it; otherwise the reply goes out."""
    return "make_quote" if state.get("stage") == "COTIZACION" else "respond"


def route_after_proposal(state: AgentState) -> Literal["make_quote", "close_sale", "respond"]:
    """Re-price a changed datum, close a confirmed choice, or just reply."""
    if state.get("stage") == "COTIZACION":
        return "make_quote"
    return "close_sale" if state.get("chosen") else "respond"
