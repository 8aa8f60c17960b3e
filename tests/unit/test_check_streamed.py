"""A check written chunk by chunk (the engine's chunks, slices of them, a writer process)
gives the same results GeoPackage as one in-process write; the writer's failures are
errors, not tracebacks; chunk results are joined exactly."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from check_world import CATALOGUE_DIR, seven_parcels, sq, write_gpkg
from pandas.api.types import union_categoricals

from almaty_scheme import cli
from almaty_scheme.check import gpkg_out
from almaty_scheme.check import output as out_mod
from almaty_scheme.check import run as run_mod
from almaty_scheme.check.engine import CheckResult, _union
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.cli import check as cli_check
from almaty_scheme.errors import ProcessingError
from almaty_scheme.io import gpkg_stream, gpkg_worker, writer_pool
from almaty_scheme.io.gpkg_stream import WORKER, GpkgStream

pytestmark = pytest.mark.usefixtures("private_zone_cache")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The hand-made world and seven parcels (one without geometry, repeated uses)."""
    d = tmp_path_factory.mktemp("streamed")
    return {"dir": d, "layers": write_gpkg(d / "layers.gpkg"), "parcels": seven_parcels()}


def _run(world: dict[str, Any], out: Path) -> Any:
    opts = CheckOptions(catalogue_dir=CATALOGUE_DIR, id_field="cad", use_field="use")
    return run_mod.run_check(world["parcels"], layers=world["layers"], out=out, options=opts)


def _read(path: Path, layer: str) -> pd.DataFrame:
    df = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
    if "geometry" not in df:
        return pd.DataFrame(df)
    return pd.DataFrame(df.drop(columns="geometry")).assign(wkb=df.geometry.to_wkb())


def _table_sql(path: Path, table: str) -> str:
    with closing(sqlite3.connect(path)) as con:
        return str(
            con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        )


def _chunks(result: CheckResult, cuts: list[int]) -> list[tuple[Any, pd.DataFrame]]:
    """The result cut into chunks of parcels (at ``cuts``), each with its hits."""
    ids = result.parcels["parcel_id"].astype(object)
    pid = result.hits["parcel_id"].astype(object)
    out = []
    for a, b in zip([0, *cuts], [*cuts, len(ids)], strict=True):
        mine = pid.isin(set(ids.iloc[a:b]))
        out.append((result.parcels.iloc[a:b], result.hits[mine.to_numpy()]))
    return out


@pytest.mark.parametrize(("process", "side"), [(True, False), (False, False), (False, True)])
def test_chunks_slices_and_processes_write_the_same_file(
    world: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    process: bool,
    side: bool,
) -> None:
    """Writer processes for both tables, none, or one for the hits beside this
    process's write of the parcels (``side``): the same tables and views."""
    whole = _run(world, tmp_path / "whole.gpkg")  # 7 parcels: one write, in this process
    monkeypatch.setattr(gpkg_out, "SLICE_ROWS", 2)  # slices of 2 parcels within chunks
    out = gpkg_out.GpkgResults(
        tmp_path / "parts.gpkg",
        process=process,
        copies=gpkg_out.stored_once(whole.parcels),
        side=side,
    )
    for parcels_part, hits_part in _chunks(whole.result, [3, 4]):
        out.add(parcels_part, hits_part)
    assert out.stream.process is process
    assert (out.side is not None) is (process or side)  # the hits have a writer of their own
    assert out.side_layer is (process or side)
    summary = whole.summary
    out.finish(out_mod._gpkg_finalizer(summary, whole.issues), description="check results")
    for layer in ("parcels", "parcel_hits", "parcel_input_issues", "check_zones"):
        pd.testing.assert_frame_equal(
            _read(tmp_path / "whole.gpkg", layer), _read(tmp_path / "parts.gpkg", layer)
        )
    # the zones' table, sent to a writer after the hits, is the table GDAL makes of it
    pyogrio.write_dataframe(out.hit_coder.zone_table(), tmp_path / "z.gpkg", layer="check_zones")
    pd.testing.assert_frame_equal(
        _read(tmp_path / "z.gpkg", "check_zones"), _read(tmp_path / "parts.gpkg", "check_zones")
    )
    assert _table_sql(tmp_path / "z.gpkg", "check_zones") == _table_sql(
        tmp_path / "parts.gpkg", "check_zones"
    )
    with closing(sqlite3.connect(tmp_path / "parts.gpkg")) as con:
        zones = con.execute("SELECT count(*), count(DISTINCT zone_key) FROM check_zones").fetchone()
        pairs = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT part1, part2, part3 FROM explanation_pairs)"
        ).fetchone()[0]
        n_pairs = con.execute("SELECT count(*) FROM explanation_pairs").fetchone()[0]
        parts = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT explanation_ru, explanation_en "
            "FROM explanation_parts)"
        ).fetchone()[0]
        n_parts = con.execute("SELECT count(*) FROM explanation_parts").fetchone()[0]
        counts = dict(con.execute("SELECT table_name, feature_count FROM gpkg_ogr_contents"))
        triggers = {
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
    hits = whole.hits
    assert zones[0] == zones[1] == hits.groupby(["layer", "zone_fid"], observed=True).ngroups
    assert pairs == n_pairs and parts == n_parts  # each distinct pair, each part once
    assert counts["parcels"] == 7 and counts["parcel_hits_data"] == len(hits)
    assert {t for t in triggers if "parcel_hits_data" in t}  # the feature count's triggers
    assert not list(tmp_path.glob("*.partial*"))  # the hits' own file is gone


def test_a_large_check_streams_to_writer_processes(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's path: from STREAM_MIN_ROWS parcels on, writer processes write the file."""
    whole = _run(world, tmp_path / "whole.gpkg")
    monkeypatch.setenv("ALMATY_SCHEME_STREAM_MIN_ROWS", "5")
    spawned: list[Path] = []
    real = GpkgStream.__init__

    def init(self: GpkgStream, path: Path, **kw: Any) -> None:
        real(self, path, **kw)
        spawned.append(path)

    monkeypatch.setattr(GpkgStream, "__init__", init)
    streamed = _run(world, tmp_path / "streamed.gpkg")
    assert len(spawned) == 2
    for layer in ("parcels", "parcel_hits"):
        pd.testing.assert_frame_equal(
            _read(tmp_path / "whole.gpkg", layer), _read(tmp_path / "streamed.gpkg", layer)
        )
    pd.testing.assert_frame_equal(whole.parcels, streamed.parcels)
    assert streamed.summary["by_verdict"] == whole.summary["by_verdict"]


def test_a_mid_sized_check_writes_its_hits_beside_the_parcels(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From SIDE_WRITER_MIN_ROWS parcels (below STREAM_MIN_ROWS), the run starts one
    writer process before reading the parcels; the hits' writer takes it while this
    process writes the parcels; the same file as without it, and no writer is left."""
    whole = _run(world, tmp_path / "whole.gpkg")
    monkeypatch.setattr(gpkg_out, "SIDE_WRITER_MIN_ROWS", 5)
    monkeypatch.setattr(out_mod, "SIDE_WRITER_MIN_ROWS", 5)
    monkeypatch.setattr(run_mod, "SIDE_WRITER_MIN_ROWS", 5)
    asked: list[int] = []
    taken: list[int] = []
    real_prestart, real_take = writer_pool.prestart, writer_pool.take

    def prestart(count: int) -> None:
        asked.append(count)
        real_prestart(count)

    def take() -> Any:
        idle = {p.pid for p, _ in writer_pool._IDLE}
        got = real_take()
        taken.append(int(got[0].pid in idle))
        return got

    monkeypatch.setattr(run_mod, "prestart", prestart)
    monkeypatch.setattr(gpkg_stream, "take", take)
    sided = _run(world, tmp_path / "side.gpkg")
    assert asked == [1]  # 7 parcels: one writer, for the hits
    assert taken == [1]  # the one started ahead
    assert writer_pool._IDLE == []
    for layer in ("parcels", "parcel_hits", "check_zones", "parcel_input_issues"):
        pd.testing.assert_frame_equal(
            _read(tmp_path / "whole.gpkg", layer), _read(tmp_path / "side.gpkg", layer)
        )
    assert _table_sql(tmp_path / "whole.gpkg", "parcel_hits_data") == _table_sql(
        tmp_path / "side.gpkg", "parcel_hits_data"
    )
    pd.testing.assert_frame_equal(whole.parcels, sided.parcels)
    assert not list(tmp_path.glob("*.partial*"))
    # that writer wrote the parcels' geometries first, while the zones were prepared
    assert _columns(tmp_path / "side.gpkg", "parcels_geom") == ["fid", "geom"]
    assert "geom" not in _columns(tmp_path / "side.gpkg", "parcels_data")
    assert "geom" in _columns(tmp_path / "whole.gpkg", "parcels_data")
    assert not _tables(tmp_path / "whole.gpkg") & {"parcels_geom"}


def _columns(path: Path, table: str) -> list[str]:
    with closing(sqlite3.connect(path)) as con:
        return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _geometry_first(world: dict[str, Any], path: Path) -> gpkg_out.GpkgResults:
    """A results GeoPackage whose geometries go first (begin_geometry) for the result of
    ``world``; the caller adds the parcels."""
    out = gpkg_out.GpkgResults(path, process=False, side=True)
    assert out.begin_geometry(world["result"].parcels.geometry)
    return out


@pytest.fixture(scope="module")
def checked(world: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The world checked once, its results GeoPackage written in one piece."""
    d = tmp_path_factory.mktemp("checked")
    whole = _run(world, d / "whole.gpkg")
    return {**world, "result": whole.result, "whole": whole, "path": d / "whole.gpkg"}


def test_geometries_first_give_the_same_views_and_filter_through_their_rtree(
    checked: dict[str, Any], tmp_path: Path
) -> None:
    """``parcels_geom`` (fid, geom and its R-tree) written first by the hits' writer,
    ``parcels_data`` without geometry after: the views read exactly as the one-table
    file's, the extent and feature count are registered, and GDAL filters the view
    ``parcels`` through the R-tree of ``parcels_geom``."""
    whole, result = checked["whole"], checked["result"]
    out = _geometry_first(checked, tmp_path / "g.gpkg")
    out.add(result.parcels, result.hits, explained=result.explanations)
    out.finish(out_mod._gpkg_finalizer(whole.summary, whole.issues), description="results")
    for layer in ("parcels", "parcel_hits", "check_zones"):
        pd.testing.assert_frame_equal(
            _read(checked["path"], layer), _read(tmp_path / "g.gpkg", layer)
        )
    info = pyogrio.read_info(tmp_path / "g.gpkg", layer="parcels")
    assert info["capabilities"]["fast_spatial_filter"] and info["features"] == 7
    assert info["geometry_type"] == "MultiPolygon" and info["crs"] == "EPSG:32643"
    with closing(sqlite3.connect(tmp_path / "g.gpkg")) as con:
        extent = {
            r[0]: r[1:]
            for r in con.execute("SELECT table_name, min_x, min_y, max_x, max_y FROM gpkg_contents")
        }
        rtree = con.execute("SELECT count(*) FROM rtree_parcels_geom_geom").fetchone()[0]
    assert extent["parcels"] == extent["parcels_geom"] and None not in extent["parcels"]
    assert rtree == 6  # the seventh parcel has no geometry
    xmin, ymin, _, _ = result.parcels.geometry.iloc[0].bounds  # parcel A's square
    box = (xmin + 10, ymin + 10, xmin + 20, ymin + 20)
    got = pyogrio.read_dataframe(tmp_path / "g.gpkg", layer="parcels", bbox=box)
    assert list(got["parcel_id"]) == ["A"]
    assert not list(tmp_path.glob("*.partial*"))


def test_geometries_changed_after_they_went_first_are_written_with_the_parcels(
    checked: dict[str, Any], tmp_path: Path
) -> None:
    """Parcels that do not carry the geometry objects written first (here: copies of
    them) are written as without :meth:`begin_geometry`: one table with the geometry,
    the same views."""
    result = checked["result"]
    out = _geometry_first(checked, tmp_path / "g.gpkg")
    parcels = result.parcels.copy()
    geoms = result.parcels.geometry.to_numpy()
    parcels[parcels.geometry.name] = gpd.GeoSeries(
        shapely.from_wkb(shapely.to_wkb(geoms)), index=parcels.index, crs=parcels.crs
    )
    assert all(a is None or a is not b for a, b in zip(parcels.geometry, geoms, strict=True))
    out.add(parcels, result.hits, explained=result.explanations)
    whole = checked["whole"]
    out.finish(out_mod._gpkg_finalizer(whole.summary, whole.issues), description="results")
    assert "parcels_geom" not in _tables(tmp_path / "g.gpkg")
    assert "geom" in _columns(tmp_path / "g.gpkg", "parcels_data")
    for layer in ("parcels", "parcel_hits"):
        pd.testing.assert_frame_equal(
            _read(checked["path"], layer), _read(tmp_path / "g.gpkg", layer)
        )


def test_geometries_first_with_overlap_geometries(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hits with their overlap polygons are a plain spatial table written by this
    process after ``parcels_data``; the geometries still go first, by the hits' writer,
    which then ends without a file of its own: the same layers as in one table."""
    opts = CheckOptions(
        catalogue_dir=CATALOGUE_DIR, id_field="cad", use_field="use", with_overlap_geometry=True
    )
    run = run_mod.run_check
    run(world["parcels"], layers=world["layers"], out=tmp_path / "whole.gpkg", options=opts)
    monkeypatch.setattr(out_mod, "SIDE_WRITER_MIN_ROWS", 5)
    run(world["parcels"], layers=world["layers"], out=tmp_path / "first.gpkg", options=opts)
    assert "parcels_geom" in _tables(tmp_path / "first.gpkg")
    for layer in ("parcels", "parcel_hits"):
        pd.testing.assert_frame_equal(
            _read(tmp_path / "whole.gpkg", layer), _read(tmp_path / "first.gpkg", layer)
        )
    assert not list(tmp_path.glob("*.partial*"))


def test_no_geometries_first_when_reprojected_or_on_dask(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Geometries reprojected for writing are not the validated ones: ``--dst-crs``
    keeps the one-table layout; so does a set written by other writers."""
    monkeypatch.setattr(out_mod, "SIDE_WRITER_MIN_ROWS", 5)
    opts = CheckOptions(
        catalogue_dir=CATALOGUE_DIR, id_field="cad", use_field="use", dst_crs="EPSG:4326"
    )
    run_mod.run_check(
        world["parcels"], layers=world["layers"], out=tmp_path / "r.gpkg", options=opts
    )
    assert "parcels_geom" not in _tables(tmp_path / "r.gpkg")
    writer = out_mod.ResultWriter(tmp_path / "s.gpkg", stream=True)
    with writer:
        writer.begin_geometry(world["parcels"])
        assert writer._early is None
    writer = out_mod.ResultWriter(tmp_path / "t.parquet")
    with writer:
        writer.begin_geometry(world["parcels"])
        assert writer._early is None


def test_a_layer_into_another_file_is_acknowledged(tmp_path: Path) -> None:
    """A writer process writes a layer into another GeoPackage than its own when asked
    (``begin_layer(path=...)``) and says when it is written (:meth:`GpkgStream.written`),
    then goes on with its own file."""
    import pyarrow as pa

    stream = GpkgStream(tmp_path / "own.gpkg")
    table = pa.table({"a": [1, 2, 3]})
    stream.begin_layer("elsewhere", append=False, path=tmp_path / "other.gpkg")
    stream.write(table)
    stream.end_layer(table.schema)
    stream.written()
    assert pyogrio.read_dataframe(tmp_path / "other.gpkg", layer="elsewhere")["a"].tolist() == [
        1,
        2,
        3,
    ]
    stream.begin_layer("mine", append=False)
    stream.write(table.slice(1))
    stream.end_layer(table.schema)
    stream.close()
    assert pyogrio.list_layers(tmp_path / "own.gpkg")[:, 0].tolist() == ["mine"]
    assert pyogrio.list_layers(tmp_path / "other.gpkg")[:, 0].tolist() == ["elsewhere"]


def test_a_failed_layer_into_another_file_is_an_error(tmp_path: Path) -> None:
    """The writer cannot write the other file: waiting for it raises a ProcessingError
    that says why."""
    import pyarrow as pa

    stream = GpkgStream(tmp_path / "own.gpkg")
    table = pa.table({"a": [1]})
    stream.begin_layer("t", append=False, path=tmp_path / "no" / "dir" / "other.gpkg")
    stream.write(table)
    stream.end_layer(table.schema)
    with pytest.raises(ProcessingError, match=r"writing .*own\.gpkg failed"):
        stream.written()
    stream.abort()


def test_no_hits_writer_where_no_process_can_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside QGIS (no Python executable to start) the hits are written here, after the
    parcels, into the results file itself: no side file to merge."""
    monkeypatch.setattr(gpkg_stream, "can_spawn", lambda: False)
    monkeypatch.setattr(gpkg_out, "can_spawn", lambda: False)
    out = gpkg_out.GpkgResults(tmp_path / "r.gpkg", process=False, side=True)
    assert out.side is None and not out.stream.process


@pytest.mark.parametrize(
    ("out", "extra", "n", "expected"),
    [
        ("r.gpkg", {}, 7, 0),  # too few
        ("r.gpkg", {}, 60_000, 1),  # the hits' writer
        ("r.gpkg", {}, 250_000, 2),  # streamed: both writers
        ("r.gpkg", {"csv": True}, 250_000, 1),  # not streamed with copies
        ("r.parquet", {}, 250_000, 0),
        ("r.gpkg", {"engine": "dask"}, 250_000, 0),
    ],
)
def test_writers_started_ahead(
    monkeypatch: pytest.MonkeyPatch, out: str, extra: dict[str, Any], n: int, expected: int
) -> None:
    monkeypatch.setattr(run_mod, "row_count", lambda path, layer=None: n)
    opts = CheckOptions(**extra)
    assert run_mod._writers_ahead(Path("parcels.gpkg"), Path(out), opts) == expected


def test_overlap_geometries_stream_without_the_side_writer(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both writer processes start with the output set; hits with their overlap
    geometry are a plain spatial table that the first writer writes after the parcels,
    so the hits' writer ends unused and leaves no file behind."""
    opts = CheckOptions(
        catalogue_dir=CATALOGUE_DIR, id_field="cad", use_field="use", with_overlap_geometry=True
    )
    whole = run_mod.run_check(
        world["parcels"], layers=world["layers"], out=tmp_path / "whole.gpkg", options=opts
    )
    monkeypatch.setenv("ALMATY_SCHEME_STREAM_MIN_ROWS", "5")
    sides: list[gpkg_out.GpkgResults] = []
    real = gpkg_out.GpkgResults.finish

    def finish(self: gpkg_out.GpkgResults, *a: Any, **kw: Any) -> None:
        sides.append(self)
        real(self, *a, **kw)

    monkeypatch.setattr(gpkg_out.GpkgResults, "finish", finish)
    run_mod.run_check(
        world["parcels"], layers=world["layers"], out=tmp_path / "streamed.gpkg", options=opts
    )
    (results,) = sides
    assert results.side is not None and not results.side_layer
    assert results.side._proc.poll() == 0  # told to end, it ended cleanly
    for layer in ("parcels", "parcel_hits"):
        pd.testing.assert_frame_equal(
            _read(tmp_path / "whole.gpkg", layer), _read(tmp_path / "streamed.gpkg", layer)
        )
    assert whole.hits.geometry.notna().all()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "streamed.gpkg", "streamed.summary.json", "whole.gpkg", "whole.summary.json"
    ]  # fmt: skip


def test_a_set_not_streamed_stops_its_writers(world: dict[str, Any], tmp_path: Path) -> None:
    """A streaming output set that got no chunk writes the whole result itself and
    stops the two idle writer processes."""
    whole = _run(world, tmp_path / "whole.gpkg")
    writer = out_mod.ResultWriter(tmp_path / "set.gpkg", stream=True)
    assert writer.gpkg is not None and writer.gpkg.side is not None
    procs = [writer.gpkg.stream._proc, writer.gpkg.side._proc]
    with writer:
        writer.finish(whole.result, summary=whole.summary, issues=whole.issues)
    assert all(p.poll() is not None for p in procs)
    for layer in ("parcels", "parcel_hits"):
        pd.testing.assert_frame_equal(
            _read(tmp_path / "whole.gpkg", layer), _read(tmp_path / "set.gpkg", layer)
        )
    assert not list(tmp_path.glob("*.partial*"))


def test_the_writer_process_imports_no_dataframe_library() -> None:
    """The writer imports pyarrow and pyogrio only (it starts in 0.2 s, not 0.7 s):
    pyogrio's optional companions are marked absent first."""
    code = (
        "import runpy, sys\n"
        f"runpy.run_path({str(WORKER)!r}, run_name='worker')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{gpkg_worker.NOT_NEEDED!r} and sys.modules[m] is not None))\n"
        "print('pyogrio' in sys.modules, 'pyarrow' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True
    )
    assert run.stdout.split("\n")[:2] == ["[]", "True True"]


def test_the_console_script_tunes_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """``almaty-scheme`` (cli.run) exits with main's code, with the collector's
    thresholds raised for the command and the objects left frozen before the exit."""
    seen: list[tuple[int, ...]] = []

    def main(*, last: bool = False) -> int:
        assert last  # the process ends after the command
        seen.append(gc.get_threshold())
        return 3

    before = gc.get_threshold()
    monkeypatch.setattr(cli, "main", main)
    try:
        with pytest.raises(SystemExit) as stop:
            cli.run()
        assert stop.value.code == 3
        assert seen == [cli.GC_THRESHOLDS]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@pytest.mark.parametrize("last", [False, True])
def test_a_check_runs_without_the_collector(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, last: bool
) -> None:
    """Off from the check's imports through its run; on again after the command, but
    in the console script's process (``last``), which ends with it. Other commands
    leave it alone."""
    seen: list[bool] = []
    real = run_mod.run_check

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(cli_check, "run_check", spy)
    world["parcels"].to_file(tmp_path / "p.gpkg", layer="parcels")
    args = ["check", str(tmp_path / "p.gpkg"), "--layers", str(world["layers"])]
    args += ["--id-field", "cad", "--use-field", "use", "--out", str(tmp_path / "r.gpkg"), "-q"]
    args += ["--catalogue", str(CATALOGUE_DIR)]
    assert gc.isenabled()
    try:
        assert cli.main(args, last=last) == 0
        assert seen == [False]
        assert gc.isenabled() is not last
    finally:
        gc.enable()
    assert cli.main(["rules", "list"], last=True) == 0
    assert gc.isenabled()


def test_a_failing_writer_is_an_error(tmp_path: Path) -> None:
    """The writer process cannot create its file: the caller gets a ProcessingError
    that says why (no traceback), at the latest when it closes the stream."""
    import pyarrow as pa

    stream = GpkgStream(tmp_path / "no" / "such" / "dir" / "x.gpkg")
    assert stream.process
    table = pa.table({"a": [1, 2]})
    with pytest.raises(ProcessingError, match=r"writing .*x\.gpkg failed"):
        stream.begin_layer("t", append=False)
        stream.write(table)
        stream.end_layer(table.schema)
        stream.close()


def _cat(values: list[Any], categories: list[Any] | None = None) -> pd.Series:
    return pd.Series(pd.Categorical(values, categories=categories))


@pytest.mark.parametrize(
    "parts",
    [
        # text categories, overlapping, unused ones, missing values, an empty part
        [_cat(["b", "a", None]), _cat(["c", "a"], ["z", "c", "a"]), _cat([], ["q"])],
        # the parcel ids of chunks: disjoint
        [_cat(["p1", "p2"]), _cat(["p3"]), _cat(["p4", "p4"])],
        # not texts: through pandas
        [_cat([1, 2]), _cat([3, 1])],
    ],
)
def test_union_is_union_categoricals(parts: list[pd.Series]) -> None:
    got = _union(parts)
    arrs = [
        pd.Categorical.from_codes(
            np.asarray(p.array.codes),
            categories=pd.Index(p.cat.categories.astype(object), dtype=object),
        )
        for p in parts
    ]
    want = union_categoricals(arrs, ignore_order=True)
    assert list(got.categories) == list(want.categories)
    assert got.codes.tolist() == want.codes.tolist()


def test_concat_release_empties_the_parts() -> None:
    import geopandas as gpd

    a = CheckResult(
        parcels=gpd.GeoDataFrame({"v": _cat(["x"])}, geometry=[sq(0, 0)], crs=32643),
        hits=pd.DataFrame({"parcel_id": _cat(["A"])}),
    )
    b = CheckResult(
        parcels=gpd.GeoDataFrame({"v": _cat(["y"])}, geometry=[sq(0, 0)], crs=32643),
        hits=pd.DataFrame({"parcel_id": _cat(["B"])}),
    )
    joined = CheckResult.concat([a, b], release=True)
    assert joined.parcels["v"].tolist() == ["x", "y"] and len(a.parcels) == 0
    assert list(joined.hits["parcel_id"].cat.categories) == ["A", "B"]
