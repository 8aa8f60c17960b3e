"""Writer processes started ahead (io/writer_pool): taken by the streams, replaced when
dead, ended when not needed; the worker's path on its input; a stream drained into its
pipe before this process holds the GIL; the command line's early start; the feature
count a run sizes its writers with (io/readers.row_count)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pytest
import shapely

from almaty_scheme import cli
from almaty_scheme.io import writer_pool
from almaty_scheme.io.gpkg_stream import GpkgStream
from almaty_scheme.io.readers import row_count


@pytest.fixture(autouse=True)
def no_idle_writers() -> Iterator[None]:
    writer_pool.discard_prestarted()
    yield
    writer_pool.discard_prestarted()


def _idle_pids() -> list[int]:
    return [p.pid for p, _ in writer_pool._IDLE]


def _count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as con:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _write_one_layer(stream: GpkgStream, rows: int) -> None:
    table = pa.table({"a": pa.array(range(rows), pa.int64())})
    stream.begin_layer("t", append=False)
    stream.write(table)
    stream.end_layer(table.schema)


def test_prestart_keeps_the_count_asked() -> None:
    writer_pool.prestart(2)
    procs = [p for p, _ in writer_pool._IDLE]
    assert len(procs) == 2 and all(p.poll() is None for p in procs)
    writer_pool.prestart(1)  # one ended
    assert _idle_pids() == [procs[0].pid]
    assert procs[1].returncode is not None  # reaped, not a zombie
    writer_pool.discard_prestarted()
    assert writer_pool._IDLE == [] and procs[0].returncode is not None


def test_a_stream_takes_a_writer_started_ahead(tmp_path: Path) -> None:
    writer_pool.prestart(1)
    (pid,) = _idle_pids()
    stream = GpkgStream(tmp_path / "out.gpkg")
    assert stream._proc.pid == pid and writer_pool._IDLE == []
    _write_one_layer(stream, 5)
    stream.close()
    assert _count(tmp_path / "out.gpkg", "t") == 5


def test_a_dead_writer_started_ahead_is_replaced(tmp_path: Path) -> None:
    writer_pool.prestart(1)
    (proc, _) = writer_pool._IDLE[0]
    proc.kill()
    proc.wait()
    stream = GpkgStream(tmp_path / "out.gpkg")
    assert stream._proc.pid != proc.pid
    _write_one_layer(stream, 3)
    stream.close()
    assert _count(tmp_path / "out.gpkg", "t") == 3


def test_a_writer_not_needed_exits_without_a_file(tmp_path: Path) -> None:
    """The worker's input ends before its first line (the path): it writes nothing."""
    done = subprocess.run(
        [sys.executable, "-P", str(writer_pool.WORKER)],
        input=b"",
        capture_output=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == b""
    assert list(tmp_path.iterdir()) == []


def test_drain_waits_until_the_rows_are_in_the_pipe(tmp_path: Path) -> None:
    """With the writer stopped, a small layer is drained (it fits in the widened pipe)
    and a large one is not; once the writer runs again, both are written."""
    stream = GpkgStream(tmp_path / "out.gpkg")
    os.kill(stream._proc.pid, signal.SIGSTOP)
    try:
        small = pa.table({"a": pa.array(range(10_000), pa.int64())})  # 80 kB: over 64 KiB
        stream.begin_layer("small", append=False)
        stream.write(small)
        stream.end_layer(small.schema)
        drained = threading.Thread(target=stream.drain)
        drained.start()
        drained.join(timeout=10)
        assert not drained.is_alive()
        big = pa.table({"a": pa.array(range(400_000), pa.int64())})  # 3.2 MB
        stream.begin_layer("big")
        stream.write(big)
        stream.end_layer(big.schema)
        waiting = threading.Thread(target=stream.drain)
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive()  # the writer must read first
    finally:
        os.kill(stream._proc.pid, signal.SIGCONT)
    waiting.join(timeout=30)
    assert not waiting.is_alive()
    stream.close()
    assert _count(tmp_path / "out.gpkg", "small") == 10_000
    assert _count(tmp_path / "out.gpkg", "big") == 400_000


@pytest.mark.parametrize(
    ("args", "started"),
    [
        (["p.gpkg", "--layers", "l.gpkg", "--out", "r.gpkg"], 1),
        (["p.gpkg", "--out=R.GPKG", "--layers", "l.gpkg"], 1),
        (["p.gpkg", "--out", "r.parquet"], 0),
        (["p.gpkg", "--out", "r.gpkg", "--engine", "dask"], 0),
        (["p.gpkg", "--out", "r.gpkg", "--help"], 0),
        (["p.gpkg", "--layers", "l.gpkg"], 0),
        (["p.gpkg", "--out"], 0),
    ],
)
def test_the_command_line_starts_a_check_writer_before_its_imports(
    monkeypatch: pytest.MonkeyPatch, args: list[str], started: int
) -> None:
    asked: list[int] = []
    monkeypatch.setattr(writer_pool, "prestart", asked.append)
    cli._start_check_writer(args)
    assert asked == [1] * started


def _cli_in_subprocess(cwd: Path, args: list[str]) -> tuple[int, list[int], str]:
    """Run the command line in another interpreter: its exit code, the pids of the
    writers still idle when it returned, and its standard error."""
    code = (
        "import sys\n"
        "from almaty_scheme import cli\n"
        "from almaty_scheme.io import writer_pool\n"
        f"rc = cli.main({args!r})\n"
        "print(rc, *[p.pid for p, _ in writer_pool._IDLE])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    rc, *pids = done.stdout.split()
    return int(rc), [int(p) for p in pids], done.stderr


def _gone(pid: int) -> bool:
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists():
            return True
        threading.Event().wait(0.05)
    return False


def test_a_failed_run_ends_its_writer(tmp_path: Path) -> None:
    """The run began (the layers are missing): it ends the writer started ahead."""
    rc, idle, err = _cli_in_subprocess(
        tmp_path, ["check", "p.gpkg", "--layers", "l.gpkg", "--out", "r.gpkg"]
    )
    assert (rc, idle) == (1, [])
    assert err.startswith("error: Restriction layers l.gpkg not found")
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_usage_error_leaves_no_writer_running(tmp_path: Path) -> None:
    """Refused by click before any run: the writer is still idle when the command
    returns, and the interpreter's exit ends it."""
    rc, idle, err = _cli_in_subprocess(
        tmp_path, ["check", "p.gpkg", "--out", "r.gpkg", "--no-such-option"]
    )
    assert rc == 2 and err.startswith("error: No such option '--no-such-option'")
    assert len(idle) == 1 and _gone(idle[0])
    assert not list(tmp_path.iterdir())


def test_row_count_reads_only_what_files_state(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"k": [1, 2, 3]}, geometry=[shapely.Point(i, i) for i in range(3)], crs=32643
    )
    gdf.to_file(tmp_path / "p.gpkg", layer="parcels")
    gdf.to_parquet(tmp_path / "p.parquet")
    gdf.to_file(tmp_path / "p.geojson")
    assert row_count(tmp_path / "p.gpkg") == 3
    assert row_count(tmp_path / "p.gpkg", layer="parcels") == 3
    assert row_count(tmp_path / "p.parquet") == 3
    assert row_count(tmp_path / "p.geojson") is None  # GDAL would read every feature
    assert row_count(tmp_path / "missing.gpkg") is None
    assert row_count(tmp_path / "p.gpkg", layer="nope") is None
