"""Leads routed: each kind of handover is assigned to its Chatwoot team and agent.

The whole stack runs (signed Meta webhooks, the worker, the outbox, the mirror) against the fake
Chatwoot, which validates every request, the assignments included, against Chatwoot's spec.
"""

from __future__ import annotations

import pytest

from testkit.fake_chatwoot import FakeChatwoot
from testkit.stack import running
from tests.system.test_chatwoot_flow import (
    CLOSE,
    SALE,
    Customer,
    chatwoot_settings,
    conversation_of,
    notes,
    settled,
)
from webhooks.cli.main import main
from webhooks.crm.routing import LeadRouting, Route
from webhooks.settings import Settings

ROUTED = {
    "chatwoot_team_lead": 3,
    "chatwoot_assignee_lead": 12,
    "chatwoot_team_human": 5,
    "chatwoot_assignee_ineligible": 9,
}


@pytest.fixture
def chatwoot():
    with FakeChatwoot(token="cw-user-token-for-tests", account_id=1) as fake:
        yield fake


@pytest.fixture
def stack_settings(chatwoot):
    return chatwoot_settings(chatwoot, **ROUTED)


@pytest.fixture
def stack(stack):
    stack.start_workers()
    return stack


def assignments(chatwoot: FakeChatwoot, conversation_id: int) -> list[dict]:
    path = f"/api/v1/accounts/1/conversations/{conversation_id}/assignments"
    return [r["json"] for r in chatwoot.requests if r["path"] == path and r["method"] == "POST"]


def test_a_lead_goes_to_the_lead_team_and_agent(stack, chatwoot):
    ana = Customer(stack, "+34611000101")
    for text in [*SALE, *CLOSE]:
        ana.say(text)
    settled(stack)
    conversation = conversation_of(chatwoot, ana.phone)
    assert stack.service.state(ana.phone)["handoff_reason"] == "lead"
    # The team first: Chatwoot ignores team_id in a request that also names an agent.
    assert assignments(chatwoot, conversation["id"]) == [{"team_id": 3}, {"assignee_id": 12}]
    assert (conversation["team_id"], conversation["assignee_id"]) == (3, 12)
    assert conversation["status"] == "open"
    assert any("Nuevo lead" in n for n in notes(chatwoot.messages(conversation["id"])))
    assert chatwoot.violations == []


def test_a_customer_asking_for_a_person_goes_to_the_human_team_only(stack, chatwoot):
    luis = Customer(stack, "+34611000102")
    luis.say("Hola")
    luis.say("quiero hablar con una persona")
    settled(stack)
    conversation = conversation_of(chatwoot, luis.phone)
    assert assignments(chatwoot, conversation["id"]) == [{"team_id": 5}]
    assert (conversation["team_id"], conversation["assignee_id"]) == (5, None)
    assert chatwoot.violations == []


def test_a_customer_outside_the_tariff_goes_to_the_ineligible_agent(stack, chatwoot):
    pepe = Customer(stack, "+34611000103")
    for text in ["hola", "sí", "Me llamo Pepe y tengo 78 años", "sí, que me llamen"]:
        pepe.say(text)
    settled(stack)
    conversation = conversation_of(chatwoot, pepe.phone)
    assert stack.service.state(pepe.phone)["handoff_reason"] == "ineligible"
    assert assignments(chatwoot, conversation["id"]) == [{"assignee_id": 9}]
    assert conversation["assignee_id"] == 9
    assert chatwoot.violations == []


def test_a_refused_assignment_still_opens_the_conversation_and_the_note_says_so(stack, chatwoot):
    luis = Customer(stack, "+34611000104")
    luis.say("Hola")
    settled(stack)
    conversation = conversation_of(chatwoot, luis.phone)
    chatwoot.missing.add(r"conversations/[0-9]+/assignments")  # as a Chatwoot without it
    luis.say("quiero hablar con una persona")
    settled(stack)
    handoff = [n for n in notes(chatwoot.messages(conversation["id"])) if "persona" in n]
    assert len(handoff) == 1
    assert "No se pudo asignar" in handoff[0]
    assert chatwoot.conversation_for(luis.phone)["team_id"] is None


def test_without_routes_nothing_is_assigned(redis_url, chatwoot):
    with running(redis_url, **chatwoot_settings(chatwoot)) as stack:
        stack.start_workers()
        eva = Customer(stack, "+34611000105")
        eva.say("Hola")
        eva.say("quiero hablar con una persona")
        settled(stack)
        conversation = conversation_of(chatwoot, eva.phone)
        assert conversation["status"] == "open"
        assert assignments(chatwoot, conversation["id"]) == []


def test_routes_are_read_from_the_settings():
    settings = Settings(_env_file=None, chatwoot_team_human=4, chatwoot_assignee_lead=7)
    routing = LeadRouting.from_settings(settings)
    assert routing.for_reason("lead") == Route(assignee_id=7)
    for reason in ("customer_request", "stuck", "language", "something new"):
        assert routing.for_reason(reason) == Route(team_id=4)
    assert not routing.for_reason("ineligible")


def test_a_bad_route_setting_stops_the_command_with_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("CHATWOOT_TEAM_LEAD", "ventas")
    assert main(["check"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "CHATWOOT_TEAM_LEAD" in err
