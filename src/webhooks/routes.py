"""Provider webhooks: verify, normalise, queue, answer at once. No turn runs on this path."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request

from webhooks import meta_events, twilio_events
from webhooks.messages import InboundMessage, StatusUpdate
from webhooks.phones import mask_phone

log = logging.getLogger(__name__)
bp = Blueprint("providers", __name__)


def _ext() -> dict:
    return current_app.extensions["iagente"]


def _secret(name: str) -> str | None:
    value = getattr(_ext()["settings"], name)
    return value.get_secret_value() if value is not None else None


def _queue(messages: list[InboundMessage], statuses: list[StatusUpdate]) -> tuple[int, int]:
    queue = _ext()["queue"]
    new = sum(queue.accept(m) for m in messages)
    for status in statuses:
        queue.accept_status(status)
    for m in messages:
        log.info("accepted provider=%s phone=%s kind=%s", m.provider, mask_phone(m.phone), m.kind)
    return new, len(messages) - new


def _refuse(status: int, why: str):
    log.warning("webhook refused path=%s status=%s why=%s", request.path, status, why)
    abort(Response(json.dumps({"error": why}), status=status, mimetype="application/json"))


@bp.get("/webhook/whatsapp")
def meta_verification():
    challenge = meta_events.verify_subscription(request.args, _secret("whatsapp_verify_token"))
    if challenge is None:
        _refuse(403, "verification failed")
    return Response(challenge, mimetype="text/plain")


@bp.post("/webhook/whatsapp")
def meta_webhook():
    body = request.get_data(cache=False)  # 413 past MAX_CONTENT_LENGTH
    secret = _secret("whatsapp_app_secret")
    if secret:
        try:
            meta_events.verify_signature(body, request.headers.get("X-Hub-Signature-256"), secret)
        except meta_events.SignatureMissingError:
            _refuse(401, "signature missing")
        except meta_events.SignatureError:
            _refuse(403, "signature invalid")
    elif not _ext()["settings"].allow_unsigned_webhooks:
        _refuse(403, "WHATSAPP_APP_SECRET is not configured")
    try:
        messages, statuses = meta_events.parse_payload(json.loads(body))
    except (ValueError, meta_events.PayloadError):
        _refuse(400, "not a WhatsApp Business Account webhook")
    new, duplicates = _queue(messages, statuses)
    return jsonify(accepted=new, duplicates=duplicates, statuses=len(statuses))


def _twilio_form() -> dict:
    """The verified form of a Twilio webhook (403 when the signature does not match)."""
    settings = _ext()["settings"]
    form = request.form
    token = _secret("twilio_auth_token")
    if token:
        base = settings.public_base_url or request.host_url
        url = twilio_events.signed_url(base, request.path, request.query_string)
        if not twilio_events.signature_valid(
            url, form, request.headers.get("X-Twilio-Signature"), token
        ):
            _refuse(403, "signature invalid")
    elif not settings.allow_unsigned_webhooks:
        _refuse(403, "TWILIO_AUTH_TOKEN is not configured")
    return form


def _twiml() -> Response:
    return Response(twilio_events.EMPTY_TWIML, mimetype="text/xml")


@bp.post("/webhook/twilio")
def twilio_webhook():
    form = _twilio_form()
    try:
        message = twilio_events.parse_message(form)
    except twilio_events.FormError:
        _refuse(400, "not a Twilio message webhook")
    _queue([message], [])
    return _twiml()


@bp.post("/webhook/twilio/status")
def twilio_status():
    form = _twilio_form()
    try:
        status = twilio_events.parse_status(form)
    except twilio_events.FormError:
        _refuse(400, "not a Twilio status callback")
    _queue([], [status])
    return _twiml()
