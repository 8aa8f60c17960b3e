"""The writer process's pipe (io/gpkg_pipe), its merge of another GeoPackage's tables
(io/gpkg_merge), and a stream whose layer ends without waiting for the writer."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pyarrow as pa
import pyogrio
import pytest

from almaty_scheme.errors import ProcessingError
from almaty_scheme.io import gpkg_stream
from almaty_scheme.io.gpkg_pipe import BATCH_TAG, END_TAG, ipc_bytes, read_layer
from almaty_scheme.io.gpkg_stream import GpkgStream


def _table() -> pa.Table:
    """Plain, nullable and dictionary columns (what the results' tables hold)."""
    return pa.table(
        {
            "n": pa.array([1, 2, None, 4], pa.int64()),
            "x": pa.array([0.5, None, 2.25, 3.0]),
            "t": pa.array(["a", None, "ccc", "a"]),
            "d": pa.array(["u", "v", "u", None]).dictionary_encode(),
        }
    )


def test_a_layer_goes_through_the_pipe_batch_by_batch() -> None:
    """Each batch its own IPC stream, then the end with the schema: the reader gives
    the same batches, and leaves what follows the layer unread."""
    table = _table()
    batches = table.to_batches(max_chunksize=3)
    assert len(batches) == 2
    wire = io.BytesIO()
    for b in batches:
        wire.write(BATCH_TAG + ipc_bytes(b.schema, b).to_pybytes())
    wire.write(END_TAG + ipc_bytes(table.schema).to_pybytes() + b"NEXT\n")
    wire.seek(0)
    reader = read_layer(wire)
    assert reader.schema == table.schema
    assert pa.Table.from_batches(list(reader), table.schema).equals(table)
    assert wire.readline() == b"NEXT\n"


def test_a_layer_without_rows_has_its_schema() -> None:
    table = _table()
    wire = io.BytesIO(END_TAG + ipc_bytes(table.schema).to_pybytes())
    reader = read_layer(wire)
    assert reader.schema == table.schema
    assert reader.read_all().num_rows == 0


def _attribute_gpkg(path: Path, layer: str, rows: int) -> None:
    pyogrio.write_arrow(pa.table({"k": pa.array(range(rows), pa.int64())}), path, layer=layer)


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read only: never create ``path`` (a file made before the writer's is not its)."""
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("process", [True, False])
def test_a_stream_merges_another_geopackage_after_its_layers(tmp_path: Path, process: bool) -> None:
    """``merge`` moves tables of a finished GeoPackage in after the layers written
    before it, by the writer process or here: rows, feature count and triggers."""
    side = tmp_path / "side.gpkg"
    _attribute_gpkg(side, "hits", 5)
    stream = GpkgStream(tmp_path / "main.gpkg", process=process)
    assert stream.process is process
    table = pa.table({"a": pa.array([1, 2, 3], pa.int64())})
    stream.begin_layer("first", append=False)
    stream.write(table)
    stream.end_layer(table.schema)
    stream.merge(side, ["hits"])
    stream.close()
    main = tmp_path / "main.gpkg"
    assert _rows(main, "SELECT k FROM hits ORDER BY fid") == [(k,) for k in range(5)]
    assert dict(_rows(main, "SELECT table_name, feature_count FROM gpkg_ogr_contents")) == {
        "first": 3,
        "hits": 5,
    }
    triggers = _rows(main, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    assert any("hits" in name for (name,) in triggers)
    assert pyogrio.read_dataframe(main, layer="hits")["k"].tolist() == list(range(5))


def test_a_failing_merge_is_an_error(tmp_path: Path) -> None:
    """The writer cannot find the table to merge: close raises a ProcessingError."""
    side = tmp_path / "side.gpkg"
    _attribute_gpkg(side, "other", 1)
    stream = GpkgStream(tmp_path / "main.gpkg")
    table = pa.table({"a": pa.array([1], pa.int64())})
    stream.begin_layer("first", append=False)
    stream.write(table)
    stream.end_layer(table.schema)
    stream.merge(side, ["hits"])
    with pytest.raises(ProcessingError, match=r"writing .*main\.gpkg failed"):
        stream.close()


def test_ending_a_layer_does_not_wait_for_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the writer stopped and the queue full, ``write`` would wait; ending the
    layer and asking for a merge return at once; the writer then writes it all."""
    monkeypatch.setattr(gpkg_stream, "_QUEUE_ITEMS", 1)
    side = tmp_path / "side.gpkg"
    _attribute_gpkg(side, "hits", 2)
    stream = GpkgStream(tmp_path / "main.gpkg")
    big = pa.table({"a": pa.array(range(200_000), pa.int64())})  # more than a pipe holds
    os.kill(stream._proc.pid, signal.SIGSTOP)
    try:
        stream.begin_layer("first", append=False)
        stream.write(big)  # taken by the sender, which waits on the pipe
        time.sleep(0.2)
        stream.write(big)  # queued: the queue is full now
        assert not stream._room.acquire(blocking=False)  # a write would wait

        def end() -> None:
            stream.end_layer(big.schema)
            stream.merge(side, ["hits"])

        ender = threading.Thread(target=end)
        ender.start()
        ender.join(timeout=5)
        assert not ender.is_alive()  # returned while the writer is stopped
    finally:
        os.kill(stream._proc.pid, signal.SIGCONT)
    ender.join()
    stream.close()
    main = tmp_path / "main.gpkg"
    assert _rows(main, "SELECT count(*), sum(a) FROM first") == [(400_000, 2 * sum(range(200_000)))]
    assert _rows(main, "SELECT count(*) FROM hits") == [(2,)]


def test_an_ended_layer_is_written_before_the_stream_closes(tmp_path: Path) -> None:
    """The end of a layer reaches the writer at once (nothing is held in the pipe's
    buffer until a later write): the layer is committed while the stream is open."""
    stream = GpkgStream(tmp_path / "main.gpkg")
    table = pa.table({"a": pa.array([1, 2, 3], pa.int64())})
    stream.begin_layer("first", append=False)
    stream.write(table)
    stream.end_layer(table.schema)
    try:
        rows: list[tuple[object, ...]] = []
        for _ in range(100):
            time.sleep(0.1)
            try:
                rows = _rows(tmp_path / "main.gpkg", "SELECT count(*) FROM first")
            except sqlite3.Error:  # not created, or not committed yet
                continue
            if rows == [(3,)]:
                break
        assert rows == [(3,)]
    finally:
        stream.close()


def test_a_writer_gone_before_the_end_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """The writer died with nothing left to send: the end of the input (written by the
    sender after close()'s last item) meets a broken pipe. close() raises; it used to
    wait forever, the sender waiting for a second last item."""
    stream = GpkgStream(tmp_path / "main.gpkg")
    stream._proc.kill()
    stream._proc.wait()
    raised: list[BaseException] = []

    def close() -> None:
        try:
            stream.close()
        except BaseException as exc:
            raised.append(exc)

    closer = threading.Thread(target=close, daemon=True)
    closer.start()
    closer.join(timeout=20)
    assert not closer.is_alive(), "close() hangs"
    assert len(raised) == 1 and isinstance(raised[0], ProcessingError)
    assert "exit -9" in str(raised[0])
