"""WhatsApp's 24-hour window, decided in one place for the worker's and operators' messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.messaging.base import OutsideWindowError, SentMessage
from webhooks.turns.channels import Channels, TemplateMissingError
from webhooks.turns.replies import Recipient, WindowClosedError, send_in_window, window_closed

TEXT, TEMPLATE = SentMessage("meta", ("wamid.text",)), SentMessage("meta", ("wamid.template",))


class TemplateChannels(Channels):
    """Channels whose template goes out (recorded) instead of to a provider."""

    def __init__(self) -> None:
        super().__init__()
        self.templates: list[tuple] = []

    def send_template(self, provider, channel, phone, our_number=None) -> SentMessage:
        self.templates.append((provider, channel, phone, our_number))
        return TEMPLATE


def send(channels, text, *, channel="whatsapp", last_inbound, template=True):
    return send_in_window(
        channels,
        text,
        Recipient("meta", channel, "+34600000001", "1122"),
        last_inbound=last_inbound,
        template=template,
    )


def refused():
    raise OutsideWindowError("outside the window", provider="meta", code=131047)


@pytest.mark.parametrize(
    ("channel", "ago", "closed"),
    [
        ("whatsapp", timedelta(hours=23, minutes=50), False),
        ("whatsapp", timedelta(hours=24, minutes=1), True),
        ("whatsapp", None, True),  # never wrote (as far as we know): closed
        ("sms", timedelta(days=30), False),  # SMS has no window
        ("sms", None, False),
    ],
)
def test_the_window_is_whatsapps_24_hours_since_the_customers_last_message(channel, ago, closed):
    last_inbound = datetime.now(UTC) - ago if ago is not None else None
    assert window_closed(channel, last_inbound) is closed


def test_inside_the_window_the_message_itself_goes_out():
    channels = TemplateChannels()
    assert send(channels, lambda: TEXT, last_inbound=datetime.now(UTC)) == (TEXT, False)
    assert channels.templates == []


def test_a_closed_window_sends_the_template_without_trying_the_text():
    channels, tried = TemplateChannels(), []
    sent = send(
        channels,
        lambda: tried.append(1) or TEXT,
        last_inbound=datetime.now(UTC) - timedelta(days=2),
    )
    assert sent == (TEMPLATE, True) and tried == []
    assert channels.templates == [("meta", "whatsapp", "+34600000001", "1122")]


def test_the_providers_word_that_the_window_closed_sends_the_template():
    channels = TemplateChannels()
    assert send(channels, refused, last_inbound=datetime.now(UTC)) == (TEMPLATE, True)


def test_without_leave_to_send_the_template_nothing_goes_out():
    channels = TemplateChannels()
    with pytest.raises(WindowClosedError):
        send(channels, lambda: TEXT, last_inbound=None, template=False)
    with pytest.raises(WindowClosedError):
        send(channels, refused, last_inbound=datetime.now(UTC), template=False)
    assert channels.templates == []


def test_no_template_configured_is_a_template_missing_error():
    with pytest.raises(TemplateMissingError):
        send(Channels(), lambda: TEXT, last_inbound=datetime.now(UTC) - timedelta(days=2))
