"""Trunk gas pipeline zones (подзона магистральных газопроводов), L570-583.

The scheme gives no width (finding ``gas.finding.no_width_in_scheme``); the catalogue
holds external norms. Two kinds of features, both built **once per corridor**
(``corridor_id`` of the base; parallel threads of one corridor are never stacked):

* protection zone (``gas_protection_zone``): ``d`` metres each side of every thread's
  axis, flat ends, the threads' strips dissolved into one feature per corridor;
* minimum distance (``gas_minimum_distance``, the "sanitary" distance to settlements and
  buildings): ``d`` metres from any thread of the corridor (round ends), ``d`` from the
  rule whose nominal-diameter interval holds the **largest DN of the corridor** and whose
  pressure interval holds the line's pressure (unknown pressure: trunk class 2.5-10 MPa
  assumed). Threads with an unknown DN make the corridor's distance uncertain: the width
  of the largest known DN (or, with no DN known, the smallest candidate) is built as
  ``certain`` and the band up to the largest candidate as ``possible``.

``source_fid`` of a corridor feature lists the ``base_id`` of every thread, comma-separated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.base.reference import nominal_diameter
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.bands import Band, Features, rule_bands
from almaty_scheme.restrictions.frames import finish_layer
from almaty_scheme.restrictions.geometry import QUAD_SEGS, reference_band
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions

LAYER = "gas_pipeline_zones"
EXTRA_COLUMNS = {"corridor_id": "string", "nominal_diameter_mm": "float64"}


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def line_dn(row: pd.Series) -> tuple[float | None, str | None]:
    """Nominal diameter of a pipeline row and how it was obtained."""
    dn = _num(row.get("nominal_diameter_mm"))
    note = row.get("diameter_note") if isinstance(row.get("diameter_note"), str) else None
    if dn is not None:
        return dn, note
    od = _num(row.get("diameter_mm"))
    if od is None:
        return None, note
    return nominal_diameter(od)


def distance_rules_for(rules: list[Rule], dn: float | None, pressure: float | None) -> list[Rule]:
    """Minimum-distance rules compatible with a DN and a pressure (None = unknown)."""
    out = []
    for r in rules:
        at = r.applies_to
        if at is None or r.width is None or r.width.value_m is None:
            continue
        if (
            pressure is not None
            and at.pressure_mpa is not None
            and not at.pressure_mpa.contains(pressure)
        ):
            continue
        if (
            dn is not None
            and at.nominal_diameter_mm is not None
            and not at.nominal_diameter_mm.contains(dn)
        ):
            continue
        out.append(r)
    return sorted(out, key=lambda r: (r.width.value_m if r.width else 0.0, r.id))


def _corridors(pipes: gpd.GeoDataFrame) -> list[tuple[str, gpd.GeoDataFrame]]:
    cid = pipes["corridor_id"].astype("string") if "corridor_id" in pipes.columns else None
    keys = [
        (c if (cid is not None and isinstance(c, str) and c) else f"line:{b}")
        for c, b in zip(
            cid if cid is not None else [None] * len(pipes), pipes["base_id"], strict=True
        )
    ]
    pipes = pipes.assign(_corr=keys)
    return [(k, g) for k, g in pipes.groupby("_corr", sort=True)]


def _names(g: gpd.GeoDataFrame) -> str:
    names = [n for n in pd.unique(g["name"].dropna()) if isinstance(n, str)]
    return " + ".join(names) if names else "gas pipeline"


def _provenance(g: gpd.GeoDataFrame) -> dict[str, Any]:
    def first(col: str) -> Any:
        vals = list(pd.unique(g[col].dropna())) if col in g.columns else []
        return "; ".join(str(v) for v in vals) if vals else None

    return {
        "source": first("source"),
        "accuracy": first("accuracy"),
        "source_layer": "gas_pipelines",
        "source_fid": ",".join(sorted(str(b) for b in g["base_id"])),
    }


@dataclass(frozen=True)
class _Corridor:
    """One gas-pipeline corridor: its threads and what every feature of it carries."""

    key: str
    threads: gpd.GeoDataFrame
    lines: list[BaseGeometry]
    attributes: dict[str, Any]
    note: str


def _corridor(key: str, g: gpd.GeoDataFrame) -> _Corridor:
    lines = list(g.geometry)
    n = len(lines)
    note = (
        f"corridor {key}: {n} parallel threads, built once"
        if n > 1
        else f"corridor {key}: one line"
    )
    return _Corridor(key, g, lines, {**_provenance(g), "name": _names(g), "corridor_id": key}, note)


def _dissolved(
    lines: list[BaseGeometry], inner: float, outer: float, *, flat: bool
) -> BaseGeometry:
    """The union of the threads' bands (parallel threads never stacked)."""
    return shapely.union_all([reference_band(ln, inner, outer, flat=flat) for ln in lines])


def _distance_shape(lines: list[BaseGeometry], inner: float, outer: float) -> BaseGeometry:
    """Land within ``outer`` of any thread (round ends) but not within ``inner`` of any."""
    geom = _dissolved(lines, inner, outer, flat=False)
    if inner > 0:
        geom = shapely.difference(
            geom,
            shapely.union_all([shapely.buffer(ln, inner, quad_segs=QUAD_SEGS) for ln in lines]),
        )
    return geom


def _corridor_dn(g: gpd.GeoDataFrame) -> tuple[list[float], int, list[str], float | None]:
    """Known DNs, the number of threads with unknown DN, DN notes, highest known pressure."""
    dns: list[float] = []
    dn_notes: list[str] = []
    unknown = 0
    pressures: list[float] = []
    for _, row in g.iterrows():
        dn, note = line_dn(row)
        if dn is None:
            unknown += 1
        else:
            dns.append(dn)
        if note:
            dn_notes.append(note)
        p = _num(row.get("pressure_mpa"))
        if p is not None:
            pressures.append(p)
    return dns, unknown, dn_notes, max(pressures) if pressures else None


def _distance_bands(
    known: list[Rule], anyc: list[Rule], max_dn: float | None, unknown: int, n: int
) -> list[tuple[Rule, Band]]:
    """The rule of the largest DN as ``certain``; with unknown DNs, a band to the largest candidate."""
    if known and unknown == 0:
        rule = known[-1]
        assert rule.width is not None and rule.width.value_m is not None
        why = f"largest DN of the corridor: {max_dn:g}"
        return [(rule, Band(0.0, rule.width.value_m, "certain", "per_side", why))]
    lo_rule = known[-1] if known else anyc[0]
    hi_rule = anyc[-1]
    assert lo_rule.width is not None and hi_rule.width is not None
    lo, hi = float(lo_rule.width.value_m or 0), float(hi_rule.width.value_m or 0)
    why = (
        f"largest known DN {max_dn:g}, {unknown} of {n} thread(s) with unknown DN"
        if known
        else f"DN unknown for all {n} thread(s)"
    )
    bands = [(lo_rule, Band(0.0, lo, "certain", "per_side", why))]
    if hi > lo:
        bands.append(
            (hi_rule, Band(lo, hi, "possible", "per_side", why + "; band to the largest candidate"))
        )
    return bands


def _add_distance_zones(
    feats: Features, corr: _Corridor, dist_rules: list[Rule], nb: NoteBook
) -> None:
    """The minimum-distance features of one corridor (see module docstring)."""
    dns, unknown, dn_notes, pressure = _corridor_dn(corr.threads)
    p_note = (
        f"pressure {pressure:g} MPa"
        if pressure is not None
        else "pressure unknown: trunk class 2.5-10 MPa assumed"
    )
    max_dn = max(dns) if dns else None
    known = distance_rules_for(dist_rules, max_dn, pressure) if max_dn is not None else []
    anyc = distance_rules_for(dist_rules, None, pressure)
    if not anyc:
        nb.add("skipped", f"corridor {corr.key}: no minimum-distance rule for pressure {pressure}")
        return
    bands = _distance_bands(known, anyc, max_dn, unknown, len(corr.lines))
    lo_w = bands[0][1].outer_m
    hi_w = bands[-1][1].outer_m
    feats.add_bands(
        bands,
        lambda inner, outer: _distance_shape(corr.lines, inner, outer),
        {
            # the candidates' range, as for a ranged rule
            **({"width_min_m": lo_w, "width_max_m": hi_w} if hi_w > lo_w else {}),
            **corr.attributes,
            "nominal_diameter_mm": max_dn,
        },
        before=(corr.note,),
        after=(p_note, "; ".join(sorted(set(dn_notes))) or None),
    )


def build_gas_pipeline_zones(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """Protection zone and minimum-distance zone per gas-pipeline corridor."""
    nb = NoteBook(LAYER)
    prot_rules = catalogue.by_kind("gas_protection_zone")
    dist_rules = catalogue.by_kind("gas_minimum_distance")
    pipes = base["gas_pipelines"]
    nb.input(base, "gas_pipelines")
    if not prot_rules:
        nb.add("missing", "no gas_protection_zone rule in the catalogue")
    if not dist_rules:
        nb.add("missing", "no gas_minimum_distance rules in the catalogue")
    pipes = pipes.loc[~(pipes.geometry.isna() | pipes.geometry.is_empty)]
    feats = Features()
    for key, g in _corridors(pipes):
        corr = _corridor(key, g)
        for rule in prot_rules:
            feats.add_bands(
                rule_bands(rule, options.range_policy),
                partial(_dissolved, corr.lines, flat=True),
                corr.attributes,
                before=(corr.note, "from each thread's axis, dissolved"),
            )
        if dist_rules:
            _add_distance_zones(feats, corr, dist_rules, nb)
    gdf = feats.frame(EXTRA_COLUMNS, min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
