"""import-osm on a hand-written .osm fixture (tests/fixtures/osm/almaty_sample.osm).

Lengths and areas are derived by hand: every line runs due north in steps of 0.01 deg
of latitude, every area is a 0.01 x 0.01 deg square. On the WGS 84 ellipsoid a degree of
latitude is ``a (1 - e²) / (1 - e² sin² φ)^1.5 · π/180`` metres (111 102 m at 43.5° N),
a degree of longitude ``a cos φ / (1 - e² sin² φ)^0.5 · π/180``, and UTM 43N scales
both by ``k = 0.9996 (1 + (Δλ cos φ)² / 2)``, Δλ the distance from 75° E in radians
(k = 0.99992 at 77° E). So a 0.01° step at 43.505° N, 77.00° E is 1 110.94 m.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS

from almaty_scheme.base.model import BASE_LAYERS, PROVENANCE_COLUMNS
from almaty_scheme.base.osm import LOG_LAYER, OSM_LAYERS, import_osm, normalize_ref, read_osm
from almaty_scheme.cli import main
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError, OutputExistsError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "osm" / "almaty_sample.osm"
A = 6_378_137.0
E2 = 0.00669437999014


def _k(lon: float, lat: float) -> float:
    dl = math.radians(lon - 75.0) * math.cos(math.radians(lat))
    return 0.9996 * (1 + dl * dl / 2)


def _m_per_deg_lat(lat: float) -> float:
    s2 = math.sin(math.radians(lat)) ** 2
    return A * (1 - E2) / (1 - E2 * s2) ** 1.5 * math.pi / 180


def _m_per_deg_lon(lat: float) -> float:
    s2 = math.sin(math.radians(lat)) ** 2
    return A * math.cos(math.radians(lat)) / (1 - E2 * s2) ** 0.5 * math.pi / 180


def _meridional_m(lon: float, lat0: float, lat1: float) -> float:
    mid = (lat0 + lat1) / 2
    return _m_per_deg_lat(mid) * (lat1 - lat0) * _k(lon, mid)


def _square_ha(lon0: float, lat0: float, size: float) -> float:
    lat, lon = lat0 + size / 2, lon0 + size / 2
    area = _m_per_deg_lat(lat) * size * _m_per_deg_lon(lat) * size * _k(lon, lat) ** 2
    return area / 1e4


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return read_osm(FIXTURE).layers


def _by_osm(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    return gdf.set_index("osm_id")


def test_layer_counts(layers: dict[str, gpd.GeoDataFrame]) -> None:
    counts = {name: len(gdf) for name, gdf in layers.items()}
    assert counts == {
        "rivers": 4,  # river, stream, canal, odd-named river; not the ditch
        "water_bodies": 4,  # reservoir, untyped water, landuse=reservoir, lake relation
        "roads": 6,  # not residential, not primary_link
        "railways": 2,  # rail and a siding; not abandoned
        "power_lines": 5,  # not power=cable
        "gas_pipelines": 3,  # substance=gas x2 and old type=gas
        "water_mains": 2,  # water and drinking_water; not oil
        "protected_areas": 3,  # protected_area, nature_reserve, national_park relation
        "settlements": 5,  # not place=locality; the area-only village as a point
    }


def test_schema_crs_and_provenance(layers: dict[str, gpd.GeoDataFrame]) -> None:
    for name, gdf in layers.items():
        spec = BASE_LAYERS[name]
        assert CRS.from_user_input(gdf.crs) == WORKING_CRS
        assert list(gdf.columns[: len(PROVENANCE_COLUMNS) + len(spec.columns)]) == [
            *PROVENANCE_COLUMNS,
            *spec.columns,
        ]
        assert set(gdf.geom_type) == {spec.geometry}, name
        assert (gdf["source"] == "OpenStreetMap extract almaty_sample.osm").all()
        assert (gdf["licence"] == "ODbL 1.0").all()
        assert (gdf["accuracy"] == "open data (OSM)").all()
        assert list(gdf["base_id"]) == [f"{name}:{i}" for i in range(len(gdf))]


def test_rivers(layers: dict[str, gpd.GeoDataFrame]) -> None:
    r = _by_osm(layers["rivers"])
    talgar = r.loc["way/101"]
    assert (talgar["name"], talgar["name_ru"], talgar["name_kk"], talgar["kind"]) == (
        "Талгар",
        "Талгар",
        "Талғар",
        "river",
    )
    assert talgar["length_km"] * 1000 == pytest.approx(
        _meridional_m(77.0, 43.50, 43.51) + _meridional_m(77.0, 43.51, 43.52), abs=0.05
    )
    assert talgar["length_km"] * 1000 == pytest.approx(2221.88, abs=0.05)
    assert r.loc["way/102", "kind"] == "stream"
    assert pd.isna(r.loc["way/102", "name_ru"])
    assert r.loc["way/103", "kind"] == "canal"
    assert r.loc["way/103", "name_ru"] == "Большой Алматинский канал"
    # quotes, a comma and "=>" inside a value survive the hstore round trip
    assert r.loc["way/105", "name"] == 'Арык "Новый", 2 => север'
    assert r.loc["way/102", "length_km"] * 1000 == pytest.approx(
        _meridional_m(77.01, 43.50, 43.51), abs=0.05
    )


def test_water_bodies(layers: dict[str, gpd.GeoDataFrame]) -> None:
    w = _by_osm(layers["water_bodies"])
    assert w.loc["way/110", "kind"] == "reservoir"
    assert w.loc["way/110", "name"] == "Капшагайское водохранилище"
    assert w.loc["way/111", "kind"] == "lake"  # natural=water without water=*
    assert w.loc["way/113", "kind"] == "reservoir"  # landuse=reservoir
    assert "way/112" not in w.index  # water=river: a riverbank area, not a water body
    assert w.loc["relation/201", "kind"] == "lake"
    assert w.loc["way/110", "area_ha"] == pytest.approx(_square_ha(77.00, 43.60, 0.01), rel=1e-4)
    assert w.loc["way/110", "area_ha"] == pytest.approx(89.69, abs=0.01)
    lake = _square_ha(77.10, 43.60, 0.02) - _square_ha(77.105, 43.605, 0.01)
    assert w.loc["relation/201", "area_ha"] == pytest.approx(lake, rel=1e-4)
    assert len(w.loc["relation/201", "geometry"].geoms[0].interiors) == 1


def test_roads(layers: dict[str, gpd.GeoDataFrame]) -> None:
    r = _by_osm(layers["roads"])
    assert set(r.index) == {"way/120", "way/121", "way/122", "way/123", "way/124", "way/126"}
    assert (r.loc["way/120", "ref"], r.loc["way/120", "ref_norm"]) == ("А-2", "А-2")
    assert (r.loc["way/121", "ref"], r.loc["way/121", "ref_norm"]) == ("M-36", "М-36")
    assert r.loc["way/122", "ref_norm"] == "КВ-15"
    assert r.loc["way/122", "category"] == "trunk_link"
    assert (r.loc["way/123", "ref"], r.loc["way/123", "ref_norm"]) == ("KB 15", "КВ-15")
    assert r.loc["way/124", "ref_norm"] == "А-3;М-39"
    assert r.loc["way/124", "int_ref"] == "E 40"
    assert r.loc["way/126", "name"] == "Талгарский тракт"
    assert r["rule_ids"].isna().all()


def test_railways(layers: dict[str, gpd.GeoDataFrame]) -> None:
    r = _by_osm(layers["railways"])
    main_line = r.loc["way/130"]
    assert (main_line["name"], main_line["tracks"], main_line["usage"]) == (
        "Алматы – Шу",
        2,
        "main",
    )
    assert main_line.geometry.length == pytest.approx(
        _meridional_m(77.2, 43.50, 43.51) + _meridional_m(77.2, 43.51, 43.52), abs=0.05
    )
    assert r.loc["way/132", "service"] == "siding"


def test_power_lines(layers: dict[str, gpd.GeoDataFrame]) -> None:
    p = _by_osm(layers["power_lines"])
    assert (p.loc["way/140", "voltage_kv"], p.loc["way/140", "voltages"]) == (220.0, "220;110")
    assert p.loc["way/141", "voltage_kv"] == 10.0
    assert p.loc["way/141", "power"] == "minor_line"
    assert p.loc["way/142", "voltage_kv"] == 500.0  # "500 kV" written with its unit
    assert pd.isna(p.loc["way/143", "voltage_kv"])
    assert p.loc["way/145", "voltage_kv"] == pytest.approx(0.4)  # volts, as OSM defines
    assert "below 1 kV" in p.loc["way/145", "voltage_note"]
    assert "way/144" not in p.index


def test_pipelines(layers: dict[str, gpd.GeoDataFrame]) -> None:
    g = _by_osm(layers["gas_pipelines"])
    assert list(g.loc[["way/150", "way/151", "way/154"], "diameter_mm"]) == [1020.0, 530.0, 1420.0]
    assert list(g.loc[["way/150", "way/151", "way/154"], "nominal_diameter_mm"]) == [
        1000.0,
        500.0,
        1400.0,
    ]
    assert "derived from the outside diameter" in g.loc["way/150", "diameter_note"]
    assert g.loc["way/151", "pressure_mpa"] == pytest.approx(5.4)
    assert pd.isna(g.loc["way/150", "pressure_mpa"])
    w = _by_osm(layers["water_mains"])
    assert w.loc["way/152", "diameter_mm"] == 1020.0  # "1.02": metres
    assert w.loc["way/155", "diameter_mm"] == 500.0
    assert w["soil"].isna().all()


def test_protected_areas(layers: dict[str, gpd.GeoDataFrame]) -> None:
    p = _by_osm(layers["protected_areas"])
    assert p.loc["way/160", "kind"] == "national_park"  # protect_class=2
    assert p.loc["way/161", "kind"] == "nature_reserve"
    assert p.loc["relation/202", "kind"] == "national_park"
    assert p.loc["relation/202", "name"] == "Медеу"
    assert p.loc["way/160"].geometry.area / 1e4 == pytest.approx(
        _square_ha(77.00, 43.70, 0.01), rel=1e-4
    )


def test_settlements(layers: dict[str, gpd.GeoDataFrame]) -> None:
    s = _by_osm(layers["settlements"])
    assert list(s["status"]) == ["city", "village", "hamlet", "town", "village"]
    assert s.loc["node/200", "population"] == 2_000_900
    assert s.loc["node/201", "population"] == 29_000  # "29 000"
    assert s.loc["node/201", "name_ru"] == "Узынагаш"
    assert s.loc["node/204", "name"] == "Есик"  # no name=*, name:ru used
    assert "node/203" not in s.index  # place=locality is not a settlement
    area = (
        gpd.GeoSeries([shapely.box(77.10, 43.80, 77.11, 43.81)], crs=4326)
        .to_crs(WORKING_CRS)
        .iloc[0]
    )
    assert area.contains(s.loc["way/210"].geometry)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("А-2", "А-2"),
        ("A-2", "А-2"),
        ("M36", "М-36"),
        ("М 36", "М-36"),
        ("KB-15", "КВ-15"),
        ("кв-15", "КВ-15"),
        ("А-3; M-39", "А-3;М-39"),
        ("E 40", "Е-40"),
        ("", None),
    ],
)
def test_normalize_ref(ref: str, expected: str | None) -> None:
    assert normalize_ref(ref) == expected


def test_bbox_filter() -> None:
    got = read_osm(FIXTURE, bbox=(77.095, 43.49, 77.175, 43.52)).layers
    assert len(got["roads"]) == 6
    assert len(got["rivers"]) == 0
    assert len(got["settlements"]) == 0


def test_import_writes_every_layer(tmp_path: Path) -> None:
    out = tmp_path / "base.gpkg"
    counts = import_osm(FIXTURE, out).counts
    assert counts["roads"] == 6
    listed = {str(n): str(t) for n, t in pyogrio.list_layers(out)}
    assert set(listed) == {*OSM_LAYERS, LOG_LAYER}
    roads = gpd.read_file(out, layer="roads")
    assert CRS.from_user_input(roads.crs) == WORKING_CRS
    assert set(roads["ref_norm"].dropna()) == {"А-2", "М-36", "КВ-15", "А-3;М-39"}
    with pytest.raises(OutputExistsError):
        import_osm(FIXTURE, out)  # refused before the extract is read


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.gpkg"
    assert main(["-q", "import-osm", str(FIXTURE), "--out", str(out)]) == 0
    assert "roads" in capsys.readouterr().out
    assert main(["-q", "import-osm", str(FIXTURE), "--out", str(out)]) == 2
    assert (
        main(["-q", "import-osm", str(tmp_path / "none.osm"), "--out", str(tmp_path / "c.gpkg")])
        == 1
    )


def test_errors(tmp_path: Path) -> None:
    shp = tmp_path / "x.shp"
    shp.write_bytes(b"")
    with pytest.raises(DataError, match="not an OSM extract"):
        read_osm(shp)
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1' lat='x'")
    with pytest.raises(DataError, match=r"bad\.osm"):
        read_osm(bad)
