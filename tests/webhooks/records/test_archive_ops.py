"""What a turn leaves in the sales record: the events are exactly what changed."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage

from agent import texts
from webhooks.inbound.messages import InboundMessage, Media
from webhooks.records.ops import events, turn_op

ASKED = "¿Me das tu consentimiento? Responde *sí* o *no*."


def test_nothing_changed_is_no_event():
    state = {"stage": "NEEDS_ANALYSIS", "consent": {"given": True, "at": "t"}, "turns": 3}
    assert events("meta:w1", state, {**state, "turns": 4}) == []


def test_a_refused_consent_keeps_the_question_the_customer_answered():
    before = {"messages": [HumanMessage("hola"), AIMessage(ASKED)]}
    [consent] = events("meta:w2", before, {"consent": {"given": False, "at": "2026-01-01"}})
    assert consent == {
        "table": "consents",
        "key": "consent:meta:w2",
        "given": False,
        "text": ASKED,
        "at": "2026-01-01",
    }


def test_without_the_message_shown_the_consent_question_is_recorded():
    [consent] = events("meta:w3", {}, {"consent": {"given": True, "at": "t"}})
    assert consent["text"] == texts.CONSENT_QUESTION


def test_a_handover_an_opt_out_and_an_opt_back_in_are_events():
    after = {"handoff": True, "handoff_reason": "customer_request", "opted_out": True}
    found = {e["table"]: e for e in events("meta:w4", {}, after)}
    assert found["handovers"]["reason"] == "customer_request"
    assert found["opt_outs"]["opted_out"] is True
    [back] = events("meta:w5", after, {**after, "opted_out": False})
    assert (back["table"], back["opted_out"]) == ("opt_outs", False)


def test_a_turn_keeps_the_customer_media_and_our_reply_with_its_provider_ids():
    photo = Media(kind="image", id="media-1", mime_type="image/jpeg", caption="mi DNI")
    message = InboundMessage(
        "meta", "whatsapp", "+34600300801", "w6", "image", "mi DNI", media=(photo,)
    )
    reply = {"text": "Gracias", "channel": "whatsapp", "provider": "meta", "status": "accepted"}
    op = turn_op(
        "+34600300801",
        [message],
        {},
        {"stage": "INICIO", "turns": 1},
        {**reply, "ids": ["wamid.out"]},
        started=True,
    )
    inbound, outbound = op["messages"]
    assert inbound["media"] == [
        {
            "kind": "image",
            "id": "media-1",
            "url": None,
            "mime_type": "image/jpeg",
            "caption": "mi DNI",
            "filename": None,
        }
    ]
    assert inbound["provider_ids"] == ["w6"] and inbound["key"] == "in:meta:w6"
    assert outbound["key"] == "out:meta:w6" and outbound["provider_ids"] == ["wamid.out"]
    assert op["started"] is True and op["key"] == "+34600300801:meta:w6"
