"""Voice notes heard: fetched, transcribed, answered as text, kept and mirrored with their words.

The audio comes from the fake Meta and Twilio, the words from a local OpenAI-compatible server
that records each multipart upload.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from agent import texts
from integrations.transcription import AudioTooLongError, Transcriber, TranscriptionError
from testkit import DATA
from testkit.fake_chatwoot import FakeChatwoot
from testkit.openai_server import FakeOpenAI
from testkit.processes import wait_until
from testkit.settings import settings_for
from testkit.signed import meta_headers, twilio_headers
from testkit.stack import (
    BASE,
    META_TOKEN,
    SECRET,
    TOKEN,
    TWILIO_SID,
    Stack,
    post_meta,
    running,
)
from webhooks.cli.checks import outcomes

VOICE = b"OggS\x00\x02" + bytes(range(256)) * 30  # the bytes the customer recorded
WORDS = "Hola, quiero un seguro de vida"
PHONE = "+34611300001"


@pytest.fixture
def whisper() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.transcripts[VOICE] = WORDS
        yield server


def heard_settings(whisper: FakeOpenAI, **more: Any) -> dict[str, Any]:
    return {
        "transcription_model": "whisper-1",
        "transcription_base_url": whisper.base_url,
        "transcription_api_key": "transcription-key-for-tests",
        **more,
    }


def post_meta_voice(stack: Stack, phone: str, media_id: str, message_id: str) -> None:
    """Meta's recorded voice-note webhook (tests/data), moved onto this phone and media."""
    payload = json.loads((DATA / "meta-whatsapp" / "webhooks" / "msg_voice.json").read_text())
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = phone.lstrip("+")
    [message] = value["messages"]
    message.update(
        {"from": phone.lstrip("+"), "id": message_id, "timestamp": str(int(time.time()))}
    )
    message["audio"]["id"] = media_id
    body = json.dumps(payload).encode()
    answer = stack.client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET))
    assert answer.status_code == 200


def post_twilio_voice(stack: Stack, phone: str, sid: str, media_sid: str) -> None:
    """Twilio's recorded WhatsApp audio form (tests/data), moved onto this phone and media."""
    form = json.loads((DATA / "twilio" / "whatsapp_inbound_audio_voice.json").read_text())
    media = (
        f"{stack.providers.url}/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}/Media/{media_sid}"
    )
    form |= {
        "From": f"whatsapp:{phone}",
        "WaId": phone.lstrip("+"),
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "MediaUrl0": media,
    }
    headers = twilio_headers(f"{BASE}/webhook/twilio", form, TOKEN)
    assert stack.client.post("/webhook/twilio", data=form, headers=headers).status_code == 200


def reply_to_text(stack: Stack, text: str) -> str:
    """What the bot answers `text` written by a new customer (to compare a voice note with)."""
    phone = "+34611399999"
    post_meta(stack, phone, text, "wamid.reference")
    return wait_until(lambda: stack.providers.texts_to(phone), what="the reference reply")[0]


def inbound(stack: Stack, phone: str) -> list[dict]:
    """The customer's side of the transcript, once the turn is recorded (after its reply)."""

    def recorded() -> list[dict]:
        entries = stack.service.store.transcript(phone)
        return [e for e in entries if e["direction"] == "in"] if len(entries) > 1 else []

    return wait_until(recorded, what="the turn recorded")


# --- through the whole service ---------------------------------------------------------------


def test_a_meta_voice_note_is_transcribed_and_answered_as_its_words(redis_url, whisper):
    with running(redis_url, **heard_settings(whisper)) as stack:
        stack.providers.media["media-voice-1"] = (VOICE, "audio/ogg")
        stack.start_workers()
        post_meta_voice(stack, PHONE, "media-voice-1", "wamid.voice.1")
        [reply] = wait_until(lambda: stack.providers.texts_to(PHONE), what="the reply")
        assert reply == reply_to_text(stack, WORDS)
        assert reply != texts.VOICE_NOT_HEARD

        # The upload: one multipart POST with the audio as `file` and the model as `model`.
        [upload] = whisper.uploads
        assert upload["path"] == "/v1/audio/transcriptions"
        assert upload["content_type"].startswith("multipart/form-data; boundary=")
        assert upload["auth"] == "Bearer transcription-key-for-tests"
        assert upload["form"]["model"] == "whisper-1"
        [part] = upload["files"]
        assert (part["field"], part["content"], part["content_type"]) == (
            "file",
            VOICE,
            "audio/ogg",
        )
        assert part["filename"].endswith(".ogg")
        # The audio came from Meta with Meta's token, not the transcription key.
        fetched = [d for d in stack.providers.downloads if "media-voice-1" in d["path"]]
        assert fetched and all(d["auth"] == f"Bearer {META_TOKEN}" for d in fetched)

        [entry] = inbound(stack, PHONE)
        assert (entry["kind"], entry["transcript"]) == ("voice", WORDS)


def test_a_twilio_voice_note_is_transcribed(redis_url, whisper):
    phone, sid = "+34611300002", "MM0000000000000000000000000000a001"
    with running(redis_url, **heard_settings(whisper)) as stack:
        stack.providers.media["ME0000000000000000000000000000a001"] = (VOICE, "audio/ogg")
        stack.start_workers()
        post_twilio_voice(stack, phone, sid, "ME0000000000000000000000000000a001")
        [reply] = wait_until(lambda: stack.providers.texts_to(phone), what="the reply")
        assert reply not in (texts.VOICE_NOT_HEARD, texts.UNREADABLE)
        [upload] = whisper.uploads
        assert upload["form"]["model"] == "whisper-1"
        assert upload["files"][0]["content"] == VOICE
        fetched = [d for d in stack.providers.downloads if sid in d["path"]]
        assert fetched and all(d["auth"].startswith("Basic ") for d in fetched)
        [entry] = inbound(stack, phone)
        assert entry["transcript"] == WORDS


@pytest.mark.parametrize(
    "how",
    ["off", "server error", "too long", "audio gone"],
)
def test_a_voice_note_that_cant_be_heard_gets_a_request_to_write_and_is_kept(
    redis_url, whisper, how
):
    more: dict[str, Any] = {} if how == "off" else heard_settings(whisper)
    if how == "too long":
        more["transcription_max_bytes"] = len(VOICE) - 1
    with running(redis_url, **more) as stack:
        if how != "audio gone":
            stack.providers.media["media-voice-2"] = (VOICE, "audio/ogg")
        if how == "server error":
            whisper.transcription_status = 500
        stack.start_workers()
        post_meta_voice(stack, PHONE, "media-voice-2", "wamid.voice.2")
        [reply] = wait_until(lambda: stack.providers.texts_to(PHONE), what="the reply")
        assert reply == texts.VOICE_NOT_HEARD
        [entry] = inbound(stack, PHONE)
        assert entry["kind"] == "voice" and "transcript" not in entry
        if how in ("off", "too long", "audio gone"):
            assert whisper.uploads == []  # nothing sent that could not be heard


def test_a_voice_note_in_chatwoot_has_the_audio_and_its_words(redis_url, whisper):
    with FakeChatwoot(token="cw-token", account_id=1) as chatwoot:
        chatwoot_settings = {
            "chatwoot_base_url": chatwoot.url,
            "chatwoot_account_id": 1,
            "chatwoot_user_token": "cw-token",
            "chatwoot_inbox_id": 7,
            "chatwoot_webhook_secret": "cw-secret",
        }
        with running(redis_url, **heard_settings(whisper), **chatwoot_settings) as stack:
            stack.providers.media["media-voice-3"] = (VOICE, "audio/ogg")
            stack.start_workers()
            post_meta_voice(stack, PHONE, "media-voice-3", "wamid.voice.3")

            def incoming() -> list[dict]:
                conversation = chatwoot.conversation_for(PHONE)
                messages = chatwoot.messages(conversation["id"]) if conversation else []
                return [m for m in messages if m["message_type"] == "incoming"]

            [message] = wait_until(incoming, what="the voice note in Chatwoot")
            assert message["content"] == f"🎤 Transcripción: {WORDS}"
            [attachment] = message["attachments"]
            assert (attachment["content_type"], attachment["size"]) == ("audio/ogg", len(VOICE))
            assert chatwoot.violations == []


# --- the client on its own -------------------------------------------------------------------


def test_the_transcriber_refuses_audio_over_the_limit_without_sending_it(whisper):
    transcriber = Transcriber(
        model="whisper-1", base_url=whisper.base_url, api_key="k", max_bytes=10
    )
    with pytest.raises(AudioTooLongError):
        transcriber.transcribe(VOICE, filename="a.ogg", mime_type="audio/ogg")
    assert whisper.uploads == []


def test_a_transcription_error_says_why_without_the_key(whisper):
    whisper.transcription_status = 401
    transcriber = Transcriber(model="whisper-1", base_url=whisper.base_url, api_key="secret-k")
    with pytest.raises(TranscriptionError) as caught:
        transcriber.transcribe(VOICE, filename="a.ogg", mime_type="audio/ogg")
    assert "401" in caught.value.title and "secret-k" not in str(caught.value)
    assert "secret-k" not in repr(transcriber)


def test_the_openai_key_goes_only_to_the_openai_server(whisper):
    """What each server receives: OpenAI's key reaches only the chat model's own server."""
    with FakeOpenAI() as elsewhere:
        elsewhere.transcripts[VOICE] = WORDS
        base = settings_for(None, openai_api_key="sk-openai", openai_base_url=whisper.base_url)
        same = Transcriber.from_settings(
            base.model_copy(update={"transcription_model": "whisper-1"})
        )
        assert same is not None
        assert same.transcribe(VOICE, filename="a.ogg", mime_type="audio/ogg") == WORDS
        other = Transcriber.from_settings(
            base.model_copy(
                update={
                    "transcription_model": "whisper-1",
                    "transcription_base_url": elsewhere.base_url,
                }
            )
        )
        assert other is not None
        assert other.transcribe(VOICE, filename="a.ogg", mime_type="audio/ogg") == WORDS
        [at_openai], [at_elsewhere] = whisper.uploads, elsewhere.uploads
    assert at_openai["auth"] == "Bearer sk-openai"
    assert "sk-openai" not in (at_elsewhere["auth"] or "")
    assert Transcriber.from_settings(base) is None  # no model: off


def test_a_bad_transcription_setting_is_one_clear_line():
    from webhooks.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, transcription_max_bytes="muchos")
    assert "TRANSCRIPTION_MAX_BYTES" in str(caught.value) and "\n" not in str(caught.value)


def test_iagente_check_tries_the_transcription_server(whisper):
    settings = settings_for(None, **heard_settings(whisper))
    [voice] = [o for o in outcomes(settings) if o.name == "voice"]
    assert voice.ok is True and "whisper-1" in voice.detail
    [upload] = whisper.uploads  # a real upload: a short silence, as WAV
    assert upload["form"]["model"] == "whisper-1"
    assert upload["files"][0]["content"].startswith(b"RIFF")
    whisper.transcription_status = 401
    [voice] = [o for o in outcomes(settings) if o.name == "voice"]
    assert voice.ok is False and "401" in voice.detail
    off = [o for o in outcomes(settings_for(None)) if o.name == "voice"]
    assert [o.ok for o in off] == [None]
