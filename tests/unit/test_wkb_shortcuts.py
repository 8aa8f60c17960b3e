"""GEOS calls over every parcel that the WKB, or what is known already, answers (issue 18,
seventeenth round): a GeoParquet file's bounds and geometry types read from its bytes,
the classification of parcels already shown valid, the explanations' distinct texts
found through a dict. Each answer is the one the call it replaces gives."""

from __future__ import annotations

import struct
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from check_world import parcels, sq
from geopandas.io.arrow import _get_geometry_types
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon, box

import almaty_scheme.crs as crs_module
from almaty_scheme.check.engine import CheckResult
from almaty_scheme.check.inputs import _repair_geometries
from almaty_scheme.check.kernels import FlatRings
from almaty_scheme.check.output import ResultWriter, write_hits_parquet
from almaty_scheme.check.verdict import _first_seen
from almaty_scheme.errors import CRSError
from almaty_scheme.io.geoparquet import write_geoparquet
from almaty_scheme.io.readers import read_vector_wkb
from almaty_scheme.io.wkb import polygonal_types, simple_valid, total_bounds

HOLED = box(10, 10, 20, 20).difference(box(12, 12, 14, 14))
TWO = MultiPolygon([box(30, 30, 31, 31), HOLED])
BOWTIE = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])


def _wkb(geoms: list[object]) -> pa.Array:
    return pa.array(list(shapely.to_wkb(np.array(geoms, dtype=object))), pa.binary())


def test_total_bounds_read_from_the_wkb_by_hand() -> None:
    # a unit square, a null, and two parts reaching from (10, 10) to (31, 31)
    geoms = [box(-1, 2, 0, 3), None, TWO]
    got = total_bounds(_wkb(geoms))
    assert got is not None and got.tolist() == [-1.0, 2.0, 31.0, 31.0]
    assert got.tolist() == gpd.GeoSeries(geoms).total_bounds.tolist()
    # chunks are joined; nothing but nulls has no bounds
    chunked = pa.chunked_array([_wkb([box(5, 6, 7, 8)]), _wkb([box(1, 1, 2, 2)])])
    assert total_bounds(chunked).tolist() == [1.0, 1.0, 7.0, 8.0]  # type: ignore[union-attr]
    assert np.isnan(total_bounds(pa.array([None], pa.binary()))).all()  # type: ignore[arg-type]


def test_a_nan_coordinate_is_left_out_of_the_bounds() -> None:
    ring = [(0.0, 0.0), (4.0, 0.0), (float("nan"), 9.0), (0.0, 3.0), (0.0, 0.0)]
    blob = bytes([1]) + struct.pack("<III", 3, 1, len(ring))
    blob += b"".join(struct.pack("<dd", x, y) for x, y in ring)
    assert total_bounds(pa.array([blob], pa.binary())).tolist() == [0.0, 0.0, 4.0, 9.0]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "other",
    [
        shapely.to_wkb(box(0, 0, 1, 1), byte_order=0),  # big-endian
        shapely.to_wkb(Polygon([(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 0, 1)])),  # z
        shapely.to_wkb(Point(1, 2)),
        shapely.to_wkb(GeometryCollection([box(0, 0, 1, 1)])),
        shapely.to_wkb(Polygon()),  # empty
        b"",  # no bytes, not null
    ],
)
def test_bounds_are_left_to_geos_unless_every_row_is_canonical(other: bytes) -> None:
    assert total_bounds(pa.array([shapely.to_wkb(TWO), bytes(other)], pa.binary())) is None


@pytest.mark.parametrize(
    ("geoms", "types"),
    [
        ([box(0, 0, 1, 1), None], ["Polygon"]),
        ([TWO, None, box(0, 0, 1, 1)], ["MultiPolygon", "Polygon"]),
        ([TWO], ["MultiPolygon"]),
        ([None], []),
    ],
)
def test_geometry_types_read_from_the_wkb(geoms: list[object], types: list[str]) -> None:
    assert polygonal_types(_wkb(geoms)) == types
    assert polygonal_types(_wkb(geoms)) == _get_geometry_types(gpd.GeoSeries(geoms))


def test_read_parquet_coordinates_are_checked_from_their_wkb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    original = crs_module.coordinate_problem

    def spy(data, bounds=None):  # type: ignore[no-untyped-def]
        seen.append(None if bounds is None else bounds.tolist())
        return original(data, bounds)

    monkeypatch.setattr(crs_module, "coordinate_problem", spy)
    frame = parcels([sq(0, 0), None], cad=["A", "B"])
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    assert read_vector_wkb(tmp_path / "p.parquet").wkb is not None
    assert seen == [frame.total_bounds.tolist()]  # the bytes' bounds, GEOS not asked
    # degrees labelled as UTM metres are still refused, from the bytes' bounds
    lonlat = parcels([box(76.9, 43.2, 76.91, 43.21)], cad=["A"])
    lonlat.to_parquet(tmp_path / "ll.parquet", index=False)
    with pytest.raises(CRSError, match="look like lon/lat degrees"):
        read_vector_wkb(tmp_path / "ll.parquet")
    assert seen[-1] == [76.9, 43.2, 76.91, 43.21]


def test_known_valid_rows_are_classified_as_geos_classifies_them() -> None:
    z = Polygon([(0, 0, 1), (9, 0, 1), (9, 9, 1), (0, 0, 1)])
    mixed = GeometryCollection([box(0, 0, 1, 1), Point(5, 5)])
    geoms = [box(0, 0, 1, 1), None, Polygon(), z, BOWTIE, TWO, Point(1, 1), mixed, HOLED]
    arr = np.array(geoms, dtype=object)
    known = simple_valid(_wkb([g if g is not None else Polygon() for g in geoms]), np.arange(9))
    assert known.tolist() == [True] + [False] * 8  # only the simple square is shown valid
    out, reason, flags, detail = _repair_geometries(arr, known)
    w_out, w_reason, w_flags, w_detail = _repair_geometries(arr)  # GEOS asked of every row
    assert reason.tolist() == w_reason.tolist() and detail.tolist() == w_detail.tolist()
    assert {k: v.tolist() for k, v in flags.items()} == {k: v.tolist() for k, v in w_flags.items()}
    assert [None if g is None else g.wkb for g in out] == [
        None if g is None else g.wkb for g in w_out
    ]
    assert reason.tolist() == [
        None,
        "null_geometry",
        "empty_geometry",
        None,
        None,
        None,
        "not_polygon",
        None,
        None,
    ]
    assert flags["z_dropped"].tolist() == [False, False, False, True] + [False] * 5
    assert flags["repaired"].tolist() == [False] * 4 + [True] + [False] * 4


def test_first_seen_codes_are_pandas_factorize() -> None:
    texts = np.array(["b", "a", "b", "", "c", "a", "Б"], dtype=object)
    codes, uniq = _first_seen(texts)
    assert codes.tolist() == [0, 1, 0, 2, 3, 1, 4]
    assert uniq.tolist() == ["b", "a", "", "c", "Б"] and uniq.dtype == object
    want_codes, want_uniq = pd.factorize(texts)
    assert codes.tolist() == want_codes.tolist() and uniq.tolist() == list(want_uniq)
    codes, uniq = _first_seen(np.array([], dtype=object))
    assert len(codes) == 0 and len(uniq) == 0


def test_geometries_written_from_their_wkb_are_let_go_after_the_files(tmp_path: Path) -> None:
    geoms = [sq(0, 0), None, TWO]
    frame = parcels(geoms, parcel_id=["A", "B", "C"])
    hits = pd.DataFrame({"parcel_id": pd.Categorical(["A"]), "overlap_m2": [1.0]})
    result = CheckResult(parcels=frame, hits=hits)
    wkb = pa.chunked_array([_wkb(geoms)])
    with ResultWriter(tmp_path / "r.parquet", release=True) as writer:
        writer.start(result, wkb=wkb)
        assert not frame.geometry.isna().all()  # kept while the caller summarises
        writer.finish(result, summary={"n": 3}, issues=None)
    assert frame.geometry.isna().all()  # let go once the files were being written
    stored = pq.read_table(tmp_path / "r.parquet").column("geometry")
    assert stored.to_pylist() == wkb.to_pylist()
    assert pq.read_table(tmp_path / "r.hits.parquet").num_rows == 1


def test_morton_order_by_hand() -> None:
    # first vertices in 250 m cells (0,0), (1,0), (0,1), (1,1), (0,0) again, (2,0):
    # Morton codes 0, 1, 2, 3, 0, 4; equal codes keep their input order
    corners = [(0, 0), (300, 10), (10, 260), (260, 260), (5, 5), (510, 0)]
    geoms = np.array([box(x, y, x + 10, y + 10) for x, y in corners], dtype=object)
    rings = FlatRings.from_geoms(geoms)
    first = rings.ring_offsets[rings.geom_offsets[:-1]]
    assert rings.x[first].tolist()[:2] == [10.0, 310.0]  # shapely's box starts at (xmax, ymin)
    assert rings.spatial_order().tolist() == [0, 4, 1, 2, 3, 5]
    srt, order = rings.spatial_copy()
    assert order.tolist() == [0, 4, 1, 2, 3, 5]
    assert srt.x[srt.ring_offsets[srt.geom_offsets[1]]] == 15.0  # geometry 4 second


def test_hits_written_while_the_parcels_are_explained(tmp_path: Path) -> None:
    frame = parcels([sq(0, 0), TWO], parcel_id=["A", "B"])
    hits = pd.DataFrame({"parcel_id": pd.Categorical(["B", "B"]), "overlap_m2": [1.0, 2.0]})
    result = CheckResult(parcels=frame, hits=hits)
    with ResultWriter(tmp_path / "r.parquet") as writer:
        writer.start_hits(hits)  # as the engine hands them over (check_parcels(on_hits=))
        writer.start_hits(hits.iloc[:0])  # once only
        writer.finish(result, summary={"n": 2}, issues=None)  # the parcels written here
    assert pq.read_table(tmp_path / "r.hits.parquet").column("overlap_m2").to_pylist() == [1, 2]
    got = gpd.read_parquet(tmp_path / "r.parquet")
    assert got["parcel_id"].tolist() == ["A", "B"] and got.geometry.iloc[1].equals(TWO)
    # not a GeoParquet-only set: the GeoPackage writer takes the hits at the end instead
    (tmp_path / "other").mkdir()
    with ResultWriter(tmp_path / "other" / "r.gpkg") as writer:
        writer.start_hits(hits)
        assert writer._hits_job is None


def _encodings(path: Path) -> dict[str, set[str]]:
    rg = pq.ParquetFile(path).metadata.row_group(0)
    return {rg.column(i).path_in_schema: set(rg.column(i).encodings) for i in range(rg.num_columns)}


def test_nearly_distinct_columns_are_written_without_a_dictionary(tmp_path: Path) -> None:
    frame = parcels(
        [sq(0, 0), sq(200, 0), TWO],
        parcel_id=["A", "B", "C"],
        area_m2=[10_000.0, 10_000.0, 2.0],
        near_roads_m=[1.5, np.nan, 3.0],
        verdict=pd.Categorical(["clear", "clear", "outside"]),
    )
    write_geoparquet(frame, tmp_path / "p.parquet", plain=["parcel_id", "area_m2", "near_roads_m"])
    enc = _encodings(tmp_path / "p.parquet")
    for col in ("parcel_id", "area_m2", "near_roads_m"):
        assert "RLE_DICTIONARY" not in enc[col], col
    assert "RLE_DICTIONARY" in enc["verdict"]
    pd.testing.assert_frame_equal(gpd.read_parquet(tmp_path / "p.parquet"), frame)
    # the hits: ids and the per-hit numbers plain, the zones' attributes coded
    hits = pd.DataFrame(
        {
            "parcel_id": pd.Categorical(["A", "A", "C"]),
            "rule_id": pd.Categorical(["r1", "r2", "r1"]),
            "overlap_m2": [1.0, 2.0, 3.0],
            "share_pct": [0.01, 0.02, 100.0],
            "distance_to_source_m": [0.0, 12.5, np.nan],
        }
    )
    write_hits_parquet(hits, tmp_path / "h.parquet")
    enc = _encodings(tmp_path / "h.parquet")
    for col in ("parcel_id", "overlap_m2", "share_pct", "distance_to_source_m"):
        assert "RLE_DICTIONARY" not in enc[col], col
    assert "RLE_DICTIONARY" in enc["rule_id"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "h.parquet"), hits)
