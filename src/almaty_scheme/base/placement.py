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
2. **Territory centroid**, when the rural district has no matched place: the centroid of
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

from almaty_scheme.catalogue.data_models import Placement
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


def place_row(
    r: pd.Series,
    groups: dict[tuple[str, str], list[tuple[str, Point]]],
    territory_geoms: dict[str, Any],
    floor_m: float,
) -> Placed | None:
    """Where an unmatched row goes (module docstring), or ``None`` without a territory."""
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


def place_unmatched(
    rows: pd.DataFrame,
    positions: pd.Series,
    territories: gpd.GeoDataFrame,
    cfg: Placement,
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

    Returns
    -------
    (placed, floor_m)
        Row index -> :class:`Placed`, and the accuracy floor used.
    """
    require_working_crs(territories, name="territories")
    groups = group_positions(rows, positions)
    floor_m = accuracy_floor(groups, cfg)
    tgeoms = dict(zip(territories["territory"], territories.geometry, strict=True))
    out: dict[Any, Placed] = {}
    for idx, r in rows.iterrows():
        if r["row_kind"] == "planned_city" or isinstance(r.get("base_id"), str):
            continue
        p = place_row(r, groups, tgeoms, floor_m)
        if p is None:
            log.warning("Appendix 15 row %s: no territory, not placed", r.get("row_id"))
            continue
        out[idx] = p
    return out, floor_m
