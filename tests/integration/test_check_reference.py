"""``almaty-scheme check`` on synthetic parcels against the real build from ../shared/data.

Uses ``out/almaty_scheme.gpkg`` when a build exists there, else builds the layers once
into a temporary folder. Throughput is printed (``-s``), never asserted.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from almaty_scheme.cli import main
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.resources import default_data_dir, repo_root

DATA = default_data_dir()
ROOT = repo_root() or Path.cwd()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATA / "almaty_reference.gpkg").is_file(), reason=f"reference data not found in {DATA}"
    ),
]


def _make_parcels_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "make_parcels", ROOT / "scripts" / "make_parcels.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def layers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    existing = ROOT / "out" / "almaty_scheme.gpkg"
    if existing.is_file():
        return existing
    from almaty_scheme.build import build_layers, load_base, write_build
    from almaty_scheme.catalogue import load_catalogue

    cat = load_catalogue()
    base, notes = load_base(DATA, catalogue=cat)
    result = build_layers(cat, base, extra_notes=notes, data_dir=DATA)
    out = tmp_path_factory.mktemp("build") / "almaty_scheme.gpkg"
    write_build(result, out)
    return out


@pytest.fixture(scope="module")
def parcels_file(layers: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    mp = _make_parcels_module()
    gdf = mp.make_parcels(layers, 3000, seed=5)
    # two hand-placed parcels with known answers
    gas = pyogrio.read_dataframe(layers, layer="base_gas_pipelines")
    boundary = shapely.union_all(
        pyogrio.read_dataframe(layers, layer="boundary").geometry.to_numpy()
    )
    lines = shapely.get_parts(gas.geometry.to_numpy())
    inside = [ln for ln in lines if boundary.contains(ln.interpolate(0.5, normalized=True))]
    p = inside[0].interpolate(0.5, normalized=True)
    on_gas = shapely.box(p.x - 30, p.y - 30, p.x + 30, p.y + 30)
    far = shapely.box(100_000, 4_400_000, 100_100, 4_400_100)  # far south-west of the scheme
    extra = gpd.GeoDataFrame(
        {
            "cad_num": ["ON-GAS", "FAR"],
            "use": ["ИЖС", "residential"],
            "area_decl_ha": [0.36, 1.0],
            "anchor": ["test", "test"],
        },
        geometry=[on_gas, far],
        crs=WORKING_CRS,
    )
    gdf = gpd.GeoDataFrame(
        pd.concat([gdf, extra[gdf.columns]], ignore_index=True),
        geometry="geometry",
        crs=WORKING_CRS,
    )
    path = tmp_path_factory.mktemp("parcels") / "parcels.gpkg"
    gdf.to_crs(4326).to_file(path, layer="parcels")  # lon/lat input: reprojected on read
    return path


def test_check_generated_parcels(layers: Path, parcels_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results.gpkg"
    t = time.perf_counter()
    rc = main(
        [
            "check",
            str(parcels_file),
            "--layers",
            str(layers),
            "--out",
            str(out),
            "--id-field",
            "cad_num",
            "--use-field",
            "use",
            "--json",
        ]
    )
    elapsed = time.perf_counter() - t
    summary = json.loads(capsys.readouterr().out)
    assert rc == 0
    n = 3002
    with capsys.disabled():
        print(
            f"\ncheck of {n} parcels against {layers.name}: {elapsed:.1f} s "
            f"({n / elapsed:.0f} parcels/s end to end); timings {summary['timings_s']}"
        )
    assert summary["n_parcels"] == n
    assert sum(summary["by_verdict"].values()) == n
    for v in ("prohibited", "conditional", "clear", "outside"):
        assert summary["by_verdict"][v] > 0, v
    p = pyogrio.read_dataframe(out, layer="parcels")
    assert len(p) == n and p["parcel_id"].is_unique
    assert p["parcel_id"].tolist()[:3] == ["03-040-000-000", "03-040-000-001", "03-040-000-002"]
    assert p.crs.to_epsg() == 32643
    assert p["explanation_ru"].notna().all() and p["explanation_en"].notna().all()
    hits = pyogrio.read_dataframe(out, layer="parcel_hits")
    assert ((hits["share_pct"] >= 0) & (hits["share_pct"] <= 100)).all()
    assert (hits["distance_to_source_m"].dropna() >= 0).all()
    assert set(hits["parcel_id"]) <= set(p["parcel_id"])

    on_gas = p[p["parcel_id"] == "ON-GAS"].iloc[0]
    assert on_gas["verdict"] == "prohibited"
    gas_hits = hits[(hits["parcel_id"] == "ON-GAS") & (hits["family"] == "gas")]
    assert not gas_hits.empty
    assert gas_hits["distance_to_source_m"].min() == pytest.approx(0.0, abs=1e-6)
    assert (gas_hits["share_pct"] > 99.9).any()
    far = p[p["parcel_id"] == "FAR"].iloc[0]
    assert far["verdict"] == "outside" and far["verdict_reason"] == "outside_boundary"
