"""What a Spanish message asks for: commands (opt-out first), objections, questions, yes and no."""

from __future__ import annotations

import re
from typing import cast, get_args

from agent.brains import lexicon
from agent.brains.base import Intent, Topic
from agent.brains.spanish_numbers import MONTH

# The patterns of agent/data/spanish/intents.toml, by name.
RX = lexicon.load("intents", MONTH=MONTH)


def _topics() -> tuple[tuple[Intent, Topic, re.Pattern[str]], ...]:
    """The data file's topic rows, in order, checked against the Reading's intents and topics."""
    rows = []
    for labels, rx in RX.rows("topics"):
        intent, name = labels["intent"], labels["topic"]
        if intent not in get_args(Intent) or name not in get_args(Topic):
            raise lexicon.LexiconError(f"spanish/intents.toml: unknown topic {intent}/{name}")
        rows.append((cast("Intent", intent), cast("Topic", name), rx))
    return tuple(rows)


# First match wins, in the data file's order.
TOPICS = _topics()


def price_named(norm: str) -> float | None:
    """The price a message picks an option by; a bare small number is an option's number."""
    m = RX["price_pick"].search(norm)
    if not m:
        return None
    price = float(m["price"].replace(",", "."))
    return price if price > 3 or m["said"] or m["when"] else None


def command(norm: str, core: str) -> Intent | None:
    """opt_out, opt_in, restart or handoff: they win over anything else the message says."""
    if (
        RX["opt_out_whole"].fullmatch(core)
        or RX["opt_out"].search(norm)
        or (RX["opt_out_baja"].search(norm) and not RX["about_policy"].search(norm))
    ):
        return "opt_out"
    if RX["opt_in_whole"].fullmatch(core) or RX["opt_in"].search(norm):
        return "opt_in"
    if RX["restart"].search(core):
        return "restart"
    if RX["resume"].search(norm):
        return "resume"
    if RX["handoff"].search(norm) or (
        RX["handoff_noun"].search(norm)
        and not RX["bot"].search(norm)
        and not RX["advisor_when"].search(norm)
    ):
        return "handoff"
    return None


def topic(norm: str, core: str) -> tuple[Intent, Topic] | None:
    """The objection or question the message raises, by the first topic that matches."""
    for intent, name, rx in TOPICS:
        if rx.search(norm):
            return intent, name
    if ("?" in norm or RX["question_lead"].match(core)) and RX["on_topic"].search(norm):
        return "question", "other"
    return None


def all_topics(norm: str) -> list[Topic]:
    """Every topic the message asks about, in the order it asks them (several pasted at once)."""
    if norm.count("?") < 2 and "," not in norm and " y " not in norm:
        return []
    hits = sorted(
        (m.start(), name)
        for intent, name, rx in TOPICS
        if intent == "question" and (m := rx.search(norm))
    )
    return list(dict.fromkeys(name for _, name in hits))


def strip_filler(core: str) -> str:
    """`core` without the "bueno", "pues", "mmm" it starts with.

    A reply that is only filler keeps its words but the hesitation: "mmm bueno" is "bueno".
    """
    if RX["filler"].fullmatch(core + " "):
        return RX["hesitation"].sub("", core)
    return RX["filler"].sub("", core)


def yes_no(norm: str, core: str) -> tuple[bool, bool]:
    """(yes, no): from how the reply starts, else from a thumbs emoji anywhere.

    A yes that only softens a delay or a no-thanks is not one: "vale, me lo pienso" is
    neither, "ah ok, gracias igual" is a no.
    """
    if RX["not_sure"].match(core):
        return False, False
    if RX["no_thanks"].search(core):  # "vale pues no gracias": a no, however it starts
        return False, True
    no = bool(RX["deny"].match(core) or RX["deny_whole"].fullmatch(core))
    yes = not no and bool(
        RX["affirm"].match(core) or RX["affirm_whole"].fullmatch(core) or RX["accept"].search(core)
    )
    if yes and "?" in norm and RX["bueno_asked"].fullmatch(core):
        return False, False
    hedged = RX["think"].search(norm) or RX["wait"].search(norm)  # "vale, espera"
    if yes and (RX["not_really"].search(core) or hedged):
        return False, bool(RX["not_really"].search(core))
    if yes or no:
        return yes, no
    up, down = bool(RX["thumbs_up"].search(norm)), bool(RX["thumbs_down"].search(norm))
    return up and not down, down and not up
