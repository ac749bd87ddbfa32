"""Prometheus metrics: every definition, and `GET /metrics` (no auth, no personal data).

Several processes serve and work (gunicorn workers, the worker process), so with
PROMETHEUS_MULTIPROC_DIR set — `iagente serve` sets it before any of them starts — each process
writes its samples to files there and /metrics, whichever process answers it, adds them all up.
Without it (tests, one process) the process's own registry is served. Queue figures are read
from Redis when scraped. Labels are bounded sets (providers, outcomes, stages, brains): never a
phone number or a message id.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import redis
from flask import Blueprint, Response, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

WEBHOOK_REQUESTS = Counter(
    "iagente_webhook_requests",
    "Provider webhook requests, by provider and outcome (accepted, duplicate, status, ignored, "
    "verified, forged, missing_signature, malformed, too_large, unconfigured, foreign_number, "
    "echo, error)",
    ["provider", "outcome"],
)
META_FOREIGN_NUMBER = Counter(
    "iagente_meta_foreign_number",
    "Meta messages and statuses ignored because they reached a phone_number_id we don't serve",
)
TURN_SECONDS = Histogram(
    "iagente_turn_duration_seconds",
    "Time to run one customer turn through the graph (model calls included), by brain",
    ["brain"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40),
)
STAGE_TRANSITIONS = Counter(
    "iagente_stage_transitions",
    "Turns that moved a conversation from one funnel stage to another",
    ["from_stage", "to_stage"],
)
LLM_CALLS = Counter(
    "iagente_llm_calls",
    "Chat model calls, by purpose: read (the rules could not read the message with confidence), "
    "phrase (a reply reworded, as LLM_REPHRASE says); per turn: divide by "
    'iagente_turn_duration_seconds_count{brain="llm"}',
    ["call"],
)
LLM_READS = Counter(
    "iagente_llm_reads",
    "Messages the llm brain read, by reader: rules (read with confidence, no model call) or model",
    ["reader"],
)
LLM_ERRORS = Counter(
    "iagente_llm_errors",
    "Chat model calls that failed (the rules brain or the draft took over), by error type",
    ["call", "error"],
)
SENDS = Counter(
    "iagente_sends",
    "Outbound messages, by outcome: accepted, template (the 24-hour window was closed), failed, "
    "retry (nothing went out; the turn is retried)",
    ["provider", "channel", "outcome"],
)

CHATWOOT_OPS = Counter(
    "iagente_chatwoot_ops",
    "Chatwoot mirror operations, by operation (incoming, outgoing, state, note, handoff) and "
    "outcome: ok, retry (kept in the outbox), refused (set aside)",
    ["op", "outcome"],
)
ARCHIVE_OPS = Counter(
    "iagente_archive_ops",
    "SQL archive writes, by operation (turn, status, audit) and outcome: ok, retry (kept in the "
    "outbox while the database is away), refused (set aside)",
    ["op", "outcome"],
)
FOLLOW_UPS = Counter(
    "iagente_follow_ups",
    "Reminders to silent customers, by outcome: sent, template (24-hour window closed), failed, "
    "deferred (quiet hours), cancelled (the customer wrote or may no longer be reminded), "
    "answered, human, not_wanted, unknown (a poller died mid-send: not sent again), busy",
    ["outcome"],
)


def turn(brain: str, seconds: float, stage_from: str, stage_to: str) -> None:
    """Count one graph turn: its duration, and the stage change when there was one."""
    TURN_SECONDS.labels(brain).observe(seconds)
    if stage_from != stage_to:
        STAGE_TRANSITIONS.labels(stage_from, stage_to).inc()


def llm_read(reader: str) -> None:
    """The llm brain's observer: one message read, by the rules or by the model."""
    LLM_READS.labels(reader).inc()


def llm_call(call: str, error: str | None) -> None:
    """The llm brain's observer: one model call, failed when `error` names what went wrong."""
    LLM_CALLS.labels(call).inc()
    if error:
        LLM_ERRORS.labels(call, error).inc()


def sent(provider: str | None, channel: str | None, outcome: str) -> None:
    """Count one outbound message by provider, channel and outcome."""
    SENDS.labels(provider or "none", channel or "none", outcome).inc()


def follow_up(outcome: str) -> None:
    """Count what came of one follow-up reminder (or of cancelling one)."""
    FOLLOW_UPS.labels(outcome).inc()


class _RedisGauges:
    """Gauges read from Redis at scrape time: `read()` gives the values `gauges` name.

    Each gauge is (metric name, help, key of the value in what `read` returns). When Redis can't
    answer, these gauges are left out of the scrape (the queue's `iagente_redis_up` says why).
    """

    def __init__(self, read: Callable[[], dict], *gauges: tuple[str, str, str]) -> None:
        self._read = read
        self._gauges = gauges

    def describe(self):
        return []

    def collect(self):
        try:
            values = self._read()
        except redis.RedisError:
            return
        for name, documentation, key in self._gauges:
            yield GaugeMetricFamily(name, documentation, value=values[key])


class _QueueCollector(_RedisGauges):
    """Queue depth and age, `iagente_redis_up` (0 when Redis can't be read), then `after`'s."""

    def __init__(self, queue, after: _RedisGauges | None = None) -> None:
        self._after = after
        super().__init__(
            queue.depth,
            ("iagente_queue_depth", "Work notifications waiting or being worked on", "depth"),
            (
                "iagente_queue_oldest_age_seconds",
                "Age of the oldest work notification (0 when the queue is empty)",
                "oldest_age_seconds",
            ),
        )

    def collect(self):
        gauges = list(super().collect())
        up = 1 if gauges else 0
        yield GaugeMetricFamily("iagente_redis_up", "Redis answered this scrape", value=up)
        yield from gauges
        if up and self._after is not None:
            yield from self._after.collect()


def _backlog(outbox, name: str, waiting: str, oldest: str) -> _RedisGauges:
    """An outbox's waiting operations and the age of the oldest, as `iagente_<name>_outbox_*`."""
    return _RedisGauges(
        outbox.backlog,
        (f"iagente_{name}_outbox_pending", waiting, "pending"),
        (f"iagente_{name}_outbox_oldest_age_seconds", oldest, "oldest_age_seconds"),
    )


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def registry(queue, outbox=None, timers=None, archive=None) -> CollectorRegistry:
    """What one scrape shows: every process's samples (or this one's) and the queue."""
    scrape = CollectorRegistry(auto_describe=False)
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        MultiProcessCollector(scrape, path=path)
    else:
        scrape.register(_ThisProcess())
    mirror = None
    if outbox is not None:
        waiting = "Chatwoot mirror operations waiting (Chatwoot slow, down or refusing us)"
        oldest = "Age of the oldest waiting Chatwoot mirror operation"
        mirror = _backlog(outbox, "chatwoot", waiting, oldest)
    scrape.register(_QueueCollector(queue, mirror))
    if timers is not None:
        pending = "Reminders scheduled for silent customers"
        scrape.register(
            _RedisGauges(
                lambda: {"pending": timers.pending()},
                ("iagente_follow_ups_pending", pending, "pending"),
            )
        )
    if archive is not None:
        waiting = "SQL archive writes waiting (the database slow or unavailable)"
        oldest = "Age of the oldest waiting SQL archive write"
        scrape.register(_backlog(archive, "archive", waiting, oldest))
    return scrape


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus' scrape: this process's (or every process's) metrics, and the queue's."""
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    from webhooks.services import services_of  # services import this module's hooks

    services = services_of()
    outbox = services.chatwoot.outbox if services.chatwoot else None
    archive = services.archive.outbox if services.archive else None
    timers = services.followups.timers if services.followups else None
    body = encode(registry(services.queue, outbox, timers, archive=archive))
    return Response(body, content_type=content_type)
