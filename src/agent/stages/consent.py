"""INICIO: the greeting, the automated-assistant notice and the consent question."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent import texts
from agent.context import AgentContext
from agent.routing import plain_yes
from agent.stages.common import Update, answer, has_data, now, say
from agent.state import AgentState


def greet(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """INICIO: introduce the assistant and ask for consent to use the customer's data."""
    reading, consent, expecting = state["reading"], state.get("consent"), state.get("expecting")
    intent = reading.get("intent")
    data = {k: v for k, v in reading.items() if k not in ("intent", "topic", "option")}
    pending = {**(state.get("pending_profile") or {}), **data}

    if expecting == "handoff_offer" and consent is None:  # a person declined: back to consent
        return {
            "reply": say(state, texts.HANDOFF_DECLINED, texts.CONSENT_QUESTION),
            "expecting": "consent",
            "pending_profile": pending,
        }
    if consent is None and expecting != "consent":
        if state.get("channel") == "sms":
            opening = [texts.GREETING_SMS]
        else:
            name = f" {data['name']}" if "name" in data else ""
            # A question in the first message gets its answer before the consent question.
            asked = intent in ("question", "objection") and reading.get("topic") != "other"
            said = answer(reading, None, runtime) if asked else ""  # the greeting says the rest
            opening = [texts.GREETING.format(name=name), said, texts.CONSENT_QUESTION]
        return {
            "reply": say(state, *opening),
            "expecting": "consent",
            "pending_profile": pending,
        }
    if expecting == "consent" and plain_yes(reading):
        return _consented(state, runtime, pending)
    # "no fumo" is data, not a refusal: only a no that says nothing else refuses.
    if expecting == "consent" and intent == "deny" and not has_data(reading):
        refused_before = consent is not None and not consent["given"]
        return {
            "consent": {"given": False, "at": now(runtime)},
            "reply": say(
                state, texts.CONSENT_STILL_REFUSED if refused_before else texts.CONSENT_REFUSED
            ),
            "pending_profile": {},
            "expecting": None,
            "misses": {},
        }
    if consent is not None and not consent["given"] and expecting != "consent":
        # Refused once: consent in so many words ("acepto", as the refusal invited) counts;
        # a bare yes only when it answers the question asked afresh.
        if reading.get("consents") and intent not in ("deny", "opt_out"):
            return _consented(state, runtime, pending)
        if intent == "affirm":
            return {"reply": say(state, texts.CONSENT_ASK_AGAIN), "expecting": "consent"}
        return {"reply": say(state, answer(reading, None, runtime) or texts.CONSENT_STILL_REFUSED)}
    # "sí, pero ¿es fiable esto?": a yes hedged with a doubt is no consent; the doubt is answered.
    said = answer(_asked(reading) if intent == "affirm" else reading, None, runtime)
    misses = (state.get("misses") or {}).get("consent", 0) + (not said)
    if misses >= 3:  # the third miss: a person may help where the bot could not
        return {
            "reply": say(state, texts.OFFER_PERSON),
            "expecting": "handoff_offer",
            "offer_reason": "stuck",
            "pending_profile": pending,
            "misses": {},
        }
    reminder = texts.CONSENT_REMINDERS[min(misses, len(texts.CONSENT_REMINDERS) - 1)]
    return {
        "reply": say(state, said, reminder),
        "pending_profile": pending,
        "misses": {"consent": misses},
    }


def _asked(reading: dict) -> dict:
    """The question a yes came with ("sí, ¿puedo pagar mensual?"), as one to answer."""
    return {**reading, "intent": "question"} if reading.get("topic") not in (None, "other") else {}


def _consented(state: AgentState, runtime: Runtime[AgentContext], pending: dict) -> Update:
    """Consent given: on to the data, with whatever the customer already told us.

    A question asked with the yes is answered after the thanks, before the first datum is asked.
    """
    return {
        "consent": {"given": True, "at": now(runtime)},
        "stage": "NEEDS_ANALYSIS",
        "reply": say(state, texts.CONSENT_THANKS, answer(_asked(state["reading"]), None, runtime)),
        "reading": {**pending, "intent": "affirm"},
        "pending_profile": {},
        "expecting": None,
        "misses": {},
    }
