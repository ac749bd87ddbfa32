"""Twilio sender: SMS and WhatsApp through the Messages REST API, typed errors by Twilio code.

Codes from Twilio's error dictionary (twilio.com/docs/api/errors): 20003 authentication,
20429 too many requests, 63016 outside the WhatsApp window, 63018 channel rate limit,
21211/21614/21610/21612/21635/63003/63024 recipient problems.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from functools import partial
from typing import Any, Unpack
from urllib.parse import urlsplit

import requests

from integrations.client import HTTPOptions
from integrations.messaging.base import Channel, Option, SendError, SentMessage
from integrations.messaging.gsm import to_gsm7
from integrations.messaging.media import MEDIA_LIMIT, Download, media_filename
from integrations.messaging.phones import E164, mask_phone
from integrations.messaging.sender import HTTPSender, kinds_by_code, refused_error
from integrations.messaging.text import OptionTexts, numbered, split_text

log = logging.getLogger(__name__)

BODY_LIMIT = 1600  # Twilio refuses longer bodies (error 21617), SMS and WhatsApp alike
TWILIO_API = "https://api.twilio.com"

_KINDS = kinds_by_code(
    transient={20429, 20500, 20503, 63018},
    auth={20003},
    outside_window={63016},
    # Invalid 'To'; it replied STOP; not reachable on this route; not a mobile; a landline;
    # no WhatsApp account at 'To'; invalid message recipient.
    recipient={21211, 21610, 21612, 21614, 21635, 63003, 63024},
)

# WhatsApp formatting our agent writes: *bold*, _italic_ (and a model's Markdown **bold**).
# Markers must hug text on the inside and touch no word outside: snake_case, 2*3 and
# "* item" survive.
_BOLD = re.compile(r"(?<![\w*])(\*{1,2})(?=\S)([^*\n]*?\S)\1(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")


def strip_markdown(text: str) -> str:
    """Plain text for SMS from WhatsApp-formatted text."""
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\2", text))


class TwilioSender(HTTPSender):
    """Sends messages on one channel (SMS or WhatsApp) from one Twilio number."""

    provider = "twilio"

    def __init__(
        self,
        *,
        channel: Channel,
        api_url: str,
        account_sid: str,
        auth_token: str,
        from_number: str,
        status_callback: str | None = None,
        texts: OptionTexts,
        **http: Unpack[HTTPOptions],
    ) -> None:
        """Send on `channel` from `from_number` (E.164) with the account's credentials."""
        super().__init__(texts=texts, **http)
        self.channel: Channel = channel
        self._url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        # Where our credentials may go: Twilio's API, or the one configured (a test double).
        self._media_origins = {_origin(TWILIO_API), _origin(api_url)}
        self._auth = (account_sid, auth_token)
        from_number = from_number.removeprefix("whatsapp:")
        if not E164.fullmatch(from_number):
            raise ValueError("from_number must be an E.164 number, '+' included")
        self._from = self._address(from_number)
        self._status_callback = status_callback

    def __repr__(self) -> str:
        """The channel only, never the credentials: safe in logs."""
        return f"TwilioSender(channel={self.channel!r})"

    def send_text(self, to: str, text: str) -> SentMessage:
        """Long texts go out as several messages, split at paragraphs, sentences or words."""
        if self.channel == "sms":
            # Billed by the segment: GSM-7 holds 153-160 characters a segment, UCS-2 only 67-70.
            text = to_gsm7(strip_markdown(text))
        return self._send_parts(
            [partial(self._send, to, {"Body": part}) for part in split_text(text, BODY_LIMIT)],
        )

    def send_options(self, to: str, text: str, options: Sequence[Option]) -> SentMessage:
        """Numbered text on both channels (Content API buttons are not used)."""
        return self.send_text(to, numbered(text, options, self._texts))

    def send_template(
        self, to: str, name_or_sid: str, params: Sequence[str], language: str = "es"
    ) -> SentMessage:
        """A Content API template by its SID (HX…); its language is fixed by the template."""
        variables = {str(n): value for n, value in enumerate(params, start=1)}
        fields = {"ContentSid": name_or_sid}
        if variables:
            fields["ContentVariables"] = json.dumps(variables, ensure_ascii=False)
        return SentMessage("twilio", (self._send(to, fields),))

    def download(self, url: str, *, limit: int = MEDIA_LIMIT) -> Download:
        """The file behind a `MediaUrlN` of an inbound message, fetched with our credentials.

        Only from Twilio's API host: the URL comes in a webhook, and our account's credentials
        must not follow it anywhere else. Twilio answers with a redirect to its storage, which
        requests follows without the Authorization header (it drops it on a change of host).
        """
        if _origin(url) not in self._media_origins or urlsplit(url).username is not None:
            raise SendError(
                "twilio media URL is not on Twilio's API host",
                provider="twilio",
                title="foreign media URL",
            )
        content, content_type = self._download(url, refused=_error, limit=limit, auth=self._auth)
        mime_type = content_type or "application/octet-stream"
        media_sid = urlsplit(url).path.rstrip("/").rpartition("/")[2]
        log.info("twilio downloaded media %s (%d bytes, %s)", media_sid, len(content), mime_type)
        return Download(content, mime_type, media_filename(media_sid, mime_type))

    def _address(self, phone: str) -> str:
        return f"whatsapp:{phone}" if self.channel == "whatsapp" else phone

    def _send(self, to: str, fields: dict[str, str]) -> str:
        form = {"From": self._from, "To": self._address(self._e164(to)), **fields}
        if self._status_callback:
            form["StatusCallback"] = self._status_callback
        data = self._request(form)
        sid = data.get("sid") if isinstance(data, dict) else None
        if not sid:
            raise SendError("twilio answered 2xx without a sid", provider="twilio", maybe_sent=True)
        log.info("twilio sent %s to %s: %s", self.channel, mask_phone(to), sid)
        return str(sid)

    def _request(self, form: dict[str, str]) -> dict[str, Any]:
        """The one way out to Twilio: a POST of `form` to the account's messages."""
        return self._post(
            self._url, refused=_error, what=f"{self.channel} send", data=form, auth=self._auth
        )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:  # a port that is not a number
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _error(response: requests.Response) -> SendError:
    try:
        error = response.json()
        code, title = error.get("code"), error.get("message")
    except (ValueError, AttributeError):
        code = title = None
    kind = _KINDS.get(code) if isinstance(code, int) else None
    return refused_error("twilio", response, code=code, title=title, kind=kind)
