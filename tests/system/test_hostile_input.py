"""Hostile input, validly signed, at every endpoint: never a 5xx, always JSON.

The service goes on answering customers afterwards.
"""

from __future__ import annotations

import json
import time

import pytest
from redis import Redis

from testkit.console import csrf_of
from testkit.evolution import WEBHOOK_TOKEN as EVOLUTION_TOKEN
from testkit.evolution import bearer as evolution_headers
from testkit.evolution import evolution_variants
from testkit.signed import (
    chatwoot_headers,
    meta_headers,
    meta_text,
    twilio_form,
    twilio_headers,
)
from testkit.stack import BASE, SECRET, TOKEN, TWILIO_SMS, post_meta, post_twilio

ADMIN = "admin-token-for-tests"
CHATWOOT_SECRET = "chatwoot-secret-for-tests"
VERIFY = "verify-token-for-tests"
CUSTOMER = "+34600400100"  # hostile messages that get through are queued for this phone

DEEP_LIST = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
JSON_BODIES = [
    b"",
    b"{not json",
    b"{",
    DEEP_LIST,
    DEEP_OBJECT,
    b"[" * 200 + b"]" * 200,  # parses, but deeper than anything a provider sends
    b"1" * 5000,  # an integer beyond Python's 4,300-digit limit
    b"1e400",
    b"[-1e400]",
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b"[]",
    b'"string"',
    b"null",
    b"true",
    b"123",
    b"\xff\xfe{}",
    b'{"text": "\xc3\x28"}',
    json.dumps({"text": "a" * 300_000}).encode(),
    json.dumps({"x": [None] * 50_000}).encode(),
    b"{" + b" " * (2 * 1024 * 1024) + b"}",  # past MAX_BODY_BYTES
]


def _meta_variants() -> list[bytes]:
    """Well-formed webhooks with odd insides: wrong types, huge numbers, nulls, long strings."""
    base = json.loads(meta_text(CUSTOMER, "Hola", "wamid.base"))
    value = base["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]

    def variant(**changes) -> bytes:
        payload = json.loads(json.dumps(base))
        target = payload["entry"][0]["changes"][0]["value"]
        for path, new in changes.items():
            where = target
            *parents, leaf = path.split("__")
            for part in parents:
                where = where[int(part)] if isinstance(where, list) else where[part]
            where[int(leaf) if isinstance(where, list) else leaf] = new
        return json.dumps(payload).encode()

    n = iter(range(1000))
    return [
        json.dumps({**base, "entry": "x"}).encode(),
        json.dumps({**base, "entry": [None, 1, "x", []]}).encode(),
        json.dumps({**base, "entry": [{"changes": "x"}]}).encode(),
        json.dumps(
            {**base, "entry": [{"changes": [None, {"field": "messages", "value": []}]}]}
        ).encode(),
        json.dumps({**base, "object": ["whatsapp_business_account"]}).encode(),
        variant(messages="x"),
        variant(messages={"0": message}),
        variant(metadata=[]),
        variant(metadata=None),
        variant(contacts="x"),
        variant(messages__0__id=10**30),
        variant(messages__0__id=f"wamid.{next(n)}" + "x" * 100_000),
        variant(
            messages__0__id=f"wamid.t{next(n)}",
            messages__0__from="34600400500",  # the last message of its phone: no batching
            messages__0__timestamp="1e300",
        ),
        variant(
            messages__0__id=f"wamid.t{next(n)}",
            messages__0__from="34600400501",  # the last message of its phone: no batching
            messages__0__timestamp=10**300,
        ),
        variant(
            messages__0__id=f"wamid.t{next(n)}",
            messages__0__from="34600400502",  # the last message of its phone: no batching
            messages__0__timestamp=-(10**18),
        ),
        variant(
            messages__0__id=f"wamid.t{next(n)}",
            messages__0__from="34600400503",  # the last message of its phone: no batching
            messages__0__timestamp=[1],
        ),
        variant(messages__0__id=f"wamid.t{next(n)}", messages__0__from=34600400100),
        variant(messages__0__id=f"wamid.t{next(n)}", messages__0__from="3" * 400),
        variant(messages__0__id=f"wamid.t{next(n)}", messages__0__text="Hola"),
        variant(messages__0__id=f"wamid.t{next(n)}", messages__0__text__body=None),
        variant(messages__0__id=f"wamid.t{next(n)}", messages__0__text__body={"a": 1}),
        variant(messages__0__id=f"wamid.t{next(n)}", messages__0__type=None),
        variant(messages__0__id=f"wamid.t{next(n)}", messages__0__context=[1]),
        variant(
            messages__0__id=f"wamid.t{next(n)}",
            messages__0__type="location",
            messages__0__location={"latitude": "x", "longitude": 10**40},
        ),
        variant(
            messages__0__id=f"wamid.t{next(n)}",
            messages__0__type="interactive",
            messages__0__interactive={"type": "nfm_reply", "nfm_reply": {"response_json": "[["}},
        ),
        variant(
            statuses=[
                {"id": "wamid.s1", "status": "read", "timestamp": "9" * 400},
                {"id": ["x"], "status": {"a": 1}, "recipient_id": 1, "errors": "x"},
                None,
            ]
        ),
    ]


def _chatwoot_bodies() -> list[bytes]:
    message = {
        "event": "message_created",
        "id": 1,
        "content": "hola",
        "message_type": "outgoing",
        "private": False,
        "conversation": {"id": 1, "inbox_id": 1},
    }
    return [
        json.dumps({"event": ["x"]}).encode(),
        json.dumps({"event": None}).encode(),
        json.dumps({**message, "id": 10**30}).encode(),
        json.dumps({**message, "id": -(10**30)}).encode(),
        json.dumps({**message, "id": 1.5}).encode(),
        json.dumps({**message, "conversation": "x"}).encode(),
        json.dumps({**message, "conversation": {"id": 10**20, "inbox_id": "1"}}).encode(),
        json.dumps({**message, "content": ["x"]}).encode(),
        json.dumps({**message, "message_type": 10**30}).encode(),
        json.dumps({**message, "private": "no"}).encode(),
        json.dumps({**message, "content": "a" * 300_000}).encode(),
        json.dumps({"event": "conversation_updated", "meta": [], "messages": "x"}).encode(),
    ]


def _twilio_forms() -> list[dict]:
    def form(**changes) -> dict:
        base = twilio_form(CUSTOMER, "Hola", "SM" + "0" * 32, whatsapp=False, to=TWILIO_SMS)
        base.update(changes)
        return {k: v for k, v in base.items() if v is not None}

    return [
        {},
        form(From=None),
        form(From="600123456"),
        form(From="whatsapp:600123456"),
        form(From="+" + "3" * 400),
        form(From="+٣٤٦٠٠٤٠٠١٠٠"),
        form(MessageSid=None, SmsMessageSid=None),
        form(MessageSid="SM" + "1" * 100_000, SmsMessageSid=None),
        form(MessageSid="SMhuge1", NumMedia="9" * 400),
        form(MessageSid="SMhuge2", NumMedia="-1"),
        form(MessageSid="SMhuge3", NumMedia="²"),
        form(MessageSid="SMloc1", Latitude="nan", Longitude="1"),
        form(MessageSid="SMloc2", Latitude="1e400", Longitude="1"),
        form(MessageSid="SMlong", Body="a" * 100_000),
        form(MessageSid="SMstatus", MessageStatus="delivered", Body=None),
    ]


def _twilio_statuses() -> list[dict]:
    base = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered", "To": CUSTOMER}
    return [
        {},
        {**base, "MessageSid": ""},
        {**base, "ErrorCode": "²"},
        {**base, "ErrorCode": "9" * 5000},
        {**base, "To": "٣٤٦٠٠٤٠٠١٠٠"},
        {**base, "MessageStatus": "x" * 100_000},
    ]


BAD_PHONES = ["abc", "0", "+", "%00", "9" * 5000, "٣٤٦٠٠٤٠٠١٠٠", "+34600400100x", "%2B%2B34"]
BAD_QUERIES = [
    ("/webhook/conversations", "page=-1"),
    ("/webhook/conversations", "page=abc"),
    ("/webhook/conversations", "page=99999999999999999999"),
    ("/webhook/conversations", "page=1e3"),
    ("/webhook/conversations", "page=٣"),
    ("/webhook/conversations", "page=1_000"),
    ("/webhook/conversations", "per_page=0"),
    ("/webhook/conversations", "per_page=99999999999999999999"),
    ("/webhook/conversations", "stage=NOPE&channel=fax&handoff=maybe"),
    ("/webhook/conversations.csv", "stage=NOPE"),
    ("/webhook/logs", "limit=99999999999999999999"),
    ("/webhook/logs", "limit=-1"),
    ("/webhook/logs", "limit=²"),
    ("/webhook/stats", "since=garbage"),
    ("/webhook/stats", "since=0001-01-01T00:00:00%2B14:00"),
    ("/webhook/stats", "since=9999-12-31"),
    ("/webhook/stats", "since=0001-01-01"),
    ("/webhook/stats.csv", "since=99999-01-01"),
]
# Successful answers that are not JSON by contract.
CONSOLE_TYPES = {"text/html", "text/csv", "text/css", "text/javascript", "application/javascript"}
NOT_JSON = {
    "/webhook/twilio": "text/xml",
    "/webhook/twilio/status": "text/xml",
    "/webhook/whatsapp": "text/plain",  # the GET verification echoes the challenge
    "/webhook/conversations.csv": "text/csv",
    "/webhook/stats.csv": "text/csv",
    "/metrics": "text/plain",
}


@pytest.fixture
def stack_settings():
    return {
        "admin_token": ADMIN,
        "chatwoot_webhook_secret": CHATWOOT_SECRET,
        "whatsapp_verify_token": VERIFY,
        "evolution_webhook_token": EVOLUTION_TOKEN,
    }


class Calls:
    """Every answer, checked: no 5xx, JSON unless the contract says otherwise."""

    def __init__(self, client) -> None:
        self.client = client
        self.problems: list[str] = []
        self.count = 0
        self.paths: set[str] = set()

    def __call__(self, method: str, path: str, *, rule: str | None = None, **kwargs):
        answer = self.client.open(path, method=method, **kwargs)
        self.count += 1
        self.paths.add(f"{method} {rule or path.partition('?')[0]}")
        what = f"{method} {path[:80]} ({str(kwargs.get('data', ''))[:60]!r})"
        if answer.status_code >= 500:
            self.problems.append(f"{answer.status_code} for {what}")
        if path.startswith("/console"):  # pages for people: a page or the way to one, never JSON
            answer.get_data()  # a static file is streamed: read it whole, then let it go
            answer.close()
            if answer.mimetype not in CONSOLE_TYPES:
                self.problems.append(f"{answer.status_code} {answer.mimetype} for {what}")
            return answer
        expected = NOT_JSON.get(path.partition("?")[0])
        plain_ok = answer.status_code == 200 and answer.mimetype == expected
        if not plain_ok and not answer.is_json:
            self.problems.append(f"{answer.status_code} {answer.mimetype} for {what}")
        elif not plain_ok and answer.status_code >= 400 and "error" not in answer.json:
            self.problems.append(f"{answer.status_code} without an error for {what}")
        return answer


def _meta_post(call: Calls, body: bytes, **headers) -> None:
    call("POST", "/webhook/whatsapp", data=body, headers={**meta_headers(body, SECRET), **headers})


def _chatwoot_post(call: Calls, body: bytes) -> None:
    call("POST", "/webhook/chatwoot", data=body, headers=chatwoot_headers(body, CHATWOOT_SECRET))


def _twilio_post(call: Calls, path: str, form: dict, **headers) -> None:
    signed = twilio_headers(f"{BASE}{path}", form, TOKEN)
    call("POST", path, data=form, headers={**signed, **headers})


def _admin(call: Calls, method: str, path: str, rule: str | None = None, **kwargs) -> None:
    headers = {"Authorization": f"Bearer {ADMIN}", **kwargs.pop("headers", {})}
    call(method, path, rule=rule, headers=headers, **kwargs)


def _console(call: Calls) -> None:
    """The operator console: hostile paths, queries and forms, signed out and signed in."""
    pages = ["/console/", "/console/actividad", "/console/actividad.csv", "/console/conversaciones"]
    queries = ["desde=2026-13-45", "desde=" + "9" * 5000, "dias=-1", "dias=abc", "dias=1e400",
               "pagina=-1", "pagina=99999999999999999999", "etapa=NOPE&canal=fax&traspaso=x",
               "telefono=" + "٣" * 3000, "lead=%00", "next=https://evil.example/"]  # fmt: skip
    phones = [*BAD_PHONES, "+34600999999", CUSTOMER]
    detail = "/console/conversaciones/<phone>"
    actions = ("mensaje", "cerrar", "reiniciar")

    def posted(form: dict | bytes) -> dict:
        if isinstance(form, bytes):  # a raw body, as a browser would never send it
            return {"data": form, "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
        return {"data": form}

    def everything(form: dict | bytes) -> None:
        for page in pages:
            for query in ("", *queries):
                call("GET", f"{page}?{query}", rule=page)
        for phone in phones:
            call("GET", f"/console/conversaciones/{phone}", rule=detail)
            for action in actions:
                path = f"/console/conversaciones/{phone}/{action}"
                call("POST", path, rule=f"{detail}/{action}", **posted(form))
        call("POST", "/console/checks", **posted(form))
        for name in ("console.css", "../../../etc/passwd", "%00", "x" * 5000):
            call("GET", f"/console/static/{name}", rule="/console/static/<path:filename>")

    everything({})  # signed out: the sign-in page, whatever is asked
    page = call("GET", "/console/login?next=" + "x" * 5000, rule="/console/login")
    token = csrf_of(page)
    signed = call("POST", "/console/login", data={"token": ADMIN, "csrf_token": token})
    assert signed.status_code == 303, signed.status_code
    token = csrf_of(call("GET", "/console/", rule="/console/"))
    forms: list = [{}, {"csrf_token": "forged"}, {"csrf_token": token, "texto": "a" * 100_000}]
    forms.append({"csrf_token": token, "texto": "\x00\u202e", "confirmar": "si" * 5000})
    forms.append(f"csrf_token={token}&texto=%ED%A0%80%FF&confirmar=si".encode())  # bad UTF-8
    for form in forms:
        everything(form)
    for body in JSON_BODIES[:6]:
        call("POST", "/console/login", data=body, headers={"Content-Type": "application/json"})
    for form in ({}, {"token": "x" * 100_000, "csrf_token": token}, b"token=%ED%A0%80"):
        call("POST", "/console/login", **posted(form))
    call("POST", "/console/logout", data={})
    call("POST", "/console/logout", data={"csrf_token": token})


def test_hostile_input_gets_json_4xx_at_every_endpoint_and_customers_are_still_answered(stack):
    stack.start_workers()
    call = Calls(stack.client)
    # A real conversation first, so that the admin endpoints have something to act on.
    assert post_meta(stack, CUSTOMER, "Hola", "wamid.first").status_code == 200
    stack.providers.wait_for(1)

    for body in JSON_BODIES + _meta_variants():
        _meta_post(call, body)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        _meta_post(call, b"a=1&b=2", **{"Content-Type": content_type})
        _meta_post(call, meta_text(CUSTOMER, "Hola", "wamid.ct"), **{"Content-Type": content_type})
    for query in ("", "hub.mode=subscribe", f"hub.mode=subscribe&hub.verify_token={VERIFY}"):
        call("GET", f"/webhook/whatsapp?{query}")
    call("GET", f"/webhook/whatsapp?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1")
    call("GET", "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=" + "x" * 5000)

    for body in JSON_BODIES + _chatwoot_bodies():
        _chatwoot_post(call, body)

    for form in _twilio_forms():
        _twilio_post(call, "/webhook/twilio", form)
    for form in _twilio_statuses():
        _twilio_post(call, "/webhook/twilio/status", form)
    for path in ("/webhook/twilio", "/webhook/twilio/status"):
        for body in (b"", b"\xff\xfe=\xff", b"a" * (2 * 1024 * 1024), b'{"From": "+34600400100"}'):
            for content_type in ("application/x-www-form-urlencoded", "application/json"):
                call("POST", path, data=body, headers={"Content-Type": content_type})

    evolution = evolution_headers()
    for body in JSON_BODIES + evolution_variants():
        call("POST", "/webhook/evolution", data=body, headers=evolution)
    for auth in ("", "Bearer", "Bearer a.b.c", "Basic \xff", "Bearer " + "x" * 10_000):
        call("POST", "/webhook/evolution", data=b"{}", headers={"Authorization": auth})

    admin_bodies = [*JSON_BODIES, b'{"text": 123}', b'{"text": null}', b'{"text": "   "}']
    admin_bodies.append(json.dumps({"text": "a" * 10_000}).encode())
    for body in admin_bodies:
        _admin(
            call,
            "POST",
            f"/webhook/conversation/{CUSTOMER}/messages",
            "/webhook/conversation/<phone>/messages",
            data=body,
            headers={"Content-Type": "application/json"},
        )
    for phone in BAD_PHONES + ["+34600999999"]:  # the last one is valid but unknown
        for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/close")):
            rule = f"/webhook/conversation/<phone>{suffix}"
            _admin(call, method, f"/webhook/conversation/{phone}{suffix}", rule)
        _admin(
            call,
            "POST",
            f"/webhook/conversation/{phone}/messages",
            "/webhook/conversation/<phone>/messages",
            json={"text": "hola"},
        )
    for phone in BAD_PHONES + ["+34600999999"]:
        for method, action in (("GET", "export"), ("POST", "erase")):
            rule = f"/webhook/customer/<phone>/{action}"
            _admin(call, method, f"/webhook/customer/{phone}/{action}", rule)
    for body in JSON_BODIES:  # an erasure's body, for a phone nothing is held about
        _admin(
            call,
            "POST",
            "/webhook/customer/+34600999999/erase",
            "/webhook/customer/<phone>/erase",
            data=body,
            headers={"Content-Type": "application/json"},
        )
    for path, query in BAD_QUERIES:
        _admin(call, "GET", f"{path}?{query}")
    for path in ("/webhook/openapi.json", "/webhook/conversations", "/webhook/stats"):
        _admin(call, "GET", path)
        call("GET", path)  # no token
        call("GET", path, headers={"Authorization": "Bearer " + "x" * 10_000})
        call("GET", path, headers={"Authorization": "Basic \xff"})
    call("GET", "/webhook/status")
    call("GET", "/metrics")

    _console(call)

    # Wrong methods and unknown paths.
    for method, path in (
        ("PUT", "/webhook/whatsapp"),
        ("GET", "/webhook/twilio"),
        ("GET", "/webhook/chatwoot"),
        ("POST", "/webhook/status"),
        ("GET", "/webhook/nowhere"),
        ("GET", "/"),
    ):
        call(method, path)

    assert not call.problems, "\n".join(call.problems)
    # Whatever got through was answered: no poison message stays in an inbox.
    redis = Redis.from_url(stack.settings.redis_url)
    deadline = time.monotonic() + 20
    while (waiting := [k for k in redis.scan_iter("*:inbox") if redis.llen(k)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert not waiting, f"left unanswered: {len(waiting)} inboxes"
    every_route = {
        f"{method} {rule.rule}"
        for rule in stack.app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert every_route <= call.paths, f"not tried: {every_route - call.paths}"

    # The service still answers: the customer whose hostile messages got through, and others.
    sent = len(stack.providers.sent)
    queue = stack.services.queue
    assert post_meta(stack, CUSTOMER, "Hola", "wamid.after").json["accepted"] == 1
    assert post_meta(stack, "+34600400200", "Hola", "wamid.other").json["accepted"] == 1
    assert post_twilio(stack, "+34600400300", "Hola", "SM" + "9" * 32).status_code == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        queue.inbox_size(p) for p in (CUSTOMER, "+34600400200", "+34600400300")
    ):
        time.sleep(0.1)
    stack.providers.wait_for(sent + 3)
    for phone in (CUSTOMER, "+34600400200", "+34600400300"):
        assert queue.inbox_size(phone) == 0, phone
        assert stack.service.store.transcript(phone)[-1]["direction"] == "out", phone
    assert stack.providers.texts_to("+34600400300")


def test_an_unexpected_failure_is_a_json_500_that_hides_the_inside(app, client, caplog):
    def boom():
        raise RuntimeError("internal detail")

    app.add_url_rule("/boom", view_func=boom)
    answer = client.get("/boom")
    assert answer.status_code == 500 and answer.is_json
    assert answer.json == {"error": "internal error", "status": 500}
    assert "internal detail" not in answer.text
    [record] = [r for r in caplog.records if r.getMessage().startswith("unhandled error")]
    assert record.exc_info and "endpoint=boom" in record.getMessage()
