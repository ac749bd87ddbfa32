"""The Chatwoot client: request bodies, answers, error mapping and which failures are retried.

Against a fake Chatwoot that checks every request against Chatwoot's OpenAPI spec.
"""

from __future__ import annotations

import threading
import traceback

import pytest
import requests
import responses
from responses import matchers
from urllib3.exceptions import ProtocolError

from integrations.chatwoot import (
    ChatwootAuthError,
    ChatwootClient,
    ChatwootError,
    ChatwootNotFound,
    ChatwootRejected,
    ChatwootUnavailable,
)
from integrations.messaging.retry import RetryPolicy
from testkit import refused
from testkit.fake_chatwoot import FakeChatwoot
from webhooks.settings import Settings

TOKEN, ACCOUNT, INBOX = "cw-user-token-for-tests", 3, 7
PHONE = "+34611000001"
POLICY = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.5, wait_max=4.0, wait_jitter=0.5)
BASE = "https://chatwoot.test"
PREFIX = f"{BASE}/api/v1/accounts/{ACCOUNT}"


pytestmark = pytest.mark.usefixtures("sleeps")  # retry waits recorded, never slept


@pytest.fixture
def fake():
    with FakeChatwoot(token=TOKEN, account_id=ACCOUNT) as chatwoot:
        yield chatwoot
        assert chatwoot.violations == []


@pytest.fixture
def client(fake: FakeChatwoot) -> ChatwootClient:
    return ChatwootClient(fake.url, ACCOUNT, TOKEN, INBOX, retry=POLICY)


@pytest.fixture
def conversation(client: ChatwootClient) -> int:
    contact = client.create_contact(phone=PHONE, name="Ana", identifier=PHONE)
    link = client.create_contact_inbox(contact["id"], PHONE.lstrip("+"))
    return client.create_conversation(contact_id=contact["id"], source_id=link["source_id"])["id"]


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


def offline_client(**kwargs) -> ChatwootClient:
    return ChatwootClient(BASE, ACCOUNT, TOKEN, INBOX, retry=POLICY, **kwargs)


def last(fake: FakeChatwoot) -> dict:
    return fake.requests[-1]


# --- contacts ------------------------------------------------------------------------------------


def test_search_contact_returns_only_the_exact_phone(client, fake):
    assert client.search_contact(PHONE) is None
    client.create_contact(phone=PHONE + "9", name="Otra")  # Chatwoot's search matches it too
    assert client.search_contact(PHONE) is None
    created = client.create_contact(phone=PHONE, name="Ana")

    found = client.search_contact(PHONE)

    assert found["id"] == created["id"] and found["phone_number"] == PHONE
    assert last(fake)["path"] == f"/api/v1/accounts/{ACCOUNT}/contacts/search"
    assert last(fake)["query"] == {"q": PHONE}  # the '+' survived the query string


def test_create_contact_sends_inbox_phone_and_identifier_and_returns_the_contact(client, fake):
    contact = client.create_contact(
        phone=PHONE, name="Ana", identifier=PHONE, custom_attributes={"edad": 35}
    )

    assert last(fake)["json"] == {
        "inbox_id": INBOX,
        "phone_number": PHONE,
        "name": "Ana",
        "identifier": PHONE,
        "custom_attributes": {"edad": 35},
    }
    assert fake.contacts[contact["id"]]["phone_number"] == PHONE
    assert (contact["name"], contact["custom_attributes"]) == ("Ana", {"edad": 35})
    nameless = client.create_contact(phone="+34611000002", name=None)
    assert last(fake)["json"] == {"inbox_id": INBOX, "phone_number": "+34611000002"}
    assert nameless["id"] != contact["id"]


@pytest.mark.parametrize(
    "answer",
    [
        {"payload": {"contact": {"id": 5, "name": "Ana"}, "contact_inbox": {"source_id": "x"}}},
        {"payload": {"id": 5, "name": "Ana"}},
    ],
    ids=["payload.contact", "payload"],
)
def test_create_contact_reads_both_shapes_chatwoot_has_answered_with(api, answer):
    api.post(f"{PREFIX}/contacts", json=answer)
    assert offline_client().create_contact(phone=PHONE, name="Ana") == {"id": 5, "name": "Ana"}


def test_update_contact_puts_the_fields_and_chatwoot_merges_custom_attributes(client, fake):
    contact = client.create_contact(phone=PHONE, name=PHONE, custom_attributes={"edad": 35})

    updated = client.update_contact(contact["id"], name="Ana", custom_attributes={"fumador": False})

    assert last(fake)["method"] == "PUT"
    assert last(fake)["json"] == {"name": "Ana", "custom_attributes": {"fumador": False}}
    assert updated["name"] == "Ana"
    assert fake.contacts[contact["id"]]["custom_attributes"] == {"edad": 35, "fumador": False}


def test_contact_inbox_then_conversation(client, fake):
    contact = client.create_contact(phone=PHONE, name="Ana")

    link = client.create_contact_inbox(contact["id"], "34611000001")
    assert last(fake)["json"] == {"inbox_id": INBOX, "source_id": "34611000001"}
    assert link["source_id"] == "34611000001"

    created = client.create_conversation(
        contact_id=contact["id"],
        source_id=link["source_id"],
        additional_attributes={"canal": "whatsapp"},
    )

    assert last(fake)["json"] == {
        "source_id": "34611000001",
        "inbox_id": INBOX,
        "contact_id": contact["id"],
        "status": "pending",
        "additional_attributes": {"canal": "whatsapp"},
    }
    stored = fake.conversations[created["id"]]
    assert (stored["contact_id"], stored["inbox_id"], stored["status"]) == (
        contact["id"],
        INBOX,
        "pending",
    )
    assert fake.conversation_for(PHONE) is stored


# --- conversations -------------------------------------------------------------------------------


def test_get_conversation_and_toggle_status(client, fake, conversation):
    assert client.get_conversation(conversation)["status"] == "pending"

    answer = client.toggle_status(conversation, "open")

    assert last(fake)["json"] == {"status": "open"}
    assert answer["current_status"] == "open"
    assert fake.conversations[conversation]["status"] == "open"
    assert client.get_conversation(conversation)["status"] == "open"


def test_set_labels_replaces_the_whole_list(client, fake, conversation):
    assert client.labels(conversation) == []
    assert client.set_labels(conversation, ["inicio", "vip"]) == ["inicio", "vip"]

    assert client.set_labels(conversation, ["analisis", "vip"]) == ["analisis", "vip"]

    assert last(fake)["json"] == {"labels": ["analisis", "vip"]}
    assert client.labels(conversation) == ["analisis", "vip"]
    assert fake.conversations[conversation]["labels"] == ["analisis", "vip"]


def test_set_custom_attributes(client, fake, conversation):
    assert client.set_custom_attributes(conversation, {"etapa": "INICIO", "x": 1}) is None
    client.set_custom_attributes(conversation, {"etapa": "COTIZACION"})

    assert last(fake)["json"] == {"custom_attributes": {"etapa": "COTIZACION"}}
    assert fake.conversations[conversation]["custom_attributes"] == {"etapa": "COTIZACION"}


# --- messages ------------------------------------------------------------------------------------


def test_a_text_message_goes_as_json_and_comes_back_with_a_named_type(client, fake, conversation):
    message = client.create_message(conversation, "Hola", message_type="incoming")
    note = client.create_message(
        conversation, "💶 Presupuesto", private=True, content_attributes={"origen": "bot"}
    )

    assert fake.requests[-2]["json"] == {
        "content": "Hola",
        "message_type": "incoming",
        "private": False,
    }
    assert last(fake)["json"] == {
        "content": "💶 Presupuesto",
        "message_type": "outgoing",
        "private": True,
        "content_attributes": {"origen": "bot"},
    }
    # The REST API answers message_type as an integer (0, 1); the client gives names.
    assert (message["message_type"], note["message_type"]) == ("incoming", "outgoing")
    assert [m["id"] for m in fake.messages(conversation)] == [message["id"], note["id"]]
    stored = fake.messages(conversation)[1]
    assert (stored["private"], stored["content_attributes"]) == (True, {"origen": "bot"})


def test_attachments_go_as_multipart(client, fake, conversation):
    files = [
        ("foto.jpg", b"\xff\xd8\xff" + b"0" * 97, "image/jpeg"),
        ("p.pdf", b"%PDF", "application/pdf"),
    ]

    message = client.create_message(
        conversation, "mira", message_type="incoming", attachments=files
    )

    request = last(fake)
    assert "json" not in request
    assert request["form"] == {"content": "mira", "message_type": "incoming", "private": "false"}
    expected = [
        {"filename": "foto.jpg", "content_type": "image/jpeg", "size": 100},
        {"filename": "p.pdf", "content_type": "application/pdf", "size": 4},
    ]
    assert request["files"] == expected
    assert fake.messages(conversation)[-1]["attachments"] == expected
    assert [a["file_type"] for a in message["attachments"]] == ["image", "file"]

    client.create_message(conversation, None, private=True, attachments=files[1:])
    assert last(fake)["form"] == {"message_type": "outgoing", "private": "true"}


def test_a_message_needs_content_or_attachments(client, fake, conversation):
    before = len(fake.requests)
    with pytest.raises(ValueError, match="content or attachments"):
        client.create_message(conversation, None)
    assert len(fake.requests) == before


def test_list_messages_in_order_with_named_types(client, conversation):
    first = client.create_message(conversation, "Hola", message_type="incoming")
    second = client.create_message(conversation, "¡Hola! Soy el asistente")

    listed = client.list_messages(conversation)

    assert [(m["id"], m["message_type"], m["content"]) for m in listed] == [
        (first["id"], "incoming", "Hola"),
        (second["id"], "outgoing", "¡Hola! Soy el asistente"),
    ]


def test_account_labels_and_create_label(client, fake):
    assert client.account_labels() == []

    label = client.create_label("lead", description="El cliente eligió una opción")

    assert last(fake)["json"] == {
        "title": "lead",
        "description": "El cliente eligió una opción",
        "color": "#1f93ff",
    }
    assert label["title"] == "lead" and label["id"]
    assert client.account_labels() == ["lead"]


# --- settings ------------------------------------------------------------------------------------


def test_from_settings_needs_url_account_token_and_inbox(fake):
    complete = {
        "chatwoot_base_url": fake.url,
        "chatwoot_account_id": ACCOUNT,
        "chatwoot_user_token": TOKEN,
        "chatwoot_inbox_id": INBOX,
    }
    for missing in complete:
        settings = Settings(_env_file=None, **{**complete, missing: None})
        assert ChatwootClient.from_settings(settings) is None, missing

    client = ChatwootClient.from_settings(Settings(_env_file=None, **complete))

    assert client.inbox_id == INBOX
    assert TOKEN not in repr(client)
    assert client.account_labels() == []  # the token reached the fake: no 401


def test_default_timeouts_and_token_header(api):
    api.get(
        f"{PREFIX}/labels",
        json={"payload": []},
        match=[matchers.header_matcher({"api_access_token": TOKEN})],
    )
    offline_client().account_labels()
    assert api.calls[0].request.req_kwargs["timeout"] == (3.05, 10)


# --- errors --------------------------------------------------------------------------------------


def test_a_wrong_token_is_an_auth_error_and_not_retried(fake):
    client = ChatwootClient(fake.url, ACCOUNT, "wrong-token", INBOX, retry=POLICY)

    with pytest.raises(ChatwootAuthError) as caught:
        client.labels(1)

    assert (caught.value.status, caught.value.title) == (401, "401 Unauthorized")
    assert not caught.value.transient
    assert len(fake.requests) == 1


def test_missing_account_and_conversation_are_not_found(client, fake):
    elsewhere = ChatwootClient(fake.url, ACCOUNT + 1, TOKEN, INBOX, retry=POLICY)
    with pytest.raises(ChatwootNotFound):
        elsewhere.account_labels()
    with pytest.raises(ChatwootNotFound) as caught:
        client.create_message(999, "Hola")
    assert caught.value.title == "404 Not Found"
    assert len(fake.requests) == 2


def test_a_422_is_rejected_with_field_names_but_never_values(client, fake):
    client.create_contact(phone=PHONE, name="Ana")

    with pytest.raises(ChatwootRejected) as caught:
        client.create_contact(phone=PHONE, name="Ana otra vez")

    assert caught.value.title == "422 Unprocessable Entity (phone_number)"
    assert PHONE[1:] not in str(caught.value) and "Ana" not in str(caught.value)
    assert len(fake.requests) == 2  # not retried


def test_error_titles_keep_message_text_and_phones_out(client, fake, conversation):
    leak = {"error": f"could not save 'Soy Ana, 35 años' from {PHONE}"}
    fake.fail_next.append((500, leak))

    with pytest.raises(ChatwootUnavailable) as caught:
        client.create_message(conversation, "Soy Ana, 35 años")

    assert caught.value.title == "500 Internal Server Error"
    assert PHONE[1:] not in str(caught.value) and "Soy Ana" not in str(caught.value)


def test_a_get_is_retried_on_503_and_honours_retry_after(client, fake, conversation, sleeps):
    fake.fail_next.extend([(503, {}, {"Retry-After": "2"}), (503, {})])

    assert client.labels(conversation) == []

    assert len(sleeps) == 2 and sleeps[0] == 2.0
    assert [r["method"] for r in fake.requests[-3:]] == ["GET"] * 3


def test_chatwoot_down_fails_a_get_after_the_capped_attempts(client, fake, sleeps):
    fake.down = True

    with pytest.raises(ChatwootUnavailable) as caught:
        client.account_labels()

    assert (caught.value.status, caught.value.title) == (503, "503 Service Unavailable")
    assert caught.value.transient
    assert len(fake.requests) == POLICY.attempts and len(sleeps) == POLICY.attempts - 1


def test_a_post_is_not_retried_on_503(client, fake, conversation, sleeps):
    fake.down = True
    before = len(fake.requests)

    with pytest.raises(ChatwootUnavailable) as caught:
        client.create_message(conversation, "Hola")

    assert caught.value.maybe_sent
    assert len(fake.requests) == before + 1 and sleeps == []


def test_a_post_is_retried_on_429_and_posted_once(client, fake, conversation, sleeps):
    fake.fail_next.append((429, {"error": "Too many requests"}, {"Retry-After": "1"}))

    message = client.create_message(conversation, "Hola")

    assert [m["id"] for m in fake.messages(conversation)] == [message["id"]]
    assert sleeps == [1.0]


def test_a_429_longer_than_the_policy_allows_is_raised_with_its_retry_after(client, fake):
    fake.fail_next.append((429, {}, {"Retry-After": "60"}))

    with pytest.raises(ChatwootUnavailable) as caught:
        client.account_labels()

    assert (caught.value.status, caught.value.retry_after) == (429, 60.0)
    assert not caught.value.maybe_sent
    assert len(fake.requests) == 1


def test_connection_refused_is_unavailable_and_a_post_is_retried(client, fake, sleeps):
    fake.refuse = True

    with pytest.raises(ChatwootUnavailable) as caught:
        client.create_contact(phone=PHONE, name="Ana")

    assert caught.value.title == "ConnectionError (NewConnectionError)"
    assert not caught.value.maybe_sent
    assert len(sleeps) == POLICY.attempts - 1  # every attempt was made
    with pytest.raises(ChatwootUnavailable) as caught:
        client.search_contact(PHONE)
    # The phone is in the search URL, which requests' own error quotes: not in ours.
    assert PHONE[1:] not in "".join(traceback.format_exception(caught.value))
    fake.refuse = False
    assert client.create_contact(phone=PHONE, name="Ana")["phone_number"] == PHONE


REFUSED = refused(PREFIX)


@pytest.mark.parametrize(
    "failure", [REFUSED, requests.ConnectTimeout("connect timed out")], ids=["refused", "timeout"]
)
def test_a_post_that_never_left_is_retried_and_sent_once(api, failure):
    body = {"content": "Hola", "message_type": "outgoing", "private": False}
    url = f"{PREFIX}/conversations/9/messages"
    api.post(url, body=failure)
    api.post(url, json={"id": 1, "message_type": 1}, match=[matchers.json_params_matcher(body)])

    assert offline_client().create_message(9, "Hola") == {"id": 1, "message_type": "outgoing"}
    assert len(api.calls) == 2


@pytest.mark.parametrize(
    "failure",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError())),
    ],
    ids=["read-timeout", "dropped"],
)
def test_a_post_that_may_have_arrived_is_not_retried_but_a_get_is(api, failure):
    api.post(f"{PREFIX}/conversations/9/messages", body=failure)
    api.get(f"{PREFIX}/conversations/9/labels", body=failure)
    client = offline_client()

    with pytest.raises(ChatwootUnavailable) as caught:
        client.create_message(9, "Hola")
    assert caught.value.maybe_sent and caught.value.title == type(failure).__name__
    assert len(api.calls) == 1

    with pytest.raises(ChatwootUnavailable):
        client.labels(9)
    assert len(api.calls) == 1 + POLICY.attempts


def test_redirects_are_not_followed(api):
    api.post(f"{PREFIX}/labels", status=301, headers={"Location": f"{BASE}/elsewhere"})

    with pytest.raises(ChatwootRejected) as caught:
        offline_client().create_label("lead")

    assert caught.value.title == "301 Moved Permanently"
    assert len(api.calls) == 1


def test_a_2xx_that_is_not_json_is_an_error_nobody_retries(api):
    api.get(f"{PREFIX}/labels", body="<html>Chatwoot</html>", content_type="text/html")

    with pytest.raises(ChatwootError) as caught:
        offline_client().account_labels()

    assert type(caught.value) is ChatwootError and not caught.value.transient
    assert caught.value.title == "200 OK, body not JSON"
    assert len(api.calls) == 1


def test_no_retry_when_the_policy_allows_one_attempt(fake):
    client = ChatwootClient(fake.url, ACCOUNT, TOKEN, INBOX, retry=RetryPolicy(attempts=1))
    fake.down = True
    with pytest.raises(ChatwootUnavailable):
        client.account_labels()
    assert len(fake.requests) == 1


# --- the fake itself -----------------------------------------------------------------------------


def test_the_fake_rejects_requests_that_break_the_spec(client, fake, conversation):
    with pytest.raises(ChatwootRejected) as caught:
        client.create_message(conversation, "Hola", message_type="template")
    assert caught.value.status == 400
    url = f"{fake.url}/api/v1/accounts/{ACCOUNT}/conversations/{conversation}/messages"
    headers = {"api_access_token": TOKEN}
    form = {"message_type": "bogus", "private": "yes"}
    bad_form = requests.post(url, data=form, files={"x": b"1"}, headers=headers, timeout=5)
    no_token = requests.get(url, timeout=5)
    labels = url.replace("messages", "labels")
    no_labels = requests.post(labels, json={}, headers=headers, timeout=5)

    assert [r.status_code for r in (bad_form, no_token, no_labels)] == [400, 400, 400]
    problems = list(fake.violations)
    assert len(problems) == 4
    assert "'template' is not one of ['outgoing', 'incoming']" in problems[0]
    assert "'bogus' is not one of" in problems[1] and "'yes' is not one of" in problems[1]
    assert "Security" in problems[2] and "'labels' is a required property" in problems[3]
    assert len(fake.messages(conversation)) == 0
    fake.violations.clear()


def test_the_fakes_wait_for_wakes_on_each_change(client, fake):
    contact = client.create_contact(phone=PHONE, name="Ana")
    assert not fake.wait_for(lambda: fake.conversation_for(PHONE), timeout=0.05)
    kwargs = {"contact_id": contact["id"], "source_id": "34611000001"}
    worker = threading.Thread(target=client.create_conversation, kwargs=kwargs)

    worker.start()
    found = fake.wait_for(lambda: fake.conversation_for(PHONE), timeout=5)
    worker.join()

    assert found["contact_id"] == contact["id"] and found["source_id"] == "34611000001"
