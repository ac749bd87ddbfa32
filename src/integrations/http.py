"""HTTP sessions for every outside service: the environment's proxy and CA settings read once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from urllib3.util import Timeout

from integrations.curl import CurlPoster, CurlRoute, curl_route

# Prepared POSTs kept per URL, headers and auth: a sender posts to a handful of URLs, while
# Chatwoot's carry conversation ids, so the cache starts again once it holds this many.
_PREPARED_LIMIT = 256

# What the direct POST stands in for. When requests' adapter is replaced (another class
# mounted, or `responses` patching it in tests), POSTs take requests' own way through it.
_ADAPTER_SEND = HTTPAdapter.send

# Bodies libcurl is handed whole; any other (a file, an iterator) takes requests' own way, and
# so does an empty one (libcurl would send it again after a reused connection closed, see curl.py).
_WHOLE = (bytes, str)

# Timeouts as requests takes them (a float, a (connect, read) pair); each made once.
_TIMEOUTS = (int, float, tuple, Timeout, type(None))

# Headers requests manages itself on a redirect: a request's own headers go no further.
_BODY_HEADERS = frozenset({"content-type", "content-length", "transfer-encoding"})


@dataclass
class _Route:
    """Where a POST with given headers and auth goes: what requests works out once for it."""

    template: requests.PreparedRequest  # requests' preparation of the POST without a body
    adapter: HTTPAdapter
    settings: dict[str, Any]  # verify, cert, proxies and stream, as requests merges them
    target: str  # what urllib3 would ask for: the path, or the whole URL through an HTTP proxy
    curl: CurlRoute  # the same, as libcurl is told it


class ProviderSession(requests.Session):
    """A `requests.Session` for API clients: settings read once, POSTs by libcurl, no cookies.

    requests reads the environment's proxy and CA settings again on every request (it scans
    `os.environ` for *_proxy variables, and ~/.netrc); they don't change while the service
    runs, so they are read once per origin. A provider's POST goes to one of a few URLs with
    the same headers each time: requests prepares it once per URL (session headers merged,
    auth applied, URL checked, proxy and TLS settings chosen) and each call prepares only its
    body, then libcurl sends it (`integrations/curl.py`: the same request, the same errors
    raised as the same requests exceptions) and requests builds the `requests.Response` from
    what came back, read whole, redirects followed as `Session.send` follows them (by
    requests). That is about half the client CPU of handing it to urllib3's pool, as this
    session did before (`bench/http_bench.py`). Anything else (GETs, streams, params, files,
    bodies that are empty or not bytes or text, auth objects, hooks, another adapter or retry
    setting) goes requests' own way. A redirect to another origin loses the request's own
    headers. The APIs authenticate by token or key, never by cookie, so the session keeps
    none: nothing a server sets is sent to it (or anywhere) later. Safe to share between
    threads: each POST has a libcurl handle to itself, and handles (with their open
    connections) are reused, never more of them than threads posting at once.
    """

    def __init__(self) -> None:
        """An empty session; settings are read on the first request to each origin."""
        super().__init__()
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._environment: dict[tuple[str, str], Any] = {}
        self._routes: dict[tuple[Any, ...], _Route] = {}
        self._curl = CurlPoster()

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        files: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        **more: Any,
    ) -> requests.Response:
        """As requests does; a POST with only a body, headers, auth and timeout, by libcurl."""
        if (
            method == "POST"
            and isinstance(timeout, _TIMEOUTS)
            and (auth is None or isinstance(auth, tuple))  # basic auth; an AuthBase may hook
            and not (more or params or files or self.hooks["response"])
        ):
            route = self._route(url, headers, auth)
            if route is not None:
                return self._post(route, data, json, timeout, allow_redirects)
        return super().request(
            method,
            url,
            params=params,
            data=data,
            json=json,
            headers=headers,
            auth=auth,
            files=files,
            timeout=timeout,
            allow_redirects=allow_redirects,
            **more,
        )

    def _route(
        self, url: str, headers: dict[str, str] | None, auth: tuple[str, str] | None
    ) -> _Route | None:
        """The POST's route from the cache, or worked out by requests; None: requests' own way."""
        if not isinstance(url, str):
            return None
        key = (url, tuple(headers.items()) if headers else (), auth)
        if (route := self._routes.get(key)) is None:
            if len(self._routes) >= _PREPARED_LIMIT:
                self._routes.clear()
            request = requests.Request("POST", url, headers=headers, auth=auth)
            template = self.prepare_request(request)
            if not any(name.lower() == "content-length" for name in headers or ()):
                # Its empty body's "0": each body sets its own, or a stream none (chunked).
                template.headers.pop("Content-Length", None)
            settings = self.merge_environment_settings(template.url, {}, None, None, None)
            adapter = self.get_adapter(template.url or url)
            if not isinstance(adapter, HTTPAdapter) or settings["stream"]:
                return None
            retries = adapter.max_retries  # requests' default: none; libcurl can't do others
            if retries.total is False or retries.total != 0 or retries.status_forcelist:
                return None
            target = adapter.request_url(template, settings["proxies"])
            curl = curl_route(adapter, template, settings, target)
            route = self._routes[key] = _Route(template, adapter, settings, target, curl)
        if type(route.adapter).send is not _ADAPTER_SEND:
            return None
        return route

    def _post(
        self, route: _Route, data: Any, json: Any, timeout: Any, allow_redirects: bool
    ) -> requests.Response:
        """`HTTPAdapter.send` and `Session.send` for a POST on `route`, its body read whole."""
        prepared = requests.PreparedRequest()
        template = route.template
        prepared.method = template.method
        prepared.url = template.url
        prepared.headers = template.headers.copy()
        prepared._cookies = template._cookies  # type: ignore[attr-defined]  # empty, never changed
        prepared.hooks = template.hooks
        prepared.prepare_body(data, None, json)
        settings = route.settings
        if not (isinstance(prepared.body, _WHOLE) and prepared.body):
            return self.send(
                prepared,
                timeout=timeout,
                allow_redirects=allow_redirects,
                **{**settings, "proxies": dict(settings["proxies"])},
            )
        raw, elapsed = self._exchange(route, prepared, timeout)
        response = route.adapter.build_response(prepared, raw)
        response.elapsed = timedelta(seconds=elapsed)
        response.content  # noqa: B018  # read whole (libcurl has it all), decoded as requests does
        if allow_redirects and response.is_redirect:
            redirects = self.resolve_redirects(
                response,
                prepared,
                timeout=timeout,
                verify=settings["verify"],
                cert=settings["cert"],
                proxies=dict(settings["proxies"]),
            )
            history = [response, *redirects]
            response = history.pop()
            response.history = history
        return response

    def _exchange(
        self, route: _Route, prepared: requests.PreparedRequest, timeout: Any
    ) -> tuple[HTTPResponse, float]:
        """The POST sent and its answer received by libcurl, and seconds to the answer.

        Its own method so that `bench/http_bench.py` can measure the urllib3 way beside it.
        """
        return self._curl.post(route.curl, prepared, timeout)

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

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: Any) -> None:
        """As requests does, and a redirect to another origin also loses the request's headers.

        requests drops only `Authorization` there; our clients' keys travel in headers of
        their own (Evolution's `apikey`, Chatwoot's `api_access_token`), so every header
        but the session's defaults and the body's goes.
        """
        original = response.request.url
        if original and self.should_strip_auth(original, prepared_request.url or ""):
            keep = {name.lower() for name in self.headers} | _BODY_HEADERS
            for name in [h for h in prepared_request.headers if h.lower() not in keep]:
                del prepared_request.headers[name]
        super().rebuild_auth(prepared_request, response)

    def close(self) -> None:
        """As requests does, and libcurl's handles and their connections closed too."""
        super().close()
        self._curl.close()
