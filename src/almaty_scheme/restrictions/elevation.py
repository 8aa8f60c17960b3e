"""Elevation belts from the DEM (садоводство 950-1250 м, L367-370; реликтовые
дикоплодные сады 950-1450 м, L498-501).

Geometric rule
--------------
A belt is the land whose DEM elevation lies in the rule's ``elevation_m`` interval
(bounds inclusive as the interval says). It is built with rasterio: the cells in the
band are masked, polygonised with :func:`rasterio.features.shapes` (4-connectivity, so
every polygon is valid), reprojected from the DEM's CRS to EPSG:32643 and simplified
with a tolerance of ``BuildOptions.elevation_simplify_cells`` (default 1, never less
than half) of the larger cell side: Douglas-Peucker keeps a subset of the cell corners,
so the outline loses the staircase of the cells (whose corners lie up to 0.71 cell off a
45-degree edge) but gains no vertex and no detail finer than the DEM. Parts and holes
smaller than ``BuildOptions.elevation_min_cells`` cells are dropped as specks.

The accuracy of a belt's edge is that of the DEM: about one cell (GEBCO 15", ~340 m x
460 m at 43.5 N), stated on every feature.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import rasterio.windows
import shapely
from rasterio.errors import RasterioIOError
from rasterio.warp import transform_bounds
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Interval, Rule
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError
from almaty_scheme.restrictions.bands import rule_attributes
from almaty_scheme.restrictions.frames import finish_layer, zones_frame
from almaty_scheme.restrictions.geometry import boundary_geometry
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.proposals import STATUS_COLUMN, split_proposals
from almaty_scheme.restrictions.text import join_reading

log = logging.getLogger(__name__)

LAYER = "elevation_belts"
EXTRA_COLUMNS = {"elevation_min_m": "float64", "elevation_max_m": "float64"}


@dataclass(frozen=True)
class DemInfo:
    """Size of a DEM cell in metres and a label for the ``accuracy`` column."""

    cell_x_m: float
    cell_y_m: float
    label: str

    @property
    def cell_m(self) -> float:
        """The larger cell side (m)."""
        return max(self.cell_x_m, self.cell_y_m)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell (m²)."""
        return self.cell_x_m * self.cell_y_m


def _cell_size_m(src: Any) -> tuple[float, float]:
    a, e = abs(src.transform.a), abs(src.transform.e)
    if src.crs is not None and src.crs.is_geographic:
        lat = (src.bounds.top + src.bounds.bottom) / 2.0
        return a * 111_320.0 * math.cos(math.radians(lat)), e * 110_574.0
    return a, e


def dem_polygons(
    dem_path: str | Path,
    interval: Interval,
    *,
    simplify_cells: float = 1.0,
    min_cells: float = 4.0,
    within: BaseGeometry | None = None,
) -> tuple[BaseGeometry, DemInfo]:
    """Land whose DEM elevation lies in ``interval``, as one polygonal geometry in EPSG:32643.

    Parameters
    ----------
    dem_path
        A single-band raster with a CRS (any CRS; reprojected after polygonising).
    interval
        Elevation bounds in the DEM's units (metres); inclusiveness honoured.
    simplify_cells
        Simplification tolerance in cells (values below 0.5 are raised to 0.5).
    min_cells
        Parts and holes smaller than this many cells are dropped.
    within
        Optional geometry in EPSG:32643: only the DEM window covering it is read.

    Raises
    ------
    DataError
        If the DEM cannot be read or has no CRS.
    """
    try:
        src = rasterio.open(dem_path)
    except RasterioIOError as exc:
        raise DataError(
            f"Cannot read the DEM {dem_path}", [f"Check the file exists and is a GeoTIFF ({exc})."]
        ) from exc
    with src:
        if src.crs is None:
            raise DataError(
                f"The DEM {dem_path} has no CRS",
                ["Give the DEM a CRS (e.g. gdal_edit.py -a_srs EPSG:4326)."],
            )
        cx, cy = _cell_size_m(src)
        info = DemInfo(
            cx, cy, f"derived from DEM {Path(dem_path).name} (cell ~{cx:.0f} m x {cy:.0f} m)"
        )
        window = None
        if within is not None and not within.is_empty:
            b = transform_bounds(WORKING_CRS, src.crs, *within.bounds, densify_pts=21)
            w = rasterio.windows.from_bounds(*b, transform=src.transform)
            c0, r0 = math.floor(w.col_off) - 1, math.floor(w.row_off) - 1
            c1 = math.ceil(w.col_off + w.width) + 1
            r1 = math.ceil(w.row_off + w.height) + 1
            c0, r0 = max(c0, 0), max(r0, 0)
            c1, r1 = min(c1, src.width), min(r1, src.height)
            if c1 <= c0 or r1 <= r0:
                return shapely.MultiPolygon(), info
            window = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
        z = src.read(1, window=window, masked=True)
        transform = src.window_transform(window) if window is not None else src.transform
        crs = src.crs
    data = np.ma.filled(z.astype("float64"), np.nan)
    inside = np.isfinite(data)
    if interval.min is not None:
        inside &= (data >= interval.min) if interval.min_inclusive else (data > interval.min)
    if interval.max is not None:
        inside &= (data <= interval.max) if interval.max_inclusive else (data < interval.max)
    if not inside.any():
        return shapely.MultiPolygon(), info
    mask = inside.astype("uint8")
    polys = [
        shapely.geometry.shape(geom)
        for geom, val in rasterio.features.shapes(
            mask, mask=inside, transform=transform, connectivity=4
        )
        if val == 1
    ]
    gs = gpd.GeoSeries(polys, crs=crs)
    if gs.crs != WORKING_CRS:
        gs = gs.to_crs(WORKING_CRS)
    merged = shapely.union_all(np.asarray(gs.values, dtype=object))
    tol = max(0.5, simplify_cells) * info.cell_m
    smooth = shapely.simplify(merged, tol, preserve_topology=True)
    if not smooth.is_valid:
        smooth = shapely.make_valid(smooth)
    return drop_specks(smooth, min_cells * info.cell_area_m2), info


def drop_specks(geom: BaseGeometry, min_area: float) -> BaseGeometry:
    """Remove polygon parts and holes smaller than ``min_area`` m²."""
    out = []
    for p in shapely.get_parts(geom):
        if p.geom_type != "Polygon" or p.area < min_area:
            continue
        holes = [r for r in p.interiors if shapely.Polygon(r).area >= min_area]
        out.append(shapely.Polygon(p.exterior, holes))
    if not out:
        return shapely.MultiPolygon()
    mp = shapely.MultiPolygon(out)
    return mp if mp.is_valid else shapely.make_valid(mp)


def _interval_label(iv: Interval) -> str:
    lo = "-inf" if iv.min is None else f"{iv.min:g}"
    hi = "inf" if iv.max is None else f"{iv.max:g}"
    return f"{lo}-{hi} m"


def elevation_rule_geometry(
    rule: Rule, base: BaseData, options: BuildOptions, within: BaseGeometry | None = None
) -> tuple[BaseGeometry | None, DemInfo | None, str | None]:
    """The DEM belt of a rule with ``elevation_m`` (None and a reason if impossible)."""
    if rule.elevation_m is None:
        return None, None, "rule has no elevation_m"
    if base.dem_path is None or not Path(base.dem_path).is_file():
        return None, None, "no DEM in the base data"
    geom, info = dem_polygons(
        base.dem_path,
        rule.elevation_m,
        simplify_cells=options.elevation_simplify_cells,
        min_cells=options.elevation_min_cells,
        within=within,
    )
    return geom, info, None


def build_elevation_belts(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """One feature per ``elevation_belt`` rule: the DEM band, clipped to the boundary."""
    nb = NoteBook(LAYER)
    belt_rules = [r for r in catalogue.by_kind("elevation_belt") if r.elevation_m is not None]
    if base.dem_path is None:
        nb.add("missing", "no DEM in the base data: no elevation belts")
    else:
        nb.add("input", f"DEM {Path(base.dem_path).name}", accuracy="DEM cell size, see features")
    bnd = boundary_geometry(base) if options.clip_to_boundary else None
    records: list[dict[str, Any]] = []
    geoms = []
    for rule in belt_rules:
        geom, info, why = elevation_rule_geometry(rule, base, options, within=bnd)
        if geom is None or info is None:
            nb.add("skipped", why or "no geometry", rule.id)
            continue
        assert rule.elevation_m is not None
        rec = rule_attributes(rule)
        rec.update(
            name=rule.title,
            certainty="certain",
            elevation_min_m=rule.elevation_m.min,
            elevation_max_m=rule.elevation_m.max,
            source=str(Path(base.dem_path).name) if base.dem_path else None,
            accuracy=info.label,
            source_layer="dem",
            source_fid=str(Path(base.dem_path).name) if base.dem_path else None,
            reading=join_reading(
                f"DEM cells with elevation {_interval_label(rule.elevation_m)}, polygonised, "
                f"simplified by {max(0.5, options.elevation_simplify_cells):g} cell "
                f"({max(0.5, options.elevation_simplify_cells) * info.cell_m:.0f} m), specks "
                f"under {options.elevation_min_cells:g} cells dropped",
                "proposed (предлагается)" if "proposed" in rule.title.lower() else None,
            ),
        )
        records.append(rec)
        geoms.append(geom)
    records, geoms = split_proposals(records, geoms, {r.id: r for r in belt_rules}, base, nb)
    gdf = zones_frame(
        records, geoms, {**EXTRA_COLUMNS, **STATUS_COLUMN}, min_area=options.min_sliver_m2
    )
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
