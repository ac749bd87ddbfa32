"""`iagente chat` as a user runs it: piped lines in, replies out, state kept across runs."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import redis

from integrations.redis.conversations import ConversationStore

SALE = "Hola\nsí\nSoy Ana, tengo 35 años y no fumo\n150 mil\n"
REST = "20 años\npara mi familia\nsí\nla 2\nsí\n"


def chat(redis_url: str, phone: str, lines: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REDIS_URL": redis_url, "AGENT_BRAIN": "rules"}
    return subprocess.run(
        [sys.executable, "-m", "webhooks.cli", "chat", "--phone", phone],
        input=lines,
        text=True,
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )


def test_a_piped_chat_reaches_finalizado_and_resumes_after_a_restart(redis_url):
    first = chat(redis_url, "+34600300100", SALE)
    assert "agente [NEEDS_ANALYSIS]>" in first.stdout and "cuántos años" in first.stdout
    second = chat(redis_url, "+34600300100", REST)  # a new process: the conversation goes on
    assert "agente [PRESENTACION_PROPUESTA]>" in second.stdout
    assert "agente [FINALIZADO]>" in second.stdout and "Recomendada" in second.stdout
    assert "¿Cómo te llamas?" not in second.stdout


def test_concurrent_processes_on_one_phone_lose_nothing(redis_url):
    lines = {n: "".join(f"proceso {n} mensaje {i}\n" for i in range(10)) for n in range(3)}
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda n: chat(redis_url, "+34600300200", lines[n]), lines))
    store = ConversationStore(redis.Redis.from_url(redis_url))
    transcript = store.transcript("+34600300200")
    inbound = [e["text"] for e in transcript if e["direction"] == "in"]
    assert sorted(inbound) == sorted(
        line for text in lines.values() for line in text.split("\n") if line
    )
    for n in lines:
        mine = [int(t.split()[-1]) for t in inbound if t.startswith(f"proceso {n} ")]
        assert mine == list(range(10))
    assert [e["direction"] for e in transcript] == ["in", "out"] * 30
