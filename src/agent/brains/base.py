"""What a brain reads out of one customer message, and the interface every brain offers."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, NotRequired, Protocol, TypedDict, Unpack

from pydantic import BaseModel, Field

from agent import prompts

Intent = Literal[
    "greeting",  # hola, buenas
    "affirm",  # sí, vale, de acuerdo, ok
    "deny",  # no, no gracias
    "provide_info",  # the message carries profile data
    "choose_option",  # picks one of the quoted options (see `option`)
    "question",  # asks something about the product (see `topic`)
    "objection",  # price, trust, "lo pienso", "ya tengo uno" (see `topic`)
    "handoff",  # wants to talk to a person
    "opt_out",  # BAJA, STOP
    "opt_in",  # ALTA, START after an opt-out
    "restart",  # empezar de nuevo
    "resume",  # takes back a request for a person: "déjalo, sigamos por aquí"
    "thanks",  # gracias
    "off_topic",  # unrelated to life insurance
    "unknown",
]

Topic = Literal[
    "price",  # es caro, muy caro
    "trust",  # ¿es fiable?, ¿quién es la aseguradora?, ¿es una estafa?
    "think",  # lo pienso, lo tengo que pensar, ya te diré
    "existing",  # ya tengo un seguro (el del banco, el de la hipoteca), ¿es compatible?
    "coverage",  # ¿qué cubre?, ¿qué es invalidez?
    "exclusions",  # ¿qué no cubre?, suicidio, deportes de riesgo
    "process",  # ¿cómo se contrata?, ¿necesito reconocimiento médico?
    "cancel",  # ¿puedo cancelar?, ¿hay permanencia?
    "payment",  # ¿puedo pagar mensual?, ¿cómo se paga?
    "bot",  # ¿eres un robot?, ¿eres una persona?
    "capital",  # ¿qué es el capital?, ¿cuánto capital necesito?
    "term",  # ¿qué es el plazo?, ¿cuántos años pongo?
    "data",  # ¿para qué queréis mis datos?, ¿de dónde sacasteis mi número?
    "distributor",  # ¿quiénes sois?, ¿estáis registrados?, ¿qué aseguradora es?
    "compare",  # ¿qué diferencia hay entre la 1 y la 3?, dudo entre la 2 y la 3
    "recommend",  # ¿cuál me recomiendas?, ¿cuál es mejor?, ¿tú cuál elegirías?
    "joint",  # es para mí y para mi marido, ¿un seguro para los dos?
    "send",  # ¿me lo mandáis por email?, pásamelo en pdf
    "contact",  # ¿me van a llamar?, ¿cuándo me llama el asesor?
    "wait",  # espera, un momento, dame un segundo (an objection: the data come later)
    "smoking",  # ¿el vapeo cuenta?, ¿vapear cuenta como fumar?
    "free",  # ¿esto es gratis?, ¿me van a cobrar algo por esto?
    "other",
]

Purpose = Literal["familia", "hipoteca", "deudas", "negocio", "otro"]

Field_ = Literal[
    "name",
    "age",
    "smoker",
    "cover",
    "term",
    "dependants",
    "consent",
    "option",
    "insured",  # "¿el seguro es para tu padre?": a yes/no about who is insured
    "quit_when",  # an ex-smoker was asked how long ago they quit
    "readback",  # the bot read the data back: a yes confirms, data corrects
    "correction",  # the customer said the read-back is wrong: which datum, with its value
    "confirm_option",  # the bot asked to confirm the chosen option: a yes confirms
    "handoff_offer",  # the bot offered a human advisor: a yes accepts
]
Register = Literal["tu", "usted"]
# The question topic that asks about a datum itself: advice on it while the bot waits for it
# ("¿qué me recomiendas?" asked for the capital), never a question beside it.
ADVICE_ON: dict[str | None, Topic] = {"cover": "capital", "term": "term"}
Currency = Literal["EUR", "USD", "MXN", "ARS", "CLP", "COP", "PEN", "UYU", "other"]


def _said(field: str) -> Any:
    """A Reading field that is None unless the message says it, described as prompts tell."""
    return Field(default=None, description=prompts.READING_FIELDS[field])


class Reading(BaseModel):
    """One customer message, understood. Every field is optional: None means not said."""

    intent: Intent = "unknown"
    topic: Topic | None = None
    topics: list[Topic] = Field(default_factory=list, description=prompts.READING_FIELDS["topics"])
    name: str | None = _said("name")
    age: int | None = _said("age")
    birth_date: date | None = _said("birth_date")
    smoker: bool | None = _said("smoker")
    cover: int | None = _said("cover")
    term: int | None = _said("term")
    dependants: int | None = _said("dependants")
    purpose: Purpose | None = _said("purpose")
    option: int | None = _said("option")
    options_mentioned: list[int] = Field(
        default_factory=list, description=prompts.READING_FIELDS["options_mentioned"]
    )
    insured: Literal["self", "other"] | None = _said("insured")
    insured_relation: str | None = _said("insured_relation")
    term_end_age: int | None = _said("term_end_age")
    until_retirement: bool | None = _said("until_retirement")
    currency: Currency | None = _said("currency")
    ex_smoker: bool | None = _said("ex_smoker")
    quit_months: int | None = _said("quit_months")
    formality: Register | None = _said("formality")
    language: str | None = _said("language")
    price_named: float | None = _said("price_named")
    income: int | None = _said("income")
    refers_back: bool | None = _said("refers_back")
    consents: bool | None = _said("consents")


class ReadContext(TypedDict):
    """What a message is read against: the keyword arguments of every brain's `read`.

    `expecting` is the datum the bot asked for last (a `Field_`; any other string reads as
    none of them). `known` names the priced data already given (age, smoker, cover, term): with
    the age known, a bare "20 años" at the cover question is far likelier a term than a new age.
    It holds `insured_relation` once the insured is someone else (agent.profile.priced_data): a
    bare "tiene 52" or "no fuma" is then said of that person.
    """

    expecting: str | None
    today: date
    known: NotRequired[frozenset[str]]


class Brain(Protocol):
    """Understands customer messages and phrases the replies the funnel decided on."""

    name: str

    def read(self, text: str, **context: Unpack[ReadContext]) -> Reading:
        """Understand `text`, against what the bot asked and already knows (`context`)."""
        ...

    def phrase(self, draft: str, *, text: str, stage: str) -> str:
        """Say `draft` (already correct, prices included) in the brain's own words."""
        ...
