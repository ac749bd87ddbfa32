"""Answers to questions, objections and digressions, wherever the funnel is."""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise
from typing import Any

from agent import texts
from agent.facts import (
    TOPICS,
    ProductFacts,
    added_guarantees,
    catalogue,
    coverage_lines,
    default_facts,
    listing,
    lower_first,
)
from agent.quote import QuoteEngine, format_eur


@lru_cache(maxsize=1)
def _packaged_tariff() -> QuoteEngine:
    return QuoteEngine()


def aside(
    reading: dict,
    quote: dict | None,
    *,
    facts: ProductFacts | None = None,
    tariff: QuoteEngine | None = None,
) -> str:
    """A short answer to a question, objection or digression; "" when the message is none.

    Product questions are answered from `facts` with `tariff`'s figures (the packaged files
    when not given); prices only ever come from `quote`, never computed here.
    """
    intent, topic = reading.get("intent"), reading.get("topic") or "other"
    if intent == "off_topic":
        return texts.OFF_TOPIC
    if intent == "greeting":
        return "¡Hola de nuevo!"
    if intent not in ("question", "objection"):
        return ""
    facts, tariff = facts or default_facts(), tariff or _packaged_tariff()
    options = quote["options"] if quote else catalogue(tariff)
    mentioned = _mentioned(reading, options)
    if topic == "price":
        return _price(intent, quote, mentioned)
    if topic == "smoking":
        return texts.ANSWERS["smoking"].format(**facts.values(tariff))
    if topic == "think" and not quote:  # no quote yet to keep: where they stopped is kept
        return texts.THINK_BEFORE_QUOTE
    if topic == "coverage" and mentioned:
        return _with_prices(" ".join(map(_covers, mentioned)), mentioned, quote)
    if topic == "compare" or (topic == "recommend" and mentioned):
        return _with_prices(_compare(options, mentioned), mentioned or options, quote)
    if topic == "recommend":
        return _recommend(options, quote)
    if topic == "capital" and reading.get("income"):
        return _cover_for_income(reading["income"], tariff)
    if topic in TOPICS:
        return facts.answer(topic, tariff)
    if topic in texts.OBJECTIONS:
        return texts.OBJECTIONS[topic].format(**facts.values(tariff))
    return texts.ANSWERS.get(topic, texts.ANSWERS["other"])


def _cover_for_income(income: int, tariff: QuoteEngine) -> str:
    """The usual 5 to 10 years of income, within what the tariff insures."""
    limits = tariff.limits
    low = min(max(5 * income, limits.min_cover), limits.max_cover)
    high = min(max(10 * income, limits.min_cover), limits.max_cover)
    return texts.COVER_FOR_INCOME.format(
        income=format_eur(income), low=format_eur(low), high=format_eur(high)
    )


def _mentioned(reading: dict, options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The options the customer named (1-based in the reading), once each, in tariff order."""
    numbers = sorted({n for n in reading.get("options_mentioned") or [] if 1 <= n <= len(options)})
    return [options[n - 1] for n in numbers]


def _price(intent: str | None, quote: dict | None, mentioned: list[dict[str, Any]]) -> str:
    if not quote:
        return texts.ANSWERS["price_needs"]
    said = " ".join(map(_option_price, mentioned))
    if intent == "objection":
        cheapest = quote["options"][0]
        objection = texts.OBJECTIONS["price"].format(
            cheapest_name=cheapest["name"], cheapest_monthly=texts.price(cheapest["monthly"])
        )
        return f"{said} {objection}".strip()
    return said or _prices(quote["options"])


def _recommend(options: list[dict[str, Any]], quote: dict | None) -> str:
    """The tariff's middle option, the balance of price and cover, with its price if quoted."""
    option = options[len(options) // 2]
    said = texts.ANSWERS["recommend"].format(
        option=option["name"], guarantees=_guarantees(option["guarantees"])
    )
    return _with_prices(said, [option], quote)  # only it named: "vale, esa" picks it


def _compare(options: list[dict[str, Any]], mentioned: list[dict[str, Any]]) -> str:
    """What each named option adds to the one before it; every option's cover when none is."""
    if not mentioned:
        return coverage_lines(options)
    if len(mentioned) == 1:  # "¿qué tiene de más la Completa?": against the option below it
        index = options.index(mentioned[0])
        return _adds(mentioned[0], options[index - 1]) if index else _covers(mentioned[0])
    return " ".join(_adds(higher, lower) for lower, higher in pairwise(mentioned))


def _with_prices(said: str, shown: list[dict[str, Any]], quote: dict | None) -> str:
    if not quote:
        return f"{said}\n{texts.ANSWERS['prices_later']}"
    prices = _option_price(shown[0]) if len(shown) == 1 else _prices(shown)
    return f"{said}\n{prices}"


def _covers(option: dict[str, Any]) -> str:
    return texts.ANSWERS["option_covers"].format(
        option=option["name"], guarantees=_guarantees(option["guarantees"])
    )


def _adds(option: dict[str, Any], base: dict[str, Any]) -> str:
    added = added_guarantees(option, base)
    if not added:
        return texts.ANSWERS["option_same"].format(option=option["name"], base=base["name"])
    return texts.ANSWERS["option_adds"].format(
        option=option["name"], base=base["name"], guarantees=_guarantees(added)
    )


def _guarantees(guarantees: list[str]) -> str:
    return listing([lower_first(g) for g in guarantees])


def _option_price(option: dict[str, Any]) -> str:
    return texts.ANSWERS["option_price"].format(
        option=option["name"],
        monthly=texts.price(option["monthly"]),
        annual=texts.price(option["annual"]),
    )


def _prices(options: list[dict[str, Any]]) -> str:
    lines = [
        f"{o['name']} {texts.price(o['monthly'])} al mes ({texts.price(o['annual'])} al año)"
        for o in options
    ]
    return texts.ANSWERS["prices"].format(lines="; ".join(lines))
