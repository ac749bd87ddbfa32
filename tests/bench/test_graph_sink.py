"""The end-to-end bench's lean Graph API sink answers and records as the fake providers do."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from bench._graph_sink import GraphSink
from bench._poster import Posters
from testkit.fake_providers import FakeProviders

MESSAGES = "/v23.0/1122334455667/messages"
RECEIPT = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in.1"}
TEXT = {
    "messaging_product": "whatsapp",
    "to": "34610000001",
    "type": "text",
    "text": {"body": "Hola"},
}


def _exchange(url: str) -> list[tuple[int, dict]]:
    """What the worker's sender does for one reply: the read receipt, the text; then Twilio."""
    with requests.Session() as session:
        auth = {"Authorization": "Bearer bench-token"}
        answers = [
            session.post(url + MESSAGES, json=body, headers=auth) for body in (RECEIPT, TEXT)
        ]
        form = {"To": "+34610000002", "From": "+34910000000", "Body": "Hola"}
        twilio = session.post(url + "/2010-04-01/Accounts/AC1/Messages.json", data=form)
    return [(a.status_code, a.json()) for a in [*answers, twilio]]


def test_answers_and_records_are_the_fake_providers_own():
    with FakeProviders() as fake:
        expected = _exchange(fake.url)
    with GraphSink() as sink:
        got = _exchange(sink.url)
    assert got == expected
    assert got[0] == (200, {"success": True})
    assert got[1][1]["messages"] == [{"id": "wamid.fake2"}]
    assert (sink.sent, sink.receipts) == (fake.sent, fake.receipts)
    assert sink.receipts[0]["auth"] == "Bearer bench-token"
    assert [r["json"]["to"] for r in sink.sent if r["provider"] == "meta"] == ["34610000001"]
    assert sink.errors == []


def test_one_keep_alive_connection_carries_every_request():
    with GraphSink() as sink:
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(sink.url).port)
        socks = []
        for n in range(3):
            body = json.dumps({**TEXT, "to": f"3461000000{n}"})
            conn.request("POST", MESSAGES, body=body, headers={"Content-Type": "application/json"})
            answer = conn.getresponse()
            assert (answer.status, answer.version) == (200, 11)
            assert json.loads(answer.read())["contacts"][0]["wa_id"] == f"3461000000{n}"
            socks.append(conn.sock)
        conn.close()
    assert socks[0] is socks[1] is socks[2]
    assert [r["json"]["to"] for r in sink.sent] == ["34610000000", "34610000001", "34610000002"]


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (f"POST {MESSAGES} HTTP/1.1\r\nContent-Length: 5\r\n\r\nnope!", 400),
        (
            f"POST {MESSAGES} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            411,
        ),
        (f"GET {MESSAGES} HTTP/1.1\r\n\r\n", 405),
    ],
)
def test_what_meta_would_not_get_is_refused_and_counted(head, status):
    with GraphSink() as sink, socket.create_connection(("127.0.0.1", urlsplit(sink.url).port)) as s:
        s.sendall(head.encode())
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 %d " % status)
    assert len(sink.errors) == 1 and sink.errors[0].startswith(str(status))
    assert sink.sent == sink.receipts == []


def test_posters_settle_every_request_in_the_sinks_thread():
    settled: dict[int, tuple[tuple[int, dict], int, str]] = {}
    done = threading.Event()

    def build(n: int) -> tuple[dict[str, str], bytes]:
        return {"Content-Type": "application/json"}, json.dumps({**TEXT, "to": str(n)}).encode()

    def settle(n: int, result: tuple[int, dict], attempt: int) -> None:
        settled[n] = (result, attempt, threading.current_thread().name)
        if len(settled) == 5:
            done.set()

    with GraphSink() as sink:
        posters = Posters(sink, urlsplit(sink.url).port or 0, MESSAGES, 2, build, settle)
        sink.call_soon(lambda: [posters.submit(n) for n in range(5)])
        assert done.wait(10)
    assert sorted(r["json"]["to"] for r in sink.sent) == ["0", "1", "2", "3", "4"]
    for n, ((status, answer), attempt, thread) in settled.items():
        assert (status, attempt, thread) == (200, 1, "graph-sink")
        assert answer["contacts"] == [{"input": str(n), "wa_id": str(n)}]


def test_a_post_nobody_answers_is_retried_once_then_settled_as_an_error():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again: nothing listens there
    settled: list[tuple[tuple[int, dict], int]] = []
    done = threading.Event()

    def settle(key: str, result: tuple[int, dict], attempt: int) -> None:
        settled.append((result, attempt))
        done.set()

    with GraphSink() as sink:
        posters = Posters(sink, port, MESSAGES, 1, lambda _: ({}, b"{}"), settle)
        sink.call_soon(lambda: posters.submit("only"))
        assert done.wait(10)
    ((status, answer), attempt) = settled[0]
    assert (status, attempt) == (0, 2)
    assert "ConnectionRefusedError" in answer["error"]


def test_a_client_that_expects_100_continue_gets_it_before_sending_the_body():
    body = json.dumps(TEXT).encode()
    head = f"POST {MESSAGES} HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {len(body)}\r\n"
    with GraphSink() as sink, socket.create_connection(("127.0.0.1", urlsplit(sink.url).port)) as s:
        s.sendall(head.encode() + b"\r\n")
        assert s.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(body)
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert [r["json"]["to"] for r in sink.sent] == ["34610000001"]


def test_a_post_without_an_answer_shows_as_overdue():
    with socket.create_server(("127.0.0.1", 0)) as silent, GraphSink() as sink:
        posters = Posters(
            sink, silent.getsockname()[1], MESSAGES, 1, lambda _: ({}, b"{}"), lambda *_: None
        )
        sink.call_soon(lambda: [posters.submit(key) for key in ("first", "second")])
        deadline = time.monotonic() + 10
        while not posters.overdue(0.2) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert posters.overdue(0.2) == ["first"]  # "second" waits for the connection
