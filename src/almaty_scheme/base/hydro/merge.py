"""Merging derived streams with real rivers by name, and comparing them with a reference.

See :mod:`almaty_scheme.base.hydro` for the method.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely

from almaty_scheme.base.hydro.anchors import load_anchors
from almaty_scheme.base.names import loose_name
from almaty_scheme.crs import WORKING_CRS, require_working_crs
from almaty_scheme.errors import CatalogueError

log = logging.getLogger(__name__)


_RIVER_WORDS = ("река", "реки", "р", "river", "r", "озени", "өзені", "өзен", "озен")


def river_key(name: Any) -> str:
    """Spelling-tolerant key of a river name (``"р. Тургень"`` → ``"турген"``)."""
    if name is None or (isinstance(name, float) and math.isnan(name)) or name is pd.NA:
        return ""
    text = str(name).strip()
    low = text.lower().replace(".", " ").split()
    words = [w for w in low if w not in _RIVER_WORDS]
    return loose_name(" ".join(words))


def merge_rivers(
    real: gpd.GeoDataFrame,
    derived: gpd.GeoDataFrame,
    *,
    aliases: Iterable[Iterable[str]] | None = None,
    cover_distance_m: float = 1000.0,
    cover_share: float = 0.5,
) -> gpd.GeoDataFrame:
    """Combine real river lines (user/OSM) with derived ones; real data wins.

    Rules:

    1. A named real river replaces every derived feature of the same river: names are
       compared by :func:`river_key` over ``name``, ``name_ru``, ``name_kk``, ``name_en``,
       ``int_name`` and ``old_name``, and two names are the same river when they share
       a key or appear in one ``aliases`` group (default: the anchors file's names and
       aliases).
    2. Unnamed real rivers are kept as they are.
    3. A derived *unnamed* stream is dropped when at least ``cover_share`` of its length
       lies within ``cover_distance_m`` of a real river (it is the same watercourse).
    4. All other derived features are kept.

    Both inputs must be in the working CRS; the result has the columns of both.
    """
    require_working_crs(real, name="real rivers")
    require_working_crs(derived, name="derived rivers")
    if aliases is None:
        try:
            aliases = [r.all_names for r in load_anchors().rivers]
        except CatalogueError:  # a broken anchors file: merge by exact names only
            aliases = []
    group_of: dict[str, int] = {}
    for i, names in enumerate(aliases):
        for n in names:
            k = river_key(n)
            if k:
                group_of.setdefault(k, i)

    def keys(df: gpd.GeoDataFrame) -> list[set[Any]]:
        out = []
        for _, row in df.iterrows():
            ks: set[Any] = set()
            for c in ("name", "name_ru", "name_kk", "name_en", "int_name", "old_name"):
                if c in df.columns:
                    k = river_key(row[c])
                    if k:
                        ks.add(k)
                        if k in group_of:
                            ks.add(("group", group_of[k]))
            out.append(ks)
        return out

    real_keys = keys(real)
    real_named: set[Any] = set().union(*real_keys) if real_keys else set()
    der_keys = keys(derived)
    drop = np.zeros(len(derived), dtype=bool)
    for i, ks in enumerate(der_keys):
        if ks and ks & real_named:
            drop[i] = True
    if len(real):
        cover = shapely.union_all(real.geometry.to_numpy()).buffer(cover_distance_m)
        for i, (ks, g) in enumerate(zip(der_keys, derived.geometry, strict=True)):
            if ks or drop[i] or g is None or g.is_empty or g.length == 0:
                continue
            if g.intersection(cover).length / g.length >= cover_share:
                drop[i] = True
    kept = derived.loc[~drop]
    log.info(
        "merge_rivers: %d real features, %d of %d derived kept", len(real), len(kept), len(derived)
    )
    parts = [p for p in (real, kept) if len(p)]
    if not parts:
        return real.iloc[0:0].copy()
    merged = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry=merged.geometry.name, crs=WORKING_CRS)


def sample_points(lines: Iterable[Any], step_m: float) -> np.ndarray:
    """Points every ``step_m`` along each line part (from its start; the end included)."""
    pts = []
    for g in lines:
        if g is None or g.is_empty:
            continue
        for part in shapely.get_parts(shapely.line_merge(g)):
            d = np.append(np.arange(0.0, part.length, step_m), part.length)
            pts.extend(shapely.line_interpolate_point(part, d))
    return np.asarray(pts, dtype=object)


def compare_with_reference(
    derived: gpd.GeoDataFrame | gpd.GeoSeries,
    reference: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    window: Any = None,
    exclude: Any = None,
    step_m: float = 500.0,
) -> dict[str, float | int]:
    """Distances from points along ``reference`` to the nearest ``derived`` line.

    Points are sampled every ``step_m`` along the reference lines; those outside
    ``window`` (a polygon: the DEM footprint) or inside ``exclude`` (e.g. the reservoir)
    are dropped. Both inputs in the working CRS.

    Returns
    -------
    dict
        ``n_points``, ``mean_m``, ``median_m``, ``p90_m``, ``max_m``, ``step_m``,
        ``reference_km`` (length of reference sampled). Distances are NaN if nothing
        is left to compare.
    """
    require_working_crs(derived, name="derived")
    require_working_crs(reference, name="reference")
    pts = sample_points(reference.geometry if hasattr(reference, "geometry") else reference, step_m)
    if len(pts) and window is not None:
        pts = pts[shapely.within(pts, window)]
    if len(pts) and exclude is not None:
        pts = pts[~shapely.intersects(pts, exclude)]
    target = shapely.union_all(np.asarray(derived.geometry, dtype=object))
    if len(pts) == 0 or target is None or target.is_empty:
        nan = float("nan")
        return {
            "n_points": len(pts),
            "mean_m": nan,
            "median_m": nan,
            "p90_m": nan,
            "max_m": nan,
            "step_m": step_m,
            "reference_km": 0.0,
        }
    d = shapely.distance(pts, target)
    return {
        "n_points": len(d),
        "mean_m": round(float(np.mean(d)), 1),
        "median_m": round(float(np.median(d)), 1),
        "p90_m": round(float(np.percentile(d, 90)), 1),
        "max_m": round(float(np.max(d)), 1),
        "step_m": step_m,
        "reference_km": round(len(d) * step_m / 1000.0, 1),
    }


ILI_NAMES = ("Ili", "Иле", "Или", "Іле", "Ile")


def dem_footprint(dem_path: str | Path) -> Any:
    """The DEM's extent as a polygon in the working CRS (densified edges)."""
    with rasterio.open(dem_path) as src:
        b = src.bounds
        crs = src.crs
    box = shapely.segmentize(
        shapely.box(b.left, b.bottom, b.right, b.top), (b.right - b.left) / 100
    )
    return gpd.GeoSeries([box], crs=crs.to_wkt()).to_crs(WORKING_CRS).iloc[0]


def ili_offset(
    derived: gpd.GeoDataFrame,
    reference_rivers: gpd.GeoDataFrame,
    *,
    dem_path: str | Path | None = None,
    water_bodies: gpd.GeoDataFrame | None = None,
    step_m: float = 500.0,
) -> dict[str, Any]:
    """The derived Ili against a reference Ili (WDBII): :func:`compare_with_reference`.

    Picks features named Ili (any spelling in :data:`ILI_NAMES`) in both layers, samples
    the reference inside the DEM footprint (shrunk by 1 km so edge effects are left
    out) and outside the water bodies. The result adds ``derived_km`` and a ``note``.
    """
    keys = {river_key(n) for n in ILI_NAMES}

    def pick(df: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        m = np.zeros(len(df), dtype=bool)
        for c in ("name", "name_ru"):
            if c in df.columns:
                m |= df[c].map(river_key).isin(keys).to_numpy()
        return df.loc[m]

    d, r = pick(derived), pick(reference_rivers)
    window = dem_footprint(dem_path).buffer(-1000) if dem_path is not None else None
    exclude = None
    if water_bodies is not None and len(water_bodies):
        exclude = shapely.union_all(water_bodies.geometry.to_numpy())
    res: dict[str, Any] = dict(
        compare_with_reference(d, r, window=window, exclude=exclude, step_m=step_m)
    )
    res["derived_km"] = round(float(d.geometry.length.sum()) / 1000.0, 1)
    res["note"] = (
        f"distance from points every {step_m:g} m along the reference Ili (inside the DEM "
        "window, outside water bodies) to the derived Ili"
    )
    return res
