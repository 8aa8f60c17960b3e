"""The numpy clipping overlap equals GEOS intersection areas, for any simple polygons."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from almaty_scheme.check.clip import convex_pieces, overlap_by_clipping, polygon_rings
from almaty_scheme.check.kernels import FlatRings, best_per_group, worst_per_group
from almaty_scheme.check.zones import chunk_lines, tile_geometries

X0, Y0 = 700_000.0, 4_790_000.0  # realistic UTM magnitudes: precision matters


def _zones() -> np.ndarray:
    rng = np.random.default_rng(3)
    line = shapely.LineString(
        np.cumsum(rng.normal(0, 150, (40, 2)), axis=0) + np.array([X0 + 2500, Y0 + 2500])
    )
    wiggly = shapely.buffer(line, 120.0)
    holed = shapely.box(X0, Y0, X0 + 4000, Y0 + 4000).difference(
        shapely.box(X0 + 1000, Y0 + 1000, X0 + 2000, Y0 + 2000)
    )
    return np.array([wiggly, holed], dtype=object)


ZONES = _zones()
TILES, OWNER = tile_geometries(ZONES, 700.0)
PIECES = convex_pieces(TILES, OWNER)


def test_pieces_partition_the_zones() -> None:
    a = np.zeros(2)
    xy = PIECES.coords
    x, y = xy[..., 0] - xy[:, :1, 0], xy[..., 1] - xy[:, :1, 1]
    area = 0.5 * np.sum(x * np.roll(y, -1, 1) - np.roll(x, -1, 1) * y, axis=1)
    assert (area > 0).all()  # counter-clockwise
    np.add.at(a, PIECES.owner, area)
    assert a == pytest.approx(shapely.area(ZONES), rel=1e-9)


@st.composite
def polygons(draw: st.DrawFn) -> shapely.Geometry:
    cx = draw(st.floats(-300, 4300))
    cy = draw(st.floats(-300, 4300))
    n = draw(st.integers(3, 40))
    r = draw(st.floats(5, 600))
    pts = [(X0 + cx + draw(st.floats(-r, r)), Y0 + cy + draw(st.floats(-r, r))) for _ in range(n)]
    polys = _polygonal(shapely.make_valid(shapely.Polygon(pts)))
    if draw(st.booleans()):  # punch a hole (GEOS may leave a line beside the polygons)
        polys = [
            q for p in polys for q in _polygonal(p.difference(shapely.buffer(p.centroid, r / 6)))
        ]
    return shapely.union_all(polys) if polys else shapely.box(X0, Y0, X0 + 1, Y0 + 1)


def _polygonal(g: shapely.Geometry) -> list[shapely.Geometry]:
    """The non-empty polygons of ``g`` (overlap_by_clipping takes polygons only)."""
    return [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]


@settings(max_examples=40, deadline=None)
@given(st.lists(polygons(), min_size=1, max_size=6))
def test_clipping_equals_geos(geoms) -> None:  # type: ignore[no-untyped-def]
    g = np.array(geoms, dtype=object)
    gi, ow, ar = overlap_by_clipping(g, PIECES)
    got = np.zeros((len(g), 2))
    np.add.at(got, (gi, ow), ar)
    ref = np.stack([shapely.area(shapely.intersection(g, z)) for z in ZONES], axis=1)
    assert got == pytest.approx(ref, rel=1e-7, abs=1e-5)


def test_exact_square_answers() -> None:
    box = shapely.box(X0 + 3950, Y0 + 100, X0 + 4050, Y0 + 200)  # half outside the holed zone
    hole = shapely.box(X0 + 1450, Y0 + 1450, X0 + 1550, Y0 + 1550)  # inside the hole
    gi, ow, ar = overlap_by_clipping(np.array([box, hole], dtype=object), PIECES)
    got = {(int(i), int(o)): a for i, o, a in zip(gi, ow, ar, strict=True)}
    assert got[(0, 1)] == pytest.approx(5000.0, rel=1e-12)
    assert got.get((1, 1), 0.0) == pytest.approx(0.0, abs=1e-9)


def test_rings_orientation() -> None:
    holed = shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 4, 4))
    r = polygon_rings(np.array([holed], dtype=object))
    assert list(r.ring_n) == [4, 4]


def test_chunk_lines_keeps_the_linework() -> None:
    line = shapely.LineString([(i, (i % 7) * 3.0) for i in range(100)])
    pieces, owner = chunk_lines(np.array([line, shapely.box(0, 0, 5, 5)], dtype=object), 16)
    assert (shapely.get_num_coordinates(pieces) <= 16).all()
    assert shapely.length(pieces[owner == 0]).sum() == pytest.approx(line.length)
    assert shapely.length(pieces[owner == 1]).sum() == pytest.approx(20.0)


def test_parcel_touching_more_owners_than_slots() -> None:
    """A parcel over 40 zones (more than the kernel's per-parcel slots) is recomputed
    alone with enough slots: every owner is there, with its exact area."""
    from almaty_scheme.check.kernels import MAX_OWNERS_PER_PARCEL

    zones = np.array(
        [shapely.box(X0 + 100 * i, Y0, X0 + 100 * i + 90, Y0 + 90) for i in range(40)], dtype=object
    )
    assert len(zones) > MAX_OWNERS_PER_PARCEL
    tiles, owner = tile_geometries(zones, 700.0)
    pieces = convex_pieces(tiles, owner)
    big = shapely.box(X0 - 5, Y0 + 10, X0 + 4000, Y0 + 40)
    small = shapely.box(X0 + 1, Y0 + 1, X0 + 11, Y0 + 11)
    gi, ow, ar = overlap_by_clipping(np.array([small, big, small], dtype=object), pieces)
    assert gi.tolist() == [0] + [1] * 40 + [2]
    assert ow.tolist() == [0, *range(40), 0]
    assert ar == pytest.approx([100.0] + [90.0 * 30] * 40 + [100.0], rel=1e-9)


def test_spatial_copy_holds_each_geometry_at_its_place_in_z_order() -> None:
    square = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    holed = shapely.box(X0 + 5000, Y0, X0 + 5300, Y0 + 300).difference(
        shapely.box(X0 + 5100, Y0 + 100, X0 + 5200, Y0 + 200)
    )
    multi = shapely.MultiPolygon(
        [
            shapely.box(X0, Y0 + 5000, X0 + 50, Y0 + 5050),
            shapely.box(X0 + 60, Y0 + 5000, X0 + 90, Y0 + 5040),
        ]
    )
    geoms = np.array(
        [holed, square, multi, shapely.box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20)], dtype=object
    )
    rings = FlatRings.from_geoms(geoms)
    srt, order = rings.spatial_copy()
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert srt.spatial_order().tolist() == [0, 1, 2, 3]
    for j, g in enumerate(order.tolist()):
        a0, a1 = rings.geom_offsets[g], rings.geom_offsets[g + 1]
        b0, b1 = srt.geom_offsets[j], srt.geom_offsets[j + 1]
        assert a1 - a0 == b1 - b0  # same rings, in the same order, same signs
        assert rings.ring_sign[a0:a1].tolist() == srt.ring_sign[b0:b1].tolist()
        for ra, rb in zip(range(a0, a1), range(b0, b1), strict=True):
            sa = slice(rings.ring_offsets[ra], rings.ring_offsets[ra + 1])
            sb = slice(srt.ring_offsets[rb], srt.ring_offsets[rb + 1])
            assert rings.x[sa].tolist() == srt.x[sb].tolist()
            assert rings.y[sa].tolist() == srt.y[sb].tolist()
    assert rings.spatial_copy()[0] is srt  # made once


def test_worst_per_group_ranks_as_the_key_array() -> None:
    rng = np.random.default_rng(5)
    h = 5000
    group = rng.integers(0, 700, h)
    regime = rng.integers(0, 3, h)
    rule = rng.integers(0, 3, h)
    possible = rng.random(h) < 0.3
    share = np.round(rng.choice([100.0, 50.0, 12.5, np.nan], h), 6)
    overlap = np.round(rng.choice([10.0, 20.0, 20.0005], h), 3)
    zone = rng.integers(0, 40, h)
    keys = np.column_stack([-regime, -rule, possible, -share, -overlap, zone]).astype(float)
    expected = best_per_group(group, keys, 800)
    got = worst_per_group(group, regime, rule, possible, share, overlap, zone, 800)
    assert (got == expected).all()
    assert (got[700:] == -1).all()
