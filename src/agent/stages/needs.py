"""NEEDS_ANALYSIS: the data, who is insured, and the read-back before anything is priced."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent import texts
from agent.brains.base import ADVICE_ON
from agent.context import AgentContext, context_of
from agent.profile import PRICED, absorb, missing_field
from agent.routing import plain_yes
from agent.stages.common import Update, answer, confirmed, now, say
from agent.state import AgentState


def _insured_note(before: dict, after: dict) -> str:
    """Said once, when who is insured has just been settled."""
    if before.get("insured") == after.get("insured"):
        return ""
    if after.get("insured") == "other":
        return texts.INSURED_NOTE.format(relation=after.get("insured_relation") or "familiar")
    if after.get("insured") == "self" and before.get("insured") == "unsure":
        return texts.INSURED_SELF
    return ""


def _someone_elses(before: dict, after: dict) -> set[str]:
    """Data `before` held of the other person than the one now insured: not changed, replaced.

    While whose life is insured was unsure, the customer's own age or smoking and the relative's
    (hinted) stood side by side; once it is settled, the other person's value is not the one a
    new value changes ("Cambio la edad: 48 → 52" would say the relative's age was hers).
    """
    if before.get("insured") != "unsure":
        return set()
    hinted = set(before.get("hinted") or [])
    if after.get("insured") == "other":
        return set(before.get("own") or {}) - hinted
    return hinted if after.get("insured") == "self" else set()


def _readback(profile: dict, channel: str | None) -> str:
    """The data about to be priced, for the customer to confirm or correct."""
    if channel == "sms":
        return texts.READBACK_SMS.format(data=texts.readback_sms(profile))
    return texts.READBACK.format(lines=texts.readback_lines(profile))


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
            return {"reply": say(state, *parts), "expecting": None}

    absorbed = absorb(
        reading, state, ctx.quotes, ctx.clock(), retirement_age=ctx.facts.retirement_age
    )
    profile = absorbed.profile
    update: Update = {
        "profile": profile,
        "declared": absorbed.declared,
        "ineligible": absorbed.ineligible,
    }
    before = state.get("profile") or {}
    # A datum already given that changes is said as a change, never silently replaced.
    replaced = _someone_elses(before, profile)
    changed = {
        k: (before[k], v)
        for k, v in absorbed.accepted.items()
        if k in PRICED and k not in replaced and before.get(k) is not None and before[k] != v
    }
    new = {k: v for k, v in absorbed.accepted.items() if k not in changed}
    parts.append(texts.summary(new, relation=texts.insured_relation(profile)))
    parts.append(texts.changes(changed))
    note = _insured_note(before, profile)
    parts.append(note)
    if absorbed.ineligible:
        why = absorbed.ineligible_why
        name = texts.name_suffix(profile)
        parts.append(texts.INELIGIBLE.format(name=name, why=why))
        return {**update, "reply": say(state, *parts), "expecting": "handoff_offer"}

    parts.extend(absorbed.explanations)
    quit_heard = profile.get("ex_smoker") and not (state.get("profile") or {}).get("ex_smoker")
    heard = bool(absorbed.accepted or absorbed.explanations or note or quit_heard)
    # "espera, mejor 200.000": the pause is over as it is said
    asks = reading.get("topic") not in (None, "other", "wait")
    if heard and asks and intent in ("provide_info", "question"):
        # Data and a question in one message ("34. ¿y la escalada me la cubre?"): both heard.
        parts.append(answer({**reading, "intent": "question"}, None, runtime))
    asked_twice = (state.get("misses") or {}).get("name", 0) >= 1
    # One datum said instead of the name ("34"): noted, and the name asked once more.
    instead = (
        expecting == "name"
        and not asked_twice
        and len(absorbed.accepted) == 1
        and "name" not in absorbed.accepted
    )
    skip_name = (
        expecting == "name"
        and not profile.get("name")
        and (heard or intent == "deny" or asked_twice)
        and not instead
    )
    if skip_name:
        # Declined, other data given instead, or a second answer without it: a person wouldn't
        # insist, and a price doesn't need it.
        profile["name_declined"] = True
    missing = missing_field(profile)
    if expecting in ("readback", "correction") and not heard and not missing:
        if plain_yes(reading) and expecting == "readback":
            declared = {**absorbed.declared, "confirmed": confirmed(profile, now(runtime))}
            return {
                **update,
                "declared": declared,
                "reply": say(state, *parts),
                "expecting": None,
                "stage": "COTIZACION",
                "misses": {},
            }
        said = answer(reading, None, runtime)
        if plain_yes(reading):  # a yes after "¿qué dato cambio?": show what would be priced
            readback = _readback(profile, state.get("channel"))
            return {**update, "reply": say(state, said, readback), "expecting": "readback"}
        misses = (state.get("misses") or {}).get("readback", 0) + (not said)
        if misses >= 3:
            return {
                **update,
                "reply": say(state, *parts, said, texts.OFFER_PERSON),
                "expecting": "handoff_offer",
                "offer_reason": "stuck",
                "misses": {},
            }
        if intent == "deny" or expecting == "correction":
            ask = texts.READBACK_WHAT[min(misses, len(texts.READBACK_WHAT) - 1)]
            return {
                **update,
                "reply": say(state, *parts, said, ask),
                "expecting": "correction",
                "misses": {"readback": misses},
            }
        ask = texts.READBACK_AGAIN[min(misses, len(texts.READBACK_AGAIN) - 1)]
        return {**update, "reply": say(state, *parts, said, ask), "misses": {"readback": misses}}
    # "quiero asegurar a mi hijo": understood; the question that follows asks whose life it is.
    whose = missing == "insured" and bool(reading.get("insured_relation"))
    # A question or objection answered is no miss: the customer was understood. Advice asked
    # on the very datum ("lo que tú veas" at the term) still is: they cannot say it.
    aside = False
    if not heard and expecting != "handoff_offer":
        declined = skip_name and intent == "deny"
        said = "" if declined else answer(reading, None, runtime)
        if skip_name and not said:
            said = texts.NAME_NOT_NEEDED  # "prefiero no decirlo", "paso", "¿y mi nombre para qué?"
        elif not said and intent in ("unknown", "provide_info", "deny") and not whose:
            said = texts.NOT_UNDERSTOOD
        aside = (
            bool(said)
            and intent in ("question", "objection")
            and reading.get("topic") != ADVICE_ON.get(expecting)
        )
        parts.append(said)
    if not missing:
        return {
            **update,
            "reply": say(state, *parts, _readback(profile, state.get("channel"))),
            "expecting": "readback",
            "misses": {},
        }
    misses = dict(state.get("misses") or {})
    asked_again = missing == expecting and (not heard or instead)
    misses = {missing: misses.get(missing, 0) + (not aside)} if asked_again else {}
    if misses.get(missing, 0) >= 3 and expecting != "handoff_offer":  # the third miss
        return {
            **update,
            "reply": say(state, *parts, texts.OFFER_PERSON),
            "expecting": "handoff_offer",
            "offer_reason": "stuck",
            "misses": {},
        }
    if aside and reading.get("topic") == "wait":  # "espera": the question stands, unrepeated
        waited = (state.get("misses") or {}).get("waited", 0)
        if waited % 2:  # pauses in a row: not the same words twice running
            parts[-1] = texts.STILL_WAITING
        misses = {**misses, "waited": waited + 1}
        return {**update, "reply": say(state, *parts), "expecting": missing, "misses": misses}
    question = texts.question(
        missing,
        misses.get(missing, 0),
        relation=profile.get("insured_relation"),
        rule=ctx.facts.ex_smoker_rule(ctx.quotes),
        about_insured=profile.get("insured") == "other",
        sms=state.get("channel") == "sms",
    )
    return {
        **update,
        "reply": say(state, *parts, question),
        "expecting": missing,
        "misses": misses,
    }
