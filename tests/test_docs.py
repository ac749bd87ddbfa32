"""The documentation shows the real graph and every setting the service reads."""

from pathlib import Path

from scripts.draw_graph import TARGET, mermaid
from webhooks.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_graph_diagram_is_the_real_graph():
    assert TARGET.read_text(encoding="utf-8") == mermaid(), "run: .venv/bin/python scripts/draw_graph.py"


def test_every_setting_is_documented_in_the_readme_and_env_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in readme, name
        assert f"{name.upper()}=" in example, name
