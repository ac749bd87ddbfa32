"""The quoted options a Spanish message names, and whether it clearly picks one of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.brains import lexicon
from agent.brains import spanish_intents as intents
from agent.brains.spanish_numbers import one_of

_ORDINALS = {"primera": 1, "primero": 1, "primer": 1, "1a": 1, "uno": 1, "segunda": 2,
             "segundo": 2, "2a": 2, "dos": 2, "tercera": 3, "tercero": 3, "tercer": 3, "3a": 3,
             "tres": 3}  # fmt: skip
_PLANS = {"basica": 1, "basico": 1, "recomendada": 2, "recomendado": 2, "completa": 3,
          "completo": 3}  # fmt: skip
_ORD, _PLAN = one_of(_ORDINALS), one_of(_PLANS)

# The patterns of agent/data/spanish/options.toml, by name.
RX = lexicon.load("options", ORD=_ORD, PLAN=_PLAN, Q=intents.RX.fragment("Q"))


def without_descriptions(norm: str) -> str:
    """`norm` without options described by what they cover: "la que cubre todo" asks nothing."""
    return RX["described"].sub("·", norm) if " que " in norm or " q " in norm else norm


def named_spans(norm: str) -> list[tuple[int, int]]:
    """Where `norm` names options ("la 2", "entre la 2 y la 3"): their numbers are no data."""
    spans = []
    for m in RX["option"].finditer(norm):
        spans.append((m.start(), m.end()))
        pos = m.end()
        while listed := RX["listed"].match(norm, pos):
            spans.append((listed.start(), listed.end()))
            pos = listed.end()
    return spans


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
    bare = asked and bool(RX["bare"].fullmatch(core))
    if bare:
        found = [(int(d[0]), 0, 0) for d in RX["digit"].finditer(core)]
        clear = True
    for m in RX["option"].finditer(norm):
        found.append((_value(m), m.start(), m.end()))
        clear = clear or bool(
            m["clear"] or m["named"] or m["covers_all"] or m["covers_middle"] or m["covers_least"]
        )
        pos = m.end()
        while listed := RX["listed"].match(norm, pos):
            found.append((_key(listed["key"]), listed.start("key"), listed.end()))
            pos = listed.end()
    if not found:
        return Options()
    if (preferred := RX["preferred"].search(norm)) and "?" not in norm:
        x, y = (_key(preferred[k].split()[-1]) for k in ("x", "y"))  # the key ends each
        if x != y:
            return Options(x, [y])
    negated = {int(m[1] or m[2]) for m in RX["bare_negated"].finditer(core)} if bare else set()
    negated.update(
        v
        for v, start, end in found
        if end
        and (
            RX["negated_before"].search(norm[max(0, start - 25) : start])
            or RX["negated_after"].match(norm[end : end + 30])
        )
    )
    values = list(dict.fromkeys(v for v, _, _ in found))
    kept = [v for v in values if v not in negated]
    chooser = bool(RX["choose"].search(norm))
    settled = RX["decided"].search(norm) if len(kept) == 1 and "?" not in norm else None
    decided = bool(settled and not RX["hesitate"].search(norm, settled.end()))
    weighs = bool(intents.RX["compare"].search(norm) or RX["hesitate"].search(norm)) and not decided
    compare = len(kept) > 1 or weighs
    objects = bool(intents.RX["price_objection"].search(RX["superlative"].sub("·", norm)))
    complains = objects and not (chooser or decided)
    asking = asks_topic or (asks_aside and not chooser) or complains
    asking = asking or bool(RX["asks"].search(without_descriptions(core)))
    if "?" in norm and not (chooser or asked):
        asking = True
    short = len(core.split()) <= 4
    if len(kept) == 1 and not (compare or asking) and (clear or chooser or asked or short):
        return Options(kept[0], [v for v in values if v != kept[0]])
    return Options(None, values, rejected=not kept and not asking, compare=compare)
