"""The Flask application factory: the blueprints, on services built once (`webhooks.services`)."""

from __future__ import annotations

import logging

from flask import Flask

from webhooks import logs
from webhooks.http import errors
from webhooks.services import Services, build_services
from webhooks.settings import Settings, load_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Flask:
    """The web app on `services`, or on services built from `settings`.

    Settings default to the environment. REDIS_URL must be set: the embedded Redis is started
    by the launcher.
    """
    if services is None:
        services = build_services(settings or load_settings())
    settings = services.settings
    logs.configure(settings.log_level, secrets=logs.secrets_of(settings))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    errors.init_app(app)
    services.init_app(app)
    if settings.allow_unsigned_webhooks:
        log.warning("ALLOW_UNSIGNED_WEBHOOKS is on: provider signatures are NOT checked")
    if services.chatwoot is not None and not settings.chatwoot_webhook_secret:
        log.warning(
            "CHATWOOT_WEBHOOK_SECRET is unset: agent messages are confirmed with Chatwoot's API"
        )
    if settings.twilio_auth_token and not settings.public_base_url:
        log.warning("PUBLIC_BASE_URL is unset: Twilio signatures fail behind a proxy")

    from webhooks.http import console
    from webhooks.http.admin import bp as admin_bp
    from webhooks.http.customers import bp as customers_bp
    from webhooks.http.providers import bp as providers_bp
    from webhooks.http.status import bp as status_bp
    from webhooks.metrics import bp as metrics_bp

    app.register_blueprint(status_bp)
    app.register_blueprint(providers_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(customers_bp)
    app.register_blueprint(metrics_bp)
    console.init_app(app)
    return app
