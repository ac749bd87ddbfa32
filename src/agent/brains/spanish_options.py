"""The quoted options a Spanish message names, and whether it clearly picks one of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.brains.spanish_intents import COMPARE, PRICE_OBJECTION, Q
from agent.brains.spanish_numbers import one_of

_ORDINALS = {"primera": 1, "primero": 1, "primer": 1, "1a": 1, "uno": 1, "segunda": 2,
             "segundo": 2, "2a": 2, "dos": 2, "tercera": 3, "tercero": 3, "tercer": 3, "3a": 3,
             "tres": 3}  # fmt: skip
_PLANS = {"basica": 1, "basico": 1, "recomendada": 2, "recomendado": 2, "completa": 3,
          "completo": 3}  # fmt: skip
_ORD, _PLAN = one_of(_ORDINALS), one_of(_PLANS)
# An option described by what it does: "la que cubre todo", "la que trae más cobertura".
DESCRIBED_FULLEST = (
    r"\b(?:la|el)\s+(?:que|q)\s+(?:lo\s+)?(?:cubre|incluye|trae|tiene|lleva|abarca|da)\s+"
    r"(?:todo|(?:de\s+)?mas(?:\s+(?:cobertura|cosas|coberturas|proteccion))?)\b"
)
# The middle option by its covers: invalidity, but not the serious illness or accident extras.
DESCRIBED_MIDDLE = (
    r"\b(?:la|el)\s+(?:que|q)\s+(?:\w+\s+){0,3}invalidez\b[^.?!]{0,40}?\b(?:(?:sin|pero\s+no"
    r"|menos|no\s+(?:la|el|lo)\s+de)\s+(?:\w+\s+){0,3}(?:enfermedad(?:es)?\s+grave|accidente|doble)"
    r"|pero\s+no\s+(?:la\s+)?(?:mas\s+cara|completa|de\s+mas))"
)
# The last option by what only it has: serious illness, double capital for an accident.
DESCRIBED_EXTRAS = (
    r"\b(?:la|el)\s+(?:que|q)\s+(?:\w+\s+){0,2}(?:incluye|cubre|tiene|trae|lleva|da)\s+"
    r"(?:tambien\s+)?(?:lo\s+de\s+|la\s+|el\s+)?(?:enfermedad(?:es)?\s+grave|doble\s+capital)"
)
# The first option by its cover: death alone.
DESCRIBED_LEAST = (
    r"\b(?:la|el)\s+(?:que|q)\s+(?:solo|solamente|unicamente)\s+(?:cubre|es|incluye|tiene|paga)"
    r"\s+(?:(?:el|la|por)\s+)?(?:fallecimiento|muerte)\b|\b(?:la|el)\s+de\s+solo\s+(?:fallecimiento|muerte)\b"
)
_OPTION = re.compile(
    rf"\b(?:opcion|plan|modalidad)\s*(?:n(?:o|um|umero)?\.?\s*)?(?P<clear>[1-9]|{_ORD}|{_PLAN})\b"
    rf"|\b(?:la|el)\s+(?P<named>{_PLAN})\b"
    rf"|\b(?:la|el)\s+(?:numero\s+)?(?P<pos>[1-9]|{_ORD})(?!\w|[.,]\d|\s+vez)"
    r"|\bla\s+(?P<middle>del?\s+(?:en\s*)?medio|intermedia)\b"
    r"|\b(?:a|o)\s+(?P<gal>primeira|primeiro|segunda|segundo|terceira|terceiro)\b"
    r"|\bla\s+(?:mas\s+(?P<fullest>cara|completa)|(?:mas\s+)?(?P<cheapest>barata|economica))\b"
    rf"|(?P<covers_all>{DESCRIBED_FULLEST}|{DESCRIBED_EXTRAS})"
    rf"|(?P<covers_middle>{DESCRIBED_MIDDLE})|(?P<covers_least>{DESCRIBED_LEAST})"
)
# One option preferred to another: "mejor la recomendada que la completa", "prefiero la 2 a la 3",
# "mejor la otra, la recomendada, que la completa está muy cara".
_KEY = rf"(?:(?:la|el)\s+)?(?:opcion\s+)?(?:[1-9]|{_ORD}|{_PLAN})"
_PREFERRED = re.compile(
    rf"\b(?:mejor|prefiero|antes|mas\s+bien)\s+(?:(?:la|el)\s+otra?\s*,?\s*)?(?P<x>{_KEY})\s*,?\s+"
    rf"(?:(?:que|q|a|en\s+vez\s+de|en\s+lugar\s+de)\s+)(?P<y>{_KEY})(?![\w])"
)
# "entre la 1 y 3", "la 2 o la tercera": further options listed right after one.
_LISTED = re.compile(
    rf"\s*(?:,|y|e|o|u|ni|vs\.?|versus|contra)\s*(?:(?:la|el)\s+)?(?:opcion\s+)?"
    rf"(?P<key>[1-9]|{_ORD}|{_PLAN})(?!\w|[.,]\d)"
)
# A reply made only of option numbers: "2", "2 o 3", "ni 1 ni 2", "1 no".
_BARE = re.compile(r"(?:ni\s+)?[1-9](?:\s*(?:,|y|o|u|ni)\s*[1-9])*(?:\s+no)?")
_DIGIT = re.compile(r"[1-9]")
_BARE_NEGATED = re.compile(r"\bni\s+([1-9])\b|\b([1-9])\s+no\b")
_CHOOSE = re.compile(
    r"\b(?:quiero|quedo|elijo|escojo|prefiero|vamos|voy|dame|contrato|contratar|cojo|pillo"
    r"|selecciono|me\s+interesa|me\s+gusta|me\s+va)\b"
)
_NEGATED_BEFORE = re.compile(
    r"(?:\bno|\bni|\bsin|\bmenos)\s+(?:(?:quiero|me\s+(?:gusta|convence|interesa)|elijo"
    r"|escojo|prefiero|me\s+quedo\s+con)\s+)?(?:con\s+)?$"
)
_NEGATED_AFTER = re.compile(
    r"^\s*,?\s*(?:no\b(?!\s+(?:lo\s+)?(?:se|sabria|estoy\s+segur)|\s+mas\b)|tampoco\b|ni\s+de\s+broma|ni\s+loc[oa]|descartad[oa]|fuera\b"
    r"|me\s+parece\s+(?:cara|mal|poco)|(?:es|esta|sale)\s+(?:muy\s+|demasiado\s+|bastante\s+)?car[oa])"
)
# Asking about an option is not picking it: "¿qué cubre la completa?", "¿cuánto sale la 1?".
_ASKS = re.compile(
    rf"^(?:y\s+)?(?:{Q}|como|cuanto|cuanta|cual|por\s*{Q}|incluye|cubre|tiene|hay)\b"
    rf"|\b(?:{Q}|cuanto|cual|como)\s+(?:cubre|incluye|tiene|sale|cuesta|vale|es|lleva|diferencia)\b"
    r"|\bcuant[oa]s?\b[^.!?]*\?"
)


# "la más barata" names an option; "es cara la 3" complains about one and does not pick it.
_SUPERLATIVE = re.compile(r"\b(?:la|el)\s+mas\s+(?:barat|economic|car)[oa]\b")
_HESITATE = re.compile(
    r"\bno\s+(?:lo\s+)?se\b|\bno\s+estoy\s+segur|\btal\s+vez\b|\bquizas?\b|\ba\s+lo\s+mejor\b"
    r"|\bpuede\s+que\b|\bmmm+"
)


# Hesitation settled in the same message: "mmm ok, mejor la recomendada", "no sé... al final la 2".
_DECIDED = re.compile(
    r"\b(?:mejor|al\s+final|finalmente|entonces|ok|vale|bueno|listo|ya)\s*,?\s*(?:me\s+quedo\s+con"
    r"|(?:me\s+)?(?:voy\s+(?:con|por)|decido\s+por)|quiero|dame|ponme|elijo|escojo|prefiero)?\s*"
    r"(?:la|el)\s+(?:otra\s*,?\s*(?:la|el)\s+)?(?:opcion\s+)?(?:[1-9]|primera|segunda|tercera|basica"
    r"|recomendada|completa"
    r"|del?\s+medio|mas\s+(?:barata|economica|completa|cara)|barata|economica|que)\b"
)
_DESCRIBED = re.compile(
    f"{DESCRIBED_FULLEST}|{DESCRIBED_EXTRAS}|{DESCRIBED_MIDDLE}|{DESCRIBED_LEAST}"
)


def without_descriptions(norm: str) -> str:
    """`norm` without options described by what they cover: "la que cubre todo" asks nothing."""
    return _DESCRIBED.sub("·", norm) if " que " in norm or " q " in norm else norm


@dataclass(frozen=True, slots=True)
class Options:
    """Options the message names; `option` is set only for an unambiguous pick."""

    option: int | None = None
    mentioned: list[int] = field(default_factory=list)
    rejected: bool = False  # every option named was rejected ("la 1 no", "ni la 1 ni la 2")
    compare: bool = False  # weighing two or more ("dudo entre la 2 y la 3")


def _value(m: re.Match[str]) -> int:
    if key := m["clear"] or m["named"] or m["pos"]:
        return _key(key)
    if m["gal"]:  # Galician and Portuguese: "a segunda"
        return {"pri": 1, "seg": 2, "ter": 3}[m["gal"][:3]]
    if m["middle"] or m["covers_middle"]:
        return 2
    return 1 if m["cheapest"] or m["covers_least"] else 3


def _key(key: str) -> int:
    return int(key) if key.isdigit() else _PLANS.get(key) or _ORDINALS[key]


def read_options(
    norm: str, core: str, expecting: str | None, *, asks_topic: bool, asks_aside: bool = False
) -> Options:
    """`asks_topic`: the message raises a question topic (price, coverage...) about them.

    `asks_aside`: it asks something else (cancelling, paying...), which stops a pick only when no
    verb of choosing says one: "me quedo con la 2, pero ¿hay permanencia?" picks the 2.
    """
    found: list[tuple[int, int, int]] = []  # (value, start, end)
    clear = False
    asked = expecting in ("option", "confirm_option")
    bare = asked and bool(_BARE.fullmatch(core))
    if bare:
        found = [(int(d[0]), 0, 0) for d in _DIGIT.finditer(core)]
        clear = True
    for m in _OPTION.finditer(norm):
        found.append((_value(m), m.start(), m.end()))
        clear = clear or bool(
            m["clear"] or m["named"] or m["covers_all"] or m["covers_middle"] or m["covers_least"]
        )
        pos = m.end()
        while listed := _LISTED.match(norm, pos):
            found.append((_key(listed["key"]), listed.start("key"), listed.end()))
            pos = listed.end()
    if not found:
        return Options()
    if (preferred := _PREFERRED.search(norm)) and "?" not in norm:
        x, y = (_key(preferred[k].split()[-1]) for k in ("x", "y"))  # the key ends each
        if x != y:
            return Options(x, [y])
    negated = {int(m[1] or m[2]) for m in _BARE_NEGATED.finditer(core)} if bare else set()
    negated.update(
        v
        for v, start, end in found
        if end
        and (
            _NEGATED_BEFORE.search(norm[max(0, start - 25) : start])
            or _NEGATED_AFTER.match(norm[end : end + 30])
        )
    )
    values = list(dict.fromkeys(v for v, _, _ in found))
    kept = [v for v in values if v not in negated]
    chooser = bool(_CHOOSE.search(norm))
    settled = _DECIDED.search(norm) if len(kept) == 1 and "?" not in norm else None
    decided = bool(settled and not _HESITATE.search(norm, settled.end()))
    weighs = bool(COMPARE.search(norm) or _HESITATE.search(norm)) and not decided
    compare = len(kept) > 1 or weighs
    objects = bool(PRICE_OBJECTION.search(_SUPERLATIVE.sub("·", norm)))
    complains = objects and not (chooser or decided)
    asking = asks_topic or (asks_aside and not chooser) or complains
    asking = asking or bool(_ASKS.search(without_descriptions(core)))
    if "?" in norm and not (chooser or asked):
        asking = True
    short = len(core.split()) <= 4
    if len(kept) == 1 and not (compare or asking) and (clear or chooser or asked or short):
        return Options(kept[0], [v for v in values if v != kept[0]])
    return Options(None, values, rejected=not kept and not asking, compare=compare)
