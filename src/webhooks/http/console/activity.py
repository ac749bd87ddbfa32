"""The console's funnel and activity for a chosen period, and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import Response, abort, render_template, request

from integrations.redis.stats import StatsReport
from webhooks.http.console import charts
from webhooks.http.console.blueprint import bp
from webhooks.services import services_of
from webhooks.turns import operations

PERIODS = (7, 30, 90)  # the quick choices, in days


def _period() -> tuple[date, date]:
    """(since, today) from `desde` (a date) or `dias` (a number of days); 30 days by default."""
    services = services_of()
    if services.conversations.stats is None:
        abort(404)
    today = services.conversations.stats.now().date()
    earliest = services.conversations.stats.earliest()
    if raw := request.args.get("desde"):
        try:
            since = date.fromisoformat(raw)
        except ValueError:
            abort(400, "desde debe ser una fecha AAAA-MM-DD")
        if since > today:
            abort(400, "desde está en el futuro")
        return max(since, earliest), today
    raw_days = request.args.get("dias", "30")
    if not (raw_days.isascii() and raw_days.isdigit() and 1 <= int(raw_days) <= 400):
        abort(400, "dias debe ser un número entre 1 y 400")
    return max(today - timedelta(days=int(raw_days) - 1), earliest), today


def _report() -> tuple[StatsReport, dict]:
    since, _ = _period()
    report = operations.report(services_of(), since)
    return report, operations.numbers(services_of(), report)


@bp.get("/actividad")
def activity() -> str:
    """Funnel, messages per day, response times, active customers and leads since a date."""
    report, figures = _report()
    return render_template(
        "console/activity.html",
        figures=figures,
        report=report,
        funnel=charts.funnel(figures["funnel"]),
        days=charts.days(report.days),
        periods=PERIODS,
        since=report.since.date().isoformat(),
        chosen=request.args.get("dias") if not request.args.get("desde") else None,
        percent=charts.percent,
        duration=charts.duration,
    )


@bp.get("/actividad.csv")
def activity_csv() -> Response:
    """The same figures as a spreadsheet: the admin API's rows, then leads and each day."""
    report, figures = _report()
    rows = operations.stats_rows(figures)
    rows.append(["leads", report.leads])
    for day in report.days:
        rows.append([f"day.{day.day.isoformat()}.messages_in", day.messages_in])
        rows.append([f"day.{day.day.isoformat()}.messages_out", day.messages_out])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(["" if v is None else v for v in row] for row in rows)
    name = f"actividad-{report.since.date().isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
