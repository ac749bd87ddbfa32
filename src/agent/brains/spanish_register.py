"""How a message is written: tú or usted, and whether it is in a language other than Spanish."""

from __future__ import annotations

from agent.brains import lexicon
from agent.brains.base import Register

# The patterns of agent/data/spanish/register.toml, by name.
RX = lexicon.load("register")


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
_SPANISH = frozenset(_SPANISH_WORDS.split()) | _GRAMMAR
_WORDS = {lang: frozenset(words.split()) - _SPANISH for lang, words in _MARKERS.items()}


def formality(norm: str) -> Register | None:
    """The register: usted when formal, tu when informal, None when it can't be told."""
    if RX["asks_usted"].search(norm):
        return "usted"
    if RX["asks_tu"].search(norm):  # "¿me puede tutear?" says usted while asking for tú
        return "tu"
    if RX["usted"].search(norm):
        return "usted"
    if RX["tu"].search(norm):
        return "tu"
    if RX["courteous_opening"].search(norm):
        return "usted"
    return None


def language(norm: str) -> str | None:
    """The ISO 639-1 code of a message clearly not in Spanish; None for Spanish or unclear.

    A Spanish message with English words stays Spanish: "hi, quiero info del life insurance".
    """
    tokens = RX["token"].findall(norm)
    if len(tokens) < 2:
        return None
    if _GRAMMAR.intersection(tokens) or RX["spanish_phrase"].search(norm):
        return None
    spanish = sum(t in _SPANISH for t in tokens)
    best, hits = None, 0
    for lang, words in _WORDS.items():
        count = sum(t in words for t in tokens)
        if count > hits:
            best, hits = lang, count
    return best if hits >= 2 and hits > 2 * spanish else None
