"""Water-protection zones and strips (водоохранные зоны и полосы), L584-671.

Geometric rule
--------------
Zones and strips are measured on each side from the water edge, landwards:

* a water body given as a polygon (reservoir, lake): ``buffer(polygon, d) - polygon``;
  a ring ``[a, b]`` is ``buffer(polygon, b) - buffer(polygon, a)``;
* the Kapchagay reservoir is measured from the 479.0 m contour (its maximum filling
  level, L590-591). Open data has no such contour: ``BuildOptions.contour_source``
  chooses ``shoreline`` (the reservoir polygon stands for it) or ``dem`` (DEM cells at
  or below the contour that touch the reservoir, within ``contour_search_m`` of its
  shoreline, joined with the polygon); each feature's ``reading`` says which and how
  far (mean/max) the contour used lies from the water edge. The land between the water
  edge and the contour lies below the normal level and belongs to the strip and the
  zone: a band ``[0, d]`` is ``buffer(contour, d) - water``, not ``- contour``;
* a river given as a centreline: the water edge is approximated by a line
  ``BuildOptions.river_half_width_m`` (``h``) from the centreline on each side; a width
  ``d`` gives ``buffer(line, h + d) - buffer(line, h)`` (round ends; with ``h = 0`` the
  centreline stands for both banks and the zone is simply ``buffer(line, d)``).

Water surfaces of the base (``water_bodies``) are removed from every feature. Ranged
widths (resolution No. 246 rivers) give the minimum as ``certain`` and the ring from the
minimum to the maximum as ``possible`` (``range_policy``).

Which rule applies
------------------
A water feature takes the zone and strip rules that name it (``applies_to.names``
against its names). A feature no named rule covers takes the defaults for water bodies
without a project (L623-632): rivers by ``river_length_km`` (unknown length counts as a
small river, the catalogue's reading) and, above 200 km, by
``BuildOptions.large_river_conditions``; lakes, ponds and reservoirs by the lake default;
the default strip for all. Rules for places with no geometry in the base (e.g. the Akbulak
Club Resort) and ``prohibited_activity`` rules are not drawn; the report says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Interval, Rule
from almaty_scheme.restrictions.bands import Features, rule_bands, source_attributes
from almaty_scheme.restrictions.elevation import dem_polygons
from almaty_scheme.restrictions.frames import finish_layer
from almaty_scheme.restrictions.geometry import QUAD_SEGS, reference_band, union_of
from almaty_scheme.restrictions.names import feature_names, name_matches
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.text import join_reading, text

log = logging.getLogger(__name__)

ZONE_LAYER = "water_protection_zones"
STRIP_LAYER = "water_protection_strips"
KIND_LAYER = {"water_protection_zone": ZONE_LAYER, "water_protection_strip": STRIP_LAYER}

_RIVER_FEATURES = ("river", "water_body")
_BODY_FEATURES = ("reservoir", "lake", "water_body")


UNNAMED_DERIVED_READING = (
    "unnamed stream derived from the DEM: it may not exist on the ground or may run "
    "elsewhere, so the zone is built as possible (BuildOptions.unnamed_derived_certainty)"
)


def is_unnamed_derived(row: pd.Series) -> bool:
    """Whether a river feature is an unnamed stream derived from a DEM."""
    acc = text(row.get("accuracy")) or ""
    return acc.startswith("derived from DEM") and not (
        text(row.get("name")) or text(row.get("name_ru"))
    )


def _length(row: pd.Series) -> float | None:
    v = row.get("length_km")
    return None if v is None or pd.isna(v) else float(v)


def _named(rule: Rule) -> bool:
    return bool(rule.applies_to and rule.applies_to.names)


def rules_for_river(
    rules: list[Rule], row: pd.Series, options: BuildOptions
) -> tuple[list[Rule], str | None]:
    """Rules (one kind) that apply to a river feature, and the reading of the choice."""
    names = feature_names(row)
    named = [
        r
        for r in rules
        if _named(r)
        and r.applies_to is not None
        and r.applies_to.feature in _RIVER_FEATURES
        and name_matches(r.applies_to.names, names)
    ]
    if named:
        return named, None
    length = _length(row)
    cands = []
    for r in rules:
        at = r.applies_to
        if at is None or _named(r) or at.feature not in _RIVER_FEATURES:
            continue
        iv: Interval | None = at.river_length_km
        if iv is not None:
            if length is None:
                if not at.default_for_unnamed:
                    continue
            elif not iv.contains(length):
                continue
        if at.conditions is not None and at.conditions != options.large_river_conditions:
            continue
        cands.append(r)
    if not cands:
        return [], None
    # the most specific default: one with a length interval beats a generic one
    cands.sort(key=lambda r: (r.applies_to is None or r.applies_to.river_length_km is None,))
    chosen = cands[0]
    bits = ["no project of its own: default for water bodies without a project"]
    if length is None:
        bits.append("length unknown, treated as a small river")
    else:
        bits.append(f"length in the data {length:.1f} km")
    if chosen.applies_to is not None and chosen.applies_to.conditions:
        bits.append(f"'{chosen.applies_to.conditions}' conditions (large_river_conditions)")
    return [chosen], "; ".join(bits)


def rules_for_body(rules: list[Rule], row: pd.Series) -> tuple[list[Rule], str | None]:
    """Rules (one kind) that apply to a water-body polygon, and the reading."""
    names = feature_names(row)
    named = [
        r
        for r in rules
        if _named(r)
        and r.applies_to is not None
        and r.applies_to.feature in _BODY_FEATURES
        and name_matches(r.applies_to.names, names)
    ]
    if named:
        return named, None
    kind = text(row.get("kind")) or ""
    area_km2 = row.geometry.area / 1e6 if row.geometry is not None else None
    cands = [
        r
        for r in rules
        if r.applies_to is not None
        and not _named(r)
        and r.applies_to.feature in _BODY_FEATURES
        and (
            r.applies_to.water_area_km2 is None
            or area_km2 is None
            or r.applies_to.water_area_km2.contains(area_km2)
        )
    ]
    if not cands:
        return [], None
    # prefer the lake default over the generic water_body default
    cands.sort(key=lambda r: (r.applies_to is None or r.applies_to.feature != "lake",))
    note = "no project of its own: default for water bodies without a project"
    if (
        area_km2 is not None
        and cands[0].applies_to is not None
        and cands[0].applies_to.water_area_km2 is not None
    ):
        note += f"; water area {area_km2:.2f} km²"
    if kind == "reservoir":
        note += "; a reservoir without its own rule is treated as a lake"
    return [cands[0]], note


def contour_reference(
    poly: BaseGeometry, rule: Rule, base: BaseData, options: BuildOptions, nb: NoteBook
) -> tuple[BaseGeometry, str]:
    """The polygon standing for the area below a contour (e.g. 479.0 m) and a reading."""
    level = rule.width.contour_m if rule.width else None
    if options.contour_source == "dem" and level is not None and base.dem_path is not None:
        search = float(options.contour_search_m)
        near = shapely.buffer(poly, search, quad_segs=QUAD_SEGS)
        low, info = dem_polygons(
            base.dem_path, Interval(max=level), within=near, min_cells=options.elevation_min_cells
        )
        parts = [p for p in shapely.get_parts(low) if p.intersects(poly)]
        if parts:
            grown = shapely.union_all([*(shapely.intersection(p, near) for p in parts), poly])
            return grown, (
                f"the {level:g} m contour approximated by the shoreline polygon joined with "
                f"DEM cells at or below {level:g} m touching the reservoir within {search:g} m "
                f"of its shoreline ({info.label})"
            )
        nb.add(
            "warning",
            f"no DEM cells at or below {level:g} m touch the reservoir: shoreline used",
            rule.id,
        )
    ref = f"the {level:g} m contour" if level is not None else "the contour"
    return poly, (
        f"{ref} approximated by the reservoir shoreline polygon of the base data "
        "(the shoreline is the water surface at survey time, at or below the "
        "maximum filling level)"
    )


def contour_offset(
    contour: BaseGeometry, water: BaseGeometry, step_m: float = 50.0
) -> tuple[float, float]:
    """Mean and largest distance (m) from the contour's outline to the water's outline.

    The contour polygon's outline is sampled every ``step_m`` metres; each sample's
    distance to the water polygon's outline is measured. ``(0, 0)`` when they coincide.
    """
    line = shapely.boundary(contour)
    if line.is_empty or contour.equals(water):
        return 0.0, 0.0
    n = max(int(line.length / step_m), 1)
    pts = shapely.line_interpolate_point(line, np.linspace(0.0, line.length, n, endpoint=False))
    d = shapely.distance(pts, shapely.boundary(water))
    return float(np.mean(d)), float(np.max(d))


def contour_offset_reading(contour: BaseGeometry, water: BaseGeometry) -> str:
    """How far the contour used lies from the water edge, and where its bands start."""
    mean_m, max_m = contour_offset(contour, water)
    extra_ha = shapely.difference(contour, water).area / 1e4
    if extra_ha < 0.01:
        return "the contour used is the water edge itself (0 m from it)"
    return (
        f"contour used lies {mean_m:,.0f} m (mean) / {max_m:,.0f} m (max) from the water "
        f"edge of the base data; the {extra_ha:,.0f} ha between the water edge and the "
        "contour (land below the normal level) belong to the strip and the zone, whose "
        "widths are measured from the contour"
    )


@dataclass
class _Water:
    """What every water-protection feature of one build shares."""

    base: BaseData
    options: BuildOptions
    water: BaseGeometry
    """Union of the water surfaces (removed from every feature)."""
    used: set[str] = field(default_factory=set)
    """Ids of the rules that made a feature."""

    @property
    def half_width(self) -> float:
        """Half the channel width of rivers given as centrelines (m)."""
        return float(self.options.river_half_width_m)

    def river_edge(self) -> str:
        """How the water edge of a river centreline is read."""
        h = self.half_width
        return (
            f"water edge approximated by lines {h:g} m either side of the river centreline"
            if h > 0
            else "water edge approximated by the river centreline (both banks)"
        )


def build_water_protection(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[dict[str, gpd.GeoDataFrame], list[LayerNote]]:
    """Both water-protection layers: ``{'water_protection_zones': ..., 'water_protection_strips': ...}``."""
    books = {ZONE_LAYER: NoteBook(ZONE_LAYER), STRIP_LAYER: NoteBook(STRIP_LAYER)}
    rivers = base["rivers"]
    bodies = base["water_bodies"]
    for nb in books.values():
        nb.input(base, "rivers")
        nb.input(base, "water_bodies")
    ctx = _Water(base, options, union_of(bodies) if len(bodies) else shapely.MultiPolygon())
    out: dict[str, gpd.GeoDataFrame] = {}
    for kind, layer in KIND_LAYER.items():
        nb = books[layer]
        krules = catalogue.by_kind(kind)
        feats = Features()
        _add_river_zones(feats, krules, rivers, kind, ctx, nb)
        _add_body_zones(feats, krules, bodies, kind, ctx, nb)
        _note_unused(krules, ctx.used, nb)
        gdf = feats.frame(min_area=options.min_sliver_m2)
        out[layer] = finish_layer(gdf, base, options, nb.notes, layer)
    _activity_rules(catalogue, out, rivers, bodies, ctx, books[ZONE_LAYER])
    return out, [*books[ZONE_LAYER].notes, *books[STRIP_LAYER].notes]


def _add_zone(
    feats: Features,
    rule: Rule,
    row: pd.Series,
    src_layer: str,
    ref: BaseGeometry,
    reading: str | None,
    ctx: _Water,
    *,
    channel: BaseGeometry | None,
    offset: float,
    fill: BaseGeometry | None = None,
) -> None:
    """The bands of one rule around one water feature, water surfaces removed.

    Geometric rule: the land between ``offset + inner`` and ``offset + outer`` metres from
    ``ref`` (round ends), ``channel`` and the water surfaces cut out. ``fill`` (the land
    between the water edge and a contour ``ref``, below the normal level) joins the
    band that starts at ``inner = 0``, so that band runs from the water edge while its
    width is measured from the contour.
    """
    options = ctx.options
    demote = (
        src_layer == "rivers"
        and is_unnamed_derived(row)
        and options.unnamed_derived_certainty == "possible"
    )
    if demote:
        reading = join_reading(reading, UNNAMED_DERIVED_READING)
    water = ctx.water

    def shape(inner: float, outer: float) -> BaseGeometry:
        g = reference_band(
            ref,
            inner + offset if (inner > 0 or offset > 0) else 0.0,
            outer + offset,
            flat=False,
            exclude=channel,
        )
        if fill is not None and inner == 0 and not fill.is_empty:
            g = shapely.union(g, fill)  # water edge to contour: part of the first band
        return g if water.is_empty else shapely.difference(g, water)

    nm = row.get("name_ru") if isinstance(row.get("name_ru"), str) else None
    feats.add_bands(
        rule_bands(rule, options.range_policy),
        shape,
        {
            **({"certainty": "possible"} if demote else {}),
            **source_attributes(row, src_layer),
            "name": row.get("name") if isinstance(row.get("name"), str) else nm,
        },
        before=(reading,),
        after=("water surfaces excluded" if not water.is_empty else None,),
    )
    ctx.used.add(rule.id)


def _add_river_zones(
    feats: Features,
    krules: list[Rule],
    rivers: gpd.GeoDataFrame,
    kind: str,
    ctx: _Water,
    nb: NoteBook,
) -> None:
    """Zones (or strips) of every river centreline, from the water edge ``h`` off the line."""
    h = ctx.half_width
    for _, row in rivers.iterrows():
        line = row.geometry
        if line is None or line.is_empty:
            continue
        chosen, why = rules_for_river(krules, row, ctx.options)
        if not chosen:
            nb.add(
                "skipped",
                f"river {text(row.get('name')) or row.get('base_id')}: no {kind} rule applies",
            )
            continue
        channel = shapely.buffer(line, h, quad_segs=QUAD_SEGS) if h > 0 else None
        for rule in chosen:
            if rule.width is None:
                continue
            reading = join_reading(ctx.river_edge(), why)
            _add_zone(feats, rule, row, "rivers", line, reading, ctx, channel=channel, offset=h)


def _add_body_zones(
    feats: Features,
    krules: list[Rule],
    bodies: gpd.GeoDataFrame,
    kind: str,
    ctx: _Water,
    nb: NoteBook,
) -> None:
    """Zones (or strips) of every water-body polygon, from its outline or a contour."""
    for _, row in bodies.iterrows():
        poly = row.geometry
        if poly is None or poly.is_empty:
            continue
        chosen, why = rules_for_body(krules, row)
        if not chosen:
            nb.add(
                "skipped",
                f"water body {text(row.get('name')) or row.get('base_id')}: no {kind} rule applies",
            )
            continue
        for rule in chosen:
            if rule.width is None:
                continue
            ref, ref_reading = poly, "measured from the water-body polygon outline"
            fill = None
            if rule.width.measured_from == "contour":
                ref, ref_reading = contour_reference(poly, rule, ctx.base, ctx.options, nb)
                fill = shapely.difference(ref, poly)
                ref_reading = join_reading(ref_reading, contour_offset_reading(ref, poly)) or ""
                nb.add("reading", ref_reading, rule.id)
            reading = join_reading(ref_reading, why)
            _add_zone(
                feats,
                rule,
                row,
                "water_bodies",
                ref,
                reading,
                ctx,
                channel=None,
                offset=0.0,
                fill=fill,
            )


def _note_unused(krules: list[Rule], used: set[str], nb: NoteBook) -> None:
    """A ``skipped`` note for every rule that made no feature, saying what to add."""
    for rule in krules:
        if rule.id in used:
            continue
        at = rule.applies_to
        if at is not None and at.feature == "place":
            nb.add(
                "skipped",
                f"no geometry for the place ({', '.join(at.names[:2])}) in "
                "the base data; supply its outline to build this rule",
                rule.id,
            )
        elif at is not None and at.names:
            nb.add(
                "skipped",
                f"no base feature named {at.names[0]!r} "
                f"({at.feature}); add it (e.g. a river centreline) to build this rule",
                rule.id,
            )
        else:
            nb.add("skipped", "no base feature this default applies to", rule.id)


def _activity_rules(
    catalogue: Catalogue,
    out: dict[str, gpd.GeoDataFrame],
    rivers: gpd.GeoDataFrame,
    bodies: gpd.GeoDataFrame,
    ctx: _Water,
    notes_z: NoteBook,
) -> None:
    """``prohibited_activity`` distance rules: recorded, the aerial-spraying band on request."""
    options = ctx.options
    for r in catalogue.by_kind("prohibited_activity"):
        if r.width is None:
            continue
        if r.id == AERIAL_SPRAYING_RULE and options.aerial_spraying_band:
            band = aerial_spraying_band(r, rivers, bodies, ctx.water, ctx.half_width)
            if len(band):
                zl = out[ZONE_LAYER]
                band = finish_layer(band, ctx.base, options, [], ZONE_LAYER)
                out[ZONE_LAYER] = gpd.GeoDataFrame(
                    pd.concat(
                        [zl, band[[c for c in zl.columns if c in band.columns]]], ignore_index=True
                    ),
                    geometry=zl.geometry.name,
                    crs=zl.crs,
                )
            notes_z.add(
                "reading",
                "distance band drawn as possible features (BuildOptions.aerial_spraying_band)",
                r.id,
            )
        else:
            notes_z.add(
                "reading",
                "distance rule recorded for checks, not drawn as a zone "
                "(inside the zones their conditions forbid it)",
                r.id,
            )


AERIAL_SPRAYING_RULE = "water_protection.activity.aerial_spraying"


def _same(geom: BaseGeometry, inner: float, outer: float) -> BaseGeometry:
    """``geom`` whatever the band's distances (a band built beforehand)."""
    return geom


def aerial_spraying_band(
    rule: Rule,
    rivers: gpd.GeoDataFrame,
    bodies: gpd.GeoDataFrame,
    water: BaseGeometry,
    river_half_width_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """The band closer than ``rule.width.value_m`` to the water edge (L665-667).

    Geometric rule: per base layer, ``union(buffer(edge, d)) - water`` where ``edge`` is
    the water-body polygon or the river's water edge (the centreline, or the lines
    ``river_half_width_m`` either side of it: ``buffer(line, h + d)``). One feature per
    layer (``rivers``, ``water_bodies``), ``certainty: possible``: the scheme lists the
    prohibition under "В пределах водоохранных зон запрещается" (L642) while its
    distance exceeds every zone, so the band beyond the zone is a reading, not a zone
    the scheme draws (finding ``water_protection.finding.aerial_spraying_beyond_zone``).
    """
    assert rule.width is not None and rule.width.value_m is not None
    d = float(rule.width.value_m)
    feats = Features()
    for src_layer, frame, grow in (
        ("rivers", rivers, river_half_width_m),
        ("water_bodies", bodies, 0.0),
    ):
        g = [x for x in frame.geometry if x is not None and not x.is_empty] if len(frame) else []
        if not g:
            continue
        band = shapely.union_all(shapely.buffer(g, d + grow, quad_segs=QUAD_SEGS))
        if not water.is_empty:
            band = shapely.difference(band, water)
        srcs = sorted({str(v) for v in frame.get("source", pd.Series(dtype=object)).dropna()})
        accs = sorted({str(v) for v in frame.get("accuracy", pd.Series(dtype=object)).dropna()})
        ids = [str(v) for v in frame.get("base_id", pd.Series(dtype=object)).dropna()]
        feats.add_bands(
            rule_bands(rule, None),  # a single value: one band, no reading of its own
            partial(_same, band),
            {
                "certainty": "possible",
                # every feature is a source: checks measure the distance to the nearest one
                "source": "; ".join(srcs) or None,
                "accuracy": "; ".join(accs) or None,
                "source_layer": src_layer,
                "source_fid": "; ".join(ids) or None,
                "name": None,
            },
            before=(
                f"closer than {d:g} m to the water edge of every feature of the base "
                f"layer {src_layer}",
                "listed under the prohibitions inside water-protection zones (L642) but "
                "wider than every zone: drawn on request (BuildOptions.aerial_spraying_band)",
                "water surfaces excluded" if not water.is_empty else None,
            ),
        )
    return feats.frame()
