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
# What a router answers when the turn's work is done: `stages.respond` phrases the reply.
RESPOND = "respond"
# Where every turn starts: the customer's message is read first.
ENTRY = stages.understand.__name__


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
    ):
        router = routers.get(node)
        graph.add_node(node.__name__, _step(node, router), destinations=_ends(router))
    graph.add_edge(START, ENTRY)
    return graph


def _step(node: Node, router: Router | None) -> Callable[..., Command[Any]]:
    """`node`, then where its router sends the turn; a finished turn's reply is phrased here.

    Routing inside the node's step spares the copy of every channel LangGraph makes to show a
    conditional edge the node's writes, and phrasing the reply here spares a step a turn
    (together about a sixth of the graph's CPU per turn; see bench/README.md, worker_bench).
    A plain merge shows the routers what an edge would: none reads `messages`, the one
    channel with a reducer, and only `respond` writes it.
    """

    def run(state: AgentState, runtime: Runtime[AgentContext]) -> Command[Any]:
        update = node(state, runtime)
        after = cast(AgentState, {**state, **update})
        goto = router(after) if router else RESPOND
        if goto != RESPOND:
            return Command(update=update, goto=goto)
        return Command(update={**update, **stages.respond(after, runtime)}, goto=END)

    run.__name__, run.__doc__ = node.__name__, node.__doc__
    return run


def _ends(router: Router | None) -> dict[str, str]:
    """Where a node may send the turn, for the diagram: the `Literal` its router returns."""
    ends = get_args(get_type_hints(router)["return"]) if router else (RESPOND,)
    return {END if end == RESPOND else end: end for end in ends}
