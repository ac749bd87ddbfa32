"""One node per step of the sale. Each reads the state and returns a partial update."""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent import texts, voice
from agent.answers import aside
from agent.brains.base import Reading
from agent.context import AgentContext, context_of
from agent.profile import absorb, missing_field, priced_data
from agent.quote import format_eur
from agent.routing import plain_yes
from agent.state import PROFILE_FIELDS, AgentState

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


def _answer(reading: dict, quote: dict | None, runtime: Runtime[AgentContext]) -> str:
    """The answer to a question or objection, from the insurer's facts and tariff."""
    ctx = context_of(runtime)
    return aside(reading, quote, facts=ctx.facts, tariff=ctx.quotes)


def understand(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    ctx = context_of(runtime)
    if choice := state.get("choice"):
        # A tapped option button says what it means: nothing to read, no model call.
        reading = Reading(intent="choose_option", option=choice)
    else:
        reading = ctx.brain.read(
            _last_customer_text(state), expecting=state.get("expecting"), today=ctx.clock().date()
        )
    update: Update = {
        "reading": reading.model_dump(mode="json", exclude_none=True),
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


def greet(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """INICIO: introduce the assistant and ask for consent to use the customer's data."""
    reading, consent, expecting = state["reading"], state.get("consent"), state.get("expecting")
    intent = reading.get("intent")
    data = {k: v for k, v in reading.items() if k not in ("intent", "topic", "option")}
    pending = {**(state.get("pending_profile") or {}), **data}

    if expecting == "handoff_offer" and consent is None:  # a person declined: back to consent
        return {
            "reply": _say(state, texts.HANDOFF_DECLINED, texts.CONSENT_QUESTION),
            "expecting": "consent",
            "pending_profile": pending,
        }
    if consent is None and expecting != "consent":
        if state.get("channel") == "sms":
            opening = [texts.GREETING_SMS]
        else:
            name = f" {data['name']}" if "name" in data else ""
            # A question in the first message gets its answer before the consent question.
            said = _answer(reading, None, runtime) if intent in ("question", "objection") else ""
            opening = [texts.GREETING.format(name=name), said, texts.CONSENT_QUESTION]
        return {
            "reply": _say(state, *opening),
            "expecting": "consent",
            "pending_profile": pending,
        }
    if expecting == "consent" and plain_yes(reading):
        return {
            "consent": {"given": True, "at": _now(runtime)},
            "stage": "NEEDS_ANALYSIS",
            "reply": _say(state, texts.CONSENT_THANKS),
            "reading": {**pending, "intent": "affirm"},
            "pending_profile": {},
            "expecting": None,
            "misses": {},
        }
    # "no fumo" is data, not a refusal: only a no that says nothing else refuses.
    if expecting == "consent" and intent == "deny" and not _has_data(reading):
        refused_before = consent is not None and not consent["given"]
        return {
            "consent": {"given": False, "at": _now(runtime)},
            "reply": _say(
                state, texts.CONSENT_STILL_REFUSED if refused_before else texts.CONSENT_REFUSED
            ),
            "pending_profile": {},
            "expecting": None,
            "misses": {},
        }
    if consent is not None and not consent["given"] and expecting != "consent":
        # Refused once: only a yes to the question asked afresh counts as consent.
        if intent == "affirm":
            return {"reply": _say(state, texts.CONSENT_ASK_AGAIN), "expecting": "consent"}
        return {
            "reply": _say(state, _answer(reading, None, runtime) or texts.CONSENT_STILL_REFUSED)
        }
    said = _answer(reading, None, runtime)
    misses = (state.get("misses") or {}).get("consent", 0) + (not said)
    if misses >= 3:  # the third miss: a person may help where the bot could not
        return {
            "reply": _say(state, texts.OFFER_PERSON),
            "expecting": "handoff_offer",
            "offer_reason": "stuck",
            "pending_profile": pending,
            "misses": {},
        }
    reminder = texts.CONSENT_REMINDERS[min(misses, len(texts.CONSENT_REMINDERS) - 1)]
    return {
        "reply": _say(state, said, reminder),
        "pending_profile": pending,
        "misses": {"consent": misses},
    }


def _insured_note(before: dict, after: dict) -> str:
    """Said once, when who is insured has just been settled."""
    if before.get("insured") == after.get("insured"):
        return ""
    if after.get("insured") == "other":
        return texts.INSURED_NOTE.format(relation=after.get("insured_relation") or "familiar")
    if after.get("insured") == "self" and before.get("insured") == "unsure":
        return texts.INSURED_SELF
    return ""


def _readback(profile: dict, channel: str | None) -> str:
    """The data about to be priced, for the customer to confirm or correct."""
    if channel == "sms":
        data = texts.readback_lines(profile).replace("• ", "").replace("\n", ", ")
        return texts.READBACK_SMS.format(data=data)
    return texts.READBACK.format(lines=texts.readback_lines(profile))


def _confirmed(profile: dict, at: str) -> dict:
    """The demands-and-needs entry for the data the customer confirmed before pricing."""
    return {"value": priced_data(profile), "at": at}


def analyse_needs(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """NEEDS_ANALYSIS: take in the data, read it back, and price it only once confirmed."""
    ctx, reading = context_of(runtime), state["reading"]
    intent, expecting = reading.get("intent"), state.get("expecting")
    parts: list[str] = []
    if expecting == "handoff_offer" and intent in ("deny", "thanks", "affirm"):
        parts.append(
            texts.INELIGIBLE_DECLINED if state.get("ineligible") else texts.HANDOFF_DECLINED
        )
        if state.get("ineligible"):
            return {"reply": _say(state, *parts), "expecting": None}

    absorbed = absorb(
        reading, state, ctx.quotes, ctx.clock(), retirement_age=ctx.facts.retirement_age
    )
    profile = absorbed.profile
    update: Update = {
        "profile": profile,
        "declared": absorbed.declared,
        "ineligible": absorbed.ineligible,
    }
    parts.append(texts.summary(absorbed.accepted, relation=texts.insured_relation(profile)))
    note = _insured_note(state.get("profile") or {}, profile)
    parts.append(note)
    if absorbed.ineligible:
        why = absorbed.ineligible_why
        name = texts.name_suffix(profile)
        parts.append(texts.INELIGIBLE.format(name=name, why=why))
        return {**update, "reply": _say(state, *parts), "expecting": "handoff_offer"}

    parts.extend(absorbed.explanations)
    heard = bool(absorbed.accepted or absorbed.explanations or note)
    missing = missing_field(profile)
    if expecting in ("readback", "correction") and not heard and not missing:
        if plain_yes(reading) and expecting == "readback":
            declared = {**absorbed.declared, "confirmed": _confirmed(profile, _now(runtime))}
            return {
                **update,
                "declared": declared,
                "reply": _say(state, *parts),
                "expecting": None,
                "stage": "COTIZACION",
                "misses": {},
            }
        said = _answer(reading, None, runtime)
        if plain_yes(reading):  # a yes after "¿qué dato cambio?": show what would be priced
            readback = _readback(profile, state.get("channel"))
            return {**update, "reply": _say(state, said, readback), "expecting": "readback"}
        misses = (state.get("misses") or {}).get("readback", 0) + (not said)
        if misses >= 3:
            return {
                **update,
                "reply": _say(state, *parts, said, texts.OFFER_PERSON),
                "expecting": "handoff_offer",
                "offer_reason": "stuck",
                "misses": {},
            }
        if intent == "deny" or expecting == "correction":
            ask = texts.READBACK_WHAT[min(misses, len(texts.READBACK_WHAT) - 1)]
            return {
                **update,
                "reply": _say(state, *parts, said, ask),
                "expecting": "correction",
                "misses": {"readback": misses},
            }
        ask = texts.READBACK_AGAIN[min(misses, len(texts.READBACK_AGAIN) - 1)]
        return {**update, "reply": _say(state, *parts, said, ask), "misses": {"readback": misses}}
    if not heard and expecting != "handoff_offer":
        said = _answer(reading, None, runtime)
        if not said and intent in ("unknown", "provide_info", "deny"):
            said = texts.NOT_UNDERSTOOD
        parts.append(said)
    if not missing:
        return {
            **update,
            "reply": _say(state, *parts, _readback(profile, state.get("channel"))),
            "expecting": "readback",
            "misses": {},
        }
    misses = dict(state.get("misses") or {})
    misses = {missing: misses.get(missing, 0) + 1} if missing == expecting and not heard else {}
    if misses.get(missing, 0) >= 3 and expecting != "handoff_offer":  # the third miss
        return {
            **update,
            "reply": _say(state, *parts, texts.OFFER_PERSON),
            "expecting": "handoff_offer",
            "offer_reason": "stuck",
            "misses": {},
        }
    question = texts.question(
        missing,
        misses.get(missing, 0),
        relation=profile.get("insured_relation"),
        rule=ctx.facts.ex_smoker_rule(ctx.quotes),
        about_insured=profile.get("insured") == "other",
    )
    return {
        **update,
        "reply": _say(state, *parts, question),
        "expecting": missing,
        "misses": misses,
    }


def make_quote(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """COTIZACION: price the confirmed profile with the tariff and lay out the options."""
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
        smoker = texts.smoker_label(quote["smoker"], relation=texts.insured_relation(profile))
        header = texts.PROPOSAL_HEADER.format(
            name=name, cover=cover, term=quote["term"], smoker=smoker
        )
        lines = "\n".join(texts.option_lines(quote))
        parts = (f"{header}\n\n{lines}", texts.ILLUSTRATIVE, texts.PROPOSAL_FOOTER)
    return {
        "quote": quote,
        "chosen": None,
        "pending_option": None,
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


def _picked(reading: dict, expecting: str | None, quote: dict) -> dict | None:
    """The option a message clearly picks: never one only asked about, compared or refused."""
    option = reading.get("option")
    if not option or reading.get("intent") not in ("choose_option", "affirm", "provide_info"):
        return None
    if reading.get("intent") != "choose_option" and expecting not in ("option", "confirm_option"):
        return None
    return quote["options"][option - 1] if 1 <= option <= len(quote["options"]) else None


def _confirm_text(option: dict, quote: dict, channel: str | None) -> str:
    if channel == "sms":
        return texts.CONFIRM_OPTION_SMS.format(
            option=option["name"], monthly=texts.price(option["monthly"])
        )
    return texts.CONFIRM_OPTION.format(
        option=option["name"],
        monthly=texts.price(option["monthly"]),
        annual=texts.price(option["annual"]),
        cover=format_eur(option["cover"]),
        term=quote["term"],
    )


def _option_named(quote: dict, option_id: str | None) -> dict | None:
    return next((o for o in quote["options"] if o["id"] == option_id), None)


def handle_proposal(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """PRESENTACION_PROPUESTA: a confirmed choice, a changed datum, a question or an objection."""
    ctx, reading, quote = context_of(runtime), state["reading"], state["quote"]
    intent, expecting = reading.get("intent"), state.get("expecting")
    pending = (
        _option_named(quote, state.get("pending_option")) if expecting == "confirm_option" else None
    )
    picked = _picked(reading, expecting, quote)
    if pending and plain_yes(reading) and (picked is None or picked["id"] == pending["id"]):
        return {"chosen": pending["id"], "pending_option": None}
    if pending and picked and picked["id"] == pending["id"] and intent == "choose_option":
        return {"chosen": pending["id"], "pending_option": None}
    if picked:
        return {
            "pending_option": picked["id"],
            "expecting": "confirm_option",
            "reply": _say(state, _confirm_text(picked, quote, state.get("channel"))),
        }
    if pending and intent == "deny" and not _has_data(reading):
        return {
            "pending_option": None,
            "expecting": "option",
            "reply": _say(state, texts.NOT_THAT_ONE),
        }

    absorbed = absorb(
        reading, state, ctx.quotes, ctx.clock(), retirement_age=ctx.facts.retirement_age
    )
    if absorbed.accepted:
        stamp = _now(runtime)
        return {
            "profile": absorbed.profile,
            "declared": {**absorbed.declared, "confirmed": _confirmed(absorbed.profile, stamp)},
            "stage": "COTIZACION",
            "reply": _say(
                state,
                texts.summary(absorbed.accepted, relation=texts.insured_relation(absorbed.profile)),
                *absorbed.explanations,
                texts.REQUOTED,
            ),
        }
    again = texts.CONFIRM_AGAIN.format(option=pending["name"]) if pending else texts.PICK_ONE
    if absorbed.ineligible or absorbed.explanations:
        why = [absorbed.ineligible_why] if absorbed.ineligible else absorbed.explanations
        return {"reply": _say(state, *why, again)}

    said = _answer(reading, quote, runtime)
    if said:
        return {"reply": _say(state, said, "" if intent == "objection" and not pending else again)}
    if intent == "deny":
        if reading.get("options_mentioned"):
            return {
                "pending_option": None,
                "expecting": "option",
                "reply": _say(state, texts.NOT_THAT_ONE),
            }
        return {"reply": _say(state, texts.NO_CHOICE)}
    if intent in ("affirm", "choose_option", "thanks"):
        return {"reply": _say(state, again)}
    return {"reply": _say(state, texts.NOT_UNDERSTOOD, again)}


def _has_data(reading: dict) -> bool:
    return any(reading.get(k) is not None for k in (*PROFILE_FIELDS, "birth_date", "currency"))


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
    """After FINALIZADO: sensible answers, corrections re-priced, never a restart."""
    ctx, reading, quote = context_of(runtime), state["reading"], state.get("quote")
    if not state.get("chosen"):  # an operator closed the conversation before any choice
        said = _answer(reading, quote, runtime)
        return {"reply": _say(state, said, texts.CLOSED_FOLLOW_UP)}
    intent, expecting = reading.get("intent"), state.get("expecting")
    pending = (
        _option_named(quote, state.get("pending_option")) if expecting == "confirm_option" else None
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
            "reply": _say(state, reply),
        }
    if picked and picked["id"] != state.get("chosen"):
        return {
            "pending_option": picked["id"],
            "expecting": "confirm_option",
            "reply": _say(state, _confirm_text(picked, quote, state.get("channel"))),
        }
    if pending and intent == "deny":
        return {
            "pending_option": None,
            "expecting": None,
            "reply": _say(state, texts.HANDOFF_DECLINED),
        }
    absorbed = absorb(
        reading, state, ctx.quotes, ctx.clock(), retirement_age=ctx.facts.retirement_age
    )
    if absorbed.accepted:
        profile = absorbed.profile
        quote = ctx.quotes.quote(
            age=profile["age"],
            smoker=profile["smoker"],
            cover=profile["cover"],
            term=profile["term"],
        )
        option = _option_named(quote, state["chosen"]) or quote["options"][0]
        reply = texts.UPDATED_AFTER_CLOSE.format(
            option=option["name"],
            monthly=texts.price(option["monthly"]),
            annual=texts.price(option["annual"]),
        )
        stamp = _now(runtime)
        return {
            "profile": profile,
            "declared": {**absorbed.declared, "confirmed": _confirmed(profile, stamp)},
            "quote": quote,
            "reply": _say(
                state,
                texts.summary(absorbed.accepted, relation=texts.insured_relation(profile)),
                *absorbed.explanations,
                reply,
            ),
        }
    if absorbed.explanations:
        return {"reply": _say(state, *absorbed.explanations)}
    if intent == "thanks":
        return {"reply": _say(state, texts.YOU_ARE_WELCOME)}
    said = _answer(reading, quote, runtime)
    if said:  # the request is on record: answer the question, don't repeat the whole reminder
        return {"reply": _say(state, said)}
    option = _chosen_option(state, state["chosen"])
    reminder = texts.FOLLOW_UP.format(option=option["name"], monthly=texts.price(option["monthly"]))
    return {"reply": _say(state, reminder)}


def explain_language(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    """A message in another language: one reply in it, and a person offered."""
    return {
        "language_told": True,
        "expecting": "handoff_offer",
        "offer_reason": "language",
        "reply": _say(state, texts.foreign(state["reading"].get("language") or "en")),
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
    """At any stage: the customer asked for a person, or said yes to the one offered."""
    if state.get("expecting") != "handoff_offer":
        return _handoff(state, "customer_request")
    if state.get("ineligible"):
        return _handoff(state, "ineligible")
    return _handoff(state, state.get("offer_reason") or "customer_request")


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
        "pending_option": None,
        "misses": {},
        "offer_reason": None,
        "declared": {},
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
    if state.get("formal"):
        reply = voice.formal(reply)
    return {"reply": reply, "messages": [AIMessage(reply)]}
