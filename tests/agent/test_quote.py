"""Tests for the tariff engine: pricing promises, worked examples, limits and tariff checks."""

from __future__ import annotations

import copy
import dataclasses
import json
from decimal import Decimal
from importlib import resources

import pytest

from agent.quote import Limits, QuoteEngine, QuoteError, TariffError, format_eur

COVERS = (10_000, 10_001, 60_000, 150_000, 1_000_000, 2_000_000)
OPTION_IDS = ["basica", "recomendada", "completa"]


def valid_pairs() -> list[tuple[int, int]]:
    return [(age, term) for age in range(18, 71) for term in range(1, min(40, 75 - age) + 1)]


def prices(quote: dict) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(o["annual"]), Decimal(o["monthly"])) for o in quote["options"]]


@pytest.fixture(scope="module")
def engine() -> QuoteEngine:
    return QuoteEngine()


@pytest.fixture
def packaged() -> dict:
    return json.loads((resources.files("agent") / "data" / "tariff.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def quotes(engine: QuoteEngine) -> dict[tuple[int, bool, int, int], list[tuple[Decimal, Decimal]]]:
    """Every valid (age, term) pair, both smoker values and several covers, priced once."""
    return {
        (age, smoker, cover, term): prices(
            engine.quote(age=age, smoker=smoker, cover=cover, term=term)
        )
        for age, term in valid_pairs()
        for smoker in (False, True)
        for cover in COVERS
    }


def assert_not_cheaper(dearer: list, cheaper: list, context: object) -> None:
    for (annual, monthly), (base_annual, base_monthly) in zip(dearer, cheaper, strict=True):
        assert annual >= base_annual, context
        assert monthly >= base_monthly, context


# Pricing promises, checked over the whole valid grid.


def test_the_grid_is_the_whole_valid_range(quotes):
    assert len(valid_pairs()) == 18 * 40 + sum(range(5, 40))
    assert all(len(options) == 3 for options in quotes.values())


def test_older_never_costs_less(quotes):
    for (age, smoker, cover, term), options in quotes.items():
        older = quotes.get((age + 1, smoker, cover, term))
        if older is not None:
            assert_not_cheaper(older, options, (age, smoker, cover, term))


def test_smoker_never_costs_less(quotes):
    for (age, smoker, cover, term), options in quotes.items():
        if not smoker:
            assert_not_cheaper(quotes[age, True, cover, term], options, (age, cover, term))


def test_longer_term_never_costs_less(quotes):
    for (age, smoker, cover, term), options in quotes.items():
        longer = quotes.get((age, smoker, cover, term + 1))
        if longer is not None:
            assert_not_cheaper(longer, options, (age, smoker, cover, term))


def test_more_cover_never_costs_less(quotes):
    for (age, smoker, cover, term), options in quotes.items():
        if cover != COVERS[-1]:
            more = quotes[age, smoker, COVERS[COVERS.index(cover) + 1], term]
            assert_not_cheaper(more, options, (age, smoker, cover, term))


def test_options_are_ordered_basic_recommended_complete(quotes):
    for key, options in quotes.items():
        for richer, poorer in zip(options[1:], options, strict=False):
            assert_not_cheaper([richer], [poorer], key)


def test_paying_monthly_never_costs_less_over_a_year(quotes):
    for key, options in quotes.items():
        for annual, monthly in options:
            assert monthly * 12 >= annual, key


def test_amounts_are_whole_cents_and_positive(quotes):
    for key, options in quotes.items():
        for annual, monthly in options:
            assert annual > 0 and monthly > 0, key
            assert annual.as_tuple().exponent == -2 == monthly.as_tuple().exponent, key


# Worked examples, by hand from the numbers in the tariff file.


def test_worked_example_35_non_smoker_150000_for_20_years(engine, packaged):
    band = next(b for b in packaged["age_bands"] if b["from"] <= 35 <= b["to"])
    assert band["rates"]["non_smoker"]["11-20"] == "0.98"
    assert packaged["policy_fee"] == "24.00"
    assert packaged["monthly_loading"] == "1.03"
    assert [o["factor"] for o in packaged["options"]] == ["1.00", "1.25", "1.55"]
    # 150 thousands x 0.98 = 147.00 of risk premium; each option scales it, then the fee:
    #   basica       147.00 x 1.00 + 24 = 171.00   monthly 171.00 x 1.03 / 12 = 14.6775   -> 14.68
    #   recomendada  147.00 x 1.25 + 24 = 207.75   monthly 207.75 x 1.03 / 12 = 17.831875 -> 17.83
    #   completa     147.00 x 1.55 + 24 = 251.85   monthly 251.85 x 1.03 / 12 = 21.617125 -> 21.62
    quote = engine.quote(age=35, smoker=False, cover=150_000, term=20)

    assert quote["cover"] == "150000.00"
    assert [(o["id"], o["cover"], o["annual"], o["monthly"]) for o in quote["options"]] == [
        ("basica", "150000.00", "171.00", "14.68"),
        ("recomendada", "150000.00", "207.75", "17.83"),
        ("completa", "150000.00", "251.85", "21.62"),
    ]


def test_minimum_annual_premium_applies_to_small_covers(engine, packaged):
    assert packaged["age_bands"][0]["rates"]["non_smoker"]["1-10"] == "0.48"
    assert packaged["minimum_annual_premium"] == "50.00"
    # 10 x 0.48 x 1.55 + 24 = 31.44 at most, under the 50.00 minimum; 50 x 1.03 / 12 = 4.2916...
    quote = engine.quote(age=18, smoker=False, cover=10_000, term=5)

    assert [(o["annual"], o["monthly"]) for o in quote["options"]] == [("50.00", "4.29")] * 3


def test_ties_round_half_up_not_to_even(engine):
    # 30.25 x 0.98 + 24 = 53.645, which half-to-even would make 53.64.
    basic = engine.quote(age=35, smoker=False, cover=30_250, term=20)["options"][0]
    # 34.284 x 0.98 x 1.25 + 24 = 65.9979 -> 66.00; 66.00 x 1.03 / 12 = 5.665 exactly.
    recommended = engine.quote(age=35, smoker=False, cover=34_284, term=20)["options"][1]

    assert basic["annual"] == "53.65"
    assert (recommended["annual"], recommended["monthly"]) == ("66.00", "5.67")


def test_quote_is_plain_json_safe_data(engine):
    quote = engine.quote(age=35, smoker=True, cover=Decimal("150000"), term=20)

    def walk(value: object) -> None:
        assert type(value) in (str, int, bool, list, dict), repr(value)
        if isinstance(value, dict):
            assert all(type(key) is str for key in value)
            value = list(value.values())
        for child in value if isinstance(value, list) else ():
            walk(child)

    walk(quote)
    assert json.loads(json.dumps(quote)) == quote
    assert quote["tariff"] == "Tarifa ilustrativa Vida Riesgo 2025"
    assert quote["currency"] == "EUR"
    assert (quote["age"], quote["smoker"], quote["term"]) == (35, True, 20)
    assert [o["id"] for o in quote["options"]] == OPTION_IDS


def test_packaged_tariff_says_it_is_illustrative(engine, packaged):
    assert packaged["illustrative"] is True
    assert "ilustrativa" in packaged["notice"] and "aseguradora" in packaged["notice"]
    assert engine.quote(age=40, smoker=False, cover=50_000, term=10)["illustrative"] is True


# Limits.


def test_limits_come_from_the_tariff(engine: QuoteEngine) -> None:
    assert engine.limits == Limits(18, 70, 10_000, 2_000_000, 1, 40, 75)
    with pytest.raises(dataclasses.FrozenInstanceError):
        engine.limits.max_age = 99  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given", "codes"),
    [
        ({}, []),
        ({"age": 18}, []),
        ({"age": 17}, ["age_below_min"]),
        ({"age": 70}, []),
        ({"age": 71}, ["age_above_max"]),
        ({"cover": 10_000}, []),
        ({"cover": 9_999}, ["cover_below_min"]),
        ({"cover": Decimal("9999.99")}, ["cover_below_min"]),
        ({"cover": 2_000_000}, []),
        ({"cover": 2_000_001}, ["cover_above_max"]),
        ({"term": 1}, []),
        ({"term": 0}, ["term_below_min"]),
        ({"term": 40}, []),
        ({"term": 41}, ["term_above_max"]),
        ({"age": 50, "term": 25}, []),
        ({"age": 50, "term": 26}, ["term_past_max_age"]),
        ({"age": 35, "term": 40}, []),
        ({"age": 36, "term": 40}, ["term_past_max_age"]),
        ({"age": 70, "term": 5}, []),
        ({"age": 70, "term": 6}, ["term_past_max_age"]),
        (
            {"age": 17, "cover": 5_000, "term": 0},
            ["age_below_min", "cover_below_min", "term_below_min"],
        ),
    ],
)
def test_problems_at_each_boundary(engine, given, codes):
    assert engine.problems(**given) == codes


@pytest.mark.parametrize(
    ("given", "codes"),
    [
        ({"age": 71, "cover": 150_000, "term": 4}, ["age_above_max"]),
        ({"age": 50, "cover": 150_000, "term": 26}, ["term_past_max_age"]),
        (
            {"age": 35, "cover": 9_999, "term": 41},
            ["cover_below_min", "term_above_max", "term_past_max_age"],
        ),
    ],
)
def test_quote_refuses_data_outside_the_limits(engine, given, codes):
    with pytest.raises(QuoteError) as caught:
        engine.quote(smoker=False, **given)

    assert caught.value.problems == codes
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "given",
    [
        {"smoker": "no"},
        {"cover": 150_000.0},
        {"age": 35.0},
        {"term": True},
    ],
)
def test_quote_refuses_values_of_the_wrong_type(engine, given):
    with pytest.raises(TypeError):
        engine.quote(**{"age": 35, "smoker": False, "cover": 150_000, "term": 20, **given})


# Tariff validation: a replacement tariff cannot silently break the promises.


def swap_bands(tariff: dict) -> None:
    bands = tariff["age_bands"]
    bands[2]["rates"], bands[3]["rates"] = bands[3]["rates"], bands[2]["rates"]


def set_rate(band: int, who: str, term: str, rate: object):
    return lambda tariff: tariff["age_bands"][band]["rates"][who].__setitem__(term, rate)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (swap_bands, "below the younger band"),
        (set_rate(0, "smoker", "1-10", "0.47"), "smoker rate below non-smoker"),
        (set_rate(0, "non_smoker", "31-40", "0.70"), "below the shorter term"),
        (set_rate(0, "non_smoker", "1-10", 0.48), "unexpected float"),
        (set_rate(0, "non_smoker", "1-10", "-0.48"), "non-negative"),
        (lambda t: t["age_bands"][0]["rates"]["smoker"].pop("21-30"), "expected"),
        (lambda t: t["options"][2].__setitem__("factor", "1.20"), "below the previous option"),
        (lambda t: t["age_bands"][1].__setitem__("from", 27), "expected 26"),
        (lambda t: t["age_bands"].pop(), "need 18-70"),
        (lambda t: t["limits"].__setitem__("max_term", 45), "need 1-45"),
        (lambda t: t["limits"].__setitem__("min_age", 80), "min_age <= max_age"),
        (lambda t: t["limits"].__setitem__("min_term", True), "unexpected bool"),
        (lambda t: t.__setitem__("monthly_loading", "1.00"), "rounding"),
        (lambda t: t.__setitem__("policy_fee", "24.001"), "whole cents"),
        (lambda t: t.pop("options"), "missing 'options'"),
    ],
)
def test_a_tariff_breaking_a_promise_is_refused(packaged, break_it, message):
    broken = copy.deepcopy(packaged)
    break_it(broken)

    with pytest.raises(TariffError, match=message):
        QuoteEngine(broken)


def test_a_valid_replacement_tariff_is_used(packaged, tmp_path):
    packaged["name"] = "Tarifa de la aseguradora"
    packaged["policy_fee"] = "30.00"
    path = tmp_path / "tariff.json"
    path.write_text(json.dumps(packaged), encoding="utf-8")

    engine = QuoteEngine.from_file(path)
    quote = engine.quote(age=35, smoker=False, cover=150_000, term=20)

    assert quote["tariff"] == "Tarifa de la aseguradora"
    assert quote["options"][0]["annual"] == "177.00"


def test_a_tariff_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "tariff.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(TariffError, match="not valid JSON"):
        QuoteEngine.from_file(path)


# Money as the customer reads it.


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("1234.56", "1.234,56 €"),
        (150_000, "150.000 €"),
        (Decimal("150000.00"), "150.000 €"),
        ("20.13", "20,13 €"),
        ("0.5", "0,50 €"),
        (999, "999 €"),
        (1_000_000, "1.000.000 €"),
        ("2.345", "2,35 €"),
        ("0.005", "0,01 €"),
        ("-12.30", "-12,30 €"),
    ],
)
def test_format_eur(amount, text):
    assert format_eur(amount) == text


@pytest.mark.parametrize(
    ("amount", "error"), [(1.5, TypeError), ("abc", ValueError), ("NaN", ValueError)]
)
def test_format_eur_refuses_what_is_not_an_exact_amount(amount, error):
    with pytest.raises(error):
        format_eur(amount)
