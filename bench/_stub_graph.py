"""`iagente worker` with its graph turn stubbed out: `webhook_bench --stub-graph none|trivial`.

Every service is built and run as `iagente worker` builds and runs it (queue, lock, typing,
reply, the turn's record, archive, follow-ups, statistics, logs); only the graph differs:

- `none`: `graph.invoke` returns a mid-sale state at once, without LangGraph, our nodes or a
  checkpoint. The worker processes' CPU per message is then everything a message costs
  outside the graph's turn; the real run's figure minus this one is the turn's.
- `trivial`: a LangGraph graph of one node that returns that state, compiled with the
  service's own checkpointer and invoked as the funnel is. Its cost over `none` is LangGraph's
  floor with a checkpoint per turn, which no funnel drawn as a LangGraph graph goes below.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph import START, StateGraph

from agent.graph import ENTRY
from agent.state import recent_messages
from webhooks.cli.main import main
from webhooks.turns import conversations

# A reply of the sale's usual length, in the stage most of a sale's turns are in.
STATE = {
    "stage": "NEEDS_ANALYSIS",
    "reply": "Gracias. ¿Qué edad tienes? Con la edad y si fumas te digo el precio al momento.",
    "turns": 3,
    "consent": {"given": True, "at": "2026-12-02T00:00:00+00:00"},
}


class StubGraph:
    """The compiled graph, but for `invoke`, which answers STATE at once."""

    def __init__(self, graph: Any) -> None:
        self._graph = graph

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)

    def invoke(self, *_: Any, **__: Any) -> dict:
        return dict(STATE)


class TrivialState(TypedDict, total=False):
    """What a turn writes (its input) and what `TurnResult.of` reads."""

    messages: Annotated[list[AnyMessage], recent_messages]
    last_message_id: str | None
    channel: str
    choice: int | None
    stage: str
    reply: str
    turns: int
    consent: dict


def trivial(graph: Any) -> Any:
    """One node, named as the funnel's first so the service's turn input finds it."""
    builder = StateGraph(TrivialState)
    builder.add_node(ENTRY, lambda state: dict(STATE))
    builder.add_edge(START, ENTRY)
    return builder.compile(checkpointer=graph.checkpointer)


def stub_the_graph(kind: str) -> None:
    """Every `ConversationService` built from now on runs on the stub `kind` names."""
    build = conversations.ConversationService.__init__

    def built(self: conversations.ConversationService, graph: Any, *args: Any, **kw: Any) -> None:
        build(self, graph, *args, **kw)
        self.graph = StubGraph(graph) if kind == "none" else trivial(graph)  # type: ignore[assignment]

    conversations.ConversationService.__init__ = built  # type: ignore[method-assign]


if __name__ == "__main__":
    stub_the_graph(os.environ.get("BENCH_STUB_GRAPH", "none"))
    sys.exit(main())
