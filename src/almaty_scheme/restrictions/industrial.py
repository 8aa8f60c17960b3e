"""Industrial zones and parks (производственные и логистические подзоны), L215-242.

Geometric rule
--------------
The scheme locates most zones only in words (a city district, a village, "on the
Kapchagay highway at the BAKAD junction") and gives each an area. Where no outline
exists, a **schematic footprint** is drawn: a regular 64-gon (``4 * QUAD_SEGS`` sides)
whose area is exactly the rule's ``area_ha``, centred at the rule's ``anchor``:

* ``settlement``: the settlement point of that name (``district`` disambiguates);
* ``admin_unit``: the representative point of that administrative unit (2018 units,
  the scheme's era, preferred);
* ``junction``: the intersection of the base lines carrying the listed road rules (or
  the midpoint of their closest points when they do not meet);

shifted by ``offset_m`` towards ``bearing_deg`` (0 = north, clockwise). Every feature is
labelled ``accuracy = 'schematic from scheme text'``; a zone whose anchor cannot be found
is not drawn and the report says why. Footprints are clipped to the boundary like every
layer, so a clipped footprint loses area (the report's reconciliation shows it).
"""

from __future__ import annotations

import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from almaty_scheme.base.model import BaseData
from almaty_scheme.base.names import normalise_name
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.bands import rule_attributes
from almaty_scheme.restrictions.frames import finish_layer, zones_frame
from almaty_scheme.restrictions.geometry import QUAD_SEGS
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.roads import match_roads
from almaty_scheme.restrictions.text import join_reading, text

LAYER = "industrial_zones"
SCHEMATIC = "schematic from scheme text"
EXTRA_COLUMNS = {
    "area_ha_scheme": "float64",
    "schematic": "boolean",
    "anchor_kind": "string",
    "anchor_name": "string",
    "anchor_accuracy_m": "float64",
}
N_SIDES = 4 * QUAD_SEGS

_GENERIC = re.compile(
    r"(?<!\w)(район|районa|district|г\.|город|города|city|село|с\.|поселок|посёлок|пос\.|"
    r"аул|village|town|городская администрация|администрация|с/о|сельский округ|ауданы|"
    r"алматы|almaty)(?!\w)"
)


def _core(text: str) -> str:
    """A place name without its generic words ("район", "с/о", "г."), normalised."""
    return normalise_name(_GENERIC.sub(" ", text.lower()))


def exact_area_polygon(center: Point, area_m2: float, n: int = N_SIDES) -> shapely.Polygon:
    """A regular ``n``-gon centred at ``center`` whose area is exactly ``area_m2``.

    The circumradius is ``r = sqrt(2 A / (n sin(2 pi / n)))``.
    """
    r = math.sqrt(2.0 * area_m2 / (n * math.sin(2.0 * math.pi / n)))
    ang = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    xs = center.x + r * np.cos(ang)
    ys = center.y + r * np.sin(ang)
    return shapely.Polygon(np.column_stack([xs, ys]))


def _names_of(row: pd.Series) -> list[str]:
    out = []
    for c in ("name", "name_ru", "name_kk", "name_en"):
        v = row.get(c)
        if isinstance(v, str) and v.strip():
            out.append(v)
    alt = row.get("alt_names")
    if isinstance(alt, str):
        out.extend(a for a in re.split(r"[,;|]", alt) if a.strip())
    return out


def find_named(
    gdf: gpd.GeoDataFrame, name: str, district: str | None = None
) -> tuple[pd.Series | None, str | None]:
    """The row of ``gdf`` named ``name`` (generic words ignored), and a note on ambiguity."""
    target = _core(name)
    if not target or len(gdf) == 0:
        return None, None
    hits = [
        i
        for i, (_, row) in enumerate(gdf.iterrows())
        if any(_core(n) == target for n in _names_of(row))
    ]
    if not hits:
        return None, None
    if district and "district" in gdf.columns:
        dcore = _core(district)
        by_d = [
            i
            for i in hits
            if isinstance(gdf.iloc[i].get("district"), str)
            and _core(gdf.iloc[i]["district"]) == dcore
        ]
        if not by_d:
            others = ", ".join(str(gdf.iloc[i].get("base_id")) for i in hits[:3])
            return None, (
                f"{len(hits)} feature(s) named {name!r} ({others}) but none in {district}: not used"
            )
        hits = by_d
    note = None
    if len(hits) > 1:
        note = (
            f"{len(hits)} features named {name!r}; {gdf.iloc[hits[0]].get('base_id')} used "
            "(preferred: matching district, then 2018 units, then data order)"
        )
    return gdf.iloc[hits[0]], note


def _admin_candidates(admin: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if len(admin) == 0:
        return admin
    order = admin.assign(
        _pref=[
            0 if (lv == 2 and yr == 2018) else 1 if lv == 2 else 2
            for lv, yr in zip(
                admin.get("level", pd.Series([None] * len(admin))),
                admin.get("year", pd.Series([None] * len(admin))),
                strict=True,
            )
        ]
    )
    return order.sort_values("_pref", kind="mergesort")


def anchor_accuracy_m(row: pd.Series) -> float | None:
    """Accuracy in metres of a placed settlement point, ``None`` for a real point."""
    acc = row.get("accuracy_m")
    placement = text(row.get("placement"))
    if placement is None or not placement.startswith("placed") or acc is None or pd.isna(acc):
        return None
    return float(acc)


def resolve_anchor(
    rule: Rule, base: BaseData, rules_by_id: dict[str, Rule] | None = None
) -> tuple[Point | None, str, str]:
    """Centre point for a rule's footprint, the anchor's accuracy/source text, and a reading.

    Returns ``(None, "", reason)`` when the place cannot be found.
    """
    a = rule.anchor
    if a is None:
        return None, "", "no anchor in the catalogue for this zone"
    reading_bits: list[str] = []
    pt: Point | None = None
    src = ""
    if a.kind == "settlement":
        row, amb = find_named(base["settlements"], a.name or "", a.district)
        if row is None:
            return None, "", amb or f"settlement {a.name!r} not found in the base settlements"
        pt = (
            row.geometry
            if row.geometry.geom_type == "Point"
            else row.geometry.representative_point()
        )
        src = f"settlement {row.get('base_id')} ({text(row.get('source')) or 'base'})"
        reading_bits += [f"centred at the settlement {a.name}", amb or ""]
        acc = anchor_accuracy_m(row)
        if acc is not None:
            reading_bits.append(
                f"the settlement has no real point: {text(row.get('placement'))}, "
                f"accuracy +/- {acc:.0f} m"
            )
    elif a.kind == "admin_unit":
        row, amb = find_named(_admin_candidates(base["admin_units"]), a.name or "")
        if row is None:
            return None, "", f"administrative unit {a.name!r} not found in the base admin units"
        pt = row.geometry.representative_point()
        src = f"admin unit {row.get('base_id')} ({text(row.get('source')) or 'base'})"
        reading_bits += [f"centred at the representative point of {a.name}", amb or ""]
    elif a.kind == "junction":
        roads = base["roads"]
        lines: list[BaseGeometry] = []
        for rid in a.roads[:2]:
            road_rule = (rules_by_id or {}).get(rid)
            if road_rule is None:
                return None, "", f"road rule {rid!r} of the junction is not in the catalogue"
            pos = [p for p, _ in match_roads(road_rule, roads)] if len(roads) else []
            if not pos:
                return None, "", f"no base line carries the road rule {rid!r} of the junction"
            lines.append(shapely.union_all([roads.iloc[p].geometry for p in pos]))
        inter = shapely.intersection(lines[0], lines[1])
        if not inter.is_empty:
            pts = [p for p in shapely.get_parts(inter) if p.geom_type == "Point"] or [
                inter.representative_point()
            ]
            pts.sort(key=lambda p: (p.x, p.y))
            pt = pts[0]
            reading_bits.append("centred at the crossing of " + " and ".join(a.roads[:2]))
            if len(pts) > 1:
                reading_bits.append(f"{len(pts)} crossings, the westernmost used")
        else:
            p1, p2 = nearest_points(lines[0], lines[1])
            pt = Point((p1.x + p2.x) / 2, (p1.y + p2.y) / 2)
            reading_bits.append(
                f"the alignments do not meet (closest {p1.distance(p2):.0f} m apart): "
                "centred between their closest points"
            )
        src = "road alignments " + ", ".join(a.roads[:2])
    assert pt is not None
    if a.offset_m:
        b = math.radians(a.bearing_deg)
        pt = Point(pt.x + a.offset_m * math.sin(b), pt.y + a.offset_m * math.cos(b))
        reading_bits.append(f"shifted {a.offset_m:g} m towards bearing {a.bearing_deg:g} deg")
    reading_bits.append(a.reading or "")
    return pt, src, join_reading(*reading_bits) or ""


def _rule_anchor_accuracy(rule: Rule, base: BaseData) -> float | None:
    """Accuracy of a rule's settlement anchor when that settlement is a placed point."""
    a = rule.anchor
    if a is None or a.kind != "settlement":
        return None
    row, _ = find_named(base["settlements"], a.name or "", a.district)
    return None if row is None else anchor_accuracy_m(row)


def build_industrial_zones(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """A schematic footprint of exactly ``area_ha`` per ``industrial_zone`` rule."""
    nb = NoteBook(LAYER)
    by_id = catalogue.rules
    zones = catalogue.by_kind("industrial_zone")
    for lay in ("settlements", "admin_units", "roads"):
        nb.input(base, lay, " (places named in the text)")
    records: list[dict[str, Any]] = []
    geoms = []
    for rule in zones:
        if rule.area_ha is None:
            nb.add("skipped", "no area_ha", rule.id)
            continue
        pt, src, reading = resolve_anchor(rule, base, by_id)
        if pt is None:
            nb.add("skipped", f"not drawn: {reading}", rule.id)
            continue
        rec = rule_attributes(rule)
        acc_m = _rule_anchor_accuracy(rule, base)
        rec.update(
            name=rule.title_ru or rule.title,
            certainty="certain",
            source=src,
            accuracy=SCHEMATIC
            + (f"; anchor placed, accuracy +/- {acc_m:.0f} m" if acc_m is not None else ""),
            anchor_accuracy_m=acc_m,
            source_layer=None,
            source_fid=None,
            area_ha_scheme=rule.area_ha,
            schematic=True,
            anchor_kind=rule.anchor.kind if rule.anchor else None,
            anchor_name=(rule.anchor.name or ", ".join(rule.anchor.roads)) if rule.anchor else None,
            reading=join_reading(
                f"schematic footprint: a {N_SIDES}-gon of exactly {rule.area_ha:g} ha "
                f"at the place named in the text ({rule.location or rule.location_ru or '?'})",
                reading,
            ),
        )
        records.append(rec)
        geoms.append(exact_area_polygon(pt, rule.area_ha * 10_000.0))
    gdf = zones_frame(records, geoms, EXTRA_COLUMNS, min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
