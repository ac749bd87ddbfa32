"""Evolution API sender: WhatsApp through a number linked by QR code, one request function.

Routes and answers are Evolution API 2.3.6's (tests/data/evolution/rest.md). Every call goes to
the configured server with our `apikey` header, and nowhere else. Errors come as
`{"status", "error", "response": {"message": [...]}}`; a number that is not on WhatsApp is a 400
whose message holds `{"exists": false, ...}`.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Unpack
from urllib.parse import quote

import requests

from integrations.client import HTTPOptions
from integrations.messaging.base import (
    Channel,
    Option,
    RecipientError,
    SendError,
    SentMessage,
    TransientSendError,
    network_error,
)
from integrations.messaging.media import MEDIA_LIMIT, Download, media_filename, too_large
from integrations.messaging.phones import mask_phone
from integrations.messaging.sender import HTTPSender, refused_error
from integrations.messaging.text import OptionTexts, numbered, split_text

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
TYPING_MS = 800  # Evolution answers sendPresence only after showing "typing…" this long
# (reply JID, read-receipt JID) of a customer's phone, as their messages came; None: unknown.
Addresses = Callable[[str], tuple[str | None, str | None]]
CLOSED = "Connection Closed"  # Baileys' error when the socket to WhatsApp is down
WEBHOOK_EVENTS = ("QRCODE_UPDATED", "CONNECTION_UPDATE", "MESSAGES_UPSERT", "MESSAGES_UPDATE")


class EvolutionSender(HTTPSender):
    """Sends WhatsApp messages from the number linked to one Evolution API instance."""

    channel: Channel = "whatsapp"
    provider = "evolution"

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        instance: str,
        texts: OptionTexts,
        addresses: Addresses | None = None,
        **http: Unpack[HTTPOptions],
    ) -> None:
        """Send through `instance` of the Evolution server at `api_url`, with its `api_key`.

        `addresses` tells the JID a customer wrote from (a LID, WhatsApp's own Mexican form);
        without one, the phone's digits are sent and Evolution finds the JID.
        """
        super().__init__(texts=texts, **http)
        self._base = api_url.rstrip("/")
        self.instance = instance
        self._instance = quote(instance, safe="")
        self._headers = {"apikey": api_key}
        self._addresses = addresses

    def __repr__(self) -> str:
        """The instance only, never the key: safe in logs."""
        return f"EvolutionSender(instance={self.instance!r})"

    # The Sender protocol

    def send_text(self, to: str, text: str) -> SentMessage:
        """A text message; long texts go out as several, split at paragraphs or sentences."""
        number = self._number(to)
        return self._send_parts(
            [
                partial(self._send, "sendText", to, {"number": number, "text": part})
                for part in split_text(text, TEXT_LIMIT)
            ],
        )

    def send_options(self, to: str, text: str, options: Sequence[Option]) -> SentMessage:
        """Numbered text: lists and buttons from a linked phone rarely reach customers."""
        return self.send_text(to, numbered(text, options, self._texts))

    def send_template(
        self, to: str, name_or_sid: str, params: Sequence[str], language: str = "es"
    ) -> SentMessage:
        """Never needed: a linked number has no 24-hour window, so no templates either."""
        raise SendError(
            "evolution has no message templates", provider="evolution", title="no templates"
        )

    def send_media(
        self,
        to: str,
        *,
        kind: str,
        media: str,
        mime_type: str | None = None,
        filename: str | None = None,
        caption: str | None = None,
    ) -> SentMessage:
        """A file (`kind` image, video, audio or document) by https URL or bare base64."""
        body: dict[str, Any] = {"number": self._number(to), "mediatype": kind, "media": media}
        for name, value in (("mimetype", mime_type), ("fileName", filename), ("caption", caption)):
            if value:
                body[name] = value
        return SentMessage("evolution", (self._send("sendMedia", to, body),))

    def typing(self, to: str, message_id: str) -> None:
        """Mark the customer's message read, then show "typing…" for a moment."""
        reply, read = self._address(to)
        if read:  # Evolution silently skips receipts to a LID
            receipt = {"id": message_id, "fromMe": False, "remoteJid": read}
            self._request("POST", "chat/markMessageAsRead", {"readMessages": [receipt]}, True)
        presence = {"number": reply, "presence": "composing", "delay": TYPING_MS}
        self._request("POST", "chat/sendPresence", presence, True)

    def download(self, source: str, /, *, limit: int = MEDIA_LIMIT) -> Download:
        """A file a customer sent: the webhook's own base64 (a data URL), or by message id."""
        data: object
        if source.startswith("data:"):
            header, _, data = source.partition(",")
            mime_type = header.removeprefix("data:").removesuffix(";base64") or None
            stem = "media"
        else:
            answer = self._request(
                "POST",
                "chat/getBase64FromMediaMessage",
                {"message": {"key": {"id": source}}, "convertToMp4": False},
                True,
            )
            data, mime_type = answer.get("base64"), answer.get("mimetype")
            stem = source
        if not isinstance(data, str):
            raise SendError("evolution media answer without base64", provider="evolution")
        if len(data) > (limit * 4) // 3 + 4:  # base64 takes 4 characters for 3 bytes
            raise too_large("evolution", limit)
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise SendError("evolution media is not base64", provider="evolution") from None
        mime_type = str(mime_type or "application/octet-stream")
        log.info("evolution downloaded media (%d bytes, %s)", len(content), mime_type)
        return Download(content, mime_type, media_filename(stem, mime_type))

    # Linking the number (iagente whatsapp-web link, iagente check)

    def connection_state(self) -> str:
        """The instance's state: open, connecting, close or refused."""
        answer = self._request("GET", "instance/connectionState", None, True)
        return str(_dict(answer.get("instance")).get("state") or "unknown")

    def create_instance(self, webhook: dict[str, Any]) -> dict[str, Any]:
        """Create the instance (a Baileys one, linked by QR code) with its webhook."""
        body = {
            "instanceName": self.instance,
            "integration": "WHATSAPP-BAILEYS",
            "qrcode": True,
            "groupsIgnore": True,
            "webhook": webhook,
        }
        return self._request("POST", "instance/create", body, False, scoped=False)

    def connect(self) -> dict[str, Any]:
        """Start (or keep) connecting: the QR code to scan, or the state once linked."""
        return self._request("GET", "instance/connect", None, True)

    def set_webhook(self, webhook: dict[str, Any]) -> dict[str, Any]:
        """Point the instance's webhook at us (an upsert: calling it twice is harmless)."""
        return self._request("POST", "webhook/set", {"webhook": webhook}, True)

    # Plumbing

    def _address(self, to: str) -> tuple[str, str | None]:
        phone = self._e164(to)
        reply, read = self._addresses(phone) if self._addresses else (None, None)
        return reply or phone.removeprefix("+"), read

    def _number(self, to: str) -> str:
        # Digits without '+': Evolution matches Mexican/Argentine variants on the raw string.
        return self._address(to)[0]

    def _send(self, route: str, to: str, body: dict[str, Any]) -> str:
        answer = self._request("POST", f"message/{route}", body, False)
        message_id = _dict(answer.get("key")).get("id")
        if not isinstance(message_id, str) or not message_id:
            raise SendError(
                "evolution answered 2xx without a message id",
                provider="evolution",
                maybe_sent=True,
            )
        log.info("evolution sent %s to %s: %s", route, mask_phone(to), message_id)
        return message_id

    def _request(
        self,
        method: str,
        route: str,
        body: dict[str, Any] | None,
        idempotent: bool,
        *,
        scoped: bool = True,
    ) -> dict[str, Any]:
        """The one way out to Evolution: our instance's `route` (or the server's), with our key."""
        url = f"{self._base}/{route}/{self._instance}" if scoped else f"{self._base}/{route}"
        if method == "POST":
            return self._post(
                url,
                refused=_error,
                what=route,
                idempotent=idempotent,
                json=body,
                headers=self._headers,
            )
        return self._call(partial(self._get, url), what=route, idempotent=idempotent)

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = self._session.get(url, headers=self._headers, timeout=self._timeout)
        except requests.RequestException as exc:
            raise network_error("evolution", exc) from exc
        if not response.ok:
            raise _error(response)
        try:
            answer = response.json()
        except ValueError:
            raise SendError(
                "evolution answered 2xx with a body that is not JSON", provider="evolution"
            ) from None
        return answer if isinstance(answer, dict) else {"answer": answer}


def webhook_config(url: str, token: str) -> dict[str, Any]:
    """The instance webhook we want: our URL, the JWT key, the events we act on, no base64.

    Files are fetched by id when needed: base64 in every webhook would make bodies larger than
    we accept.
    """
    return {
        "enabled": True,
        "url": url,
        "headers": {"jwt_key": token},
        "byEvents": False,
        "base64": False,
        "events": list(WEBHOOK_EVENTS),
    }


def _error(response: requests.Response) -> SendError:
    try:
        body = response.json()
        messages = _dict(body.get("response")).get("message")
        code = body.get("error")
    except (ValueError, AttributeError):
        messages, code = None, None
    items = messages if isinstance(messages, list) else [messages] if messages else []
    kind: type[SendError] | None = None
    if any(isinstance(m, dict) and m.get("exists") is False for m in items):
        kind = RecipientError
    elif any(isinstance(m, str) and CLOSED in m for m in items):
        # The link to the phone dropped (Baileys' "Connection Closed"): nothing went out, and
        # Evolution reconnects by itself, so the same request may succeed later.
        kind = TransientSendError
    # Otherwise the HTTP status says: 401/403 our key, 429 and 5xx try again later.
    title = "; ".join(str(m) for m in items if isinstance(m, str))
    code = code if isinstance(code, str) else None
    return refused_error("evolution", response, code=code, title=title, kind=kind)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
