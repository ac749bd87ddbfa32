"""The graph state of one conversation: stage, profile, quote, flags and a short message window."""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict, cast

from langchain_core.messages import AnyMessage
from langgraph.graph.message import Messages, add_messages

from agent.brains.base import Field_

Stage = Literal["INICIO", "NEEDS_ANALYSIS", "COTIZACION", "PRESENTACION_PROPUESTA", "FINALIZADO"]
STAGES: tuple[Stage, ...] = (
    "INICIO",
    "NEEDS_ANALYSIS",
    "COTIZACION",
    "PRESENTACION_PROPUESTA",
    "FINALIZADO",
)

# The model needs a little context, never the whole history: the checkpoint must stay small
# however long the conversation runs (the full transcript is kept elsewhere, capped).
MESSAGE_WINDOW = 8

PROFILE_FIELDS = ("name", "age", "smoker", "cover", "term", "dependants", "purpose")


def recent_messages(left: Messages, right: Messages) -> list[AnyMessage]:
    """Merge like `add_messages`, then keep only the newest MESSAGE_WINDOW messages."""
    # add_messages is typed to return any message-like value, but it always returns a list of
    # messages: it wraps a single message in a list and converts dicts and tuples.
    return cast(list[AnyMessage], add_messages(left, right))[-MESSAGE_WINDOW:]


class AgentState(TypedDict, total=False):
    """Checkpointed state. Plain str/int/bool/list/dict only (see STYLE: no Enums, no classes).

    messages     the newest MESSAGE_WINDOW messages of the conversation, both sides
    stage        where the conversation is in the funnel (see Stage)
    profile      name, age, birth_date (ISO), smoker, cover, term, dependants, purpose; and who
                 is insured (insured, insured_relation, term_end_age, ex_smoker, quit_months);
                 name_declined: the name was asked once and not given (it is not asked again)
    declared     the demands-and-needs record: field -> {"value", "at"} as the customer said it
    consent      None until asked and answered; then {"given": bool, "at": ISO time}
    expecting    the datum the bot asked for last (helps read a bare "35" or "sí")
    quote        the quote engine's plain-dict result, or None
    chosen       id of the chosen option
    handoff      a human should take the conversation; handoff_reason says why
    reply        what the bot says this turn ("" = stay silent); buttons: the options to tap
    last_message_id  provider id of the newest message this turn answered (replays are skipped)
    choice       input: the option (1-based) the customer tapped a button for this turn; read
                 as a pick without asking the brain, and cleared by `understand`
    channel      where the customer last wrote from: whatsapp, sms or chat (SMS gets short texts)
    pending_option   the option the customer picked, awaiting their confirmation
    misses       {datum: times it was asked again without an answer} (the third offers a person),
                 and "waited": pauses in a row ("espera") while a datum is asked
    offer_reason why a person was offered (stuck, language): the handoff reason on a yes
    formal       the customer writes *usted*: so do we
    language_told    a non-Spanish speaker was told, once, in their language
    pending_profile  data given before consent, taken in once it is given
    ineligible   the tariff problem that rules the customer out, if any
    lead         a confirmed choice was handed to an advisor
    opted_out    the customer asked us not to write again (BAJA, STOP) and has not opted back in
    reading      what the brain understood of the latest message (a Reading, as a dict)
    turns        messages answered so far
    declared["confirmed"]  the priced data as the customer confirmed it, and when
    """

    messages: Annotated[list[AnyMessage], recent_messages]
    stage: Stage
    profile: dict
    pending_profile: dict
    declared: dict
    consent: dict | None
    expecting: Field_ | None
    ineligible: str | None
    quote: dict | None
    chosen: str | None
    handoff: bool
    handoff_reason: str | None
    lead: bool
    opted_out: bool
    reading: dict
    reply: str
    buttons: list[dict]
    turns: int
    last_message_id: str | None
    choice: int | None
    channel: str
    pending_option: str | None
    misses: dict
    offer_reason: str | None
    formal: bool
    language_told: bool
