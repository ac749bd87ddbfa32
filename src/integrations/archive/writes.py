"""Applying the outbox's operations to the archive: each one in one transaction, idempotently.

An operation is plain JSON (see `webhooks.records.ops`): `turn` (the customer, the conversation,
its messages and the sale's events), `status` (a delivery status of a message we sent) and
`audit` (an operator's or admin's action). Rows have natural keys: a message or an event already
there is left as it is (INSERT ... ON CONFLICT DO NOTHING), so an operation applied twice (a
drainer killed before it popped it) changes nothing. An audit entry's key is the id its
operation was made with (`audit_op`); one queued before operations had one gets a digest of
itself (`legacy_key`), the same on every replay.

The drainer applies an operation for every turn and every delivery status, so this is SQLAlchemy
Core with statements built once, not ORM objects: a turn is an UPDATE of its customer and one of
its conversation (each RETURNING its id; an INSERT only the first time), one INSERT of its
messages and one per event; a status is one look and one INSERT or UPDATE. A quarter of the CPU
the ORM's look-ups, unit of work and flushes took (bench/archive_bench.py). A database without
INSERT ... ON CONFLICT or UPDATE ... RETURNING gets a look-up before each write instead.
`apply_many` writes a batch of phones' operations (the drainer's, one per phone) in one
transaction: their turns' customers and conversations in one UPDATE per table first
(`touches`), their new messages, events and audit entries in one INSERT per table at its end.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import groupby
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Insert,
    Row,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from integrations.archive import models, touches
from integrations.archive.touches import CONVERSATION_STATE, LATEST, SEEN, STARTED


def _table(model: type[models.Base]) -> Table:
    return cast(Table, model.__table__)


EVENT_TABLES = {model.__tablename__: _table(model) for model in models.EVENTS}
# Delivery statuses in the order they happen: "read" may arrive before "delivered".
STATUS_RANK = {"queued": 0, "accepted": 0, "sent": 1, "delivered": 2, "read": 3, "played": 3}
customers, conversations = touches.customers, touches.conversations
messages, deliveries = _table(models.Message), _table(models.Delivery)
audit_log = _table(models.AuditEntry)
# INSERT ... ON CONFLICT (key) DO NOTHING where the database has it; built once per table.
ON_CONFLICT: dict[str, Callable[[Table], sqlite.Insert | postgresql.Insert]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}
_inserts: dict[tuple[str, str], Insert] = {}
# A turn's customer's id and its conversation's, when its batch touched them (`apply_many`).
Touched = tuple[int, int | None]
# New rows an `apply_many` writes at its end, table by table, in the order they were made.
Later = list[tuple[Table, list[dict[str, Any]]]]


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
    # In UTC: SQLite keeps a time without its offset, and the latest of two is compared in SQL.
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def apply(
    db: Connection,
    phone: str,
    op: dict[str, Any],
    later: Later | None = None,
    touched: Touched | None = None,
) -> None:
    """Write one operation of `phone`'s outbox in `db`'s transaction (the caller commits).

    With `later`, its new messages, events and audit entries are added to it instead of inserted;
    with `touched`, a turn's customer and conversation were already touched (`apply_many`).
    """
    kind = op.get("op")
    try:
        if kind == "turn":
            _turn(db, phone, op, later, touched)
        elif kind == "status":
            _status(db, phone, op)
        elif kind == "audit":
            key = op.get("key") or legacy_key(phone, op)
            detail = op.get("detail") or {}
            audit(db, op["actor"], op["action"], phone, detail, op.get("at"), key=key, later=later)
        else:
            raise OperationError(f"unknown archive operation {kind!r}")
    except (KeyError, TypeError) as exc:
        raise OperationError(f"malformed {kind} operation: {type(exc).__name__} {exc}") from exc


def apply_many(db: Connection, ops: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Write several phones' operations, in order, in `db`'s transaction (the caller commits).

    Their turns' customers and conversations are touched first, one UPDATE per table for all of
    them where the database allows it (`_touch_all`). Their new messages, events and audit
    entries are inserted at the end, one INSERT ... ON CONFLICT per table (and set of columns)
    for all of them: nothing in an operation reads them back.
    """
    ops = list(ops)
    touched = _touch_all(db, ops)
    later: Later = []
    for phone, op in ops:
        apply(db, phone, op, later, touched.get(phone))
    tables: dict[Table, list[dict[str, Any]]] = {}
    for table, rows in later:
        tables.setdefault(table, []).extend(rows)
    for table, rows in tables.items():
        # One statement per run of rows with the same columns, so the ids keep their order.
        for _, run in groupby(rows, key=lambda row: row.keys()):
            db.execute(_on_conflict(db.dialect.name, table), list(run))


def audit(
    db: Connection | Session,
    actor: str,
    action: str,
    phone: str | None,
    detail: dict[str, Any],
    at: str | float | None = None,
    *,
    key: str | None = None,
    later: Later | None = None,
) -> None:
    """Append an entry to the audit log (no personal data in `detail`), once per `key`.

    An entry already there under `key` is left as it is: an outbox operation applied again.
    Without a key (a direct call, written once in its caller's transaction), a fresh one.
    With `later`, the entry is added to it instead of inserted (see `apply`).
    """
    subject = subject_of(phone) if phone else None
    entry = {
        "key": natural(key) if key is not None else uuid.uuid4().hex,
        "at": moment(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": detail,
    }
    _add_new(db.connection() if isinstance(db, Session) else db, audit_log, [entry], later)


def legacy_key(phone: str, op: dict[str, Any]) -> str:
    """The key of an audit operation queued before operations carried one: a digest of it.

    Each replay reads the same stored operation, so it finds the same key. Two such operations
    alike in everything, their time to the millisecond included, are written once.
    """
    content = json.dumps([phone, op], sort_keys=True, separators=(",", ":"), default=str)
    return f"legacy:{hashlib.sha256(content.encode()).hexdigest()}"


def _touch_all(db: Connection, ops: list[tuple[str, dict[str, Any]]]) -> dict[str, Touched]:
    """The turns' customers and conversations, touched in one UPDATE per table: {phone: ids}.

    Only for turns of different phones (a phone's second turn may find what its first made), on
    a database with UPDATE ... FROM and RETURNING, and enough of them to pay (`touches.batched`);
    the rows not found are made one by one, as for a single turn. Nothing ({}: each turn touches
    its own) when a turn is malformed: its own `apply` says why.
    """
    turns = [(phone, op) for phone, op in ops if op.get("op") == "turn"]
    if len({phone for phone, _ in turns}) < len(turns):
        return {}
    if not touches.batched(db.dialect, len(turns)):
        return {}
    try:
        said = [_touching(phone, op) for phone, op in turns]
    except (KeyError, TypeError, ValueError, AttributeError):
        return {}
    customer = touches.SEEN_MANY(db, [{"phone": s.phone, "at": s.at, "name": s.name} for s in said])
    started, latest = [], []
    for s in said:
        if s.phone not in customer:
            made = {"phone": s.phone, "profile_name": s.name, "first_seen_at": s.at}
            customer[s.phone] = _made(db, customers, made | {"last_seen_at": s.at})
        if s.state is not None and s.started:
            started.append(s.state | {"key": s.key})
        elif s.state is not None:
            latest.append(s.state | {"customer": customer[s.phone]})
    by_key = touches.STARTED_MANY(db, started)
    by_customer = touches.LATEST_MANY(db, latest)
    touched: dict[str, Touched] = {}
    for s in said:
        who, conversation = customer[s.phone], None
        if s.state is not None:
            conversation = by_key.get(s.key) if s.started else by_customer.get(who)
            if conversation is None:
                conversation = _opened(db, who, s.key, s.at, s.state)
        touched[s.phone] = (who, conversation)
    return touched


@dataclass(frozen=True)
class _Touching:
    """What a turn says of its customer and conversation (`state`: None when it names none)."""

    phone: str
    at: datetime
    name: str | None
    key: str
    started: bool
    state: dict[str, Any] | None


def _touching(phone: str, op: dict[str, Any]) -> _Touching:
    if not op.get("key"):
        raise KeyError("key")
    at = moment(op["at"])
    state = op.get("conversation")
    return _Touching(
        phone,
        at,
        clean(op["profile_name"], 200) if op.get("profile_name") else None,
        natural(op["key"]),
        bool(op.get("started")),
        None if state is None else {n: state.get(n) for n in CONVERSATION_STATE} | {"at": at},
    )


def _turn(
    db: Connection, phone: str, op: dict[str, Any], later: Later | None, touched: Touched | None
) -> None:
    if not op.get("key"):
        raise OperationError("a turn operation needs its natural key")
    if touched is None:
        at = moment(op["at"])
        name = clean(op["profile_name"], 200) if op.get("profile_name") else None
        who = SEEN(db, {"b_phone": phone, "b_at": at, "b_name": name})
        if who is None:
            made = {"phone": phone, "profile_name": name, "first_seen_at": at, "last_seen_at": at}
            who = _made(db, customers, made)
        conversation = _conversation(db, who, op, at)
    else:
        who, conversation = touched
    said = [_message(who, conversation, m) for m in op.get("messages", [])]
    _add_new(db, messages, said, later)
    for event in op.get("events", []):
        table = EVENT_TABLES.get(event["table"])
        if table is None:
            raise OperationError(f"unknown archive table {event['table']!r}")
        row = _fitted(table, {k: v for k, v in event.items() if k not in ("table", "at")})
        row |= {
            "key": natural(event["key"]),
            "customer_id": who,
            "conversation_id": conversation,
            "at": moment(event.get("at") or op["at"]),
        }
        _add_new(db, table, [row], later)


def _conversation(db: Connection, who: int, op: dict[str, Any], at: datetime) -> int | None:
    """The conversation a turn belongs to: a new one when the turn started one, else the latest."""
    state = op.get("conversation")
    if state is None:
        return None
    key = natural(op["key"])
    said = {name: state.get(name) for name in CONVERSATION_STATE}
    params = {f"b_{name}": value for name, value in said.items()} | {"b_at": at}
    if op.get("started"):
        found = STARTED(db, params | {"b_key": key})
    else:
        found = LATEST(db, params | {"b_customer": who})
    if found is None:
        found = _opened(db, who, key, at, said)
    return found


def _opened(db: Connection, who: int, key: str, at: datetime, said: dict[str, Any]) -> int:
    """The record of a conversation started here, or begun before the archive was on: its id."""
    opened = {"key": key, "customer_id": who, "started_at": at, "last_message_at": at}
    fresh = {name: said[name] for name in CONVERSATION_STATE if said[name] is not None}
    return _made(db, conversations, opened | {"stage": "INICIO"} | fresh)


def _message(who: int, conversation: int | None, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": natural(message["key"]),
        "customer_id": who,
        "conversation_id": conversation,
        "direction": message["direction"],
        "channel": message.get("channel"),
        "provider": message.get("provider"),
        "kind": message.get("kind"),
        "author": message.get("author") or ("customer" if message["direction"] == "in" else "bot"),
        "text": clean(message.get("text")) or "",
        "provider_ids": list(message.get("provider_ids") or []),
        "status": message.get("status"),
        "error": message.get("error"),
        "media": list(message.get("media") or []),
        "at": moment(message.get("at")),
    }


def _status(db: Connection, phone: str, op: dict[str, Any]) -> None:
    at = moment(op.get("at"))
    provider_message_id = natural(op["provider_message_id"])
    status, errors = op["status"], list(op.get("errors") or [])
    which = {"b_phone": phone, "b_id": provider_message_id}
    found = db.execute(DELIVERY, which).first()
    if found is None:  # a customer we have no record of yet
        who = _made(db, customers, {"phone": phone, "first_seen_at": at, "last_seen_at": at})
        known = db.execute(DELIVERY_STATUS, which).scalar()
    else:
        who, known = found
    row = {"status": status, "at": at, "errors": errors}
    if known is None:
        db.execute(
            _insert(deliveries),
            row | {"provider_message_id": provider_message_id, "customer_id": who},
        )
    elif STATUS_RANK.get(status, 9) > STATUS_RANK.get(known, 9):
        db.execute(ADVANCED, row | which)


def _made(db: Connection, table: Table, row: dict[str, Any]) -> int:
    """Insert `row`; its id."""
    return cast("Row[Any]", db.execute(_insert(table), row).inserted_primary_key)[0]


@cache
def _insert(table: Table) -> Insert:
    """A plain INSERT into `table`, its columns those of the row it is given (built once)."""
    return insert(table)


# The phone's customer and the status of the delivery (None: none yet), in one look; and the
# delivery's status alone, for a phone that had no customer.
DELIVERY = (
    select(customers.c.id, deliveries.c.status)
    .select_from(
        customers.outerjoin(deliveries, deliveries.c.provider_message_id == bindparam("b_id"))
    )
    .where(customers.c.phone == bindparam("b_phone"))
)
DELIVERY_STATUS = select(deliveries.c.status).where(
    deliveries.c.provider_message_id == bindparam("b_id")
)
# A delivery that got further (its new status, time and errors given as they are named).
ADVANCED = update(deliveries).where(deliveries.c.provider_message_id == bindparam("b_id"))


def _add_new(
    db: Connection, table: Table, rows: list[dict[str, Any]], later: Later | None = None
) -> None:
    """Insert the rows whose natural key is not there yet (the others are left as they are).

    With `later` (and INSERT ... ON CONFLICT), the rows are added to it, for `apply_many`.
    """
    if not rows:
        return
    dialect = db.dialect.name
    if dialect in ON_CONFLICT:
        if later is not None:
            later.append((table, rows))
        else:
            db.execute(_on_conflict(dialect, table), rows)
        return
    keys = [row["key"] for row in rows]
    there = set(db.execute(select(table.c.key).where(table.c.key.in_(keys))).scalars())
    for row in rows:
        if row["key"] not in there:
            db.execute(_insert(table), row)
            there.add(row["key"])


def _on_conflict(dialect: str, table: Table) -> Insert:
    """INSERT INTO `table` ... ON CONFLICT (key) DO NOTHING (built once)."""
    if (dialect, table.name) not in _inserts:
        made = ON_CONFLICT[dialect](table)
        _inserts[dialect, table.name] = made.on_conflict_do_nothing(index_elements=["key"])
    return _inserts[dialect, table.name]


def _fitted(table: Table, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of a row, strings cut to their column's length (an insurer's long tariff name)."""
    fitted = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = clean(value, getattr(table.columns[name].type, "length", None))
        elif name not in table.columns:
            raise KeyError(name)
        fitted[name] = value
    return fitted
