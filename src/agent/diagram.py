"""The funnel's Mermaid diagram, drawn from the real graph: `python -m agent.diagram [file]`."""

from __future__ import annotations

import sys
from pathlib import Path

from agent.graph import build_graph

TARGET = Path("docs") / "graph.mmd"  # relative to the repository root, where it is run


def mermaid() -> str:
    """The compiled funnel as Mermaid text (what docs/graph.mmd holds)."""
    return build_graph().compile().get_graph().draw_mermaid()


def main(argv: list[str] | None = None) -> None:
    """Write the diagram to the given file, by default docs/graph.mmd."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else TARGET
    target.write_text(mermaid(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
