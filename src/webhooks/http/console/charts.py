"""The console's charts as geometry for server-rendered SVG (the templates draw the shapes).

Numbers in, rectangles and labels out: no JavaScript, nothing inline for the CSP to refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from integrations.redis.stats import DayCount

STAGE_NAMES = {
    "INICIO": "Inicio",
    "NEEDS_ANALYSIS": "Análisis de necesidades",
    "COTIZACION": "Cotización",
    "PRESENTACION_PROPUESTA": "Propuesta",
    "FINALIZADO": "Finalizado",
}

FUNNEL_WIDTH, FUNNEL_ROW, FUNNEL_LABEL = 640, 40, 200
DAYS_WIDTH, DAYS_HEIGHT, DAYS_BOTTOM = 640, 200, 24

Bar = TypeVar("Bar")


@dataclass(frozen=True)
class FunnelBar:
    """One stage of the funnel chart."""

    name: str
    reached: int
    conversion: str  # "—" for the first stage
    y: int
    width: float


@dataclass(frozen=True)
class Chart(Generic[Bar]):
    """A chart: its bars, and the size of the SVG they are drawn in."""

    bars: tuple[Bar, ...]
    width: int
    height: int


@dataclass(frozen=True)
class Funnel(Chart[FunnelBar]):
    """The funnel chart: one bar per stage, widths relative to the widest."""

    label_width: int


@dataclass(frozen=True)
class DayBars:
    """Messages in and out of one day, as two bars."""

    day: str
    x: float
    width: float
    in_height: float
    out_height: float
    messages_in: int
    messages_out: int


@dataclass(frozen=True)
class Days(Chart[DayBars]):
    """The messages-per-day chart."""

    bottom: int
    top: int  # the largest day's count, for the axis label
    first: str
    last: str


def percent(share: float | None) -> str:
    """A share (0.5) as Spanish shows it (50,0 %), or a dash."""
    return "—" if share is None else f"{share * 100:.1f} %".replace(".", ",")


def duration(millis: float | None) -> str:
    """A response time as Spanish shows it: 850 ms, 2,4 s, or a dash."""
    if millis is None:
        return "—"
    if millis < 1000:
        return f"{round(millis)} ms"
    return f"{millis / 1000:.1f} s".replace(".", ",")


def funnel(stages: Sequence[dict]) -> Funnel:
    """The funnel of a stats report (`stage`, `reached`, `conversion` per stage)."""
    widest = max((s["reached"] for s in stages), default=0) or 1
    room = FUNNEL_WIDTH - FUNNEL_LABEL - 150  # keep room for the figures after the bar
    bars = tuple(
        FunnelBar(
            name=STAGE_NAMES.get(s["stage"], s["stage"]),
            reached=s["reached"],
            conversion=percent(s["conversion"]),
            y=n * FUNNEL_ROW,
            width=round(room * s["reached"] / widest, 1),
        )
        for n, s in enumerate(stages)
    )
    return Funnel(bars, FUNNEL_WIDTH, FUNNEL_ROW * len(bars), FUNNEL_LABEL)


def days(counts: Sequence[DayCount]) -> Days:
    """Bars of messages in and out per day."""
    top = max((max(d.messages_in, d.messages_out) for d in counts), default=0)
    slot = DAYS_WIDTH / max(1, len(counts))
    plot = DAYS_HEIGHT - DAYS_BOTTOM - 8

    def height(value: int) -> float:
        return round(plot * value / top, 1) if top else 0.0

    bars = tuple(
        DayBars(
            day=d.day.isoformat(),
            x=round(n * slot, 2),
            width=round(max(0.5, slot * 0.4), 2),
            in_height=height(d.messages_in),
            out_height=height(d.messages_out),
            messages_in=d.messages_in,
            messages_out=d.messages_out,
        )
        for n, d in enumerate(counts)
    )
    first = counts[0].day.isoformat() if counts else ""
    last = counts[-1].day.isoformat() if counts else ""
    return Days(bars, DAYS_WIDTH, DAYS_HEIGHT, DAYS_BOTTOM, top, first, last)
