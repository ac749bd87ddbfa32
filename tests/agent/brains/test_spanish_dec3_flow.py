"""Conversation flow that tries of `iagente chat` found misread (December, third pass).

Consent, the name, and questions or pauses in the middle of the data.
"""

from __future__ import annotations

from datetime import date

import pytest

from agent.brains.spanish import read_spanish

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "expecting", "intent", "topics"),
    [
        # a doubt and a question in one message: both are asked, the doubt first
        (
            "hola, ¿cuánto cuesta un seguro de vida? ¿es fiable esto?",
            None,
            "objection",
            ["trust", "price"],
        ),
        ("es caro, ¿puedo pagar mensual?", "option", "objection", ["price", "payment"]),
        # a price complaint that asks a price is one topic, not the same one twice
        ("es caro, ¿y cuánto cuesta la básica?", "option", "objection", []),
        ("¿es fiable esto?", None, "objection", []),
    ],
)
def test_every_topic_of_an_objection_is_kept(text, expecting, intent, topics):
    reading = read_spanish(text, expecting=expecting, today=TODAY)
    assert (reading.intent, reading.topics) == (intent, topics)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("34", 34),
        ("34.", 34),
        ("mmm 52", 52),
        # not an adult's age: no datum, the name is asked again
        ("5", None),
        ("150", None),
    ],
)
def test_a_bare_age_at_the_name_question_is_the_age(text, age):
    reading = read_spanish(text, expecting="name", today=TODAY)
    assert (reading.age, reading.name) == (age, None)


@pytest.mark.parametrize(
    ("text", "expecting", "name"),
    [
        # the nickname is the only name given: it is the name to call them by
        ("me dicen el gocho", "name", "Gocho"),
        ("me llaman la Flaca", "name", "Flaca"),
        ("me dicen el Rulo, tengo 40", None, "Rulo"),
        ("dime Pepe", "name", "Pepe"),
        ("decime Nacho", "name", "Nacho"),
        # the name said first is the one kept; the nickname after it is only how they are called
        ("soy Juanma pero me dicen Juan", "name", "Juanma"),
        ("Guadalupe pero me dicen Lupita", "name", "Guadalupe"),
    ],
)
def test_a_nickname_given_alone_is_the_name(text, expecting, name):
    assert read_spanish(text, expecting=expecting, today=TODAY).name == name


@pytest.mark.parametrize("text", ["dime una cosa", "dime", "dime cuánto cuesta"])
def test_dime_before_anything_else_is_no_name(text):
    assert read_spanish(text, expecting="name", today=TODAY).name is None


@pytest.mark.parametrize(
    ("text", "expecting", "intent", "topic"),
    [
        # asking whether someone will phone them: answered, not off topic
        ("¿me van a llamar?", "age", "question", "contact"),
        ("¿me va a llamar alguien?", "smoker", "question", "contact"),
        ("¿me llamarán por teléfono?", "cover", "question", "contact"),
        ("¿esto es por chat o me llaman?", "term", "question", "contact"),
        ("¿cuándo me llama el asesor?", None, "question", "contact"),
        ("¿me van a estar llamando?", "age", "question", "contact"),
        # a request to be called is still a request for a person, and a plea not to be called
        # still stops the messages
        ("llámame, por favor", "age", "handoff", None),
        ("no quiero que me llamen", "age", "opt_out", None),
        # a pause in the middle of the data: neither a miss nor off topic
        ("espera", "age", "objection", "wait"),
        ("un momento", "age", "objection", "wait"),
        ("dame un segundo", "cover", "objection", "wait"),
        ("ahorita te digo", "term", "objection", "wait"),
        ("espérame tantito", "term", "objection", "wait"),
        ("déjame ver", "cover", "objection", "wait"),
        ("un momentito por favor", "age", "objection", "wait"),
        # only a hesitation is a pause too, not a reply not understood
        ("mmm", "age", "objection", "wait"),
        ("ehhh a ver...", "cover", "objection", "wait"),
        ("mmm no sé", "cover", "unknown", None),
        ("mmm bueno", "readback", "affirm", None),
        # a question said with the pause is the question
        ("espera, ¿eso cubre accidentes?", "age", "question", "coverage"),
        # data said with it are data
        ("espera, mejor 200.000", "cover", "provide_info", "wait"),
    ],
)
def test_a_call_asked_about_or_a_pause_is_understood(text, expecting, intent, topic):
    reading = read_spanish(text, expecting=expecting, today=TODAY)
    assert (reading.intent, reading.topic) == (intent, topic)


@pytest.mark.parametrize("text", ["vale, espera", "sí, un momento", "ok dame un segundo"])
def test_a_yes_that_asks_to_wait_confirms_nothing(text):
    reading = read_spanish(text, expecting="readback", today=TODAY)
    assert reading.intent != "affirm"


@pytest.mark.parametrize(
    ("text", "expecting"),
    [
        ("¿para qué necesitas mi edad?", "age"),
        ("¿por qué necesitas saber mi edad?", "age"),
        ("¿por qué me preguntas si fumo?", "smoker"),
        ("¿para qué quiere saber si fumo?", "smoker"),
        ("¿y para qué necesitas el plazo?", "term"),
    ],
)
def test_why_a_datum_is_asked_is_a_question_about_the_price(text, expecting):
    reading = read_spanish(text, expecting=expecting, today=TODAY)
    assert (reading.intent, reading.topic, reading.smoker) == ("question", "price", None)


@pytest.mark.parametrize(
    ("text", "expecting"),
    [
        ("hola, ¿es para toda la vida o por años?", None),
        ("¿no puede ser para toda la vida?", "term"),
        ("¿es un seguro vitalicio?", "age"),
    ],
)
def test_whole_life_asked_about_is_a_question_about_the_term(text, expecting):
    reading = read_spanish(text, expecting=expecting, today=TODAY)
    assert (reading.intent, reading.topic) == ("question", "term")


@pytest.mark.parametrize(
    ("text", "known", "smoker"),
    [
        # asked whether they smoke, they switch the insured: the "no" answers nothing of hers
        ("ah no espera, es para mi mujer", frozenset({"age"}), None),
        ("no, es para mi marido", frozenset({"age"}), None),
        # asked of her ("¿Fuma tu mujer?"), a bare no is hers
        ("no", frozenset({"age", "insured_relation"}), False),
        ("no, mi mujer no fuma", frozenset({"age"}), False),
    ],
)
def test_a_bare_no_that_switches_the_insured_says_nothing_of_their_smoking(text, known, smoker):
    reading = read_spanish(text, expecting="smoker", today=TODAY, known=known)
    assert reading.smoker is smoker


@pytest.mark.parametrize(
    ("text", "register"),
    [
        ("Me llamo Ernesto, ¿me puede tutear?", "tu"),
        ("puede tutearme, no hay problema", "tu"),
        ("hábleme de tú, por favor", "tu"),
        ("no me tutee, por favor", "usted"),
        ("no me tutees", "usted"),
    ],
)
def test_a_register_asked_for_is_the_register(text, register):
    assert read_spanish(text, expecting="name", today=TODAY).formality == register


@pytest.mark.parametrize(
    ("text", "expecting"),
    [("luego sigo", "cover"), ("mañana lo termino", "term"), ("más tarde seguimos", "age")],
)
def test_going_on_later_puts_it_off(text, expecting):
    reading = read_spanish(text, expecting=expecting, today=TODAY)
    assert (reading.intent, reading.topic) == ("objection", "think")
