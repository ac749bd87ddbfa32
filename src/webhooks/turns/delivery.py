"""A turn's reply sent on the channel the customer last wrote from, and what came of it."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from integrations.messaging.base import Option, RecipientError, Sender, SendError, SentMessage
from integrations.messaging.phones import mask_phone
from integrations.redis.health import HealthBook
from webhooks import metrics
from webhooks.inbound.messages import InboundMessage
from webhooks.turns.channels import Channels, TemplateMissingError
from webhooks.turns.conversations import TurnResult
from webhooks.turns.replies import Recipient, send_in_window

log = logging.getLogger(__name__)

# What each provider needs before a reply can go out, and its template for a closed window.
NEEDED = {
    "meta": "WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID",
    "twilio": "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and the sender number",
    "evolution": "EVOLUTION_API_URL, EVOLUTION_API_KEY, EVOLUTION_INSTANCE",
}
TEMPLATE_SETTING = {"meta": "WHATSAPP_TEMPLATE_NAME", "twilio": "TWILIO_TEMPLATE_SID"}
WINDOW_CLOSED = "24-hour window closed and no template configured"


class Delivery:
    """Sends replies through `channels`, noting each outcome in `health` (if given)."""

    def __init__(self, channels: Channels, health: HealthBook | None = None) -> None:
        """Replies go out through `channels`; `health` learns whether each send worked."""
        self.channels = channels
        self.health = health

    def deliver(self, phone: str, last: InboundMessage, result: TurnResult) -> dict:
        """Send the reply on the channel the customer last wrote from; describe the outcome."""
        record: dict[str, Any] = {
            "text": result.reply,
            "channel": last.channel,
            "provider": last.provider,
        }
        sender = self.channels.sender_for(last.provider, last.channel, last.our_number)
        if sender is None:
            log.warning(
                "reply not sent phone=%s: no %s/%s sender is configured (%s); it is kept in "
                "the transcript",
                mask_phone(phone),
                last.provider,
                last.channel,
                NEEDED.get(last.provider, "its credentials"),
            )
            metrics.sent(last.provider, last.channel, "failed")
            return {**record, "status": "failed", "error": {"title": "channel not configured"}}
        try:
            sent, template = self._send(sender, phone, last, result)
        except SendError as exc:
            if exc.transient and not exc.maybe_sent and not exc.sent:
                metrics.sent(last.provider, last.channel, "retry")
                raise  # nothing went out: the turn is retried later and replays its reply
            metrics.sent(last.provider, last.channel, "failed")
            if self.health and not isinstance(exc, RecipientError):
                self.health.failed(last.provider, f"{exc.code} {type(exc).__name__}")
            if isinstance(exc, TemplateMissingError):
                log.warning(
                    "reply not sent phone=%s provider=%s: the customer's last message is over "
                    "24 hours old, so WhatsApp takes only an approved template, and none is "
                    "configured (%s)",
                    mask_phone(phone),
                    exc.provider,
                    TEMPLATE_SETTING.get(exc.provider, "a template"),
                )
            else:
                log.warning(
                    "send failed phone=%s provider=%s code=%s",
                    mask_phone(phone),
                    exc.provider,
                    exc.code,
                )
            error = {"code": exc.code, "title": exc.title or type(exc).__name__}
            if isinstance(exc, TemplateMissingError):
                error["title"] = WINDOW_CLOSED
            return {**record, "status": "failed", "error": error, "ids": list(exc.sent)}
        metrics.sent(last.provider, last.channel, "template" if template else "accepted")
        if self.health:
            self.health.ok(last.provider)
        if template:
            record["template"] = True
        return {**record, "status": "accepted", "ids": list(sent.message_ids)}

    def _send(
        self, sender: Sender, phone: str, last: InboundMessage, result: TurnResult
    ) -> tuple[SentMessage, bool]:
        """What went out, and whether it was the template instead of the reply."""

        def reply() -> SentMessage:
            # Twilio can't render buttons: the reply already lists the options, numbered.
            if result.buttons and last.provider == "meta":
                options = [Option(b["id"], b["title"], b.get("detail")) for b in result.buttons]
                return sender.send_options(phone, result.reply, options)
            return sender.send_text(phone, result.reply)

        # The message being answered opened the window (when it was written, if the provider
        # said; it has only just arrived otherwise).
        written = datetime.fromtimestamp(last.timestamp or time.time(), UTC)
        to = Recipient(last.provider, last.channel, phone, last.our_number)
        return send_in_window(self.channels, reply, to, last_inbound=written)
