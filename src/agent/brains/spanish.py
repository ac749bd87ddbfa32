"""The rules brain's Spanish reading: intent, topic and profile data, offline and deterministic.

Precedence when a message says several things (first match wins):

1. commands: opt_out, opt_in, restart, handoff;
2. when the bot asked for consent, a yes or a no (affirm/deny), whatever else the message says;
3. choose_option, when the bot asked for an option or the text clearly names one;
4. provide_info, when the message states a profile field other than purpose (a yes/no that
   answers "¿fumas?" or a bare number that answers the pending question counts as stated);
5. objection (price, trust, think), then question (by topic);
6. provide_info for a purpose alone ("es para la hipoteca");
7. "no sé"-like replies (unknown), deny, affirm, a bare name when the name was asked,
   greeting, thanks;
8. off_topic (no insurance or profile words, and a clearly unrelated word or 3+ words),
   else unknown.

`topic` is kept whenever one is recognised, unless a command wins: "tengo 40 años, ¿cuánto
cuesta?" is provide_info with topic price.
"""

from __future__ import annotations

import re
from datetime import date

from agent.brains.base import Intent, Reading, Topic
from agent.brains.spanish_numbers import fold, normalise, parse_amount, parse_birth_date
from agent.brains.spanish_profile import leading_name, read_profile

__all__ = ["normalise", "parse_amount", "parse_birth_date", "read_spanish"]

_COMMANDS = ("opt_out", "opt_in", "restart", "handoff")
_MAX_CHARS = 4096  # WhatsApp's own limit; anything longer is cut, not refused
_Q = r"(?:que|q|k)"

_NOISE = re.compile(r"[^\w\s]+")
_GREETING_LEAD = re.compile(
    r"^(?:hola+|holi\w*|buenas(?:\s+(?:tardes|noches))?|buenos\s+dias|saludos|hey|ey|hi|hello)\b\s*"
)
_PLEASE = re.compile(r"^(?:por\s+favor\s+)?(.*?)(?:\s+por\s+favor)?$")

_OPT_OUT_WHOLE = re.compile(
    r"(?:(?:quiero\s+)?(?:la\s+)?baja|stop|parar?|basta|cancelar|unsubscribe|fin|no\s+mas\s+mensajes)"
)
_OPT_OUT = re.compile(
    r"\b(?:dar(?:me|nos)?|dame|dadme|me\s+doy)\s+de\s+baja\b"
    r"|\bno\s+me\s+(?:escrib|mand|envi|molest)\w*\s+mas\b"
    r"|\bdej(?:a|ad|e|en|ar)\s+de\s+(?:escribirme|mandarme|enviarme|molestar(?:me)?)\b"
    r"|\bno\s+(?:quiero|deseo)\s+recibir\s+mas\b|\bborra(?:d)?\s+mi\s+numero\b"
)
# "¿puedo darme de baja del seguro?" asks about cancelling the policy, not the messages.
_ABOUT_POLICY = re.compile(r"\?|\b(?:seguro|poliza|contrato|cobertura)s?\b")
_OPT_IN_WHOLE = re.compile(r"(?:alta|start|unstop|reanudar|suscribirme|dar(?:me)?\s+de\s+alta)")
_OPT_IN = re.compile(
    r"\bvolver\s+a\s+recibir\b|\brecibir\s+(?:mensajes|informacion)\s+(?:de\s+nuevo|otra\s+vez)\b"
)
_RESTART = re.compile(
    r"\b(?:empezar|empecemos|empiezo|empieza|comenzar|comencemos)\s+(?:de\s+(?:nuevo|cero)"
    r"|otra\s+vez)\b|\breinici\w*|\bvolver\s+a\s+(?:empezar|comenzar)\b"
    r"|\bdesde\s+(?:el\s+principio|cero)\b|^(?:reset|restart)$"
)
_HUMAN = r"(?:persona|humano|humana|agente|asesor\w*|comercial|operador\w*|gestor\w*|alguien)"
_HANDOFF = re.compile(
    rf"\b(?:hablar|habla|hable|contactar|pasame|pasadme|pasarme|ponme|ponerme|comunicarme)"
    rf"\s+(?:con\s+)?(?:(?:un|una|el|la|algun|alguna)\s+)?{_HUMAN}\b"
    r"|\b(?:quiero|prefiero|necesito)\s+(?:(?:un|una|a)\s+)?(?:persona|humano|agente|asesor\w*)\b"
    r"|\bllam(?:adme|ame|eme|enme)\b|\bque\s+me\s+llam(?:e|en|eis)\b"
    r"|\bme\s+(?:podeis|puedes|puede|pueden|podrias|podriais)\s+llamar\b"
)
# Without a verb ("con un agente", "un humano") a request is also a handoff, unless it asks
# whether the bot is one ("¿hablo con una persona?").
_HANDOFF_NOUN = re.compile(
    rf"\bcon\s+(?:(?:un|una|el|la)\s+)?{_HUMAN}\b|\b(?:un|una)\s+(?:humano|humana)\b"
    r"|\bpersona\s+real\b|\basesor(?:a|es)?\b"
)

_ORDINALS = {"primera": 1, "primero": 1, "primer": 1, "1a": 1, "uno": 1, "segunda": 2,
             "segundo": 2, "2a": 2, "dos": 2, "tercera": 3, "tercero": 3, "tercer": 3, "3a": 3,
             "tres": 3}  # fmt: skip
_PLANS = {"basica": 1, "basico": 1, "recomendada": 2, "recomendado": 2, "completa": 3,
          "completo": 3}  # fmt: skip
_ORD, _PLAN = "|".join(_ORDINALS), "|".join(_PLANS)
_OPTION = re.compile(
    rf"\b(?:opcion|plan|modalidad)\s*(?:n(?:o|um|umero)?\.?\s*)?(?P<clear>[1-9]|{_ORD}|{_PLAN})\b"
    rf"|\b(?:la|el)\s+(?P<named>{_PLAN})\b"
    rf"|\b(?:la|el)\s+(?:numero\s+)?(?P<pos>[1-9]|{_ORD})(?!\w|[.,]\d|\s+vez)"
    r"|\bla\s+(?P<middle>del?\s+(?:en\s+)?medio|intermedia)\b"
    r"|\bla\s+mas\s+(?:(?P<cheapest>barata|economica)|(?P<fullest>cara|completa))\b"
)
_CHOOSE = re.compile(
    r"\b(?:quiero|quedo|elijo|escojo|prefiero|vamos|voy|dame|contrato|contratar|cojo|pillo"
    r"|selecciono|me\s+interesa|me\s+gusta|me\s+va)\b"
)

_OBJECTIONS: tuple[tuple[Topic, re.Pattern[str]], ...] = (
    ("price", re.compile(
        r"\bcar(?:o|a|os|as|isimo|isima)\b|\bno\s+me\s+(?:lo\s+)?puedo\s+permitir\b"
        r"|\bno\s+(?:me\s+)?(?:llega|alcanza)\b|\bno\s+tengo\s+(?:dinero|pasta|presupuesto)\b"
        r"|\bdemasiado\b|\bmas\s+(?:barat\w+|economic\w+|baj[oa])\b|\b(?:es|sale|cuesta)\s+mucho\b"
        r"|\bmucho\s+dinero\b|\bun\s+robo\b|\bprecio\s+(?:alto|elevado)\b|\bdescuento\b"
    )),
    ("trust", re.compile(
        rf"\bfiables?\b|\bde\s+fiar\b|\bfiarme\b|\bno\s+(?:me\s+)?(?:fio|confio)\b|\bconfianza\b"
        rf"|\bestafa\w*|\btimo\b|\bfraude\b|\benga(?:no|nar|nais)\b|\baseguradora\b"
        rf"|\bquien(?:es)?\s+(?:sois|son\s+ustedes|esta\s+detras|estais)\b|\bsois\s+de\s+verdad\b"
        rf"|\b{_Q}\s+(?:compania|empresa|entidad)\b|\bes\s+(?:real|legal|legit\w*)\b"
    )),
    ("think", re.compile(
        rf"\b(?:lo|me\s+lo)\s+(?:pienso|pensare)\b|\bpensar(?:lo|melo)\b|\btengo\s+{_Q}\s+pensar"
        rf"|\bdejame\s+pensar\w*|\bya\s+te\s+(?:digo|dire|aviso|contesto|escribo|cuento)\b"
        rf"|\bmas\s+adelante\b|\ben\s+otro\s+momento\b|\botro\s+dia\b|\bahora\s+no\b"
        rf"|\b(?:luego|despues|manana)\s+te\s+(?:digo|escribo|contesto)\b"
        rf"|\b(?:consultarlo|hablarlo)\s+con\b"
    )),
)  # fmt: skip
_BOT = re.compile(
    r"\beres\s+(?:(?:un|una)\s+)?(?:robot|bot|chatbot|maquina|ia|inteligencia\s+artificial"
    r"|persona|humano|humana|real|programa)\b|\bhablo\s+con\s+(?:(?:un|una)\s+)?(?:robot|bot"
    r"|maquina|persona|humano|ia)\b|\b(?:es|sois)\s+(?:un\s+)?(?:bot|robot)\b|\bchatgpt\b"
)
_QUESTIONS: tuple[tuple[Topic, re.Pattern[str]], ...] = (
    ("bot", _BOT),
    ("exclusions", re.compile(
        rf"\b{_Q}\s+no\s+(?:cubre|incluye|entra)\b|\bno\s+(?:me\s+)?(?:cubre|cubriria|pagaria)\b"
        rf"|\bexclu\w+|\bsuicidio\b|\bdeportes?\s+(?:de\s+riesgo|extremos?)\b|\bpreexistent\w*"
        rf"|\benfermedad(?:es)?\s+previas?\b"
    )),
    ("cancel", re.compile(
        r"\bcancel\w*|\bpermanencia\b|\banular\b|\bbaja\s+del?\s+(?:seguro|poliza)\b"
        r"|\bdar(?:me|lo|la)?\s+de\s+baja\b|\brescindir\b|\bdesisti\w*"
    )),
    ("price", re.compile(
        r"\bcuanto\s+(?:cuesta|vale|sale|costaria|cobrais|pagaria|pago|seria)\b|\bprecios?\b"
        r"|\bpresupuesto\b|\bcotizacion\b|\btarifa\b"
    )),
    ("payment", re.compile(
        r"\b(?:como|cuando|donde)\s+(?:se\s+)?pag\w*|\bpuedo\s+pagar\b|\bse\s+paga\b"
        r"|\bformas?\s+de\s+pago\b|\bpagar\s+(?:con|cada|al|por|en)\b|\bmensual\w*"
        r"|\btrimestral\w*|\bsemestral\w*|\banual\w*|\bdomicilia\w*|\btarjeta\b"
        r"|\btransferencia\b|\bbizum\b|\brecibos?\b|\bfraccion\w*|\b(?:cada|al|por)\s+mes\b"
    )),
    ("process", re.compile(
        rf"\bcontrat\w*|\breconocimiento\s+medico\b|\b(?:analisis|examen(?:es)?|pruebas?)\s+medic"
        rf"|\bdocumentacion\b|\bpapeles\b|\brequisitos?\b|\bcuanto\s+tarda\b|\bcomo\s+funciona\b"
        rf"|\bfirmar\b|\b{_Q}\s+necesito\b"
    )),
    ("coverage", re.compile(
        r"\bcubre\b|\bcubriria\b|\bcubierto\b|\bcobertura\w*|\bincluye\b|\binvalidez\b"
        r"|\bfallec\w*|\bmuer(?:o|e|te)\b|\benfermedad\w*|\baccidente\w*|\bbeneficiari\w*"
        r"|\bherederos?\b|\bque\s+pasa\s+si\b"
    )),
)  # fmt: skip
_QUESTION_LEAD = re.compile(
    rf"^(?:{_Q}|como|cuanto|cuanta|cuando|donde|cual|por\s*{_Q}|puedo|se\s+puede|hay|teneis)\b"
)
_ON_TOPIC = re.compile(
    r"\b(?:segur|poliz|vida|cobertur|cubr|prima|precio|cuota|capital|info|oferta|presupuest"
    r"|cotiza|tarifa|contrat|benefici|fallec|muer|invalidez|hipotec|prestamo|deuda|famil|hij"
    r"|fum|vape|tabaco|edad|ano|dinero|pag|euro|cuant|plazo|opcion|propuesta|mensaje|robot|bot"
    r"|asesor|agente|dato|asegura|cancel|baja|alta|mes|naci|fecha|nombre|llamo|soy|tengo)"
)
_OFF_TOPIC = re.compile(
    r"\b(?:tiempo|lluvia|llueve|calor|frio|futbol|partido|liga|gol|chiste|receta"
    r"|cocina\w*|pelicula|serie|musica|cancion|politica|elecciones|videojuego|pizza|paella"
    r"|comida|restaurante|vacaciones|playa|horoscopo)\b"
)

_NOT_SURE = re.compile(
    r"(?:no\s+(?:lo\s+)?(?:se|sabria|entiendo|comprendo|te\s+entiendo)|ni\s+idea)(?!\w)"
)
_DENY = re.compile(
    rf"(?:claro\s+{_Q}\s+no|por\s+supuesto\s+{_Q}\s+no|para\s+nada|ni\s+hablar|en\s+absoluto"
    r"|de\s+ninguna\s+manera|mejor\s+no|no+|nop|nope|nel|nah|na|nada|negativo|tampoco|paso"
    r"|jamas|nunca)(?!\w)"
)
_AFFIRM = re.compile(
    r"(?:si+|sisi|sip|sep|claro|vale|ok+|okey|okay|oki|okis|de\s*acuerdo|perfecto|adelante"
    r"|por\s+supuesto|dale|venga|genial|correcto|exacto|eso\s+es|afirmativo|me\s+parece\s+bien"
    r"|esta\s+bien|muy\s+bien|bien|me\s+interesa|acepto|autorizo|consiento|conforme|hecho"
    r"|listo|yes|yep|sure|obvio)(?!\w)"
)
_THUMBS_DOWN = re.compile("[👎❌🙅]")
_THUMBS_UP = re.compile("[👍👌✅🙆]")
_GREETING = re.compile(
    rf"\bhola\b|\bbuenos\s+dias\b|\bbuenas\s+(?:tardes|noches)\b|^\W*{_Q}\s+tal\b"
)
_THANKS = re.compile(r"\bgraci\w*|\bgrax\b|\bthx\b|\bthanks\b|\bagradec\w*|🙏")


def _option(norm: str, words: list[str], expecting: str | None) -> int | None:
    """The quoted option the message picks, if it clearly picks one."""
    m = _OPTION.search(norm)
    if not m:
        return None
    chooser = bool(_CHOOSE.search(norm))
    if "?" in norm and not chooser and expecting != "option":
        return None  # "¿qué cubre la completa?" asks, it does not choose
    if not (m["clear"] or m["named"] or chooser or expecting == "option" or len(words) <= 4):
        return None
    key = m["clear"] or m["named"] or m["pos"] or ""
    if key:
        return int(key) if key.isdigit() else _PLANS.get(key) or _ORDINALS.get(key)
    return 2 if m["middle"] else 1 if m["cheapest"] else 3


def _command(norm: str, core: str) -> Intent | None:
    if _OPT_OUT_WHOLE.fullmatch(core) or (_OPT_OUT.search(norm) and not _ABOUT_POLICY.search(norm)):
        return "opt_out"
    if _OPT_IN_WHOLE.fullmatch(core) or _OPT_IN.search(norm):
        return "opt_in"
    if _RESTART.search(core):
        return "restart"
    if _HANDOFF.search(norm) or (_HANDOFF_NOUN.search(norm) and not _BOT.search(norm)):
        return "handoff"
    return None


def _topic(norm: str, core: str) -> tuple[Intent, Topic] | None:
    for topic, rx in _OBJECTIONS:
        if rx.search(norm):
            return "objection", topic
    for topic, rx in _QUESTIONS:
        if rx.search(norm):
            return "question", topic
    if ("?" in norm or _QUESTION_LEAD.match(core)) and _ON_TOPIC.search(norm):
        return "question", "other"
    return None


def _yes_no(norm: str, core: str) -> tuple[bool, bool]:
    """(yes, no): from how the reply starts, else from a thumbs emoji anywhere."""
    if _NOT_SURE.match(core):
        return False, False
    no = bool(_DENY.match(core))
    yes = not no and bool(_AFFIRM.match(core))
    if yes or no:
        return yes, no
    up, down = bool(_THUMBS_UP.search(norm)), bool(_THUMBS_DOWN.search(norm))
    return up and not down, down and not up


def read_spanish(text: str, *, expecting: str | None, today: date) -> Reading:
    """Understand one customer message; `expecting` is the datum the bot asked for last.

    Never raises: any string (empty, emojis only, thousands of characters) gets a Reading.
    """
    source = text[:_MAX_CHARS] if isinstance(text, str) else ""
    folded = fold(source)
    norm = folded.text
    lead = _GREETING_LEAD.match(norm)
    start = lead.end() if lead else 0
    core = _PLEASE.fullmatch(" ".join(_NOISE.sub(" ", norm[start:]).split()))
    core = core[1] if core else ""
    yes, no = _yes_no(norm, core)
    fields = read_profile(source, folded, expecting, today, yes, no)
    if expecting == "name" and fields and "name" not in fields:
        name = leading_name(source, folded, start, alone=False)  # "Ana, 35 años, no fumo"
        if name:
            fields["name"] = name
    bare_option = fields.pop("option", None)
    option = _option(norm, core.split(), expecting) or bare_option
    found = _topic(norm, core)

    intent: Intent
    if command := _command(norm, core):
        intent = command
    elif expecting == "consent" and (yes or no):
        intent = "affirm" if yes else "deny"
    elif option:
        intent = "choose_option"
    elif set(fields) - {"purpose"}:
        intent = "provide_info"
    elif found:
        intent = found[0]
    elif fields:
        intent = "provide_info"
    elif _NOT_SURE.match(core):
        intent = "unknown"
    elif no or yes:
        intent = "deny" if no else "affirm"
    elif expecting == "name" and (name := leading_name(source, folded, start, alone=True)):
        intent, fields["name"] = "provide_info", name
    elif lead or _GREETING.search(norm):
        intent = "greeting"
    elif _THANKS.search(norm):
        intent = "thanks"
    elif not _ON_TOPIC.search(norm) and (_OFF_TOPIC.search(norm) or len(core.split()) >= 3):
        intent = "off_topic"
    else:
        intent = "unknown"
    return Reading(
        intent=intent,
        topic=found[1] if found and intent not in _COMMANDS else None,
        option=option if intent == "choose_option" else None,
        **fields,
    )
