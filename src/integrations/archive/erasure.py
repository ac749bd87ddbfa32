"""Erasing a customer's archive, and the retention job, both short of what a legal hold keeps.

A legal hold names event tables (consents and leads by default) whose rows are kept for
RETENTION_YEARS after they were made, detached from the erased conversation; everything else
about the phone goes. The audit log is never erased: it names phones by a digest only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from integrations.archive.models import EVENTS, Conversation, Customer, Delivery, Message


@dataclass(frozen=True)
class RetentionPolicy:
    """What a legal hold keeps, and for how long the archive keeps the rest.

    hold               event tables kept through an erasure (LEGAL_HOLD)
    years              how long held rows are kept after they were made (RETENTION_YEARS)
    unconverted_days   how long a conversation that never became a lead is kept after its last
                       message (UNCONVERTED_RETENTION_DAYS; 0: for ever)
    """

    hold: tuple[str, ...] = ("consents", "leads")
    years: int = 6
    unconverted_days: int = 365

    def held_since(self, now: datetime | None = None) -> datetime:
        """Held rows made before this are past their hold."""
        return (now or datetime.now(UTC)) - timedelta(days=round(self.years * 365.25))

    def unconverted_before(self, now: datetime | None = None) -> datetime | None:
        """Conversations without a lead idle since before this are purged (None: never)."""
        if not self.unconverted_days:
            return None
        return (now or datetime.now(UTC)) - timedelta(days=self.unconverted_days)


def _held(table: str, hold: Iterable[str]) -> bool:
    return table in set(hold)


def erase_customer(
    session: Session, phone: str, *, hold: Iterable[str], held_since: datetime
) -> dict[str, Any]:
    """Delete what the archive holds about `phone`, but held rows newer than `held_since`.

    Returns:
        {"deleted": {table: rows}, "held": {table: rows}}.
    """
    deleted: dict[str, int] = {}
    held: dict[str, int] = {}
    who = session.scalar(select(Customer).where(Customer.phone == phone))
    if who is None:
        return {"deleted": deleted, "held": held}
    for model in EVENTS:
        table, mine = model.__tablename__, model.customer_id == who.id
        if _held(table, hold):
            gone = session.execute(delete(model).where(mine, model.at < held_since))
            session.execute(update(model).where(mine).values(conversation_id=None))
            kept = session.scalar(select(func.count()).select_from(model).where(mine)) or 0
            if kept:
                held[table] = kept
        else:
            gone = session.execute(delete(model).where(mine))
        deleted[table] = gone.rowcount  # type: ignore[attr-defined]
    for other in (Delivery, Message, Conversation):
        gone = session.execute(delete(other).where(other.customer_id == who.id))
        deleted[other.__tablename__] = gone.rowcount  # type: ignore[attr-defined]
    if held:
        who.profile_name = None  # the held rows keep the number they belong to, nothing more
    else:
        session.delete(who)
        deleted["customers"] = 1
    return {"deleted": {k: v for k, v in deleted.items() if v}, "held": held}


def purge_unconverted(
    session: Session, *, before: datetime | None, hold: Iterable[str], held_since: datetime
) -> dict[str, int]:
    """The retention job: conversations that never became leads, idle since before `before`.

    Their messages and records go (held rows are kept, detached, while the hold lasts); held
    rows whose hold ran out go too, and customers left with nothing at all. `before` None
    purges no conversation.
    """
    ids: list[int] = []
    if before is not None:
        stale = select(Conversation.id).where(
            Conversation.lead.is_(False), Conversation.last_message_at < before
        )
        ids = list(session.scalars(stale))
    counts: dict[str, int] = {}

    def count(table: str, result: Any) -> None:
        if result.rowcount:
            counts[table] = counts.get(table, 0) + result.rowcount

    for model in EVENTS:
        table = model.__tablename__
        if ids:
            if _held(table, hold):
                session.execute(
                    update(model).where(model.conversation_id.in_(ids)).values(conversation_id=None)
                )
            else:
                count(table, session.execute(delete(model).where(model.conversation_id.in_(ids))))
        if _held(table, hold):
            count(table, session.execute(delete(model).where(model.at < held_since)))
    if ids:
        count("messages", session.execute(delete(Message).where(Message.conversation_id.in_(ids))))
        count(
            "conversations", session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
        )
    # Customers with nothing left: their deliveries and their own row.
    alive = [select(Conversation.customer_id), select(Message.customer_id)]
    alive += [select(model.customer_id) for model in EVENTS]
    orphan = select(Customer.id).where(*(Customer.id.not_in(q) for q in alive))
    orphans = list(session.scalars(orphan))
    if orphans:
        count(
            "deliveries", session.execute(delete(Delivery).where(Delivery.customer_id.in_(orphans)))
        )
        count("customers", session.execute(delete(Customer).where(Customer.id.in_(orphans))))
    return counts
