"""Meta Cloud API sender: WhatsApp messages through the Graph API, typed errors by Graph code.

Error codes and their HTTP statuses follow Meta's "Error codes" page for the Cloud API
(developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.http import ProviderSession
from integrations.messaging.base import (
    AuthSendError,
    Channel,
    Option,
    OutsideWindowError,
    RecipientError,
    SendError,
    SentMessage,
    TransientSendError,
    check_e164,
    error_for,
    post_json,
    send_parts,
)
from integrations.messaging.media import (
    MEDIA_LIMIT,
    Download,
    fetch_bytes,
    media_filename,
    too_large,
)
from integrations.messaging.phones import mask_phone
from integrations.messaging.retry import RetryPolicy, parse_retry_after
from integrations.messaging.text import OptionTexts, numbered, shorten, split_text

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
BODY_LIMIT = 1024  # interactive body text
MAX_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
MAX_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
LIST_BUTTON_LIMIT = 20

# Throttling (4, 80007, 130429, 131056), service down or overloaded (1, 2, 131000, 131016,
# 133004) and maintenance mode (131057): Meta says try again later. 131048 (spam rate limit)
# and 131049 (held back for engagement) are deliberately not here: an early retry makes
# them worse.
_TRANSIENT = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004})
_AUTH = frozenset({0, 3, 10, 190, *range(200, 300)})
_RECIPIENT = frozenset({131021, 131026, 131030, 131050})
_OUTSIDE_WINDOW = frozenset({131047})
_MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _kind_for_code(code: object) -> type[SendError] | None:
    if not isinstance(code, int):
        return None
    if code in _TRANSIENT:
        return TransientSendError
    if code in _AUTH:
        return AuthSendError
    if code in _OUTSIDE_WINDOW:
        return OutsideWindowError
    if code in _RECIPIENT:
        return RecipientError
    return None


class MetaWhatsAppSender:
    """Sends WhatsApp messages from one business number through Meta's Cloud API."""

    channel: Channel = "whatsapp"

    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        phone_number_id: str,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (3.05, 10.0),
        retry: RetryPolicy | None = None,
        texts: OptionTexts,
    ) -> None:
        """Send from the business number `phone_number_id`, with a system user's `token`."""
        self._api_url = api_url.rstrip("/")
        self._url = f"{self._api_url}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session = session or ProviderSession()
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._texts = texts
        self._list_button = shorten(texts.list_button, LIST_BUTTON_LIMIT)
        self.phone_number_id = phone_number_id

    def __repr__(self) -> str:
        """The business number's id, never the token: safe in logs."""
        return f"MetaWhatsAppSender(phone_number_id={self.phone_number_id!r})"

    # The Sender protocol

    def send_text(self, to: str, text: str) -> SentMessage:
        """A text message; long texts go out as several, split at paragraphs or sentences."""
        return send_parts(
            "meta",
            [partial(self._text, to, part) for part in split_text(text, TEXT_LIMIT)],
        )

    def send_options(self, to: str, text: str, options: Sequence[Option]) -> SentMessage:
        """Up to 3 options as reply buttons, up to 10 as a list, more as numbered text."""
        if not options or len(options) > MAX_ROWS:
            return self.send_text(to, numbered(text, options, self._texts))
        body = text.strip()
        parts: list[Callable[[], str]] = []
        if len(body) > BODY_LIMIT:
            parts = [partial(self._text, to, part) for part in split_text(body, TEXT_LIMIT)]
            body = self._texts.choose
        if len(options) <= MAX_BUTTONS:
            interactive = _buttons(body, options)
        else:
            interactive = _list(body, options, self._list_button, self._texts.section)
        parts.append(lambda: self._send("interactive", to, {"interactive": interactive}))
        return send_parts("meta", parts)

    def send_template(
        self, to: str, name_or_sid: str, params: Sequence[str], language: str = "es"
    ) -> SentMessage:
        """An approved template by name, its body filled with `params` in order."""
        template: dict[str, Any] = {
            "name": name_or_sid,
            # "deterministic" is the only policy Meta has; the v23.0 spec requires it.
            "language": {"code": language, "policy": "deterministic"},
        }
        if params:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
            ]
        return self._one(self._send("template", to, {"template": template}))

    # Meta only

    def typing(self, message_id: str) -> None:
        """Mark the message read and show "typing…" until we answer (or 25 s pass)."""
        self._request(
            {
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": message_id,
                "typing_indicator": {"type": "text"},
            },
            idempotent=True,
        )

    def download(self, media_id: str, *, limit: int = MEDIA_LIMIT) -> Download:
        """The file of a customer's media message, by the id its webhook gave.

        Two GETs, both with our token: the media's URL from the Graph API (valid 5 minutes,
        and only if the media belongs to our number), then the bytes from that URL.
        """
        if not _MEDIA_ID.fullmatch(media_id):
            raise SendError("not a Meta media id", provider="meta", title="bad media id")
        raw, _ = self._fetch(
            f"{self._api_url}/{media_id}",
            limit=1024 * 1024,
            params={"phone_number_id": self.phone_number_id},
        )
        try:
            info = json.loads(raw)
            url, mime_type = info["url"], info.get("mime_type")
        except (ValueError, KeyError, TypeError):
            raise SendError("meta media lookup answered without a URL", provider="meta") from None
        if not isinstance(url, str) or (
            urlsplit(url).scheme != "https" and urlsplit(self._api_url).scheme == "https"
        ):
            # The token goes along with this GET: never in clear text.
            raise SendError("meta media URL is not https", provider="meta", title="bad media URL")
        size = str(info.get("file_size") or "")
        if size.isdigit() and int(size) > limit:
            raise too_large("meta", limit)
        content, content_type = self._fetch(url, limit=limit)
        mime_type = str(mime_type or content_type or "application/octet-stream")
        log.info("meta downloaded media %s (%d bytes, %s)", media_id, len(content), mime_type)
        return Download(content, mime_type, media_filename(media_id, mime_type))

    # Plumbing

    def _fetch(
        self, url: str, *, limit: int, params: Mapping[str, str] | None = None
    ) -> tuple[bytes, str]:
        try:
            return fetch_bytes(
                self._session,
                "meta",
                url,
                refused=_error,
                retry=self._retry,
                timeout=self._timeout,
                limit=limit,
                headers=self._headers,
                params=params,
            )
        except SendError as exc:
            log.warning("meta media download failed: %s", exc)
            raise

    def _text(self, to: str, body: str) -> str:
        return self._send("text", to, {"text": {"body": body, "preview_url": False}})

    def _send(self, kind: str, to: str, content: dict[str, Any]) -> str:
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": check_e164("meta", to).removeprefix("+"),
            "type": kind,
            **content,
        }
        data = self._request(payload)
        try:
            message_id = str(data["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise SendError(
                "meta answered 2xx without a message id", provider="meta", maybe_sent=True
            ) from None
        log.info("meta sent %s to %s: %s", kind, mask_phone(to), message_id)
        return message_id

    @staticmethod
    def _one(message_id: str) -> SentMessage:
        return SentMessage("meta", (message_id,))

    def _request(self, payload: dict[str, Any], *, idempotent: bool = False) -> dict[str, Any]:
        """The one way out to the Graph API: POST, map errors, retry what may be retried."""
        attempt = partial(
            post_json,
            self._session,
            self._url,
            provider="meta",
            refused=_error,
            timeout=self._timeout,
            json=payload,
            headers=self._headers,
        )

        try:
            return self._retry.call(attempt, idempotent=idempotent)
        except SendError as exc:
            log.warning("meta %s failed: %s", payload.get("type", "read receipt"), exc)
            raise


def _error(response: requests.Response) -> SendError:
    try:
        error = response.json()["error"]
        code = error.get("code")
        title = error.get("message")
        details = (error.get("error_data") or {}).get("details")
    except (ValueError, KeyError, TypeError, AttributeError):
        code = title = details = None
    if details and details != title:
        title = f"{title} ({details})" if title else details
    return error_for(
        "meta",
        response.status_code,
        code,
        title or response.reason,
        kind=_kind_for_code(code),
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def _buttons(body: str, options: Sequence[Option]) -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": body},
        "action": {
            "buttons": [
                {
                    "type": "reply",
                    "reply": {"id": o.id, "title": shorten(o.title, BUTTON_TITLE_LIMIT)},
                }
                for o in options
            ]
        },
    }


def _list(body: str, options: Sequence[Option], button: str, section: str) -> dict[str, Any]:
    rows = []
    for option in options:
        row = {"id": option.id, "title": shorten(option.title, ROW_TITLE_LIMIT)}
        if option.description:
            row["description"] = shorten(option.description, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    return {
        "type": "list",
        "body": {"text": body},
        "action": {"button": button, "sections": [{"title": section, "rows": rows}]},
    }
