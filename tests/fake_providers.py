"""Local stand-ins for Meta's Graph API and Twilio's Messages API on 127.0.0.1 (tests, bench)."""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class FakeProviders:
    """Records every message sent to it; `fail_next` queues error answers (status, body)."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.fail_next: deque[tuple[int, dict]] = deque()
        self.changed = threading.Condition()
        ids = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each reply waits ~40 ms for a delayed ACK

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if "/Messages.json" in self.path:
                    record = {
                        "provider": "twilio",
                        "path": self.path,
                        "form": dict(parse_qsl(raw.decode())),
                    }
                else:
                    record = {"provider": "meta", "path": self.path, "json": json.loads(raw)}
                record["auth"] = self.headers.get("Authorization")
                with server.changed:
                    receipt = _is_receipt(record)
                    failure = (
                        server.fail_next.popleft() if server.fail_next and not receipt else None
                    )
                    if failure is None and not receipt:
                        server.sent.append(record)
                    server.changed.notify_all()
                status, body = failure or (200, server._answer(record, next(ids)))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeProviders:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @staticmethod
    def _answer(record: dict, n: int) -> dict:
        if record["provider"] == "twilio":
            return {"sid": f"SM{n:032d}", "status": "queued"}
        if _is_receipt(record):
            return {"success": True}
        to = record["json"].get("to", "")
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.fake{n}"}],
        }

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


def _is_receipt(record: dict) -> bool:
    return record["provider"] == "meta" and record["json"].get("status") == "read"
