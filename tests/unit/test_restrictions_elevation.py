"""Elevation belts from a DEM with rasterio (L367-370, L498-501)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from restriction_world import X0, Y0, box, catalogue_of, make_base, rule

from almaty_scheme.catalogue.models import Interval
from almaty_scheme.restrictions.elevation import build_elevation_belts, dem_polygons
from almaty_scheme.restrictions.options import BuildOptions

GARDEN = rule("elevation.gardening_belt", "elevation_belt", elevation_m={"min": 950, "max": 1250})


def write_dem(path: Path, z: np.ndarray, cell: float = 100.0, crs: str = "EPSG:32643") -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=z.shape[1],
        height=z.shape[0],
        count=1,
        dtype="int16",
        crs=crs,
        transform=from_origin(X0, Y0 + z.shape[0] * cell, cell, cell),
        nodata=-32768,
    ) as dst:
        dst.write(z.astype("int16"), 1)
    return path


def step_dem(tmp_path: Path) -> Path:
    z = np.full((10, 20), 900)
    z[:, 10:] = 1000  # a step: the east half is inside 950-1250
    return write_dem(tmp_path / "step.tif", z)


def test_dem_with_a_step_gives_a_belt_of_known_area(tmp_path: Path) -> None:
    base = make_base(dem_path=step_dem(tmp_path))
    gdf, _ = build_elevation_belts(catalogue_of([GARDEN]), base, BuildOptions())
    assert len(gdf) == 1
    assert gdf.geometry.area.iloc[0] == pytest.approx(10 * 10 * 100 * 100)  # 1 km²
    assert gdf.geometry.iloc[0].equals(box(1000, 0, 2000, 1000))
    row = gdf.iloc[0]
    assert row.elevation_min_m == 950 and row.elevation_max_m == 1250
    assert "cell ~100 m x 100 m" in row.accuracy


def test_specks_dropped_and_bounds_inclusive(tmp_path: Path) -> None:
    z = np.full((10, 10), 900)
    z[5, 5] = 1000  # one cell speck
    z[0:4, 0:4] = 950  # 16 cells exactly at the lower bound (inclusive)
    dem = write_dem(tmp_path / "speck.tif", z)
    geom, _info = dem_polygons(dem, Interval(min=950, max=1250), min_cells=4)
    assert geom.area == pytest.approx(16 * 100 * 100)
    geom, _ = dem_polygons(dem, Interval(min=950, max=1250, min_inclusive=False), min_cells=4)
    assert geom.is_empty


def test_simplification_removes_staircase_without_inventing_vertices(tmp_path: Path) -> None:
    yy, xx = np.mgrid[0:40, 0:40]
    z = np.where(xx + yy < 40, 1000, 900)  # a diagonal edge: a staircase of 820 cells
    dem = write_dem(tmp_path / "diag.tif", z)
    geom, _ = dem_polygons(dem, Interval(min=950, max=1250))
    half, _ = dem_polygons(dem, Interval(min=950, max=1250), simplify_cells=0.1)  # raised to 0.5
    assert len(geom.geoms[0].exterior.coords) <= 6  # staircase gone: a triangle-like shape
    assert len(half.geoms[0].exterior.coords) > 40  # 0.5 cell keeps the steps (0.71 cell off)
    # every vertex is a cell corner of the DEM (nothing finer than the DEM invented)
    for x, y in geom.geoms[0].exterior.coords:
        assert (x - X0) % 100 == pytest.approx(0) and (y - Y0) % 100 == pytest.approx(0)
    assert geom.area == pytest.approx(820 * 100 * 100, rel=0.06)
    assert geom.is_valid and half.is_valid


def test_geographic_dem_is_reprojected(tmp_path: Path) -> None:
    z = np.full((20, 20), 900)
    z[:, 10:] = 1000
    path = tmp_path / "geo.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20,
        height=20,
        count=1,
        dtype="int16",
        crs="EPSG:4326",
        transform=from_origin(76.9, 43.3, 0.004166666, 0.004166666),
    ) as d:
        d.write(z.astype("int16"), 1)
    geom, info = dem_polygons(path, Interval(min=950))
    assert 330 < info.cell_x_m < 345 and 455 < info.cell_y_m < 465
    assert geom.area == pytest.approx(200 * info.cell_area_m2, rel=0.02)


def test_no_dem_is_reported() -> None:
    gdf, notes = build_elevation_belts(catalogue_of([GARDEN]), make_base(), BuildOptions())
    assert len(gdf) == 0 and notes[0].kind == "missing"
