"""Tests for the answers to questions and objections, the re-asks and the foreign-language reply."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from agent import texts
from agent.answers import aside
from agent.facts import TOPICS, ProductFacts
from agent.quote import QuoteEngine


@pytest.fixture(scope="module")
def tariff() -> QuoteEngine:
    return QuoteEngine()


@pytest.fixture(scope="module")
def facts() -> ProductFacts:
    return ProductFacts()


@pytest.fixture(scope="module")
def quote(tariff) -> dict:
    return tariff.quote(age=42, smoker=False, cover=150_000, term=20)


def ask(topic: str, *options: int, intent: str = "question") -> dict:
    return {"intent": intent, "topic": topic, "options_mentioned": list(options)}


def prices_in(text: str) -> set[str]:
    return set(re.findall(r"\d[\d.]*,\d\d €", text))


def option_prices(option: dict) -> set[str]:
    return {texts.price(option["monthly"]), texts.price(option["annual"])}


# Product questions come from the facts file, never "an advisor will tell you".


@pytest.mark.parametrize("intent", ["question", "objection"])
@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("quoted", [False, True], ids=["before", "after"])
def test_every_product_topic_is_answered_from_the_facts_file(
    facts, tariff, quote, intent, topic, quoted
):
    said = aside(ask(topic, intent=intent), quote if quoted else None)
    assert said == facts.answer(topic, tariff)
    assert said != texts.ANSWERS["other"]


def test_the_facts_and_tariff_given_are_the_ones_used(tariff):
    data = json.loads((resources.files("agent") / "data" / "product.json").read_text("utf-8"))
    data["answers"]["capital"] = "Capital de la aseguradora X, hasta {max_cover}."
    own = ProductFacts(data)
    assert (
        aside(ask("capital"), None, facts=own) == "Capital de la aseguradora X, hasta 2.000.000 €."
    )
    tariff_data = json.loads((resources.files("agent") / "data" / "tariff.json").read_text("utf-8"))
    tariff_data["monthly_loading"] = "1.05"
    assert "un 5 % más" in aside(ask("payment"), None, tariff=QuoteEngine(tariff_data))


def test_trust_names_the_distributor_and_the_withdrawal_days(facts):
    said = aside(ask("trust", intent="objection"), None)
    assert facts.distributor_name in said and f"{facts.withdrawal_days} días" in said


@pytest.mark.parametrize("topic", ["bot", "other", None])
def test_what_the_file_does_not_cover_keeps_its_text(topic):
    expected = texts.ANSWERS.get(topic or "other")
    assert aside({"intent": "question", "topic": topic}, None) == expected


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        ({"intent": "off_topic"}, texts.OFF_TOPIC),
        ({"intent": "greeting"}, "¡Hola de nuevo!"),
        ({"intent": "affirm"}, ""),
        ({"intent": "provide_info", "age": 40}, ""),
        ({"intent": "choose_option", "option": 2}, ""),
    ],
)
def test_a_message_that_asks_nothing_gets_no_answer(reading, expected, quote):
    assert aside(reading, quote) == expected


# Prices: only from the quote, and only what was asked.


def test_price_before_the_data_says_what_pricing_needs():
    said = aside(ask("price"), None)
    for needed in ("edad", "fuma", "capital", "plazo", "un minuto"):
        assert needed in said
    assert not re.search(r"\d", said.replace("un minuto", ""))
    assert aside(ask("price", intent="objection"), None) == said


@pytest.mark.parametrize("number", [1, 2, 3])
def test_the_price_of_one_option_monthly_and_yearly(quote, number):
    option = quote["options"][number - 1]
    said = aside(ask("price", number), quote)
    assert f"*{option['name']}*" in said
    assert prices_in(said) == option_prices(option)


def test_prices_are_read_from_the_quote_never_computed(quote):
    doctored = json.loads(json.dumps(quote))
    doctored["options"][0].update(monthly="12.34", annual="123.45")
    said = aside(ask("price", 1), doctored)
    assert prices_in(said) == {"12,34 €", "123,45 €"}


def test_the_price_of_every_option_when_none_is_named(quote):
    said = aside(ask("price"), quote)
    assert prices_in(said) == set().union(*map(option_prices, quote["options"]))


def test_an_option_that_does_not_exist_is_ignored(quote):
    assert aside(ask("price", 7), quote) == aside(ask("price"), quote)


def test_a_price_objection_offers_the_cheapest_and_the_named_option(quote):
    cheapest, dearest = quote["options"][0], quote["options"][2]
    said = aside(ask("price", 3, intent="objection"), quote)
    assert texts.price(cheapest["monthly"]) in said and cheapest["name"] in said
    assert option_prices(dearest) <= prices_in(said)
    assert texts.price(quote["options"][1]["monthly"]) not in said


# Comparisons: what the higher option adds, and both prices.


@pytest.mark.parametrize(("low", "high"), [(1, 3), (1, 2), (2, 3)])
def test_a_comparison_says_what_the_higher_option_adds_and_both_prices(quote, low, high):
    lower, higher = quote["options"][low - 1], quote["options"][high - 1]
    said = aside(ask("compare", high, low), quote)
    assert f"La *{higher['name']}* añade a la {lower['name']}" in said
    for guarantee in higher["guarantees"]:
        assert (guarantee.lower() in said.lower()) == (guarantee not in lower["guarantees"])
    assert prices_in(said) == option_prices(lower) | option_prices(higher)


def test_one_option_compared_is_set_against_the_one_below(quote):
    said = aside(ask("compare", 3), quote)
    assert "La *Completa* añade a la Recomendada" in said
    assert "invalidez" not in said


def test_a_comparison_before_the_quote_promises_the_prices(tariff):
    said = aside(ask("compare", 1, 3), None)
    assert "La *Completa* añade a la Básica" in said
    assert texts.ANSWERS["prices_later"] in said and not prices_in(said)


def test_a_comparison_of_nothing_in_particular_covers_every_option(quote):
    said = aside(ask("compare"), quote)
    assert all(f"*{option['name']}*" in said for option in quote["options"])
    assert prices_in(said) == set().union(*map(option_prices, quote["options"]))


def test_what_a_named_option_covers(quote):
    option = quote["options"][1]
    said = aside(ask("coverage", 2), quote)
    assert said.startswith(f"La *{option['name']}* cubre: ")
    assert all(g.lower() in said.lower() for g in option["guarantees"])
    assert prices_in(said) == option_prices(option)


# Re-asks: worded differently, shorter each time; a person after the third miss.

FIELDS = ["name", "age", "smoker", "cover", "term", "dependants", "insured", "quit_when"]


@pytest.mark.parametrize("field", FIELDS)
def test_re_asks_vary_and_get_shorter(field):
    asked = [texts.question(field, attempt, relation="padre") for attempt in range(3)]
    assert len(set(asked)) == 3
    assert len(asked[0]) > len(asked[1]) > len(asked[2])
    assert texts.question(field, 7, relation="padre") == asked[2]


@pytest.mark.parametrize("field", ["name", "age", "smoker", "cover", "term", "dependants"])
def test_the_first_ask_is_the_full_question(field):
    assert texts.question(field, 0) == texts.QUESTIONS[field]


@pytest.mark.parametrize("attempt", [0, 1, 2])
def test_who_is_insured_names_the_relation(attempt):
    assert "tu madre" in texts.question("insured", attempt, relation="madre")


@pytest.mark.parametrize("relation", [None, "", "otro"])
def test_who_is_insured_without_a_relation_asks_openly(relation):
    assert "otra persona" in texts.question("insured", 0, relation=relation)


def test_the_quit_question_states_the_tariffs_rule(facts):
    data = json.loads((resources.files("agent") / "data" / "tariff.json").read_text("utf-8"))
    data["ex_smoker_months"] = 6
    asked = texts.question("quit_when", 0, rule=facts.ex_smoker_rule(QuoteEngine(data)))
    assert asked.startswith("¿Cuánto hace que lo dejaste? ") and "6 meses" in asked


def test_offer_person_asks_for_a_yes():
    assert "asesor" in texts.OFFER_PERSON and "*sí*" in texts.OFFER_PERSON


# Someone writing in another language: one reply in it.

SPANISH_IN = {
    "en": "Spanish",
    "pt": "espanhol",
    "fr": "espagnol",
    "it": "spagnolo",
    "de": "Spanisch",
}


@pytest.mark.parametrize(("language", "word"), SPANISH_IN.items())
def test_a_foreign_speaker_is_told_in_their_language(language, word):
    said = texts.foreign(language)
    assert word in said and "*sí*" in said
    assert sum(other in said for other in SPANISH_IN.values()) == 1


@pytest.mark.parametrize(("code", "same_as"), [("pt-BR", "pt"), ("FR", "fr"), ("de_AT", "de")])
def test_a_regional_code_gets_its_language(code, same_as):
    assert texts.foreign(code) == texts.foreign(same_as)


@pytest.mark.parametrize("code", ["zz", "ja", ""])
def test_an_unknown_language_gets_english(code):
    assert texts.foreign(code) == texts.foreign("en")


@pytest.mark.parametrize(
    ("income", "low", "high"),
    [
        (30_000, "150.000 €", "300.000 €"),  # 5 and 10 years of it
        (1_500, "10.000 €", "15.000 €"),  # below the tariff's least cover: from it
        (300_000, "1.500.000 €", "2.000.000 €"),  # above its most: up to it
    ],
)
def test_capital_advice_on_a_stated_income_gives_its_own_range(income, low, high, tariff):
    limits = tariff.limits
    assert (limits.min_cover, limits.max_cover) == (10_000, 2_000_000)  # what the rows assume
    said = aside({**ask("capital"), "income": income}, None, tariff=tariff)
    income_said = f"{income:,}".replace(",", ".") + " €"
    assert said == texts.COVER_FOR_INCOME.format(income=income_said, low=low, high=high)


def test_capital_advice_without_an_income_is_the_facts_files(facts, tariff):
    assert aside(ask("capital"), None, facts=facts, tariff=tariff) == facts.answer(
        "capital", tariff
    )


def test_a_recommendation_names_one_option_and_its_quoted_price(quote, tariff):
    said = aside(ask("recommend"), quote, tariff=tariff)
    named = [o["name"] for o in quote["options"] if o["name"] in said]
    assert named == ["Recomendada"]  # only it: "vale, esa" then picks it
    assert prices_in(said) == option_prices(quote["options"][1])


def test_a_recommendation_between_named_options_compares_them(quote, tariff):
    assert aside(ask("recommend", 2, 3), quote, tariff=tariff) == aside(
        ask("compare", 2, 3), quote, tariff=tariff
    )


def test_what_counts_as_smoking_states_the_tariffs_months(tariff):
    said = aside(ask("smoking"), None, tariff=tariff)
    assert "vapear" in said and f"{tariff.ex_smoker_months} meses" in said


def test_the_quote_is_free_the_insurance_is_not():
    said = aside(ask("free"), None)
    assert "gratis" in said and "solo pagarías el seguro si decides contratarlo" in said
