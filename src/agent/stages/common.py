"""Helpers every node shares: the reply so far, the clock, the customer's words, answers."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.answers import aside
from agent.context import AgentContext, context_of
from agent.profile import priced_data
from agent.state import PROFILE_FIELDS, AgentState

Update = dict
# Answers given to one message at most: a wall of text helps no one.
MAX_ANSWERS = 4


def say(state: AgentState, *parts: str) -> str:
    """The turn's reply so far, with `parts` appended as new paragraphs."""
    return "\n\n".join(p for p in (state.get("reply", ""), *parts) if p)


def now(runtime: Runtime[AgentContext]) -> str:
    """The run's clock as an ISO timestamp to the second: the stamp of declarations."""
    return context_of(runtime).clock().isoformat(timespec="seconds")


def last_customer_text(state: AgentState) -> str:
    """The text of the customer's newest message in the window ("" when there is none)."""
    for message in reversed(state.get("messages", [])):
        if message.type == "human":
            return message.text if isinstance(message.text, str) else str(message.content)
    return ""


def answer(reading: dict, quote: dict | None, runtime: Runtime[AgentContext]) -> str:
    """The answer to a question or objection, from the insurer's facts and tariff."""
    ctx = context_of(runtime)
    topics = [t for t in reading.get("topics") or [] if t != reading.get("topic")]
    answers = [aside(reading, quote, facts=ctx.facts, tariff=ctx.quotes)]
    for topic in topics[: MAX_ANSWERS - 1]:  # several questions pasted in one message
        answers.append(
            aside({**reading, "topic": topic}, quote, facts=ctx.facts, tariff=ctx.quotes)
        )
    return "\n\n".join(dict.fromkeys(a for a in answers if a))


def has_data(reading: dict) -> bool:
    """The message declared at least one datum of the profile."""
    return any(reading.get(k) is not None for k in (*PROFILE_FIELDS, "birth_date", "currency"))


def confirmed(profile: dict, at: str) -> dict:
    """The demands-and-needs entry for the data the customer confirmed before pricing."""
    return {"value": priced_data(profile), "at": at}


def option_named(quote: dict, option_id: str | None) -> dict | None:
    """The option of `quote` with id `option_id`, if there is one."""
    return next((o for o in quote["options"] if o["id"] == option_id), None)


def quote_of(state: AgentState) -> dict:
    """The quote of a conversation the funnel has priced (every stage from the proposal on)."""
    quote = state.get("quote")
    assert quote is not None, "no quote yet: only nodes after make_quote may ask for it"
    return quote


def chosen_option(state: AgentState) -> dict:
    """The option the customer confirmed (nodes that run once `chosen` is set)."""
    return next(o for o in quote_of(state)["options"] if o["id"] == state.get("chosen"))
