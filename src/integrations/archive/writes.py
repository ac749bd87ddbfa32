"""Applying the outbox's operations to the archive: each one in one transaction, idempotently.

An operation is plain JSON (see `webhooks.records.ops`): `turn` (the customer, the conversation,
its messages and the sale's events), `status` (a delivery status of a message we sent) and
`audit` (an operator's or admin's action). Rows are found by their natural keys before being
added, so an operation applied twice (a drainer killed before it popped it) changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.archive.models import (
    EVENTS,
    AuditEntry,
    Conversation,
    Customer,
    Delivery,
    Event,
    Message,
)

EVENT_TABLES = {model.__tablename__: model for model in EVENTS}
# Delivery statuses in the order they happen: "read" may arrive before "delivered".
STATUS_RANK = {"queued": 0, "accepted": 0, "sent": 1, "delivered": 2, "read": 3, "played": 3}


class OperationError(ValueError):
    """An operation the archive can never apply (unknown kind, missing field): set it aside."""


def clean(text: str | None, limit: int | None = None) -> str | None:
    """Customer text as every database stores it: no NUL (PostgreSQL refuses it), capped."""
    if text is None:
        return None
    text = text.replace("\x00", "")
    return text[:limit] if limit else text


def natural(key: str, limit: int = 300) -> str:
    """A natural key that fits its column: a long one (a provider's long id) ends in a digest."""
    if len(key) <= limit:
        return key
    return f"{key[: limit - 65]}#{hashlib.sha256(key.encode()).hexdigest()}"


def subject_of(phone: str) -> str:
    """How the audit log names a phone: a digest, so the entry outlives the customer's erasure."""
    return hashlib.sha256(phone.encode()).hexdigest()


def moment(value: str | float | None) -> datetime:
    """An ISO 8601 time or Unix seconds as an aware UTC datetime (now when missing)."""
    if value is None or value == "":
        return datetime.now(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def apply(session: Session, phone: str, op: dict[str, Any]) -> None:
    """Write one operation of `phone`'s outbox into `session` (the caller commits)."""
    kind = op.get("op")
    try:
        if kind == "turn":
            _turn(session, phone, op)
        elif kind == "status":
            _status(session, phone, op)
        elif kind == "audit":
            audit(session, op["actor"], op["action"], phone, op.get("detail") or {}, op.get("at"))
        else:
            raise OperationError(f"unknown archive operation {kind!r}")
    except (KeyError, TypeError) as exc:
        raise OperationError(f"malformed {kind} operation: {type(exc).__name__} {exc}") from exc


def audit(
    session: Session,
    actor: str,
    action: str,
    phone: str | None,
    detail: dict[str, Any],
    at: str | float | None = None,
) -> None:
    """Append an entry to the audit log (no personal data in `detail`)."""
    session.add(
        AuditEntry(
            at=moment(at),
            actor=actor,
            action=action,
            subject=subject_of(phone) if phone else None,
            detail=detail,
        )
    )


def customer(session: Session, phone: str, at: datetime) -> Customer:
    """The phone's customer row, made on first sight."""
    found = session.scalar(select(Customer).where(Customer.phone == phone))
    if found is None:
        found = Customer(phone=phone, first_seen_at=at, last_seen_at=at)
        session.add(found)
        session.flush()
    return found


def _turn(session: Session, phone: str, op: dict[str, Any]) -> None:
    if not op.get("key"):
        raise OperationError("a turn operation needs its natural key")
    at = moment(op["at"])
    who = customer(session, phone, at)
    if op.get("profile_name"):
        who.profile_name = clean(op["profile_name"], 200)
    who.last_seen_at = max(_aware(who.last_seen_at), at)
    conversation = _conversation(session, who, phone, op, at)
    for message in op.get("messages", []):
        _message(session, who, conversation, message)
    for event in op.get("events", []):
        model = EVENT_TABLES.get(event["table"])
        if model is None:
            raise OperationError(f"unknown archive table {event['table']!r}")
        key = natural(event["key"])
        if session.scalar(select(model.id).where(model.key == key)) is None:
            fields = _fitted(model, {k: v for k, v in event.items() if k not in ("table", "at")})
            fields["key"] = key
            session.add(
                model(
                    **fields,
                    customer_id=who.id,
                    conversation_id=conversation.id if conversation else None,
                    at=moment(event.get("at") or op["at"]),
                )
            )


def _conversation(
    session: Session, who: Customer, phone: str, op: dict[str, Any], at: datetime
) -> Conversation | None:
    """The conversation a turn belongs to: a new one when the turn started one, else the latest."""
    state = op.get("conversation")
    if state is None:
        return None
    key = natural(op["key"])
    if op.get("started"):
        found = session.scalar(select(Conversation).where(Conversation.key == key))
    else:
        found = session.scalar(
            select(Conversation)
            .where(Conversation.customer_id == who.id)
            .order_by(Conversation.started_at.desc(), Conversation.id.desc())
            .limit(1)
        )
    if found is None:
        # Started here, or begun before the archive was on: this turn opens its record.
        found = Conversation(
            key=key, customer_id=who.id, started_at=at, last_message_at=at, stage="INICIO"
        )
        session.add(found)
    found.last_message_at = max(_aware(found.last_message_at or at), at)
    for name in ("channel", "provider", "stage", "handoff", "opted_out", "lead", "turns"):
        if state.get(name) is not None:
            setattr(found, name, state[name])
    session.flush()
    return found


def _message(
    session: Session, who: Customer, conversation: Conversation | None, message: dict[str, Any]
) -> None:
    key = natural(message["key"])
    if session.scalar(select(Message.id).where(Message.key == key)) is not None:
        return
    session.add(
        Message(
            key=key,
            customer_id=who.id,
            conversation_id=conversation.id if conversation else None,
            direction=message["direction"],
            channel=message.get("channel"),
            provider=message.get("provider"),
            kind=message.get("kind"),
            author=message.get("author") or ("customer" if message["direction"] == "in" else "bot"),
            text=clean(message.get("text")) or "",
            provider_ids=list(message.get("provider_ids") or []),
            status=message.get("status"),
            error=message.get("error"),
            media=list(message.get("media") or []),
            at=moment(message.get("at")),
        )
    )


def _status(session: Session, phone: str, op: dict[str, Any]) -> None:
    at = moment(op.get("at"))
    who = customer(session, phone, at)
    found = session.scalar(
        select(Delivery).where(Delivery.provider_message_id == natural(op["provider_message_id"]))
    )
    if found is None:
        session.add(
            Delivery(
                provider_message_id=natural(op["provider_message_id"]),
                customer_id=who.id,
                status=op["status"],
                at=at,
                errors=list(op.get("errors") or []),
            )
        )
    elif STATUS_RANK.get(op["status"], 9) > STATUS_RANK.get(found.status, 9):
        found.status, found.at, found.errors = op["status"], at, list(op.get("errors") or [])


def _fitted(model: type[Event], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of a row, strings cut to their column's length (an insurer's long tariff name)."""
    columns = model.__table__.columns
    fitted = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = clean(value, getattr(columns[name].type, "length", None))
        fitted[name] = value
    return fitted


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes: every time the archive stores is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
