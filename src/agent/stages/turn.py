"""How every turn starts and ends: understand the message; phrase the reply.

`understand` is the turn's first node; `respond` is not a node of its own: `agent.graph` runs it
at the end of the step whose router says "respond" (one LangGraph step fewer per turn).
"""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent import texts, voice
from agent.brains.base import Reading
from agent.context import AgentContext, context_of
from agent.profile import priced_data
from agent.stages.common import Update, last_customer_text
from agent.state import AgentState


def understand(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """Read the customer's message (or tapped button) into `reading` and open a fresh reply."""
    ctx = context_of(runtime)
    if choice := state.get("choice"):
        # A tapped option button says what it means: nothing to read, no model call.
        reading = Reading(intent="choose_option", option=choice)
    else:
        profile = state.get("profile") or {}
        reading = ctx.brain.read(
            last_customer_text(state),
            expecting=state.get("expecting"),
            today=ctx.clock().date(),
            known=frozenset(priced_data(profile)),  # with insured_relation when not their own
        )
    update: Update = {
        "reading": {
            k: v
            for k, v in reading.model_dump(mode="json", exclude_none=True).items()
            if k != "topics" or v  # most messages ask one thing: keep the state small
        },
        "stage": state.get("stage", "INICIO"),
        "reply": "",
        "buttons": [],
        "turns": state.get("turns", 0) + 1,
    }
    if reading.formality:  # mirror the customer's register from their latest say on it
        update["formal"] = reading.formality == "usted"
    if choice:
        update["choice"] = None  # an input of this turn only, not of the next
    return update


def respond(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """Let the brain phrase the reply (prices untouched) and remember it in the message window."""
    draft = state.get("reply", "")
    if not draft:
        return {}
    reply = context_of(runtime).brain.phrase(
        draft, text=last_customer_text(state), stage=state.get("stage", "INICIO")
    )
    reply = _not_again(reply, state)
    if state.get("formal"):
        reply = voice.formal(reply)
    return {"reply": reply, "messages": [AIMessage(reply)]}


def _not_again(reply: str, state: AgentState) -> str:
    """The same answer twice in a row points back to it and keeps only the closing question."""
    previous = next((m for m in reversed(state.get("messages", [])) if m.type == "ai"), None)
    said = voice.formal(reply) if state.get("formal") else reply
    paragraphs = reply.split("\n\n")
    if previous is None or previous.text != said or len(paragraphs) < 2:
        return reply
    return "\n\n".join((texts.SAID_ABOVE, paragraphs[-1]))
