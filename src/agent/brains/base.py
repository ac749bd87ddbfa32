"""What a brain reads out of one customer message, and the interface every brain offers."""

from __future__ import annotations

from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, Field

Intent = Literal[
    "greeting",  # hola, buenas
    "affirm",  # sí, vale, de acuerdo, ok
    "deny",  # no, no gracias
    "provide_info",  # the message carries profile data
    "choose_option",  # picks one of the quoted options (see `option`)
    "question",  # asks something about the product (see `topic`)
    "objection",  # price, trust, "lo pienso" (see `topic`)
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
Currency = Literal["EUR", "USD", "MXN", "ARS", "CLP", "COP", "PEN", "UYU", "other"]


class Reading(BaseModel):
    """One customer message, understood. Every field is optional: None means not said."""

    intent: Intent = "unknown"
    topic: Topic | None = None
    topics: list[Topic] = Field(
        default_factory=list,
        description="every topic asked about, in order, when one message asks several things",
    )
    name: str | None = Field(
        default=None, description="customer's first name (and surname if given)"
    )
    age: int | None = Field(default=None, description="age in years, as stated")
    birth_date: date | None = Field(
        default=None, description="date of birth, if given instead of age"
    )
    smoker: bool | None = Field(default=None, description="True if smokes or vapes, False if not")
    cover: int | None = Field(default=None, description="cover amount (capital asegurado) in euros")
    term: int | None = Field(default=None, description="policy term in years")
    dependants: int | None = Field(default=None, description="number of people who depend on them")
    purpose: Purpose | None = Field(default=None, description="what the cover is for")
    option: int | None = Field(
        default=None,
        description="the quoted option the customer clearly picks, 1-based; never for a "
        "question, comparison, hesitation or negation about options",
    )
    options_mentioned: list[int] = Field(
        default_factory=list,
        description="options named without being picked (asked about, compared, rejected), 1-based",
    )
    insured: Literal["self", "other"] | None = Field(
        default=None, description="whose life is insured: the writer's own or someone else's"
    )
    insured_relation: str | None = Field(
        default=None,
        description="who the insured is to the writer when not themself: padre, madre, "
        "mujer, marido, pareja, hijo, hija, hermano, hermana, socio, otro",
    )
    term_end_age: int | None = Field(
        default=None,
        description="the cover should last until this age ('hasta los 65'); term unknown",
    )
    until_retirement: bool | None = Field(
        default=None, description="the cover should last until retirement ('hasta que me jubile')"
    )
    currency: Currency | None = Field(
        default=None,
        description="the currency an amount was stated in, when it is not euros; the "
        "amount is then NOT put in cover",
    )
    ex_smoker: bool | None = Field(
        default=None,
        description="used to smoke or vape and quit; smoker is then left None (the "
        "tariff's ex-smoker rule decides, from quit_months)",
    )
    quit_months: int | None = Field(
        default=None, description="months since quitting tobacco or vaping"
    )
    formality: Register | None = Field(
        default=None,
        description="usted when the customer addresses us formally, tu when informally",
    )
    language: str | None = Field(
        default=None,
        description="ISO 639-1 code of the message's language when clearly not Spanish",
    )
    price_named: float | None = Field(
        default=None,
        description="the price the customer picks an option by, when they name it by its price "
        "instead of its name or number ('la de 12 y pico al mes' -> 12, 'la de 38 euros' -> 38)",
    )
    consents: bool | None = Field(
        default=None,
        description="True when the message gives consent in so many words: acepto, autorizo, "
        "consiento, doy mi consentimiento (a bare 'sí' is not)",
    )


class Brain(Protocol):
    """Understands customer messages and phrases the replies the funnel decided on."""

    name: str

    def read(
        self,
        text: str,
        *,
        expecting: Field_ | None,
        today: date,
        known: frozenset[str] = frozenset(),
    ) -> Reading:
        """Understand `text`; `expecting` is the datum the bot asked for last.

        `known` names the priced data already given (age, smoker, cover, term): with the age
        known, a bare "20 años" at the cover question is far likelier a term than a new age.
        """
        ...

    def phrase(self, draft: str, *, text: str, stage: str) -> str:
        """Say `draft` (already correct, prices included) in the brain's own words."""
        ...
