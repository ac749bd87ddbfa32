"""A small OpenAI-compatible server for tests, on 127.0.0.1: chat completions and transcriptions."""

from __future__ import annotations

import io
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from werkzeug.formparser import parse_form_data


class FakeOpenAI:
    """Answers tool calls from a queue of Reading arguments; phrases by prefixing the draft."""

    def __init__(self) -> None:
        self.readings: deque[dict] = deque()
        self.requests: list[dict] = []
        self.phrase_prefix = "¡Claro! "
        self.by_text: dict[str, dict] = {}  # customer text -> Reading arguments
        self.hang_once_on: str | None = None  # the first read of this text never answers
        self.hanging = threading.Event()
        # request body -> (HTTP status, error body): every request fails, as an outage would
        self.fail_with = None
        # /audio/transcriptions: the words of each audio file (by its bytes), and every upload as
        # it was parsed: {"path", "auth", "content_type", "form", "files": [{"field",
        # "filename", "content_type", "content"}]}
        self.transcripts: dict[bytes, str] = {}
        self.uploads: list[dict] = []
        self.transcription_status = 200  # another status: every transcription fails with it
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                if self.path.endswith("/audio/transcriptions"):
                    server.transcribe(self)
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                )
                status, reply = (
                    server.fail_with(body) if server.fail_with else (200, server.answer(body))
                )
                answer = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def transcribe(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer an upload as OpenAI does: {"text": ...}, or an error body."""
        raw = handler.rfile.read(int(handler.headers["Content-Length"]))
        environ = {
            "wsgi.input": io.BytesIO(raw),
            "CONTENT_LENGTH": str(len(raw)),
            "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
            "REQUEST_METHOD": "POST",
        }
        _, form, files = parse_form_data(environ)
        parts: list[dict[str, Any]] = []
        for field, part in files.items(multi=True):
            content = part.read()
            part.close()  # a SpooledTemporaryFile: left open, it warns when collected
            parts.append(
                {
                    "field": field,
                    "filename": part.filename,
                    "content_type": part.mimetype,
                    "content": content,
                }
            )
        fields = form.to_dict()
        upload: dict[str, Any] = {
            "path": handler.path,
            "auth": handler.headers.get("Authorization"),
            "content_type": handler.headers.get("Content-Type", ""),
            "form": fields,
            "files": parts,
        }
        self.uploads.append(upload)
        audio: bytes = parts[0]["content"] if parts else b""
        reply: dict[str, Any]
        status, reply = 200, {"text": self.transcripts.get(audio, "")}
        if self.transcription_status != 200:
            error: dict[str, Any] = {"message": "transcription failed", "type": "server_error"}
            status, reply = self.transcription_status, {"error": error}
        elif "model" not in fields or not parts:
            error = {"message": "file and model are required", "type": "invalid_request_error"}
            status, reply = 400, {"error": error}
        answer = json.dumps(reply).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def answer(self, body: dict) -> dict:
        """The chat completion this server gives for a request `body`."""
        if body.get("tools"):
            said = body["messages"][-1]["content"]
            if said == self.hang_once_on and not self.hanging.is_set():
                self.hanging.set()
                threading.Event().wait(60)  # a model that never answers (the test kills the caller)
            if said in self.by_text:
                args = self.by_text[said]
            else:
                args = self.readings.popleft() if self.readings else {"intent": "unknown"}
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{len(self.requests)}",
                        "type": "function",
                        "function": {"name": "Reading", "arguments": json.dumps(args)},
                    }
                ],
            }
            finish = "tool_calls"
        else:
            draft = body["messages"][-1]["content"].split("DRAFT:\n", 1)[1].strip()
            message = {"role": "assistant", "content": self.phrase_prefix + draft}
            finish = "stop"
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
