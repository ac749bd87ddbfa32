"""Voice notes to text: any OpenAI-compatible `/audio/transcriptions` endpoint (Whisper and kin).

The upload is the `openai` SDK's (multipart: `file` and `model`), as maintained for the
endpoint it names. Errors come back as one `TranscriptionError`, whose `title` is safe to log:
never the audio's words, never the key.
"""

from __future__ import annotations

import io
import wave
from typing import Any

import openai

# OpenAI's own limit on an upload; TRANSCRIPTION_MAX_BYTES is checked before anything is sent.
UPLOAD_LIMIT = 25 * 1024 * 1024


class TranscriptionError(Exception):
    """The audio was not transcribed; `title` says why in a few safe words."""

    def __init__(self, title: str) -> None:
        """Say why, without the audio's content."""
        super().__init__(title)
        self.title = title


class AudioTooLongError(TranscriptionError):
    """The audio is larger than we transcribe (TRANSCRIPTION_MAX_BYTES)."""


class Transcriber:
    """One transcription model on one OpenAI-compatible server."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None,
        api_key: str | None,
        max_bytes: int = 2_000_000,
        timeout: float = 30.0,
    ) -> None:
        """Transcribe with `model` at `base_url` (None: OpenAI's), up to `max_bytes` of audio."""
        self.model = model
        self.max_bytes = max_bytes
        # The SDK refuses to start without a key; a local server may need none, so it gets a
        # placeholder rather than someone else's credential.
        self._client = openai.OpenAI(
            api_key=api_key or "unused", base_url=base_url, timeout=timeout, max_retries=1
        )

    @classmethod
    def from_settings(cls, settings: Any) -> Transcriber | None:
        """The transcriber TRANSCRIPTION_MODEL asks for, or None when it is unset.

        The server is TRANSCRIPTION_BASE_URL, else OPENAI_BASE_URL. The key is
        TRANSCRIPTION_API_KEY, else OPENAI_API_KEY, but only when the server is the chat
        model's too: OpenAI's key never goes to another server.
        """
        if not settings.transcription_model:
            return None
        base_url = settings.transcription_base_url or settings.openai_base_url
        secret = settings.transcription_api_key
        if secret is None and base_url == settings.openai_base_url:
            secret = settings.openai_api_key
        return cls(
            model=settings.transcription_model,
            base_url=base_url,
            api_key=secret.get_secret_value() if secret is not None else None,
            max_bytes=settings.transcription_max_bytes,
            timeout=settings.transcription_timeout_seconds,
        )

    def __repr__(self) -> str:
        """Model and server, never the key."""
        return f"Transcriber(model={self.model!r}, base_url={str(self._client.base_url)!r})"

    def transcribe(self, audio: bytes, *, filename: str, mime_type: str) -> str:
        """The words spoken in `audio` (a file as the customer sent it: ogg/opus, amr, mp3...)."""
        if len(audio) > min(self.max_bytes, UPLOAD_LIMIT):
            raise AudioTooLongError(f"audio of {len(audio)} bytes, over {self.max_bytes}")
        text = getattr(self._upload(filename, audio, mime_type), "text", None)
        if not isinstance(text, str) or not text.strip():
            raise TranscriptionError("no words in the transcription")
        return text.strip()

    def probe(self) -> None:
        """One real round trip with a quarter second of silence (`iagente check`).

        Any answer the server accepts will do: silence may well have no words.
        """
        silence = io.BytesIO()
        with wave.open(silence, "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(16_000)
            audio.writeframes(b"\x00\x00" * 4_000)
        self._upload("check.wav", silence.getvalue(), "audio/wav")

    def _upload(self, filename: str, audio: bytes, mime_type: str) -> object:
        """The one way out: POST the file and the model; the server's answer, or the error."""
        try:
            return self._client.audio.transcriptions.create(
                model=self.model, file=(filename, audio, mime_type), response_format="json"
            )
        except openai.APIStatusError as exc:
            raise TranscriptionError(f"{exc.status_code} from the transcription server") from None
        except openai.APIError as exc:  # timeouts, refused connections, bodies not JSON
            raise TranscriptionError(type(exc).__name__) from None
