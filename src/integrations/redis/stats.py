"""Activity counters for the admin statistics: small per-day and per-hour Redis structures.

Every key carries the `{stats}` hash tag, so a union over days (PFCOUNT of many keys) works on
Redis Cluster too, and every key expires: memory is bounded by the retention, not by traffic.

    {prefix}:{stats}:day:<date>            hash: in, out, started, responses, response_ms,
                                           follow_ups
    {prefix}:{stats}:rt:<date>             list: the newest RESPONSE_SAMPLES response times (ms)
    {prefix}:{stats}:stage:<date>:<STAGE>  HyperLogLog: phones that ended a turn at STAGE
    {prefix}:{stats}:leads:<date>          HyperLogLog: phones whose turn handed a lead over
    {prefix}:{stats}:users:<date>T<hour>   HyperLogLog: phones that wrote in that hour
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import redis

log = logging.getLogger(__name__)

RESPONSE_SAMPLES = 1000  # per day; the average is exact, the p90 uses these samples
USER_HOURS_KEPT = 8 * 24

# A customer turn's counters in one command (every key is in the {stats} slot).
# KEYS: day, response samples, stage reached, users of the hour[, leads]
# ARGV: inbound, outbound, started (0/1), response ms ('' for none), phone, days kept (seconds),
#       user hours kept (seconds), samples kept
_TURN = """
local day, keep, phone = KEYS[1], ARGV[6], ARGV[5]
redis.call('HINCRBY', day, 'in', ARGV[1])
if ARGV[2] ~= '0' then redis.call('HINCRBY', day, 'out', ARGV[2]) end
if ARGV[3] == '1' then redis.call('HINCRBY', day, 'started', 1) end
if ARGV[4] ~= '' then
  redis.call('HINCRBY', day, 'responses', 1)
  redis.call('HINCRBY', day, 'response_ms', ARGV[4])
  redis.call('LPUSH', KEYS[2], ARGV[4])
  redis.call('LTRIM', KEYS[2], 0, ARGV[8] - 1)
  redis.call('EXPIRE', KEYS[2], keep)
end
redis.call('EXPIRE', day, keep)
redis.call('PFADD', KEYS[3], phone)
redis.call('EXPIRE', KEYS[3], keep)
if #KEYS == 5 then
  redis.call('PFADD', KEYS[5], phone)
  redis.call('EXPIRE', KEYS[5], keep)
end
redis.call('PFADD', KEYS[4], phone)
redis.call('EXPIRE', KEYS[4], ARGV[7])
return 1
"""


@dataclass(frozen=True)
class StageCount:
    """How many phones reached one funnel stage, and what share of the stage before did."""

    stage: str
    reached: int
    conversion: float | None  # reached / reached at the previous stage


@dataclass(frozen=True)
class DayCount:
    """The messages of one UTC day."""

    day: date
    messages_in: int
    messages_out: int


@dataclass(frozen=True)
class StatsReport:
    """The admin statistics over a period: traffic, response times, users, the funnel."""

    since: datetime
    until: datetime
    conversations_started: int
    messages_in: int
    messages_out: int
    responses: int
    avg_response_ms: float | None
    p90_response_ms: float | None
    active_users_24h: int
    active_users_7d: int
    funnel: tuple[StageCount, ...]
    follow_ups_sent: int = 0  # reminders to silent customers (also counted in messages_out)
    leads: int = 0
    days: tuple[DayCount, ...] = ()


class StatsStore:
    """Writes the per-turn counters and reads them back as a StatsReport."""

    def __init__(
        self,
        client: redis.Redis,
        stages: Sequence[str],
        *,
        prefix: str = "iagente",
        retention_days: int = 400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Count the funnel `stages` in order, keeping `retention_days` of history."""
        self._redis = client
        self._stages = tuple(stages)
        self._base = f"{prefix}:{{stats}}"
        self.retention_days = retention_days
        self._clock = clock

    def now(self) -> datetime:
        """The store's clock as a UTC datetime (a test passes its own clock)."""
        return datetime.fromtimestamp(self._clock(), UTC)

    def _day(self, day: date) -> str:
        return f"{self._base}:day:{day.isoformat()}"

    def _samples(self, day: date) -> str:
        return f"{self._base}:rt:{day.isoformat()}"

    def _stage(self, day: date, stage: str) -> str:
        return f"{self._base}:stage:{day.isoformat()}:{stage}"

    def _leads(self, day: date) -> str:
        return f"{self._base}:leads:{day.isoformat()}"

    def _users(self, hour: datetime) -> str:
        return f"{self._base}:users:{hour:%Y-%m-%dT%H}"

    # --- writing: one pipeline per event, never fatal to the caller ----------------------------

    def record_turn(
        self,
        phone: str,
        *,
        inbound: int,
        outbound: int,
        started: bool,
        stage: str,
        arrived: float | None,
        lead: bool = False,
        pipe: redis.client.Pipeline | None = None,
    ) -> None:
        """Count a customer turn: `inbound` messages answered by `outbound` replies.

        `arrived` is when the first of them reached us (Unix seconds), for the response time;
        `lead` says the conversation's confirmed choice has been handed to an advisor. One
        command; with `pipe` (not a transaction) it is added there, and the caller hands its
        reply to `noted`.
        """
        now = self.now()
        keep = self.retention_days * 86400
        millis = ""
        if outbound and arrived:
            millis = str(max(0, round((now.timestamp() - arrived) * 1000)))
        keys = [
            self._day(now.date()),
            self._samples(now.date()),
            self._stage(now.date(), stage),
            self._users(now),
        ]
        if lead:
            keys.append(self._leads(now.date()))
        args = [inbound, outbound, int(started), millis, phone, keep, USER_HOURS_KEPT * 3600]
        args.append(RESPONSE_SAMPLES)
        command = ("EVAL", _TURN, len(keys), *keys, *args)
        if pipe is not None:
            pipe.execute_command(*command)
            return
        try:
            self._redis.execute_command(*command)
        except redis.RedisError as exc:
            self.noted(exc)

    @staticmethod
    def noted(reply: object) -> None:
        """The reply of a `record_turn` sent in a caller's pipeline: a failure is only logged."""
        if isinstance(reply, Exception):  # statistics must never fail a customer's turn
            log.warning("stats not recorded: %s", type(reply).__name__)

    def record_outbound(self, count: int = 1) -> None:
        """Messages sent outside a customer turn (an operator's message, a closing message)."""
        day = self._day(self.now().date())
        pipe = self._redis.pipeline(transaction=False)
        pipe.hincrby(day, "out", count)
        pipe.expire(day, self.retention_days * 86400)
        self._run(pipe)

    def record_follow_up(self) -> None:
        """A reminder went out to a silent customer (a message out, counted apart as well)."""
        day = self._day(self.now().date())
        pipe = self._redis.pipeline(transaction=False)
        pipe.hincrby(day, "out", 1)
        pipe.hincrby(day, "follow_ups", 1)
        pipe.expire(day, self.retention_days * 86400)
        self._run(pipe)

    @staticmethod
    def _run(pipe: redis.client.Pipeline) -> None:
        try:
            pipe.execute()
        except redis.RedisError as exc:  # statistics must never fail a customer's turn
            log.warning("stats not recorded: %s", type(exc).__name__)

    # --- reading ---------------------------------------------------------------------------------

    def earliest(self) -> date:
        """The first UTC day still kept."""
        return self.now().date() - timedelta(days=self.retention_days - 1)

    def report(self, since: date) -> StatsReport:
        """Totals from the start of UTC day `since` (clamped to the retention) until now."""
        now = self.now()
        since = max(since, self.earliest())
        days = [since + timedelta(days=n) for n in range((now.date() - since).days + 1)]
        pipe = self._redis.pipeline(transaction=False)
        for day in days:
            pipe.hgetall(self._day(day))
        for day in days:
            pipe.lrange(self._samples(day), 0, -1)
        answers = pipe.execute()
        totals: dict[str, int] = {}
        per_day = []
        for day, counters in zip(days, answers[: len(days)], strict=True):
            for field, value in counters.items():
                totals[field.decode()] = totals.get(field.decode(), 0) + int(value)
            per_day.append(DayCount(day, int(counters.get(b"in", 0)), int(counters.get(b"out", 0))))
        samples = sorted(int(v) for day_samples in answers[len(days) :] for v in day_samples)
        responses = totals.get("responses", 0)
        hour = now.replace(minute=0, second=0, microsecond=0)
        hours = [hour - timedelta(hours=n) for n in range(7 * 24)]
        return StatsReport(
            since=datetime.combine(since, datetime.min.time(), UTC),
            until=now,
            conversations_started=totals.get("started", 0),
            messages_in=totals.get("in", 0),
            messages_out=totals.get("out", 0),
            responses=responses,
            avg_response_ms=(
                round(totals.get("response_ms", 0) / responses, 1) if responses else None
            ),
            p90_response_ms=float(_nearest_rank(samples, 0.9)) if samples else None,
            active_users_24h=self._redis.pfcount(*map(self._users, hours[:24])),
            active_users_7d=self._redis.pfcount(*map(self._users, hours)),
            funnel=self._funnel(days),
            follow_ups_sent=totals.get("follow_ups", 0),
            leads=self._redis.pfcount(*map(self._leads, days)),
            days=tuple(per_day),
        )

    def _funnel(self, days: list[date]) -> tuple[StageCount, ...]:
        # A phone has passed every stage before the furthest one it reached (COTIZACION, say,
        # is left within the same turn): "reached S" is the union over S and every later stage.
        # One PFCOUNT per stage, not a pipeline: a Redis Cluster pipeline refuses PFCOUNT.
        reached = [
            self._redis.pfcount(*(self._stage(d, s) for s in self._stages[n:] for d in days))
            for n in range(len(self._stages))
        ]
        counts: list[StageCount] = []
        previous: int | None = None
        for stage, count in zip(self._stages, reached, strict=True):
            conversion = round(count / previous, 4) if previous else None
            counts.append(StageCount(stage, count, conversion))
            previous = count
        return tuple(counts)


def _nearest_rank(ordered: list[int], fraction: float) -> int:
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]
