"""Tests for the usted register: every reply the bot can produce, converted, keeps no tú."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agent import texts
from agent.answers import aside
from agent.facts import TOPICS, ProductFacts
from agent.quote import QuoteEngine
from agent.voice import formal

TARIFF = QuoteEngine()
FACTS = ProductFacts()
QUOTE = TARIFF.quote(age=42, smoker=True, cover=150_000, term=20)

# The forms of tú our texts use, or could: each is checked below to be caught. "responde" and
# "escribe" are also third person; our texts only use them to tell the customer what to write.
TU_WORDS = {
    "tú", "te", "ti", "tu", "tus", "tuyo", "tuya", "tuyos", "tuyas", "contigo",
    "tienes", "quieres", "puedes", "prefieres", "necesitas", "fumas", "vapeas", "has", "eres",
    "estás", "das", "aceptas", "confirmas", "cambias", "eliges", "recibes", "pides", "contratas",
    "falleces", "llamas", "quedas", "sabes", "vas",
    "quieras", "necesites", "prefieras", "puedas", "tengas", "elijas",
    "dime", "dímelo", "escríbeme", "pídelo", "tómate", "perdona", "ten", "responde", "escribe",
    "di", "contesta",
}  # fmt: skip
# Verb + te ("contactarte"), preterite ("dejaste", "dijiste") and future ("verás"), without
# the words that merely end the same way.
TU_ENDINGS = [
    (r"\w+[aei]rte", {"parte", "aparte", "suerte", "muerte", "fuerte", "advierte", "convierte"}),
    (r"\w+(?:aste|iste)", {"existe", "insiste", "consiste", "resiste", "asiste", "triste"}),
    (
        r"\w+[áé]s",
        {"más", "además", "después", "atrás", "detrás", "jamás", "través", "interés", "inglés"},
    ),
]


def tu_forms(text: str) -> list[str]:
    """The tú forms left in `text`, outside what the customer is quoted as writing."""
    text = re.sub(r"«[^»]*»|\{[^}]*\}", " ", text)
    return [word for word in re.findall(r"\w+", text) if _is_tu(word.lower())]


def _is_tu(word: str) -> bool:
    if word in TU_WORDS:
        return True
    return any(re.fullmatch(pattern, word) and word not in not_tu for pattern, not_tu in TU_ENDINGS)


def constants() -> Iterator[tuple[str, str]]:
    """Every string constant of texts.py, however nested (the foreign replies aside)."""

    def walk(name: str, value: object) -> Iterator[tuple[str, str]]:
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(f"{name}.{key}", item)
        elif isinstance(value, tuple | list):
            for i, item in enumerate(value):
                yield from walk(f"{name}[{i}]", item)

    for name, value in vars(texts).items():
        if name.isupper() and name != "FOREIGN":
            yield from walk(f"texts.{name}", value)


def rendered() -> Iterator[tuple[str, str]]:
    """What the functions and the facts file produce, as the customer reads it."""
    for topic in TOPICS:
        yield f"facts.{topic}", FACTS.answer(topic, TARIFF)
    yield "facts.ex_smoker_rule", FACTS.ex_smoker_rule(TARIFF)
    for topic in (*TOPICS, "price", "compare", "trust", "think", "bot", "other"):
        for intent in ("question", "objection"):
            for options in ([], [2], [1, 3]):
                reading = {"intent": intent, "topic": topic, "options_mentioned": options}
                yield f"aside.{topic}.{intent}.{options}", aside(reading, None)
                yield f"aside.{topic}.{intent}.{options}.quoted", aside(reading, QUOTE)
    for field in ("name", "age", "smoker", "cover", "term", "dependants", "insured", "quit_when"):
        for attempt in range(3):
            yield f"question.{field}.{attempt}", texts.question(field, attempt)
            yield (
                f"question.{field}.{attempt}.padre",
                texts.question(field, attempt, relation="padre"),
            )
    rule = FACTS.ex_smoker_rule(TARIFF)
    yield "question.quit_when.rule", texts.question("quit_when", 0, rule=rule)
    profile = {"name": "Ana", "age": 35, "smoker": False, "cover": 100_000, "term": 20}
    yield "summary", texts.summary({**profile, "purpose": "familia", "dependants": 0})
    yield "summary.dependants", texts.summary({"smoker": True, "dependants": 2})
    yield "readback.self", texts.readback_lines(profile)
    other = {**profile, "smoker": True, "insured": "other", "insured_relation": "madre"}
    yield "readback.other", texts.readback_lines(other)
    yield "smoker_label", f"{texts.smoker_label(True)}, {texts.smoker_label(False)}"
    yield "option_lines", "\n".join(texts.option_lines(QUOTE) + texts.option_lines_sms(QUOTE))


REPLIES = dict([*constants(), *rendered()])


def test_the_replies_checked_are_in_tu_to_begin_with():
    with_tu = [name for name, text in REPLIES.items() if tu_forms(text)]
    assert len(with_tu) > len(REPLIES) / 2
    assert "texts.QUESTIONS.name" in with_tu and "facts.data" in with_tu


@pytest.mark.parametrize("name", REPLIES)
def test_no_tu_is_left(name):
    assert tu_forms(formal(REPLIES[name])) == []


@pytest.mark.parametrize("name", REPLIES)
def test_figures_placeholders_and_quoted_words_are_untouched(name):
    text, said = REPLIES[name], formal(REPLIES[name])
    for kept in (r"\d[\d.,]*", r"\{[^}]*\}", r"«[^»]*»", r"\*[^*]*\*"):
        assert re.findall(kept, said) == re.findall(kept, text)


@pytest.mark.parametrize("name", REPLIES)
def test_saying_it_twice_changes_nothing(name):
    once = formal(REPLIES[name])
    assert formal(once) == once


@pytest.mark.parametrize("word", sorted(TU_WORDS))
def test_the_check_catches_each_tu_word(word):
    assert tu_forms(f"Vale, {word} ahora.") == [word]
    assert tu_forms(f"Vale, {word.capitalize()} ahora.") == [word.capitalize()]


@pytest.mark.parametrize("word", ["contactarte", "ofrecerte", "dejaste", "dijiste", "verás"])
def test_the_check_catches_tu_endings(word):
    assert tu_forms(f"Para {word} mañana.") == [word]


@pytest.mark.parametrize(
    ("tu", "usted"),
    [
        ("¿Cómo te llamas?", "¿Cómo se llama?"),
        ("¿Con cuál te quedas?", "¿Con cuál se queda?"),
        ("Te ayudo a calcular tu seguro.", "Le ayudo a calcular su seguro."),
        ("Con ellos te lo calculo.", "Con ellos se lo calculo."),
        ("¿Qué edad tienes?", "¿Qué edad tiene?"),
        ("¿Fumas o vapeas?", "¿Fuma o vapea?"),
        ("Si quieres, dime qué cambio.", "Si quiere, dígame qué cambio."),
        ("escríbeme «acepto» y empezamos", "escríbame «acepto» y empezamos"),
        ("Responde *sí* o *no*.", "Responda *sí* o *no*."),
        ("Responde SI o NO.", "Responda SI o NO."),
        ("RESPONDE SI", "RESPONDA SI"),
        ("Responde 1, 2 o 3.", "Responda 1, 2 o 3."),
        ("escribe «quiero hablar con una persona»", "escriba «quiero hablar con una persona»"),
        ("o di «asesor» si prefieres", "o diga «asesor» si prefiere"),
        ("Si cambias de opinión, escribe ALTA.", "Si cambia de opinión, escriba ALTA."),
        ("¡A ti!", "¡A usted!"),
        ("dependen de ti", "dependen de usted"),
        ("revisa contigo", "revisa con usted"),
        ("Asegurado: tú (Ana)", "Asegurado: usted (Ana)"),
        ("Claro, tómate tu tiempo.", "Claro, tómese su tiempo."),
        ("Has elegido la *Básica*", "Ha elegido la *Básica*"),
        ("¿Cuánto hace que lo dejaste?", "¿Cuánto hace que lo dejó?"),
        ("no puedo ofrecerte\neste seguro", "no puedo ofrecerle\neste seguro"),
        ("Te   lo calculo", "Se lo calculo"),
    ],
)
def test_tu_becomes_usted(tu, usted):
    assert formal(tu) == usted


@pytest.mark.parametrize(
    "text",
    [
        "Precios de una tarifa ilustrativa; la aseguradora confirma el precio final.",
        "Un asesor le escribe y responde a sus dudas.",
        "¿Cómo se llama? Le ayudo con su seguro; tiene 30 días.",
        "La parte que le quede de hipoteca, por suerte, sigue cubierta.",
        "Hola{name}, «mi tutor dice que te lo diga»: 1.234,56 €.",
    ],
)
def test_what_is_not_tu_is_left_alone(text):
    assert formal(text) == text


@pytest.mark.parametrize("language", sorted(texts.FOREIGN))
def test_the_foreign_replies_are_left_alone(language):
    assert formal(texts.foreign(language)) == texts.foreign(language)
