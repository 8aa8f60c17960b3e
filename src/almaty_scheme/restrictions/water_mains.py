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

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.common import (
    Band,
    BuildOptions,
    LayerNote,
    NoteBook,
    band_record,
    finish_layer,
    join_reading,
    reference_band,
    select_rules,
    source_attributes,
    union_of,
    zones_frame,
)

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


def _soil(v: Any) -> str | None:
    if isinstance(v, str) and v.strip().lower() in ("dry", "wet"):
        return v.strip().lower()
    return None


def build_water_main_strips(
    rules: Iterable[Rule], base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """Strips along every base water main, cut away inside settlement footprints."""
    nb = NoteBook(LAYER)
    wm_rules = select_rules(rules, kinds=("water_main_strip",))
    mains = base["water_mains"]
    nb.input(base, "water_mains")
    if not wm_rules:
        nb.add("missing", "no water_main_strip rules in the catalogue")
    undeveloped_only = any(r.applies_to and r.applies_to.undeveloped_only for r in wm_rules)
    fps = base["settlement_footprints"]
    developed = union_of(fps) if (undeveloped_only and len(fps)) else shapely.MultiPolygon()
    if undeveloped_only and len(mains):
        nb.input(base, "settlement_footprints", " (developed land, cut out of the strips)")
    records: list[dict[str, Any]] = []
    geoms = []
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
        cands.sort(key=lambda r: (r.width.value_m if r.width else 0.0, r.id))
        lo_rule, hi_rule = cands[0], cands[-1]
        assert lo_rule.width is not None and hi_rule.width is not None
        lo = float(lo_rule.width.value_m or 0.0)
        hi = float(hi_rule.width.value_m or 0.0)
        unknown = [n for n, v in (("soil", soil), ("diameter", dia)) if v is None]
        why = (
            (
                f"{' and '.join(unknown)} unknown: candidate widths "
                f"{', '.join(f'{r.width.value_m:g}' for r in cands if r.width)} m"
            )
            if unknown
            else None
        )
        bands = [(lo_rule, Band(0.0, lo, "certain", "per_side", why))]
        if hi > lo:
            bands.append((hi_rule, Band(lo, hi, "possible", "per_side", why)))
        for rule, b in bands:
            inner, outer = b.distances()
            geom = reference_band(line, inner, outer, flat=True)
            if not developed.is_empty:
                geom = shapely.difference(geom, developed)
            rec = band_record(rule, b)
            if hi > lo:  # the candidates' range, as for a ranged rule
                rec.update(width_min_m=lo, width_max_m=hi)
            rec.update(source_attributes(row, "water_mains"))
            rec["name"] = row.get("name") if isinstance(row.get("name"), str) else "water main"
            rec["reading"] = join_reading(
                "measured from the pipe line (outermost pipe)",
                "undeveloped land only: settlement footprints cut out"
                if undeveloped_only
                else None,
                b.reading
                and (
                    b.reading
                    + (
                        "; smallest candidate certain"
                        if b.certainty == "certain"
                        else "; band to the largest candidate possible"
                    )
                ),
            )
            records.append(rec)
            geoms.append(geom)
    gdf = zones_frame(records, geoms, min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
