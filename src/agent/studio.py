"""The funnel for LangGraph Studio / `langgraph dev`, which compiles `graph` with its own saver.

Studio passes no runtime context, so the nodes use the offline brain and the packaged tariff.
"""

from agent.graph import build_graph

graph = build_graph()
