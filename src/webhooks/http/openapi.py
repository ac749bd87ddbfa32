"""The admin API's OpenAPI 3.1 document, served at GET /webhook/openapi.json."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

from agent.state import STAGES

CHANNELS = ("whatsapp", "sms", "chat")
PROVIDERS = ("meta", "twilio", "evolution")
PER_PAGE_MAX = 100
PAGE_MAX = 1_000_000  # (page - 1) * per_page must stay a Redis integer
MAX_TEXT = 4096  # WhatsApp's limit for one text message

PHONE = {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$", "examples": ["+34600000000"]}
TIME = {"type": "string", "format": "date-time"}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
STAGE = {"type": "string", "enum": list(STAGES)}


def _nullable(schema: dict) -> dict:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, *, required: list[str] | None = None, extra: bool = False) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": extra,
    }


SCHEMAS = {
    "Error": _obj({"error": {"type": "string"}}),
    "ConversationItem": _obj(
        {
            "phone": PHONE,
            "channel": _nullable({"type": "string", "enum": [*CHANNELS, None]}),
            "provider": _nullable({"type": "string", "enum": [*PROVIDERS, None]}),
            "stage": STAGE,
            "last_message_at": _nullable(TIME),
            "handoff": {"type": "boolean"},
            "opted_out": {"type": "boolean"},
            "profile_name": _nullable({"type": "string"}),
        }
    ),
    "ConversationPage": _obj(
        {
            "items": {"type": "array", "items": _ref("ConversationItem")},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX},
            "next_page": _nullable({"type": "integer", "minimum": 2}),
        }
    ),
    "Delivery": _obj(
        {
            "id": {"type": "string"},
            "status": {"type": "string"},
            "at": TIME,
            "errors": {"type": "array", "items": {"type": "object"}},
        },
        required=["id", "status", "at"],
    ),
    "SendFailure": _obj(
        {"code": {"type": ["integer", "string", "null"]}, "title": {"type": "string"}},
        required=["title"],
    ),
    "TranscriptEntry": _obj(
        {
            "direction": {"type": "string", "enum": ["in", "out"]},
            "text": {"type": "string"},
            "at": TIME,
            "channel": {"type": "string"},
            "kind": {"type": "string", "description": "inbound: text, button, image..."},
            "id": {"type": "string", "description": "inbound: the provider's message id"},
            "provider": _nullable({"type": "string", "enum": [*PROVIDERS, None]}),
            "author": {"type": "string", "enum": ["operator"]},
            "template": {
                "type": "boolean",
                "description": "the 24-hour window was closed: the template went out instead",
            },
            "status": {
                "type": "string",
                "description": "outbound: accepted or failed when sent, then the furthest "
                "delivery status reported (sent, delivered, read, failed...)",
            },
            "status_at": TIME,
            "ids": {"type": "array", "items": {"type": "string"}},
            "error": _ref("SendFailure"),
            "delivery": {"type": "array", "items": _ref("Delivery")},
        },
        required=["direction", "text", "at"],
        extra=True,
    ),
    "Conversation": _obj(
        {
            "phone": PHONE,
            "channel": _nullable({"type": "string"}),
            "provider": _nullable({"type": "string"}),
            "profile_name": _nullable({"type": "string"}),
            "last_message_at": _nullable(TIME),
            "stage": STAGE,
            "profile": {"type": "object"},
            "quote": _nullable({"type": "object"}),
            "chosen": _nullable({"type": "string"}),
            "handoff": {"type": "boolean"},
            "handoff_reason": _nullable({"type": "string"}),
            "lead": {"type": "boolean"},
            "opted_out": {"type": "boolean"},
            "human": {"type": "boolean"},
            "human_reason": _nullable({"type": "string"}),
            "consent": _nullable({"type": "object"}),
            "declared": {"type": "object"},
            "follow_up": _ref("FollowUp"),
            "transcript": {"type": "array", "items": _ref("TranscriptEntry")},
        }
    ),
    "FollowUp": _obj(
        {
            "next_due": _nullable(TIME),
            "step": {"type": "integer", "minimum": 0},
            "sent": {"type": "integer", "minimum": 0},
            "last_sent_at": _nullable(TIME),
        }
    ),
    "Reset": _obj({"phone": PHONE, "reset": {"const": True}}),
    "Closed": _obj(
        {
            "phone": PHONE,
            "stage": {"const": "FINALIZADO"},
            "message": _nullable(_ref("TranscriptEntry")),
        }
    ),
    "OperatorMessage": _obj({"text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}}),
    "Sent": _obj({"phone": PHONE, "message": _ref("TranscriptEntry")}),
    "NotSent": _obj({"error": {"type": "string"}, "message": _ref("TranscriptEntry")}),
    "FunnelStep": _obj(
        {
            "stage": STAGE,
            "reached": {"type": "integer", "minimum": 0},
            "conversion": _nullable({"type": "number", "minimum": 0}),
        }
    ),
    "WebhookDelivery": _obj(
        {
            "at": TIME,
            "provider": {"type": "string"},
            "outcome": {"type": "string"},
            "status": {"type": "integer"},
            "ms": {"type": "number", "minimum": 0},
            "phone": _nullable({"type": "string", "description": "masked"}),
        }
    ),
    "WebhookDeliveries": _obj({"items": {"type": "array", "items": _ref("WebhookDelivery")}}),
    "CustomerExport": _obj(
        {
            "phone": PHONE,
            "exported_at": TIME,
            "redis": {
                "type": "object",
                "description": "the running conversation: keys held, graph state, summary, "
                "transcript, delivery statuses, Chatwoot link, pending work",
            },
            "archive": {
                "type": "object",
                "description": "the SQL archive's rows, by table (customer, conversations, "
                "messages, deliveries, consents, needs_records, quotes, choices, leads, "
                "handovers, opt_outs) and the audit log's entries about the phone",
            },
        }
    ),
    "EraseRequest": _obj({"chatwoot": {"type": "boolean", "default": False}}, required=[]),
    "Erased": _obj(
        {
            "phone": PHONE,
            "erased": {"const": True},
            "chatwoot": {
                "type": "string",
                "description": "kept, not configured, not found, deleted, or failed: <why>",
            },
            "redis_keys": {"type": "integer", "minimum": 0},
            "archive": {**COUNTS, "description": "rows deleted, by table"},
            "held": {**COUNTS, "description": "rows the legal hold keeps, by table"},
            "held_until": _nullable({"type": "string"}),
        }
    ),
    "Stats": _obj(
        {
            "since": TIME,
            "until": TIME,
            "active_conversations": {"type": "integer", "minimum": 0},
            "conversations_started": {"type": "integer", "minimum": 0},
            "messages_in": {"type": "integer", "minimum": 0},
            "messages_out": {"type": "integer", "minimum": 0},
            "responses": {"type": "integer", "minimum": 0},
            "avg_response_ms": _nullable({"type": "number", "minimum": 0}),
            "p90_response_ms": _nullable({"type": "number", "minimum": 0}),
            "active_users_24h": {"type": "integer", "minimum": 0},
            "active_users_7d": {"type": "integer", "minimum": 0},
            "follow_ups_sent": {"type": "integer", "minimum": 0},
            "follow_ups_pending": {"type": "integer", "minimum": 0},
            "funnel": {"type": "array", "items": _ref("FunnelStep")},
        }
    ),
}

DESCRIPTIONS = {
    "conversations": (
        "Kept conversations (those not yet forgotten after CONVERSATION_TTL_DAYS), newest "
        "activity first. With a filter the whole index is scanned. With `since`, the conversations "
        "active since then, read from the SQL archive when that is further back than "
        "CONVERSATION_TTL_DAYS."
    ),
    "reset": (
        "Forgets everything kept about the phone (checkpoints, transcript, delivery statuses, "
        "pending messages and Chatwoot operations) but the link to its Chatwoot conversation: "
        "the customer's next message starts again at INICIO. Waits for a running turn to finish."
    ),
    "close": (
        "Sets the stage to FINALIZADO and sends a polite closing message on the customer's last "
        "channel (none to an opted-out customer; none on WhatsApp once the 24-hour window has "
        "closed: `message.status` is then `failed` with the reason)."
    ),
    "messages": (
        "Sends an operator's message on the customer's last channel; outside WhatsApp's "
        "24-hour window the approved template goes out instead (`template: true`)."
    ),
    "stats": (
        "Counted from the start of the UTC day of `since` (default: 30 days ago). Further "
        "back than Redis keeps (CONVERSATION_TTL_DAYS for active conversations, 400 days for the "
        "rest), conversations, messages and the funnel are counted in the SQL archive; response "
        "times and active users only as far as Redis keeps them. Active conversations: with "
        "activity since then. Active users: "
        "customers who wrote in the last 24 hours (hourly buckets) and 7 days. Response time: "
        "from our webhook receiving the customer's (first) message to the reply going out; the "
        "p90 comes from up to 1000 samples a day. Funnel: customers who reached each stage "
        "(a later stage implies the earlier ones) and the share of the previous stage's."
    ),
    "export": (
        "Everything held about the phone, to answer a customer's access request: the running "
        "conversation in Redis and every row of the SQL archive, with the audit log's entries "
        "about it. The export itself is audited."
    ),
    "erase": (
        "Erases the phone's data, to answer an erasure request: every Redis key of the phone, "
        "the archive's rows, and with `chatwoot: true` its Chatwoot contact (and conversations). "
        "What LEGAL_HOLD names (consents and leads by default) is kept for RETENTION_YEARS after "
        "it was made, and the audit log records the erasure. Operations still waiting for the "
        "archive are written first; when the database is unavailable nothing is erased (503)."
    ),
}


def _json(schema: str) -> dict:
    return {"content": {"application/json": {"schema": _ref(schema)}}}


def _answer(description: str, schema: str = "Error") -> dict:
    return {"description": description, **_json(schema)}


def _csv(description: str) -> dict:
    return {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}}


AUTH = {
    "401": _answer("no bearer token"),
    "403": _answer("wrong token, or ADMIN_TOKEN is not configured"),
}
BAD = {"400": _answer("invalid parameter")}
MISSING = {"404": _answer("no such conversation")}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


FILTERS = [
    _query("stage", STAGE, "only conversations at this stage"),
    _query("channel", {"type": "string", "enum": list(CHANNELS)}, "only those last on it"),
    _query("handoff", {"type": "boolean"}, "only those handed (or not) to a human"),
]
SINCE = [_query("since", {"type": "string"}, "ISO 8601 date or date-time (UTC if no offset)")]
PHONE_PARAM = {
    "name": "phone",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "E.164, with or without the '+'",
}


def _paths() -> dict:
    conversation = {
        "parameters": [PHONE_PARAM],
        "get": {
            "summary": "One conversation: state and transcript with delivery statuses",
            "responses": {
                "200": _answer("the conversation", "Conversation"),
                **BAD,
                **AUTH,
                **MISSING,
            },
        },
        "delete": {
            "summary": "Reset the conversation",
            "description": DESCRIPTIONS["reset"],
            "responses": {"200": _answer("reset", "Reset"), **BAD, **AUTH, **MISSING},
        },
    }
    return {
        "/webhook/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "the OpenAPI document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **AUTH,
                },
            }
        },
        "/webhook/conversations": {
            "get": {
                "summary": "Conversations, newest first, paged and filtered",
                "description": DESCRIPTIONS["conversations"],
                "parameters": [
                    _query(
                        "page",
                        {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 1},
                        "from 1",
                    ),
                    _query(
                        "per_page",
                        {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX, "default": 20},
                        "items per page",
                    ),
                    *FILTERS,
                    *SINCE,
                ],
                "responses": {"200": _answer("a page", "ConversationPage"), **BAD, **AUTH},
            }
        },
        "/webhook/conversations.csv": {
            "get": {
                "summary": "Every conversation matching the filters, as CSV",
                "parameters": FILTERS,
                "responses": {
                    "200": _csv("one row per conversation, with a header"),
                    **BAD,
                    **AUTH,
                },
            }
        },
        "/webhook/conversation/{phone}": conversation,
        "/webhook/conversation/{phone}/close": {
            "parameters": [PHONE_PARAM],
            "post": {
                "summary": "End the conversation politely",
                "description": DESCRIPTIONS["close"],
                "responses": {"200": _answer("closed", "Closed"), **BAD, **AUTH, **MISSING},
            },
        },
        "/webhook/conversation/{phone}/messages": {
            "parameters": [PHONE_PARAM],
            "post": {
                "summary": "Send an operator's message to the customer",
                "description": DESCRIPTIONS["messages"],
                "requestBody": {"required": True, **_json("OperatorMessage")},
                "responses": {
                    "200": _answer("sent (recorded in the transcript)", "Sent"),
                    "400": _answer("no text, or too long"),
                    **AUTH,
                    **MISSING,
                    "409": _answer(
                        "the customer opted out, their channel has no sender, or the window "
                        "is closed and no template is configured"
                    ),
                    "502": _answer("the provider refused it (recorded as failed)", "NotSent"),
                },
            },
        },
        "/webhook/logs": {
            "get": {
                "summary": "The last webhook deliveries, newest first (masked phones)",
                "parameters": [
                    _query("limit", {"type": "string"}, "how many, 1-500 (default 100)")
                ],
                "responses": {
                    "200": _answer("deliveries", "WebhookDeliveries"),
                    **BAD,
                    **AUTH,
                },
            }
        },
        "/webhook/stats": {
            "get": {
                "summary": "Activity, response times and the funnel",
                "description": DESCRIPTIONS["stats"],
                "parameters": SINCE,
                "responses": {"200": _answer("the numbers", "Stats"), **BAD, **AUTH},
            }
        },
        "/webhook/stats.csv": {
            "get": {
                "summary": "The same numbers as CSV: metric,value",
                "parameters": SINCE,
                "responses": {"200": _csv("one metric a row, with a header"), **BAD, **AUTH},
            }
        },
        "/webhook/customer/{phone}/export": {
            "parameters": [PHONE_PARAM],
            "get": {
                "summary": "Everything held about a customer (access request)",
                "description": DESCRIPTIONS["export"],
                "responses": {
                    "200": _answer("the customer's data", "CustomerExport"),
                    "400": _answer("not an E.164 phone number"),
                    **AUTH,
                    "404": _answer("nothing is held about this phone"),
                    "503": _answer("the archive database is unavailable"),
                },
            },
        },
        "/webhook/customer/{phone}/erase": {
            "parameters": [PHONE_PARAM],
            "post": {
                "summary": "Erase a customer's data but what a legal hold keeps (erasure request)",
                "description": DESCRIPTIONS["erase"],
                "requestBody": {"required": False, **_json("EraseRequest")},
                "responses": {
                    "200": _answer("erased, with what was kept", "Erased"),
                    "400": _answer("not an E.164 phone number, or a body other than EraseRequest"),
                    **AUTH,
                    "503": _answer("the archive database is unavailable: nothing was erased"),
                },
            },
        },
    }


@cache
def openapi() -> dict:
    """The OpenAPI 3.1 document of the admin API (built once)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "iAgente Vida admin API",
            "version": version("iagente-vida"),
            "description": "Every endpoint takes `Authorization: Bearer $ADMIN_TOKEN`.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
    }
