"""The profile data (name, age, smoker, cover, term, dependants, purpose) in a Spanish message."""

from __future__ import annotations

import re
from datetime import date

from agent.brains.spanish_numbers import Folded, find_birth_date, find_numbers

NUMERIC_ASKS = frozenset({"age", "term", "cover", "dependants", "option"})
_LIMITS = {"age": (1, 120), "term": (1, 99), "cover": (1, 100_000_000), "dependants": (0, 30),
           "option": (1, 9)}  # fmt: skip

_CHILD = r"(?:hij[oa]s?|nin[oa]s?|crios?|crias?|nen[ea]s?|peques?|chaval(?:es)?|bebes?|niet[oa]s?)"
_CHILDREN_AFTER = re.compile(rf"\s*(?:{_CHILD}|(?P<people>personas?|dependientes))\b")
_PER_PERIOD_AFTER = re.compile(
    r"\s*(?:(?:al|por|cada|/|a\s+la)\s*(?:mes|ano|semana)|mensual|anual|de\s+(?:cuota|prima))"
)
_YEARS_AFTER = re.compile(r"\s*(?:anos?|anitos|tacos|primaveras)\b")
_TERM_AFTER = re.compile(r"\s*anos?\s+(?:de\s+)?(?:plazo|duracion)\b")
_TERM_BEFORE = re.compile(
    r"\b(?:a|durante|por|en|hasta|dentro\s+de|plazo(?:\s+de)?|duracion(?:\s+de)?)\s*:?\s*$"
)
_PLAZO_BEFORE = re.compile(r"\b(?:plazo|duracion)(?:\s+de)?\s*:?\s*$")
_AGE_BEFORE = re.compile(
    r"\b(?:tengo|edad(?:\s+(?:es|de))?|cumpl\w*|he\s+cumplido)\s*:?\s*(?:ya\s+|casi\s+|unos\s+)?$"
)
# Someone else's age, or a time ago: "mi hijo tiene 5 años", "hijos de 5 y 7 años", "hace 10 años".
_NOT_MINE_BEFORE = re.compile(
    r"\b(?:hace|desde|tiene|tienen|llevo|lleva|con|de(?:\s+\d+\s*(?:,|y))?)\s*$"
)

_DEPEND = re.compile(r"\bdepend\w*|\ba\s+mi\s+cargo\b")
_PARTNER = re.compile(r"\b(?:mujer|marido|espos[oa]|pareja|novi[oa]|conyuge)\b")
_MY_CHILD = re.compile(r"\bmi\s+(?:hij[oa]|nin[oa]|bebe|peque)\b")
_MY_CHILDREN = re.compile(rf"\bmis\s+{_CHILD}\b")
_NO_DEPENDANTS = re.compile(
    r"\bnadie\s+depende\b|\bno\s+depende\s+nadie\b"
    r"|\bsin\s+(?:hijos|cargas|personas\s+a\s+mi\s+cargo)\b|\bno\s+(?:tengo|hay)\s+(?:hijos|ninos|a\s+nadie|nadie|personas|cargas)\b"
)
_NO_DEPENDANTS_ANSWER = re.compile(r"^\W*(?:no|nop|ningun[oa]|nadie|cero|solo\s+yo|yo\s+solo)\b")

_NON_SMOKER = re.compile(
    r"\b(?:no|ni|nunca|jamas)\s+(?:he\s+|soy\s+|e\s+)?(?:fumo|fumado|fumadora?|fumar|fume|fumaba"
    r"|vapeo|vapeado|vapeadora?|vapear|tabaco)\b"
    r"|\bex\s*-?\s*(?:fumador|vapeador)a?\b|\bya\s+no\s+(?:fumo|vapeo)\b"
    r"|\bdej(?:e|ado)\s+(?:de\s+(?:fumar|vapear)|el\s+tabaco)\b"
)
_QUIT = re.compile(r"\blo\s+(?:deje|he\s+dejado)\b")
_SMOKE_WORDS = re.compile(r"\b(?:fum|vape|tabaco|cigarr)")
_SMOKER = re.compile(
    r"\b(?:fumo|fumadora?|fumando|vapeo|vapeadora?|vapeando|vaper|cigarrillos?|cigarros?|tabaco)\b"
)
# In a question, only first-person smoking counts, and not "si fumo..." (if I smoke...).
_SMOKER_IN_QUESTION = re.compile(r"(?<!si )\b(?:fumo|vapeo|soy\s+fumadora?)\b")
_OCCASIONAL = re.compile(r"\b(?:a\s+veces|de\s+vez\s+en\s+cuando|ocasional\w*|social\w*|poco)\b")

_PURPOSES = (
    ("hipoteca", re.compile(r"\bhipotec\w*")),
    ("deudas", re.compile(r"\b(?:prestamos?|deudas?|creditos?)\b")),
    ("negocio", re.compile(r"\b(?:negocios?|socios?|socias?|empresas?)\b")),
    ("familia", re.compile(
        r"\bfamili\w*|\blos\s+mios\b|\b(?:para|proteger|cubrir|asegurar|por)\s+(?:a\s+)?(?:mis?\s+)?"
        r"(?:hij[oa]s?|nin[oa]s?|mujer|marido|espos[oa]|pareja|peques?)\b"
    )),
)  # fmt: skip

_NAME_INTRO = re.compile(r"\b(?:me\s+llamo|mi\s+nombre\s+es|soy)\s+")
_NAME_WORD = re.compile(r"\s*([^\W\d_]+(?:['-][^\W\d_]+)*)")
_NAME_END = re.compile(r"\s*[,.;:!]")
_ALNUM = re.compile(r"\w")
_NOISE = re.compile(r"[\W_]*")
_NOT_NAME_WORDS = """
    de del el la los las un una uno dos muy mas yo tu su mi no ni ya y e o u que q pero porque
    fumador fumadora exfumador exfumadora ex vapeador vapeadora fumo vapeo autonomo autonoma
    casado casada soltero soltera divorciado divorciada viudo viuda padre madre hombre mujer chico
    chica cliente nuevo nueva mayor joven jubilado jubilada estudiante funcionario funcionaria
    empresario empresaria medico medica profesor profesora espanol espanola argentino argentina
    mexicano mexicana colombiano colombiana peruano peruana chileno chilena venezolano venezolana
    tengo quiero vivo trabajo estoy tenia me te se lo le para por con sin en a al asi bien mal
    hola buenas gracias si vale ok okey claro perfecto adelante dale nada nadie ninguno yes
    cual como cuanto donde cuando quien persona humano robot bot agente asesor
"""
NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


def _put(fields: dict[str, object], key: str, value: int) -> None:
    low, high = _LIMITS[key]
    if key not in fields and low <= value <= high:
        fields[key] = value


def _numbers(norm: str, expecting: str | None, fields: dict[str, object]) -> tuple[int, list[int]]:
    """Classify every number by the words around it into `fields`.

    Returns how many children were counted, and the numbers nothing around them explained.
    """
    depends = bool(_DEPEND.search(norm))
    children, pending_years, bare = 0, [], []
    for n in find_numbers(norm):
        before, after = norm[max(0, n.start - 30) : n.start], norm[n.end : n.end + 30]
        child = _CHILDREN_AFTER.match(after)
        if child and (depends or not child["people"]):
            children += n.value
        elif n.weak or _PER_PERIOD_AFTER.match(after):
            continue
        elif _YEARS_AFTER.match(after):
            if _TERM_BEFORE.search(before) or _TERM_AFTER.match(after):
                _put(fields, "term", n.value)
            elif _AGE_BEFORE.search(before):
                _put(fields, "age", n.value)
            elif not _NOT_MINE_BEFORE.search(before):
                pending_years.append(n.value)
        elif n.money or n.value >= 10_000:
            _put(fields, "cover", n.value)
        elif _AGE_BEFORE.search(before) and expecting not in NUMERIC_ASKS - {"age"}:
            _put(fields, "age", n.value)
        elif _PLAZO_BEFORE.search(before):
            _put(fields, "term", n.value)
        else:
            bare.append(n.value)
    for value in pending_years:  # "35 años" alone: an age, unless the age is known or asked
        _put(fields, "term" if expecting == "term" or "age" in fields else "age", value)
    return children, bare


def _dependants(norm: str, expecting: str | None, children: int) -> int | None:
    """Numbered children, plus partner and "mi hijo" once dependants are clearly the subject."""
    if children or expecting == "dependants" or _DEPEND.search(norm):
        if _MY_CHILDREN.search(norm) and not children:
            return None  # "mi mujer y mis hijos": how many is not said
        children += len(_MY_CHILD.findall(norm)) + (1 if _PARTNER.search(norm) else 0)
    if children:
        return children
    if _NO_DEPENDANTS.search(norm):
        return 0
    if expecting == "dependants" and _NO_DEPENDANTS_ANSWER.match(norm):
        return 0
    return None


def _smoker(norm: str, expecting: str | None, yes: bool, no: bool) -> bool | None:
    """Smokes or vapes -> True; says they do not, or that they quit -> False; else None."""
    rest = _NON_SMOKER.sub("·", norm)
    smoking = _SMOKER_IN_QUESTION if "?" in norm else _SMOKER
    if smoking.search(rest):
        return True
    asked, never_or_quit = expecting == "smoker", rest != norm
    if never_or_quit or (_QUIT.search(norm) and (asked or _SMOKE_WORDS.search(norm))):
        return False
    if asked and no:
        return False
    if asked and (yes or _OCCASIONAL.search(norm)):
        return True
    return None


def _purpose(norm: str) -> str | None:
    hits = [(m.start(), purpose) for purpose, rx in _PURPOSES if (m := rx.search(norm))]
    return min(hits)[1] if hits else None


def proper(word: str) -> str:
    """Capitalise a name as written in lower or upper case ("ana maría" -> "Ana María")."""
    if not (word.islower() or word.isupper()):
        return word
    return re.sub(r"[^\W\d_]+", lambda m: m[0].capitalize(), word)


def _name(source: str, folded: Folded) -> str | None:
    """ "me llamo X", "mi nombre es X", "soy X": up to three words, stopping at common words."""
    norm = folded.text
    for intro in _NAME_INTRO.finditer(norm):
        spans, pos = [], intro.end()
        while len(spans) < 3 and (w := _NAME_WORD.match(norm, pos)) and w[1] not in NOT_NAMES:
            spans.append(w.span(1))
            pos = w.end()
        if not spans or spans[0][1] - spans[0][0] < 2:
            continue
        after = _NAME_WORD.match(norm, pos)
        ends_clause = after is None or after[1] in NOT_NAMES
        written = [folded.original(source, s, e) for s, e in spans]
        keep = written[:1]
        for word in written[1:]:
            # A further lower-case word is a surname only where the clause ends: "ana garcía, ..."
            if not (ends_clause or word[:1].isupper()):
                break
            keep.append(word)
        return " ".join(proper(w) for w in keep)
    return None


def leading_name(source: str, folded: Folded, start: int, *, alone: bool) -> str | None:
    """The name a reply to "¿cómo te llamas?" starts with, from `start` in the folded text.

    `alone`: the reply is only the name ("Ana", "ana garcía 😊"); otherwise the name must be
    followed by punctuation ("Ana, 35 años").
    """
    norm, spans = folded.text, []
    pos = _NOISE.match(norm, start).end()
    while len(spans) < 3 and (w := _NAME_WORD.match(norm, pos)) and w[1] not in NOT_NAMES:
        spans.append(w.span(1))
        pos = w.end()
    rest = norm[pos:]
    ends = not _ALNUM.search(rest) if alone else bool(_NAME_END.match(rest))
    if not spans or spans[0][1] - spans[0][0] < 2 or not ends:
        return None
    return " ".join(proper(folded.original(source, s, e)) for s, e in spans)


def read_profile(
    source: str, folded: Folded, expecting: str | None, today: date, yes: bool, no: bool
) -> dict[str, object]:
    """Every profile field `source` states (plus `option` for a bare number when one is asked)."""
    norm, fields = folded.text, {}
    born = find_birth_date(norm, today)
    if born:
        fields["birth_date"] = born[0]
        norm = norm[: born[1]] + "·" * (born[2] - born[1]) + norm[born[2] :]
    children, bare = _numbers(norm, expecting, fields)
    dependants = _dependants(norm, expecting, children)
    if dependants is not None:
        _put(fields, "dependants", dependants)
    if bare and expecting in NUMERIC_ASKS:
        _put(fields, expecting, bare[0])  # "35" answers "¿qué edad tienes?"
    smoker = _smoker(norm, expecting, yes, no)
    if smoker is not None:
        fields["smoker"] = smoker
    purpose = _purpose(norm)
    if purpose:
        fields["purpose"] = purpose
    name = _name(source, folded)
    if name:
        fields["name"] = name
    return fields
