"""Voice notes heard: a customer's audio downloaded and transcribed, so the turn reads its words.

A note that can't be heard (transcription off, the download or the transcription failing, the
audio too long) stays as it came: the turn then asks the customer to write, and the message is
kept and mirrored with its audio all the same.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from integrations.messaging.base import SendError
from integrations.messaging.phones import mask_phone
from integrations.transcription import Transcriber, TranscriptionError
from webhooks.inbound.messages import InboundMessage
from webhooks.turns.channels import Channels

log = logging.getLogger(__name__)

AUDIO_KINDS = ("audio", "voice")


def is_voice(message: InboundMessage) -> bool:
    """An audio file or a recorded voice note."""
    return message.kind in AUDIO_KINDS and bool(message.media)


class VoiceNotes:
    """Turns the voice notes of a turn into words, with the senders' downloads."""

    def __init__(self, channels: Channels, transcriber: Transcriber | None) -> None:
        """Download with `channels`' senders, transcribe with `transcriber` (None: off)."""
        self.channels = channels
        self.transcriber = transcriber

    def hear(self, batch: list[InboundMessage]) -> list[InboundMessage]:
        """The batch, each voice note with its `transcript` when it could be heard."""
        if self.transcriber is None:
            return batch
        heard = self.transcriber
        return [self._heard(m, heard) if is_voice(m) and not m.transcript else m for m in batch]

    def _heard(self, message: InboundMessage, transcriber: Transcriber) -> InboundMessage:
        media = message.media[0]
        # Meta serves a file by its media id, Twilio by URL; Evolution sends the bytes in the
        # webhook (url) or serves them by message id.
        source = media.id if message.provider == "meta" else (media.url or media.id)
        sender = self.channels.sender_for(message.provider, message.channel, message.our_number)
        try:
            if sender is None or not source:
                raise LookupError("no way to fetch it")
            audio = sender.download(source)
            words = transcriber.transcribe(
                audio.content, filename=audio.filename, mime_type=audio.mime_type
            )
        except (SendError, TranscriptionError, LookupError) as exc:
            why = getattr(exc, "title", None) or type(exc).__name__
            log.warning("voice note not heard phone=%s why=%s", mask_phone(message.phone), why)
            return message
        log.info("voice note heard phone=%s chars=%d", mask_phone(message.phone), len(words))
        return replace(message, transcript=words)
