"""The profile data in a Spanish message, each number read by the words around it."""

from __future__ import annotations

from datetime import date

from agent.brains import lexicon
from agent.brains import spanish_people as people
from agent.brains.spanish_numbers import (
    MONTH,
    MONTH_NUMBERS,
    Folded,
    Mention,
    changes,
    currency_word,
    find_birth_date,
    find_numbers,
    mask,
    one_of,
    periods_in_years,
    range_bounds,
    retracted,
    skip,
)
from agent.brains.spanish_smoking import read_smoking

NUMERIC_ASKS = frozenset({"age", "term", "cover", "dependants", "option"})
_OTHER_NUMBER_ASKS = frozenset({"term", "cover", "dependants"})  # "tengo 2" answers them
_LIMITS = {"age": (1, 120), "term": (1, 99), "cover": (1, 100_000_000), "dependants": (0, 30),
           "option": (1, 9), "term_end_age": (18, 99)}  # fmt: skip

# A corrected number out of turn belongs to the datum asked just before the pending question.
_ASKED_BEFORE = {"smoker": "age", "cover": "age", "term": "cover", "dependants": "term"}
_PLAUSIBLE = {"age": (18, 99), "term": (1, 60), "cover": (1_000, 100_000_000),
              "dependants": (0, 15), "option": (1, 3)}  # fmt: skip


def _put(fields: dict[str, object], key: str, value: int) -> None:
    low, high = _LIMITS[key]
    if key not in fields and low <= value <= high:
        fields[key] = value


def _corrected(value: int, expecting: str | None) -> str | None:
    """The field a bare "quise decir N" fits: the pending question's, else the one before it."""
    for key in (expecting, _ASKED_BEFORE.get(expecting or "")):
        if key in _PLAUSIBLE and _PLAUSIBLE[key][0] <= value <= _PLAUSIBLE[key][1]:
            return key
    return None


def _birth_year(norm: str, today: date) -> tuple[int, int, int] | None:
    """Age from "nací en el 82", "soy del 82", "nacido en 1982", with the span it came from."""
    m = RX["birth_year"].search(norm)
    if not m or (m.group(0).startswith("soy") and " de" not in m.group(0)):
        return None
    year = int(m["year"])
    if year < 100:
        year += 2000 if 2000 + year <= today.year else 1900
    month = MONTH_NUMBERS.get(m["month"] or "", 0)
    age = today.year - year - (1 if month > today.month else 0)
    return (age, m.start(), m.end()) if 0 < age <= 120 else None


def _end_year(norm: str, today: date) -> tuple[int, int, int] | None:
    """The term from the year it should end in ("hasta 2045"), with the span it came from."""
    m = RX["end_year"].search(norm)
    if not m or not 0 < int(m["year"]) - today.year <= _PLAUSIBLE["term"][1]:
        return None
    return int(m["year"]) - today.year, m.start("year"), m.end("year")


def _groups(mentions: list[Mention], norm: str) -> list[list[Mention]]:
    """Numbers listed together ("4 y 9 años", "3, 6 y 10") share the words around the list."""
    groups: list[list[Mention]] = []
    for n in mentions:
        last = groups[-1][-1] if groups else None
        if (
            last
            and not (n.money or last.money or n.weak or last.weak)
            and RX["group_gap"].fullmatch(norm[last.end : n.start])
        ):
            groups[-1].append(n)
        else:
            groups.append([n])
    return groups


def _and_months(value: int, after: str) -> bool:
    """An age with months over, as "38 y pico" or "52 largos"; "40 y pico" may be the forties."""
    return value % 10 != 0 and bool(RX["months_over_after"].match(after))


def _child_term(norm: str, mentions: list[Mention]) -> tuple[int, set[int]] | None:
    """The years until a child reaches an age, with the starts of the numbers that said it.

    "hasta que mi hija cumpla 25, ahora tiene 7" is 18; "hasta que sean mayores de edad,
    tienen 4 y 8" is 14: the youngest child's. None unless both ages are said.
    """
    target, said = (18, set()) if RX["child_of_age"].search(norm) else (None, set())
    now: list[Mention] = []
    for group in _groups([n for n in mentions if not n.money], norm):
        before = norm[max(0, group[0].start - 40) : group[0].start]
        if target is None and len(group) == 1 and RX["child_reaches_before"].search(before):
            target, said = group[0].value, {group[0].start}
        elif RX["child_now_before"].search(before):
            now += group
    if target is None or not now:
        return None
    youngest = min(now, key=lambda n: n.value)
    if not 0 < target - youngest.value <= _PLAUSIBLE["term"][1]:
        return None
    return target - youngest.value, said | {n.start for n in now}


def _numbers(
    norm: str,
    expecting: str | None,
    fields: dict[str, object],
    other: bool,
    *,
    correcting: bool,
    known: frozenset[str],
    about: bool = False,
) -> tuple[int, int, list[int]]:
    """Classify every number by the words around it into `fields`.

    Returns how many children were counted, how many children's ages were listed, and the
    numbers nothing around them explained. `other`: the insured is someone else, so their
    third-person age counts and the writer's own does not. `correcting`: the message takes a
    number back ("perdón, 20 años, no 25" after the term was asked corrects the term).
    `known`: the priced data already in the profile; with the age known, a bare "20 años"
    is the term. `about`: the conversation is about the insured relative, so a bare "tiene 52"
    is their age.
    """
    depends = bool(people.RX["depend"].search(norm))
    children, ages, pending_years, bare = 0, 0, [], []
    foreign = currency_word(norm)
    mentions = retracted(find_numbers(norm), norm, answering=expecting in NUMERIC_ASKS)
    changed = changes(mentions, norm)
    ranged = range_bounds(mentions, norm) | set(changed.values())
    child_term = None if other else _child_term(norm, mentions)
    if child_term:
        ranged |= child_term[1]
    for group in _groups([n for n in mentions if n.start not in ranged], norm):
        before = norm[max(0, group[0].start - 40) : group[0].start]
        if len(group) > 1 and RX["ages_before"].search(before):
            ages += len(group)  # "mis hijas tienen 4 y 9 años", "hijos de 5 y 7"
            continue
        for n in group:
            at = changed.get(n.start, n.start)  # a figure changed to is read where the old one was
            before = norm[max(0, at - 40) : at]
            after = norm[n.end : n.end + 40]
            if RX["income_before"].search(before) and n.currency in (None, "EUR") and not n.weak:
                monthly = RX["per_month_after"].match(after)  # "cobro 2000 al mes": a year's 12
                fields.setdefault("income", n.value * 12 if monthly else n.value)
            child = people.RX["children_after"].match(after)
            if child and (depends or not child["people"]):
                children += n.value
            elif (
                n.weak
                or RX["per_period_after"].match(after)
                or RX["unit_after"].match(after)
                or RX["negated_before"].search(before)
                or RX["income_before"].search(before)
                or RX["when_before"].search(before)
                or (n.value == 2 and RX["both_before"].search(before))
            ):
                continue
            elif RX["we_are_before"].search(before):
                _put(fields, "dependants", n.value - 1)  # "somos 4 en casa": me and 3 more
            elif (
                RX["they_are_before"].search(before)
                and n.value < 10
                and RX["siblings"].search(norm)
            ):
                children += n.value
            elif RX["someone_turns_before"].search(before):
                continue
            elif n.currency not in (None, "EUR") or (n.money and foreign and not n.currency):
                fields.setdefault("currency", n.currency or foreign)
            elif n.money or n.value >= 10_000:
                _put(fields, "cover", n.value)
            elif RX["cover_before"].search(before):
                _put(fields, "cover", n.value * 1_000 if n.value < 1_000 else n.value)
            elif RX["end_age_before"].search(before) or (
                RX["hasta"].search(before) and n.value >= 45
            ):
                _put(fields, "term_end_age", n.value)
            elif (
                RX["child_years_after"].match(after)
                and expecting != "term"
                and not RX["term_before"].search(before)
                and not (
                    RX["diminutive_years_after"].match(after) and RX["age_before"].search(before)
                )
            ):
                continue  # "6 añitos" is a child's age
            elif (
                RX["sum_before"].search(before)
                and expecting != "age"
                and (RX["years_after"].match(after) or expecting == "term")
            ):
                _put(fields, "term", n.value)
            elif RX["turns_before"].search(before) and not other:
                _put(fields, "age", n.value if RX["today_after"].match(after) else n.value - 1)
            elif (
                RX["age_after"].match(after)
                and not (other or RX["term_before"].search(before))
                and 18 <= n.value <= 99
            ):
                _put(fields, "age", n.value)
            elif (
                (
                    RX["roughly_before"].search(before)
                    or (RX["roughly_after"].match(after) and not _and_months(n.value, after))
                )
                and expecting not in _OTHER_NUMBER_ASKS
                and not (RX["term_before"].search(before) or RX["term_after"].match(after))
                and 18 <= n.value <= 99
            ):
                continue  # an age said roughly: asked again
            elif RX["third_person_before"].search(before):
                if other or ((expecting == "age" or about) and RX["bare_tiene"].search(before)):
                    _put(fields, "age", n.value)  # the insured's: "es para mi padre, tiene 60"
            elif RX["years_after"].match(after):
                if RX["term_before"].search(before) or RX["term_after"].match(after):
                    _put(fields, "term", n.value)
                elif expecting == "term" and RX["with_before"].search(before):
                    _put(fields, "term", n.value)  # "con diez años sería suficiente"
                elif RX["not_age_after"].match(after) or other:
                    continue
                elif RX["age_before"].search(before):
                    _put(fields, "age", n.value)
                elif not RX["not_mine_before"].search(before):
                    pending_years.append(n.value)
            elif RX["age_before"].search(before) and (
                expecting not in _OTHER_NUMBER_ASKS
                or (expecting == "dependants" and n.value > _PLAUSIBLE["dependants"][1])
            ):  # "tengo 34" asked who depends on them: too many people, an age
                if not other:
                    _put(fields, "age", n.value)
            elif RX["plazo_before"].search(before) or RX["left_before"].search(before):
                _put(fields, "term", n.value)
            elif RX["option_before"].search(before) and expecting != "option":
                continue  # "la 1" names a quoted option, never a count of people or years
            elif not RX["not_mine_before"].search(before):
                bare.append(n.value)
    adult = [v for v in bare if 18 <= v <= 99]
    if pending_years and len(adult) == 1 and "age" not in fields and expecting != "term":
        _put(fields, "age", adult[0])  # "20 años, 250 mil euros, 37": 37 is the age
        bare.remove(adult[0])
    term_before = correcting and _ASKED_BEFORE.get(expecting or "") == "term"
    age_known = "age" in known and expecting != "age" and not correcting
    for value in pending_years:  # "35 años" alone: an age, unless the age is known or asked
        if correcting and value == fields.get("age"):
            continue  # "Jordi, 35 anys... 35 años perdón": the same age, said again
        term = expecting == "term" or "age" in fields or term_before or age_known
        _put(fields, "term" if term else "age", value)
    if child_term:
        _put(fields, "term", child_term[0])  # a term said in years wins
    return children, ages, bare


def _name_and_age(
    source: str, folded: Folded, start: int, expecting: str | None
) -> tuple[tuple[str, int] | None, bool, tuple[int, int, int] | None]:
    """(name and where it ends, whether it was introduced, the age written right after it).

    The age comes with its span in the folded text, so the caller can mask it.

    A reply to "¿cómo te llamas?" may start with the name ("Elena, 33, no fumo").
    """
    said = people.name(source, folded)
    legal = people.leading_name(source, folded, start, alone=False) if said else None
    if legal and people.RX["nickname_next"].match(folded.text, legal[1]):
        said = legal  # "Guadalupe pero me dicen Lupita": Guadalupe
    named = said or (
        people.leading_name(source, folded, start, alone=False) if expecting == "name" else None
    )
    if not named:
        return None, False, None
    norm = folded.text
    at = skip(RX["name_gap"], norm, named[1])
    n = next((n for n in find_numbers(norm) if n.start == at), None)
    if (
        n
        and not n.money
        and 18 <= n.value <= 99
        and not RX["not_age_after_name"].match(norm, n.end)
        and not (RX["roughly_after"].match(norm, n.end) and not _and_months(n.value, norm[n.end :]))
    ):
        return named, bool(said), (n.value, n.start, n.end)
    return named, bool(said), None


def read_profile(
    source: str,
    folded: Folded,
    start: int,
    expecting: str | None,
    today: date,
    yes: bool,
    no: bool,
    known: frozenset[str] = frozenset(),
) -> dict[str, object]:
    """Every field of the Reading `source` states, besides intent, topic and options.

    `start`: where the message begins after a greeting. A bare number answers the pending
    question: it comes back as `option` when one was asked.
    """
    norm = folded.text
    fields: dict[str, object] = {}
    named, introduced, age = _name_and_age(source, folded, start, expecting)
    if age:
        fields["age"] = age[0]
        norm = mask(norm, age[1], age[2])
    norm = plain(periods_in_years(norm))
    insured, relation = people.insured(norm, expecting, yes, no)
    other = insured == "other"
    # Already talking about the relative: "¿el seguro sería sobre la vida de tu marido?" was
    # asked, or they are the insured; then a bare "tiene 52" or "fuma" is said of them.
    about = other or (insured is None and (expecting == "insured" or "insured_relation" in known))
    if insured:
        fields["insured"] = insured
    if relation:
        fields["insured_relation"] = relation
    born = find_birth_date(norm, today)
    if born:
        fields["birth_date"] = born[0]
        norm = mask(norm, born[1], born[2])
    elif year := _birth_year(norm, today):
        fields["age"] = year[0]
        norm = mask(norm, year[1], year[2])
    ends = _end_year(norm, today)
    if ends:
        norm = mask(norm, ends[1], ends[2])
    correcting = bool(RX["correcting"].search(norm)) and bool(find_numbers(norm))
    if correcting:  # "no, perdón, quise decir 43": the no takes back a number, it answers nothing
        yes = no = False
    smoking = read_smoking(
        norm,
        expecting,
        today,
        yes,
        no,
        other=other,
        about=about,
        of_them="insured_relation" in known,
    )
    norm = smoking.masked
    for key in ("smoker", "ex_smoker", "quit_months"):
        if (value := getattr(smoking, key)) is not None:
            fields[key] = value
    if RX["retirement"].search(norm):
        fields["until_retirement"] = True
    children, ages, bare = _numbers(
        norm, expecting, fields, other, correcting=correcting, known=known, about=about
    )
    if ends:
        _put(fields, "term", ends[0])  # a term said in years wins
    dependants = people.dependants(norm, expecting, children, ages)
    if dependants == 0 and "age" in fields and RX["no_then_data"].match(norm):
        dependants = None  # "no, pará, tengo 34": the no takes back the age, it answers nothing
    if dependants is not None:
        _put(fields, "dependants", dependants)
    if bare and correcting:  # "43, digo 44": the last number said is the right one
        if corrected := _corrected(bare[-1], expecting):
            _put(fields, corrected, bare[-1])
    elif bare and expecting in NUMERIC_ASKS:
        _put(fields, expecting, bare[0])  # "35" answers "¿qué edad tienes?"
    purpose = _purpose(people.RX["on_behalf"].sub("·", norm) if insured else norm)
    if not purpose and expecting == "dependants" and "dependants" not in fields:
        # "mis hijos" answers "¿para qué quieres el seguro y cuántos dependen de ti?": how many
        # is not said, what for is.
        purpose = "familia" if RX["family_answer"].fullmatch(norm) else None
    if purpose:
        fields["purpose"] = purpose
    # A leading or trailing word set off by a comma is a name only next to data: "Ana, 35 años".
    if not named and expecting == "name":
        named = people.trailing_name(source, folded)
    if named and (introduced or fields):
        fields["name"] = named[0]
    return fields


# Text-speak, for the numbers and purposes: "es xa cubrir la hipo q tngo".
# Not "k" nor "m": "150 k", "1,5 m" are amounts.
_SHORTHAND = {"xa": "para", "pa'": "para", "q": "que", "tngo": "tengo", "tng": "tengo", "d": "de",
              "xq": "porque", "pq": "porque", "tb": "tambien", "tmb": "tambien", "aki": "aqui",
              "aka": "aca", "anitos": "anos", "anito": "ano"}  # fmt: skip

# The patterns of agent/data/spanish/profile.toml, by name.
RX = lexicon.load(
    "profile",
    CHILD=people.RX.fragment("CHILD"),
    KIN=people.KIN,
    MONTH=MONTH,
    PARTNER_ALONE=people.RX.fragment("PARTNER_ALONE"),
    PARTNER_OWNED=people.RX.fragment("PARTNER_OWNED"),
    SHORTHAND=one_of(_SHORTHAND),
    TIENE=people.RX.fragment("TIENE"),
)

# The first purpose said in the message wins.
_PURPOSES = tuple((labels["purpose"], rx) for labels, rx in RX.rows("purposes"))


def plain(norm: str) -> str:
    """`norm` without words of address, and with text-speak spelled out."""
    norm = RX["vocative"].sub(" ·", norm) if "," in norm or "." in norm else norm
    return RX["short"].sub(lambda m: _SHORTHAND[m[0]], norm)


def _purpose(norm: str) -> str | None:
    hits = [(m.start(), i) for i, (_, rx) in enumerate(_PURPOSES) if (m := rx.search(norm))]
    return _PURPOSES[min(hits)[1]][0] if hits else None
