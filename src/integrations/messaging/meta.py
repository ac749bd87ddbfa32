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
from typing import Any, Unpack
from urllib.parse import urlsplit

import requests

from integrations.client import HTTPOptions
from integrations.messaging.base import Channel, Option, SendError, SentMessage
from integrations.messaging.media import (
    MEDIA_LIMIT,
    Download,
    media_filename,
    too_large,
)
from integrations.messaging.phones import mask_phone
from integrations.messaging.sender import HTTPSender, kinds_by_code, refused_error
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
_KINDS = kinds_by_code(
    transient={1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004},
    auth={0, 3, 10, 190, *range(200, 300)},
    outside_window={131047},
    recipient={131021, 131026, 131030, 131050},
)
_MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class MetaWhatsAppSender(HTTPSender):
    """Sends WhatsApp messages from one business number through Meta's Cloud API."""

    channel: Channel = "whatsapp"
    provider = "meta"

    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        phone_number_id: str,
        texts: OptionTexts,
        **http: Unpack[HTTPOptions],
    ) -> None:
        """Send from the business number `phone_number_id`, with a system user's `token`."""
        super().__init__(texts=texts, **http)
        self._api_url = api_url.rstrip("/")
        self._url = f"{self._api_url}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._list_button = shorten(texts.list_button, LIST_BUTTON_LIMIT)
        self.phone_number_id = phone_number_id

    def __repr__(self) -> str:
        """The business number's id, never the token: safe in logs."""
        return f"MetaWhatsAppSender(phone_number_id={self.phone_number_id!r})"

    # The Sender protocol

    def send_text(self, to: str, text: str) -> SentMessage:
        """A text message; long texts go out as several, split at paragraphs or sentences."""
        return self._send_parts(
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
        return self._send_parts(parts)

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
        return self._download(
            url, refused=_error, limit=limit, headers=self._headers, params=params
        )

    def _text(self, to: str, body: str) -> str:
        return self._send("text", to, {"text": {"body": body, "preview_url": False}})

    def _send(self, kind: str, to: str, content: dict[str, Any]) -> str:
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": self._e164(to).removeprefix("+"),
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
        """The one way out to the Graph API: a POST of `payload` to our number's messages."""
        return self._post(
            self._url,
            refused=_error,
            what=str(payload.get("type", "read receipt")),
            idempotent=idempotent,
            json=payload,
            headers=self._headers,
        )


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
    kind = _KINDS.get(code) if isinstance(code, int) else None
    return refused_error("meta", response, code=code, title=title, kind=kind)


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
