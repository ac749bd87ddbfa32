"""ProviderSession: the environment read once per origin, POSTs by libcurl, no cookies.

What it sends is compared with what plain requests sends for the same call, on a real socket.
"""

from __future__ import annotations

import json as json_module
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses

from integrations.http import ProviderSession
from integrations.messaging.base import network_error
from testkit import DATA


def settings(session: requests.Session, url: str) -> dict:
    return dict(session.merge_environment_settings(url, {}, None, None, None))


def test_it_gives_what_requests_gives_for_each_origin(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "graph.local")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/bundle.pem")
    ours = ProviderSession()
    for url in ("https://api.twilio.test/2010-04-01/x", "https://graph.local/v23.0/1/messages"):
        assert settings(ours, url) == settings(requests.Session(), url)
    assert (
        settings(ours, "https://api.twilio.test/y")["proxies"]["https"] == "http://proxy.test:3128"
    )
    assert settings(ours, "https://graph.local/z")["proxies"] == {}  # NO_PROXY
    assert settings(ours, "https://graph.local/z")["verify"] == "/etc/ssl/certs/bundle.pem"


def test_the_environment_is_read_once_per_origin(monkeypatch):
    ours = ProviderSession()
    monkeypatch.setenv("HTTPS_PROXY", "http://first.test:3128")
    assert settings(ours, "https://a.test/1")["proxies"] == {"https": "http://first.test:3128"}
    monkeypatch.setenv("HTTPS_PROXY", "http://second.test:3128")
    assert settings(ours, "https://a.test/2")["proxies"] == {"https": "http://first.test:3128"}
    assert settings(ours, "https://b.test/1")["proxies"] == {"https": "http://second.test:3128"}


def test_what_a_request_gives_itself_wins(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    ours = ProviderSession()
    merged = ours.merge_environment_settings("https://a.test/", {}, None, False, None)
    assert merged["verify"] is False


def test_a_caller_changing_the_answer_changes_no_later_one(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    ours = ProviderSession()
    settings(ours, "https://a.test/")["proxies"]["https"] = "http://evil.test"
    ours.merge_environment_settings("https://a.test/", {}, None, None, None)["proxies"].clear()
    assert settings(ours, "https://a.test/")["proxies"] == {"https": "http://proxy.test:3128"}


class Recorder(BaseHTTPRequestHandler):
    """Records each request; answers JSON, and sets a cookie the client must never send back."""

    seen: list[dict] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.seen.append(
            {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
        )
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "session=abc; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict]]]:
    seen: list[dict] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def wire(seen: dict) -> dict:
    """What reached the server, but for the connection-level headers."""
    headers = {k.lower(): v for k, v in seen["headers"].items() if k.lower() != "host"}
    return {"path": seen["path"], "headers": headers, "body": seen["body"]}


def test_a_post_sends_what_requests_sends(recorder):
    url, seen = recorder
    calls = [
        {"json": {"to": "34600000001", "text": {"body": "¿Hola? ñ"}}, "headers": {"X-A": "1"}},
        {"json": {"to": "34600000002", "text": {"body": "otra"}}, "headers": {"X-A": "1"}},
        {"data": {"To": "+34600000003", "Body": "sí"}, "auth": ("AC123", "token")},
        {"data": {"To": "+34600000004", "Body": "no"}, "auth": ("AC123", "token")},
    ]
    ours = ProviderSession()
    for call in calls:
        # A new requests session each time: it would send back the cookie the server set.
        for session in (ours, requests.Session()):
            answer = session.post(f"{url}/v1/messages?x=1", timeout=5, **call)
            assert answer.status_code == 200 and answer.json() == {"ok": True}
    sent = [wire(s) for s in seen]
    for n in range(len(calls)):
        assert sent[2 * n] == sent[2 * n + 1]  # ours, then plain requests: the same request
    assert sent[0]["body"] != sent[2]["body"]  # each call its own body on the shared template


def test_no_cookie_a_server_sets_is_sent_back(recorder):
    url, seen = recorder
    session = ProviderSession()
    for _ in range(2):
        session.post(f"{url}/a", json={}, timeout=5)
        session.request("POST", f"{url}/b", json={}, params={"p": "1"}, timeout=5)  # the long way
    assert all("cookie" not in {k.lower() for k in s["headers"]} for s in seen)
    assert len(seen) == 4


# --- The direct POST against requests' own way, on real sockets ------------------------------

TLS = DATA / "tls"


class Echo(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive: answers each POST with its own body; `redirect_to` answers 307."""

    protocol_version = "HTTP/1.1"
    seen: list[dict] = []
    redirect_to: str | None = None

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(
            {
                "path": self.path,
                "headers": dict(self.headers),
                "body": body,
                "port": self.client_address[1],
            }
        )
        if self.redirect_to and not self.path.startswith("/landed"):
            self.send_response(307)
            self.send_header("Location", f"{self.redirect_to}/landed")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        answer = json_module.dumps({"echo": body.decode()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], tls: bool = False) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS / "localhost.pem", TLS / "localhost.key")
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def echo(**attributes: object) -> type[Echo]:
    return type("Handler", (Echo,), {"seen": [], **attributes})


@contextmanager
def raw_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server that reads one request and then does `answer` with the connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            answer(connection)
            done.wait(5)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        listener.close()


def outcome(
    session: requests.Session, url: str, timeout: tuple[float, float]
) -> tuple[str, str, bool]:
    """The exception a POST raises, and what `network_error` makes of it."""
    with pytest.raises(requests.RequestException) as caught:
        session.post(url, json={"a": 1}, timeout=timeout)
    error = network_error("meta", caught.value)
    return type(caught.value).__name__, type(error).__name__, error.maybe_sent


def both(
    url_for: Callable[[], AbstractContextManager[str]], timeout: tuple[float, float]
) -> list[tuple]:
    """`outcome` for ours and for plain requests, each against a server of its own."""
    outcomes = []
    for session in (ProviderSession(), requests.Session()):
        with url_for() as url:
            outcomes.append(outcome(session, f"{url}/v1/messages", timeout))
    return outcomes


def test_a_refused_connection_is_what_requests_raises_nothing_sent():
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    url = nullcontext(f"http://127.0.0.1:{port}")
    ours, theirs = both(lambda: url, timeout=(1, 1))
    assert ours == theirs == ("ConnectionError", "TransientSendError", False)


def test_no_answer_in_the_read_timeout_may_have_been_sent():
    ours, theirs = both(lambda: raw_server(lambda connection: None), timeout=(1, 0.2))
    assert ours == theirs == ("ReadTimeout", "TransientSendError", True)


def test_a_connection_dropped_after_the_request_may_have_been_sent():
    ours, theirs = both(lambda: raw_server(socket.socket.close), timeout=(1, 2))
    assert ours == theirs == ("ConnectionError", "TransientSendError", True)


def test_a_body_cut_short_may_have_been_sent():
    def half(connection: socket.socket) -> None:
        connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"a"')
        connection.close()

    ours, theirs = both(lambda: raw_server(half), timeout=(1, 2))
    assert ours == theirs == ("ChunkedEncodingError", "TransientSendError", True)


def test_connections_are_kept_alive_and_shared_by_threads():
    handler = echo()
    session = ProviderSession()
    with serving(handler) as url:
        for n in range(3):
            assert session.post(f"{url}/a", json={"n": n}, timeout=5).json() == {
                "echo": f'{{"n": {n}}}'
            }
        assert len({s["port"] for s in handler.seen}) == 1  # one connection, reused

        def post(n: int) -> dict:
            return session.post(f"{url}/b", json={"n": n}, timeout=5).json()

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(post, range(40)))
    assert answers == [{"echo": f'{{"n": {n}}}'} for n in range(40)]  # each its own answer
    assert len({s["port"] for s in handler.seen}) <= 4


def test_a_redirect_is_followed_as_requests_follows_it():
    for session in (ProviderSession(), requests.Session()):
        handler = echo()
        with serving(handler) as url:
            handler.redirect_to = url
            answer = session.post(f"{url}/a", json={"n": 1}, headers={"apikey": "k"}, timeout=5)
        assert answer.status_code == 200 and answer.json() == {"echo": '{"n": 1}'}
        assert [r.status_code for r in answer.history] == [307]
        assert [s["path"] for s in handler.seen] == ["/a", "/landed"]
        assert handler.seen[1]["headers"]["apikey"] == "k"  # same origin: the key goes along
    handler = echo()
    with serving(handler) as url:
        handler.redirect_to = url
        answer = ProviderSession().post(f"{url}/a", json={}, timeout=5, allow_redirects=False)
    assert answer.status_code == 307 and [s["path"] for s in handler.seen] == ["/a"]


def test_a_redirect_to_another_origin_takes_no_credentials():
    there = echo()
    here = echo()
    with serving(there) as elsewhere, serving(here) as url:
        here.redirect_to = elsewhere
        for call in (
            {"headers": {"apikey": "k", "Authorization": "Bearer t"}},
            {"auth": ("AC123", "token")},
        ):
            answer = ProviderSession().post(f"{url}/a", json={"n": 1}, timeout=5, **call)
            assert answer.json() == {"echo": '{"n": 1}'}
    assert [s["path"] for s in there.seen] == ["/landed", "/landed"]
    for seen in there.seen:
        names = {name.lower() for name in seen["headers"]}
        assert not names & {"apikey", "authorization", "cookie"}
        assert names >= {"content-type", "content-length", "user-agent"}


def test_a_proxy_from_the_environment_gets_what_requests_gives_it(monkeypatch):
    handler = echo()
    with serving(handler) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "")
        for session in (ProviderSession(), requests.Session()):
            answer = session.post("http://api.provider.test/v1/x", json={"n": 1}, timeout=5)
            assert answer.json() == {"echo": '{"n": 1}'}
    assert [s["path"] for s in handler.seen] == ["http://api.provider.test/v1/x"] * 2
    assert wire(handler.seen[0]) == wire(handler.seen[1])


def test_tls_is_verified_against_the_ca_bundle_requests_reads(monkeypatch):
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with serving(echo(), tls=True) as url:
        for session in (ProviderSession(), requests.Session()):
            with pytest.raises(requests.exceptions.SSLError):
                session.post(f"{url}/a", json={}, timeout=5)
        for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            with monkeypatch.context() as patch:
                patch.setenv(variable, str(TLS / "localhost.pem"))
                answer = ProviderSession().post(f"{url}/a", json={"n": 1}, timeout=5)
            assert answer.json() == {"echo": '{"n": 1}'}


def test_a_mocked_adapter_gets_the_post():
    """Where requests' adapter is replaced (here by `responses`), the POST goes through it."""
    with responses.RequestsMock() as mock:
        mock.post("https://graph.test/v1/messages", json={"mocked": True})
        answer = ProviderSession().post("https://graph.test/v1/messages", json={}, timeout=5)
    assert answer.json() == {"mocked": True}


def test_an_auth_object_and_response_hooks_go_requests_own_way(recorder):
    url, seen = recorder
    called: list[object] = []

    class Signed(requests.auth.AuthBase):
        def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
            request.headers["X-Signed"] = "1"
            request.register_hook("response", lambda response, **_: called.append("auth"))
            return request

    session = ProviderSession()
    session.post(f"{url}/a", json={}, auth=Signed(), timeout=5)
    session.hooks["response"].append(lambda response, **_: called.append("session"))
    session.post(f"{url}/b", json={}, timeout=5)
    assert called == ["auth", "session"]
    assert seen[0]["headers"]["X-Signed"] == "1"
