"""``almaty-scheme check`` end to end on the hand-made world: outputs, exit codes, safety."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg

import almaty_scheme.check.output as output_mod
from almaty_scheme.check.engine import HIT_COLUMNS
from almaty_scheme.check.zone_cache import wait_for_saves
from almaty_scheme.cli import main

PROBLEMS = Path(__file__).resolve().parents[1] / "fixtures" / "check" / "problem_parcels.geojson"


@pytest.fixture(scope="module")
def layers_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world as a build GeoPackage, written once (read-only for the tests)."""
    return write_gpkg(tmp_path_factory.mktemp("layers") / "layers.gpkg")


@pytest.fixture(autouse=True)
def zone_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Prepared-zone cache in a temporary folder (never the user's ~/.cache)."""
    d = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(d))
    return d


@pytest.fixture
def world(tmp_path: Path, layers_gpkg: Path) -> dict[str, Path]:
    layers = layers_gpkg
    p = tmp_path / "parcels.gpkg"
    parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), sq(-300, 9000)],
        cad=["A", "B", "C", "D"],
        use=["ИЖС", "ферма", "парк", "residential"],
    ).to_crs(4326).to_file(p, layer="plots")
    return {"layers": layers, "parcels": p, "dir": tmp_path}


def run(w: dict[str, Path], *extra: str, out: str = "res.gpkg") -> int:
    argv = [
        "check",
        str(w["parcels"]),
        "--layers",
        str(w["layers"]),
        "--out",
        str(w["dir"] / out),
        "--catalogue",
        str(CATALOGUE_DIR),
        *extra,
    ]
    return main(argv)


def test_full_run_outputs(world, capsys) -> None:
    rc = run(world, "--id-field", "cad", "--use-field", "use", "--csv", "--parquet")
    out = capsys.readouterr().out
    assert rc == 0
    assert "4 parcel(s) checked" in out and "prohibited" in out
    d = world["dir"]
    names = {r[0] for r in pyogrio.list_layers(d / "res.gpkg")}
    assert {"parcels", "parcel_hits", "parcel_input_issues", "check_summary"} <= names
    p = gpd.read_file(d / "res.gpkg", layer="parcels")
    assert p.crs.to_epsg() == 32643
    assert p["parcel_id"].tolist() == ["A", "B", "C", "D"]
    assert p["verdict"].tolist() == ["prohibited", "conditional", "clear", "outside"]
    assert p["cad"].tolist() == ["A", "B", "C", "D"]  # original attributes kept
    assert set(p.geom_type) == {"MultiPolygon"}
    hits = pyogrio.read_dataframe(d / "res.gpkg", layer="parcel_hits")
    assert set(hits["parcel_id"]) == {"A", "B"}
    # parcel_hits is a view (narrow hits + zone table) with the table's columns and rows
    assert list(hits.columns) == list(HIT_COLUMNS)
    assert {"parcel_hits_data", "check_zones"} <= names
    pq_hits = pd.read_parquet(d / "res.hits.parquet")
    assert hits["parcel_id"].tolist() == pq_hits["parcel_id"].astype(str).tolist()
    assert hits["overlap_m2"].tolist() == pytest.approx(pq_hits["overlap_m2"].tolist())
    assert hits["regime"].tolist() == pq_hits["regime"].astype(str).tolist()
    assert hits["citation"].tolist() == pq_hits["citation"].astype(str).tolist()
    summary = json.loads((d / "res.summary.json").read_text(encoding="utf-8"))
    assert summary["n_parcels"] == 4
    assert summary["by_verdict"] == {
        "prohibited": 1,
        "conditional": 1,
        "clear": 1,
        "outside": 1,
        "invalid_input": 0,
    }
    assert summary["by_rule"]["water_protection.turgen.strip"]["count"] == 1
    assert summary["by_rule"]["water_protection.turgen.strip"]["area_m2"] == pytest.approx(
        10000.0, rel=1e-6
    )
    assert summary["catalogue_version"] == "0.1.0"
    assert summary["area_affected_m2"] == pytest.approx(20000.0, rel=1e-6)
    csv = pd.read_csv(d / "res.parcels.csv", encoding="utf-8-sig")
    assert csv["parcel_id"].tolist() == ["A", "B", "C", "D"] and "wkt" in csv.columns
    assert "участка" in csv["explanation_ru"].iloc[0]
    assert (d / "res.hits.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    pq = gpd.read_parquet(d / "res.parcels.parquet")
    assert len(pq) == 4 and pq.crs.to_epsg() == 32643
    assert len(pd.read_parquet(d / "res.hits.parquet")) == len(hits)
    assert not list(d.glob(".*partial*"))


def test_existing_output_is_not_overwritten(world, capsys) -> None:
    assert run(world) == 0
    before = (world["dir"] / "res.gpkg").read_bytes()
    assert run(world) == 2
    assert "already exists" in capsys.readouterr().err
    assert (world["dir"] / "res.gpkg").read_bytes() == before
    assert run(world, "--overwrite") == 0


def test_existing_sidecar_blocks_before_any_work(world) -> None:
    (world["dir"] / "res.summary.json").write_text("{}")
    assert run(world) == 2
    assert not (world["dir"] / "res.gpkg").exists()


def test_fail_on(world, capsys) -> None:
    assert run(world, "--use-field", "use", "--fail-on", "prohibited") == 3
    # without the strip parcel: only conditional and clear remain
    world["parcels"] = world["dir"] / "two.gpkg"
    parcels([sq(1000, 6000), sq(5000, 7000)], use=["ферма", "парк"]).to_file(world["parcels"])
    assert run(world, "--use-field", "use", "--fail-on", "prohibited", "--overwrite") == 0
    assert run(world, "--use-field", "use", "--fail-on", "conditional", "--overwrite") == 3
    assert "--fail-on conditional" in capsys.readouterr().err


def test_interrupt_leaves_no_file(world, monkeypatch: pytest.MonkeyPatch) -> None:
    real = output_mod.pyogrio.write_dataframe

    def boom(*a, **k):  # type: ignore[no-untyped-def]
        if k.get("layer") == output_mod.SUMMARY_LAYER:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(output_mod.pyogrio, "write_dataframe", boom)
    assert run(world) == 130
    leftovers = sorted(p.name for p in world["dir"].iterdir())
    assert leftovers == ["parcels.gpkg"]


def test_problem_file_end_to_end(world, capsys) -> None:
    argv = [
        "check",
        str(PROBLEMS),
        "--layers",
        str(world["layers"]),
        "--out",
        str(world["dir"] / "p.gpkg"),
        "--catalogue",
        str(CATALOGUE_DIR),
        "--id-field",
        "cad",
        "--use-field",
        "use",
        "--json",
    ]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_parcels"] == 14
    assert summary["by_verdict"]["invalid_input"] == 5
    assert summary["inputs"]["n_duplicate_ids"] == 1
    assert summary["inputs"]["flags"]["repaired"] == 1
    p = pyogrio.read_dataframe(world["dir"] / "p.gpkg", layer="parcels")
    assert len(p) == 14 and p["parcel_id"].is_unique
    iss = pyogrio.read_dataframe(world["dir"] / "p.gpkg", layer="parcel_input_issues")
    assert len(iss) == 7


def test_with_overlap_geometry(world) -> None:
    assert run(world, "--with-overlap-geometry") == 0
    info = {r[0]: r[1] for r in pyogrio.list_layers(world["dir"] / "res.gpkg")}
    assert info["parcel_hits"] == "MultiPolygon"
    hits = gpd.read_file(world["dir"] / "res.gpkg", layer="parcel_hits")
    assert (hits.geometry.area - hits["overlap_m2"]).abs().max() < 1e-3


def test_usage_and_data_errors(world, capsys) -> None:
    assert run(world, "--id-field", "nope") == 2
    assert "--id-field 'nope' is not a column" in capsys.readouterr().err
    argv = [
        "check",
        str(world["parcels"]),
        "--layers",
        str(world["dir"] / "missing.gpkg"),
        "--out",
        str(world["dir"] / "x.gpkg"),
    ]
    assert main(argv) == 1
    assert "Build them first" in capsys.readouterr().err
    assert run(world, out="res.csv") == 2
    pts = world["dir"] / "points.gpkg"
    gpd.GeoDataFrame(
        {"a": [1]}, geometry=gpd.points_from_xy([700000], [4790000]), crs=32643
    ).to_file(pts)
    argv = [
        "check",
        str(pts),
        "--layers",
        str(world["layers"]),
        "--out",
        str(world["dir"] / "y.gpkg"),
        "--catalogue",
        str(CATALOGUE_DIR),
    ]
    assert main(argv) == 1
    assert "parcels must be polygons" in capsys.readouterr().err


def test_use_aliases_file(world) -> None:
    aliases = world["dir"] / "codes.yaml"
    aliases.write_text("aliases:\n  '02.01': livestock_farm\n", encoding="utf-8")
    world["parcels"] = world["dir"] / "one.gpkg"
    parcels([sq(1000, 5200)], use=["02.01"]).to_file(world["parcels"])
    assert run(world, "--use-field", "use", "--use-aliases", str(aliases)) == 0
    p = pyogrio.read_dataframe(world["dir"] / "res.gpkg", layer="parcels")
    assert p["use_class"].iloc[0] == "livestock_farm"
    assert p["verdict"].iloc[0] == "prohibited"
    assert p["input_flags"].fillna("").iloc[0] == "generated_id"


def test_parquet_only_output_and_zone_cache(world, zone_cache) -> None:
    assert run(world, "--id-field", "cad", "--use-field", "use", out="res.parquet") == 0
    d = world["dir"]
    assert not (d / "res.gpkg").exists()
    p = gpd.read_parquet(d / "res.parquet")
    assert p["verdict"].astype(str).tolist() == ["prohibited", "conditional", "clear", "outside"]
    hits = pd.read_parquet(d / "res.hits.parquet")
    assert set(hits["parcel_id"].astype(str)) == {"A", "B"}
    assert (d / "res.issues.parquet").is_file() and (d / "res.summary.json").is_file()
    wait_for_saves()  # the entry is written by a thread while the check runs
    cached = list((zone_cache / "zones").glob("*.npz"))
    assert len(cached) == 1
    # a second run loads the cache and gives the same answer
    assert (
        run(world, "--id-field", "cad", "--use-field", "use", "--overwrite", out="res.parquet") == 0
    )
    again = gpd.read_parquet(d / "res.parquet")
    assert again["verdict"].astype(str).tolist() == p["verdict"].astype(str).tolist()
    assert run(world, "--no-zones-cache", "--overwrite", out="res.parquet") == 0


def test_dask_options_need_the_dask_engine(world, capsys) -> None:
    assert run(world, "--scheduler", "tcp://127.0.0.1:1") == 2
    assert "--engine dask" in capsys.readouterr().err
    assert run(world, out="res.kml") == 2
