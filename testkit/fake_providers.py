"""Local stand-ins for Meta's Graph API and Twilio's Messages API on 127.0.0.1 (tests, bench)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

_GRAPH_MEDIA = re.compile(r"/v\d+\.\d+/(?P<id>[^/]+)")
_META_FILE = re.compile(r"/whatsapp_business/attachments/(?P<id>[^/]+)")
_TWILIO_MEDIA = re.compile(r"/2010-04-01/Accounts/[^/]+/Messages/[^/]+/Media/(?P<id>[^/]+)")
_CDN_FILE = re.compile(r"/cdn/(?P<id>[^/]+)")


class FakeProviders:
    """Records every message sent to it; `fail_next` queues error answers (status, body).

    It also serves the media customers send: `media[id] = (bytes, mime_type)` is reachable as
    a Meta media id (`GET /v23.0/<id>`, then the URL that answers) and as a Twilio media sid
    (`GET /2010-04-01/Accounts/<sid>/Messages/<msg>/Media/<id>`). Media requests need the
    provider's Authorization scheme, and exactly `meta_token` / `twilio_auth` when given; each
    is recorded in `downloads`. With `twilio_cdn` set to a host name for this server (e.g.
    "localhost"), Twilio answers with a 307 to that host, as the real one redirects to storage.
    """

    def __init__(
        self,
        *,
        meta_token: str | None = None,
        twilio_auth: tuple[str, str] | None = None,
        twilio_cdn: str | None = None,
    ) -> None:
        self.sent: list[dict] = []
        self.receipts: list[dict] = []  # Meta read receipts and typing indicators
        self.fail_next: deque[tuple[int, dict]] = deque()
        self.changed = threading.Condition()
        self.media: dict[str, tuple[bytes, str]] = {}
        self.downloads: list[dict] = []
        self.meta_token = meta_token
        self.twilio_auth = twilio_auth
        self.twilio_cdn = twilio_cdn
        ids = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each reply waits ~40 ms for a delayed ACK

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                record = request_record(self.path, raw, self.headers.get("Authorization"))
                with server.changed:
                    receipt = is_receipt(record)
                    failure = (
                        server.fail_next.popleft() if server.fail_next and not receipt else None
                    )
                    if failure is None and not receipt:
                        server.sent.append(record)
                    elif receipt:
                        server.receipts.append(record)
                    server.changed.notify_all()
                status, body = failure or (200, answer(record, next(ids)))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                path = urlsplit(self.path).path
                auth = self.headers.get("Authorization")
                server.downloads.append(
                    {"path": self.path, "host": self.headers["Host"], "auth": auth}
                )
                status, headers, body = server._serve_media(path, auth, self.headers["Host"])
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeProviders:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _serve_media(self, path: str, auth: str | None, host: str) -> tuple[int, dict, bytes]:
        """(status, headers, body) of a media GET, as Meta or Twilio would answer it."""
        if match := _GRAPH_MEDIA.fullmatch(path) or _META_FILE.fullmatch(path):
            if not self._meta_allowed(auth):
                return _meta_error(
                    401, 190, "Invalid OAuth access token - Cannot parse access token"
                )
            media_id = match["id"]
            if media_id not in self.media:
                return _meta_error(
                    404, 100, f"Unsupported get request. Object with ID '{media_id}'"
                )
            content, mime_type = self.media[media_id]
            if path.startswith("/whatsapp_business/"):
                return 200, {"Content-Type": mime_type}, content
            info = {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/whatsapp_business/attachments/{media_id}?ext=1&hash=fake",
                "mime_type": mime_type,
                "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
                "file_size": str(len(content)),
                "id": media_id,
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(info).encode()
        if match := _TWILIO_MEDIA.fullmatch(path):
            if not self._twilio_allowed(auth):
                return _twilio_error(401, 20003, "Authenticate")
            if match["id"] not in self.media:
                return _twilio_error(404, 20404, f"The requested resource {path} was not found")
            if self.twilio_cdn:
                port = self._httpd.server_port
                return 307, {"Location": f"http://{self.twilio_cdn}:{port}/cdn/{match['id']}"}, b""
            content, mime_type = self.media[match["id"]]
            return 200, {"Content-Type": mime_type}, content
        if (match := _CDN_FILE.fullmatch(path)) and match["id"] in self.media:
            content, mime_type = self.media[match["id"]]
            return 200, {"Content-Type": mime_type}, content
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _meta_allowed(self, auth: str | None) -> bool:
        if self.meta_token is not None:
            return auth == f"Bearer {self.meta_token}"
        return bool(auth and auth.startswith("Bearer "))

    def _twilio_allowed(self, auth: str | None) -> bool:
        if self.twilio_auth is not None:
            pair = ":".join(self.twilio_auth).encode()
            return auth == "Basic " + base64.b64encode(pair).decode()
        return bool(auth and auth.startswith("Basic "))

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        """Block until at least `count` messages arrived (or time runs out); return them all."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.sent) >= count, timeout)
            return list(self.sent)

    def texts_to(self, phone: str) -> list[str]:
        """What `phone` received, in order: text bodies, interactive bodies, template names."""
        out = []
        for record in list(self.sent):
            if record["provider"] == "meta" and record["json"].get("to") == phone.lstrip("+"):
                body = record["json"]
                kind = body["type"]
                if kind == "text":
                    out.append(body["text"]["body"])
                elif kind == "interactive":
                    out.append(body["interactive"]["body"]["text"])
                else:
                    out.append(f"<{kind}:{body.get(kind, {}).get('name', '')}>")
            elif record["provider"] == "twilio" and record["form"]["To"].endswith(phone):
                out.append(
                    record["form"].get("Body") or f"<template:{record['form'].get('ContentSid')}>"
                )
        return out


def _meta_error(status: int, code: int, message: str) -> tuple[int, dict, bytes]:
    body = {"error": {"message": message, "type": "OAuthException", "code": code}}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _twilio_error(status: int, code: int, message: str) -> tuple[int, dict, bytes]:
    body = {"code": code, "message": message, "status": status}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def request_record(path: str, raw: bytes, auth: str | None) -> dict:
    """What is recorded of a POST: provider, path, body (Twilio's form, Meta's JSON), auth."""
    if "/Messages.json" in path:
        record: dict = {"provider": "twilio", "path": path, "form": dict(parse_qsl(raw.decode()))}
    else:
        record = {"provider": "meta", "path": path, "json": json.loads(raw)}
    record["auth"] = auth
    return record


def is_receipt(record: dict) -> bool:
    """Whether a recorded POST is a Meta read receipt or typing indicator, not a message."""
    return record["provider"] == "meta" and record["json"].get("status") == "read"


def answer(record: dict, n: int) -> dict:
    """The provider's answer to the `n`-th POST: a message id, or Meta's receipt success."""
    if record["provider"] == "twilio":
        return {"sid": f"SM{n:032d}", "status": "queued"}
    if is_receipt(record):
        return {"success": True}
    to = record["json"].get("to", "")
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": f"wamid.fake{n}"}],
    }
