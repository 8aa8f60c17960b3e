"""Check that every ``scheme`` quote of the catalogue is in the scheme's text.

A quote matches when, after whitespace normalisation (runs of spaces, tabs and line
breaks become one space), it is a substring of the seed lines it cites joined by
spaces. Typographic variants are *not* normalised: quotes are copied verbatim,
including the PDF extraction's artefacts (``расч?тной``, displaced words).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def _sources(cat: Catalogue) -> Iterator[tuple[str, Source]]:
    for rule in cat:
        yield rule.id, rule.source
        for s in rule.also_sources:
            yield rule.id, s
        if rule.regime is not None and rule.regime.source is not None:
            yield f"{rule.id} (regime)", rule.regime.source
    for f in cat.findings.values():
        for s in f.sources:
            yield f"finding {f.id}", s


def check_source(source: SchemeSource, lines: list[str]) -> str | None:
    """Return a problem description, or ``None`` if the quote is where it says."""
    a, b = source.lines
    if b > len(lines):
        return f"lines {a}-{b} beyond the end of the text ({len(lines)} lines)"
    window = normalise(" ".join(lines[a - 1 : b]))
    quote = normalise(source.quote)
    if quote in window:
        return None
    whole = normalise(" ".join(lines))
    if quote in whole:
        # find the real line span to help the author
        for start in range(len(lines)):
            acc = ""
            for end in range(start, min(start + 40, len(lines))):
                acc = normalise(acc + " " + lines[end])
                if quote in acc:
                    return f"quote found at L{start + 1}-{end + 1}, not at L{a}-{b}"
                if len(acc) > len(quote) + 4000:
                    break
    return "quote not found in the text"


def verify_quotes(cat: Catalogue, seed: str | Path | list[str]) -> list[str]:
    """Every problem with the catalogue's scheme quotes, as readable lines."""
    lines = seed if isinstance(seed, list) else read_seed(seed)
    problems = []
    for owner, source in _sources(cat):
        if isinstance(source, SchemeSource):
            problem = check_source(source, lines)
            if problem:
                problems.append(f"{owner}: {source.quote[:60]!r}...: {problem}")
    return problems
