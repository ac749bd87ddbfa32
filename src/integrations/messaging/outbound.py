"""What every outbound sender shares: Sender protocol, options, results, typed errors, retries,
and capped downloads of the media customers send."""

from __future__ import annotations

import email.utils
import math
import mimetypes
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol, TypeVar

import requests
import stamina
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

Channel = Literal["whatsapp", "sms"]
Provider = Literal["meta", "twilio"]

T = TypeVar("T")


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
    """The outbound side of one channel. Errors are `SendError`s."""

    channel: Channel

    def send_text(self, to: str, text: str) -> SentMessage: ...

    def send_options(self, to: str, text: str, options: Sequence[Option]) -> SentMessage: ...

    def send_template(
        self, to: str, name_or_sid: str, params: Sequence[str], language: str = "es"
    ) -> SentMessage: ...


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
    text = redact(title or "no details")
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


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How a send is retried in-process before its error goes back to the queue.

    Only `TransientSendError`s are retried, and never one with `maybe_sent` unless the call is
    idempotent (read receipts, reactions): a duplicated WhatsApp message is worse than a later
    retry by the queue. Capped by `attempts` and by `timeout` seconds in all, jittered
    exponential waits between; a provider's Retry-After replaces the wait when it fits in what
    is left of `timeout`, otherwise the error is raised at once with its `retry_after`.
    Tests of callers can pass `RetryPolicy(attempts=1)` or use `stamina.set_testing(True)`.
    """

    attempts: int = 3
    timeout: float = 15.0
    wait_initial: float = 0.5
    wait_max: float = 4.0
    wait_jitter: float = 0.5

    def call(
        self,
        fn: Callable[[], T],
        *,
        idempotent: bool = False,
        transient: type[Exception] | None = None,
    ) -> T:
        """Call `fn`, retrying the `transient` errors (with `maybe_sent` and `retry_after`)."""
        deadline = time.monotonic() + self.timeout
        transient = transient or TransientSendError

        def retry_on(exc: Exception) -> bool | float:
            if not isinstance(exc, transient) or (exc.maybe_sent and not idempotent):
                return False
            if exc.retry_after is None:
                return True
            if time.monotonic() + exc.retry_after > deadline:
                return False
            return exc.retry_after

        caller = stamina.RetryingCaller(
            attempts=self.attempts,
            timeout=self.timeout,
            wait_initial=self.wait_initial,
            wait_max=self.wait_max,
            wait_jitter=self.wait_jitter,
        )
        return caller(retry_on, fn)


MEDIA_LIMIT = 25 * 1024 * 1024  # bytes; WhatsApp's own cap is 16 MB for video, 100 MB documents
DOWNLOAD_SECONDS = 60.0  # a whole download, however steadily a slow server drips bytes
_CHUNK = 64 * 1024
# WhatsApp's media types the stdlib maps to no or to an unusual extension.
_EXTENSIONS = {
    "audio/ogg": ".ogg",
    "audio/amr": ".amr",
    "video/3gpp": ".3gp",
    "image/webp": ".webp",
}


@dataclass(frozen=True)
class Download:
    """A file a customer sent, fetched whole from the provider."""

    content: bytes
    mime_type: str
    filename: str


def fetch_bytes(
    session: requests.Session,
    provider: Provider,
    url: str,
    *,
    refused: Callable[[requests.Response], SendError],
    retry: RetryPolicy,
    timeout: float | tuple[float, float],
    limit: int = MEDIA_LIMIT,
    **request_args: object,
) -> tuple[bytes, str]:
    """GET `url` whole: its bytes and Content-Type, or a `SendError`, never part of a body.

    `refused` maps a non-2xx answer to the provider's typed error. The body is streamed and the
    download stopped as soon as it passes `limit` bytes (decoded: a compressed bomb stops too)
    or `DOWNLOAD_SECONDS`. A GET is idempotent, so transient failures are retried.
    """

    def attempt() -> tuple[bytes, str]:
        deadline = time.monotonic() + DOWNLOAD_SECONDS
        try:
            response = session.get(url, stream=True, timeout=timeout, **request_args)
        except requests.RequestException as exc:
            raise network_error(provider, exc) from exc
        with response:
            if not response.ok:
                raise refused(response)
            content = _read_capped(response, provider, limit, deadline)
        return content, response.headers.get("Content-Type") or ""

    return retry.call(attempt, idempotent=True)


def _read_capped(
    response: requests.Response, provider: Provider, limit: int, deadline: float
) -> bytes:
    declared = response.headers.get("Content-Length") or ""
    if declared.isdigit() and int(declared) > limit:
        raise too_large(provider, limit)
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large(provider, limit)
            if time.monotonic() > deadline:
                raise TransientSendError(
                    f"{provider} download slower than {DOWNLOAD_SECONDS:.0f} s", provider=provider
                )
            chunks.append(chunk)
    except requests.RequestException as exc:
        name = type(exc).__name__
        raise TransientSendError(
            f"{provider} download cut short ({name})", provider=provider
        ) from exc
    return b"".join(chunks)


def too_large(provider: Provider, limit: int) -> SendError:
    return SendError(
        f"{provider} media larger than {limit // (1024 * 1024)} MB",
        provider=provider,
        title="media too large",
    )


def media_filename(stem: str, mime_type: str) -> str:
    """'ME123' + 'image/jpeg' -> 'ME123.jpg'; anything but letters, digits, '-' and '_' dropped."""
    stem = re.sub(r"[^A-Za-z0-9_-]", "", stem) or "media"
    essence = mime_type.partition(";")[0].strip().lower()
    extension = _EXTENSIONS.get(essence) or mimetypes.guess_extension(essence) or ""
    return stem + extension


def send_parts(provider: Provider, parts: Sequence[Callable[[], str]]) -> SentMessage:
    """Send several messages in order; a failure keeps the ids of those already sent."""
    ids: list[str] = []
    for send in parts:
        try:
            ids.append(send())
        except SendError as exc:
            exc.sent = tuple(ids)
            raise
    return SentMessage(provider, tuple(ids))


_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCES = re.compile(r"(?<=[.!?…])\s+")
_WORDS = re.compile(r"\s+")
_LEVELS = ((_PARAGRAPHS, "\n\n"), (_SENTENCES, " "), (_WORDS, " "))


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into messages of at most `limit` characters, at paragraph, then sentence,
    then word boundaries; a single longer word is cut hard."""
    text = text.strip()
    if not text:
        return []
    return _split(text, limit, 0)


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_LEVELS):
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    pattern, joiner = _LEVELS[level]
    pieces = [piece.strip() for piece in pattern.split(text) if piece.strip()]
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if len(piece) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.extend(_split(piece, limit, level + 1))
        elif not current:
            current = piece
        elif len(current) + len(joiner) + len(piece) <= limit:
            current = f"{current}{joiner}{piece}"
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def shorten(text: str, limit: int) -> str:
    """Fit a title in `limit` characters, cutting at a word when that keeps most of it."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if text[limit - 1] != " " and space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def numbered(text: str, options: Sequence[Option]) -> str:
    """The options as a numbered list the customer answers with a number."""
    if not options:
        return text
    lines = [
        f"{n}. {option.title}" + (f" - {option.description}" if option.description else "")
        for n, option in enumerate(options, start=1)
    ]
    count = len(options)
    if count <= 5:
        numbers = [str(n) for n in range(1, count + 1)]
        prompt = "Responde " + (
            " o ".join([", ".join(numbers[:-1]), numbers[-1]]) if count > 1 else numbers[0]
        )
    else:
        prompt = f"Responde con un número del 1 al {count}"
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines), prompt + ".") if part)


E164 = re.compile(r"\+[1-9]\d{6,14}")
_PHONE_LIKE = re.compile(r"(?<![\w+])\+?\d{7,15}(?!\w)")


def check_e164(provider: Provider, phone: str) -> str:
    if not E164.fullmatch(phone):
        raise RecipientError(
            f"not an E.164 number: {mask_phone(phone)}", provider=provider, title="not E.164"
        )
    return phone


def mask_phone(phone: str) -> str:
    """For logs: keep the country prefix and the last two digits, '+346******00'."""
    keep = 4 if phone.startswith("+") else 3
    if len(phone) <= keep + 2:
        return "*" * len(phone)
    return phone[:keep] + "*" * (len(phone) - keep - 2) + phone[-2:]


def redact(text: str) -> str:
    """Provider messages sometimes quote the recipient's number: mask anything phone-like."""
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group()), text)
