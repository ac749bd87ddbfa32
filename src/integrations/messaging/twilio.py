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
from integrations.messaging.gsm import to_gsm7
from integrations.messaging.media import MEDIA_LIMIT, Download, fetch_bytes, media_filename
from integrations.messaging.phones import E164, mask_phone
from integrations.messaging.retry import RetryPolicy, parse_retry_after
from integrations.messaging.text import OptionTexts, numbered, split_text

log = logging.getLogger(__name__)

BODY_LIMIT = 1600  # Twilio refuses longer bodies (error 21617), SMS and WhatsApp alike
TWILIO_API = "https://api.twilio.com"

_KINDS: dict[int, type[SendError]] = {
    20003: AuthSendError,
    20429: TransientSendError,
    20500: TransientSendError,
    20503: TransientSendError,
    63018: TransientSendError,
    63016: OutsideWindowError,
    21211: RecipientError,  # invalid 'To' number
    21610: RecipientError,  # the recipient replied STOP
    21612: RecipientError,  # 'To' not reachable on this route
    21614: RecipientError,  # 'To' is not a mobile number
    21635: RecipientError,  # 'To' is a landline
    63003: RecipientError,  # no WhatsApp account at 'To'
    63024: RecipientError,  # invalid message recipient
}

# WhatsApp formatting our agent writes: *bold*, _italic_ (and a model's Markdown **bold**).
# Markers must hug text on the inside and touch no word outside: snake_case, 2*3 and
# "* item" survive.
_BOLD = re.compile(r"(?<![\w*])(\*{1,2})(?=\S)([^*\n]*?\S)\1(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")


def strip_markdown(text: str) -> str:
    """Plain text for SMS from WhatsApp-formatted text."""
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\2", text))


class TwilioSender:
    """Sends messages on one channel (SMS or WhatsApp) from one Twilio number."""

    def __init__(
        self,
        *,
        channel: Channel,
        api_url: str,
        account_sid: str,
        auth_token: str,
        from_number: str,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (3.05, 10.0),
        retry: RetryPolicy | None = None,
        status_callback: str | None = None,
        texts: OptionTexts,
    ) -> None:
        """Send on `channel` from `from_number` (E.164) with the account's credentials."""
        self.channel: Channel = channel
        self._url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        # Where our credentials may go: Twilio's API, or the one configured (a test double).
        self._media_origins = {_origin(TWILIO_API), _origin(api_url)}
        self._auth = (account_sid, auth_token)
        from_number = from_number.removeprefix("whatsapp:")
        if not E164.fullmatch(from_number):
            raise ValueError("from_number must be an E.164 number, '+' included")
        self._from = self._address(from_number)
        self._session = session or ProviderSession()
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._status_callback = status_callback
        self._texts = texts

    def __repr__(self) -> str:
        """The channel only, never the credentials: safe in logs."""
        return f"TwilioSender(channel={self.channel!r})"

    def send_text(self, to: str, text: str) -> SentMessage:
        """Long texts go out as several messages, split at paragraphs, sentences or words."""
        if self.channel == "sms":
            # Billed by the segment: GSM-7 holds 153-160 characters a segment, UCS-2 only 67-70.
            text = to_gsm7(strip_markdown(text))
        return send_parts(
            "twilio",
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
        try:
            content, content_type = fetch_bytes(
                self._session,
                "twilio",
                url,
                refused=_error,
                retry=self._retry,
                timeout=self._timeout,
                limit=limit,
                auth=self._auth,
            )
        except SendError as exc:
            log.warning("twilio media download failed: %s", exc)
            raise
        mime_type = content_type or "application/octet-stream"
        media_sid = urlsplit(url).path.rstrip("/").rpartition("/")[2]
        log.info("twilio downloaded media %s (%d bytes, %s)", media_sid, len(content), mime_type)
        return Download(content, mime_type, media_filename(media_sid, mime_type))

    def _address(self, phone: str) -> str:
        return f"whatsapp:{phone}" if self.channel == "whatsapp" else phone

    def _send(self, to: str, fields: dict[str, str]) -> str:
        form = {"From": self._from, "To": self._address(check_e164("twilio", to)), **fields}
        if self._status_callback:
            form["StatusCallback"] = self._status_callback
        data = self._request(form)
        sid = data.get("sid") if isinstance(data, dict) else None
        if not sid:
            raise SendError("twilio answered 2xx without a sid", provider="twilio", maybe_sent=True)
        log.info("twilio sent %s to %s: %s", self.channel, mask_phone(to), sid)
        return str(sid)

    def _request(self, form: dict[str, str]) -> dict[str, Any]:
        """The one way out to Twilio: POST, map errors, retry what may be retried."""
        attempt = partial(
            post_json,
            self._session,
            self._url,
            provider="twilio",
            refused=_error,
            timeout=self._timeout,
            data=form,
            auth=self._auth,
        )

        try:
            return self._retry.call(attempt)
        except SendError as exc:
            log.warning("twilio %s send failed: %s", self.channel, exc)
            raise


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
    return error_for(
        "twilio",
        response.status_code,
        code,
        title or response.reason,
        kind=_KINDS.get(code) if isinstance(code, int) else None,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )
