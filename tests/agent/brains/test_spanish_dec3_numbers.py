"""Numbers, ages and terms that tries of `iagente chat` found misread (December, third pass).

Each row names only the fields it is about; a field given as None must stay unset.
"""

from __future__ import annotations

from datetime import date

import pytest

from agent.brains.spanish import read_spanish

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "expecting", "expected"),
    [
        # the years until a child reaches an age are the term
        ("hasta que mi hija cumpla 25, ahora tiene 7", "term", dict(term=18)),
        (
            "hasta que los niños sean mayores de edad, el pequeño tiene 5",
            "term",
            dict(term=13),
        ),
        ("hasta que la niña tenga 18, tiene 3 años", "term", dict(term=15)),
        ("mi hijo tiene 9 y quiero cubrir hasta que él cumpla 21", "term", dict(term=12)),
        ("hasta que sean mayores de edad, tienen 4 y 8", "term", dict(term=14)),
        (
            "tengo 40, no fumo, 200 mil hasta que mi hija cumpla 25, ahora tiene 7",
            None,
            dict(age=40, smoker=False, cover=200_000, term=18),
        ),
        ("hasta que mi hija cumpla 25, ahora tiene 7", "age", dict(term=18, age=None)),
        # an explicit term wins; the child's age alone says nothing of the term
        ("20 años, hasta que la pequeña sea mayor", "term", dict(term=20)),
        ("20 años, hasta que la pequeña sea mayor de edad, tiene 3", "term", dict(term=20)),
        ("hasta que mi hija cumpla 25", "term", dict(term=None, term_end_age=None)),
        ("hasta que mi hija cumpla 25, tiene 30", "term", dict(term=None)),
        # an age and a half, or and some months, is the age; "40 y pico" may be the forties
        ("tengo 38 y medio", "age", dict(age=38)),
        ("38 y medio", "age", dict(age=38)),
        ("38 años y pico", "age", dict(age=38)),
        ("tengo treinta y ocho y pico", "age", dict(age=38)),
        ("Marta, 52 largos, no fumo", "name", dict(name="Marta", age=52, smoker=False)),
        ("soy Marta, 40 y pico", None, dict(name="Marta", age=None)),
        ("40 y pico", "age", dict(age=None)),
        ("cuarenta y tantos", "age", dict(age=None)),
        ("unos 38", "age", dict(age=None)),
        ("38 o así", "age", dict(age=None)),
        ("10 y medio", "term", dict(term=10)),
        # a range is asked, as "25 o 30 años" is; a change from one figure to another is the new one
        ("de 20 a 25 años", "term", dict(term=None)),
        ("20-25 años", "term", dict(term=None)),
        ("de 20 a 25", "term", dict(term=None)),
        ("15 a 20 años", "term", dict(term=None)),
        ("quiero de 20 a 25 años de plazo", None, dict(term=None)),
        ("tengo 40 y quiero 200 mil de 20 a 25 años", None, dict(age=40, cover=200_000, term=None)),
        ("de 100 a 150 mil", "cover", dict(cover=None)),
        ("cambia el plazo de 20 a 25 años", "readback", dict(term=25)),
        ("el plazo cámbialo de 25 a 20", "readback", dict(term=20)),
        ("el plazo cámbialo a 25", "readback", dict(term=25)),
        ("el capital ponlo en 150", "readback", dict(cover=150_000)),
        ("súbelo de 100 a 150 mil", "readback", dict(cover=150_000)),
        ("cambia el capital de 100 mil a 150 mil", "readback", dict(cover=150_000)),
        ("quiero 150 mil a 20 años", None, dict(cover=150_000, term=20)),
        ("tengo 2 hijos de 5 a 10 años", None, dict(dependants=2, term=None, age=None)),
        # a figure taken back in the same message: the one said after it is meant
        ("20 años, no, mejor 25", "term", dict(term=25)),
        ("20 años, mejor 25", "term", dict(term=25)),
        ("20 años... bueno no, 25", "term", dict(term=25)),
        ("20 años perdón 25", "term", dict(term=25)),
        ("25 años, no espera, 20", "term", dict(term=20)),
        ("20 años, o mejor dicho 25", "term", dict(term=25)),
        ("35, no, 36", "age", dict(age=36)),
        ("tengo 35, perdón, 36, y no fumo", None, dict(age=36, smoker=False)),
        ("200 mil, no, mejor 250 mil", "cover", dict(cover=250_000)),
        ("200 mil, no, 250", "cover", dict(cover=250_000)),
        ("quiero 20 años, no, mejor 25, tengo 40", None, dict(term=25, age=40)),
        ("25, perdón 20", "term", dict(term=20)),
        ("el plazo mejor 25", "readback", dict(term=25)),
        # "25 años, no 20": 25, not 20
        ("25 años, no 20", "term", dict(term=25)),
        ("tengo 40 no 45", "age", dict(age=40)),
        # a list: an age, a no (to smoking) and another figure
        ("35, no, 20 años", "age", dict(age=35, term=20)),
        ("35 años, no, 150 mil, 20 años", None, dict(age=35, cover=150_000, term=20)),
        ("Pedro, 35, no, 20", "name", dict(name="Pedro", age=35)),
        # thousands set off by spaces (as the RAE writes them), cents after them
        ("150 000 €", "cover", dict(cover=150_000)),
        ("150 000", "cover", dict(cover=150_000)),
        ("1 500 000 euros", "cover", dict(cover=1_500_000)),
        ("tengo 40, 200 000 € a 20 años", None, dict(age=40, cover=200_000, term=20)),
        ("150.000,00 €", "cover", dict(cover=150_000)),
        ("150,000.00", "cover", dict(cover=150_000)),
        ("1.200.000,50 euros", "cover", dict(cover=1_200_000)),
        ("tengo 35 150 000 euros", None, dict(age=35, cover=150_000)),
        # a year of birth before a comma or a full stop
        ("nací en 1985, no fumo", None, dict(age=41, smoker=False)),
        ("soy del 85. no fumo", None, dict(age=41, smoker=False)),
        ("nací en el 85, quiero 100 mil", None, dict(age=41, cover=100_000)),
        ("soy del 85.000", None, dict(age=None)),
        ("nací en 1985, hasta los 65", None, dict(age=41, term=None, term_end_age=65)),
        # the year the cover should end in: the years from now to then
        ("la hipoteca acaba en 2045", "term", dict(term=19, purpose="hipoteca")),
        ("hasta 2045", "term", dict(term=19)),
        ("hasta el año 2050", "term", dict(term=24)),
        ("termino de pagar el piso en diciembre de 2041", "term", dict(term=15)),
        ("tengo 40 y la hipoteca vence en 2046", None, dict(age=40, term=20)),
        ("20 años, la hipoteca acaba en 2045", "term", dict(term=20)),
        ("hasta 2020", "term", dict(term=None)),
        ("pagaría hasta 2040 euros al año", None, dict(term=None)),
        # a zero typed as the letter o, at the end of what is said
        ("tengo 4o", "age", dict(age=40)),
        ("4o, no fumo", "age", dict(age=40, smoker=False)),
        ("2o", "term", dict(term=20)),
        # months to a birthday: the age before it, and no term of months
        ("me faltan 2 meses para los 40", "age", dict(age=39, term=None)),
        ("me faltan 3 meses para cumplir 50", "age", dict(age=49, term=None)),
        ("tengo 39, me faltan 2 meses para los 40", None, dict(age=39, term=None)),
        ("me faltan 2 meses para los 40, tengo 39 y no fumo", None, dict(age=39, smoker=False)),
        ("me quedan 15 años de hipoteca", "term", dict(term=15)),
        ("me faltan un par de meses para los 40", "age", dict(age=39)),
        ("me quedan 20 años para los 65", "age", dict(age=None)),
        # numbers in words as they are typed: feminine hundreds, a c or an s, "trenta"
        ("cuarenta y sinco", "age", dict(age=45)),
        ("cuatrocientas mil", "cover", dict(cover=400_000)),
        ("seiscientas mil euros", "cover", dict(cover=600_000)),
        ("docientos mil", "cover", dict(cover=200_000)),
        ("trenta años", "term", dict(term=30)),
        ("tengo trentaicinco", "age", dict(age=35)),
        ("trenta y ocho", "age", dict(age=38)),
    ],
)
def test_reading(text, expecting, expected):
    reading = read_spanish(text, expecting=expecting, today=TODAY)
    assert {k: getattr(reading, k) for k in expected} == expected
