"""GeoParquet results written while the run summarises (``ResultWriter.start``), the
garbage collector kept out of geometry decoding, and non-finite coordinates found among
the invalid geometries only."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from check_world import CATALOGUE_DIR, X0, Y0, catalogue, parcels, sq, write_gpkg

from almaty_scheme.check import run as run_mod
from almaty_scheme.check.inputs import prepare_parcels
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.output import ResultWriter, write_hits_parquet, write_results
from almaty_scheme.check.regime import LandUse, land_use_from_catalogue
from almaty_scheme.memory import gc_paused

CELLS = [(1000, 5000), (1000, 6000), (5000, 7000), (-300, 9000)]


pytestmark = pytest.mark.usefixtures("private_zone_cache")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("overlap")
    src = parcels(
        [sq(x, y) for x, y in CELLS],
        cad=["A", "B", "C", "D"],
        use=["ИЖС", "ферма", "парк", "residential"],
    )
    pyogrio.write_dataframe(src, d / "parcels.gpkg", layer="parcels")
    return {"layers": write_gpkg(d / "layers.gpkg"), "file": d / "parcels.gpkg"}


def _opts() -> CheckOptions:
    return CheckOptions(catalogue_dir=CATALOGUE_DIR, id_field="cad", use_field="use")


def test_started_files_equal_files_written_at_the_end(
    world: dict[str, Any], tmp_path: Path
) -> None:
    run = run_mod.run_check(
        world["file"], layers=world["layers"], out=tmp_path / "run.parquet", options=_opts()
    )
    write_results(run.result, tmp_path / "end.parquet", summary=run.summary)
    for suffix in (".parquet", ".hits.parquet", ".issues.parquet"):
        started = (tmp_path / f"run{suffix}").read_bytes()
        assert started == (tmp_path / f"end{suffix}").read_bytes(), suffix
    assert (tmp_path / "run.summary.json").exists()


def _dictionary_pages(path: Path) -> dict[str, bool]:
    meta = pq.ParquetFile(path).metadata
    group = meta.row_group(0)
    return {
        group.column(i).path_in_schema: group.column(i).has_dictionary_page
        for i in range(meta.num_columns)
    }


def test_hit_parcel_ids_are_stored_plain(tmp_path: Path) -> None:
    # three parcels, B without a hit: the categorical's dictionary held every id
    hits = pd.DataFrame(
        {
            "parcel_id": pd.Categorical.from_codes([0, 0, 2], categories=["A", "B", "C"]),
            "rule_id": pd.Categorical(["r1", "r2", "r1"]),
            "overlap_m2": [10.0, 2.5, 7.0],
        }
    )
    write_hits_parquet(hits, tmp_path / "h.parquet")
    assert _dictionary_pages(tmp_path / "h.parquet") == {
        "parcel_id": False,
        "rule_id": True,
        "overlap_m2": False,  # nearly distinct numbers: no dictionary either
    }
    back = pd.read_parquet(tmp_path / "h.parquet")
    assert back["parcel_id"].tolist() == ["A", "A", "C"]
    assert list(back["parcel_id"].cat.categories) == ["A", "C"]  # the ids with a hit
    assert back["rule_id"].tolist() == ["r1", "r2", "r1"]
    assert back["overlap_m2"].tolist() == [10.0, 2.5, 7.0]


def test_a_check_stores_hit_parcel_ids_plain(world: dict[str, Any], tmp_path: Path) -> None:
    run = run_mod.run_check(
        world["file"], layers=world["layers"], out=tmp_path / "run.parquet", options=_opts()
    )
    pages = _dictionary_pages(tmp_path / "run.hits.parquet")
    assert pages["parcel_id"] is False
    assert pages["rule_id"] is True and pages["regime"] is True
    back = pd.read_parquet(tmp_path / "run.hits.parquet")
    assert isinstance(back["parcel_id"].dtype, pd.CategoricalDtype)
    assert back["parcel_id"].tolist() == run.result.hits["parcel_id"].tolist()
    run.result.hits.to_parquet(tmp_path / "coded.parquet", index=False)  # the old way
    coded = pd.read_parquet(tmp_path / "coded.parquet")
    assert _dictionary_pages(tmp_path / "coded.parquet")["parcel_id"] is True
    pd.testing.assert_frame_equal(  # the same values read back, ids as texts
        back.astype({"parcel_id": object}), coded.astype({"parcel_id": object})
    )


def test_a_failure_after_start_leaves_no_file(world: dict[str, Any], tmp_path: Path) -> None:
    run = run_mod.run_check(world["file"], layers=world["layers"], options=_opts())
    with (
        pytest.raises(RuntimeError, match="summary failed"),
        ResultWriter(tmp_path / "out.parquet") as writer,
    ):
        writer.start(run.result)
        raise RuntimeError("summary failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_start_does_nothing_for_a_geopackage(world: dict[str, Any], tmp_path: Path) -> None:
    run = run_mod.run_check(world["file"], layers=world["layers"], options=_opts())
    with ResultWriter(tmp_path / "out.gpkg", parquet=True) as writer:
        writer.start(run.result)  # GeoPackage and GeoParquet copies: all at the end
        assert sorted(p.name for p in tmp_path.iterdir()) == []
        writer.finish(run.result, summary=run.summary, issues=None)
    assert {"out.gpkg", "out.parcels.parquet", "out.hits.parquet"} <= {
        p.name for p in tmp_path.iterdir()
    }


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()


def test_nonfinite_coordinates_anywhere_are_found() -> None:
    land_use: LandUse = land_use_from_catalogue(catalogue())
    nan = float("nan")
    hole = shapely.Polygon(
        [(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100)],
        [[(X0 + 10, Y0 + 10), (X0 + 20, Y0 + 10), (X0 + 20, nan)]],
    )
    second_part = shapely.MultiPolygon(
        [sq(0, 0), shapely.Polygon([(X0 + 500, Y0), (X0 + 510, Y0), (X0 + 510, np.inf)])]
    )
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10), (X0, Y0)])
    frame = parcels([hole, second_part, bowtie, sq(300, 0)], pid=["h", "m", "b", "ok"])
    f = prepare_parcels(frame, land_use, id_field="pid").frame
    assert f["invalid_reason"].tolist()[:2] == ["bad_coordinates", "bad_coordinates"]
    assert f["invalid_reason"].iloc[2:].isna().all()  # the bowtie is repaired, not bad
    assert "repaired" in str(f["input_flags"].iloc[2])
