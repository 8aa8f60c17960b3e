"""A run that keeps no result (the CLI's: ``keep_result=False``) lets go of what it has
written, and writes the same files; the hits follow their parcels slice by slice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from check_world import CATALOGUE_DIR, seven_parcels, write_gpkg

from almaty_scheme.check import gpkg_out
from almaty_scheme.check import run as run_mod
from almaty_scheme.check.engine import emptied
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.memory import release_free_memory

pytestmark = pytest.mark.usefixtures("private_zone_cache")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The hand-made world; seven parcels (one without geometry) as a frame and a file."""
    d = tmp_path_factory.mktemp("release")
    src = seven_parcels()
    pyogrio.write_dataframe(src, d / "parcels.gpkg", layer="parcels")
    return {"layers": write_gpkg(d / "layers.gpkg"), "frame": src, "file": d / "parcels.gpkg"}


def _run(world: dict[str, Any], parcels: Any, out: Path, keep: bool, **more: Any) -> Any:
    opts = CheckOptions(catalogue_dir=CATALOGUE_DIR, id_field="cad", use_field="use", **more)
    return run_mod.run_check(
        parcels, layers=world["layers"], out=out, options=opts, keep_result=keep
    )


def _read(path: Path, layer: str) -> pd.DataFrame:
    df = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
    if "geometry" not in df:
        return pd.DataFrame(df)
    return pd.DataFrame(df.drop(columns="geometry")).assign(wkb=df.geometry.to_wkb())


def test_streamed_run_lets_go_and_writes_the_same(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_STREAM_MIN_ROWS", "5")
    monkeypatch.setattr(gpkg_out, "SLICE_ROWS", 3)  # slices 1-3, 4-6, 7
    kept = _run(world, world["file"], tmp_path / "kept.gpkg", keep=True)
    free = _run(world, world["file"], tmp_path / "free.gpkg", keep=False)
    for layer in ("parcels", "parcel_hits", "parcel_input_issues", "check_zones"):
        pd.testing.assert_frame_equal(
            _read(tmp_path / "kept.gpkg", layer), _read(tmp_path / "free.gpkg", layer)
        )
    n_hits = len(kept.hits)
    assert n_hits > 3 and kept.parcels.geometry.notna().sum() == 6
    # written geometries and the summarised hits are let go; the verdicts stay
    assert free.parcels.geometry.isna().all() and len(free.hits) == 0
    assert list(free.hits.columns) == list(kept.hits.columns)
    assert free.parcels["verdict"].tolist() == kept.parcels["verdict"].tolist()
    assert free.summary["by_verdict"] == kept.summary["by_verdict"]
    assert free.summary["n_hits"] == n_hits


@pytest.mark.parametrize(
    ("chunk", "pieces"), [(2, False), (3, False), (7, False), (2, True), (3, True)]
)
def test_chunked_run_writes_the_same_and_summarises_the_same(
    world: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
    pieces: bool,
) -> None:
    """A run that streams and keeps nothing checks CHUNK_ROWS parcels at a time (here
    chunks of 2: 1-2, 3-4, 5-6, 7; slices of 3 inside them): the files and the summary
    are those of one whole check, with the overlap geometries too (a plain hits layer)."""
    monkeypatch.setenv("ALMATY_SCHEME_STREAM_MIN_ROWS", "5")
    more = {"with_overlap_geometry": pieces}
    kept = _run(world, world["file"], tmp_path / "kept.gpkg", keep=True, **more)
    monkeypatch.setattr(run_mod, "CHUNK_ROWS", chunk)
    monkeypatch.setattr(gpkg_out, "SLICE_ROWS", 3)
    chunked = run_mod._check_streamed
    calls: list[int] = []

    def spy(frame: Any, *rest: Any) -> Any:
        calls.append(len(frame))
        return chunked(frame, *rest)

    monkeypatch.setattr(run_mod, "_check_streamed", spy)
    free = _run(world, world["file"], tmp_path / "free.gpkg", keep=False, **more)
    assert calls == [7]  # the chunked path ran, on every parcel
    layers = ["parcels", "parcel_hits", "parcel_input_issues"] + ([] if pieces else ["check_zones"])
    for layer in layers:
        pd.testing.assert_frame_equal(
            _read(tmp_path / "kept.gpkg", layer), _read(tmp_path / "free.gpkg", layer)
        )
    volatile = {"run_id", "timings_s", "inputs"}
    assert {k: v for k, v in free.summary.items() if k not in volatile} == {
        k: v for k, v in kept.summary.items() if k not in volatile
    }
    assert free.summary["by_rule"] and free.summary["n_hits"] == len(kept.hits) > 3
    assert free.parcels["verdict"].tolist() == kept.parcels["verdict"].tolist()
    assert free.parcels.geometry.isna().all() and len(free.hits) == 0
    assert list(free.hits.columns) == list(kept.hits.columns)


def test_a_frame_given_is_never_modified(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_STREAM_MIN_ROWS", "5")
    frame = world["frame"].copy()
    before = frame.geometry.to_wkb()
    out = _run(world, frame, tmp_path / "f.gpkg", keep=False)
    assert frame.geometry.to_wkb().equals(before)
    assert out.parcels.geometry.notna().sum() == 6 and len(out.hits) > 3


def test_geoparquet_run_lets_go_and_writes_the_same(world: dict[str, Any], tmp_path: Path) -> None:
    kept = _run(world, world["file"], tmp_path / "kept.parquet", keep=True)
    free = _run(world, world["file"], tmp_path / "free.parquet", keep=False)
    for name in ("kept", "free"):
        assert (tmp_path / f"{name}.parquet").exists()
    assert (tmp_path / "kept.parquet").read_bytes() == (tmp_path / "free.parquet").read_bytes()
    a = pq.read_table(tmp_path / "kept.hits.parquet")
    assert a.equals(pq.read_table(tmp_path / "free.hits.parquet")) and a.num_rows == len(kept.hits)
    assert free.parcels.geometry.isna().all() and kept.parcels.geometry.notna().sum() == 6
    assert len(free.hits) == len(kept.hits)  # not streamed: the hits stay


def test_hits_out_of_parcel_order_go_in_one_piece(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hits not in parcel order (not the engine's) are encoded in one piece: same file."""
    whole = _run(world, world["frame"], tmp_path / "whole.gpkg", keep=True)
    monkeypatch.setattr(gpkg_out, "SLICE_ROWS", 2)
    out = gpkg_out.GpkgResults(
        tmp_path / "rev.gpkg", process=False, copies=gpkg_out.stored_once(whole.parcels)
    )
    rows = _rows(whole)
    hits = whole.hits.iloc[::-1]
    assert out._sliced_fids(whole.parcels, hits) is None
    assert out._sliced_fids(whole.parcels, whole.hits).tolist() == rows
    out.add(whole.parcels, hits)
    out.finish(None, description="x")
    got = _read(tmp_path / "rev.gpkg", "parcel_hits_data")
    assert got["parcel_fid"].tolist() == rows[::-1]


def _rows(result: Any) -> list[int]:
    """Each hit's parcel's row (1-based), by looking its id up in the parcels."""
    ids = [str(v) for v in result.parcels["parcel_id"]]
    return [ids.index(str(p)) + 1 for p in result.hits["parcel_id"]]


def test_hit_coder_fids_given_or_found_agree(world: dict[str, Any], tmp_path: Path) -> None:
    whole = _run(world, world["frame"], tmp_path / "w.gpkg", keep=True)
    ids = whole.parcels["parcel_id"]
    found = gpkg_out.HitCoder().encode(whole.hits, ids)
    given = gpkg_out.HitCoder().encode(whole.hits, ids, np.array(_rows(whole)))
    pd.testing.assert_frame_equal(found, given)
    assert found["parcel_fid"].tolist() == _rows(whole)


def test_emptied_keeps_columns_and_types_only() -> None:
    df = pd.DataFrame({"c": pd.Categorical(["x", "y"]), "v": [1.0, 2.0]})
    out = emptied(df)
    assert len(out) == 0 and list(out.columns) == ["c", "v"]
    assert isinstance(out["c"].dtype, pd.CategoricalDtype) and len(out["c"].cat.categories) == 0
    assert out["v"].dtype == np.float64


def test_release_free_memory_follows_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_MALLOC_TUNING", "0")
    assert release_free_memory() is False
