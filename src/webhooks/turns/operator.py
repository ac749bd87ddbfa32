"""Messages an operator sends outside a customer turn, on the customer's last channel."""

from __future__ import annotations

import logging
from datetime import datetime

from integrations.messaging.base import SendError
from integrations.messaging.phones import mask_phone
from webhooks import metrics
from webhooks.turns.channels import Channels, TemplateMissingError
from webhooks.turns.replies import Recipient, WindowClosedError, send_in_window

log = logging.getLogger(__name__)


class CannotSendError(Exception):
    """Nothing went out because nothing could: no sender for the channel, or a closed window."""


def send(
    channels: Channels,
    phone: str,
    text: str,
    *,
    summary: dict,
    last_inbound: datetime | None,
    template: bool,
    now: datetime | None = None,
) -> dict:
    """Send `text` where the customer last wrote from; the transcript record of the outcome.

    WhatsApp allows free text only within 24 hours of the customer's last message; after that
    the approved template goes out instead when `template`, else nothing (CannotSendError);
    `now` is when the window is judged (default: the time now).
    A provider's refusal comes back as a record with status "failed".
    """
    provider, channel = summary.get("provider"), summary.get("channel")
    our_number = summary.get("our_number")
    sender = channels.sender_for(provider, channel, our_number) if provider and channel else None
    if sender is None or not provider or not channel:
        raise CannotSendError(f"no sender configured for the customer's channel ({channel})")
    record = {"text": text, "channel": channel, "provider": provider, "author": "operator"}
    try:
        sent, as_template = send_in_window(
            channels,
            lambda: sender.send_text(phone, text),
            Recipient(provider, channel, phone, our_number),
            last_inbound=last_inbound,
            template=template,
            now=now,
        )
    except WindowClosedError as exc:
        raise CannotSendError(str(exc)) from exc
    except TemplateMissingError as exc:
        raise CannotSendError("the 24-hour window is closed and no template is configured") from exc
    except SendError as exc:
        log.warning(
            "operator send failed phone=%s provider=%s code=%s",
            mask_phone(phone),
            exc.provider,
            exc.code,
        )
        metrics.sent(provider, channel, "failed")
        error = {"code": exc.code, "title": exc.title or type(exc).__name__}
        return {**record, "status": "failed", "error": error, "ids": list(exc.sent)}
    if as_template:
        record["template"] = True
    metrics.sent(provider, channel, "template" if as_template else "accepted")
    return {**record, "status": "accepted", "ids": list(sent.message_ids)}
