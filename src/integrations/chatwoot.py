"""Chatwoot client: a thin requests wrapper over the account API, with typed errors and retries.

Request bodies follow Chatwoot's OpenAPI spec (swagger/swagger.json). Where the spec's response
schemas are wrong the code follows what Chatwoot's views really render (app/views/api/v1/...),
and says so at that call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, TypedDict, Unpack

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from integrations.client import HTTPOptions, ProviderClient
from integrations.messaging.retry import parse_retry_after

# The REST API renders message_type as the enum's integer (webhook payloads use the name).
MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
_IDEMPOTENT = frozenset({"GET"})
_CONFIG_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
)


class ChatwootError(Exception):
    """Chatwoot did not do what we asked.

    `title` ("503 Service Unavailable", "ReadTimeout") is safe to log and to show: it never holds
    message text or phone numbers.
    """

    transient: bool = False

    def __init__(self, title: str, *, status: int | None = None, operation: str = "") -> None:
        """Say what failed: `title` is the safe summary, `operation` what we were doing."""
        super().__init__(f"chatwoot {operation}: {title}" if operation else f"chatwoot: {title}")
        self.status = status
        self.title = title


class ChatwootAuthError(ChatwootError):
    """401/403: the token is wrong or may not do this; nothing changes until an operator acts."""


class ChatwootNotFound(ChatwootError):
    """404: the account, contact or conversation is not there (deleted in Chatwoot?)."""


class ChatwootRejected(ChatwootError):
    """Any other 4xx (422 above all): this request will never succeed as it is."""


class ChatwootUnavailable(ChatwootError):
    """429, 5xx, timeouts, connection failures: the same request may succeed later.

    `maybe_sent` is set when the request may have reached Chatwoot (a read timeout, a 5xx, a
    connection dropped mid-request): repeating a POST could then create a message twice.
    """

    transient = True

    def __init__(
        self,
        title: str,
        *,
        status: int | None = None,
        operation: str = "",
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        """A transient failure; `retry_after` from a 429's header, `maybe_sent` as above."""
        super().__init__(title, status=status, operation=operation)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class ConversationAttributes(TypedDict, total=False):
    """What a new conversation may carry besides its contact, inbox and status."""

    custom_attributes: dict
    additional_attributes: dict


class ChatwootClient(ProviderClient):
    """One Chatwoot account, as the user whose access token we hold, and the inbox we write to."""

    def __init__(
        self, base_url: str, account_id: int, token: str, inbox_id: int, **http: Unpack[HTTPOptions]
    ) -> None:
        """Act in account `account_id` at `base_url` as the token's user, writing to `inbox_id`."""
        super().__init__(**http)
        self._prefix = f"{base_url.rstrip('/')}/api/v1/accounts/{account_id}"
        self._headers = {"api_access_token": token, "Accept": "application/json"}
        self.account_id = account_id
        self.inbox_id = inbox_id

    @classmethod
    def from_settings(cls, settings: Any) -> ChatwootClient | None:
        """A client when URL, account, user token and inbox are all configured, else None."""
        token = settings.chatwoot_user_token
        secret = token.get_secret_value() if token is not None else ""
        if (
            not settings.chatwoot_base_url
            or settings.chatwoot_account_id is None
            or settings.chatwoot_inbox_id is None
            or not secret
        ):
            return None
        return cls(
            settings.chatwoot_base_url,
            settings.chatwoot_account_id,
            secret,
            settings.chatwoot_inbox_id,
        )

    def __repr__(self) -> str:
        """The account URL and inbox, never the token: safe in logs."""
        return f"ChatwootClient({self._prefix!r}, inbox_id={self.inbox_id})"

    # --- contacts ------------------------------------------------------------------------------

    def search_contact(self, phone: str) -> dict | None:
        """The contact whose phone number is exactly `phone` (E.164, with '+'), if any.

        Chatwoot's search is a substring match over name, email, phone and identifier.
        """
        data = self._request("GET", "contacts/search", params={"q": phone})
        return next((c for c in data.get("payload") or [] if c.get("phone_number") == phone), None)

    def create_contact(
        self,
        *,
        phone: str,
        name: str | None,
        identifier: str | None = None,
        custom_attributes: dict | None = None,
    ) -> dict:
        """Create a contact for `phone` (E.164) in our inbox; returns the contact."""
        body = {
            "inbox_id": self.inbox_id,
            "phone_number": phone,
            **_given(name=name, identifier=identifier, custom_attributes=custom_attributes),
        }
        data = self._request("POST", "contacts", json_body=body)
        # The spec promises a bare contact; contacts/create.json.jbuilder renders
        # {"payload": {"contact": {...}, "contact_inbox": {...}}}, older Chatwoots
        # {"payload": {...contact}}.
        payload = data.get("payload", data)
        return payload.get("contact", payload)

    def get_contact(self, contact_id: int) -> dict:
        """The contact with id `contact_id` (ChatwootNotFound once deleted)."""
        data = self._request("GET", f"contacts/{int(contact_id)}")
        return data.get("payload", data)

    def update_contact(self, contact_id: int, **fields: Any) -> dict:
        """Change name, custom_attributes, ...; Chatwoot merges custom_attributes into the old."""
        data = self._request("PUT", f"contacts/{int(contact_id)}", json_body=fields)
        return data.get("payload", data)  # the spec documents no body; the view wraps it

    def delete_contact(self, contact_id: int) -> None:
        """Delete the contact, and with it its conversations (a customer's erasure)."""
        self._request("DELETE", f"contacts/{int(contact_id)}")

    def create_contact_inbox(self, contact_id: int, source_id: str) -> dict:
        """Link the contact to our inbox under `source_id`: {"source_id": ..., "inbox": {...}}."""
        body = {"inbox_id": self.inbox_id, "source_id": source_id}
        return self._request("POST", f"contacts/{int(contact_id)}/contact_inboxes", json_body=body)

    # --- conversations -------------------------------------------------------------------------

    def create_conversation(
        self,
        *,
        contact_id: int,
        source_id: str,
        status: str = "pending",
        **attributes: Unpack[ConversationAttributes],
    ) -> dict:
        """Open a conversation with the contact in our inbox, by its contact inbox `source_id`."""
        body = {
            "source_id": source_id,
            "inbox_id": self.inbox_id,
            "contact_id": int(contact_id),
            "status": status,
            **_given(**attributes),
        }
        return self._request("POST", "conversations", json_body=body)

    def get_conversation(self, conversation_id: int) -> dict:
        """The conversation with id `conversation_id`: its status, assignee and attributes."""
        return self._request("GET", f"conversations/{int(conversation_id)}")

    def toggle_status(self, conversation_id: int, status: str) -> dict:
        """Set "open", "resolved", "pending" or "snoozed"; {"success", "current_status", ...}."""
        path = f"conversations/{int(conversation_id)}/toggle_status"
        data = self._request("POST", path, json_body={"status": status})
        return data.get("payload", data)

    def assign(
        self, conversation_id: int, *, assignee_id: int | None = None, team_id: int | None = None
    ) -> None:
        """Give the conversation to a team and/or an agent (the assignments API).

        Chatwoot ignores `team_id` when `assignee_id` is in the same request, so both are two
        calls: the team first, then the agent (who then works in that team's view).
        """
        path = f"conversations/{int(conversation_id)}/assignments"
        if team_id is not None:
            self._request("POST", path, json_body={"team_id": int(team_id)})
        if assignee_id is not None:
            self._request("POST", path, json_body={"assignee_id": int(assignee_id)})

    def labels(self, conversation_id: int) -> list[str]:
        """The labels the conversation carries now."""
        data = self._request("GET", f"conversations/{int(conversation_id)}/labels")
        return list(data.get("payload") or [])

    def set_labels(self, conversation_id: int, labels: list[str]) -> list[str]:
        """Replace the conversation's labels with `labels` (agents' own ones too: pass them)."""
        path = f"conversations/{int(conversation_id)}/labels"
        data = self._request("POST", path, json_body={"labels": list(labels)})
        return list(data.get("payload") or [])

    def set_custom_attributes(self, conversation_id: int, attributes: dict) -> None:
        """Replace the conversation's custom attributes (Chatwoot assigns, it does not merge)."""
        path = f"conversations/{int(conversation_id)}/custom_attributes"
        self._request("POST", path, json_body={"custom_attributes": attributes})

    # --- messages ------------------------------------------------------------------------------

    def create_message(
        self,
        conversation_id: int,
        content: str | None,
        *,
        message_type: str = "outgoing",
        private: bool = False,
        attachments: Sequence[tuple[str, bytes, str]] = (),
        content_attributes: dict | None = None,
    ) -> dict:
        """Add a message; `attachments` are (filename, bytes, mime type) and go as multipart.

        Chatwoot delivers nothing from an API inbox: an "outgoing" message only reaches the
        inbox's callback URL, if it has one. "incoming" is refused outside API inboxes.
        `message_type` of the answer is a name, as in webhooks, not the REST API's integer.
        """
        if content is None and not attachments:
            raise ValueError("a Chatwoot message needs content or attachments")
        path = f"conversations/{int(conversation_id)}/messages"
        if not attachments:
            body = {
                "content": content,
                "message_type": message_type,
                "private": private,
                **_given(content_attributes=content_attributes),
            }
            return _named(self._request("POST", path, json_body=body))
        # Multipart parts are text: Rails casts "true"/"false", and the dashboard sends
        # content_attributes as a JSON string, which the message builder parses.
        form = {"message_type": message_type, "private": "true" if private else "false"}
        if content is not None:
            form["content"] = content
        if content_attributes:
            form["content_attributes"] = json.dumps(content_attributes)
        files = [("attachments[]", attachment) for attachment in attachments]
        return _named(self._request("POST", path, data=form, files=files))

    def list_messages(self, conversation_id: int) -> list[dict]:
        """The conversation's latest messages (Chatwoot's first page: up to 20), oldest first."""
        data = self._request("GET", f"conversations/{int(conversation_id)}/messages")
        return [_named(message) for message in data.get("payload") or []]

    # --- account labels ------------------------------------------------------------------------

    def account_labels(self) -> list[str]:
        """The titles of every label the account has defined."""
        data = self._request("GET", "labels")
        return [label["title"] for label in data.get("payload") or []]

    def create_label(self, title: str, *, description: str = "", color: str = "#1f93ff") -> dict:
        """Needs an administrator's token: an agent's gets 401."""
        body = {"title": title, "description": description, "color": color}
        return self._request("POST", "labels", json_body=body)

    # --- plumbing ------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    ) -> Any:
        """The one way out to Chatwoot: send, map errors, retry what is safe to retry.

        GETs are retried on any transient error; anything else only when it cannot have
        reached Chatwoot (no connection made, or 429), so a message is never posted twice.
        """
        operation = f"{method} {path}"  # ids only: the search query stays out of errors

        def attempt() -> Any:
            try:
                response = self._session.request(
                    method,
                    f"{self._prefix}/{path}",
                    params=params,
                    json=json_body,
                    data=data,
                    files=files,
                    headers=self._headers,
                    timeout=self._timeout,
                    # A redirected POST comes back as a GET: a wrong base URL must fail loudly.
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                # Not chained: requests' message holds the URL, and a search URL the phone.
                raise _network_error(operation, exc) from None
            with response:
                if not 200 <= response.status_code < 300:
                    raise _status_error(operation, response)
                if not response.content:
                    return {}
                try:
                    return response.json()
                except ValueError:
                    title = f"{_status_title(response.status_code)}, body not JSON"
                    raise ChatwootError(
                        title, status=response.status_code, operation=operation
                    ) from None

        return self._retry.call(
            attempt, idempotent=method in _IDEMPOTENT, transient=ChatwootUnavailable
        )


def _given(**fields: Any) -> dict[str, Any]:
    """The fields that have a value: Chatwoot gets no empty ones."""
    return {name: value for name, value in fields.items() if value}


def _named(message: dict) -> dict:
    kind = message.get("message_type")
    if isinstance(kind, int) and kind in MESSAGE_TYPES:
        return {**message, "message_type": MESSAGE_TYPES[kind]}
    return message


def _status_title(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} HTTP error"


def _status_error(operation: str, response: requests.Response) -> ChatwootError:
    status = response.status_code
    title = _status_title(status)
    if status in (401, 403):
        return ChatwootAuthError(title, status=status, operation=operation)
    if status == 404:
        return ChatwootNotFound(title, status=status, operation=operation)
    if status in (408, 429) or status >= 500:
        return ChatwootUnavailable(
            title,
            status=status,
            operation=operation,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            # 408 and 429 say the request was not processed; after a 5xx nobody knows.
            maybe_sent=status >= 500,
        )
    return ChatwootRejected(title + _invalid_fields(response), status=status, operation=operation)


def _invalid_fields(response: requests.Response) -> str:
    """The ' (phone_number)' of a 422's {"attributes": [...]}: field names, never values."""
    try:
        fields = response.json().get("attributes")
    except (ValueError, AttributeError):
        return ""
    if not isinstance(fields, list) or not fields:
        return ""
    names = [f for f in fields if isinstance(f, str) and f.isidentifier() and len(f) <= 40]
    return f" ({', '.join(names[:5])})" if names else ""


def _network_error(operation: str, exc: requests.RequestException) -> ChatwootError:
    name = type(exc).__name__
    if isinstance(exc, _CONFIG_ERRORS):
        return ChatwootError(name, operation=operation)  # a wrong base URL: nothing was sent
    if isinstance(exc, requests.ConnectTimeout):
        return ChatwootUnavailable(name, operation=operation)
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.ConnectionError) and isinstance(
        reason, NewConnectionError | ConnectTimeoutError
    ):
        # NewConnectionError (refused, unreachable) or its NameResolutionError: never connected.
        return ChatwootUnavailable(f"{name} ({type(reason).__name__})", operation=operation)
    # A read timeout, a TLS failure, a connection dropped mid-request: it may have been done.
    return ChatwootUnavailable(name, operation=operation, maybe_sent=True)
