"""What every restriction (zone) feature carries, and the geometric primitives.

Zone feature columns (:data:`ZONE_COLUMNS`), in every layer of the built GeoPackage:

``rule_id``, ``family``, ``kind``
    catalogue rule that made the feature and its family/kind;
``name``
    what the zone is around (river, road, pipeline name);
``width_m``
    the width used for this feature (for a ``possible`` band, its outer width);
``width_min_m``, ``width_max_m``
    the rule's range where the scheme gives one (else both equal ``width_m``);
``band_inner_m``, ``band_outer_m``
    the distances from the reference that bound this feature (0 and ``width_m`` for a
    plain zone; ``min`` and ``max`` for a possible band);
``width_semantics``
    ``total`` | ``per_side``; ``measured_from``: the reference (see catalogue models);
``certainty``
    ``certain`` (within the minimum / single value) | ``possible`` (only within a
    ranged maximum);
``horizon``
    2025/2035/2050 or null; ``citation``: scheme lines or external act;
``verified``
    false when the width rests on an unverified external norm;
``reading``
    the choices taken (range policy, edge approximation, reading of an ambiguity);
``source``, ``accuracy``
    source and accuracy of the base geometry the zone was built from;
``source_layer``, ``source_fid``
    the base layer and ``base_id`` of that geometry (to measure distances to it).

Geometry: buffers use :data:`QUAD_SEGS` segments per quarter circle everywhere, so
areas are reproducible and comparable with QGIS ``native:buffer`` at the same setting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.catalogue.models import Rule
from almaty_scheme.crs import WORKING_CRS

QUAD_SEGS = 16
"""Segments per quarter circle for every buffer (QGIS: ``SEGMENTS=16``)."""

MIN_SLIVER_M2 = 1.0
"""Polygon parts smaller than this (m²) are dropped from outputs as slivers."""

LAYER_NAMES: tuple[str, ...] = (
    "boundary",
    "road_corridors",
    "railway_zones",
    "power_line_zones",
    "water_main_strips",
    "water_protection_zones",
    "water_protection_strips",
    "gas_pipeline_zones",
    "forest_belts",
    "elevation_belts",
    "industrial_zones",
    "functional_zones",
)
"""Restriction layers of the built GeoPackage, in drawing order (names fixed by issue 4)."""

ZONE_COLUMNS: dict[str, str] = {
    "rule_id": "string",
    "family": "string",
    "kind": "string",
    "name": "string",
    "width_m": "float64",
    "width_min_m": "float64",
    "width_max_m": "float64",
    "band_inner_m": "float64",
    "band_outer_m": "float64",
    "width_semantics": "string",
    "measured_from": "string",
    "certainty": "string",
    "horizon": "Int64",
    "citation": "string",
    "verified": "boolean",
    "reading": "string",
    "source": "string",
    "accuracy": "string",
    "source_layer": "string",
    "source_fid": "string",
}


def empty_zones(extra: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """An empty zone layer with :data:`ZONE_COLUMNS` (+ ``extra``) in the working CRS."""
    cols = {**ZONE_COLUMNS, **(extra or {})}
    data = {c: pd.Series(dtype=t) for c, t in cols.items()}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=WORKING_CRS), crs=WORKING_CRS)


def rule_attributes(rule: Rule) -> dict[str, Any]:
    """The zone attributes that come from the rule alone (width columns excluded)."""
    w = rule.width
    return {
        "rule_id": rule.id,
        "family": rule.family,
        "kind": rule.kind,
        "width_semantics": w.semantics if w else None,
        "measured_from": w.measured_from if w else None,
        "width_min_m": (w.min_m if w.is_range else w.value_m) if w else None,
        "width_max_m": (w.max_m if w.is_range else w.value_m) if w else None,
        "horizon": rule.horizon,
        "citation": rule.citation(),
        "verified": rule.verified,
    }


def zones_frame(
    records: Iterable[Mapping[str, Any]],
    geometries: Iterable[BaseGeometry | None],
    extra: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Assemble a zone layer from attribute dicts and geometries, with canonical dtypes.

    Geometries are made valid, polygonal parts only, slivers below
    :data:`MIN_SLIVER_M2` removed, and empty results dropped.
    """
    recs = list(records)
    geoms = list(geometries)
    if not recs:
        return empty_zones(extra)
    cols = {**ZONE_COLUMNS, **(extra or {})}
    df = pd.DataFrame.from_records(recs)
    for c, t in cols.items():
        if c not in df.columns:
            df[c] = pd.NA
        df[c] = df[c].astype(t)
    garr = clean_polygons(np.asarray(geoms, dtype=object))
    gdf = gpd.GeoDataFrame(df[list(cols)], geometry=gpd.GeoSeries(garr, crs=WORKING_CRS))
    keep = ~(gdf.geometry.is_empty | gdf.geometry.isna())
    return gdf.loc[keep].reset_index(drop=True)


def clean_polygons(geoms: np.ndarray, min_area: float = MIN_SLIVER_M2) -> np.ndarray:
    """Make valid, keep polygonal parts, drop parts under ``min_area``; MultiPolygon out."""
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            out[i] = shapely.MultiPolygon()
            continue
        if not g.is_valid:
            g = shapely.make_valid(g)
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        polys = []
        for p in parts:
            polys.extend(shapely.get_parts(p))
        polys = [p for p in polys if p.area >= min_area]
        out[i] = shapely.MultiPolygon(polys) if polys else shapely.MultiPolygon()
    return out


def line_buffer(geom: BaseGeometry, distance: float, *, flat: bool = True) -> BaseGeometry:
    """Buffer a line ``distance`` metres on each side.

    ``flat=True`` gives flat ends at the line's end points (a 1 km segment buffered
    113.25 m each side covers exactly 226 500 m²); joins are round with
    :data:`QUAD_SEGS` segments.
    """
    return shapely.buffer(
        geom, distance, quad_segs=QUAD_SEGS, cap_style="flat" if flat else "round",
        join_style="round",
    )


def band(geom: BaseGeometry, inner: float, outer: float, *, flat: bool = False) -> BaseGeometry:
    """The ring between ``inner`` and ``outer`` metres from ``geom`` (inner may be 0)."""
    outer_g = shapely.buffer(geom, outer, quad_segs=QUAD_SEGS,
                             cap_style="flat" if flat else "round")
    if inner <= 0:
        return outer_g
    inner_g = shapely.buffer(geom, inner, quad_segs=QUAD_SEGS,
                             cap_style="flat" if flat else "round")
    return shapely.difference(outer_g, inner_g)
