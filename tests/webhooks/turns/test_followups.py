"""Reminders to silent customers on a real Redis, with a clock the tests move (no sleeping).

The customer's turns run through the worker; the reminders go to the fake Meta Graph API.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis

from agent import texts
from testkit.followups import MEXICO, SPAIN, START, TO_NAME, Clock, customer, follow_ups
from testkit.stack import Stack
from webhooks.inbound.messages import InboundMessage
from webhooks.turns.channels import Channels
from webhooks.turns.conversations import ConversationService
from webhooks.turns.followups import FollowUps
from webhooks.turns.worker import Worker


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def reminders(stack: Stack, clock: Clock) -> FollowUps:
    return follow_ups(stack.services, clock)


@pytest.fixture
def worker(stack: Stack, reminders: FollowUps) -> Worker:
    services = stack.services
    return Worker(
        services.conversations,
        services.queue,
        services.channels,
        name="test",
        followups=reminders,
    )


def test_a_silent_customer_gets_one_reminder_per_delay_worded_for_where_they_stopped(
    stack, worker, reminders, clock
):
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    replies = len(ana.received())

    clock.advance(hours=1, minutes=59)
    assert reminders.fire_due() == 0
    clock.advance(minutes=1)
    assert reminders.fire_due() == 1
    first = ana.received()[replies:]
    assert first == [texts.FOLLOW_UPS["data"].format(name="", question=texts.QUESTIONS["name"])]
    assert reminders.fire_due() == 0  # fired once

    clock.advance(hours=20)  # 22 hours after the customer's last message
    assert reminders.fire_due() == 1
    second = ana.received()[replies + 1 :]
    assert len(second) == 1 and second[0].endswith(texts.FOLLOW_UP_LAST)
    clock.advance(days=3)
    assert reminders.fire_due() == 0
    assert len(ana.received()) == replies + 2

    timer = reminders.timers.get(SPAIN)
    assert timer is not None and timer.sent == 2 and timer.due is None
    transcript = stack.service.store.transcript(SPAIN)
    assert [e.get("follow_up") for e in transcript if e.get("follow_up")] == [1, 2]


def test_the_reminder_follows_the_customers_register_and_stage(stack, worker, reminders, clock):
    usted = customer(stack, worker)
    usted.says(
        "Buenas tardes, ¿me puede informar de un seguro de vida?",
        "sí",
        "Me llamo Luis, tengo 50 años",
    )
    assert stack.service.state(SPAIN)["formal"]
    clock.advance(hours=2)
    assert reminders.fire_due() == 1
    reminder = usted.received()[-1]
    assert "¿Seguimos con su presupuesto, Luis?" in reminder, reminder
    assert "¿Fuma o vapea?" in reminder


def test_a_message_cancels_the_pending_reminder_and_the_delays_count_from_it(
    stack, worker, reminders, clock
):
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    clock.advance(hours=1, minutes=30)
    ana.says("Ana")
    replies = len(ana.received())
    clock.advance(minutes=30)  # two hours after the first message, 30 min after the last
    assert reminders.fire_due() == 0
    clock.advance(hours=1, minutes=30)
    assert reminders.fire_due() == 1
    assert ana.received()[replies:] == [
        texts.FOLLOW_UPS["data"].format(name=", Ana", question=texts.QUESTIONS["age"])
    ]


def test_a_message_waiting_for_its_turn_stops_the_reminder(stack, worker, reminders, clock):
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    replies = len(ana.received())
    clock.advance(hours=2)
    stack.services.queue.accept(
        InboundMessage("meta", "whatsapp", SPAIN, "wamid.late", "text", "Ana", timestamp=1.0)
    )
    assert reminders.fire_due() == 1
    assert len(ana.received()) == replies  # claimed, but the customer's turn comes first


@pytest.mark.parametrize(
    ("said", "why"),
    [
        (["Hola", "sí", "BAJA"], "opted out"),
        (["Hola", "sí", "quiero hablar con una persona"], "handed over"),
        (["Hola", "no"], "no consent"),
    ],
)
def test_no_reminder_after_an_opt_out_a_handover_or_without_consent(
    stack, worker, reminders, clock, said, why
):
    ana = customer(stack, worker)
    ana.says(*said)
    replies = len(ana.received())
    assert reminders.timers.next_due(SPAIN) is None, why
    clock.advance(days=2)
    assert reminders.fire_due() == 0
    assert len(ana.received()) == replies


def test_no_reminder_after_finalizado(stack, worker, reminders, clock):
    ana = customer(stack, worker)
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
    state = stack.service.state(SPAIN)
    assert state["stage"] == "FINALIZADO", state.get("reply")
    replies = len(ana.received())
    assert reminders.timers.next_due(SPAIN) is None
    clock.advance(days=2)
    assert reminders.fire_due() == 0 and len(ana.received()) == replies


def test_a_conversation_closed_by_an_operator_while_a_reminder_waits_gets_none(
    stack, worker, reminders, clock
):
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    replies = len(ana.received())
    with stack.service.locked(SPAIN):
        stack.service.close(SPAIN, "")
    clock.advance(hours=2)
    assert reminders.fire_due() == 1  # claimed, then dropped
    assert len(ana.received()) == replies
    assert reminders.timers.next_due(SPAIN) is None


def test_outside_the_24_hour_window_only_the_approved_template_goes_out(stack, clock):
    reminders = follow_ups(stack.services, clock, after="2h,30h")
    worker = Worker(
        stack.service, stack.services.queue, stack.services.channels, followups=reminders
    )
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    clock.advance(hours=2)
    assert reminders.fire_due() == 1
    clock.advance(hours=28)
    assert reminders.fire_due() == 1
    assert ana.received()[-1] == "<template:retomar_conversacion>"
    assert (timer := reminders.timers.get(SPAIN)) is not None and timer.sent == 2
    assert stack.service.store.transcript(SPAIN)[-1]["template"] is True


def test_outside_the_window_without_a_template_nothing_goes_out(stack, clock):
    settings = stack.settings.model_copy(update={"whatsapp_template_name": None})
    reminders = follow_ups(
        stack.services, clock, after="30h", channels=Channels.from_settings(settings)
    )
    worker = Worker(
        stack.service, stack.services.queue, stack.services.channels, followups=reminders
    )
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    replies = len(ana.received())
    clock.advance(hours=30)
    assert reminders.fire_due() == 1
    assert len(ana.received()) == replies
    last = stack.service.store.transcript(SPAIN)[-1]
    assert last["status"] == "failed" and last["follow_up"] == 1
    timer = reminders.timers.get(SPAIN)
    assert timer is not None and timer.sent == 0 and timer.due is None


def test_quiet_hours_wait_for_the_morning_in_the_customers_own_zone(stack, clock):
    # 19:30 UTC: 20:30 in Madrid, 13:30 in Mexico City. Two hours later it is night in Spain.
    clock.now = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    reminders = follow_ups(stack.services, clock, after="2h", quiet="21:00-09:00")
    worker = Worker(
        stack.service, stack.services.queue, stack.services.channels, followups=reminders
    )
    spain, mexico = customer(stack, worker, SPAIN), customer(stack, worker, MEXICO)
    spain.says(*TO_NAME)
    mexico.says(*TO_NAME)
    sent = {SPAIN: len(spain.received()), MEXICO: len(mexico.received())}
    morning_in_madrid = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert reminders.timers.next_due(SPAIN) == morning_in_madrid.timestamp()

    clock.advance(hours=2)  # 21:30 UTC: 22:30 in Madrid, 15:30 in Mexico City
    assert reminders.fire_due() == 1
    assert len(mexico.received()) == sent[MEXICO] + 1
    assert len(spain.received()) == sent[SPAIN]

    clock.now = morning_in_madrid - timedelta(seconds=1)
    assert reminders.fire_due() == 0
    clock.now = morning_in_madrid
    assert reminders.fire_due() == 1
    assert len(spain.received()) == sent[SPAIN] + 1


def test_a_reminder_found_due_in_quiet_hours_is_deferred_to_the_morning(stack, clock):
    # Armed while quiet hours were off (or set otherwise); fired under them: it waits.
    clock.now = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    arming = follow_ups(stack.services, clock, after="2h")
    worker = Worker(stack.service, stack.services.queue, stack.services.channels, followups=arming)
    spain = customer(stack, worker, SPAIN)
    spain.says(*TO_NAME)
    sent = len(spain.received())
    quiet = follow_ups(stack.services, clock, after="2h", quiet="21:00-09:00")
    clock.advance(hours=2)
    assert quiet.fire(SPAIN) == "deferred"
    assert len(spain.received()) == sent
    assert quiet.timers.next_due(SPAIN) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC).timestamp()


def test_due_reminders_fire_once_with_two_competing_pollers(stack, redis_url, clock):
    phones = [f"+3460070{n:04d}" for n in range(12)]
    arming = follow_ups(stack.services, clock, after="2h")
    worker = Worker(stack.service, stack.services.queue, stack.services.channels, followups=arming)
    for phone in phones:
        customer(stack, worker, phone).says(*TO_NAME)
    before = len(stack.providers.sent)
    clock.advance(hours=2)
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    pollers = [follow_ups(stack.services, clock, after="2h", client=c) for c in clients]
    start = threading.Barrier(len(pollers))
    claimed: list[int] = []

    def poll(poller: FollowUps) -> None:
        start.wait()
        for _ in range(20):
            claimed.append(poller.fire_due())

    threads = [threading.Thread(target=poll, args=(p,)) for p in pollers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert sum(claimed) == len(phones)
    reminders = stack.providers.sent[before:]
    assert sorted(r["json"]["to"] for r in reminders) == sorted(p.lstrip("+") for p in phones)


def test_a_reminder_claimed_by_a_poller_that_died_fires_after_its_lease(stack, clock):
    arming = follow_ups(stack.services, clock, after="2h")
    worker = Worker(stack.service, stack.services.queue, stack.services.channels, followups=arming)
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    sent = len(ana.received())
    clock.advance(hours=2)
    dead = arming.timers.claim(clock().timestamp(), lease=arming.lease_seconds)
    assert dead == [SPAIN]  # ...and the poller that claimed it is killed here
    survivor = follow_ups(stack.services, clock, after="2h")
    assert survivor.fire_due() == 0
    clock.advance(seconds=arming.lease_seconds)
    assert survivor.fire_due() == 1
    assert len(ana.received()) == sent + 1


def test_a_poller_killed_while_sending_does_not_send_it_again(stack, worker, reminders, clock):
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    sent = len(ana.received())
    clock.advance(hours=2)
    reminders.timers.mark_sending(SPAIN, 0)  # a poller died inside the provider's call
    assert reminders.fire(SPAIN) == "unknown"
    assert len(ana.received()) == sent
    clock.advance(hours=20)
    assert reminders.fire(SPAIN) == "sent"  # the next delay's reminder still goes out
    assert len(ana.received()) == sent + 1


def test_a_phone_in_a_turn_is_looked_at_again_shortly(stack, worker, reminders, clock):
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    clock.advance(hours=2)
    with stack.service.locked(SPAIN):
        assert reminders.fire(SPAIN) == "busy"
    assert reminders.timers.next_due(SPAIN) == (clock() + timedelta(seconds=5)).timestamp()


def test_a_message_that_found_the_poller_holding_the_phone_is_notified_again(
    stack, worker, reminders, clock
):
    ana = customer(stack, worker)
    ana.says(*TO_NAME)
    clock.advance(hours=2)
    queue = stack.services.queue
    notified = stack.services.redis.xlen(queue.stream)
    queue.accept(
        InboundMessage("meta", "whatsapp", SPAIN, "wamid.during", "text", "Ana", timestamp=1.0)
    )
    queue.missed(SPAIN)  # its notification came while the poller held the phone

    assert reminders.fire(SPAIN) == "answered"

    # Its own notification, then the poller's nudge when it let the phone go.
    assert stack.services.redis.xlen(queue.stream) == notified + 2


def test_a_reset_deletes_the_timer(stack, worker, reminders):
    customer(stack, worker).says(*TO_NAME)
    assert reminders.timers.next_due(SPAIN) is not None
    service: ConversationService = stack.service
    with service.locked(SPAIN):
        service.reset(SPAIN)
    assert reminders.timers.get(SPAIN) is None
    assert reminders.timers.next_due(SPAIN) is None and reminders.timers.pending() == 0
