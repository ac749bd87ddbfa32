"""Smoking in a Spanish message: smoker, ex-smoker and how long ago they quit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from agent.brains.spanish_numbers import MONTH, MONTH_NUMBERS, find_numbers, mask

# Anything smoked or vaped, occasionally or not, is smoking.
_PRODUCTS = (
    r"(?:puros?|puritos?|cigarr\w*|pitillos?|pitis?|puchos?|fasos?|tabaco|porr(?:o|os|ito|itos)"
    r"|canutos?|petas?|cachimbas?|shishas?|hookahs?|narguil\w*|vapers?|vapes?|pods?|iqos|juul"
    r"|heets|marihuana|mota|cajetillas?)"
)
_VERBS = (
    r"(?:fumo|fumado|fumadora?|fumao|fumaora?|fumar|fume|fumaba|vapeo|vapeado|vapeadora?|vapear)"
)
# "no fumo", "nada de pucho", "ni un cigarro", "sin tabaco", "nunca he probado el tabaco",
# Galician "non fumo": said of oneself, none of it is smoking.
_NEGATED = re.compile(
    r"\b(?:no|non|ni|nunca|nunac|nuca|jamas|tampoco|cero|nada\s+de|sin|ni\s+(?:un|una|uno)(?:\s+sol[oa])?"
    r"|libre\s+de|ni\s+de\s+(?:broma|cona|lejos)|ni\s+loc[oa]|odio|detesto|aborrezco)\s+(?:(?:en\s+mi\s+vida|jamas|nunca|de\s+nada)\s+)?"
    r"(?:(?:he|ha|hemos|soy|e|lo|la|los|uso|consumo|me\s+gusta|tomo|toco|pruebo|probado|probe"
    r"|probaria|tocado|toque|(?:el|la|los|las|un|una))\s+){0,3}"
    rf"(?:{_VERBS}|{_PRODUCTS})\b"
)
_EX = re.compile(
    r"\bex\s*-?\s*(?:fumador|vapeador)a?s?\b|\bya\s+no\s+(?:fumo|vapeo)\b|\bfumaba\b"
    rf"|\b(?:dej|larg|abandon)(?:e|ue|ado|o)\s+(?:de\s+(?:fumar|vapear)|(?:el|la|los|las)\s+"
    rf"(?:{_PRODUCTS}|vapeo|vicio))\b"
    r"|\bsin\s+(?:fumar|vapear)\b|\bno\s+(?:fumo|vapeo)\s+(?:desde|ya)\b|\bfume\s+(?:hasta|durante)\b"
    r"|\b(?:desde|hace|llevo)\s+[^,.;]{1,30}?\b(?:no|ya\s+no)\s+(?:he\s+)?(?:fumo|vapeo|fumado"
    r"|vapeado)\b"
)
# "ya no", "no, ya no" answering "¿fumas?": quit. "ya no tanto" is still smoking.
_EX_ANSWER = re.compile(r"^\W*(?:no\W*)?ya\s+no\b(?!\s+(?:tanto|mucho|casi|tan|como))")
# Smoking less is smoking: "casi no fumo", "ya no fumo tanto", "fumo menos que antes".
_LESS = re.compile(
    r"\bcasi\s+(?:no|nada|nunca)\s+(?:fumo|vapeo)\b|\bya\s+no\s+(?:fumo\s+|vapeo\s+)?(?:tanto|mucho"
    r"|como\s+antes)\b|\b(?:fumo|vapeo)\s+(?:mucho\s+)?menos\b|\bapenas\s+(?:fumo|vapeo)\b"
)
# "Fumé en la mili": smoking in the past tense, unless negated ("nunca fumé").
_PAST = re.compile(r"\b(?:fume|vapee)\b")
_QUIT = re.compile(r"\blo\s+(?:deje|he\s+dejado|dejo)\b")
_SMOKE_WORDS = re.compile(rf"\b(?:fum|vape|{_PRODUCTS}\b)")
_SMOKER = re.compile(
    rf"\b(?:fumo|fumadora?|fumao|fumaora?|fumando|vapeo|vapeadora?|vapeando|piti|pitis"
    rf"|{_PRODUCTS})\b"
)
_FIRST_PERSON = re.compile(
    r"\b(?:fumo|vapeo|fumamos|vapeamos|fumaba|vapeaba|soy\s+fumadora?|yo\s+(?:si|tambien))\b"
)
# In a question, only first-person smoking counts, and not "si fumo..." (if I smoke...).
_SMOKER_IN_QUESTION = re.compile(r"(?<!si )\b(?:fumo|vapeo|soy\s+fumadora?)\b")
# "un paquete al día" answering "¿fumas?"
_PACKS = re.compile(
    r"\b(?:un|una|medio|media|dos|tres|\d+)\s+(?:paquetes?|cajetillas?)\b"
    r"|(?<!ni )\b(?:\d+|un|uno|una|dos|tres|cuatro|cinco|diez|veinte)\s+"
    r"(?:(?:al|por|cada)\s+dia|diari[oa]s?|veces\s+(?:al|por|a\s+la)\s+(?:dia|semana|mes))\b"
)
_THIRD_PERSON = re.compile(r"\b(?:fuma|fuman|vapea|vapean)\b")
_THIRD_SMOKES = re.compile(r"\b(?:fuma|vapea|es\s+fumadora?|es\s+vapeadora?)\b")
_THIRD_DOES_NOT = re.compile(
    r"\b(?:no|nunca|jamas)\s+(?:ha\s+)?(?:fuma|vapea|es\s+fumadora?|fumado)\b"
)
_OCCASIONAL = re.compile(
    r"\b(?:a\s+veces|de\s+vez\s+en\s+cuando|ocasional\w*|social\w*|poco|findes?|fines?\s+de\s+semana"
    r"|fiestas?|cuando\s+salgo|cuando\s+bebo|navidad\w*|algun[oa]?)\b"
)

_NEVER = re.compile(r"\b(?:nunca|nunac|nuca|nada|jamas)\b")
_AGO = r"(?P<ago>\b(?:hace|desde\s+hace|llevo|lleva|ya\s+van|ya\s+son)\s+(?:ya\s+)?)"
_DURATION = re.compile(
    rf"{_AGO}?(?:(?P<q>mas\s+de|unos|unas|casi|como|cerca\s+de)\s+)?"
    r"(?P<n>\d{1,2}|[a-z]+(?:\s+y\s+[a-z]+)?)\s+(?P<unit>anos?|meses|mes|semanas?|dias?)"
    r"(?P<half>\s+y\s+medio)?\b"
)
_YEAR = re.compile(r"(?:\b(?:desde|en|dese)\s+(?:el\s+)?(?:ano\s+)?|^\W*)(?P<year>(?:19|20)\d\d)\b")
_YEAR_AND_HALF = re.compile(r"(?<=hace )ano\s+y\s+medio\b")
_YEARS_AGO = re.compile(r"\bhace\s+(?:(?:muchos|bastantes|varios)\s+)?anos\b")
_LAST_YEAR = re.compile(r"\b(?:el\s+ano\s+pasado|el\s+pasado\s+ano)\b")
_LAST = re.compile(
    r"\b(?:(?:el|la)\s+(?P<unit>mes|semana)\s+pasad[oa]|(?:el|la)\s+pasad[oa]\s+(?P<unit2>mes|semana)"
    r"|(?P<days>ayer|anteayer|antier|esta\s+semana|este\s+mes|hace\s+(?:unos|un\s+par\s+de|pocos)"
    r"\s+dias|el\s+otro\s+dia))\b"
)
# "lo dejé en enero", "desde navidad": the last such month that is not in the future.
_IN_MONTH = re.compile(
    rf"\b(?:en|desde|de)\s+(?:(?P<month>{MONTH})"
    r"|(?:(?:las|la)\s+)?(?P<xmas>navidad(?:es)?|ano\s+nuevo|nochevieja|fin\s+de\s+ano))\b"
)
_UNIT_MONTHS = {"ano": 12, "anos": 12, "mes": 1, "meses": 1, "semana": 0, "semanas": 0, "dia": 0,
                "dias": 0}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Smoking:
    """What a message says about smoking; `masked` is the text without the quit time in it."""

    smoker: bool | None = None
    ex_smoker: bool | None = None
    quit_months: int | None = None
    masked: str = ""


def _quit_months(norm: str, today: date, asked: bool) -> tuple[int | None, str]:
    """Months since quitting, and `norm` with that time masked; None when not clearly said."""
    norm = _YEAR_AND_HALF.sub("un ano y medio", norm)
    for m in _DURATION.finditer(norm):
        if not (m["ago"] or asked):
            continue
        numbers = find_numbers(m["n"])
        if not numbers:
            continue
        months = numbers[0].value * _UNIT_MONTHS[m["unit"]] + (6 if m["half"] else 0)
        if m["q"] == "casi":
            months = max(0, months - 1)
        return months, mask(norm, *m.span())
    if said := _YEAR.search(norm):
        year = int(said["year"])
        if said[0].strip().startswith(("desde", "en", "dese")) or asked:
            # Quit at some point of that year: the fewest months it can be, to price prudently.
            months = max(0, (today.year - year) * 12 + today.month - 12)
            return (months if year <= today.year else None), mask(norm, *said.span())
    if _LAST_YEAR.search(norm):
        return today.month, norm
    if last := _LAST.search(norm):
        return (1 if (last["unit"] or last["unit2"]) == "mes" else 0), mask(norm, *last.span())
    if when := _IN_MONTH.search(norm):
        name = when["month"] or "diciembre"
        return (today.month - MONTH_NUMBERS[name]) % 12, mask(norm, *when.span())
    if _YEARS_AGO.search(norm):
        return 24, norm  # "hace años": two at least
    return None, norm


def read_smoking(
    norm: str, expecting: str | None, today: date, yes: bool, no: bool, *, other: bool
) -> Smoking:
    """Smoking said in `norm`: smoker, ex-smoker (and since when), or not a smoker.

    Smokes or vapes, even now and then -> smoker; quit -> ex_smoker (smoker left to the
    tariff's rule); never or not -> smoker False. `other`: the insured is someone else, so
    only third-person smoking ("tiene 60 y fuma") counts.
    """
    asked = expecting == "smoker"
    if expecting == "quit_when":
        months, masked = _quit_months(norm, today, asked=True)
        return Smoking(ex_smoker=True if months is not None else None, quit_months=months,
                       masked=masked)  # fmt: skip
    # "fuma, unos tres cigarrillos al día" answering "¿fuma tu marido?": his, not the writer's.
    third = _THIRD_PERSON.search(norm) and not _FIRST_PERSON.search(norm)
    if other or (asked and third):
        if _THIRD_DOES_NOT.search(norm):
            return Smoking(smoker=False, masked=norm)
        if _THIRD_SMOKES.search(norm):
            return Smoking(smoker=True, masked=norm)
        if not asked:
            return Smoking(masked=norm)
    if _LESS.search(norm):
        return Smoking(smoker=True, masked=norm)
    rest = _EX.sub("·", _NEGATED.sub("·", norm))
    smoking = _SMOKER_IN_QUESTION if "?" in norm else _SMOKER
    now = smoking.search(rest)
    if now and not (_THIRD_PERSON.search(norm) and not _SMOKER_IN_QUESTION.search(rest)):
        return Smoking(smoker=True, masked=norm)
    ex = bool(_EX.search(norm) or _PAST.search(_NEGATED.sub("·", norm)))
    ex = ex or bool(_QUIT.search(norm) and (asked or _SMOKE_WORDS.search(norm)))
    ex = ex or (asked and bool(_EX_ANSWER.match(norm)))
    if ex:
        months, masked = _quit_months(norm, today, asked=False)
        return Smoking(ex_smoker=True, quit_months=months, masked=masked)
    if _NEGATED.search(norm):
        return Smoking(smoker=False, masked=norm)
    if asked and (_OCCASIONAL.search(norm) or _PACKS.search(norm)) and not _NEVER.search(norm):
        return Smoking(smoker=True, masked=norm)
    if asked and (yes or no):
        return Smoking(smoker=yes, masked=norm)
    return Smoking(masked=norm)
