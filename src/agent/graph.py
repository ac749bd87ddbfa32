"""The sales funnel as a LangGraph StateGraph. Nothing is compiled at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast, get_args, get_type_hints

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from agent import routing, stages
from agent.context import AgentContext
from agent.stages.common import Update
from agent.state import AgentState

Node = Callable[[AgentState, Runtime[AgentContext]], Update]
Router = Callable[[AgentState], str]


def build_graph() -> StateGraph[AgentState, AgentContext, AgentState, AgentState]:
    """The uncompiled funnel; compile it with the checkpointer of your choice."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
    routers: dict[Node, Router] = {
        stages.understand: routing.route_after_understand,
        stages.greet: routing.route_after_greet,
        stages.restart: routing.route_after_restart,
        stages.resume_bot: routing.route_after_resume,
        stages.analyse_needs: routing.route_after_needs,
        stages.handle_proposal: routing.route_after_proposal,
    }
    for node in (
        stages.understand,
        stages.greet,
        stages.analyse_needs,
        stages.make_quote,
        stages.handle_proposal,
        stages.close_sale,
        stages.follow_up,
        stages.hand_off,
        stages.explain_language,
        stages.resume_bot,
        stages.opt_out,
        stages.restart,
        stages.respond,
    ):
        if router := routers.get(node):
            graph.add_node(node.__name__, _routed(node, router), destinations=_ends(router))
        else:
            graph.add_node(node.__name__, node)

    graph.add_edge(START, "understand")
    for name in (
        "make_quote",
        "close_sale",
        "follow_up",
        "hand_off",
        "opt_out",
        "explain_language",
    ):
        graph.add_edge(name, "respond")
    graph.add_edge("respond", END)
    return graph


def _routed(node: Node, router: Router) -> Callable[..., Command[Any]]:
    """`node`, then `router` on the state as the node leaves it, in the node's own step.

    What a conditional edge does, without the copy of every channel LangGraph makes to show a
    router the node's writes (about a sixth of the graph's CPU per turn, bench/agent_bench.py).
    A plain merge shows the same: no router reads `messages`, the one channel with a reducer.
    """

    def run(state: AgentState, runtime: Runtime[AgentContext]) -> Command[Any]:
        update = node(state, runtime)
        return Command(update=update, goto=router(cast(AgentState, {**state, **update})))

    run.__name__, run.__doc__ = node.__name__, node.__doc__
    return run


def _ends(router: Router) -> tuple[str, ...]:
    """The nodes a router may name: the `Literal` it returns (what the diagram draws)."""
    return get_args(get_type_hints(router)["return"])
