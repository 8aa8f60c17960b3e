"""Full build from the reference data in ../shared/data (``almaty-scheme build``).

Every layer present, valid, in EPSG:32643 and non-empty where its inputs exist; the
functional zones partition the boundary; the report is written. The build time is
printed (run with ``-s`` to see it), never asserted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyogrio
import pytest
import shapely
from pyproj import CRS

from almaty_scheme.base.model import BaseData
from almaty_scheme.build import BuildResult, build_layers, load_base, report_paths, write_build
from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.resources import default_data_dir
from almaty_scheme.restrictions.schema import LAYER_NAMES

DATA = default_data_dir()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (DATA / "almaty_reference.gpkg").is_file(), reason=f"reference data not found in {DATA}"
    ),
]

# layer -> base layers any of which, when non-empty, must give the layer features
INPUTS: dict[str, tuple[str, ...]] = {
    "boundary": ("boundary",),
    "road_corridors": ("roads",),
    "railway_zones": ("railways",),
    "power_line_zones": ("power_lines",),
    "water_main_strips": ("water_mains",),
    "water_protection_zones": ("rivers", "water_bodies"),
    "water_protection_strips": ("rivers", "water_bodies"),
    "gas_pipeline_zones": ("gas_pipelines",),
    "elevation_belts": ("dem",),
    "industrial_zones": ("settlements",),
    "functional_zones": ("boundary",),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BaseData, BuildResult, Path, float]:
    t0 = time.perf_counter()
    cat = load_catalogue()
    base, notes = load_base(DATA, catalogue=cat)
    result = build_layers(cat, base, extra_notes=notes, data_dir=DATA)
    out = tmp_path_factory.mktemp("build") / "almaty_scheme.gpkg"
    write_build(result, out)
    elapsed = time.perf_counter() - t0
    print(
        f"\nfull build from {DATA}: {elapsed:.1f} s "
        f"(steps: {', '.join(f'{k} {v:.2f}' for k, v in result.timings.items())})"
    )
    return base, result, out, elapsed


def _has_input(base: BaseData, name: str) -> bool:
    if name == "dem":
        return base.dem_path is not None and Path(base.dem_path).is_file()
    return len(base[name]) > 0


def test_every_layer_present_valid_and_metric(
    built: tuple[BaseData, BuildResult, Path, float],
) -> None:
    _, result, out, _ = built
    names = [n for n, _ in pyogrio.list_layers(out)]
    for name in [*LAYER_NAMES, "coverage", "build_info"]:
        assert name in names, f"{name} missing from the GeoPackage"
    for name in LAYER_NAMES:
        gdf = pyogrio.read_dataframe(out, layer=name)
        assert CRS.from_user_input(gdf.crs) == WORKING_CRS, name
        assert gdf.geometry.is_valid.all(), f"{name} has invalid geometries"
        assert len(gdf) == len(result.layers[name]), name


def test_non_empty_where_inputs_exist(built: tuple[BaseData, BuildResult, Path, float]) -> None:
    base, result, _, _ = built
    for layer, inputs in INPUTS.items():
        if any(_has_input(base, i) for i in inputs):
            assert len(result.layers[layer]) > 0, f"{layer} is empty although {inputs} exist"


def test_functional_zones_partition(built: tuple[BaseData, BuildResult, Path, float]) -> None:
    base, result, _, _ = built
    if len(base["boundary"]) == 0:
        pytest.skip("the base has no boundary yet (base assembly absent)")
    bnd = shapely.union_all(list(result.layers["boundary"].geometry))
    fz = result.layers["functional_zones"]
    assert fz.geometry.area.sum() == pytest.approx(bnd.area, rel=1e-6)
    assert shapely.union_all(list(fz.geometry)).symmetric_difference(bnd).area < 1e-6 * bnd.area


def test_report_written(built: tuple[BaseData, BuildResult, Path, float]) -> None:
    _, _, out, _ = built
    md, js = report_paths(out)
    data = json.loads(js.read_text(encoding="utf-8"))
    keys = {f["key"] for f in data["reconciliation"]}
    assert {
        "boundary_area",
        "water_fund",
        "kapchagay_surface",
        "gas_szz",
        "industrial_area",
    } <= keys
    assert md.read_text(encoding="utf-8").startswith("# Build report")
