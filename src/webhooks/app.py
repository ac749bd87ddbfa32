"""The Flask application factory: long-lived objects are built once, here."""

from __future__ import annotations

import time

from flask import Flask

from webhooks.service import build_service, connect_redis
from webhooks.settings import Settings


def create_app(settings: Settings | None = None, *, service=None) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__)
    if service is None:
        service = build_service(settings, connect_redis(settings))
    app.extensions["iagente"] = {
        "settings": settings,
        "service": service,
        "started": time.monotonic(),
    }

    from webhooks.status import bp as status_bp

    app.register_blueprint(status_bp)
    return app
