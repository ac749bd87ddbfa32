"""One customer talking to a freshly compiled funnel: rules brain, real engine, fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from agent.brains.rules import RulesBrain
from agent.context import AgentContext
from agent.graph import build_graph
from agent.quote import QuoteEngine
from agent.state import AgentState

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ENGINE = QuoteEngine()


class Chat:
    """One customer talking to a freshly compiled funnel."""

    def __init__(self, brain=None, checkpointer=None) -> None:
        self.graph = build_graph().compile(checkpointer=checkpointer or InMemorySaver())
        self.context = AgentContext(brain=brain or RulesBrain(), quotes=ENGINE, clock=lambda: NOW)
        self.config: RunnableConfig = {"configurable": {"thread_id": "+34600000001"}}

    def say(self, text: str, channel: str = "whatsapp") -> dict:
        """One customer turn through the compiled graph; the state after it."""
        turn: AgentState = {"messages": [HumanMessage(text)], "channel": channel}
        return self.graph.invoke(turn, self.config, context=self.context)
