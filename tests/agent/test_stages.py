"""Each graph node on its own: a state dict in, a partial update out (real tariff, fixed clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime

from agent import texts, voice
from agent.brains.base import Reading
from agent.context import AgentContext
from agent.quote import QuoteEngine
from agent.stages import (
    analyse_needs,
    close_sale,
    explain_language,
    follow_up,
    greet,
    hand_off,
    handle_proposal,
    make_quote,
    opt_out,
    respond,
    restart,
    understand,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STAMP = NOW.isoformat(timespec="seconds")
ENGINE = QuoteEngine()
ANA = {"name": "Ana", "age": 35, "smoker": False, "cover": 150000, "term": 20, "purpose": "familia"}
QUOTE = ENGINE.quote(age=35, smoker=False, cover=150000, term=20)


class ScriptedBrain:
    """Reads what it is told to and marks what it phrases; remembers every call."""

    name = "scripted"

    def __init__(self, *readings: Reading) -> None:
        self.readings = list(readings)
        self.reads: list[tuple] = []
        self.phrased: list[tuple] = []

    def read(
        self, text: str, *, expecting, today: date, known: frozenset[str] = frozenset()
    ) -> Reading:
        self.reads.append((text, expecting, today))
        return self.readings.pop(0)

    def phrase(self, draft: str, *, text: str, stage: str) -> str:
        self.phrased.append((draft, text, stage))
        return f"{draft} (phrased)"


def runtime(brain: ScriptedBrain | None = None) -> Runtime[AgentContext]:
    context = AgentContext(brain=brain or ScriptedBrain(), quotes=ENGINE, clock=lambda: NOW)
    return Runtime(context=context)


def state(**fields) -> dict:
    """A turn's state after `understand`: no reply yet."""
    return {"messages": [HumanMessage("…")], "reply": "", **fields}


def consented(**fields) -> dict:
    return state(**{"stage": "NEEDS_ANALYSIS", "consent": {"given": True, "at": STAMP}, **fields})


def proposed(**fields) -> dict:
    return consented(
        **{"stage": "PRESENTACION_PROPUESTA", "profile": dict(ANA), "quote": QUOTE, **fields}
    )


# --- understand / respond ------------------------------------------------------------------


def test_understand_reads_the_last_customer_message_with_what_was_asked():
    brain = ScriptedBrain(Reading(intent="provide_info", age=35, formality="usted"))
    turn = {
        "messages": [HumanMessage("hola"), AIMessage("¿edad?"), HumanMessage("35")],
        "expecting": "age",
        "turns": 4,
        "reply": "old",
    }
    update = understand(turn, runtime(brain))
    assert brain.reads == [("35", "age", NOW.date())]
    assert update["reading"] == {
        "intent": "provide_info",
        "age": 35,
        "formality": "usted",
        "options_mentioned": [],
    }
    assert update["stage"] == "INICIO" and update["turns"] == 5
    assert update["reply"] == "" and update["buttons"] == []
    assert update["formal"] is True


def test_understand_takes_a_tapped_button_as_a_pick_without_asking_the_brain():
    brain = ScriptedBrain()  # any read would fail: nothing scripted
    update = understand(proposed(choice=2), runtime(brain))
    assert brain.reads == []
    assert update["reading"] == {"intent": "choose_option", "option": 2, "options_mentioned": []}
    assert update["choice"] is None and update["stage"] == "PRESENTACION_PROPUESTA"
    assert "formal" not in update


def test_respond_has_the_draft_phrased_and_remembered():
    brain = ScriptedBrain()
    update = respond(state(stage="INICIO", reply="¿Cómo te llamas?"), runtime(brain))
    assert update["reply"] == "¿Cómo te llamas? (phrased)"
    assert update["messages"] == [AIMessage("¿Cómo te llamas? (phrased)")]
    assert brain.phrased == [("¿Cómo te llamas?", "…", "INICIO")]


def test_respond_says_usted_to_a_formal_customer():
    update = respond(state(reply="¿Cómo te llamas?", formal=True), runtime())
    assert update["reply"] == voice.formal("¿Cómo te llamas? (phrased)")
    assert "te llamas" not in update["reply"]


def test_respond_stays_silent_without_a_draft():
    brain = ScriptedBrain()
    assert respond(state(reply=""), runtime(brain)) == {}
    assert brain.phrased == []


# --- greet (INICIO) ------------------------------------------------------------------------


def test_greet_introduces_the_assistant_and_keeps_early_data_for_after_consent():
    update = greet(state(reading={"intent": "provide_info", "name": "Ana", "age": 35}), runtime())
    assert update["reply"].startswith(texts.GREETING.format(name=" Ana"))
    assert update["reply"].endswith(texts.CONSENT_QUESTION)
    assert update["expecting"] == "consent"
    assert update["pending_profile"] == {"name": "Ana", "age": 35}
    assert "consent" not in update and "profile" not in update


def test_greet_on_sms_is_short():
    update = greet(state(reading={"intent": "greeting"}, channel="sms"), runtime())
    assert update["reply"] == texts.GREETING_SMS


def test_a_yes_to_consent_records_it_and_hands_the_early_data_on():
    turn = state(reading={"intent": "affirm"}, expecting="consent", pending_profile={"age": 35})
    update = greet(turn, runtime())
    assert update["consent"] == {"given": True, "at": STAMP}
    assert update["stage"] == "NEEDS_ANALYSIS" and update["reply"] == texts.CONSENT_THANKS
    assert update["reading"] == {"age": 35, "intent": "affirm"}
    assert update["pending_profile"] == {} and update["expecting"] is None


def test_a_bare_no_refuses_consent_and_a_second_one_is_answered_differently():
    update = greet(state(reading={"intent": "deny"}, expecting="consent"), runtime())
    assert update["consent"] == {"given": False, "at": STAMP}
    assert update["reply"] == texts.CONSENT_REFUSED
    again = state(reading={"intent": "deny"}, expecting="consent", consent=update["consent"])
    assert greet(again, runtime())["reply"] == texts.CONSENT_STILL_REFUSED


def test_a_no_that_carries_data_is_not_a_refusal():
    turn = state(reading={"intent": "deny", "smoker": False}, expecting="consent")
    update = greet(turn, runtime())
    assert "consent" not in update
    assert update["pending_profile"] == {"smoker": False}
    assert update["reply"] == texts.CONSENT_REMINDERS[1] and update["misses"] == {"consent": 1}


def test_the_third_miss_on_consent_offers_a_person():
    turn = state(reading={"intent": "unknown"}, expecting="consent", misses={"consent": 2})
    update = greet(turn, runtime())
    assert update["reply"] == texts.OFFER_PERSON
    assert update["expecting"] == "handoff_offer" and update["offer_reason"] == "stuck"


# --- analyse_needs (NEEDS_ANALYSIS) --------------------------------------------------------


def test_needs_takes_the_data_stamps_it_and_asks_for_the_next_datum():
    update = analyse_needs(consented(reading={"intent": "provide_info", "name": "Ana"}), runtime())
    assert update["profile"] == {"name": "Ana"}
    assert update["declared"] == {"name": {"value": "Ana", "at": STAMP}}
    assert update["expecting"] == "age"
    assert update["reply"].endswith(texts.question("age", 0))


def test_needs_reads_the_data_back_before_anything_is_priced():
    reading = {"intent": "provide_info", **ANA}
    update = analyse_needs(consented(reading=reading), runtime())
    assert update["expecting"] == "readback" and "quote" not in update
    assert "stage" not in update  # still NEEDS_ANALYSIS
    assert "150.000 €" in update["reply"] and "20 años" in update["reply"]


def test_a_yes_to_the_read_back_confirms_the_priced_data_and_moves_to_the_quote():
    turn = consented(reading={"intent": "affirm"}, expecting="readback", profile=dict(ANA))
    update = analyse_needs(turn, runtime())
    assert update["stage"] == "COTIZACION" and update["expecting"] is None
    priced = {"age": 35, "smoker": False, "cover": 150000, "term": 20}
    assert update["declared"]["confirmed"] == {"value": priced, "at": STAMP}


def test_an_age_the_tariff_refuses_is_ineligible_and_a_person_is_offered():
    turn = consented(reading={"intent": "provide_info", "age": 80}, profile={"name": "Ana"})
    update = analyse_needs(turn, runtime())
    assert update["ineligible"] == "age_above_max" and "age" not in update["profile"]
    assert update["expecting"] == "handoff_offer"
    assert texts.INELIGIBLE.split("{")[0] in update["reply"]


def test_a_cover_out_of_range_is_explained_and_asked_again():
    profile = {"name": "Ana", "age": 35, "smoker": False}
    turn = consented(reading={"intent": "provide_info", "cover": 5000}, profile=profile)
    update = analyse_needs(turn, runtime())
    assert "cover" not in update["profile"] and update["expecting"] == "cover"
    assert "10.000 €" in update["reply"]


# --- make_quote / handle_proposal / close_sale / follow_up ---------------------------------


def test_make_quote_prices_the_profile_with_the_tariff_and_offers_three_buttons():
    update = make_quote(consented(stage="COTIZACION", profile=dict(ANA)), runtime())
    assert update["quote"] == QUOTE
    assert update["stage"] == "PRESENTACION_PROPUESTA" and update["expecting"] == "option"
    assert [b["id"] for b in update["buttons"]] == ["option:1", "option:2", "option:3"]
    for option in QUOTE["options"]:
        assert texts.price(option["monthly"]) in update["reply"]


def test_a_picked_option_is_read_back_before_it_counts():
    update = handle_proposal(proposed(reading={"intent": "choose_option", "option": 2}), runtime())
    assert update["pending_option"] == "recomendada" and update["expecting"] == "confirm_option"
    assert "chosen" not in update
    assert texts.price(QUOTE["options"][1]["monthly"]) in update["reply"]


def test_a_yes_to_the_picked_option_chooses_it():
    turn = proposed(
        reading={"intent": "affirm"}, expecting="confirm_option", pending_option="completa"
    )
    assert handle_proposal(turn, runtime()) == {"chosen": "completa", "pending_option": None}


def test_a_no_to_the_picked_option_asks_again():
    turn = proposed(reading={"intent": "deny"}, expecting="confirm_option", pending_option="basica")
    update = handle_proposal(turn, runtime())
    assert update == {"pending_option": None, "expecting": "option", "reply": texts.NOT_THAT_ONE}


def test_a_changed_datum_in_the_proposal_goes_back_to_pricing():
    turn = proposed(reading={"intent": "provide_info", "cover": 200000}, expecting="option")
    update = handle_proposal(turn, runtime())
    assert update["stage"] == "COTIZACION" and update["profile"]["cover"] == 200000
    assert update["declared"]["confirmed"]["value"]["cover"] == 200000
    assert update["reply"].endswith(texts.REQUOTED)


def test_close_sale_hands_the_lead_on_with_the_chosen_price():
    update = close_sale(proposed(chosen="recomendada"), runtime())
    assert update["stage"] == "FINALIZADO" and update["lead"] is True
    assert update["handoff"] is True and update["handoff_reason"] == "lead"
    assert texts.price(QUOTE["options"][1]["monthly"]) in update["reply"]


def test_after_the_close_thanks_are_answered_and_nothing_restarts():
    turn = proposed(stage="FINALIZADO", chosen="basica", reading={"intent": "thanks"})
    assert follow_up(turn, runtime()) == {"reply": texts.YOU_ARE_WELCOME}


def test_after_the_close_a_corrected_age_is_priced_again_by_the_tariff():
    turn = proposed(
        stage="FINALIZADO", chosen="basica", reading={"intent": "provide_info", "age": 40}
    )
    update = follow_up(turn, runtime())
    assert update["quote"] == ENGINE.quote(age=40, smoker=False, cover=150000, term=20)
    assert update["profile"]["age"] == 40 and "stage" not in update


def test_a_conversation_closed_by_an_operator_before_a_choice_says_so():
    turn = proposed(stage="FINALIZADO", reading={"intent": "greeting"})
    assert follow_up(turn, runtime())["reply"].endswith(texts.CLOSED_FOLLOW_UP)


# --- what a customer can ask for at any stage ----------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "customer_request"),
        ({"expecting": "handoff_offer", "offer_reason": "stuck"}, "stuck"),
        ({"expecting": "handoff_offer", "ineligible": "age_above_max"}, "ineligible"),
    ],
)
def test_hand_off_records_why(fields, reason):
    update = hand_off(consented(reading={"intent": "handoff"}, **fields), runtime())
    assert update == {
        "handoff": True,
        "handoff_reason": reason,
        "expecting": None,
        "reply": texts.HANDOFF,
    }


def test_a_second_request_for_a_person_is_not_a_second_handoff():
    turn = consented(reading={"intent": "handoff"}, handoff=True, handoff_reason="stuck")
    assert hand_off(turn, runtime()) == {"reply": texts.HANDOFF_AGAIN}


def test_opt_out_is_confirmed_once():
    update = opt_out(proposed(reading={"intent": "opt_out"}), runtime())
    assert update == {"opted_out": True, "expecting": None, "reply": texts.OPTED_OUT}


def test_restart_forgets_the_sale_but_keeps_a_consent_given():
    update = restart(proposed(chosen="basica", handoff=True), runtime())
    assert update["stage"] == "NEEDS_ANALYSIS" and update["consent"]["given"] is True
    assert update["profile"] == {} and update["quote"] is None and update["chosen"] is None
    assert update["handoff"] is False and update["reply"] == texts.RESTARTED


def test_restart_without_consent_starts_from_the_greeting():
    turn = state(consent={"given": False, "at": STAMP}, reading={"intent": "restart"})
    update = restart(turn, runtime())
    assert update["stage"] == "INICIO" and update["consent"] is None and update["reply"] == ""


def test_another_language_gets_one_reply_in_it_and_a_person_offered():
    update = explain_language(state(reading={"intent": "unknown", "language": "en"}), runtime())
    assert update["reply"] == texts.foreign("en")
    assert update["language_told"] is True and update["offer_reason"] == "language"
