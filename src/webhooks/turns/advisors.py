"""Outside the advisors' business hours, a handover or a new lead says when an advisor will write.

The funnel hands a conversation to a person (a lead, a customer asking for one...) whatever the
time; when BUSINESS_HOURS say nobody is working, the reply gains a line with when they start, in
the customer's own local time, and agents get a private note in Chatwoot saying what was said.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from agent import texts, voice
from agent.context import utc_now
from agent.hours import BusinessHours, customer_zone
from webhooks.turns.conversations import TurnResult

NOTE_KEY = "after_hours_note"  # in a turn result's values: the note for Chatwoot


class AdvisorHours:
    """When advisors work (BUSINESS_HOURS, BUSINESS_HOLIDAYS), said to customers handed over."""

    def __init__(self, hours: BusinessHours, *, clock: Callable[[], datetime] = utc_now) -> None:
        """Advisors working `hours`; `clock` is the current time (tests pass their own)."""
        self.hours = hours
        self.clock = clock

    def tell(self, phone: str, before: dict, result: TurnResult) -> TurnResult:
        """`result`, with when an advisor will write when this turn handed over out of hours."""
        after = result.values
        handed_over = after.get("handoff") and not before.get("handoff")
        if not handed_over or result.replayed or not result.reply:
            return result
        now = self.clock()
        if self.hours.is_open(now):
            return result
        start = self.hours.next_open(now)
        zone = customer_zone(phone, self.hours.zone)
        when = texts.advisor_when(start.astimezone(zone), now.astimezone(zone))
        line = texts.AFTER_HOURS.format(when=when)
        if after.get("formal"):
            line = voice.formal(line)
        note = (
            f"🕘 Fuera del horario comercial ({self.hours.text}): se ha dicho al cliente que un "
            f"asesor le escribirá {when} (hora del cliente, {zone.key}), es decir el "
            f"{texts.WEEKDAYS[start.weekday()]} {start:%d/%m a las %H:%M} ({self.hours.zone.key})."
        )
        return replace(result, reply=f"{result.reply}\n\n{line}", values={**after, NOTE_KEY: note})

    @staticmethod
    def notes(after: dict | None) -> list[dict]:
        """The Chatwoot private note `tell` left in a turn's values, if it left one."""
        note = (after or {}).get(NOTE_KEY)
        return [{"op": "note", "text": note}] if note else []
