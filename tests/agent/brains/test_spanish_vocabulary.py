"""The vocabulary table: Spain and Latin-American words the rules brain must understand.

One row per word or phrase: the country where it is typical (ES for Spain, LATAM where it is
common across the region), what the bot asked last, and the field of the Reading it must fill.
"""

from __future__ import annotations

from datetime import date

import pytest

from agent.brains.spanish import read_spanish

TODAY = date(2025, 6, 1)

YES = [
    ("ES", "vale"), ("ES", "bueno vale, acepto"), ("ES", "venga"), ("ES", "vale, acepto"),
    ("ES", "claro que sí"), ("ES", "de acuerdo"), ("ES", "perfecto"), ("ES", "sip"),
    ("ES", "okey"), ("ES", "ok 👍"), ("ES", "así es"), ("ES", "sí, correcto"),
    ("ES", "todo bien"), ("ES", "acepto"), ("ES", "sí, acepto"), ("ES", "por supuesto"),
    ("CL", "ya po"), ("CL", "ya"), ("CL", "ya, dale"), ("AR", "dale"), ("AR", "dale, de una"),
    ("CO", "de una"), ("CO", "hágale"), ("CO", "listo"), ("CO", "listo pues"),
    ("MX", "va"), ("MX", "órale"), ("MX", "simón"), ("MX", "sale"), ("MX", "ándale pues"),
    ("MX", "sale y vale"), ("PE", "ya, ok"), ("VE", "chévere, sí"), ("LATAM", "cómo no"),
    ("LATAM", "claro"), ("LATAM", "obvio"), ("LATAM", "sí señor"), ("LATAM", "okas"),
    ("ES", "confirmado"), ("ES", "lo confirmo"), ("ES", "ahora sí"), ("CL", "ya, correcto"),
    ("EC", "confirme nomás"), ("ES", "vale, confirmado"), ("AR", "joya"), ("VE", "fino"),
    ("VE", "burda de bien, sí"), ("CL", "sipo"), ("UY", "ta"), ("UY", "ta, todo bien"),
    ("MX", "esa mera"), ("ES", "ta bien"),
    ("VE", "va pues, confirmo"), ("SV", "va pue, está bien"), ("HN", "cheque, sí"),
    ("HN", "cheque"), ("MX", "sale pues"), ("MX", "me late"), ("CO", "sisas"), ("CO", "me cuadra"),
    ("SV", "chivo, sí"), ("AR", "macanudo"), ("ES", "estupendo"), ("ES", "de lujo"),
    ("LATAM", "excelente"), ("LATAM", "sin problema"), ("LATAM", "entendido"), ("LATAM", "ajá"),
    ("GZ", "si, todo ben"), ("PT", "sim"), ("VE", "dale pues"), ("LATAM", "ok dale"),
    # a bare "bueno" (UY, AR, MX: "ok") answers a yes/no question with a yes
    ("UY", "bueno"), ("AR", "Bueno."), ("MX", "bueno pues"), ("MX", "pues bueno"),
    ("AR", "bueno dale"), ("AR", "bueno, dale"), ("MX", "güeno"), ("AR", "bue"), ("ES", "weno"),
    ("UY", "bueeeno"), ("MX", "mmm bueno"), ("UY", "bueno, sí"), ("AR", "ah bueno"),
    ("MX", "güeno dale"), ("LATAM", "bueno ok"),
    # the z of a lisp or a slip: "zi" was "¿Lo doy por bueno?" three times, then a person
    ("ES", "zi"), ("ES", "ziii"), ("ES", "zi, todo bien"),
]  # fmt: skip
NO = [
    ("ES", "no"), ("ES", "no es correcto"), ("ES", "está mal"), ("ES", "para nada"),
    ("ES", "qué va"), ("ES", "ni de coña"), ("ES", "no, gracias"), ("ES", "incorrecto"),
    ("MX", "nel"), ("MX", "nel pastel"), ("CL", "ni ahí"), ("LATAM", "nop"), ("LATAM", "nones"),
    ("ES", "ah vale, pues nada, gracias"), ("CL", "ah ok, gracias igual"),
    ("MX", "ok, gracias de todos modos"), ("UY", "bueno, no"), ("AR", "bueno no"),
]  # fmt: skip
# "bueno" only opening something else is neither a yes nor a no.
NOT_YES = [
    ("UY", "bueno... no sé"), ("AR", "bueno, pero"), ("MX", "¿bueno?"), ("LATAM", "mmm"),
    ("MX", "pues"), ("AR", "bueno, no sé"), ("MX", "bueno pues no sé"),
]  # fmt: skip
# A yes word softening a later is no yes; to the offer of a person it is a no.
LATER = [
    ("ES", "vale, pues ya lo miraré con mi gestor, gracias"),
    ("MX", "ah ok, entonces en febrero les escribo"), ("ES", "vale, ya te aviso mañana"),
    ("ES", "ok, lo consulto con mi mujer"), ("CL", "ya, lo voy a pensar"),
    ("AR", "dale, después te escribo"), ("ES", "vale, ya veremos"),
]  # fmt: skip
DEPENDANTS = [
    ("ES", "mi mujer y mis tres niños", 4), ("ES", "tengo dos críos", 2),
    ("ES", "tres chavales", 3), ("ES", "mis dos peques", 2), ("ES", "un nene y una nena", 2),
    ("MX", "tengo dos chamacos", 2), ("MX", "tres escuincles", 3), ("MX", "dos morros", 2),
    ("MX", "mis papás", 2), ("MX", "mi jefa", 1), ("AR", "dos pibes", 2), ("AR", "mis viejos", 2),
    ("CL", "dos guaguas", 2), ("CL", "tres cabros chicos", 3), ("UY", "dos gurises", 2),
    ("VE", "dos chamos", 2), ("ES", "mi esposa y yo", 1), ("ES", "nadie", 0),
    ("ES", "ninguno", 0), ("ES", "vivo solo", 0), ("LATAM", "mi esposa y mis dos hijos", 3),
    ("CL", "mi señora y la guagua", 2), ("PE", "mi esposa y mi hijito", 2),
    ("UY", "mi señora y el gurí", 2), ("ES", "mi mujer y el crío", 2),
    ("AR", "mi mujer y el pibe", 2), ("MX", "mi vieja y el chamaco", 2),
    ("ES", "mi mujer y el nene", 2), ("ES", "mi pareja y la bebé", 2),
    ("DO", "mi mujer y 2 muchachitos", 3), ("VE", "mi mamá y mi hermanita", 2),
    ("CO", "la señora y los dos pelados", 3), ("AR", "mi jermu y el nene", 2),
    ("UY", "mis dos gurises y mi compañero", 3), ("ES", "mis tres chavales y la parienta", 4),
    ("GZ", "a miña muller e o cativo", 2), ("DO", "mi doña y tre muchachito", 4),
    ("HN", "mi mujer y mis tres güirros", 4), ("AR", "mi mina y los dos purretes", 3),
    ("MX", "mi esposa y mis dos chilpayates", 3), ("CR", "mi señora y dos carajillos", 3),
    ("PE", "mis dos chibolos", 2), ("BO", "mi mujer y las dos wawas", 3),
    ("ES", "mi chica y el peque", 2), ("ES", "mis dos churumbeles", 2),
    ("VE", "mi jeva y el chamo", 2), ("CL", "mi polola y la guagua", 2),
    ("US", "mi esposa y 2 kids", 3), ("US", "mi wife y 3 babies", 4),
    ("US", "mi husband y mi baby", 2), ("US", "tengo 2 kids", 2), ("US", "mi esposa y the baby", 2),
    ("ES", "de momento nadie, es para la hipoteca que tengo con mi chico", 0),
    ("ES", "por ahora ninguno", 0),
    # a partner, in each country's word
    ("CL", "para mi polola", 1), ("CL", "mi pololo y la guagua", 2), ("VE", "mi jevo", 1),
    ("MX", "mi morra y mis dos morros", 3), ("MX", "mi chava y el chamaco", 2),
    ("AR", "mi mina", 1), ("ES", "mi novia", 1), ("LATAM", "mi amorcito y mi hijo", 2),
    ("UY", "mi compañera y dos gurises", 3), ("LATAM", "mi pareja", 1),
    ("US", "mi girlfriend y 2 kids", 3), ("ES", "mi prometida", 1),
]  # fmt: skip
SMOKING = [
    ("ES", "algún puro en navidades", True), ("ES", "fumo socialmente", True),
    ("ES", "un cigarro de vez en cuando", True), ("ES", "vapeo", True),
    ("ES", "solo los findes", True), ("ES", "fumo cachimba", True), ("ES", "algún peta", True),
    ("ES", "algún porrito", True), ("ES", "tabaco de liar", True), ("ES", "echo un piti", True),
    ("AR", "un pucho de vez en cuando", True), ("CL", "me fumo un pucho a veces", True),
    ("LATAM", "fumo hookah", True), ("LATAM", "uso vaper", True), ("LATAM", "fumo IQOS", True),
    ("ES", "no fumo", False), ("ES", "nunca he fumado", False), ("LATAM", "no, nada", False),
    ("LATAM", "ni fumo ni vapeo", False), ("ES", "fumaó de toa la vida", True),
    ("CO", "nada de cigarrillo", False), ("AR", "no, nada de pucho", False),
    ("GZ", "non fumo", False), ("ES", "nunca he probado el tabaco", False),
    ("ES", "cero cigarros", False), ("ES", "ni un cigarro", False), ("LATAM", "sin tabaco", False),
    ("LATAM", "jamás", False), ("ES", "no he fumado en mi vida", False),
    ("LATAM", "nunca fumé", False), ("DO", "no fumo na'", False),
    ("CU", "no, yo no fumo, mi socio", False),
    ("ES", "jamás he tocado un cigarro", False), ("ES", "ni de broma fumo", False),
    ("ES", "para nada, odio el tabaco", False), ("ES", "un paquete al día", True),
    ("LATAM", "media cajetilla diaria", True),
]  # fmt: skip
MONEY = [
    ("MX", "300 mil pesos", "other"), ("MX", "300 mil pesos mexicanos", "MXN"),
    ("AR", "100 lucas", "other"), ("CL", "50 lucas", "other"), ("CO", "200 palos", "other"),
    ("CO", "100 millones de pesos colombianos", "COP"), ("PE", "200 mil soles", "PEN"),
    ("LATAM", "50 mil dólares", "USD"), ("LATAM", "USD 100k", "USD"),
    ("LATAM", "$200.000", "other"),
    ("UY", "un millón de pesos uruguayos", "UYU"), ("CL", "30 millones de pesos chilenos", "CLP"),
    ("AR", "5 millones de pesos argentinos", "ARS"), ("VE", "10 mil verdes", "USD"),
    ("US", "500k dollars", "USD"), ("US", "200k bucks", "USD"),
]  # fmt: skip
RELATIONS = [
    ("MX", "es para mi apá", "padre"), ("MX", "es para mi amá", "madre"),
    ("MX", "es para mi jefa", "madre"), ("MX", "es para mi jefe", "padre"),
    ("AR", "es para mi viejo", "padre"), ("AR", "es para mi vieja", "madre"),
    ("LATAM", "es para mi papi", "padre"), ("LATAM", "es para mi mami", "madre"),
    ("ES", "es para mi mujer", "mujer"), ("MX", "es para mi señora", "mujer"),
    ("MX", "escribo por mi esposo", "marido"), ("CO", "de parte de mi mamá", "madre"),
    ("AR", "pregunto por mi viejo", "padre"), ("MX", "mi jefa quiere un seguro", "madre"),
    ("MX", "es para mi viejita", "madre"), ("LATAM", "es para mi mamacita", "madre"),
    ("CL", "es para mi polola", "pareja"), ("VE", "es para mi jevo", "pareja"),
    ("MX", "mi morra quiere un seguro", "pareja"), ("MX", "es para mi chavo", "pareja"),
    ("ES", "es para mi novia", "pareja"), ("AR", "es para mi mina", "pareja"),
]  # fmt: skip
COVER = [("ES", "200.000 €", 200_000), ("ES", "200 mil euros", 200_000), ("ES", "200 mil", 200_000),
         ("ES", "150k", 150_000)]  # fmt: skip


def read(text: str, expecting: str | None):
    return read_spanish(text, expecting=expecting, today=TODAY)


@pytest.mark.parametrize(("country", "phrase"), YES)
@pytest.mark.parametrize("expecting", ["consent", "readback", "confirm_option", "handoff_offer"])
def test_yes_words(country, phrase, expecting):
    assert read(phrase, expecting).intent == "affirm"


@pytest.mark.parametrize(("country", "phrase"), NO)
@pytest.mark.parametrize("expecting", ["consent", "readback", "confirm_option", "handoff_offer"])
def test_no_words(country, phrase, expecting):
    assert read(phrase, expecting).intent == "deny"


@pytest.mark.parametrize(("country", "phrase"), NOT_YES)
@pytest.mark.parametrize("expecting", ["consent", "readback", "confirm_option", "handoff_offer"])
def test_an_opening_bueno_is_no_answer(country, phrase, expecting):
    assert read(phrase, expecting).intent not in ("affirm", "deny")


@pytest.mark.parametrize(("country", "phrase"), LATER)
@pytest.mark.parametrize("expecting", ["consent", "readback", "confirm_option", "handoff_offer"])
def test_a_later_is_no_yes(country, phrase, expecting):
    intent = read(phrase, expecting).intent
    assert intent == "deny" if expecting == "handoff_offer" else intent not in ("affirm", "deny")


@pytest.mark.parametrize(("country", "phrase", "count"), DEPENDANTS)
def test_dependants_words(country, phrase, count):
    assert read(phrase, "dependants").dependants == count


@pytest.mark.parametrize(("country", "phrase", "smoker"), SMOKING)
def test_smoking_words(country, phrase, smoker):
    assert read(phrase, "smoker").smoker is smoker


@pytest.mark.parametrize(("country", "phrase", "currency"), MONEY)
def test_money_slang_is_never_euros(country, phrase, currency):
    reading = read(phrase, "cover")
    assert (reading.currency, reading.cover) == (currency, None)


@pytest.mark.parametrize(("country", "phrase", "cover"), COVER)
def test_euro_amounts(country, phrase, cover):
    reading = read(phrase, "cover")
    assert (reading.currency, reading.cover) == (None, cover)


@pytest.mark.parametrize(("country", "phrase", "relation"), RELATIONS)
def test_relation_words(country, phrase, relation):
    reading = read(phrase, None)
    assert (reading.insured, reading.insured_relation) == ("other", relation)


PURPOSES = [
    ("PR", "pa' mis nenes", "familia"), ("ES", "para nosotros, sus hijos", "familia"),
    ("ES", "es para que mis hijos no tengan que pagar nada cuando yo falte", "familia"),
    ("CO", "hasta que mis hijos terminen la universidad", "familia"),
    ("MX", "para los gastos del funeral", "otro"),
    ("ES", "d momento nadie, es xa cubrir la hipo q tngo con mi chico", "hipoteca"),
    ("MX", "Para que no nos deje gastos a mis hermanos y a mí", "familia"),
    ("ES", "para no dejar deudas a mis hijos", "deudas"), ("LATAM", "pa mis hijos", "familia"),
    ("LATAM", "que no queden desamparados", "familia"),
    ("CL", "para mi polola", "familia"), ("VE", "para mi jeva", "familia"),
    ("CL", "soy benjamin, 28 años, no fumo, quiero 100 mil euros a 30 años, para mi polola",
     "familia"),
    ("MX", "pa mi morra", "familia"), ("MX", "para mi chava", "familia"),
    ("AR", "para proteger a mi mina", "familia"), ("ES", "para mi novio", "familia"),
    ("LATAM", "para mi amorcito", "familia"), ("UY", "para mi compañera", "familia"),
    ("LATAM", "para mi pareja y mis hijos", "familia"), ("US", "para mi husband", "familia"),
]  # fmt: skip
EX_SMOKERS = [
    ("AR", "largué el faso hace 3 años", 36), ("AR", "dejé los puchos hace 2 años", 24),
    ("ES", "Fumé en la mili, pero de eso hace ya más de cuarenta años. Desde entonces, ni uno.",
     480),
    ("ES", "dejé el vaper el mes pasado", 1), ("ES", "lo dejé la semana pasada", 0),
    ("ES", "lo dejé el año pasado", 6), ("ES", "lo dejé en enero", 5),
    ("ES", "desde navidad no fumo", 6), ("ES", "lo dejé ayer", 0),
    ("ES", "lo dejé hace poco", None), ("MX", "dejé el cigarro hace un mes", 1),
    ("ES", "lo dejé hace año y medio", 18), ("ES", "hace 6 meses que no fumo", 6),
    ("ES", "dejé de fumar hace una década", 120),
]  # fmt: skip


@pytest.mark.parametrize(("country", "phrase", "purpose"), PURPOSES)
def test_purpose_words(country, phrase, purpose):
    assert read(phrase, "dependants").purpose == purpose


@pytest.mark.parametrize(("country", "phrase", "months"), EX_SMOKERS)
def test_quit_words(country, phrase, months):
    reading = read(phrase, "smoker")
    assert (reading.smoker, reading.ex_smoker, reading.quit_months) == (None, True, months)


# "Just the basic one", said the local way, picks it.
PICKS = [
    ("CL", "la básica no más", 1), ("MX", "la básica nomás", 1), ("ES", "solo la básica", 1),
    ("ES", "la básica y ya", 1), ("AR", "la básica y listo", 1),
    ("CO", "la del medio está bien", 2),
    ("US", "mmm ok, mejor la recomendada", 2), ("MX", "la más completa, la que cubre todo", 3),
    ("ES", "me quedo con la que cubre todo", 3), ("CL", "ya, la 2", 2),
]  # fmt: skip
OPENINGS = [
    ("MX", "Qué onda, quiero un seguro de vida"), ("CL", "wena, quiero info del seguro de vida"),
    ("ES", "¿me podría informar sobre el seguro de vida?"), ("CO", "que tal, me pueden dar info"),
    ("AR", "me interesa un seguro de vida"), ("VE", "épale, quisiera información"),
]  # fmt: skip


@pytest.mark.parametrize(("country", "phrase", "option"), PICKS)
@pytest.mark.parametrize("expecting", ["option", "confirm_option"])
def test_pick_words(country, phrase, option, expecting):
    reading = read(phrase, expecting)
    assert (reading.intent, reading.option) == ("choose_option", option)


@pytest.mark.parametrize(("country", "phrase"), OPENINGS)
def test_openings_are_greetings(country, phrase):
    assert read(phrase, None).intent == "greeting"
