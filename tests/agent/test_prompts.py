"""The llm brain's reading prompt describes the same fields and rules as the rules brain."""

from __future__ import annotations

import string

from agent import prompts
from agent.brains.base import Reading


def test_the_read_prompt_takes_only_what_the_llm_brain_fills_in():
    names = {name for _, name, _, _ in string.Formatter().parse(prompts.READ_SYSTEM) if name}
    assert names == {"expecting", "today"}


def test_the_read_prompt_names_every_field_of_the_reading():
    text = prompts.READ_SYSTEM.format(expecting="age", today="2025-06-01")
    missing = [field for field in Reading.model_fields if field not in text]
    assert missing == []


def test_the_read_prompt_states_the_rules_that_prevent_a_mis_sale():
    text = prompts.READ_SYSTEM
    for rule in (
        "never picks",  # questions, comparisons, hesitation and negation about options
        "never euros",  # foreign currencies
        "smoker null",  # ex-smokers are left to the tariff's rule
        "opt_out whenever",  # opt-out wins wherever it appears
        "the correction wins",  # read-back corrections
    ):
        assert rule in text
