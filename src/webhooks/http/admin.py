"""The admin API: conversations, reset, close, operator messages and statistics (bearer token)."""

from __future__ import annotations

import csv
import hmac
import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import NoReturn

from flask import Blueprint, Response, abort, jsonify, request, stream_with_context
from flask.typing import ResponseReturnValue

from agent.state import STAGES
from webhooks.http.openapi import CHANNELS, MAX_TEXT, PAGE_MAX, PER_PAGE_MAX, openapi
from webhooks.inbound import client_json
from webhooks.inbound.phones import PhoneError, normalise_phone
from webhooks.records import periods
from webhooks.services import Services, services_of
from webhooks.turns import operations
from webhooks.turns.conversations import ConversationService
from webhooks.turns.operations import OperationError

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__)

ITEM_FIELDS = (
    "phone",
    "channel",
    "provider",
    "stage",
    "last_message_at",
    "handoff",
    "opted_out",
    "profile_name",
)


def _services() -> Services:
    return services_of()


def _service() -> ConversationService:
    return _services().conversations


def _fail(status: int, why: str, **headers: str) -> NoReturn:
    abort(Response(json.dumps({"error": why}), status, headers, mimetype="application/json"))


@bp.errorhandler(OperationError)
def _not_done(exc: OperationError) -> Response:
    return Response(json.dumps({"error": str(exc)}), exc.status, mimetype="application/json")


@bp.before_request
def authorise() -> None:
    """Admin requests carry `Authorization: Bearer $ADMIN_TOKEN` (the customers' API's too)."""
    token = _services().settings.admin_token
    expected = token.get_secret_value().encode() if token else b""
    if not expected:
        _fail(403, "the admin API is off: ADMIN_TOKEN is not configured")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        _fail(401, "bearer token missing", **{"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode(), expected):
        _fail(403, "bearer token invalid")


@bp.get("/webhook/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI document of this API."""
    return jsonify(openapi())


# --- conversations ---------------------------------------------------------------------------


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except PhoneError:
        _fail(400, "not an E.164 phone number")


def _filter() -> Callable[[dict], bool] | None:
    """The `stage`, `channel` and `handoff` filters of the query, or None when there are none."""
    wanted: dict = {}
    if stage := request.args.get("stage"):
        if stage not in STAGES:
            _fail(400, f"stage must be one of {', '.join(STAGES)}")
        wanted["stage"] = stage
    if channel := request.args.get("channel"):
        if channel not in CHANNELS:
            _fail(400, f"channel must be one of {', '.join(CHANNELS)}")
        wanted["channel"] = channel
    if (handoff := request.args.get("handoff")) is not None:
        if handoff.lower() not in ("true", "false", "1", "0"):
            _fail(400, "handoff must be true or false")
        wanted["handoff"] = handoff.lower() in ("true", "1")
    if not wanted:
        return None
    return lambda item: all(item[k] == v for k, v in wanted.items())


def _matching(keep: Callable[[dict], bool] | None) -> Iterator[dict]:
    return operations.matching(_service(), keep)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # ASCII digits only: int() also reads '٣' and '1_000', and a huge value overflows Redis.
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else low - 1
    if not low <= value <= high:
        _fail(400, f"{name} must be an integer between {low} and {high}")
    return value


@bp.get("/webhook/conversations")
def conversations() -> Response:
    """One page of the kept conversations, newest activity first, optionally filtered."""
    page = _int_arg("page", 1, 1, PAGE_MAX)
    per_page = _int_arg("per_page", 20, 1, PER_PAGE_MAX)
    keep, store = _filter(), _service().store
    start = (page - 1) * per_page
    if request.args.get("since"):  # a period, which may reach past what Redis keeps
        items, total = periods.conversations(
            _services(), _since(datetime.now(UTC).date()), keep, start, per_page
        )
    elif keep is None:
        phones = store.recent(start, per_page)
        items = [
            operations.item(phone, summary)
            for phone, summary in zip(phones, store.summaries(phones), strict=True)
            if summary
        ]
        total = store.count()
    else:
        matches = list(_matching(keep))
        items, total = matches[start : start + per_page], len(matches)
    return jsonify(
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        next_page=page + 1 if start + per_page < total else None,
    )


def _inert(text: str | None) -> str | None:
    """Customer input (a WhatsApp profile name) that a spreadsheet would run as a formula."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _csv(rows: Iterator[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@bp.get("/webhook/conversations.csv")
def conversations_csv() -> Response:
    """Every conversation passing the filters, as a spreadsheet."""
    keep = _filter()

    def rows() -> Iterator[list]:
        yield list(ITEM_FIELDS)
        for item in _matching(keep):
            item["profile_name"] = _inert(item["profile_name"])
            yield [item[f] for f in ITEM_FIELDS]

    return Response(
        stream_with_context(_csv(rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=conversations.csv"},
    )


@bp.get("/webhook/conversation/<phone>")
def conversation(phone: str) -> Response:
    """One conversation: its funnel state, who has it, and the transcript with deliveries."""
    return jsonify(operations.detail(_services(), _phone(phone)))


@bp.delete("/webhook/conversation/<phone>")
def reset(phone: str) -> Response:
    """Forget a conversation, so the customer's next message starts over."""
    phone = _phone(phone)
    operations.reset(_services(), phone)
    return jsonify(phone=phone, reset=True)


@bp.post("/webhook/conversation/<phone>/close")
def close(phone: str) -> Response:
    """End a conversation at FINALIZADO, saying goodbye while the 24-hour window allows."""
    phone = _phone(phone)
    record = operations.close(_services(), phone)
    return jsonify(phone=phone, stage="FINALIZADO", message=record)


@bp.post("/webhook/conversation/<phone>/messages")
def operator_message(phone: str) -> ResponseReturnValue:
    """Send an operator's text to the customer (the approved template outside the window)."""
    phone = _phone(phone)
    try:
        body = client_json.loads(request.get_data())
    except client_json.ClientJSONError:
        body = None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        _fail(400, 'a JSON body {"text": "..."} with a non-empty text is required')
    if len(text) > MAX_TEXT:
        _fail(400, f"text is longer than {MAX_TEXT} characters")
    record = operations.send_message(_services(), phone, text)
    if record["status"] != "accepted":
        return jsonify(error="the provider refused the message", message=record), 502
    return jsonify(phone=phone, message=record)


# --- statistics --------------------------------------------------------------------------------


def _since(today: date) -> date:
    raw = request.args.get("since")
    if not raw:
        return today - timedelta(days=29)
    try:
        moment = datetime.fromisoformat(raw)  # a bare date is midnight
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        since = moment.astimezone(UTC).date()
    except (ValueError, OverflowError):  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        _fail(400, "since must be an ISO 8601 date or date-time")
    if since > today:
        _fail(400, "since is in the future")
    return since


def _stats() -> dict:
    service = _service()
    if service.stats is None:
        _fail(404, "this service keeps no statistics")
    since = _since(service.stats.now().date())
    return periods.stats(_services(), since, operations.stats(_services(), since))


@bp.get("/webhook/logs")
def webhook_logs() -> Response:
    """The last webhook deliveries: time, provider, outcome, status, latency, masked phone."""
    log_ = _services().deliveries
    limit = _int_arg("limit", 100, 1, log_.cap)
    return jsonify(items=log_.latest(limit))


@bp.get("/webhook/stats")
def stats() -> Response:
    """The service's statistics since a date (default: the last 30 days)."""
    return jsonify(_stats())


@bp.get("/webhook/stats.csv")
def stats_csv() -> Response:
    """The same statistics, as a spreadsheet."""
    return Response(
        "".join(_csv(iter(operations.stats_rows(_stats())))),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=stats.csv"},
    )
