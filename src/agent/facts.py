"""The product facts the insurer edits next to the tariff: answers to the customers' questions."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any, Final

from agent import datafile
from agent.quote import QuoteEngine, format_eur

# The topics a brain can ask about (Reading.topic) that the facts file must answer.
TOPICS = (
    "capital",
    "term",
    "coverage",
    "exclusions",
    "payment",
    "data",
    "distributor",
    "cancel",
    "process",
)
# What a text may leave in braces: filled from the facts file itself or from the tariff.
PLACEHOLDERS = frozenset(
    {
        "options",
        "monthly_surcharge",
        "ex_smoker_months",
        "min_cover",
        "max_cover",
        "max_term",
        "max_age_at_end",
        "min_age",
        "max_age",
        "currency",
        "retirement_age",
        "withdrawal_days",
        "retention_months",
        "distributor_name",
        "distributor_registry",
        "registry_authority",
    }
)
_CURRENCY_NAMES = {"EUR": "euros"}


class FactsError(ValueError):
    """The product-facts file is malformed: a key missing, a wrong type, an unknown placeholder."""


class ProductFacts:
    """Answers from the product-facts file, completed with the figures of a tariff.

    Attributes:
        name: the product's name, as customers are told it.
        illustrative: the facts are an example, not a real insurer's: customers are told so
            with the notice.
        notice: the file's disclaimer, said next to the distributor's details when illustrative.
        retirement_age: the age "hasta que me jubile" means.
        withdrawal_days: days after signing in which the customer may withdraw without giving
            reasons.
        distributor_name: who sells the insurance: the name the bot introduces itself with.
    """

    def __init__(self, facts: dict[str, Any] | None = None) -> None:
        """Check and keep `facts` (the parsed product file); the bundled file when None."""
        if facts is None:
            facts = datafile.bundled("product.json")
        self.name: Final[str] = _text(facts, "name", "facts")
        self.illustrative: Final[bool] = _get(facts, "illustrative", bool, "facts")
        self.notice: Final[str] = _text(facts, "notice", "facts")
        self.retirement_age: Final[int] = _count(facts, "retirement_age", "facts")
        self.withdrawal_days: Final[int] = _count(facts, "withdrawal_days", "facts")
        self._retention_months = _count(facts, "retention_months", "facts")
        distributor = _get(facts, "distributor", dict, "facts")
        self._distributor = {
            key: _text(distributor, key, "distributor")
            for key in ("name", "registry", "registry_authority")
        }
        self.distributor_name: Final[str] = self._distributor["name"]
        self._ex_smoker_rule = _template(facts, "ex_smoker_rule", "facts")
        answers = _get(facts, "answers", dict, "facts")
        unknown = sorted(set(answers) - set(TOPICS))
        if unknown:
            raise FactsError(f"answers: unknown topics {unknown}; known: {list(TOPICS)}")
        self._answers = {topic: _template(answers, topic, "answers") for topic in TOPICS}

    @classmethod
    def from_file(cls, path: str | Path) -> ProductFacts:
        """The facts of an insurer's own file."""
        return cls(datafile.read(path, FactsError))

    def answer(self, topic: str, tariff: QuoteEngine) -> str:
        """The file's answer on `topic`, with the tariff's figures; KeyError for other topics."""
        text = self._answers[topic].format(**self.values(tariff))
        if topic == "distributor" and self.illustrative:
            return f"{text} _{self.notice}_"
        return text

    def ex_smoker_rule(self, tariff: QuoteEngine) -> str:
        """How an ex-smoker is priced, with the tariff's months."""
        return self._ex_smoker_rule.format(**self.values(tariff))

    def values(self, tariff: QuoteEngine) -> dict[str, str]:
        """Every placeholder's text for this file and `tariff`."""
        limits = tariff.limits
        return {
            "options": coverage_lines(catalogue(tariff)),
            "monthly_surcharge": surcharge(tariff.monthly_loading),
            "ex_smoker_months": str(tariff.ex_smoker_months),
            "min_cover": format_eur(limits.min_cover),
            "max_cover": format_eur(limits.max_cover),
            "max_term": str(limits.max_term),
            "max_age_at_end": str(limits.max_age_at_end),
            "min_age": str(limits.min_age),
            "max_age": str(limits.max_age),
            "currency": _CURRENCY_NAMES.get(tariff.currency, tariff.currency),
            "retirement_age": str(self.retirement_age),
            "withdrawal_days": str(self.withdrawal_days),
            "retention_months": str(self._retention_months),
            "distributor_name": self.distributor_name,
            "distributor_registry": self._distributor["registry"],
            "registry_authority": self._distributor["registry_authority"],
        }


@lru_cache(maxsize=1)
def default_facts() -> ProductFacts:
    """The packaged facts file, read once."""
    return ProductFacts()


def surcharge(loading: Decimal) -> str:
    """How much more paying monthly costs, from the tariff's loading: 1.03 -> 'un 3 % más'."""
    percent = (loading - 1) * 100
    if percent <= 0:
        return "lo mismo"
    # normalize() alone would print ten as 1E+1; the 'f' format keeps plain digits.
    digits = f"{percent.normalize():f}".replace(".", ",")
    return f"un {digits} % más"


def catalogue(tariff: QuoteEngine) -> list[dict[str, Any]]:
    """The tariff's options (id, name, guarantees), cheapest first."""
    # QuoteEngine shows its options only inside a quote; the smallest valid one lists them
    # all, and only the names and guarantees are kept, never a price.
    limits = tariff.limits
    quote = tariff.quote(
        age=limits.min_age, smoker=False, cover=limits.min_cover, term=limits.min_term
    )
    return [
        {"id": o["id"], "name": o["name"], "guarantees": o["guarantees"]} for o in quote["options"]
    ]


def added_guarantees(option: dict[str, Any], base: dict[str, Any]) -> list[str]:
    """What `option` covers that `base` does not, in the tariff's order."""
    return [g for g in option["guarantees"] if g not in base["guarantees"]]


def listing(items: list[str]) -> str:
    """'a', 'a y b', 'a, b y c'."""
    return " y ".join(filter(None, (", ".join(items[:-1]), items[-1]))) if items else ""


def lower_first(text: str) -> str:
    """'Invalidez absoluta' -> 'invalidez absoluta'; an acronym ('IT') keeps its capitals."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def coverage_lines(options: list[dict[str, Any]]) -> str:
    """One line per option: the first with its guarantees, each next one with what it adds."""
    lines = []
    for i, option in enumerate(options):
        added = added_guarantees(option, options[i - 1]) if i else []
        if added:
            said = f"lo de la {options[i - 1]['name']} más {listing(list(map(lower_first, added)))}"
        else:
            said = listing(option["guarantees"])
        lines.append(f"• *{option['name']}*: {said}.")
    return "\n".join(lines)


def _get(mapping: Any, key: str, kind: type, where: str) -> Any:
    return datafile.field(mapping, key, kind, where, FactsError)


def _text(mapping: Any, key: str, where: str) -> str:
    value = _get(mapping, key, str, where)
    if not value.strip():
        raise FactsError(f"{where}.{key}: empty")
    return value


def _count(mapping: Any, key: str, where: str) -> int:
    value = _get(mapping, key, int, where)
    if not 0 < value <= 120:
        raise FactsError(f"{where}.{key}: {value} is not a plausible number")
    return value


def _template(mapping: Any, key: str, where: str) -> str:
    """A text whose placeholders are all known, so answering never raises."""
    text = _text(mapping, key, where)
    try:
        fields = {name for _, name, _, _ in Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise FactsError(f"{where}.{key}: {error} (a literal brace is {{{{ or }}}})") from None
    unknown = sorted(fields - PLACEHOLDERS)
    if unknown:
        raise FactsError(
            f"{where}.{key}: unknown placeholders {unknown}; known: {sorted(PLACEHOLDERS)}"
        )
    return text
