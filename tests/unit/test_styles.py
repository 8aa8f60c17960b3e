"""Styles: the spec, the generated QML/SLD files, and embedding them in GeoPackages."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError
from almaty_scheme.io.gpkg import write_layers
from almaty_scheme.qgis.qml import qml_text, rgba
from almaty_scheme.qgis.sld import sld_text
from almaty_scheme.qgis.spec import (
    VERDICTS,
    default_spec,
    field_aliases,
    load_spec,
    style_classes,
    styled_layer_names,
)
from almaty_scheme.qgis.styles import (
    STYLE_TABLE,
    default_styles,
    embed_styles,
    generated_styles,
    style_finalizer,
)
from almaty_scheme.resources import styles_dir
from almaty_scheme.restrictions.schema import LAYER_NAMES, ZONE_COLUMNS

SLD_NS = {
    "se": "http://www.opengis.net/se",
    "ogc": "http://www.opengis.net/ogc",
    "sld": "http://www.opengis.net/sld",
}


def test_every_written_layer_has_a_style() -> None:
    spec = default_spec()
    missing = [n for n in styled_layer_names() if n not in spec.layers]
    assert missing == [], f"add these layers to styles/styles.yaml: {missing}"


def test_committed_files_match_the_spec() -> None:
    """styles/*.qml|sld are generated; regenerate with python -m almaty_scheme.qgis.styles --write."""
    stale = [
        f
        for f, text in generated_styles().items()
        if not (styles_dir() / f).is_file()
        or (styles_dir() / f).read_text(encoding="utf-8") != text
    ]
    assert stale == []


def test_rgba_conversion() -> None:
    assert rgba("#ff8000") == "255,128,0,255"
    assert rgba("#000000", 0.45) == "0,0,0,115"


@pytest.mark.parametrize(
    "layer", [n for n in LAYER_NAMES if n not in ("boundary", "functional_zones")]
)
def test_zone_layers_are_categorized_by_certainty(layer: str) -> None:
    root = ET.fromstring(qml_text(layer).split("\n", 1)[1])
    r = root.find("renderer-v2")
    assert r is not None and r.get("type") == "categorizedSymbol" and r.get("attr") == "certainty"
    cats = [(c.get("value"), c.get("symbol")) for c in r.iter("category")]
    assert [v for v, _ in cats] == ["certain", "possible", ""]
    symbols = {s.get("name"): s for s in r.find("symbols")}  # type: ignore[union-attr]
    # certain: one solid fill; possible: outline + line-pattern hatch
    assert [lyr.get("class") for lyr in symbols["0"].findall("layer")] == ["SimpleFill"]
    assert [lyr.get("class") for lyr in symbols["1"].findall("layer")] == [
        "SimpleFill",
        "LinePatternFill",
    ]
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert set(ZONE_COLUMNS) <= set(aliases)
    assert aliases["certainty"] == "Достоверность"
    assert root.get("labelsEnabled") == "1"
    rendering = root.find("labeling/settings/rendering")
    assert rendering is not None and rendering.get("scaleVisibility") == "1"


def test_functional_zones_rules_follow_the_four_groups() -> None:
    root = ET.fromstring(qml_text("functional_zones").split("\n", 1)[1])
    rules = root.find("renderer-v2/rules")
    assert rules is not None
    top = [r.get("filter") for r in rules.findall("rule")]
    assert top == [
        "\"functional_group\" = 'intensive'",
        "\"functional_group\" = 'extensive'",
        "\"functional_group\" = 'limited'",
        "\"functional_group\" = 'special'",
        "ELSE",
    ]
    first = rules.findall("rule")[0]
    assert first.get("label") == "1 Интенсивное освоение / Intensive development"
    assert [c.get("filter") for c in first.findall("rule")] == [
        "\"certainty\" = 'certain'",
        "\"certainty\" = 'possible'",
    ]
    assert root.findtext("layerOpacity") == "0.35"


def test_parcels_use_verdict_colours() -> None:
    classes = style_classes("parcels")
    assert [c.where[0] for c in classes] == [("verdict", v) for v in VERDICTS]
    assert classes[0].symbol.colour == "#d7191c"  # prohibited: red
    aliases = field_aliases("parcels")
    assert aliases["verdict"] == "Заключение"
    assert aliases["near_roads_m"].startswith("Расстояние до ближайшей зоны (roads)")


def test_scale_dependent_visibility_of_footprints() -> None:
    root = ET.fromstring(qml_text("base_settlement_footprints").split("\n", 1)[1])
    assert root.get("hasScaleBasedVisibilityFlag") == "1"
    assert root.get("minScale") == "1500000"


def test_sld_has_one_rule_per_class_plus_labels() -> None:
    root = ET.fromstring(sld_text("road_corridors").split("\n", 1)[1])
    rules = root.findall(".//se:Rule", SLD_NS)
    assert len(rules) == len(style_classes("road_corridors")) + 1
    literals = [e.text for e in root.findall(".//ogc:PropertyIsEqualTo/ogc:Literal", SLD_NS)]
    assert literals == ["certain", "possible"]
    assert root.find(".//se:ElseFilter", SLD_NS) is not None
    assert root.find(".//se:TextSymbolizer", SLD_NS) is not None
    fz = ET.fromstring(sld_text("functional_zones").split("\n", 1)[1])
    assert len(fz.findall(".//ogc:And", SLD_NS)) == 8


def test_malformed_spec_lists_problems(tmp_path: Path) -> None:
    text = (styles_dir() / "styles.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "styles.yaml"
    bad.write_text(text.replace("renderer: certainty", "rendrer: certainty", 1), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_spec(bad)
    assert any("rendrer" in p for p in err.value.problems)


# ---- embedding -------------------------------------------------------------------------


def _two_layers(path: Path) -> Path:
    zones = gpd.GeoDataFrame(
        {"certainty": ["certain"], "name": ["a"]},
        geometry=[shapely.box(0, 0, 10, 10)],
        crs=WORKING_CRS,
    )
    roads = gpd.GeoDataFrame(
        {"name": ["r"], "category": ["schematic"]},
        geometry=[shapely.LineString([(0, 0), (5, 5)])],
        crs=WORKING_CRS,
    )
    return write_layers(path, {"road_corridors": zones, "base_roads": roads})


def _rows(path: Path) -> list[tuple[str, str, int, str]]:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(
            f"SELECT f_table_name, styleName, useAsDefault, f_geometry_column FROM {STYLE_TABLE} "
            "ORDER BY f_table_name, styleName"
        ).fetchall()


def test_embed_writes_one_default_per_layer(tmp_path: Path) -> None:
    gpkg = _two_layers(tmp_path / "a.gpkg")
    assert embed_styles(gpkg) == ["road_corridors", "base_roads"]
    assert _rows(gpkg) == [
        ("base_roads", "base_roads", 1, "geom"),
        ("road_corridors", "road_corridors", 1, "geom"),
    ]
    # GDAL sees layer_styles as an attribute table (registered in gpkg_contents)
    listed = dict(pyogrio.list_layers(gpkg))
    assert STYLE_TABLE in listed and listed[STYLE_TABLE] is None
    styles = pyogrio.read_dataframe(gpkg, layer=STYLE_TABLE)
    assert styles["styleQML"].str.contains("categorizedSymbol").sum() == 1
    assert styles["styleSLD"].str.startswith("<?xml").all()


def test_embed_is_idempotent_and_keeps_one_default(tmp_path: Path) -> None:
    gpkg = _two_layers(tmp_path / "a.gpkg")
    embed_styles(gpkg)
    with closing(sqlite3.connect(gpkg)) as con, con:  # a user's own default style
        con.execute(
            f"INSERT INTO {STYLE_TABLE} (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, useAsDefault) "
            "VALUES ('', '', 'road_corridors', 'geom', 'mine', '<qgis/>', 1)"
        )
    embed_styles(gpkg)
    embed_styles(gpkg, ["road_corridors"])
    rows = _rows(gpkg)
    assert len(rows) == 3
    assert default_styles(gpkg) == {
        "base_roads": ["base_roads"],
        "road_corridors": ["road_corridors"],
    }
    with closing(sqlite3.connect(gpkg)) as con:
        n = con.execute(
            "SELECT count(*) FROM gpkg_contents WHERE table_name = ?", (STYLE_TABLE,)
        ).fetchone()[0]
    assert n == 1


def test_embed_reports_every_bad_layer(tmp_path: Path) -> None:
    gpkg = _two_layers(tmp_path / "a.gpkg")
    with pytest.raises(DataError) as err:
        embed_styles(gpkg, ["nope", "road_corridors", "also_missing"])
    assert len(err.value.problems) >= 2
    assert "nope" in err.value.problems[0]
    assert not (tmp_path / "missing.gpkg").exists()
    with pytest.raises(DataError):
        embed_styles(tmp_path / "missing.gpkg")
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a database", encoding="utf-8")
    with pytest.raises(DataError):
        embed_styles(junk)


def test_style_finalizer_runs_before_the_rename(tmp_path: Path) -> None:
    zones = gpd.GeoDataFrame(
        {"certainty": ["possible"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=WORKING_CRS
    )
    seen: list[Path] = []
    fin = style_finalizer(["forest_belts", "not_a_styled_layer"])

    def spy(tmp: Path) -> None:
        seen.append(tmp)
        fin(tmp)

    out = write_layers(tmp_path / "b.gpkg", {"forest_belts": zones}, finalize=spy)
    assert seen and seen[0] != out
    assert default_styles(out) == {"forest_belts": ["forest_belts"]}
