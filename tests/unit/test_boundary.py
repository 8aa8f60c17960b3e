"""Boundary reconstruction on synthetic squares (almaty_scheme.base.boundary)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box

from almaty_scheme.base.boundary import (
    BoundaryConfig,
    OutlineSpec,
    build_boundary,
    district_territories,
    fill_holes,
    load_boundary_config,
    shore_band,
    sweep,
    tidy_outline,
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
            {
                "id": "w",
                "name_ru": "Целый район",
                "treatment": "whole",
                "kato_prefixes": ["1"],
                "appendix15_districts": ["Целый район"],
                "sources": [SRC],
            },
            {
                "id": "p",
                "name_ru": "Частичный район",
                "treatment": "partial",
                "kato_prefixes": ["2"],
                "appendix15_districts": ["Частичный район"],
                "sources": [SRC],
            },
        ],
        "partial_method": {"fill_holes": True, "reading": "a reading of the method"},
        "reservoir": {"mode": "shore", "sources": [SRC], "reading": "south shore reading"},
        "national_park": {
            "treatment": "district_extent",
            "sources": [SRC],
            "reading": "park reading text",
        },
    }
    raw.update(over)
    return BoundaryConfig.model_validate(raw)


def _admin(rows: list[tuple[str, int, Any]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "kato": pd.Series([r[0] for r in rows], dtype="string"),
            "year": pd.Series([r[1] for r in rows], dtype="Int64"),
            "level": pd.Series([2] * len(rows), dtype="Int64"),
        },
        geometry=[r[2] for r in rows],
        crs=WORKING_CRS,
    )


def _points(
    coords: list[tuple[float, float]],
    listed: list[bool],
    terr: str,
    rows: list[str | None] | None = None,
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "base_id": [f"settlements:{i}" for i in range(len(coords))],
            "name": [f"P{i}" for i in range(len(coords))],
            "scheme_row": pd.Series(rows or [None] * len(coords), dtype="string"),
            "in_appendix15": listed,
            "territory": [terr] * len(coords),
        },
        geometry=[Point(c) for c in coords],
        crs=WORKING_CRS,
    )


def _no_water() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"kind": pd.Series([], dtype="string")},
        geometry=gpd.GeoSeries([], crs=WORKING_CRS),
        crs=WORKING_CRS,
    )


def test_voronoi_two_points_split_square_in_halves() -> None:
    pts = gpd.GeoSeries([Point(500, 1000), Point(1500, 1000)], crs=WORKING_CRS)
    cells = voronoi_cells(pts, box(0, 0, 2000, 2000))
    assert cells.area.tolist() == pytest.approx([2_000_000.0, 2_000_000.0])
    assert (
        cells.iloc[0].equals_exact(box(0, 0, 1000, 2000).normalize(), 1e-6)
        or cells.iloc[0].symmetric_difference(box(0, 0, 1000, 2000)).area < 1e-6
    )


def test_voronoi_single_point_gets_region_and_duplicates_share() -> None:
    region = box(0, 0, 100, 100)
    one = voronoi_cells(gpd.GeoSeries([Point(10, 10)], crs=WORKING_CRS), region)
    assert one.iloc[0].area == pytest.approx(10_000.0)
    dup = voronoi_cells(
        gpd.GeoSeries([Point(10, 10), Point(10, 10), Point(90, 10)], crs=WORKING_CRS), region
    )
    assert dup.area.tolist() == pytest.approx([5_000.0, 0.0, 5_000.0])


def test_fill_holes() -> None:
    ring = box(0, 0, 10, 10).difference(box(4, 4, 6, 6))
    assert fill_holes(ring).area == pytest.approx(100.0)


def test_territories_with_annex_move_area() -> None:
    cfg = _config(
        territories=[
            {
                "id": "w",
                "name_ru": "W",
                "treatment": "whole",
                "kato_prefixes": ["1"],
                "appendix15_districts": ["W"],
                "sources": [SRC],
            },
            {
                "id": "p",
                "name_ru": "P",
                "treatment": "partial",
                "kato_prefixes": ["2"],
                "appendix15_districts": ["P"],
                "sources": [SRC],
                "annex": [
                    {
                        "year": 2024,
                        "kato_prefixes": ["3"],
                        "from_territories": ["w"],
                        "reading": "the newer layer shows it",
                    }
                ],
            },
        ]
    )
    admin = _admin(
        [
            ("100000000", 2018, box(0, 0, 10_000, 10_000)),
            ("200000000", 2018, box(10_000, 0, 20_000, 10_000)),
            ("300000000", 2024, box(8_000, 0, 12_000, 10_000)),
        ]
    )
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
    admin = _admin(
        [
            ("100000000", 2018, box(0, 0, 10_000, 10_000)),
            ("200000000", 2018, box(10_000, 0, 30_000, 10_000)),
        ]
    )
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
    cfg = _config(
        partial_method={
            "cell_radius_km": 2,
            "fill_holes": False,
            "reading": "a reading of the method",
        }
    )
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
        crs=WORKING_CRS,
    )
    res = build_boundary(terr, pts, water, cfg)
    assert res.boundary.geometry.iloc[0].area == pytest.approx(2e8 - 12e6)
    # the water inside the whole territory stays inside
    assert res.figures["reservoir_inside"]["ours"] == pytest.approx(100.0)
    keep = build_boundary(
        terr,
        pts,
        water,
        _config(reservoir={"mode": "keep", "sources": [SRC], "reading": "keep the water reading"}),
    )
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
    lake = {
        "name_ru": "озеро",
        "lon": 0.0,
        "lat": 0.0,
        "territory": "p",
        "dem_level_max_m": 1,
        "search_radius_m": 1000,
        "min_area_ha": 1,
        "max_area_ha": 10,
        "fallback_area_ha": 100,
        "sources": [SRC],
        "reading": "lake reading text",
    }
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
        _config(
            lakes=[
                {
                    "name_ru": "x",
                    "lon": 0,
                    "lat": 0,
                    "territory": "nope",
                    "dem_level_max_m": 1,
                    "search_radius_m": 1,
                    "min_area_ha": 1,
                    "max_area_ha": 2,
                    "fallback_area_ha": 1,
                    "sources": [SRC],
                    "reading": "reading text",
                }
            ]
        )


def test_shipped_config_loads() -> None:
    cfg = load_boundary_config()
    assert {t.id for t in cfg.territories} >= {"almaty_city", "karasai", "talgar"}
    assert cfg.scheme_area.value == pytest.approx(939.49)
    assert shapely is not None


# ------------------------------------------------------------------ shore band (v2.0.0)

KM = 1000.0


def _kbox(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(x0 * KM, y0 * KM, x1 * KM, y1 * KM)


def test_sweep_square_and_u_shape() -> None:
    assert sweep(box(0, 0, 1, 1), 0, 2).area == pytest.approx(3.0)
    assert sweep(box(0, 0, 1, 1), 0, 2).equals(box(0, 0, 1, 3))
    # a U open to the north: its arms move up, the gap between them stays open
    u = box(0, 0, 3, 3).difference(box(1, 1, 2, 3))
    north = sweep(u, 0, 1)
    assert north.area == pytest.approx(10.0)
    assert north.intersection(box(1, 2, 2, 3)).area == pytest.approx(0.0)
    south = sweep(u, 0, -1)
    assert south.area == pytest.approx(10.0)
    assert south.intersection(box(1, 1, 2, 3)).area == pytest.approx(0.0)
    assert sweep(Polygon(), 0, 5).is_empty
    assert sweep(u, 0, 0).equals(u)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), min_size=3, max_size=12),
    st.floats(-50, 50).filter(lambda d: abs(d) > 1e-3),
)
def test_sweep_of_convex_polygon_adds_width_times_distance(
    pts: list[tuple[float, float]], d: float
) -> None:
    hull = shapely.MultiPoint(pts).convex_hull
    if not isinstance(hull, Polygon) or hull.area < 1.0:
        return
    out = sweep(hull, 0, d)
    width = hull.bounds[2] - hull.bounds[0]
    assert out.area == pytest.approx(hull.area + abs(d) * width, rel=1e-6)
    assert out.buffer(1e-6).contains(hull)
    assert out.buffer(1e-6).contains(shapely.affinity.translate(hull, 0, d))


def test_shore_band_fills_columns_with_gap_up_to_max() -> None:
    region = _kbox(0, 0, 10, 30)
    body = _kbox(0, 0, 10, 10)
    water = _kbox(0, 20, 10, 30)
    band = shore_band(region, body, water, water, 15 * KM)
    assert band.difference(body).area == pytest.approx(100 * KM**2)  # 10 x 10 km
    assert band.intersection(water).area == pytest.approx(0.0)
    # the gap is 10 km: a 9 km limit takes nothing, not a floating strip; the limit
    # must exceed the gap (at exactly 10 km body and shore only touch)
    assert shore_band(region, body, water, water, 9 * KM).is_empty
    assert shore_band(region, body, water, water, 10.1 * KM).difference(body).area == pytest.approx(
        100 * KM**2
    )


def test_shore_band_column_by_column() -> None:
    region = _kbox(0, 0, 10, 30)
    body = shapely.union(_kbox(0, 0, 5, 10), _kbox(5, 0, 10, 4))  # tops at 10 and 4 km
    water = _kbox(0, 20, 10, 30)
    band = shore_band(region, body, water, water, 12 * KM)
    # columns 0-5 km: gap 10 km <= 12, filled; columns 5-10 km: gap 16 km, left out
    assert band.difference(body).area == pytest.approx(50 * KM**2)
    assert band.intersection(_kbox(5, 4, 10, 20)).area == pytest.approx(0.0)


def test_shore_band_skips_gaps_inside_the_body_but_not_north_shore_body() -> None:
    region = _kbox(0, 0, 10, 40)
    body = shapely.union_all(
        [_kbox(0, 0, 10, 4), _kbox(0, 8, 10, 10), _kbox(0, 24, 10, 40)]
    )  # north-shore body beyond the water
    water = _kbox(0, 20, 10, 24)
    band = shore_band(region, body, water, water, 15 * KM)
    assert band.difference(body).area == pytest.approx(100 * KM**2)  # y 10-20 km only
    assert band.intersection(_kbox(0, 4, 10, 8)).area == pytest.approx(0.0)


def test_shore_band_shore_cell_without_water_north() -> None:
    region = _kbox(0, 0, 10, 30)
    town = _kbox(0, 20, 10, 30)  # a shore settlement's cell, part of the body too
    body = shapely.union(_kbox(0, 0, 10, 10), town)
    no_water = Polygon()
    band = shore_band(region, body, town, no_water, 11 * KM)
    assert band.difference(body).area == pytest.approx(100 * KM**2)
    assert shore_band(region, body, no_water, no_water, 11 * KM).is_empty
    with pytest.raises(ValueError):
        shore_band(region, body, town, no_water, 0.0)


def _shore_config(gap_km: float, *, town: bool = True) -> BoundaryConfig:
    return _config(
        territories=[
            {
                "id": "w",
                "name_ru": "Целый район",
                "treatment": "whole",
                "kato_prefixes": ["1"],
                "appendix15_districts": ["Целый район"],
                "sources": [SRC],
            },
            {
                "id": "p",
                "name_ru": "Частичный район",
                "treatment": "partial",
                "kato_prefixes": ["2"],
                "appendix15_districts": ["Частичный район"],
                "reaches_shore": True,
                "sources": [SRC],
            },
        ],
        shore_band={
            "max_gap_km": gap_km,
            "sources": [SRC],
            "reading": "shore band reading",
            "shore_settlements": [{"row_id": "A15-190", "name_ru": "Город", "sources": [SRC]}]
            if town
            else [],
        },
    )


def _shore_world(
    cfg: BoundaryConfig,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    # w: 10 x 10 km whole; p: 20 x 30 km split into six 10 x 10 km Voronoi cells
    admin = _admin(
        [("100000000", 2018, _kbox(0, 0, 10, 10)), ("200000000", 2018, _kbox(10, 0, 30, 30))]
    )
    terr = district_territories(admin, cfg)
    coords = [(15, 5), (25, 5), (15, 15), (25, 15), (15, 25), (25, 25)]
    listed = [True, True, False, False, False, True]
    rows = [None, None, None, None, None, "A15-190"]  # the town in the north-east cell
    pts = _points([(x * KM, y * KM) for x, y in coords], listed, "p", rows)
    water = gpd.GeoDataFrame(
        {"kind": pd.Series(["reservoir"], dtype="string")},
        geometry=[_kbox(10, 20, 20, 30)],
        crs=WORKING_CRS,
    )
    return terr, pts, water


def test_boundary_shore_band_reaches_water_and_shore_town() -> None:
    cfg = _shore_config(10.5)
    terr, pts, water = _shore_world(cfg)
    res = build_boundary(terr, pts, water, cfg)
    # w 10 000 ha + three kept cells 30 000 ha + the two cells between them and the
    # shore (water to the north-west, the town to the north-east) 20 000 ha
    assert res.boundary["area_ha"].iloc[0] == pytest.approx(60_000.0)
    part = res.parts.set_index("part").loc["p"]
    assert part["shore_band_ha"] == pytest.approx(20_000.0)
    assert "shore band" in part["method"]
    assert res.figures["boundary_area"]["shore_band_kha"] == pytest.approx(20.0)
    assert res.figures["reservoir_inside"]["ours"] == pytest.approx(0.0)
    assert "scheme_row" in res.cells.columns
    # without the town as shore only the column under the water is filled
    no_town = build_boundary(terr, pts, water, _shore_config(10.5, town=False))
    assert no_town.boundary["area_ha"].iloc[0] == pytest.approx(50_000.0)
    # the gaps are 10 km: a 9.9 km limit adds nothing
    short = build_boundary(terr, pts, water, _shore_config(9.9))
    assert short.boundary["area_ha"].iloc[0] == pytest.approx(40_000.0)
    assert short.figures["boundary_area"]["shore_band_kha"] == pytest.approx(0.0)


def test_config_shore_flags_are_checked() -> None:
    with pytest.raises(ValueError, match="no shore_band section"):
        _config(
            territories=[
                {
                    "id": "p",
                    "name_ru": "P",
                    "treatment": "partial",
                    "kato_prefixes": ["2"],
                    "appendix15_districts": ["P"],
                    "reaches_shore": True,
                    "sources": [SRC],
                }
            ]
        )
    with pytest.raises(ValueError, match="partial territories only"):
        _config(
            territories=[
                {
                    "id": "w",
                    "name_ru": "W",
                    "treatment": "whole",
                    "kato_prefixes": ["1"],
                    "appendix15_districts": ["W"],
                    "reaches_shore": True,
                    "sources": [SRC],
                }
            ],
            shore_band={"max_gap_km": 5, "sources": [SRC], "reading": "shore band reading"},
        )
    with pytest.raises(ValueError):
        _shore_config(0)


def test_tidy_outline_fills_holes_but_not_excluded_water() -> None:
    ring = box(0, 0, 100, 100).difference(box(10, 10, 20, 20)).difference(box(60, 60, 80, 80))
    sliver = box(200, 200, 200.5, 200.5)
    geom = MultiPolygon([ring, sliver])
    water = box(60, 60, 80, 80)  # an enclosed stretch of excluded water
    out, note = tidy_outline(
        geom, water, OutlineSpec(fill_holes=True, min_part_ha=0.01, reading="outline reading")
    )
    assert out.area == pytest.approx(10_000.0 - 400.0)  # the 100 m² hole filled
    assert len(out.geoms) == 1  # the 0.25 m² sliver dropped
    assert "holes filled" in note and "dropped" in note
    same, none = tidy_outline(geom, water, OutlineSpec(reading="outline reading"))
    assert same.area == pytest.approx(geom.area) and none == ""


WATER_LINE = {
    "rivers": ["Или"],
    "dam_end": "west",
    "core": "c",
    "sources": [SRC],
    "reading": "the reservoir and the river below the dam",
}


def _two_whole(**over: Any) -> tuple[BoundaryConfig, gpd.GeoDataFrame]:
    """Core c: 10 x 10 km at x 0-10 km; whole territory w: x 10-20 km, y 0-30 km."""
    whole = {"treatment": "whole", "sources": [SRC]}
    cfg = _config(
        territories=[
            {**whole, "id": "c", "name_ru": "Ядро", "kato_prefixes": ["1"],
             "appendix15_districts": ["Ядро"]},
            {**whole, "id": "w", "name_ru": "Район", "kato_prefixes": ["2"],
             "appendix15_districts": ["Район"]},
        ],
        **over,
    )  # fmt: skip
    admin = _admin(
        [("1", 2018, box(0, 0, 10_000, 10_000)), ("2", 2018, box(10_000, 0, 20_000, 30_000))]
    )
    return cfg, district_territories(admin, cfg)


def _reservoir_and_river() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    # reservoir across x 14-30 km at y 10-12 km; the river leaves it at its western end
    # (x = 14 km) and runs to x = 8 km, beyond the territory's western edge
    water = gpd.GeoDataFrame(
        {"kind": pd.Series(["reservoir"], dtype="string")},
        geometry=[box(14_000, 10_000, 30_000, 12_000)],
        crs=WORKING_CRS,
    )
    rivers = gpd.GeoDataFrame(
        {"name_ru": pd.Series(["Или", "Или"], dtype="string")},
        geometry=[
            shapely.LineString([(14_000, 11_000), (8_000, 11_000)]),  # below the dam
            shapely.LineString([(30_000, 11_000), (40_000, 11_000)]),  # above it
        ],
        crs=WORKING_CRS,
    )
    return water, rivers


def test_whole_territory_loses_its_land_beyond_the_water_line() -> None:
    """w's land north of the reservoir and the river (y > 12 km, and y 11-12 km west of
    the reservoir) is beyond the water seen from c and is cut; its land to the south and
    its reservoir water stay. The river counts 2 m wide (buffered by 1 m each side)."""
    cfg, terr = _two_whole(water_line=WATER_LINE)
    water, rivers = _reservoir_and_river()
    empty = _points([], [], "w")
    res = build_boundary(terr, empty, water, cfg, rivers=rivers)
    w = res.parts.set_index("part").loc["w"]
    assert "beyond the water line" in w["method"]
    # w keeps y 0-11 km west of the reservoir (4 x 11 km, less half the river's 2 m)
    # and y 0-12 km under it (6 x 12 km: the water stays): 44 + 72 = 116 km²
    assert w.geometry.area == pytest.approx(116e6, abs=4_000 * 1 + 1)
    without = build_boundary(terr, empty, water, _two_whole()[0], rivers=rivers)
    assert without.parts.set_index("part").loc["w"].geometry.area == pytest.approx(300e6)


def test_river_above_the_dam_does_not_cut() -> None:
    """With the dam at the eastern end, the river leaving there (x 30-40 km) is outside
    w and the western river is upstream: the reservoir alone does not split w, whose
    land runs round its western end (x 10-14 km), so nothing is cut."""
    cfg, terr = _two_whole(water_line={**WATER_LINE, "dam_end": "east"})
    water, rivers = _reservoir_and_river()
    res = build_boundary(terr, _points([], [], "w"), water, cfg, rivers=rivers)
    assert res.parts.set_index("part").loc["w"].geometry.area == pytest.approx(300e6)
