"""GeoParquet written with the WKB made slice by slice is the file geopandas writes, but
for the statistics of the geometry and the named text columns."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from shapely.geometry import MultiPolygon, box

from almaty_scheme.io.geoparquet import write_geoparquet


def _frame() -> gpd.GeoDataFrame:
    """Five parcels: three boxes, a two-part MultiPolygon, one without geometry."""
    geoms = [
        box(0, 0, 10, 10),
        MultiPolygon([box(20, 0, 30, 5), box(40, -5, 50, 0)]),
        None,
        box(-7, 3, -2, 8),
        box(5, 100, 6, 101),
    ]
    return gpd.GeoDataFrame(
        {
            "parcel_id": pd.array(["A", "B", "C", "D", "E"], dtype="string"),
            "verdict": pd.Categorical(["clear", "prohibited", "invalid_input", "clear", None]),
            "area_m2": [100.0, 100.0, np.nan, 25.0, 1.0],
            "n_hits": np.array([0, 2, 0, 1, 0], dtype=np.int64),
        },
        geometry=geoms,
        crs=32643,
    )


@pytest.mark.parametrize("rows", [1, 2, 5, 131_072])
@pytest.mark.parametrize("release", [False, True])
def test_same_file_as_to_parquet(tmp_path: Path, rows: int, release: bool) -> None:
    frame = _frame()
    frame.to_parquet(tmp_path / "one.parquet", index=False)
    mine = frame.copy() if release else frame
    write_geoparquet(mine, tmp_path / "sliced.parquet", rows=rows, release=release)
    a, b = pq.read_table(tmp_path / "one.parquet"), pq.read_table(tmp_path / "sliced.parquet")
    # geopandas' file written without the geometry's statistics: the same bytes
    stats = [c for c in frame.columns if c != "geometry"]
    frame.to_parquet(tmp_path / "ref.parquet", index=False, write_statistics=stats)
    assert (tmp_path / "sliced.parquet").read_bytes() == (tmp_path / "ref.parquet").read_bytes()
    assert b.equals(a) and b.schema.equals(a.schema, check_metadata=True)
    geo = json.loads(b.schema.metadata[b"geo"])["columns"]["geometry"]
    # the whole column's, made before any slice was let go
    assert geo["bbox"] == [-7.0, -5.0, 50.0, 101.0]
    assert geo["geometry_types"] == ["MultiPolygon", "Polygon"]
    assert geo["encoding"] == "WKB"
    back = gpd.read_parquet(tmp_path / "sliced.parquet")
    assert back["verdict"].tolist()[:4] == ["clear", "prohibited", "invalid_input", "clear"]
    assert back.geometry.area.fillna(-1).tolist() == [100.0, 100.0, -1.0, 25.0, 1.0]
    if release:  # the caller's geometries are let go, the others untouched
        assert mine.geometry.isna().all() and frame.geometry.notna().sum() == 4


def test_empty_frame(tmp_path: Path) -> None:
    frame = _frame().iloc[:0]
    frame.to_parquet(tmp_path / "one.parquet", index=False)
    write_geoparquet(frame, tmp_path / "sliced.parquet", rows=2)
    a, b = pq.read_table(tmp_path / "one.parquet"), pq.read_table(tmp_path / "sliced.parquet")
    assert b.num_rows == 0 and b.schema.equals(a.schema, check_metadata=True)


def _min_max(path: Path) -> dict[str, bool]:
    meta = pq.ParquetFile(path).metadata.row_group(0)
    return {
        meta.column(i).path_in_schema: bool(
            meta.column(i).statistics is not None and meta.column(i).statistics.has_min_max
        )
        for i in range(meta.num_columns)
    }


def test_no_statistics_for_the_geometry_and_named_columns(tmp_path: Path) -> None:
    frame = _frame()
    frame.to_parquet(tmp_path / "one.parquet", index=False)
    write_geoparquet(frame, tmp_path / "sliced.parquet", no_statistics=["verdict"])
    assert _min_max(tmp_path / "one.parquet") == dict.fromkeys(
        ["parcel_id", "verdict", "area_m2", "n_hits", "geometry"], True
    )
    assert _min_max(tmp_path / "sliced.parquet") == {
        "parcel_id": True,
        "verdict": False,
        "area_m2": True,
        "n_hits": True,
        "geometry": False,
    }
    a, b = pq.read_table(tmp_path / "one.parquet"), pq.read_table(tmp_path / "sliced.parquet")
    assert b.equals(a) and b.schema.equals(a.schema, check_metadata=True)


def test_a_frame_of_geometry_only(tmp_path: Path) -> None:
    frame = _frame()[["geometry"]]
    write_geoparquet(frame, tmp_path / "sliced.parquet", rows=2)
    assert _min_max(tmp_path / "sliced.parquet") == {"geometry": False}
    back = gpd.read_parquet(tmp_path / "sliced.parquet")
    assert back.geometry.area.fillna(-1).tolist() == [100.0, 100.0, -1.0, 25.0, 1.0]
