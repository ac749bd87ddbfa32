"""The customer's register: our replies, written in tú, said in usted to those who write usted."""

from __future__ import annotations

import re

# Whole words and phrases of our own texts, tú -> usted. A table rather than grammar: every
# reply the bot can produce is converted and checked in tests/test_voice.py, so a new text
# with a form missing here fails there.
_TABLE = {
    # pronouns and possessives
    "tú": "usted",
    "ti": "usted",
    "contigo": "con usted",
    "tu": "su",
    "tus": "sus",
    "tuyo": "suyo",
    "tuya": "suya",
    "tuyos": "suyos",
    "tuyas": "suyas",
    "te": "le",
    # te + lo/la/los/las is se lo…, and reflexive verbs take se
    "te lo": "se lo",
    "te la": "se la",
    "te los": "se los",
    "te las": "se las",
    "te llamas": "se llama",
    "te quedas": "se queda",
    "te preocupes": "se preocupe",
    "te olvides": "se olvide",
    "te jubilas": "se jubila",
    "te jubiles": "se jubile",
    "te decides": "se decide",
    "te animas": "se anima",
    "te arrepientes": "se arrepiente",
    # verbs with te attached
    "contactarte": "contactarle",
    "entenderte": "entenderle",
    "ofrecerte": "ofrecerle",
    "ayudarte": "ayudarle",
    "llamarte": "llamarle",
    "escribirte": "escribirle",
    "atenderte": "atenderle",
    "preguntarte": "preguntarle",
    "explicarte": "explicarle",
    "enviarte": "enviarle",
    "decirte": "decirle",
    "darte": "darle",
    "calcularte": "calcularle",
    "recordarte": "recordarle",
    "molestarte": "molestarle",
    "informarte": "informarle",
    "asesorarte": "asesorarle",
    "pedirte": "pedirle",
    "pasarte": "pasarle",
    "preocuparte": "preocuparse",
    "ayudándote": "ayudándole",
    "escribiéndote": "escribiéndole",
    "tómate": "tómese",
    "asegúrate": "asegúrese",
    "fíjate": "fíjese",
    # imperatives that have no third-person twin
    "dime": "dígame",
    "dímelo": "dígamelo",
    "escríbeme": "escríbame",
    "escríbenos": "escríbanos",
    "cuéntame": "cuénteme",
    "avísame": "avíseme",
    "confírmame": "confírmeme",
    "indícame": "indíqueme",
    "pídelo": "pídalo",
    "piénsalo": "piénselo",
    "perdona": "perdone",
    "ten": "tenga",
    "confirma tus": "confirme sus",
    "no dudes": "no dude",
    # present
    "aceptas": "acepta",
    "cambias": "cambia",
    "confirmas": "confirma",
    "contratas": "contrata",
    "cobras": "cobra",
    "crees": "cree",
    "das": "da",
    "decides": "decide",
    "dices": "dice",
    "eliges": "elige",
    "entiendes": "entiende",
    "eres": "es",
    "estás": "está",
    "falleces": "fallece",
    "fumas": "fuma",
    "haces": "hace",
    "has": "ha",
    "llamas": "llama",
    "necesitas": "necesita",
    "pagas": "paga",
    "pides": "pide",
    "piensas": "piensa",
    "prefieres": "prefiere",
    "puedes": "puede",
    "quedas": "queda",
    "quieres": "quiere",
    "recibes": "recibe",
    "sabes": "sabe",
    "sigues": "sigue",
    "tienes": "tiene",
    "trabajas": "trabaja",
    "vapeas": "vapea",
    "vas": "va",
    "vives": "vive",
    "vuelves": "vuelve",
    # subjunctive
    "elijas": "elija",
    "fumes": "fume",
    "hayas": "haya",
    "necesites": "necesite",
    "prefieras": "prefiera",
    "puedas": "pueda",
    "quieras": "quiera",
    "tengas": "tenga",
    "vapees": "vapee",
    # past, conditional, future
    "dejaste": "dejó",
    "diste": "dio",
    "dijiste": "dijo",
    "elegiste": "eligió",
    "escribiste": "escribió",
    "pediste": "pidió",
    "contestaste": "contestó",
    "fumabas": "fumaba",
    "tenías": "tenía",
    "querías": "quería",
    "podrías": "podría",
    "querrías": "querría",
    "preferirías": "preferiría",
    "podrás": "podrá",
    "recibirás": "recibirá",
    "tendrás": "tendrá",
    "pagarás": "pagará",
    "verás": "verá",
    "volverás": "volverá",
}
# Imperatives spelled like the third person ("la aseguradora confirma"): only before what the
# customer is told to write or tap («acepto», *sí*, 1, SI, BAJA).
_IMPERATIVES = {
    "responde": "responda",
    "contesta": "conteste",
    "escribe": "escriba",
    "elige": "elija",
    "di": "diga",
    "pulsa": "pulse",
    "toca": "toque",
}
# Capitals are a word like SI or BAJA only when matched case-sensitively; "{numbers}" is the
# options a sender lists ("Responde {numbers}.").
_TOLD_TO_WRITE = (
    r"(?=\s*(?:[«*\"“0-9{]|(?-i:[A-ZÁÉÍÓÚÑ]{2,})(?!\w)|s[ií](?!\w)|no(?!\w)"
    r"|con\s+un\s+número(?!\w)))"
)
# What the customer is quoted as writing, and format placeholders, are never changed.
_KEPT = r"«[^»]*»|\{[^}]*\}"


def _alternation(words: dict[str, str]) -> str:
    # Longest first, so "te lo" wins over "te"; a space in a phrase matches any whitespace.
    keys = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, key.split())) for key in keys)


_PATTERN = re.compile(
    rf"(?P<kept>{_KEPT})"
    rf"|(?<!\w)(?P<word>{_alternation(_TABLE)})(?!\w)"
    rf"|(?<!\w)(?P<imperative>{_alternation(_IMPERATIVES)})(?!\w){_TOLD_TO_WRITE}",
    re.IGNORECASE,
)


def _usted(match: re.Match[str]) -> str:
    if match["kept"]:
        return match["kept"]
    said = match["word"] or match["imperative"]
    table = _TABLE if match["word"] else _IMPERATIVES
    formal_ = table[" ".join(said.lower().split())]
    if said.isupper() and len(said) > 1:
        return formal_.upper()
    if said[0].isupper():
        return formal_[0].upper() + formal_[1:]
    return formal_


def formal(text: str) -> str:
    """`text` (one of our replies, in tú) in usted: te ayudo -> le ayudo, ¿Fumas? -> ¿Fuma?."""
    return _PATTERN.sub(_usted, text)
