"""Profile merging: what a message's reading adds to the insured person's profile, and what not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent import texts
from agent.profile import absorb, age_on, missing_field, priced_data
from agent.quote import QuoteEngine

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STAMP = NOW.isoformat(timespec="seconds")
ENGINE = QuoteEngine()


def take(reading: dict, profile: dict | None = None, **state):
    """absorb() of one reading into a state holding `profile`."""
    return absorb(reading, {"profile": profile or {}, **state}, ENGINE, NOW)


# --- missing_field / priced_data -----------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "missing"),
    [
        ({}, "name"),
        ({"name": "Ana"}, "age"),
        ({"name": "Ana", "insured": "unsure", "age": 35}, "insured"),
        ({"name": "Ana", "age": 35}, "smoker"),
        ({"name": "Ana", "age": 35, "ex_smoker": True}, "quit_when"),
        ({"name": "Ana", "age": 35, "smoker": False}, "cover"),
        ({"name": "Ana", "age": 35, "smoker": False, "cover": 1}, "term"),
        ({"name": "Ana", "age": 35, "smoker": False, "cover": 1, "term": 2}, "dependants"),
        ({"name": "Ana", "age": 35, "smoker": False, "cover": 1, "term": 2, "purpose": "x"}, None),
        ({"name": "Ana", "age": 35, "smoker": True, "cover": 1, "term": 2, "dependants": 0}, None),
    ],
)
def test_missing_field_asks_in_the_order_a_person_would(profile, missing):
    assert missing_field(profile) == missing


def test_priced_data_is_what_the_tariff_uses_and_whose_life_it_is():
    profile = {"name": "Ana", "age": 35, "smoker": False, "cover": 1, "term": 2, "purpose": "x"}
    assert priced_data(profile) == {"age": 35, "smoker": False, "cover": 1, "term": 2}
    assert (
        priced_data({**profile, "insured": "other", "insured_relation": "padre"})[
            "insured_relation"
        ]
        == "padre"
    )
    assert priced_data({"age": 35, "insured": "other"}) == {"age": 35, "insured_relation": "otro"}
    assert priced_data({"name": "Ana", "age": None}) == {}


def test_age_on_counts_birthdays_not_years():
    assert age_on(datetime(1990, 11, 23).date(), NOW.date()) == 36
    assert age_on(datetime(1990, 11, 24).date(), NOW.date()) == 35


# --- absorb: merging and stamping ----------------------------------------------------------


def test_new_data_is_merged_and_stamped_with_when_it_was_said():
    out = take({"intent": "provide_info", "age": 35, "smoker": False}, {"name": "Ana"})
    assert out.profile == {"name": "Ana", "age": 35, "smoker": False}
    assert out.accepted == {"age": 35, "smoker": False}
    assert out.declared == {
        "age": {"value": 35, "at": STAMP},
        "smoker": {"value": False, "at": STAMP},
    }
    assert out.explanations == [] and out.ineligible is None


def test_the_state_it_merges_into_is_not_changed():
    profile = {"name": "Ana", "age": 35}
    take({"age": 40}, profile)
    assert profile == {"name": "Ana", "age": 35}


def test_a_birth_date_gives_the_age_and_is_kept():
    out = take({"birth_date": "1990-11-24"})
    assert out.profile == {"age": 35, "birth_date": "1990-11-24"}
    assert out.accepted == {"age": 35}


def test_an_age_the_tariff_refuses_makes_the_customer_ineligible_and_is_not_kept():
    out = take({"age": 75}, {"name": "Ana"})
    assert out.ineligible == "age_above_max" and "age" not in out.profile
    assert out.ineligible_why == texts.PROBLEMS["age_above_max"].format(max_age=70)
    assert take({"age": 17}).ineligible == "age_below_min"


def test_a_cover_out_of_range_is_explained_and_not_kept():
    out = take({"cover": 3_000_000}, {"cover": 100_000})
    assert out.profile["cover"] == 100_000 and out.accepted == {}
    assert len(out.explanations) == 1 and "2.000.000 €" in out.explanations[0]


# --- currency ------------------------------------------------------------------------------


def test_a_cover_in_another_currency_is_never_read_as_euros():
    out = take({"cover": 150_000, "currency": "MXN", "age": 35})
    assert "cover" not in out.profile and out.profile["age"] == 35
    assert out.explanations == [texts.CURRENCY.format(currency=texts.currency_name(ENGINE))]


def test_a_cover_in_the_tariffs_currency_is_taken():
    assert take({"cover": 150_000, "currency": "EUR"}).profile == {"cover": 150_000}


# --- ex-smokers ----------------------------------------------------------------------------


def test_an_ex_smoker_is_asked_when_they_quit():
    out = take({"ex_smoker": True, "smoker": False}, {"name": "Ana"})
    assert "smoker" not in out.profile and out.profile["ex_smoker"] is True
    assert missing_field({**out.profile, "age": 35}) == "quit_when"


@pytest.mark.parametrize(
    ("months", "smoker"), [(ENGINE.ex_smoker_months - 1, True), (ENGINE.ex_smoker_months, False)]
)
def test_an_ex_smoker_counts_as_a_smoker_until_the_tariffs_months_have_passed(months, smoker):
    out = take({"quit_months": months}, {"ex_smoker": True}, expecting="quit_when")
    assert out.profile == {"smoker": smoker} and out.accepted == {"smoker": smoker}
    label = "fumador" if smoker else "no fumador"
    assert out.explanations == [texts.EX_SMOKER.format(rule=ENGINE.ex_smoker_months, label=label)]


def test_a_plain_smoking_answer_settles_an_open_ex_smoker_question():
    out = take({"smoker": True}, {"ex_smoker": True})
    assert out.profile == {"smoker": True}


# --- term_end_age: "hasta los 65", "hasta que me jubile" -----------------------------------


def test_a_term_to_an_age_is_the_years_until_then():
    out = take({"term_end_age": 65}, {"age": 35})
    assert out.profile["term"] == 30 and out.profile["term_end_age"] == 65


def test_a_term_to_an_age_waits_for_the_age():
    first = take({"term_end_age": 65})
    assert first.profile == {"term_end_age": 65} and first.accepted == {}
    second = take({"age": 40}, first.profile)
    assert second.profile == {"age": 40, "term": 25, "term_end_age": 65}
    assert second.accepted == {"age": 40, "term": 25}


def test_a_corrected_age_moves_a_term_said_as_an_end_age():
    # "hasta que tenga 60" at 33 was 27 years; "no, tengo 34" makes it 26, still ending at 60.
    first = take({"term_end_age": 60}, {"age": 33})
    second = take({"age": 34}, first.profile)
    assert second.profile["term"] == 26 and second.accepted == {"age": 34, "term": 26}


def test_a_term_to_the_writers_end_age_stays_in_years_when_a_relative_is_insured():
    first = take({"term_end_age": 60}, {"age": 33})
    second = take({"insured": "other", "insured_relation": "madre"}, first.profile)
    assert second.profile["term"] == 27 and "term_end_age" not in second.profile
    assert take({"age": 40}, second.profile).profile["term"] == 27  # not 60 - 40


def test_an_end_age_past_the_tariffs_last_age_is_explained_once():
    first = take({"term_end_age": 80}, {"age": 40})
    assert "term" not in first.profile and len(first.explanations) == 1
    assert "term_end_age" not in first.profile
    assert take({"cover": 100_000}, first.profile).explanations == []


def test_a_term_said_in_years_stays_when_the_age_changes():
    first = take({"term": 20}, take({"term_end_age": 60}, {"age": 33}).profile)
    assert first.profile["term"] == 20 and "term_end_age" not in first.profile
    assert take({"age": 34}, first.profile).profile["term"] == 20


def test_until_retirement_uses_the_retirement_age():
    assert take({"until_retirement": True}, {"age": 35}).profile["term"] == 67 - 35
    out = absorb(
        {"until_retirement": True}, {"profile": {"age": 35}}, ENGINE, NOW, retirement_age=65
    )
    assert out.profile["term"] == 30


def test_a_term_ending_past_the_tariffs_last_age_is_explained_and_not_kept():
    out = take({"term": 30}, {"age": 50})
    assert "term" not in out.profile and len(out.explanations) == 1
    assert "25" in out.explanations[0]  # 75 - 50: the longest term left


def test_a_new_age_that_makes_the_earlier_term_too_long_asks_for_the_term_again():
    out = take({"age": 60}, {"age": 35, "term": 30})
    assert out.profile["age"] == 60 and "term" not in out.profile
    assert len(out.explanations) == 1


# --- who is insured ------------------------------------------------------------------------


def test_a_hint_of_someone_elses_life_is_asked_about_before_anything_is_priced():
    out = take({"insured": "other", "insured_relation": "padre", "age": 68}, {"age": 35})
    assert out.profile["insured"] == "unsure" and out.profile["insured_relation"] == "padre"
    assert missing_field({**out.profile, "name": "Ana"}) == "insured"


def test_yes_it_is_for_someone_else_keeps_their_data_and_drops_the_customers_own():
    hinted = take({"insured": "other", "insured_relation": "padre", "age": 68}, {"age": 35})
    out = take({"intent": "affirm"}, hinted.profile, expecting="insured")
    assert out.profile["insured"] == "other" and out.profile["age"] == 68
    assert "own" not in out.profile and "hinted" not in out.profile
    assert priced_data(out.profile) == {"age": 68, "insured_relation": "padre"}


def test_no_it_is_for_me_drops_the_hinted_data_and_restores_the_customers_own():
    hinted = take({"insured": "other", "insured_relation": "padre", "age": 68}, {"age": 35})
    out = take({"intent": "deny"}, hinted.profile, expecting="insured")
    assert out.profile == {"age": 35, "insured": "self"}


def test_a_purpose_naming_a_relative_is_not_whose_life_it_is():
    profile = {"name": "Ana", "age": 35, "smoker": False, "cover": 1, "term": 2}
    out = take({"insured": "other", "insured_relation": "hija"}, profile, expecting="dependants")
    assert "insured" not in out.profile


def test_the_customer_saying_it_is_for_themselves_is_recorded():
    assert take({"insured": "self", "age": 35}).profile == {"age": 35, "insured": "self"}
