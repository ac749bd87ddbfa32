"""What a run of the graph is given from outside: the brain, the quote engine and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent.brains.base import Brain
from agent.quote import QuoteEngine


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AgentContext:
    """Injected per run (LangGraph runtime context), so tests pass a fake brain or a fixed clock."""

    brain: Brain
    quotes: QuoteEngine
    clock: Callable[[], datetime] = field(default=utc_now)
