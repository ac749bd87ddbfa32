"""HTTP sessions for every outside service: the environment's proxy and CA settings read once."""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests

# Prepared POSTs kept per URL, headers and auth: a sender posts to a handful of URLs, while
# Chatwoot's carry conversation ids, so the cache starts again once it holds this many.
_PREPARED_LIMIT = 256


class ProviderSession(requests.Session):
    """A `requests.Session` for an API client: settings read once, POSTs prepared once, no cookies.

    requests reads the environment's proxy and CA settings again on every request (it scans
    `os.environ` for *_proxy variables, and ~/.netrc), which was a quarter of the CPU of a
    small POST to a provider; they don't change while the service runs. It also merges the
    session's headers, cookies and auth into every request; a provider's POST goes to one of a
    few URLs with the same headers each time, so that part is done once per URL and only the
    body is prepared per call. The APIs authenticate by token or key, never by cookie, so the
    session keeps none: nothing a server sets is sent to it (or anywhere) later.
    """

    def __init__(self) -> None:
        """An empty session; settings are read on the first request to each origin."""
        super().__init__()
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._environment: dict[tuple[str, str], Any] = {}
        self._prepared: dict[tuple[Any, ...], requests.PreparedRequest] = {}

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        *,
        data: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: Any = None,
        **more: Any,
    ) -> requests.Response:
        """As requests does; a POST with only a body, headers, auth and timeout, from a template.

        The template is requests' own preparation of the same POST without a body (URL checked,
        session headers merged, basic auth applied); the body is prepared on a copy of it.
        """
        if method != "POST" or more or not isinstance(url, str):
            return super().request(
                method,
                url,
                data=data,
                json=json,
                headers=headers,
                auth=auth,
                timeout=timeout,
                **more,
            )
        key = (url, tuple(headers.items()) if headers else (), auth)
        if (template := self._prepared.get(key)) is None:
            if len(self._prepared) >= _PREPARED_LIMIT:
                self._prepared.clear()
            request = requests.Request("POST", url, headers=headers, auth=auth)
            template = self._prepared[key] = self.prepare_request(request)
        prepared = template.copy()
        prepared.prepare_body(data, None, json)
        settings = self.merge_environment_settings(prepared.url, {}, None, None, None)
        return self.send(prepared, timeout=timeout, allow_redirects=True, **settings)

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
