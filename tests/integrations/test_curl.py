"""ProviderSession's POSTs by libcurl against plain requests' way, on real sockets.

More of what `test_http.py` compares: the answers as requests reads them, the failures as
requests raises them, and what still goes requests' own way.
"""

from __future__ import annotations

import datetime
import gzip
import json as json_module
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from integrations.http import ProviderSession
from integrations.messaging.base import network_error
from tests.integrations.test_http import TLS, Echo, both, echo, raw_server, serving, wire


@contextmanager
def unanswered() -> Iterator[str]:
    """A port whose listen queue is full: a new connection is never accepted."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    waiting = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        waiting.append(client)
    time.sleep(0.05)  # the handshakes that fit in the queue are done
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for client in waiting:
            client.close()
        listener.close()


def test_a_connect_timeout_is_what_requests_raises_nothing_sent():
    ours, theirs = both(unanswered, timeout=(0.2, 1))
    assert ours == theirs == ("ConnectTimeout", "TransientSendError", False)


def test_an_answer_stalling_midway_may_have_been_sent():
    def stall(connection: socket.socket) -> None:
        connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"a"')

    ours, theirs = both(lambda: raw_server(stall), timeout=(1, 0.2))
    assert ours == theirs == ("ConnectionError", "TransientSendError", True)


def test_a_proxy_that_cannot_be_used_is_a_proxy_error(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "")
    with socket.create_server(("127.0.0.1", 0)) as closed:
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}"
    # The echo server answers CONNECT with 501: no tunnel.
    with serving(echo()) as no_tunnel:
        for proxy, url in (
            (refused, "http://api.provider.test/v1/x"),
            (refused, "https://api.provider.test/v1/x"),
            (no_tunnel, "https://api.provider.test/v1/x"),
        ):
            monkeypatch.setenv("HTTP_PROXY", proxy)
            monkeypatch.setenv("HTTPS_PROXY", proxy)
            ours, theirs = both(lambda url=url: _fixed(url), timeout=(1, 1))
            assert ours == theirs == ("ProxyError", "TransientSendError", True)


@contextmanager
def _fixed(url: str) -> Iterator[str]:
    yield url.removesuffix("/v1/x")


def _answer(connection: socket.socket) -> None:
    body = gzip.compress(json_module.dumps({"ok": True, "text": "sí"}).encode())
    connection.sendall(
        b"HTTP/1.1 201 Created Here\r\nContent-Type: application/json\r\n"
        b"Content-Encoding: gzip\r\nX-Seen: a\r\nx-seen: b\r\nSet-Cookie: s=1; Path=/\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n"
        % (len(body), body)
    )
    connection.close()


def test_an_answer_reads_as_requests_reads_it():
    answers = []
    for session in (ProviderSession(), requests.Session()):
        with raw_server(_answer) as url:
            answer = session.post(f"{url}/v1/x?y=1", json={"a": 1}, timeout=5)
        answers.append(answer)
        assert answer.request.body == b'{"a": 1}'
        assert isinstance(answer.elapsed, datetime.timedelta)
    ours, theirs = answers
    assert ours.json() == theirs.json() == {"ok": True, "text": "sí"}  # gzip decoded by requests
    for read in (
        lambda r: (r.status_code, r.reason, r.ok, r.history, r.encoding, r.raw.version),
        lambda r: (dict(r.headers), r.headers["X-SEEN"], r.cookies.get_dict(), r.content),
        lambda r: (r.url.removeprefix(r.url.split("/v1")[0]), r.request.method),
    ):
        assert read(ours) == read(theirs)
    assert ours.headers["x-seen"] == "a, b" and ours.cookies.get_dict() == {"s": "1"}


def test_bodies_and_headers_go_as_requests_sends_them():
    handler = echo()
    calls = [
        {"data": "¿qué tal? ñ"},  # text: UTF-8
        {"data": b"\x00\x01binary"},
        {"data": None, "headers": {"X-Empty": ""}},
        {"json": [1], "headers": {"Content-Type": "application/x-custom", "Accept": "text/plain"}},
    ]
    with serving(handler) as url:
        for call in calls:
            for session in (ProviderSession(), requests.Session()):
                assert session.post(f"{url}/a/../b", timeout=5, **call).status_code == 200
    sent = [wire(seen) for seen in handler.seen]
    assert len(sent) == 2 * len(calls)
    for n in range(len(calls)):
        assert sent[2 * n] == sent[2 * n + 1]
    assert sent[2]["body"] == b"\x00\x01binary" and sent[4]["headers"]["x-empty"] == ""


def test_a_body_without_bytes_of_its_own_goes_requests_way():
    """A generator is sent chunked, as requests sends it (by requests)."""
    seen: list[bytes] = []

    def record(connection: socket.socket) -> None:
        data = b""
        while not data.endswith(b"0\r\n\r\n"):
            data += connection.recv(65536)
        seen.append(re.sub(rb"Host: [^\r]*\r\n", b"", data))  # each server its own port
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        connection.close()

    for session in (ProviderSession(), requests.Session()):
        with serving_raw(record) as url:
            session.post(f"{url}/a", data=iter([b"ab", b"cd"]), timeout=5)
    assert len(seen) == 2 and seen[0] == seen[1]
    assert (
        b"Transfer-Encoding: chunked" in seen[0] and b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n" in seen[0]
    )


@contextmanager
def serving_raw(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server that hands its one connection to `answer` without reading it first."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        answer(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        thread.join(5)
        listener.close()


def flaky() -> type[Echo]:
    """An echo server whose first answer is a 503."""
    failures = iter([True])

    class Flaky(Echo):
        seen: list[dict] = []

        def do_POST(self) -> None:
            if next(failures, False):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_POST()

    return Flaky


def test_an_adapter_that_retries_goes_requests_way():
    """An adapter that retries as urllib3's `Retry` does (libcurl can't) gets the POST."""
    for session in (ProviderSession(), requests.Session()):
        retry = Retry(total=1, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
        session.mount("http://", HTTPAdapter(max_retries=retry))
        handler = flaky()
        with serving(handler) as url:
            answer = session.post(f"{url}/a", json={"n": 1}, timeout=5)
        assert answer.status_code == 200 and answer.json() == {"echo": '{"n": 1}'}
        assert len(handler.seen) == 1  # the 503 is not recorded; its retry is


def test_handles_serve_routes_with_other_tls_settings_in_turn(monkeypatch):
    """A handle's options are reset when it moves to another route: no CA bundle carries over."""
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(TLS / "localhost.pem"))
    session = ProviderSession()
    with serving(echo(), tls=True) as trusted, serving(echo()) as plain:
        for n in range(3):
            for url in (trusted, plain):
                answer = session.post(f"{url}/a", json={"n": n}, timeout=5)
                assert answer.json() == {"echo": f'{{"n": {n}}}'}
        monkeypatch.delenv("REQUESTS_CA_BUNDLE")
        with pytest.raises(requests.exceptions.SSLError):  # another origin: read afresh
            session.post(trusted.replace("127.0.0.1", "localhost") + "/a", json={}, timeout=5)


@contextmanager
def closing_after_one() -> Iterator[tuple[str, list[str]]]:
    """A server that answers a connection's first POST and closes it on reading the second."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    seen: list[str] = []

    def serve() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        seen.append("first")
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        connection.recv(65536)
        seen.append("second")
        connection.close()
        try:
            again, _ = listener.accept()
        except OSError:  # closed when the test is done, or timed out
            return
        seen.append("another connection")
        again.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        listener.close()
        thread.join(5)


def test_a_post_on_a_reused_connection_closed_unanswered_is_not_sent_again():
    """Not resent on a new connection (as libcurl would): the server may have acted on it."""
    for session in (ProviderSession(), requests.Session()):
        with closing_after_one() as (url, seen):
            assert session.post(f"{url}/a", json={"n": 1}, timeout=(1, 2)).status_code == 200
            with pytest.raises(requests.ConnectionError) as caught:
                session.post(f"{url}/a", json={"n": 2}, timeout=(1, 2))
            assert network_error("meta", caught.value).maybe_sent
        assert seen == ["first", "second"]
