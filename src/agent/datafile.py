"""The JSON files the agent reads (tariff, product facts, word lists): parsed, fields checked."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any


def bundled(name: str) -> Any:
    """The parsed agent/data/`name`, as shipped in the package."""
    source = resources.files("agent") / "data" / name
    return json.loads(source.read_text(encoding="utf-8"))


def read(path: str | Path, error: type[ValueError]) -> Any:
    """The parsed JSON file at `path`; `error` (the file kind's own) when it is not valid JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as problem:
        raise error(f"{path}: not valid JSON ({problem})") from problem


def field(
    mapping: Any, key: str, kind: type | tuple[type, ...], where: str, error: type[ValueError]
) -> Any:
    """`mapping[key]`, checked to be of `kind`; `error` names `where` and what is wrong."""
    if not isinstance(mapping, dict):
        raise error(f"{where} must be an object")
    if key not in mapping:
        raise error(f"{where}: missing '{key}'")
    value = mapping[key]
    # bool is an int subclass; true must not pass for a number of days or a limit of 1.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise error(f"{where}.{key}: unexpected {type(value).__name__} {value!r}")
    return value
