"""When the service may write first, and when advisors work: pure time logic over aware datetimes.

The settings' text forms are parsed here, so a bad value is explained in one place:

    FOLLOW_UP_AFTER    "2h,22h"             delays after the customer's last message (s, m, h)
    QUIET_HOURS        "21:00-09:00"        the customer's local night (may wrap midnight)
    BUSINESS_HOURS     "mon-fri 09:00-19:00; sat 10:00-14:00 Europe/Madrid"
    BUSINESS_HOLIDAYS  "2026-12-08, 12-25"  closed dates (MM-DD: every year), in that zone

A customer's zone comes from the number's country code (Google's libphonenumber data, via
`phonenumbers`); where a number may be in several zones, the country's most populous one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_zones

# The zone of a country whose numbers may be in several (Spanish mobiles: the peninsula or the
# Canary Islands; Mexico, the US, Brazil...): where most of its people live.
REPRESENTATIVE_ZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "GB": "Europe/London",
    "MX": "America/Mexico_City",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
}
DEFAULT_ZONE = "Europe/Madrid"  # the numbers libphonenumber can't place, unless told otherwise
UNKNOWN_ZONE = "Etc/Unknown"

DAYS = {
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: n for n, name in enumerate(("lun", "mar", "mié", "jue", "vie", "sáb", "dom"))},
    "mie": 2,
    "sab": 5,
}
_DELAY = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smh])")
_RANGE = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")
_UNITS = {"s": 1, "m": 60, "h": 3600}
LONGEST_DELAY = timedelta(days=30)


class HoursError(ValueError):
    """A time setting that can't be read; the message says what was expected."""


def parse_delays(text: str) -> tuple[timedelta, ...]:
    """FOLLOW_UP_AFTER: '2h,22h' -> the delays in order, each once; '' -> none (follow-ups off)."""
    delays = set()
    for item in (part.strip().lower() for part in text.split(",")):
        if not item:
            continue
        match = _DELAY.fullmatch(item)
        if not match:
            raise HoursError(
                f"{item!r} is not a delay: write a number and a unit s, m or h, e.g. '2h,22h'"
            )
        delay = timedelta(seconds=float(match[1]) * _UNITS[match[2]])
        if not timedelta(0) < delay <= LONGEST_DELAY:
            raise HoursError(f"{item!r}: a delay must be above 0 and at most 30 days")
        delays.add(delay)
    return tuple(sorted(delays))


@dataclass(frozen=True)
class TimeRange:
    """A local time range, start included, end excluded; it wraps midnight when start > end."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """'21:00-09:00' (24-hour clock; 24:00 is the end of the day)."""
        match = _RANGE.fullmatch(text.strip())
        if not match:
            raise HoursError(f"{text.strip()!r} is not a time range like 21:00-09:00")
        hours = (int(match[1]), int(match[3]))
        minutes = (int(match[2]), int(match[4]))
        if hours[0] > 23 or hours[1] > 24 or max(minutes) > 59 or (hours[1] == 24 and minutes[1]):
            raise HoursError(f"{text.strip()!r}: hours go from 00:00 to 24:00")
        start = time(hours[0], minutes[0])
        end = time.max if hours[1] == 24 else time(hours[1], minutes[1])
        if start == end:
            raise HoursError(f"{text.strip()!r} starts and ends at the same time")
        return cls(start, end)

    def __contains__(self, moment: time) -> bool:
        """Whether the local time `moment` is in the range."""
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        """The range as it is configured: '09:00-19:00'."""
        end = "24:00" if self.end == time.max else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """`moment` on local `day` in `zone` (24:00 as the next midnight)."""
    if moment == time.max:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return datetime.combine(day, moment, tzinfo=zone)


@dataclass(frozen=True)
class QuietHours:
    """The customer's local night, when nothing proactive goes out (None: no quiet hours)."""

    span: TimeRange | None

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """QUIET_HOURS: '21:00-09:00'; '' for none."""
        return cls(TimeRange.parse(text) if text.strip() else None)

    def next_allowed(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment` when it is outside the quiet hours in `zone`, else when they end there."""
        if self.span is None:
            return moment
        local = moment.astimezone(zone)
        if local.time() not in self.span:
            return moment
        end = _at(local.date(), self.span.end, zone)
        if end <= local:
            end = _at(local.date() + timedelta(days=1), self.span.end, zone)
        return end.astimezone(UTC)


def _days(text: str) -> frozenset[int]:
    """'mon-fri', 'sat', 'mon,wed,fri', 'fri-mon' (wrapping the week) -> weekday numbers."""
    days: set[int] = set()
    for part in text.lower().split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise HoursError(f"{part.strip()!r} is not a day or a range of days like mon-fri")
        start, stop = DAYS[first], DAYS[last or first]
        days.update((start + n) % 7 for n in range((stop - start) % 7 + 1))
    return frozenset(days)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"{name!r} is not an IANA time zone like Europe/Madrid") from None


def parse_holidays(text: str) -> tuple[frozenset[date], frozenset[tuple[int, int]]]:
    """BUSINESS_HOLIDAYS: ISO dates (2026-12-08) and every year's dates (12-25), comma-separated."""
    dates: set[date] = set()
    yearly: set[tuple[int, int]] = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", item):
                dates.add(date.fromisoformat(item))
                continue
            if re.fullmatch(r"[0-9]{2}-[0-9]{2}", item):
                month, day = map(int, item.split("-"))
                date(2024, month, day)  # a leap year: 02-29 is a real date
                yearly.add((month, day))
                continue
        except ValueError:
            pass
        raise HoursError(f"{item!r} is not a date like 2026-12-08 or (every year) 12-25")
    return frozenset(dates), frozenset(yearly)


@dataclass(frozen=True)
class BusinessHours:
    """When the advisors work: some local time ranges on some weekdays, in one zone."""

    rules: tuple[tuple[frozenset[int], TimeRange], ...]
    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()
    yearly_holidays: frozenset[tuple[int, int]] = frozenset()
    text: str = ""

    @classmethod
    def parse(cls, text: str, holidays: str = "") -> BusinessHours:
        """BUSINESS_HOURS: 'mon-fri 09:00-19:00; sat 10:00-14:00 Europe/Madrid'."""
        body, _, zone_name = text.strip().rpartition(" ")
        if not body or "/" not in zone_name and zone_name != "UTC":
            raise HoursError(
                f"{text.strip()!r}: write days, hours and a time zone, e.g. "
                "'mon-fri 09:00-19:00 Europe/Madrid' (rules separated by ';')"
            )
        rules = []
        for rule in (part.strip() for part in body.split(";")):
            days, _, hours = rule.partition(" ")
            if not hours.strip():
                raise HoursError(f"{rule!r} needs days and hours, e.g. 'mon-fri 09:00-19:00'")
            span = TimeRange.parse(hours)
            if span.start > span.end:
                raise HoursError(f"{rule!r}: business hours can't cross midnight")
            rules.append((_days(days), span))
        dates, yearly = parse_holidays(holidays)
        return cls(tuple(rules), _zone(zone_name), dates, yearly, " ".join(text.split()))

    def closed_on(self, day: date) -> bool:
        """Whether local `day` is a holiday."""
        return day in self.holidays or (day.month, day.day) in self.yearly_holidays

    def is_open(self, moment: datetime) -> bool:
        """Whether advisors work at `moment`."""
        local = moment.astimezone(self.zone)
        if self.closed_on(local.date()):
            return False
        return any(local.weekday() in days and local.time() in span for days, span in self.rules)

    def next_open(self, moment: datetime) -> datetime:
        """`moment` if advisors work then, else when they next start (in the hours' zone)."""
        local = moment.astimezone(self.zone)
        if self.is_open(moment):
            return local
        for offset in range(2 * 366):  # a year of holidays can't hide every working day
            day = local.date() + timedelta(days=offset)
            if self.closed_on(day):
                continue
            starts = sorted(
                _at(day, span.start, self.zone)
                for days, span in self.rules
                if day.weekday() in days
            )
            for start in starts:
                if start > local:
                    return start
        raise HoursError("BUSINESS_HOURS and BUSINESS_HOLIDAYS leave no working day")


def customer_zone(phone: str, fallback: ZoneInfo | None = None) -> ZoneInfo:
    """The customer's time zone from their number's country code (and area code, where known).

    A number libphonenumber places in one zone gets it; a country with several gets its most
    populous one (REPRESENTATIVE_ZONES), else the first libphonenumber names; an unknown country,
    `fallback` (default DEFAULT_ZONE).
    """
    fallback = fallback or ZoneInfo(DEFAULT_ZONE)
    try:
        number = phonenumbers.parse(phone if phone.startswith("+") else f"+{phone}")
    except phonenumbers.NumberParseException:
        return fallback
    zones = [z for z in phone_zones.time_zones_for_number(number) if z != UNKNOWN_ZONE]
    if len(zones) == 1:
        return _zone_or(zones[0], fallback)
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    zones = zones or [
        z for z in phone_zones.time_zones_for_geographical_number(number) if z != UNKNOWN_ZONE
    ]
    if region in REPRESENTATIVE_ZONES:
        return _zone_or(REPRESENTATIVE_ZONES[region], fallback)
    return _zone_or(zones[0], fallback) if zones else fallback


def _zone_or(name: str, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # libphonenumber's data newer than the zone database
        return fallback
