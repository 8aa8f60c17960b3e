"""Assembling a zone layer: canonical columns and dtypes, boundary clip, stable order.

Every family builder ends with :func:`zones_frame` (attribute dicts + geometries to a
frame with :data:`~almaty_scheme.restrictions.schema.ZONE_COLUMNS`) and
:func:`finish_layer` (clip to the boundary, sort deterministically).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.restrictions.geometry import (
    MIN_SLIVER_M2,
    boundary_geometry,
    clean_polygons,
    clip_frame,
)
from almaty_scheme.restrictions.notes import LayerNote
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.schema import ZONE_COLUMNS


def empty_zones(extra: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """An empty zone layer with :data:`ZONE_COLUMNS` (+ ``extra``) in the working CRS."""
    cols = {**ZONE_COLUMNS, **(extra or {})}
    data = {c: pd.Series(dtype=t) for c, t in cols.items()}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=WORKING_CRS), crs=WORKING_CRS)


def zones_frame(
    records: Iterable[Mapping[str, Any]],
    geometries: Iterable[BaseGeometry | None],
    extra: Mapping[str, str] | None = None,
    *,
    min_area: float = MIN_SLIVER_M2,
) -> gpd.GeoDataFrame:
    """Assemble a zone layer from attribute dicts and geometries, with canonical dtypes.

    Geometries are made valid, polygonal parts only, slivers below ``min_area``
    removed, and empty results dropped.
    """
    recs = list(records)
    geoms = list(geometries)
    if not recs:
        return empty_zones(extra)
    cols: dict[str, Any] = {**ZONE_COLUMNS, **(extra or {})}
    df = pd.DataFrame.from_records(recs)
    for c, t in cols.items():
        if c not in df.columns:
            df[c] = pd.NA
        df[c] = _coerce(df[c], t)
    garr = clean_polygons(np.asarray(geoms, dtype=object), min_area=min_area)
    gdf = gpd.GeoDataFrame(df[list(cols)], geometry=gpd.GeoSeries(garr, crs=WORKING_CRS))
    keep = ~(gdf.geometry.is_empty | gdf.geometry.isna())
    return gdf.loc[keep].reset_index(drop=True)


def _coerce(series: pd.Series, dtype: Any) -> pd.Series:
    """``series`` as ``dtype``, missing values (None, NA, NaN) kept missing."""
    if str(dtype).startswith("float"):
        obj = series.astype(object)
        return obj.where(obj.notna(), np.nan).astype(dtype)
    return series.astype(dtype)


def finish_layer(
    gdf: gpd.GeoDataFrame,
    base: BaseData,
    options: BuildOptions,
    notes: list[LayerNote],
    layer: str,
) -> gpd.GeoDataFrame:
    """Clip to the boundary (if asked and available), sort deterministically, reindex."""
    if options.clip_to_boundary and len(gdf):
        bnd = boundary_geometry(base)
        if bnd is None:
            notes.append(
                LayerNote(layer, "missing", "no boundary in the base: zones are not clipped")
            )
        else:
            clipped = clip_frame(gdf, bnd, options.min_sliver_m2, keep_area=True)
            gone = clipped.geometry.is_empty
            if gone.any():
                ids = sorted({str(r) for r in clipped.loc[gone, "rule_id"].dropna()})
                notes.append(
                    LayerNote(
                        layer,
                        "reading",
                        f"{int(gone.sum())} feature(s) lie wholly outside the boundary and are "
                        f"not in the layer (rules: {', '.join(ids) or '-'})",
                    )
                )
            gdf = clipped.loc[~gone].drop(columns="_area_before").reset_index(drop=True)
            if layer == "industrial_zones":  # stated areas: say where the boundary cut one
                for _, row in clipped.loc[~gone].iterrows():
                    after = row.geometry.area
                    if after < row["_area_before"] * (1 - 1e-9):
                        notes.append(
                            LayerNote(
                                layer,
                                "warning",
                                f"footprint cut by the boundary: {after / 1e4:.1f} of "
                                f"{row['_area_before'] / 1e4:.1f} ha inside",
                                row["rule_id"],
                            )
                        )
    if len(gdf):
        keys = [
            c
            for c in ("rule_id", "source_fid", "band_inner_m", "certainty", "name")
            if c in gdf.columns
        ]
        gdf = gdf.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)
    return gdf
