"""What an operator reads and does with conversations: shared by the admin API and the console.

The HTTP layers only translate: the admin API answers JSON, the console renders pages. An
operation that cannot be done raises OperationError with the HTTP status that says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

from agent import texts
from integrations.messaging.phones import mask_phone
from integrations.redis.conversations import now_iso
from integrations.redis.stats import StatsReport
from webhooks.crm.ops import outgoing_op
from webhooks.records.ops import audit_op, operator_op
from webhooks.services import Services
from webhooks.turns import operator
from webhooks.turns.conversations import ConversationService
from webhooks.turns.worker import STATUS_RANK

log = logging.getLogger(__name__)

SCAN_CHUNK = 500
FAILED = ("failed", "undelivered")


class OperationError(Exception):
    """The operation was not done; `status` is the HTTP status that says why."""

    def __init__(self, status: int, why: str) -> None:
        """`why` is said to the operator as it is."""
        super().__init__(why)
        self.status = status


# --- reading ------------------------------------------------------------------------------------


def item(phone: str, summary: dict) -> dict:
    """A conversation as the list shows it, from its summary."""
    return {
        "phone": phone,
        "channel": summary.get("channel"),
        "provider": summary.get("provider"),
        "stage": summary.get("stage", "INICIO"),
        "last_message_at": summary.get("last_message_at"),
        "handoff": bool(summary.get("handoff")),
        "opted_out": bool(summary.get("opted_out")),
        "profile_name": summary.get("profile_name"),
    }


def matching(service: ConversationService, keep: Callable[[dict], bool] | None) -> Iterator[dict]:
    """Every kept conversation passing `keep`, newest activity first."""
    store, offset = service.store, 0
    while phones := store.recent(offset, SCAN_CHUNK):
        for phone, summary in zip(phones, store.summaries(phones), strict=True):
            entry = item(phone, summary)
            if summary and (keep is None or keep(entry)):
                yield entry
        offset += len(phones)


def with_delivery(entry: dict, statuses: dict[str, dict]) -> dict:
    """An outbound entry with the delivery statuses of its provider messages merged in."""
    ids = entry.get("ids") or []
    known = [{"id": i, **statuses[i]} for i in ids if i in statuses]
    if entry.get("direction") != "out" or not known:
        return entry
    failed = [s for s in known if s["status"] in FAILED]
    if failed:
        overall = failed[0]
    elif len(known) < len(ids):
        return {**entry, "delivery": known}  # some parts have no news yet
    else:
        overall = min(known, key=lambda s: STATUS_RANK.get(s["status"], 0))
    return {**entry, "status": overall["status"], "status_at": overall["at"], "delivery": known}


def detail(services: Services, phone: str) -> dict:
    """One conversation: its funnel state, who has it, and the transcript with deliveries."""
    service = services.conversations
    values = service.state(phone)
    summary = service.store.summary(phone)
    if not values and not summary:
        raise OperationError(404, "no such conversation")
    statuses = service.store.statuses(phone)
    owner = services.chatwoot.links.owner(phone) if services.chatwoot else {}
    return {
        "phone": phone,
        "channel": summary.get("channel"),
        "provider": summary.get("provider"),
        "profile_name": summary.get("profile_name"),
        "last_message_at": summary.get("last_message_at"),
        "stage": values.get("stage", summary.get("stage", "INICIO")),
        "profile": values.get("profile") or {},
        "quote": values.get("quote"),
        "chosen": values.get("chosen"),
        "handoff": bool(values.get("handoff")),
        "handoff_reason": values.get("handoff_reason"),
        "lead": bool(values.get("lead")),
        "opted_out": bool(values.get("opted_out")),
        "human": owner.get("owner") == "human",  # a sales agent has it in Chatwoot
        "human_reason": owner.get("owner_reason"),
        "consent": values.get("consent"),
        "declared": values.get("declared") or {},
        "follow_up": follow_up(services, phone),
        "transcript": [with_delivery(e, statuses) for e in service.store.transcript(phone)],
    }


def follow_up(services: Services, phone: str) -> dict:
    """The phone's reminders: when the next is due, which delay it is, how many went out."""
    timer = services.followups.timers.get(phone) if services.followups else None

    def iso(moment: float | None) -> str | None:
        return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds") if moment else None

    return {
        "next_due": iso(timer.due) if timer else None,
        "step": timer.step if timer else 0,
        "sent": timer.sent if timer else 0,
        "last_sent_at": iso(timer.sent_at) if timer else None,
    }


def report(services: Services, since: date) -> StatsReport:
    """The statistics report from UTC day `since` until now."""
    if services.conversations.stats is None:
        raise OperationError(404, "this service keeps no statistics")
    return services.conversations.stats.report(since)


def stats(services: Services, since: date) -> dict:
    """The service's statistics from UTC day `since` until now."""
    return numbers(services, report(services, since))


def numbers(services: Services, report: StatsReport) -> dict:
    """A report's figures, as the admin API answers them."""
    service = services.conversations
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(timespec="seconds"),
        "active_conversations": service.store.count(since=report.since.timestamp()),
        "conversations_started": report.conversations_started,
        "messages_in": report.messages_in,
        "messages_out": report.messages_out,
        "responses": report.responses,
        "avg_response_ms": report.avg_response_ms,
        "p90_response_ms": report.p90_response_ms,
        "active_users_24h": report.active_users_24h,
        "active_users_7d": report.active_users_7d,
        "follow_ups_sent": report.follow_ups_sent,
        "follow_ups_pending": services.followups.timers.pending() if services.followups else 0,
        "funnel": [
            {"stage": s.stage, "reached": s.reached, "conversion": s.conversion}
            for s in report.funnel
        ],
    }


def stats_rows(figures: dict) -> list[list]:
    """The statistics as spreadsheet rows: a metric and its value on each."""
    rows: list[list] = [["metric", "value"]]
    rows += [[k, v] for k, v in figures.items() if k != "funnel"]
    for step in figures["funnel"]:
        rows.append([f"funnel.{step['stage']}.reached", step["reached"]])
        rows.append([f"funnel.{step['stage']}.conversion", step["conversion"]])
    return rows


# --- doing --------------------------------------------------------------------------------------


def reset(services: Services, phone: str) -> None:
    """Forget a conversation, so the customer's next message starts over."""
    service = services.conversations
    if not service.exists(phone):
        raise OperationError(404, "no such conversation")
    # Under the turn lock: a turn running now finishes first, and none starts until we are done.
    with service.locked(phone):
        service.reset(phone)
        if services.chatwoot:
            services.chatwoot.links.release(phone)  # the bot starts over; Chatwoot's is kept
    log.info("conversation reset phone=%s", mask_phone(phone))
    _audit(services, phone, "reset")


def close(services: Services, phone: str) -> dict | None:
    """End a conversation at FINALIZADO; the goodbye sent while the window allows, or None."""
    service = services.conversations
    if not service.exists(phone):
        raise OperationError(404, "no such conversation")
    with service.locked(phone):
        values = service.state(phone)
        text = ""
        if not values.get("opted_out"):
            name = texts.name_suffix(values.get("profile") or {})
            text = texts.CONVERSATION_CLOSED.format(name=name)
        service.close(phone, text)
        record = _outbound(_send_closing(services, phone, text)) if text else None
        service.store.record_exchange(phone, [], record, summary={"stage": "FINALIZADO"})
        _mirror(services, phone, record)
    services.queue.nudge(phone)  # a message that arrived meanwhile found the phone locked
    if record and record["status"] == "accepted" and service.stats:
        service.stats.record_outbound()
    log.info("conversation closed phone=%s notified=%s", mask_phone(phone), bool(record))
    _audit(services, phone, "close", notified=bool(record))
    return record


def send_message(services: Services, phone: str, text: str) -> dict:
    """Send an operator's text (the approved template outside the window); the record kept.

    A provider's refusal is recorded and returned with status "failed"; nothing sent at all
    (no such conversation, an opted-out customer, no sender, no template) is an OperationError.
    """
    service = services.conversations
    if not service.exists(phone):
        raise OperationError(404, "no such conversation")
    store, summary = service.store, service.store.summary(phone)
    if service.state(phone).get("opted_out") or summary.get("opted_out"):
        raise OperationError(409, "the customer opted out: no messages")
    try:
        record = operator.send(
            services.channels,
            phone,
            text.strip(),
            summary=summary,
            last_inbound=store.last_inbound_at(phone),
            template=True,
        )
    except operator.CannotSendError as exc:
        raise OperationError(409, str(exc)) from exc
    record = _outbound(record)
    store.record_exchange(phone, [], record, summary={})
    _mirror(services, phone, record)
    if record["status"] == "accepted" and service.stats:
        service.stats.record_outbound()
    log.info("operator message phone=%s template=%s", mask_phone(phone), "template" in record)
    _audit(services, phone, "message", status=record["status"])
    return record


def _mirror(services: Services, phone: str, record: dict | None) -> None:
    """Show agents in Chatwoot what an operator sent (or tried to) from here."""
    if record and services.chatwoot is not None:
        services.chatwoot.outbox.add(phone, [outgoing_op(record, author="operator")])
    if record and services.archive is not None:
        services.archive.outbox.add(phone, [operator_op(record)])


def _audit(services: Services, phone: str, action: str, **detail: object) -> None:
    """Note an operator's action in the archive's audit log (through its outbox: no wait)."""
    if services.archive is not None:
        services.archive.outbox.add(phone, [audit_op("operator", action, detail)])


def _outbound(record: dict) -> dict:
    """The transcript entry as it is stored (and answered)."""
    return {"direction": "out", "at": now_iso(), **record}


def _send_closing(services: Services, phone: str, text: str) -> dict:
    store = services.conversations.store
    summary = store.summary(phone)
    try:
        return operator.send(
            services.channels,
            phone,
            text,
            summary=summary,
            last_inbound=store.last_inbound_at(phone),
            template=False,  # a re-engagement template is no way to say goodbye
        )
    except operator.CannotSendError as exc:
        return {
            "text": text,
            "channel": summary.get("channel"),
            "provider": summary.get("provider"),
            "author": "operator",
            "status": "failed",
            "error": {"title": str(exc)},
        }
