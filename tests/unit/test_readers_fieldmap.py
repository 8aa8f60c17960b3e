"""Field maps, unit conversion and read_base_layer."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from almaty_scheme.base.fieldmaps import apply_field_map, load_field_map
from almaty_scheme.base.model import BASE_LAYERS, PROVENANCE_COLUMNS
from almaty_scheme.base.read import read_base_layer
from almaty_scheme.errors import DataError
from almaty_scheme.io.readers import parse_diameter_mm, parse_voltages_kv

FIX = Path(__file__).parents[1] / "fixtures" / "readers"


def _lines(n: int) -> list[shapely.LineString]:
    """n parallel 1 km lines, 100 m apart, in UTM 43N."""
    return [
        shapely.LineString([(500_000, 4_800_000 + 100 * i), (501_000, 4_800_000 + 100 * i)])
        for i in range(n)
    ]


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("220000;110000", None, [220.0, 110.0]),
        (220000, None, [220.0]),
        (110, None, [110.0]),
        ("110 kV", None, [110.0]),
        ("35/10 кВ", None, [35.0, 10.0]),
        ("500", "V", [0.5]),
        (1150, None, [1150.0]),
        ("", None, []),
        (None, None, []),
    ],
)
def test_parse_voltages(value: object, unit: str | None, expected: list[float]) -> None:
    assert parse_voltages_kv(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("1020", None, 1020.0),
        ("1.02 m", None, 1020.0),
        ("1,02 м", None, 1020.0),
        ("530 mm", None, 530.0),
        ("530 мм", None, 530.0),
        (1.42, None, 1420.0),
        ("DN500", None, 500.0),
        ('42"', None, 1066.8),
        ("530;1020", None, 1020.0),
        (0.53, "m", 530.0),
        ("", None, None),
        (None, None, None),
    ],
)
def test_parse_diameter(value: object, unit: str | None, expected: float | None) -> None:
    got = parse_diameter_mm(value, unit)
    assert got == (pytest.approx(expected) if expected is not None else None)


@given(st.integers(min_value=6, max_value=3000))
def test_diameter_mm_text_is_identity(mm: int) -> None:
    assert parse_diameter_mm(f"{mm} mm") == mm
    assert parse_diameter_mm(f"{mm / 1000} m") == pytest.approx(mm)


# --------------------------------------------------------------------------- field maps


def test_load_field_map() -> None:
    fm = load_field_map(FIX / "field_map.yaml")
    assert fm["power_lines"]["voltage_kv"].column == "NAPR"
    assert fm["gas_pipelines"]["diameter_mm"].unit == "m"


def test_bad_field_map_lists_every_problem() -> None:
    with pytest.raises(DataError) as err:
        load_field_map(FIX / "bad_field_map.yaml")
    problems = err.value.problems
    assert len(problems) == 4
    text = "\n".join(problems)
    assert "'power_line' is not a base layer (did you mean 'power_lines'?)" in text
    assert "diametre_mm" in text and "did you mean 'diameter_mm'" in text
    assert "unit 'psi' unknown" in text
    assert "gas_pipelines.name" in text


def test_missing_field_map_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_field_map(tmp_path / "nope.yaml")


def test_apply_field_map_renames_and_aliases() -> None:
    gdf = gpd.GeoDataFrame(
        {"napr": [110], "Название": ["ВЛ-110 Алматы-Талгар"], "extra": [1]},
        geometry=_lines(1),
        crs=32643,
    )
    out = apply_field_map(gdf, "power_lines", {"power_lines": {"voltage_kv": "NAPR"}})
    assert "voltage_kv" in out.columns and "name" in out.columns  # case-insensitive + alias
    assert out["name"].iloc[0] == "ВЛ-110 Алматы-Талгар"
    assert "extra" in out.columns


def test_apply_field_map_missing_column() -> None:
    gdf = gpd.GeoDataFrame({"NAPR": [110]}, geometry=_lines(1), crs=32643)
    with pytest.raises(DataError) as err:
        apply_field_map(gdf, "power_lines", {"voltage_kv": "NAPRJ"})
    assert "did you mean NAPR" in str(err.value)


# --------------------------------------------------------------------------- read_base_layer


def test_read_base_layer_power_lines_from_shapefile(tmp_path: Path) -> None:
    path = tmp_path / "vl.shp"
    gdf = gpd.GeoDataFrame(
        {"NAPR": ["220000;110000", "35", ""], "NAME": ["ВЛ-220", "ВЛ-35", "?"]},
        geometry=_lines(3),
        crs=32643,
    )
    pyogrio.write_dataframe(gdf, path, encoding="cp1251")
    path.with_suffix(".cpg").unlink()
    out = read_base_layer(path, "power_lines", field_map=FIX / "field_map.yaml", licence="internal")
    cols = [*PROVENANCE_COLUMNS, *BASE_LAYERS["power_lines"].columns]
    assert list(out.columns[: len(cols)]) == cols
    assert list(out["voltage_kv"].iloc[:2]) == [220.0, 35.0]
    assert pd.isna(out["voltage_kv"].iloc[2])
    assert out["voltages"].iloc[0] == "220;110"
    assert list(out["name"]) == ["ВЛ-220", "ВЛ-35", "?"]
    assert list(out["base_id"]) == ["power_lines:0", "power_lines:1", "power_lines:2"]
    assert (out["source"] == "user file vl.shp").all()
    assert (out["licence"] == "internal").all()
    assert (out["accuracy"] == "user data (accuracy not stated)").all()
    assert set(out.geom_type) == {"MultiLineString"}


def test_read_base_layer_gas_diameters_in_metres(tmp_path: Path) -> None:
    path = tmp_path / "gas.gpkg"
    gdf = gpd.GeoDataFrame(
        {"DIAM": [1.02, 0.53], "NAIM": ["МГ Бухара-Ташкент-Бишкек-Алматы", "отвод"]},
        geometry=_lines(2),
        crs=32643,
    )
    pyogrio.write_dataframe(gdf, path)
    out = read_base_layer(
        path,
        "gas_pipelines",
        field_map=FIX / "field_map.yaml",
        source="КазТрансГаз",
        accuracy="survey 1:2000",
    )
    assert list(out["diameter_mm"]) == pytest.approx([1020.0, 530.0])
    assert out["name"].iloc[0] == "МГ Бухара-Ташкент-Бишкек-Алматы"
    assert (out["source"] == "КазТрансГаз").all()


def test_read_base_layer_rivers_length_km_and_lonlat(tmp_path: Path) -> None:
    path = tmp_path / "rivers.geojson"
    # lines along the equator from the UTM 43N central meridian: 1 km = about 0.009 deg
    gpd.GeoDataFrame({"name": ["Аксай"]}, geometry=_lines(1), crs=32643).to_crs(4326).to_file(path)
    out = read_base_layer(path, "rivers")
    assert out["length_km"].iloc[0] == pytest.approx(1.0, abs=1e-6)
    assert out["name"].iloc[0] == "Аксай"


def test_read_base_layer_wrong_geometry(tmp_path: Path) -> None:
    path = tmp_path / "pts.gpkg"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame(geometry=[shapely.Point(500_000, 4_800_000)], crs=32643), path
    )
    with pytest.raises(DataError, match="Point, but roads needs LineString or MultiLineString"):
        read_base_layer(path, "roads")


def test_read_base_layer_unknown_layer(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a base layer"):
        read_base_layer(tmp_path / "x.gpkg", "highways")


def test_read_base_layer_keeps_user_source_column_aside(tmp_path: Path) -> None:
    path = tmp_path / "r.gpkg"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"source": ["survey"], "REF": ["А-2"]}, geometry=_lines(1), crs=32643),
        path,
    )
    out = read_base_layer(path, "roads")
    assert out["source"].iloc[0] == "user file r.gpkg"
    assert out["source_orig"].iloc[0] == "survey"
    assert out["ref"].iloc[0] == "А-2"
