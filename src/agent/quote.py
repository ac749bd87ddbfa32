"""The tariff engine: life-cover premiums from a tariff file, in Decimal, with no LLM involved."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

from agent import datafile

_CENT = Decimal("0.01")
_THOUSAND = Decimal(1000)
_MONTHS = Decimal(12)
# Pinned so a caller changing the thread's decimal context cannot change a price.
_ARITHMETIC = Context(prec=28, rounding=ROUND_HALF_UP)
# Rounding each of 12 monthly payments can lose up to half a cent apiece.
_WORST_YEARLY_ROUNDING = Decimal("0.06")


class TariffError(ValueError):
    """The tariff is malformed or would break a pricing promise (e.g. older paying less)."""


class QuoteError(ValueError):
    """The customer's data falls outside the tariff's limits; `problems` holds the codes."""

    def __init__(self, problems: list[str]) -> None:
        """Name the tariff limits the data breaks (`problems`, as codes)."""
        super().__init__("outside the tariff limits: " + ", ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Limits:
    """Who can be insured, for how much cover (EUR) and for how many years."""

    min_age: int
    max_age: int
    min_cover: int
    max_cover: int
    min_term: int
    max_term: int
    max_age_at_end: int


@dataclass(frozen=True)
class _Band:
    low: int
    high: int
    # (smoker, term band index) -> annual rate per 1,000 EUR of cover.
    rates: dict[tuple[bool, int], Decimal]

    def __contains__(self, value: int) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class _Option:
    id: str
    name: str
    guarantees: tuple[str, ...]
    factor: Decimal


def _cents(amount: Decimal) -> Decimal:
    """Round to cents: the only place any amount is rounded."""
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _amount(value: Any) -> Decimal:
    """An exact Decimal from an int, Decimal or numeric string; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise TypeError(f"expected int, Decimal or str amount, got {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return number


def format_eur(amount: str | Decimal | int, *, cents: bool = False) -> str:
    """Spanish money format: '1.234,56 €'; '150.000 €' when whole, unless `cents` (prices)."""
    value = _cents(_amount(amount))
    sign = "-" if value < 0 else ""
    euros, fraction = divmod(abs(value), 1)
    whole = f"{int(euros):,}".replace(",", ".")
    if not fraction and not cents:
        return f"{sign}{whole} €"
    return f"{sign}{whole},{int(fraction * 100):02d} €"


class QuoteEngine:
    """Prices the tariff's options for one customer; validates the tariff once, on load.

    Attributes:
        limits: who can be insured, for how much and how long: what data is checked against.
        currency: ISO code of the currency every amount of this tariff is in (cover and
            premiums).
        ex_smoker_months: an ex-smoker is priced as a non-smoker after this many months
            without tobacco.
        monthly_loading: paying monthly costs this factor of the annual premium (1.03: 3 % more).
    """

    def __init__(self, tariff: dict[str, Any] | None = None) -> None:
        """Check and keep `tariff` (the parsed tariff file); the bundled one when None."""
        if tariff is None:
            tariff = datafile.bundled("tariff.json")
        self._name: str = _get(tariff, "name", str, "tariff")
        # Required by the tariff format, read by no code: customers read the product facts'
        # `notice` (agent.facts).
        _get(tariff, "notice", str, "tariff")
        self._illustrative: bool = _get(tariff, "illustrative", bool, "tariff")
        self.currency: Final[str] = _get(tariff, "currency", str, "tariff")
        self.limits: Final[Limits] = _limits(_get(tariff, "limits", dict, "tariff"))
        term_ids, self._term_bands = _term_bands(tariff, self.limits)
        self._age_bands = _age_bands(tariff, self.limits, term_ids)
        self._options = _options(tariff)
        self._fee = _money(tariff, "policy_fee", "tariff")
        self._minimum = _money(tariff, "minimum_annual_premium", "tariff")
        self.monthly_loading: Final[Decimal] = _decimal(tariff, "monthly_loading", "tariff")
        self.ex_smoker_months: Final[int] = _get(tariff, "ex_smoker_months", int, "tariff")
        _check_loading(self.monthly_loading, smallest=max(self._minimum, self._fee))

    @classmethod
    def from_file(cls, path: str | Path) -> QuoteEngine:
        """An engine for an insurer's own tariff file."""
        return cls(datafile.read(path, TariffError))

    def problems(
        self, age: int | None = None, cover: int | Decimal | None = None, term: int | None = None
    ) -> list[str]:
        """Codes for every given value outside the limits; empty when all are acceptable."""
        limits, codes = self.limits, []
        if age is not None:
            if age < limits.min_age:
                codes.append("age_below_min")
            elif age > limits.max_age:
                codes.append("age_above_max")
        if cover is not None:
            amount = _amount(cover)
            if amount < limits.min_cover:
                codes.append("cover_below_min")
            elif amount > limits.max_cover:
                codes.append("cover_above_max")
        if term is not None:
            if term < limits.min_term:
                codes.append("term_below_min")
            elif term > limits.max_term:
                codes.append("term_above_max")
            if age is not None and age + term > limits.max_age_at_end:
                codes.append("term_past_max_age")
        return codes

    def quote(self, *, age: int, smoker: bool, cover: int | Decimal, term: int) -> dict[str, Any]:
        """Every option's annual and monthly premium, as a plain JSON-safe dict."""
        if not isinstance(smoker, bool):
            # A truthy "no" would silently price a non-smoker as a smoker.
            raise TypeError(f"smoker must be a bool, got {type(smoker).__name__}")
        for name, value in (("age", age), ("term", term)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        amount = _amount(cover)
        codes = self.problems(age=age, cover=amount, term=term)
        if codes:
            raise QuoteError(codes)
        age_band = next(band for band in self._age_bands if age in band)
        term_index = next(i for i, band in enumerate(self._term_bands) if term in band)
        rate = age_band.rates[smoker, term_index]
        return {
            "tariff": self._name,
            "illustrative": self._illustrative,
            "currency": self.currency,
            "age": age,
            "smoker": smoker,
            "cover": str(_cents(amount)),
            "term": term,
            "options": [self._price(option, amount, rate) for option in self._options],
        }

    def _price(self, option: _Option, cover: Decimal, rate: Decimal) -> dict[str, Any]:
        # Every factor is non-negative and every step non-decreasing, so a higher rate,
        # cover or factor can never produce a lower premium.
        with localcontext(_ARITHMETIC):
            risk = cover / _THOUSAND * rate * option.factor
            annual = _cents(max(risk + self._fee, self._minimum))
            # From the rounded annual, so the customer can check it against what they see.
            monthly = _cents(annual * self.monthly_loading / _MONTHS)
        return {
            "id": option.id,
            "name": option.name,
            "guarantees": list(option.guarantees),
            "cover": str(_cents(cover)),
            "annual": str(annual),
            "monthly": str(monthly),
        }


def _get(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    return datafile.field(mapping, key, kind, where, TariffError)


def _decimal(mapping: Any, key: str, where: str) -> Decimal:
    # Strings keep rates exact; a JSON float would already be binary-rounded.
    raw = _get(mapping, key, (str, int), where)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise TariffError(f"{where}.{key}: not a number: {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise TariffError(f"{where}.{key}: must be a finite, non-negative number: {raw!r}")
    return value


def _money(mapping: Any, key: str, where: str) -> Decimal:
    value = _decimal(mapping, key, where)
    if value != _cents(value):
        raise TariffError(f"{where}.{key}: must be in whole cents: {value}")
    return value


def _limits(raw: dict[str, Any]) -> Limits:
    limits = Limits(**{f.name: _get(raw, f.name, int, "limits") for f in fields(Limits)})
    for low, high in (("min_age", "max_age"), ("min_cover", "max_cover"), ("min_term", "max_term")):
        if not 0 < getattr(limits, low) <= getattr(limits, high):
            raise TariffError(f"limits: need 0 < {low} <= {high}")
    if limits.min_age + limits.min_term > limits.max_age_at_end:
        raise TariffError("limits: max_age_at_end leaves no insurable age and term")
    return limits


def _contiguous(raw: Any, key: str, low: int, high: int) -> list[tuple[dict[str, Any], int, int]]:
    """The bands under `key`, checked to run without gaps or overlaps from `low` to `high`."""
    bands = _get(raw, key, list, "tariff")
    if not bands:
        raise TariffError(f"{key}: no bands")
    parsed: list[tuple[dict[str, Any], int, int]] = []
    for i, band in enumerate(bands):
        where = f"{key}[{i}]"
        start, end = _get(band, "from", int, where), _get(band, "to", int, where)
        if start > end:
            raise TariffError(f"{where}: 'from' {start} is after 'to' {end}")
        if parsed and start != parsed[-1][2] + 1:
            raise TariffError(f"{where}: starts at {start}, expected {parsed[-1][2] + 1}")
        parsed.append((band, start, end))
    if parsed[0][1] > low or parsed[-1][2] < high:
        raise TariffError(f"{key}: bands cover {parsed[0][1]}-{parsed[-1][2]}, need {low}-{high}")
    return parsed


def _term_bands(raw: dict[str, Any], limits: Limits) -> tuple[list[str], list[range]]:
    parsed = _contiguous(raw, "term_bands", limits.min_term, limits.max_term)
    ids = [_get(band, "id", str, f"term_bands[{i}]") for i, (band, _, _) in enumerate(parsed)]
    if len(set(ids)) != len(ids):
        raise TariffError(f"term_bands: duplicate ids in {ids}")
    return ids, [range(start, end + 1) for _, start, end in parsed]


def _age_bands(raw: dict[str, Any], limits: Limits, term_ids: list[str]) -> list[_Band]:
    bands = []
    for band, start, end in _contiguous(raw, "age_bands", limits.min_age, limits.max_age):
        where = f"age band {start}-{end}"
        table = _get(band, "rates", dict, where)
        rates = {}
        for smoker, key in ((False, "non_smoker"), (True, "smoker")):
            row = _get(table, key, dict, where)
            if set(row) != set(term_ids):
                raise TariffError(f"{where}.{key}: term bands {sorted(row)}, expected {term_ids}")
            for index, term_id in enumerate(term_ids):
                rates[smoker, index] = _decimal(row, term_id, f"{where}.{key}")
        bands.append(_Band(start, end, rates))
    _check_rates(bands, term_ids)
    return bands


def _check_rates(bands: list[_Band], term_ids: list[str]) -> None:
    """Older, smoker and longer term must never be cheaper: each holds cell by cell."""
    for band in bands:
        where = f"age band {band.low}-{band.high}"
        for index, term_id in enumerate(term_ids):
            if band.rates[True, index] < band.rates[False, index]:
                raise TariffError(f"{where}, term {term_id}: smoker rate below non-smoker rate")
            for smoker in (False, True):
                if index and band.rates[smoker, index] < band.rates[smoker, index - 1]:
                    raise TariffError(f"{where}: rate for term {term_id} below the shorter term's")
    for younger, older in pairwise(bands):
        for (smoker, index), rate in older.rates.items():
            if rate < younger.rates[smoker, index]:
                raise TariffError(
                    f"age band {older.low}-{older.high}, term {term_ids[index]}, "
                    f"{'smoker' if smoker else 'non_smoker'}: rate {rate} below the "
                    f"younger band's {younger.rates[smoker, index]}"
                )


def _options(raw: dict[str, Any]) -> list[_Option]:
    options: list[_Option] = []
    for i, option in enumerate(_get(raw, "options", list, "tariff")):
        where = f"options[{i}]"
        guarantees = _get(option, "guarantees", list, where)
        if not guarantees or not all(isinstance(g, str) for g in guarantees):
            raise TariffError(f"{where}.guarantees: need a non-empty list of text")
        factor = _decimal(option, "factor", where)
        if not factor:
            raise TariffError(f"{where}.factor: must be above zero")
        if options and factor < options[-1].factor:
            raise TariffError(f"{where}.factor: {factor} below the previous option's")
        ident, name = _get(option, "id", str, where), _get(option, "name", str, where)
        options.append(_Option(ident, name, tuple(guarantees), factor))
    if not options:
        raise TariffError("options: none defined")
    if len({option.id for option in options}) != len(options):
        raise TariffError("options: duplicate ids")
    return options


def _check_loading(loading: Decimal, *, smallest: Decimal) -> None:
    # Paying monthly must never cost less over a year than paying once: the surcharge on
    # the smallest possible annual premium has to outweigh the worst rounding of twelve
    # monthly payments.
    if smallest * (loading - 1) < _WORST_YEARLY_ROUNDING:
        raise TariffError(
            f"monthly_loading {loading} on the smallest annual premium ({smallest}) does not "
            f"cover the {_WORST_YEARLY_ROUNDING} EUR that rounding twelve payments can lose"
        )
