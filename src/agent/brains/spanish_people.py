"""Who a Spanish message is about: the writer's name, the insured person, and the dependants."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from agent.brains.spanish_numbers import NUMBER_WORDS, Folded, one_of, skip

# Kin words (folded) -> the Reading's insured_relation.
RELATIONS = {
    "padre": "padre", "papa": "padre", "papi": "padre", "papito": "padre", "viejo": "padre",
    "apa": "padre", "jefe": "padre", "jefecito": "padre", "taita": "padre",
    "madre": "madre", "mama": "madre", "mami": "madre", "mamita": "madre", "vieja": "madre",
    "ama": "madre", "jefa": "madre", "jefecita": "madre", "viejito": "padre", "viejita": "madre",
    "padrecito": "padre", "papacito": "padre", "madrecita": "madre", "mamacita": "madre",
    "mujer": "mujer", "esposa": "mujer", "senora": "mujer", "esposito": "marido",
    "esposita": "mujer", "hijito": "hijo", "hijita": "hija", "hermanito": "hermano",
    "hermanita": "hermana", "abuelito": "otro", "abuelita": "otro",
    "marido": "marido", "esposo": "marido", "pareja": "pareja", "novio": "pareja",
    "novia": "pareja", "hijo": "hijo", "hija": "hija", "hermano": "hermano",
    "hermana": "hermana", "socio": "socio", "socia": "socio", "suegro": "otro", "suegra": "otro",
    "abuelo": "otro", "abuela": "otro", "tio": "otro", "tia": "otro", "primo": "otro",
    "prima": "otro", "cunado": "otro", "cunada": "otro", "sobrino": "otro", "sobrina": "otro",
    "amigo": "otro", "amiga": "otro",
    # A partner, in the words of each country: CL pololo, VE jevo, MX morra/chava, AR mina.
    "prometido": "pareja", "prometida": "pareja", "pololo": "pareja", "polola": "pareja",
    "jevo": "pareja", "jeva": "pareja", "morra": "pareja", "chava": "pareja", "chavo": "pareja",
    "mina": "pareja", "companera": "pareja", "companero": "pareja", "amorcito": "pareja",
    "amorcita": "pareja", "noviecito": "pareja", "noviecita": "pareja",
}  # fmt: skip
KIN = one_of(RELATIONS)
# A list of family after the relation ("para mi mujer y mis hijos") names who is protected.
ON_BEHALF_OF = (
    r"(?:\b(?:escribo|escribe|escribimos|te\s+escribo|les\s+escribo|le\s+escribo|llamo|consulto"
    r"|pregunto|vengo|hablo|contacto|contacte|pido|pregunte|consulte|averiguo|averiguando"
    r"|preguntando|consultando|escribiendo)\s+(?:info\w*\s+)?(?:por|para|de\s+parte\s+de"
    r"|en\s+nombre\s+de|a\s+nombre\s+de)|\bde\s+parte\s+de|\ben\s+(?:el\s+)?nombre\s+de"
    r"|\ba\s+nombre\s+de)"
)
_NOT_A_LIST = r"(?!\s*(?:,|y|e)\s+(?:a\s+)?(?:mis|mi|los|las|toda)\b)"
_INSURED_OTHER = re.compile(
    rf"\b(?:seguro|poliza|es|seria|sera|lo\s+(?:quiero|busco|necesito)|cotiza\w*|presupuesto"
    rf"|precio)\s+(?:de\s+vida\s+)?(?:para|pa|a)\s+mi\s+(?P<a>{KIN})\b{_NOT_A_LIST}"
    rf"|^\W*(?:y\s+)?(?:es\s+)?(?:para|pa)\s+mi\s+(?P<e>{KIN})\b{_NOT_A_LIST}"
    rf"|\basegurar(?:le)?\s+(?:a\s+)?(?:la\s+vida\s+de\s+)?mi\s+(?P<b>{KIN})\b"
    rf"|\b(?:la\s+)?vida\s+de\s+mi\s+(?P<c>{KIN})\b"
    rf"|\b(?:el|la)\s+asegurad[oa]\s+(?:es|seria|sera)\s+mi\s+(?P<d>{KIN})\b"
    rf"|{ON_BEHALF_OF}\s+mi\s+(?P<f>{KIN})\b"
    # "mi esposa quiere un seguro", "mi papá está interesado": not "mi mujer quiere que me asegure"
    rf"|\bmi\s+(?P<g>{KIN})\s+(?:(?:tambien|ya|me\s+dijo\s+que)\s+)?(?:quiere|quisiera|queria"
    rf"|necesita|busca|buscaba|desea|deseaba|pregunta|preguntaba|esta\s+interesad[oa]|esta\s+buscando"
    rf"|le\s+interesa|quiere\s+saber|queria\s+saber|tiene\s+interes)\b(?!\s+(?:que|q)\b)"
)
# The writer is not the customer: "escribo por mi esposo", "pregunto de parte de mi mamá".
ON_BEHALF = re.compile(rf"{ON_BEHALF_OF}\s+mi\s+{KIN}\b")
_INSURED_SELF = re.compile(
    r"\b(?:es|seria|sera|lo\s+quiero|seguro)\s+para\s+mi(?:\s+mism[oa])?(?=\s*(?:$|[,.;:!?)]"
    r"|y\b|no\b|sol[oa]\b|tengo\b|que\b))|\bpara\s+mi\s+mism[oa]\b"
    r"|\b(?:el|la)\s+asegurad[oa]\s+(?:soy|seria|sere)\s+yo\b|\bsoy\s+yo\b|\byo\s+mism[oa]\b"
    r"|\b(?:sobre|de)\s+mi\s+propia\s+vida\b|\bmi\s+propia\s+vida\b|\bsobre\s+mi\s+vida\b"
    r"|\b(?:es|seria|sera)\s+(?:sobre\s+)?mi\s+vida\b"
)
# Answers to "¿el seguro sería sobre la vida de tu padre?"
_ANSWER_OTHER = re.compile(rf"^(?:para\s+)?(?:el|ella|esa\s+persona)\b|\bmi\s+(?P<rel>{KIN})\b")
# "sí, de él", "la de ella", "sobre él": someone else's life or age, whatever was asked.
_WHOSE_OTHER = re.compile(
    r"^\W*(?:(?:si|claro|exacto|eso)\W*)?(?:(?:es|seria|la|el|los)\s+)?(?:de|para|sobre)\s+"
    r"(?:la\s+vida\s+de\s+)?(?:el|ella)\W*$"
)
_ANSWER_SELF = re.compile(r"^(?:no\W*)?(?:(?:es\s+)?para\s+mi|yo|a\s+mi)\b")
# A relative named as the beneficiary is not the insured: "mi hijo sería el beneficiario".
_BENEFICIARY = re.compile(
    rf"\bmi\s+{KIN}\s+(?:seria|sera|es|quedaria|como|de)\s+(?:el\s+|la\s+|mi\s+)?"
    rf"beneficiari\w*|\bbeneficiari\w*\s+(?:seria|sera|es|a|para)?\s*(?:a\s+)?mi\s+{KIN}\b"
)

CHILD = (
    r"(?:hij[oa]s?|hijit[oa]s?|nin[oa]s?|crios?|crias?|nen[ea]s?|peques?|chaval(?:es)?"
    r"|chavalin(?:es)?|bebes?|niet[oa]s?|chamac[oa]s?|chamaquit[oa]s?|escuincles?|morr[oa]s?"
    r"|morrit[oa]s?|pibes?|pibas?|pibit[oa]s?|guaguas?|cabr(?:o|a)s?\s+chic[oa]s|cabrit[oa]s?|cabr[oa]s"
    r"|chiquill[oa]s?|chiquit[oa]s?|gurises?|gurisas?|botijas?|chamos?|chamas?|carajit[oa]s?"
    r"|patoj[oa]s?|cipotes?|chavales?|chicos?|chicas?|pelad(?:it)?[oa]s|guri"
    r"|muchach(?:it)?[oa]s?|nenes|nenas|bebitos|bebitas|guirr?[oa]s?|chiguines|carajillos|guilas"
    r"|pelaos|culicagad[oa]s|chibol[oa]s|wawas|purretes|chilpayates|huerc[oa]s|plebes|chav[oa]s"
    r"|churumbeles|nanos|zagal(?:es|as)|mocos[oa]s|cativ[oa]s?|rapaces|rapazas|nen[oa]s|fill[oa]s"
    r"|nens|fills|enanos|bendiciones|retonos|criaturas|pequen(?:in)?[oa]s|pequenines|bichos"
    r"|txikis|txikit[oa]s|guajes|guajas|chavalas|zagalas|chiquet[oa]s|churumbel|zagal"
    # Spanglish: "mi esposa y 2 kids"
    r"|kids?|kiddos?|babies|babys?|childrens?|child|sons|daughters?|boys|girls)"
)
CHILDREN_AFTER = re.compile(rf"\s*(?:{CHILD}|(?P<people>personas?|dependientes))\b")
# A partner: words that say so alone, and words that say so after "mi" ("mi polola", "mi jeva",
# "mi morra", "mi chava", "mi mina", "mi amorcito").
PARTNER_ALONE = (
    r"(?:mujer|marido|espos[oa]|pareja|novi(?:ecit)?[oa]|conyuge|muller|companer[oa]\s+de\s+vida"
    r"|senora(?=\s+(?:y|e)\s)"
    r"|prometid[oa]|polol(?:it)?[oa]|wife|husband|hubby|spouse|partner|girlfriend|boyfriend"
    r"|fiancee?)"
)
PARTNER_OWNED = (
    r"(?:senora|parienta|dona|jermu|costilla|companer[oa]|chic[oa]|jev(?:it)?[ao]|media\s+naranja"
    r"|churri|santa|nora|home|marit|esposit[oa]|mujercita|negr[ao]|gord(?:it)?[ao]|flac[ao]|senor"
    r"|mina|hembra|contraria|morra|chav[oa]|amor|amorcit[oa])"
)
_PARTNER = re.compile(
    rf"\b{PARTNER_ALONE}\b"
    rf"|\b(?:mi|la|el|a\s+mina|o\s+meu|a\s+meva|la\s+meva|el\s+meu|nuestra)\s+{PARTNER_OWNED}\b"
)
# One child, with "mi" or an article: "mi hijito", "la guagua", "el gurí", "el nene".
_ONE_CHILD = (
    r"(?:hij[oa]|hijit[oa]|nin[oa]|ninit[oa]|bebe|bebit[oa]|peque|pequen[oa]|nen[ea]|crio|cria"
    r"|chamac[oa]|chamaquit[oa]|pib[ea]|pibit[oa]|guagua|guaguita|guri|gurisa|gurisit[oa]|chamo"
    r"|chama|chiquit[oa]|morro|morrit[oa]|escuincle|cipote|patoj[oa]|carajit[oa]|botija"
    r"|chaval|chavalin|cabrit[oa]|chiquill[oa]|pelad(?:it)?[oa]|muchach(?:it)?[oa]|baby|kid"
    r"|son|daughter)"
)
_MY_CHILD = re.compile(
    rf"\b(?:mi|el|la|nuestr[oa]|o\s+meu|a\s+mina|o|mina|meu|my|the|(?<=\w\s)(?:y|e))\s+(?:{_ONE_CHILD}|cativ[oa]|nen[oa]"
    r"|fill[oa]|rapaz|rapaza|neno|nena|bich[oa]|guirr?[oa]|chiguin|carajill[oa]|guila|pelao"
    r"|chibol[oa]|wawa|purrete|huerc[oa]|nano|zagal|zagala|enan[oa]|txiki|txikit[oa]|guaj[ea]"
    r"|chavala|churumbel|chiquet[oa]|renacuaj[oa])\b"
)
_MY_CHILDREN = re.compile(
    rf"\b(?:mis|my|y\s+(?:los|las))\s+{CHILD}\b|\bthe\s+(?:kids|babies|children|boys|girls)\b"
)
_MY_SIBLING = re.compile(r"\bmi\s+herman(?:it)?[oa]\b")
_MY_PARENTS = re.compile(r"\bmis\s+(?:padres|papas|apas|viejos|jefes|suegros|abuelos)\b")
_MY_PARENT = re.compile(
    r"\bmi\s+(?:madre|mama|mami|mamita|madrecita|ama|jefa|jefecita|vieja|viejita|padre|papa"
    r"|papi|papito|padrecito|apa|jefe|viejo|viejito|suegr[oa]|abuel(?:it)?[oa])\b"
)
DEPEND = re.compile(r"\bdepend\w*|\ba\s+mi\s+cargo\b")
# "dejarle algo a mi señora y a mi hija": whom the writer provides for are the dependants.
PROVIDE_FOR = re.compile(
    r"\bdejar(?:le|les)?\s+(?:algo|dinero|plata|lana|un\s+(?:dinero|dinerito|colchon|patrimonio)"
    r"|una\s+(?:lana|herencia))\s+(?:\w+\s+)?a\s+(?:mis?|nuestr[oa]s?)\b"
    r"|\b(?:que\s+)?(?:a\s+)?(?:mis?|nuestr[oa]s?)\s+\w+(?:\s+\w+){0,6}\s+(?:les?\s+)?quede\s+algo\b"
)
_NO_DEPENDANTS = re.compile(
    r"\bnadie\s+depende\b|\bno\s+depende\s+nadie\b|\bviv[oa]\s+sol[oa]\b"
    r"|\bsin\s+(?:hijos|cargas|personas\s+a\s+mi\s+cargo)\b"
    r"|\bno\s+(?:tengo|hay)\s+(?:hijos|ninos|a\s+nadie|nadie|personas|cargas)\b"
    r"|\b(?:hijos|ninos|cargas)\s+no\s+(?:tengo|tenemos|hay)\b|\bnadie\s+a\s+mi\s+cargo\b"
)
_NO_DEPENDANTS_ANSWER = re.compile(
    r"^\W*(?:(?:de\s+momento|por\s+ahora|por\s+el\s+momento|aun|todavia|ahora\s+mismo|pues)\W*)?"
    r"(?:no|nop|ningun[oa]|nadie|cero|solo\s+yo|yo\s+solo|estoy\s+sol[oa])\b"
)
# Asking who would be paid: "¿el dinero se lo llevaría mi mujer?", "quiero que lo cobre mi mamá".
PAYEE_ASKED = re.compile(
    r"\b(?:se\s+lo\s+(?:llevaria|llevara|dan|darian)|lo\s+(?:cobre|cobrara|cobraria|reciba"
    r"|recibiria)|beneficiari\w*)\b[^.!]*\?"
)
# "vivo con mi pareja pero trabajamos los dos": the partner is named and does not depend.
_BOTH_EARN = re.compile(
    r"\b(?:trabajamos|cobramos|ganamos)\s+(?:los\s+dos|las\s+dos|ambos|ambas)\b"
    r"|\b(?:el|ella)\s+(?:tambien\s+)?(?:trabaja|gana|cobra)\b|\bno\s+depende\s+de\s+mi\b"
)
_EXCEPT = re.compile(r"\b(?:solo|salvo|excepto|menos|aparte|pero|ademas|quitando)\b")

_NAME_INTRO = re.compile(
    r"\b(?:m[e']?\s*(?:llamo|yamo|iamo)|mi\s+nombre\s*(?:es|:)|(?:soy|soi)(?:\s+(?:el|la)(?=\s))?"
    r"|me\s+(?:dicen|llaman|conocen\s+como)|(?:te|le|les|os)\s+(?:escribe|habla|saluda))\s+"
)
# "Guadalupe pero me dicen Lupita": the name said first is the legal one, the nickname follows.
NICKNAME_NEXT = re.compile(
    r"\s*,?\s*(?:pero|aunque|y)\s+(?:(?:(?:todos|todo\s+el\s+mundo)\s+)?me\s+(?:dicen|llaman"
    r"|conocen\s+como)|decime|dime|digame|llamame|llameme|llamenme|diganme)\b"
)
# "Rocio y tengo 40", "pilar tengo 57": the name, then a datum about the writer.
# "ignacio pero decime nacho": the name, then only the nickname.
_NICKNAME_ALONE = re.compile(NICKNAME_NEXT.pattern + r"\s+[^\W\d_]+(?:\s+[^\W\d_]+)?\W*")
_DATA_NEXT = re.compile(r"\s*,?\s*(?:(?:y|e)\s+)?(?:tengo|cumpli\w*|naci\w*|no\s+fumo|fumo)\b")
_NAME_WORD = re.compile(r"\s*([^\W\d_]+(?:['-][^\W\d_]+)*)")
_NAME_END = re.compile(r"\s*[,.;:!]")
_ALNUM = re.compile(r"\w")
_FROM_PLACE = re.compile(r"\s+(?:de|desde)\s+[^\W\d_]+(?:\s+[^\W\d_]+)?\W*")  # "Kevin de Monterrey"
_TRAILING_NAME = re.compile(r"[,;.]\s*([^\W\d_]{2,}(?:\s+[^\W\d_]{2,})?)[\W_]*$")
# "vicente 50 no fumo": a name followed by the age without a comma.
_NUMBER_NEXT = re.compile(
    r"\s+(?:\d|(?:dieci|veinti|treinta|cuarenta|cincuenta|sesenta|setenta|ochenta|noventa)\w*)"
)
_COURTESY = re.compile(
    r"\W*(?:para\s+servir(?:le|les|te)?|a\s+(?:sus|tus|su)\s+ordenes|a\s+la\s+orden"
    r"|(?:mucho\s+)?gusto|encantad[oa]|un\s+placer|servidora?)\W*"
)
_NOISE = re.compile(r"[\W_]*")
# "Manolo, soy fontanero", "Manolo y trabajo de taxista": the name, then what the writer does.
_OCCUPATION = re.compile(
    r"[\W_]*(?:y\s+)?(?:soy|trabajo\s+(?:de|como)|de\s+profesion|profesion)?\s*(?:un|una)?\s*"
    r"(?P<job>[^\W\d_]+)[\W_]*"
)
# "aki brandon", "acá Luis": the place word before a name is not part of it.
_HERE = re.compile(r"(?:(?:por\s+)?(?:aqui|aki|aca|aka)\b[\W_]*)?")
# A voice note's hesitation before the name: "eh jordi", "pues este… Ramón".
_HESITATION = re.compile(r"(?:(?:eh+|em+|mmm*|ehm|pues|este|o\s+sea)\b[\W_]*)*")


def _forms(word: str) -> set[str]:
    stem = word[:-1] if word[-1] in "oa" else word
    return {word, word + "s", word + "es", stem + "a", stem + "as", stem + "o", stem + "os"}


@cache
def not_names() -> frozenset[str]:
    """Words that are never a name (professions, nationalities, places...), from the data file."""
    source = resources.files("agent") / "data" / "spanish_not_names.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    words = {w for group in data["exact"].values() for w in group}
    words.update(f for group in data["inflected"].values() for w in group for f in _forms(w))
    return frozenset(words | NUMBER_WORDS)


def insured(norm: str, expecting: str | None, yes: bool, no: bool) -> tuple[str | None, str | None]:
    """(insured, insured_relation): whose life the message says is insured."""
    norm = _BENEFICIARY.sub("·", norm)
    if expecting == "insured":
        if m := _ANSWER_OTHER.search(norm):
            return "other", RELATIONS.get(m["rel"] or "")
        if _ANSWER_SELF.match(norm) or _INSURED_SELF.search(norm):
            return "self", None
        if yes or no:  # the question named someone else: yes means them, no means me
            return ("other" if yes else "self"), None
    if _WHOSE_OTHER.match(norm):
        return "other", None
    # Answering "¿para qué quieres el seguro?", "para mi hija" says whom it protects.
    m = _INSURED_OTHER.search(norm)
    if m and not (m["e"] and expecting == "dependants"):
        return "other", RELATIONS[next(kin for kin in m.groups() if kin)]
    if _INSURED_SELF.search(norm):
        return "self", None
    return None, None


def dependants(norm: str, expecting: str | None, children: int, ages: int) -> int | None:
    """How many depend on the writer; 0 for "nadie", "vivo solo".

    Counted children (or children's ages listed), plus partner and parents when dependants are
    clearly the subject.
    """
    if PAYEE_ASKED.search(norm):
        return None  # "¿el dinero se lo llevaría mi mujer?": who is paid, not who depends
    if (
        expecting == "dependants"
        and not children
        and _NO_DEPENDANTS_ANSWER.match(norm)
        and not (_EXCEPT.search(norm) and not _BOTH_EARN.search(norm))
    ):
        return 0  # "de momento nadie, es para la hipoteca que tengo con mi chico"
    if not children and ages and _MY_CHILDREN.search(norm):
        children = ages  # "mis hijas tienen 4 y 9 años"
    if children or expecting == "dependants" or DEPEND.search(norm) or PROVIDE_FOR.search(norm):
        if _MY_CHILDREN.search(norm) and not children:
            return None  # "mi mujer y mis hijos": how many is not said
        children += len(_MY_CHILD.findall(norm)) + len(_MY_PARENT.findall(norm))
        children += len(_MY_SIBLING.findall(norm))
        children += 2 * len(_MY_PARENTS.findall(norm)) + (1 if _PARTNER.search(norm) else 0)
    if children:
        return children
    if _NO_DEPENDANTS.search(norm):
        return 0
    if expecting == "dependants" and _NO_DEPENDANTS_ANSWER.match(norm):
        return 0
    return None


@cache
def professions() -> frozenset[str]:
    """Professions in every gender and number ("fontanero", "taxistas"), from the data file."""
    source = resources.files("agent") / "data" / "spanish_not_names.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    return frozenset(f for w in data["inflected"]["professions"] for f in _forms(w))


def _occupation_only(rest: str) -> bool:
    """`rest` only says what the writer does: ", soy fontanero", " y trabajo de taxista"."""
    m = _OCCUPATION.fullmatch(rest)
    return bool(m and m["job"] in professions())


def proper(word: str) -> str:
    """Capitalise a name as written in lower or upper case ("ana maría" -> "Ana María")."""
    if not (word.islower() or word.isupper()):
        return word
    return re.sub(r"[^\W\d_]+", lambda m: m[0].capitalize(), word)


def name(source: str, folded: Folded) -> tuple[str, int] | None:
    """The name after "me llamo", "mi nombre es", "soy": up to three words, not common words.

    Returns the name and where it ends in the folded text.
    """
    norm, stop = folded.text, not_names()
    for intro in _NAME_INTRO.finditer(norm):
        spans: list[tuple[int, int]] = []
        pos = intro.end()
        while len(spans) < 3 and (w := _NAME_WORD.match(norm, pos)) and w[1] not in stop:
            spans.append(w.span(1))
            pos = w.end()
        if not spans or spans[0][1] - spans[0][0] < 2:
            continue
        after = _NAME_WORD.match(norm, pos)
        ends_clause = after is None or after[1] in stop
        written = [folded.original(source, s, e) for s, e in spans]
        keep = written[:1]
        for word in written[1:]:
            # A further lower-case word is a surname only where the clause ends: "ana garcía, ..."
            if not (ends_clause or word[:1].isupper()):
                break
            keep.append(word)
        return " ".join(proper(w) for w in keep), spans[len(keep) - 1][1]
    return None


def trailing_name(source: str, folded: Folded) -> tuple[str, int] | None:
    """The name a reply to "¿cómo te llamas?" ends with, after a comma: "37, no fumo, Iker"."""
    m = _TRAILING_NAME.search(folded.text)
    stop = not_names()
    if not m or any(w in stop for w in m[1].split()) or len(m[1]) < 2:
        return None
    return " ".join(proper(w) for w in folded.original(source, *m.span(1)).split()), m.end(1)


def leading_name(source: str, folded: Folded, start: int, *, alone: bool) -> tuple[str, int] | None:
    """The name a reply to "¿cómo te llamas?" starts with, and where it ends.

    The reply is read from `start` in the folded text.

    `alone`: the reply is only the name ("Ana", "ana garcía 😊", "Ramón, para servirle");
    otherwise the name must be followed by punctuation ("Ana, 35 años").
    """
    norm, stop = folded.text, not_names()
    spans: list[tuple[int, int]] = []
    pos = skip(_HERE, norm, skip(_HESITATION, norm, skip(_NOISE, norm, start)))
    while (
        len(spans) < 3
        and not (spans and NICKNAME_NEXT.match(norm, pos))
        and (w := _NAME_WORD.match(norm, pos))
        and w[1] not in stop
    ):
        spans.append(w.span(1))
        pos = w.end()
    rest = norm[pos:]
    if alone:
        ends = not _ALNUM.search(rest) or bool(
            _FROM_PLACE.fullmatch(rest)
            or _COURTESY.fullmatch(rest)
            or _occupation_only(rest)
            or _NICKNAME_ALONE.fullmatch(rest)
        )
    else:
        ends = bool(
            _NAME_END.match(rest)
            or _NUMBER_NEXT.match(rest)
            or NICKNAME_NEXT.match(rest)
            or _DATA_NEXT.match(rest)
        )
    if not spans or spans[0][1] - spans[0][0] < 2 or not ends:
        return None
    words = [proper(folded.original(source, s, e)) for s, e in spans]
    said = [w for i, w in enumerate(words) if not i or w != words[i - 1]]  # "jordi jordi puig"
    return " ".join(said), spans[-1][1]
