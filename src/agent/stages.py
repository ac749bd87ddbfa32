"""One node per step of the sale. Each reads the state and returns a partial update."""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent import texts
from agent.answers import aside
from agent.context import AgentContext, context_of
from agent.profile import absorb, missing_field
from agent.quote import format_eur
from agent.state import AgentState

Update = dict


def _say(state: AgentState, *parts: str) -> str:
    """The turn's reply so far, with `parts` appended as new paragraphs."""
    return "\n\n".join(p for p in (state.get("reply", ""), *parts) if p)


def _now(runtime: Runtime[AgentContext]) -> str:
    return context_of(runtime).clock().isoformat(timespec="seconds")


def _last_customer_text(state: AgentState) -> str:
    for message in reversed(state.get("messages", [])):
        if message.type == "human":
            return message.text if isinstance(message.text, str) else str(message.content)
    return ""


def understand(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    ctx = context_of(runtime)
    reading = ctx.brain.read(
        _last_customer_text(state), expecting=state.get("expecting"), today=ctx.clock().date()
    )
    return {
        "reading": reading.model_dump(mode="json", exclude_none=True),
        "stage": state.get("stage", "INICIO"),
        "reply": "",
        "buttons": [],
        "turns": state.get("turns", 0) + 1,
    }


def greet(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """INICIO: introduce the assistant and ask for consent to use the customer's data."""
    reading, consent = state["reading"], state.get("consent")
    intent = reading.get("intent")
    data = {k: v for k, v in reading.items() if k not in ("intent", "topic", "option")}
    pending = {**(state.get("pending_profile") or {}), **data}

    if consent is None and state.get("expecting") != "consent":
        if state.get("channel") == "sms":
            opening = [texts.GREETING_SMS]
        else:
            name = f" {data['name']}" if "name" in data else ""
            opening = [texts.GREETING.format(name=name), texts.CONSENT_QUESTION]
        return {
            "reply": _say(state, *opening),
            "expecting": "consent",
            "pending_profile": pending,
        }
    if intent == "affirm":
        return {
            "consent": {"given": True, "at": _now(runtime)},
            "stage": "NEEDS_ANALYSIS",
            "reply": _say(state, texts.CONSENT_THANKS),
            "reading": {**pending, "intent": "affirm"},
            "pending_profile": {},
            "expecting": None,
        }
    if intent == "deny":
        refused_before = consent is not None and not consent["given"]
        return {
            "consent": {"given": False, "at": _now(runtime)},
            "reply": _say(
                state, texts.CONSENT_STILL_REFUSED if refused_before else texts.CONSENT_REFUSED
            ),
            "pending_profile": {},
            "expecting": None,
        }
    if consent is not None and not consent["given"]:
        # Refused once: answer what they ask, never ask for consent again.
        return {"reply": _say(state, aside(reading, None) or texts.CONSENT_STILL_REFUSED)}
    return {
        "reply": _say(state, aside(reading, None), texts.CONSENT_REMINDER),
        "pending_profile": pending,
    }


def analyse_needs(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """NEEDS_ANALYSIS: take in the data, explain what is out of range, ask what is missing."""
    ctx, reading = context_of(runtime), state["reading"]
    intent = reading.get("intent")
    if state.get("ineligible") and state.get("expecting") == "handoff_offer":
        if intent == "affirm":
            return _handoff(state, "ineligible")
        if intent == "deny":
            return {"reply": _say(state, texts.INELIGIBLE_DECLINED), "expecting": None}

    absorbed = absorb(reading, state, ctx.quotes, ctx.clock())
    update: Update = {
        "profile": absorbed.profile,
        "declared": absorbed.declared,
        "ineligible": absorbed.ineligible,
    }
    parts = [texts.summary(absorbed.accepted)]
    if absorbed.ineligible:
        why = absorbed.ineligible_why
        name = texts.name_suffix(absorbed.profile)
        parts.append(texts.INELIGIBLE.format(name=name, why=why))
        return {**update, "reply": _say(state, *parts), "expecting": "handoff_offer"}

    parts.extend(absorbed.explanations)
    if not absorbed.accepted and not absorbed.explanations:
        said = aside(reading, None)
        if not said and intent in ("unknown", "provide_info", "deny"):
            said = texts.NOT_UNDERSTOOD
        parts.append(said)
    missing = missing_field(absorbed.profile)
    if missing:
        parts.append(texts.QUESTIONS[missing])
        return {**update, "reply": _say(state, *parts), "expecting": missing}
    return {**update, "reply": _say(state, *parts), "expecting": None, "stage": "COTIZACION"}


def make_quote(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """COTIZACION: price the profile with the tariff and lay out the three options."""
    profile = state["profile"]
    quote = context_of(runtime).quotes.quote(
        age=profile["age"], smoker=profile["smoker"], cover=profile["cover"], term=profile["term"]
    )
    name, cover = texts.name_suffix(profile), format_eur(quote["cover"])
    if state.get("channel") == "sms":
        header = texts.PROPOSAL_SMS.format(name=name, cover=cover, term=quote["term"])
        lines = "\n".join(texts.option_lines_sms(quote))
        parts = (f"{header}\n{lines}", texts.PROPOSAL_FOOTER_SMS)
    else:
        smoker = texts.smoker_label(quote["smoker"])
        header = texts.PROPOSAL_HEADER.format(
            name=name, cover=cover, term=quote["term"], smoker=smoker
        )
        lines = "\n".join(texts.option_lines(quote))
        parts = (f"{header}\n\n{lines}", texts.ILLUSTRATIVE, texts.PROPOSAL_FOOTER)
    return {
        "quote": quote,
        "chosen": None,
        "stage": "PRESENTACION_PROPUESTA",
        "expecting": "option",
        "reply": _say(state, *parts),
        "buttons": [
            {
                "id": f"option:{i}",
                "title": opt["name"],
                "detail": f"{texts.price(opt['monthly'])}/mes",
            }
            for i, opt in enumerate(quote["options"], start=1)
        ],
    }


def _option_index(reading: dict, expecting: str | None, count: int) -> int | None:
    option = reading.get("option")
    if option and (reading.get("intent") == "choose_option" or expecting == "option"):
        return option - 1 if 1 <= option <= count else None
    return None


def handle_proposal(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """PRESENTACION_PROPUESTA: take the choice, a changed datum, a question or an objection."""
    ctx, reading, quote = context_of(runtime), state["reading"], state["quote"]
    index = _option_index(reading, state.get("expecting"), len(quote["options"]))
    if index is not None:
        return {"chosen": quote["options"][index]["id"]}

    absorbed = absorb(reading, state, ctx.quotes, ctx.clock())
    if absorbed.accepted:
        return {
            "profile": absorbed.profile,
            "declared": absorbed.declared,
            "stage": "COTIZACION",
            "reply": _say(
                state, texts.summary(absorbed.accepted), *absorbed.explanations, texts.REQUOTED
            ),
        }
    if absorbed.ineligible or absorbed.explanations:
        why = [absorbed.ineligible_why] if absorbed.ineligible else absorbed.explanations
        return {"reply": _say(state, *why, texts.PICK_ONE)}

    intent = reading.get("intent")
    said = aside(reading, quote)
    if said:
        return {"reply": _say(state, said, "" if intent == "objection" else texts.PICK_ONE)}
    if intent == "deny":
        return {"reply": _say(state, texts.NO_CHOICE)}
    if intent in ("affirm", "choose_option", "thanks"):
        return {"reply": _say(state, texts.PICK_ONE)}
    return {"reply": _say(state, texts.NOT_UNDERSTOOD, texts.PICK_ONE)}


def _chosen_option(state: AgentState, chosen: str) -> dict:
    return next(o for o in state["quote"]["options"] if o["id"] == chosen)


def close_sale(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """FINALIZADO: confirm the choice and hand the lead to a human advisor."""
    option = _chosen_option(state, state["chosen"])
    reply = texts.CLOSED.format(
        name=texts.name_suffix(state["profile"]),
        option=option["name"],
        monthly=texts.price(option["monthly"]),
        annual=texts.price(option["annual"]),
        cover=format_eur(option["cover"]),
        term=state["quote"]["term"],
    )
    return {
        "stage": "FINALIZADO",
        "lead": True,
        "handoff": True,
        "handoff_reason": "lead",
        "expecting": None,
        "reply": _say(state, reply),
    }


def follow_up(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """After FINALIZADO: sensible answers, never a restart of the interview."""
    reading, quote = state["reading"], state.get("quote")
    if not state.get("chosen"):  # an operator closed the conversation before any choice
        return {"reply": _say(state, aside(reading, quote), texts.CLOSED_FOLLOW_UP)}
    index = _option_index(reading, None, len(quote["options"]))
    if index is not None and quote["options"][index]["id"] != state.get("chosen"):
        option = quote["options"][index]
        reply = texts.CHANGED_CHOICE.format(
            option=option["name"],
            monthly=texts.price(option["monthly"]),
            annual=texts.price(option["annual"]),
        )
        return {"chosen": option["id"], "reply": _say(state, reply)}
    if reading.get("intent") == "thanks":
        return {"reply": _say(state, texts.YOU_ARE_WELCOME)}
    option = _chosen_option(state, state["chosen"])
    return {
        "reply": _say(
            state,
            aside(reading, quote),
            texts.FOLLOW_UP.format(option=option["name"], monthly=texts.price(option["monthly"])),
        )
    }


def _handoff(state: AgentState, reason: str) -> Update:
    if state.get("handoff") and state.get("handoff_reason") != "lead":
        return {"reply": _say(state, texts.HANDOFF_AGAIN)}
    return {
        "handoff": True,
        "handoff_reason": reason,
        "expecting": None,
        "reply": _say(state, texts.HANDOFF),
    }


def hand_off(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """At any stage: the customer asked for a person."""
    return _handoff(state, "customer_request")


def opt_out(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """At any stage: BAJA / STOP. Confirmed once; after this the bot stays silent."""
    return {"opted_out": True, "expecting": None, "reply": _say(state, texts.OPTED_OUT)}


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
        "reading": {"intent": "restart"},
        "reply": _say(state, texts.RESTARTED if kept else ""),
    }


def respond(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """Let the brain phrase the reply (prices untouched) and remember it in the message window."""
    draft = state.get("reply", "")
    if not draft:
        return {}
    reply = context_of(runtime).brain.phrase(
        draft, text=_last_customer_text(state), stage=state.get("stage", "INICIO")
    )
    return {"reply": reply, "messages": [AIMessage(reply)]}
