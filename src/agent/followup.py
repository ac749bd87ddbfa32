"""Reminders to a customer who stopped answering: who gets one, and what it says."""

from __future__ import annotations

from agent import texts, voice

# The question left unanswered that a reminder asks again, word for word.
DATA_FIELDS = frozenset(texts.QUESTIONS) | {"insured", "quit_when"}


def due_follow_up(state: dict) -> bool:
    """Whether a silent customer in this state may be reminded.

    After consenting and before FINALIZADO; never after an opt-out or while a person is
    (to be) in charge.
    """
    consent = state.get("consent") or {}
    return (
        bool(consent.get("given"))
        and state.get("stage", "INICIO") != "FINALIZADO"
        and not state.get("opted_out")
        and not state.get("handoff")
    )


def situation(state: dict) -> str:
    """Where the customer stopped: a key of texts.FOLLOW_UPS."""
    expecting = state.get("expecting")
    if expecting == "confirm_option" and _pending(state):
        return "confirm"
    if expecting == "handoff_offer":
        return "advisor"
    if expecting in ("readback", "correction"):
        return "readback"
    if state.get("quote") and state.get("stage") in ("COTIZACION", "PRESENTACION_PROPUESTA"):
        return "proposal"
    if expecting in DATA_FIELDS:
        return "data"
    return "other"


def _pending(state: dict) -> dict | None:
    wanted = state.get("pending_option")
    options = (state.get("quote") or {}).get("options", [])
    return next((o for o in options if o["id"] == wanted), None)


def follow_up_text(state: dict, *, last: bool) -> str:
    """The reminder for this state, in the customer's register; `last` says it is the last one."""
    where = situation(state)
    profile = state.get("profile") or {}
    question = ""
    if where == "data":
        relation = texts.insured_relation(profile)
        question = texts.question(
            state["expecting"],
            relation=relation,
            about_insured=profile.get("insured") == "other",
        )
    option = _pending(state) or {}
    text = texts.FOLLOW_UPS[where].format(
        name=texts.name_suffix(profile),
        question=question,
        option=option.get("name", ""),
        monthly=texts.price(option["monthly"]) if option else "",
    )
    if last:
        text = f"{text} {texts.FOLLOW_UP_LAST}"
    return voice.formal(text) if state.get("formal") else text
