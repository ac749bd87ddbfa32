"""JSON bodies from clients, read strictly: UTF-8, standard JSON, finite numbers, shallow."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

# Provider payloads nest about a dozen levels; an attacker's may nest thousands, which would
# exhaust the recursion of the parser or of anything walking the result.
MAX_DEPTH = 64


class ClientJSONError(ValueError):
    """A body we refuse to read as JSON (HTTP 400)."""


def _finite(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ClientJSONError("number out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ClientJSONError(f"{name} is not JSON")


def loads(body: bytes | str) -> Any:
    """The parsed body. Raises ClientJSONError for anything but plain, finite, shallow JSON."""
    try:
        value = json.loads(body, parse_float=_finite, parse_constant=_no_constant)
    except ClientJSONError:
        raise
    except RecursionError:
        raise ClientJSONError("JSON nested too deeply") from None
    except ValueError as exc:  # bad UTF-8, bad syntax, integers of more than 4,300 digits
        raise ClientJSONError(f"not JSON: {type(exc).__name__}") from None
    if _may_nest_deeper(body, MAX_DEPTH) and _depth_exceeds(value, MAX_DEPTH):
        raise ClientJSONError("JSON nested too deeply")
    return value


def _may_nest_deeper(body: bytes | str, limit: int) -> bool:
    """Whether `body` has more than `limit` opening brackets, so that it could nest deeper.

    Every object or array opens with one, so fewer can't nest deeper: a webhook's few dozen
    skip the walk, which cost half of reading it.
    """
    if isinstance(body, str):
        return body.count("{") + body.count("[") > limit
    return body.count(b"{") + body.count(b"[") > limit


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit`, found without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
