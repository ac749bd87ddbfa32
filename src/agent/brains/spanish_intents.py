"""What a Spanish message asks for: commands (opt-out first), objections, questions, yes and no."""

from __future__ import annotations

import re

from agent.brains.base import Intent, Topic
from agent.brains.spanish_numbers import MONTH

Q = r"(?:que|q|k)"

_OPT_OUT_WHOLE = re.compile(
    r"(?:(?:quiero\s+)?(?:la\s+)?baja|stop|parar?|basta|cancelar|unsubscribe|fin|no\s+mas\s+mensajes"
    r"|no\s+(?:me|nos)\s+(?:escrib|mand|envi|molest|contact)\w*(?:\s+(?:gracias|mas|ok))*)"
)
# Asking to stop the messages wins wherever it appears, even next to a question.
_OPT_OUT = re.compile(
    r"\bno\s+(?:me|nos)\s+(?:vuelv\w+\s+a\s+)?(?:escrib|mand|envi|molest|contact|llam|hable|jod"
    r"|fastidi|frieg|chingu|hinch)\w*"
    r"(?:\s+(?:nada|nunca))?\s+(?:mas|nunca|otra\s+vez)\b"
    r"|\bno\s+(?:me|nos)\s+vuelv\w+\s+a\s+(?:escribir|mandar|enviar|molestar|contactar|llamar)\b"
    r"|\bno\s+(?:quiero|deseo)\s+(?:que\s+me\s+(?:escrib|mand|envi|contact|molest)\w*"
    r"|recibir\s+mas|(?:mas\s+)?mensajes)\b"
    r"|\bdej(?:a|ad|e|en|ar)\s+de\s+(?:escribirme|mandarme|enviarme|molestar(?:me)?|contactarme"
    r"|llamarme)\b|\bborr(?:a|ad|en|ar)\s+mi\s+(?:numero|telefono|contacto)\b"
    r"|\b(?:quit|borr|elimin|sac)(?:a|ad|en|e)(?:me|nme|dme)\s+de\s+(?:la|vuestra|su|tu|sus|esta)s?"
    r"\s+(?:lista|base)"
    r"|\bno\s+mas\s+mensajes\b"
    r"|\bya\s+no\s+(?:me|nos)\s+(?:escrib|mand|envi|molest|contact|llam|hable)\w*"
    # "que no volvieran a ponerse en contacto", "no vuelva a escribirme", "no volváis a llamar"
    r"|\b(?:no|nunca|jamas)\s+(?:me\s+|nos\s+)?(?:vuelv|volv)\w*\s+a\s+(?:(?:me|nos)\s+)?"
    r"(?:escrib|mand|envi|contact|llam|molest|comunic|insist|poner\w*\s+en\s+contacto)"
    r"|\bno\s+(?:quiero|deseo|queremos)\s+que\s+(?:me|nos)\s+(?:vuelv\w+\s+a\s+)?(?:escrib|mand"
    r"|envi|contact|molest|llam|hable|comuniqu|insist)"
    r"|\bno\s+(?:quiero|deseo|queremos)\s+(?:recibir|que\s+(?:me|nos)\s+lleguen)\s+(?:mas\s+)?"
    r"(?:mensajes|whatsapps?|sms|llamadas|publicidad|informacion|nada)\b"
    # "no me escriban", "no me contacten": a plea to them, unless it names another channel
    r"|\bno\s+(?:me|nos)\s+(?:escrib|mand|envi|contact|molest)(?:an|ais|as|a|en|eis|es|e)\b"
    r"(?!\s+(?:por|al|a\s+mi|el|la|eso|lo|los|las|nada\s+por|hasta|antes|despues|luego))"
    r"|\bborr(?:a|ad|en|ar|e)\s+(?:todos\s+)?mis\s+datos\b"
    r"|\b(?:elimin|borr|quit)(?:a|ad|en|e|ar)\s+(?:mi|mis)\s+(?:numero|telefono|contacto|datos|celular"
    r"|movil)\b"
    r"|\bno\s+(?:escribirme|contactarme|mandarme|molestarme|enviarme|escribirnos|contactarnos)\b"
)
# "¿puedo darme de baja del seguro?" asks about cancelling the policy, not the messages.
_OPT_OUT_BAJA = re.compile(
    r"\b(?:dar(?:me|nos)?|dame|dadme|denme|denos|deme|me\s+doy)\s+de\s+baja\b"
)
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
# Taking back a request for a person: "déjalo, sigamos por aquí", "mejor sigo contigo".
_RESUME = re.compile(
    r"\b(?:sigamos|seguimos|sigo|continuemos|continuamos|continuo|prefiero\s+seguir|mejor\s+seguir)"
    r"\s+(?:por\s+)?(?:aqui|aca|contigo|con\s+(?:usted|vos|el\s+bot|el\s+chat)|(?:el|este)\s+chat)\b"
    r"|\b(?:dejalo|dejelo|olvidalo|olvidelo|da\s+igual|ya\s+no\s+hace\s+falta|no\s+hace\s+falta)\b"
    r"[^?]{0,40}\b(?:sigamos|seguimos|continuemos|continuamos)\b"
    r"|\bya\s+no\s+(?:quiero|necesito)\s+(?:hablar\s+con\s+)?(?:una?\s+)?(?:persona|asesor\w*|humano"
    r"|agente)\b|\bno\s+hace\s+falta\s+(?:el|la|un|una)\s+(?:persona|asesor\w*|humano|agente)\b"
)
_HUMAN = r"(?:persona|humano|humana|agente|asesor\w*|comercial|operador\w*|gestor\w*|alguien)"
_HANDOFF = re.compile(
    rf"\b(?:hablar|habla|hable|contactar|pasame|pasadme|pasarme|ponme|ponerme|comunicarme)"
    rf"\s+(?:con\s+)?(?:(?:un|una|el|la|algun|alguna)\s+)?{_HUMAN}\b"
    r"|\b(?:quiero|prefiero|necesito)\s+(?:(?:un|una|a)\s+)?(?:persona|humano|agente|asesor\w*)\b"
    rf"|\bllam(?:adme|ame|eme|enme)\b|\b{Q}\s+(?:me|nos)\s+llam(?:e|en|eis)\b"
    r"|\bme\s+(?:podeis|puedes|puede|pueden|podrias|podriais)\s+llamar\b"
    r"|\b(?:falar|conversar)\s+com\s+(?:uma?\s+)?(?:pessoa|humano|atendente|agente|alguem)\b"
    r"|\b(?:talk|speak)\s+(?:to|with)\s+(?:a\s+|an\s+)?(?:real\s+)?(?:person|human|agent|advis[eo]r"
    r"|someone|somebody)\b"
    r"|\bparler\s+(?:a|avec)\s+(?:une?\s+)?(?:personne|humain|conseill\w+)\b"
)
# Without a verb ("con un agente", "un humano") a request is also a handoff, unless it asks
# whether the bot is one ("¿hablo con una persona?").
_HANDOFF_NOUN = re.compile(
    rf"\bcon\s+(?:(?:un|una|el|la)\s+)?{_HUMAN}\b|\b(?:un|una)\s+(?:humano|humana)\b"
    r"|\bpersona\s+real\b|\basesor(?:a|es)?\b"
)
# Asking when or how the advisor will get in touch is a question, not a request for one.
ADVISOR_WHEN = re.compile(
    r"\b(?:cuando|como|a\s+que\s+hora|que\s+dia)\s+(?:me\s+|nos\s+)?(?:llama|llamara|llaman|llamaran"
    r"|escribe|escribira|contacta|contactara|va\s+a\s+(?:llamar|escribir|contactar))\b"
)
BOT = re.compile(
    r"\beres\s+(?:(?:un|una)\s+)?(?:robot|bot|chatbot|maquina|ia|inteligencia\s+artificial"
    r"|persona|humano|humana|real|programa)\b|\bhablo\s+con\s+(?:(?:un|una)\s+)?(?:robot|bot"
    r"|maquina|persona|humano|ia)\b|\b(?:es|sois)\s+(?:un\s+)?(?:bot|robot)\b|\bchatgpt\b"
    r"|\b(?:usted\s+es|es\s+usted|ustedes\s+son|son\s+ustedes)\s+(?:(?:un|una)\s+)?(?:robot|bot"
    r"|chatbot|maquina|persona|humano|humana|real|programa)\b"
)

# "es caro", "no me llega": a complaint about the price.
PRICE_OBJECTION = re.compile(
    r"\bcar(?:o|a|os|as|isimo|isima)\b|\bno\s+me\s+(?:lo\s+)?puedo\s+permitir\b"
    r"|\bno\s+(?:me\s+)?(?:llega|alcanza)\b|\bno\s+tengo\s+(?:dinero|pasta|presupuesto)\b"
    r"|\bdemasiado\b|\bmas\s+(?:barat\w+|economic\w+|baj[oa])\b|\b(?:es|sale|cuesta)\s+mucho\b"
    r"|\bmucho\s+dinero\b|\bun\s+robo\b|\bprecio\s+(?:alto|elevado)\b|\bdescuento\b"
)
# Putting the decision off: "me lo pienso", "ya te digo", "más adelante".
_THINK = re.compile(
    rf"\b(?:lo|me\s+lo)\s+(?:pienso|pensare|voy\s+a\s+pensar|tengo\s+{Q}\s+pensar)\b|\bpensar(?:lo|melo)\b|\btengo\s+{Q}\s+pensar"
    rf"|\bdejame\s+pensar\w*|\bya\s+te\s+(?:digo|dire|aviso|contesto|escribo|cuento)\b"
    rf"|\bmas\s+adelante\b(?![^?]*\?)|\ben\s+otro\s+momento\b|\botro\s+dia\b|\bahora\s+no\b"
    rf"|\b(?:luego|despues|manana)\s+te\s+(?:digo|escribo|contesto)\b"
    rf"|\b(?:consultarlo|hablarlo)\s+con\b"
    rf"|\b(?:ya\s+)?lo\s+(?:mirare|miro|vere|veo|consulto|consultare|hablo|hablare|comento"
    rf"|comentare|valoro|valorare|estudio|estudiare|reviso|revisare)\b"
    rf"|\bya\s+(?:veremos|vere|miro|mirare|lo\s+hablamos)\b"
    rf"|\b(?:ya|luego|despues|manana|mas\s+tarde)\s+(?:te|le|les|os)\s+(?:digo|dire|aviso"
    rf"|avisare|escribo|escribire|contacto|contactare|llamo|contesto|cuento)\b"
    rf"|\b(?:te|le|les|os)\s+(?:aviso|avisare|escribo|escribire|contacto|contactare|llamo|digo"
    rf"|dire)\s+(?:en|el|la|mas\s+tarde|luego|despues|manana|otro\s+dia|cuando|la\s+semana)\b"
    rf"|\b(?:en|para|el|dentro\s+de)\s+(?:{MONTH}|unos\s+(?:dias|meses|semanas)"
    rf"|(?:el\s+)?(?:mes|ano|semana)\s+(?:que\s+viene|proxim[oa]))\b[^.?!]{{0,25}}"
    rf"\b(?:te|le|les|os)\s+(?:escribo|aviso|contacto|llamo|digo)\b"
)

# First match wins: a distributor question is not a trust objection, a price question about
# an option is a price question.
TOPICS: tuple[tuple[Intent, Topic, re.Pattern[str]], ...] = (
    # "con tanto capital, ¿me van a pedir análisis?": the medical exam, whatever else is named
    ("question", "process", re.compile(
        r"\bpedir\s+(?:algun\s+|un\s+|unos\s+)?(?:analisis|examen\w*|pruebas?|reconocimiento)\b"
        r"|\breconocimiento\s+medico\b"
    )),
    # "¿cuánto más caro sale pagar mensual que anual?" asks about paying, not about the price
    ("question", "payment", re.compile(
        r"\b(?:mensual\w*|cada\s+mes)\b[^?]{0,30}\b(?:anual\w*|al\s+ano|cada\s+ano)\b"
        r"|\b(?:anual\w*|al\s+ano)\b[^?]{0,30}\b(?:mensual\w*|cada\s+mes)\b"
    )),
    ("question", "distributor", re.compile(
        rf"\bquien(?:es)?\s+(?:sois|son\s+ustedes|son|estais)\b|\bregistrad\w*|\binscrit\w*"
        rf"|\bnumero\s+de\s+registro\b|\bregistro\s+(?:de|en)\s+(?:la\s+)?(?:dgsfp|distrib\w*)"
        rf"|\b{Q}\s+(?:aseguradora|compania|empresa|entidad|correduria)\s+(?:es|sois|son|hay)\b"
        rf"|\bcon\s+{Q}\s+(?:aseguradora|compania|entidad)\b|\bdistribuidor\w*|\bmediador\w*"
        rf"|\bcorredur\w*|\bdgsfp\b|\bautorizad\w*"
        rf"|\b(?:sois|son|es)\s+(?:una\s+)?(?:aseguradora|compania\s+de\s+seguros|banco)\b"
    )),
    ("objection", "price", PRICE_OBJECTION),
    ("objection", "trust", re.compile(
        r"\bfiables?\b|\bde\s+fiar\b|\bfiarme\b|\bno\s+(?:me\s+)?(?:fio|confio)\b|\bconfianza\b"
        r"|\bestafa\w*|\btimo\b|\bfraude\b|\benga(?:no|nar|nais)\b|\baseguradora\b"
        r"|\bquien\s+esta\s+detras\b|\bsois\s+de\s+verdad\b|\bes\s+(?:real|legal|legit\w*)\b"
    )),
    ("objection", "think", _THINK),
    ("question", "bot", BOT),
    # Asking which option to take, without naming one: the options side by side answer it.
    ("question", "compare", re.compile(
        rf"\bcual\s+(?:es\s+(?:la\s+)?)?(?:mejor|me\s+(?:recomiendas|recomienda|recomendais"
        rf"|recomiendan|conviene|aconsejas|aconseja|sugieres))\b"
        rf"|\b{Q}\s+(?:me\s+)?(?:recomiendas|recomienda|recomiendan|aconsejas|aconseja|sugieres)\b"
        rf"|\bcual\s+(?:elegirias|escogerias|tomarias|cogerias|elegiria|escogeria|eligirias)\b"
        rf"|\b(?:tu|vos|usted)\s+(?:cual|{Q})\s+(?:elegirias|escogerias|harias|elegiria|haria)\b"
    )),
    ("question", "data", re.compile(
        r"\bmis\s+datos\b|\bdatos\s+personales\b|\bprivacidad\b|\bproteccion\s+de\s+datos\b"
        r"|\b(?:rgpd|lopd|gdpr|arco)\b|\b(?:sacasteis|sacaron|sacaste|conseguisteis|consiguieron"
        r"|teneis|tienen|tienes|obtuvieron)\s+mi\s+(?:numero|telefono|movil|contacto|celular)\b"
        r"|\bmi\s+(?:numero|telefono|movil|celular)\s*\?"
    )),
    ("question", "exclusions", re.compile(
        rf"\b{Q}\s+no\s+(?:cubre|incluye|entra)\b|\bno\s+(?:me\s+)?(?:cubre|cubriria|pagaria)\b"
        rf"|\bexclu\w+|\bsuicid\w*|\bdeportes?\s+(?:de\s+riesgo|extremos?)\b|\bpreexistent\w*"
        rf"|\benfermedad(?:es)?\s+previas?\b"
        # an illness had or had now, asked about: "tuve un cáncer", "tengo diabetes, ¿cuenta?"
        rf"|\b(?:tuve|tengo|he\s+tenido|padezco|sufro\s+de|me\s+operaron\s+de)\s+(?:un\s+|una\s+)?"
        rf"(?:cancer|diabetes|infarto|ictus|tumor|hipertension|asma|epilepsia|vih|hepatitis|depresion)\b"
        rf"|\b(?:enduro|motocross|moto\s+cross|paracaidismo|escalada|alpinismo|montanismo|buceo"
        rf"|submarinismo|parapente|ala\s+delta|puenting|boxeo|artes\s+marciales|rally|toreo|torero"
        rf"|kitesurf|heliesqui|barranquismo|espeleologia|motociclismo|carreras\s+de\s+(?:motos|coches))\b"
    )),
    ("question", "cancel", re.compile(
        r"\bcancel\w*|\bpermanencia\b|\banular\b|\bbaja\s+del?\s+(?:seguro|poliza)\b"
        r"|\bdar(?:me|lo|la)?\s+de\s+baja\b|\brescindir\b|\bdesisti\w*|\bdesistimiento\b"
        r"|\bme\s+arrepiento\b|\bdevolucion\b|\bquitar(?:lo|la|melo|mela)\b"
        r"|\b(?:puedo|podre|se\s+puede)\s+cambiar(?:la|lo|me)?\s+(?:de\s+opcion\s+)?(?:luego|despues"
        r"|mas\s+adelante|mas\s+tarde)\b"
    )),
    ("question", "price", re.compile(
        r"\bcuanto\s+(?:me\s+|nos\s+)?(?:cuesta|vale|sale|saldria|costaria|cobrais|cobran|pagaria"
        r"|pago|seria)\b|\bprecios?\b|\bpresupuesto\b|\bcotizacion\b|\btarifa\b|\bcuota\b"
    )),
    ("question", "payment", re.compile(
        r"\b(?:como|cuando|donde)\s+(?:se\s+)?pag\w*|\bpuedo\s+pagar\b|\bse\s+paga\b"
        r"|\bformas?\s+de\s+pago\b|\bpagar\s+(?:con|cada|al|por|en|todos\s+los\s+meses|mes\s+a\s+mes)\b|\bmensual\w*|\brecargo\w*"
        r"|\btrimestral\w*|\bsemestral\w*|\banual\w*|\bdomicilia\w*|\btarjeta\b|\ba\s+plazos\b"
        r"|\btransferencia\b|\bbizum\b|\brecibos?\b|\bfraccion\w*|\b(?:cada|al|por)\s+mes\b"
        r"|\bel\s+pago\s+(?:es|se\s+hace|va)\b|\b(?:bank\s+account|credit\s+card|card|debito)\b"
    )),
    ("question", "capital", re.compile(
        rf"\bcapital\b|\bsuma\s+asegurada\b|\bcuanto\s+(?:se\s+)?suelen?\s+(?:poner|asegurar|contratar"
        rf"|coger|elegir|pedir)\b|\bcuanto\s+(?:dinero\s+)?(?:debo|deberia|tengo\s+{Q}"
        rf"|me\s+conviene|necesito)\s+asegurar\b|\bcuanto\s+(?:cobraria|cobrarian|recibiria"
        rf"|recibirian|les\s+quedaria|dejaria)\b"
    )),
    ("question", "term", re.compile(
        r"\bhasta\s+(?:que|cuantos?)\s+(?:edad|anos)\s+(?:me\s+)?(?:puede|cubre|dura|llega)\w*"
        r"|\bplazo\b|\bduracion\b|\bcuant[oa]s?\s+(?:anos|tiempo)\s+(?:pongo|dura|deberia|me"
        r"|es\s+mejor|elijo|cubre)\b|\bpor\s+cuanto\s+tiempo\b|\bcuanto\s+dura\b"
    )),
    ("question", "process", re.compile(
        rf"\bcontrat\w*|\breconocimiento\s+medico\b|\b(?:analisis|examen(?:es)?|pruebas?)\s+medic"
        rf"|\bpedir\s+(?:algun\s+|un\s+)?(?:analisis|examen\w*|pruebas?|reconocimiento)\b|\bproceso\b"
        rf"|\bir\s+a\s+(?:alguna\s+|una\s+|la\s+)?oficina\b"
        rf"|\bdocumentacion\b|\bpapeles\b|\brequisitos?\b|\bcuanto\s+tarda\b|\bcomo\s+funciona\b"
        rf"|\bfirmar\b|\b{Q}\s+necesito\b"
    )),
    ("question", "coverage", re.compile(
        r"\bcubre\b|\bcubriria\b|\bcubierto\b|\bcobertura\w*|\bincluye\b|\binvalidez\b"
        r"|\bfallec\w*|\bmuer(?:o|e|te)\b|\benfermedad\w*|\baccidente\w*|\bbeneficiari\w*"
        r"|\bherederos?\b|\bque\s+pasa\s+si\b|\b(?:se\s+lo\s+(?:llevaria|llevara|dan|darian)"
        r"|lo\s+(?:cobre|cobrara|cobraria|reciba|recibiria))\b|\b(?:quedo|quedaria|estoy|estaria)\s+cubiert[oa]\b"
        r"|\b(?:covid|coronavirus|pandemia|viaje|viajo|extranjero|fuera\s+del\s+pais)\b"
    )),
)  # fmt: skip
COMPARE = re.compile(
    rf"\bdiferencias?\b|\bdud(?:o|a|as)\b|\bentre\b|\bcompar\w*|\bvs\b|\bversus\b"
    rf"|\bcual\s+(?:es\s+)?(?:mejor|me\s+(?:recomiendas|recomienda|recomendais|conviene))\b"
    rf"|\b{Q}\s+me\s+(?:recomiendas|recomienda|aconsejas)\b|\bno\s+se\s+(?:si|cual)\b"
)
QUESTION_LEAD = re.compile(
    rf"^(?:y\s+)?(?:{Q}|como|cuanto|cuanta|cuando|donde|cual|por\s*{Q}|puedo|se\s+puede|hay"
    rf"|teneis|tiene|incluye|cubre)\b"
)
ON_TOPIC = re.compile(
    r"\b(?:segur|poliz|vida|cobertur|cubr|prima|precio|cuota|capital|info|oferta|presupuest"
    r"|cotiza|tarifa|contrat|benefici|fallec|muer|invalidez|hipotec|prestamo|deuda|famil|hij"
    r"|fum|vape|tabaco|edad|ano|dinero|pag|euro|cuant|plazo|opcion|propuesta|mensaje|robot|bot"
    r"|asesor|agente|dato|asegura|cancel|baja|alta|mes|naci|fecha|nombre|llamo|soy|tengo"
    r"|espos|marido|mujer|pareja|nin[oa]s?\b|kids?\b|bebe|padre|madre|papa|mama|impuest|desgrav"
    r"|deduc|hacienda|fiscal|renta\b)"
)
OFF_TOPIC = re.compile(
    r"\b(?:tiempo|lluvia|llueve|calor|frio|futbol|partido|liga|gol|chiste|receta"
    r"|cocina\w*|pelicula|serie|musica|cancion|politica|elecciones|videojuego|pizza|paella"
    r"|comida|restaurante|vacaciones|playa|horoscopo)\b"
)

NOT_SURE = re.compile(
    r"(?:no\s+(?:lo\s+)?(?:se|sabria|entiendo|comprendo|te\s+entiendo)|ni\s+idea)(?!\w)"
)
_BUENO = r"(?:bue+no+p?|bue+|gue+no+|we+no+|wue+no+)"
_FILLER = re.compile(
    rf"^(?:(?:{_BUENO}|pues|pos|mmm*|hmm*|eh+|ah+|oh+|oye|mira|a\s+ver|chach[oe]|mi\s+nin[oa]|bo|che|wey|guey)\s+)+"
)
# Only hesitation: what is left when a reply is nothing but filler ("mmm bueno" -> "bueno").
_HESITATION = re.compile(r"^(?:(?:mmm*|hmm*|eh+|ah+|oh+|oye|mira|a\s+ver)\s+)+")
_NO_THANKS = re.compile(r"\bno\s+(?:muchas\s+)?(?:gracias|grasias|grax|gracis|thanks)\b")
# "¿bueno?" answers the phone (MX) or wonders; it is not a yes.
_BUENO_ASKED = re.compile(rf"(?:\w+\s+)?{_BUENO}")
_DENY = re.compile(
    rf"(?:claro\s+{Q}\s+no|por\s+supuesto\s+{Q}\s+no|para\s+nada|ni\s+hablar|en\s+absoluto"
    r"|de\s+ninguna\s+manera|mejor\s+no|ni\s+de\s+cona|ni\s+loc[oa]|ni\s+ahi|ni\s+en\s+pedo"
    r"|esta\s+mal|incorrecto|ningun[oa]|no+|nop|nope|nel|nones|nanay|nah|na|nada|negativo|tampoco|paso"
    r"|jamas|nunca)(?!\w)"
)
_DENY_WHOLE = re.compile(rf"(?:{Q}\s+va|error|mal|nel\s+pastel)")
_AFFIRM = re.compile(
    r"(?:(?:ya|ahora|pues|entonces)\s+)?"
    r"(?:si+|sisi|sip|sep|claro|vale|ok+|okey|okay|oki|okis|oka|okas|de\s*acuerdo|perfecto"
    r"|adelante|por\s+supuesto|dale|venga|genial|correcto|exacto|eso\s+es|afirmativo"
    r"|me\s+parece\s+(?:bien|perfecto|genial)|esta\s+bien|ta\s+bien|muy\s+bien|bien|me\s+interesa"
    r"|acepto|autorizo|consiento|conforme|hecho|listo|yes|yep|sure|obvio|de\s+una|hagale"
    r"|orale|andale|simon|asi\s+es|todo\s+bien|todo\s+correcto|chevere|bacan|de\s+ley"
    r"|sale\s+y\s+vale|ya\s+po|ya\s+pues|por\s+supuesto|desde\s+luego|efectivamente"
    r"|ya\s+(?:los\s+datos\s+)?(?:estan\s+|esta\s+)?(?:bien|correctos?)|(?:los\s+)?datos\s+(?:estan\s+)?(?:bien"
    r"|correctos)"
    r"|confirm(?:o|e|a|ado|ada|ar|amos|ad)|lo\s+confirmo|todo\s+ok|ta\s+bueno|esta\s+bueno"
    r"|dalo|de\s+pelos|bacano|sii+|si\s*po|joya|barbaro|fino|de\s+diez|buenisimo"
    r"|burda\s+de\s+bien|cheque|chequi|excelente|estupendo|fantastico|de\s+lujo|macanudo"
    r"|re\s+bien|tal\s+cual|totalmente|entendido|sisas|sipi|simon|sim|yeah|chivo|fierro|jalo"
    r"|me\s+late|me\s+cuadra|va\s+pues?|sale\s+pues?|dale\s+pues?|ok\s+dale|claro\s+que\s+si"
    r"|sin\s+problema|aja|ajam|ajap|oui|guay|guai|chachi|fenomenal)(?!\w)"
)
# A yes word that only softens a no or a delay is not a yes: "vale, me lo pienso",
# "ah vale, pues nada, gracias", "ok, gracias igual".
_NOT_REALLY = re.compile(
    r"\bpues\s+nada\b|\bgracias\s+(?:igual|igualmente|de\s+todos\s+modos|de\s+todas\s+(?:formas"
    r"|maneras)|por\s+todo|pero\s+no)\b|\bigual\s+gracias\b|\b(?:asi|mejor)\s+(?:esta|estoy)\s+bien\b"
    r"|\bno\s+hace\s+falta\b|\bno\s+(?:es\s+)?necesario\b|\bde\s+momento\s+no\b|\bmejor\s+no\b"
    r"|\bno\s+gracias\b|\bya\s+veo\b|\bni\s+modo\b"
)
# Short words that are a yes only on their own ("va", "sale", "ya"): "¿cuánto sale?" is not.
# A bare "bueno" (UY, AR, MX: "ok") answering a yes/no question is a yes; "bueno, pero..." is
# not, nor "bueno... no sé" (the filler is stripped and the rest decides).
_AFFIRM_WHOLE = re.compile(
    r"(?:va|sale|ya|eso|arre|ta|como\s+no|a\s+huevo|va\s+que\s+va|es[ae](?:\s+(?:mer[ao]|merit[ao]"
    rf"|mism[ao]|es))?|(?:(?:pues|pos|ah+|oh+|ya)\s+)?{_BUENO})(?:\s+(?:po|pues|pue|pos|dale|ok|okey"
    rf"|vale|si|{_BUENO}|pues\s+si|todo\s+bien"
    r"|correcto|perfecto|bien|listo|de\s+una|genial|esta\s+bien|ta\s+bien|confirm\w*|acepto"
    r"|de\s+acuerdo|hecho|claro|sale|va|adelante))*"
)
_ACCEPT = re.compile(r"(?<!no )\b(?:acepto|autorizo|consiento|confirmo)\b")
# Consent in so many words, as the refusal text invites: "bueno venga, acepto".
CONSENTS = re.compile(
    r"(?<!no )\b(?:acepto|aceptamos|autorizo|consiento|doy\s+(?:mi\s+)?consentimiento)\b"
)
_THUMBS_DOWN = re.compile("[👎❌🙅]")
_THUMBS_UP = re.compile("[👍👌✅🙆🆗]")
# Asking for information in general is an opening, not a question the facts answer.
WANTS_INFO = re.compile(
    r"\b(?:info|infos|informacion|informaciones|informes|informar(?:me|nos)?|informe|informen"
    r"|detalles|saber\s+(?:mas|sobre|de|acerca))\b"
    r"|\b(?:quiero|quisiera|queria|me\s+interesa|me\s+interesaria|busco|buscaba|estoy\s+buscando"
    r"|necesito|necesitaria|me\s+gustaria|deseo|desearia|ocupo|estoy\s+interesad[oa]\s+en"
    r"|quiero\s+ver\s+lo\s+de|vengo\s+por)\s+(?:(?:contratar|sacar|hacer(?:me)?|tener|cotizar|un|una"
    r"|el|la|lo\s+del?|info\w*|saber|sobre|de|del|en|algun)\s+)*(?:seguros?|polizas?)\b"
)
# "quiero contratar un seguro de vida" wishes for one; it does not ask how contracting works.
WISH_TO_CONTRACT = re.compile(
    r"\b(?:quiero|quisiera|queria|me\s+gustaria|deseo|desearia|vengo\s+a|busco|me\s+interesa)"
    r"\s+contratar\s+(?:un|una)\s+(?:seguro|poliza)(?:\s+de\s+vida)?\b(?!\s*\?)"
)
GREETING = re.compile(rf"\bhola\b|\bbuenos\s+dias\b|\bbuenas\s+(?:tardes|noches)\b|^\W*{Q}\s+tal\b")
THANKS = re.compile(r"\bgraci\w*|\bgrax\b|\bthx\b|\bthanks\b|\bagradec\w*|🙏")


# An option named by its price: "la de 12 y pico al mes", "me quedo con la de 38 euros".
_PRICE_PICK = re.compile(
    r"\b(?:la|el)\s+(?:de|que\s+(?:cuesta|sale|vale|cobra))\s+(?:unos\s+|como\s+)?"
    r"(?P<price>\d{1,4}(?:[.,]\d{1,2})?)(?!\s*(?:mil|k)\b)"
    r"(?P<said>\s*(?:y\s+(?:pico|algo)|€|euros?|eur|pavos|\$))?(?P<when>\s+(?:al|por|cada)\s+(?:mes|ano))?"
)


def price_named(norm: str) -> float | None:
    """The price a message picks an option by; a bare small number is an option's number."""
    m = _PRICE_PICK.search(norm)
    if not m:
        return None
    price = float(m["price"].replace(",", "."))
    return price if price > 3 or m["said"] or m["when"] else None


def command(norm: str, core: str) -> Intent | None:
    """opt_out, opt_in, restart or handoff: they win over anything else the message says."""
    if (
        _OPT_OUT_WHOLE.fullmatch(core)
        or _OPT_OUT.search(norm)
        or (_OPT_OUT_BAJA.search(norm) and not _ABOUT_POLICY.search(norm))
    ):
        return "opt_out"
    if _OPT_IN_WHOLE.fullmatch(core) or _OPT_IN.search(norm):
        return "opt_in"
    if _RESTART.search(core):
        return "restart"
    if _RESUME.search(norm):
        return "resume"
    if _HANDOFF.search(norm) or (
        _HANDOFF_NOUN.search(norm) and not BOT.search(norm) and not ADVISOR_WHEN.search(norm)
    ):
        return "handoff"
    return None


def topic(norm: str, core: str) -> tuple[Intent, Topic] | None:
    """The objection or question the message raises, by the first topic that matches."""
    for intent, name, rx in TOPICS:
        if rx.search(norm):
            return intent, name
    if ("?" in norm or QUESTION_LEAD.match(core)) and ON_TOPIC.search(norm):
        return "question", "other"
    return None


def all_topics(norm: str) -> list[Topic]:
    """Every topic the message asks about, in the order it asks them (several pasted at once)."""
    if norm.count("?") < 2 and "," not in norm and " y " not in norm:
        return []
    hits = sorted(
        (m.start(), name)
        for intent, name, rx in TOPICS
        if intent == "question" and (m := rx.search(norm))
    )
    return list(dict.fromkeys(name for _, name in hits))


def strip_filler(core: str) -> str:
    """`core` without the "bueno", "pues", "mmm" it starts with.

    A reply that is only filler keeps its words but the hesitation: "mmm bueno" is "bueno".
    """
    if _FILLER.fullmatch(core + " "):
        return _HESITATION.sub("", core)
    return _FILLER.sub("", core)


def yes_no(norm: str, core: str) -> tuple[bool, bool]:
    """(yes, no): from how the reply starts, else from a thumbs emoji anywhere.

    A yes that only softens a delay or a no-thanks is not one: "vale, me lo pienso" is
    neither, "ah ok, gracias igual" is a no.
    """
    if NOT_SURE.match(core):
        return False, False
    if _NO_THANKS.search(core):  # "vale pues no gracias": a no, however it starts
        return False, True
    no = bool(_DENY.match(core) or _DENY_WHOLE.fullmatch(core))
    yes = not no and bool(
        _AFFIRM.match(core) or _AFFIRM_WHOLE.fullmatch(core) or _ACCEPT.search(core)
    )
    if yes and "?" in norm and _BUENO_ASKED.fullmatch(core):
        return False, False
    if yes and (_NOT_REALLY.search(core) or _THINK.search(norm)):
        return False, bool(_NOT_REALLY.search(core))
    if yes or no:
        return yes, no
    up, down = bool(_THUMBS_UP.search(norm)), bool(_THUMBS_DOWN.search(norm))
    return up and not down, down and not up
