"""A local Chatwoot on 127.0.0.1 that checks every request against Chatwoot's own OpenAPI spec.

It answers with the status codes and JSON shapes the real API renders, and keeps what it was told.
"""

from __future__ import annotations

import copy
import functools
import io
import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest
from openapi_core.exceptions import OpenAPIError
from werkzeug.formparser import parse_form_data

from testkit import DATA

SPEC = DATA / "chatwoot" / "swagger.json"
MESSAGES = "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages"
MESSAGE_TYPES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
_ACCOUNT_PATH = re.compile(r"/api/v1/accounts/(?P<account>[^/]+)/(?P<rest>.+)")
_LABEL_TITLE = re.compile(r"[\w-]+")
_E164 = re.compile(r"\+[1-9]\d{1,14}")
API_USER = {"id": 1, "name": "API user", "type": "user"}


def _repair(spec: dict) -> dict:
    """Two defects, both in the multipart body of "Create New Message", block correct requests.

    - `attachments[].items` is OAS 3.0's `{type: string, format: binary}`; under 3.1's JSON
      Schema a file part (bytes) is not a string. 3.1 says it as `contentMediaType`.
    - `private` is `boolean`, but every multipart part is text and openapi-core does not cast
      form parts: "true"/"false" (which Rails casts) could never pass. Narrowed to those two.
    """
    form = spec["paths"][MESSAGES]["post"]["requestBody"]["content"]["multipart/form-data"]
    properties = form["schema"]["properties"]
    properties["attachments[]"]["items"] = {"contentMediaType": "application/octet-stream"}
    properties["private"] = {"type": "string", "enum": ["true", "false"]}
    return spec


@functools.cache
def _repaired_spec() -> dict:
    spec = _repair(json.loads(SPEC.read_text(encoding="utf-8")))
    OpenAPI.from_dict(copy.deepcopy(spec))  # the repaired spec is still valid OpenAPI 3.1
    return spec


class FakeChatwoot:
    """One Chatwoot account (`account_id`) that answers the user token `token`.

    Any inbox id is an API inbox. `down` answers 503 to everything, `refuse` closes the port,
    `fail_next` queues answers (status, body[, headers]) given after validation, `missing` holds
    patterns of account paths ("labels", "conversations/[0-9]+/custom_attributes") that answer
    404 as if that endpoint did not exist. State is in plain dicts.
    """

    def __init__(self, *, token: str, account_id: int = 1) -> None:
        self.token, self.account_id = token, account_id
        self.contacts: dict[int, dict] = {}
        self.conversations: dict[int, dict] = {}
        self.contact_inboxes: list[dict] = []
        self.labels: list[dict] = []
        self.requests: list[dict] = []
        self.violations: list[str] = []
        self.fail_next: deque[tuple] = deque()
        self.missing: set[str] = set()
        self.down = False
        self.delay = 0.0  # seconds every answer takes (a slow Chatwoot)
        self.replace_contact_attributes = False  # PUT contacts replaces the map (some versions)
        self.changed = threading.Condition()
        self._ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: one connection per request, so `refuse` needs no open sockets closed.
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        self._handler = Handler
        self._httpd: ThreadingHTTPServer | None = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        spec = {**_repaired_spec(), "servers": [{"url": self.url}]}
        self.openapi = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))

    def __enter__(self) -> FakeChatwoot:
        self._serve()
        return self

    def __exit__(self, *exc) -> None:
        if self._httpd is not None:
            self._stop()

    def _serve(self) -> None:
        if self._httpd is None:
            self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        self._httpd.daemon_threads = True
        kwargs = {"poll_interval": 0.05}
        threading.Thread(target=self._httpd.serve_forever, kwargs=kwargs, daemon=True).start()

    def _stop(self) -> None:
        assert self._httpd is not None  # only called while serving
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd = None

    @property
    def refuse(self) -> bool:
        """True: nothing listens on the port, connections are refused (ECONNREFUSED)."""
        return self._httpd is None

    @refuse.setter
    def refuse(self, value: bool) -> None:
        if value and self._httpd is not None:
            self._stop()
        elif not value and self._httpd is None:
            self._serve()

    # --- for tests -----------------------------------------------------------------------------

    def conversation_for(self, phone: str) -> dict | None:
        """The phone's latest conversation: the fake's own dict, not a copy."""
        with self.changed:
            ids = {c["id"] for c in self.contacts.values() if c["phone_number"] == phone}
            found = [c for c in self.conversations.values() if c["contact_id"] in ids]
            return found[-1] if found else None

    def messages(self, conversation_id: int) -> list[dict]:
        """The messages of a conversation, in the order they were created."""
        with self.changed:
            return list(self.conversations[conversation_id]["messages"])

    def wait_for(self, predicate, timeout: float = 10.0):
        """Block until `predicate()` is true (checked on every change); its last value."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def add_agent_message(self, conversation_id: int, content: str) -> dict:
        """What an agent typing in the dashboard leaves behind."""
        with self.changed:
            message = self._add_message(self.conversations[conversation_id], content, "outgoing")
            self.changed.notify_all()
            return message

    # --- one request ---------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else None
        url = urlsplit(handler.path)
        content_type = handler.headers.get("Content-Type", "")
        received = RequestsOpenAPIRequest(
            requests.Request(
                handler.command, self.url + handler.path, dict(handler.headers), data=raw
            )
        )
        record = {"method": handler.command, "path": url.path, "query": dict(parse_qsl(url.query))}
        record |= _body(content_type, raw)
        try:
            self.openapi.validate_request(received)
            problem = None
        except OpenAPIError as exc:
            problem = f"{handler.command} {url.path}: {type(exc).__name__}: {exc}"
            problem += f" ({exc.__cause__})" if exc.__cause__ else ""
        with self.changed:
            self.requests.append(record)
            if problem:
                self.violations.append(problem)
            answer = (400, {"error": problem}) if problem else self._answer(handler, record)
            self.changed.notify_all()
        if self.delay:
            time.sleep(self.delay)
        _reply(handler, *answer)

    def _answer(self, handler: BaseHTTPRequestHandler, record: dict) -> tuple:
        if self.down:
            page = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
            return 503, page, {"Content-Type": "text/html"}
        if self.fail_next:
            return self.fail_next.popleft()
        if handler.headers.get("api_access_token") != self.token:
            return 401, {"error": "Invalid Access Token"}
        match = _ACCOUNT_PATH.fullmatch(record["path"])
        if not match or match["account"] != str(self.account_id):
            return 404, {"error": "Resource could not be found"}
        if any(re.fullmatch(pattern, match["rest"]) for pattern in self.missing):
            return 404, {"error": "Resource could not be found"}
        for method, pattern, route in _ROUTES:
            if method == record["method"] and (found := re.fullmatch(pattern, match["rest"])):
                try:
                    return route(self, record, *map(int, found.groups()))
                except _Missing:
                    return 404, {"error": "Resource could not be found"}
        return 501, {"error": f"the fake does not implement {record['method']} {match['rest']}"}

    # --- routes (self holds the lock) ----------------------------------------------------------

    def _search_contacts(self, record: dict) -> tuple:
        q = record["query"].get("q", "").strip().lower()
        if not q:
            return 422, {"error": "Specify search string with parameter q"}
        keys = ("name", "email", "phone_number", "identifier")  # ILIKE '%q%' on each
        found = [c for c in self.contacts.values() if any(q in (c[k] or "").lower() for k in keys)]
        page = [self._contact_view(c) for c in found[:15]]
        return 200, {"meta": {"count": len(found), "current_page": 1}, "payload": page}

    def _create_contact(self, record: dict) -> tuple:
        body = record["json"]
        if error := self._contact_invalid(body):
            return error
        contact = {
            "id": next(self._ids),
            "name": body.get("name") or "",
            "email": body.get("email"),
            "phone_number": body.get("phone_number"),
            "identifier": body.get("identifier"),
            "custom_attributes": dict(body.get("custom_attributes") or {}),
            "additional_attributes": dict(body.get("additional_attributes") or {}),
        }
        self.contacts[contact["id"]] = contact
        inbox = self._link(contact, inbox_id=body["inbox_id"], source_id=str(uuid.uuid4()))
        payload = {"contact": self._contact_view(contact), "contact_inbox": inbox}
        return 200, {"payload": payload}

    def _show_contact(self, record: dict, contact_id: int) -> tuple:
        return 200, {"payload": self._contact_view(_find(self.contacts, contact_id))}

    def _update_contact(self, record: dict, contact_id: int) -> tuple:
        contact, body = _find(self.contacts, contact_id), record["json"]
        if error := self._contact_invalid(body, contact_id):
            return error
        for key in ("name", "email", "phone_number", "identifier"):
            if key in body:
                contact[key] = body[key]
        for key in ("custom_attributes", "additional_attributes"):  # merged, as Chatwoot does
            if key in body and self.replace_contact_attributes:  # as some versions do
                contact[key] = dict(body[key] or {})
            else:
                contact[key] |= body.get(key) or {}
        return 200, {"payload": self._contact_view(contact)}

    def _delete_contact(self, record: dict, contact_id: int) -> tuple:
        _find(self.contacts, contact_id)
        del self.contacts[contact_id]
        for conversation_id, conversation in list(self.conversations.items()):
            if conversation["contact_id"] == contact_id:
                del self.conversations[conversation_id]
        return 200, {}

    def _create_contact_inbox(self, record: dict, contact_id: int) -> tuple:
        body = record["json"]
        source_id = body.get("source_id") or str(uuid.uuid4())
        contact = _find(self.contacts, contact_id)
        return 200, self._link(contact, inbox_id=body["inbox_id"], source_id=source_id)

    def _create_conversation(self, record: dict) -> tuple:
        body = record["json"]
        key = {"inbox_id": body.get("inbox_id"), "source_id": body["source_id"]}
        link = next((i for i in self.contact_inboxes if key.items() <= i.items()), None)
        if link is None:  # an unknown source id makes a new contact inbox for contact_id
            self._link(_find(self.contacts, body.get("contact_id")), **key)
            link = self.contact_inboxes[-1]
        conversation = {
            "id": next(self._ids),
            **link,
            "status": body.get("status") or "open",
            "labels": [],
            "custom_attributes": dict(body.get("custom_attributes") or {}),
            "additional_attributes": dict(body.get("additional_attributes") or {}),
            "assignee_id": body.get("assignee_id"),
            "team_id": body.get("team_id"),
            "messages": [],
        }
        self.conversations[conversation["id"]] = conversation
        return 200, self._conversation_view(conversation)

    def _show_conversation(self, record: dict, conversation_id: int) -> tuple:
        return 200, self._conversation_view(_find(self.conversations, conversation_id))

    def _toggle_status(self, record: dict, conversation_id: int) -> tuple:
        conversation = _find(self.conversations, conversation_id)
        conversation["status"] = record["json"]["status"]
        payload = {"success": True, "conversation_id": conversation_id, "snoozed_until": None}
        return 200, {"meta": {}, "payload": payload | {"current_status": conversation["status"]}}

    def _assign(self, record: dict, conversation_id: int) -> tuple:
        """As assignments_controller: an agent when assignee_id is given, else the team."""
        conversation, body = _find(self.conversations, conversation_id), record["json"]
        if "assignee_id" in body:
            conversation["assignee_id"] = body["assignee_id"]
            return 200, {**API_USER, "id": body["assignee_id"]}
        if "team_id" in body:
            conversation["team_id"] = body["team_id"]
            return 200, {"id": body["team_id"], "name": f"team {body['team_id']}"}
        return 200, None

    def _conversation_labels(self, record: dict, conversation_id: int) -> tuple:
        return 200, {"payload": list(_find(self.conversations, conversation_id)["labels"])}

    def _set_conversation_labels(self, record: dict, conversation_id: int) -> tuple:
        labels = list(dict.fromkeys(record["json"]["labels"]))  # acts-as-taggable: no repeats
        _find(self.conversations, conversation_id)["labels"] = labels
        return 200, {"payload": list(labels)}

    def _set_custom_attributes(self, record: dict, conversation_id: int) -> tuple:
        attributes = dict(record["json"]["custom_attributes"])  # assigned, not merged
        _find(self.conversations, conversation_id)["custom_attributes"] = attributes
        return 200, {"custom_attributes": attributes}

    def _list_messages(self, record: dict, conversation_id: int) -> tuple:
        conversation = _find(self.conversations, conversation_id)
        messages, query = conversation["messages"], record["query"]
        if "after" in query:
            messages = [m for m in messages if m["id"] > int(query["after"])][:100]
        else:
            before = int(query.get("before") or 0)
            messages = [m for m in messages if not before or m["id"] < before][-20:]
        meta = {
            "labels": list(conversation["labels"]),
            "additional_attributes": conversation["additional_attributes"],
            "contact": self._contact_view(self.contacts[conversation["contact_id"]], False),
            "agent_last_seen_at": None,
        }
        return 200, {
            "meta": meta,
            "payload": [self._message_view(conversation, m) for m in messages],
        }

    def _create_message(self, record: dict, conversation_id: int) -> tuple:
        conversation = _find(self.conversations, conversation_id)
        body = record.get("json") or record.get("form") or {}
        private = body.get("private", False)
        attributes = body.get("content_attributes") or {}
        if isinstance(attributes, str):
            attributes = json.loads(attributes)
        message = self._add_message(
            conversation,
            body.get("content"),
            body.get("message_type") or "outgoing",
            private=private is True or private == "true",
            attachments=record.get("files", []),
            content_attributes=attributes,
        )
        return 200, self._message_view(conversation, message)

    def _account_labels(self, record: dict) -> tuple:
        return 200, {"payload": [dict(label) for label in self.labels]}

    def _create_label(self, record: dict) -> tuple:
        body = record["json"]
        title = (body.get("title") or "").lower()  # Label downcases its title before validation
        if not _LABEL_TITLE.fullmatch(title):
            return 422, {"message": "Title is invalid", "attributes": ["title"]}
        if any(label["title"] == title for label in self.labels):
            return 422, {"message": "Title has already been taken", "attributes": ["title"]}
        label = {
            "id": next(self._ids),
            "title": title,
            "description": body.get("description"),
            "color": body.get("color") or "#1f93ff",
            "show_on_sidebar": body.get("show_on_sidebar", True),
        }
        self.labels.append(label)
        return 200, dict(label)

    # --- state and views -----------------------------------------------------------------------

    def _contact_invalid(self, body: dict, contact_id: int | None = None) -> tuple | None:
        """Chatwoot's 422s for a contact: render_record_invalid's {"message", "attributes"}."""
        phone = body.get("phone_number")
        if phone is not None and not _E164.fullmatch(phone):
            why = "Phone number should be in e164 format"
            return 422, {"message": why, "attributes": ["phone_number"]}
        others = [c for c in self.contacts.values() if c["id"] != contact_id]
        for key in ("phone_number", "identifier"):
            if body.get(key) and any(c[key] == body[key] for c in others):
                why = f"{key.replace('_', ' ').capitalize()} has already been taken"
                return 422, {"message": why, "attributes": [key]}
        return None

    def _link(self, contact: dict, *, inbox_id: int, source_id: str) -> dict:
        link = {"contact_id": contact["id"], "inbox_id": inbox_id, "source_id": source_id}
        if link not in self.contact_inboxes:
            self.contact_inboxes.append(link)
        return {"source_id": source_id, "inbox": _inbox_view(inbox_id)}

    def _add_message(self, conversation, content, message_type, **more) -> dict:
        message = {
            "id": next(self._ids),
            "content": content,
            "message_type": message_type,
            "private": more.get("private", False),
            "attachments": more.get("attachments", []),
            "content_attributes": more.get("content_attributes", {}),
            "created_at": int(time.time()),
        }
        conversation["messages"].append(message)
        return message

    def _contact_view(self, contact: dict, with_inboxes: bool = True) -> dict:
        view = {"availability_status": "offline", "thumbnail": "", **contact}
        if with_inboxes:
            view["contact_inboxes"] = [
                {"source_id": i["source_id"], "inbox": _inbox_view(i["inbox_id"])}
                for i in self.contact_inboxes
                if i["contact_id"] == contact["id"]
            ]
        return view

    def _conversation_view(self, conversation: dict) -> dict:
        contact = self.contacts[conversation["contact_id"]]
        last = conversation["messages"][-1:]
        meta = {"sender": self._contact_view(contact, False), "channel": "Channel::Api"}
        if conversation["assignee_id"]:
            meta["assignee"] = {**API_USER, "id": conversation["assignee_id"]}
        if team := conversation.get("team_id"):
            meta["team"] = {"id": team, "name": f"team {team}"}
        return {
            "meta": meta,
            "id": conversation["id"],
            "messages": [self._message_view(conversation, m) for m in last],
            "account_id": self.account_id,
            "additional_attributes": conversation["additional_attributes"],
            "custom_attributes": conversation["custom_attributes"],
            "inbox_id": conversation["inbox_id"],
            "labels": list(conversation["labels"]),
            "status": conversation["status"],
            "can_reply": True,
            "snoozed_until": None,
        }

    def _message_view(self, conversation: dict, message: dict) -> dict:
        """As the REST views render a message: message_type is the enum's integer."""
        incoming = message["message_type"] == "incoming"
        contact = self.contacts[conversation["contact_id"]]
        view = {
            "id": message["id"],
            "content": message["content"],
            "inbox_id": conversation["inbox_id"],
            "conversation_id": conversation["id"],
            "message_type": MESSAGE_TYPES[message["message_type"]],
            "content_type": "text",
            "status": "sent",
            "content_attributes": message["content_attributes"],
            "created_at": message["created_at"],
            "private": message["private"],
            "source_id": None,
            "sender": {**contact, "type": "contact"} if incoming else API_USER,
        }
        if message["attachments"]:
            view["attachments"] = [
                {
                    "message_id": message["id"],
                    "file_type": _file_type(a["content_type"]),
                    "data_url": f"{self.url}/rails/active_storage/{a['filename']}",
                    "file_size": a["size"],
                }
                for a in message["attachments"]
            ]
        return view


# method, path pattern, route: a route takes the record and the ids its pattern captured.
_ROUTES: list[tuple[str, str, Callable[..., tuple]]] = [
    ("GET", r"contacts/search", FakeChatwoot._search_contacts),
    ("POST", r"contacts", FakeChatwoot._create_contact),
    ("GET", r"contacts/(\d+)", FakeChatwoot._show_contact),
    ("PUT", r"contacts/(\d+)", FakeChatwoot._update_contact),
    ("DELETE", r"contacts/(\d+)", FakeChatwoot._delete_contact),
    ("POST", r"contacts/(\d+)/contact_inboxes", FakeChatwoot._create_contact_inbox),
    ("POST", r"conversations", FakeChatwoot._create_conversation),
    ("GET", r"conversations/(\d+)", FakeChatwoot._show_conversation),
    ("POST", r"conversations/(\d+)/toggle_status", FakeChatwoot._toggle_status),
    ("POST", r"conversations/(\d+)/assignments", FakeChatwoot._assign),
    ("GET", r"conversations/(\d+)/labels", FakeChatwoot._conversation_labels),
    ("POST", r"conversations/(\d+)/labels", FakeChatwoot._set_conversation_labels),
    ("POST", r"conversations/(\d+)/custom_attributes", FakeChatwoot._set_custom_attributes),
    ("GET", r"conversations/(\d+)/messages", FakeChatwoot._list_messages),
    ("POST", r"conversations/(\d+)/messages", FakeChatwoot._create_message),
    ("GET", r"labels", FakeChatwoot._account_labels),
    ("POST", r"labels", FakeChatwoot._create_label),
]


class _Missing(Exception):
    """The contact or conversation asked for is not there: 404."""


def _find(records: dict[int, dict], record_id: int) -> dict:
    if record_id not in records:
        raise _Missing(record_id)
    return records[record_id]


def _body(content_type: str, raw: bytes | None) -> dict:
    """What a request carried, for assertions: {"json": ...} or {"form": ..., "files": [...]}."""
    if not raw:
        return {}
    if content_type.startswith("multipart/form-data"):
        environ = {
            "wsgi.input": io.BytesIO(raw),
            "CONTENT_LENGTH": str(len(raw)),
            "CONTENT_TYPE": content_type,
            "REQUEST_METHOD": "POST",
        }
        _, form, files = parse_form_data(environ)
        uploads = []
        for name, upload in files.items(multi=True):
            size = len(upload.read())
            upload.close()  # a SpooledTemporaryFile: left open, it warns when collected
            if name == "attachments[]":
                uploads.append(
                    {"filename": upload.filename, "content_type": upload.mimetype, "size": size}
                )
        return {"form": form.to_dict(), "files": uploads}
    try:
        return {"json": json.loads(raw)}
    except ValueError:
        return {"raw": raw}


def _reply(handler: BaseHTTPRequestHandler, status: int, body, headers=None) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def _inbox_view(inbox_id: int) -> dict:
    return {"id": inbox_id, "name": f"API inbox {inbox_id}", "channel_type": "Channel::Api"}


def _file_type(mime_type: str) -> str:
    kind = mime_type.partition("/")[0]
    return kind if kind in ("image", "audio", "video") else "file"
