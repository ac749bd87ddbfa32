"""The profile data in a Spanish message, each number read by the words around it."""

from __future__ import annotations

import re
from datetime import date

from agent.brains import spanish_people as people
from agent.brains.spanish_numbers import (
    MONTH,
    MONTH_NUMBERS,
    Folded,
    Mention,
    currency_word,
    find_birth_date,
    find_numbers,
    mask,
    one_of,
    periods_in_years,
    range_bounds,
    skip,
)
from agent.brains.spanish_smoking import read_smoking

NUMERIC_ASKS = frozenset({"age", "term", "cover", "dependants", "option"})
_OTHER_NUMBER_ASKS = frozenset({"term", "cover", "dependants"})  # "tengo 2" answers them
_LIMITS = {"age": (1, 120), "term": (1, 99), "cover": (1, 100_000_000), "dependants": (0, 30),
           "option": (1, 9), "term_end_age": (18, 99)}  # fmt: skip

_PER_PERIOD_AFTER = re.compile(
    r"\s*(?:(?:al|por|cada|/|a\s+la)\s*(?:mes|ano|semana)|mensual|anual|de\s+(?:cuota|prima))"
)
# Counted things that are no datum of ours: "20 cigarros al día", "3 veces", "80 kilos".
_UNIT_AFTER = re.compile(
    r"\s*(?:(?:al|por|cada)\s+dia|diari[oa]s?|cigarr\w*|pitillos?|puros?|paquetes?|cajetillas?"
    r"|veces|kilos?|kg|cm|metros?|horas?|minutos?|dias?|semanas?|%|por\s+ciento)\b"
)
_CHILD_YEARS_AFTER = re.compile(r"\s*(?:anitos|mesecitos|meses)\b")
_DIMINUTIVE_YEARS_AFTER = re.compile(r"\s*anitos\b")  # "tengo 24 añitos": the writer's age
_YEARS_AFTER = re.compile(r"\s*(?:anos?|anys|anitos|tacos|primaveras)\b")  # anys: Catalan
_TERM_AFTER = re.compile(
    r"\s*anos?\s+(?:de\s+|mas\s+de\s+)?(?:plazo|duracion|hipoteca|prestamo|credito|cobertura)\b"
)
# "el plazo, que sean 15 años": a field named before the number decides it.
_IS = r"(?:(?:\s*,\s*|\s+)(?:de|es|son|seria|serian|sera|sea|a|en|que\s+sean?))*\s*[:,]?\s*"
_TERM_BEFORE = re.compile(
    rf"\b(?:a|durante|por|en|hasta|dentro\s+de|pa|para|pon(?:le|me|emos|gamos|ga|gale)?"
    r"|(?:cubrir|asegurar|proteger)(?:me|nos|los|las|les|la|lo)?|(?:cubiert|asegurad|protegid)[oa]s?"
    rf"|plazo{_IS}|duracion{_IS}|quedan?"
    r"|faltan?)'?\s*:?\s*$"
)
_PLAZO_BEFORE = re.compile(rf"\b(?:plazo|duracion){_IS}$")
# "el capital es 120": a cover said in thousands.
_COVER_BEFORE = re.compile(rf"\b(?:capital|cobertura|suma\s+asegurada){_IS}$")
# Income is not cover: "gano unos 40 mil así que pon 80.000".
_INCOME_BEFORE = re.compile(
    r"\b(?:gano|ganamos|cobro|cobramos|ingres\w+|sueldo|salario|me\s+pagan|facturo)"
    r"(?:\s+(?:de|unos|unas|como|casi|mas\s+o\s+menos|al\s+(?:ano|mes)|netos?|brutos?))*\s*$"
)
_END_AGE_BEFORE = re.compile(
    r"(?:\bhasta\s+(?:los|lo|mis|que\s+(?:tenga|cumpla)(?:\s+los)?|cumplir(?:\s+los)?|la\s+edad\s+de)"
    r"|\b(?:jubil|retir)\w*\s+(?:a\s+)?los)\s*$"
)
_WE_ARE_BEFORE = re.compile(r"\bsomos\s*$")
# "son 2, el menor tiene 8": how many children, when the message talks about them.
_THEY_ARE_BEFORE = re.compile(r"(?:^|[,.;]\s*)(?:son|tengo)\s*$")
_SIBLINGS = re.compile(
    rf"\b(?:el|la|los|las)\s+(?:menor|mayor|pequen[oa]|chic[oa])(?:es|s)?\b|\b{people.CHILD}\b"
)
_WITH_BEFORE = re.compile(r"\b(?:con|unos|como|tipo|sobre)\s*$")
_HASTA = re.compile(r"\bhasta\s*$")
# When something would happen, not the term: "si lo quito a los dos años", "si muero en 5 años".
_WHEN_BEFORE = re.compile(
    r"\b(?:quito|quitara|quitase|cancelo|cancelara|dejo|dejara|anulo|anulara|muero|muriera"
    r"|fallezco|falleciera|pasa\s+algo|pasara\s+algo|doy\s+de\s+baja)\b(?:\s+\w+){0,3}?\s+"
    r"(?:a\s+los|al\s+cabo\s+de|dentro\s+de|en|despues\s+de)\s*$"
)
_LEFT_BEFORE = re.compile(r"\b(?:me\s+)?(?:quedan?|faltan?)\s*$")
_AGES_BEFORE = re.compile(r"\b(?:tienen|de|con)\s*$")
# "tiene 55", "ella tiene 39": the insured's age when the bot asked it.
_BARE_TIENE = re.compile(r"(?:^|[,.;]\s*)(?:(?:el|ella|esa\s+persona)\s+)?tiene\s*$")
_RETIREMENT = re.compile(
    r"\bhasta\s+(?:que\s+(?:me|se)\s+(?:jubile|retire)|(?:la|mi|su)\s+jubilacion|jubilar(?:me|se)"
    r"|(?:mi|su|el)\s+retiro|retirar(?:me|se))\b"
)
_AGE_BEFORE = re.compile(
    rf"\b(?:tengo|edad{_IS}|cumpl\w*|he\s+cumplido)\s*:?\s*(?:ya\s+|casi\s+|unos\s+)?$"
)
_NOT_AGE_AFTER = re.compile(
    r"\s*anos?\s+(?:de\s+)?(?:antiguedad|experiencia|casad\w*|trabajando|cotizad\w*|juntos)"
)
_NEGATED_BEFORE = re.compile(r"\bno\s+(?:tengo\s+|son\s+|es\s+|era\s+|eran\s+)?$")
# Someone else's age, or a time ago: "mi hijo tiene 5 años", "hijos de 5 y 7", "hace 10 años".
_NOT_MINE_BEFORE = re.compile(
    r"\b(?:hace|desde|tiene|tienen|llevo|lleva|con|de|mi\s+\w+|su\s+\w+)\s*,?\s*$"
)
_OPTION_BEFORE = re.compile(
    r"(?:^|\b(?:con|quedo|quiero|elijo|prefiero|dame|y|o)\s+)la\s+$|\bopcion\s+$"
)
_THIRD_PERSON_BEFORE = re.compile(
    rf"(?:\btiene|\b(?:mi|su)\s+(?:{people.KIN})(?:\s+tiene)?)\s*(?:ya\s+|casi\s+)?$"
)
_GROUP_GAP = re.compile(r"\s*(?:anos?\s*)?(?:,|y|e|o)\s*")
_BIRTH_YEAR = re.compile(
    r"\b(?:naci(?:do|da)?|soy)\s+(?:en\s+)?(?:del?\s+)?(?:(?:el\s+)?ano\s+)?(?:el\s+)?"
    rf"(?:(?P<month>{MONTH})\s+(?:de(?:l)?\s+)?)?(?P<year>(?:19|20)\d\d|\d\d)(?![\d.,/])"
)
# A bare age right after the name: "Nacho, 29", "vicente 50 no fumo", "Luis, cuarenta y cinco".
# An age said roughly ("voy pa los 50", "casi 50", "cuarenta y pico") is asked, not guessed.
_ROUGHLY_BEFORE = re.compile(
    r"(?:\bcasi|\brondando(?:\s+los)?|\b(?:voy|vamos|ando|camino|rumbo)\s+(?:pa|para|por|a|hacia)"
    r"\s+los|\bpa(?:ra)?\s+los|\bcerca\s+de(?:\s+los)?|\balrededor\s+de(?:\s+los)?"
    r"|\bmas\s+o\s+menos|\baprox\w*|\b(?:sobre|por|en)\s+los|\bpasad[oa]s?\s+los"
    r"|\b(?:mas|menos)\s+de|\bunos|\bpico\s+de|\bentrad[oa]\s+en)\s*$"
)
_ROUGHLY_AFTER = re.compile(
    r"\s*(?:anos?\s*)?(?:y\s+(?:pico|tantos|algo|pocos?|picos)|largos|pasados|o\s+asi"
    r"|mas\s+o\s+menos|aprox\w*)\b"
)
# "cumplo 40 en marzo": 40 is the age to come, so the age now is 39.
_TURNS_BEFORE = re.compile(
    r"\b(?:cumplo|cumplire|voy\s+a\s+cumplir|a\s+punto\s+de\s+cumplir|por\s+cumplir)"
    r"\s*(?:los\s+)?$"
)
_TODAY_AFTER = re.compile(r"\s*(?:anos?\s+)?(?:hoy|justo\s+hoy|este\s+mismo\s+dia)\b")
# "49 tengo ahora mismo": the age before the verb.
_AGE_AFTER = re.compile(
    r"\s*(?:anos\s+)?tengo\b(?!\s+(?:un|una|unos|unas|dos|tres|cuatro|\d|mis?|hij\w*|que|nin\w*"
    r"|pareja|mujer|marido|novi[oa]))"
)
# "hasta que la niña cumpla 25": someone else's age to come, not a term and not an end age.
_SOMEONE_TURNS_BEFORE = re.compile(
    r"\b(?:que|cuando)\s+(?:(?:mi|mis|el|la|los|las|su|sus|nuestr[oa]s?)\s+)?[a-z]+(?:\s+[a-z]+)?"
    r"\s+(?:cumpla|cumplan|tenga|tengan)\s*(?:los\s+)?$"
)
# "entonces serían 19 años": the result of a sum about the term is the term.
_SUM_BEFORE = re.compile(
    r"\b(?:entonces|o\s+sea|osea|total|asi\s+que|pues)\s*,?\s*(?:serian|seria|seran|son|quedan)\s*$"
)
_NAME_GAP = re.compile(r"\s*[,;:-]?\s*(?:de\s+|con\s+)?")
_NOT_AGE_AFTER_NAME = re.compile(r"\s*anos?\s+(?:de\s+)?(?:plazo|hipoteca|prestamo)\b")
# Taking back a number said before: "quise decir 43", "me equivoqué, son 43", "corrijo: 43".
_CORRECTING = re.compile(
    r"\b(?:quise|quiero|queria|quisiera|quice)\s+(?:decir|poner)\b|\bme\s+(?:he\s+)?(?:equivoque"
    r"|equivocado|confundi|confundido|colo|equivoco)\b|\bperd(?:on|ona|one|oname|oneme)\b"
    r"|\bcorrij\w*|\bcorrec(?:cion|ion)\b|\bfe\s+de\s+erratas\b|\bmejor\s+dicho\b|\berror\b"
    r"|\bsino\b|\bdigo\s+(?=\d)|\ben\s+realidad\b|\bno\s+era\b|\bme\s+salio\s+mal\b"
    r"|\bme\s+comi\b|\bu+p+s+\b|\bupsi\b|\bperdi\b|\bes\s+que\s+(?:son|tengo)\b"
)
# A corrected number out of turn belongs to the datum asked just before the pending question.
_ASKED_BEFORE = {"smoker": "age", "cover": "age", "term": "cover", "dependants": "term"}
_PLAUSIBLE = {"age": (18, 99), "term": (1, 60), "cover": (1_000, 100_000_000),
              "dependants": (0, 15), "option": (1, 3)}  # fmt: skip


def _put(fields: dict[str, object], key: str, value: int) -> None:
    low, high = _LIMITS[key]
    if key not in fields and low <= value <= high:
        fields[key] = value


def _corrected(value: int, expecting: str | None) -> str | None:
    """The field a bare "quise decir N" fits: the pending question's, else the one before it."""
    for key in (expecting, _ASKED_BEFORE.get(expecting or "")):
        if key in _PLAUSIBLE and _PLAUSIBLE[key][0] <= value <= _PLAUSIBLE[key][1]:
            return key
    return None


def _birth_year(norm: str, today: date) -> tuple[int, int, int] | None:
    """Age from "nací en el 82", "soy del 82", "nacido en 1982", with the span it came from."""
    m = _BIRTH_YEAR.search(norm)
    if not m or (m.group(0).startswith("soy") and " de" not in m.group(0)):
        return None
    year = int(m["year"])
    if year < 100:
        year += 2000 if 2000 + year <= today.year else 1900
    month = MONTH_NUMBERS.get(m["month"] or "", 0)
    age = today.year - year - (1 if month > today.month else 0)
    return (age, m.start(), m.end()) if 0 < age <= 120 else None


def _groups(mentions: list[Mention], norm: str) -> list[list[Mention]]:
    """Numbers listed together ("4 y 9 años", "3, 6 y 10") share the words around the list."""
    groups: list[list[Mention]] = []
    for n in mentions:
        last = groups[-1][-1] if groups else None
        if (
            last
            and not (n.money or last.money or n.weak or last.weak)
            and _GROUP_GAP.fullmatch(norm[last.end : n.start])
        ):
            groups[-1].append(n)
        else:
            groups.append([n])
    return groups


def _numbers(
    norm: str,
    expecting: str | None,
    fields: dict[str, object],
    other: bool,
    *,
    correcting: bool,
    known: frozenset[str],
) -> tuple[int, int, list[int]]:
    """Classify every number by the words around it into `fields`.

    Returns how many children were counted, how many children's ages were listed, and the
    numbers nothing around them explained. `other`: the insured is someone else, so their
    third-person age counts and the writer's own does not. `correcting`: the message takes a
    number back ("perdón, 20 años, no 25" after the term was asked corrects the term).
    `known`: the priced data already in the profile; with the age known, a bare "20 años"
    is the term.
    """
    depends = bool(people.DEPEND.search(norm))
    children, ages, pending_years, bare = 0, 0, [], []
    foreign = currency_word(norm)
    mentions = find_numbers(norm)
    ranged = range_bounds(mentions, norm)
    for group in _groups([n for n in mentions if n.start not in ranged], norm):
        before = norm[max(0, group[0].start - 40) : group[0].start]
        if len(group) > 1 and _AGES_BEFORE.search(before):
            ages += len(group)  # "mis hijas tienen 4 y 9 años", "hijos de 5 y 7"
            continue
        for n in group:
            before = norm[max(0, n.start - 40) : n.start]
            after = norm[n.end : n.end + 40]
            child = people.CHILDREN_AFTER.match(after)
            if child and (depends or not child["people"]):
                children += n.value
            elif (
                n.weak
                or _PER_PERIOD_AFTER.match(after)
                or _UNIT_AFTER.match(after)
                or _NEGATED_BEFORE.search(before)
                or _INCOME_BEFORE.search(before)
                or _WHEN_BEFORE.search(before)
            ):
                continue
            elif _WE_ARE_BEFORE.search(before):
                _put(fields, "dependants", n.value - 1)  # "somos 4 en casa": me and 3 more
            elif _THEY_ARE_BEFORE.search(before) and n.value < 10 and _SIBLINGS.search(norm):
                children += n.value
            elif _SOMEONE_TURNS_BEFORE.search(before):
                continue
            elif n.currency not in (None, "EUR") or (n.money and foreign and not n.currency):
                fields.setdefault("currency", n.currency or foreign)
            elif n.money or n.value >= 10_000:
                _put(fields, "cover", n.value)
            elif _COVER_BEFORE.search(before):
                _put(fields, "cover", n.value * 1_000 if n.value < 1_000 else n.value)
            elif _END_AGE_BEFORE.search(before) or (_HASTA.search(before) and n.value >= 45):
                _put(fields, "term_end_age", n.value)
            elif (
                _CHILD_YEARS_AFTER.match(after)
                and expecting != "term"
                and not _TERM_BEFORE.search(before)
                and not (_DIMINUTIVE_YEARS_AFTER.match(after) and _AGE_BEFORE.search(before))
            ):
                continue  # "6 añitos" is a child's age
            elif (
                _SUM_BEFORE.search(before)
                and expecting != "age"
                and (_YEARS_AFTER.match(after) or expecting == "term")
            ):
                _put(fields, "term", n.value)
            elif _TURNS_BEFORE.search(before) and not other:
                _put(fields, "age", n.value if _TODAY_AFTER.match(after) else n.value - 1)
            elif (
                _AGE_AFTER.match(after)
                and not (other or _TERM_BEFORE.search(before))
                and 18 <= n.value <= 99
            ):
                _put(fields, "age", n.value)
            elif (
                (_ROUGHLY_BEFORE.search(before) or _ROUGHLY_AFTER.match(after))
                and expecting not in _OTHER_NUMBER_ASKS
                and not (_TERM_BEFORE.search(before) or _TERM_AFTER.match(after))
                and 18 <= n.value <= 99
            ):
                continue  # an age said roughly: asked again
            elif _THIRD_PERSON_BEFORE.search(before):
                if other or (expecting == "age" and _BARE_TIENE.search(before)):
                    _put(fields, "age", n.value)  # the insured's: "es para mi padre, tiene 60"
            elif _YEARS_AFTER.match(after):
                if _TERM_BEFORE.search(before) or _TERM_AFTER.match(after):
                    _put(fields, "term", n.value)
                elif expecting == "term" and _WITH_BEFORE.search(before):
                    _put(fields, "term", n.value)  # "con diez años sería suficiente"
                elif _NOT_AGE_AFTER.match(after) or other:
                    continue
                elif _AGE_BEFORE.search(before):
                    _put(fields, "age", n.value)
                elif not _NOT_MINE_BEFORE.search(before):
                    pending_years.append(n.value)
            elif _AGE_BEFORE.search(before) and expecting not in _OTHER_NUMBER_ASKS:
                if not other:
                    _put(fields, "age", n.value)
            elif _PLAZO_BEFORE.search(before) or _LEFT_BEFORE.search(before):
                _put(fields, "term", n.value)
            elif _OPTION_BEFORE.search(before) and expecting != "option":
                continue  # "la 1" names a quoted option, never a count of people or years
            elif not _NOT_MINE_BEFORE.search(before):
                bare.append(n.value)
    adult = [v for v in bare if 18 <= v <= 99]
    if pending_years and len(adult) == 1 and "age" not in fields and expecting != "term":
        _put(fields, "age", adult[0])  # "20 años, 250 mil euros, 37": 37 is the age
        bare.remove(adult[0])
    term_before = correcting and _ASKED_BEFORE.get(expecting or "") == "term"
    age_known = "age" in known and expecting != "age" and not correcting
    for value in pending_years:  # "35 años" alone: an age, unless the age is known or asked
        if correcting and value == fields.get("age"):
            continue  # "Jordi, 35 anys... 35 años perdón": the same age, said again
        term = expecting == "term" or "age" in fields or term_before or age_known
        _put(fields, "term" if term else "age", value)
    return children, ages, bare


def _name_and_age(
    source: str, folded: Folded, start: int, expecting: str | None
) -> tuple[tuple[str, int] | None, bool, tuple[int, int, int] | None]:
    """(name and where it ends, whether it was introduced, the age written right after it).

    The age comes with its span in the folded text, so the caller can mask it.

    A reply to "¿cómo te llamas?" may start with the name ("Elena, 33, no fumo").
    """
    said = people.name(source, folded)
    legal = people.leading_name(source, folded, start, alone=False) if said else None
    if legal and people.NICKNAME_NEXT.match(folded.text, legal[1]):
        said = legal  # "Guadalupe pero me dicen Lupita": Guadalupe
    named = said or (
        people.leading_name(source, folded, start, alone=False) if expecting == "name" else None
    )
    if not named:
        return None, False, None
    norm = folded.text
    at = skip(_NAME_GAP, norm, named[1])
    n = next((n for n in find_numbers(norm) if n.start == at), None)
    if n and not n.money and 18 <= n.value <= 99 and not _NOT_AGE_AFTER_NAME.match(norm, n.end):
        return named, bool(said), (n.value, n.start, n.end)
    return named, bool(said), None


def read_profile(
    source: str,
    folded: Folded,
    start: int,
    expecting: str | None,
    today: date,
    yes: bool,
    no: bool,
    known: frozenset[str] = frozenset(),
) -> dict[str, object]:
    """Every field of the Reading `source` states, besides intent, topic and options.

    `start`: where the message begins after a greeting. A bare number answers the pending
    question: it comes back as `option` when one was asked.
    """
    norm = folded.text
    fields: dict[str, object] = {}
    named, introduced, age = _name_and_age(source, folded, start, expecting)
    if age:
        fields["age"] = age[0]
        norm = mask(norm, age[1], age[2])
    norm = plain(periods_in_years(norm))
    insured, relation = people.insured(norm, expecting, yes, no)
    other = insured == "other"
    if insured:
        fields["insured"] = insured
    if relation:
        fields["insured_relation"] = relation
    born = find_birth_date(norm, today)
    if born:
        fields["birth_date"] = born[0]
        norm = mask(norm, born[1], born[2])
    elif year := _birth_year(norm, today):
        fields["age"] = year[0]
        norm = mask(norm, year[1], year[2])
    correcting = bool(_CORRECTING.search(norm)) and bool(find_numbers(norm))
    if correcting:  # "no, perdón, quise decir 43": the no takes back a number, it answers nothing
        yes = no = False
    smoking = read_smoking(norm, expecting, today, yes, no, other=other)
    norm = smoking.masked
    for key in ("smoker", "ex_smoker", "quit_months"):
        if (value := getattr(smoking, key)) is not None:
            fields[key] = value
    if _RETIREMENT.search(norm):
        fields["until_retirement"] = True
    children, ages, bare = _numbers(
        norm, expecting, fields, other, correcting=correcting, known=known
    )
    dependants = people.dependants(norm, expecting, children, ages)
    if dependants is not None:
        _put(fields, "dependants", dependants)
    if bare and correcting:  # "43, digo 44": the last number said is the right one
        if corrected := _corrected(bare[-1], expecting):
            _put(fields, corrected, bare[-1])
    elif bare and expecting in NUMERIC_ASKS:
        _put(fields, expecting, bare[0])  # "35" answers "¿qué edad tienes?"
    purpose = _purpose(people.ON_BEHALF.sub("·", norm) if insured else norm)
    if not purpose and expecting == "dependants" and "dependants" not in fields:
        # "mis hijos" answers "¿para qué quieres el seguro y cuántos dependen de ti?": how many
        # is not said, what for is.
        purpose = "familia" if _FAMILY_ANSWER.fullmatch(norm) else None
    if purpose:
        fields["purpose"] = purpose
    # A leading or trailing word set off by a comma is a name only next to data: "Ana, 35 años".
    if not named and expecting == "name":
        named = people.trailing_name(source, folded)
    if named and (introduced or fields):
        fields["name"] = named[0]
    return fields


_OWNER = r"(?:mis?|sus?|nuestr[oa]s?|los|las)"
_FAMILY = (
    rf"(?:{people.CHILD}|{people.PARTNER_ALONE}|senora|padres?|madres?|papas?|mamas?|hermanos?"
    rf"|(?<=mi\s){people.PARTNER_OWNED}|(?<=su\s){people.PARTNER_OWNED})"
)
_FAMILY_ANSWER = re.compile(rf"(?:(?:a|para|pa|por)\s+)?(?:{_OWNER}\s+)?{_FAMILY}\W*")
_PURPOSES = (
    ("hipoteca", re.compile(
        r"\bhipotec\w*|\bhipo\b|\bhip\b|\bdividendos?\b"  # Chile: the mortgage instalment
        r"|\b(?:prestamos?|creditos?)\s+(?:hipotec\w*|(?:de|para|por)\s+(?:la|mi|el|nuestr[oa])\s+"
        r"(?:casa|vivienda|piso|depa|departamento|apartamento|apto))\b"
        r"|\b(?:para|pa|pagar|cubrir)\s+(?:la|mi|el|nuestr[oa])\s+(?:casa|vivienda|piso|depa"
        r"|departamento|apartamento)\b"
    )),
    ("deudas", re.compile(r"\b(?:prestamos?|deudas?|(?<!tarjeta de )creditos?)\b")),
    ("negocio", re.compile(r"\b(?:negocios?|socios?|socias?|empresas?)\b")),
    ("familia", re.compile(
        rf"\bfamili\w*|\blos\s+mios\b|\b(?:para|pa|proteger|cubrir|por)'?\s+(?:a\s+)?"
        rf"(?:nosotros|(?:{_OWNER}\s+)?{_FAMILY})\b"
        rf"|\b(?:para|hasta)\s+que\s+(?:{_OWNER}\s+)?{_FAMILY}\b"
        rf"|\bdejar(?:le|les)?\s+(?:algo|dinero|plata|lana|un\s+\w+|una\s+\w+)\s+(?:\w+\s+)?a\s+"
        rf"(?:{_OWNER}\s+)?{_FAMILY}\b"
        rf"|\b(?:a|para|pa)\s+(?:mis|nuestr[oa]s)\s+{_FAMILY}\b|\bno\s+(?:les?\s+|nos\s+|se\s+)?(?:deje|dejar"
        rf"|quede|queden)\s+(?:gastos|desamparad\w+|sin\s+nada|en\s+la\s+calle|tirad\w+)\b"
    )),
    ("otro", re.compile(r"\b(?:funeral\w*|entierro|sepelio|gastos\s+de\s+(?:la\s+)?defuncion)\b")),
)  # fmt: skip


# "no, yo no fumo, mi socio": a word of address, not a business partner or a relative.
_VOCATIVE = re.compile(
    r"(?<=[,;.!?¡¿])\s*(?:(?:mi|mis)\s+)?(?:socio|socia|pana|panas|bro|brother|mano|manito|manita"
    r"|compadre|comadre|compa|parce|parcero|parcera|causa|cuate|asere|mijo|mija|rey|reina|amor"
    r"|vida|loco|wey|guey|weon|che|boludo|maje|jovencito|jovencita|joven|senorita|caballero|hermano"
    r"|hermana|herma|primo|prima|tio|tia|chamo|chama|mi\s+pana)\s*(?=$|[,;.!?])"
)
# Text-speak, for the numbers and purposes: "es xa cubrir la hipo q tngo".
# Not "k" nor "m": "150 k", "1,5 m" are amounts.
_SHORTHAND = {"xa": "para", "pa'": "para", "q": "que", "tngo": "tengo", "tng": "tengo", "d": "de",
              "xq": "porque", "pq": "porque", "tb": "tambien", "tmb": "tambien", "aki": "aqui",
              "aka": "aca", "anitos": "anos", "anito": "ano"}  # fmt: skip
_SHORT = re.compile(rf"(?<![\w']){one_of(_SHORTHAND)}(?![\w'])")


def plain(norm: str) -> str:
    """`norm` without words of address, and with text-speak spelled out."""
    norm = _VOCATIVE.sub(" ·", norm) if "," in norm or "." in norm else norm
    return _SHORT.sub(lambda m: _SHORTHAND[m[0]], norm)


def _purpose(norm: str) -> str | None:
    hits = [(m.start(), i) for i, (_, rx) in enumerate(_PURPOSES) if (m := rx.search(norm))]
    return _PURPOSES[min(hits)[1]][0] if hits else None
