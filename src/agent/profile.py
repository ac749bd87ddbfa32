"""The customer profile: take in what a message declared, check it against the tariff's limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from agent import texts
from agent.quote import QuoteEngine, format_eur
from agent.state import PROFILE_FIELDS

REQUIRED = ("name", "age", "smoker", "cover", "term")
INELIGIBLE_PROBLEMS = {"age_below_min", "age_above_max"}


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
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def missing_field(profile: dict) -> str | None:
    """The next datum to ask for, in the order a person would ask."""
    for name in REQUIRED:
        if profile.get(name) is None:
            return name
    if profile.get("dependants") is None and profile.get("purpose") is None:
        return "dependants"
    return None


def absorb(reading: dict, state: dict, quotes: QuoteEngine, now: datetime) -> Absorbed:
    """Merge the profile fields of `reading`, keeping only values the tariff accepts."""
    profile = dict(state.get("profile") or {})
    out = Absorbed(profile=profile, declared=dict(state.get("declared") or {}))
    new = {k: reading[k] for k in PROFILE_FIELDS if reading.get(k) is not None}
    if "birth_date" in reading and reading["birth_date"]:
        birth = date.fromisoformat(str(reading["birth_date"]))
        new["age"] = age_on(birth, now.date())
        new["birth_date"] = birth.isoformat()

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

    def explain(code: str, age: int | None = None) -> str:
        room = limits.max_age_at_end - age if age is not None else limits.max_term
        return texts.PROBLEMS[code].format(**values, max_term_for_age=min(room, limits.max_term))

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
            new.pop("cover")

    age = new.get("age", profile.get("age"))
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
            else:  # the new age makes the earlier term too long: ask for it again
                profile.pop("term", None)

    stamp = now.isoformat(timespec="seconds")
    for key, value in new.items():
        profile[key] = value
        out.declared[key] = {"value": value, "at": stamp}
    out.accepted = {k: v for k, v in new.items() if k != "birth_date"}
    return out
