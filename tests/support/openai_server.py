"""A small OpenAI-compatible chat-completions server for tests, on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
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

    def answer(self, body: dict) -> dict:
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
