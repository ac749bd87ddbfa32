"""Provider webhooks: verify, normalise, queue, answer at once. No turn runs on this path."""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, g, jsonify, request

from integrations.messaging.phones import mask_phone
from integrations.redis.evolution import EvolutionBook
from webhooks import logs, metrics
from webhooks.inbound import chatwoot as chatwoot_events
from webhooks.inbound import client_json
from webhooks.inbound import evolution as evolution_events
from webhooks.inbound import meta as meta_events
from webhooks.inbound import twilio as twilio_events
from webhooks.inbound.messages import InboundMessage, StatusUpdate
from webhooks.inbound.queue import MessageQueue
from webhooks.services import Services, services_of
from webhooks.settings import Settings

log = logging.getLogger(__name__)
# What one provider callback carries: messages and delivery statuses.
Events = tuple[list[InboundMessage], list[StatusUpdate]]
bp = Blueprint("providers", __name__)

# What an answer means when the view did not say (Werkzeug raises 413 before the view can).
_OUTCOMES = {400: "malformed", 401: "missing_signature", 403: "forged", 413: "too_large"}
# A caller's request id is echoed and logged: letters, digits and . : _ - of ASCII only.
_REQUEST_ID = re.compile(r"[\w.:\-]{1,64}", re.ASCII)


@dataclass(slots=True)
class _Webhook:
    """The webhook being answered, in `g.webhook`: its id, and what its line and record will say.

    One object read once per hook or view: each read of `g` or `request` is a lookup through
    Werkzeug's context-local proxies, and the hooks did about twenty of them per webhook.
    """

    request_id: str
    log_tokens: Mapping[str, contextvars.Token]
    started: float
    outcome: str | None = None  # None: the answer's status says (see _OUTCOMES)
    phone: str | None = None  # masked


@bp.before_request
def _start() -> None:
    started = time.perf_counter()
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _REQUEST_ID.fullmatch(given) else logs.new_id()
    g.webhook = _Webhook(request_id, logs.bind(request_id=request_id), started)


@bp.after_request
def _handled(response: Response) -> Response:
    """One line and one count per webhook, whatever its outcome."""
    webhook = _webhook()
    # Set: a blueprint's after_request runs only for requests routed to one of its views.
    provider = _provider(request.endpoint or "")
    status = response.status_code
    outcome = webhook.outcome or _OUTCOMES.get(status, "error")
    _requests_counter(provider, outcome).inc()
    elapsed_ms = round((time.perf_counter() - webhook.started) * 1000, 1)
    _services().deliveries.record(
        provider=provider, outcome=outcome, status=status, ms=elapsed_ms, phone=webhook.phone
    )
    log.log(
        logging.INFO if status < 400 else logging.WARNING,
        "webhook",
        extra={
            "provider": provider,
            "outcome": outcome,
            "status": status,
            "ms": elapsed_ms,
            "phone": webhook.phone,
            "request_id": webhook.request_id,
        },
    )
    response.headers["X-Request-Id"] = webhook.request_id
    return response


@bp.teardown_request
def _finish(exc: BaseException | None) -> None:
    if webhook := g.pop("webhook", None):
        logs.reset(webhook.log_tokens)


@functools.lru_cache(maxsize=16)
def _provider(endpoint: str) -> str:
    """`providers.meta_webhook` -> `meta`."""
    return endpoint.removeprefix("providers.").split("_")[0]


@functools.lru_cache(maxsize=256)
def _requests_counter(provider: str, outcome: str) -> Any:
    """The labelled counter, found once: `labels()` validates and locks on every call (3 µs)."""
    return metrics.WEBHOOK_REQUESTS.labels(provider, outcome)


def _webhook() -> _Webhook:
    return g.webhook


def _services() -> Services:
    return services_of()


def _secret(settings: Settings, name: str) -> str | None:
    value = getattr(settings, name)
    return value.get_secret_value() if value is not None else None


def _queue(
    queue: MessageQueue, messages: list[InboundMessage], statuses: list[StatusUpdate]
) -> tuple[int, int]:
    new = sum(queue.accept(m) for m in messages)
    for status in statuses:
        queue.accept_status(status)
    for m in messages:
        log.debug("queued provider=%s phone=%s kind=%s", m.provider, mask_phone(m.phone), m.kind)
    phones = [m.phone for m in messages] + [s.phone for s in statuses if s.phone]
    webhook = _webhook()
    webhook.phone = mask_phone(phones[0]) if phones else None
    if new:
        webhook.outcome = "accepted"
    elif messages:
        webhook.outcome = "duplicate"
    else:
        webhook.outcome = "status" if statuses else "ignored"
    return new, len(messages) - new


def _refuse(status: int, why: str, outcome: str) -> NoReturn:
    _webhook().outcome = outcome
    abort(Response(json.dumps({"error": why}), status=status, mimetype="application/json"))


@bp.get("/webhook/whatsapp")
def meta_verification() -> Response:
    """Meta's subscription check: the challenge back when the verify token matches."""
    settings = _services().settings
    challenge = meta_events.verify_subscription(
        request.args, _secret(settings, "whatsapp_verify_token")
    )
    if challenge is None:
        _refuse(403, "verification failed", "verification_failed")
    _webhook().outcome = "verified"
    return Response(challenge, mimetype="text/plain")


@bp.post("/webhook/whatsapp")
def meta_webhook() -> Response:
    """Meta's messages and statuses, signature checked, queued for the worker."""
    services = _services()
    body = request.get_data(cache=False)  # 413 past MAX_CONTENT_LENGTH
    secret = _secret(services.settings, "whatsapp_app_secret")
    if secret:
        try:
            meta_events.verify_signature(body, request.headers.get("X-Hub-Signature-256"), secret)
        except meta_events.SignatureMissingError:
            _refuse(401, "signature missing", "missing_signature")
        except meta_events.SignatureError:
            _refuse(403, "signature invalid", "forged")
    elif not services.settings.allow_unsigned_webhooks:
        _refuse(403, "WHATSAPP_APP_SECRET is not configured", "unconfigured")
    try:
        messages, statuses = meta_events.parse_payload(client_json.loads(body))
    except ValueError:  # ClientJSONError and PayloadError too
        _refuse(400, "not a WhatsApp Business Account webhook", "malformed")
    messages, statuses, foreign = _served(services.settings, messages, statuses)
    new, duplicates = _queue(services.queue, messages, statuses)
    if foreign and not messages and not statuses:
        _webhook().outcome = "foreign_number"
    return Response(
        _meta_answer(new, duplicates, len(statuses), foreign), content_type="application/json"
    )


@functools.lru_cache(maxsize=64)
def _meta_answer(new: int, duplicates: int, statuses: int, foreign: int) -> bytes:
    """The body jsonify would write, made once per distinct answer.

    jsonify cost 6 % of this webhook's CPU (the JSON provider's lookups, sort and encoding).
    """
    answer = {"accepted": new, "duplicates": duplicates, "statuses": statuses}
    if foreign:
        answer["foreign_number"] = foreign
    return json.dumps(answer, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def _served(
    settings: Settings, messages: list[InboundMessage], statuses: list[StatusUpdate]
) -> tuple[list[InboundMessage], list[StatusUpdate], int]:
    """What reached one of our Meta numbers, and how much reached another app's number."""
    served = settings.whatsapp_phone_number_ids
    if not served:
        return messages, statuses, 0  # no number configured: none to tell ours from others'
    kept = [m for m in messages if m.our_number in served]
    kept_statuses = [s for s in statuses if s.our_number in served]
    foreign = len(messages) - len(kept) + len(statuses) - len(kept_statuses)
    if foreign:
        metrics.META_FOREIGN_NUMBER.inc(foreign)
        log.info("meta webhook: %d events for a phone_number_id we don't serve ignored", foreign)
    return kept, kept_statuses, foreign


def _twilio_form() -> dict:
    """The verified form of a Twilio webhook (403 when the signature does not match)."""
    settings = _services().settings
    form = request.form
    token = _secret(settings, "twilio_auth_token")
    if token:
        base = settings.public_base_url or request.host_url
        url = twilio_events.signed_url(base, request.path, request.query_string)
        if not twilio_events.signature_valid(
            url, form, request.headers.get("X-Twilio-Signature"), token
        ):
            _refuse(403, "signature invalid", "forged")
    elif not settings.allow_unsigned_webhooks:
        _refuse(403, "TWILIO_AUTH_TOKEN is not configured", "unconfigured")
    return form


def _twiml() -> Response:
    return Response(twilio_events.EMPTY_TWIML, mimetype="text/xml")


def _twilio(read: Callable[[Any], Events], what: str) -> Response:
    """A Twilio callback: signature checked, `read` from its form and queued, empty TwiML back.

    A form that is not a Twilio `what` is a 400.
    """
    form = _twilio_form()
    try:
        messages, statuses = read(form)
    except twilio_events.FormError:
        _refuse(400, f"not a Twilio {what}", "malformed")
    _queue(_services().queue, messages, statuses)
    return _twiml()


@bp.post("/webhook/twilio")
def twilio_webhook() -> Response:
    """A Twilio inbound message (SMS or WhatsApp), signature checked, queued."""
    return _twilio(lambda form: ([twilio_events.parse_message(form)], []), "message webhook")


@bp.post("/webhook/twilio/status")
def twilio_status() -> Response:
    """A Twilio status callback of a message we sent, signature checked, queued."""
    return _twilio(lambda form: ([], [twilio_events.parse_status(form)]), "status callback")


@bp.post("/webhook/evolution")
def evolution_webhook() -> Response:
    """Evolution API events: JWT checked; messages and statuses queued, link state noted.

    Evolution stops retrying on 400/401/403/404/422 and retries anything else: a failure on
    our side (Redis down) must answer 5xx, which the error handler does.
    """
    body = request.get_data(cache=False)
    services = _services()
    settings = services.settings
    token = _secret(settings, "evolution_webhook_token")
    if token:
        try:
            evolution_events.verify_token(request.headers.get("Authorization"), token)
        except evolution_events.TokenMissingError:
            _refuse(401, "bearer token missing", "missing_signature")
        except evolution_events.TokenError:
            _refuse(403, "bearer token invalid or expired", "forged")
    elif not settings.allow_unsigned_webhooks:
        _refuse(403, "EVOLUTION_WEBHOOK_TOKEN is not configured", "unconfigured")
    try:
        event = evolution_events.parse_event(client_json.loads(body), received_at=time.time())
    except ValueError:
        _refuse(400, "not an Evolution API webhook", "malformed")
    if settings.evolution_instance and event.instance != settings.evolution_instance:
        _webhook().outcome = "foreign_instance"
        return jsonify(accepted=0, ignored="another instance")
    book = _evolution_book()
    messages = []
    for message, where in event.messages:
        if not where.phone_known and where.lid and (phone := book.phone_of(where.lid)):
            message = replace(message, phone=phone)  # a LID already seen with its phone
        book.remember(
            message.phone, reply_jid=where.reply_jid, read_jid=where.read_jid, lid=where.lid
        )
        messages.append(message)
    statuses = []
    for status, lid in event.statuses:
        if status.phone is None and lid and (phone := book.phone_of(lid)):
            status = replace(status, phone=phone)
        statuses.append(status)
    new, duplicates = _queue(services.queue, messages, statuses)
    if event.connection is not None:
        _linked(book, event.connection)
    answer = {"accepted": new, "duplicates": duplicates, "statuses": len(statuses)}
    return jsonify(answer | ({"ignored": event.ignored} if event.ignored else {}))


def _evolution_book() -> EvolutionBook:
    book = _services().evolution
    if book is None:  # services built without it: a 5xx, so that Evolution retries
        raise RuntimeError("the services have no Evolution book")
    return book


def _linked(book: EvolutionBook, connection: evolution_events.Connection) -> None:
    """Note the linked number's state; a lost link is logged and shows in /webhook/status."""
    services = _services()
    book.set_connection(connection.state, connection.reason)
    _webhook().outcome = "connection"
    if connection.state == "open":
        services.health.ok("evolution")
        log.info("evolution: the WhatsApp number is linked (state open)")
    elif connection.state in ("close", "refused"):
        services.health.failed("evolution", f"{connection.reason} {connection.state}")
        log.warning(
            "evolution: the WhatsApp number is disconnected (state %s, reason %s); link it "
            "again with `iagente whatsapp-web link`",
            connection.state,
            connection.reason,
        )
    elif connection.qr:
        log.info("evolution: a new QR code is waiting to be scanned")


# Chatwoot events the worker acts on; everything else is acknowledged and ignored.
CHATWOOT_EVENTS = {
    "message_created",
    "conversation_status_changed",
    "conversation_updated",
    "conversation_opened",
    "conversation_resolved",
}


@bp.post("/webhook/chatwoot")
def chatwoot_webhook() -> Response:
    """Account webhook or agent-bot events: an agent's reply, status and assignment changes."""
    body = request.get_data(cache=False)
    services = _services()
    secret = _secret(services.settings, "chatwoot_webhook_secret")
    if secret:
        try:
            chatwoot_events.verify_signature(
                secret,
                body,
                request.headers.get("X-Chatwoot-Signature"),
                request.headers.get("X-Chatwoot-Timestamp"),
            )
        except chatwoot_events.SignatureError as exc:
            if exc.reason == "missing":
                _refuse(401, "signature missing", "missing_signature")
            _refuse(403, f"signature {exc.reason}", "forged")
    try:
        event = chatwoot_events.parse_event(client_json.loads(body))
    except ValueError:
        _refuse(400, "not a Chatwoot event", "malformed")
    webhook = _webhook()
    webhook.phone = mask_phone(event.phone) if event.phone else None
    if services.chatwoot is None:
        webhook.outcome = "unconfigured"
        return jsonify(ignored="Chatwoot is not configured")
    links, settings = services.chatwoot.links, services.settings
    delivery = request.headers.get("X-Chatwoot-Delivery")
    if delivery and not links.first_delivery(delivery):
        webhook.outcome = "duplicate"
        return jsonify(accepted=0, duplicate=True)
    wanted = event.event in CHATWOOT_EVENTS and (
        event.event != "message_created" or (event.message and event.message.from_human)
    )
    other_inbox = event.inbox_id is not None and event.inbox_id != settings.chatwoot_inbox_id
    ours = event.conversation_id is not None and links.phone_of(event.conversation_id)
    if not wanted or other_inbox or not ours:
        webhook.outcome = "ignored"
        return jsonify(accepted=0, event=event.event)
    if event.message and links.is_ours(ours, event.message.id, event.message.content):
        # One of the messages our mirror created, coming back: no need to queue it.
        webhook.outcome = "echo"
        return jsonify(accepted=0, event=event.event, echo=True)
    services.queue.accept_event(event.to_json())
    webhook.outcome = "accepted"
    return jsonify(accepted=1, event=event.event)
