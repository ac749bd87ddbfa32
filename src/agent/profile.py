"""The insured person's profile: take in what a message declared, check it against the tariff."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from agent import texts
from agent.quote import QuoteEngine, format_eur
from agent.state import PROFILE_FIELDS

REQUIRED = ("name", "age", "smoker", "cover", "term")
PRICED = ("age", "smoker", "cover", "term")
# What the customer may add once priced that no price depends on: noted, nothing re-priced.
UNPRICED = frozenset({"name", "dependants", "purpose"})
INELIGIBLE_PROBLEMS = {"age_below_min", "age_above_max"}
# Retirement when the facts file does not say otherwise ("hasta que me jubile").
RETIREMENT_AGE = 67


@dataclass
class Absorbed:
    """The outcome of taking one message's data into the profile."""

    profile: dict
    declared: dict
    accepted: dict = field(default_factory=dict)
    explanations: list[str] = field(default_factory=list)
    ineligible: str | None = None
    ineligible_why: str = ""


def age_on(birth: date, today: date) -> int:
    """Age in whole years on `today` of someone born on `birth`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def missing_field(profile: dict) -> str | None:
    """The next datum to ask for, in the order a person would ask (the name only once)."""
    if profile.get("name") is None and not profile.get("name_declined"):
        return "name"
    if profile.get("insured") == "unsure":
        return "insured"
    for name in REQUIRED[1:]:
        if name == "smoker" and profile.get("smoker") is None and profile.get("ex_smoker"):
            return "quit_when"
        if profile.get(name) is None:
            return name
    if profile.get("dependants") is None and profile.get("purpose") is None:
        return "dependants"
    return None


def priced_data(profile: dict) -> dict:
    """What the quote is computed from: the read-back and the confirmation record show this."""
    data = {k: profile[k] for k in PRICED if profile.get(k) is not None}
    if profile.get("insured") == "other":
        data["insured_relation"] = profile.get("insured_relation") or "otro"
    return data


def absorb(
    reading: dict,
    state: Mapping[str, Any],
    quotes: QuoteEngine,
    now: datetime,
    *,
    retirement_age: int = RETIREMENT_AGE,
) -> Absorbed:
    """Merge the profile fields of `reading`, keeping only values the tariff accepts."""
    profile = dict(state.get("profile") or {})
    out = Absorbed(profile=profile, declared=dict(state.get("declared") or {}))
    new = {k: reading[k] for k in PROFILE_FIELDS if reading.get(k) is not None}
    if "birth_date" in reading and reading["birth_date"]:
        birth = date.fromisoformat(str(reading["birth_date"]))
        new["age"] = age_on(birth, now.date())
        new["birth_date"] = birth.isoformat()
    _who_is_insured(reading, state, profile, new)
    _smoking(reading, state, quotes, profile, new, out)
    if reading.get("currency") and reading.get("currency") != quotes.currency:
        new.pop("cover", None)  # never read pesos or dollars as euros
        out.explanations.append(texts.CURRENCY.format(currency=texts.currency_name(quotes)))

    limits = quotes.limits
    values = {
        "min_age": limits.min_age,
        "max_age": limits.max_age,
        "min_cover": format_eur(limits.min_cover),
        "max_cover": format_eur(limits.max_cover),
        "min_term": limits.min_term,
        "max_term": limits.max_term,
        "max_age_at_end": limits.max_age_at_end,
    }

    relation = texts.insured_relation(profile)
    age_of = texts.AGE_OF_RELATIVE.format(relation=relation) if relation else texts.AGE_OF_SELF

    def explain(code: str, age: int | None = None) -> str:
        room = limits.max_age_at_end - age if age is not None else limits.max_term
        limit = min(room, limits.max_term)
        return texts.PROBLEMS[code].format(**values, max_term_for_age=limit, age_of=age_of)

    if "age" in new:
        problems = quotes.problems(age=new["age"])
        if problems:
            out.ineligible = problems[0]
            out.ineligible_why = explain(problems[0])
            new.pop("age")
            new.pop("birth_date", None)
    if "cover" in new:
        problems = quotes.problems(cover=new["cover"])
        if problems:
            out.explanations.append(explain(problems[0]))
            said = new.pop("cover")
            thousands = said * 1000
            if problems[0] == "cover_below_min" and not quotes.problems(cover=thousands):
                offer = texts.COVER_IN_THOUSANDS.format(cover=format_eur(thousands), thousands=said)
                out.explanations.append(offer)

    age = new.get("age", profile.get("age"))
    end_age = reading.get("term_end_age") or (
        retirement_age if reading.get("until_retirement") else None
    )
    if "term" in new:
        profile.pop("term_end_age", None)  # a term said in years replaces "hasta los 65"
    elif end_age is None and ("age" in new or profile.get("term") is None):
        # The age came, or changed: a term said as "hasta los 60" still ends at 60.
        end_age = profile.get("term_end_age")
    if end_age is not None and "term" not in new:
        # Kept beside the term it gave, so that a corrected age moves the term with it.
        profile["term_end_age"] = end_age
        if age is not None and end_age > age:
            new["term"] = end_age - age
    term = new.get("term", profile.get("term"))
    if term is not None:
        problems = (
            quotes.problems(age=age, term=term) if age is not None else quotes.problems(term=term)
        )
        problems = [p for p in problems if p not in INELIGIBLE_PROBLEMS]
        if problems:
            out.explanations.append(explain(problems[0], age))
            if "term" in new:
                new.pop("term")
                profile.pop("term_end_age", None)  # explained once, and the term asked for
            else:  # the new age makes the earlier term too long: ask for it again
                profile.pop("term", None)

    stamp = now.isoformat(timespec="seconds")
    for key, value in new.items():
        profile[key] = value
        out.declared[key] = {"value": value, "at": stamp}
    out.accepted = {k: v for k, v in new.items() if k != "birth_date"}
    return out


_PERSONAL = ("age", "birth_date", "smoker", "ex_smoker")


def _who_is_insured(reading: dict, state: Mapping[str, Any], profile: dict, new: dict) -> None:
    """Someone else's life ("es para mi padre") is asked about before anything is priced.

    Age and smoking said before the hint were the customer's own; those said with it, the other
    person's. Whichever way the answer goes, the other set is dropped and asked for again.
    """
    insured, relation = reading.get("insured"), reading.get("insured_relation")
    expecting = state.get("expecting")
    if expecting == "insured":
        # "no, para mi mamá" to "¿sería sobre la vida de tu padre?": a no to him, not to others.
        asked_about = profile.get("insured_relation")
        someone_else = insured == "other" and relation not in (None, asked_about)
        if insured == "self" or (reading.get("intent") == "deny" and not someone_else):
            insured = "self"
            for key in profile.pop("hinted", []):
                profile.pop(key, None)
            profile.update(profile.pop("own", {}))
        elif reading.get("intent") == "affirm" or insured == "other":
            insured = "other"
            hinted = profile.get("hinted", [])
            if relation and relation != profile.get("insured_relation"):
                # "es para mi papá, tiene 64" then "no, mi mamá": the 64 was the father's.
                hinted = []
            for key in {*profile.pop("own", {}), *profile.get("hinted", [])} - set(hinted):
                profile.pop(key, None)
        else:
            return
        profile["insured"] = insured
        profile.pop("hinted", None)
        if insured == "self":
            profile.pop("insured_relation", None)
        elif relation:
            profile["insured_relation"] = relation
        return
    # "¿Para qué quieres el seguro?" — "para mi hija": who it protects, not whose life it is.
    if expecting == "dependants" and not set(new) & set(_PERSONAL):
        return
    if insured == "other" and profile.get("insured") != "other":
        profile["insured"] = "unsure"
        profile["insured_relation"] = relation or "otro"
        profile["hinted"] = [k for k in _PERSONAL if k in new]
        profile["own"] = {k: profile[k] for k in _PERSONAL if k in profile}
        if "term" in profile:  # "hasta que tenga 60" gave it at the writer's own age: it stays
            profile.pop("term_end_age", None)
    elif insured == "self" and profile.get("insured") is None:
        profile["insured"] = "self"


def _smoking(
    reading: dict,
    state: Mapping[str, Any],
    quotes: QuoteEngine,
    profile: dict,
    new: dict,
    out: Absorbed,
) -> None:
    """An ex-smoker counts as a smoker until the tariff's months without tobacco have passed."""
    months = reading.get("quit_months")
    if reading.get("ex_smoker") or (state.get("expecting") == "quit_when" and months is not None):
        new.pop("smoker", None)
        if months is None:
            profile["ex_smoker"] = True
            profile.pop("smoker", None)
            return
        smoker = months < quotes.ex_smoker_months
        new["smoker"] = smoker
        profile.pop("ex_smoker", None)
        out.explanations.append(
            texts.EX_SMOKER.format(
                rule=quotes.ex_smoker_months, label="fumador" if smoker else "no fumador"
            )
        )
    elif "smoker" in new:
        profile.pop("ex_smoker", None)
