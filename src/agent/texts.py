"""What the agent says, in Spanish. Every euro amount here is formatted from the quote engine."""

from __future__ import annotations

from datetime import datetime

from agent.quote import format_eur

GREETING = (
    "¡Hola{name}! 👋 Soy el asistente virtual de iAgente Vida, un asistente automático "
    "(no una persona). Te ayudo a calcular en un par de minutos cuánto costaría tu seguro "
    "de vida y a elegir la cobertura que mejor te encaje."
)
CONSENT_QUESTION = (
    "Para preparar tu presupuesto necesito usar algunos datos tuyos (edad, si fumas, capital y "
    "plazo) solo para este cálculo y para que un asesor pueda contactarte si lo pides. "
    "¿Me das tu consentimiento? Responde *sí* o *no*."
)
# SMS costs by the segment and shows no formatting: the same steps, said in fewer words.
# Each SMS text fits one GSM-7 segment (160 characters; the SMS sender drops á í ó ú accents
# and emoji, and € counts twice) with a name of ten letters.
GREETING_SMS = (
    "Hola, soy el asistente automático de iAgente Vida. ¿Aceptas que use tus datos (edad, "
    "tabaco, capital, plazo) solo para calcular tu seguro de vida? SI o NO"
)
CONSENT_REMINDER = (
    "Antes de seguir necesito saber si me das tu consentimiento para usar tus datos: ¿sí o no?"
)
# Asked again, a little shorter each time.
CONSENT_REMINDERS = (
    CONSENT_REMINDER,
    "Para calcular tu precio necesito tu permiso para usar tus datos. ¿Me lo das? Sí o no.",
    "¿Me das tu permiso? Sí o no.",
)
CONSENT_REFUSED = (
    "Entendido, no usaré tus datos. ¡Gracias por escribirnos! Si más adelante quieres un "
    "presupuesto, escríbeme «acepto» y empezamos."
)
CONSENT_STILL_REFUSED = (
    "Sigo aquí si me necesitas. Sin tu consentimiento no puedo calcular un presupuesto."
)
CONSENT_THANKS = "¡Gracias! Vamos con unas preguntas rápidas."

QUESTIONS = {
    "name": "¿Cómo te llamas?",
    "age": "¿Qué edad tienes? (también me vale tu fecha de nacimiento)",
    "smoker": "¿Fumas o vapeas? (sí / no)",
    "cover": (
        "¿Qué capital quieres asegurar? Es lo que recibiría tu familia, por ejemplo 100.000 € "
        "o 150 mil. Una referencia habitual es entre 5 y 10 veces tus ingresos anuales."
    ),
    "term": (
        "¿Durante cuántos años quieres estar cubierto? (por ejemplo 20 años, o lo que te "
        "quede de hipoteca)"
    ),
    "dependants": (
        "¿Para qué quieres el seguro (familia, hipoteca, deudas, negocio) y cuántas personas "
        "dependen de ti económicamente?"
    ),
}

# The first asking on SMS where the WhatsApp question is long: the same facts, fewer words.
QUESTIONS_SMS = {
    "cover": (
        "¿Qué capital quieres asegurar? Lo que recibiría tu familia: suele ser de 5 a 10 veces "
        "tus ingresos anuales."
    ),
}

NOT_UNDERSTOOD = "Perdona, no te he entendido del todo."
# The name is asked once: whatever the answer, the sale goes on without insisting on it.
NAME_NOT_NEEDED = "Sin problema, para el precio no me hace falta tu nombre."
OFF_TOPIC = "De eso no sé mucho, yo solo te puedo ayudar con tu seguro de vida 🙂."

PROBLEMS = {
    "age_below_min": "Este seguro se puede contratar a partir de los {min_age} años.",
    "age_above_max": "Este seguro solo se puede contratar hasta los {max_age} años.",
    "cover_below_min": "El capital mínimo es {min_cover}.",
    "cover_above_max": "El capital máximo que puedo calcular es {max_cover}.",
    "term_below_min": "El plazo mínimo es de {min_term} año.",
    "term_above_max": "El plazo máximo es de {max_term} años.",
    "term_past_max_age": (
        "La cobertura tiene que terminar como tarde a los {max_age_at_end} años; con {age_of}, "
        "el plazo máximo es de {max_term_for_age} años."
    ),
}
AGE_OF_SELF = "tu edad"
AGE_OF_RELATIVE = "la edad de tu {relation}"  # the term limit is the insured's, not the writer's
# "lo que me recomiendes, gano unos 30 mil al año": the usual rule, with their own figures.
COVER_FOR_INCOME = (
    "Con unos ingresos de {income} al año, una referencia habitual es un capital de entre {low} "
    "y {high} (de 5 a 10 veces los ingresos), más lo que quede de hipoteca u otras deudas."
)
# "250" at the capital question: most likely thousands, said back but never priced unasked.
COVER_IN_THOUSANDS = "Si querías decir {cover}, dímelo así: «{thousands} mil»."
INELIGIBLE = (
    "Lo siento{name}, con esos datos no puedo ofrecerte este seguro por aquí. {why} "
    "Un asesor humano puede estudiar otras opciones contigo: ¿quieres que te contacte?"
)
INELIGIBLE_DECLINED = (
    "De acuerdo. Si tu dato era otro, dímelo y lo corrijo. ¡Gracias por escribirnos!"
)

PROPOSAL_HEADER = "Aquí tienes tu presupuesto{name}: capital de {cover} durante {term}, {smoker}."
PROPOSAL_SMS = "Presupuesto{name} ({cover}, {term}):"
PROPOSAL_FOOTER_SMS = "Precios orientativos. Responde 1, 2 o 3."
PROPOSAL_FOOTER = (
    "¿Con cuál te quedas? Responde 1, 2 o 3. Si quieres, cambio cualquier dato "
    "(por ejemplo «mejor 200.000 €» o «a 15 años») y lo recalculo."
)
ILLUSTRATIVE = "_Precios de una tarifa ilustrativa; la aseguradora confirma el precio final._"
REQUOTED = "Hecho, he recalculado con el dato nuevo."
PICK_ONE = "¿Cuál de las tres opciones prefieres? Responde 1, 2 o 3."
NO_CHOICE = (
    "Sin problema. ¿Quieres que cambie algún dato (capital, plazo) o prefieres pensarlo con calma?"
)

OBJECTIONS = {
    "price": (
        "Entiendo, el precio importa. La opción más económica es la {cheapest_name}, por "
        "{cheapest_monthly} al mes. También puedo bajar el capital o el plazo y recalcularlo "
        "al momento: dime, por ejemplo, «100.000 €» o «15 años»."
    ),
    "trust": (
        "Es normal preguntarlo. Te atiende {distributor_name}, inscrito con la clave "
        "{distributor_registry}. La póliza la emite una aseguradora autorizada; antes de firmar "
        "un asesor humano te enseña las condiciones por escrito, y tienes {withdrawal_days} días "
        "para desistir sin coste. Yo solo te ayudo a calcular y elegir."
    ),
    "think": (
        "Claro, tómate tu tiempo. Tu presupuesto queda guardado: escríbeme cuando quieras, o "
        "di «asesor» si prefieres que te llame una persona."
    ),
    "existing": (
        "Es compatible: puedes tener más de un seguro de vida, y cada uno paga su capital. El "
        "de la hipoteca suele tener al banco como beneficiario y cubrir solo lo que quede de "
        "préstamo; este es para tu familia, con el capital que elijas. Si quieres, ajusto el "
        "capital para que se sume a lo que ya tienes."
    ),
}
# "lo pienso" before any quote: there is no quote to keep yet.
THINK_BEFORE_QUOTE = (
    "Claro, tómate tu tiempo. Escríbeme cuando quieras y seguimos donde lo dejamos, o di "
    "«asesor» si prefieres que te llame una persona."
)
# Product questions (capital, plazo, coberturas, pago, datos…) are answered from the facts file
# (data/product.json, agent.facts); these are the answers that are not about the product.
ANSWERS = {
    "price_needs": (
        "El precio depende de cuatro datos: la edad de quien se asegura, si fuma o vapea, el "
        "capital y el plazo. Con ellos te lo calculo en un minuto."
    ),
    "option_price": "La *{option}* sale a {monthly} al mes o {annual} al año.",
    "prices": "Precios de tu presupuesto: {lines}.",
    "option_covers": "La *{option}* cubre: {guarantees}.",
    "option_adds": "La *{option}* añade a la {base}: {guarantees}.",
    "option_same": "La *{option}* cubre lo mismo que la {base}.",
    "recommend": (
        "Te recomendaría la *{option}*, la más equilibrada en precio y cobertura: cubre "
        "{guarantees}."
    ),
    "prices_later": "Los precios te los digo en cuanto tenga tus datos; es un minuto.",
    "bot": (
        "Soy un asistente automático, no una persona. Si prefieres hablar con alguien, "
        "escribe «quiero hablar con una persona»."
    ),
    "joint": (
        "Cada seguro cubre la vida de una sola persona: calculamos primero uno y, con ese "
        "presupuesto hecho, te calculo aparte el otro si quieres."
    ),
    "smoking": (
        "Sí: para el precio, vapear o fumar cigarrillo electrónico, puros, pipa o porros cuenta "
        "como fumar, aunque sea de vez en cuando. Cuenta como no fumador quien lleva al menos "
        "{ex_smoker_months} meses sin tabaco ni vapeo."
    ),
    "free": (
        "Pedir el presupuesto es gratis y sin compromiso: solo pagarías el seguro si decides "
        "contratarlo."
    ),
    "send": (
        "Desde este chat no envío correos ni documentos: el presupuesto te lo doy aquí y queda "
        "guardado en este chat para consultarlo o reenviarlo cuando quieras. Cuando elijas una "
        "opción, el asesor que te contacte te manda la propuesta y las condiciones por escrito."
    ),
    "contact": (
        "Aquí no hay llamadas: el presupuesto te lo preparo por chat. Cuando eliges una opción, "
        "o si pides hablar con una persona, un asesor humano te contacta por este mismo chat."
    ),
    "wait": "Claro, sin prisa: aquí te espero.",
    "other": "Buena pregunta; un asesor te lo puede aclarar con detalle si lo necesitas.",
}

CLOSED = (
    "¡Perfecto{name}! 🎉 Has elegido la opción *{option}*: {monthly} al mes ({annual} al año), "
    "con un capital de {cover} durante {term}. Un asesor humano te contactará muy pronto "
    "por este mismo chat para formalizarla. ¡Gracias por confiar en nosotros!"
)
CLOSED_SMS = (
    "¡Perfecto{name}! Opción {option}: {monthly}/mes ({annual}/año), {cover} a {term}. "
    "Un asesor te contactará pronto para formalizarla. ¡Gracias!"
)
CHANGED_CHOICE = (
    "Cambiado: ahora tienes elegida la opción *{option}*, {monthly} al mes ({annual} al año)."
)
FOLLOW_UP = (
    "Tu solicitud de la opción *{option}* ({monthly} al mes) está registrada y un asesor te "
    "contactará en breve. Si quieres un presupuesto nuevo, escribe «empezar de nuevo»."
)
YOU_ARE_WELCOME = "¡A ti! Aquí estoy para lo que necesites."
# An operator closed the conversation (admin API), with or without a choice made.
CONVERSATION_CLOSED = (
    "Damos por cerrada esta conversación. ¡Muchas gracias por tu tiempo{name}! Si más adelante "
    "quieres un presupuesto, escribe «empezar de nuevo» y te ayudo encantado."
)
# A message we can't read (a voice note, a sticker, a photo without a caption).
UNREADABLE = (
    "¡Gracias! De momento solo sé leer mensajes de texto. ¿Me lo puedes escribir, por favor?"
)
# A voice note we could not listen to (transcription off, failed, or the audio too long).
VOICE_NOT_HEARD = (
    "¡Gracias por tu nota de voz! Ahora mismo no puedo escucharla. "
    "¿Me lo puedes escribir, por favor?"
)
# What a sender adds around options: WhatsApp buttons and lists, numbered text where the channel
# has no buttons (SMS). `{numbers}` is "1, 2 o 3" (joined with OPTIONS_OR), at most five.
OPTIONS_ANSWER = "Responde {numbers}."
OPTIONS_ANSWER_RANGE = "Responde con un número del 1 al {count}."
OPTIONS_OR = " o "
OPTIONS_CHOOSE = "Elige una opción:"  # above buttons whose text had to go out first
OPTIONS_LIST_BUTTON = "Ver opciones"
OPTIONS_SECTION = "Opciones"
CLOSED_FOLLOW_UP = (
    "Esta conversación está cerrada. Si quieres un presupuesto nuevo, escribe «empezar de nuevo»."
)

HANDOFF = (
    "De acuerdo, aviso ahora a un asesor humano; te escribirá por este mismo chat lo antes "
    "posible. Mientras tanto no te haré más preguntas."
)
# The same answer twice in a row: point back to it instead of repeating it word for word.
SAID_ABOVE = "Te lo he contado justo arriba 🙂."
# A second "espera" in a row, after ANSWERS["wait"].
STILL_WAITING = "Aquí sigo, cuando puedas 🙂."
RESUMED = "¡Perfecto, seguimos por aquí! Ya no aviso al asesor."
HANDOFF_AGAIN = "Ya he avisado a un asesor; te escribirá por aquí en breve."
OPTED_OUT = (
    "Hecho, te he dado de baja: no volverás a recibir mensajes nuestros. Si cambias de "
    "opinión, escribe ALTA."
)
RESTARTED = "Empezamos de nuevo."

# A reminder to a customer who stopped answering (FOLLOW_UP_AFTER), by where they stopped;
# `{question}` is the question they left unanswered.
FOLLOW_UPS = {
    "data": "¿Seguimos con tu presupuesto{name}? Solo me faltan unos datos. {question}",
    "readback": (
        "Tengo tus datos listos para calcular el precio{name}. ¿Son correctos? Responde *sí* o "
        "dime qué cambio."
    ),
    "proposal": (
        "¿Has podido mirar las opciones de tu presupuesto{name}? Siguen guardadas: responde "
        "1, 2 o 3 para elegir, o dime qué dato cambio y lo recalculo."
    ),
    "confirm": (
        "Tenías elegida la opción *{option}* ({monthly} al mes). ¿La confirmo? Responde *sí* o "
        "*no*."
    ),
    "advisor": "¿Quieres que te escriba un asesor humano{name}? Responde *sí* o *no*.",
    "other": (
        "¿Seguimos con tu seguro de vida{name}? Cuando quieras, escríbeme por aquí y lo "
        "dejamos listo en un par de minutos."
    ),
}
# Said after the last reminder: we won't write again until the customer does.
FOLLOW_UP_LAST = "No te escribiré más por ahora; tu conversación queda guardada."
# A handover or a new lead outside the advisors' hours (BUSINESS_HOURS): when one will write.
AFTER_HOURS = "Ahora mismo nuestros asesores están fuera de horario: te escribirán {when}."
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def advisor_when(start: datetime, now: datetime) -> str:
    """When advisors start, seen from `now` (both local to the customer): 'mañana a partir de…'."""
    clock = f"{'la' if start.hour == 1 else 'las'} {start.hour}:{start.minute:02d}"
    days = (start.date() - now.date()).days
    if days == 0:
        return f"hoy a partir de {clock}"
    if days == 1:
        return f"mañana a partir de {clock}"
    if days < 7:
        return f"el {WEEKDAYS[start.weekday()]} a partir de {clock}"
    return f"el {WEEKDAYS[start.weekday()]} {start.day}/{start.month} a partir de {clock}"


def smoker_label(smoker: bool, *, relation: str | None = None) -> str:
    """'fumas' to the customer; 'tu padre fuma' when the insured is someone else."""
    if relation:
        return f"tu {relation} {'fuma' if smoker else 'no fuma'}"
    return "fumas" if smoker else "no fumas"


def insured_relation(profile: dict) -> str | None:
    """Who the insured is to the customer, when it is (or may be) someone else."""
    if profile.get("insured") in ("other", "unsure"):
        return profile.get("insured_relation") or "familiar"
    return None


def years(term: int) -> str:
    """A term in words: '1 año', '20 años'."""
    return "1 año" if term == 1 else f"{term} años"


def price(amount: str) -> str:
    """A premium: always with cents, so the three options read alike."""
    return format_eur(amount, cents=True)


def name_suffix(profile: dict) -> str:
    """', Ana' for use after a greeting word, or '' when we don't know the name."""
    name = profile.get("name")
    return f", {name.split()[0]}" if name else ""


# How each purpose is said back ("otro" says nothing the customer would recognise).
PURPOSES = {
    "familia": "para proteger a tu familia",
    "hipoteca": "para la hipoteca",
    "deudas": "para cubrir deudas",
    "negocio": "para tu negocio",
}


def summary(fields: dict, *, relation: str | None = None) -> str:
    """Confirm what was understood in this message (e.g. 'Anotado: 35 años, no fumas.').

    `relation`: the age and smoking are someone else's ('tu padre: 60 años').
    """
    parts = []
    if "name" in fields:
        parts.append(str(fields["name"]))
    if "age" in fields:
        parts.append(
            f"tu {relation}: {fields['age']} años" if relation else f"{fields['age']} años"
        )
    if "smoker" in fields:
        parts.append(smoker_label(fields["smoker"], relation=relation))
    if "cover" in fields:
        parts.append(f"capital {format_eur(fields['cover'])}")
    if "term" in fields:
        parts.append(f"plazo {years(fields['term'])}")
    if fields.get("purpose") in PURPOSES:
        parts.append(PURPOSES[fields["purpose"]])
    if "dependants" in fields:
        n = fields["dependants"]
        whom = f"tu {relation}" if relation else "ti"
        charge = f"a cargo de tu {relation}" if relation else "a tu cargo"
        parts.append(
            f"nadie depende de {whom}" if n == 0 else f"{n} persona{'s' * (n != 1)} {charge}"
        )
    return f"Anotado: {', '.join(parts)}." if parts else ""


def changes(changed: dict) -> str:
    """Data the customer changed, said as changes: 'Cambio la edad: 45 → 52 años.'."""
    if not changed:
        return ""
    names = {"age": "la edad", "smoker": "el tabaco", "cover": "el capital", "term": "el plazo"}

    def said(key: str, value: object) -> str:
        if key == "smoker":
            return "fuma" if value else "no fuma"
        if key == "cover":
            return format_eur(str(value))
        return years(int(str(value)))

    parts = [f"{names[k]}: {said(k, old)} → {said(k, new)}" for k, (old, new) in changed.items()]
    return f"Cambio {'; '.join(parts)}."


def option_lines_sms(quote: dict) -> list[str]:
    """One short line per quoted option, numbered: the proposal as an SMS lists it."""
    return [
        f"{i}) {opt['name']} {price(opt['monthly'])}/mes"
        for i, opt in enumerate(quote["options"], start=1)
    ]


def option_lines(quote: dict) -> list[str]:
    """One line per quoted option with prices and guarantees: the proposal's body."""
    emoji = ("1️⃣", "2️⃣", "3️⃣")
    return [
        f"{emoji[i]} *{opt['name']}*: {price(opt['monthly'])}/mes "
        f"({price(opt['annual'])}/año). {', '.join(opt['guarantees'])}."
        for i, opt in enumerate(quote["options"])
    ]


# --- The confirmed sale: read-back, confirmation, corrections ------------------------------

CURRENCY = (
    "Este seguro se contrata en {currency} y no convierto desde otras monedas: dime el capital "
    "en {currency}."
)
EX_SMOKER = (
    "La tarifa cuenta como no fumador a quien lleva al menos {rule} meses sin tabaco ni "
    "vapeo: con lo que me dices, el precio es el de {label}."
)
INSURED_NOTE = (
    "Anotado: el asegurado sería tu {relation}. Te pido sus datos (edad, si fuma…); ten en "
    "cuenta que tu {relation} también tendrá que dar su consentimiento y firmar la solicitud."
)
INSURED_SELF = "Entendido, el seguro es sobre tu propia vida."
READBACK = (
    "Antes de calcular, repaso los datos:\n{lines}\n¿Es correcto? Responde *sí* o dime qué cambio."
)
READBACK_SMS = "Confirma: {data}. ¿Correcto? Responde SI o dime qué cambio."
READBACK_WHAT = (
    "Sin problema, ¿qué dato cambio? Dímelo con su valor, por ejemplo «el plazo son 15 años».",
    "¿Qué dato está mal? Por ejemplo: «tengo 45» o «capital 120.000 €».",
    "¿Qué cambio?",
)
# Asked again, a little shorter each time.
READBACK_AGAIN = (
    "¿Está todo bien así? Responde *sí* o dime qué cambio.",
    "¿Lo doy por bueno? Un *sí*, o el dato que cambio.",
    "¿Sí, o qué cambio?",
)
CONFIRM_OPTION = (
    "Has elegido la opción *{option}*: {monthly} al mes ({annual} al año), capital de {cover} "
    "durante {term}. ¿La confirmo? Responde *sí* o *no*."
)
CONFIRM_OPTION_SMS = "¿Confirmas la opción {option}, {monthly}/mes? Responde SI o NO."
CONFIRM_AGAIN = "¿Confirmo la opción *{option}*? Responde *sí* o *no*."
NOT_THAT_ONE = "De acuerdo, esa no. ¿Cuál prefieres entonces? Responde 1, 2 o 3."
CONSENT_ASK_AGAIN = (
    "¡Genial! Antes me dijiste que no, así que te lo pregunto de nuevo: " + CONSENT_QUESTION
)
UPDATED_AFTER_CLOSE = (
    "He actualizado tu solicitud: la opción *{option}* queda en {monthly} al mes ({annual} al "
    "año). El asesor verá el cambio."
)
# After the close, another person's life named ("¿y para mi mujer? tiene 38"): the request
# stands; theirs is quoted apart, with their own data.
OTHER_AFTER_CLOSE = (
    "Tu solicitud sigue como estaba. Cada seguro cubre a una sola persona: el de tu {relation} "
    "te lo prepara aparte el asesor que te va a escribir, con sus datos."
)
HANDOFF_DECLINED = "De acuerdo, seguimos por aquí."


def currency_name(quotes) -> str:
    """The tariff's currency as a customer reads it: 'euros (EUR)'."""
    names = {"EUR": "euros", "USD": "dólares estadounidenses", "MXN": "pesos mexicanos"}
    code = quotes.currency
    return f"{names[code]} ({code})" if code in names else code


def readback_lines(profile: dict) -> str:
    """The data about to be priced, one line each, for the customer to confirm."""
    relation = profile.get("insured_relation") if profile.get("insured") == "other" else None
    who = f"tu {relation}" if relation else "tú"
    if profile.get("name") and not relation:
        who = f"tú ({profile['name']})"
    smokes = (
        ("fuma" if relation else "fumas")
        if profile["smoker"]
        else ("no fuma" if relation else "no fumas")
    )
    return "\n".join(
        (
            f"• Asegurado: {who}",
            f"• Edad: {profile['age']} años",
            f"• Tabaco: {smokes}",
            f"• Capital: {format_eur(profile['cover'])}",
            f"• Plazo: {years(profile['term'])}",
        )
    )


def readback_sms(profile: dict) -> str:
    """The read-back's data on one line, fewer labels: 'tú (Ana), 35 años, no fumas, ...'."""
    values = [line.split(": ", 1)[1] for line in readback_lines(profile).split("\n")]
    who, age, smokes, cover, term = values
    return f"{who}, {age}, {smokes}, capital {cover}, plazo {term}"


# --- Asking again: each re-ask is worded differently and shorter; the third miss offers a person.

OFFER_PERSON = (
    "Perdona, no consigo entenderte con este dato. ¿Prefieres que te escriba un asesor humano? "
    "Responde *sí* o *no*."
)
# After the full question (QUESTIONS), a shorter one, then the shortest.
REASKS = {
    "name": ("¿Tu nombre?", "¿Nombre?"),
    "age": ("Dime tu edad, por ejemplo: 42.", "¿Tu edad, en años?"),
    "smoker": ("¿Tabaco o vapeo? Sí o no.", "¿Fumas? Sí o no."),
    "cover": ("¿Qué capital quieres asegurar? Por ejemplo: 100.000 €.", "¿Qué capital, en euros?"),
    "term": ("¿Cuántos años de cobertura? Por ejemplo: 20, o «hasta los 65».", "¿Cuántos años?"),
    "dependants": (
        "¿Para qué es el seguro y cuántas personas dependen de ti?",
        "¿Cuántas personas dependen de ti?",
    ),
    "insured": (
        "¿El seguro sería sobre la vida de tu {relation}? Responde *sí* o *no*.",
        "¿El asegurado sería tu {relation}? Sí o no.",
        "¿Es para tu {relation}?",
    ),
    "insured_unknown": (
        "¿El seguro sería sobre tu propia vida o sobre la de otra persona?",
        "¿Es para ti o para otra persona?",
        "¿Para ti o para otra persona?",
    ),
    "quit_when": (
        "¿Cuánto hace que lo dejaste? {rule}",
        "¿Hace cuántos meses que no fumas?",
        "¿Hace cuánto lo dejaste?",
    ),
}


# The same questions about someone else's life: the insured is the customer's {relation}.
ABOUT_INSURED = {
    "age": (
        "¿Qué edad tiene tu {relation}? (también me vale su fecha de nacimiento)",
        "¿Cuántos años tiene tu {relation}?",
        "¿Su edad?",
    ),
    "smoker": (
        "¿Tu {relation} fuma o vapea? (sí / no)",
        "¿Tu {relation} fuma? Sí o no.",
        "¿Fuma? Sí o no.",
    ),
    "quit_when": (
        "¿Cuánto hace que tu {relation} lo dejó? {rule}",
        "¿Hace cuántos meses que no fuma?",
        "¿Hace cuánto lo dejó?",
    ),
    "term": (
        "¿Durante cuántos años quieres cubrir la vida de tu {relation}? (por ejemplo 20 años, o "
        "lo que quede de hipoteca)",
        *REASKS["term"],
    ),
    "dependants": (
        "¿Para qué quieres el seguro (familia, hipoteca, deudas, negocio) y cuántas personas "
        "dependen económicamente de tu {relation}?",
        "¿Para qué es el seguro y cuántas personas dependen de tu {relation}?",
        "¿Cuántas personas dependen de tu {relation}?",
    ),
}


def question(
    field: str,
    attempt: int = 0,
    *,
    relation: str | None = None,
    rule: str = "",
    about_insured: bool = False,
    sms: bool = False,
) -> str:
    """The question for `field`, asked for the `attempt`-th time again (0: the first time).

    `relation` is who the insured would be ("padre"); `rule` is the ex-smoker rule the
    quit_when question states (ProductFacts.ex_smoker_rule); `sms` asks in fewer words.
    """
    if field == "insured" and (not relation or relation == "otro"):
        field = "insured_unknown"
    wordings: tuple[str, ...]
    if about_insured and field in ABOUT_INSURED:
        wordings = ABOUT_INSURED[field]
    elif field in QUESTIONS:
        first = QUESTIONS_SMS.get(field, QUESTIONS[field]) if sms else QUESTIONS[field]
        wordings = (first, *REASKS[field])
    else:
        wordings = REASKS[field]
    text = wordings[min(attempt, len(wordings) - 1)]
    if field == "quit_when" and not rule:
        rule = "(en meses o años)"
    return text.format(relation=relation, rule=rule).strip()


# --- Someone writing in another language: one reply in it, offering a person.

FOREIGN = {
    "en": (
        "Sorry, this service only works in Spanish. Would you like a human advisor to contact "
        "you? Reply *yes* (or *sí*)."
    ),
    "pt": (
        "Desculpe, este serviço só funciona em espanhol. Quer que um consultor entre em contato "
        "com você? Responda *sí* (sim)."
    ),
    "fr": (
        "Désolé, ce service fonctionne uniquement en espagnol. Voulez-vous qu'un conseiller vous "
        "contacte ? Répondez *sí* (oui)."
    ),
    "it": (
        "Ci dispiace, questo servizio funziona solo in spagnolo. Vuole che un consulente la "
        "contatti? Risponda *sí* (sì)."
    ),
    "de": (
        "Entschuldigung, dieser Service funktioniert nur auf Spanisch. Möchten Sie, dass ein "
        "Berater Sie kontaktiert? Antworten Sie mit *sí* (ja)."
    ),
    "nl": (
        "Sorry, deze service werkt alleen in het Spaans. Wilt u dat een adviseur contact met u "
        "opneemt? Antwoord *sí* (ja)."
    ),
    "ca": (
        "Ho sentim, aquest servei només funciona en castellà. Vols que t'escrigui un assessor? "
        "Respon *sí*."
    ),
}


# Asked again: only the offer, shorter.
FOREIGN_AGAIN = {
    "en": "Reply *yes* and a person will write to you.",
    "pt": "Responda *sí* (sim) e uma pessoa vai escrever para você.",
    "fr": "Répondez *sí* (oui) et une personne vous écrira.",
    "it": "Risponda *sí* (sì) e una persona le scriverà.",
    "de": "Antworten Sie *sí* (ja), dann schreibt Ihnen eine Person.",
    "nl": "Antwoord *sí* (ja) en een medewerker schrijft u.",
    "ca": "Respon *sí* i una persona t'escriurà.",
}


def foreign(language: str, *, again: bool = False) -> str:
    """The reply to someone writing in `language` (ISO 639-1, 'pt-BR' too); English otherwise.

    `again`: they were told already; only the offer of a person, shorter.
    """
    code = language.replace("_", "-").split("-")[0].strip().lower()
    table = FOREIGN_AGAIN if again else FOREIGN
    return table.get(code, table["en"])
