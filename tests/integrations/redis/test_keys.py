"""One module names a conversation's keys, and a reset leaves only the phone's Chatwoot link.

Every store's keys are among them; both are checked by scanning a real Redis.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint

from integrations.redis.conversations import ConversationStore
from integrations.redis.keys import ConversationKeys
from integrations.redis.links import ChatwootLinks
from integrations.redis.outbox import Outbox
from integrations.redis.saver import RedisSaver
from integrations.redis.timers import FollowUpTimers
from webhooks.inbound.messages import InboundMessage
from webhooks.inbound.queue import MessageQueue

PHONE, OTHER = "+34600000070", "+34600000071"


def converse(client, phone: str) -> None:
    """Everything the service writes about a phone: a turn, queued and mirrored work, timers."""
    store, queue, links = ConversationStore(client), MessageQueue(client), ChatwootLinks(client)
    outbox = Outbox(client)
    saver = RedisSaver(client)
    checkpoint = empty_checkpoint()
    config: RunnableConfig = {"configurable": {"thread_id": phone, "checkpoint_ns": ""}}
    saved = saver.put(config, checkpoint, {"source": "loop", "step": 0}, {})
    saver.put_writes(saved, [("messages", "hola")], task_id="task")
    store.record_exchange(phone, [{"text": "Hola"}], {"text": "¡Hola!"}, summary={"stage": "X"})
    store.record_status(phone, "wamid.1", {"status": "sent"})
    message = InboundMessage("meta", "whatsapp", phone, f"wamid.in.{phone}", "text", "Hola")
    assert queue.accept(message)
    queue.missed(phone)
    outbox.add(phone, [{"op": "incoming", "text": "Hola"}])
    assert outbox.lease(phone) is not None
    links.save(phone, contact_id=1, source_id="s", conversation_id=7)
    links.take(phone, "customer_request")
    links.creating(phone, "¡Hola!")
    store.lock(phone, timeout=30).acquire()
    FollowUpTimers(client).arm(phone, anchor=1.0, due=2.0)


def keys_naming(client, phone: str) -> set[str]:
    digits = phone.lstrip("+")
    return {key.decode() for key in client.scan_iter(match=f"*{digits}*", count=1000)}


def test_every_key_a_conversation_writes_is_one_the_keys_module_names(redis_client):
    converse(redis_client, PHONE)
    written = keys_naming(redis_client, PHONE)
    keys = ConversationKeys("iagente", PHONE)
    assert written <= set(keys.all), written - set(keys.all)
    assert len(written) >= 15  # records, inbox, outbox, lease, link, checkpoints, lock
    for shared, member in keys.members:
        assert redis_client.zscore(shared, member) is not None


def test_a_reset_leaves_nothing_of_the_phone_but_its_chatwoot_link(redis_client):
    converse(redis_client, PHONE)
    converse(redis_client, OTHER)
    before_other = keys_naming(redis_client, OTHER)
    store = ConversationStore(redis_client)
    keys = store.keys(PHONE)

    store.forget(PHONE)
    ChatwootLinks(redis_client).release(PHONE)  # what the admin reset does besides

    # The turn lock is the resetter's: it goes when released (here: never taken by a turn).
    assert keys_naming(redis_client, PHONE) == {keys.chatwoot, keys.lock}
    redis_client.delete(keys.lock)
    link = ChatwootLinks(redis_client)
    assert link.get(PHONE) == {"contact_id": "1", "source_id": "s", "conversation_id": "7"}
    assert not link.human(PHONE)
    for shared, member in keys.members:
        assert redis_client.zscore(shared, member) is None
    assert Outbox(redis_client).due(limit=10) == [OTHER]
    assert keys_naming(redis_client, OTHER) == before_other
    assert MessageQueue(redis_client).inbox(PHONE) == []
    assert RedisSaver(redis_client).get_tuple({"configurable": {"thread_id": PHONE}}) is None
