"""Strict JSON bodies: the nesting limit is exact, whatever the brackets inside strings say."""

from __future__ import annotations

import json

import pytest

from webhooks.inbound.client_json import MAX_DEPTH, ClientJSONError, loads


@pytest.mark.parametrize("as_text", [False, True])
def test_the_nesting_limit_is_exact(as_text):
    def body(depth: int) -> bytes | str:
        raw = "[" * depth + "]" * depth
        return raw if as_text else raw.encode()

    assert loads(body(MAX_DEPTH)) == json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(ClientJSONError, match="nested too deeply"):
        loads(body(MAX_DEPTH + 1))
    deep_object = '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    with pytest.raises(ClientJSONError, match="nested too deeply"):
        loads(deep_object if as_text else deep_object.encode())


def test_brackets_inside_strings_dont_make_a_shallow_body_too_deep():
    payload = {"text": "[{" * 500, "list": [[1], [2], {"k": "]}" * 100}]}
    assert loads(json.dumps(payload).encode()) == payload


def test_a_shallow_body_with_many_containers_is_read():
    payload = {"entry": [{"changes": [{"value": {"n": n}}]} for n in range(100)]}
    assert loads(json.dumps(payload).encode()) == payload
