"""Analyst data in the build: an OSM import feeds base layers the open data lacks."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from almaty_scheme.base.assemble import base_package_layers, same_name_layer
from almaty_scheme.cli import main
from almaty_scheme.errors import DataError
from almaty_scheme.resources import default_data_dir

DATA = default_data_dir()
FIXTURE = Path(__file__).parents[1] / "fixtures" / "osm" / "almaty_sample.osm"


@pytest.fixture(scope="module")
def osm_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("osm") / "osm_base.gpkg"
    assert main(["import-osm", str(FIXTURE), "--out", str(out)]) == 0
    return out


def test_base_package_layers_lists_non_empty_canonical_layers(osm_base: Path) -> None:
    found = base_package_layers(osm_base)
    assert set(found) == {
        "rivers",
        "water_bodies",
        "roads",
        "railways",
        "power_lines",
        "gas_pipelines",
        "water_mains",
        "protected_areas",
        "settlements",
    }
    assert same_name_layer(osm_base, "power_lines") == "power_lines"
    assert same_name_layer(osm_base, "no_such_layer") is None


def test_a_package_without_base_layers_is_refused(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    p = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=32643).to_file(
        p, layer="something_else"
    )
    with pytest.raises(DataError, match="holds no base layer"):
        base_package_layers(p)


@pytest.mark.integration
@pytest.mark.skipif(
    not (DATA / "almaty_reference.gpkg").is_file(), reason=f"reference data not found in {DATA}"
)
def test_build_uses_power_lines_from_an_osm_import(osm_base: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.gpkg"
    rc = main(
        [
            "-q",
            "build",
            "--base-layer",
            f"power_lines={osm_base}",
            "--base-layer",
            f"water_mains={osm_base}",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    lines = pyogrio.read_dataframe(out, layer="base_power_lines")
    assert len(lines) == pyogrio.read_info(osm_base, layer="power_lines")["features"]
    assert lines["source"].str.contains("OpenStreetMap").all()
    zones = pyogrio.read_dataframe(out, layer="power_line_zones")
    assert len(zones) > 0
    assert set(zones["source_layer"]) == {"power_lines"}
    assert zones["accuracy"].str.contains("OSM").all()
