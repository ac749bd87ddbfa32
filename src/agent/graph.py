"""The sales funnel as a LangGraph StateGraph. Nothing is compiled at import time."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from agent import routing, stages
from agent.context import AgentContext
from agent.state import AgentState


def build_graph() -> StateGraph[AgentState, AgentContext, AgentState, AgentState]:
    """The uncompiled funnel; compile it with the checkpointer of your choice."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
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
        graph.add_node(node.__name__, node)

    graph.add_edge(START, "understand")
    graph.add_conditional_edges("understand", routing.route_after_understand)
    graph.add_conditional_edges("greet", routing.route_after_greet)
    graph.add_conditional_edges("restart", routing.route_after_restart)
    graph.add_conditional_edges("resume_bot", routing.route_after_resume)
    graph.add_conditional_edges("analyse_needs", routing.route_after_needs)
    graph.add_conditional_edges("handle_proposal", routing.route_after_proposal)
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
