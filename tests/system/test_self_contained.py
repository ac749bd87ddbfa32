"""The repository alone runs its tests: no tracked file reads anything outside the checkout."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from testkit import DATA, ROOT

# Patterns and examples are assembled from pieces: this file is scanned like any other.
_OUTSIDE = re.compile(
    "|".join(
        (
            r"\.\./" + "shared",
            "shared" + r"/spec",
            r"""["']shared["']\s*/\s*["']spec""",
            r"""["']\.\.["']\s*,\s*["']shared""",
            "/" + r"work/",
        )
    )
)
_PARENTS = re.compile(r"parents\[(\d+)\]")
_PARENT_CHAIN = re.compile(r"(?:\.parent){2,}")
_SKIPPED_DIRS = {".git", ".venv", "var", "__pycache__", ".pytest_cache", ".ruff_cache", "build"}


def _tracked_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not _SKIPPED_DIRS & set(p.relative_to(ROOT).parts)
        ]
    return [name for name in listed.decode().split("\0") if name]


def escapes(relative: str, text: str) -> list[str]:
    """What in `text` (the file at `relative` under the root) points outside the repository."""
    depth = len(Path(relative).parts) - 1  # parents[depth] of this file is the root's parent
    found = [m.group(0) for m in _OUTSIDE.finditer(text)]
    found += [m.group(0) for m in _PARENTS.finditer(text) if int(m.group(1)) > depth]
    found += [
        m.group(0) for m in _PARENT_CHAIN.finditer(text) if m.group(0).count(".parent") > depth + 1
    ]
    return found


def test_no_tracked_file_reaches_outside_the_repository() -> None:
    offenders = {}
    for relative in _tracked_files():
        path = ROOT / relative
        if relative.startswith("tests/data/") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if found := escapes(relative, text):
            offenders[relative] = found
    assert not offenders, f"references outside the repository: {offenders}"


@pytest.mark.parametrize(
    ("relative", "text"),
    [
        ("tests/test_x.py", "SPEC = Path(__file__).resolve().parents[" + '2] / "x.json"'),
        ("tests/test_x.py", "SPEC = Path(__file__)" + ".parent" * 3 + " / 'x.json'"),
        ("tests/test_x.py", 'open("../' + 'shared/notes.txt")'),
        ("bench/x.py", 'ROOT / "shared" / ' + '"spec" / "twilio"'),
        ("scripts/x.sh", "cat /" + "work/somewhere/file"),
    ],
)
def test_an_escape_is_caught(relative: str, text: str) -> None:
    assert escapes(relative, text)


@pytest.mark.parametrize(
    ("relative", "text"),
    [
        ("tests/test_x.py", "ROOT = Path(__file__).resolve().parents[1]"),
        ("tests/test_x.py", "ROOT = Path(__file__).parent.parent"),
        ("src/webhooks/x.py", "ROOT = Path(__file__).resolve().parents[" + "2]"),
        ("tests/test_x.py", '"../../etc/passwd"'),
    ],
)
def test_a_path_inside_is_allowed(relative: str, text: str) -> None:
    assert not escapes(relative, text)


def test_the_third_party_data_is_in_the_repository_with_its_sources() -> None:
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    folders = {p.relative_to(DATA).parent for p in DATA.rglob("*") if p.is_file()} - {Path(".")}
    assert folders
    for folder in folders:
        assert f"## {folder.as_posix()}/" in sources, f"{folder} is not described in SOURCES.md"
