"""ArchiveStore: the archive's one door: write operations, audit, export, erase, list, count."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from integrations.archive import database, erasure, writes
from integrations.archive.models import (
    EVENTS,
    AuditEntry,
    Base,
    Conversation,
    Customer,
    Delivery,
    Message,
)

# The columns an export leaves out: the database's own ids mean nothing to the customer.
INTERNAL = {"id", "customer_id", "conversation_id"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value


def row_dict(row: Base, *, leaving: Iterable[str] = ()) -> dict[str, Any]:
    """A row as JSON-safe values, without the database's internal ids (nor `leaving`)."""
    left = INTERNAL.union(leaving)
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in left
    }


def _tally(session: Session, by: Any, where: ColumnElement[bool]) -> dict[Any, int]:
    """How many rows `where` names, for each value of `by`."""
    return dict(session.execute(select(by, func.count()).where(where).group_by(by)).all())


class ArchiveStore:
    """The SQL archive on `engine` (its schema migrated by `database.upgrade`)."""

    def __init__(self, engine: Engine) -> None:
        """Sessions on `engine`; objects stay readable after commit."""
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._migrated = False
        self._migrating = threading.Lock()

    def ready(self) -> ArchiveStore:
        """This store, its schema migrated to the newest revision (once per process).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the database is unavailable.
        """
        with self._migrating:
            if not self._migrated:
                database.upgrade(self.engine)
                self._migrated = True
        return self

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self._sessions.begin() as session:
            yield session

    def ping(self) -> None:
        """Reach the database (raises when it is away)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    # --- writing ---------------------------------------------------------------------------

    def apply(self, phone: str, op: dict[str, Any]) -> None:
        """Apply one outbox operation in its own transaction; applying it again changes nothing.

        Raises:
            OperationError: the operation can never be applied.
            sqlalchemy.exc.SQLAlchemyError: the database is unavailable (try again later).
        """
        try:
            try:
                with self.engine.begin() as db:
                    writes.apply(db, phone, op)
            except IntegrityError:
                # Another process made the same customer or conversation between our update
                # and our insert: the second try finds it.
                with self.engine.begin() as db:
                    writes.apply(db, phone, op)
        except (IntegrityError, DataError) as exc:
            # The database refuses this operation's data, and always will: set it aside.
            raise writes.OperationError(f"refused by the database: {type(exc).__name__}") from exc

    def apply_all(self, ops: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Apply several phones' operations, (phone, operation) in order, in ONE transaction.

        All of them or none: when one fails, nothing is written, and the caller applies them
        one by one (`apply`) to find out which failed, and why.

        Raises:
            OperationError: an operation can never be applied.
            sqlalchemy.exc.SQLAlchemyError: the database refused one, or is unavailable.
        """
        with self.engine.begin() as db:
            writes.apply_many(db, ops)

    def audit(
        self, actor: str, action: str, phone: str | None, detail: dict[str, Any] | None = None
    ) -> None:
        """Append an operator's or admin's action to the audit log, now."""
        with self.session() as session:
            writes.audit(session, actor, action, phone, detail or {})

    # --- a customer's data -----------------------------------------------------------------

    def export(self, phone: str) -> dict[str, Any]:
        """Everything the archive holds about `phone` (empty lists when nothing)."""
        with self.session() as session:
            who = session.scalar(select(Customer).where(Customer.phone == phone))
            audit = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject == writes.subject_of(phone))
                .order_by(AuditEntry.at, AuditEntry.id)
            )
            found: dict[str, Any] = {
                "customer": row_dict(who) if who else None,
                # Without the entry's key: an id against replays, nothing about the customer.
                "audit": [row_dict(e, leaving=("key",)) for e in audit],
            }
            mine = who.id if who else -1
            keys = dict(
                session.execute(
                    select(Conversation.id, Conversation.key).where(
                        Conversation.customer_id == mine
                    )
                ).all()
            )
            found["conversations"] = [
                row_dict(c)
                for c in session.scalars(
                    select(Conversation).where(Conversation.customer_id == mine)
                )
            ]
            found["messages"] = [
                self._exported(m, keys)
                for m in session.scalars(
                    select(Message).where(Message.customer_id == mine).order_by(Message.id)
                )
            ]
            found["deliveries"] = [
                row_dict(d)
                for d in session.scalars(select(Delivery).where(Delivery.customer_id == mine))
            ]
            for model in EVENTS:
                rows = session.scalars(
                    select(model).where(model.customer_id == mine).order_by(model.id)
                )
                found[model.__tablename__] = [self._exported(row, keys) for row in rows]
            return found

    @staticmethod
    def _exported(row: Base, conversations: dict[int, str]) -> dict[str, Any]:
        values = row_dict(row)
        conversation_id = getattr(row, "conversation_id", None)
        # The conversation's natural key, or None once it was erased or purged (a held row).
        values["conversation"] = conversations.get(conversation_id) if conversation_id else None
        return values

    def erase(
        self,
        phone: str,
        *,
        hold: Iterable[str],
        held_since: datetime,
        actor: str = "admin",
        elsewhere: Callable[[], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Erase `phone` but held rows newer than `held_since`, audited, in one transaction.

        `elsewhere` erases the phone's data outside the archive once the archive's rows are
        deleted but not yet committed (a database that fails before then leaves everything as
        it was); what it returns joins the audit entry.
        """
        with self.session() as session:
            outcome = erasure.erase_customer(session, phone, hold=hold, held_since=held_since)
            session.flush()
            outcome = (elsewhere() if elsewhere else {}) | outcome
            writes.audit(session, actor, "erase", phone, outcome)
            return outcome

    def purge(self, *, before: datetime | None, hold: Iterable[str], held_since: datetime) -> dict:
        """The retention job (see `erasure.purge_unconverted`), audited."""
        with self.session() as session:
            counts = erasure.purge_unconverted(
                session, before=before, hold=hold, held_since=held_since
            )
            detail = {
                "before": before.isoformat() if before else None,
                "held_since": held_since.isoformat(),
            }
            writes.audit(session, "retention", "purge", None, detail | {"deleted": counts})
            return counts

    # --- the admin API's long periods ------------------------------------------------------

    def conversations(
        self,
        since: datetime,
        *,
        offset: int,
        limit: int | None,
        where: dict[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Conversations with activity since `since`, newest first, and how many there are."""
        query = (
            select(Conversation, Customer.phone, Customer.profile_name)
            .join(Customer, Customer.id == Conversation.customer_id)
            .where(Conversation.last_message_at >= since)
        )
        for name, value in (where or {}).items():
            query = query.where(getattr(Conversation, name) == value)
        with self.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(
                query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
        return [
            {
                "phone": phone,
                "channel": c.channel,
                "provider": c.provider,
                "stage": c.stage,
                "last_message_at": _plain(c.last_message_at),
                "handoff": c.handoff,
                "opted_out": c.opted_out,
                "profile_name": name,
            }
            for c, phone, name in rows
        ], total

    def counts(self, since: datetime, stages: Iterable[str]) -> dict[str, Any]:
        """Conversations and messages since `since`, and how far the conversations got."""
        order = list(stages)
        with self.session() as session:
            active = session.scalar(
                select(func.count()).where(Conversation.last_message_at >= since)
            )
            started = _tally(session, Conversation.stage, Conversation.started_at >= since)
            messages = _tally(session, Message.direction, Message.at >= since)
        # A conversation at a stage has reached every earlier one.
        reached = [
            sum(n for stage, n in started.items() if stage in order[i:]) for i in range(len(order))
        ]
        return {
            "active_conversations": active or 0,
            "conversations_started": sum(started.values()),
            "messages_in": messages.get("in", 0),
            "messages_out": messages.get("out", 0),
            "reached": dict(zip(order, reached, strict=True)),
        }
