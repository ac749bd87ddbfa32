"""RedisSaver on a real server: what the conformance suite does not look at."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict, cast
from uuid import uuid4

import pytest
import redis
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from integrations.redis.keys import ThreadKeys
from integrations.redis.saver import RedisSaver
from integrations.redis.saver_layout import pack, unpack


def _thread_keys(client: redis.Redis, thread_id: str) -> list[bytes]:
    return sorted(k for k in client.scan_iter(count=1000) if f"{{{thread_id}}}".encode() in k)


def _hash_tag(key: bytes) -> bytes:
    """The part of a key Redis Cluster hashes: between the first "{" and the next "}"."""
    start = key.index(b"{")
    return key[start + 1 : key.index(b"}", start + 1)]


def _put(
    saver: RedisSaver,
    thread_id: str,
    parent: RunnableConfig | None,
    values: dict[str, Any],
    ns: str = "",
) -> RunnableConfig:
    """Put a checkpoint whose channels in `values` changed since `parent`."""
    previous = saver.get_tuple(parent) if parent else None
    checkpoint = empty_checkpoint()
    versions = dict(previous.checkpoint["channel_versions"]) if previous else {}
    for channel in values:
        current = versions.get(channel)
        assert current is None or isinstance(current, str)  # this saver's versions are text
        versions[channel] = saver.get_next_version(current, None)
    checkpoint["channel_versions"] = versions
    checkpoint["channel_values"] = {**(previous.checkpoint["channel_values"] if previous else {})}
    checkpoint["channel_values"].update(values)
    config: RunnableConfig = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
    if parent:
        config["configurable"]["checkpoint_id"] = parent["configurable"]["checkpoint_id"]
    new_versions = {channel: versions[channel] for channel in values}
    return saver.put(config, checkpoint, {"source": "loop", "step": 0}, new_versions)


def _memory(client: redis.Redis, keys: list[bytes]) -> int:
    return sum(client.memory_usage(key, samples=0) or 0 for key in keys)


def test_every_key_of_a_thread_carries_the_same_hash_tag(redis_client: redis.Redis) -> None:
    saver = RedisSaver(redis_client)
    parent = None
    for turn in range(3):
        parent = _put(saver, "+34600000001", parent, {"turn": turn})
        saver.put_writes(parent, [("turn", turn + 1)], task_id=f"task-{turn}")
    _put(saver, "+34600000001", None, {"sub": 1}, ns="child:1")
    _put(saver, "other", None, {"turn": 0})

    keys = _thread_keys(redis_client, "+34600000001")
    assert {_hash_tag(k) for k in keys} == {b"+34600000001"}
    assert len(keys) == 5, keys  # idx, cp, blobs, writes, widx: not one key per checkpoint
    assert all(_hash_tag(k) == b"other" for k in _thread_keys(redis_client, "other"))


def test_braces_in_a_thread_id_cannot_move_the_hash_tag(redis_client: redis.Redis) -> None:
    saver = RedisSaver(redis_client)
    for thread_id in ("a}b", "a{b}", "a%7Db"):
        _put(saver, thread_id, None, {"who": thread_id})

    # A client without decode_responses returns keys as bytes.
    tags = {_hash_tag(k) for k in cast(list[bytes], redis_client.keys("*"))}
    assert tags == {b"a%7Db", b"a%7Bb%7D", b"a%257Db"}
    listed = {t.config["configurable"]["thread_id"] for t in saver.list(None)}
    assert listed == {"a}b", "a{b}", "a%7Db"}
    for thread_id in listed:
        found = saver.get_tuple({"configurable": {"thread_id": thread_id}})
        assert found is not None
        assert found.checkpoint["channel_values"] == {"who": thread_id}


def test_ttl_is_set_on_every_key_and_refreshed_by_activity(redis_client: redis.Redis) -> None:
    saver = RedisSaver(redis_client, ttl_seconds=1000)
    config = _put(saver, "t", None, {"a": 1})
    saver.put_writes(config, [("a", 2)], task_id="task")
    keys = _thread_keys(redis_client, "t")
    assert len(keys) == 5
    assert all(990 < redis_client.ttl(k) <= 1000 for k in keys)

    for key in keys:
        redis_client.expire(key, 50)
    saver.put_writes(config, [("a", 3)], task_id="other-task")
    assert all(990 < redis_client.ttl(k) <= 1000 for k in keys)

    for key in keys:
        redis_client.expire(key, 50)
    _put(saver, "t", config, {"a": 4})
    assert all(990 < redis_client.ttl(k) <= 1000 for k in keys)


def test_without_ttl_keys_do_not_expire(redis_client: redis.Redis) -> None:
    saver = RedisSaver(redis_client)
    saver.put_writes(_put(saver, "t", None, {"a": 1}), [("a", 2)], task_id="task")
    assert {redis_client.ttl(k) for k in _thread_keys(redis_client, "t")} == {-1}


def test_keep_last_bounds_checkpoints_writes_blobs_and_memory(redis_client: redis.Redis) -> None:
    saver = RedisSaver(redis_client, keep_last=4)
    ceiling = 4 + saver.trim_slack - 1
    big = "x" * 2000
    parent = _put(saver, "t", None, {"constant": "set once", "big": big, "n": 0})
    configs = [parent]
    memory = []
    for n in range(1, 91):
        parent = _put(saver, "t", parent, {"big": big + str(n), "n": n})
        saver.put_writes(parent, [("n", n), ("big", big)], task_id=f"task-{n}")
        configs.append(parent)
        if n % 30 == 0:
            memory.append(_memory(redis_client, _thread_keys(redis_client, "t")))
        keys = ThreadKeys.of(saver.prefix, "t")
        assert redis_client.zcard(keys.idx) <= ceiling
        assert redis_client.hlen(keys.cp) <= ceiling
        assert redis_client.hlen(keys.writes) <= 2 * ceiling
        assert redis_client.zcard(keys.widx) <= 2 * ceiling
        # one "big" and one "n" blob per checkpoint kept, plus the never-rewritten "constant"
        assert redis_client.hlen(keys.blobs) <= 2 * ceiling + 1

    assert max(memory) < 1.1 * min(memory), memory
    kept = list(saver.list({"configurable": {"thread_id": "t"}}))
    assert [t.config for t in kept] == configs[::-1][: len(kept)]
    assert 4 <= len(kept) <= ceiling
    newest = kept[0]
    assert newest.pending_writes is not None
    assert newest.checkpoint["channel_values"] == {
        "constant": "set once",
        "big": big + "90",
        "n": 90,
    }
    assert [w[1:] for w in newest.pending_writes] == [("n", 90), ("big", big)]
    assert saver.get_tuple(configs[0]) is None


def test_keep_last_trims_each_namespace_on_its_own(redis_client: redis.Redis) -> None:
    saver = RedisSaver(redis_client, keep_last=1)
    root = _put(saver, "t", None, {"a": "root"})
    child = None
    for n in range(5):
        child = _put(saver, "t", child, {"a": n}, ns="child:1")

    found = saver.get_tuple(root)
    assert found is not None
    assert found.checkpoint["channel_values"] == {"a": "root"}
    child_history = list(
        saver.list({"configurable": {"thread_id": "t", "checkpoint_ns": "child:1"}})
    )
    assert [t.config for t in child_history] == [child]
    assert child_history[0].checkpoint["channel_values"] == {"a": 4}


def test_prune_and_delete_for_runs_free_only_what_no_survivor_references(
    redis_client: redis.Redis,
) -> None:
    saver = RedisSaver(redis_client)
    first = _put(saver, "t", None, {"constant": "kept", "n": 0})
    second = _put(saver, "t", first, {"n": 1})
    saver.put_writes(first, [("n", 1)], task_id="task")
    keys = ThreadKeys.of(saver.prefix, "t")
    assert redis_client.hlen(keys.blobs) == 3

    saver.prune(["t"])
    assert redis_client.hlen(keys.blobs) == 2  # n@1 went with the first checkpoint
    assert redis_client.hlen(keys.writes) == redis_client.zcard(keys.widx) == 0
    found = saver.get_tuple(second)
    assert found is not None
    assert found.checkpoint["channel_values"] == {"constant": "kept", "n": 1}

    third = saver.put(
        second,
        {**empty_checkpoint(), "channel_versions": {"n": 9}, "channel_values": {"n": 9}},
        {"source": "loop", "step": 2, "run_id": "run-to-forget"},
        {"n": 9},
    )
    saver.delete_for_runs(["run-to-forget"])
    assert saver.get_tuple(third) is None
    assert redis_client.hlen(keys.blobs) == 2
    newest = saver.get_tuple({"configurable": {"thread_id": "t"}})
    assert newest is not None
    assert newest.config == second


def test_delete_thread_leaves_no_key_behind(redis_client: redis.Redis) -> None:
    saver = RedisSaver(redis_client, ttl_seconds=60)
    saver.put_writes(_put(saver, "t", None, {"a": 1}), [("a", 2)], task_id="task")
    _put(saver, "keep", None, {"a": 1})
    saver.delete_thread("t")
    assert _thread_keys(redis_client, "t") == []
    assert len(_thread_keys(redis_client, "keep")) == 3


def test_a_client_that_decodes_responses_is_refused(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        with pytest.raises(ValueError, match="decode_responses"):
            RedisSaver(client)
    finally:
        client.close()


# --- through a compiled graph ------------------------------------------------------------------


class Chat(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    turns: Annotated[int, operator.add]


def _echo(state: Chat) -> dict:
    heard = state["messages"][-1].content
    return {"messages": [AIMessage(f"eco {state['turns'] + 1}: {heard}")], "turns": 1}


def _recall(state: Chat) -> dict:
    return {}


def _graph(saver: RedisSaver):
    builder = StateGraph(Chat)
    builder.add_node("echo", _echo)
    builder.add_node("recall", _recall)
    builder.add_edge(START, "echo")
    builder.add_edge("echo", "recall")
    builder.add_edge("recall", END)
    return builder.compile(checkpointer=saver)


def test_a_conversation_resumes_after_a_restart(redis_url: str, redis_client: redis.Redis) -> None:
    config = {"configurable": {"thread_id": f"+34{uuid4().int % 10**9}"}}
    first = redis.Redis.from_url(redis_url)
    _graph(RedisSaver(first)).invoke({"messages": [HumanMessage("hola")], "turns": 0}, config)
    first.close()

    # A new process: new client, new saver, new compiled graph; only Redis remembers.
    second = redis.Redis.from_url(redis_url)
    try:
        graph = _graph(RedisSaver(second))
        result = graph.invoke({"messages": [HumanMessage("sigo aquí")]}, config)
        assert [m.content for m in result["messages"]] == [
            "hola",
            "eco 1: hola",
            "sigo aquí",
            "eco 2: sigo aquí",
        ]
        assert result["turns"] == 2
        history = list(graph.get_state_history(config))
        assert history[-1].metadata["source"] == "input"
        assert len(history) == 8  # input, echo, recall, done; twice
    finally:
        second.close()


def test_durability_exit_with_keep_last_keeps_a_conversation_small(
    redis_client: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    saver = RedisSaver(redis_client, keep_last=4, ttl_seconds=3600)
    graph = _graph(saver)
    config = {"configurable": {"thread_id": "+34600000002"}}
    for turn in range(1, 13):
        result = graph.invoke(
            {"messages": [HumanMessage(f"mensaje {turn}")], "turns": 0},
            config,
            durability="exit",
        )
        assert result["turns"] == turn

    state = graph.get_state(config)
    assert state.values["turns"] == 12
    assert len(state.values["messages"]) == 24
    assert state.next == ()
    keys = _thread_keys(redis_client, "+34600000002")
    index = ThreadKeys.of(saver.prefix, "+34600000002").idx
    assert redis_client.zcard(index) <= 4 + saver.trim_slack - 1
    with capsys.disabled():
        print(f"\nMEMORY USAGE, 12 turns, keep_last=4: {_memory(redis_client, keys)} bytes")

    fresh = _graph(RedisSaver(redis_client, keep_last=4))
    result = fresh.invoke({"messages": [HumanMessage("otra vez")]}, config, durability="exit")
    assert result["turns"] == 13


def test_framing_round_trips_and_a_record_header_is_never_shared() -> None:
    # Kinds are parsed once and reused; a record's header is a dict its reader may change.
    for header in ("msgpack", "empty", 'a "quoted" kind', ["task", "ch", "msgpack", "", 0]):
        for payload in (b"", b"x" * 600, b"\n\x00bytes"):
            for _ in range(2):
                assert unpack(pack(header, payload)) == (header, payload)
    record = pack({"versions": {"stage": "1"}, "parent": None}, b"payload")
    first = unpack(record)[0]
    first["versions"]["stage"] = "changed"
    assert unpack(record)[0]["versions"] == {"stage": "1"}


def test_a_put_works_again_after_redis_forgot_its_scripts(redis_client: redis.Redis) -> None:
    # A restarted or flushed Redis has no scripts: the put sends its script's text once more.
    saver = RedisSaver(redis_client)
    first = _put(saver, "t", None, {"a": 1})
    redis_client.script_flush()
    second = _put(saver, "t", first, {"a": 2, "b": "x"})
    found = saver.get_tuple(second)
    assert found is not None
    assert found.checkpoint["channel_values"] == {"a": 2, "b": "x"}
    assert found.parent_config == first
