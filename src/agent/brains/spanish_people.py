"""Who a Spanish message is about: the writer's name, the insured person, and the dependants."""

from __future__ import annotations

import re
from functools import cache

from agent import datafile
from agent.brains import lexicon
from agent.brains.spanish_numbers import MONTH, NUMBER_WORDS, Folded, one_of, skip

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

# The patterns of agent/data/spanish/people.toml, by name.
RX = lexicon.load("people", KIN=KIN, MONTH=MONTH)


# "Rocio y tengo 40", "pilar tengo 57": the name, then a datum about the writer.
# "ignacio pero decime nacho": the name, then only the nickname.
_NICKNAME_ALONE = re.compile(RX["nickname_next"].pattern + r"\s+[^\W\d_]+(?:\s+[^\W\d_]+)?\W*")


def _forms(word: str) -> set[str]:
    stem = word[:-1] if word[-1] in "oa" else word
    return {word, word + "s", word + "es", stem + "a", stem + "as", stem + "o", stem + "os"}


@cache
def not_names() -> frozenset[str]:
    """Words that are never a name (professions, nationalities, places...), from the data file."""
    data = datafile.bundled("spanish_not_names.json")
    words = {w for group in data["exact"].values() for w in group}
    words.update(f for group in data["inflected"].values() for w in group for f in _forms(w))
    return frozenset(words | NUMBER_WORDS)


def insured(norm: str, expecting: str | None, yes: bool, no: bool) -> tuple[str | None, str | None]:
    """(insured, insured_relation): whose life the message says is insured."""
    norm = RX["beneficiary"].sub("·", norm)
    if expecting == "insured":
        if m := RX["answer_other"].search(norm):
            return "other", RELATIONS.get(m["rel"] or "")
        if RX["answer_self"].match(norm) or RX["insured_self"].search(norm):
            return "self", None
        if RX["third_datum"].search(norm) and not RX["first_person_data"].search(norm):
            return "other", None  # "tiene 52", "no fuma": the person the question named
        if yes or no:  # the question named someone else: yes means them, no means me
            return ("other" if yes else "self"), None
    if RX["whose_other"].match(norm):
        return "other", None
    # Answering "¿para qué quieres el seguro?", "para mi hija" says whom it protects.
    m = RX["insured_other"].search(norm)
    if m and not (m["e"] and expecting == "dependants"):
        return "other", RELATIONS[next(kin for kin in m.groups() if kin)]
    if RX["insured_self"].search(norm):
        return "self", None
    # "mi esposo tiene 52 y no fuma": the relative's own data are given to price their life; not
    # when they answer who depends on the writer, nor next to the writer's own data.
    m = RX["relative_data"].search(norm)
    if m and expecting != "dependants" and not RX["first_person_data"].search(norm):
        return "other", RELATIONS[m["rel"]]
    return None, None


def dependants(norm: str, expecting: str | None, children: int, ages: int) -> int | None:
    """How many depend on the writer; 0 for "nadie", "vivo solo".

    Counted children (or children's ages listed), plus partner and parents when dependants are
    clearly the subject.
    """
    if RX["payee_asked"].search(norm):
        return None  # "¿el dinero se lo llevaría mi mujer?": who is paid, not who depends
    if (
        expecting == "dependants"
        and not children
        and RX["no_dependants_answer"].match(norm)
        and not (RX["except"].search(norm) and not RX["both_earn"].search(norm))
    ):
        return 0  # "de momento nadie, es para la hipoteca que tengo con mi chico"
    if not children and ages and RX["my_children"].search(norm):
        children = ages  # "mis hijas tienen 4 y 9 años"
    if (
        children
        or expecting == "dependants"
        or RX["depend"].search(norm)
        or RX["provide_for"].search(norm)
    ):
        if RX["my_children"].search(norm) and not children:
            return None  # "mi mujer y mis hijos": how many is not said
        children += len(RX["my_child"].findall(norm)) + len(RX["my_parent"].findall(norm))
        children += len(RX["my_sibling"].findall(norm))
        # "mi esposo trabaja en construcción": a partner who earns is named, not a dependant
        partner = RX["partner"].search(norm) and not (
            RX["both_earn"].search(norm) or RX["partner_gone"].search(norm)
        )
        children += 2 * len(RX["my_parents"].findall(norm)) + (1 if partner else 0)
    if children:
        return children
    if RX["no_dependants"].search(norm):
        return 0
    if expecting == "dependants" and RX["no_dependants_answer"].match(norm):
        return 0
    return None


@cache
def professions() -> frozenset[str]:
    """Professions in every gender and number ("fontanero", "taxistas"), from the data file."""
    data = datafile.bundled("spanish_not_names.json")
    return frozenset(f for w in data["inflected"]["professions"] for f in _forms(w))


def _occupation_only(rest: str) -> bool:
    """`rest` only says what the writer does: ", soy fontanero", " y trabajo de taxista"."""
    m = RX["occupation"].fullmatch(rest)
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
    for intro in RX["name_intro"].finditer(norm):
        spans: list[tuple[int, int]] = []
        pos = intro.end()
        while len(spans) < 3 and (w := RX["name_word"].match(norm, pos)) and w[1] not in stop:
            spans.append(w.span(1))
            pos = w.end()
        if not spans or spans[0][1] - spans[0][0] < 2:
            continue
        after = RX["name_word"].match(norm, pos)
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
    m = RX["trailing_name"].search(folded.text)
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
    pos = skip(RX["here"], norm, skip(RX["hesitation"], norm, skip(RX["noise"], norm, start)))
    pos = skip(RX["call_me"], norm, pos)
    while (
        len(spans) < 3
        and not (spans and RX["nickname_next"].match(norm, pos))
        and (w := RX["name_word"].match(norm, pos))
        and w[1] not in stop
    ):
        spans.append(w.span(1))
        pos = w.end()
    rest = norm[pos:]
    if alone:
        ends = not RX["alnum"].search(rest) or bool(
            RX["from_place"].fullmatch(rest)
            or RX["courtesy"].fullmatch(rest)
            or _occupation_only(rest)
            or _NICKNAME_ALONE.fullmatch(rest)
        )
    else:
        ends = bool(
            RX["name_end"].match(rest)
            or RX["number_next"].match(rest)
            or RX["nickname_next"].match(rest)
            or RX["data_next"].match(rest)
        )
    if not spans or spans[0][1] - spans[0][0] < 2 or not ends:
        return None
    words = [proper(folded.original(source, s, e)) for s, e in spans]
    said = [w for i, w in enumerate(words) if not i or w != words[i - 1]]  # "jordi jordi puig"
    return " ".join(said), spans[-1][1]
