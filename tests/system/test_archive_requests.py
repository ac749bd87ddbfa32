"""A customer's access and erasure requests through the admin API, on the whole stack.

Real Redis, the worker, the SQL archive (SQLite and PostgreSQL) and a fake Chatwoot that
validates our requests against Chatwoot's own spec; every answer is checked against the served
OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder

from testkit.databases import archive_url, database_outage, postgres_server
from testkit.fake_chatwoot import FakeChatwoot
from testkit.stack import Stack, post_meta
from webhooks.turns.worker import Worker

__all__ = ["archive_url", "postgres_server"]

ADMIN = "admin-token-for-requests"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
PHONE, OTHER = "+34600300501", "+34600300502"
SALE = ["Hola", "sí", "Soy Ana, 35 años, no fumo", "150.000 €", "20 años", "para mi familia", "sí"]
CLOSE = ["la 2", "sí"]


@pytest.fixture
def chatwoot() -> Iterator[FakeChatwoot]:
    with FakeChatwoot(token="cw-token", account_id=1) as fake:
        yield fake


@pytest.fixture
def stack_settings(archive_url: str, chatwoot: FakeChatwoot) -> dict:
    return {
        "database_url": archive_url,
        "admin_token": ADMIN,
        "chatwoot_base_url": chatwoot.url,
        "chatwoot_account_id": 1,
        "chatwoot_user_token": "cw-token",
        "chatwoot_inbox_id": 1,
        "chatwoot_webhook_secret": "cw-secret",
    }


class Requests:
    """The stack with its worker run by the test, and the admin API validated by its document."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        services = stack.services
        assert services.archive is not None and services.chatwoot is not None
        self.archive, self.chatwoot = services.archive, services.chatwoot
        self.worker = Worker(
            services.conversations,
            services.queue,
            services.channels,
            name="test-worker",
            archive=self.archive,
            chatwoot=self.chatwoot,
        )
        document = stack.client.get("/webhook/openapi.json", headers=AUTH).json
        assert document is not None
        self.spec = OpenAPI.from_dict(document)
        self.n = 0
        self.document = document
        self.seen: set[tuple[str, str, int]] = set()

    def call(self, method: str, path: str, *, auth: dict | None = AUTH, **kw):
        answer = self.stack.client.open(path, method=method, headers=auth or {}, **kw)
        sent = EnvironBuilder(path, method=method, headers=auth or {}, **kw).get_request()
        request = WerkzeugOpenAPIRequest(sent)
        self.spec.validate_response(request, WerkzeugOpenAPIResponse(answer))
        if answer.status_code == 200:
            self.spec.validate_request(request)
        template = "/webhook/customer/{phone}/" + path.rsplit("/", 1)[-1]
        self.seen.add((template, method.lower(), answer.status_code))
        return answer

    def say(self, phone: str, *texts: str) -> None:
        """The customer's messages, each answered by the worker; archived and mirrored later."""
        for said in texts:
            self.n += 1
            assert post_meta(self.stack, phone, said, f"wamid.req.{self.n}").status_code == 200
            self.stack.services.queue.ensure_group()
            while entries := self.stack.services.queue.read(self.worker.name, block_ms=1):
                for entry_id, fields in entries:
                    self.worker.handle(entry_id, fields)

    def drain(self) -> None:
        """What the worker process's drainer threads do: the archive, then Chatwoot."""
        for phone in self.archive.outbox.due(limit=100):
            assert self.archive.drainer.drain(phone) is True
        for phone in self.chatwoot.outbox.due(limit=100):
            assert self.chatwoot.mirror.drain(phone) is True

    def redis_keys(self, phone: str) -> set[bytes]:
        return set(self.stack.services.redis.scan_iter(match=f"*{phone[1:]}*", count=1000))


@pytest.fixture
def requests_(stack: Stack) -> Requests:
    return Requests(stack)


def test_an_access_request_returns_redis_and_archive_and_is_audited(requests_):
    requests_.say(PHONE, *SALE, *CLOSE)
    requests_.drain()

    answer = requests_.call("GET", f"/webhook/customer/{PHONE[1:]}/export")  # '+' optional
    assert answer.status_code == 200
    found = answer.json
    assert found["phone"] == PHONE
    held = found["redis"]
    assert [e["text"] for e in held["transcript"] if e["direction"] == "in"] == SALE + CLOSE
    assert held["conversation"]["profile"]["age"] == 35
    assert held["conversation"]["lead"] is True
    assert held["chatwoot_link"]["contact_id"]
    assert held["keys"] and all(PHONE in key for key in held["keys"])
    other = held["other_records"]
    assert set(other) <= set(held["keys"]) and f"iagente:conv:{{{PHONE}}}:seen" in other
    archive = found["archive"]
    assert [m["text"] for m in archive["messages"] if m["direction"] == "in"] == SALE + CLOSE
    assert archive["consents"][0]["given"] is True and archive["leads"]
    assert [e["action"] for e in archive["audit"]] == ["export"]

    again = requests_.call("GET", f"/webhook/customer/{PHONE}/export").json
    assert [e["action"] for e in again["archive"]["audit"]] == ["export", "export"]


def test_an_erasure_request_erases_everywhere_but_the_legal_hold(requests_, chatwoot):
    requests_.say(PHONE, *SALE, *CLOSE)
    requests_.say(OTHER, "Hola", "sí")
    requests_.drain()
    other_before = requests_.call("GET", f"/webhook/customer/{OTHER}/export").json
    contact = int(requests_.chatwoot.links.get(PHONE)["contact_id"])
    assert contact in chatwoot.contacts

    answer = requests_.call("POST", f"/webhook/customer/{PHONE}/erase", json={"chatwoot": True})

    assert answer.status_code == 200
    erased = answer.json
    assert erased["chatwoot"] == "deleted" and contact not in chatwoot.contacts
    assert erased["redis_keys"] > 5
    assert erased["held"] == {"consents": 1, "leads": 1}
    assert erased["archive"]["messages"] == 2 * len(SALE + CLOSE)
    assert requests_.redis_keys(PHONE) == set()
    assert requests_.stack.service.state(PHONE) == {}
    left = requests_.call("GET", f"/webhook/customer/{PHONE}/export").json
    assert left["redis"]["keys"] == [] and left["redis"]["transcript"] == []
    archive = left["archive"]
    assert archive["customer"]["profile_name"] is None
    assert [c["given"] for c in archive["consents"]] == [True]
    assert len(archive["leads"]) == 1 and archive["leads"][0]["conversation"] is None
    for table in ("conversations", "messages", "deliveries", "needs_records", "quotes", "choices"):
        assert archive[table] == [], table
    [erase, export] = archive["audit"]
    assert export["action"] == "export"
    assert erase["action"] == "erase" and erase["detail"]["chatwoot"] == "deleted"
    assert erase["detail"]["held"] == {"consents": 1, "leads": 1}
    assert PHONE not in str(archive["audit"])  # the log names the phone by a digest only
    other_after = requests_.call("GET", f"/webhook/customer/{OTHER}/export").json
    assert other_after["archive"]["messages"] == other_before["archive"]["messages"]
    assert other_after["redis"]["transcript"] == other_before["redis"]["transcript"]

    requests_.say(PHONE, "Hola")  # a new conversation from the start
    assert requests_.stack.service.state(PHONE)["stage"] == "INICIO"


def test_an_erasure_writes_the_archive_work_still_waiting_first(requests_):
    requests_.say(PHONE, "Hola", "sí")  # the consent is only in the outbox: no drainer ran
    assert requests_.archive.outbox.backlog()["pending"] == 2

    erased = requests_.call("POST", f"/webhook/customer/{PHONE}/erase").json

    assert erased["held"] == {"consents": 1} and erased["chatwoot"] == "kept"
    assert requests_.archive.outbox.backlog()["pending"] == 0
    left = requests_.archive.store.export(PHONE)
    assert [c["given"] for c in left["consents"]] == [True] and left["messages"] == []


def test_with_the_database_away_an_erasure_erases_nothing(requests_, archive_url):
    requests_.say(PHONE, "Hola", "sí")
    requests_.drain()
    keys = requests_.redis_keys(PHONE)
    requests_.archive.store.engine.dispose()
    back = database_outage(requests_.stack, archive_url)
    try:
        answer = requests_.call("POST", f"/webhook/customer/{PHONE}/erase")
        assert answer.status_code == 503 and "nothing was erased" in answer.json["error"]
        assert requests_.call("GET", f"/webhook/customer/{PHONE}/export").status_code == 503
        assert requests_.redis_keys(PHONE) == keys
    finally:
        back()
    assert requests_.call("POST", f"/webhook/customer/{PHONE}/erase").status_code == 200


@pytest.mark.parametrize("phone", ["nope", "+0", "34600abc1", "+3460000000000000000", "%00"])
def test_a_bad_phone_is_a_400(requests_, phone):
    for method, action in (("GET", "export"), ("POST", "erase")):
        answer = requests_.call(method, f"/webhook/customer/{phone}/{action}")
        assert answer.status_code == 400 and answer.json == {"error": "not an E.164 phone number"}


@pytest.mark.parametrize(
    "body", [b"{", b"[]", b'{"chatwoot": "yes"}', b'{"chatwoot": true, "all": 1}', b"\xff"]
)
def test_a_bad_erasure_body_is_a_400_and_erases_nothing(requests_, body):
    requests_.say(PHONE, "Hola")
    keys = requests_.redis_keys(PHONE)
    answer = requests_.stack.client.post(
        f"/webhook/customer/{PHONE}/erase",
        data=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400 and "error" in answer.json
    assert requests_.redis_keys(PHONE) == keys


def test_nothing_held_is_a_404_and_the_endpoints_want_the_admin_token(requests_):
    assert requests_.call("GET", f"/webhook/customer/{OTHER}/export").status_code == 404
    for method, action in (("GET", "export"), ("POST", "erase")):
        path = f"/webhook/customer/{PHONE}/{action}"
        assert requests_.call(method, path, auth=None).status_code == 401
        wrong = requests_.call(method, path, auth={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 403


def test_erasing_an_unknown_phone_is_harmless(requests_):
    answer = requests_.call("POST", f"/webhook/customer/{OTHER}/erase", json={"chatwoot": True})
    assert answer.status_code == 200
    assert answer.json["chatwoot"] == "not found" and answer.json["held"] == {}


def test_every_documented_answer_of_the_customer_endpoints_is_produced(requests_, archive_url):
    requests_.say(PHONE, "Hola")
    for method, action in (("GET", "export"), ("POST", "erase")):
        path = f"/webhook/customer/{PHONE}/{action}"
        requests_.call(method, path, auth=None)
        requests_.call(method, path, auth={"Authorization": "Bearer wrong"})
        requests_.call(method, f"/webhook/customer/nope/{action}")
    requests_.call("POST", f"/webhook/customer/{PHONE}/erase", json={"everything": True})
    requests_.call("GET", f"/webhook/customer/{OTHER}/export")
    requests_.call("GET", f"/webhook/customer/{PHONE}/export")
    back = database_outage(requests_.stack, archive_url)
    try:
        requests_.call("GET", f"/webhook/customer/{PHONE}/export")
        requests_.call("POST", f"/webhook/customer/{PHONE}/erase")
    finally:
        back()
    requests_.call("POST", f"/webhook/customer/{PHONE}/erase", json={"chatwoot": False})

    documented = {
        (path, method, int(status))
        for path, item in requests_.document["paths"].items()
        if path.startswith("/webhook/customer/")
        for method, operation in item.items()
        if method != "parameters"
        for status in operation["responses"]
    }
    assert len(documented) == 11
    assert documented == requests_.seen


def test_an_erasure_forgets_the_customers_whatsapp_lid_and_no_one_elses(requests_, stack):
    book = stack.services.evolution
    mine, theirs = "145296358047756", "199911112222333"
    book.remember(PHONE, reply_jid=f"{mine}@lid", read_jid="34600111222@s.whatsapp.net", lid=mine)
    book.remember(
        OTHER, reply_jid=f"{theirs}@lid", read_jid="34600333444@s.whatsapp.net", lid=theirs
    )
    assert book.phone_of(mine) == PHONE

    answer = requests_.call("POST", f"/webhook/customer/{PHONE}/erase", json={})

    assert answer.status_code == 200
    assert book.phone_of(mine) is None
    assert book.phone_of(theirs) == OTHER
