"""GET /webhook/status: health for anyone, without personal data."""

from __future__ import annotations

import time
from importlib.metadata import version

import redis
from flask import Blueprint, current_app, jsonify

bp = Blueprint("status", __name__)


def _redis_component(service) -> dict:
    try:
        service.store.ping()
    except redis.RedisError as exc:
        return {"configured": True, "reachable": False, "last_error": type(exc).__name__}
    return {"configured": True, "reachable": True}


@bp.get("/webhook/status")
def status():
    ext = current_app.extensions["iagente"]
    settings, service = ext["settings"], ext["service"]
    components = {
        "redis": _redis_component(service),
        "brain": {"configured": True, "kind": service.context.brain.name},
        "meta": {"configured": bool(settings.whatsapp_token and settings.whatsapp_phone_number_id)},
        "twilio": {"configured": bool(settings.twilio_account_sid and settings.twilio_auth_token)},
        "chatwoot": {
            "configured": bool(settings.chatwoot_base_url and settings.chatwoot_user_token)
        },
    }
    healthy = components["redis"]["reachable"]
    return jsonify(
        status="ok" if healthy else "degraded",
        version=version("iagente-vida"),
        uptime_seconds=round(time.monotonic() - ext["started"], 1),
        components=components,
    ), (200 if healthy else 503)
