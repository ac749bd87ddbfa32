"""Time logic of follow-ups and business hours: delays, quiet hours, advisors' hours, zones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent import texts
from agent.followup import due_follow_up, follow_up_text, situation
from agent.hours import (
    BusinessHours,
    HoursError,
    QuietHours,
    TimeRange,
    customer_zone,
    parse_delays,
    parse_holidays,
)

MADRID, MEXICO = ZoneInfo("Europe/Madrid"), ZoneInfo("America/Mexico_City")


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


# --- FOLLOW_UP_AFTER ---------------------------------------------------------------------------


def test_delays_are_read_in_order_each_once():
    assert parse_delays("2h,22h") == (timedelta(hours=2), timedelta(hours=22))
    assert parse_delays(" 22h , 30m,2h, 30m ") == (
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=22),
    )
    assert parse_delays("90s,1.5h") == (timedelta(seconds=90), timedelta(minutes=90))
    assert parse_delays("") == () and parse_delays(" , ") == ()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("2x", "'2x' is not a delay"),
        ("2 hours", "is not a delay"),
        ("-1h", "is not a delay"),
        ("1d", "unit s, m or h"),
        ("0s", "above 0"),
        ("721h", "at most 30 days"),
    ],
)
def test_a_bad_delay_says_what_is_expected(text, said):
    with pytest.raises(HoursError, match=said):
        parse_delays(text)


# --- QUIET_HOURS -------------------------------------------------------------------------------


def test_a_range_may_wrap_midnight():
    night = TimeRange.parse("21:00-09:00")
    assert time(21) in night and time(23, 59) in night and time(3) in night
    assert time(9) not in night and time(12) not in night and time(20, 59) not in night
    day = TimeRange.parse("9:00-19:30")
    assert time(9) in day and time(19, 29) in day and time(19, 30) not in day
    assert time(23, 59) in TimeRange.parse("18:00-24:00")


@pytest.mark.parametrize("text", ["21-09", "25:00-09:00", "21:00-09:60", "09:00-09:00", "x"])
def test_a_bad_range_is_refused(text):
    with pytest.raises(HoursError):
        TimeRange.parse(text)


def test_a_moment_in_quiet_hours_waits_for_their_end_in_that_zone():
    quiet = QuietHours.parse("21:00-09:00")
    late = at(MADRID, 2026, 12, 1, 22, 30)
    assert quiet.next_allowed(late, MADRID) == at(MADRID, 2026, 12, 2, 9, 0)
    early = at(MADRID, 2026, 12, 2, 3, 0)
    assert quiet.next_allowed(early, MADRID) == at(MADRID, 2026, 12, 2, 9, 0)
    noon = at(MADRID, 2026, 12, 2, 12, 0)
    assert quiet.next_allowed(noon, MADRID) == noon
    # The same instant is afternoon in Mexico City: nothing to wait for there.
    assert quiet.next_allowed(late, MEXICO) == late


def test_quiet_hours_across_a_daylight_saving_change():
    quiet = QuietHours.parse("21:00-09:00")
    # Spain moves to summer time at 02:00 on 29 March 2026: 09:00 that day is 07:00 UTC.
    night = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert quiet.next_allowed(night, MADRID) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_no_quiet_hours_when_empty():
    moment = at(MADRID, 2026, 12, 1, 3, 0)
    assert QuietHours.parse("").next_allowed(moment, MADRID) == moment


# --- BUSINESS_HOURS and BUSINESS_HOLIDAYS ------------------------------------------------------


def test_business_hours_say_when_advisors_next_start():
    hours = BusinessHours.parse("mon-fri 09:00-19:00 Europe/Madrid")
    tuesday_noon = at(MADRID, 2026, 12, 1, 12, 0)
    assert hours.is_open(tuesday_noon) and hours.next_open(tuesday_noon) == tuesday_noon
    assert not hours.is_open(at(MADRID, 2026, 12, 1, 19, 0))
    friday_night = at(MADRID, 2026, 12, 4, 20, 0)
    assert hours.next_open(friday_night) == at(MADRID, 2026, 12, 7, 9, 0)
    tuesday_dawn = at(MADRID, 2026, 12, 1, 7, 0)
    assert hours.next_open(tuesday_dawn) == at(MADRID, 2026, 12, 1, 9, 0)


def test_holidays_are_skipped_whether_dated_or_every_year():
    hours = BusinessHours.parse("mon-fri 09:00-19:00 Europe/Madrid", "2026-12-07, 12-08")
    saturday = at(MADRID, 2026, 12, 5, 12, 0)
    assert hours.next_open(saturday) == at(MADRID, 2026, 12, 9, 9, 0)
    assert not hours.is_open(at(MADRID, 2027, 12, 8, 12, 0))  # 12-08 every year


def test_several_rules_and_spanish_day_names():
    hours = BusinessHours.parse("lun-vie 09:00-14:00; mon-thu 16:00-19:00; sáb 10:00-13:00 UTC")
    thursday_lunch = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    assert hours.next_open(thursday_lunch) == datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    friday_lunch = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert hours.next_open(friday_lunch) == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert BusinessHours.parse("fri-mon 10:00-12:00 UTC").is_open(
        datetime(2026, 12, 6, 11, 0, tzinfo=UTC)  # a Sunday, inside fri-mon
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("mon-fri 09:00-19:00", "a time zone"),
        ("mon-fri 09:00-19:00 Mars/Olympus", "not an IANA time zone"),
        ("monday 09:00-19:00 Europe/Madrid", "not a day"),
        ("mon-fri 20:00-08:00 Europe/Madrid", "can't cross midnight"),
        ("mon-fri Europe/Madrid", "needs days and hours"),
    ],
)
def test_bad_business_hours_say_what_is_expected(text, said):
    with pytest.raises(HoursError, match=said):
        BusinessHours.parse(text)


@pytest.mark.parametrize("text", ["2026-13-01", "31-12-2026", "02-30", "navidad"])
def test_a_bad_holiday_is_refused(text):
    with pytest.raises(HoursError, match="is not a date"):
        parse_holidays(text)


# --- the customer's zone -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+34600000000", "Europe/Madrid"),  # a mobile: peninsula or Canaries, the peninsula
        ("+34928123456", "Atlantic/Canary"),  # a Las Palmas landline
        ("+525512345678", "America/Mexico_City"),
        ("+5215512345678", "America/Mexico_City"),  # the old mobile prefix: Mexico's choice
        ("+12125550100", "America/New_York"),
        ("+13105550100", "America/Los_Angeles"),  # area codes say where in the US
        ("+56912345678", "America/Santiago"),
        ("+573001234567", "America/Bogota"),
        ("34600000000", "Europe/Madrid"),  # stored without the +
    ],
)
def test_the_customers_zone_comes_from_the_number(phone, zone):
    assert customer_zone(phone).key == zone


def test_a_number_that_names_no_country_gets_the_fallback():
    assert customer_zone("+999123", ZoneInfo("Europe/Lisbon")).key == "Europe/Lisbon"
    assert customer_zone("not a phone").key == "Europe/Madrid"


# --- what the customer is told -----------------------------------------------------------------


def test_when_an_advisor_writes_is_said_from_the_customers_today():
    now = at(MADRID, 2026, 12, 5, 12, 0)  # a Saturday
    assert texts.advisor_when(at(MADRID, 2026, 12, 5, 16, 30), now) == "hoy a partir de las 16:30"
    assert texts.advisor_when(at(MADRID, 2026, 12, 6, 9, 0), now) == "mañana a partir de las 9:00"
    assert texts.advisor_when(at(MADRID, 2026, 12, 7, 1, 0), now) == "el lunes a partir de la 1:00"
    assert (
        texts.advisor_when(at(MADRID, 2026, 12, 14, 9, 0), now)
        == "el lunes 14/12 a partir de las 9:00"
    )


QUOTE = {
    "options": [
        {"id": "basica", "name": "Básica", "monthly": "9.50", "annual": "110.00"},
        {"id": "recomendada", "name": "Recomendada", "monthly": "14.20", "annual": "165.00"},
    ]
}
CONSENTED = {"consent": {"given": True}, "stage": "NEEDS_ANALYSIS"}


@pytest.mark.parametrize(
    ("state", "where"),
    [
        ({**CONSENTED, "expecting": "age"}, "data"),
        ({**CONSENTED, "expecting": "readback"}, "readback"),
        ({**CONSENTED, "expecting": "handoff_offer"}, "advisor"),
        ({**CONSENTED, "stage": "PRESENTACION_PROPUESTA", "quote": QUOTE}, "proposal"),
        (
            {
                **CONSENTED,
                "stage": "PRESENTACION_PROPUESTA",
                "quote": QUOTE,
                "expecting": "confirm_option",
                "pending_option": "recomendada",
            },
            "confirm",
        ),
        (CONSENTED, "other"),
    ],
)
def test_the_reminder_is_worded_for_where_the_customer_stopped(state, where):
    assert situation(state) == where
    text = follow_up_text(state, last=False)
    assert text and "{" not in text and not text.endswith(texts.FOLLOW_UP_LAST)


def test_the_reminder_names_the_option_and_the_question():
    state = {
        **CONSENTED,
        "stage": "PRESENTACION_PROPUESTA",
        "quote": QUOTE,
        "expecting": "confirm_option",
        "pending_option": "recomendada",
        "formal": True,
    }
    assert follow_up_text(state, last=True) == (
        "Tenía elegida la opción *Recomendada* (14,20 €/mes al mes). ¿La confirmo? "
        "Responda *sí* o *no*. No le escribiré más por ahora; su conversación queda guardada."
    ).replace("14,20 €/mes", texts.price("14.20"))
    about_father = {
        **CONSENTED,
        "expecting": "age",
        "profile": {"name": "Ana López", "insured": "other", "insured_relation": "padre"},
    }
    assert follow_up_text(about_father, last=False) == (
        "¿Seguimos con tu presupuesto, Ana? Solo me faltan unos datos. "
        "¿Qué edad tiene tu padre? (también me vale su fecha de nacimiento)"
    )


@pytest.mark.parametrize(
    "state",
    [
        {"stage": "NEEDS_ANALYSIS"},
        {"consent": {"given": False}, "stage": "INICIO"},
        {**CONSENTED, "opted_out": True},
        {**CONSENTED, "handoff": True},
        {**CONSENTED, "stage": "FINALIZADO"},
    ],
)
def test_who_is_never_reminded(state):
    assert not due_follow_up(state)
    assert due_follow_up(CONSENTED)
