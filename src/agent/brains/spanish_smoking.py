"""Smoking in a Spanish message: smoker, ex-smoker and how long ago they quit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agent.brains import lexicon
from agent.brains.spanish_numbers import MONTH, MONTH_NUMBERS, find_numbers, mask

# The patterns of agent/data/spanish/smoking.toml, by name.
RX = lexicon.load("smoking", MONTH=MONTH)


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
    norm = RX["year_and_half"].sub("un ano y medio", norm)
    for m in RX["duration"].finditer(norm):
        if not (m["ago"] or asked):
            continue
        numbers = find_numbers(m["n"])
        if not numbers:
            continue
        months = numbers[0].value * _UNIT_MONTHS[m["unit"]] + (6 if m["half"] else 0)
        if m["q"] == "casi":
            months = max(0, months - 1)
        return months, mask(norm, *m.span())
    if said := RX["year"].search(norm):
        year = int(said["year"])
        if said[0].strip().startswith(("desde", "en", "dese")) or asked:
            # Quit at some point of that year: the fewest months it can be, to price prudently.
            months = max(0, (today.year - year) * 12 + today.month - 12)
            return (months if year <= today.year else None), mask(norm, *said.span())
    if RX["last_year"].search(norm):
        return today.month, norm
    if last := RX["last"].search(norm):
        return (1 if (last["unit"] or last["unit2"]) == "mes" else 0), mask(norm, *last.span())
    if when := RX["in_month"].search(norm):
        name = when["month"] or "diciembre"
        return (today.month - MONTH_NUMBERS[name]) % 12, mask(norm, *when.span())
    if RX["years_ago"].search(norm):
        return 24, norm  # "hace años": two at least
    return None, norm


def read_smoking(
    norm: str,
    expecting: str | None,
    today: date,
    yes: bool,
    no: bool,
    *,
    other: bool,
    about: bool = False,
    of_them: bool = False,
) -> Smoking:
    """Smoking said in `norm`: smoker, ex-smoker (and since when), or not a smoker.

    Smokes or vapes, even now and then -> smoker; quit -> ex_smoker (smoker left to the
    tariff's rule); never or not -> smoker False. `other`: the insured is someone else, so
    only third-person smoking ("tiene 60 y fuma") counts. `about`: the conversation is about
    that person, so a third-person "no fuma" is theirs even when smoking was not asked.
    `of_them`: the smoking asked was already the relative's ("¿Fuma tu mujer?").
    """
    asked = expecting == "smoker"
    if expecting == "quit_when":
        months, masked = _quit_months(norm, today, asked=True)
        return Smoking(ex_smoker=True if months is not None else None, quit_months=months,
                       masked=masked)  # fmt: skip
    # "fuma, unos tres cigarrillos al día" answering "¿fuma tu marido?": his, not the writer's.
    said_of = RX["third_person"].search(norm) or RX["third_quit"].search(norm)
    third = said_of and not RX["first_person"].search(norm)
    if other or ((asked or about) and third):
        if RX["third_quit"].search(norm):  # "lo dejó hace 3 años", "ya no fuma"
            months, masked = _quit_months(norm, today, asked=False)
            return Smoking(ex_smoker=True, quit_months=months, masked=masked)
        if RX["third_does_not"].search(norm):
            return Smoking(smoker=False, masked=norm)
        if RX["third_smokes"].search(norm):
            return Smoking(smoker=True, masked=norm)
        # "no, es para mi mujer" answering "¿Fumas?": the no says nothing of her smoking
        if not asked or (other and not of_them):
            return Smoking(masked=norm)
    if RX["less"].search(norm):
        return Smoking(smoker=True, masked=norm)
    rest = RX["ex"].sub("·", RX["negated"].sub("·", norm))
    smoking = RX["smoker_in_question"] if "?" in norm else RX["smoker"]
    now = smoking.search(rest)
    if now and RX["ex"].search(norm):  # "sí fumo, pero llevo 2 meses sin fumar": since when
        months, masked = _quit_months(norm, today, asked=False)
        if months is not None:
            return Smoking(ex_smoker=True, quit_months=months, masked=masked)
    if now and not (RX["third_person"].search(norm) and not RX["smoker_in_question"].search(rest)):
        return Smoking(smoker=True, masked=norm)
    ex = bool(RX["ex"].search(norm) or RX["past"].search(RX["negated"].sub("·", norm)))
    ex = ex or bool(RX["quit"].search(norm) and (asked or RX["smoke_words"].search(norm)))
    ex = ex or (asked and bool(RX["ex_answer"].match(norm)))
    if ex:
        months, masked = _quit_months(norm, today, asked=False)
        return Smoking(ex_smoker=True, quit_months=months, masked=masked)
    if RX["negated"].search(norm):
        return Smoking(smoker=False, masked=norm)
    if (
        asked
        and (RX["occasional"].search(norm) or RX["packs"].search(norm))
        and not RX["never"].search(norm)
    ):
        return Smoking(smoker=True, masked=norm)
    if asked and (yes or no):
        return Smoking(smoker=yes, masked=norm)
    return Smoking(masked=norm)
