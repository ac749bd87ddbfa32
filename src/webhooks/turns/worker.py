"""The worker: takes queued messages, runs the turn, and answers on the customer's channel.

Per phone: one turn at a time (the phone's lock), in arrival order (the phone's inbox), and a
burst that arrived meanwhile answered in one reply (the whole inbox is one turn). A message leaves
the inbox in the same transaction that records its reply, so a worker killed at any point leaves
it to the next worker; the graph's `last_message_id` makes that retry replay the stored reply
instead of running the turn twice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import redis

from agent.texts import UNREADABLE, VOICE_NOT_HEARD
from integrations.messaging.phones import mask_phone
from integrations.redis.health import HealthBook
from integrations.redis.stats import StatsStore
from webhooks import logs
from webhooks.crm.handover import ChatwootSide
from webhooks.crm.ops import turn_ops
from webhooks.inbound.chatwoot import ChatwootEvent
from webhooks.inbound.messages import InboundMessage
from webhooks.inbound.queue import MessageQueue, PhoneBusyError, TurnLock
from webhooks.records.archive import Archive
from webhooks.records.ops import status_op, turn_op
from webhooks.turns.advisors import AdvisorHours
from webhooks.turns.channels import Channels
from webhooks.turns.conversations import ConversationService, TurnResult
from webhooks.turns.delivery import Delivery
from webhooks.turns.followups import FollowUps, TurnReminder
from webhooks.turns.said import opts_out, what_was_said
from webhooks.turns.voice import VoiceNotes, is_voice

log = logging.getLogger(__name__)

# Content we neither read nor answer: a reaction to one of our messages needs no reply.
QUIET_KINDS = {"reaction"}
STATUS_RANK = {"queued": 0, "accepted": 0, "sent": 1, "delivered": 2, "read": 3, "played": 3}


def _ignored(reply: object) -> None:
    """A reply nothing depends on."""


def _raised(reply: object) -> None:
    """A reply of a command the turn can't do without: its error fails the turn, as before."""
    if isinstance(reply, Exception):
        raise reply


class Worker:
    """One worker thread's loop: queue notifications in, turns run, replies and statuses out."""

    def __init__(
        self,
        service: ConversationService,
        queue: MessageQueue,
        channels: Channels,
        *,
        name: str | None = None,
        claim_idle_ms: int = 30_000,
        block_ms: int = 1000,
        health: HealthBook | None = None,
        archive: Archive | None = None,
        chatwoot: ChatwootSide | None = None,
        voice: VoiceNotes | None = None,
        followups: FollowUps | None = None,
        advisors: AdvisorHours | None = None,
    ) -> None:
        """A worker named `name` in the queue's consumer group.

        Args:
            service: the conversation service that runs the turns.
            queue: where the notifications and the phones' inboxes are.
            channels: the senders of the replies.
            name: the consumer's name (default: a random one).
            claim_idle_ms: how long a notification may stay unacknowledged before it is taken
                from the worker that read it.
            block_ms: how long one read waits for new notifications.
            health: where the outcome of each send is noted, if anywhere.
            archive: the SQL archive, whose outbox gets each turn's record.
            chatwoot: the Chatwoot side, when Chatwoot is configured.
            voice: what transcribes voice notes, when TRANSCRIPTION_MODEL is set.
            followups: the reminders to silent customers, armed (or cancelled) by each turn.
            advisors: the advisors' business hours, when they are configured.
        """
        self.followups = followups
        self.advisors = advisors
        self.service = service
        self.chatwoot = chatwoot
        self.voice = voice
        self.archive = archive
        self.health = health
        self.delivery = Delivery(channels, health)
        self.queue = queue
        self.channels = channels
        self.name = name or f"worker-{uuid.uuid4().hex[:8]}"
        self.claim_idle_ms = claim_idle_ms
        self.block_ms = block_ms
        self._acked: bytes | None = None  # the notification acknowledged with its turn

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; the current phone is always finished first."""
        next_claim, backoff, grouped = 0.0, 0.5, False
        while not stop.is_set():
            try:
                if not grouped:
                    # Once per thread, and again only if Redis lost the stream (a restart
                    # without persistence, FLUSHDB): not on every poll.
                    self.queue.ensure_group()
                    grouped = True
                entries = self.queue.read(self.name, block_ms=self.block_ms)
                if time.monotonic() >= next_claim:
                    entries += self.queue.claim_stale(self.name, min_idle_ms=self.claim_idle_ms)
                    next_claim = time.monotonic() + self.claim_idle_ms / 2000
            except redis.RedisError as exc:
                grouped = grouped and "NOGROUP" not in str(exc)
                # Redis restarting or unreachable: keep the thread alive and try again.
                log.warning("queue unreachable (%s), retry in %.1fs", type(exc).__name__, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.5
            for entry_id, fields in entries:
                self.handle(entry_id, fields)

    def handle(self, entry_id: bytes, fields: dict[str, str]) -> None:
        """Do one notification's work; acknowledge it unless it must be tried again."""
        self._acked = None
        try:
            if "status" in fields:
                self.record_status(json.loads(fields["status"]))
            elif "chatwoot" in fields:
                event = ChatwootEvent.from_json(fields["chatwoot"])
                if self.chatwoot and (phone := self.chatwoot.handover.apply(event)):
                    self.queue.nudge(phone)  # customer messages that waited for the lock
            elif pausing := self.queue.pausing(fields):
                self.channels.typing(pausing)  # its turn comes when the typing pause is over
            elif not self.process_phone(fields["phone"], entry_id):
                return  # the phone is busy; if its holder died, this entry is claimed again
        except Exception:
            # Left unacknowledged: another round (XAUTOCLAIM) retries it after claim_idle_ms.
            log.exception("work failed, will retry entry=%s", entry_id.decode())
            return
        if self._acked != entry_id:
            self.queue.ack(entry_id)

    def process_phone(self, phone: str, entry_id: bytes | None = None) -> bool:
        """One turn for everything waiting for `phone`. False when someone else holds the phone.

        Messages that arrive during the turn wait for their own notifications, behind other
        customers', so a customer who answers at once can't keep a thread from the others. A
        notification that finds the lock taken leaves a mark, and whoever holds the lock
        notifies again when it lets go; the entry itself stays pending as a safety net.
        """
        service = self.service
        try:
            # The inbox's size, the lock and the inbox itself in one round trip.
            lock, batch = self.queue.take(
                phone, service.store.key(phone, "lock"), service.lock_seconds
            )
        except PhoneBusyError:
            return False  # the miss is marked: the holder notifies again when it lets go
        if not batch:
            return True  # answered already, with an earlier message of the same burst
        try:
            # Held as `ConversationService.locked` holds it (renewed; the checkpoint read once).
            with service.held(lock, phone), logs.turn_context():
                self.answer(phone, batch, entry_id, lock)
        finally:
            if lock.nudge:  # learnt when the lock was let go (its mark is gone): even if failed
                self.queue.notify(phone)
        return True

    def answer(
        self,
        phone: str,
        batch: list[InboundMessage],
        entry_id: bytes | None = None,
        lock: TurnLock | None = None,
    ) -> None:
        """One turn for the messages waiting, one reply, recorded with them in one transaction.

        `entry_id`, the notification that brought the turn, is acknowledged with its record,
        and `lock`, the phone's turn lock, is let go at its end (no round trip of its own).
        """
        state = self.service.state(phone)
        answered = state.get("last_message_id")
        ids = [m.message_id for m in batch]
        if answered in ids[:-1]:
            # A retry after a crash, with newer messages behind: finish the old turn first.
            batch = batch[: ids.index(answered) + 1]
        if self.voice:
            batch = self.voice.hear(batch)
        last = batch[-1]
        text, choice = what_was_said(batch)
        human = self.chatwoot is not None and self.chatwoot.links.human(phone)
        if human and text and not choice and opts_out(text):
            human = False  # BAJA/STOP is honoured whoever has the conversation
        if human:
            # A sales agent has the conversation: the bot listens (the mirror shows it all).
            result = replace(TurnResult.of(phone, state), reply="", buttons=[])
        elif text or choice:
            self.channels.typing(last)
            result = self.service.run_turn(
                phone,
                text,
                channel=last.channel,
                message_id=last.message_id,
                choice=choice,
                before=state,
            )
            if self.advisors is not None:
                result = self.advisors.tell(phone, state, result)
        else:
            result = TurnResult.of(phone, state)
            silent = result.opted_out or (result.handoff and result.stage != "FINALIZADO")
            quiet = silent or all(m.kind in QUIET_KINDS for m in batch)
            result = TurnResult(
                phone=phone,
                reply="" if quiet else VOICE_NOT_HEARD if any(map(is_voice, batch)) else UNREADABLE,
                stage=result.stage,
                handoff=result.handoff,
                opted_out=result.opted_out,
                values=state,
            )
        outbound = self.delivery.deliver(phone, last, result) if result.reply else None
        ops, record = self.turn_records(phone, batch, state, None if human else result, outbound)
        reminder = None
        if self.followups is not None:
            reminder = self.followups.for_turn(phone, result.values, human=human)
            # Before the turn is recorded: a worker killed after recording it can't lose it.
            reminder.ahead()
        replies: list[Callable[[object], None]] = []  # what takes each reply of `then`

        def then(pipe: redis.client.Pipeline) -> None:
            # Keys of other slots, with the conversations index (`record_exchange` says when).
            if entry_id is not None:
                added = len(pipe)
                self.queue.ack(entry_id, pipe)
                # Not raised: an entry left unacknowledged is retried, and finds no work.
                replies.extend([_ignored] * (len(pipe) - added))
            now = time.time()
            for outbox, pushed in ((self.chatwoot, ops), (self.archive, record)):
                if pushed and outbox is not None:
                    # `Outbox.schedule` (a drainer tries the phone now), in this round trip.
                    pipe.zadd(outbox.outbox.due_key, {phone: now})
                    replies.append(_raised)
            if reminder is not None and (takes := reminder.after(pipe)):
                replies.append(takes)
            if self.count(phone, batch, outbound, result, pipe):
                replies.append(StatsStore.noted)
            if lock is not None:  # last: after every other command of the turn
                replies.append(lock.let_go_in(pipe))

        answers = self.service.store.record_exchange(
            phone,
            [
                {
                    "text": m.text,
                    "kind": m.kind,
                    "channel": m.channel,
                    "id": m.message_id,
                    **({"transcript": m.transcript} if m.transcript else {}),
                }
                for m in batch
            ],
            outbound,
            summary={
                "channel": last.channel,
                "provider": last.provider,
                "stage": result.stage,
                "handoff": result.handoff,
                "opted_out": result.opted_out,
                **({"profile_name": last.profile_name} if last.profile_name else {}),
                # Operators and agents answer later from the number the customer wrote to.
                **({"our_number": last.our_number} if last.our_number else {}),
            },
            also=lambda pipe: self.finish(pipe, phone, len(batch), ops, record, reminder),
            then=then,
        )
        self._acked = entry_id
        takers = list(zip(replies, answers, strict=True))
        if lock is not None:
            # The lock's reply first: a failed reply below must not hide that it was let go.
            takers.insert(0, takers.pop())
        for takes, answer in takers:
            takes(answer)

    def finish(
        self,
        pipe: redis.client.Pipeline,
        phone: str,
        answered: int,
        ops: list[dict],
        record: dict | None = None,
        reminder: TurnReminder | None = None,
    ) -> None:
        """The turn's own commands in its transaction: answered messages out, mirror work in."""
        self.queue.done(phone, answered, pipe)
        if reminder is not None:
            reminder.record(pipe)
        if ops and self.chatwoot is not None:
            self.chatwoot.outbox.push(pipe, phone, ops)
        if record and self.archive is not None:
            self.archive.outbox.push(pipe, phone, [record])

    def turn_records(
        self,
        phone: str,
        batch: list[InboundMessage],
        before: dict,
        result: TurnResult | None,
        outbound: dict | None,
    ) -> tuple[list[dict], dict | None]:
        """What Chatwoot should show of this turn, and its sales record for the SQL archive.

        Each is empty (None) when that side is off; a funnel's call for a human hands the
        Chatwoot conversation over.
        """
        after = result.values if result else None
        ops: list[dict] = []
        if self.chatwoot is not None:
            if after and after.get("handoff") and not before.get("handoff"):
                self.chatwoot.links.take(phone, after.get("handoff_reason") or "handoff")
            ops = turn_ops(batch, before, after, outbound) + AdvisorHours.notes(after)
        record = None
        if self.archive is not None:
            started = result is not None and result.turn == 1
            record = turn_op(phone, batch, before, after, outbound, started=started)
        return ops, record

    def count(
        self,
        phone: str,
        batch: list[InboundMessage],
        outbound: dict | None,
        result: TurnResult,
        pipe: redis.client.Pipeline,
    ) -> bool:
        """The turn's statistics (best-effort), added to `pipe`; False when none are kept."""
        if self.service.stats is None:
            return False
        first = batch[0]
        self.service.stats.record_turn(
            phone,
            inbound=len(batch),
            outbound=int(bool(outbound and outbound["status"] != "failed")),
            started=result.turn == 1,
            stage=result.stage,
            arrived=first.received_at or first.timestamp or None,
            lead=bool(result.values.get("lead")),
            pipe=pipe,
        )
        return True

    def record_status(self, update: dict) -> None:
        """Keep the furthest delivery status of a message we sent; log a failed delivery."""
        phone, status = update.get("phone"), update["status"]
        if not phone:
            return
        store = self.service.store
        known = store.statuses(phone).get(update["message_id"], {}).get("status")
        if known and STATUS_RANK.get(known, 9) >= STATUS_RANK.get(status, 9):
            return  # "read" can arrive before "delivered": keep the furthest status
        at = datetime.fromtimestamp(update.get("timestamp") or time.time(), UTC)
        entry = {"status": status, "at": at.isoformat(timespec="seconds")}
        if update.get("errors"):
            entry["errors"] = update["errors"]
        store.record_status(phone, update["message_id"], entry)
        if self.archive is not None:
            self.archive.outbox.add(phone, [status_op(update)])
        if status in ("failed", "undelivered"):
            codes = [e.get("code") for e in update.get("errors", [])]
            log.warning("delivery %s phone=%s codes=%s", status, mask_phone(phone), codes)
