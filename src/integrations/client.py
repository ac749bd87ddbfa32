"""What every client of an outside service holds: its HTTP session, timeout and retry policy."""

from __future__ import annotations

from typing import TypedDict

import requests

from integrations.http import ProviderSession
from integrations.messaging.retry import RetryPolicy


class HTTPOptions(TypedDict, total=False):
    """How a client calls its service, each with a default: the keywords every client takes."""

    session: requests.Session | None
    timeout: float | tuple[float, float]
    retry: RetryPolicy | None


class ProviderClient:
    """The session (shared by the clients the service builds), timeout and retry policy of one."""

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (3.05, 10.0),
        retry: RetryPolicy | None = None,
    ) -> None:
        """A session of its own when none is given, and the default retry policy."""
        self._session = session or ProviderSession()
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
