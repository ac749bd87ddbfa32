"""The admin API over real Redis, the rules brain and local fake providers.

Every answer a test gets through `Admin.call` is validated against the served OpenAPI document
with openapi-core, errors included.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder

from agent import texts
from agent.state import STAGES
from integrations.messaging.gsm import to_gsm7
from integrations.redis.stats import StatsStore
from testkit.fake_providers import FakeProviders
from testkit.signed import meta_headers, meta_text, twilio_form, twilio_headers
from testkit.stack import BASE, SECRET, TOKEN, TWILIO_SMS, running
from webhooks.services import services_of
from webhooks.turns.worker import Worker

ADMIN = "admin-token-123"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
# To the proposal: the last "sí" confirms the read-back; CLOSE picks an option and confirms it.
SALE = [
    "Hola",
    "sí",
    "Soy Ana, 35 años, no fumo",
    "150.000 €",
    "20 años",
    "para mi familia",
    "sí",
]
CLOSE = ["la 2", "sí"]
# A customer's access and erasure requests: every answer is produced, on SQLite and PostgreSQL,
# by tests/system/test_archive_requests.py.
CUSTOMER_PATHS = "/webhook/customer/"


class Clock:
    """The statistics' clock: real time unless a test sets it."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self) -> float:
        return self.at if self.at is not None else time.time()


def _csv_text(body: bytes, charset: str = "utf-8", **params: str) -> str:
    """A text/csv body as text; openapi_core passes the media type's parameters as keywords."""
    return body.decode(charset)


class Admin:
    def __init__(self, app, providers: FakeProviders, redis_client) -> None:
        services = services_of(app)
        self.app, self.providers, self.redis = app, providers, redis_client
        self.client = app.test_client()
        self.service, self.queue = services.conversations, services.queue
        self.clock = Clock()
        self.service.stats = StatsStore(redis_client, STAGES, clock=self.clock)
        self.worker = Worker(self.service, self.queue, services.channels, name="test-worker")
        self.document = self.get("/webhook/openapi.json").json
        self.spec = OpenAPI.from_dict(
            self.document, config=Config(extra_media_type_deserializers={"text/csv": _csv_text})
        )
        self.seen: set[tuple[str, str, int]] = set()
        self.ids = iter(range(1, 10_000))

    # --- the admin API, every answer validated --------------------------------------------------

    def call(self, method: str, path: str, *, auth: dict | None = AUTH, **kw):
        answer = self.client.open(path, method=method, headers=auth or {}, **kw)
        # The same request again: the one the app read has its body consumed.
        sent = EnvironBuilder(path, method=method, headers=auth or {}, **kw).get_request()
        request = WerkzeugOpenAPIRequest(sent)
        self.spec.validate_response(request, WerkzeugOpenAPIResponse(answer))
        if 200 <= answer.status_code < 300 and auth == AUTH:
            self.spec.validate_request(request)
        template = next(p for p in self.document["paths"] if _matches(p, answer.request.path))
        self.seen.add((template, method.lower(), answer.status_code))
        return answer

    def get(self, path: str, **kw):
        return self.client.get(path, headers=AUTH, **kw)

    # --- customers, through the webhook and the worker ------------------------------------------

    def say(self, phone: str, text: str, *, delay: float = 0.1, sms: bool = False) -> str:
        """Post one message and let the worker answer it, `delay` seconds after it arrived."""
        self.post(phone, text, sms=sms)
        self.work(delay)
        return self.providers.texts_to(phone)[-1]

    def post(self, phone: str, text: str, *, sms: bool = False, message_id: str | None = None):
        n = next(self.ids)
        if sms:
            form = twilio_form(phone, text, f"SM{n:032d}", whatsapp=False, to=TWILIO_SMS)
            headers = twilio_headers(f"{BASE}/webhook/twilio", form, TOKEN)
            return self.client.post("/webhook/twilio", data=form, headers=headers)
        body = meta_text(phone, text, message_id or f"wamid.in{n}")
        return self.client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET))

    def work(self, delay: float = 0.1) -> None:
        """Run the worker over everything queued, the replies going out `delay` s after arrival."""
        self.queue.ensure_group()
        while entries := self.queue.read(self.worker.name, count=100, block_ms=1):
            for entry_id, fields in entries:
                if "phone" in fields and (inbox := self.queue.inbox(fields["phone"])):
                    self.clock.at = inbox[0].received_at + delay
                self.worker.handle(entry_id, fields)
        self.clock.at = None

    def stage(self, phone: str) -> str:
        return self.service.state(phone).get("stage", "")


def _matches(template: str, path: str) -> bool:
    parts, actual = template.split("/"), path.split("/")
    return len(parts) == len(actual) and all(
        p == a or (p.startswith("{") and a) for p, a in zip(parts, actual, strict=True)
    )


@pytest.fixture
def admin(redis_url, redis_client):
    """The admin API of a stack whose workers don't run: `Admin.work` answers in the test."""
    with running(redis_url, admin_token=ADMIN) as stack:
        yield Admin(stack.app, stack.providers, redis_client)


# --- authorisation -------------------------------------------------------------------------------


ENDPOINTS = [
    ("GET", "/webhook/openapi.json"),
    ("GET", "/webhook/conversations"),
    ("GET", "/webhook/conversations.csv"),
    ("GET", "/webhook/conversation/+34600000001"),
    ("DELETE", "/webhook/conversation/+34600000001"),
    ("POST", "/webhook/conversation/+34600000001/close"),
    ("POST", "/webhook/conversation/+34600000001/messages"),
    ("GET", "/webhook/stats"),
    ("GET", "/webhook/stats.csv"),
    ("GET", "/webhook/logs"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_wants_the_bearer_token(admin, method, path):
    missing = admin.call(method, path, auth=None)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert admin.call(method, path, auth={"Authorization": f"Basic {ADMIN}"}).status_code == 401
    wrong = admin.call(method, path, auth={"Authorization": f"Bearer {ADMIN}x"})
    assert wrong.status_code == 403 and wrong.json == {"error": "bearer token invalid"}


def test_without_an_admin_token_configured_the_admin_api_is_off(stack):
    assert stack.settings.admin_token is None
    for method, path in ENDPOINTS:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
            assert stack.client.open(path, method=method, headers=headers).status_code == 403
    assert stack.client.get("/webhook/status").status_code == 200  # health stays public


# --- listing -------------------------------------------------------------------------------------


def test_conversations_are_paged_newest_first_and_filtered(admin):
    for n in range(5):
        admin.service.turn(f"+3460000001{n}", "Hola")
    admin.say("+34600000020", "Hola", sms=True)
    for text in [*SALE, *CLOSE]:
        admin.say("+34600000021", text)
    admin.say("+34600000022", "Hola")
    admin.say("+34600000022", "quiero hablar con una persona")

    first = admin.call("GET", "/webhook/conversations?per_page=3").json
    assert first["total"] == 8 and first["page"] == 1 and first["next_page"] == 2
    assert [i["phone"] for i in first["items"]] == ["+34600000022", "+34600000021", "+34600000020"]
    newest = first["items"][0]
    assert newest["channel"] == "whatsapp" and newest["provider"] == "meta"
    assert newest["handoff"] is True and newest["profile_name"] == "Ana"
    assert newest["stage"] == "INICIO" and newest["opted_out"] is False
    assert datetime.fromisoformat(newest["last_message_at"]) > datetime.now(UTC) - timedelta(1)
    last = admin.call("GET", "/webhook/conversations?per_page=3&page=3").json
    assert [i["phone"] for i in last["items"]] == ["+34600000011", "+34600000010"]
    assert last["next_page"] is None
    assert admin.call("GET", "/webhook/conversations?page=9").json["items"] == []
    everything = admin.call("GET", "/webhook/conversations?per_page=100").json
    assert len(everything["items"]) == 8 and everything["next_page"] is None

    def phones(query: str) -> list[str]:
        answer = admin.call("GET", f"/webhook/conversations?{query}").json
        assert answer["total"] == len(answer["items"]) or "per_page" in query
        return [i["phone"] for i in answer["items"]]

    assert phones("stage=FINALIZADO") == ["+34600000021"]
    assert phones("channel=sms") == ["+34600000020"]
    assert phones("channel=chat&per_page=2&page=2") == ["+34600000012", "+34600000011"]
    # A lead is handed to an advisor too; the customer at INICIO asked for a person.
    assert phones("handoff=true") == ["+34600000022", "+34600000021"]
    assert len(phones("handoff=false")) == 6
    assert phones("handoff=true&stage=INICIO&channel=whatsapp") == ["+34600000022"]
    assert phones("stage=COTIZACION") == []

    for bad in ("per_page=101", "per_page=0", "page=0", "page=x", "stage=DONE", "channel=fax"):
        answer = admin.call("GET", f"/webhook/conversations?{bad}")
        assert answer.status_code == 400, bad
    assert admin.call("GET", "/webhook/conversations?handoff=maybe").status_code == 400


def test_conversations_csv_parses_and_matches_the_list(admin):
    admin.say("+34600000030", "Hola", sms=True)
    admin.say("+34600000031", "Hola")
    admin.redis.hset(
        admin.service.store.key("+34600000031", "summary"), "profile_name", json.dumps("=1+2")
    )
    answer = admin.call("GET", "/webhook/conversations.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["phone"] for r in rows] == ["+34600000031", "+34600000030"]
    assert rows[0]["profile_name"] == "'=1+2"  # a spreadsheet shows it, never runs it
    assert rows[1] | {"last_message_at": ""} == {
        "phone": "+34600000030",
        "channel": "sms",
        "provider": "twilio",
        "stage": "INICIO",
        "last_message_at": "",
        "handoff": "False",
        "opted_out": "False",
        "profile_name": "",
    }
    sms = list(
        csv.DictReader(
            io.StringIO(admin.call("GET", "/webhook/conversations.csv?channel=sms").text)
        )
    )
    assert [r["phone"] for r in sms] == ["+34600000030"]
    assert admin.call("GET", "/webhook/conversations.csv?stage=nope").status_code == 400


# --- one conversation ----------------------------------------------------------------------------


def test_detail_has_the_state_and_the_transcript_with_delivery_statuses(admin):
    phone = "+34600000040"
    for text in SALE:
        admin.say(phone, text)
    transcript = admin.service.store.transcript(phone)
    wamid = transcript[1]["ids"][0]
    admin.worker.record_status(
        {"phone": phone, "message_id": wamid, "status": "read", "timestamp": 1_700_000_000}
    )
    failed = transcript[-1]["ids"][0]
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    admin.worker.record_status(
        {"phone": phone, "message_id": failed, "status": "failed", "errors": errors}
    )

    answer = admin.call("GET", "/webhook/conversation/34600000040")  # no '+': the same phone
    assert answer.status_code == 200
    detail = answer.json
    assert detail["phone"] == phone and detail["stage"] == "PRESENTACION_PROPUESTA"
    assert detail["profile"]["name"] == "Ana" and detail["profile"]["cover"] == 150000
    assert [o["name"] for o in detail["quote"]["options"]] == ["Básica", "Recomendada", "Completa"]
    assert detail["consent"]["given"] is True and detail["declared"]["age"]["value"] == 35
    assert detail["chosen"] is None and detail["lead"] is False and detail["opted_out"] is False
    assert detail["handoff"] is False and detail["handoff_reason"] is None
    assert detail["channel"] == "whatsapp" and detail["profile_name"] == "Ana"
    entries = detail["transcript"]
    assert [e["direction"] for e in entries] == ["in", "out"] * len(SALE)
    assert entries[0]["text"] == "Hola" and entries[0]["channel"] == "whatsapp"
    assert all(datetime.fromisoformat(e["at"]) for e in entries)
    read = entries[1]
    assert read["status"] == "read" and read["status_at"] == "2023-11-14T22:13:20+00:00"
    assert read["delivery"] == [{"id": wamid, "status": "read", "at": read["status_at"]}]
    assert entries[-1]["status"] == "failed"
    assert entries[-1]["delivery"][0]["errors"] == errors
    assert entries[3]["status"] == "accepted" and "delivery" not in entries[3]

    assert admin.call("GET", "/webhook/conversation/+34600000049").status_code == 404
    assert admin.call("GET", "/webhook/conversation/hola").status_code == 400
    assert admin.call("GET", "/webhook/conversation/+0123").status_code == 400


def test_reset_makes_the_next_message_start_again_at_inicio(admin):
    phone = "+34600000050"
    admin.post(phone, "Hola", message_id="wamid.first")
    admin.work()
    for text in SALE[1:4]:
        admin.say(phone, text)
    assert admin.stage(phone) == "NEEDS_ANALYSIS"

    answer = admin.call("DELETE", f"/webhook/conversation/{phone}")
    assert answer.status_code == 200 and answer.json == {"phone": phone, "reset": True}
    assert admin.call("GET", f"/webhook/conversation/{phone}").status_code == 404
    assert admin.service.store.transcript(phone) == [] and admin.service.state(phone) == {}
    assert admin.call("GET", "/webhook/conversations").json["total"] == 0
    assert admin.call("DELETE", f"/webhook/conversation/{phone}").status_code == 404
    # The dedupe marks went too: the very first message id is new again.
    assert admin.post(phone, "Hola", message_id="wamid.first").json["duplicates"] == 0
    admin.work()
    assert "consentimiento" in admin.providers.texts_to(phone)[-1]
    assert admin.stage(phone) == "INICIO"
    assert [e["direction"] for e in admin.service.store.transcript(phone)] == ["in", "out"]


def test_reset_waits_for_a_running_turn(admin):
    phone = "+34600000051"
    admin.say(phone, "Hola")
    done = threading.Event()
    with admin.service.locked(phone):  # a worker in the middle of a turn
        thread = threading.Thread(
            target=lambda: (admin.call("DELETE", f"/webhook/conversation/{phone}"), done.set())
        )
        thread.start()
        assert not done.wait(0.5)
        assert admin.service.state(phone)["stage"] == "INICIO"
    thread.join(5)
    assert done.is_set() and admin.service.state(phone) == {}


def test_close_says_goodbye_and_marks_finalizado(admin):
    phone = "+34600000060"
    for text in SALE[:3]:
        admin.say(phone, text)
    sent = len(admin.providers.sent)

    answer = admin.call("POST", f"/webhook/conversation/{phone}/close")
    assert answer.status_code == 200
    goodbye = texts.CONVERSATION_CLOSED.format(name=", Ana")
    assert answer.json["stage"] == "FINALIZADO"
    message = answer.json["message"]
    assert message["text"] == goodbye and message["status"] == "accepted"
    assert message["author"] == "operator" and message["channel"] == "whatsapp"
    (request,) = admin.providers.sent[sent:]
    assert request["json"]["to"] == "34600000060" and request["json"]["text"]["body"] == goodbye
    assert admin.service.state(phone)["stage"] == "FINALIZADO"
    detail = admin.call("GET", f"/webhook/conversation/{phone}").json
    assert detail["stage"] == "FINALIZADO" and detail["transcript"][-1]["text"] == goodbye
    assert admin.service.store.summary(phone)["stage"] == "FINALIZADO"

    # The customer writes again: a polite answer, no crash, no new interview.
    assert admin.say(phone, "vale").endswith(texts.CLOSED_FOLLOW_UP)
    assert admin.stage(phone) == "FINALIZADO"
    assert admin.call("POST", "/webhook/conversation/+34600000069/close").status_code == 404
    assert admin.call("POST", "/webhook/conversation/x/close").status_code == 400


def test_close_on_sms_and_for_an_opted_out_customer(admin):
    sms, gone = "+34600000061", "+34600000062"
    admin.say(sms, "Hola", sms=True)
    closed = admin.call("POST", f"/webhook/conversation/{sms}/close").json
    # The transcript keeps the Spanish; the SMS itself goes out in GSM-7 ("conversacion").
    assert admin.providers.sent[-1]["form"]["Body"] == to_gsm7(closed["message"]["text"])
    assert admin.providers.sent[-1]["form"]["To"] == sms

    admin.say(gone, "Hola")
    admin.say(gone, "BAJA")
    sent = len(admin.providers.sent)
    answer = admin.call("POST", f"/webhook/conversation/{gone}/close")
    assert answer.status_code == 200 and answer.json["message"] is None
    assert len(admin.providers.sent) == sent
    assert admin.service.state(gone)["stage"] == "FINALIZADO"


def test_close_outside_the_window_sends_nothing_but_closes(admin):
    phone = "+34600000063"
    admin.say(phone, "Hola")
    _age_last_inbound(admin, phone, hours=25)
    sent = len(admin.providers.sent)
    message = admin.call("POST", f"/webhook/conversation/{phone}/close").json["message"]
    assert message["status"] == "failed" and "window" in message["error"]["title"]
    assert len(admin.providers.sent) == sent and admin.stage(phone) == "FINALIZADO"


def _age_last_inbound(admin: Admin, phone: str, *, hours: float) -> None:
    then = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
    admin.redis.hset(admin.service.store.key(phone, "summary"), "last_inbound_at", json.dumps(then))


def test_an_operator_message_goes_out_on_the_customers_channel(admin):
    phone = "+34600000070"
    admin.say(phone, "Hola")
    answer = admin.call(
        "POST", f"/webhook/conversation/{phone}/messages", json={"text": " Soy Marta, tu asesora. "}
    )
    assert answer.status_code == 200
    request = admin.providers.sent[-1]["json"]
    assert request == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "34600000070",
        "type": "text",
        "text": {"body": "Soy Marta, tu asesora.", "preview_url": False},
    }
    message = answer.json["message"]
    assert message["author"] == "operator" and message["status"] == "accepted"
    assert "template" not in message and message["ids"][0].startswith("wamid.fake")
    last = admin.service.store.transcript(phone)[-1]
    assert last["direction"] == "out" and last["author"] == "operator"
    assert last["text"] == "Soy Marta, tu asesora."

    sms = "+34600000071"
    admin.say(sms, "Hola", sms=True)
    admin.call("POST", f"/webhook/conversation/{sms}/messages", json={"text": "Hola, soy Marta"})
    assert admin.providers.sent[-1]["form"] | {"StatusCallback": None} == {
        "To": sms,
        "From": TWILIO_SMS,
        "Body": "Hola, soy Marta",
        "StatusCallback": None,
    }


def test_outside_the_window_the_operator_message_is_the_template(admin):
    phone = "+34600000072"
    admin.say(phone, "Hola")
    _age_last_inbound(admin, phone, hours=25)
    answer = admin.call(
        "POST", f"/webhook/conversation/{phone}/messages", json={"text": "¿Sigues?"}
    )
    assert answer.status_code == 200 and answer.json["message"]["template"] is True
    request = admin.providers.sent[-1]["json"]
    assert request["type"] == "template" and request["template"]["name"] == "retomar_conversacion"
    assert admin.service.store.transcript(phone)[-1]["template"] is True

    # Meta can say the window is closed when our clock thinks it is open (131047).
    fresh = "+34600000073"
    admin.say(fresh, "Hola")
    window = {
        "error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}
    }
    admin.providers.fail_next.append((400, window))
    answer = admin.call("POST", f"/webhook/conversation/{fresh}/messages", json={"text": "Hola"})
    assert answer.json["message"]["template"] is True
    assert admin.providers.sent[-1]["json"]["type"] == "template"


def test_operator_messages_are_refused_when_they_cannot_or_must_not_go_out(admin):
    phone, gone = "+34600000074", "+34600000075"
    admin.say(phone, "Hola")
    path = f"/webhook/conversation/{phone}/messages"
    for body in ({"text": ""}, {"text": "   "}, {}, {"text": 3}, {"text": "x" * 4097}):
        assert admin.call("POST", path, json=body).status_code == 400, body
    assert (
        admin.call("POST", path, data="not json", content_type="application/json").status_code
        == 400
    )
    assert (
        admin.call(
            "POST", "/webhook/conversation/+34600000079/messages", json={"text": "a"}
        ).status_code
        == 404
    )

    admin.say(gone, "BAJA")
    sent = len(admin.providers.sent)
    refused = admin.call(
        "POST", f"/webhook/conversation/{gone}/messages", json={"text": "¿Seguro?"}
    )
    assert refused.status_code == 409 and "opted out" in refused.json["error"]
    assert len(admin.providers.sent) == sent

    chat = "+34600000076"
    admin.service.turn(chat, "Hola")  # the terminal chat: no channel to reach the customer on
    answer = admin.call("POST", f"/webhook/conversation/{chat}/messages", json={"text": "Hola"})
    assert answer.status_code == 409

    admin.providers.fail_next.append((400, {"error": {"message": "bad", "code": 131026}}))
    failed = admin.call("POST", path, json={"text": "¿Hola?"})
    assert failed.status_code == 502 and failed.json["message"]["status"] == "failed"
    assert admin.service.store.transcript(phone)[-1]["status"] == "failed"


# --- statistics ----------------------------------------------------------------------------------


def test_stats_of_a_known_scenario(admin):
    sale, sms, burst = "+34600000080", "+34600000081", "+34600000082"
    delays = iter([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2])
    for text in [*SALE, *CLOSE]:  # 9 turns: INICIO ... FINALIZADO
        admin.say(sale, text, delay=next(delays))
    admin.say(sms, "Hola", sms=True, delay=next(delays))  # 2 turns, to NEEDS_ANALYSIS
    admin.say(sms, "sí", sms=True, delay=next(delays))
    admin.post(burst, "Hola")  # two messages, one turn, one reply; stays at INICIO
    admin.post(burst, "¿qué tal?")
    admin.work(delay=next(delays))
    admin.call("POST", f"/webhook/conversation/{sms}/messages", json={"text": "Hola"})

    answer = admin.call("GET", "/webhook/stats")
    assert answer.status_code == 200
    stats = answer.json
    today = datetime.now(UTC).date()
    assert stats["since"] == f"{today - timedelta(days=29)}T00:00:00+00:00"
    assert {k: v for k, v in stats.items() if k not in ("since", "until", "funnel")} == {
        "active_conversations": 3,
        "conversations_started": 3,
        "messages_in": 9 + 2 + 2,
        "messages_out": 9 + 2 + 1 + 1,  # the operator's message counts, not in response times
        "responses": 12,
        "avg_response_ms": 650.0,
        "p90_response_ms": 1100.0,
        "active_users_24h": 3,
        "active_users_7d": 3,
        "follow_ups_sent": 0,
        "follow_ups_pending": 0,
    }
    assert stats["funnel"] == [
        {"stage": "INICIO", "reached": 3, "conversion": None},
        {"stage": "NEEDS_ANALYSIS", "reached": 2, "conversion": 0.6667},
        {"stage": "COTIZACION", "reached": 1, "conversion": 0.5},
        {"stage": "PRESENTACION_PROPUESTA", "reached": 1, "conversion": 1.0},
        {"stage": "FINALIZADO", "reached": 1, "conversion": 1.0},
    ]

    table = list(csv.reader(io.StringIO(admin.call("GET", "/webhook/stats.csv").text)))
    assert table[0] == ["metric", "value"]
    values = dict(table[1:])
    assert values["messages_in"] == "13" and values["p90_response_ms"] == "1100.0"
    assert values["funnel.NEEDS_ANALYSIS.conversion"] == "0.6667"
    assert values["funnel.INICIO.conversion"] == ""
    assert len(values) == len(stats) - 1 + 2 * len(STAGES)

    tomorrow = today + timedelta(days=1)
    assert admin.call("GET", f"/webhook/stats?since={tomorrow}").status_code == 400
    assert admin.call("GET", "/webhook/stats?since=yesterday").status_code == 400
    assert admin.call("GET", "/webhook/stats.csv?since=2024-13-01").status_code == 400
    moment = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    again = admin.call("GET", "/webhook/stats", query_string={"since": moment}).json
    assert again["since"] == f"{today}T00:00:00+00:00" and again["messages_in"] == 13
    ancient = admin.call("GET", "/webhook/stats?since=2001-01-01").json
    # Further back than Redis keeps: counted in the SQL archive (which this worker doesn't feed).
    assert ancient["since"] == "2001-01-01T00:00:00+00:00" and ancient["messages_in"] == 0


def test_stats_count_by_day_and_hour(admin, redis_client):
    stats = admin.service.stats
    now = time.time()
    for hours_ago, phone in ((0, "+34600000090"), (30, "+34600000091"), (24 * 8, "+34600000092")):
        admin.clock.at = now - hours_ago * 3600
        stats.record_turn(phone, inbound=1, outbound=1, started=True, stage="INICIO", arrived=None)
    admin.clock.at = now
    report = stats.report(datetime.fromtimestamp(now, UTC).date())
    assert (report.active_users_24h, report.active_users_7d) == (1, 2)
    assert report.messages_in == 1 and report.responses == 0 and report.avg_response_ms is None
    assert stats.report(report.since.date() - timedelta(days=2)).messages_in == 2
    assert all(redis_client.ttl(key) > 0 for key in redis_client.keys("iagente:{stats}:*"))


def test_the_terminal_chat_counts_too(admin):
    admin.service.turn("+34600000093", "Hola")
    admin.service.turn("+34600000093", "sí")
    stats = admin.call("GET", "/webhook/stats").json
    assert (stats["conversations_started"], stats["messages_in"], stats["messages_out"]) == (
        1,
        2,
        2,
    )
    assert stats["responses"] == 2 and stats["funnel"][1]["reached"] == 1


# --- the OpenAPI document ------------------------------------------------------------------------


def test_every_documented_answer_is_produced_and_matches_the_document(admin):
    """One pass over every operation and every answer the document lists for it."""
    phone = "+34600000095"
    admin.say(phone, "Hola")
    conv = f"/webhook/conversation/{phone}"
    bad = "/webhook/conversation/nope"
    unknown = "/webhook/conversation/+34600000099"
    for method, path in ENDPOINTS:
        admin.call(method, path, auth=None)
        admin.call(method, path, auth={"Authorization": "Bearer wrong"})
    admin.call("GET", "/webhook/openapi.json")
    for path in ("/webhook/conversations", "/webhook/conversations.csv"):
        admin.call("GET", path)
        admin.call("GET", f"{path}?stage=x")
    for path in ("/webhook/stats", "/webhook/stats.csv"):
        admin.call("GET", path)
        admin.call("GET", f"{path}?since=x")
    admin.call("GET", "/webhook/logs")
    admin.call("GET", "/webhook/logs?limit=x")
    for method in ("GET", "DELETE"):
        admin.call(method, bad)
        admin.call(method, unknown)
    admin.call("GET", conv)
    for path in (bad, unknown, conv):
        admin.call("POST", f"{path}/close")
        admin.call("POST", f"{path}/messages", json={"text": "Hola"})
    admin.call("POST", f"{conv}/messages", json={})
    fresh = "+34600000096"
    admin.say(fresh, "Hola")
    admin.providers.fail_next.append((400, {"error": {"message": "bad", "code": 131026}}))
    admin.call("POST", f"/webhook/conversation/{fresh}/messages", json={"text": "Hola"})
    admin.say(fresh, "BAJA")
    admin.call("POST", f"/webhook/conversation/{fresh}/messages", json={"text": "Hola"})
    admin.call("DELETE", conv)

    documented = {
        (path, method, int(status))
        for path, item in admin.document["paths"].items()
        if not path.startswith(CUSTOMER_PATHS)
        for method, operation in item.items()
        if method != "parameters"
        for status in operation["responses"]
    }
    assert documented - admin.seen == set()
    assert admin.seen - documented == set()


def test_the_document_is_valid_openapi(admin):
    from openapi_spec_validator import validate

    validate(admin.get("/webhook/openapi.json").json)


def test_webhook_logs_show_the_last_deliveries_without_personal_data(admin):
    admin.post("+34600555001", "Hola")
    admin.client.post("/webhook/whatsapp", data=b"{}", headers={"X-Hub-Signature-256": "sha256=00"})
    answer = admin.call("GET", "/webhook/logs?limit=5")
    items = answer.json["items"]
    assert answer.status_code == 200 and len(items) == 2
    forged, accepted = items
    assert forged["outcome"] == "forged" and forged["status"] == 403 and forged["phone"] is None
    assert accepted["outcome"] == "accepted" and accepted["provider"] == "meta"
    assert accepted["phone"] != "+34600555001" and accepted["phone"].endswith("01")
    assert admin.call("GET", "/webhook/logs?limit=0").status_code == 400
