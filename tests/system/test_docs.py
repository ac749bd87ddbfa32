"""The documentation shows the real graph and every setting the service reads."""

import json

import yaml
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from agent.diagram import mermaid
from testkit import ROOT
from webhooks.settings import Settings


def test_the_committed_graph_diagram_is_the_real_graph():
    fresh = (ROOT / "docs" / "graph.mmd").read_text(encoding="utf-8") == mermaid()
    assert fresh, "run: .venv/bin/python -m agent.diagram"


def test_every_setting_is_documented_in_the_readme_and_env_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in readme, name
        assert f"{name.upper()}=" in example, name


def test_the_compose_file_parses_and_names_the_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"redis", "db", "web", "worker", "evolution", "evolution-db"}
    # The SQL archive is PostgreSQL's, for the web app (exports, erasures) and the worker.
    for name in ("web", "worker"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert services[name]["depends_on"]["db"] == {"condition": "service_healthy"}
    # Evolution API starts only when asked for (docker compose --profile evolution up).
    assert (
        services["evolution"]["profiles"] == services["evolution-db"]["profiles"] == ["evolution"]
    )
    assert services["evolution"]["environment"]["TELEMETRY_ENABLED"] == "false"
    assert "--appendonly" in compose["services"]["redis"]["command"]
    assert compose["services"]["worker"]["command"] == ["iagente", "worker"]


def test_langgraph_json_points_at_a_graph_studio_can_run():
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    path, name = config["graphs"]["funnel"].split(":")
    assert (ROOT / path).exists() and name == "graph"
    from agent.studio import graph  # Studio compiles it and passes no context

    app = graph.compile(checkpointer=InMemorySaver())
    state = app.invoke({"messages": [HumanMessage("Hola")]}, {"configurable": {"thread_id": "s"}})
    assert state["stage"] == "INICIO" and "consentimiento" in state["reply"]
