"""When the rules brain's Reading of a message can be trusted without asking a chat model.

The llm brain reads every message with the rules first and asks the model only when this says
no. A Reading is *confident* when all of these hold:

1. the message is short: at most FREE_FORM_WORDS (16) words; longer prose is free-form, and
   the rules read phrases, not stories (about 2 % of the test customers' messages are longer);
2. the intent is a known one: not `unknown`, not `off_topic` (the rules' guess for "none of my
   words"), and a question or objection has a topic other than `other`;
3. the message is Spanish (no `language` read);
4. every figure in it is accounted for: each number the rules see (digits, or words such as
   "treinta y cinco", "150 mil") is a value of the Reading — age, cover, term, dependants,
   an option, the age a cover should end at, the day, month or year of a birth date, or the
   months (or years) since quitting tobacco. A figure left over ("200.000 dólares", "mi hija
   de 7 y mi hijo de 9" read as two dependants) means the rules missed something.
"""

from __future__ import annotations

from agent.brains.base import Reading
from agent.brains.spanish_numbers import find_numbers, normalise

FREE_FORM_WORDS = 16
_UNSURE = frozenset({"unknown", "off_topic"})


def free_form(text: str) -> bool:
    """More words than the rules brain reads with confidence."""
    return len(text.split()) > FREE_FORM_WORDS


def figures_of(reading: Reading) -> set[int]:
    """Every number the Reading holds, as a customer could have written it."""
    values = [
        reading.age,
        reading.cover,
        reading.term,
        reading.dependants,
        reading.option,
        reading.term_end_age,
        *reading.options_mentioned,
    ]
    if reading.birth_date is not None:
        born = reading.birth_date
        values += [born.day, born.month, born.year, born.year % 100]
    if reading.quit_months is not None:
        values.append(reading.quit_months)
        if reading.quit_months % 12 == 0:
            values.append(reading.quit_months // 12)
    return {value for value in values if value is not None}


def unaccounted_figures(reading: Reading, text: str) -> list[int]:
    """Numbers of `text` the Reading does not hold (weak words such as "un" are not figures)."""
    held = figures_of(reading)
    return [m.value for m in find_numbers(normalise(text)) if not m.weak and m.value not in held]


def confident(reading: Reading, text: str) -> bool:
    """Whether the rules' `reading` of `text` is trusted as is (see the module's four rules)."""
    if free_form(text) or reading.intent in _UNSURE or reading.language:
        return False
    if reading.intent in ("question", "objection") and reading.topic in (None, "other"):
        return False
    return not unaccounted_figures(reading, text)
