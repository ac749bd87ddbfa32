"""Spanish text folding, numbers, amounts and their currency, dates of birth (offline brain)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from agent.brains import lexicon


@dataclass(frozen=True, slots=True)
class Folded:
    """Normalised text, plus for each of its characters the index it came from in the original."""

    text: str
    origin: tuple[int, ...]

    def original(self, source: str, start: int, end: int) -> str:
        """The slice of `source` that `self.text[start:end]` was folded from."""
        return source[self.origin[start] : self.origin[end - 1] + 1] if end > start else ""


@lru_cache(maxsize=2048)
def _fold_char(ch: str) -> str:
    lower = ch.lower()
    if len(lower) != 1:
        lower = ch
    bare = "".join(c for c in unicodedata.normalize("NFKD", lower) if not unicodedata.combining(c))
    # One character in, one out, so every folded character still points at its original.
    return bare.lower() if len(bare) == 1 else lower


def fold(text: str) -> Folded:
    """`normalise`, remembering where each character came from (to give names back as written)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        if folded.isspace():
            if not chars or chars[-1] == " ":
                continue
            folded = " "
        chars.append(folded)
        origin.append(i)
    if chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return Folded("".join(chars), tuple(origin))


def normalise(text: str) -> str:
    """Lowercase, strip accents (ñ becomes n), collapse whitespace and trim."""
    return fold(text).text


def mask(text: str, start: int, end: int) -> str:
    """`text` with `start:end` blotted out, so a datum already read is not read again."""
    return text[:start] + "·" * (end - start) + text[end:]


def skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where `pattern` ends when matched at `pos`: for patterns that may match nothing."""
    found = pattern.match(text, pos)
    return found.end() if found else pos


def one_of(words: Iterable[str]) -> str:
    """A regex group matching any of `words` literally, the longest first ("sept" before "sep").

    A space in a word matches any run of whitespace: "medio millon".
    """
    ordered = sorted(words, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered) + ")"


_WORD_VALUES = {
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "tre": 3, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13,
    "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18,
    "diecinueve": 19, "veinte": 20, "veintiun": 21, "veintiuno": 21, "veintidos": 22,
    "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26,
    "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90, "cien": 100,
    "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
    "trescientas": 300, "cuatrocientos": 400, "quinientos": 500, "seiscientos": 600,
    "setecientos": 700, "ochocientos": 800, "novecientos": 900,
    "mil": 1_000, "millon": 1_000_000, "millones": 1_000_000, "medio millon": 500_000,
    # as they are typed: feminine hundreds ("cuatrocientas mil"), an s for a c, "trenta"
    "cuatrocientas": 400, "quinientas": 500, "seiscientas": 600, "setecientas": 700,
    "ochocientas": 800, "novecientas": 900, "docientos": 200, "docientas": 200, "sinco": 5,
    "trenta": 30,
}  # fmt: skip
_WEAK = frozenset({"un", "uno", "una", "mil"})
NUMBER_WORDS = frozenset(w for w in _WORD_VALUES if " " not in w)
_SCALES = {"k": 1_000, "mil": 1_000, "m": 1_000_000, "mm": 1_000_000, "mill": 1_000_000,
           "millon": 1_000_000, "millones": 1_000_000}  # fmt: skip

# Currency words as folded text -> the Reading's currency code; "EUR" is the tariff's own.
_CURRENCIES = {
    "€": "EUR", "euro": "EUR", "euros": "EUR", "eur": "EUR", "eu": "EUR", "pavos": "EUR",
    "$": "other", "us$": "USD", "u$s": "USD", "usd": "USD", "dolar": "USD", "dolares": "USD",
    "verdes": "USD", "dollar": "USD", "dollars": "USD", "dolars": "USD", "bucks": "USD",
    "mxn": "MXN", "ars": "ARS", "clp": "CLP", "cop": "COP", "pen": "PEN",
    "uyu": "UYU", "peso": "other", "pesos": "other", "sol": "PEN", "soles": "PEN",
    "luca": "other", "lucas": "other", "palo": "other", "palos": "other", "bolivares": "other",
    "quetzales": "other", "lempiras": "other", "colones": "other", "guaranies": "other",
    "bolivianos": "other", "reales": "other", "cordobas": "other", "varos": "other",
}  # fmt: skip
_PESO_COUNTRIES = {"mexicano": "MXN", "mx": "MXN", "argentino": "ARS", "arg": "ARS",
                   "chileno": "CLP", "colombiano": "COP", "col": "COP",
                   "uruguayo": "UYU"}  # fmt: skip
_CURRENCY = one_of(_CURRENCIES)
# "lucas" are thousands and "palos" millions of pesos: the size matters less than the currency.
_SLANG_SCALE = {"luca": 1_000, "lucas": 1_000, "palo": 1_000_000, "palos": 1_000_000}

# "y" joins tens and units only: "treinta y cinco", but "entre cien y ciento cincuenta" is two.
_TENS_Y = "(?:" + "|".join(
    f"(?<={t})" for t in ("treinta", "trenta", "cuarenta", "cincuenta", "sesenta", "setenta",
                          "ochenta", "noventa")
) + r")\s+y\s+"  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mention:
    """A number found in normalised text. `money`: it carried a currency, k, mil or millones."""

    start: int
    end: int
    value: int
    money: bool
    weak: bool  # a lone "un", "una", "uno" or "mil": more often a plain word than a number
    currency: str | None = None  # "EUR", a foreign code or "other"; None when none was written


def _currency(after: str | None, country: str | None, before: str | None = None) -> str | None:
    code = _CURRENCIES.get(after or before or "")
    if country and code == "other":
        return _PESO_COUNTRIES[country]
    return code


def currency_word(text: str) -> str | None:
    """The currency of a loose "en pesos", "en dólares" in normalised `text`, if any."""
    m = RX["currency_word"].search(text)
    return _currency(m["after"], m["country"]) if m else None


def _digits_value(raw: str) -> float | None:
    parts = re.split(r"[.,]", raw)
    if len(raw) > 18:
        return None
    marks = re.findall(r"[.,]", raw)
    if len(parts) > 2 and len(parts[-1]) <= 2 and marks[-1] != marks[0]:
        parts = parts[:-1]  # "150.000,00": the cents go
    if len(parts) == 1:
        return int(raw)
    if len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]):
        return int("".join(parts))  # 150.000 or 150,000: thousands separators
    if len(parts) == 2:
        return float(f"{parts[0]}.{parts[1]}")  # 1,5 millones
    return None


def _words_value(raw: str) -> int:
    total = current = 0
    for token in re.findall(r"medio\s+millon|[a-z]+", raw):
        value = _WORD_VALUES.get(re.sub(r"\s+", " ", token), 0)
        if value == 500_000:
            total += value
        elif value == 1_000_000:
            total, current = (total + max(current, 1)) * value, 0
        elif value == 1_000:
            total, current = total + max(current, 1) * value, 0
        else:
            current += value
    return total + current


def _thousands_dotted(m: re.Match[str]) -> str:
    """Spaced thousands dotted, same length: "150.000"; "35 150 000" is an age and "150.000"."""
    first, rest = m[0].split(" ", 1)
    if rest.count(" ") and 18 <= int(first) <= 99:
        return f"{first} {rest.replace(' ', '.')}"
    return m[0].replace(" ", ".")


def find_numbers(text: str) -> list[Mention]:
    """Every number in normalised `text`, in order: digits, words, k/mil/millones, currencies."""
    found = []
    if " " in text:
        text = RX["spaced_thousands"].sub(_thousands_dotted, text)
    for m in RX["number"].finditer(text):
        words = m["words"] or ""
        value = _words_value(words) if words else _digits_value(m["digits"])
        if value is None:
            continue
        scale = _SCALES.get(m["scale"] or "", 1) * _SLANG_SCALE.get(m["after"] or "", 1)
        value *= scale
        if m["half"] and (scale > 1 or "mil" in words):  # "un millón y medio"
            value += (1_000_000 if scale >= 1_000_000 or "millon" in words else 1_000) / 2
        currency = _currency(m["after"], m["country"], m["before"])
        money = bool(currency or m["scale"]) or "mil" in words
        weak = words in _WEAK and not (m["scale"] or currency or m["half"])
        found.append(Mention(m.start(), m.end(), round(value), money and not weak, weak, currency))
    return found


_PERIOD_YEARS = {"decada": 10, "decadas": 10, "lustro": 5, "lustros": 5, "siglo": 100,
                 "siglos": 100}  # fmt: skip


def periods_in_years(norm: str) -> str:
    """Periods said in years: "una década" -> "10 anos", "tres décadas y media" -> "35 anos"."""

    def years(m: re.Match[str]) -> str:
        word = m["n"] or ""
        numbers = find_numbers(word)
        if not word and m["half"]:  # "década y media"
            numbers = find_numbers("una")
        if word in ("medio", "media"):
            count = 0.5
        elif numbers:
            count = numbers[0].value
        else:
            return m[0]
        unit = _PERIOD_YEARS[m["unit"]]
        total = round(count * unit + (unit / 2 if m["half"] else 0))
        return f"{total} anos" + (" y pico" if m["rough"] else "")

    return (
        RX["period"].sub(years, norm)
        if "decada" in norm or "lustro" in norm or "siglo" in norm
        else norm
    )


def _pairs(mentions: list[Mention], norm: str) -> Iterable[tuple[Mention, Mention, str, str]]:
    """Each number with the next one, the text between them and the 40 characters before."""
    for a, b in zip(mentions, mentions[1:], strict=False):
        yield a, b, norm[a.end : b.start], norm[max(0, a.start - 40) : a.start]


def changes(mentions: list[Mention], norm: str) -> dict[int, int]:
    """Where each figure a change goes to starts, with where the one it leaves starts.

    "cambia el plazo de 20 a 25": 25 is the term, read by the words before 20; 20 is not.
    """
    return {
        b.start: a.start
        for a, b, gap, before in _pairs(mentions, norm)
        if RX["change_from_before"].search(before) and RX["change_gap"].fullmatch(gap)
    }


def _money_like(n: Mention) -> bool:
    """Said as money, or too big to be anything else: "100 millones, perdón, 30.000"."""
    return n.money or n.value >= 10_000


def _same_kind(a: Mention, b: Mention, norm: str) -> bool:
    """Whether `b` can replace `a`: money for money (or its thousands), years for years."""
    if b.money and not a.money:
        return False
    if a.money and not _money_like(b) and not (a.value % 1_000 == 0 and b.value < 1_000):
        return False
    return not RX["years_after"].match(norm, b.end) or bool(RX["years_after"].match(norm, a.end))


def retracted(mentions: list[Mention], norm: str, *, answering: bool) -> list[Mention]:
    """`mentions` with each figure taken back replaced, in its place, by the one said after it.

    "20 años, mejor 25" is 25 años; "200 mil, perdón, 250" is 250 mil. A bare "no" between
    two figures takes the first back only when they are all a message `answering` one
    question says ("35, no, 36"): in a list, "35, no, 20 años" is an age, a no and a term.
    "25 años, no 20" is 25: a "no" right before a figure says what it is not.
    """
    out: list[Mention] = []
    dropped: set[int] = set()
    for a, b, gap, _ in _pairs(mentions, norm):
        if a.start in dropped:
            continue
        taken_back = RX["retraction_gap"].fullmatch(gap) or (
            answering and len(mentions) == 2 and RX["denial_gap"].fullmatch(gap)
        )
        if a.weak or b.weak or not taken_back or not _same_kind(a, b, norm):
            out.append(a)
            continue
        value = b.value if _money_like(b) or not a.money else b.value * 1_000  # "200 mil, no, 250"
        out.append(Mention(a.start, a.end, value, a.money, False, b.currency or a.currency))
        dropped.add(b.start)
    if mentions and mentions[-1].start not in dropped:
        out.append(mentions[-1])
    return out


def range_bounds(mentions: list[Mention], norm: str) -> set[int]:
    """Starts of the numbers that bound a range: neither is the value meant."""
    out: set[int] = set()
    for a, b, gap, before in _pairs(mentions, norm):
        entre = RX["entre_before"].search(before)
        rising = not a.weak and a.value < b.value
        # "de 20 a 25 años", "20-25": a range of years as much as of money
        counted = b.money or RX["de_before"].search(before) or RX["years_after"].match(norm, b.end)
        if RX["change_from_before"].search(before):
            continue  # "súbelo de 100 a 150 mil": from one to the other
        if (
            (entre and RX["range_gap_entre"].fullmatch(gap))
            or (RX["range_gap"].fullmatch(gap) and rising and (counted or "-" in gap))
            or (RX["alternative_gap"].fullmatch(gap) and rising)
        ):
            out.update((a.start, b.start))
    return out


def parse_amount(text: str) -> int | None:
    """Euros in `text`: the first amount that looks like money, else the first number at all.

    Amounts in another currency are not euros: "300 mil pesos" gives None.
    """
    numbers = [n for n in find_numbers(normalise(text)) if not n.weak]
    if any(n.currency not in (None, "EUR") for n in numbers):
        return None
    money = [n for n in numbers if n.money or n.value >= 10_000]
    chosen = money or numbers
    return chosen[0].value if chosen else None


# Month names -> their number; "setiembre" is how much of South America writes it.
MONTH_NUMBERS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}  # fmt: skip
MONTH = one_of(MONTH_NUMBERS)
_MONTHS = MONTH_NUMBERS | {
    "ene": 1, "feb": 2, "mar": 3, "abr": 4, "may": 5, "jun": 6, "jul": 7, "ago": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dic": 12,
}  # fmt: skip
_MONTH = one_of(_MONTHS)

# The patterns of agent/data/spanish/numbers.toml, by name.
RX = lexicon.load(
    "numbers",
    PESO_COUNTRIES=one_of(_PESO_COUNTRIES),
    WORD_VALUES=one_of(_WORD_VALUES),
    TENS_Y=_TENS_Y,
    CURRENCY=_CURRENCY,
    MONTH_OR_ABBREVIATION=_MONTH,
    MONTH=MONTH,
)
_DATES = (("dmy", RX["dmy"]), ("ymd", RX["ymd"]), ("dmy", RX["spelled"]))


def _make_date(year: str, month: str, day: str, today: date) -> date | None:
    y = int(year)
    if len(year) == 2:
        y += 2000 if 2000 + y <= today.year else 1900
    m = int(month) if month.isdigit() else _MONTHS[month]
    try:
        born = date(y, m, int(day))
    except ValueError:
        return None
    return born if today.year - 120 <= born.year and born <= today else None


def find_birth_date(text: str, today: date) -> tuple[date, int, int] | None:
    """The first plausible date of birth in normalised `text`, with its span; day comes first."""
    for order, pattern in _DATES:
        for m in pattern.finditer(text):
            day, month, year = m.groups() if order == "dmy" else m.groups()[::-1]
            born = _make_date(year, month, day, today)
            if born:
                return born, m.start(), m.end()
    for m in RX["in_words"].finditer(text):
        day, year = (_as_digits(m[key]) for key in ("day", "year"))
        born = _make_date(year, m["month"], day, today)
        if born:
            return born, m.start(), m.end()
    return None


def _as_digits(said: str) -> str:
    """A number in digits or words as digits; years under 100 keep two ("noventa": "90")."""
    return said if said.isdigit() else f"{_words_value(said):02d}"


def parse_birth_date(text: str, today: date) -> date | None:
    """A date of birth written day-first ("3/5/1988", "3 de mayo de 1988") or ISO; None if none.

    Dates in the future or more than 120 years ago are not dates of birth.
    """
    found = find_birth_date(normalise(text), today)
    return found[0] if found else None
