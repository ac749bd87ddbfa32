"""Reminders to customers who stopped answering: armed by each turn, fired by a poller thread.

After a customer's turn, a customer who may be reminded (agent.followup.due_follow_up) gets a
timer for the first delay of FOLLOW_UP_AFTER, counted from that message; any later turn arms it
anew (or cancels it), so a message always cancels the pending reminder. Each worker process runs
a poller that claims due timers (integrations.redis.timers) and fires each under the phone's turn
lock, so a reminder never races a turn and goes out once, however many workers poll:

- the customer wrote meanwhile, opted out, was handed to a person or finished: no reminder;
- night in the customer's zone (QUIET_HOURS): it waits for the morning there;
- otherwise the reminder for where they stopped, as free text inside WhatsApp's 24-hour window
  and as the approved template outside it (not at all without one: turns.replies decides), then
  the next delay's timer, if any. A later delay already past when one goes out is skipped.

The reminder is kept in the transcript, shown in Chatwoot with a private note, and counted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import redis

from agent.context import utc_now
from agent.followup import due_follow_up, follow_up_text, situation
from agent.hours import QuietHours, customer_zone
from integrations.messaging.phones import mask_phone
from integrations.redis.timers import FollowUpTimer, FollowUpTimers
from webhooks import metrics
from webhooks.crm.handover import ChatwootSide
from webhooks.crm.ops import follow_up_note, outgoing_op
from webhooks.inbound.queue import MessageQueue
from webhooks.turns import operator
from webhooks.turns.channels import Channels
from webhooks.turns.conversations import ConversationService

log = logging.getLogger(__name__)

BUSY_RETRY = timedelta(seconds=5)  # the phone's turn is running: look again shortly

# A number's zone is libphonenumber's lookup, the same answer every turn of the conversation.
_zone = lru_cache(maxsize=16_384)(customer_zone)


@dataclass(frozen=True)
class TurnReminder:
    """What one turn does to its phone's reminder, in three parts around the turn's record.

    `ahead` before the turn's transaction, `record` inside it, `after` with the conversations
    index and the statistics (`ConversationStore.record_exchange`'s `then`). On one node the
    hash and the schedule are both written by `record`, atomically; on a cluster the schedule
    is a shared key of another slot, so an arming schedules `ahead` and a cancel unschedules
    `after`.
    """

    timers: FollowUpTimers
    phone: str
    anchor: float  # when the customer wrote
    due: float | None  # the first reminder; None: cancel whatever is pending

    def ahead(self) -> None:
        """On a cluster, schedule an armed reminder before the turn is recorded (see `arm`)."""
        if self.due is not None and self.timers.clustered:
            self.timers.schedule(self.phone, self.due)

    def record(self, pipe: redis.client.Pipeline) -> None:
        """The timer's hash, in the turn's transaction (on one node, its schedule too)."""
        if self.due is None:
            self.timers.cancel(self.phone, pipe=pipe)
            return
        self.timers.arm(self.phone, anchor=self.anchor, due=self.due, pipe=pipe)
        if not self.timers.clustered:
            self.timers.schedule(self.phone, self.due, pipe=pipe)

    def after(self, pipe: redis.client.Pipeline) -> Callable[[object], None] | None:
        """A cancel's unscheduling, added to `pipe`; what takes its reply (None: nothing added)."""
        if self.due is not None:
            return None
        self.timers.schedule(self.phone, None, pipe=pipe)
        return _cancelled


def _cancelled(removed: object) -> None:
    """A reminder was pending (the schedule had the phone) and the turn cancelled it."""
    if removed == 1:
        metrics.follow_up("cancelled")


class FollowUps:
    """Arms, cancels and fires the follow-up reminders of every conversation."""

    def __init__(
        self,
        service: ConversationService,
        timers: FollowUpTimers,
        channels: Channels,
        queue: MessageQueue,
        *,
        delays: tuple[timedelta, ...],
        quiet: QuietHours,
        zone: ZoneInfo | None = None,
        chatwoot: ChatwootSide | None = None,
        clock: Callable[[], datetime] = utc_now,
        lease_seconds: float = 60,
        poll_seconds: float = 1.0,
    ) -> None:
        """Reminders after `delays` (none: off), never in `quiet` hours.

        Args:
            service: the conversations (state, transcript, turn locks, statistics).
            timers: the durable timers.
            channels: the senders.
            queue: the inbound queue, to see messages waiting for a turn.
            delays: FOLLOW_UP_AFTER, shortest first.
            quiet: QUIET_HOURS.
            zone: the zone of numbers whose country has none (default agent.hours.DEFAULT_ZONE).
            chatwoot: the Chatwoot side, when Chatwoot is configured.
            clock: the current time (tests pass their own).
            lease_seconds: how long a claimed timer is left to its poller before another may
                take it (a poller killed mid-way).
            poll_seconds: how often a poller with nothing due looks again.
        """
        self.service = service
        self.timers = timers
        self.channels = channels
        self.queue = queue
        self.delays = delays
        self.quiet = quiet
        self.zone = zone
        self.chatwoot = chatwoot
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds

    @property
    def enabled(self) -> bool:
        """FOLLOW_UP_AFTER names at least one delay."""
        return bool(self.delays)

    # --- after a turn (the caller holds the phone's lock) --------------------------------------

    def after_turn(self, phone: str, values: dict, *, human: bool = False) -> None:
        """The customer just wrote: arm the first reminder, or cancel any when none is due.

        On its own, in its own round trips; a worker's turn uses `for_turn` instead.
        """
        reminder = self.for_turn(phone, values, human=human)
        reminder.ahead()
        pipe = self.timers.client.pipeline(transaction=True)
        reminder.record(pipe)
        pipe.execute()
        after = self.timers.client.pipeline(transaction=False)
        if counted := reminder.after(after):
            counted(after.execute()[0])

    def for_turn(self, phone: str, values: dict, *, human: bool = False) -> TurnReminder:
        """What the turn that just ran does to `phone`'s reminder: arm the first, or cancel."""
        now = self.clock()
        planned = self._next(phone, now, 0, after=now) if self.enabled else None
        if human or planned is None or not due_follow_up(values):
            return TurnReminder(self.timers, phone, anchor=now.timestamp(), due=None)
        return TurnReminder(self.timers, phone, anchor=now.timestamp(), due=planned[1].timestamp())

    def _next(
        self, phone: str, anchor: datetime, step: int, *, after: datetime
    ) -> tuple[int, datetime] | None:
        """The first reminder from `step` on due after `after`, moved out of quiet hours."""
        zone = _zone(phone, self.zone)
        for n in range(step, len(self.delays)):
            due = self.quiet.next_allowed(anchor + self.delays[n], zone)
            if due > after:
                return n, due
        return None

    # --- the poller ----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Fire due reminders until `stop`; Redis unreachable is waited out."""
        backoff = 1.0
        while not stop.is_set():
            try:
                fired = self.fire_due()
            except redis.RedisError as exc:
                log.warning("follow-up timers unreachable (%s)", type(exc).__name__)
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not fired:
                stop.wait(self.poll_seconds)

    def fire_due(self) -> int:
        """Claim the timers due now and fire each; how many were claimed."""
        now = self.clock()
        phones = self.timers.claim(now.timestamp(), lease=self.lease_seconds)
        for phone in phones:
            try:
                self.fire(phone)
            except redis.RedisError:
                raise
            except Exception:
                # Claimed, so the lease brings it back to a poller: a bug is retried, not lost.
                log.exception("follow-up failed phone=%s", mask_phone(phone))
        return len(phones)

    def fire(self, phone: str) -> str:
        """Fire `phone`'s due reminder under its turn lock; what came of it."""
        held = self.service.locked(phone, blocking=False)
        if held is None:
            self.timers.schedule(phone, (self.clock() + BUSY_RETRY).timestamp())
            return "busy"
        with held:
            outcome = self._fire(phone)
        self.queue.nudge(phone)  # a message that arrived meanwhile found the phone locked
        if outcome not in ("not_due", "none"):
            metrics.follow_up(outcome)
        log.info("follow-up phone=%s outcome=%s", mask_phone(phone), outcome)
        return outcome

    def _fire(self, phone: str) -> str:
        now = self.clock()
        timer = self.timers.get(phone)
        if timer is None or timer.due is None or timer.anchor is None:
            self.timers.schedule(phone, None)
            return "none"
        if timer.due > now.timestamp():
            self.timers.schedule(phone, timer.due)  # armed anew by a turn since the claim
            return "not_due"
        why = self._why_not(phone)
        if why:
            self.timers.cancel(phone)
            return why
        values = self.service.state(phone)
        if not due_follow_up(values):
            self.timers.cancel(phone)
            return "not_wanted"
        if timer.sending == timer.step:
            # A poller died while sending this one: it may have gone out, so it is not sent again.
            self._done(phone, timer, now, None)
            return "unknown"
        allowed = self.quiet.next_allowed(now, _zone(phone, self.zone))
        if allowed > now:
            self.timers.defer(phone, allowed.timestamp())
            return "deferred"
        return self._send(phone, timer, values, now)

    def _why_not(self, phone: str) -> str | None:
        if self.queue.inbox_size(phone):
            return "answered"  # their turn comes next, and arms a new reminder
        if self.chatwoot is not None and self.chatwoot.links.human(phone):
            return "human"
        return None

    def _send(self, phone: str, timer: FollowUpTimer, values: dict, now: datetime) -> str:
        anchor = datetime.fromtimestamp(timer.anchor or 0, UTC)
        following = self._next(phone, anchor, timer.step + 1, after=now)
        text = follow_up_text(values, last=following is None)
        store = self.service.store
        self.timers.mark_sending(phone, timer.step)
        try:
            record = operator.send(
                self.channels,
                phone,
                text,
                summary=store.summary(phone),
                last_inbound=anchor,
                template=True,
                now=now,
            )
        except operator.CannotSendError as exc:
            record = {"text": text, "status": "failed", "error": {"title": str(exc)}}
        record = {**record, "author": "bot", "follow_up": timer.step + 1}
        self._done(phone, timer, now, record, values)
        if record["status"] != "accepted":
            return "failed"
        if self.service.stats:
            self.service.stats.record_follow_up()
        return "template" if record.get("template") else "sent"

    def _done(
        self,
        phone: str,
        timer: FollowUpTimer,
        now: datetime,
        record: dict | None,
        values: dict | None = None,
    ) -> None:
        """Step `timer.step` is over (sent, failed or given up): the next one, if any."""
        anchor = datetime.fromtimestamp(timer.anchor or 0, UTC)
        following = self._next(phone, anchor, timer.step + 1, after=now)
        due = following[1].timestamp() if following else None
        # Delays already past count as done: the timer's step is the next one to send.
        step = following[0] - 1 if following else len(self.delays) - 1

        def also(pipe: redis.client.Pipeline | None = None) -> None:
            if record and record["status"] == "accepted":
                self.timers.sent_one(phone, step=step, at=now.timestamp(), due=due, pipe=pipe)
            else:
                self.timers.skipped(phone, step=step, due=due, pipe=pipe)

        if record:
            self.service.store.record_exchange(phone, [], record, summary={}, also=also)
        else:
            also()
        self.timers.schedule(phone, due)
        if self.chatwoot is not None and record:
            note = follow_up_note(record, silent=now - anchor, where=situation(values or {}))
            self.chatwoot.outbox.add(phone, [outgoing_op(record, author="bot"), note])
