"""What :class:`~almaty_scheme.io.gpkg_stream.GpkgStream` sends its GeoPackage writer
process (:mod:`~almaty_scheme.io.gpkg_worker`) through the pipe (pyarrow only).

Per layer: a line of JSON (the keyword arguments of :func:`pyogrio.write_arrow`), then
each batch as an Arrow IPC stream of its own after :data:`BATCH_TAG`, and
:data:`END_TAG` with a stream of the layer's schema alone. A line starting with
:data:`MERGE` asks for tables of another GeoPackage to be moved in; ``END`` ends it all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import pyarrow as pa

BATCH_TAG, END_TAG = b"B", b"E"
"""Before each Arrow IPC stream of a layer: one batch follows, or the layer ends."""

MERGE = b"MERGE "
"""The start of a line of JSON: ``side`` (a finished GeoPackage) and ``tables``."""


def ipc_bytes(schema: pa.Schema, batch: pa.RecordBatch | None = None) -> pa.Buffer:
    """One Arrow IPC stream (``schema``, ``batch`` if given, the end marker) in memory.

    Made by Arrow alone, then written to the pipe in one call: an IPC writer on the
    pipe itself calls back into Python for each of a batch's buffers (about a hundred
    per batch), each time waiting for the GIL that the check holds."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        if batch is not None:
            writer.write_batch(batch)
    return sink.getvalue()


def read_layer(src: IO[bytes]) -> pa.RecordBatchReader:
    """The batches of one layer as the sender wrote them, read as they arrive."""
    tag = src.read(1)
    first = pa.ipc.open_stream(src)

    def batches() -> Iterator[pa.RecordBatch]:
        t, stream = tag, first
        while True:
            yield from stream
            if t != BATCH_TAG:
                return
            t = src.read(1)
            stream = pa.ipc.open_stream(src)

    return pa.RecordBatchReader.from_batches(first.schema, batches())
