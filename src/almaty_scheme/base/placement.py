"""Place the Appendix 15 settlements that no point matched, by a stated method.

Appendix 15 (seed L4378-5055) gives every place its district and rural district
(сельский округ). A place the open points lack is placed from what is known of its
rural district:

1. **Rural-district centroid**: the mean position of the *matched* places of the same
   district and rural district. ``accuracy_m`` = the radius of that set (the largest
   distance from the centroid to one of its places), but never less than a floor:
   ``Placement.min_accuracy_m``, or (default) the median radius of the rural districts
   with at least ``well_matched_min`` matched places, measured on the data at hand
   (one matched place has radius 0, which says nothing about its neighbours).
2. **Far bank**, when the rural district has no matched place and
   ``settlement_names.yaml`` ``placement.far_bank`` says it lies across the water from a
   seat (Заречный с/о of the Kapchagay city administration: "за рекой", across the Ili
   from the town; the text's northern line takes in land beyond the water there,
   L115-117): :func:`far_bank_point` on the territory's land beyond the northern water
   line; ``accuracy_m`` = the floor of rule 1 (a rural district's typical radius).
3. **Territory centroid**, when the rural district has no matched place: the centroid of
   the place's district territory (its representative point when the centroid falls
   outside), ``accuracy_m`` = the largest distance from that point to the territory's
   outline (the territory's radius about it).

Each placed point carries ``placement`` (``"placed: ..."`` naming the method and the
places used) and ``accuracy_m``; matched points carry ``placement = "matched"`` and no
``accuracy_m`` (the source point's own position). Placed points stand for a whole
village at the accuracy given; the base assembly keeps them out of the boundary's
Voronoi seeds, the derived footprints and the river anchors, and the industrial
layer labels a zone anchored on one with its accuracy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from almaty_scheme.base.names import district_key, loose_name
from almaty_scheme.catalogue.data_models import FarBank, Placement
from almaty_scheme.crs import require_working_crs

log = logging.getLogger(__name__)

MATCHED = "matched"
PLACED_PREFIX = "placed: "


@dataclass(frozen=True)
class Placed:
    """One placed point: position, accuracy in metres and the method label."""

    point: Point
    accuracy_m: float
    placement: str


def _key(rd: Any) -> str | None:
    return rd.strip() if isinstance(rd, str) and rd.strip() else None


def group_positions(
    rows: pd.DataFrame, positions: pd.Series
) -> dict[tuple[str, str], list[tuple[str, Point]]]:
    """Matched places by (district, rural district): ``[(settlement, point), ...]``.

    ``rows`` has ``district``, ``rural_district``, ``settlement``, ``base_id``;
    ``positions`` maps a ``base_id`` to its point.
    """
    out: dict[tuple[str, str], list[tuple[str, Point]]] = {}
    for _, r in rows.iterrows():
        rd = _key(r.get("rural_district"))
        bid = r.get("base_id")
        if rd is None or not isinstance(bid, str) or bid not in positions.index:
            continue
        out.setdefault((str(r["district"]), rd), []).append((str(r["settlement"]), positions[bid]))
    return out


def centroid_radius(points: list[Point]) -> tuple[Point, float]:
    """Mean position of ``points`` and the largest distance from it to one of them."""
    xs = np.array([p.x for p in points])
    ys = np.array([p.y for p in points])
    c = Point(float(xs.mean()), float(ys.mean()))
    return c, float(np.hypot(xs - c.x, ys - c.y).max())


def accuracy_floor(groups: dict[tuple[str, str], list[tuple[str, Point]]], cfg: Placement) -> float:
    """The least accuracy of a rural-district centroid (rule 1 of the module docstring)."""
    if cfg.min_accuracy_m is not None:
        return float(cfg.min_accuracy_m)
    radii = [
        centroid_radius([p for _, p in g])[1]
        for g in groups.values()
        if len(g) >= cfg.well_matched_min
    ]
    return float(np.median(radii)) if radii else 0.0


def territory_point(geom: Any) -> tuple[Point, float]:
    """Centroid of a territory (representative point if outside) and its radius about it."""
    c = geom.centroid
    if not geom.contains(c):
        c = geom.representative_point()
    radius = float(shapely.hausdorff_distance(c, shapely.boundary(geom)))
    return c, radius


def far_bank_point(beyond: BaseGeometry, seat: Point, radius_m: float) -> tuple[Point, float]:
    """A place across the water from ``seat``: rule 2 of the module docstring.

    ``beyond`` is the territory's land on the far side of the water line. The bank
    point nearest the seat is found; the place is the centroid of the land of
    ``beyond`` within ``radius_m`` of that bank point (its representative point when the
    centroid falls outside that land). Returns the point and its distance from the seat.

    Examples
    --------
    Far-bank land x >= 100 (a river along x = 0..100) and the seat at (-50, 0): the bank
    point is (100, 0) and, with a 1 km radius, the place is the centroid of the half
    disc east of it, 4r/(3 pi) = 424.4 m inland, at (524.4, 0).
    """
    bank, _ = nearest_points(beyond, seat)
    region = shapely.intersection(beyond, bank.buffer(radius_m, quad_segs=64))
    c = region.centroid
    if not region.contains(c):
        c = region.representative_point()
    return Point(c.x, c.y), float(c.distance(seat))


def _far_bank_entry(r: pd.Series, cfg: Placement) -> FarBank | None:
    rd = _key(r.get("rural_district"))
    for e in cfg.far_bank:
        if rd is None or loose_name(e.rural_district) != loose_name(rd):
            continue
        if e.district and district_key(e.district) != district_key(r.get("district")):
            continue
        return e
    return None


def _place_far_bank(
    r: pd.Series,
    e: FarBank,
    seats: dict[tuple[str, str], Point],
    beyond: dict[str, BaseGeometry],
    floor_m: float,
) -> Placed | None:
    """Rule 2 for row ``r`` (``None`` if the seat is unmatched or no land lies beyond)."""
    seat = seats.get((district_key(r.get("district")), loose_name(e.seat)))
    terrs = [t.strip() for t in str(r.get("territory") or "").split(",") if t.strip()]
    land = [beyond[t] for t in terrs if t in beyond and not beyond[t].is_empty]
    if seat is None or not land:
        return None
    far = [g for g in shapely.get_parts(shapely.union_all(land)) if not g.intersects(seat)]
    if not far or floor_m <= 0:
        return None
    p, dist = far_bank_point(shapely.union_all(far), seat, floor_m)
    return Placed(
        p,
        round(floor_m, -1),
        f"{PLACED_PREFIX}far bank: on the land of {','.join(terrs)} beyond the water line, "
        f"centroid of its part within {floor_m:,.0f} m of the bank nearest {e.seat} "
        f"({dist / 1000:.1f} km from it), no matched place in {e.rural_district} "
        f"(layers/settlement_names.yaml placement.far_bank); accuracy = floor "
        f"{round(floor_m, -1):.0f} m",
    )


def place_row(
    r: pd.Series,
    groups: dict[tuple[str, str], list[tuple[str, Point]]],
    territory_geoms: dict[str, Any],
    floor_m: float,
) -> Placed | None:
    """Where an unmatched row goes by rules 1 and 3 (module docstring), ``None`` without
    a territory."""
    rd = _key(r.get("rural_district"))
    g = groups.get((str(r["district"]), rd)) if rd is not None else None
    if g:
        c, radius = centroid_radius([p for _, p in g])
        names = ", ".join(sorted(n for n, _ in g))
        acc = max(radius, floor_m)
        how = "radius of the set" if radius >= floor_m else f"floor {round(floor_m, -1):.0f} m"
        return Placed(
            c,
            round(acc, -1),
            f"{PLACED_PREFIX}centroid of the {len(g)} matched place(s) of {rd} "
            f"({names}); accuracy = {how}",
        )
    terrs = [t.strip() for t in str(r.get("territory") or "").split(",") if t.strip()]
    geoms = [territory_geoms[t] for t in terrs if t in territory_geoms]
    if not geoms:
        return None
    c, radius = territory_point(shapely.union_all(geoms))
    return Placed(
        c,
        round(radius, -1),
        f"{PLACED_PREFIX}centroid of the territory {','.join(terrs)} (no matched place in "
        f"{rd or 'its rural district'}); accuracy = the territory's radius about it",
    )


def _seats(rows: pd.DataFrame, positions: pd.Series) -> dict[tuple[str, str], Point]:
    """(district key, loose name) -> point of every matched row."""
    out = {}
    for _, r in rows.iterrows():
        bid = r.get("base_id")
        if isinstance(bid, str) and bid in positions.index:
            out[(district_key(r.get("district")), loose_name(r["settlement"]))] = positions[bid]
    return out


def place_unmatched(
    rows: pd.DataFrame,
    positions: pd.Series,
    territories: gpd.GeoDataFrame,
    cfg: Placement,
    beyond: dict[str, BaseGeometry] | None = None,
) -> tuple[dict[Any, Placed], float]:
    """Placed points for the rows without ``base_id`` (planned cities excluded).

    Parameters
    ----------
    rows
        The join's rows (``row_kind``, ``district``, ``rural_district``, ``settlement``,
        ``territory``, ``base_id``).
    positions
        ``base_id`` -> point of the matched places (EPSG:32643).
    territories
        District territories with a ``territory`` id column.
    beyond
        Territory id -> its land beyond the northern water line (rule 2); without it,
        rule 2 is skipped.

    Returns
    -------
    (placed, floor_m)
        Row index -> :class:`Placed`, and the accuracy floor used.
    """
    require_working_crs(territories, name="territories")
    groups = group_positions(rows, positions)
    floor_m = accuracy_floor(groups, cfg)
    tgeoms = dict(zip(territories["territory"], territories.geometry, strict=True))
    seats = _seats(rows, positions)
    out: dict[Any, Placed] = {}
    for idx, r in rows.iterrows():
        if r["row_kind"] == "planned_city" or isinstance(r.get("base_id"), str):
            continue
        rd = _key(r.get("rural_district"))
        e = _far_bank_entry(r, cfg)
        p = None
        if e is not None and not groups.get((str(r["district"]), rd or "")):
            p = _place_far_bank(r, e, seats, beyond or {}, floor_m)
            if p is None:
                log.warning("Appendix 15 row %s: far-bank placement impossible", r.get("row_id"))
        p = p or place_row(r, groups, tgeoms, floor_m)
        if p is None:
            log.warning("Appendix 15 row %s: no territory, not placed", r.get("row_id"))
            continue
        out[idx] = p
    return out, floor_m
