"""What the HTTP senders share: a provider client, the options' texts, and one POST out."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from functools import partial
from typing import Any, ClassVar, Unpack

import requests

from integrations.client import HTTPOptions, ProviderClient
from integrations.messaging.base import (
    AuthSendError,
    OutsideWindowError,
    Provider,
    RecipientError,
    SendError,
    SentMessage,
    TransientSendError,
    error_for,
    post_json,
)
from integrations.messaging.media import fetch_bytes
from integrations.messaging.phones import E164, mask_phone
from integrations.messaging.retry import parse_retry_after
from integrations.messaging.text import OptionTexts

log = logging.getLogger(__name__)


class HTTPSender(ProviderClient):
    """A sender whose provider answers JSON to a POST: Meta, Twilio and Evolution."""

    provider: ClassVar[Provider]

    def __init__(self, *, texts: OptionTexts, **http: Unpack[HTTPOptions]) -> None:
        """`texts` words the options a channel shows as numbered text."""
        super().__init__(**http)
        self._texts = texts

    def _e164(self, phone: str) -> str:
        """`phone` itself when it is an E.164 number, else a `RecipientError` (nothing is sent)."""
        if not E164.fullmatch(phone):
            raise RecipientError(
                f"not an E.164 number: {mask_phone(phone)}",
                provider=self.provider,
                title="not E.164",
            )
        return phone

    def _send_parts(self, parts: Sequence[Callable[[], str]]) -> SentMessage:
        """Send several messages in order; a failure keeps the ids of those already sent."""
        ids: list[str] = []
        for send in parts:
            try:
                ids.append(send())
            except SendError as exc:
                exc.sent = tuple(ids)
                raise
        return SentMessage(self.provider, tuple(ids))

    def _download(
        self,
        url: str,
        *,
        refused: Callable[[requests.Response], SendError],
        limit: int,
        **request: Any,
    ) -> tuple[bytes, str]:
        """A file's bytes and Content-Type by GET (`fetch_bytes`), with our retry policy."""
        try:
            return fetch_bytes(
                self._session,
                self.provider,
                url,
                refused=refused,
                retry=self._retry,
                timeout=self._timeout,
                limit=limit,
                **request,
            )
        except SendError as exc:
            log.warning("%s media download failed: %s", self.provider, exc)
            raise

    def _post(
        self,
        url: str,
        *,
        refused: Callable[[requests.Response], SendError],
        what: str,
        idempotent: bool = False,
        **request: Any,
    ) -> dict[str, Any]:
        """One POST to the provider, its errors mapped by `refused`, through `_call`."""
        attempt = partial(
            post_json,
            self._session,
            url,
            provider=self.provider,
            refused=refused,
            timeout=self._timeout,
            **request,
        )
        return self._call(attempt, what=what, idempotent=idempotent)

    def _call(
        self, attempt: Callable[[], dict[str, Any]], *, what: str, idempotent: bool
    ) -> dict[str, Any]:
        """The one way out to the provider: `attempt`, retried where the policy allows.

        `what` names the call in the warning a failure logs (a kind or route, never content).
        """
        try:
            return self._retry.call(attempt, idempotent=idempotent)
        except SendError as exc:
            log.warning("%s %s failed: %s", self.provider, what, exc)
            raise


def kinds_by_code(
    *,
    transient: Collection[int] = (),
    auth: Collection[int] = (),
    outside_window: Collection[int] = (),
    recipient: Collection[int] = (),
) -> dict[int, type[SendError]]:
    """A provider's own error codes, each to the kind of `SendError` it means."""
    kinds: dict[int, type[SendError]] = {}
    for kind, codes in (
        (TransientSendError, transient),
        (AuthSendError, auth),
        (OutsideWindowError, outside_window),
        (RecipientError, recipient),
    ):
        kinds.update(dict.fromkeys(codes, kind))
    return kinds


def refused_error(
    provider: Provider,
    response: requests.Response,
    *,
    code: int | str | None,
    title: str | None,
    kind: type[SendError] | None = None,
) -> SendError:
    """The typed error for a provider's non-2xx answer: `kind` (by its code) wins over HTTP."""
    return error_for(
        provider,
        response.status_code,
        code,
        title or response.reason,
        kind=kind,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )
