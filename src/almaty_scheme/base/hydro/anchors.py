"""Load and check the anchors that name DEM-derived streams (``layers/hydro_anchors.yaml``).

The file's format and schema are :class:`almaty_scheme.catalogue.data_models.HydroAnchors`
(strict; read through :func:`almaty_scheme.catalogue.registry.load_model`). Anchors tie a
river to a place where the scheme's text does (quote and lines, checked here against the
seed text) or, where it names a river but no place, to a well-known place with an explicit
``reading`` and ``verified: false``.
"""

from __future__ import annotations

from pathlib import Path

from almaty_scheme.catalogue.data_models import HydroAnchors
from almaty_scheme.catalogue.datafile import load_model
from almaty_scheme.catalogue.quotes import normalise
from almaty_scheme.catalogue.registry import shipped_path

ANCHORS_FILE = "hydro_anchors.yaml"


def load_anchors(path: str | Path | None = None) -> HydroAnchors:
    """Read and validate the anchors file (default: ``layers/hydro_anchors.yaml``).

    Raises
    ------
    CatalogueError
        If the file is missing, not YAML, or breaks the schema (every problem listed).
    """
    p = Path(path) if path is not None else shipped_path(ANCHORS_FILE)
    return load_model(p, HydroAnchors)


def verify_anchor_quotes(anchors: HydroAnchors, seed_lines: list[str]) -> list[str]:
    """Problems with anchor quotes: each quote must be in the seed lines it cites.

    Whitespace is normalised (runs of blanks and line breaks are one space), nothing else,
    as for the catalogue's quotes.
    """
    problems = []
    for r in anchors.rivers:
        for a in r.anchors:
            if a.quote is None or a.lines is None:
                continue
            first, last = a.lines
            if last > len(seed_lines):
                problems.append(f"{a.id}: lines {first}-{last} beyond the text's end.")
                continue
            window = normalise(" ".join(seed_lines[first - 1 : last]))
            if normalise(a.quote) not in window:
                problems.append(
                    f"{a.id}: quote not found in {a.citation}; copy it verbatim from the text."
                )
    return problems
