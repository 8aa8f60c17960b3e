"""Power-line protection zones (подзона сетей энергетики), L311-322.

Geometric rule
--------------
Each overhead line gets the zone of the rule whose ``applies_to.voltage_kv`` equals the
line's ``voltage_kv`` (its highest circuit voltage): ``d`` metres on each side measured
from the outermost wire (L317-322), with flat ends. Line data holds the axis only, so
the zone is everything within ``o + d`` metres of the axis, ``o`` being
``BuildOptions.power_wire_offset_m`` (default 0 m: the zone is then under-estimated by
the axis-to-wire distance, and each feature says so; catalogue finding
``power.finding.outermost_wire``).

Lines with no voltage or a voltage no rule covers (e.g. 6-10 kV, 330 kV) get no zone;
the build report lists them.
"""

from __future__ import annotations

from collections import Counter
from functools import partial

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.bands import Features, rule_bands, source_attributes
from almaty_scheme.restrictions.frames import finish_layer
from almaty_scheme.restrictions.geometry import reference_band
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions

LAYER = "power_line_zones"


def zone_shape(line: BaseGeometry, off: float, inner: float, outer: float) -> BaseGeometry:
    """Land within ``off + outer`` metres of the axis (beyond ``off + inner`` for a ring), flat ends."""
    return reference_band(line, inner + off if inner > 0 else 0.0, outer + off, flat=True)


def build_power_line_zones(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """One zone per power line whose voltage a ``power_line_zone`` rule covers."""
    nb = NoteBook(LAYER)
    by_voltage: dict[float, Rule] = {}
    for r in catalogue.by_kind("power_line_zone"):
        if r.applies_to is not None and r.applies_to.voltage_kv is not None and r.width:
            by_voltage.setdefault(float(r.applies_to.voltage_kv), r)
    lines = base["power_lines"]
    nb.input(base, "power_lines")
    if not by_voltage:
        nb.add("missing", "no power_line_zone rules with a voltage in the catalogue")
    off = float(options.power_wire_offset_m)
    off_note = (
        f"measured from the axis + {off:g} m assumed axis-to-outermost-wire offset"
        if off > 0
        else "measured from the line axis (outermost-wire offset unknown, taken as 0 m: "
        "the zone is narrower than the rule by the axis-to-wire distance)"
    )
    feats = Features()
    unknown = 0
    uncovered: Counter[float] = Counter()
    for _, row in lines.iterrows():
        v = row.get("voltage_kv")
        if v is None or pd.isna(v):
            unknown += 1
            continue
        rule = by_voltage.get(float(v))
        if rule is None or rule.width is None:
            uncovered[float(v)] += 1
            continue
        line = row.geometry
        if line is None or line.is_empty:
            continue
        feats.add_bands(
            rule_bands(rule, options.range_policy),
            partial(zone_shape, line, off),
            {
                **source_attributes(row, "power_lines"),
                "name": row.get("name") if isinstance(row.get("name"), str) else f"{v:g} kV line",
            },
            before=(off_note,),
        )
    if unknown:
        nb.add("skipped", f"{unknown} power line(s) without voltage: no zone built")
    for v, n in sorted(uncovered.items()):
        nb.add("skipped", f"{n} power line(s) of {v:g} kV: no rule for this voltage, no zone")
    if len(lines):
        nb.add("reading", off_note)
    gdf = feats.frame(min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
