"""What every provider webhook leaves behind: its request id, one line, one delivery record."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from testkit.signed import meta_text
from testkit.stack import Stack, post_meta
from webhooks import logs


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """The JSON lines logged at INFO and above while the test runs."""
    out = io.StringIO()
    handler = logs.handler(out, json_lines=True)
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def webhook_lines(out: io.StringIO) -> list[dict]:
    return [
        line for line in map(json.loads, out.getvalue().splitlines()) if line["event"] == "webhook"
    ]


def test_a_given_request_id_comes_back_and_marks_the_line_and_the_record(stack: Stack, lines):
    answer = post_meta(stack, "+34600300157", "Hola", "wamid.rid1", **{"X-Request-Id": "lb-7:a.b"})
    assert answer.status_code == 200 and answer.headers["X-Request-Id"] == "lb-7:a.b"
    (line,) = webhook_lines(lines)
    assert line["request_id"] == "lb-7:a.b" and line["level"] == "info"
    assert (line["provider"], line["outcome"], line["status"]) == ("meta", "accepted", 200)
    assert line["phone"] == "+346******57" and line["ms"] >= 0
    # Filtered: an earlier test's delivery log may still be flushing its last records.
    (record,) = [r for r in stack.services.deliveries.latest(20) if r["phone"] == "+346******57"]
    assert {k: record[k] for k in ("provider", "outcome", "status", "phone")} == {
        "provider": "meta",
        "outcome": "accepted",
        "status": 200,
        "phone": "+346******57",
    }
    # Bound for the request only: nothing logged on this thread afterwards carries it.
    assert "request_id" not in structlog.contextvars.get_contextvars()


@pytest.mark.parametrize("given", [None, "", "two words", "x" * 65, "a/b", "niño-1", "ª1"])
def test_a_missing_or_unusable_request_id_is_replaced_by_a_fresh_one(stack: Stack, lines, given):
    headers = {} if given is None else {"X-Request-Id": given}
    answer = post_meta(stack, "+34600300101", "Hola", f"wamid.rid.{given!r}", **headers)
    assert answer.status_code == 200
    fresh = answer.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", fresh)
    assert [line["request_id"] for line in webhook_lines(lines)] == [fresh]


def test_a_refused_webhook_gets_its_id_a_warning_line_and_a_record(stack: Stack, lines):
    body = meta_text("+34600300102", "Hola", "wamid.rid.forged")
    headers = {"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-Request-Id": "refused-1"}
    answer = stack.client.post("/webhook/whatsapp", data=body, headers=headers)
    assert answer.status_code == 403 and answer.json == {"error": "signature invalid"}
    assert answer.headers["X-Request-Id"] == "refused-1"
    (line,) = webhook_lines(lines)
    assert (line["level"], line["outcome"], line["status"]) == ("warning", "forged", 403)
    assert line["phone"] is None and line["request_id"] == "refused-1"
    (record,) = [r for r in stack.services.deliveries.latest(20) if r["outcome"] == "forged"]
    assert record["status"] == 403 and record["phone"] is None
    assert "request_id" not in structlog.contextvars.get_contextvars()
