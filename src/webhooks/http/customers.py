"""A customer's data on request (admin): export everything held, or erase it (GDPR art. 15, 17)."""

from __future__ import annotations

import json
import logging
from typing import NoReturn

from flask import Blueprint, Response, abort, jsonify, request

from integrations.messaging.phones import mask_phone
from webhooks.http.admin import authorise
from webhooks.inbound import client_json
from webhooks.inbound.phones import PhoneError, normalise_phone
from webhooks.records import customer
from webhooks.records.archive import Archive
from webhooks.services import Services, services_of

log = logging.getLogger(__name__)
bp = Blueprint("customers", __name__)
bp.before_request(authorise)


def _fail(status: int, why: str) -> NoReturn:
    abort(Response(json.dumps({"error": why}), status, mimetype="application/json"))


def _parts(raw_phone: str) -> tuple[Services, Archive, str]:
    services = services_of()
    try:
        phone = normalise_phone(raw_phone)
    except PhoneError:
        _fail(400, "not an E.164 phone number")
    if services.archive is None:
        _fail(404, "this service keeps no archive")
    return services, services.archive, phone


@bp.get("/webhook/customer/<phone>/export")
def export(phone: str) -> Response:
    """Everything held about the phone, in Redis and in the archive, as JSON."""
    services, archive, phone = _parts(phone)
    try:
        found = customer.export(services, archive, phone)
    except customer.ArchiveUnavailableError:
        _fail(503, "the archive database is unavailable: try again later")
    if found is None:
        _fail(404, "nothing is held about this phone")
    log.info("customer data exported phone=%s", mask_phone(phone))
    return jsonify(found)


@bp.post("/webhook/customer/<phone>/erase")
def erase(phone: str) -> Response:
    """Erase the phone's data (Redis, archive, optionally Chatwoot) but what a legal hold keeps."""
    services, archive, phone = _parts(phone)
    raw = request.get_data()
    body: object = {}
    if raw.strip():
        try:
            body = client_json.loads(raw)
        except client_json.ClientJSONError:
            _fail(400, 'the body must be JSON, for example {"chatwoot": true}')
    if (
        not isinstance(body, dict)
        or set(body) - {"chatwoot"}
        or not isinstance(body.get("chatwoot", False), bool)
    ):
        _fail(400, 'the body may only say {"chatwoot": true|false}')
    try:
        done = customer.erase(services, archive, phone, chatwoot=body.get("chatwoot", False))
    except customer.ArchiveUnavailableError:
        _fail(503, "the archive database is unavailable: nothing was erased, try again later")
    held_until = None
    if done["held"]:
        held_until = f"{archive.policy.years} years after each record was made"
    return jsonify(phone=phone, erased=True, held_until=held_until, **done)
