"""``build --zone-layer RULE_ID=PATH[:add]``: official polygons replace or join a rule's zones.

Geometries are squares in EPSG:32643, so areas are exact: a 1 km square is 1 000 000 m².
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from almaty_scheme.catalogue.loader import default_catalogue
from almaty_scheme.cli import main
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import CRSError, DataError, UsageError
from almaty_scheme.restrictions.bands import rule_attributes
from almaty_scheme.restrictions.frames import zones_frame
from almaty_scheme.restrictions.notes import LayerNote
from almaty_scheme.restrictions.official import (
    ZoneLayerSpec,
    apply_official_zones,
    load_official_zones,
    parse_zone_layer,
)

RULE = "water_protection.bolshaya_almatinka.zone"
X0, Y0 = 650_000.0, 4_780_000.0


def _square(x: float, y: float, side: float = 1000.0) -> shapely.Polygon:
    return shapely.box(x, y, x + side, y + side)


def _write(
    tmp_path: Path, geoms: list[object], name: str = "zones.gpkg", crs: object = WORKING_CRS
) -> Path:
    path = tmp_path / name
    gdf = gpd.GeoDataFrame(
        {"name": [f"zone {i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs
    )
    gdf.to_file(path)
    return path


def _drawn() -> dict[str, gpd.GeoDataFrame]:
    cat = default_catalogue()
    recs = [
        {**rule_attributes(cat.get(RULE)), "accuracy": "open data (OSM)", "certainty": "certain"},
        {**rule_attributes(cat.get(RULE)), "accuracy": "open data (OSM)", "certainty": "possible"},
        {
            **rule_attributes(cat.get("water_protection.turgen.zone")),
            "accuracy": "open data (OSM)",
            "certainty": "certain",
        },
    ]
    geoms = [_square(0, 0, 2000), _square(3000, 0), _square(6000, 0)]
    return {"water_protection_zones": zones_frame(recs, geoms)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{RULE}=a.gpkg", ZoneLayerSpec(RULE, Path("a.gpkg"), "replace")),
        (f"{RULE}=dir/a.gpkg:add", ZoneLayerSpec(RULE, Path("dir/a.gpkg"), "add")),
        (f"{RULE}=a.shp:replace", ZoneLayerSpec(RULE, Path("a.shp"), "replace")),
    ],
)
def test_parse(value: str, expected: ZoneLayerSpec) -> None:
    assert parse_zone_layer(value) == expected


@pytest.mark.parametrize("value", ["a.gpkg", "=a.gpkg", f"{RULE}=", f"{RULE}=:add"])
def test_parse_errors(value: str) -> None:
    with pytest.raises(UsageError, match="RULE_ID=PATH"):
        parse_zone_layer(value)


def test_replace_drops_the_drawn_zones_of_that_rule_only(tmp_path: Path) -> None:
    path = _write(tmp_path, [_square(X0, Y0), _square(X0 + 2000, Y0, 500)])
    official = load_official_zones([parse_zone_layer(f"{RULE}={path}")], default_catalogue())
    layers = _drawn()
    notes: list[LayerNote] = []
    apply_official_zones(layers, official, notes)
    z = layers["water_protection_zones"]
    mine = z[z["rule_id"] == RULE]
    assert list(mine["accuracy"]) == ["official", "official"]
    assert list(mine.geometry.area) == [1_000_000.0, 250_000.0]
    assert set(mine["source"]) == {str(path)}
    assert list(mine["source_fid"]) == ["1", "2"]
    assert list(mine["name"]) == ["zone 0", "zone 1"]
    assert mine["width_m"].isna().all()
    assert set(mine["certainty"]) == {"certain"}
    assert mine["citation"].iloc[0] == default_catalogue().get(RULE).citation()
    assert (z["rule_id"] == "water_protection.turgen.zone").sum() == 1  # untouched
    assert "replace the 2 drawn feature(s)" in notes[0].message


def test_add_keeps_the_drawn_zones(tmp_path: Path) -> None:
    path = _write(tmp_path, [_square(X0, Y0)])
    official = load_official_zones([parse_zone_layer(f"{RULE}={path}:add")], default_catalogue())
    layers = _drawn()
    apply_official_zones(layers, official, [])
    mine = layers["water_protection_zones"]
    mine = mine[mine["rule_id"] == RULE]
    assert sorted(mine["accuracy"]) == ["official", "open data (OSM)", "open data (OSM)"]


def test_reprojected_from_lon_lat(tmp_path: Path) -> None:
    square = gpd.GeoSeries([_square(X0, Y0)], crs=WORKING_CRS).to_crs(4326)
    path = _write(tmp_path, list(square), name="wgs84.geojson", crs=4326)
    (oz,) = load_official_zones([parse_zone_layer(f"{RULE}={path}")], default_catalogue())
    assert oz.zones.crs == WORKING_CRS
    assert oz.zones.geometry.area.iloc[0] == pytest.approx(1_000_000.0, rel=1e-6)


def test_bad_files(tmp_path: Path) -> None:
    cat = default_catalogue()
    lines = _write(tmp_path, [shapely.LineString([(X0, Y0), (X0 + 10, Y0)])], name="l.gpkg")
    with pytest.raises(DataError, match=r"not polygons \(rows 1\)"):
        load_official_zones([parse_zone_layer(f"{RULE}={lines}")], cat)
    with pytest.raises(DataError, match="not found"):
        load_official_zones([parse_zone_layer(f"{RULE}={tmp_path / 'none.gpkg'}")], cat)
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage")
    with pytest.raises(DataError):
        load_official_zones([parse_zone_layer(f"{RULE}={junk}")], cat)
    nocrs = tmp_path / "nocrs.csv"
    nocrs.write_text('name,wkt\nz,"POLYGON((0 0,1 0,1 1,0 1,0 0))"\n')
    with pytest.raises(CRSError):
        load_official_zones([parse_zone_layer(f"{RULE}={nocrs}")], cat)
    with pytest.raises(
        UsageError, match=r"did you mean water_protection\.bolshaya_almatinka\.zone"
    ):
        load_official_zones(
            [parse_zone_layer(f"water_protection.bolshaya_almatinka.zon={junk}")], cat
        )


def test_invalid_polygon_is_repaired(tmp_path: Path) -> None:
    bow = shapely.Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    path = _write(tmp_path, [bow])
    (oz,) = load_official_zones([parse_zone_layer(f"{RULE}={path}")], default_catalogue())
    assert oz.zones.geometry.is_valid.all()
    assert oz.zones.geometry.area.iloc[0] == pytest.approx(500_000.0)  # two triangles


def test_cli_refuses_bad_zone_layer_before_building(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.gpkg"
    code = main(["-q", "build", "--out", str(out), "--zone-layer", "roads.nope=a.gpkg"])
    assert code == 2
    assert "no such rule" in capsys.readouterr().err
    lines = _write(tmp_path, [shapely.LineString([(X0, Y0), (X0 + 10, Y0)])], name="l.gpkg")
    assert main(["-q", "build", "--out", str(out), "--zone-layer", f"{RULE}={lines}"]) == 1
    assert not out.exists()
