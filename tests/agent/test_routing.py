"""The routers are pure functions of the state."""

import pytest

from agent import routing


def state(intent="unknown", **kw):
    return {"reading": {"intent": intent}, **kw}


@pytest.mark.parametrize(
    ("stage", "node"),
    [
        ("INICIO", "greet"),
        ("NEEDS_ANALYSIS", "analyse_needs"),
        ("COTIZACION", "make_quote"),
        ("PRESENTACION_PROPUESTA", "handle_proposal"),
        ("FINALIZADO", "follow_up"),
    ],
)
def test_each_stage_has_its_node(stage, node):
    assert routing.route_after_understand(state(stage=stage)) == node


def test_a_new_conversation_starts_with_the_greeting():
    assert routing.route_after_understand(state("greeting")) == "greet"


@pytest.mark.parametrize(
    ("intent", "node"), [("opt_out", "opt_out"), ("restart", "restart"), ("handoff", "hand_off")]
)
def test_commands_win_at_any_stage(intent, node):
    for stage in ("INICIO", "NEEDS_ANALYSIS", "PRESENTACION_PROPUESTA", "FINALIZADO"):
        assert routing.route_after_understand(state(intent, stage=stage)) == node


def test_opted_out_customers_get_silence_until_they_opt_back_in():
    opted = {"opted_out": True, "stage": "NEEDS_ANALYSIS"}
    assert routing.route_after_understand(state("provide_info", **opted)) == "respond"
    assert routing.route_after_understand(state("handoff", **opted)) == "respond"
    assert routing.route_after_understand(state("opt_in", **opted)) == "restart"
    assert routing.route_after_understand(state("restart", **opted)) == "restart"


def test_bot_is_silent_while_a_human_has_the_conversation_but_not_after_the_sale():
    held = {"handoff": True, "handoff_reason": "customer_request"}
    assert (
        routing.route_after_understand(state("provide_info", stage="NEEDS_ANALYSIS", **held))
        == "respond"
    )
    lead = {"handoff": True, "handoff_reason": "lead", "stage": "FINALIZADO"}
    assert routing.route_after_understand(state("question", **lead)) == "follow_up"


def test_after_greet_and_restart():
    assert routing.route_after_greet({"stage": "NEEDS_ANALYSIS"}) == "analyse_needs"
    assert routing.route_after_greet({"stage": "INICIO"}) == "respond"
    assert routing.route_after_restart({"stage": "NEEDS_ANALYSIS"}) == "analyse_needs"
    assert routing.route_after_restart({"stage": "INICIO"}) == "greet"


def test_after_needs_and_proposal():
    assert routing.route_after_needs({"stage": "COTIZACION"}) == "make_quote"
    assert routing.route_after_needs({"stage": "NEEDS_ANALYSIS"}) == "respond"
    assert routing.route_after_proposal({"stage": "COTIZACION"}) == "make_quote"
    assert (
        routing.route_after_proposal({"stage": "PRESENTACION_PROPUESTA", "chosen": "basica"})
        == "close_sale"
    )
    assert (
        routing.route_after_proposal({"stage": "PRESENTACION_PROPUESTA", "chosen": None})
        == "respond"
    )


@pytest.mark.parametrize(
    ("topic", "plain"),
    [
        (None, True),
        ("payment", True),  # "sí, ¿puedo pagar mensual?": a yes, and a question answered
        ("think", False),
        ("trust", False),
        ("distributor", False),  # "sí, pero ¿quiénes sois?": who we are comes first
        ("data", False),  # "sí, ¿para qué queréis mis datos?"
    ],
)
def test_a_yes_that_asks_who_we_are_or_why_the_data_is_no_plain_yes(topic, plain):
    assert routing.plain_yes({"intent": "affirm", "topic": topic}) is plain
