"""What a turn shows sales agents in Chatwoot, as plain JSON operations for the outbox.

incoming  a customer message (text, media to attach)     outgoing  a reply the customer got
state     labels and custom attributes of the funnel      note      a private note for agents
handoff   open the conversation for agents, and say why
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from agent import texts
from agent.quote import format_eur
from webhooks.inbound.messages import InboundMessage

LABELS = {
    "inicio": "Conversación nueva: saludo y consentimiento",
    "analisis": "Recogiendo datos del cliente",
    "cotizado": "Presupuesto calculado",
    "propuesta": "Opciones presentadas al cliente",
    "lead": "El cliente eligió una opción: contactar",
    "no-elegible": "Fuera de los límites de la tarifa",
    "humano": "El cliente pidió hablar con una persona",
    "baja": "El cliente pidió no recibir más mensajes",
}
STAGE_LABELS = {
    "INICIO": "inicio",
    "NEEDS_ANALYSIS": "analisis",
    "COTIZACION": "cotizado",
    "PRESENTACION_PROPUESTA": "propuesta",
    "FINALIZADO": "lead",
}
HANDOFF_NOTES = {
    "customer_request": "🙋 El cliente pide hablar con una persona.",
    "ineligible": "⚠️ Fuera de los límites de la tarifa; acepta que le llame un asesor.",
    "lead": (
        "✅ Nuevo lead: el cliente ha elegido {option}.{insured} Contactar para cerrar la póliza."
    ),
    "stuck": (
        "🙋 El bot no entendía un dato tres veces; el cliente acepta que le escriba un asesor."
    ),
    "language": "🌐 El cliente no escribe en español; acepta que le escriba un asesor.",
}
# Reasons for which a person was asked for or accepted: the "humano" label.
HUMAN_REASONS = {"customer_request", "stuck", "language"}


# Contact attributes we write, from the profile.
CONTACT_ATTRIBUTES = {
    "edad": "age",
    "fumador": "smoker",
    "capital": "cover",
    "plazo_anos": "term",
    "dependientes": "dependants",
    "finalidad": "purpose",
}
# Conversation attributes we write (with one `prima_mensual_<option>` per option): a choice or a
# handoff reason that no longer holds is removed, an agent's own attributes are kept.
OUR_ATTRIBUTES = {"etapa", "opcion_elegida", "prima_mensual", "prima_anual", "motivo_traspaso"}


def labels_for(state: dict) -> list[str]:
    """The Chatwoot labels of a conversation in this state: its stage and any flags."""
    stage = state.get("stage", "INICIO")
    labels = [STAGE_LABELS[stage]] if stage != "FINALIZADO" or state.get("lead") else []
    if state.get("ineligible"):
        labels.append("no-elegible")
    if state.get("handoff") and state.get("handoff_reason") in HUMAN_REASONS:
        labels.append("humano")
    if state.get("opted_out"):
        labels.append("baja")
    return labels


def _chosen(state: dict) -> dict | None:
    quote, chosen = state.get("quote") or {}, state.get("chosen")
    return next((o for o in quote.get("options", []) if o["id"] == chosen), None)


def state_op(state: dict) -> dict:
    """Labels, contact and conversation attributes for the funnel as it stands."""
    profile, quote = state.get("profile") or {}, state.get("quote") or {}
    contact = {
        key: profile[field]
        for key, field in CONTACT_ATTRIBUTES.items()
        if profile.get(field) is not None
    }
    conversation = {"etapa": state.get("stage", "INICIO")}
    for option in quote.get("options", []):
        conversation[f"prima_mensual_{option['id']}"] = option["monthly"]
    if chosen := _chosen(state):
        conversation |= {
            "opcion_elegida": chosen["name"],
            "prima_mensual": chosen["monthly"],
            "prima_anual": chosen["annual"],
        }
    if state.get("handoff_reason"):
        conversation["motivo_traspaso"] = state["handoff_reason"]
    return {
        "op": "state",
        "labels": labels_for(state),
        "name": profile.get("name"),
        "contact": contact,
        "conversation": conversation,
    }


def quote_note(quote: dict) -> str:
    """A private note for the agents with the quote the customer was shown."""
    lines = [
        f"💶 Presupuesto ({quote['tariff']}): capital {format_eur(quote['cover'])}, "
        f"{texts.years(quote['term'])}, {quote['age']} años, "
        f"{'fumador' if quote['smoker'] else 'no fumador'}."
    ]
    lines += [
        f"• {o['name']}: {texts.price(o['monthly'])}/mes ({texts.price(o['annual'])}/año)"
        for o in quote["options"]
    ]
    if quote.get("illustrative"):
        lines.append("Tarifa ilustrativa: la aseguradora confirma el precio final.")
    return "\n".join(lines)


def incoming_op(message: InboundMessage) -> dict:
    """The operation that shows a customer's message (media fetched when it is applied)."""
    return {
        "op": "incoming",
        "id": message.message_id,
        "kind": message.kind,
        "text": message.text,
        "media": [asdict(m) for m in message.media],
        "location": message.location,
        "provider": message.provider,
        "channel": message.channel,
        "name": message.profile_name,
        **({"transcript": message.transcript} if message.transcript else {}),
        # Meta serves a customer's media file only to the number it was sent to.
        **({"our_number": message.our_number} if message.our_number else {}),
    }


def turn_ops(
    batch: list[InboundMessage], before: dict, after: dict | None, outbound: dict | None
) -> list[dict]:
    """Everything one turn shows in Chatwoot, in order. `after` is None when no turn ran."""
    ops = [incoming_op(m) for m in batch]
    if outbound:
        ops.append(outgoing_op(outbound, author="bot"))
    if after is None:
        return ops
    ops.append(state_op(after))
    if after.get("quote") and after.get("quote") != before.get("quote"):
        ops.append({"op": "note", "text": quote_note(after["quote"])})
    if after.get("handoff") and (
        not before.get("handoff") or before.get("handoff_reason") != after.get("handoff_reason")
    ):
        ops.append(handoff_op(after))
    if after.get("opted_out") and not before.get("opted_out"):
        ops.append({"op": "note", "text": "🚫 El cliente se ha dado de baja (BAJA/STOP)."})
    return ops


def outgoing_op(record: dict, *, author: str) -> dict:
    """The operation that shows a message we sent (or failed to), from its transcript record."""
    op = {"op": "outgoing", "text": record.get("text", ""), "author": author}
    if record.get("template"):
        op["template"] = True
    if record.get("status") == "failed":
        op["failed"] = (record.get("error") or {}).get("title") or "error"
    return op


def handoff_op(state: dict) -> dict:
    """The operation that opens the conversation to the agents, with a note saying why."""
    reason = state.get("handoff_reason") or "customer_request"
    chosen = _chosen(state)
    profile = state.get("profile") or {}
    insured = ""
    if profile.get("insured") == "other":
        relation = profile.get("insured_relation") or "otra persona"
        insured = f" Asegurado: su {relation} (no el cliente), que también debe consentir y firmar."
    note = HANDOFF_NOTES.get(reason, HANDOFF_NOTES["customer_request"]).format(
        option=f"{chosen['name']} ({texts.price(chosen['monthly'])}/mes)" if chosen else "-",
        insured=insured,
    )
    return {"op": "handoff", "reason": reason, "text": note}


# How agents read where the customer stopped (agent.followup.situation) in the private note.
SITUATIONS = {
    "data": "dando sus datos",
    "readback": "confirmando sus datos",
    "proposal": "viendo el presupuesto",
    "confirm": "confirmando la opción elegida",
    "advisor": "respondiendo si quiere un asesor",
    "other": "en mitad de la conversación",
}


def follow_up_note(record: dict, *, silent: timedelta, where: str) -> dict:
    """The private note that tells agents a reminder went out, or why it did not."""
    n = record.get("follow_up", 1)
    if record.get("status") != "accepted":
        why = (record.get("error") or {}).get("title") or "error"
        return {"op": "note", "text": f"⚠️ Recordatorio automático {n} no enviado: {why}."}
    minutes = round(silent.total_seconds() / 60)
    since = f"{minutes} min" if minutes < 120 else f"{round(minutes / 60)} h"
    text = (
        f"⏰ Recordatorio automático {n} enviado: el cliente no escribe desde hace {since} "
        f"(se quedó {SITUATIONS.get(where, SITUATIONS['other'])})."
    )
    if record.get("template"):
        text += " La ventana de 24 h estaba cerrada: se envió la plantilla aprobada."
    return {"op": "note", "text": text}
