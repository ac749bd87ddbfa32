"""The archive store on SQLite and PostgreSQL: idempotent writes, export, erasure, retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from langchain_core.messages import AIMessage
from sqlalchemy import func, select

from integrations.archive import writes
from integrations.archive.models import Consent, Customer, Lead, Message
from integrations.archive.writes import OperationError, subject_of
from webhooks.inbound.messages import InboundMessage
from webhooks.records.ops import audit_op, status_op, turn_op

PHONE, OTHER = "+34600000001", "+34600000002"
ASKED = "¿Me das tu consentimiento? Responde *sí* o *no*."
QUOTE = {
    "tariff": "Tarifa 2025",
    "currency": "EUR",
    "illustrative": True,
    "age": 40,
    "smoker": False,
    "cover": "100000.00",
    "term": 20,
    "options": [{"id": "basica", "monthly": "12.34", "annual": "145.00"}],
}


def message(text: str, mid: str, phone: str = PHONE) -> InboundMessage:
    return InboundMessage("meta", "whatsapp", phone, mid, "text", text, profile_name="Ana")


def sale(phone: str = PHONE) -> list[dict]:
    """A whole sale's turns as the worker writes them: consent, data, quote, choice and lead."""
    start = {"messages": [AIMessage(ASKED)], "stage": "INICIO", "turns": 1}
    consented = {**start, "consent": {"given": True, "at": "2026-01-01T10:00:00+00:00"}}
    confirmed = {
        **consented,
        "stage": "COTIZACION",
        "declared": {"confirmed": {"value": {"age": 40}, "at": "2026-01-01T10:01:00+00:00"}},
        "quote": QUOTE,
    }
    lead = {
        **confirmed,
        "stage": "FINALIZADO",
        "chosen": "basica",
        "lead": True,
        "handoff": True,
        "handoff_reason": "lead",
    }
    reply = {"text": "¡Hola!", "channel": "whatsapp", "provider": "meta", "status": "accepted"}
    return [
        turn_op(phone, [message("Hola", f"w1{phone}", phone)], {}, start, reply, started=True),
        turn_op(phone, [message("sí", f"w2{phone}", phone)], start, consented, None, started=False),
        turn_op(
            phone, [message("40", f"w3{phone}", phone)], consented, confirmed, None, started=False
        ),
        turn_op(
            phone,
            [message("la básica", f"w4{phone}", phone)],
            confirmed,
            lead,
            {**reply, "ids": [f"wamid.out.{phone}"]},
            started=False,
        ),
    ]


def counts(archive, *models) -> list[int]:
    with archive.session() as session:
        return [session.scalar(select(func.count()).select_from(m)) for m in models]


def test_a_sale_is_recorded_with_its_consent_needs_quote_choice_and_lead(archive):
    for op in sale():
        archive.apply(PHONE, op)
    archive.apply(PHONE, status_op({"message_id": f"wamid.out.{PHONE}", "status": "read"}))
    found = archive.export(PHONE)

    assert found["customer"]["phone"] == PHONE
    assert found["customer"]["profile_name"] == "Ana"
    [conversation] = found["conversations"]
    assert (conversation["stage"], conversation["lead"], conversation["turns"]) == (
        "FINALIZADO",
        True,
        1,
    )
    assert [(m["direction"], m["text"]) for m in found["messages"]] == [
        ("in", "Hola"),
        ("out", "¡Hola!"),
        ("in", "sí"),
        ("in", "40"),
        ("in", "la básica"),
        ("out", "¡Hola!"),
    ]
    assert found["messages"][-1]["provider_ids"] == [f"wamid.out.{PHONE}"]
    [consent] = found["consents"]
    assert consent["given"] is True and consent["text"] == ASKED
    assert consent["at"].startswith("2026-01-01T10:00:00")
    assert found["needs_records"][0]["data"] == {"age": 40}
    [quote] = found["quotes"]
    assert quote["tariff"] == "Tarifa 2025" and quote["options"][0]["monthly"] == "12.34"
    assert quote["inputs"]["cover"] == "100000.00"
    assert found["choices"][0]["option_id"] == "basica"
    assert found["leads"][0]["option_id"] == "basica"
    assert found["handovers"][0]["reason"] == "lead"
    assert found["deliveries"][0]["status"] == "read"


def test_applying_the_same_operations_again_changes_nothing(archive):
    ops = sale()
    for op in ops:
        archive.apply(PHONE, op)
    first = archive.export(PHONE)
    for op in ops:  # a drainer killed before it popped them, and another one replaying them
        archive.apply(PHONE, op)
    assert archive.export(PHONE) == first
    assert counts(archive, Customer, Message, Consent, Lead) == [1, 6, 1, 1]


def test_a_delivery_status_never_goes_back(archive):
    archive.apply(PHONE, status_op({"message_id": "wamid.x", "status": "read"}))
    archive.apply(PHONE, status_op({"message_id": "wamid.x", "status": "delivered"}))
    assert archive.export(PHONE)["deliveries"][0]["status"] == "read"


def test_an_operation_the_archive_can_never_take_is_an_operation_error(archive):
    with pytest.raises(OperationError):
        archive.apply(PHONE, {"op": "teleport"})
    with pytest.raises(OperationError):
        archive.apply(PHONE, {"op": "turn", "at": "2026-01-01T00:00:00+00:00"})


def test_erasure_keeps_only_what_the_hold_names_and_audits_itself(archive):
    for op in sale():
        archive.apply(PHONE, op)
    for op in sale(OTHER):
        archive.apply(OTHER, op)
    archive.apply(PHONE, audit_op("operator", "message"))
    other_before = archive.export(OTHER)

    outcome = archive.erase(
        PHONE, hold=("consents", "leads"), held_since=datetime.now(UTC) - timedelta(days=3650)
    )

    assert outcome["held"] == {"consents": 1, "leads": 1}
    assert outcome["deleted"]["messages"] == 6 and outcome["deleted"]["quotes"] == 1
    left = archive.export(PHONE)
    assert left["customer"]["profile_name"] is None
    assert [c["given"] for c in left["consents"]] == [True]
    assert [lead["option_id"] for lead in left["leads"]] == ["basica"]
    for table in ("conversations", "messages", "needs_records", "quotes", "choices", "handovers"):
        assert left[table] == [], table
    assert [(e["actor"], e["action"]) for e in left["audit"]] == [
        ("operator", "message"),
        ("admin", "erase"),
    ]
    assert all(e["subject"] == subject_of(PHONE) for e in left["audit"])
    assert archive.export(OTHER) == other_before


def test_erasure_past_the_hold_leaves_nothing_but_the_audit_entry(archive):
    for op in sale():
        archive.apply(PHONE, op)
    outcome = archive.erase(PHONE, hold=("consents", "leads"), held_since=datetime.now(UTC))
    assert outcome["held"] == {}
    left = archive.export(PHONE)
    assert left["customer"] is None
    assert [e["action"] for e in left["audit"]] == ["erase"]
    assert counts(archive, Customer, Message, Consent, Lead) == [0, 0, 0, 0]


def test_retention_purges_only_old_conversations_that_never_became_leads(archive):
    for op in sale():  # a lead
        archive.apply(PHONE, op)
    archive.apply(OTHER, sale(OTHER)[0])  # never got past the greeting
    archive.apply(OTHER, sale(OTHER)[1])  # consented, then silence
    keep_held = datetime.now(UTC) - timedelta(days=3650)

    assert (
        archive.purge(before=datetime.now(UTC) - timedelta(days=1), hold=(), held_since=keep_held)
        == {}
    )

    counted = archive.purge(
        before=datetime.now(UTC) + timedelta(seconds=5), hold=("consents",), held_since=keep_held
    )
    assert counted == {"messages": 3, "conversations": 1}
    other = archive.export(OTHER)
    assert other["conversations"] == [] and other["messages"] == []
    assert [c["given"] for c in other["consents"]] == [True]  # held, detached from the sale
    assert len(archive.export(PHONE)["messages"]) == 6
    assert [e["action"] for e in archive.export(PHONE)["audit"]] == []


def test_customer_text_the_database_would_refuse_is_archived_cleaned(archive):
    """NUL (PostgreSQL refuses it in text), a huge profile name, a long tariff name."""
    hostile = InboundMessage(
        "meta", "whatsapp", PHONE, "w.nul", "text", "ho\x00la", profile_name="A" * 5000
    )
    quote = {**QUOTE, "tariff": "T" * 1000}
    op = turn_op(PHONE, [hostile], {}, {"stage": "COTIZACION", "quote": quote}, None, started=True)
    archive.apply(PHONE, op)
    found = archive.export(PHONE)
    assert found["messages"][0]["text"] == "hola"
    assert found["customer"]["profile_name"] == "A" * 200
    assert found["quotes"][0]["tariff"] == "T" * 200


def test_a_provider_id_too_long_for_its_column_still_makes_one_row(archive):
    long_id = "w" * 1000
    op = turn_op(PHONE, [message("Hola", long_id)], {}, {}, None, started=True)
    archive.apply(PHONE, op)
    archive.apply(PHONE, op)
    archive.apply(PHONE, status_op({"message_id": long_id, "status": "read"}))
    found = archive.export(PHONE)
    assert len(found["messages"]) == 1 and len(found["messages"][0]["key"]) == 300
    assert found["messages"][0]["provider_ids"] == [long_id]
    assert len(found["deliveries"]) == 1


def test_an_operation_the_database_refuses_for_good_is_an_operation_error(archive):
    op = turn_op(PHONE, [message("Hola", "w.long")], {}, {}, None, started=True)
    op["messages"][0]["channel"] = "c" * 5000  # past its column: PostgreSQL refuses it
    if archive.engine.dialect.name == "sqlite":
        archive.apply(PHONE, op)  # SQLite stores it as it is
        assert archive.export(PHONE)["messages"][0]["channel"] == "c" * 5000
    else:
        with pytest.raises(OperationError, match="refused by the database"):
            archive.apply(PHONE, op)


def test_an_older_turn_moves_no_time_back_and_no_name_keeps_the_one_given(archive):
    first, second = sale()[:2]
    later = {**first, "at": "2026-01-02T10:00:00+00:00"}
    earlier = {**second, "at": "2026-01-01T10:00:00+02:00", "profile_name": None}
    archive.apply(PHONE, later)
    archive.apply(PHONE, earlier)  # applied after, happened before (08:00 UTC)
    found = archive.export(PHONE)
    assert found["customer"]["profile_name"] == "Ana"
    assert found["customer"]["last_seen_at"].startswith("2026-01-02T10:00:00")
    assert found["customer"]["first_seen_at"].startswith("2026-01-02T10:00:00")
    [conversation] = found["conversations"]
    assert conversation["last_message_at"].startswith("2026-01-02T10:00:00")
    assert found["consents"][0]["at"].startswith("2026-01-01T10:00:00")


def test_a_database_without_upsert_or_update_returning_gets_the_same_record(archive, monkeypatch):
    """Any SQLAlchemy URL: the portable statements (look up, then write) make the same rows."""
    read = {"message_id": f"wamid.out.{PHONE}", "status": "read", "timestamp": 1767261600}
    ops = sale() + [status_op(read)]
    for op in ops:
        archive.apply(PHONE, op)
    other = json.loads(json.dumps(ops).replace(PHONE, OTHER))
    monkeypatch.setattr(writes, "ON_CONFLICT", {})
    monkeypatch.setattr(archive.engine.dialect, "update_returning", False)
    for op in other + other:  # the second time changes nothing
        archive.apply(OTHER, op)
    assert json.dumps(archive.export(OTHER)).replace(OTHER, PHONE) == json.dumps(
        archive.export(PHONE)
    )
    assert counts(archive, Customer, Message, Consent, Lead) == [2, 12, 2, 2]


def test_operations_of_several_phones_in_one_transaction_make_the_same_record(archive):
    """`apply_all`, a turn of each phone per transaction, as the drainer's batches write them."""
    phones = [f"+3460000010{n}" for n in range(4)]
    one_by_one, ops = PHONE, sale()
    for op in ops:
        archive.apply(one_by_one, op)
    turns = {phone: json.loads(json.dumps(ops).replace(PHONE, phone)) for phone in phones}
    for n in range(len(ops)):
        archive.apply_all([(phone, turns[phone][n]) for phone in phones])
    expected = json.dumps(archive.export(one_by_one))
    for phone in phones:
        assert json.dumps(archive.export(phone)).replace(phone, one_by_one) == expected
    for n in range(len(ops)):  # a drainer killed after its commit: the batch again
        archive.apply_all([(phone, turns[phone][n]) for phone in phones])
    for phone in phones:
        assert json.dumps(archive.export(phone)).replace(phone, one_by_one) == expected
    assert counts(archive, Customer, Message, Consent, Lead) == [5, 30, 5, 5]


def test_a_batch_with_an_operation_the_archive_refuses_writes_nothing(archive):
    refused = turn_op(
        OTHER, [message("Hola", "w9", OTHER)], {}, {"stage": "INICIO"}, None, started=True
    )
    del refused["key"]
    with pytest.raises(OperationError):
        archive.apply_all([(PHONE, sale()[0]), (OTHER, refused)])
    assert counts(archive, Customer, Message) == [0, 0]
