"""``build_layers`` / ``write_build`` on a synthetic world with the shipped catalogue.

Invariants, not catalogue values: every layer present in order, EPSG:32643, valid
polygons, no slivers, the functional zones a partition, identical output when built
twice, atomic writing with the report beside the GeoPackage.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from restriction_world import X0, Y0, P, box, line, make_base

from almaty_scheme.base.model import BaseData
from almaty_scheme.build import (
    BASE_OUTPUT_LAYERS,
    BUILD_STEPS,
    BuildResult,
    build_layers,
    report_paths,
    write_build,
)
from almaty_scheme.catalogue import Catalogue, load_catalogue
from almaty_scheme.cli import main
from almaty_scheme.cli.build import build as build_command
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import OutputExistsError
from almaty_scheme.resources import layers_dir
from almaty_scheme.restrictions.boundary import build_boundary
from almaty_scheme.restrictions.geometry import MIN_SLIVER_M2
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.schema import LAYER_NAMES


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(layers_dir())


def world(tmp: Path) -> BaseData:
    z = np.tile(np.linspace(700, 1700, 60), (60, 1)).astype("int16")  # rises eastwards
    dem = tmp / "dem.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=60,
        height=60,
        count=1,
        dtype="int16",
        crs="EPSG:32643",
        transform=from_origin(X0 - 5000, Y0 + 55_000, 1000, 1000),
    ) as d:
        d.write(z, 1)
    return make_base(
        dem_path=dem,
        boundary=[
            {"name": "test boundary", "method": "synthetic", "geometry": box(0, 0, 50_000, 50_000)}
        ],
        roads=[
            {
                "name": "БАКАД",
                "rule_ids": "roads.almaty_ust_kamenogorsk.bakad",
                "category": "schematic",
                "geometry": line((2000, 25_000), (48_000, 25_000)),
            },
            {
                "name": "Капчагайская трасса",
                "rule_ids": "roads.almaty_ust_kamenogorsk.bakad_kapchagay_zhana_ile",
                "geometry": line((25_000, 2000), (25_000, 48_000)),
            },
        ],
        rivers=[
            {"name": "Аксай", "length_km": 40.0, "geometry": line((10_000, 0), (10_000, 50_000))},
            {"name": None, "length_km": 5.0, "geometry": line((40_000, 30_000), (45_000, 45_000))},
        ],
        water_bodies=[
            {
                "name": "Kapchagay reservoir",
                "name_ru": "Капчагайское водохранилище",
                "kind": "reservoir",
                "geometry": box(30_000, 40_000, 45_000, 48_000),
            }
        ],
        railways=[{"name": "rail", "geometry": line((0, 10_000), (50_000, 12_000))}],
        power_lines=[
            {"name": "VL", "voltage_kv": 220.0, "geometry": line((0, 35_000), (50_000, 33_000))}
        ],
        water_mains=[
            {"name": "WM", "diameter_mm": 800.0, "geometry": line((5000, 5000), (20_000, 20_000))}
        ],
        gas_pipelines=[
            {
                "name": "A",
                "nominal_diameter_mm": 1000.0,
                "corridor_id": "c1",
                "geometry": line((0, 15_000), (50_000, 16_000)),
            },
            {
                "name": "B",
                "nominal_diameter_mm": 500.0,
                "corridor_id": "c1",
                "geometry": line((0, 15_040), (50_000, 16_040)),
            },
        ],
        settlements=[
            {
                "name": "Жаналык",
                "name_ru": "Жаналык",
                "district": "Талгарский район",
                "geometry": shapely.Point(P(20_000, 30_000)),
            },
            {
                "name": "Байсерке",
                "name_ru": "Байсерке",
                "geometry": shapely.Point(P(35_000, 20_000)),
            },
        ],
        settlement_footprints=[{"name": "town", "geometry": box(18_000, 8_000, 23_000, 14_000)}],
    )


@pytest.fixture(scope="module")
def built(
    cat: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> tuple[BuildResult, BuildResult]:
    tmp = tmp_path_factory.mktemp("world")
    base = world(tmp)
    return build_layers(cat, base), build_layers(cat, base)


def test_every_layer_present_in_order(built: tuple[BuildResult, BuildResult]) -> None:
    r = built[0]
    names = list(r.layers)
    assert names[: len(LAYER_NAMES)] == list(LAYER_NAMES)
    assert names[len(LAYER_NAMES)] == "coverage"
    assert names[len(LAYER_NAMES) + 1 :] == [f"base_{n}" for n in BASE_OUTPUT_LAYERS]
    for name in LAYER_NAMES:
        assert len(r.layers[name]) > 0, f"{name} is empty on a world that has its inputs"


def test_crs_validity_and_no_slivers(built: tuple[BuildResult, BuildResult]) -> None:
    r = built[0]
    bnd = box(0, 0, 50_000, 50_000)
    for name, gdf in r.layers.items():
        assert gdf.crs == WORKING_CRS, name
        assert gdf.geometry.is_valid.all(), name
        if name in LAYER_NAMES:
            assert set(gdf.geom_type) <= {"MultiPolygon"}, name
            for g in gdf.geometry:
                assert all(p.area >= MIN_SLIVER_M2 for p in g.geoms), name
                assert g.difference(bnd).area < 1e-3, f"{name} leaks outside the boundary"
            assert set(gdf.certainty.dropna()) <= {"certain", "possible"}


def test_functional_zones_partition_the_boundary(built: tuple[BuildResult, BuildResult]) -> None:
    fz = built[0].layers["functional_zones"]
    bnd = box(0, 0, 50_000, 50_000)
    assert fz.geometry.area.sum() == pytest.approx(bnd.area, rel=1e-6)
    assert shapely.union_all(list(fz.geometry)).symmetric_difference(bnd).area < 1e-6 * bnd.area
    geoms = list(fz.geometry)
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert geoms[i].intersection(geoms[j]).area < 1.0
    assert {"special", "limited", "intensive", "extensive"} <= set(fz.functional_group)


def test_identical_input_gives_identical_output(built: tuple[BuildResult, BuildResult]) -> None:
    a, b = built
    for name in a.layers:
        ga, gb = a.layers[name], b.layers[name]
        assert list(ga.columns) == list(gb.columns), name
        assert ga.drop(columns=ga.geometry.name).equals(gb.drop(columns=gb.geometry.name)), name
        assert [g.wkb for g in ga.geometry] == [g.wkb for g in gb.geometry], name
    assert a.figures == b.figures


def test_report_content(built: tuple[BuildResult, BuildResult]) -> None:
    r = built[0]
    keys = {f["key"] for f in r.figures}
    assert {
        "boundary_area",
        "water_fund",
        "kapchagay_surface",
        "gas_szz",
        "settlement_land",
        "industrial_area",
        "functional_partition",
    } <= keys
    fig = {f["key"]: f for f in r.figures}
    assert fig["boundary_area"]["ours"] == pytest.approx(250_000.0)
    assert fig["functional_partition"]["difference"] == pytest.approx(0.0, abs=0.01)
    summ = {s["layer"]: s for s in r.summary}
    assert summ["road_corridors"]["inputs_used"][0]["accuracy"] == "exact (test)"
    assert summ["water_protection_zones"]["skipped"]  # rivers without data are listed


def test_write_build_atomic_with_report(
    built: tuple[BuildResult, BuildResult], tmp_path: Path
) -> None:
    r = built[0]
    out = tmp_path / "out" / "scheme.gpkg"
    write_build(r, out)
    layers = [n for n, _ in pyogrio.list_layers(out)]
    for name in [*LAYER_NAMES, "coverage", "build_info"]:
        assert name in layers
    info = pyogrio.read_dataframe(out, layer="build_info")
    kv = dict(zip(info["key"], info["value"], strict=True))
    assert {"catalogue_version", "toolkit_version", "built_at", "range_policy", "data_dir"} <= set(
        kv
    )
    md, js = report_paths(out)
    assert md.name == "scheme.report.md" and md.is_file()
    data = json.loads(js.read_text(encoding="utf-8"))
    assert [s["layer"] for s in data["layers"]] == list(LAYER_NAMES)
    assert "Reconciliation with the scheme" in md.read_text(encoding="utf-8")
    back = pyogrio.read_dataframe(out, layer="road_corridors")
    assert back.crs == WORKING_CRS and len(back) == len(r.layers["road_corridors"])
    with pytest.raises(OutputExistsError):
        write_build(r, out)
    write_build(r, out, overwrite=True)
    assert not list(out.parent.glob(".*partial*"))


def test_range_policy_is_recorded(cat: Catalogue, tmp_path: Path) -> None:
    r = build_layers(cat, world(tmp_path), BuildOptions(range_policy="max", include_base=False))
    assert not any(n.startswith("base_") for n in r.layers)
    kv = dict(zip(r.build_info["key"], r.build_info["value"], strict=True))
    assert kv["range_policy"] == "max"
    assert set(r.layers["forest_belts"].certainty) == {"certain"}


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--base-layer", "nonsense", "--out", str(tmp_path / "x.gpkg")]) == 2
    assert (
        main(["build", "--base-layer", "volcanoes=x.shp", "--out", str(tmp_path / "x.gpkg")]) == 2
    )
    (tmp_path / "x.gpkg").write_text("")
    assert main(["build", "--out", str(tmp_path / "x.gpkg")]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_progress_called_once_per_step(cat: Catalogue, tmp_path: Path) -> None:
    steps: list[str] = []
    build_layers(cat, make_base(), BuildOptions(include_base=False), progress=steps.append)
    assert len(steps) == BUILD_STEPS and steps[0] == "boundary" and steps[-1] == "figures"


@pytest.mark.parametrize("flag", ["--contour-source", "--kapchagay-contour"])
def test_contour_source_flag_keeps_its_former_name(flag: str) -> None:
    ctx = build_command.make_context("build", [flag, "dem"])
    assert ctx.params["contour_source"] == "dem"


def test_contour_source_recorded_under_both_names(cat: Catalogue) -> None:
    r = build_layers(cat, make_base(), BuildOptions(contour_source="dem", include_base=False))
    keys = list(r.build_info["key"])
    kv = dict(zip(keys, r.build_info["value"], strict=True))
    assert kv["option.contour_source"] == kv["option.kapchagay_contour"] == "dem"
    at = keys.index("option.contour_source")
    assert keys[at + 1] == "option.kapchagay_contour"


def test_boundary_cites_the_catalogue_fact(cat: Catalogue, tmp_path: Path) -> None:
    gdf, notes = build_boundary(cat, world(tmp_path), BuildOptions())
    assert list(gdf.citation) == ["scheme L106-135"]  # zoning.fact.boundary, L106-135
    assert gdf.area_ha.iloc[0] == pytest.approx(50_000 * 50_000 / 1e4)
    bare = dataclasses.replace(cat, rules={})
    gdf, notes = build_boundary(bare, world(tmp_path), BuildOptions())
    assert gdf.citation.isna().all() and any(n.kind == "missing" for n in notes)
