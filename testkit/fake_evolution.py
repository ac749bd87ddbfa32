"""A local stand-in for an Evolution API 2.3.6 server on 127.0.0.1 (tests).

Routes, required fields and answers follow tests/data/evolution/rest.md and the recorded
answers in rest-responses/: a request the real server would refuse is refused the same way
(400 with the validation message, 401 without the right `apikey`, 404 for an unknown instance
or route), so a test that passes here sends what Evolution takes. Every request is recorded.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

DATA = Path(__file__).parents[1] / "tests" / "data" / "evolution" / "rest-responses"
PRESENCES = ("unavailable", "available", "composing", "recording", "paused")
MEDIA_TYPES = ("image", "video", "document", "audio")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_ROUTE = re.compile(r"/(?P<route>[A-Za-z]+/[A-Za-z0-9]+)(?:/(?P<instance>[^/?]+))?")


def recorded(name: str) -> dict[str, Any]:
    """One of the recorded answers in tests/data/evolution/rest-responses/."""
    answer: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return answer


class FakeEvolution:
    """An Evolution server with one global key; instances appear on create (or up front).

    `state[name]` is each instance's connection state; `connect` answers a QR code until
    `qr_before_open` QR codes were shown, then the instance is open. `media[message_id]` are
    the files getBase64FromMediaMessage serves. `fail_next` queues (status, body) answers for
    the next message sends.
    """

    def __init__(self, *, api_key: str, instances: dict[str, str] | None = None) -> None:
        self.api_key = api_key
        self.state: dict[str, str] = dict(instances or {})
        self.webhooks: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.fail_next: list[tuple[int, dict]] = []
        self.qr_before_open = 2
        self.qr_shown = 0
        self.changed = threading.Condition()
        ids = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _handle(self, method: str) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                record = {
                    "method": method,
                    "path": urlsplit(self.path).path,
                    "json": body,
                    "apikey": self.headers.get("apikey"),
                    "authorization": self.headers.get("Authorization"),
                }
                status, answer = server._route(record, next(ids))
                record["status"], record["answer"] = status, answer
                with server.changed:
                    server.requests.append(record)
                    server.changed.notify_all()
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeEvolution:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # What tests read

    def sent(self) -> list[dict]:
        """The accepted message sends (sendText, sendMedia), in order."""
        return [
            r
            for r in list(self.requests)
            if r["path"].startswith("/message/") and r["status"] == 201
        ]

    def texts_to(self, number: str) -> list[str]:
        """Texts accepted for `number` (digits or JID, as sent)."""
        return [r["json"]["text"] for r in self.sent() if r["json"].get("number") == number]

    def calls(self, route: str) -> list[dict]:
        """Every request to `route` (e.g. "chat/sendPresence"), whatever its answer."""
        return [
            r
            for r in list(self.requests)
            if r["path"].strip("/") == route or r["path"].strip("/").startswith(route + "/")
        ]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        """Block until `count` messages were accepted (or time runs out); return them."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.sent()) >= count, timeout)
        return self.sent()

    # The server

    def _route(self, record: dict, n: int) -> tuple[int, Any]:
        method, path, body = record["method"], record["path"], record["json"]
        match = _ROUTE.fullmatch(path)
        if match is None:
            return _error(404, "Not Found", [f"Cannot {method} {path}"])
        route, instance = match["route"], unquote(match["instance"] or "")
        handler = _HANDLERS.get((method, route))
        if handler is None:
            return _error(404, "Not Found", [f"Cannot {method} {path}"])
        if route == "instance/create":
            name = body.get("instanceName") if isinstance(body, dict) else None
            if isinstance(name, str) and name in self.state:  # checked before the key
                return recorded_error("error_403_instance_name_in_use", name)
            if record["apikey"] != self.api_key:
                return 401, recorded("error_401")
            return self._create(body, name, n)
        if instance not in self.state:  # the instance guard runs before authentication
            return _error(404, "Not Found", [f'The "{instance}" instance does not exist'])
        if record["apikey"] != self.api_key:
            return 401, recorded("error_401")
        if method == "POST" and not isinstance(body, dict):
            return _error(400, "Bad Request", ["instance is not of a type(s) object"])
        return handler(self, body, instance, n)

    def _send_text(self, body: dict, instance: str, n: int) -> tuple[int, Any]:
        problems = _required(body, {"number": str, "text": str})
        if problems:
            return _error(400, "Bad Request", problems)
        if not body["text"].strip():
            return _error(400, "Bad Request", ["Text is required"])
        if self.fail_next:
            return self.fail_next.pop(0)
        if self.state[instance] != "open":
            # rest.md: a failed send is 400 ["Error: <message>"]; Baileys' own message for a
            # socket that is down is "Connection Closed".
            return _error(400, "Bad Request", ["Error: Connection Closed"])
        answer = recorded("message_sendText_201")
        answer["key"]["id"] = f"3EB0{n:018X}"
        answer["key"]["remoteJid"] = _jid(body["number"])
        answer["message"] = {"conversation": body["text"]}
        return 201, answer

    def _send_media(self, body: dict, instance: str, n: int) -> tuple[int, Any]:
        problems = _required(body, {"number": str, "mediatype": str})
        if problems:
            return _error(400, "Bad Request", problems)
        if body["mediatype"] not in MEDIA_TYPES:
            return _error(400, "Bad Request", ["mediatype is not one of enum values"])
        media = body.get("media")
        is_url = isinstance(media, str) and media.startswith(("http://", "https://"))
        is_base64 = isinstance(media, str) and bool(_BASE64.fullmatch(media))
        if not (is_url or is_base64):
            return _error(400, "Bad Request", ["Owned media must be a url or base64"])
        if is_base64 and body["mediatype"] == "document" and not body.get("fileName"):
            return _error(400, "Bad Request", ["For base64 the file name must be informed."])
        if self.fail_next:
            return self.fail_next.pop(0)
        answer = recorded("message_sendMedia_document_201")
        answer["key"]["id"] = f"3EB0{n:018X}"
        answer["key"]["remoteJid"] = _jid(body["number"])
        return 201, answer

    def _presence(self, body: dict, instance: str, n: int) -> tuple[int, Any]:
        problems = _required(body, {"number": str, "presence": str, "delay": (int, float)})
        if problems:
            return _error(400, "Bad Request", problems)
        if body["presence"] not in PRESENCES:
            return _error(
                400,
                "Bad Request",
                [f"presence is not one of enum values: {','.join(PRESENCES)}"],
            )
        return 201, {"presence": body["presence"]}

    def _read(self, body: dict, instance: str, n: int) -> tuple[int, Any]:
        items = body.get("readMessages")
        if not isinstance(items, list) or not items:
            return _error(400, "Bad Request", ['instance requires property "readMessages"'])
        for item in items:
            problems = _required(item, {"id": str, "fromMe": bool, "remoteJid": str})
            if problems:
                return _error(400, "Bad Request", problems)
        return 201, recorded("chat_markMessageAsRead_201")

    def _base64(self, body: dict, instance: str, n: int) -> tuple[int, Any]:
        key = (
            body.get("message", {}).get("key", {}) if isinstance(body.get("message"), dict) else {}
        )
        message_id = key.get("id") if isinstance(key, dict) else None
        if message_id not in self.media:
            return _error(400, "Bad Request", ["Message not found"])
        content, mime_type = self.media[message_id]
        answer = recorded("chat_getBase64FromMediaMessage_201")
        answer.update(mimetype=mime_type, base64=base64.b64encode(content).decode())
        return 201, answer

    def _state(self, body: Any, instance: str, n: int) -> tuple[int, Any]:
        return 200, {"instance": {"instanceName": instance, "state": self.state[instance]}}

    def _connect(self, body: Any, instance: str, n: int) -> tuple[int, Any]:
        if self.state[instance] == "open":
            return 200, {"instance": {"instanceName": instance, "state": "open"}}
        if self.qr_shown >= self.qr_before_open:
            self.state[instance] = "open"  # the phone scanned the last code
            return 200, {"instance": {"instanceName": instance, "state": "open"}}
        self.qr_shown += 1
        self.state[instance] = "connecting"
        answer = recorded("instance_connect_qr_200")
        answer["count"] = self.qr_shown
        return 200, answer

    def _create(self, body: Any, name: Any, n: int) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(name, str) or not name:
            return _error(400, "Bad Request", ['The "instanceName" cannot be empty'])
        if body.get("integration") not in ("WHATSAPP-BAILEYS", "WHATSAPP-BUSINESS", "EVOLUTION"):
            return _error(400, "Bad Request", ["Invalid integration"])
        webhook = body.get("webhook")
        if webhook is not None:
            if not isinstance(webhook, dict) or "events" not in webhook:
                return _error(
                    400, "Bad Request", ["Cannot read properties of undefined (reading 'length')"]
                )
            self.webhooks[name] = webhook
        self.state[name] = "connecting" if body.get("qrcode") else "close"
        answer = recorded("instance_create_201")
        answer["instance"]["instanceName"] = name
        if body.get("qrcode"):
            self.qr_shown += 1
            answer["qrcode"]["count"] = self.qr_shown
        else:
            answer.pop("qrcode", None)
        return 201, answer

    def _webhook(self, body: dict, instance: str, n: int) -> tuple[int, Any]:
        webhook = body.get("webhook")
        if not isinstance(webhook, dict):
            return _error(400, "Bad Request", ['instance requires property "webhook"'])
        problems = _required(webhook, {"enabled": bool, "url": str})
        if problems:
            return _error(400, "Bad Request", problems)
        events = webhook.get("events")
        if webhook["enabled"] and not isinstance(events, list):
            return 500, {"status": 500, "error": "Internal Server Error", "response": {}}
        if isinstance(events, list) and any(not re.fullmatch(r"[A-Z_]+", e) for e in events):
            return _error(400, "Bad Request", ["events is not one of enum values"])
        self.webhooks[instance] = copy.deepcopy(webhook)
        answer = recorded("webhook_set_201")
        answer.update(
            url=webhook["url"],
            headers=webhook.get("headers", {}),
            events=events or [],
            webhookBase64=webhook.get("base64", False),
        )
        return 201, answer


_HANDLERS = {
    ("POST", "message/sendText"): FakeEvolution._send_text,
    ("POST", "message/sendMedia"): FakeEvolution._send_media,
    ("POST", "chat/sendPresence"): FakeEvolution._presence,
    ("POST", "chat/markMessageAsRead"): FakeEvolution._read,
    ("POST", "chat/getBase64FromMediaMessage"): FakeEvolution._base64,
    ("GET", "instance/connectionState"): FakeEvolution._state,
    ("GET", "instance/connect"): FakeEvolution._connect,
    ("POST", "instance/create"): FakeEvolution._create,
    ("POST", "webhook/set"): FakeEvolution._webhook,
}


def _required(body: Any, fields: dict[str, Any]) -> list[str]:
    """The messages jsonschema 1.5.0 gives for missing or mistyped required fields."""
    if not isinstance(body, dict):
        return ["instance is not of a type(s) object"]
    problems = []
    for name, kind in fields.items():
        if name not in body:
            problems.append(f'instance requires property "{name}"')
        elif not isinstance(body[name], kind) or (kind is not bool and body[name] is True):
            problems.append("Invalid format")
    return problems


def _jid(number: str) -> str:
    return number if "@" in number else f"{re.sub(r'[^0-9]', '', number)}@s.whatsapp.net"


def _error(status: int, error: str, messages: list) -> tuple[int, dict]:
    return status, {"status": status, "error": error, "response": {"message": messages}}


def recorded_error(name: str, instance: str) -> tuple[int, dict]:
    """A recorded error answer, naming `instance` where the recording names its own."""
    answer = json.loads(json.dumps(recorded(name)).replace("seguros-vida", instance))
    return int(answer["status"]), answer
