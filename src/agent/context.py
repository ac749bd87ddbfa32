"""What a run of the graph is given from outside: the brain, the quote engine, facts, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from langgraph.runtime import Runtime

from agent.brains.base import Brain
from agent.facts import ProductFacts, default_facts
from agent.quote import QuoteEngine


def utc_now() -> datetime:
    """The current time in UTC: the clock a run gets unless a test fixes one."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class AgentContext:
    """Injected per run (LangGraph runtime context), so tests pass a fake brain or a fixed clock."""

    brain: Brain
    quotes: QuoteEngine
    clock: Callable[[], datetime] = field(default=utc_now)
    facts: ProductFacts = field(default_factory=default_facts)


@lru_cache(maxsize=1)
def default_context() -> AgentContext:
    """What runs when no context is given (LangGraph Studio): the offline brain, the tariff."""
    from agent.brains.rules import RulesBrain

    return AgentContext(brain=RulesBrain(), quotes=QuoteEngine())


def context_of(runtime: Runtime[AgentContext]) -> AgentContext:
    """The run's injected context, or the default one when none was given."""
    return runtime.context if runtime.context is not None else default_context()
