"""What a turn shows in Chatwoot: pure functions from the funnel's state to operations."""

from __future__ import annotations

import pytest

from agent.quote import QuoteEngine
from webhooks.crm.ops import (
    handoff_op,
    labels_for,
    outgoing_op,
    quote_note,
    state_op,
    turn_ops,
)
from webhooks.inbound.messages import InboundMessage, Media

QUOTE = QuoteEngine().quote(age=35, smoker=False, cover=150_000, term=20)


@pytest.mark.parametrize(
    ("state", "labels"),
    [
        ({}, ["inicio"]),
        ({"stage": "NEEDS_ANALYSIS"}, ["analisis"]),
        ({"stage": "COTIZACION"}, ["cotizado"]),
        ({"stage": "PRESENTACION_PROPUESTA"}, ["propuesta"]),
        ({"stage": "FINALIZADO", "lead": True}, ["lead"]),
        ({"stage": "FINALIZADO"}, []),  # closed by an operator, no choice: no lead
        ({"stage": "NEEDS_ANALYSIS", "ineligible": "age_high"}, ["analisis", "no-elegible"]),
        (
            {"stage": "INICIO", "handoff": True, "handoff_reason": "customer_request"},
            ["inicio", "humano"],
        ),
        ({"stage": "NEEDS_ANALYSIS", "opted_out": True}, ["analisis", "baja"]),
        (
            {"stage": "NEEDS_ANALYSIS", "handoff": True, "handoff_reason": "stuck"},
            ["analisis", "humano"],
        ),
        ({"stage": "INICIO", "handoff": True, "handoff_reason": "language"}, ["inicio", "humano"]),
    ],
)
def test_labels_follow_the_stage_and_flags(state, labels):
    assert labels_for(state) == labels


def test_state_carries_profile_stage_choice_and_premiums():
    state = {
        "stage": "FINALIZADO",
        "lead": True,
        "profile": {"name": "Ana", "age": 35, "smoker": False, "cover": 150000, "term": 20},
        "quote": QUOTE,
        "chosen": QUOTE["options"][1]["id"],
        "handoff": True,
        "handoff_reason": "lead",
    }
    op = state_op(state)
    option = QUOTE["options"][1]
    assert op["name"] == "Ana"
    assert op["contact"] == {"edad": 35, "fumador": False, "capital": 150000, "plazo_anos": 20}
    assert op["conversation"]["etapa"] == "FINALIZADO"
    assert op["conversation"]["opcion_elegida"] == option["name"]
    assert op["conversation"]["prima_mensual"] == option["monthly"]
    assert op["conversation"]["prima_anual"] == option["annual"]
    assert op["conversation"]["motivo_traspaso"] == "lead"
    for each in QUOTE["options"]:
        assert op["conversation"][f"prima_mensual_{each['id']}"] == each["monthly"]


def test_the_lead_note_names_the_insured_when_it_is_someone_else():
    state = {
        "stage": "FINALIZADO",
        "profile": {"name": "Pedro", "age": 60, "insured": "other", "insured_relation": "padre"},
        "quote": QUOTE,
        "chosen": QUOTE["options"][0]["id"],
        "handoff": True,
        "handoff_reason": "lead",
    }
    note = handoff_op(state)["text"]
    assert "Nuevo lead" in note and "Básica" in note and "su padre" in note
    assert "firmar" in note
    mine = handoff_op({**state, "profile": {"name": "Ana", "insured": "self"}})["text"]
    assert "Asegurado" not in mine


def test_the_quote_note_lists_every_option_with_its_premiums():
    note = quote_note(QUOTE)
    assert note.startswith("💶 Presupuesto")
    assert "150.000" in note and "20 años" in note and "no fumador" in note
    for option in QUOTE["options"]:
        assert option["name"] in note
        assert option["monthly"].replace(".", ",") in note


def message(n: int, text: str = "hola", **kw) -> InboundMessage:
    return InboundMessage("meta", "whatsapp", "+34600000001", f"wamid.{n}", "text", text, **kw)


def test_a_turn_shows_messages_then_state_then_notes_in_order():
    before = {"stage": "NEEDS_ANALYSIS"}
    after = {"stage": "PRESENTACION_PROPUESTA", "quote": QUOTE}
    ops = turn_ops(
        [message(1, "20 años"), message(2, "para mi familia")],
        before,
        after,
        {"text": "Aquí tienes", "status": "accepted"},
    )
    assert [op["op"] for op in ops] == ["incoming", "incoming", "outgoing", "state", "note"]
    assert [ops[0]["text"], ops[1]["text"], ops[2]["text"]] == [
        "20 años",
        "para mi familia",
        "Aquí tienes",
    ]
    # The same quote again (no change this turn): no second note.
    again = turn_ops([message(3)], after, after, None)
    assert [op["op"] for op in again] == ["incoming", "state"]


def test_a_call_for_a_human_opens_the_conversation_once():
    before = {"stage": "INICIO"}
    after = {"stage": "INICIO", "handoff": True, "handoff_reason": "customer_request"}
    ops = turn_ops([message(1)], before, after, None)
    handoff = [op for op in ops if op["op"] == "handoff"]
    assert handoff == [
        {
            "op": "handoff",
            "reason": "customer_request",
            "text": "🙋 El cliente pide hablar con una persona.",
        }
    ]
    assert not [op for op in turn_ops([message(2)], after, after, None) if op["op"] == "handoff"]


def test_no_turn_ran_only_the_messages_are_shown():
    media = (Media(kind="image", id="media-1", mime_type="image/jpeg"),)
    ops = turn_ops([message(1, "", media=media, profile_name="Ana")], {}, None, None)
    assert ops == [
        {
            "op": "incoming",
            "id": "wamid.1",
            "kind": "text",
            "text": "",
            "media": [
                {
                    "kind": "image",
                    "id": "media-1",
                    "url": None,
                    "mime_type": "image/jpeg",
                    "caption": None,
                    "filename": None,
                }
            ],
            "location": None,
            "provider": "meta",
            "channel": "whatsapp",
            "name": "Ana",
        }
    ]


def test_a_failed_or_template_reply_says_so():
    failed = outgoing_op(
        {"text": "x", "status": "failed", "error": {"title": "Recipient"}}, author="bot"
    )
    assert failed == {"op": "outgoing", "text": "x", "author": "bot", "failed": "Recipient"}
    template = outgoing_op({"text": "y", "status": "accepted", "template": True}, author="agent")
    assert template == {"op": "outgoing", "text": "y", "author": "agent", "template": True}
