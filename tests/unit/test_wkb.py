"""The results' geometries as WKB (io/wkb.py): as MultiPolygons, the bytes of shapely's
WKB of the same geometry made a MultiPolygon; each as it is, the bytes of shapely's ISO
WKB (what geopandas writes to GeoParquet); whichever path writes them."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from almaty_scheme.io import wkb

SQUARE = box(0, 0, 1, 1)
HOLED = box(10, 10, 20, 20).difference(box(12, 12, 14, 14))
TWO = MultiPolygon([box(30, 30, 31, 31), box(40, 40, 42, 41)])
RAISED = Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5), (0, 0, 5)])


def _expected(g: object) -> bytes | None:
    if g is None:
        return None
    multi = g if shapely.get_type_id(g) == 6 else shapely.multipolygons([g])
    return bytes(shapely.to_wkb(multi, byte_order=1))


def test_a_square_is_a_multipolygon_of_one_ring_of_five_points() -> None:
    got = wkb.multipolygon_wkb(np.array([SQUARE], dtype=object)).to_pylist()[0]
    # 9 (multipolygon: order, type 6, 1 part) + 9 (polygon: order, type 3, 1 ring)
    # + 4 (5 points) + 5 x 16 (x, y doubles, the closing vertex included)
    assert len(got) == 102
    assert got[:22] == b"\x01" + struct.pack("<II", 6, 1) + b"\x01" + struct.pack("<III", 3, 1, 5)
    xy = struct.unpack("<10d", got[22:])
    assert list(zip(xy[::2], xy[1::2], strict=True)) == list(SQUARE.exterior.coords)


@pytest.mark.parametrize(
    "geoms",
    [
        [SQUARE, box(5, 5, 7, 6)],  # every one written from its coordinates
        [SQUARE, None, HOLED, TWO, box(5, 5, 7, 6)],  # mixed: two paths, one order
        [HOLED, TWO],  # none simple
        [SQUARE, RAISED],  # a z coordinate
        [None, None],
    ],
)
def test_bytes_are_shapely_s_in_the_rows_order(geoms: list[object]) -> None:
    got = wkb.multipolygon_wkb(np.array(geoms, dtype=object))
    assert got.to_pylist() == [_expected(g) for g in geoms]
    assert got.null_count == sum(g is None for g in geoms)


def test_real_sized_batch_matches_shapely() -> None:
    rng = np.random.default_rng(3)
    xs = rng.uniform(600_000, 700_000, 2000)
    ys = rng.uniform(4_700_000, 4_800_000, 2000)
    geoms = np.array(
        [
            shapely.Point(x, y).buffer(30, quad_segs=int(q))
            for x, y, q in zip(xs, ys, xs % 7 + 1, strict=True)
        ],
        dtype=object,
    )
    geoms[::97] = None
    assert wkb.multipolygon_wkb(geoms).to_pylist() == [_expected(g) for g in geoms]


def test_a_square_as_it_is_is_a_polygon_of_one_ring_of_five_points() -> None:
    got = wkb.polygonal_wkb(np.array([SQUARE], dtype=object)).to_pylist()[0]
    # 9 (polygon: order, type 3, 1 ring) + 4 (5 points) + 5 x 16 (x, y doubles)
    assert len(got) == 93
    assert got[:13] == b"\x01" + struct.pack("<III", 3, 1, 5)
    xy = struct.unpack("<10d", got[13:])
    assert list(zip(xy[::2], xy[1::2], strict=True)) == list(SQUARE.exterior.coords)


EMPTY = Polygon()


@pytest.mark.parametrize(
    "geoms",
    [
        [SQUARE, box(5, 5, 7, 6)],
        [SQUARE, None, HOLED, TWO, box(5, 5, 7, 6), EMPTY],
        [HOLED, TWO],
        [SQUARE, RAISED],
        [None, None],
    ],
)
def test_as_it_is_bytes_are_shapely_iso_in_the_rows_order(geoms: list[object]) -> None:
    arr = np.array(geoms, dtype=object)
    got = wkb.polygonal_wkb(arr)
    want = [None if b is None else bytes(b) for b in shapely.to_wkb(arr, flavor="iso")]
    assert got.to_pylist() == want
    assert got.null_count == sum(g is None for g in geoms)
