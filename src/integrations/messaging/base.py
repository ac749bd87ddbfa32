"""What every sender shares: the Sender protocol, options and results, the typed error tree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from integrations.messaging.phones import redact_phones

if TYPE_CHECKING:
    from integrations.messaging.media import Download

Channel = Literal["whatsapp", "sms"]
Provider = Literal["meta", "twilio", "evolution"]


@dataclass(frozen=True)
class Option:
    """One choice offered to the customer; `id` comes back as the button or row payload."""

    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True)
class SentMessage:
    """What the provider accepted: one id per message actually sent (a split text has several)."""

    provider: Provider
    message_ids: tuple[str, ...]


class Sender(Protocol):
    """One channel of one provider: what we send, and the media customers sent us.

    Errors are `SendError`s.
    """

    channel: Channel

    def send_text(self, to: str, text: str) -> SentMessage:
        """Send `text` to the phone `to`, split in several messages when it is too long."""
        ...

    def send_options(self, to: str, text: str, options: Sequence[Option]) -> SentMessage:
        """Send `text` with `options` to tap, as numbered text where buttons can't carry them."""
        ...

    def send_template(
        self, to: str, name_or_sid: str, params: Sequence[str], language: str = "es"
    ) -> SentMessage:
        """Send an approved template filled with `params`: what may go out after 24 hours."""
        ...

    def download(self, source: str, /) -> Download:
        """A file the customer sent: Meta's media id, or Twilio's media URL."""
        ...


class SendError(Exception):
    """The provider did not take the message, permanently unless `transient`.

    `maybe_sent` is set when the request may have reached the provider (a read timeout, a
    connection dropped mid-request, a 2xx we could not read): retrying it could send the message
    twice. `sent` holds the ids of the parts of a split message that did go out before this one.
    """

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: Provider,
        status: int | None = None,
        code: int | str | None = None,
        title: str | None = None,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        """What the provider answered: HTTP `status`, its own `code` and `title`."""
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.code = code
        self.title = title
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent
        self.sent: tuple[str, ...] = ()


class TransientSendError(SendError):
    """Rate limits, 5xx, timeouts, connection failures: the same request may succeed later."""

    transient = True


class AuthSendError(SendError):
    """Our credentials or permissions are wrong: nothing will go out until an operator acts."""


class OutsideWindowError(SendError):
    """The customer's 24-hour window is closed: only an approved template may be sent."""


class RecipientError(SendError):
    """This recipient cannot get the message: invalid or unreachable number, opted out."""


def error_for(
    provider: Provider,
    status: int | None,
    code: int | str | None,
    title: str | None,
    kind: type[SendError] | None = None,
    retry_after: float | None = None,
) -> SendError:
    """The typed error for a refused request; `kind` from the provider's code wins over HTTP."""
    if kind is None:
        if status == 429 or (status is not None and status >= 500):
            kind = TransientSendError
        elif status in (401, 403):
            kind = AuthSendError
        else:
            kind = SendError
    # Provider messages sometimes quote the recipient's number.
    text = redact_phones(title or "no details")
    return kind(
        f"{provider} refused the request (HTTP {status}, code {code}): {text}",
        provider=provider,
        status=status,
        code=code,
        title=text,
        retry_after=retry_after if kind.transient else None,
    )


def network_error(provider: Provider, exc: requests.RequestException) -> SendError:
    """Map a failure to talk to the provider; only an unopened connection is safe to retry."""
    name = type(exc).__name__
    if isinstance(exc, _NOT_SENT):
        return SendError(f"{provider} request not sent ({name})", provider=provider)
    if _never_connected(exc):
        return TransientSendError(f"{provider} unreachable ({name})", provider=provider)
    return TransientSendError(
        f"{provider} request interrupted ({name}); it may have been delivered",
        provider=provider,
        maybe_sent=True,
    )


_NOT_SENT = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
)


def _never_connected(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        return False  # TLS can fail mid-request too: it proves nothing
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def post_json(
    session: requests.Session,
    url: str,
    *,
    provider: Provider,
    refused: Callable[[requests.Response], SendError],
    timeout: float | tuple[float, float],
    **request: Any,
) -> dict[str, Any]:
    """One POST to a provider's API, its JSON answer back; every failure a typed `SendError`.

    A network failure becomes `network_error`, a non-2xx answer `refused(response)`, and a 2xx
    whose body is not JSON a SendError that may have been sent (the provider said yes).
    """
    try:
        response = session.post(url, timeout=timeout, **request)
    except requests.RequestException as exc:
        raise network_error(provider, exc) from exc
    if not response.ok:
        raise refused(response)
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        raise SendError(
            f"{provider} answered 2xx with a body that is not JSON",
            provider=provider,
            status=response.status_code,
            maybe_sent=True,
        ) from None
    return answer
