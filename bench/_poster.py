"""POSTs to the webhook from a `GraphSink`'s thread: keep-alive connections, no thread of their own.

The end-to-end bench's customers used to post from a pool of threads through `http.client`:
per message a thread woke another (the reply's arrival, the pool's queue) and `http.client`
parsed each answer's headers with the `email` package, which together cost the bench process
more CPU than the post itself. Here each request is sent in one write on a non-blocking socket
the sink's selector watches, and the answer's status line, Content-Length and body are read
when they arrive. A failure reads as `http.client` would report it (`RemoteDisconnected` for a
connection the server closed).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from bench._graph_sink import GraphSink

_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)
K = TypeVar("K", bound=Hashable)


class Posters(Generic[K]):
    """At most `connections` POSTs in flight, driven by a `GraphSink`'s thread (none of its own).

    `submit(key)` (in the sink's thread) queues a POST; when a connection is free, `build(key)`
    gives its headers and body, and `settle(key, (status, answer), attempt)` gets the outcome:
    `(0, {"error": ...})` for a failure. A connection the server closed is retried once on a new
    one with the same bytes, as the posting threads do; any other failure is not.
    """

    def __init__(
        self,
        sink: GraphSink,
        port: int,
        path: str,
        connections: int,
        build: Callable[[K], tuple[dict[str, str], bytes]],
        settle: Callable[[K, tuple[int, dict], int], object],
    ) -> None:
        self.sink, self.build, self.settle = sink, build, settle
        self._prefix = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
        self._address = ("127.0.0.1", port)
        self._posts = [_Post[K](self) for _ in range(connections)]
        self._idle = list(self._posts)
        self._waiting: deque[K] = deque()

    def submit(self, key: K) -> None:
        """Post `key`'s request now, or as soon as a connection is free (the sink's thread)."""
        if self._idle:
            self._idle.pop().start(key)
        else:
            self._waiting.append(key)

    def overdue(self, seconds: float) -> list[K]:
        """Keys whose POST has waited longer than `seconds` for its answer (any thread)."""
        now = time.monotonic()
        return [p.key for p in self._posts if p.key is not None and now - p.since > seconds]

    def request(self, key: K) -> bytes:
        """The whole HTTP request of `key`."""
        headers, body = self.build(key)
        fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = b"%s%sContent-Length: %d\r\n\r\n" % (self._prefix, fields.encode(), len(body))
        return head + body

    def free(self, post: _Post[K]) -> None:
        """`post` has settled its request: give it the next one waiting, if any."""
        if self._waiting:
            post.start(self._waiting.popleft())
        else:
            self._idle.append(post)

    def connect(self) -> socket.socket:
        """A new non-blocking connection (the connect itself is immediate on 127.0.0.1)."""
        sock = socket.create_connection(self._address, 10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        return sock


class _Post(Generic[K]):
    """One keep-alive connection of `Posters`, with at most one request in flight."""

    def __init__(self, posters: Posters[K]) -> None:
        self.posters = posters
        self.sock: socket.socket | None = None
        self.key: K | None = None
        self.request = b""
        self.attempt = 0
        self.data = b""
        self.since = 0.0

    def start(self, key: K, attempt: int = 1, request: bytes | None = None) -> None:
        self.since = time.monotonic()
        self.key, self.attempt, self.data = key, attempt, b""
        self.request = self.posters.request(key) if request is None else request
        try:
            if self.sock is None:
                self.sock = self.posters.connect()
                self.posters.sink.watch(self.sock, self)
            self.sock.sendall(self.request)  # a few hundred bytes into an idle connection
        except OSError as exc:
            self._failed(exc)

    def read(self) -> bool:
        if self.sock is None:
            return True  # an event of a connection already dropped
        try:
            more = self.sock.recv(65536)
        except BlockingIOError:
            return True
        except OSError as exc:
            self._failed(exc)
            return True
        if not more:  # gunicorn closes an idle keep-alive connection after 2 s
            self._failed(http.client.RemoteDisconnected("the server closed the connection"))
            return True
        self.data += more
        head, found, body = self.data.partition(b"\r\n\r\n")
        length = _LENGTH.search(head)
        if not found or (length is not None and len(body) < int(length[1])):
            return True
        if self.key is None or not head.startswith(b"HTTP/1.") or length is None:
            self._failed(http.client.HTTPException(f"unexpected answer {head[:80]!r}"))
            return True
        status = int(head[9:12])
        key, self.key = self.key, None
        if _CLOSE.search(head):
            self._drop()
        self.posters.settle(key, (status, json.loads(body) if status == 200 else {}), self.attempt)
        self.posters.free(self)
        return True

    def _failed(self, exc: Exception) -> None:
        self._drop()
        key = self.key
        if key is None:  # nothing in flight: the next request opens a new connection
            return
        self.key = None
        if self.attempt == 1 and isinstance(exc, ConnectionError | EOFError):
            self.start(key, 2, self.request)  # a repeat is answered as a duplicate
            return
        self.posters.settle(key, (0, {"error": repr(exc)}), self.attempt)
        # Later, not here: with the server gone, every waiting request would fail in one stack.
        self.posters.sink.call_soon(lambda: self.posters.free(self))

    def _drop(self) -> None:
        if self.sock is not None:
            self.posters.sink.unwatch(self.sock)
            self.sock.close()
            self.sock = None
