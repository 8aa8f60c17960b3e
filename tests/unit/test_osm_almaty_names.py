"""import-osm on a hand-written extract with the real Almaty names and road numbers
(tests/fixtures/osm/almaty_real_names.osm), broken features included, and bad input.

Expected values are read off the fixture and the catalogue: the A-2;M-39 road with
int_ref E 40 carries the Western Europe - Western China rule (refs М-39, А-2, E40) and
the Almaty - Bishkek rule (refs А-2, М-39); the А-3 road the Kapchagay section of the
Almaty - Ust-Kamenogorsk rule (refs А-3); the river "Үлкен Алматы" (name:ru "Большая
Алматинка") both Bolshaya Almatinka rules; "Түрген" both Turgen rules; the multipolygon
"Қапшағай су қоймасы" both Kapchagay rules. Areas on the ellipsoid as in test_osm.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from almaty_scheme.base.alignments import merge_roads
from almaty_scheme.base.attach import attach_road_rules, ref_tokens, rule_geometry
from almaty_scheme.base.model import BaseData, LayerProvenance, conform
from almaty_scheme.base.osm import OsmImport, read_osm
from almaty_scheme.catalogue.loader import default_catalogue
from almaty_scheme.cli import main
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "osm"
FIXTURE = FIXTURES / "almaty_real_names.osm"
A = 6_378_137.0
E2 = 0.00669437999014


def _rect_ha(lon0: float, lat0: float, dlon: float, dlat: float) -> float:
    lat, lon = lat0 + dlat / 2, lon0 + dlon / 2
    s2 = math.sin(math.radians(lat)) ** 2
    m_lat = A * (1 - E2) / (1 - E2 * s2) ** 1.5 * math.pi / 180
    m_lon = A * math.cos(math.radians(lat)) / (1 - E2 * s2) ** 0.5 * math.pi / 180
    dl = math.radians(lon - 75.0) * math.cos(math.radians(lat))
    k = 0.9996 * (1 + dl * dl / 2)
    return m_lat * dlat * m_lon * dlon * k * k / 1e4


@pytest.fixture(scope="module")
def result() -> OsmImport:
    return read_osm(FIXTURE)


def _by(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    return gdf.set_index("osm_id")


def test_counts_skips_and_repairs(result: OsmImport) -> None:
    assert result.counts == {
        "rivers": 2,
        "water_bodies": 2,  # Kapchagay (relation) + the repaired bow-tie lake
        "roads": 2,  # way/171 is skipped
        "railways": 1,
        "power_lines": 2,
        "gas_pipelines": 3,
        "water_mains": 0,
        "protected_areas": 1,
        "settlements": 1,
    }
    skipped = {s.osm_id: s.reason for s in result.stats.skipped}
    assert set(skipped) == {"way/171", "relation/202", "relation/203"}
    assert "missing node locations inside the way" in skipped["way/171"]
    assert skipped["relation/202"].startswith("broken area")
    assert skipped["relation/203"].startswith("multipolygon not assembled")
    assert result.stats.repaired == ["way/151"]
    table = result.log_table()
    assert len(table) == 3 + 1 + 2
    assert set(table["outcome"]) == {"skipped", "repaired", "tag problem"}


def test_reservoir_multipolygon_with_island(result: OsmImport) -> None:
    w = _by(result.layers["water_bodies"])
    kap = w.loc["relation/201"]
    assert (kap["kind"], kap["name"], kap["name_ru"], kap["name_en"]) == (
        "reservoir",
        "Қапшағай су қоймасы",
        "Капчагайское водохранилище",
        "Kapchagay Reservoir",
    )
    expected = _rect_ha(77.30, 43.70, 0.20, 0.10) - _rect_ha(77.40, 43.75, 0.01, 0.01)
    assert kap["area_ha"] == pytest.approx(expected, rel=2e-4)
    assert len(kap.geometry.geoms[0].interiors) == 1
    # the bow tie 72-73-74-75 is two triangles: half of its 0.01 deg square
    assert w.loc["way/151", "area_ha"] == pytest.approx(
        _rect_ha(77.10, 43.90, 0.01, 0.01) / 2, rel=2e-4
    )


def test_names_in_every_script_and_cited_tags(result: OsmImport) -> None:
    r = _by(result.layers["rivers"])
    ulken = r.loc["way/101"]
    assert (ulken["name"], ulken["name_ru"], ulken["name_kk"], ulken["name_en"]) == (
        "Үлкен Алматы",
        "Большая Алматинка",
        "Үлкен Алматы",
        "Ulken Almaty",
    )
    assert ulken["old_name"] == "Большая Алматинка"
    assert "waterway=river" in ulken["osm_tags"]
    s = _by(result.layers["settlements"]).loc["node/90"]
    assert (s["name_en"], s["old_name"], s["population"]) == ("Almaty", "Алма-Ата", 2_000_900)
    p = _by(result.layers["protected_areas"]).loc["way/160"]
    assert (p["kind"], p["protect_class"], p["name_ru"]) == (
        "national_park",
        "2",
        "Иле-Алатауский национальный парк",
    )
    assert "protect_class=2" in p["osm_tags"]


def test_values_and_wrong_types(result: OsmImport) -> None:
    p = _by(result.layers["power_lines"])
    assert (p.loc["way/120", "voltage_kv"], p.loc["way/120", "voltages"]) == (110.0, "110")
    assert pd.isna(p.loc["way/121", "voltage_kv"])
    assert "voltage=high is not a voltage" in p.loc["way/121", "voltage_note"]
    g = _by(result.layers["gas_pipelines"])
    assert (g.loc["way/130", "diameter_mm"], g.loc["way/130", "nominal_diameter_mm"]) == (530, 500)
    assert g.loc["way/130", "pressure_mpa"] == pytest.approx(5.4)
    # DN500mm is a nominal diameter: DN 500, outside 530 mm (OD->DN table)
    assert (g.loc["way/131", "diameter_mm"], g.loc["way/131", "nominal_diameter_mm"]) == (530, 500)
    assert pd.isna(g.loc["way/132", "diameter_mm"])
    assert dict(result.tag_problems) == {
        "way/121": "voltage=high is not a voltage in volts; voltage unknown",
        "way/132": "diameter=big is not a diameter; DN unknown",
    }


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("A-2;M-39", {"А-2", "М-39"}), ("E 40", {"Е-40"}), ("E40", {"Е-40"}), ("", set())],
)
def test_ref_tokens(ref: str, expected: set[str]) -> None:
    assert ref_tokens(ref) == expected


def test_rules_attach_to_real_geometry(result: OsmImport) -> None:
    cat = default_catalogue()
    roads = attach_road_rules(result.layers["roads"], [r for r in cat if r.family == "roads"])
    ids = dict(zip(roads["osm_id"], roads["rule_ids"], strict=True))
    assert set(ids["way/110"].split(",")) == {
        "roads.western_europe_western_china",
        "roads.almaty_bishkek.bakad_uzynagash",
    }
    assert ids["way/111"] == "roads.almaty_ust_kamenogorsk.bakad_kapchagay_zhana_ile"
    base = BaseData()
    for name, gdf in result.layers.items():
        base.set(name, roads if name == "roads" else gdf, LayerProvenance(name, "loaded", "t"))
    entries = {e["rule_id"]: e for e in rule_geometry(base, cat)}
    real = {k for k, e in entries.items() if e["status"] == "real"}
    assert real == {
        "roads.western_europe_western_china",
        "roads.almaty_bishkek.bakad_uzynagash",
        "roads.almaty_ust_kamenogorsk.bakad_kapchagay_zhana_ile",
        "water_protection.kapchagay.zone",
        "water_protection.kapchagay.strip",
        "water_protection.bolshaya_almatinka.zone",
        "water_protection.bolshaya_almatinka.strip",
        "water_protection.turgen.zone",
        "water_protection.turgen.strip",
    }
    assert entries["water_protection.kapchagay.zone"]["ids"] == ["relation/201"]
    assert entries["water_protection.aksai.zone"]["status"] == "none"


# --------------------------------------------------------------------------- bad input


def test_not_osm(tmp_path: Path) -> None:
    fake = tmp_path / "kazakhstan.osm.pbf"
    fake.write_text("this is a CSV, not a PBF\n1,2,3\n")
    with pytest.raises(DataError, match=r"Cannot read kazakhstan\.osm\.pbf as an OpenStreetMap"):
        read_osm(fake)
    xml = tmp_path / "x.osm"
    xml.write_text("<html><body>not osm</body></html>")
    with pytest.raises(DataError, match=r"x\.osm"):
        read_osm(xml)


def test_unsorted_file_says_how_to_sort(tmp_path: Path) -> None:
    bad = tmp_path / "unsorted.osm"
    bad.write_text(
        '<osm version="0.6"><node id="2" lat="43" lon="77"/><node id="1" lat="43" lon="77.1"/>'
        '<way id="5"><nd ref="1"/><nd ref="2"/><tag k="highway" v="trunk"/></way>'
        '<way id="4"><nd ref="1"/><nd ref="2"/><tag k="highway" v="trunk"/></way></osm>'
    )
    with pytest.raises(DataError, match="osmium sort"):
        read_osm(bad)


def test_no_feature_in_box_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(DataError, match="No mapped feature in the box") as err:
        read_osm(FIXTURE, bbox=(10.0, 10.0, 11.0, 11.0))
    assert "76.0000" in str(err.value)  # the extent of what the extract holds
    out = tmp_path / "o.gpkg"
    code = main(
        ["-q", "import-osm", str(FIXTURE), "--out", str(out), "--bbox", "10", "10", "11", "11"]
    )
    assert code == 1
    assert not out.exists()  # no empty output reported as success
    assert "error:" in capsys.readouterr().err


def test_empty_extract_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.osm"
    empty.write_text('<osm version="0.6"><node id="1" lat="43" lon="77"/></osm>')
    with pytest.raises(DataError, match="no feature to import"):
        read_osm(empty)


def test_bbox_clips(result: OsmImport) -> None:
    # the Almaty - Bishkek road runs west from 76.80 to 76.00 E along 43.20 N
    got = read_osm(FIXTURE, bbox=(76.3, 43.0, 76.7, 43.3))
    roads = _by(got.layers["roads"])
    assert list(roads.index) == ["way/110"]
    assert bool(roads.loc["way/110", "clipped"])
    full = _by(result.layers["roads"]).loc["way/110"].geometry.length
    assert roads.loc["way/110"].geometry.length == pytest.approx(full / 2, rel=2e-3)
    assert got.stats.outside_bbox > 0


def test_cli_reports_skips_repairs_time_and_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.gpkg"
    assert main(["-q", "import-osm", str(FIXTURE), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "skipped 3 broken features:" in text
    assert "e.g. relation/203: multipolygon not assembled" in text
    assert "repaired 1 geometries" in text
    assert "way/121: voltage=high is not a voltage in volts" in text
    assert "peak memory" in text and "read in" in text
    log_rows = gpd.read_file(out, layer="osm_import_log")
    assert sorted(log_rows["osm_id"]) == [
        "relation/202",
        "relation/203",
        "way/121",
        "way/132",
        "way/151",
        "way/171",
    ]


def test_real_roads_replace_schematic_alignments_rule_by_rule(result: OsmImport) -> None:
    cat = default_catalogue()
    road_rules = [r for r in cat if r.family == "roads"]
    schematic = conform(
        "roads",
        gpd.GeoDataFrame(
            {
                "rule_ids": ["roads.almaty_bishkek.bakad_uzynagash", "roads.almaty_khorgos_local"],
                "accuracy": ["schematic from scheme text"] * 2,
                "source": ["layers/alignments.yaml"] * 2,
            },
            geometry=[
                shapely.LineString([(650_000, 4_780_000), (640_000, 4_780_000)]),
                shapely.LineString([(660_000, 4_790_000), (680_000, 4_800_000)]),
            ],
            crs=WORKING_CRS,
        ),
    )
    real = attach_road_rules(result.layers["roads"], road_rules)
    merged = merge_roads(real, schematic, road_rules)
    assert sorted(merged["accuracy"]) == [
        "open data (OSM)",
        "open data (OSM)",
        "schematic from scheme text",
    ]
    left = merged[merged["accuracy"] == "schematic from scheme text"]
    assert list(left["rule_ids"]) == ["roads.almaty_khorgos_local"]  # no real Khorgos road
    base = BaseData()
    base.set("roads", merged, LayerProvenance("roads", "loaded", "t"))
    entries = {e["rule_id"]: e["status"] for e in rule_geometry(base, road_rules)}
    assert entries["roads.almaty_bishkek.bakad_uzynagash"] == "real"
    assert entries["roads.almaty_khorgos_local"] == "schematic"
    assert entries["roads.new_kuldzha.city_bakad"] == "none"


def test_unknown_location_index_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "o.gpkg"
    args = ["-q", "import-osm", str(FIXTURE), "--out", str(out), "--location-index", "nope"]
    assert main(args) == 2
    assert not out.exists()
    got = read_osm(FIXTURE, storage="sparse_file_array," + str(tmp_path / "nodes.bin"))
    assert got.counts["roads"] == 2
