"""GeoParquet written with the geometry encoded slice by slice.

:func:`write_geoparquet` writes the file :meth:`geopandas.GeoDataFrame.to_parquet`
(``index=False``) writes: the same Arrow schema, pandas and ``geo`` metadata, values and
row groups. geopandas encodes the whole geometry column at once: a Python ``bytes``
object per row, then their Arrow copy, on top of the geometries themselves. Here the
WKB is made a slice at a time (with geopandas' own encoder) into one chunked column, so
at most one slice of ``bytes`` objects exists at a time; with ``release`` each slice's
geometries are set to null as soon as they are encoded, so a caller that no longer
needs them gets their memory back while the file is written. The ``geo`` metadata
(bounding box, geometry types, CRS) is made from the whole column first, by geopandas.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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
) -> None:
    """Write ``frame`` as ``frame.to_parquet(path, index=False)`` would (snappy, WKB).

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
    """
    geoms = frame.columns[frame.dtypes == "geometry"]
    if construct_wkb_array is None or len(geoms) != 1 or rows < 1:
        frame.to_parquet(path, index=False)
        return
    col = geoms[0]
    geo = _encode_metadata(_create_metadata(frame))  # the whole column's, before release
    series = frame[col]
    chunks: list[pa.Array] = []
    field: pa.Field | None = None
    for a in range(0, max(len(frame), 1), rows):
        part = np.asarray(series.array[a : a + rows])
        field, wkb = construct_wkb_array(part, field_name=col, crs=series.crs)
        chunks.append(wkb)
        del part, wkb
        if release and len(frame):
            series.array[a : a + rows] = None
            release_free_memory()
    assert field is not None
    attrs = pd.DataFrame(frame.copy(deep=False))
    attrs[col] = None  # an Arrow null column, replaced below (as geopandas does)
    table = pa.Table.from_pandas(attrs, preserve_index=False)
    del attrs
    i = table.schema.get_field_index(col)
    table = table.set_column(i, field, pa.chunked_array(chunks, pa.binary()))
    del chunks
    metadata = dict(table.schema.metadata or {})
    metadata[b"geo"] = geo
    if frame.attrs:
        metadata[b"PANDAS_ATTRS"] = json.dumps(frame.attrs).encode()
    pq.write_table(table.replace_schema_metadata(metadata), path, compression="snappy")
