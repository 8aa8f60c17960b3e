"""Boundary reconstruction on synthetic squares (almaty_scheme.base.boundary)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from almaty_scheme.base.boundary import (
    BoundaryConfig,
    build_boundary,
    district_territories,
    fill_holes,
    load_boundary_config,
    voronoi_cells,
)
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import CatalogueError, CRSError, DataError

SRC = {"type": "scheme", "quote": "some quote", "lines": [1, 1]}


def _config(**over: Any) -> BoundaryConfig:
    raw: dict[str, Any] = {
        "version": "1.0.0",
        "admin_year": 2018,
        "name": "test",
        "scheme_area": {"value": 20.0, "unit": "thousand ha", "source": SRC},
        "area_tolerance_pct": 10,
        "scheme_reservoir": {"value": 100.0, "unit": "ha", "source": SRC},
        "territories": [
            {"id": "w", "name_ru": "Целый район", "treatment": "whole", "kato_prefixes": ["1"],
             "appendix15_districts": ["Целый район"], "sources": [SRC]},
            {"id": "p", "name_ru": "Частичный район", "treatment": "partial",
             "kato_prefixes": ["2"], "appendix15_districts": ["Частичный район"],
             "sources": [SRC]},
        ],
        "partial_method": {"fill_holes": True, "reading": "a reading of the method"},
        "reservoir": {"mode": "shore", "sources": [SRC], "reading": "south shore reading"},
        "national_park": {"treatment": "district_extent", "sources": [SRC],
                          "reading": "park reading text"},
    }
    raw.update(over)
    return BoundaryConfig.model_validate(raw)


def _admin(rows: list[tuple[str, int, Any]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"kato": pd.Series([r[0] for r in rows], dtype="string"),
         "year": pd.Series([r[1] for r in rows], dtype="Int64"),
         "level": pd.Series([2] * len(rows), dtype="Int64")},
        geometry=[r[2] for r in rows], crs=WORKING_CRS)


def _points(coords: list[tuple[float, float]], listed: list[bool], terr: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"base_id": [f"settlements:{i}" for i in range(len(coords))],
         "name": [f"P{i}" for i in range(len(coords))],
         "in_appendix15": listed, "territory": [terr] * len(coords)},
        geometry=[Point(c) for c in coords], crs=WORKING_CRS)


def _no_water() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"kind": pd.Series([], dtype="string")},
                            geometry=gpd.GeoSeries([], crs=WORKING_CRS), crs=WORKING_CRS)


def test_voronoi_two_points_split_square_in_halves() -> None:
    pts = gpd.GeoSeries([Point(500, 1000), Point(1500, 1000)], crs=WORKING_CRS)
    cells = voronoi_cells(pts, box(0, 0, 2000, 2000))
    assert cells.area.tolist() == pytest.approx([2_000_000.0, 2_000_000.0])
    assert cells.iloc[0].equals_exact(box(0, 0, 1000, 2000).normalize(), 1e-6) or \
        cells.iloc[0].symmetric_difference(box(0, 0, 1000, 2000)).area < 1e-6


def test_voronoi_single_point_gets_region_and_duplicates_share() -> None:
    region = box(0, 0, 100, 100)
    one = voronoi_cells(gpd.GeoSeries([Point(10, 10)], crs=WORKING_CRS), region)
    assert one.iloc[0].area == pytest.approx(10_000.0)
    dup = voronoi_cells(gpd.GeoSeries([Point(10, 10), Point(10, 10), Point(90, 10)],
                                      crs=WORKING_CRS), region)
    assert dup.area.tolist() == pytest.approx([5_000.0, 0.0, 5_000.0])


def test_fill_holes() -> None:
    ring = box(0, 0, 10, 10).difference(box(4, 4, 6, 6))
    assert fill_holes(ring).area == pytest.approx(100.0)


def test_territories_with_annex_move_area() -> None:
    cfg = _config(territories=[
        {"id": "w", "name_ru": "W", "treatment": "whole", "kato_prefixes": ["1"],
         "appendix15_districts": ["W"], "sources": [SRC]},
        {"id": "p", "name_ru": "P", "treatment": "partial", "kato_prefixes": ["2"],
         "appendix15_districts": ["P"], "sources": [SRC],
         "annex": [{"year": 2024, "kato_prefixes": ["3"], "from_territories": ["w"],
                    "reading": "the newer layer shows it"}]},
    ])
    admin = _admin([("100000000", 2018, box(0, 0, 10_000, 10_000)),
                    ("200000000", 2018, box(10_000, 0, 20_000, 10_000)),
                    ("300000000", 2024, box(8_000, 0, 12_000, 10_000))])
    t = district_territories(admin, cfg).set_index("territory")
    assert t.geometry["w"].area == pytest.approx(80_000_000.0)
    assert t.geometry["p"].area == pytest.approx(120_000_000.0)
    assert "from w" in t.at["p", "note"]


def test_territory_without_admin_unit_is_a_data_error() -> None:
    admin = _admin([("100000000", 2018, box(0, 0, 10, 10))])
    with pytest.raises(DataError) as exc:
        district_territories(admin, _config())
    assert "KATO starting with 2" in str(exc.value)


def _setup(cfg: BoundaryConfig) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    admin = _admin([("100000000", 2018, box(0, 0, 10_000, 10_000)),
                    ("200000000", 2018, box(10_000, 0, 30_000, 10_000))])
    terr = district_territories(admin, cfg)
    pts = _points([(15_000, 5_000), (25_000, 5_000)], [True, False], "p")
    return terr, pts


def test_boundary_whole_plus_kept_voronoi_cell() -> None:
    cfg = _config()
    terr, pts = _setup(cfg)
    res = build_boundary(terr, pts, _no_water(), cfg)
    # whole 10 x 10 km + the listed point's cell 10 x 10 km (bisector at x = 20 km)
    assert res.boundary["area_ha"].iloc[0] == pytest.approx(20_000.0)
    assert res.figures["boundary_area"]["ours"] == pytest.approx(20.0)
    assert res.figures["boundary_area"]["within_tolerance"]
    assert res.boundary["accuracy"].iloc[0].startswith("derived")
    assert res.cells["kept"].tolist() == [True, False]


def test_boundary_cell_radius_limits_partial_cells() -> None:
    cfg = _config(partial_method={"cell_radius_km": 2, "fill_holes": False,
                                  "reading": "a reading of the method"})
    terr, pts = _setup(cfg)
    res = build_boundary(terr, pts, _no_water(), cfg)
    n = 64  # quad_segs=16 -> a 64-gon
    disc = 0.5 * n * 2000.0**2 * math.sin(2 * math.pi / n)
    assert res.boundary.geometry.iloc[0].area == pytest.approx(100_000_000.0 + disc, rel=1e-9)


def test_boundary_shore_mode_cuts_reservoir_from_partial_only() -> None:
    cfg = _config()
    terr, pts = _setup(cfg)
    water = gpd.GeoDataFrame(
        {"kind": pd.Series(["reservoir", "reservoir"], dtype="string")},
        geometry=[box(12_000, 4_000, 18_000, 6_000), box(2_000, 2_000, 3_000, 3_000)],
        crs=WORKING_CRS)
    res = build_boundary(terr, pts, water, cfg)
    assert res.boundary.geometry.iloc[0].area == pytest.approx(2e8 - 12e6)
    # the water inside the whole territory stays inside
    assert res.figures["reservoir_inside"]["ours"] == pytest.approx(100.0)
    keep = build_boundary(terr, pts, water, _config(reservoir={
        "mode": "keep", "sources": [SRC], "reading": "keep the water reading"}))
    assert keep.boundary.geometry.iloc[0].area == pytest.approx(2e8)
    assert keep.figures["reservoir_inside"]["ours"] == pytest.approx(1300.0)


def test_boundary_needs_joined_settlements_and_working_crs() -> None:
    cfg = _config()
    terr, pts = _setup(cfg)
    with pytest.raises(DataError, match="not joined"):
        build_boundary(terr, pts.drop(columns=["in_appendix15"]), _no_water(), cfg)
    with pytest.raises(CRSError):
        build_boundary(terr, pts.to_crs(4326), _no_water(), cfg)


def test_lake_from_fallback_disc_is_linked_to_nearest_kept_cell() -> None:
    lake = {"name_ru": "озеро", "lon": 0.0, "lat": 0.0, "territory": "p",
            "dem_level_max_m": 1, "search_radius_m": 1000, "min_area_ha": 1,
            "max_area_ha": 10, "fallback_area_ha": 100, "sources": [SRC],
            "reading": "lake reading text"}
    cfg = _config(lakes=[lake])
    terr, pts = _setup(cfg)
    res = build_boundary(terr, pts, _no_water(), cfg, dem_path=None)
    part = res.parts.set_index("part").loc["lake:озеро"]
    assert "no DEM" in part["method"]


def test_config_rejects_unknown_keys_and_bad_refs(tmp_path: Path) -> None:
    p = tmp_path / "boundary.yaml"
    p.write_text("version: 1.0.0\nadmin_yeer: 2018\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as exc:
        load_boundary_config(p)
    text = str(exc.value)
    assert "admin_yeer" in text and "unknown key" in text
    with pytest.raises(ValueError, match="unknown territory"):
        _config(lakes=[{"name_ru": "x", "lon": 0, "lat": 0, "territory": "nope",
                        "dem_level_max_m": 1, "search_radius_m": 1, "min_area_ha": 1,
                        "max_area_ha": 2, "fallback_area_ha": 1, "sources": [SRC],
                        "reading": "reading text"}])


def test_shipped_config_loads() -> None:
    cfg = load_boundary_config()
    assert {t.id for t in cfg.territories} >= {"almaty_city", "karasai", "talgar"}
    assert cfg.scheme_area.value == pytest.approx(939.49)
    assert shapely is not None
