"""HTTP sessions for every outside service: the environment's proxy and CA settings read once."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests


class ProviderSession(requests.Session):
    """A `requests.Session` that reads the environment's proxy and CA settings once per origin.

    requests reads them again on every request (it scans `os.environ` for *_proxy variables),
    which was a quarter of the CPU of a small POST to a provider; they don't change while the
    service runs. The result is the one requests itself gives for that origin.
    """

    def __init__(self) -> None:
        """An empty session; settings are read on the first request to each origin."""
        super().__init__()
        self._environment: dict[tuple[str, str], Any] = {}

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """As requests does, from a cache when the call gives nothing of its own."""
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        text = url.decode() if isinstance(url, bytes) else url or ""
        origin = urlsplit(text)[:2]
        if (found := self._environment.get(origin)) is None:
            found = super().merge_environment_settings(url, {}, None, None, None)
            self._environment[origin] = found
        return {**found, "proxies": dict(found["proxies"])}
