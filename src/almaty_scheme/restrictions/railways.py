"""Railway right-of-way and controlled zones (подзона железных дорог), L285-310.

Geometric rule
--------------
* Right-of-way (полоса предоставления): ``w`` metres each side of the track axis, flat
  ends (``railways.right_of_way``; the scheme gives no width, L299, so ``w`` is the
  catalogue's flagged external value or ``BuildOptions.railway_right_of_way_m``).
* Controlled zone (контролируемая зона, L299-310): the band from the right-of-way edge
  outwards, i.e. from ``w`` to ``w + c`` metres from the axis, on both sides, where
  ``c`` is 50 m outside settlements (L307-308) and 20 m inside settlements (L309-310).
  "Inside" is decided by the band's own position against the settlement footprints of
  the base: the 20 m band is cut to the footprints and the 50 m band to the land outside
  them, so the zone switches width exactly at the footprint edge.

With no right-of-way width at all (no rule and no option) the controlled zone is
measured from the axis and every feature says so.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.bands import Features, band_record, source_attributes, width_bands
from almaty_scheme.restrictions.frames import finish_layer
from almaty_scheme.restrictions.geometry import reference_band, union_of
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.text import join_reading

LAYER = "railway_zones"


def _split_rules(catalogue: Catalogue) -> tuple[Rule | None, Rule | None, Rule | None]:
    row = inside = outside = None
    for r in catalogue.by_kind("railway_right_of_way", "railway_controlled_zone"):
        if r.kind == "railway_right_of_way" and row is None:
            row = r
        elif r.kind == "railway_controlled_zone" and r.applies_to is not None:
            if r.applies_to.inside_settlement is True and inside is None:
                inside = r
            elif r.applies_to.inside_settlement is False and outside is None:
                outside = r
    return row, inside, outside


def _right_of_way(row_rule: Rule | None, options: BuildOptions, nb: NoteBook) -> tuple[float, str]:
    """Per-side right-of-way width (option, else catalogue, else 0) and its reading."""
    if options.railway_right_of_way_m is not None:
        w = float(options.railway_right_of_way_m)
        row_reading = f"right-of-way {w:g} m each side of the axis (BuildOptions override)"
    elif row_rule is not None and row_rule.width is not None and row_rule.width.value_m:
        w = float(row_rule.width.value_m) * (0.5 if row_rule.width.semantics == "total" else 1)
        row_reading = (
            f"right-of-way {w:g} m each side of the axis (catalogue parameter"
            f"{'' if row_rule.verified else ', unverified'})"
        )
    else:
        w = 0.0
        row_reading = "no right-of-way width known: controlled zone measured from the axis"
        nb.add("warning", row_reading)
    nb.add("reading", row_reading, row_rule.id if row_rule else None)
    return w, row_reading


def _add_controlled(
    feats: Features,
    rule: Rule,
    line: BaseGeometry,
    w: float,
    footprints: BaseGeometry,
    *,
    inside: bool,
    attributes: dict[str, Any],
    readings: tuple[str | None, ...],
) -> None:
    """The controlled zone of one rule along one line: ``w`` to ``w + c`` from the axis.

    Cut to the settlement footprints (``inside``) or to the land outside them; nothing
    is added when that leaves no land.
    """
    assert rule.width is not None and rule.width.value_m is not None
    c = float(rule.width.value_m)
    ring = reference_band(line, w, w + c, flat=True)
    piece = (
        shapely.intersection(ring, footprints) if inside else shapely.difference(ring, footprints)
    )
    if piece.is_empty:
        return
    rec = band_record(rule, width_bands(rule.width, None)[0])
    rec.update(
        attributes,
        measured_from="right_of_way_edge" if w > 0 else "axis",
        reading=join_reading(
            f"{c:g} m from the right-of-way edge ({w:g} m from the axis), "
            + ("cut to settlement footprints" if inside else "outside settlement footprints"),
            *readings,
        ),
    )
    feats.add(rec, piece)


def build_railway_zones(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """Right-of-way and controlled-zone features for every base railway line.

    Returns one right-of-way feature, one 50 m (outside settlements) and one 20 m
    (inside settlements) controlled-zone feature per railway line (parts that end up
    empty, e.g. no settlement crossed, are dropped).
    """
    nb = NoteBook(LAYER)
    row_rule, inside_rule, outside_rule = _split_rules(catalogue)
    rails = base["railways"]
    nb.input(base, "railways")
    nb.input(base, "settlement_footprints", " (decides inside/outside settlements)")
    fps = base["settlement_footprints"]
    footprints = union_of(fps) if len(fps) else shapely.MultiPolygon()
    if len(fps) == 0 and len(rails):
        nb.add(
            "warning",
            "no settlement footprints: the whole controlled zone is built "
            "with the outside-settlement width",
        )
    w, row_reading = _right_of_way(row_rule, options, nb)
    for r, label in ((inside_rule, "inside settlements"), (outside_rule, "outside settlements")):
        if r is None:
            nb.add("missing", f"no railway_controlled_zone rule for {label}")
    feats = Features()
    for _, rrow in rails.iterrows():
        line = rrow.geometry
        if line is None or line.is_empty:
            continue
        src = source_attributes(rrow, "railways")
        name = rrow.get("name") if isinstance(rrow.get("name"), str) else "railway"
        status = rrow.get("status")
        status_note = f"line status: {status}" if isinstance(status, str) and status else None
        if row_rule is not None and w > 0:
            rec: dict[str, Any] = (
                band_record(row_rule, width_bands(row_rule.width, None)[0])
                if row_rule.width
                else {}
            )
            rec.update(
                src,
                name=name,
                width_m=w,
                band_inner_m=0.0,
                band_outer_m=w,
                width_min_m=w,
                width_max_m=w,
                width_semantics="per_side",
                measured_from="axis",
                reading=join_reading(row_reading, status_note),
            )
            feats.add(rec, reference_band(line, 0.0, w, flat=True))
        for r, inside in ((outside_rule, False), (inside_rule, True)):
            if r is None or r.width is None or r.width.value_m is None:
                continue
            _add_controlled(
                feats,
                r,
                line,
                w,
                footprints,
                inside=inside,
                attributes={**src, "name": name},
                readings=(row_reading, status_note),
            )
    gdf = feats.frame(min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
