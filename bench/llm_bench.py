"""Model calls per turn with the llm brain, read from /metrics, for each LLM_REPHRASE setting.

    .venv/bin/python -m bench.llm_bench [--customers 30] [--model-ms 200]

The service's own turn (lock, graph, transcript; `ConversationService.turn`) runs on a real
redis-server with the llm brain against the local OpenAI-compatible test server
(`testkit/openai_server.py`), scripted so that every run takes the same path: it answers a
read with the Reading the rules brain gives the same message, and a rewording with the draft
behind "¡Claro! ", after `--model-ms` (a typical hosted model's latency). The conversations are a
whole textbook sale, then the first `--customers` scripted customers of tests/data.

Rows, in one run: **before**, the session's starting behaviour (every message read by the
model, every reply reworded; emulated by never trusting the rules' Reading), then the rules
reading first with LLM_REPHRASE=all, proposal (the default) and off. Calls per turn by purpose
come from `iagente_llm_calls_total` over `iagente_turn_duration_seconds_count{brain="llm"}` in
GET /metrics; the share of turns with 0, 1 and 2 calls and the p50 turn time come from here.
Exit status 1 if a turn made more than two calls or the default made more than one on average.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

import agent.brains.llm as llm_module
from agent.brains.rules import RulesBrain
from integrations.redis.server import RedisProcess
from testkit.openai_server import FakeOpenAI
from testkit.settings import settings_for
from webhooks.app import create_app
from webhooks.services import build_services

SALE = [
    "Hola",
    "sí",
    "Soy Ana, tengo 35 años, no fumo",
    "150.000 €",
    "20 años",
    "para mi familia, tengo dos hijos",
    "sí",  # the read-back is right
    "la 2",
    "sí",  # the option confirmed
]
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
_EXPECTING = re.compile(r"asked last for: (\w+)")
ROW = "{name:44} {turns:>5} {read:>6} {phrase:>7} {total:>6} {zero:>5} {one:>5} {two:>5} {p50:>7}"


class ScriptedModel(FakeOpenAI):
    """The test server, reading as the rules do (so every mode takes the same path), slowed."""

    def __init__(self, latency: float) -> None:
        """A server that takes `latency` seconds to answer each call."""
        super().__init__()
        self.latency = latency
        self.rules = RulesBrain()

    def answer(self, body: dict) -> dict:
        """A read answered with the rules' Reading of the message; a rewording as the parent's."""
        time.sleep(self.latency)
        if body.get("tools"):
            said = body["messages"][-1]["content"]
            asked = _EXPECTING.search(body["messages"][0]["content"])
            expecting = asked[1] if asked and asked[1] != "nothing" else None
            reading = self.rules.read(said, expecting=expecting, today=date.today())
            self.by_text[said] = reading.model_dump(mode="json", exclude_none=True)
        return super().answer(body)


def customers(limit: int) -> list[list[str]]:
    """The textbook sale, then the lines of the first `limit` scripted customers."""
    scripts = [SALE]
    for path in sorted(DATA.glob("customers*.yaml")):
        for customer in yaml.safe_load(path.read_text()) or []:
            lines = [line if isinstance(line, str) else line["say"] for line in customer["lines"]]
            scripts.append(lines)
    return scripts[: limit + 1]


def scrape(app) -> dict[tuple[str, tuple], float]:
    """Every sample of GET /metrics, by name and labels."""
    text = app.test_client().get("/metrics").get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    """How far one sample moved between two scrapes."""
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@contextmanager
def never_confident(on: bool) -> Iterator[None]:
    """The starting behaviour: the llm brain asks the model to read every message."""
    trusted = llm_module.confident
    if on:
        llm_module.confident = lambda reading, text: False
    try:
        yield
    finally:
        llm_module.confident = trusted


def run_mode(
    redis_url: str,
    model: FakeOpenAI,
    scripts: list[list[str]],
    rephrase: str,
    before_mode: bool,
    tag: str,
) -> dict:
    """Every script through the service's turn; calls per turn from /metrics and from here."""
    settings = settings_for(
        redis_url,
        agent_brain="llm",
        openai_api_key="sk-bench",
        openai_base_url=model.base_url,
        llm_rephrase=rephrase,
    )
    services = build_services(settings)
    app = create_app(services=services)
    logging.getLogger().setLevel(logging.WARNING)  # one INFO line per turn would drown the table
    per_turn: list[int] = []
    seconds: list[float] = []
    start = scrape(app)
    with never_confident(before_mode):
        for n, lines in enumerate(scripts):
            phone = f"+3460{tag}{n:05d}"
            for text in lines:
                calls = len(model.requests)
                started = time.perf_counter()
                services.conversations.turn(phone, text)
                seconds.append(time.perf_counter() - started)
                per_turn.append(len(model.requests) - calls)
    end = scrape(app)
    turns = moved(start, end, "iagente_turn_duration_seconds_count", brain="llm")
    read = moved(start, end, "iagente_llm_calls_total", call="read")
    phrase = moved(start, end, "iagente_llm_calls_total", call="phrase")
    spread = Counter(min(c, 2) for c in per_turn)
    return {
        "turns": int(turns),
        "read": read / turns,
        "phrase": phrase / turns,
        "total": (read + phrase) / turns,
        "zero": spread[0] / len(per_turn),
        "one": spread[1] / len(per_turn),
        "two": spread[2] / len(per_turn),
        "max": max(per_turn),
        "p50_ms": statistics.median(seconds) * 1000,
        "local_turns": len(per_turn),
    }


def main(argv: list[str] | None = None) -> int:
    """Run every mode on the same conversations and print the table; 1 when a bound is missed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=30, help="scripted customers after the sale")
    p.add_argument("--model-ms", type=float, default=200.0, help="the model's latency per call")
    p.add_argument("--json", action="store_true", help="also print the rows as JSON")
    args = p.parse_args(argv)
    scripts = customers(args.customers)
    modes = [
        ("before: model reads all, rewords all", "all", True),
        ("rules first, LLM_REPHRASE=all", "all", False),
        ("rules first, LLM_REPHRASE=proposal (default)", "proposal", False),
        ("rules first, LLM_REPHRASE=off", "off", False),
    ]
    rows = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        RedisProcess(Path(tmp) / "redis") as server,
        ScriptedModel(args.model_ms / 1000) as model,
    ):
        print(
            f"{len(scripts)} conversations ({sum(map(len, scripts))} messages each mode), "
            f"model latency {args.model_ms:.0f} ms; calls per turn from /metrics"
        )
        print(
            ROW.format(
                name="mode",
                turns="turns",
                read="read",
                phrase="phrase",
                total="total",
                zero="0",
                one="1",
                two="2",
                p50="p50 ms",
            )
        )
        for n, (name, rephrase, before_mode) in enumerate(modes):
            row = run_mode(server.url, model, scripts, rephrase, before_mode, tag=f"{n}")
            rows[name] = row
            print(
                ROW.format(
                    name=name,
                    turns=row["turns"],
                    read=f"{row['read']:.2f}",
                    phrase=f"{row['phrase']:.2f}",
                    total=f"{row['total']:.2f}",
                    zero=f"{row['zero']:.0%}",
                    one=f"{row['one']:.0%}",
                    two=f"{row['two']:.0%}",
                    p50=f"{row['p50_ms']:.0f}",
                )
            )
    if args.json:
        print(json.dumps(rows, indent=2))
    default = rows["rules first, LLM_REPHRASE=proposal (default)"]
    failed = any(r["max"] > 2 or r["turns"] != r["local_turns"] for r in rows.values())
    failed = failed or default["total"] > 1
    print(
        "FAILED: a turn made more than two calls, or the default more than one a turn"
        if failed
        else "ok: no turn over two calls; the default under one a turn"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
