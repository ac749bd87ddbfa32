"""FOLLOW_UP_AFTER, QUIET_HOURS, BUSINESS_HOURS, BUSINESS_HOLIDAYS as the service reads them.

For the first two an empty value turns the feature off, where any other empty setting means
"unset, use the default": in the environment and in .env alike, the environment winning.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from webhooks.services import build_services
from webhooks.settings import Settings, SettingsError, load_settings

VARIABLES = ("FOLLOW_UP_AFTER", "QUIET_HOURS", "BUSINESS_HOURS", "BUSINESS_HOLIDAYS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_the_defaults_are_on():
    settings = Settings(_env_file=None)
    assert settings.follow_up_delays == (timedelta(hours=2), timedelta(hours=22))
    assert str(settings.quiet.span) == "21:00-09:00"
    assert settings.advisor_hours is None


def test_empty_in_the_environment_turns_them_off(monkeypatch):
    monkeypatch.setenv("FOLLOW_UP_AFTER", "")
    monkeypatch.setenv("QUIET_HOURS", "")
    monkeypatch.setenv("BUSINESS_HOURS", "")  # any other empty value: unset
    settings = Settings(_env_file=None)
    assert settings.follow_up_delays == () and settings.quiet.span is None
    assert settings.advisor_hours is None


def test_empty_in_dotenv_turns_them_off_and_the_environment_wins(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "FOLLOW_UP_AFTER=\nQUIET_HOURS=22:00-08:00\n"
        "BUSINESS_HOURS=mon-fri 09:00-19:00 Europe/Madrid\nBUSINESS_HOLIDAYS=12-25\n"
    )
    settings = Settings(_env_file=env_file)
    assert settings.follow_up_delays == () and str(settings.quiet.span) == "22:00-08:00"
    hours = settings.advisor_hours
    assert hours is not None and hours.zone.key == "Europe/Madrid"
    assert hours.yearly_holidays == {(12, 25)}
    monkeypatch.setenv("FOLLOW_UP_AFTER", "30m")
    monkeypatch.setenv("QUIET_HOURS", "")
    settings = Settings(_env_file=env_file)
    assert settings.follow_up_delays == (timedelta(minutes=30),)
    assert settings.quiet.span is None


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        (
            "follow_up_after",
            "2h,tomorrow",
            "FOLLOW_UP_AFTER: Value error, 'tomorrow' is not a delay",
        ),
        ("quiet_hours", "21:00", "QUIET_HOURS: Value error, '21:00' is not a time range"),
        ("business_hours", "weekdays 9-5", "BUSINESS_HOURS: Value error"),
        ("business_holidays", "xmas", "BUSINESS_HOLIDAYS: Value error, 'xmas' is not a date"),
    ],
)
def test_a_bad_value_is_a_settings_error_naming_the_variable(name, value, said):
    with pytest.raises(SettingsError, match=said):
        load_settings(_env_file=None, **{name: value})


def test_follow_ups_off_arm_nothing(settings):
    services = build_services(settings.model_copy(update={"follow_up_after": ""}))
    assert services.followups is not None and not services.followups.enabled
    consented = {"consent": {"given": True}, "stage": "NEEDS_ANALYSIS"}
    services.followups.after_turn("+34600000123", consented)
    assert services.followups.timers.pending() == 0
    services.redis.close()
