"""The audit log on SQLite and PostgreSQL: an operation's entry written once, however replayed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from integrations.archive.models import AuditEntry
from integrations.archive.writes import legacy_key, subject_of
from webhooks.inbound.messages import InboundMessage
from webhooks.records.ops import audit_op, turn_op

PHONE, OTHER = "+34600000001", "+34600000002"


def entries(archive) -> list[tuple[str | None, str, str, str | None]]:
    """Every entry of the audit log: key, actor, action, subject, in the order written."""
    with archive.session() as session:
        rows = session.execute(
            select(
                AuditEntry.key, AuditEntry.actor, AuditEntry.action, AuditEntry.subject
            ).order_by(AuditEntry.id)
        ).all()
    return [tuple(row) for row in rows]


def old(op: dict) -> dict:
    """The operation as the code before audit keys queued it: the same, without its key."""
    return {name: value for name, value in op.items() if name != "key"}


def test_an_audit_operation_applied_again_is_written_once(archive):
    reset, close = audit_op("operator", "reset"), audit_op("operator", "close", {"n": 1})
    for op in (reset, close, reset, close):  # a drainer killed before its pops, then another
        archive.apply(PHONE, op)
    assert entries(archive) == [
        (reset["key"], "operator", "reset", subject_of(PHONE)),
        (close["key"], "operator", "close", subject_of(PHONE)),
    ]
    again = audit_op("operator", "reset")  # the same action done again is an entry of its own
    archive.apply(PHONE, again)
    assert [e[2] for e in entries(archive)] == ["reset", "close", "reset"]
    assert len({reset["key"], close["key"], again["key"]}) == 3 and len(reset["key"]) == 32


def test_a_batch_replayed_writes_each_audit_entry_once(archive):
    said = InboundMessage("meta", "whatsapp", OTHER, "w.1", "text", "Hola")
    batch = [
        (PHONE, audit_op("operator", "close")),
        (OTHER, turn_op(OTHER, [said], {}, {"stage": "INICIO"}, None, started=True)),
        ("+34600000003", old(audit_op("operator", "message", {"status": "accepted"}))),
    ]
    archive.apply_all(batch)
    first = entries(archive)
    archive.apply_all(batch)
    assert entries(archive) == first and len(first) == 2
    assert [m["text"] for m in archive.export(OTHER)["messages"]] == ["Hola"]


def test_an_operation_queued_without_a_key_applies_once_under_a_digest_of_itself(archive):
    queued = old(audit_op("operator", "reset"))
    archive.apply(PHONE, queued)
    archive.apply(PHONE, queued)
    later = {**queued, "at": "2099-01-01T00:00:00.001+00:00"}  # another reset: another time
    archive.apply(PHONE, later)
    keys = [e[0] for e in entries(archive)]
    assert keys == [legacy_key(PHONE, queued), legacy_key(PHONE, later)]
    assert keys[0] != keys[1] and keys[0] != legacy_key(OTHER, queued)
    assert all(key and key.startswith("legacy:") for key in keys)


def test_direct_audits_write_one_entry_per_call_each_with_a_fresh_key(archive):
    archive.audit("admin", "export", PHONE, {"archive_rows": 0})
    archive.audit("admin", "export", PHONE, {"archive_rows": 0})
    archive.erase(PHONE, hold=(), held_since=datetime.now(UTC))
    archive.purge(before=datetime.now(UTC), hold=(), held_since=datetime.now(UTC))
    archive.purge(before=datetime.now(UTC), hold=(), held_since=datetime.now(UTC))
    found = entries(archive)
    assert [(e[1], e[2]) for e in found] == [
        ("admin", "export"),
        ("admin", "export"),
        ("admin", "erase"),
        ("retention", "purge"),
        ("retention", "purge"),
    ]
    keys = [e[0] for e in found]
    assert None not in keys and len(set(keys)) == len(keys)


def test_the_export_leaves_the_entry_key_out(archive):
    archive.apply(PHONE, audit_op("operator", "close", {"notified": True}))
    [entry] = archive.export(PHONE)["audit"]
    assert "key" not in entry
    assert (entry["actor"], entry["action"], entry["detail"]) == (
        "operator",
        "close",
        {"notified": True},
    )
