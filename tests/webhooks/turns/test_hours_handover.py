"""Chatwoot's side of reminders and business hours: notes in the outbox, a person's conversation.

The worker and the reminders run on a real Redis with a moved clock; what they show agents is
read from the Chatwoot outbox (the mirror that would apply it is tested on its own).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from agent import texts
from agent.hours import BusinessHours
from testkit.fake_chatwoot import FakeChatwoot
from testkit.followups import SPAIN, TO_NAME, Clock, customer, follow_ups
from testkit.stack import Stack
from webhooks.turns.advisors import AdvisorHours
from webhooks.turns.worker import Worker

MEXICO = "+525512345678"
HOURS = "mon-fri 09:00-19:00 Europe/Madrid"
SATURDAY = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # 13:00 in Madrid, 06:00 in Mexico City
TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Madrid
PERSON = "quiero hablar con una persona"


@pytest.fixture
def chatwoot():
    with FakeChatwoot(token="cw-token", account_id=1) as fake:
        yield fake


@pytest.fixture
def stack_settings(chatwoot):
    return {
        "chatwoot_base_url": chatwoot.url,
        "chatwoot_account_id": 1,
        "chatwoot_user_token": "cw-token",
        "chatwoot_inbox_id": 7,
        "chatwoot_webhook_secret": "cw-secret",
    }


def worker(stack: Stack, clock: Clock, holidays: str = "", **more) -> Worker:
    services = stack.services
    assert services.chatwoot is not None
    return Worker(
        services.conversations,
        services.queue,
        services.channels,
        chatwoot=services.chatwoot,
        advisors=AdvisorHours(BusinessHours.parse(HOURS, holidays), clock=clock),
        **more,
    )


def notes(stack: Stack, phone: str) -> list[str]:
    chatwoot = stack.services.chatwoot
    assert chatwoot is not None
    ops = [
        json.loads(raw) for raw in stack.services.redis.lrange(chatwoot.outbox.key(phone), 0, -1)
    ]
    return [op["text"] for op in ops if op["op"] in ("note", "handoff")]


def test_a_handover_outside_business_hours_says_when_an_advisor_writes(stack):
    clock = Clock(SATURDAY)
    ana = customer(stack, worker(stack, clock), SPAIN)
    ana.says(*TO_NAME, PERSON)
    reply = ana.received()[-1]
    assert reply.startswith(texts.HANDOFF)
    assert reply.endswith(
        "Ahora mismo nuestros asesores están fuera de horario: te escribirán el lunes a partir "
        "de las 9:00."
    )
    said = notes(stack, SPAIN)
    assert any("pide hablar con una persona" in n for n in said)
    assert any(
        n.startswith(f"🕘 Fuera del horario comercial ({HOURS})") and "el lunes a partir" in n
        for n in said
    ), said


def test_the_advisors_start_is_said_in_the_customers_own_time_and_register(stack):
    clock = Clock(SATURDAY)
    luis = customer(stack, worker(stack, clock), MEXICO)
    luis.says("Buenas tardes, ¿me puede informar de un seguro de vida?", "sí", PERSON)
    # Monday 09:00 in Madrid is 02:00 in Mexico City.
    assert luis.received()[-1].endswith(
        "Ahora mismo nuestros asesores están fuera de horario: le escribirán el lunes a partir "
        "de las 2:00."
    )
    assert any("America/Mexico_City" in n for n in notes(stack, MEXICO))


def test_a_holiday_pushes_the_advisors_start_further(stack):
    clock = Clock(TUESDAY)  # in hours, but a holiday
    ana = customer(stack, worker(stack, clock, holidays="2026-12-01"), SPAIN)
    ana.says(*TO_NAME, PERSON)
    assert ana.received()[-1].endswith("te escribirán mañana a partir de las 9:00.")


def test_inside_business_hours_nothing_is_added(stack):
    clock = Clock(TUESDAY)
    ana = customer(stack, worker(stack, clock), SPAIN)
    ana.says(*TO_NAME, PERSON)
    assert ana.received()[-1] == texts.HANDOFF
    assert not any("Fuera del horario" in n for n in notes(stack, SPAIN))


def test_a_new_lead_outside_business_hours_is_told_too(stack):
    clock = Clock(SATURDAY)
    ana = customer(stack, worker(stack, clock), SPAIN)
    ana.says(
        "Hola",
        "sí",
        "Soy Ana, tengo 35 años, no fumo",
        "150.000 €",
        "20 años",
        "para mi familia, tengo dos hijos",
        "sí",
        "la 1",
        "sí",
    )
    assert stack.service.state(SPAIN)["stage"] == "FINALIZADO"
    assert ana.received()[-1].endswith("te escribirán el lunes a partir de las 9:00.")
    assert any("Nuevo lead" in n for n in notes(stack, SPAIN))
    assert any("Fuera del horario comercial" in n for n in notes(stack, SPAIN))


def test_a_reminder_shows_in_chatwoot_with_a_private_note(stack):
    clock = Clock(TUESDAY)
    reminders = follow_ups(stack.services, clock)
    reminders.chatwoot = stack.services.chatwoot
    ana = customer(stack, worker(stack, clock, followups=reminders), SPAIN)
    ana.says(*TO_NAME)
    clock.advance(hours=2)
    assert reminders.fire_due() == 1
    chatwoot = stack.services.chatwoot
    assert chatwoot is not None
    raw = stack.services.redis.lrange(chatwoot.outbox.key(SPAIN), -2, -1)
    outgoing, note = (json.loads(r) for r in raw)
    assert outgoing["op"] == "outgoing" and outgoing["author"] == "bot"
    assert outgoing["text"] == ana.received()[-1]
    assert note["op"] == "note"
    assert note["text"] == (
        "⏰ Recordatorio automático 1 enviado: el cliente no escribe desde hace 2 h "
        "(se quedó dando sus datos)."
    )


def test_no_reminder_while_an_agent_has_the_conversation_in_chatwoot(stack):
    clock = Clock(TUESDAY)
    reminders = follow_ups(stack.services, clock)
    reminders.chatwoot = stack.services.chatwoot
    ana = customer(stack, worker(stack, clock, followups=reminders), SPAIN)
    ana.says(*TO_NAME)
    sent = len(ana.received())
    chatwoot = stack.services.chatwoot
    assert chatwoot is not None
    chatwoot.links.take(SPAIN, "assigned")  # an agent took it, with no customer turn since
    clock.advance(hours=2)
    assert reminders.fire(SPAIN) == "human"
    assert len(ana.received()) == sent and reminders.timers.next_due(SPAIN) is None
