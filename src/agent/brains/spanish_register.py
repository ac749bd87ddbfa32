"""How a message is written: tú or usted, and whether it is in a language other than Spanish."""

from __future__ import annotations

import re

from agent.brains.base import Register

_USTED = re.compile(
    r"\busted(?:es)?\b|\bud\.?s?\b|\bdisculpe\b|\bperdone\b|\boiga\b|\bdigame\b|\bpodria\b"
    r"|\b(?:me|nos)\s+(?:puede|podria|permite|indica|explica|dice|informa|manda|envia)\b"
    r"|\ble\s+(?:agradezco|agradeceria|pregunto|escribo|comento|consulto|molesto|hablo)\b"
    r"|\b(?:expliqueme|indiqueme|digame|envieme|mandeme|llameme|contacteme|disculpeme)\b"
    r"|\b(?:sabe|quiere|necesita|puede)\s+usted\b|\bsu\s+(?:empresa|compania|aseguradora)\b"
    r"|\bpara\s+servirle(?:s)?\b|\ba\s+sus\s+ordenes\b|\bsu\s+servidora?\b"
    r"|^(?:si\s+)?senor(?:a|ita)?\b(?!\s+(?:y|e)\s)|\bsi\s+senor(?:a|ita)?\b|\ble\s+(?:cuento|digo|explico)\b"
    r"|(?:^|[,.;!?]\s*)mire\b"
    r"|\ble\s+(?:escribe|saluda|habla|ruego|rogaria|pido|pediria|agradeceria)\b"
    r"|\b(?:si\s+fuera|sea|seria\s+usted)\s+(?:tan\s+)?amable\b|\bjovencit[oa]\b|\bcaballero\b"
    r"|\bsenorita\b|\bme\s+dirijo\s+a\b|\bsu\s+(?:paciencia|ayuda|atencion|amabilidad|tiempo"
    r"|informacion)\b|\b(?:confirmel[ao]s?|anotel[ao]s?|apuntel[ao]s?|llameme|escribame|pongal[ao]"
    r"|hagal[ao]|mandemel[ao]|enviemel[ao]|cuenteme|expliquemel[ao]|aclareme|ayudeme|perdoneme"
    r"|confirmemel[ao]|disculpe\s+usted|estimad[oa]s?|senores|muy\s+amable|atentamente|cordialmente"
    r"|cordial\s+saludo)\b"
    # "Desearía información sobre su seguro de vida": a formal wish addressed to the company.
    r"|\b(?:desearia|deseaba|quisiera|me\s+gustaria)\b.*\bsus?\s+(?:seguros?|productos?|servicios?"
    r"|polizas?|ofertas?|planes|plan|tarifas?|condiciones|precios?|coberturas?)\b"
    r"|\bque\s+me\s+(?:informaran|informasen|informen|llamaran|llamasen|llamen|explicaran"
    r"|expliquen|contactaran|contacten|enviaran|envien|mandaran|manden)\b"
)
# "Buenos días. Quisiera información…": a formal salutation and a courteous wish, which say
# usted unless a tú form follows.
_COURTEOUS_OPENING = re.compile(
    r"^(?:buenos\s+dias|buenas\s+tardes|buenas\s+noches)\b\W+(?:\w+\s+){0,2}(?:quisiera|desearia"
    r"|deseaba|me\s+gustaria)\b"
)
_TU = re.compile(
    r"\btu\b|\bpuedes\b|\btienes\b|\bsabes\b|\bpodrias\b|\beres\b|\bquieres\b|\bnecesitas\b"
    r"|\bdime\b|\bexplicame\b|\bmandame\b|\benviame\b|\bllamame\b|\bte\s+(?:pregunto|escribo"
    r"|agradezco|consulto|molesto)\b|\bvos\b|\bpodes\b|\btenes\b|\bsabes\b|\brecomiendas\b"
)

# Words that mark a language and are not Spanish words (folded, no accents).
_MARKERS = {
    "en": """hi hello hey i i'm im want wanna would like how much is it the you your what do
        does speak english life insurance please my need price quote cost can get am years
        old smoke don't dont thanks thank yes quote policy cover coverage are there this that
        with for of and or have has""",
    "pt": """quero um uma voce obrigado obrigada nao sim tenho custa preco meu minha gostaria bom
        tudo fumante filhos seguradora ola oi estou isso voces quanto falar portugues""",
    "fr": """bonjour je voudrais une assurance vie merci combien oui suis j'ai ai ans c'est est
        pour avec vous s'il plait francais parlez salut""",
    "de": """guten tag ich mochte moechte eine lebensversicherung bitte danke wie viel kostet
        hallo und nicht ja nein ist das sprechen deutsch jahre alt""",
    "it": """buongiorno vorrei un' assicurazione sulla ciao grazie quanto costa sono ho anni
        voglio della per parla italiano salve""",
}
# Spanish words that no other of those languages writes the same way.
_SPANISH_WORDS = """hola y cuanto cuesta precio yo gracias buenas buenos tardes cual donde puedo
    informacion usted pero muy tambien ahora"""
# Words and phrases only someone writing Spanish puts in a sentence (verbs in the first person,
# articles, "para mi"): with one of them a message is Spanish, however many English words it
# has ("hi, quiero info del life insurance", "tengo 35 years", "my husband para mi familia").
_SPANISH_GRAMMAR = """quiero quisiera tengo tenemos necesito necesitaria buscaba soy
    estoy interesa interesaria el los las mis hijos hijas hijo hija mujer"""
_GRAMMAR = frozenset(_SPANISH_GRAMMAR.split())
_SPANISH_PHRASE = re.compile(
    r"\b(?:para|pa|de|a)\s+mis?\b|\binfo(?:rmacion)?\s+(?:del|de\s+(?:el|la|los|las|un|una))\b"
)
_SPANISH = frozenset(_SPANISH_WORDS.split()) | _GRAMMAR
_WORDS = {lang: frozenset(words.split()) - _SPANISH for lang, words in _MARKERS.items()}
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


def formality(norm: str) -> Register | None:
    """The register: usted when formal, tu when informal, None when it can't be told."""
    if _USTED.search(norm):
        return "usted"
    if _TU.search(norm):
        return "tu"
    if _COURTEOUS_OPENING.search(norm):
        return "usted"
    return None


def language(norm: str) -> str | None:
    """The ISO 639-1 code of a message clearly not in Spanish; None for Spanish or unclear.

    A Spanish message with English words stays Spanish: "hi, quiero info del life insurance".
    """
    tokens = _TOKEN.findall(norm)
    if len(tokens) < 2:
        return None
    if _GRAMMAR.intersection(tokens) or _SPANISH_PHRASE.search(norm):
        return None
    spanish = sum(t in _SPANISH for t in tokens)
    best, hits = None, 0
    for lang, words in _WORDS.items():
        count = sum(t in words for t in tokens)
        if count > hits:
            best, hits = lang, count
    return best if hits >= 2 and hits > 2 * spanish else None
