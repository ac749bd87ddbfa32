"""Logs: one JSON line per event, and no phone, customer text or secret at INFO and above."""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import structlog

from integrations.chatwoot import ChatwootClient
from testkit.fake_chatwoot import FakeChatwoot
from testkit.openai_server import FakeOpenAI
from testkit.stack import (
    META_TOKEN,
    SECRET,
    TOKEN,
    TWILIO_SID,
    post_meta,
    post_twilio,
    running,
)
from webhooks import logs

API_KEY = "sk-test-Zq8pL2vX9kR4mN7bT1cY"
META_PHONE, SMS_PHONE = "+34600100900", "+34600100901"
SCRIPT = [
    # Free-form, so the llm brain asks the model to read it (the rules read the rest).
    "Hola buenas, os escribo porque un amigo me habló de vosotros y quería saber cómo va esto",
    "sí, acepto",
    "Me llamo Ana Pérez Gil, tengo 35 años y no fumo",
    "quiero 150.000 euros",
    "durante 20 años",
    "para mi familia y mis dos hijas",
    "sí, correcto",
]
SMS_TEXT = "Buenas tardes, información por favor"


def phone_forms(phone: str) -> list[str]:
    """Every way a number is written somewhere: E.164, digits only, national, Twilio's."""
    digits = phone.lstrip("+")
    return [phone, digits, digits[2:], f"whatsapp:{phone}", "0034" + digits[2:]]


@pytest.fixture
def captured() -> Iterator[SimpleNamespace]:
    """The root logger at DEBUG, written by the real formatters: JSON at INFO, console at DEBUG."""
    info, debug = io.StringIO(), io.StringIO()
    json_handler = logs.handler(info, json_lines=True)
    json_handler.setLevel(logging.INFO)
    console_handler = logs.handler(debug, json_lines=False)
    console_handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(json_handler)
    root.addHandler(console_handler)
    try:
        yield SimpleNamespace(info=info, debug=debug)
    finally:
        root.removeHandler(json_handler)
        root.removeHandler(console_handler)
        root.setLevel(level)


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_conversation_logs_no_phone_text_or_secret_at_info(redis_url, redis_client, captured):
    def refuse(body: dict) -> tuple[int, dict]:
        # Servers quote the key they were given, and sometimes the request, in their errors.
        said = body["messages"][-1]["content"]
        message = f"Incorrect API key provided: {API_KEY}. Bearer {API_KEY}. Request: {said}"
        return 401, {"error": {"message": message, "type": "invalid_request_error"}}

    with (
        FakeOpenAI() as model,
        running(
            redis_url, agent_brain="llm", openai_api_key=API_KEY, openai_base_url=model.base_url
        ) as stack,
    ):
        model.fail_with = refuse
        stack.start_workers()
        for n, text in enumerate(SCRIPT, start=1):
            assert post_meta(stack, META_PHONE, text, f"wamid.log{n}").status_code == 200
            stack.providers.wait_for(n)
        # Twilio refuses the number, quoting it: the send fails.
        stack.providers.fail_next.append(
            (400, {"code": 21211, "message": f"The 'To' number {SMS_PHONE} is not valid."})
        )
        answer = post_twilio(stack, SMS_PHONE, SMS_TEXT, "SM" + "7" * 32)
        assert answer.status_code == 200
        wait_until(lambda: stack.service.store.transcript(SMS_PHONE))
        # Something outside our code logs a request with its credentials.
        requests_log = logging.getLogger("urllib3.connectionpool")
        requests_log.warning("retrying with headers {'Authorization': 'Bearer %s'}", META_TOKEN)
        assert stack.service.state(META_PHONE)["stage"] == "PRESENTACION_PROPUESTA"
    assert model.requests, "the llm brain called the model"
    assert stack.service.store.transcript(SMS_PHONE)[-1]["status"] == "failed"

    info, debug = captured.info.getvalue(), captured.debug.getvalue()
    lines = [json.loads(line) for line in info.splitlines()]
    assert lines and all({"timestamp", "level", "logger", "event"} <= set(line) for line in lines)

    twilio_basic = base64.b64encode(f"{TWILIO_SID}:{TOKEN}".encode()).decode()
    for secret in (API_KEY, "Zq8pL2vX9kR4mN7bT1cY", META_TOKEN, SECRET, TOKEN, twilio_basic):
        assert secret not in info and secret not in debug
    for phone in (META_PHONE, SMS_PHONE):
        for form in phone_forms(phone):
            assert form not in info
    for text in [*SCRIPT, SMS_TEXT, "Ana Pérez", "dos hijas"]:
        assert text not in info

    # What an operator gets at INFO: one line per webhook and per turn, masked.
    webhooks = [line for line in lines if line["event"] == "webhook"]
    assert len(webhooks) == len(SCRIPT) + 1
    assert {w["outcome"] for w in webhooks} == {"accepted"} and webhooks[0][
        "phone"
    ] == "+346******00"
    assert all(w["status"] == 200 and w["request_id"] and w["ms"] >= 0 for w in webhooks)
    turns = [line for line in lines if line["event"] == "turn"]
    assert len(turns) == len(SCRIPT) + 1 and all(t["brain"] == "llm" for t in turns)
    assert (turns[1]["stage_from"], turns[1]["stage_to"]) == ("INICIO", "NEEDS_ANALYSIS")
    assert {"turn_id", "phone", "ms", "replied"} <= set(turns[0])
    failed = [line for line in lines if line["event"].startswith("llm read failed")]
    assert failed and all(line["turn_id"] for line in failed)

    # DEBUG has the conversation itself (phones still masked) and the model's error, redacted.
    assert all(text in debug for text in SCRIPT) and SMS_TEXT in debug
    assert "Incorrect API key provided: [REDACTED]" in debug
    assert "Bearer [REDACTED]" in debug
    for phone in (META_PHONE, SMS_PHONE):
        assert phone not in debug


def test_a_logged_exception_is_redacted_in_every_format(captured):
    logs.protect(["hunter2-not-a-real-secret"])
    log = logging.getLogger("tests.redaction")
    try:
        raise RuntimeError(
            "401 for https://api.example/v1 headers={'Authorization': 'Bearer abc.DEF-123'} "
            "key=sk-live-0123456789abcdef secret=hunter2-not-a-real-secret to=whatsapp:+34600111222"
        )
    except RuntimeError:
        log.exception("call failed for %s", "+34600111222")
    for output in (captured.info.getvalue(), captured.debug.getvalue()):
        assert "call failed for +346******22" in output
        assert "Bearer [REDACTED]" in output and "sk-[REDACTED]" in output
        for leak in ("abc.DEF-123", "0123456789abcdef", "hunter2", "600111222"):
            assert leak not in output
    (line,) = captured.info.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "error" and record["logger"] == "tests.redaction"
    assert record["exception"].startswith("Traceback") and "RuntimeError" in record["exception"]


def test_fields_and_ids_survive_while_phone_like_numbers_are_masked(captured):
    log = logging.getLogger("tests.fields")
    with logs.bound(request_id="req-1"):
        log.info(
            "webhook",
            extra={"entry": "1795427129020-0", "sid": "SM" + "1" * 32, "ms": 12.5, "n": 150000},
        )
    record = json.loads(captured.info.getvalue())
    assert record["request_id"] == "req-1" and record["ms"] == 12.5 and record["n"] == 150000
    assert record["entry"] == "1795427129020-0" and record["sid"] == "SM" + "1" * 32
    console = captured.debug.getvalue()
    assert "webhook" in console and "request_id=req-1" in console and "ms=12.5" in console
    assert "\x1b[" not in console  # colours only on a terminal


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Logging as the service sets it up at LOG_LEVEL=DEBUG.

    `logs.configure` on a bare root logger, its handler on stderr (here a buffer), pytest's own
    handlers set aside meanwhile.
    """
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    for each in handlers:
        root.removeHandler(each)
    logs.configure("DEBUG")
    (installed,) = root.handlers
    try:
        yield stderr
    finally:
        root.removeHandler(installed)
        for each in handlers:
            root.addHandler(each)
        root.setLevel(level)


def test_third_party_debug_lines_carry_no_full_phone(configured: io.StringIO) -> None:
    phone = "+34611000007"
    with FakeChatwoot(token="cw-token-logs", account_id=3) as chatwoot:
        client = ChatwootClient(chatwoot.url, 3, "cw-token-logs", 7)
        assert client.search_contact(phone) is None
        contact = client.create_contact(phone=phone, name="Ana", identifier=phone)
        client.create_contact_inbox(contact["id"], phone.lstrip("+"))
        found = client.search_contact(phone)
        assert found is not None
        assert found["id"] == contact["id"]
        assert chatwoot.violations == []
    output = configured.getvalue()
    searches = [json.loads(line) for line in output.splitlines() if "contacts/search" in line]
    assert len(searches) == 2
    for line in searches:
        assert line["logger"] == "urllib3.connectionpool" and line["level"] == "debug"
        assert "/contacts/search?q=%2B346******07 " in line["event"]
    for form in [*phone_forms(phone), "%2B" + phone[1:], phone[3:]]:
        assert form not in output, form


@pytest.mark.parametrize(
    ("logged", "masked"),
    [
        ("GET /contacts/search?q=%2B34611000007 HTTP/1.1", "q=%2B346******07 "),
        ("To=whatsapp%3A%2B34611000007&Body=Hola", "whatsapp%3A%2B346******07&"),
        ("q=34611000007", "q=346******07"),
        ("to +34611000007.", "to +346******07."),
    ],
)
def test_phones_are_masked_however_a_library_writes_them(logged: str, masked: str) -> None:
    assert masked in logs.redact(logged) and "611000007" not in logs.redact(logged)


@pytest.mark.parametrize(
    ("logged", "redacted"),
    [
        # ASCII lines take the cheap tests (str and bytes methods) before the patterns.
        ("Authorization: BEARER abc.def-123 ok", "Authorization: BEARER [REDACTED] ok"),
        ("key sk-abcdef123456 to 34600111222", "key sk-[REDACTED] to 346******22"),
        ("ids 1700000000000-0 and v23.0, ms 12.5", "ids 1700000000000-0 and v23.0, ms 12.5"),
        ("sent to 346001112229999999", "sent to 346001112229999999"),  # 18 digits: no phone
        (
            '{"event": "webhook", "request_id": "5f3a9c0b"}',
            '{"event": "webhook", "request_id": "5f3a9c0b"}',
        ),
        # Other text takes the regular expressions, whose Unicode rules the cheap tests lack.
        ("Baſic QWxhZGRpbjpvcGVuIHNlc2FtZQ== sent", "Baſic [REDACTED] sent"),
        ("llamar al ٣٤٦٠٠١١١٢٢٢ ya", "llamar al ٣٤٦******٢٢ ya"),
        ("ñandú +34600111222 Bearer xyz", "ñandú +346******22 Bearer [REDACTED]"),
    ],
)
def test_redaction_is_the_same_for_ascii_and_other_text(logged: str, redacted: str) -> None:
    assert logs.redact(logged) == redacted


@pytest.mark.parametrize("json_lines", [True, False])
def test_a_line_without_a_trace_is_what_structlogs_formatter_writes(json_lines: bool) -> None:
    formatter = logs.formatter(json_lines=json_lines)
    log = logging.getLogger("tests.plain")
    extra = {"provider": "meta", "status": 200, "ms": 1.5, "phone": "+346******11"}
    record = log.makeRecord(
        log.name, logging.WARNING, __file__, 1, "got %s", ("it",), None, None, extra
    )
    with logs.bound(request_id="req-2"):
        ours = formatter.format(record)
        theirs = logs.redact(structlog.stdlib.ProcessorFormatter.format(formatter, record))
    if json_lines:
        ours_fields, theirs_fields = json.loads(ours), json.loads(theirs)
        for fields in (ours_fields, theirs_fields):  # the time each was written
            assert fields.pop("timestamp").endswith("Z")
        assert list(ours_fields.items()) == list(theirs_fields.items())
        assert ours_fields["event"] == "got it" and ours_fields["level"] == "warning"
        assert ours_fields["request_id"] == "req-2" and ours_fields["status"] == 200
    else:  # the console line starts with its time
        assert ours.split(" ", 1)[1] == theirs.split(" ", 1)[1] and "request_id=req-2" in ours
    assert record.args == ("it",)  # the record is left as it came, for the next handler
