"""The archive's tables, as SQLAlchemy 2 typed models.

Every row a turn writes has a natural `key` (unique per table), made from the provider message
that the turn answered: applying the same operation twice finds the row already there, so the
outbox may retry freely; an audit entry's key is its action's own id, made with the action. The
audit log names its subject by a digest of the phone, so erasing a customer leaves the record of
the erasure itself without their number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint names fixed by convention, so migrations can name what they drop on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The archive's declarative base (UTC-aware times, JSON as the dialect stores it)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class Customer(Base):
    """A phone we talked to: one row per normalised E.164 number."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    profile_name: Mapped[str | None] = mapped_column(String(200))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Conversation(Base):
    """One sale from its first message (a reset starts another): where it got to."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    started_at: Mapped[datetime]
    last_message_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(40))
    handoff: Mapped[bool] = mapped_column(default=False)
    opted_out: Mapped[bool] = mapped_column(default=False)
    lead: Mapped[bool] = mapped_column(default=False)
    turns: Mapped[int] = mapped_column(default=0)


class Message(Base):
    """A message either way: the customer's (one per provider message) or our reply."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in, out
    channel: Mapped[str | None] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(20))  # customer, bot, operator
    text: Mapped[str] = mapped_column(Text, default="")
    provider_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str | None] = mapped_column(String(20))  # ours: accepted or failed when sent
    error: Mapped[dict[str, Any] | None]
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(index=True)


class Delivery(Base):
    """The furthest delivery status a provider reported for one of the messages we sent."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(300), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Event(Base):
    """What every row a turn records has: its natural key, whose, in which sale, and when."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    at: Mapped[datetime]


class Consent(Event):
    """Consent to use the customer's data: given or refused/withdrawn, and the text shown."""

    __tablename__ = "consents"

    given: Mapped[bool]
    text: Mapped[str] = mapped_column(Text)


class NeedsRecord(Event):
    """The demands-and-needs record: the data the customer confirmed before pricing."""

    __tablename__ = "needs_records"

    data: Mapped[dict[str, Any]]


class Quote(Event):
    """A quote as the customer saw it: the inputs, the tariff, every option's premiums."""

    __tablename__ = "quotes"

    tariff: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str | None] = mapped_column(String(3))
    inputs: Mapped[dict[str, Any]]
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Choice(Event):
    """The option the customer confirmed, with its premiums."""

    __tablename__ = "choices"

    option_id: Mapped[str] = mapped_column(String(40))
    monthly: Mapped[str | None] = mapped_column(String(20))
    annual: Mapped[str | None] = mapped_column(String(20))


class Lead(Event):
    """A confirmed choice handed to an advisor to close the policy."""

    __tablename__ = "leads"

    option_id: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(40))


class Handover(Event):
    """The conversation went to a person, and why (the customer asked, a lead, stuck...)."""

    __tablename__ = "handovers"

    reason: Mapped[str | None] = mapped_column(String(40))


class OptOut(Event):
    """The customer asked for no more messages (BAJA, STOP), or opted back in."""

    __tablename__ = "opt_outs"

    opted_out: Mapped[bool]


class AuditEntry(Base):
    """An operator's or admin's action: append-only (never updated, never erased)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject_at", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The action's own id, made once with it, so an outbox operation replayed after a crash
    # finds its entry there. NULL only in entries written before revision 0002: unique
    # indexes take NULLs as distinct on SQLite and PostgreSQL alike.
    key: Mapped[str | None] = mapped_column(String(300), unique=True, index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(40))  # admin, operator, retention
    action: Mapped[str] = mapped_column(String(40))  # export, erase, reset, close, message...
    subject: Mapped[str | None] = mapped_column(String(64))  # sha256 of the phone, if any
    detail: Mapped[dict[str, Any]]


EVENTS: tuple[type[Event], ...] = (Consent, NeedsRecord, Quote, Choice, Lead, Handover, OptOut)
