"""Capped downloads of the media customers send: whole files or a typed error, never a part."""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests

from integrations.messaging.base import Provider, SendError, TransientSendError, network_error
from integrations.messaging.retry import RetryPolicy

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
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[bytes, str]:
    """GET `url` whole: its bytes and Content-Type, or a `SendError`, never part of a body.

    `refused` maps a non-2xx answer to the provider's typed error. The body is streamed and the
    download stopped as soon as it passes `limit` bytes (decoded: a compressed bomb stops too)
    or `DOWNLOAD_SECONDS`. A GET is idempotent, so transient failures are retried.
    """

    def attempt() -> tuple[bytes, str]:
        deadline = time.monotonic() + DOWNLOAD_SECONDS
        try:
            response = session.get(
                url, stream=True, timeout=timeout, headers=headers, params=params, auth=auth
            )
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
    """The error for a file over `limit` bytes (permanent: the same file stays too large)."""
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
