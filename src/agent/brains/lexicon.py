"""The Spanish reader's vocabulary: the regex tables in agent/data/spanish/*.toml, compiled once.

A data file holds three kinds of entries:

- an UPPER_CASE key is a fragment: a piece of regex spliced into others as ``<<NAME>>``;
- a lower-case key is a pattern, compiled with no flags (a flag the pattern needs is written
  inline, ``(?i)``);
- an array of tables is an ordered list of rows: each row's strings are its labels, and its
  ``pattern`` is compiled, or its ``same_as`` names one of the file's patterns.

A fragment or a pattern is one string, or a list of strings joined together, so that each
piece keeps its comment. ``<<NAME>>`` is filled from the file's fragments or from those the
module passes in code (word lists turned into regex, another module's fragments). Braces would
clash with the ``{n,m}`` quantifier; no pattern here matches a literal ``<<``, and one that did
would fail loudly as an unknown placeholder. A placeholder nothing defines, a fragment nothing
uses and a fragment both written and given are errors, raised at import.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from importlib import resources

_PLACEHOLDER = re.compile(r"<<([A-Z][A-Z0-9_]*)>>")

Row = tuple[Mapping[str, str], re.Pattern[str]]


class LexiconError(ValueError):
    """A vocabulary file that does not fit together with the code that loads it."""


class Lexicon(Mapping[str, re.Pattern[str]]):
    """One module's compiled patterns by name, its fragments, and its ordered rows."""

    def __init__(
        self,
        patterns: dict[str, re.Pattern[str]],
        fragments: dict[str, str],
        rows: dict[str, list[Row]],
    ) -> None:
        """Keep what `load` compiled."""
        self._patterns = patterns
        self._fragments = fragments
        self._rows = rows

    def __getitem__(self, name: str) -> re.Pattern[str]:
        """The pattern called `name`."""
        return self._patterns[name]

    def __iter__(self) -> Iterator[str]:
        """The patterns' names, in the file's order."""
        return iter(self._patterns)

    def __len__(self) -> int:
        """How many patterns the file has."""
        return len(self._patterns)

    def fragment(self, name: str) -> str:
        """The fragment `name` with its placeholders filled, for another module to splice in."""
        return self._fragments[name]

    def rows(self, name: str) -> list[Row]:
        """The rows of the array `name`: each row's labels and its pattern, in the file's order."""
        return self._rows[name]


def load(module: str, **given: str) -> Lexicon:
    """Compile agent/data/spanish/`module`.toml; `given` fills its placeholders from code."""
    source = resources.files("agent") / "data" / "spanish" / f"{module}.toml"
    return parse(source.read_text(encoding="utf-8"), f"spanish/{module}.toml", **given)


def parse(text: str, where: str, **given: str) -> Lexicon:
    """Compile the vocabulary file `text` (called `where` in errors).

    Raises:
        LexiconError: a placeholder nothing defines (or that contains itself), a fragment given
            or written that nothing uses, a fragment both given and written, or an entry that is
            neither a string, a list of strings nor an array of rows.
    """
    data = tomllib.loads(text)
    written = {key: _joined(value, where, key) for key, value in data.items() if key.isupper()}
    if twice := sorted(written.keys() & given.keys()):
        raise LexiconError(f"{where}: fragments both given in code and written: {twice}")
    splice = _Splicer(where, written, given)
    patterns: dict[str, re.Pattern[str]] = {}
    rows: dict[str, list[Row]] = {}
    for key, value in data.items():
        if key.isupper():
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows[key] = [_row(row, patterns, splice, f"{key}[{i}]") for i, row in enumerate(value)]
        else:
            patterns[key] = re.compile(splice(_joined(value, where, key), key))
    fragments = {key: splice(piece, key) for key, piece in written.items()}
    if unused := sorted((written.keys() | given.keys()) - splice.used):
        raise LexiconError(f"{where}: fragments nothing uses: {unused}")
    return Lexicon(patterns, fragments, rows)


class _Splicer:
    """Fills <<NAME>> placeholders, remembering which fragments were used."""

    def __init__(self, where: str, written: dict[str, str], given: dict[str, str]) -> None:
        self.where, self.written, self.given = where, written, given
        self.used: set[str] = set()

    def __call__(self, text: str, key: str, trail: tuple[str, ...] = ()) -> str:
        def fill(m: re.Match[str]) -> str:
            name = m[1]
            self.used.add(name)
            if name in self.given:
                return self.given[name]
            if name not in self.written or name in trail:
                raise LexiconError(
                    f"{self.where}: {key} uses <<{name}>>, which is not defined or contains itself"
                )
            return self(self.written[name], key, (*trail, name))

        return _PLACEHOLDER.sub(fill, text)


def _row(
    row: dict[str, object], patterns: dict[str, re.Pattern[str]], splice: _Splicer, at: str
) -> Row:
    labels = {k: v for k, v in row.items() if k not in ("pattern", "same_as")}
    if not all(isinstance(v, str) for v in labels.values()):
        raise LexiconError(f"{splice.where}: {at}: labels must be strings")
    same_as = row.get("same_as")
    if isinstance(same_as, str) and "pattern" not in row and same_as in patterns:
        return {k: str(v) for k, v in labels.items()}, patterns[same_as]
    if same_as is not None:
        raise LexiconError(f"{splice.where}: {at}: same_as names no pattern defined before it")
    text = _joined(row.get("pattern"), splice.where, at)
    return {k: str(v) for k, v in labels.items()}, re.compile(splice(text, at))


def _joined(value: object, where: str, key: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "".join(value)
    raise LexiconError(f"{where}: {key} is neither a string nor a list of strings")
