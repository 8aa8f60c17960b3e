"""Schematic road alignments from waypoints the scheme's text names.

No open centreline exists for the trunk roads the scheme reserves corridors for
(L252-284), for BAKAD or for the planned bypasses. ``layers/alignments.yaml`` draws
each as a polyline through *waypoints*, every one justified by a quote of the text
(with seed lines) or by an explicit ``reading`` where the text is silent:

``settlement``
    the point of an Appendix 15 settlement (by its scheme name and district), taken
    from the joined ``settlements`` layer;
``place``
    any settlement point by name (and territory), for places the scheme names outside
    Appendix 15 (e.g. Akshi of Ili district, L3472);
``junction``
    a named junction of ``junctions:`` (itself a settlement or place), shared by the
    alignments that meet there (e.g. the Kapchagay highway and BAKAD, L228-234);
``nearest_on``
    the point of an earlier alignment nearest to the adjacent waypoint (a section
    "from BAKAD" starts where the road meets BAKAD);
``city_edge``
    the point of a territory's outline (Almaty city) nearest to the adjacent waypoint;
``boundary_exit``
    where a ray from the adjacent waypoint along ``bearing_deg`` (clockwise from north)
    last crosses the agglomeration boundary (a section "to the agglomeration
    boundary");
``point``
    explicit ``lon``/``lat`` (only with a ``reading``).

A waypoint with ``follow: <alignment>`` is reached along that earlier alignment (the
part between the projections of the previous waypoint and this one) instead of a
straight leg (the Western Europe - Western China route uses 29.4 km of BAKAD,
L2415-2417). The adjacent waypoint of the first waypoint is the second; of every
other, the previous one.

The result is the canonical ``roads`` layer with ``category = "schematic"``,
``accuracy = "schematic from scheme text"``, ``source = "layers/alignments.yaml"`` and
``rule_ids`` listing the road rules the line carries. :func:`merge_roads` lets a real
centreline (user file or OSM) replace the schematic one, rule by rule.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from almaty_scheme.base.boundary import figure
from almaty_scheme.base.model import conform
from almaty_scheme.base.names import district_key, loose_name, normalise_name
from almaty_scheme.catalogue.data_models import Alignment, AlignmentFile, Junction, Waypoint
from almaty_scheme.catalogue.datafile import load_model
from almaty_scheme.catalogue.registry import shipped_path
from almaty_scheme.crs import WORKING_CRS, require_working_crs

log = logging.getLogger(__name__)

ALIGNMENTS_FILE = "alignments.yaml"
ACCURACY = "schematic from scheme text"
SOURCE = "layers/alignments.yaml"
RAY_LENGTH_M = 200_000.0


def load_alignments(path: str | Path | None = None) -> AlignmentFile:
    """Load ``layers/alignments.yaml`` (or ``path``) with its strict schema."""
    p = Path(path) if path is not None else shipped_path(ALIGNMENTS_FILE)
    return load_model(p, AlignmentFile)


@dataclass
class AlignmentContext:
    """What waypoints are resolved against (all in EPSG:32643)."""

    settlements: gpd.GeoDataFrame
    boundary: BaseGeometry
    territories: dict[str, BaseGeometry] = field(default_factory=dict)


class WaypointError(Exception):
    """A waypoint cannot be located (the alignment is skipped and reported)."""


def _find_settlement(ctx: AlignmentContext, w: Waypoint) -> Point:
    s = ctx.settlements
    if w.settlement:
        cand = s[s["scheme_name"].notna()] if "scheme_name" in s.columns else s.iloc[0:0]
        key = loose_name(w.settlement)
        dk = district_key(w.district)
        hit = cand[
            [
                loose_name(n) == key and district_key(d) == dk
                for n, d in zip(cand["scheme_name"], cand["district"], strict=True)
            ]
        ]
        if hit.empty:
            raise WaypointError(
                f"settlement {w.settlement!r} ({w.district}) has no point (not matched to "
                "Appendix 15); supply a settlements file with it, or change the waypoint"
            )
        return hit.geometry.iloc[0]
    key = normalise_name(w.place)
    names = ("name", "name_ru", "name_kk", "name_en")
    mask = pd.Series(False, index=s.index)
    for c in names:
        if c in s.columns:
            mask |= s[c].astype("string").map(normalise_name).eq(key).fillna(False)
    if w.territory and "territory" in s.columns:
        mask &= s["territory"].astype("string").eq(w.territory).fillna(False)
    hit = s[mask]
    if hit.empty:
        raise WaypointError(
            f"no settlement point named {w.place!r}" + (f" in {w.territory}" if w.territory else "")
        )
    return hit.geometry.iloc[0]


def _bearing_point(origin: Point, bearing_deg: float, length: float) -> Point:
    rad = math.radians(bearing_deg)
    return Point(origin.x + length * math.sin(rad), origin.y + length * math.cos(rad))


def _locate(
    w: Waypoint,
    adjacent: Point | None,
    ctx: AlignmentContext,
    built: dict[str, LineString],
    junctions: dict[str, Junction],
) -> Point:
    k = w.kind
    if k in ("settlement", "place"):
        return _find_settlement(ctx, w)
    if k == "junction":
        return _locate(junctions[str(w.junction)].at, adjacent, ctx, built, junctions)
    if k == "point":
        return gpd.GeoSeries([Point(w.lon, w.lat)], crs="EPSG:4326").to_crs(WORKING_CRS)[0]
    if adjacent is None:
        raise WaypointError(f"waypoint '{w.label()}' needs a located neighbour")
    if k == "nearest_on":
        line = built.get(str(w.nearest_on))
        if line is None:
            raise WaypointError(f"alignment {w.nearest_on!r} was not built")
        return line.interpolate(line.project(adjacent))
    if k == "city_edge":
        terr = ctx.territories.get(str(w.city_edge))
        if terr is None:
            raise WaypointError(f"unknown territory {w.city_edge!r}")
        return shapely.ops.nearest_points(terr.boundary, adjacent)[0]
    # boundary_exit
    assert w.bearing_deg is not None
    ray = LineString([adjacent, _bearing_point(adjacent, w.bearing_deg, RAY_LENGTH_M)])
    cross = ray.intersection(ctx.boundary.boundary)
    pts = [p for p in getattr(cross, "geoms", [cross]) if not p.is_empty]
    pts = [q for p in pts for q in ([p] if isinstance(p, Point) else [Point(c) for c in p.coords])]
    if not pts:
        raise WaypointError(
            f"no boundary crossing at bearing {w.bearing_deg:g}° from the previous waypoint"
        )
    return max(pts, key=lambda p: p.distance(adjacent))


def build_alignment(
    a: Alignment,
    ctx: AlignmentContext,
    built: dict[str, LineString],
    junctions: dict[str, Junction],
) -> LineString:
    """The polyline of one alignment (method in the module docstring).

    Raises
    ------
    WaypointError
        If a waypoint cannot be located.
    """
    wps = a.waypoints
    located: list[Point | None] = [None] * len(wps)
    independent = ("settlement", "place", "junction", "point")
    for i, w in enumerate(wps):
        if w.kind in independent:
            located[i] = _locate(w, None, ctx, built, junctions)
    for i, w in enumerate(wps):
        if located[i] is None:
            adj = located[1] if i == 0 else located[i - 1]
            if adj is None and i == 0:
                adj = _locate(wps[1], located[2] if len(wps) > 2 else None, ctx, built, junctions)
            located[i] = _locate(w, adj, ctx, built, junctions)
    coords: list[tuple[float, float]] = []
    for i, w in enumerate(wps):
        p = located[i]
        assert p is not None
        if i > 0 and w.follow:
            line = built.get(w.follow)
            if line is None:
                raise WaypointError(f"alignment {w.follow!r} to follow was not built")
            prev = located[i - 1]
            assert prev is not None
            d0, d1 = line.project(prev), line.project(p)
            part = substring(line, min(d0, d1), max(d0, d1))
            pc = list(part.coords) if isinstance(part, LineString) else [part.coords[0]]
            if d0 > d1:
                pc.reverse()
            coords.extend((x, y) for x, y, *_ in pc)
        coords.append((p.x, p.y))
    clean = [c for k, c in enumerate(coords) if k == 0 or c != coords[k - 1]]
    if len(clean) < 2:
        raise WaypointError("the waypoints collapse to a single point")
    return LineString(clean)


@dataclass
class AlignmentResult:
    """Schematic roads, the alignments that failed and the comparison figures."""

    roads: gpd.GeoDataFrame
    skipped: list[str]
    figures: dict[str, Any]


def build_alignments(
    af: AlignmentFile, ctx: AlignmentContext, rule_ids: Iterable[str] | None = None
) -> AlignmentResult:
    """Build every alignment of ``af``; failures are skipped and reported, never fatal.

    Parameters
    ----------
    rule_ids
        Road rule ids of the catalogue; the figure ``alignment_rules`` lists those no
        alignment carries, and alignments naming unknown rules are reported.
    """
    require_working_crs(ctx.settlements, name="settlements")
    junctions = {j.id: j for j in af.junctions}
    built: dict[str, LineString] = {}
    rows = []
    skipped = []
    for a in af.alignments:
        try:
            line = build_alignment(a, ctx, built, junctions)
        except WaypointError as exc:
            skipped.append(f"alignment {a.id!r} ({', '.join(a.rule_ids)}): {exc}")
            log.warning("schematic alignment %s skipped: %s", a.id, exc)
            continue
        built[a.id] = line
        rows.append(
            {
                "name": a.name_ru,
                "ref": a.ref,
                "category": "schematic",
                "rule_ids": ",".join(a.rule_ids),
                "alignment_id": a.id,
                "name_en": a.name,
                "waypoints": " → ".join(w.label() for w in a.waypoints),
                "length_km": line.length / 1000.0,
                "source": SOURCE,
                "licence": "derived (scheme text)",
                "accuracy": ACCURACY,
                "geometry": MultiLineString([line]),
            }
        )
    if rows:
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS)
        for c in (
            "name",
            "ref",
            "category",
            "rule_ids",
            "alignment_id",
            "name_en",
            "waypoints",
            "source",
            "licence",
            "accuracy",
        ):
            gdf[c] = gdf[c].astype("string")
    else:
        gdf = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=WORKING_CRS))
    roads = conform("roads", gdf)
    roads["base_id"] = [f"roads:schematic:{i}" for i in range(len(roads))]
    figures: dict[str, Any] = {}
    for a in af.alignments:
        if a.scheme_length_km and a.id in built:
            inside = built[a.id].intersection(ctx.boundary).length / 1000.0
            figures[f"alignment_length_{a.id}"] = figure(
                f"Length of {a.name} (schematic, inside the boundary)",
                a.scheme_length_km,
                round(inside, 1),
                "km",
                "Straight legs between named waypoints; the real road bends more.",
                a.length_source.cite() if a.length_source else "",
            )
    known = set(rule_ids) if rule_ids is not None else None
    carried = af.rule_ids()
    if known is not None:
        figures["alignment_rules"] = figure(
            "Road rules with a schematic alignment",
            float(len(known)),
            float(len(known & carried)),
            "rules",
            "Every road rule of layers/roads.yaml should have an alignment.",
            missing=sorted(known - carried),
            unknown=sorted(carried - known),
            skipped=skipped,
        )
    return AlignmentResult(roads=roads, skipped=skipped, figures=figures)


def _rule_matches(rule: Any, name: str, ref: str) -> bool:
    at = getattr(rule, "applies_to", None)
    if at is None:
        return False
    n = normalise_name(name)
    r = normalise_name(ref)
    names = {normalise_name(x) for x in at.names}
    refs = {normalise_name(x) for x in at.refs}
    return bool((n and n in names) or (r and r in refs))


def merge_roads(
    real: gpd.GeoDataFrame, schematic: gpd.GeoDataFrame, rules: Iterable[Any] = ()
) -> gpd.GeoDataFrame:
    """Real centrelines win over schematic alignments, rule by rule.

    A real road carries a rule when its ``rule_ids`` lists it, or, when it has none,
    when its ``name`` or ``ref`` equals one of the rule's ``applies_to`` names / refs
    (normalised; ``rule_ids`` is then filled in). A schematic alignment keeps only the
    rule ids no real road carries and is dropped when none is left.

    Parameters
    ----------
    rules
        Road rules of the catalogue (objects with ``id`` and ``applies_to``).
    """
    require_working_crs(schematic, name="schematic roads")
    if len(real) == 0:
        return schematic
    require_working_crs(real, name="roads")
    real = real.copy()
    schematic = schematic.copy()
    rules = list(rules)
    ids = (
        real["rule_ids"].astype("string")
        if "rule_ids" in real.columns
        else pd.Series(pd.NA, index=real.index, dtype="string")
    )
    for i in real.index:
        if pd.isna(ids[i]) or not str(ids[i]).strip():
            hit = [
                r.id
                for r in rules
                if _rule_matches(
                    r,
                    str(real.at[i, "name"]) if "name" in real.columns else "",
                    str(real.at[i, "ref"]) if "ref" in real.columns else "",
                )
            ]
            ids[i] = ",".join(hit) if hit else pd.NA
    real["rule_ids"] = ids
    covered = {x.strip() for v in ids.dropna() for x in str(v).split(",") if x.strip()}
    keep = []
    for i, row in schematic.iterrows():
        left = [x for x in str(row["rule_ids"]).split(",") if x and x not in covered]
        if left:
            schematic.at[i, "rule_ids"] = ",".join(left)
            keep.append(i)
    out = pd.concat([real, schematic.loc[keep]], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=WORKING_CRS)
    out = out.drop(columns=["base_id"], errors="ignore")
    return conform("roads", out)
