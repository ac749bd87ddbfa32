"""The configured senders, by provider and channel, and what depends on the channel."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

import requests

from agent import texts
from integrations.http import ProviderSession
from integrations.messaging.base import Provider, Sender, SendError, SentMessage
from integrations.messaging.evolution import EvolutionSender
from integrations.messaging.meta import MetaWhatsAppSender
from integrations.messaging.text import OptionTexts
from integrations.messaging.twilio import TwilioSender
from integrations.redis.evolution import EvolutionBook
from webhooks.inbound.messages import InboundMessage
from webhooks.settings import Settings

log = logging.getLogger(__name__)

# The words senders add around options, from the one home of what customers read.
OPTION_TEXTS = OptionTexts(
    answer=texts.OPTIONS_ANSWER,
    answer_range=texts.OPTIONS_ANSWER_RANGE,
    last_joiner=texts.OPTIONS_OR,
    choose=texts.OPTIONS_CHOOSE,
    list_button=texts.OPTIONS_LIST_BUTTON,
    section=texts.OPTIONS_SECTION,
)


class TemplateMissingError(SendError):
    """The 24-hour window is closed and no template is configured for this channel."""


class Channels:
    """The senders of the service, picked by provider, channel and business number."""

    def __init__(
        self,
        meta: MetaWhatsAppSender | Sequence[MetaWhatsAppSender] | None = None,
        twilio_whatsapp: TwilioSender | None = None,
        twilio_sms: TwilioSender | None = None,
        *,
        whatsapp_template: str | None = None,
        template_language: str = "es",
        twilio_template_sid: str | None = None,
        evolution: EvolutionSender | None = None,
    ) -> None:
        """Senders as given (absent ones: that channel is not configured) and the templates.

        Args:
            meta: one sender per WhatsApp business number; the first answers when none is named.
            twilio_whatsapp: Twilio's WhatsApp sender.
            twilio_sms: Twilio's SMS sender.
            whatsapp_template: the approved Meta template sent outside the 24-hour window.
            template_language: that template's language code.
            twilio_template_sid: Twilio's approved content template, for the same purpose.
            evolution: the sender of the number linked through Evolution API.
        """
        metas = [meta] if isinstance(meta, MetaWhatsAppSender) else list(meta or [])
        # One sender per business number we serve; the first answers when none is named.
        self._meta_numbers = {sender.phone_number_id: sender for sender in metas}
        self._senders: dict[tuple[str, str], Sender | None] = {
            ("meta", "whatsapp"): metas[0] if metas else None,
            ("twilio", "whatsapp"): twilio_whatsapp,
            ("twilio", "sms"): twilio_sms,
            ("evolution", "whatsapp"): evolution,
        }
        self._templates = {"meta": whatsapp_template, "twilio": twilio_template_sid}
        self._language = template_language

    @classmethod
    def from_settings(
        cls, settings: Settings, evolution_book: EvolutionBook | None = None
    ) -> Channels:
        """The senders the settings configure, sharing one HTTP session.

        `evolution_book` tells the Evolution sender the WhatsApp address each customer wrote
        from (a LID, WhatsApp's own form of a Mexican number).
        """
        session = ProviderSession()
        meta: list[MetaWhatsAppSender] = []
        twilio_wa = twilio_sms = None
        if settings.whatsapp_token:
            meta = [
                MetaWhatsAppSender(
                    api_url=settings.whatsapp_api_url,
                    token=settings.whatsapp_token.get_secret_value(),
                    phone_number_id=number,
                    session=session,
                    texts=OPTION_TEXTS,
                )
                for number in settings.whatsapp_phone_number_ids
            ]
        if settings.twilio_account_sid and settings.twilio_auth_token:
            twilio = partial(
                TwilioSender,
                api_url=settings.twilio_api_url,
                account_sid=settings.twilio_account_sid,
                auth_token=settings.twilio_auth_token.get_secret_value(),
                session=session,
                texts=OPTION_TEXTS,
                status_callback=(
                    f"{settings.public_base_url.rstrip('/')}/webhook/twilio/status"
                    if settings.public_base_url
                    else None
                ),
            )
            if settings.twilio_whatsapp_number:
                twilio_wa = twilio(channel="whatsapp", from_number=settings.twilio_whatsapp_number)
            if settings.twilio_sms_number:
                twilio_sms = twilio(channel="sms", from_number=settings.twilio_sms_number)
        return cls(
            meta,
            twilio_wa,
            twilio_sms,
            whatsapp_template=settings.whatsapp_template_name,
            template_language=settings.whatsapp_template_language,
            twilio_template_sid=settings.twilio_template_sid,
            evolution=_evolution(settings, session, evolution_book),
        )

    def sender_for(
        self, provider: Provider, channel: str, our_number: str | None = None
    ) -> Sender | None:
        """The sender for a channel; for Meta, the business number the customer wrote to."""
        if provider == "meta" and our_number in self._meta_numbers:
            return self._meta_numbers[our_number]
        return self._senders.get((provider, channel))

    def send_template(
        self, provider: Provider, channel: str, phone: str, our_number: str | None = None
    ) -> SentMessage:
        """The approved re-engagement template, for when free text is no longer allowed."""
        template = self._templates.get(provider)
        sender = self.sender_for(provider, channel, our_number)
        if not template or sender is None:
            raise TemplateMissingError("no template configured", provider=provider)
        return sender.send_template(phone, template, [], language=self._language)

    def typing(self, message: InboundMessage) -> None:
        """Mark the message read and show 'typing…' while the turn runs (WhatsApp only)."""
        sender = self.sender_for(message.provider, message.channel, message.our_number)
        try:
            if isinstance(sender, EvolutionSender):
                sender.typing(message.phone, message.message_id)
            elif message.provider == "meta" and isinstance(sender, MetaWhatsAppSender):
                sender.typing(message.message_id)
        except SendError as exc:  # cosmetic: never hold up the reply for it
            log.info("typing indicator failed: %s", exc.code)


def _evolution(
    settings: Settings, session: requests.Session, book: EvolutionBook | None
) -> EvolutionSender | None:
    if not (
        settings.evolution_api_url and settings.evolution_api_key and settings.evolution_instance
    ):
        return None
    return EvolutionSender(
        api_url=settings.evolution_api_url,
        api_key=settings.evolution_api_key.get_secret_value(),
        instance=settings.evolution_instance,
        session=session,
        texts=OPTION_TEXTS,
        addresses=book.address if book else None,
    )
