"""Writing GeoPackage layers chunk by chunk while the caller goes on computing.

GDAL's GeoPackage writer (through :func:`pyogrio.write_arrow`) holds Python's GIL for
the whole write, so a writer thread cannot overlap with the check's own Python work.
:class:`GpkgStream` therefore hands the record batches to a small writer process
(:mod:`almaty_scheme.io.gpkg_worker`: pyarrow and pyogrio only) through a pipe, each
batch as an Arrow IPC stream of its own (:mod:`~almaty_scheme.io.gpkg_pipe`); a sender thread in this process feeds the pipe, so
:meth:`GpkgStream.write` returns at once. GDAL writes each layer in one session, so the
R-tree of a spatial layer is built once, in bulk. Only the batches waiting are bounded
(:data:`_QUEUE_ITEMS`): ending a layer or asking for a merge never waits, so the writer
can finish a layer (its R-tree) while the caller goes on. The bytes written are those of
the same ``write_arrow`` call made here: with ``process=False`` (or when this interpreter
cannot start another, e.g. inside QGIS) the layers are written in this process instead,
each when it ends.

A writer takes 0.2-0.3 s of CPU to start (Python, pyarrow and GDAL); the streams take
writers started ahead where there are some (:mod:`~almaty_scheme.io.writer_pool`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyogrio

from almaty_scheme.errors import ProcessingError
from almaty_scheme.io.gpkg import gdal_config
from almaty_scheme.io.gpkg_merge import merge_tables
from almaty_scheme.io.gpkg_pipe import BATCH_TAG, END_TAG, MERGE, ipc_bytes
from almaty_scheme.io.outset import WRITE_FIX
from almaty_scheme.io.writer_pool import WORKER, can_spawn, take

__all__ = ["WORKER", "GpkgStream", "can_spawn"]

log = logging.getLogger(__name__)

_QUEUE_ITEMS = 4
"""Batches waiting for the pipe at most (memory bound; :meth:`GpkgStream.write` waits
beyond it; the other messages do not count)."""


class GpkgStream:
    """Layers of one GeoPackage written in order, batch by batch.

    Parameters
    ----------
    path
        The GeoPackage (created by the first layer unless ``append`` is given to it).
    config
        GDAL configuration options for the writer (e.g. ``OGR_SQLITE_CACHE``).
    process
        Write in a separate process (the default, when :func:`can_spawn`).
    name
        What the writer process's error calls the file (default ``path``; e.g. the
        output that a temporary ``path`` becomes). Written in this process, GDAL's and
        SQLite's own errors are raised as they are, for the caller's boundary
        (:func:`~almaty_scheme.io.outset.write_failures`).

    Use :meth:`begin_layer`, :meth:`write` (any number of times), :meth:`end_layer`
    per layer, :meth:`merge` for tables written into another GeoPackage, then
    :meth:`close`, which waits for the writer and raises
    :class:`~almaty_scheme.errors.ProcessingError` if it failed; :meth:`abort` stops it.
    """

    def __init__(
        self,
        path: Path,
        *,
        config: Mapping[str, str] | None = None,
        process: bool = True,
        name: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = str(name or path)
        self.config = dict(config or {})
        self.process = process and can_spawn()
        self._options: dict[str, Any] | None = None
        self._batches: list[pa.RecordBatch] = []
        self._error: BaseException | None = None
        self._target: Path | None = None  # begin_layer's path
        if self.process:
            self._start()

    # ------------------------------------------------------------------ the process
    def _start(self) -> None:
        self._proc, self._stderr = take()  # one started ahead, or a new one
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self._room = threading.Semaphore(_QUEUE_ITEMS)  # batches only
        self._sender = threading.Thread(target=self._send, name="gpkg-stream", daemon=True)
        self._sender.start()

    def _send(self) -> None:
        pipe = self._proc.stdin
        assert pipe is not None
        ended = False  # whether close()'s None was taken (the drain below must not wait)
        try:
            pipe.write(json.dumps({"path": str(self.path)}).encode() + b"\n")
            pipe.flush()
            while (item := self._queue.get()) is not None:
                kind, obj = item
                if kind == "begin":
                    pipe.write(json.dumps(obj).encode() + b"\n")
                elif kind == "merge":  # the worker's MERGE line
                    pipe.write(MERGE + json.dumps(obj).encode() + b"\n")
                elif kind == "sent":  # drain(): everything before is in the pipe
                    pipe.flush()
                    obj.set()
                    continue
                elif kind == "batch":
                    self._room.release()  # out of the queue: room for the next
                    pipe.write(BATCH_TAG)
                    pipe.write(ipc_bytes(obj.schema, obj))
                else:  # end of the layer, with its schema (needed when no row was sent)
                    pipe.write(END_TAG)
                    pipe.write(ipc_bytes(obj))
                pipe.flush()  # all of it now: the writer must not wait for the next item
            ended = True
            pipe.write(b"END\n")
            pipe.close()
        except BaseException as exc:  # the writer died (its stderr says why)
            self._error = exc
            with contextlib.suppress(OSError):  # a live writer sees the end of its input
                pipe.close()
            while not ended and (item := self._queue.get()) is not None:  # let the caller
                if item[0] == "batch":  # finish putting (up to close()'s None)
                    self._room.release()

    def _put(self, item: tuple[str, Any] | None) -> None:
        if self._error is not None:
            self._fail()
        self._queue.put(item)

    def _fail(self) -> None:
        self._proc.wait()
        self._stderr.seek(0)
        why = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        raise ProcessingError(
            f"writing {self.name} failed: {why[-1] if why else f'exit {self._proc.returncode}'}",
            [WRITE_FIX],
        )

    # ------------------------------------------------------------------ the API
    def begin_layer(
        self,
        layer: str,
        *,
        geometry_name: str | None = None,
        geometry_type: str | None = None,
        crs: str | None = None,
        append: bool = True,
        dataset_options: Mapping[str, str] | None = None,
        path: Path | None = None,
    ) -> None:
        """Start ``layer`` (the keyword arguments are :func:`pyogrio.write_arrow`'s).

        ``path``: the layer goes into that GeoPackage instead of the stream's; wait for
        it with :meth:`written` before anything else opens that file."""
        opts: dict[str, Any] = {"layer": layer, "append": append}
        if geometry_name is not None:
            opts.update(geometry_name=geometry_name, geometry_type=geometry_type, crs=crs)
        if dataset_options:
            opts["dataset_options"] = dict(dataset_options)
        self._options = opts
        self._target = path
        if self.process:  # the writer sets the GDAL options itself
            extra = {"path": str(path), "ack": True} if path is not None else {}
            self._put(("begin", {**opts, **extra, "gdal_config": self.config}))

    def write(self, table: pa.Table) -> None:
        """Queue the rows of ``table`` (same schema for every call of a layer)."""
        for batch in table.to_batches():
            if self.process:
                self._room.acquire()
                self._put(("batch", batch))
            else:
                self._batches.append(batch)

    def end_layer(self, schema: pa.Schema) -> None:
        """End the current layer (``schema``: the layer's, needed when no row was sent);
        a writer process finishes it on its own (this does not wait)."""
        if self.process:
            self._put(("end", schema))
            return
        assert self._options is not None
        reader = pa.RecordBatchReader.from_batches(schema, iter(self._batches))
        with gdal_config(self.config):
            pyogrio.write_arrow(reader, self._target or self.path, driver="GPKG", **self._options)
        self._batches = []

    def written(self) -> None:
        """Wait until the writer has written and closed the last layer begun with a
        ``path`` of its own (:meth:`begin_layer`); raise if it failed. Call it once per
        such layer, after its :meth:`end_layer`."""
        if not self.process:
            return
        assert self._proc.stdout is not None
        if self._proc.stdout.readline() != b"done\n":  # its end: the writer failed
            self._fail()

    def merge(self, side: Path, tables: Sequence[str]) -> None:
        """Move the attribute tables ``tables`` of the finished GeoPackage ``side`` into
        this one, after the layers before (:func:`~almaty_scheme.io.gpkg_merge.merge_tables`;
        a writer process does it on its own: this does not wait)."""
        if self.process:
            self._put(("merge", {"side": str(side), "tables": list(tables)}))
        else:
            merge_tables(self.path, side, tables)

    def drain(self) -> None:
        """Wait until everything queued so far is in the writer's pipe. Call it before
        this thread holds the GIL for long (GDAL's writes do, through pyogrio): the
        sender thread needs the GIL between its writes, and the writer would wait for
        the rest of its input meanwhile."""
        if not self.process:
            return
        sent = threading.Event()
        self._put(("sent", sent))
        while not sent.wait(0.05):
            if self._error is not None or not self._sender.is_alive():
                return

    def close(self) -> None:
        """Wait until every layer is written; raise if the writer failed."""
        if not self.process:
            return
        self._queue.put(None)  # even after an error: the sender ends on it
        self._sender.join()
        rc = self._proc.wait()
        if rc != 0 or self._error is not None:
            self._fail()
        self._close_pipes()
        log.debug("writer process finished %s", self.path)

    def abort(self) -> None:
        """Stop the writer (the partial file is the caller's to remove)."""
        if not self.process:
            return
        self._proc.kill()
        self._proc.wait()
        self._error = self._error or RuntimeError("aborted")
        try:  # the sender drains the queue once the pipe is broken
            self._queue.put(None, timeout=5)
        except queue.Full:
            log.debug("writer thread of %s did not drain", self.path)
        self._close_pipes()

    def _close_pipes(self) -> None:
        """Close the writer's standard output and the file of its standard error."""
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()
