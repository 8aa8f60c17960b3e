"""Check that every ``scheme`` quote of the catalogue is in the scheme's text.

A quote matches when, after whitespace normalisation (runs of spaces, tabs and line
breaks become one space), it is a substring of the seed lines it cites joined by
spaces. Typographic variants are *not* normalised: quotes are copied verbatim,
including the PDF extraction's artefacts (``расч?тной``, displaced words).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from almaty_scheme.catalogue.loader import Catalogue
from almaty_scheme.catalogue.models import SchemeSource, Source
from almaty_scheme.errors import DataError

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Collapse all whitespace to single spaces and strip."""
    return _WS.sub(" ", text).strip()


def read_seed(path: str | Path) -> list[str]:
    """Lines of the seed text (index 0 is line 1)."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(
            f"Cannot read the scheme's text at {p}",
            ["Pass --seed PATH or set ALMATY_SCHEME_SEED to the seed file."],
        ) from exc


def iter_sources(cat: Catalogue) -> Iterator[tuple[str, Source]]:
    """Every source of the catalogue with its owner label.

    Yields ``(owner, source)`` for each rule's ``source``, ``also_sources`` and
    ``regime.source`` (owner ``"<id> (regime)"``), ``status_source`` and the regime notes
    sources (owner ``"<id> (regime <entry>)"``) and each finding's sources (owner
    ``"finding <id>"``), in catalogue order.
    """
    for rule in cat:
        yield rule.id, rule.source
        for s in rule.also_sources:
            yield rule.id, s
        if rule.status_source is not None:
            yield f"{rule.id} (status)", rule.status_source
        if rule.regime is not None and rule.regime.source is not None:
            yield f"{rule.id} (regime)", rule.regime.source
        if rule.regime is not None:
            for entry, note in rule.regime.notes.items():
                if note.source is not None:
                    yield f"{rule.id} (regime {entry})", note.source
    for f in cat.findings.values():
        for s in f.sources:
            yield f"finding {f.id}", s


@dataclass(frozen=True)
class SeedText:
    """The seed text whitespace-normalised into one string, with a map back to lines.

    ``text`` is the non-empty lines, each normalised, joined by single spaces;
    ``starts[k]`` is the offset in ``text`` of the ``k``-th non-empty line, whose
    1-based line number is ``numbers[k]``.
    """

    text: str
    starts: tuple[int, ...]
    numbers: tuple[int, ...]
    n_lines: int

    @classmethod
    def from_lines(cls, lines: list[str]) -> SeedText:
        """Index ``lines`` (index 0 is line 1)."""
        parts: list[str] = []
        starts: list[int] = []
        numbers: list[int] = []
        pos = 0
        for no, line in enumerate(lines, start=1):
            norm = normalise(line)
            if not norm:
                continue
            starts.append(pos)
            numbers.append(no)
            parts.append(norm)
            pos += len(norm) + 1
        return cls(" ".join(parts), tuple(starts), tuple(numbers), len(lines))

    def line_at(self, offset: int) -> int:
        """1-based line number of the character at ``offset``."""
        return self.numbers[max(bisect.bisect_right(self.starts, offset) - 1, 0)]

    def find_all(self, quote: str) -> list[tuple[int, int]]:
        """Every ``(first, last)`` line span where the normalised ``quote`` occurs."""
        q = normalise(quote)
        out = []
        at = self.text.find(q)
        while at >= 0 and q:
            out.append((self.line_at(at), self.line_at(at + len(q) - 1)))
            at = self.text.find(q, at + 1)
        return out


def check_source(
    source: SchemeSource, lines: list[str], seed: SeedText | None = None
) -> str | None:
    """Return a problem description, or ``None`` if the quote is where it says.

    When the quote is elsewhere in the text, the description gives the occurrence
    nearest to the cited lines (and the others), so the author can fix the numbers.
    """
    a, b = source.lines
    if b > len(lines):
        return f"lines {a}-{b} beyond the end of the text ({len(lines)} lines)"
    window = normalise(" ".join(lines[a - 1 : b]))
    quote = normalise(source.quote)
    if quote in window:
        return None
    index = seed if seed is not None else SeedText.from_lines(lines)
    spans = sorted(index.find_all(quote), key=lambda s: (abs(s[0] - a), s[0]))
    if not spans:
        return "quote not found in the text"
    (x, y), others = spans[0], spans[1:]
    also = ""
    if others:
        also = " (also at " + ", ".join(f"L{p}-{q}" for p, q in sorted(others)) + ")"
    return f"quote found at L{x}-{y}{also}, not at L{a}-{b}"


def verify_quotes(cat: Catalogue, seed: str | Path | list[str]) -> list[str]:
    """Every problem with the catalogue's scheme quotes, as readable lines."""
    lines = seed if isinstance(seed, list) else read_seed(seed)
    problems = []
    index = SeedText.from_lines(lines)
    for owner, source in iter_sources(cat):
        if isinstance(source, SchemeSource):
            problem = check_source(source, lines, index)
            if problem:
                problems.append(f"{owner}: {source.quote[:60]!r}...: {problem}")
    return problems


_sources = iter_sources  # backwards-compatible private name
