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
    "other",
]

Purpose = Literal["familia", "hipoteca", "deudas", "negocio", "otro"]

Field_ = Literal["name", "age", "smoker", "cover", "term", "dependants", "consent", "option"]


class Reading(BaseModel):
    """One customer message, understood. Every field is optional: None means not said."""

    intent: Intent = "unknown"
    topic: Topic | None = None
    name: str | None = Field(None, description="customer's first name (and surname if given)")
    age: int | None = Field(None, description="age in years, as stated")
    birth_date: date | None = Field(None, description="date of birth, if given instead of age")
    smoker: bool | None = Field(None, description="True if smokes or vapes, False if not")
    cover: int | None = Field(None, description="cover amount (capital asegurado) in euros")
    term: int | None = Field(None, description="policy term in years")
    dependants: int | None = Field(None, description="number of people who depend on them")
    purpose: Purpose | None = Field(None, description="what the cover is for")
    option: int | None = Field(None, description="chosen quote option, 1-based")

    def profile_fields(self) -> dict[str, object]:
        """The profile data this reading carries, without the None ones."""
        keys = ("name", "age", "birth_date", "smoker", "cover", "term", "dependants", "purpose")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


class Brain(Protocol):
    """Understands customer messages and phrases the replies the funnel decided on."""

    name: str

    def read(self, text: str, *, expecting: Field_ | None, today: date) -> Reading:
        """Understand `text`; `expecting` is the datum the bot asked for last."""
        ...

    def phrase(self, draft: str, *, text: str, stage: str) -> str:
        """Say `draft` (already correct, prices included) in the brain's own words."""
        ...
