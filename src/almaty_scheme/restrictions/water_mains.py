"""Sanitary protection strips of water mains (санитарно-защитная полоса водоводов), L328-331.

Geometric rule
--------------
A strip of ``d`` metres on each side of the water main measured from the outermost pipe
(the line geometry stands for it), flat ends, on undeveloped land only: the settlement
footprints of the base (developed land, catalogue finding
``water_mains.finding.undeveloped_only``) are cut out.

``d`` depends on the soil and the diameter (dry: 10 m up to DN 1000, 20 m above; wet:
50 m whatever the diameter). When the data does not say, every rule compatible with what
*is* known is a candidate: the smallest candidate width is built as ``certain`` and the
band up to the largest as ``possible`` (finding ``water_mains.finding.unknown_soil_or_diameter``:
unknown soil -> dry value certain, band to 50 m possible; unknown diameter -> 10 m
certain, band to 20 m or 50 m possible).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.bands import Band, Features, source_attributes
from almaty_scheme.restrictions.frames import finish_layer
from almaty_scheme.restrictions.geometry import reference_band, union_of
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions

LAYER = "water_main_strips"


def candidate_rules(rules: list[Rule], soil: str | None, diameter: float | None) -> list[Rule]:
    """Rules compatible with the known soil and diameter (unknown values match all)."""
    out = []
    for r in rules:
        at = r.applies_to
        if at is None or r.width is None or r.width.value_m is None:
            continue
        if soil is not None and at.soil is not None and at.soil != soil:
            continue
        if (
            diameter is not None
            and at.diameter_mm is not None
            and not at.diameter_mm.contains(diameter)
        ):
            continue
        out.append(r)
    return out


def candidate_bands(
    cands: list[Rule], soil: str | None, diameter: float | None
) -> list[tuple[Rule, Band]]:
    """The smallest candidate width as ``certain``, the band to the largest as ``possible``.

    With soil and diameter known there is one candidate and one band. Each band's reading
    names the unknown values and the candidate widths.
    """
    cands = sorted(cands, key=lambda r: (r.width.value_m if r.width else 0.0, r.id))
    lo_rule, hi_rule = cands[0], cands[-1]
    assert lo_rule.width is not None and hi_rule.width is not None
    lo = float(lo_rule.width.value_m or 0.0)
    hi = float(hi_rule.width.value_m or 0.0)
    unknown = [n for n, v in (("soil", soil), ("diameter", diameter)) if v is None]
    why = (
        (
            f"{' and '.join(unknown)} unknown: candidate widths "
            f"{', '.join(f'{r.width.value_m:g}' for r in cands if r.width)} m"
        )
        if unknown
        else None
    )
    bands = [
        (
            lo_rule,
            Band(0.0, lo, "certain", "per_side", why and f"{why}; smallest candidate certain"),
        )
    ]
    if hi > lo:
        bands.append(
            (
                hi_rule,
                Band(
                    lo,
                    hi,
                    "possible",
                    "per_side",
                    why and f"{why}; band to the largest candidate possible",
                ),
            )
        )
    return bands


def strip_shape(
    line: BaseGeometry, developed: BaseGeometry, inner: float, outer: float
) -> BaseGeometry:
    """Land ``inner`` to ``outer`` metres from the pipe line (flat ends), developed land cut out."""
    geom = reference_band(line, inner, outer, flat=True)
    return geom if developed.is_empty else shapely.difference(geom, developed)


def _soil(v: Any) -> str | None:
    if isinstance(v, str) and v.strip().lower() in ("dry", "wet"):
        return v.strip().lower()
    return None


def build_water_main_strips(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """Strips along every base water main, cut away inside settlement footprints."""
    nb = NoteBook(LAYER)
    wm_rules = catalogue.by_kind("water_main_strip")
    mains = base["water_mains"]
    nb.input(base, "water_mains")
    if not wm_rules:
        nb.add("missing", "no water_main_strip rules in the catalogue")
    undeveloped_only = any(r.applies_to and r.applies_to.undeveloped_only for r in wm_rules)
    fps = base["settlement_footprints"]
    developed = union_of(fps) if (undeveloped_only and len(fps)) else shapely.MultiPolygon()
    if undeveloped_only and len(mains):
        nb.input(base, "settlement_footprints", " (developed land, cut out of the strips)")
    feats = Features()
    for _, row in mains.iterrows():
        line = row.geometry
        if line is None or line.is_empty:
            continue
        soil = _soil(row.get("soil"))
        dia = row.get("diameter_mm")
        dia = None if dia is None or pd.isna(dia) else float(dia)
        cands = candidate_rules(wm_rules, soil, dia)
        if not cands:
            nb.add(
                "skipped",
                f"water main {row.get('base_id')}: no rule fits soil={soil} diameter={dia}",
            )
            continue
        bands = candidate_bands(cands, soil, dia)
        lo, hi = bands[0][1].outer_m, bands[-1][1].outer_m
        feats.add_bands(
            bands,
            partial(strip_shape, line, developed),
            {
                # the candidates' range, as for a ranged rule
                **({"width_min_m": lo, "width_max_m": hi} if hi > lo else {}),
                **source_attributes(row, "water_mains"),
                "name": row.get("name") if isinstance(row.get("name"), str) else "water main",
            },
            before=(
                "measured from the pipe line (outermost pipe)",
                "undeveloped land only: settlement footprints cut out"
                if undeveloped_only
                else None,
            ),
        )
    gdf = feats.frame(min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
