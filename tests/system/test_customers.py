"""The issue-10 corpus: scripted customers through the compiled graph, rules brain, real Redis.

Each customer in data/customers*.yaml (our own customers.yaml, and independently written ones such
as customers_holdout.yaml) writes its lines in order; afterwards the final state must
show the expected outcome, the captured profile, and a quote equal to the tariff's price for the
data the customer actually gave ("no close on wrong data"). Every turn is also held to the
confirmed-sale rules: nothing is priced before the data was read back, no option is registered
without a confirmation, and after an opt-out the bot stays silent.

A line is a string, or a mapping with `say` and checks on the state right after it:
`expecting`, `stage` (a value or a list of allowed values), `reply_has` / `reply_lacks`
(case-insensitive substrings; "a|b" means either), `unset` (profile fields still unknown).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import yaml
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig

from agent.brains.rules import RulesBrain
from agent.context import AgentContext
from agent.graph import build_graph
from agent.quote import QuoteEngine
from agent.state import AgentState
from integrations.redis.saver import RedisSaver
from testkit import DATA

CORPUS = DATA / "customers.yaml"  # our own corpus: the one held to the issue's coverage
CORPORA = sorted(DATA.glob("customers*.yaml"))
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ENGINE = QuoteEngine()

CLASSES = range(1, 13)
OUTCOMES = ("close", "handover", "ineligible", "opt_out", "none")
DIALLING = {"ES": "+34", "MX": "+52", "AR": "+54", "CO": "+57", "CL": "+56", "PE": "+51",
            "VE": "+58", "UY": "+598", "EC": "+593", "US-hispanic": "+1", "EN": "+44"}  # fmt: skip
PRICED = ("age", "smoker", "cover", "term")
_ASKING = (None, "INICIO", "NEEDS_ANALYSIS")  # stages before any quote
# Second-person forms a reply to a customer who says "usted" must not use.
_TU = re.compile(
    r"\b(?:te llamas|tienes|fumas|vapeas|quieres|prefieres|dime|puedes|escr[ií]beme|"
    r"dependen de ti|te quedas|tu consentimiento)\b",
    re.IGNORECASE,
)


def load_corpus(path: Path = CORPUS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


OWN = load_corpus()
CUSTOMERS = [customer for path in CORPORA for customer in load_corpus(path)]


def _param(customer: dict):
    marks = []
    if reason := customer.get("known_failure"):
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(customer, id=customer["id"], marks=marks)


@dataclass
class Turn:
    said: str
    state: dict

    @property
    def reply(self) -> str:
        return self.state.get("reply") or ""


def _spec(line: str | dict) -> dict:
    return {"say": line} if isinstance(line, str) else line


def _phone(customer: dict) -> str:
    index = CUSTOMERS.index(customer)
    return f"{DIALLING[customer['country']]}6{index:08d}"


def converse(customer: dict, redis_url: str) -> list[Turn]:
    """Drive the customer's lines through a freshly compiled graph on the test Redis."""
    client = redis.Redis.from_url(redis_url)
    try:
        graph = build_graph().compile(checkpointer=RedisSaver(client))
        context = AgentContext(brain=RulesBrain(), quotes=ENGINE, clock=lambda: NOW)
        config: RunnableConfig = {"configurable": {"thread_id": _phone(customer)}}
        turns = []
        for line in customer["lines"]:
            text = _spec(line)["say"]
            turn: AgentState = {"messages": [HumanMessage(text)], "channel": "whatsapp"}
            state = graph.invoke(turn, config, context=context)
            turns.append(Turn(text, state))
        return turns
    finally:
        client.close()


def transcript(turns: list[Turn]) -> str:
    out = []
    for n, turn in enumerate(turns, start=1):
        s = turn.state
        out.append(f"{n:>2}. customer: {turn.said}")
        where = f"{s.get('stage')}, expecting={s.get('expecting')}"
        reply = turn.reply.replace("\n", "\n              ") or "(silence)"
        out.append(f"    bot [{where}]: {reply}")
    return "\n".join(out)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _allowed(value) -> list:
    return value if isinstance(value, list) else [value]


def line_problems(n: int, spec: dict, turn: Turn) -> list[str]:
    problems, state, reply = [], turn.state, _fold(turn.reply)
    where = f"line {n} ({spec['say']!r})"
    if "expecting" in spec and state.get("expecting") not in _allowed(spec["expecting"]):
        problems.append(f"{where}: expecting {state.get('expecting')!r}, want {spec['expecting']}")
    if "stage" in spec and state.get("stage") not in _allowed(spec["stage"]):
        problems.append(f"{where}: stage {state.get('stage')!r}, want {spec['stage']}")
    for wanted in spec.get("reply_has", []):
        if not any(_fold(alt) in reply for alt in wanted.split("|")):
            problems.append(f"{where}: reply lacks {wanted!r}")
    for unwanted in spec.get("reply_lacks", []):
        if _fold(unwanted) in reply:
            problems.append(f"{where}: reply says {unwanted!r}")
    for field in spec.get("unset", []):
        if (state.get("profile") or {}).get(field) is not None:
            problems.append(f"{where}: took {field}={state['profile'][field]!r}")
    return problems


def flow_problems(customer: dict, turns: list[Turn]) -> list[str]:
    """The confirmed-sale rules, turn by turn."""
    problems = []
    before: dict = {}
    for n, turn in enumerate(turns, start=1):
        state, where = turn.state, f"line {n} ({turn.said!r})"
        quote, chosen, asked = state.get("quote"), state.get("chosen"), before.get("expecting")
        first_quote = quote and quote != before.get("quote") and before.get("stage") in _ASKING
        if first_quote and asked != "readback":
            problems.append(f"{where}: priced without a read-back of the data")
        if chosen and chosen != before.get("chosen") and asked != "confirm_option":
            problems.append(f"{where}: registered {chosen!r} without asking to confirm it")
        if before.get("opted_out") and state.get("opted_out") and turn.reply:
            problems.append(f"{where}: wrote after the opt-out")
        if n > 1 and turn.reply and turn.reply == turns[n - 2].reply:
            problems.append(f"{where}: repeated its previous reply word for word")
        if customer.get("register") == "usted" and n > 1 and (tu := _TU.search(turn.reply)):
            problems.append(f"{where}: said {tu.group(0)!r} to a customer who says usted")
        problems += line_problems(n, _spec(customer["lines"][n - 1]), turn)
        before = state
    return problems


def insured_relation(state: dict) -> str | None:
    """Who the insured is to the customer ("padre", "mujer"...); None when it is themself."""
    profile = state.get("profile") or {}
    return profile.get("insured_relation") if profile.get("insured") == "other" else None


def _same(field: str, want, got) -> bool:
    """Equal values; a name matches when it starts with the expected words (accents aside)."""
    if field == "name":
        words = _fold(want).split()
        return isinstance(got, str) and _fold(got).split()[: len(words)] == words
    return got == want and type(got) is type(want)


def outcome_problems(expect: dict, state: dict) -> list[str]:
    problems = []
    outcome = expect["outcome"]
    lead, chosen, handoff = state.get("lead"), state.get("chosen"), state.get("handoff")

    def check(condition: bool, message: str) -> None:
        if not condition:
            problems.append(message)

    if outcome == "close":
        check(state.get("stage") == "FINALIZADO", f"stage {state.get('stage')!r}, want FINALIZADO")
        check(bool(lead), "no lead registered")
        check(chosen == expect["option"], f"chosen {chosen!r}, want {expect['option']!r}")
    else:
        check(not lead and chosen is None, f"closed on {chosen!r} (lead={lead}) but want {outcome}")
    if outcome == "handover":
        check(bool(handoff), "no handover")
    if "reason" in expect:
        reason = state.get("handoff_reason")
        check(reason == expect["reason"], f"handoff_reason {reason!r}, want {expect['reason']!r}")
    if outcome == "ineligible":
        want = expect.get("ineligible")
        got = state.get("ineligible")
        check(got == want if want else bool(got), f"ineligible {got!r}, want {want or 'set'}")
    if outcome == "opt_out":
        check(bool(state.get("opted_out")), "not opted out")
    else:
        check(not state.get("opted_out"), "opted out")
    if outcome == "none":
        check(not handoff, f"handed over ({state.get('handoff_reason')})")
    if "handoff" in expect:
        check(bool(handoff) == expect["handoff"], f"handoff {handoff!r}, want {expect['handoff']}")
    if "stage" in expect:
        stage = state.get("stage")
        check(stage == expect["stage"], f"stage {stage!r}, want {expect['stage']!r}")
    if "consent" in expect:
        given = (state.get("consent") or {}).get("given")
        check(given == expect["consent"], f"consent {given!r}, want {expect['consent']}")

    priced, quote = expect.get("priced"), state.get("quote")
    got = quote and {k: quote.get(k) for k in PRICED}
    if priced:
        data = {k: priced[k] for k in PRICED}
        check(quote == ENGINE.quote(**data), f"priced {got}, want {data}")
        relation, want = insured_relation(state), priced.get("insured")
        check(relation == want, f"insured {relation!r}, want {want or 'the customer'}")
    else:
        check(quote is None, f"priced {got}, want no quote")

    profile = state.get("profile") or {}
    wanted = {**({k: priced[k] for k in PRICED} if priced else {}), **expect.get("profile", {})}
    for field, value in wanted.items():
        got = profile.get(field)
        check(_same(field, value, got), f"profile {field}={got!r}, want {value!r}")
    return problems


@pytest.mark.parametrize("customer", [_param(c) for c in CUSTOMERS])
def test_customer(customer: dict, redis_url: str) -> None:
    turns = converse(customer, redis_url)
    problems = flow_problems(customer, turns)
    problems += outcome_problems(customer["expect"], turns[-1].state)
    heading = f"{customer['id']} ({customer['country']}, classes {customer['classes']})"
    listed = "\n".join(f"  - {p}" for p in problems)
    assert not problems, f"{heading}: {customer['about']}\n{listed}\n\n{transcript(turns)}"


def test_ids_are_unique_across_the_corpora() -> None:
    ids = [c["id"] for c in CUSTOMERS]
    assert CORPUS in CORPORA and len(CORPORA) > 1
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]


def test_the_corpus_covers_the_issue() -> None:
    ids = [c["id"] for c in OWN]
    assert len(OWN) >= 80 and len(set(ids)) == len(ids)
    classes = Counter(k for c in OWN for k in c["classes"])
    assert all(classes[k] >= 5 for k in CLASSES), classes
    outcomes = Counter(c["expect"]["outcome"] for c in OWN)
    assert set(outcomes) <= set(OUTCOMES)
    assert all(outcomes[o] >= 4 for o in ("close", "handover", "ineligible", "opt_out")), outcomes
    countries = Counter(c["country"] for c in OWN)
    assert set(countries) == set(DIALLING), countries
    assert 0.25 <= countries["ES"] / len(OWN) <= 0.4, countries


_KEYS = {"id", "country", "classes", "about", "register", "lines", "expect", "known_failure"}


@pytest.mark.parametrize("customer", CUSTOMERS, ids=[c["id"] for c in CUSTOMERS])
def test_a_customer_is_well_formed(customer: dict) -> None:
    assert set(customer) <= _KEYS and customer["about"]
    assert customer["classes"] and set(customer["classes"]) <= set(CLASSES)
    assert customer["country"] in DIALLING
    assert all(isinstance(_spec(line)["say"], str) for line in customer["lines"])
    expect = customer["expect"]
    assert expect["outcome"] in OUTCOMES
    if priced := expect.get("priced"):
        quote = ENGINE.quote(**{k: priced[k] for k in PRICED})  # raises outside the tariff
        if expect["outcome"] == "close":
            assert expect["option"] in [o["id"] for o in quote["options"]]
    else:
        assert expect["outcome"] != "close"
