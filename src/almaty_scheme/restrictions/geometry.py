"""Geometric primitives of every restriction layer: buffers, bands, cleaning, the boundary.

Buffers use :data:`QUAD_SEGS` segments per quarter circle everywhere, so areas are
reproducible and comparable with QGIS ``native:buffer`` at the same setting. All
distances are metres in the working CRS (EPSG:32643).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.crs import WORKING_CRS

QUAD_SEGS = 16
"""Segments per quarter circle for every buffer (QGIS: ``SEGMENTS=16``)."""

MIN_SLIVER_M2 = 1.0
"""Polygon parts smaller than this (m²) are dropped from outputs as slivers."""


# --------------------------------------------------------------------------- cleaning


def clean_polygons(geoms: np.ndarray, min_area: float = MIN_SLIVER_M2) -> np.ndarray:
    """Make valid, keep polygonal parts, drop parts under ``min_area``; MultiPolygon out."""
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        out[i] = clean_polygon(g, min_area)
    return out


def clean_polygon(g: BaseGeometry | None, min_area: float = MIN_SLIVER_M2) -> shapely.MultiPolygon:
    """One geometry made valid, polygonal parts only, parts under ``min_area`` dropped."""
    if g is None or g.is_empty:
        return shapely.MultiPolygon()
    if not g.is_valid:
        g = shapely.make_valid(g)
    polys: list[shapely.Polygon] = []
    for p in shapely.get_parts(g):
        if p.geom_type == "Polygon":
            polys.append(p)
        elif p.geom_type in ("MultiPolygon", "GeometryCollection"):
            polys.extend(q for q in shapely.get_parts(p) if q.geom_type == "Polygon")
    polys = [p for p in polys if p.area >= min_area]
    mp = shapely.MultiPolygon(polys) if polys else shapely.MultiPolygon()
    if not mp.is_valid:  # touching parts from make_valid: dissolve them
        mp = clean_polygon(shapely.union_all(polys), min_area) if polys else mp
    return mp


def union_of(gdf: gpd.GeoDataFrame) -> BaseGeometry:
    """Union of a frame's geometries (empty polygon if none)."""
    if len(gdf) == 0:
        return shapely.MultiPolygon()
    return shapely.union_all(np.asarray(gdf.geometry.values, dtype=object))


# --------------------------------------------------------------------------- buffers


def line_buffer(geom: BaseGeometry, distance: float, *, flat: bool = True) -> BaseGeometry:
    """Buffer a line ``distance`` metres on each side.

    ``flat=True`` gives flat ends at the line's end points (a 1 km segment buffered
    113.25 m each side covers exactly 226 500 m²); joins are round with
    :data:`QUAD_SEGS` segments.
    """
    return shapely.buffer(
        geom,
        distance,
        quad_segs=QUAD_SEGS,
        cap_style="flat" if flat else "round",
        join_style="round",
    )


def band(geom: BaseGeometry, inner: float, outer: float, *, flat: bool = False) -> BaseGeometry:
    """The ring between ``inner`` and ``outer`` metres from ``geom`` (inner may be 0)."""
    outer_g = shapely.buffer(
        geom, outer, quad_segs=QUAD_SEGS, cap_style="flat" if flat else "round"
    )
    if inner <= 0:
        return outer_g
    inner_g = shapely.buffer(
        geom, inner, quad_segs=QUAD_SEGS, cap_style="flat" if flat else "round"
    )
    return shapely.difference(outer_g, inner_g)


def reference_band(
    geom: BaseGeometry,
    inner: float,
    outer: float,
    *,
    flat: bool,
    exclude: BaseGeometry | None = None,
) -> BaseGeometry:
    """Land between ``inner`` and ``outer`` metres from a reference geometry.

    For a line this is :func:`band` (with flat or round ends). For a polygon the
    reference is its outline, outwards only: ``buffer(poly, outer) - buffer(poly, inner)``
    with ``buffer(poly, 0) = poly`` so the polygon itself (e.g. a water surface) is never
    part of a zone. ``exclude`` (e.g. a river channel) is removed as well.
    """
    polygonal = geom.geom_type in ("Polygon", "MultiPolygon")
    cap = "flat" if (flat and not polygonal) else "round"
    out_g = shapely.buffer(geom, outer, quad_segs=QUAD_SEGS, cap_style=cap, join_style="round")
    if inner > 0:
        out_g = shapely.difference(
            out_g,
            shapely.buffer(geom, inner, quad_segs=QUAD_SEGS, cap_style=cap, join_style="round"),
        )
    elif polygonal:
        out_g = shapely.difference(out_g, geom)
    if exclude is not None and not exclude.is_empty:
        out_g = shapely.difference(out_g, exclude)
    return out_g


# --------------------------------------------------------------------------- boundary


def boundary_geometry(base: BaseData) -> BaseGeometry | None:
    """The agglomeration boundary as one valid polygonal geometry, or ``None`` if absent."""
    gdf = base["boundary"]
    if len(gdf) == 0:
        return None
    g = shapely.union_all(shapely.make_valid(np.asarray(gdf.geometry.values, dtype=object)))
    return clean_polygon(g, 0.0)


def clip_frame(
    gdf: gpd.GeoDataFrame,
    boundary: BaseGeometry | None,
    min_area: float = MIN_SLIVER_M2,
    *,
    keep_area: bool = False,
) -> gpd.GeoDataFrame:
    """Clip a zone frame to ``boundary``; drop features left empty.

    With ``keep_area`` the result has a column ``_area_before`` (m², before clipping) and
    the dropped rows are kept with an empty geometry (for reporting; the caller drops them).
    """
    if boundary is None or len(gdf) == 0:
        return gdf
    shapely.prepare(boundary)
    before = np.asarray(gdf.geometry.area, dtype=float)
    geoms = shapely.intersection(np.asarray(gdf.geometry.values, dtype=object), boundary)
    out = gdf.copy()
    out = out.set_geometry(
        gpd.GeoSeries(clean_polygons(geoms, min_area), crs=WORKING_CRS, index=gdf.index)
    )
    if keep_area:
        out["_area_before"] = before
        return out.reset_index(drop=True)
    keep = ~out.geometry.is_empty
    return out.loc[keep].reset_index(drop=True)
