"""Write docs/graph.mmd, the funnel's Mermaid diagram, from the real graph (tests keep it fresh)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from agent.graph import build_graph  # noqa: E402

TARGET = Path(__file__).resolve().parents[1] / "docs" / "graph.mmd"


def mermaid() -> str:
    return build_graph().compile().get_graph().draw_mermaid()


if __name__ == "__main__":
    TARGET.write_text(mermaid(), encoding="utf-8")
    print(f"wrote {TARGET}")
