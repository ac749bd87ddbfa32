"""A provider POST by libcurl (pycurl): the exchange `HTTPAdapter.send` makes, for less CPU.

requests prepares the request and builds the `Response` (from a urllib3 `HTTPResponse` over
the bytes libcurl received, so content decoding stays requests' own); libcurl only moves bytes.
Its errors are raised as the requests exceptions urllib3's would become, with the same urllib3
reasons inside, since the retry policy and `network_error` decide on them.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from http.client import HTTPMessage, parse_headers
from types import SimpleNamespace
from typing import Any

import pycurl
import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import (
    ChunkedEncodingError,
    ConnectionError,
    ConnectTimeout,
    InvalidProxyURL,
    InvalidURL,
    ProxyError,
    ReadTimeout,
    SSLError,
)
from requests.utils import prepend_scheme_if_needed, select_proxy, urldefragauth
from urllib3 import HTTPHeaderDict, HTTPResponse
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import ProxyError as _ProxyError
from urllib3.exceptions import SSLError as _SSLError
from urllib3.util import Timeout, parse_url

# No limit of ours (libcurl's 0 means its own 300 s default for connecting).
_FOREVER_MS = 2**31 - 1

# Headers libcurl adds to a POST unless told otherwise ("Name:" removes one): the request
# carries what requests put in it and nothing more.
_CURL_ADDS = ("Accept", "Expect", "Proxy-Connection")  # and Content-Type: see `post`

# libcurl's errors about TLS (certificates, handshake, keys), as urllib3's SSLError.
_TLS = frozenset({35, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 98})
_PROXY_UNREACHABLE = frozenset({5, 7, 97})  # resolve, connect, proxy handshake
_COULDNT_RESOLVE_HOST, _COULDNT_CONNECT, _URL_MALFORMAT, _TIMED_OUT = 6, 7, 3, 28
_NOT_RESENT = 65  # CURLE_SEND_FAIL_REWIND: the connection closed unanswered, see `post`

# CURLOPT_SUPPRESS_CONNECT_HEADERS (libcurl 7.54), which pycurl has no name for.
_SUPPRESS_CONNECT_HEADERS = getattr(pycurl, "SUPPRESS_CONNECT_HEADERS", 265)

# What every POST's handle is told, whatever its route: HTTP/1.1 as urllib3 speaks it, and
# nothing done for us that requests does.
_EVERY_POST = (
    (pycurl.NOSIGNAL, 1),  # timeouts without SIGALRM: handles are used by threads
    (pycurl.POST, 1),
    (pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS),
    (pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1),
    (pycurl.FOLLOWLOCATION, 0),  # requests follows redirects (and drops credentials)
    (pycurl.HTTP_CONTENT_DECODING, 0),  # requests decodes, as it always has
    (pycurl.PATH_AS_IS, 1),  # the path requests prepared, "/../" and all
    (pycurl.HEADEROPT, pycurl.HEADER_SEPARATE),  # a proxy's CONNECT never gets our headers
    (_SUPPRESS_CONNECT_HEADERS, 1),  # nor do we see its answer to CONNECT as the answer
)


_TLS_OPTIONS = (
    (pycurl.SSL_VERIFYPEER, pycurl.SSL_VERIFYHOST, pycurl.CAINFO, pycurl.CAPATH),
    (
        pycurl.PROXY_SSL_VERIFYPEER,
        pycurl.PROXY_SSL_VERIFYHOST,
        pycurl.PROXY_CAINFO,
        pycurl.PROXY_CAPATH,
    ),
)


@dataclass(frozen=True, slots=True)
class CurlRoute:
    """What libcurl is told for every POST on one route: URL, proxy, TLS; worked out once."""

    target: str  # what urllib3 would have asked for (its errors name it)
    origin: str  # "host:port", where urllib3's errors name their pool or connection
    proxy: str  # "" when requests would use none
    tunnel: bool  # an https URL through a proxy: CONNECT first
    options: tuple[tuple[int, Any], ...]  # (option, value); None unsets it
    headers: tuple[bytes, ...]  # the template's header lines but the body's own
    typed: bool  # the template has a Content-Type: the body's preparation leaves it be


def curl_route(
    adapter: HTTPAdapter, template: requests.PreparedRequest, settings: dict[str, Any], target: str
) -> CurlRoute:
    """The route requests' adapter would take: its proxy for the URL, its TLS settings.

    The same checks as requests', raising the same errors: a malformed proxy URL, a CA bundle
    or client certificate that isn't there.
    """
    url = template.url or ""
    proxy = select_proxy(url, settings["proxies"]) or ""
    if proxy:
        proxy = prepend_scheme_if_needed(proxy, "http")
        if not parse_url(proxy).host:
            raise InvalidProxyURL(
                "Please check proxy URL. It is malformed and could be missing the host."
            )
    tls = SimpleNamespace(ca_certs=None, ca_cert_dir=None, cert_file=None, key_file=None)
    adapter.cert_verify(tls, url, settings["verify"], settings["cert"])
    verify = tls.cert_reqs == "CERT_REQUIRED"
    options: list[tuple[int, Any]] = [
        (pycurl.URL, urldefragauth(url)),  # credentials in the URL are in Authorization already
        (pycurl.PROXY, proxy),  # "" also keeps libcurl from reading *_proxy variables itself
        (pycurl.NOPROXY, ""),  # requests has applied no_proxy already
    ]
    for peer, host, ca_file, ca_dir in _TLS_OPTIONS:  # the server's, and an HTTPS proxy's
        options += [(peer, int(verify)), (host, 2 if verify else 0)]
        options += [(ca_file, tls.ca_certs), (ca_dir, tls.ca_cert_dir)]
    # A client certificate and key only when there is one: pycurl can't unset them (a reset does).
    options += [
        (key, path)
        for key, path in [(pycurl.SSLCERT, tls.cert_file), (pycurl.SSLKEY, tls.key_file)]
        if path
    ]
    where = parse_url(url)
    origin = f"{where.host}:{where.port or (443 if where.scheme == 'https' else 80)}"
    tunnel = bool(proxy) and url.startswith("https:")
    fixed = template.headers
    lines = [_line(k, v) for k, v in fixed.items() if k.lower() != "content-length"]
    lines += [name.encode() + b":" for name in _CURL_ADDS if name not in fixed]
    typed = "Content-Type" in fixed
    return CurlRoute(target, origin, proxy, tunnel, tuple(options), tuple(lines), typed)


@functools.lru_cache(maxsize=32)
def limits(timeout: Any) -> tuple[int, int]:
    """CONNECTTIMEOUT_MS and TIMEOUT_MS (0: none) for a timeout as requests takes it.

    urllib3 limits each wait for bytes from the server by the read timeout; libcurl has no
    such limit, so the read timeout becomes a limit on the whole exchange of connect + read
    seconds. A server that answers within the read timeout after connecting is always in
    time; one that trickles the answer slower than that overall is cut off, where urllib3
    would wait as long as each piece came within the read timeout. The urllib3 `Timeout`
    requests would make is made first, so bad values raise the same errors.
    """
    if isinstance(timeout, tuple):
        try:
            connect, read = timeout
        except ValueError:
            raise ValueError(
                f"Invalid timeout {timeout}. Pass a (connect, read) timeout tuple, "
                f"or a single float to set both timeouts to the same value."
            ) from None
        spec = Timeout(connect=connect, read=read)
    elif isinstance(timeout, Timeout):
        spec = timeout
    else:
        spec = Timeout(connect=timeout, read=timeout)
    connect, read = _seconds(spec.connect_timeout), _seconds(spec.read_timeout)
    total = None if connect is None or read is None else connect + read
    if (cap := _seconds(spec.total)) is not None:
        total = cap if total is None else min(total, cap)
    connect_ms = _FOREVER_MS if connect is None else max(1, round(connect * 1000))
    return connect_ms, 0 if total is None else max(1, round(total * 1000))


def _seconds(value: Any) -> float | None:
    """A timeout's seconds, or None for none (urllib3's default-timeout marker included)."""
    return float(value) if isinstance(value, int | float) else None


class CurlPoster:
    """libcurl easy handles for one session, each used by one thread at a time.

    A handle keeps its connections open between POSTs (libcurl's connection cache is per
    handle), so handles are kept for reuse: a thread takes an idle one, or makes one when
    none is idle, and gives it back. There are never more handles, nor connections to one
    origin, than threads that posted at the same time.
    """

    def __init__(self) -> None:
        """No handles until the first POST."""
        self._idle: list[_Handle] = []

    def post(
        self, route: CurlRoute, prepared: requests.PreparedRequest, timeout: Any
    ) -> tuple[HTTPResponse, float]:
        """POST `prepared` on `route`: the answer, read whole, and seconds to its first byte.

        `prepared` has the headers of the route's template and those its body's preparation
        sets (Content-Length, and Content-Type where the template has none).
        """
        body = prepared.body
        data = body.encode() if isinstance(body, str) else body or b""  # as urllib3 encodes
        headers = prepared.headers
        lines = list(route.headers)
        if not route.typed:
            kind = headers.get("Content-Type")
            lines.append(b"Content-Type:" if kind is None else _line("Content-Type", kind))
        if (length := headers.get("Content-Length")) is not None:
            lines.append(_line("Content-Length", length))
        connect_ms, total_ms = limits(timeout)
        received: list[bytes] = []
        content = io.BytesIO()
        try:
            handle = self._idle.pop()  # atomic: a handle goes to one thread only
        except IndexError:
            handle = _Handle()
        try:
            curl = handle.serve(route)
            curl.setopt(pycurl.HTTPHEADER, lines)
            # The body from a stream it can't rewind, not POSTFIELDS: libcurl sends a request
            # again on a new connection when a reused one closed without a byte of answer (the
            # server may have acted on it), but not one whose body it would have to rewind. So
            # it fails, as urllib3 does (_NOT_RESENT); an empty body never comes here.
            curl.setopt(pycurl.POSTFIELDSIZE, len(data))
            curl.setopt(pycurl.READFUNCTION, io.BytesIO(data).read)
            curl.setopt(pycurl.CONNECTTIMEOUT_MS, connect_ms)
            curl.setopt(pycurl.TIMEOUT_MS, total_ms)
            curl.setopt(pycurl.HEADERFUNCTION, received.append)
            curl.setopt(pycurl.WRITEFUNCTION, content.write)
            try:
                curl.perform()
            except pycurl.error as e:
                raise _error(e, curl, route, prepared, _head(received)) from e
            first_byte = curl.getinfo(pycurl.STARTTRANSFER_TIME_T) / 1e6
        finally:
            self._idle.append(handle)
        head = _head(received)
        if head is None:  # libcurl reported success without a whole answer
            aborted = ProtocolError("Connection aborted.", "no final status line")
            raise ConnectionError(aborted, request=prepared)
        content.seek(0)
        return _response(head, content), first_byte

    def close(self) -> None:
        """Close the idle handles and their connections."""
        while self._idle:
            self._idle.pop().curl.close()


class _Handle:
    """An easy handle, and the route it was last set up for."""

    __slots__ = ("curl", "route")

    def __init__(self) -> None:
        """A new handle, set up on its first route."""
        self.curl = pycurl.Curl()
        self.route: CurlRoute | None = None

    def serve(self, route: CurlRoute) -> pycurl.Curl:
        """The handle set up for `route`: options reset when the route changes."""
        if self.route is not route:
            self.curl.reset()  # options only: open connections and DNS and TLS caches stay
            for option, value in (*_EVERY_POST, *route.options):
                self.curl.unsetopt(option) if value is None else self.curl.setopt(option, value)
            self.route = route
        return self.curl


def _line(name: str | bytes, value: str | bytes) -> bytes:
    """A request header line as http.client writes it (name ASCII, value Latin-1)."""
    raw_name = name.encode("ascii") if isinstance(name, str) else name
    raw_value = value.encode("latin-1") if isinstance(value, str) else value
    # "Name:" would make libcurl drop the header; "Name;" sends it empty.
    return raw_name + b": " + raw_value if raw_value else raw_name + b";"


@dataclass(frozen=True, slots=True)
class _Head:
    """The final answer's status line and header lines.

    Left out: a proxy's answer to CONNECT and 1xx answers (blocks before it), trailers.
    """

    version: bytes
    status: int
    reason: bytes
    lines: list[bytes]


def _head(received: list[bytes]) -> _Head | None:
    """The last complete status line and header block libcurl passed on, if any."""
    start = None
    for n in range(len(received) - 1, -1, -1):
        if received[n].startswith(b"HTTP/"):
            start = n
            break
    if start is None:
        return None
    version, _, rest = received[start].rstrip(b"\r\n").partition(b" ")
    code, _, reason = rest.partition(b" ")
    lines: list[bytes] = []
    for line in received[start + 1 :]:
        if line in (b"\r\n", b"\n"):
            status = int(code)
            return None if status < 200 else _Head(version, status, reason.strip(), lines)
        lines.append(line)
    return None  # the header block never ended


def _response(head: _Head, content: io.BytesIO) -> HTTPResponse:
    """The urllib3 response requests builds its `Response` from (and decodes the body of)."""
    headers = HTTPHeaderDict()
    name = ""
    for line in head.lines:
        if line[:1] in (b" ", b"\t") and name:  # an obsolete folded continuation line
            headers[name] += " " + line.strip().decode("latin-1")
            continue
        raw_name, _, value = line.partition(b":")
        name = raw_name.decode("latin-1")
        headers.add(name, value.strip().decode("latin-1"))
    cookies = _Cookies(head) if "set-cookie" in headers else None
    return HTTPResponse(
        body=content,
        headers=headers,
        status=head.status,
        version=11 if head.version == b"HTTP/1.1" else 10,
        version_string=head.version.decode("latin-1"),
        reason=head.reason.decode("latin-1"),
        preload_content=False,
        decode_content=False,
        original_response=cookies,  # type: ignore[arg-type]  # all requests reads of it
        request_method="POST",
    )


class _Cookies:
    """What requests reads a response's cookies from: http.client's header message."""

    def __init__(self, head: _Head) -> None:
        """The header block parsed as http.client parses it."""
        self.msg: HTTPMessage = parse_headers(io.BytesIO(b"".join([*head.lines, b"\r\n"])))

    def isclosed(self) -> bool:
        """Always: libcurl has read the whole answer (urllib3 asks)."""
        return True

    def close(self) -> None:
        """Nothing to close."""


def _error(
    e: pycurl.error,
    curl: pycurl.Curl,
    route: CurlRoute,
    prepared: requests.PreparedRequest,
    head: _Head | None,
) -> requests.RequestException:
    """The requests exception `HTTPAdapter.send` (or reading the body) would raise for `e`."""
    code, message = e.args[0], str(e.args[1])
    if head is not None:  # the answer had come: reading its body failed, as requests reads it
        if code == _TIMED_OUT:
            return ConnectionError(_read_timed_out(route, message))
        if code in _TLS:
            return SSLError(_SSLError(message))
        return ChunkedEncodingError(ProtocolError(f"Connection broken: {message}", e))
    if code == _URL_MALFORMAT:
        return InvalidURL(message, request=prepared)
    sent = curl.getinfo(pycurl.REQUEST_SIZE) > 0
    connected = sent or curl.getinfo(pycurl.CONNECT_TIME_T) > 0
    if route.proxy and (
        code in _PROXY_UNREACHABLE
        or (code == _TIMED_OUT and not connected)
        or (route.tunnel and not sent and curl.getinfo(pycurl.HTTP_CONNECTCODE) != 200)
    ):
        cause = _ProxyError("Unable to connect to proxy", OSError(message))
        return ProxyError(_gave_up(route, cause), request=prepared)
    reason: Exception
    if code in (_COULDNT_RESOLVE_HOST, _COULDNT_CONNECT):  # nothing sent: safe to retry
        reason = _not_connected(route, f"Failed to establish a new connection: {message}")
        return ConnectionError(_gave_up(route, reason), request=prepared)
    if code == _TIMED_OUT and not connected:
        reason = ConnectTimeoutError(f"Connect timed out. ({message})")
        return ConnectTimeout(_gave_up(route, reason), request=prepared)
    if code == _TIMED_OUT:
        return ReadTimeout(_read_timed_out(route, message), request=prepared)
    if code in _TLS:
        return SSLError(_gave_up(route, _SSLError(message)), request=prepared)
    if code == _NOT_RESENT:  # as http.client says it
        message = "Remote end closed connection without response"
    return ConnectionError(ProtocolError("Connection aborted.", OSError(message)), request=prepared)


# urllib3's errors name the pool or connection they came from; here the origin stands in.


def _gave_up(route: CurlRoute, reason: Exception) -> MaxRetryError:
    """What urllib3 raises when a request fails and requests allows it no retry."""
    return MaxRetryError(route.origin, route.target, reason)  # type: ignore[arg-type]


def _not_connected(route: CurlRoute, message: str) -> NewConnectionError:
    """urllib3's error for a connection that could not be made (or a name not resolved)."""
    return NewConnectionError(route.origin, message)  # type: ignore[arg-type]


def _read_timed_out(route: CurlRoute, message: str) -> ReadTimeoutError:
    """urllib3's error for an answer that did not come in time."""
    return ReadTimeoutError(route.origin, route.target, f"Read timed out. ({message})")  # type: ignore[arg-type]
