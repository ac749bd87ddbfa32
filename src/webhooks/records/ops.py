"""What a turn writes to the archive, as plain JSON operations for its outbox.

One `turn` operation per turn: the customer's messages, our reply, where the conversation got
to, and the sale's events that the turn made (consent, the confirmed data, a quote, a choice, a
lead, a handover, an opt-out). Natural keys come from the provider's id of the message answered,
so a turn replayed after a crash makes the same operation, which changes nothing the second time.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from agent import texts
from integrations.redis.conversations import now_iso
from webhooks.inbound.messages import InboundMessage


def _key(message: InboundMessage) -> str:
    return f"{message.provider}:{message.message_id}"


def _inbound(message: InboundMessage, at: str) -> dict[str, Any]:
    return {
        "key": f"in:{_key(message)}",
        "direction": "in",
        "author": "customer",
        "channel": message.channel,
        "provider": message.provider,
        "kind": message.kind,
        "text": message.text,
        "provider_ids": [message.message_id],
        "media": [asdict(m) for m in message.media]
        + ([{"kind": "location", **message.location}] if message.location else []),
        "at": at,
    }


def outbound_message(record: dict, key: str, *, author: str) -> dict[str, Any]:
    """An outbound transcript record as an archived message under the natural key `key`."""
    return {
        "key": key,
        "direction": "out",
        "author": author,
        "channel": record.get("channel"),
        "provider": record.get("provider"),
        "kind": "template" if record.get("template") else "text",
        "text": record.get("text", ""),
        "provider_ids": list(record.get("ids") or []),
        "status": record.get("status"),
        "error": record.get("error"),
        "at": record.get("at") or now_iso(),
    }


def _shown_before(before: dict) -> str:
    """What the customer had just read: our last message before their answer."""
    for message in reversed(before.get("messages") or []):
        if getattr(message, "type", None) == "ai" and isinstance(message.content, str):
            return message.content
    return texts.CONSENT_QUESTION


def events(turn: str, before: dict, after: dict) -> list[dict[str, Any]]:
    """The sale's records this turn made: whatever changed from `before` to `after`."""
    found: list[dict[str, Any]] = []
    consent = after.get("consent")
    if consent and consent != before.get("consent"):
        found.append(
            {
                "table": "consents",
                "key": f"consent:{turn}",
                "given": bool(consent.get("given")),
                "text": _shown_before(before),
                "at": consent.get("at"),
            }
        )
    confirmed = (after.get("declared") or {}).get("confirmed")
    if confirmed and confirmed != (before.get("declared") or {}).get("confirmed"):
        found.append(
            {
                "table": "needs_records",
                "key": f"needs:{turn}",
                "data": confirmed.get("value") or {},
                "at": confirmed.get("at"),
            }
        )
    quote = after.get("quote")
    if quote and quote != before.get("quote"):
        inputs = {k: quote.get(k) for k in ("age", "smoker", "cover", "term")}
        found.append(
            {
                "table": "quotes",
                "key": f"quote:{turn}",
                "tariff": quote.get("tariff") or "",
                "currency": quote.get("currency"),
                "inputs": inputs | {"illustrative": quote.get("illustrative")},
                "options": quote.get("options") or [],
            }
        )
    chosen = after.get("chosen")
    if chosen and chosen != before.get("chosen"):
        option: dict = next((o for o in (quote or {}).get("options", []) if o["id"] == chosen), {})
        found.append(
            {
                "table": "choices",
                "key": f"choice:{turn}",
                "option_id": chosen,
                "monthly": option.get("monthly"),
                "annual": option.get("annual"),
            }
        )
    if after.get("lead") and not before.get("lead"):
        reason = after.get("handoff_reason")
        found.append(
            {"table": "leads", "key": f"lead:{turn}", "option_id": chosen, "reason": reason}
        )
    if after.get("handoff") and not before.get("handoff"):
        reason = after.get("handoff_reason")
        found.append({"table": "handovers", "key": f"handover:{turn}", "reason": reason})
    if bool(after.get("opted_out")) != bool(before.get("opted_out")):
        found.append(
            {
                "table": "opt_outs",
                "key": f"opt_out:{turn}",
                "opted_out": bool(after.get("opted_out")),
            }
        )
    return found


def turn_op(
    phone: str,
    batch: list[InboundMessage],
    before: dict,
    after: dict | None,
    outbound: dict | None,
    *,
    started: bool,
) -> dict[str, Any]:
    """The archive's record of one turn. `after` is None when no turn ran (a person has it)."""
    at = now_iso()
    last = batch[-1]
    turn = _key(last)
    messages = [_inbound(m, at) for m in batch]
    if outbound:
        messages.append(outbound_message({**outbound, "at": at}, f"out:{turn}", author="bot"))
    state = after if after is not None else before
    return {
        "op": "turn",
        "key": f"{phone}:{turn}",
        "at": at,
        "started": started,
        "profile_name": last.profile_name,
        "conversation": {
            "channel": last.channel,
            "provider": last.provider,
            "stage": state.get("stage") or "INICIO",
            "handoff": bool(state.get("handoff")),
            "opted_out": bool(state.get("opted_out")),
            "lead": bool(state.get("lead")),
            "turns": state.get("turns"),
        },
        "messages": messages,
        "events": events(turn, before, after) if after is not None else [],
    }


def operator_op(record: dict) -> dict[str, Any]:
    """An operator's message sent from the admin API (outside a customer's turn)."""
    key = f"operator:{uuid.uuid4().hex}"
    return {
        "op": "turn",
        "key": key,
        "at": record.get("at") or now_iso(),
        "started": False,
        "conversation": {"channel": record.get("channel"), "provider": record.get("provider")},
        "messages": [outbound_message(record, key, author="operator")],
        "events": [],
    }


def status_op(update: dict) -> dict[str, Any]:
    """A delivery status a provider reported for one of our messages."""
    return {
        "op": "status",
        "provider_message_id": update["message_id"],
        "status": update["status"],
        "at": update.get("timestamp") or None,
        "errors": list(update.get("errors") or []),
    }


def audit_op(actor: str, action: str, detail: dict | None = None) -> dict[str, Any]:
    """An operator's or admin's action on a conversation, for the audit log.

    Its key is a random 128-bit id, made here once: every replay of the stored operation carries
    it, so the archive writes the entry once. (An action has no natural id: an operator may reset
    or close the same conversation twice in a millisecond, and each is an action of its own.)
    """
    return {
        "op": "audit",
        "key": uuid.uuid4().hex,
        "actor": actor,
        "action": action,
        "detail": detail or {},
        "at": now_iso(),
    }
