"""Confidence: which of the rules brain's Readings the llm brain trusts without a model call."""

from __future__ import annotations

from datetime import date

import pytest

from agent.brains.base import Reading
from agent.brains.confidence import FREE_FORM_WORDS, confident, unaccounted_figures
from agent.brains.rules import RulesBrain

TODAY = date(2026, 12, 1)
RULES = RulesBrain()


def rules_confident(text: str, expecting: str | None) -> bool:
    return confident(RULES.read(text, expecting=expecting, today=TODAY), text)


@pytest.mark.parametrize(
    ("text", "expecting"),
    [
        ("Hola", None),
        ("sí", "consent"),
        ("Soy Ana, 35 años, no fumo", "name"),
        ("150.000 €", "cover"),
        ("150 mil", "cover"),
        ("20 años", "term"),
        ("hasta los 65", "term"),
        ("treinta y cinco", "age"),
        ("tengo dos hijos", "dependants"),
        ("nací el 3/4/1980", "age"),
        ("dejé de fumar hace 2 años", "quit_when"),
        ("para mi familia", "dependants"),
        ("la 2", "option"),
        ("¿cuánto cuesta?", None),
        ("me lo pienso", "option"),
    ],
)
def test_the_messages_of_a_typical_sale_are_read_by_the_rules(text, expecting):
    assert rules_confident(text, expecting)


@pytest.mark.parametrize(
    ("text", "expecting", "why"),
    [
        ("asdf qwerty", None, "no known intent"),
        ("¿y eso qué es?", None, "no known intent"),
        ("I would like a life insurance", None, "not Spanish"),
        ("200.000 dólares", "cover", "a figure left over: the amount in dollars"),
        ("somos 4 en casa", "dependants", "a figure left over"),
        ("mi hija de 7 y mi hijo de 9", "dependants", "figures left over: the children's ages"),
        (
            "pues mira te cuento, la verdad es que sí quiero seguir con esto y lo que haga falta",
            "consent",
            "free-form",
        ),
    ],
)
def test_the_model_is_asked_when_the_rules_are_not_sure(text, expecting, why):
    assert not rules_confident(text, expecting), why


def test_free_form_starts_past_the_word_limit():
    short = " ".join(["sí"] * FREE_FORM_WORDS)
    assert confident(Reading(intent="affirm"), short)
    assert not confident(Reading(intent="affirm"), short + " sí")


def test_a_question_or_objection_needs_a_topic_the_rules_know():
    assert confident(Reading(intent="question", topic="price"), "¿precio?")
    assert not confident(Reading(intent="question", topic="other"), "¿y esto?")
    assert not confident(Reading(intent="objection"), "pues no sé")


def test_every_figure_must_be_a_value_of_the_reading():
    reading = Reading(intent="provide_info", age=35, cover=150000)
    assert unaccounted_figures(reading, "35 años y 150 mil") == []
    assert unaccounted_figures(reading, "35 años, 150 mil y 3 hijos") == [3]
    quit = Reading(intent="provide_info", ex_smoker=True, quit_months=36)
    assert unaccounted_figures(quit, "lo dejé hace 3 años") == []
