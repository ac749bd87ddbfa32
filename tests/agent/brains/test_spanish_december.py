"""Readings that independently written customers (customers_dec.yaml) found missing.

Each row names only the fields it is about; a field given as None must stay unset.
"""

from __future__ import annotations

from datetime import date

import pytest

from agent.brains.spanish import read_spanish

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expecting", "expected"),
    [
        # consent in so many words, as the refusal text invites; a bare yes is not
        ("bueno venga, acepto", None, dict(intent="affirm", consents=True)),
        ("doy mi consentimiento", "consent", dict(consents=True)),
        ("sí", None, dict(intent="affirm", consents=None)),
        ("no acepto", "consent", dict(intent="deny", consents=None)),
        # a name that is also a yes, written as a name when the name was asked
        ("Vale", "name", dict(intent="provide_info", name="Vale")),
        ("vale", "name", dict(intent="affirm", name=None)),
        ("Vale", "age", dict(intent="affirm", name=None)),
        # options by their covers
        (
            "la que cubre tambien la invalidez pero sin lo de enfermedad grave",
            "option",
            dict(intent="choose_option", option=2),
        ),
        ("la que solo cubre fallecimiento", "option", dict(intent="choose_option", option=1)),
        ("¿qué cubre la completa?", "option", dict(intent="question", option=None)),
        # opt-out and is-it-a-bot, said to usted/ustedes
        ("no me interesa, denme de baja", "age", dict(intent="opt_out")),
        ("¿puedo darme de baja del seguro?", None, dict(intent="question", topic="cancel")),
        ("¿Usted es una persona o una máquina?", "age", dict(intent="question", topic="bot")),
        # which option to take, or which figure, without naming one
        ("cual me recomiendas?", "option", dict(intent="question", topic="recommend")),
        ("y vos cual elegirias?", "option", dict(intent="question", topic="recommend")),
        ("que me recomiendas?", "cover", dict(intent="question", topic="capital")),
        ("cuantos años me recomiendas?", "term", dict(intent="question", topic="term")),
        # someone else's retirement, "pa", Chilean kids, "hijos no tengo"
        ("hasta que se jubile", "term", dict(until_retirement=True, term=None)),
        (
            "Saludos, es pa mi esposa el seguro",
            None,
            dict(insured="other", insured_relation="mujer"),
        ),
        ("mi señora y mis 2 cabros", "dependants", dict(dependants=3)),
        (
            "es por la hipoteca, hijos no tengo ni nadie a mi cargo",
            "dependants",
            dict(dependants=0, purpose="hipoteca"),
        ),
        # a formal salutation with a courteous wish is usted, unless a tú form follows
        (
            "Buenos días. Quisiera información sobre un seguro de vida para mí.",
            None,
            dict(formality="usted"),
        ),
        (
            "Buenos dias, quisiera saber cuanto me costaria, puedes decirme?",
            None,
            dict(formality="tu"),
        ),
        ("Hola, quisiera información", None, dict(formality=None)),
        # voice-note style (customers_jan.yaml): numbers in words, hesitations, lower case
        ("nací el doce de mayo del ochenta y ocho", "age", dict(birth_date=date(1988, 5, 12))),
        (
            "el treinta y uno de enero de mil novecientos setenta y dos",
            "age",
            dict(birth_date=date(1972, 1, 31)),
        ),
        ("pilar tengo cincuenta y siete años", "name", dict(name="Pilar", age=57)),
        ("eh jordi jordi puig", "name", dict(name="Jordi Puig")),
        ("ignacio pero decime nacho", "name", dict(name="Ignacio")),
        ("treinta añitos", "age", dict(age=30)),
        ("chacho sí claro", "consent", dict(intent="affirm")),
        ("mi hija nomás soy mamá soltera", "dependants", dict(name=None, dependants=1)),
        ("esposa e hija", "dependants", dict(dependants=2)),
        (
            "de momento nadie o sea vivo con mi pareja pero trabajamos los dos",
            "dependants",
            dict(dependants=0),
        ),
        ("fuma pero poquito unos tres cigarrillos al día", "smoker", dict(smoker=True)),
        (
            "eh no sé cuánto se suele poner o sea yo cobro unos cuarenta mil al año",
            "cover",
            dict(intent="question", topic="capital", cover=None),
        ),
        ("Buenos días le hablo desde Lugo quería informarme", None, dict(formality="usted")),
        # changing the option at its confirmation; asking about the advisor is no request
        (
            "mmm no mejor la otra la recomendada",
            "confirm_option",
            dict(intent="choose_option", option=2),
        ),
        (
            "mmm no espera mejor la recomendada que la completa se me va de presupuesto",
            "confirm_option",
            dict(intent="choose_option", option=2),
        ),
        ("¿es mejor la 2 que la 3?", "option", dict(intent="question", option=None)),
        ("cuándo me llama el asesor?", "option", dict(intent="question")),
        ("mi marido dice que mejor que nos llame una persona", "option", dict(intent="handoff")),
        (
            "¿Se puede pagar todos los meses? ¿Y si quiero quitarlo más adelante?",
            "option",
            dict(intent="question", topics=["cancel", "payment"]),
        ),
        ("lo vemos mas adelante", "option", dict(intent="objection", topic="think")),
        ("bo si, dale", "consent", dict(intent="affirm")),
        # customers_mar.yaml: options by what only they cover; a yes with a question waits
        (
            "quiero la que incluye lo de enfermedad grave",
            "option",
            dict(intent="choose_option", option=3),
        ),
        (
            "la que cubre invalidez pero no la mas cara",
            "option",
            dict(intent="choose_option", option=2),
        ),
        (
            "sí pero ¿puedo cambiar luego?",
            "confirm_option",
            dict(intent="question", topic="cancel"),
        ),
        # customers_apr.yaml: questions asked while buying
        (
            "si alguien se suicida el seguro paga o no?",
            None,
            dict(intent="question", topic="exclusions"),
        ),
        (
            "tuve un cáncer de mama hace 6 años, ahora estoy bien. eso afecta?",
            "readback",
            dict(intent="question", topic="exclusions", term=None),
        ),
        (
            "500.000. con tanto capital me van a pedir análisis o algo?",
            "cover",
            dict(topic="process", cover=500_000),
        ),
        (
            "si viajo por trabajo fuera del país, ¿igual quedo cubierta?",
            "term",
            dict(intent="question", topic="coverage"),
        ),
        ("eso se puede deducir de impuestos?", "option", dict(intent="question", topic="other")),
        (
            "cuánto más caro sale pagar mensual que anual?",
            "option",
            dict(intent="question", topic="payment"),
        ),
        ("¿Y después cómo es el proceso?", "name", dict(intent="question", topic="process")),
        ("¿Hasta qué edad me puede cubrir?", "term", dict(intent="question", topic="term")),
        ("el pago es con bank account o con card?", "term", dict(topic="payment")),
        ("se puede pagar con tarjeta de credito?", "option", dict(topic="payment", purpose=None)),
        (
            "y esto tiene permanencia? si lo quito a los dos años me penalizan?",
            "option",
            dict(intent="question", topic="cancel", term=None),
        ),
        (
            "el dinero se lo llevaria mi mujer directamente no?",
            "dependants",
            dict(intent="question", topic="coverage", dependants=None),
        ),
        ("ya, los datos están bien", "readback", dict(intent="affirm")),
        (
            "me quedo con la 2, pero decime, hay permanencia?",
            "option",
            dict(intent="choose_option", option=2, topic="cancel"),
        ),
        (
            "¿La opción 2 se puede pagar mensualmente?",
            "option",
            dict(intent="question", option=None),
        ),
        # customers_may.yaml: typos and glued words
        ("tengo 4o años", "age", dict(age=40)),
        ("jorge 40años nofumo", "name", dict(name="Jorge", age=40, smoker=False)),
        ("no fumo nunac fume", "smoker", dict(smoker=False, ex_smoker=None)),
        ("señora y 3 cabros", "dependants", dict(dependants=4, formality=None)),
        ("ah vale pues no grasias", "handoff_offer", dict(intent="deny")),
        ("mejor q me llame una persona x favor", "option", dict(intent="handoff")),
        # an option picked by its price: the graph finds the option that costs it
        ("la de 12 y pico al mes", "option", dict(intent="choose_option", price_named=12.0)),
        (
            "me quedo con la de 38 euros",
            "option",
            dict(intent="choose_option", price_named=38.0, cover=None),
        ),
        ("la de 2", "option", dict(price_named=None)),
        ("la de 12 y pico al mes", "cover", dict(price_named=None)),  # Uruguay (customers_feb.yaml)
    ],
)
def test_december_readings(text, expecting, expected):
    reading = read_spanish(text, expecting=expecting, today=TODAY)
    assert {key: getattr(reading, key) for key in expected} == expected, reading
