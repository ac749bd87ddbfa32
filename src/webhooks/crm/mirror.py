"""The Chatwoot mirror's drainer: applies the outbox's operations through the Chatwoot client.

The worker turns a finished turn into operations (`chatwoot_ops.turn_ops`) and adds them to the
outbox in the transaction that records the turn; it never waits for Chatwoot. A drainer thread
applies them in order per conversation, and keeps them while Chatwoot is slow, down or refusing
our token; an operation Chatwoot refuses for good is set aside rather than block the rest.
"""

from __future__ import annotations

import json
import logging
from dataclasses import KW_ONLY, dataclass, field

from integrations.chatwoot import (
    ChatwootAuthError,
    ChatwootClient,
    ChatwootError,
    ChatwootNotFound,
    ChatwootRejected,
)
from integrations.messaging.base import SendError
from integrations.messaging.phones import mask_phone
from integrations.redis.health import HealthBook
from integrations.redis.links import ChatwootLinks, content_digest
from integrations.redis.outbox import Outbox, OutboxDrainer
from webhooks import metrics
from webhooks.crm.ops import CONTACT_ATTRIBUTES, LABELS, OUR_ATTRIBUTES
from webhooks.crm.routing import LeadRouting
from webhooks.turns.channels import Channels

log = logging.getLogger(__name__)

MEDIA_WORDS = {
    "image": "imagen",
    "audio": "audio",
    "voice": "nota de voz",
    "video": "vídeo",
    "document": "documento",
    "sticker": "sticker",
}


# --- applying operations -------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class ChatwootMirror(OutboxDrainer):
    """Shows the conversations in Chatwoot: drains each phone's outbox of operations, in order.

    Attributes:
        client: the Chatwoot API.
        outbox: the operations waiting, per phone.
        links: which Chatwoot contact and conversation is which phone's.
        channels: the senders, to fetch the media customers sent.
        health: where Chatwoot's latest outcome is noted, if anywhere.
        poll_seconds: how long a drainer with nothing due waits before looking again.
        max_backoff: the longest wait while Chatwoot is unavailable.
        routing: the team and agent each kind of handover is assigned to, if any.
    """

    client: ChatwootClient
    outbox: Outbox
    links: ChatwootLinks
    channels: Channels
    _: KW_ONLY
    health: HealthBook | None = None
    poll_seconds: float = 0.25
    max_backoff: float = 60.0
    routing: LeadRouting | None = None
    _labels_ready: bool = field(default=False, init=False)
    # Unexpected failures of one operation (phone, queued_at): buried after five.
    _failures: dict[tuple[str, float], int] = field(default_factory=dict, init=False)

    # --- the drainer (`run` and `drain` come from OutboxDrainer) ---------------------------------

    def drain_leased(self, phone: str, *, delay: float = 1.0) -> bool:
        """Apply the phone's operations in order; refused ones are set aside.

        Returns:
            True when the outbox was worked through, False when Chatwoot could not take them.
        """
        done = 0
        while (op := self.outbox.head(phone)) is not None:
            outcome = self._attempt(phone, op)
            if outcome == "retry":
                self.outbox.retry_later(phone, delay)
                return False
            if outcome == "done":
                self.outbox.pop(phone)
                done += 1
        if done and self.health:
            self.health.ok("chatwoot")  # once per conversation drained, not per call
        self.outbox.finish(phone)
        return True

    def _attempt(self, phone: str, op: dict) -> str:
        """done, buried (set aside for good) or retry."""
        kind = op.get("op", "?")
        try:
            try:
                self.apply(phone, op)
            except ChatwootNotFound:
                # A 404 elsewhere (an endpoint this Chatwoot lacks, say) is this operation's
                # failure; forgetting the conversation then would open a new one every turn.
                if not self._gone(phone):
                    raise
                self.links.drop_conversation(phone)
                self.apply(phone, op)
        except (ChatwootNotFound, ChatwootRejected) as exc:
            return self._bury(phone, op, exc.title)
        except ChatwootError as exc:  # unavailable, or our token refused: keep it, wait
            metrics.CHATWOOT_OPS.labels(kind, "retry").inc()
            if self.health:
                self.health.failed("chatwoot", exc.title)
            level = logging.ERROR if isinstance(exc, ChatwootAuthError) else logging.WARNING
            log.log(level, "chatwoot unavailable (%s), mirror waits", exc.title)
            return "retry"
        except Exception:
            key = (phone, op.get("queued_at", 0))
            self._failures[key] = self._failures.get(key, 0) + 1
            log.exception("chatwoot mirror failed phone=%s op=%s", mask_phone(phone), kind)
            if self._failures[key] < 5:
                return "retry"
            del self._failures[key]
            return self._bury(phone, op, "error")
        metrics.CHATWOOT_OPS.labels(kind, "ok").inc()
        return "done"

    def _gone(self, phone: str) -> bool:
        """Whether Chatwoot confirms that the linked conversation no longer exists.

        With no conversation linked yet, the contact is asked about. Only Chatwoot's own 404
        says so.
        """
        link = self.links.get(phone)
        try:
            if link.get("conversation_id"):
                self.client.get_conversation(int(link["conversation_id"]))
            elif link.get("contact_id"):
                self.client.get_contact(int(link["contact_id"]))
        except ChatwootNotFound:
            log.warning("chatwoot conversation gone, made again phone=%s", mask_phone(phone))
            return True
        return False

    def _bury(self, phone: str, op: dict, why: str) -> str:
        log.error(
            "chatwoot refused an operation, set aside phone=%s op=%s why=%s",
            mask_phone(phone),
            op.get("op"),
            why,
        )
        metrics.CHATWOOT_OPS.labels(op.get("op", "?"), "refused").inc()
        self.outbox.bury(phone, op, why)
        return "buried"

    # --- one operation -------------------------------------------------------------------------

    def apply(self, phone: str, op: dict) -> None:
        """Do one operation in Chatwoot, making the contact and conversation first if needed."""
        conversation = self.ensure(phone, op)
        kind = op["op"]
        if kind == "incoming":
            content, files = self._incoming(op)
            self.client.create_message(
                conversation, content, message_type="incoming", attachments=files
            )
        elif kind == "outgoing":
            self._outgoing(phone, conversation, op)
        elif kind == "note":
            self.client.create_message(conversation, op["text"], private=True)
        elif kind == "state":
            self._state(phone, conversation, op)
        elif kind == "handoff":
            self.client.toggle_status(conversation, "open")
            unassigned = self._assign(phone, conversation, op.get("reason"))
            self.client.create_message(conversation, op["text"] + unassigned, private=True)
        else:
            raise ValueError(f"unknown operation {kind}")

    def _assign(self, phone: str, conversation: int, reason: str | None) -> str:
        """Give the conversation to its route's team and agent; a line for the note if refused.

        Before the note: an unavailable Chatwoot retries the whole operation, and opening and
        assigning again change nothing, where a second note would show twice.
        """
        route = self.routing.for_reason(reason) if self.routing else None
        if not route:
            return ""
        try:
            self.client.assign(conversation, team_id=route.team_id, assignee_id=route.assignee_id)
        except (ChatwootNotFound, ChatwootRejected) as exc:
            log.warning(
                "chatwoot refused the assignment phone=%s reason=%s why=%s",
                mask_phone(phone),
                reason,
                exc.title,
            )
            return f"\n⚠️ No se pudo asignar al equipo o asesor configurado ({exc.title})."
        return ""

    def ensure(self, phone: str, op: dict) -> int:
        """The phone's Chatwoot conversation: remembered, or found/created (contact too)."""
        link = self.links.get(phone)
        if link.get("conversation_id"):
            return int(link["conversation_id"])
        contact_id = link.get("contact_id")
        if not contact_id:
            contact = self.client.search_contact(phone) or self.client.create_contact(
                phone=phone, name=op.get("name") or phone, identifier=phone
            )
            contact_id = contact["id"]
            self.links.save(phone, contact_id=contact_id)
        source_id = link.get("source_id")
        if not source_id:
            inbox = self.client.create_contact_inbox(int(contact_id), phone.lstrip("+"))
            source_id = inbox["source_id"]
            self.links.save(phone, source_id=source_id)
        conversation = self.client.create_conversation(
            contact_id=int(contact_id),
            source_id=source_id,
            status="pending",  # pending: the bot has it
            additional_attributes={"canal": op.get("channel") or "whatsapp"},
        )
        self.links.save(phone, conversation_id=conversation["id"])
        log.info(
            "chatwoot conversation created phone=%s conversation=%s",
            mask_phone(phone),
            conversation["id"],
        )
        return int(conversation["id"])

    def _outgoing(self, phone: str, conversation: int, op: dict) -> None:
        text = op["text"]
        if op.get("template"):
            text = f"{text}\n\n(enviado como plantilla: la ventana de 24 h estaba cerrada)"
        self.links.creating(phone, text)
        message = self.client.create_message(conversation, text, message_type="outgoing")
        self.links.created(phone, message["id"])
        if op.get("failed"):
            note = f"⚠️ Este mensaje no se pudo entregar al cliente ({op['failed']})."
            self.client.create_message(conversation, note, private=True)

    def _state(self, phone: str, conversation: int, op: dict) -> None:
        """Labels and attributes; each half only when it changed since it was last written."""
        link = self.links.get(phone)
        shown = content_digest(json.dumps([op["labels"], op["conversation"]], sort_keys=True))
        if link.get("digest") != shown:
            self._conversation_state(conversation, op)
            self.links.save(phone, digest=shown)
        contact = content_digest(json.dumps([op.get("name"), op["contact"]], sort_keys=True))
        if link.get("contact_digest") != contact and (op["contact"] or op.get("name")):
            # Some Chatwoot versions replace the map on update: keep the agents' own keys.
            theirs = self.client.get_contact(int(link["contact_id"])).get("custom_attributes")
            kept = {k: v for k, v in (theirs or {}).items() if k not in CONTACT_ATTRIBUTES}
            fields: dict = {"custom_attributes": kept | op["contact"]}
            if op.get("name"):
                fields["name"] = op["name"]
            self.client.update_contact(int(link["contact_id"]), **fields)
            self.links.save(phone, contact_digest=contact)

    def _conversation_state(self, conversation: int, op: dict) -> None:
        self._ensure_account_labels()
        # Both endpoints replace the whole list/map: keep what agents set by hand.
        shown = self.client.get_conversation(conversation)
        current = shown.get("labels") or []
        wanted = [label for label in current if label not in LABELS] + op["labels"]
        if sorted(wanted) != sorted(current):
            self.client.set_labels(conversation, wanted)
        theirs = shown.get("custom_attributes") or {}
        stale = {k for k in theirs if k in OUR_ATTRIBUTES or k.startswith("prima_mensual_")}
        merged = {k: v for k, v in theirs.items() if k not in stale} | op["conversation"]
        if merged != theirs:
            self.client.set_custom_attributes(conversation, merged)

    def _ensure_account_labels(self) -> None:
        """Create our labels in the account once (agents see them with a description)."""
        if self._labels_ready:
            return
        try:
            existing = set(self.client.account_labels())
            for title, description in LABELS.items():
                if title not in existing:
                    self.client.create_label(title, description=description)
        except (ChatwootAuthError, ChatwootNotFound, ChatwootRejected) as exc:
            # Creating labels needs an administrator's token, and some Chatwoots (or proxies in
            # front of them) answer 404 here; conversations get the labels anyway.
            log.warning("could not create the account's labels (%s)", exc.title)
        self._labels_ready = True

    def _incoming(self, op: dict) -> tuple[str, list[tuple[str, bytes, str]]]:
        """The message's text, and its media as files (or as a line saying what it was)."""
        lines, files = [op["text"]] if op.get("text") else [], []
        provider = op.get("provider")
        sender = (
            self.channels.sender_for(provider, op.get("channel") or "", op.get("our_number"))
            if provider
            else None
        )
        for media in op.get("media") or []:
            source = media.get("id") if op.get("provider") == "meta" else media.get("url")
            if op.get("provider") == "evolution":
                source = source or media.get("id")  # the webhook's base64, else by message id
            try:
                if sender is None or not source:
                    raise LookupError("no way to fetch it")
                got = sender.download(source)
                files.append((media.get("filename") or got.filename, got.content, got.mime_type))
            except (SendError, LookupError) as exc:
                word = MEDIA_WORDS.get(media.get("kind"), media.get("kind") or "archivo")
                where = media.get("url") or f"id {media.get('id')}"
                lines.append(f"📎 {word} no disponible ({type(exc).__name__}): {where}")
        if op.get("transcript"):
            lines.append(f"🎤 Transcripción: {op['transcript']}")
        if op.get("location"):
            place = op["location"]
            where = f"{place.get('latitude')},{place.get('longitude')}"
            lines.append(f"📍 https://maps.google.com/?q={where} {place.get('name') or ''}".strip())
        if not lines and not files:
            lines.append(f"[{op.get('kind')}]")
        return "\n".join(lines), files
