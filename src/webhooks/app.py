"""The Flask application factory: long-lived objects are built once, here."""

from __future__ import annotations

import logging
import time

from flask import Flask

from integrations.chatwoot import ChatwootClient
from integrations.redis.delivery_log import DeliveryLog
from integrations.redis.health import HealthBook
from integrations.redis.links import ChatwootLinks
from integrations.redis.outbox import Outbox
from webhooks import logs
from webhooks.http import errors
from webhooks.inbound.queue import MessageQueue
from webhooks.settings import Settings
from webhooks.turns.channels import Channels
from webhooks.turns.conversations import ConversationService, build_service, connect_redis

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, service: ConversationService | None = None
) -> Flask:
    settings = settings or Settings()
    logs.configure(settings.log_level, secrets=logs.secrets_of(settings))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    errors.init_app(app)
    client = connect_redis(settings)
    if service is None:
        service = build_service(settings, client)
    chatwoot_on = ChatwootClient.from_settings(settings) is not None
    app.extensions["iagente"] = {
        "settings": settings,
        "service": service,
        "queue": MessageQueue(client),
        "health": HealthBook(client),
        "deliveries": DeliveryLog(client),
        "channels": Channels.from_settings(settings),
        "chatwoot_links": ChatwootLinks(client) if chatwoot_on else None,
        "chatwoot_outbox": Outbox(client) if chatwoot_on else None,
        "started": time.monotonic(),
    }
    if settings.allow_unsigned_webhooks:
        log.warning("ALLOW_UNSIGNED_WEBHOOKS is on: provider signatures are NOT checked")
    if chatwoot_on and not settings.chatwoot_webhook_secret:
        log.warning(
            "CHATWOOT_WEBHOOK_SECRET is unset: agent messages are confirmed with Chatwoot's API"
        )
    if settings.twilio_auth_token and not settings.public_base_url:
        log.warning("PUBLIC_BASE_URL is unset: Twilio signatures fail behind a proxy")

    from webhooks.http.admin import bp as admin_bp
    from webhooks.http.providers import bp as providers_bp
    from webhooks.http.status import bp as status_bp
    from webhooks.metrics import bp as metrics_bp

    app.register_blueprint(status_bp)
    app.register_blueprint(providers_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(metrics_bp)
    return app
