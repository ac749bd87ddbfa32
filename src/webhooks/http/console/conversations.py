"""The console's conversations: the filtered list, one conversation, and the operator's actions."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from agent.state import STAGES
from webhooks.http.console.blueprint import bp
from webhooks.http.console.charts import STAGE_NAMES
from webhooks.http.openapi import CHANNELS, MAX_TEXT
from webhooks.inbound.phones import PhoneError, normalise_phone
from webhooks.services import services_of
from webhooks.turns import operations
from webhooks.turns.operations import OperationError
from webhooks.turns.replies import window_closed

PER_PAGE = 25
YES_NO = {"si": True, "no": False}
# Why nothing went out (OperationError texts, in English for the API), said in Spanish.
REFUSALS = {
    "opted out": "El cliente se ha dado de baja: no se le pueden enviar mensajes.",
    "no template": "La ventana de 24 horas está cerrada y no hay plantilla configurada.",
    "no sender": "No hay remitente configurado para el canal del cliente.",
    "window": "La ventana de 24 horas está cerrada.",
}


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except PhoneError:
        abort(404)


def _choice(name: str, allowed: dict) -> object | None:
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if raw not in allowed:
        abort(400, f"{name} no es válido")
    return allowed[raw]


def _filters() -> tuple[dict, Callable[[dict], bool] | None]:
    """The list's filters from the query, and the test a conversation must pass."""
    stage = _choice("etapa", {s: s for s in STAGES})
    channel = _choice("canal", {c: c for c in CHANNELS})
    handoff = _choice("traspaso", YES_NO)
    lead = _choice("lead", YES_NO)
    digits = "".join(c for c in request.args.get("telefono", "") if c.isascii() and c.isdigit())
    chosen = {
        "etapa": stage or "",
        "canal": channel or "",
        "traspaso": request.args.get("traspaso", ""),
        "lead": request.args.get("lead", ""),
        "telefono": digits,
    }
    if not any((stage, channel, handoff is not None, lead is not None, digits)):
        return chosen, None
    service = services_of().conversations

    def keep(item: dict) -> bool:
        if stage and item["stage"] != stage:
            return False
        if channel and item["channel"] != channel:
            return False
        if handoff is not None and item["handoff"] != handoff:
            return False
        if digits and digits not in item["phone"]:
            return False
        if lead is not None:
            # A lead is a confirmed choice, so only FINALIZADO needs its checkpoint read.
            is_lead = item["stage"] == "FINALIZADO" and bool(
                service.state(item["phone"]).get("lead")
            )
            return is_lead == lead
        return True

    return chosen, keep


@bp.get("/conversaciones")
def conversations() -> str:
    """The kept conversations, newest activity first, filtered and searched by phone."""
    raw_page = request.args.get("pagina", "1")
    if not (raw_page.isascii() and raw_page.isdigit() and 1 <= int(raw_page) <= 100_000):
        abort(400, "pagina no es válida")
    page = int(raw_page)
    chosen, keep = _filters()
    start = (page - 1) * PER_PAGE
    # One more than a page tells whether there is a next one.
    matches = operations.matching(services_of().conversations, keep)
    found = list(islice(matches, start, start + PER_PAGE + 1))
    return render_template(
        "console/conversations.html",
        items=found[:PER_PAGE],
        page=page,
        more=len(found) > PER_PAGE,
        chosen=chosen,
        query={k: v for k, v in chosen.items() if v},
        stages=STAGES,
        stage_names=STAGE_NAMES,
        channels=CHANNELS,
    )


def _chatwoot_url(phone: str) -> str | None:
    services = services_of()
    settings = services.settings
    if services.chatwoot is None or not settings.chatwoot_base_url:
        return None
    conversation_id = services.chatwoot.links.get(phone).get("conversation_id")
    if not conversation_id:
        return None
    base = settings.chatwoot_base_url.rstrip("/")
    return f"{base}/app/accounts/{settings.chatwoot_account_id}/conversations/{conversation_id}"


@bp.get("/conversaciones/<phone>")
def conversation(phone: str) -> str:
    """One conversation: transcript, profile, quote, consent, needs record, and actions."""
    phone = _phone(phone)
    services = services_of()
    try:
        found = operations.detail(services, phone)
    except OperationError as exc:
        abort(exc.status)
    store = services.conversations.store
    return render_template(
        "console/conversation.html",
        c=found,
        stage_name=STAGE_NAMES.get(found["stage"], found["stage"]),
        chatwoot_url=_chatwoot_url(phone),
        window_closed=window_closed(
            found["channel"], store.last_inbound_at(phone), found["provider"]
        ),
        max_text=MAX_TEXT,
    )


def _back(phone: str) -> Response:
    return redirect(url_for("console.conversation", phone=phone), 303)


def _refusal(exc: OperationError) -> str:
    why = str(exc)
    for clue, said in REFUSALS.items():
        if clue in why:
            return said
    return f"No se ha podido: {why}"


@bp.post("/conversaciones/<phone>/mensaje")
def send_message(phone: str) -> Response:
    """Send the operator's text (the approved template when the window is closed)."""
    phone = _phone(phone)
    text = request.form.get("texto", "").strip()
    if not text:
        abort(400, "Escriba un mensaje.")
    if len(text) > MAX_TEXT:
        abort(400, f"El mensaje pasa de {MAX_TEXT} caracteres.")
    try:
        record = operations.send_message(services_of(), phone, text)
    except OperationError as exc:
        if exc.status == 404:
            abort(404)
        flash(_refusal(exc), "error")
        return _back(phone)
    if record["status"] != "accepted":
        flash("El proveedor ha rechazado el mensaje.", "error")
    elif record.get("template"):
        flash("Ventana cerrada: se ha enviado la plantilla aprobada.", "ok")
    else:
        flash("Mensaje enviado.", "ok")
    return _back(phone)


@bp.post("/conversaciones/<phone>/cerrar")
def close(phone: str) -> Response:
    """End the conversation at FINALIZADO (a goodbye while the window allows)."""
    phone = _phone(phone)
    try:
        record = operations.close(services_of(), phone)
    except OperationError as exc:
        abort(exc.status)
    sent = record is not None and record["status"] == "accepted"
    flash("Conversación cerrada" + (" y despedida enviada." if sent else "."), "ok")
    return _back(phone)


@bp.post("/conversaciones/<phone>/reiniciar")
def reset(phone: str) -> Response:
    """Forget the conversation, once the operator ticked the confirmation."""
    phone = _phone(phone)
    if request.form.get("confirmar") != "si":
        flash("Marque la casilla de confirmación para reiniciar.", "error")
        return _back(phone)
    try:
        operations.reset(services_of(), phone)
    except OperationError as exc:
        abort(exc.status)
    flash("Conversación reiniciada: el próximo mensaje del cliente empieza de nuevo.", "ok")
    return redirect(url_for("console.conversations"), 303)
