"""A lean stand-in for Meta's Graph API, for the end-to-end bench: one thread, one selector.

It answers and records POSTs exactly as `testkit.fake_providers.FakeProviders` does (the same
`request_record`, `is_receipt` and `answer`), so the bench's checks read the same records. What
it leaves out is what costs the bench process CPU and the bench does not use: a thread per
connection, `http.server`'s header parsing (the `email` package), media downloads, queued
failures, and a wake-up of the waiting thread for every read receipt. A plain selector loop
rather than asyncio: asyncio's callbacks cost more per request than the request itself here.
The bench's own posts run in the same loop (`watch`, `call_soon`, `on_message`; see
`bench/_poster.py`), so no thread wakes another per message.

HTTP/1.1 keep-alive, TCP_NODELAY, requests with a Content-Length body (what `requests` sends);
anything else gets a 4xx, is counted in `errors` and closes the connection.
"""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import json
import re
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Protocol

from testkit.fake_providers import answer, is_receipt, request_record

_MAX_HEAD = 64 * 1024
_FIELDS = re.compile(
    r"\r\n(content-length|authorization|connection|transfer-encoding|expect)[ \t]*:[ \t]*"
    r"([^\r]*?)[ \t]*(?=\r|$)",
    re.IGNORECASE,
)
_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: %s\r\nContent-Length: %d\r\n\r\n"
_Head = tuple[str, int, str | None, bool]  # path, body length, Authorization, close after


class GraphSink:
    """Records every POST (`sent`, `receipts`) and answers it as Meta does; `wait_for` as the fake.

    `changed` is notified when a message (not a receipt) arrives; `on_message`, when set, is
    called with its record in the sink's thread once it has been answered: a caller that reacts
    to every reply (the bench's customers write again) needs no thread of its own waking for it.
    """

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.receipts: list[dict] = []  # Meta read receipts and typing indicators
        self.errors: list[str] = []  # requests answered 4xx: none expected
        self.changed = threading.Condition()
        self.on_message: Callable[[dict], object] | None = None
        self._ids = itertools.count(1)
        self._date = (0, b"")
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stopping = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._soon: deque[Callable[[], object]] = deque()
        self._wake_read, self._wake = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name="graph-sink", daemon=True)

    def __enter__(self) -> GraphSink:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self._thread.join(10)

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run `callback` in the sink's thread (from any thread)."""
        self._soon.append(callback)
        self._wake.send(b"x")

    def watch(self, sock: socket.socket, reader: _Reader) -> None:
        """Have the sink's thread call `reader.read()` whenever `sock` is readable (its thread)."""
        self._selector.register(sock, selectors.EVENT_READ, reader)

    def unwatch(self, sock: socket.socket) -> None:
        """Stop watching `sock` (the sink's thread only); closing it is the caller's."""
        self._selector.unregister(sock)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        """Block until at least `count` messages arrived (or time runs out); return them all."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.sent) >= count, timeout)
            return list(self.sent)

    def respond(self, path: str, raw: bytes, auth: str | None) -> tuple[bytes, dict | None]:
        """Record one POST: the whole HTTP answer to it, and its record if it is a message."""
        record = request_record(path, raw, auth)
        receipt = is_receipt(record)
        with self.changed:
            if receipt:
                self.receipts.append(record)
            else:
                self.sent.append(record)
                self.changed.notify_all()
        body = json.dumps(answer(record, next(self._ids))).encode()
        head = _OK % (self._date_now(), len(body))
        return head + body, None if receipt else record

    def _date_now(self) -> bytes:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, email.utils.formatdate(now, usegmt=True).encode())
        return self._date[1]

    def _serve(self) -> None:
        selector = self._selector
        selector.register(self._listener, selectors.EVENT_READ)
        waker = _Waker(self._wake_read, self._soon, self.errors)
        selector.register(self._wake_read, selectors.EVENT_READ, waker)
        try:
            while not self._stopping.is_set():
                for key, _ in selector.select(0.1):
                    if key.data is None:
                        sock, _ = self._listener.accept()
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        selector.register(sock, selectors.EVENT_READ, _Connection(self, sock))
                        continue
                    try:
                        open_ = key.data.read()
                    except Exception as exc:  # noqa: BLE001 - the run must fail, the sink go on
                        self.errors.append(f"{type(key.data).__name__}: {exc!r}")
                        open_ = False
                    if not open_ and key.fd in selector.get_map():
                        selector.unregister(key.fileobj)
                        key.fileobj.close()  # type: ignore[union-attr]
        finally:
            for key in list(selector.get_map().values()):
                key.fileobj.close()  # type: ignore[union-attr]
            selector.close()
            self._wake.close()


class _Reader(Protocol):
    def read(self) -> bool:
        """Take what arrived; False when the sink should unwatch and close the socket."""
        ...


class _Waker:
    """Runs the callbacks queued by `GraphSink.call_soon`, in the sink's thread."""

    def __init__(
        self, sock: socket.socket, soon: deque[Callable[[], object]], errors: list[str]
    ) -> None:
        self.sock = sock
        self.soon = soon
        self.errors = errors

    def read(self) -> bool:
        self.sock.recv(4096)
        while self.soon:
            callback = self.soon.popleft()
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - the run must fail, the sink go on
                self.errors.append(f"call_soon: {exc!r}")
        return True


class _Connection:
    """One keep-alive connection: requests parsed as their bytes arrive, answered in order.

    The socket stays blocking: it is read only when the selector says so, and an answer of a
    few hundred bytes always fits the send buffer of a client that is waiting for it.
    """

    def __init__(self, sink: GraphSink, sock: socket.socket) -> None:
        self.sink = sink
        self.sock = sock
        self.buffer = b""
        self.head: _Head | None = None

    def read(self) -> bool:
        """Take what arrived and answer every complete request; False once the connection ends."""
        try:
            data = self.sock.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        self.buffer += data
        while True:
            if self.head is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return len(self.buffer) <= _MAX_HEAD or self._refuse(431, "head too large")
                head = self.buffer[:end].decode("latin-1")
                self.buffer = self.buffer[end + 4 :]
                self.head = self._parse(head)
                if self.head is None:
                    return False
            path, length, auth, close = self.head
            if len(self.buffer) < length:
                return True
            raw, self.buffer, self.head = self.buffer[:length], self.buffer[length:], None
            try:
                response, message = self.sink.respond(path, raw, auth)
            except ValueError as exc:  # not JSON (FakeProviders' handler fails on it too)
                return self._refuse(400, f"{path}: {exc}")
            try:
                self.sock.sendall(response)
            except OSError:
                return False
            if message is not None and (hook := self.sink.on_message) is not None:
                try:
                    hook(message)
                except Exception as exc:  # noqa: BLE001 - the run must fail, the sink go on
                    self.sink.errors.append(f"on_message: {exc!r}")
            if close:
                return False

    def _parse(self, head: str) -> _Head | None:
        line, _, _ = head.partition("\r\n")
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "POST" or not parts[2].startswith("HTTP/1."):
            self._refuse(405, f"not a POST: {line[:80]!r}")
            return None
        # Only the fields that matter here, found in one pass rather than every line split.
        fields = {name.lower(): value for name, value in _FIELDS.findall(head)}
        length = fields.get("content-length", "")
        if "transfer-encoding" in fields or not length.isdigit():
            self._refuse(411, "a body without Content-Length")
            return None
        if fields.get("expect", "").lower() == "100-continue":  # as http.server answers it
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        connection = fields.get("connection", "").lower()
        close = connection == "close" or (parts[2] == "HTTP/1.0" and connection != "keep-alive")
        return parts[1], int(length), fields.get("authorization"), close

    def _refuse(self, status: int, problem: str) -> bool:
        """Answer `status` and end the connection (returns False, for `read`)."""
        self.sink.errors.append(f"{status} {problem}")
        body = json.dumps({"error": {"message": problem, "code": 100}}).encode()
        phrase = HTTPStatus(status).phrase.encode()
        with contextlib.suppress(OSError):
            self.sock.sendall(
                b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                b"Connection: close\r\n\r\n%s" % (status, phrase, len(body), body)
            )
        return False
