"""ProviderSession: the environment read once per origin, POSTs from a template, no cookies.

What it sends is compared with what plain requests sends for the same call, on a real socket.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from integrations.http import ProviderSession


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
