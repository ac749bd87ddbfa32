"""COTIZACION to FINALIZADO: the quote, the confirmed choice, and what comes after it."""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from agent import texts
from agent.context import AgentContext, context_of
from agent.profile import UNPRICED, absorb
from agent.quote import format_eur
from agent.routing import plain_yes
from agent.stages.common import (
    Update,
    answer,
    chosen_option,
    confirmed,
    has_data,
    now,
    option_named,
    quote_of,
    say,
)
from agent.state import AgentState


def make_quote(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """COTIZACION: price the confirmed profile with the tariff and lay out the options."""
    profile = state["profile"]
    quote = context_of(runtime).quotes.quote(
        age=profile["age"], smoker=profile["smoker"], cover=profile["cover"], term=profile["term"]
    )
    name, cover = texts.name_suffix(profile), format_eur(quote["cover"])
    if state.get("channel") == "sms":
        header = texts.PROPOSAL_SMS.format(name=name, cover=cover, term=texts.years(quote["term"]))
        lines = "\n".join(texts.option_lines_sms(quote))
        parts: tuple[str, ...] = (f"{header}\n{lines}\n{texts.PROPOSAL_FOOTER_SMS}",)
    else:
        smoker = texts.smoker_label(quote["smoker"], relation=texts.insured_relation(profile))
        header = texts.PROPOSAL_HEADER.format(
            name=name, cover=cover, term=texts.years(quote["term"]), smoker=smoker
        )
        lines = "\n".join(texts.option_lines(quote))
        parts = (f"{header}\n\n{lines}", texts.ILLUSTRATIVE, texts.PROPOSAL_FOOTER)
    return {
        "quote": quote,
        "chosen": None,
        "pending_option": None,
        "stage": "PRESENTACION_PROPUESTA",
        "expecting": "option",
        "reply": say(state, *parts),
        "buttons": [
            {
                "id": f"option:{i}",
                "title": opt["name"],
                "detail": f"{texts.price(opt['monthly'])}/mes",
            }
            for i, opt in enumerate(quote["options"], start=1)
        ],
    }


def _picked(reading: dict, expecting: str | None, quote: dict) -> dict | None:
    """The option a message clearly picks: never one only asked about, compared or refused."""
    option = reading.get("option")
    if not option and reading.get("intent") == "choose_option" and reading.get("price_named"):
        return _costing(quote, reading["price_named"])
    if not option or reading.get("intent") not in ("choose_option", "affirm", "provide_info"):
        return None
    if reading.get("intent") != "choose_option" and expecting not in ("option", "confirm_option"):
        return None
    return quote["options"][option - 1] if 1 <= option <= len(quote["options"]) else None


def _just_named(state: AgentState, quote: dict) -> dict | None:
    """The one option the bot's last message talked about ("la más económica es la Básica")."""
    said = next((m.text for m in reversed(state.get("messages", [])) if m.type == "ai"), "")
    named = [o for o in quote["options"] if re.search(rf"\b{re.escape(o['name'])}\b", said)]
    return named[0] if len(named) == 1 else None


def _confirm_text(option: dict, quote: dict, channel: str | None) -> str:
    """The question that asks the customer to confirm `option` before it is taken."""
    if channel == "sms":
        return texts.CONFIRM_OPTION_SMS.format(
            option=option["name"], monthly=texts.price(option["monthly"])
        )
    return texts.CONFIRM_OPTION.format(
        option=option["name"],
        monthly=texts.price(option["monthly"]),
        annual=texts.price(option["annual"]),
        cover=format_eur(option["cover"]),
        term=texts.years(quote["term"]),
    )


def handle_proposal(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """PRESENTACION_PROPUESTA: a confirmed choice, a changed datum, a question or an objection."""
    ctx, reading, quote = context_of(runtime), state["reading"], quote_of(state)
    intent, expecting = reading.get("intent"), state.get("expecting")
    pending = (
        option_named(quote, state.get("pending_option")) if expecting == "confirm_option" else None
    )
    picked = _picked(reading, expecting, quote)
    if picked is None and reading.get("refers_back"):
        picked = pending or _just_named(state, quote)  # "vale, esa": the one just talked about
    if pending and plain_yes(reading) and (picked is None or picked["id"] == pending["id"]):
        return {"chosen": pending["id"], "pending_option": None}
    if pending and picked and picked["id"] == pending["id"] and intent == "choose_option":
        return {"chosen": pending["id"], "pending_option": None}
    if picked:
        # "me quedo con la 2, pero ¿hay permanencia?": the question answered, the pick confirmed
        aside = reading.get("topic") not in (None, "other") and intent == "choose_option"
        said = answer({**reading, "intent": "question"}, quote, runtime) if aside else ""
        return {
            "pending_option": picked["id"],
            "expecting": "confirm_option",
            "reply": say(state, said, _confirm_text(picked, quote, state.get("channel"))),
        }
    if pending and intent == "deny" and not has_data(reading):
        return {
            "pending_option": None,
            "expecting": "option",
            "reply": say(state, texts.NOT_THAT_ONE),
        }

    absorbed = absorb(
        reading, state, ctx.quotes, ctx.clock(), retirement_age=ctx.facts.retirement_age
    )
    noted = texts.summary(absorbed.accepted, relation=texts.insured_relation(absorbed.profile))
    if absorbed.profile.get("insured") == "unsure":
        # "¿y para mi mujer cuánto sería? tiene 38": whose life first, then the relative's data
        # asked for and read back, as before any quote; never priced with the writer's smoking.
        ask = texts.question("insured", relation=absorbed.profile.get("insured_relation"))
        return {
            "profile": absorbed.profile,
            "declared": absorbed.declared,
            "stage": "NEEDS_ANALYSIS",
            "expecting": "insured",
            "pending_option": None,
            "reply": say(state, noted, ask),
        }
    if not absorbed.accepted.keys() <= UNPRICED:
        stamp = now(runtime)
        return {
            "profile": absorbed.profile,
            "declared": {**absorbed.declared, "confirmed": confirmed(absorbed.profile, stamp)},
            "stage": "COTIZACION",
            "reply": say(state, noted, *absorbed.explanations, texts.REQUOTED),
        }
    # Nothing priced changed: what was added ("somos 3 en casa") is noted, the same quote stands.
    kept: Update = (
        {"profile": absorbed.profile, "declared": absorbed.declared} if absorbed.accepted else {}
    )
    again = texts.CONFIRM_AGAIN.format(option=pending["name"]) if pending else texts.PICK_ONE
    if absorbed.ineligible or absorbed.explanations:
        why = [absorbed.ineligible_why] if absorbed.ineligible else absorbed.explanations
        return {**kept, "reply": say(state, noted, *why, again)}

    said = answer(reading, quote, runtime)
    if said:
        after = "" if intent == "objection" and not pending else again
        return {**kept, "reply": say(state, noted, said, after)}
    if intent == "deny":
        if reading.get("options_mentioned"):
            return {
                **kept,
                "pending_option": None,
                "expecting": "option",
                "reply": say(state, noted, texts.NOT_THAT_ONE),
            }
        return {**kept, "reply": say(state, noted, texts.NO_CHOICE)}
    if intent in ("affirm", "choose_option", "thanks") or noted:
        return {**kept, "reply": say(state, noted, again)}
    return {"reply": say(state, texts.NOT_UNDERSTOOD, again)}


def close_sale(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """FINALIZADO: confirm the choice and hand the lead to a human advisor."""
    option = chosen_option(state)
    closed = texts.CLOSED_SMS if state.get("channel") == "sms" else texts.CLOSED
    reply = closed.format(
        name=texts.name_suffix(state["profile"]),
        option=option["name"],
        monthly=texts.price(option["monthly"]),
        annual=texts.price(option["annual"]),
        cover=format_eur(option["cover"]),
        term=texts.years(quote_of(state)["term"]),
    )
    return {
        "stage": "FINALIZADO",
        "lead": True,
        "handoff": True,
        "handoff_reason": "lead",
        "expecting": None,
        "reply": say(state, reply),
    }


def follow_up(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """After FINALIZADO: sensible answers, corrections re-priced, never a restart."""
    ctx, reading = context_of(runtime), state["reading"]
    if not state.get("chosen"):  # an operator closed the conversation before any choice
        said = answer(reading, state.get("quote"), runtime)
        return {"reply": say(state, said, texts.CLOSED_FOLLOW_UP)}
    quote = quote_of(state)
    intent, expecting = reading.get("intent"), state.get("expecting")
    pending = (
        option_named(quote, state.get("pending_option")) if expecting == "confirm_option" else None
    )
    picked = _picked(reading, "option" if expecting == "confirm_option" else None, quote)
    if pending and (plain_yes(reading) or (picked and picked["id"] == pending["id"])):
        reply = texts.CHANGED_CHOICE.format(
            option=pending["name"],
            monthly=texts.price(pending["monthly"]),
            annual=texts.price(pending["annual"]),
        )
        return {
            "chosen": pending["id"],
            "pending_option": None,
            "expecting": None,
            "reply": say(state, reply),
        }
    if picked and picked["id"] != state.get("chosen"):
        return {
            "pending_option": picked["id"],
            "expecting": "confirm_option",
            "reply": say(state, _confirm_text(picked, quote, state.get("channel"))),
        }
    if pending and intent == "deny":
        return {
            "pending_option": None,
            "expecting": None,
            "reply": say(state, texts.HANDOFF_DECLINED),
        }
    absorbed = absorb(
        reading, state, ctx.quotes, ctx.clock(), retirement_age=ctx.facts.retirement_age
    )
    if absorbed.profile.get("insured") == "unsure":  # never re-priced with the writer's data
        relation = texts.insured_relation(absorbed.profile)
        relation = "familiar" if relation in (None, "otro") else relation
        return {"reply": say(state, texts.OTHER_AFTER_CLOSE.format(relation=relation))}
    if absorbed.accepted.keys() <= UNPRICED and absorbed.accepted:
        # Nothing priced changed ("tenemos 3 hijos"): noted, the request stands as it was.
        said = answer(reading, quote, runtime) if intent == "question" else ""
        noted = texts.summary(absorbed.accepted, relation=texts.insured_relation(absorbed.profile))
        return {
            "profile": absorbed.profile,
            "declared": absorbed.declared,
            "reply": say(state, noted, said),
        }
    if absorbed.accepted:
        profile = absorbed.profile
        quote = ctx.quotes.quote(
            age=profile["age"],
            smoker=profile["smoker"],
            cover=profile["cover"],
            term=profile["term"],
        )
        option = option_named(quote, state.get("chosen")) or quote["options"][0]
        reply = texts.UPDATED_AFTER_CLOSE.format(
            option=option["name"],
            monthly=texts.price(option["monthly"]),
            annual=texts.price(option["annual"]),
        )
        stamp = now(runtime)
        return {
            "profile": profile,
            "declared": {**absorbed.declared, "confirmed": confirmed(profile, stamp)},
            "quote": quote,
            "reply": say(
                state,
                texts.summary(absorbed.accepted, relation=texts.insured_relation(profile)),
                *absorbed.explanations,
                reply,
            ),
        }
    if absorbed.explanations:
        return {"reply": say(state, *absorbed.explanations)}
    if intent == "thanks":
        return {"reply": say(state, texts.YOU_ARE_WELCOME)}
    said = answer(reading, quote, runtime)
    if said:  # the request is on record: answer the question, don't repeat the whole reminder
        return {"reply": say(state, said)}
    option = chosen_option(state)
    reminder = texts.FOLLOW_UP.format(option=option["name"], monthly=texts.price(option["monthly"]))
    return {"reply": say(state, reminder)}


def _costing(quote: dict, price: float) -> dict | None:
    """The one option whose monthly or annual premium is `price`, in whole euros or within 5 %."""

    def near(amount: str) -> bool:
        value = float(amount)
        return int(value) == int(price) or abs(value - price) <= 0.05 * value

    found = [o for o in quote["options"] if near(o["monthly"]) or near(o["annual"])]
    return found[0] if len(found) == 1 else None
