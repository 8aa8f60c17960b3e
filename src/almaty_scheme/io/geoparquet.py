"""GeoParquet written with the geometry encoded slice by slice.

:func:`write_geoparquet` writes the file :meth:`geopandas.GeoDataFrame.to_parquet`
(``index=False``) writes: the same Arrow schema, pandas and ``geo`` metadata, values and
row groups. geopandas encodes the whole geometry column at once: a Python ``bytes``
object per row, then their Arrow copy, on top of the geometries themselves. Here the
WKB is made a slice at a time, by :func:`~almaty_scheme.io.wkb.polygonal_wkb` (the
bytes of geopandas' encoder, hole-free polygons written from their coordinates: 10^6
parcels took 0.20-0.25 s against 0.55-0.68 s), into one chunked column, so at most one
slice of WKB exists apart from the column; with ``release`` each slice's geometries are
set to null as soon as they are encoded, so a caller that no longer needs them gets
their memory back while the file is written. The ``geo`` metadata (bounding box,
geometry types, CRS) is made from the whole column first, by geopandas.

One thing differs from geopandas' file: the geometry column, and the columns the caller
names, have no min/max statistics. The least and greatest WKB byte strings say nothing
of where geometries are (readers take the ``geo`` metadata's bounding box), and the
least and greatest of long sentences prune no query; computing them took 0.17 s of
the 1.1 s that Parquet took to write 10^6 results.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from almaty_scheme.io.wkb import polygonal_types, polygonal_wkb, total_bounds
from almaty_scheme.memory import release_free_memory

try:  # geopandas' own metadata and WKB encoder (private: checked by the unit tests)
    from geopandas.io._geoarrow import construct_wkb_array
    from geopandas.io.arrow import _create_metadata, _encode_metadata
except ImportError:  # pragma: no cover - another geopandas: its to_parquet is used
    construct_wkb_array = None

log = logging.getLogger(__name__)

SLICE_ROWS = 131_072
"""Geometries encoded at a time (a multiple of Parquet's write batch of 1 024 rows)."""


def write_geoparquet(
    frame: gpd.GeoDataFrame,
    path: str | Path,
    *,
    rows: int = SLICE_ROWS,
    release: bool = False,
    no_statistics: Sequence[str] = (),
    wkb: pa.ChunkedArray | None = None,
    plain: Sequence[str] = (),
) -> None:
    """Write ``frame`` as ``frame.to_parquet(path, index=False)`` would (snappy, WKB),
    without min/max statistics for the geometry and ``no_statistics``, and without a
    dictionary for ``plain``.

    Parameters
    ----------
    frame
        A GeoDataFrame with one geometry column (more: geopandas writes it).
    path
        The file to write.
    rows
        Geometries encoded to WKB at a time.
    release
        Set ``frame``'s geometries to null, slice by slice, once encoded (the caller
        no longer needs them; shared arrays see it too).
    no_statistics
        Columns of long texts whose least and greatest values help no reader.
    wkb
        The WKB of ``frame``'s geometries, row for row, in the bytes geopandas would
        write for them (null where a geometry is null), e.g. as the parcels' file
        stored them: written as it is instead of encoding the geometries again (10^6
        parcels: 0.25-0.5 s saved), and with ``release`` the geometries are let go at
        once.
    plain
        Columns of nearly distinct values (areas, distances, ids): Parquet's dictionary
        would fill its page (1 MB) and fall back to plain values, an attempt that costs
        time and bytes (10^6 parcels' ``area_m2``: 0.026 s and 8.3 MB with it, 0.016 s
        and 8.0 MB without).
    """
    prepared = geoparquet_table(
        frame, rows=rows, release=release, no_statistics=no_statistics, wkb=wkb, plain=plain
    )
    if prepared is None:
        frame.to_parquet(path, index=False)
    else:
        prepared.write(path)


@dataclass
class ParquetTable:
    """An Arrow table ready for Parquet, and the columns given min/max statistics."""

    table: pa.Table
    statistics: list[str]
    dictionary: list[str] | bool = True

    def write(self, path: str | Path) -> None:
        """Write it (snappy, as geopandas does); Parquet's encoding releases the GIL."""
        pq.write_table(
            self.table,
            path,
            compression="snappy",
            write_statistics=self.statistics or False,
            use_dictionary=self.dictionary,
        )


def geoparquet_table(
    frame: gpd.GeoDataFrame,
    *,
    rows: int = SLICE_ROWS,
    release: bool = False,
    no_statistics: Sequence[str] = (),
    wkb: pa.ChunkedArray | None = None,
    plain: Sequence[str] = (),
) -> ParquetTable | None:
    """What :func:`write_geoparquet` writes (same arguments), made apart from the
    writing, so that a caller makes it on one thread (pandas' conversion holds the GIL)
    and writes it on another; ``None`` when geopandas writes the frame itself (another
    geopandas, or not one geometry column)."""
    geoms = frame.columns[frame.dtypes == "geometry"]
    if construct_wkb_array is None or len(geoms) != 1 or rows < 1:
        return None
    col = geoms[0]
    geo = _encode_metadata(_geo_metadata(frame, col, wkb))  # the whole column's, before release
    series = frame[col]
    field, _ = construct_wkb_array(  # geopandas' field: its name, type and CRS metadata
        np.asarray(series.array[:0]), field_name=col, crs=series.crs
    )
    if wkb is not None and len(wkb) == len(frame):
        chunks = [c.cast(pa.binary()) for c in wkb.chunks]
        if release:
            release_geometries(frame)
    else:
        chunks = _encoded(series, rows, release)
    attrs = pd.DataFrame(frame.copy(deep=False))
    attrs[col] = None  # an Arrow null column, replaced below (as geopandas does)
    # one thread: the columns are few, most of them categoricals, and the hits' writer
    # has the other core (10^6 parcels: 0.18 s, against 0.26 s on Arrow's pool)
    table = pa.Table.from_pandas(attrs, preserve_index=False, nthreads=1)
    del attrs
    i = table.schema.get_field_index(col)
    table = table.set_column(i, field, pa.chunked_array(chunks, pa.binary()))
    del chunks
    metadata = dict(table.schema.metadata or {})
    metadata[b"geo"] = geo
    if frame.attrs:
        metadata[b"PANDAS_ATTRS"] = json.dumps(frame.attrs).encode()
    skip = {col, *no_statistics}
    stats = [c for c in table.column_names if c not in skip]  # never the geometry
    coded: list[str] | bool = [c for c in table.column_names if c not in set(plain)] or False
    return ParquetTable(table.replace_schema_metadata(metadata), stats, coded if plain else True)


def release_geometries(frame: gpd.GeoDataFrame) -> None:
    """Set ``frame``'s geometries to null in place (arrays shared with other frames see
    it too) and give their memory back (:func:`~almaty_scheme.memory.release_free_memory`)."""
    if len(frame):
        frame[frame.geometry.name].array[:] = None
        release_free_memory()


def _geo_metadata(frame: gpd.GeoDataFrame, col: str, wkb: pa.ChunkedArray | None) -> dict[str, Any]:
    """geopandas' ``geo`` metadata of ``frame``, with the bounding box and geometry types
    read from ``wkb`` when it is the geometries' own canonical WKB
    (:func:`~almaty_scheme.io.wkb.total_bounds`, :func:`~almaty_scheme.io.wkb.polygonal_types`):
    the same values, without the GEOS calls over every geometry (10^6 parcels: 0.18 s
    holding the GIL, while the hits are written on the other thread)."""
    bounds = total_bounds(wkb) if wkb is not None and len(wkb) == len(frame) else None
    if wkb is None or bounds is None:
        return dict(_create_metadata(frame))
    meta: dict[str, Any] = _create_metadata(frame.iloc[:0])
    entry = meta["columns"][col]
    entry["geometry_types"] = polygonal_types(wkb)
    if np.isfinite(bounds).all():  # geopandas leaves out a bbox of NaN
        entry["bbox"] = bounds.tolist()
    return meta


def _encoded(series: gpd.GeoSeries, rows: int, release: bool) -> list[pa.Array]:
    """The geometries' WKB, ``rows`` at a time (:func:`write_geoparquet`); with
    ``release`` each slice's geometries set to null once encoded."""
    chunks: list[pa.Array] = []
    for a in range(0, max(len(series), 1), rows):
        chunks.append(polygonal_wkb(np.asarray(series.array[a : a + rows])))
        if release and len(series):
            series.array[a : a + rows] = None
            release_free_memory()
    return chunks
