"""Downloading customer media: Meta by media id, Twilio by MediaUrl; auth, caps, redirects."""

from __future__ import annotations

import base64
import gzip
import io
import socket

import pytest
import requests
import responses

from integrations.messaging import media
from integrations.messaging.base import AuthSendError, SendError, TransientSendError
from integrations.messaging.media import Download, media_filename
from integrations.messaging.meta import MetaWhatsAppSender
from integrations.messaging.retry import RetryPolicy
from integrations.messaging.twilio import TwilioSender
from testkit.fake_providers import FakeProviders
from webhooks.turns.channels import OPTION_TEXTS

META_TOKEN = "EAAGmediatoken"
PHONE_NUMBER_ID = "106540352242922"
MEDIA_ID = "4490709327384033"
SID, AUTH_TOKEN = "AC00000000000000000000000000000001", "twilio-auth-token-for-media"
BASIC = "Basic " + base64.b64encode(f"{SID}:{AUTH_TOKEN}".encode()).decode()
MEDIA_PATH = f"/2010-04-01/Accounts/{SID}/Messages/MM0123456789abcdef/Media/ME0123456789abcdef"
TWILIO_MEDIA = "https://api.twilio.com" + MEDIA_PATH
CDN = "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC0001/d8c6"
GRAPH = "https://graph.test/v23.0"
LOOKASIDE = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=4490709327384033"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"
POLICY = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.5, wait_max=4.0, wait_jitter=0.5)


pytestmark = pytest.mark.usefixtures("sleeps")  # retry waits recorded, never slept


@pytest.fixture
def providers():
    with FakeProviders(meta_token=META_TOKEN, twilio_auth=(SID, AUTH_TOKEN)) as fake:
        yield fake


@pytest.fixture
def mock():
    with responses.RequestsMock() as rsps:
        yield rsps


def meta(api_url: str = GRAPH, token: str = META_TOKEN) -> MetaWhatsAppSender:
    return MetaWhatsAppSender(
        api_url=api_url,
        token=token,
        phone_number_id=PHONE_NUMBER_ID,
        retry=POLICY,
        texts=OPTION_TEXTS,
    )


def twilio(api_url: str = "https://api.twilio.com", token: str = AUTH_TOKEN) -> TwilioSender:
    return TwilioSender(
        channel="whatsapp",
        api_url=api_url,
        account_sid=SID,
        auth_token=token,
        from_number="+14155238886",
        retry=POLICY,
        texts=OPTION_TEXTS,
    )


# --- Meta, against the fake Graph API --------------------------------------------------------


def test_meta_download_looks_up_the_url_then_fetches_the_bytes(providers) -> None:
    providers.media[MEDIA_ID] = (JPEG, "image/jpeg")
    got = meta(f"{providers.url}/v23.0").download(MEDIA_ID)
    assert got == Download(JPEG, "image/jpeg", f"{MEDIA_ID}.jpg")
    lookup, fetch = providers.downloads
    assert lookup["path"] == f"/v23.0/{MEDIA_ID}?phone_number_id={PHONE_NUMBER_ID}"
    assert fetch["path"].startswith(f"/whatsapp_business/attachments/{MEDIA_ID}?")
    assert lookup["auth"] == fetch["auth"] == f"Bearer {META_TOKEN}"
    assert providers.sent == []  # a download sends nothing


def test_meta_voice_note_keeps_its_codec_and_gets_an_ogg_name(providers) -> None:
    providers.media["777"] = (b"OggS\x00voice", "audio/ogg; codecs=opus")
    got = meta(f"{providers.url}/v23.0").download("777")
    assert got == Download(b"OggS\x00voice", "audio/ogg; codecs=opus", "777.ogg")


def test_meta_wrong_token_is_an_auth_error(providers) -> None:
    providers.media[MEDIA_ID] = (JPEG, "image/jpeg")
    with pytest.raises(AuthSendError) as caught:
        meta(f"{providers.url}/v23.0", token="EAAGwrong").download(MEDIA_ID)
    assert (caught.value.status, caught.value.code) == (401, 190)
    assert len(providers.downloads) == 1  # not retried, the file never asked for


def test_meta_unknown_media_is_a_permanent_error(providers) -> None:
    with pytest.raises(SendError) as caught:
        meta(f"{providers.url}/v23.0").download("999")
    assert (caught.value.status, caught.value.code, caught.value.transient) == (404, 100, False)


@pytest.mark.parametrize("media_id", ["", "../123", "123/messages", "123?fields=x", "1 2"])
def test_meta_refuses_what_is_not_a_media_id(media_id: str, mock) -> None:
    with pytest.raises(SendError, match="not a Meta media id"):
        meta().download(media_id)
    assert not mock.calls


# --- Meta, edge cases with responses ---------------------------------------------------------


def lookup(mock, **info) -> None:
    body = {"messaging_product": "whatsapp", "id": MEDIA_ID} | info
    mock.get(f"{GRAPH}/{MEDIA_ID}", json=body)


def test_meta_mime_type_falls_back_to_the_files_content_type(mock) -> None:
    lookup(mock, url=LOOKASIDE)
    mock.get(LOOKASIDE, body=b"%PDF-1.7", content_type="application/pdf")
    assert meta().download(MEDIA_ID) == Download(b"%PDF-1.7", "application/pdf", f"{MEDIA_ID}.pdf")


def test_meta_announced_size_over_the_cap_is_refused_before_the_download(mock) -> None:
    lookup(mock, url=LOOKASIDE, mime_type="video/mp4", file_size=str(26 * 1024 * 1024))
    with pytest.raises(SendError, match="larger than 25 MB"):
        meta().download(MEDIA_ID)
    assert len(mock.calls) == 1


@pytest.mark.parametrize(
    "info",
    [
        {"mime_type": "image/jpeg"},
        {"url": None},
        {"url": "http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"},
    ],
    ids=["no url", "null url", "clear-text url"],
)
def test_meta_lookup_without_a_usable_url_fails_without_sending_the_token_on(info, mock) -> None:
    lookup(mock, **info)
    with pytest.raises(SendError) as caught:
        meta().download(MEDIA_ID)
    assert not caught.value.transient
    assert len(mock.calls) == 1


def test_meta_lookup_that_is_not_json_is_an_error(mock) -> None:
    mock.get(f"{GRAPH}/{MEDIA_ID}", body="<html>oops</html>")
    with pytest.raises(SendError, match="without a URL"):
        meta().download(MEDIA_ID)


def test_meta_bearer_token_does_not_follow_a_redirect_to_another_host(mock) -> None:
    lookup(mock, url=LOOKASIDE, mime_type="image/jpeg")
    cdn = "https://scontent.whatsapp.net/v/t62/photo.jpg"
    mock.get(LOOKASIDE, status=302, headers={"Location": cdn})
    mock.get(cdn, body=JPEG, content_type="image/jpeg")
    assert meta().download(MEDIA_ID).content == JPEG
    auths = [call.request.headers.get("Authorization") for call in mock.calls]
    assert auths == [f"Bearer {META_TOKEN}", f"Bearer {META_TOKEN}", None]


def test_meta_transient_failure_of_the_file_is_retried(mock, sleeps) -> None:
    lookup(mock, url=LOOKASIDE, mime_type="image/jpeg")
    mock.get(LOOKASIDE, status=503)
    mock.get(LOOKASIDE, body=JPEG)
    assert meta().download(MEDIA_ID).content == JPEG
    assert len(sleeps) == 1


# --- Twilio, against the fake ----------------------------------------------------------------


def fake_media_url(providers: FakeProviders) -> str:
    return providers.url + MEDIA_PATH


def test_twilio_download_with_basic_auth(providers) -> None:
    providers.media["ME0123456789abcdef"] = (JPEG, "image/jpeg")
    got = twilio(providers.url).download(fake_media_url(providers))
    assert got == Download(JPEG, "image/jpeg", "ME0123456789abcdef.jpg")
    assert [(d["path"], d["auth"]) for d in providers.downloads] == [(MEDIA_PATH, BASIC)]


def test_twilio_wrong_token_is_an_auth_error(providers) -> None:
    providers.media["ME0123456789abcdef"] = (JPEG, "image/jpeg")
    with pytest.raises(AuthSendError) as caught:
        twilio(providers.url, token="wrong").download(fake_media_url(providers))
    assert (caught.value.status, caught.value.code) == (401, 20003)


def test_twilio_unknown_media_is_a_permanent_error(providers) -> None:
    with pytest.raises(SendError) as caught:
        twilio(providers.url).download(fake_media_url(providers))
    assert (caught.value.status, caught.value.code, caught.value.transient) == (404, 20404, False)
    assert len(providers.downloads) == 1


def test_twilio_credentials_stay_off_the_storage_host_over_real_sockets() -> None:
    """The fake answers 307 to itself under another host name, as Twilio does to its storage."""
    try:
        socket.getaddrinfo("localhost", None)
    except OSError:
        pytest.skip("no 'localhost' here")
    fake = FakeProviders(twilio_auth=(SID, AUTH_TOKEN), twilio_cdn="localhost")
    with fake:
        fake.media["ME0123456789abcdef"] = (JPEG, "image/jpeg")
        got = twilio(fake.url).download(fake.url + MEDIA_PATH)
    assert got.content == JPEG
    first, second = fake.downloads
    assert (first["host"].split(":")[0], first["auth"]) == ("127.0.0.1", BASIC)
    assert (second["host"].split(":")[0], second["auth"]) == ("localhost", None)


# --- Twilio, edge cases with responses -------------------------------------------------------


def test_twilio_redirect_to_storage_drops_the_credentials(mock) -> None:
    mock.get(TWILIO_MEDIA, status=307, headers={"Location": CDN})
    mock.get(CDN, body=JPEG, content_type="image/jpeg")
    got = twilio().download(TWILIO_MEDIA)
    assert got == Download(JPEG, "image/jpeg", "ME0123456789abcdef.jpg")
    first, second = (call.request for call in mock.calls)
    assert first.headers["Authorization"] == BASIC
    assert "Authorization" not in second.headers
    assert second.url == CDN


def test_twilio_redirect_on_the_same_host_keeps_the_credentials(mock) -> None:
    """The check above is about the host: same host, same credentials."""
    moved = TWILIO_MEDIA + "/Content"
    mock.get(TWILIO_MEDIA, status=307, headers={"Location": moved})
    mock.get(moved, body=JPEG, content_type="image/jpeg")
    twilio().download(TWILIO_MEDIA)
    assert [call.request.headers.get("Authorization") for call in mock.calls] == [BASIC, BASIC]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example" + MEDIA_PATH,
        "https://api.twilio.com.evil.example" + MEDIA_PATH,
        "http://api.twilio.com" + MEDIA_PATH,
        "https://api.twilio.com:8443" + MEDIA_PATH,
        f"https://{SID}@api.twilio.com{MEDIA_PATH}",
        "https://media.twiliocdn.com/AC0001/d8c6",
        "ftp://api.twilio.com" + MEDIA_PATH,
        MEDIA_PATH,
        "",
    ],
)
def test_twilio_refuses_urls_off_its_api_host_without_a_request(url: str, mock) -> None:
    with pytest.raises(SendError, match="not on Twilio's API host") as caught:
        twilio().download(url)
    assert not caught.value.transient
    assert not mock.calls


def test_twilio_configured_api_host_is_allowed_and_twilios_own_still_is(mock) -> None:
    proxy = "https://twilio-proxy.internal"
    mock.get(proxy + MEDIA_PATH, body=b"a", content_type="text/plain")
    mock.get(TWILIO_MEDIA, body=b"b", content_type="text/plain")
    sender = twilio(api_url=proxy)
    assert sender.download(proxy + MEDIA_PATH).content == b"a"
    assert sender.download(TWILIO_MEDIA).content == b"b"
    assert [call.request.headers["Authorization"] for call in mock.calls] == [BASIC, BASIC]


def test_twilio_mime_type_missing_is_octet_stream(mock) -> None:
    mock.get(TWILIO_MEDIA, body=b"raw", headers={"Content-Type": ""})
    got = twilio().download(TWILIO_MEDIA)
    assert (got.mime_type, got.filename) == ("application/octet-stream", "ME0123456789abcdef.bin")


# --- size cap, cut-short bodies, errors (the shared path; Twilio's door) ---------------------


class Endless(io.RawIOBase):
    """A body that never ends and counts what was read of it; `fail_after` cuts it short."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.read_bytes = 0
        self.fail_after = fail_after

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.fail_after is not None and self.read_bytes >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        buffer[:] = b"x" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def test_exactly_the_cap_is_allowed_one_byte_more_is_not(mock) -> None:
    mock.get(TWILIO_MEDIA, body=b"x" * 1000, content_type="text/plain")
    assert len(twilio().download(TWILIO_MEDIA, limit=1000).content) == 1000
    mock.replace(responses.GET, TWILIO_MEDIA, body=b"x" * 1001, content_type="text/plain")
    with pytest.raises(SendError, match="larger than") as caught:
        twilio().download(TWILIO_MEDIA, limit=1000)
    assert not caught.value.transient


def test_a_declared_length_over_the_cap_is_refused_unread(mock) -> None:
    body = Endless()
    mock.get(TWILIO_MEDIA, body=io.BufferedReader(body), headers={"Content-Length": "999999999"})
    with pytest.raises(SendError, match="larger than 25 MB"):
        twilio().download(TWILIO_MEDIA)
    assert body.read_bytes < 64 * 1024  # at most what urllib3 buffered, not the file
    assert len(mock.calls) == 1  # too large is not retried


def test_an_endless_body_is_stopped_at_the_cap(mock) -> None:
    body = Endless()
    mock.get(TWILIO_MEDIA, body=io.BufferedReader(body))
    with pytest.raises(SendError, match="larger than"):
        twilio().download(TWILIO_MEDIA, limit=200_000)
    assert 200_000 < body.read_bytes <= 200_000 + 3 * 64 * 1024


def test_a_compressed_bomb_is_stopped_at_the_cap_after_decoding(mock) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    mock.get(TWILIO_MEDIA, body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(SendError, match="larger than"):
        twilio().download(TWILIO_MEDIA, limit=1_000_000)


def test_a_body_cut_short_is_an_error_never_partial_bytes(mock, sleeps) -> None:
    for _ in range(POLICY.attempts):
        mock.get(TWILIO_MEDIA, body=io.BufferedReader(Endless(fail_after=100_000)))
    with pytest.raises(TransientSendError, match="cut short"):
        twilio().download(TWILIO_MEDIA)
    assert len(mock.calls) == POLICY.attempts  # a GET is safe to retry
    assert len(sleeps) == POLICY.attempts - 1


def test_a_truncated_body_against_its_content_length_is_an_error(mock) -> None:
    mock.get(TWILIO_MEDIA, body=b"abc", headers={"Content-Length": "10"})
    mock.get(TWILIO_MEDIA, body=JPEG, content_type="image/jpeg")
    assert twilio().download(TWILIO_MEDIA).content == JPEG  # the second attempt, whole


@pytest.mark.parametrize(
    ("status", "body", "kind", "attempts"),
    [
        (500, {"code": 20500, "message": "Internal Server Error"}, TransientSendError, 3),
        (429, {"code": 20429, "message": "Too Many Requests"}, TransientSendError, 3),
        (401, {"code": 20003, "message": "Authenticate"}, AuthSendError, 1),
        (404, {"code": 20404, "message": "not found"}, SendError, 1),
    ],
)
def test_refusals_map_to_typed_errors(status, body, kind, attempts, mock) -> None:
    for _ in range(3):
        mock.get(TWILIO_MEDIA, status=status, json=body)
    with pytest.raises(kind) as caught:
        twilio().download(TWILIO_MEDIA)
    assert (caught.value.status, caught.value.code) == (status, body["code"])
    assert len(mock.calls) == attempts
    mock.assert_all_requests_are_fired = False


def test_a_read_timeout_is_transient_and_retried(mock) -> None:
    mock.get(TWILIO_MEDIA, body=requests.ReadTimeout("read timed out"))
    mock.get(TWILIO_MEDIA, body=JPEG, content_type="image/jpeg")
    assert twilio().download(TWILIO_MEDIA).content == JPEG


def test_downloads_use_the_senders_timeout(mock) -> None:
    mock.get(TWILIO_MEDIA, body=JPEG)
    twilio().download(TWILIO_MEDIA)
    assert mock.calls[0].request.req_kwargs["timeout"] == (3.05, 10.0)
    assert mock.calls[0].request.req_kwargs["stream"] is True


@pytest.mark.parametrize(
    ("stem", "mime_type", "name"),
    [
        ("ME1", "image/jpeg", "ME1.jpg"),
        ("ME1", "IMAGE/PNG", "ME1.png"),
        ("123", "audio/ogg; codecs=opus", "123.ogg"),
        ("123", "audio/amr", "123.amr"),
        ("123", "video/3gpp", "123.3gp"),
        ("123", "image/webp", "123.webp"),
        ("123", "application/pdf", "123.pdf"),
        ("../../etc/passwd", "text/plain", "etcpasswd.txt"),
        ("", "application/x-no-such-type", "media"),
    ],
)
def test_media_filename(stem: str, mime_type: str, name: str) -> None:
    assert media_filename(stem, mime_type) == name


def test_a_download_slower_than_its_deadline_is_abandoned(mock, monkeypatch) -> None:
    monkeypatch.setattr(media, "DOWNLOAD_SECONDS", -1.0)  # every chunk arrives too late
    mock.get(TWILIO_MEDIA, body=JPEG)
    with pytest.raises(TransientSendError, match="download slower than"):
        twilio().download(TWILIO_MEDIA)
