"""Reminders to silent customers, for the tests: a clock they move, and customers who write.

The customer's turns run through the worker; the reminders go to the fake Meta Graph API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis

from agent.hours import QuietHours
from integrations.redis.timers import FollowUpTimers
from testkit.stack import Stack
from webhooks.inbound.messages import InboundMessage
from webhooks.services import Services
from webhooks.turns.channels import Channels
from webhooks.turns.followups import FollowUps
from webhooks.turns.worker import Worker

SPAIN, MEXICO = "+34600300400", "+525512345678"
# A Tuesday, 11:00 in Madrid (CET), 04:00 in Mexico City.
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TO_NAME = ["Hola", "sí"]  # consent given: the bot asks the name


class Clock:
    """The time the code under test sees; the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """The time now, as the clock stands."""
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock on by `delta` (timedelta's keywords)."""
        self.now += timedelta(**delta)


def follow_ups(
    services: Services,
    clock: Clock,
    *,
    after: str = "2h,22h",
    quiet: str = "",
    channels: Channels | None = None,
    client: redis.Redis | None = None,
) -> FollowUps:
    """Reminders on the stack's Redis and senders, at `clock`'s time."""
    client = client or services.redis
    return FollowUps(
        services.conversations,
        FollowUpTimers(client),
        channels or services.channels,
        services.queue,
        delays=tuple(timedelta(hours=float(d.rstrip("h"))) for d in after.split(",") if d.strip()),
        quiet=QuietHours.parse(quiet),
        clock=clock,
    )


class Customer:
    """One customer writing on WhatsApp, each message taken by the worker at once."""

    def __init__(self, stack: Stack, worker: Worker, phone: str) -> None:
        self.stack, self.worker, self.phone, self.n = stack, worker, phone, 0

    def says(self, *lines: str) -> None:
        """Each line as one inbound message, answered by the worker before the next."""
        for text in lines:
            self.n += 1
            message = InboundMessage(
                provider="meta",
                channel="whatsapp",
                phone=self.phone,
                message_id=f"wamid.{self.phone}.{self.n}",
                kind="text",
                text=text,
                timestamp=self.worker.followups.clock().timestamp() if self.worker.followups else 0,
            )
            assert self.stack.services.queue.accept(message)
            assert self.worker.process_phone(self.phone)

    def received(self) -> list[str]:
        """The texts the fake Graph API delivered to this customer, in order."""
        return self.stack.providers.texts_to(self.phone)


def customer(stack: Stack, worker: Worker, phone: str = SPAIN) -> Customer:
    """A customer on `phone` (in Spain unless told), answered by `worker`."""
    return Customer(stack, worker, phone)
