"""Forest belts along BAKAD (лесоустроительные полосы), L533-537.

Geometric rule
--------------
The belt is measured per side from the edge of the road reserve corridor of the road it
follows (``measured_from: corridor_edge``; catalogue finding ``forest.finding.belt_semantics``):
for a road line carrying a corridor of total width ``W`` (its certain width; for BAKAD
150 m, L260) and a belt width ``b``, the belt is the land between ``W/2`` and ``W/2 + b``
metres from the centreline on both sides, with flat ends at the line's ends (a belt
*along* the road stops where the road's corridor stops). The 200-500 m range gives
200 m as ``certain`` and the ring from 200 to 500 m as ``possible`` (``range_policy``).

The road is found through the road rules: those listed in the belt rule's
``composed_of``, or else those sharing a name with the belt rule's ``applies_to.names``;
the base lines carrying them are found as for the road corridors.
"""

from __future__ import annotations

from functools import partial

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.bands import Features, rule_bands, source_attributes
from almaty_scheme.restrictions.frames import finish_layer, zones_frame
from almaty_scheme.restrictions.geometry import reference_band
from almaty_scheme.restrictions.names import name_matches
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.proposals import STATUS_COLUMN, split_proposals
from almaty_scheme.restrictions.roads import match_roads
from almaty_scheme.restrictions.text import text

LAYER = "forest_belts"


def carrier_road_rules(belt: Rule, catalogue: Catalogue) -> list[Rule]:
    """The road-corridor rules whose corridor edge the belt is measured from."""
    roads = catalogue.by_kind("road_corridor")
    if belt.composed_of:
        ids = set(belt.composed_of)
        return [r for r in roads if r.id in ids]
    if belt.applies_to is None or not belt.applies_to.names:
        return []
    return [
        r
        for r in roads
        if r.applies_to is not None and name_matches(belt.applies_to.names, r.applies_to.names)
    ]


def corridor_half_width(rule: Rule) -> float:
    """Half the certain corridor width of a road rule (per-side widths as they are)."""
    w = rule.width
    if w is None:
        return 0.0
    v = w.value_m if not w.is_range else w.min_m
    return float(v or 0.0) * (0.5 if w.semantics == "total" else 1.0)


def belt_shape(line: BaseGeometry, hw: float, inner: float, outer: float) -> BaseGeometry:
    """Land ``hw + inner`` to ``hw + outer`` metres from the road line, flat ends."""
    return reference_band(line, hw + inner, hw + outer, flat=True)


def build_forest_belts(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """Belt features on both sides of the corridors of the roads the belt rules follow."""
    nb = NoteBook(LAYER)
    belts = [r for r in catalogue.by_kind("forest_belt") if r.width is not None]
    roads = base["roads"]
    nb.input(base, "roads", " (lines of the roads the belts follow)")
    feats = Features()
    for belt in belts:
        carriers = carrier_road_rules(belt, catalogue)
        if not carriers:
            nb.add("skipped", "no road-corridor rule found for the road this belt follows", belt.id)
            continue
        built = False
        for road_rule in carriers:
            hw = corridor_half_width(road_rule)
            for pos, _how in match_roads(road_rule, roads) if len(roads) else []:
                row = roads.iloc[pos]
                line = row.geometry
                if line is None or line.is_empty:
                    continue
                feats.add_bands(
                    rule_bands(belt, options.range_policy),
                    partial(belt_shape, line, hw),
                    {
                        **source_attributes(row, "roads"),
                        "name": f"{belt.title} ({text(row.get('name')) or road_rule.title})",
                    },
                    before=(
                        f"per side from the edge of the {road_rule.id} corridor "
                        f"({hw:g} m from the centreline), flat ends",
                        "schematic road alignment"
                        if (text(row.get("category")) or "") == "schematic"
                        else None,
                    ),
                )
                built = True
        if not built:
            nb.add(
                "skipped",
                "no base line carries the road(s) " + ", ".join(r.id for r in carriers),
                belt.id,
            )
    records, geoms = split_proposals(feats.records, feats.geoms, {r.id: r for r in belts}, base, nb)
    gdf = zones_frame(records, geoms, STATUS_COLUMN, min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
