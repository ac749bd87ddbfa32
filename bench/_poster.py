"""One keep-alive HTTP/1.1 connection that POSTs to one path on 127.0.0.1, on a plain socket.

For the end-to-end bench's posting threads: `http.client` parses every answer's headers with the
`email` package, which costs the bench process more CPU than the post itself. This sends the
request in one write and reads the status line, Content-Length and body; failures raise what
`http.client` raises for them (`RemoteDisconnected` for a connection the server closed), so a
caller's retry treats both alike.
"""

from __future__ import annotations

import http.client
import json
import re
import socket

_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)


class Poster:
    """POSTs to `path` at 127.0.0.1:`port`, reconnecting when the connection was closed."""

    def __init__(self, port: int, path: str, timeout: float = 10.0) -> None:
        self._address = ("127.0.0.1", port)
        self._timeout = timeout
        self._prefix = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
        self._sock: socket.socket | None = None

    def post(self, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        """POST `body` with `headers`; the status and, for a 200, the JSON answer."""
        if self._sock is None:
            self._sock = socket.create_connection(self._address, self._timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self._sock
        fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall(
            b"%s%sContent-Length: %d\r\n\r\n%s" % (self._prefix, fields.encode(), len(body), body)
        )
        data = b""
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            if not more:
                self.close()
                raise http.client.RemoteDisconnected("the server closed the connection")
            data += more
        head, _, rest = data.partition(b"\r\n\r\n")
        length = _LENGTH.search(head)
        if not head.startswith(b"HTTP/1.") or length is None:
            self.close()
            raise http.client.HTTPException(f"unexpected answer {head[:80]!r}")
        while len(rest) < int(length[1]):
            more = sock.recv(65536)
            if not more:
                self.close()
                raise http.client.IncompleteRead(rest, int(length[1]) - len(rest))
            rest += more
        if _CLOSE.search(head):
            self.close()
        status = int(head[9:12])
        return status, json.loads(rest) if status == 200 else {}

    def close(self) -> None:
        """Close the connection; the next post opens a new one."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class HttpClientPoster:
    """The same, through `http.client` (the bench's posting before `Poster`; `--harness fake`)."""

    def __init__(self, port: int, path: str, timeout: float = 10.0) -> None:
        self._path = path
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post(self, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        """POST `body` with `headers`; the status and, for a 200, the JSON answer."""
        self._conn.request("POST", self._path, body=body, headers=headers)
        answer = self._conn.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if answer.status == 200 else {}

    def close(self) -> None:
        """Close the connection; the next post opens a new one (http.client reopens it)."""
        self._conn.close()
