"""`ProviderSession` as it was before libcurl: the routed POST handed to requests' urllib3 pool.

Kept for `http_bench` only, as the way the libcurl exchange replaced (issue 13): everything
but `_exchange` is today's `ProviderSession`.
"""

from __future__ import annotations

import functools
from typing import Any

import requests
from requests.exceptions import (
    ConnectionError,
    ConnectTimeout,
    InvalidHeader,
    InvalidURL,
    ProxyError,
    ReadTimeout,
    RetryError,
    SSLError,
)
from urllib3 import HTTPResponse
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    LocationValueError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.exceptions import InvalidHeader as _InvalidHeader
from urllib3.exceptions import ProxyError as _ProxyError
from urllib3.exceptions import SSLError as _SSLError
from urllib3.util import Timeout

from integrations.curl import CurlRoute
from integrations.http import ProviderSession, _Route


class Urllib3Session(ProviderSession):
    """The routed POST by the urllib3 pool `HTTPAdapter.send` would use, as before."""

    def __init__(self) -> None:
        """No pools until the first POST on each route."""
        super().__init__()
        self._pools: dict[CurlRoute, HTTPConnectionPool] = {}

    def _exchange(
        self, route: _Route, prepared: requests.PreparedRequest, timeout: Any
    ) -> tuple[HTTPResponse, float]:
        """The urllib3 exchange of `HTTPAdapter.send`, its errors raised as requests raises them."""
        pool = self._pools.get(route.curl)
        if pool is None or pool.pool is None:  # first use, or closed by the pool manager
            pool = self._pools[route.curl] = _pool(route, prepared)
        body = prepared.body
        try:
            raw = pool.urlopen(
                method="POST",
                url=route.target,
                body=body,
                headers=prepared.headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=route.adapter.max_retries,
                timeout=_timeout(timeout),
                chunked=not (body is None or "Content-Length" in prepared.headers),
            )
            return raw, 0.0  # type: ignore[return-value]  # it is one; elapsed was never set
        # requests' HTTPAdapter.send, clause by clause.
        except (ProtocolError, OSError) as e:
            raise ConnectionError(e, request=prepared) from e
        except MaxRetryError as e:
            if isinstance(e.reason, ConnectTimeoutError) and not isinstance(
                e.reason, NewConnectionError
            ):
                raise ConnectTimeout(e, request=prepared) from e
            if isinstance(e.reason, ResponseError):
                raise RetryError(e, request=prepared) from e
            if isinstance(e.reason, _ProxyError):
                raise ProxyError(e, request=prepared) from e
            if isinstance(e.reason, _SSLError):
                raise SSLError(e, request=prepared) from e
            raise ConnectionError(e, request=prepared) from e
        except ClosedPoolError as e:
            raise ConnectionError(e, request=prepared) from e
        except _ProxyError as e:
            raise ProxyError(e) from e
        except _SSLError as e:
            raise SSLError(e, request=prepared) from e
        except ReadTimeoutError as e:
            raise ReadTimeout(e, request=prepared) from e
        except _InvalidHeader as e:
            raise InvalidHeader(e, request=prepared) from e


def _pool(route: _Route, prepared: requests.PreparedRequest) -> HTTPConnectionPool:
    """The urllib3 pool `HTTPAdapter.send` would use for `route`, TLS settings applied."""
    settings, adapter = route.settings, route.adapter
    try:
        pool = adapter.get_connection_with_tls_context(
            prepared, settings["verify"], proxies=settings["proxies"], cert=settings["cert"]
        )
    except LocationValueError as e:
        raise InvalidURL(e, request=prepared) from e
    adapter.cert_verify(pool, route.template.url, settings["verify"], settings["cert"])
    if not isinstance(pool, HTTPConnectionPool):  # what urllib3's pool managers make
        raise TypeError(f"not an HTTP connection pool: {type(pool).__name__}")
    return pool


@functools.lru_cache(maxsize=32)
def _timeout(timeout: Any) -> Timeout:
    """The urllib3 `Timeout` requests makes of a float or a (connect, read) pair."""
    if isinstance(timeout, Timeout):
        return timeout
    if isinstance(timeout, tuple):
        connect, read = timeout
        return Timeout(connect=connect, read=read)
    return Timeout(connect=timeout, read=timeout)
