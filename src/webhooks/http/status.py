"""GET /webhook/status: health for anyone, without personal data.

`status` is "ok" when Redis answers and no configured service's latest call failed, "degraded"
otherwise; the HTTP code is 503 only when Redis is down (then nothing can work), so a load
balancer keeps a degraded instance, which still queues messages, in rotation.
"""

from __future__ import annotations

import time
from importlib.metadata import version

import redis
from flask import Blueprint, Response, jsonify

from webhooks.services import Services, services_of

bp = Blueprint("status", __name__)

# Evolution API's licence asks that administrators be told it is in use.
EVOLUTION_NOTICE = "WhatsApp by QR code through Evolution API (evolution-api.com, Apache-2.0)"


def _configured(services: Services) -> dict[str, bool]:
    settings = services.settings
    return {
        "meta": bool(settings.whatsapp_token and settings.whatsapp_phone_number_id),
        "twilio": bool(settings.twilio_account_sid and settings.twilio_auth_token),
        "evolution": bool(settings.evolution_api_url and settings.evolution_instance),
        "chatwoot": services.chatwoot is not None,
        "archive": services.archive is not None,
    }


@bp.get("/webhook/status")
def status() -> tuple[Response, int]:
    """Health of Redis and of each configured service, without personal data."""
    body, code = report(services_of())
    return jsonify(body), code


def report(services: Services) -> tuple[dict, int]:
    """The status document and its HTTP code (the console's overview shows the same)."""
    settings, service, queue = services.settings, services.conversations, services.queue
    brain = service.context.brain.name
    components: dict[str, dict] = {
        "brain": {"configured": True, "kind": brain}
        | ({"model": settings.llm_model} if brain == "llm" else {}),
    }
    try:
        service.store.ping()
        components["redis"] = {"configured": True, "reachable": True}
        seen = services.health.read_all(list(_configured(services)))
        depth = queue.depth()
        if services.chatwoot is not None:
            seen["chatwoot"] = seen.get("chatwoot", {}) | {
                "outbox": services.chatwoot.outbox.backlog()
            }
        if services.archive is not None:
            # The SQL archive's writes waiting in Redis: they grow while the database is away.
            seen["archive"] = seen.get("archive", {}) | {
                "outbox": services.archive.outbox.backlog()
            }
        if services.evolution is not None:
            # The linked phone's state as Evolution last reported it; a lost link is degraded.
            seen["evolution"] = seen.get("evolution", {}) | {
                "connection": services.evolution.connection(),
                "notice": EVOLUTION_NOTICE,
            }
    except redis.RedisError as exc:
        components["redis"] = {
            "configured": True,
            "reachable": False,
            "last_error": type(exc).__name__,
        }
        seen, depth = {}, None
    for name, configured in _configured(services).items():
        components[name] = {"configured": configured} | (seen.get(name, {}) if configured else {})

    redis_up = components["redis"]["reachable"]
    failing = any(c.get("reachable") is False for c in components.values())
    return {
        "status": "ok" if redis_up and not failing else "degraded",
        "version": version("iagente-vida"),
        "uptime_seconds": round(time.monotonic() - services.started, 1),
        "queue": depth,
        "components": components,
    }, (200 if redis_up else 503)
