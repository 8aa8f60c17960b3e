"""The .qgz writer: layer tree, CRS, relative paths, embedded styles, metadata."""

from __future__ import annotations

import sqlite3
import sys
import xml.etree.ElementTree as ET
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg

from almaty_scheme.catalogue.loader import default_catalogue
from almaty_scheme.check import output as check_output
from almaty_scheme.cli import cli, main
from almaty_scheme.errors import DataError, OutputExistsError
from almaty_scheme.qgis.layout import fit_extent, segment_km
from almaty_scheme.qgis.project import attribution_text, build_info, write_project
from almaty_scheme.qgis.sample import SAMPLE_COUNTS, write_sample

GROUPS = [
    "Результаты проверки",
    "1 Интенсивное освоение",
    "2 Экстенсивное освоение",
    "3 Ограниченное освоение",
    "4 Особый режим",
    "Базовые данные",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("sample")
    return write_sample(d / "data" / "layers.gpkg"), write_sample(
        d / "data" / "results.gpkg", results=True
    )


def _read_qgz(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names == [f"{path.stem}.qgs"]
        text = zf.read(names[0]).decode("utf-8")
    assert text.startswith("<!DOCTYPE qgis")
    return ET.fromstring(text.split("\n", 1)[1])


def test_tree_groups_crs_and_relative_paths(sample: tuple[Path, Path], tmp_path: Path) -> None:
    layers, results = sample
    out = write_project(layers, layers.parent.parent / "proj" / "scheme.qgz", results_gpkg=results)
    root = _read_qgz(out)
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:32643"
    tree = root.find("layer-tree-group")
    assert tree is not None
    assert [g.get("name") for g in tree.findall("layer-tree-group")] == GROUPS
    top = [n.get("name") for n in tree.findall("layer-tree-layer")]
    assert top == ["Граница агломерации", "Функциональные зоны"]
    sources = [ml.findtext("datasource") for ml in root.iter("maplayer")]
    assert all(s and s.startswith("../data/") for s in sources), sources
    assert root.findtext("properties/Paths/Absolute") == "false"
    # every layer carries its style and a unique id
    ids = [ml.findtext("id") for ml in root.iter("maplayer")]
    assert len(ids) == len(set(ids))
    for ml in root.iter("maplayer"):
        assert ml.find("renderer-v2") is not None, ml.findtext("layername")
    # one project layer per tree node
    assert len(ids) == len(list(tree.iter("layer-tree-layer")))


def test_layers_split_by_the_groups_their_rules_name(
    sample: tuple[Path, Path], tmp_path: Path
) -> None:
    out = write_project(sample[0], sample[0].parent.parent / "p.qgz")
    root = _read_qgz(out)
    tree = root.find("layer-tree-group")
    assert tree is not None
    groups = {
        g.get("name"): [n.get("source") for n in g.findall("layer-tree-layer")]
        for g in tree.findall("layer-tree-group")
    }
    assert "Результаты проверки" not in groups
    ext = groups["2 Экстенсивное освоение"]
    lim = groups["3 Ограниченное освоение"]
    assert ext == [
        "./data/layers.gpkg|layername=elevation_belts"
        "|subset=\"rule_id\" IN ('elevation.gardening_belt')"
    ]
    assert any("relic_apple_belt" in s for s in lim)
    assert any(s.endswith("layername=forest_belts") for s in lim)
    special = groups["4 Особый режим"]
    assert any(s.endswith("layername=gas_pipeline_zones") for s in special)
    assert any(s.endswith("layername=road_corridors") for s in groups["1 Интенсивное освоение"])


def test_fallback_placement_without_catalogue(sample: tuple[Path, Path], tmp_path: Path) -> None:
    out = write_project(sample[0], tmp_path / "p.qgs", catalogue=[])
    root = ET.fromstring(out.read_text(encoding="utf-8").split("\n", 1)[1])
    tree = root.find("layer-tree-group")  # the project's tree, not the legend's
    assert tree is not None
    srcs = [n.get("source") for n in tree.iter("layer-tree-layer")]
    assert sum("layername=elevation_belts" in s for s in srcs) == 1  # type: ignore[operator]
    assert not any("subset" in s for s in srcs)  # type: ignore[operator]


def test_metadata_and_extent(sample: tuple[Path, Path], tmp_path: Path) -> None:
    out = write_project(sample[0], tmp_path / "p.qgz", title="Проверка")
    root = _read_qgz(out)
    assert root.findtext("title") == "Проверка"
    abstract = root.findtext("projectMetadata/abstract") or ""
    assert attribution_text() in abstract
    assert "OpenStreetMap" in abstract
    assert "catalogue version sample" in abstract  # from build_info
    assert root.findtext("properties/almaty_scheme/catalogue_version") == "sample"
    rights = {ml.findtext("resourceMetadata/rights") for ml in root.iter("maplayer")}
    assert rights == {attribution_text()}
    ext = root.find("mapcanvas/extent")
    assert ext is not None and float(ext.findtext("xmin") or 0) == 640_000.0
    counts = {ml.findtext("resourceMetadata/identifier") for ml in root.iter("maplayer")}
    assert set(SAMPLE_COUNTS) <= counts


def test_refuses_overwrite_and_bad_inputs(sample: tuple[Path, Path], tmp_path: Path) -> None:
    out = write_project(sample[0], tmp_path / "p.qgz")
    before = out.read_bytes()
    with pytest.raises(OutputExistsError):
        write_project(sample[0], out)
    assert out.read_bytes() == before
    write_project(sample[0], out, overwrite=True)
    with pytest.raises(DataError) as err:
        write_project(tmp_path / "none.gpkg", tmp_path / "x.zip")
    assert len(err.value.problems) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.qgz"]


def test_cli(sample: tuple[Path, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "c.qgz"
    args = [
        "qgis-project",
        "--layers",
        str(sample[0]),
        "--results",
        str(sample[1]),
        "--out",
        str(out),
    ]
    res = runner.invoke(cli, args, standalone_mode=False)
    assert res.exit_code == 0, res.output
    assert out.is_file()
    from almaty_scheme.cli import main

    assert main(args) == 2  # exists, no --overwrite
    assert main([*args, "--overwrite"]) == 0


def test_lang_names_layout_and_hidden_internal_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers = write_gpkg(tmp_path / "layers.gpkg")
    src = tmp_path / "p.gpkg"
    parcels([sq(1000, 5000)], cad=["A"], use=["ИЖС"]).to_file(src)
    results = tmp_path / "r.gpkg"
    argv = ["check", str(src), "--layers", str(layers), "--out", str(results)]
    # the layout of a larger check: the geometries in parcels_geom (GpkgResults.begin_geometry)
    monkeypatch.setattr(check_output, "SIDE_WRITER_MIN_ROWS", 1)
    assert main([*argv, "--catalogue", str(CATALOGUE_DIR)]) == 0
    with closing(sqlite3.connect(results)) as con:
        assert con.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'parcels_geom'"
        ).fetchone()[0]
    names = {}
    for lang in ("ru", "en"):
        out = write_project(layers, tmp_path / f"{lang}.qgz", results_gpkg=results, lang=lang)
        root = _read_qgz(out)
        tree = root.find("layer-tree-group")
        assert tree is not None
        names[lang] = [n.get("name") for n in tree.iter("layer-tree-layer")]
        sources = " ".join(n.get("source") or "" for n in tree.iter("layer-tree-layer"))
        for internal in (
            "parcels_data",
            "parcels_geom",
            "check_cases",
            "explanation_pairs",
            "explanation_parts",
            "parcel_hits_data",
            "check_zones",
            "check_summary",
            "layer_styles",
        ):
            assert f"layername={internal}" not in sources
        assert "layername=parcels" in sources
        # human names only: no table names, no "group: table" ids
        assert not any("_" in (n or "") for n in names[lang]), names[lang]
        layout = root.find("Layouts/Layout")
        assert layout is not None
        ids = {i.get("id") for i in layout.iter("LayoutItem")}
        assert {"map", "legend", "scalebar", "north_arrow", "title", "attribution"} <= ids
        assert {"catalogue"} <= ids
        labels = {i.get("id"): i.get("labelText") for i in layout.iter("LayoutItem")}
        version = build_info(layers).get("catalogue_version") or default_catalogue().version
        assert f" {version} " in (labels["catalogue"] or "")
    assert "Участки" in names["ru"] and "Parcels" in names["en"]
    assert "Граница агломерации" in names["ru"] and "Agglomeration boundary" in names["en"]
    assert "Пересечения участков с зонами" in names["ru"]


def test_layout_extent_and_scale_bar_segment() -> None:
    # already the frame's shape: unchanged without margin
    assert fit_extent((0, 0, 100, 50), 200, 100, margin=0) == (0, 0, 100, 50)
    # too narrow for a 2:1 frame: widened about the centre to 200 x 100
    assert fit_extent((0, 0, 100, 100), 200, 100, margin=0) == (-50, 0, 150, 100)
    # too flat: heightened; a 5 % margin on each side first (110 x 11 -> 110 x 55)
    assert fit_extent((0, 0, 100, 10), 200, 100, margin=0.05) == pytest.approx(
        (-5, -22.5, 105, 32.5)
    )
    # 255 km across 255 mm is 1 km per mm: a 15 mm segment is 15 km, rounded to 20
    # (|20 - 15| / 20 = 0.25 beats |10 - 15| / 10 = 0.5)
    assert segment_km((0, 0, 255_000, 1), 255) == 20
    assert segment_km((0, 0, 25_500, 1), 255) == 2  # 1.5 km -> 2 (0.25) over 1 (0.5)
