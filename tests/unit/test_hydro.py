"""Unit tests of the DEM-derived river network (almaty_scheme.base.hydro).

Synthetic inputs only: a V-shaped valley DEM written to tmp_path, hand-built D8
networks as downstream-index arrays, and straight lines for merging and comparison.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from shapely.geometry import LineString, box

from almaty_scheme.base import hydro
from almaty_scheme.base.hydro import flow, naming
from almaty_scheme.catalogue.data_models import HydroAnchors
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import CRSError, DataError

# ----------------------------------------------------------------------------- DEM


def _write_dem(
    path: Path, z: np.ndarray, *, crs: str = "EPSG:32643", transform: Affine | None = None
) -> Path:
    transform = transform or Affine(100.0, 0, 500_000.0, 0, -100.0, 4_800_000.0)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=z.shape[1],
        height=z.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
    ) as dst:
        dst.write(z.astype("float32"), 1)
    return path


def valley_dem(nrow: int = 21, ncol: int = 11) -> np.ndarray:
    """A V-shaped valley along column 5, sloping south, walled by a 1000 m rim.

    The rim has one gap: the outlet at the bottom of the valley (last row, column 5).
    Side slopes 10 m per column, valley floor 1 m per row.
    """
    r, c = np.mgrid[0:nrow, 0:ncol]
    z = 10.0 * np.abs(c - ncol // 2) + (nrow - 1 - r)
    z[0, :] = z[-1, :] = z[:, 0] = z[:, -1] = 1000.0
    z[-1, ncol // 2] = 0.0
    return z


def test_valley_drains_to_its_outlet_with_exact_area(tmp_path: Path) -> None:
    dem = _write_dem(tmp_path / "v.tif", valley_dem())
    m = hydro.route(dem)
    outlet = 20 * 11 + 5
    # every cell drains to the one gap in the rim (edge cells are outlets only where
    # nothing lower reaches them first): 21 x 11 cells of 100 m x 100 m = 0.01 km2
    assert m.upstream_km2.ravel()[outlet] == pytest.approx(231 * 0.01)
    term = flow._terminal_cells(m.idxs_ds)
    assert (term == outlet).all()
    # every valley-floor cell drains straight south
    for r in range(1, 20):
        assert m.idxs_ds[r * 11 + 5] == (r + 1) * 11 + 5


def test_valley_stream_is_the_valley_floor(tmp_path: Path) -> None:
    dem = _write_dem(tmp_path / "v.tif", valley_dem())
    m = hydro.route(dem)
    streams = m.stream_mask(0.5)  # 50 cells
    rows, cols = np.nonzero(streams)
    assert set(cols.tolist()) == {5}
    assert rows.max() == 20  # down to the outlet
    assert m.cell_km2[3, 3] == pytest.approx(0.01)


def test_valley_derived_river_feature(tmp_path: Path) -> None:
    dem = _write_dem(tmp_path / "v.tif", valley_dem())
    anchors = HydroAnchors.model_validate(
        {
            "version": "1.0.0",
            "rivers": [
                {
                    "id": "v",
                    "name": "Valley",
                    "name_ru": "Долина",
                    "anchors": [
                        {
                            "id": "v.mid",
                            "place": {"lon": 0.0, "lat": 0.0},
                            "reading": "synthetic test anchor",
                            "verified": False,
                            "snap_m": 1e9,
                        }
                    ],
                }
            ],
        }
    )
    rep: dict = {}
    out = hydro.derive_rivers(dem, anchors=anchors, threshold_km2=0.5, report=rep)
    assert out.crs == WORKING_CRS
    assert len(out) == 1
    f = out.iloc[0]
    assert f["name"] == "Valley" and f["kind"] == "river"
    # the stream starts where 50 cells have accumulated and ends at the outlet cell
    line = f.geometry.geoms[0]
    xs = {round(x, 6) for x, _ in line.coords}
    assert xs == {500_550.0}  # centre of column 5
    assert line.coords[-1][1] == pytest.approx(4_800_000.0 - 20.5 * 100)
    assert f["length_km"] == pytest.approx(line.length / 1000)
    assert f["accuracy"].startswith("derived from DEM v.tif 100 m")
    assert f["source"].startswith("derived: D8 flow routing")
    assert f["strahler"] == 1
    assert rep["named_km"] == {"Valley": pytest.approx(line.length / 1000, rel=1e-6)}


def test_water_body_is_a_sink_and_cuts_streams(tmp_path: Path) -> None:
    dem = _write_dem(tmp_path / "v.tif", valley_dem())
    # a lake over rows 14-17 of the valley (y between 4_798_200 and 4_798_600)
    lake = gpd.GeoDataFrame(
        {"name": ["Lake"]}, geometry=[box(500_300, 4_798_250, 500_800, 4_798_550)], crs=WORKING_CRS
    )
    m = hydro.route(dem, water_bodies=lake)
    assert m.water.sum() > 0
    out = hydro.derive_rivers(
        dem, anchors=HydroAnchors(version="1.0.0"), threshold_km2=0.3, water_bodies=lake
    )
    assert len(out) >= 1
    # nothing runs inside the lake, and the upper stream ends on its shoreline
    assert out.geometry.intersection(lake.geometry.iloc[0]).length.sum() == pytest.approx(0)
    ends = [g.geoms[0].coords[-1] for g in out.geometry]
    assert any(y == pytest.approx(4_798_550) for _, y in ends)


def test_outlet_reinjects_the_water_body_inflow(tmp_path: Path) -> None:
    z = valley_dem()
    z[14, 5] = 30.0  # a sill across the valley below the lake
    dem = _write_dem(tmp_path / "v.tif", z)
    lake = gpd.GeoDataFrame(
        {"name": ["Lake"]}, geometry=[box(500_450, 4_798_950, 500_650, 4_799_250)], crs=WORKING_CRS
    )  # rows 8-10 of column 5
    m0 = hydro.route(dem, water_bodies=lake)
    lon, lat = (
        gpd.GeoSeries([shapely.Point(500_550, 4_798_850)], crs=WORKING_CRS)
        .to_crs(4326)
        .iloc[0]
        .coords[0]
    )
    m1 = hydro.route(dem, water_bodies=lake, outlets=[("Lake", lon, lat, 500.0)])
    outlet = 20 * 11 + 5
    assert len(m1.outlets) == 1
    # without the outlet the lake keeps its inflow; with it the valley outlet gets it all
    assert m0.upstream_km2.ravel()[outlet] < m1.upstream_km2.ravel()[outlet]
    assert m1.upstream_km2.ravel()[outlet] == pytest.approx(231 * 0.01)


def test_geographic_cell_areas() -> None:
    t = Affine(15 / 3600, 0, 76.0, 0, -15 / 3600, 44.0)
    a = hydro.cell_areas_km2(t, (240, 4), geographic=True)  # 1 degree of latitude
    assert a[0, 0] < a[-1, 0]  # cells shrink northwards
    assert a[0, 0] == pytest.approx(0.1546, abs=5e-4)
    whole, _ = flow.GEOD.polygon_area_perimeter(
        [76, 76 + 1 / 60, 76 + 1 / 60, 76], [44, 44, 43, 43]
    )
    assert a.sum() == pytest.approx(abs(whole) / 1e6, rel=1e-6)


def test_dem_without_crs_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "nocrs.tif"
    with rasterio.open(p, "w", driver="GTiff", width=3, height=3, count=1, dtype="float32") as dst:
        dst.write(np.ones((1, 3, 3), "float32"))
    with pytest.raises(DataError):
        hydro.route(p)
    with pytest.raises(DataError):
        hydro.route(tmp_path / "missing.tif")


# ----------------------------------------------------------------------------- naming

# A hand-built network (flat indices, each cell's downstream cell):
#
#   0 -> 1 -> 2 -> 3 -> 4 (pit)         main stem "A"
#   9 -> 5 -> 6 -> 2                     branch "B" (3 cells, joins at 2)
#   7 -> 8 -> 3                          branch "C" (2 cells, joins at 3)
#   10 -> 11 -> 0                        headwater of A, 11 bigger than 12
#   12 -> 0
IDS = np.array([1, 2, 3, 4, 4, 6, 2, 8, 3, 5, 11, 0, 0])


def _upa(ids: np.ndarray) -> np.ndarray:
    upa = np.ones(ids.size)
    order = naming._topological_order(ids, np.ones(ids.size, bool))
    for c in order:
        if ids[c] != c:
            upa[ids[c]] += upa[c]
    return upa


UPA = _upa(IDS)
S = np.ones(IDS.size, bool)


def test_network_areas_are_as_drawn() -> None:
    # 10,11,12 -> 0: 0 has 4; 1: 5; B: 9,5,6 -> 3; 2: 5 + 3 + 1 = 9; C: 2; 3: 12; 4: 13
    assert UPA.tolist() == [4, 5, 9, 12, 13, 2, 3, 1, 2, 1, 1, 2, 1]


def test_name_runs_down_and_up_the_main_stem() -> None:
    lab = hydro.name_network(IDS, UPA, S, [(1, 1)])
    # upstream: 1 -> 0 -> 11 -> 10 (largest branch each time, 12 left unnamed)
    # downstream: A keeps the name at 2 (5 > 3 from B) and at 3 (9 > 2 from C)
    assert lab.tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0]


def test_small_named_river_ends_at_larger_unnamed_stream() -> None:
    lab = hydro.name_network(IDS, UPA, S, [(5, 2)])
    # B (3 cells) meets the unnamed A (5 cells) at 2: B ends, 2 is unnamed
    assert lab.tolist() == [0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 0, 0, 0]


def test_next_anchor_downstream_wins_the_confluence() -> None:
    upa = UPA.copy()
    upa[[9, 5, 6]] = [10, 11, 12]  # B (12) now larger than A (5) where they meet at 2
    lab = hydro.name_network(IDS, upa, S, [(5, 2), (1, 1)])
    assert lab[2] == 2  # control: the larger branch takes the name
    lab = hydro.name_network(IDS, upa, S, [(5, 2), (1, 1), (4, 1)])
    assert lab[[2, 3, 4]].tolist() == [1, 1, 1]  # A is anchored further down: A wins
    assert lab[[9, 5, 6]].tolist() == [2, 2, 2]


def test_parent_beats_a_larger_tributary() -> None:
    lab = hydro.name_network(IDS, UPA, S, [(5, 2), (0, 1)], parent={2: 1})
    assert lab[2] == 1  # A (5 cells) and B (3 cells) meet; A keeps its name
    upa = UPA.copy()
    upa[[9, 5, 6]] = [10, 11, 12]  # B now larger than A at their confluence
    lab = hydro.name_network(IDS, upa, S, [(5, 2), (0, 1)])
    assert lab[2] == 2  # control: without the relation the larger branch wins
    lab = hydro.name_network(IDS, upa, S, [(5, 2), (0, 1)], parent={2: 1})
    assert lab[[2, 3, 4]].tolist() == [1, 1, 1]  # a parent is never renamed
    assert lab[[9, 5, 6]].tolist() == [2, 2, 2]


def test_tributary_anchor_on_parent_stem_is_not_used() -> None:
    lab = hydro.name_network(IDS, UPA, S, [(1, 1), (3, 2)], parent={2: 1})
    assert lab[3] == 1 and lab[4] == 1
    assert 2 not in lab.tolist()


def test_trunk_keeps_its_name() -> None:
    upa = UPA.copy()
    upa[[7, 8]] = [100, 101]  # C much larger than A at 3
    lab = hydro.name_network(IDS, upa, S, [(1, 1)], trunk=[1])
    assert lab[3] == 1 and lab[4] == 1
    lab2 = hydro.name_network(IDS, upa, S, [(1, 1)])
    assert lab2[3] == 0  # not a trunk: A ends where the larger C joins


def test_upstream_extension_stops_at_stop_cells() -> None:
    lab = hydro.name_network(IDS, UPA, S, [(2, 1)], stop_cells=[2])
    assert lab[[0, 1, 5, 6]].tolist() == [0, 0, 0, 0]
    assert lab[[2, 3, 4]].tolist() == [1, 1, 1]


def test_segments_split_at_confluences_and_names() -> None:
    lab = hydro.name_network(IDS, UPA, S, [(1, 1)])
    segs = [s.tolist() for s in hydro.stream_segments(IDS, S, lab)]
    assert sorted(segs) == sorted(
        [
            [10, 11, 0],  # head of A down to the confluence with 12
            [12, 0],  # unnamed 12 joins at 0
            [0, 1, 2],  # A to the confluence with B
            [9, 5, 6, 2],  # B (unnamed)
            [2, 3],  # A to the confluence with C
            [7, 8, 3],  # C
            [3, 4],  # A to its outlet pit
        ]
    )


def test_segments_split_where_the_name_changes() -> None:
    lab = np.zeros(IDS.size, dtype="int64")
    lab[[9, 5]] = 2  # name ends mid-branch
    segs = [s.tolist() for s in hydro.stream_segments(IDS, S, lab)]
    assert [9, 5, 6] in segs and [6, 2] in segs


# ----------------------------------------------------------------------------- merging


def _lines(rows: list[tuple[str | None, str | None, LineString]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "name_ru": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=WORKING_CRS,
    ).astype({"name": "string", "name_ru": "string"})


def test_merge_rivers_real_wins_by_name_and_cover() -> None:
    derived = _lines(
        [
            ("Turgen", "Тургень", LineString([(0, 0), (10_000, 0)])),
            (None, None, LineString([(0, 5_300), (10_000, 5_300)])),  # 300 m from real stream
            (None, None, LineString([(0, 20_000), (10_000, 20_000)])),  # far from everything
            ("Talgar", "Талгар", LineString([(0, 30_000), (10_000, 30_000)])),
        ]
    )
    real = _lines(
        [
            (None, "р. Түрген", LineString([(0, 100), (10_000, 100)])),
            (None, None, LineString([(0, 5_000), (10_000, 5_000)])),
        ]
    )
    out = hydro.merge_rivers(real, derived, aliases=[["Turgen", "Тургень", "Түрген"]])
    assert len(out) == 4
    assert out.crs == WORKING_CRS
    names = out["name"].fillna("").tolist()
    assert "Turgen" not in names  # replaced by the real one
    assert "Talgar" in names  # no real Talgar: derived kept
    ys = sorted(g.coords[0][1] for g in out.geometry)
    assert ys == [100, 5_000, 20_000, 30_000]  # covered unnamed derived stream dropped


def test_merge_rivers_partial_cover_kept() -> None:
    derived = _lines([(None, None, LineString([(0, 500), (10_000, 500)]))])
    real = _lines([(None, None, LineString([(0, 0), (4_000, 0)]))])  # covers 4.0 of 10 km
    out = hydro.merge_rivers(real, derived, aliases=[], cover_share=0.5)
    assert len(out) == 2


def test_river_key() -> None:
    assert hydro.river_key("р. Тургень") == hydro.river_key("Түрген")
    assert hydro.river_key("река Каскелен") == hydro.river_key("Қаскелең")
    assert hydro.river_key(None) == ""


# ----------------------------------------------------------------------------- comparison


def test_compare_with_reference_exact() -> None:
    ref = gpd.GeoSeries([LineString([(0, 0), (10_000, 0)])], crs=WORKING_CRS)
    der = gpd.GeoSeries([LineString([(-5_000, 300), (15_000, 300)])], crs=WORKING_CRS)
    r = hydro.compare_with_reference(der, ref, step_m=500)
    assert r["n_points"] == 21  # 0, 500, ..., 10 000
    assert r["mean_m"] == pytest.approx(300) and r["p90_m"] == pytest.approx(300)


def test_compare_with_reference_window_and_exclude() -> None:
    ref = gpd.GeoSeries([LineString([(0, 0), (10_000, 0)])], crs=WORKING_CRS)
    der = gpd.GeoSeries([LineString([(0, 0), (5_000, 0), (10_000, 1_000)])], crs=WORKING_CRS)
    r = hydro.compare_with_reference(der, ref, window=box(-1, -10, 4_999, 10), step_m=1000)
    assert r["n_points"] == 5 and r["mean_m"] == 0
    r2 = hydro.compare_with_reference(der, ref, exclude=box(-1, -10, 5_001, 10), step_m=1000)
    assert r2["n_points"] == 5  # 6000 ... 10000
    assert r2["max_m"] == pytest.approx(1000 * 5000 / np.hypot(5000, 1000), abs=0.05)


def test_compare_requires_working_crs() -> None:
    ref = gpd.GeoSeries([LineString([(0, 0), (1, 0)])], crs=4326)
    with pytest.raises(CRSError):
        hydro.compare_with_reference(ref, ref)
