"""WhatsApp's 24-hour window: free text while it is open, else the approved template.

The one place that decides it, for the worker's replies and for operators' and agents' messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from integrations.messaging.base import OutsideWindowError, Provider, SentMessage
from webhooks.turns.channels import Channels

WINDOW = timedelta(hours=24)


class WindowClosedError(Exception):
    """The window is closed and the caller did not allow the template instead."""


@dataclass(frozen=True)
class Recipient:
    """Where a message goes: the customer's phone, on the provider and channel they wrote on.

    `our_number` is the business number they wrote to (Meta serves several), if known.
    """

    provider: Provider
    channel: str
    phone: str
    our_number: str | None = None


def window_closed(
    channel: str | None,
    last_inbound: datetime | None,
    provider: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether free text may no longer go out on `channel` at `now` (default: the time now).

    WhatsApp's Business API takes it only within 24 hours of the customer's last message
    (unknown: closed); SMS has no window, nor has a number linked by QR code (Evolution API),
    which is an ordinary WhatsApp account.
    """
    if channel != "whatsapp" or provider == "evolution":
        return False
    return last_inbound is None or (now or datetime.now(UTC)) - last_inbound > WINDOW


def send_in_window(
    channels: Channels,
    send: Callable[[], SentMessage],
    to: Recipient,
    *,
    last_inbound: datetime | None,
    template: bool = True,
    now: datetime | None = None,
) -> tuple[SentMessage, bool]:
    """`send()` to `to` while the window is open, else the approved template if `template`.

    The window is closed by our clock (`now`, default the time now) or by the provider's word;
    with `template` false that raises WindowClosedError. No template configured:
    TemplateMissingError.

    Returns:
        What went out, and whether it was the template.
    """

    def instead() -> tuple[SentMessage, bool]:
        if not template:
            raise WindowClosedError("the 24-hour window is closed")
        return channels.send_template(to.provider, to.channel, to.phone, to.our_number), True

    if window_closed(to.channel, last_inbound, to.provider, now):
        return instead()
    try:
        return send(), False
    except OutsideWindowError:
        return instead()
