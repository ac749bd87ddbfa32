"""The console's overview: components, the queue, the Chatwoot outbox, webhook URLs, checks."""

from __future__ import annotations

from flask import render_template

from webhooks.cli.banner import webhook_urls
from webhooks.cli.checks import CheckOutcome, outcomes
from webhooks.http import status
from webhooks.http.console.blueprint import bp
from webhooks.services import services_of

COMPONENT_NAMES = {
    "redis": "Redis",
    "brain": "Cerebro",
    "meta": "Meta WhatsApp",
    "twilio": "Twilio",
    "chatwoot": "Chatwoot",
    "evolution": "Evolution",
}


def _page(checks: list[CheckOutcome] | None = None) -> str:
    services = services_of()
    report, _ = status.report(services)
    components = [
        {"id": name, "name": COMPONENT_NAMES.get(name, name), **state}
        for name, state in report["components"].items()
    ]
    outbox = report["components"].get("chatwoot", {}).get("outbox")
    return render_template(
        "console/overview.html",
        report=report,
        components=components,
        outbox=outbox,
        urls=webhook_urls(services.settings),
        public=bool(services.settings.public_base_url),
        checks=checks,
    )


@bp.get("/")
def overview() -> str:
    """Each component's state and latest outcome, the queue and outbox, the URLs to paste."""
    return _page()


@bp.post("/checks")
def checks() -> str:
    """Run the same checks as `iagente check` and show their results on the overview."""
    return _page(outcomes(services_of().settings))
