"""What a customer's queued messages say to the funnel: their text, a tapped option, an opt-out."""

from __future__ import annotations

from datetime import date

from agent.brains.spanish import read_spanish
from webhooks.inbound.messages import InboundMessage


def opts_out(text: str) -> bool:
    """The customer asks for no more messages (read without a model: it must always work)."""
    return read_spanish(text, expecting=None, today=date.today()).intent == "opt_out"


def tapped_option(message: InboundMessage) -> int | None:
    """The quoted option a tapped button picks (payload `option:<n>`), else None."""
    choice = message.choice or ""
    if message.kind != "button" or not choice.startswith("option:"):
        return None
    number = choice.removeprefix("option:")
    return int(number) if number.isascii() and number.isdigit() and len(number) < 4 else None


def as_text(message: InboundMessage) -> str:
    """What the brain reads of a message: its text, a tapped option, a media caption."""
    if (option := tapped_option(message)) is not None:
        return f"opción {option}"  # read with the words it came with (see `what_was_said`)
    if message.kind in ("text", "button"):
        return message.text
    if message.transcript:
        return message.transcript  # a voice note's words
    if message.kind in ("image", "video", "document") and message.text:
        return message.text  # a caption
    return ""


def what_was_said(batch: list[InboundMessage]) -> tuple[str, int | None]:
    """The turn's text, and the option tapped when taps are all the customer said.

    The graph takes a tap as structured input, not as words to read again (a model call with
    the llm brain). A tap among written words is read with them, as "opción <n>".
    """
    said = [m for m in batch if as_text(m)]
    taps = [tapped_option(m) for m in said]
    if said and all(taps):
        return "\n".join(m.text for m in said if m.text), taps[-1]
    return "\n".join(map(as_text, said)), None
