"""Admin figures for periods longer than Redis keeps, read from the SQL archive.

Redis forgets a quiet conversation after CONVERSATION_TTL_DAYS and keeps its daily statistics
for 400 days; the archive keeps conversations until the retention job purges them. A listing
or a count that reaches further back than Redis is read from the archive instead; response
times and active users exist only in Redis, and stay as Redis counted them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from agent.state import STAGES
from webhooks.services import Services

log = logging.getLogger(__name__)


def _start(since: date) -> datetime:
    return datetime.combine(since, time.min, tzinfo=UTC)


def beyond_index(services: Services, since: date) -> bool:
    """Whether `since` is older than the conversations Redis still lists."""
    kept = services.settings.conversation_ttl_days
    return services.archive is not None and since < datetime.now(UTC).date() - timedelta(kept)


def beyond_stats(services: Services, since: date) -> bool:
    """Whether `since` is older than the daily statistics Redis keeps."""
    stats = services.conversations.stats
    if services.archive is None or stats is None:
        return False
    return since < stats.now().date() - timedelta(days=stats.retention_days - 1)


def conversations(
    services: Services,
    since: date,
    keep: Callable[[dict], bool] | None,
    offset: int,
    limit: int,
) -> tuple[list[dict], int]:
    """A page of the conversations active since `since`, newest first, and how many match.

    From the archive when Redis no longer lists that far back, else from Redis.
    """
    start = _start(since)
    if services.archive is not None and beyond_index(services, since):
        try:
            store = services.archive.store.ready()
            if keep is None:
                return store.conversations(start, offset=offset, limit=limit)
            found, _ = store.conversations(start, offset=0, limit=None)
        except SQLAlchemyError as exc:
            log.warning(
                "archive unavailable (%s): conversations as Redis keeps them", type(exc).__name__
            )
        else:
            matches = [item for item in found if keep(item)]
            return matches[offset : offset + limit], len(matches)
    from webhooks.turns import operations

    stamp = start.isoformat()

    def recent(item: dict) -> bool:
        at = item["last_message_at"]
        return (
            bool(at)
            and datetime.fromisoformat(at).isoformat() >= stamp
            and (keep is None or keep(item))
        )

    matches = list(operations.matching(services.conversations, recent))
    return matches[offset : offset + limit], len(matches)


def stats(services: Services, since: date, figures: dict[str, Any]) -> dict[str, Any]:
    """The admin statistics, their counts from the archive where Redis does not reach `since`."""
    if services.archive is None or not beyond_index(services, since):
        return figures
    try:
        counted = services.archive.store.ready().counts(_start(since), STAGES)
    except SQLAlchemyError as exc:
        log.warning("archive unavailable (%s): statistics as Redis keeps them", type(exc).__name__)
        return figures
    figures = {**figures, "active_conversations": counted["active_conversations"]}
    if not beyond_stats(services, since):
        return figures
    funnel: list[dict[str, Any]] = []
    previous: int | None = None
    for stage in STAGES:
        reached: int = counted["reached"][stage]
        conversion = round(reached / previous, 4) if previous else None
        funnel.append({"stage": stage, "reached": reached, "conversion": conversion})
        previous = reached
    return {
        **figures,
        "since": _start(since).isoformat(),
        "conversations_started": counted["conversations_started"],
        "messages_in": counted["messages_in"],
        "messages_out": counted["messages_out"],
        "funnel": funnel,
    }
