"""Tests for the Spanish vocabulary loader: fragments spliced, and every mismatch loud."""

from __future__ import annotations

import pytest

from agent.brains.lexicon import LexiconError, parse


def test_fragments_are_spliced_and_lists_joined() -> None:
    text = """
    WORD = '(?:si|no)'
    answer = ['^<<WORD>>', '\\b<<GIVEN>>$']  # pieces are joined
    """
    rx = parse(text, "t.toml", GIVEN="(?:ok)")
    assert rx["answer"].pattern == r"^(?:si|no)\b(?:ok)$"
    assert rx.fragment("WORD") == "(?:si|no)"
    assert list(rx) == ["answer"]


def test_rows_keep_order_labels_and_same_as() -> None:
    text = """
    price = 'caro'
    [[topics]]
    intent = 'objection'
    same_as = 'price'
    [[topics]]
    intent = 'question'
    pattern = 'cuanto'
    """
    rx = parse(text, "t.toml")
    rows = rx.rows("topics")
    assert [labels["intent"] for labels, _ in rows] == ["objection", "question"]
    assert rows[0][1] is rx["price"]
    assert rows[1][1].pattern == "cuanto"


@pytest.mark.parametrize(
    ("text", "given", "message"),
    [
        ("a = '<<MISSING>>'", {}, "<<MISSING>>, which is not defined"),
        ("A = 'x<<A>>'\nb = '<<A>>'", {}, "<<A>>, which is not defined or contains itself"),
        ("A = 'x'\nb = 'y'", {}, "nothing uses: ['A']"),
        ("b = 'y'", {"G": "z"}, "nothing uses: ['G']"),
        ("G = 'x'\nb = '<<G>>'", {"G": "z"}, "both given in code and written: ['G']"),
        ("b = 3", {}, "b is neither a string nor a list of strings"),
        ("[[rows]]\nsame_as = 'nope'", {}, "same_as names no pattern defined before it"),
    ],
)
def test_mismatches_fail_at_load(text: str, given: dict[str, str], message: str) -> None:
    with pytest.raises(LexiconError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(text, "t.toml", **given)
