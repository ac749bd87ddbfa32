"""Client CPU of one provider POST, each way of sending it, in one run.

    .venv/bin/python -m bench.http_bench [--posts 300] [--rounds 9]

Every way posts a Meta text message to the fake Graph API (`testkit/fake_providers.py`) on
127.0.0.1, `--posts` times a round, the ways taking turns (each round starting with the next
one). What counts is this thread's CPU time (`time.thread_time`: the fake API's threads don't
count) per POST, best and median of `--rounds`, and each one's ratio to the way it replaced:

- `requests`: a plain `requests.Session`.
- `session.send`: `ProviderSession` before issue 13's last change (environment read once per
  origin, POST prepared from a per-URL template, sent by `Session.send`).
- `ProviderSession, urllib3`: the prepared POST handed to its urllib3 pool directly (before
  libcurl; `bench/_urllib3_session.py`).
- `ProviderSession`: the prepared POST sent by libcurl (`integrations/curl.py`, now).
- `urllib3`: `HTTPConnectionPool.urlopen` with the same headers and body and no requests
  objects at all: the floor for urllib3.
- `pycurl`: one `pycurl.Curl` handle, the same headers and body, the answer's JSON, and no
  requests objects at all: the floor for libcurl.
- `sender, before` / `sender, urllib3` / `sender`: `MetaWhatsAppSender.send_text` (retry
  policy, wrappers, error mapping, the answer's JSON), with `session.send` and stamina around
  every call; with the urllib3 `ProviderSession` and the retry policy of now; with now's.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pycurl
import requests
import stamina
import urllib3

from bench._urllib3_session import Urllib3Session
from integrations.http import ProviderSession
from integrations.messaging.base import TransientSendError
from integrations.messaging.meta import MetaWhatsAppSender
from integrations.messaging.retry import RetryPolicy
from testkit.fake_providers import FakeProviders
from webhooks.turns.channels import OPTION_TEXTS

T = TypeVar("T")
TOKEN = "EAAGbenchtoken"
TEXT = "¡Hola! Soy tu asesora de seguros de vida. ¿Cómo te llamas?"
BODY = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "34600000001",
    "type": "text",
    "text": {"body": TEXT},
}


class SessionSend(ProviderSession):
    """The session as it was: a POST from requests' per-URL template, sent by `Session.send`."""

    def __init__(self) -> None:
        """Its templates, one per URL, headers and auth."""
        super().__init__()
        self._templates: dict[tuple[Any, ...], requests.PreparedRequest] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """A POST as the session sent it then (all this bench sends)."""
        headers, auth = kwargs.get("headers"), kwargs.get("auth")
        key = (url, tuple(headers.items()) if headers else (), auth)
        if (template := self._templates.get(key)) is None:
            request = requests.Request("POST", url, headers=headers, auth=auth)
            template = self._templates[key] = self.prepare_request(request)
        prepared = template.copy()
        prepared.prepare_body(kwargs.get("data"), None, kwargs.get("json"))
        settings = self.merge_environment_settings(prepared.url, {}, None, None, None)
        return self.send(prepared, timeout=kwargs.get("timeout"), **settings)


class StaminaEveryCall(RetryPolicy):
    """The retry policy as it was: every call inside a `stamina.RetryingCaller`."""

    def call(self, fn: Callable[[], T], *, idempotent: bool = False, transient: Any = None) -> T:
        """Retry transient errors that can't have been sent (enough for a bench: none fail)."""

        def retry_on(exc: Exception) -> bool:
            return isinstance(exc, TransientSendError) and (idempotent or not exc.maybe_sent)

        caller = stamina.RetryingCaller(
            attempts=self.attempts,
            timeout=self.timeout,
            wait_initial=self.wait_initial,
            wait_max=self.wait_max,
            wait_jitter=self.wait_jitter,
        )
        return caller(retry_on, fn)


def ways(api: str) -> dict[str, Callable[[], object]]:
    """Each way of sending the POST, as a call that sends one and reads its JSON answer."""
    url = f"{api}/v23.0/106540352242922/messages"
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def by(session: requests.Session) -> Callable[[], object]:
        return lambda: session.post(url, json=BODY, headers=headers, timeout=(3.05, 10.0)).json()

    pool = urllib3.PoolManager().connection_from_url(url)
    timeout = urllib3.Timeout(connect=3.05, read=10.0)
    fixed = {**requests.utils.default_headers(), **headers, "Content-Type": "application/json"}

    def bare() -> object:
        body = json.dumps(BODY).encode()
        answer = pool.urlopen(
            "POST",
            url,
            body=body,
            headers={**fixed, "Content-Length": str(len(body))},
            retries=False,
            redirect=False,
            timeout=timeout,
        )
        return json.loads(answer.data)

    curl = pycurl.Curl()
    curl.setopt(pycurl.URL, url)
    curl.setopt(pycurl.HTTPHEADER, [f"{k}: {v}".encode() for k, v in fixed.items()])

    def bare_curl() -> object:
        body = json.dumps(BODY).encode()
        content, headers = io.BytesIO(), list[bytes]()
        curl.setopt(pycurl.POSTFIELDS, body)
        curl.setopt(pycurl.WRITEDATA, content)
        curl.setopt(pycurl.HEADERFUNCTION, headers.append)
        curl.perform()
        return json.loads(content.getvalue())

    def sender(session: requests.Session, retry: RetryPolicy) -> Callable[[], object]:
        meta = MetaWhatsAppSender(
            api_url=f"{api}/v23.0",
            token=TOKEN,
            phone_number_id="106540352242922",
            texts=OPTION_TEXTS,
            session=session,
            retry=retry,
        )
        return lambda: meta.send_text("+34600000001", TEXT)

    return {
        "requests": by(requests.Session()),
        "session.send": by(SessionSend()),
        "ProviderSession, urllib3": by(Urllib3Session()),
        "ProviderSession": by(ProviderSession()),
        "urllib3": bare,
        "pycurl": bare_curl,
        "sender, before": sender(SessionSend(), StaminaEveryCall()),
        "sender, urllib3": sender(Urllib3Session(), RetryPolicy()),
        "sender": sender(ProviderSession(), RetryPolicy()),
    }


def main() -> None:
    """Run the ways in turns and print µs of CPU per POST and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with FakeProviders() as fake:
        calls = ways(fake.url)
        spent: dict[str, list[float]] = {name: [] for name in calls}
        for call in calls.values():
            for _ in range(30):  # connections open, templates and pools made
                call()
        names = list(calls)
        for turn in range(args.rounds):
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                call = calls[name]
                start = time.thread_time()
                for _ in range(args.posts):
                    call()
                spent[name].append((time.thread_time() - start) / args.posts * 1e6)
            fake.sent.clear()
    best = {name: min(times) for name, times in spent.items()}
    median = {name: statistics.median(times) for name, times in spent.items()}
    against = {
        "session.send": "requests",
        "ProviderSession, urllib3": "session.send",
        "ProviderSession": "ProviderSession, urllib3",
        "urllib3": "ProviderSession, urllib3",
        "pycurl": "ProviderSession",
        "sender, urllib3": "sender, before",
        "sender": "sender, urllib3",
    }
    print(f"{'way':<25} {'best µs':>8} {'median µs':>10}   ratio (best, median)")
    for name in calls:
        line = f"{name:<25} {best[name]:>8.0f} {median[name]:>10.0f}"
        if base := against.get(name):
            line += f"   {best[name] / best[base]:.2f}x, {median[name] / median[base]:.2f}x {base}"
        print(line)


if __name__ == "__main__":
    main()
