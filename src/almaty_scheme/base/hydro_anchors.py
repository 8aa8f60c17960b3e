"""Anchors that name DEM-derived streams: ``layers/hydro_anchors.yaml``.

The open data has no small rivers, so :func:`almaty_scheme.base.hydro.derive_rivers`
derives a drainage network from the DEM and names its streams from *anchors*: places
where the scheme's text ties a river to a settlement (L3634 "плотины на реке Тургень,
ниже села Батан", L3665-3666, L3668-3669, L3672-3673, L2936, L516-517), or, where the
text names a river but no place, a well-known place with an explicit ``reading`` and
``verified: false``. Quotes are never invented: an anchor without a quote says so.

File format (strict: unknown keys are errors)::

    version: 1.0.0
    rivers:
      - id: turgen
        name: Turgen                    # canonical ``name`` of the derived features
        name_ru: Тургень
        aliases: [Түрген]               # other spellings (merging real data by name)
        trunk: false                    # true: keeps its name through every confluence
        length_km: null                 # whole-river length where known (+ length_reading)
        anchors:
          - id: turgen.batan
            place: {settlement: [Батан], near: [77.76, 43.24]}
            quote: строительство селезадерживающей плотины на реке Тургень, ниже села Батан
            lines: [3634, 3634]
            reading: ...
            verified: true
    outlets:                            # where a reservoir's outflow leaves it
      - id: kapchagay.dam
        water_body: [Капшагайское водохранилище, Kapchagay reservoir]
        river: ili
        place: {lon: 77.115, lat: 43.913}
        reading: ...
        verified: false

``place`` is a settlement (looked up by name in the settlements layer given to the
deriver; ``near`` [lon, lat] picks one of several places with that name, within
``near_tolerance_m``) or a lon/lat point (WGS 84), never both.
"""

from __future__ import annotations

from pathlib import Path

from almaty_scheme.catalogue.data_models import HydroAnchors
from almaty_scheme.catalogue.quotes import normalise
from almaty_scheme.catalogue.registry import load_model, shipped_path

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
