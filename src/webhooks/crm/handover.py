"""Handover between the bot and Chatwoot's human agents, both ways, run by the worker.

A human has the conversation when an agent writes in it, when it is assigned to a person, or
when it is opened after the funnel asked for a human. Then the bot is silent (customer messages
are still mirrored). Resolving the conversation or setting it back to pending gives it back to
the bot, which goes on where the funnel was.

An agent's reply (outgoing, not private, written by a person; the messages we created ourselves
coming back were dropped at the route) goes to the customer on their channel, like an operator's
message from the admin API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from integrations.chatwoot import ChatwootClient
from integrations.messaging.phones import mask_phone
from integrations.redis.links import ChatwootLinks
from integrations.redis.outbox import Outbox
from webhooks.crm.mirror import ChatwootMirror
from webhooks.crm.ops import state_op
from webhooks.inbound.chatwoot import AgentMessage, ChatwootEvent
from webhooks.turns import operator
from webhooks.turns.channels import Channels
from webhooks.turns.conversations import ConversationService

log = logging.getLogger(__name__)

BACK_TO_BOT = {"resolved", "pending"}


class Handover:
    """Who has a conversation, the bot or a person, and an agent's messages to the customer."""

    def __init__(
        self,
        service: ConversationService,
        links: ChatwootLinks,
        outbox: Outbox,
        channels: Channels,
        *,
        client: ChatwootClient | None = None,
        confirm_messages: bool = False,
    ) -> None:
        """The handover of the conversations mirrored in Chatwoot.

        Args:
            service: the conversation service (state, handoff flag, transcript).
            links: which Chatwoot conversation is which phone's, and who has it.
            outbox: Chatwoot operations waiting to be sent, per phone.
            channels: the senders an agent's message goes out with.
            client: the Chatwoot API, to confirm agent messages with.
            confirm_messages: send an agent's message only once Chatwoot's API shows it
                (for when webhook deliveries are not signed).
        """
        self.service = service
        self.links = links
        self.outbox = outbox
        self.channels = channels
        self.client = client
        # Without a webhook secret anyone could post an "agent message": ask Chatwoot first.
        self.confirm_messages = confirm_messages

    def apply(self, event: ChatwootEvent) -> str | None:
        """Act on `event` under the phone's turn lock; the phone, or None if not ours."""
        phone = self.links.phone_of(event.conversation_id) if event.conversation_id else None
        if phone is None:
            return None  # not a conversation we mirror
        with self.service.locked(phone):
            if event.event == "message_created" and event.message:
                self._message(phone, event, event.message)
            elif event.event in ("conversation_status_changed", "conversation_resolved"):
                self._status(phone, event.status)
            elif event.event == "conversation_opened":
                self._status(phone, "open")
            elif event.event == "conversation_updated" and self._assigned(event):
                self._take(phone, "assigned")
        return phone

    @staticmethod
    def _assigned(event: ChatwootEvent) -> bool:
        """Assigned to a person just now (an update of other attributes says nothing)."""
        person = (event.assignee_type or "user").lower() == "user"
        return "assignee_id" in event.changed and bool(event.assignee_id) and person

    # --- who has it ----------------------------------------------------------------------------

    def _status(self, phone: str, status: str | None) -> None:
        if status in BACK_TO_BOT:
            self.give_back(phone, why=status)
        elif status == "open" and self.service.state(phone).get("handoff"):
            self._take(phone, "opened")

    def _take(self, phone: str, reason: str) -> None:
        if self.links.take(phone, reason):
            log.info("human took the conversation phone=%s reason=%s", mask_phone(phone), reason)

    def give_back(self, phone: str, *, why: str) -> None:
        """The bot has the conversation again, where its funnel was (caller holds the lock)."""
        released = self.links.release(phone)
        values = self.service.state(phone)
        if values.get("handoff"):
            after = self.service.end_handoff(phone, values)
            self.service.store.record_exchange(phone, [], None, summary={"handoff": False})
            self.outbox.add(phone, [state_op(after)])
        if released or values.get("handoff"):
            log.info("bot has the conversation again phone=%s why=%s", mask_phone(phone), why)

    # --- an agent's message --------------------------------------------------------------------

    def _message(self, phone: str, event: ChatwootEvent, message: AgentMessage) -> None:
        if not message.from_human:
            return  # incoming (our mirror of the customer), a bot's, a private note, activity
        if self.confirm_messages and not self._confirmed(event.conversation_id, message):
            log.warning(
                "unsigned agent message not found in Chatwoot, not sent phone=%s message=%s",
                mask_phone(phone),
                message.id,
            )
            return
        if not self.links.first_handling(message.id):
            return
        self._take(phone, "agent_message")
        text = "\n".join(
            [message.content] + [a["url"] for a in message.attachments if a.get("url")]
        ).strip()
        if not text:
            return
        self._send(phone, text, agent=message.sender_name)

    def _confirmed(self, conversation_id: int | None, message: AgentMessage) -> bool:
        """Chatwoot has this message as a public one with this content (it is no forgery)."""
        if self.client is None or conversation_id is None:
            return False  # nothing to confirm it with
        for known in self.client.list_messages(conversation_id):
            if known.get("id") == message.id:
                content = known.get("content") or ""
                return not known.get("private") and content == message.content
        return False

    def _send(self, phone: str, text: str, *, agent: str | None) -> None:
        store, values = self.service.store, self.service.state(phone)
        summary = store.summary(phone)
        if values.get("opted_out") or summary.get("opted_out"):
            self._note(phone, "🚫 No enviado: el cliente se dio de baja (BAJA/STOP).")
            return
        try:
            record = operator.send(
                self.channels,
                phone,
                text,
                summary=summary,
                last_inbound=store.last_inbound_at(phone),
                template=True,
            )
        except operator.CannotSendError as exc:
            self._note(phone, f"⚠️ No enviado al cliente: {exc}.")
            return
        record = {**record, "author": "agent", **({"agent": agent} if agent else {})}
        store.record_exchange(phone, [], record, summary={})
        if self.service.stats and record["status"] == "accepted":
            self.service.stats.record_outbound()
        if record["status"] != "accepted":
            why = (record.get("error") or {}).get("title") or "error"
            self._note(phone, f"⚠️ El mensaje no se pudo entregar al cliente ({why}).")
        elif record.get("template"):
            self._note(
                phone,
                "ℹ️ La ventana de 24 h de WhatsApp estaba cerrada: se envió la plantilla "
                "aprobada en lugar del mensaje. Cuando el cliente responda, escríbele de nuevo.",
            )
        log.info(
            "agent message sent phone=%s status=%s template=%s",
            mask_phone(phone),
            record["status"],
            bool(record.get("template")),
        )

    def _note(self, phone: str, text: str) -> None:
        self.outbox.add(phone, [{"op": "note", "text": text}])


@dataclass
class ChatwootSide:
    """Everything the Chatwoot mirror needs in a process (built by `webhooks.services`)."""

    client: ChatwootClient
    links: ChatwootLinks
    outbox: Outbox
    mirror: ChatwootMirror
    handover: Handover
