"""Zone preparation on a thread pool gives the same bytes as without one; the zone cache
entry written in the background is complete when the cache is read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import shapely
from check_world import write_gpkg
from shapely.geometry import Polygon, box

from almaty_scheme.check import clip, zone_cache
from almaty_scheme.check.zones import (
    CACHE_CLASSES,
    _polygonal,
    _polygonal_pieces,
    geometry_cache_path,
    load_zones,
    tile_geometries,
)

X0, Y0 = 700_000.0, 4_790_000.0


def _zones() -> np.ndarray:
    """A wavy strip over many cells, a square with a hole, two boxes as one multipolygon."""
    edge = [(X0 + 137.0 * i, Y0 + 300.0 * (i % 3)) for i in range(60)]
    strip = Polygon([*edge, (X0 + 137.0 * 59, Y0 + 2500.0), (X0, Y0 + 2500.0)])
    holed = Polygon(
        [(X0, Y0 + 3000), (X0 + 3000, Y0 + 3000), (X0 + 3000, Y0 + 6000), (X0, Y0 + 6000)],
        [[(X0 + 1000, Y0 + 4000), (X0 + 2000, Y0 + 4000), (X0 + 2000, Y0 + 5000)]],
    )
    multi = shapely.multipolygons(
        [box(X0 + 5000, Y0 + 3000, X0 + 5700, Y0 + 3700), box(X0 + 6000, Y0, X0 + 9000, Y0 + 900)]
    )
    return np.array([strip, None, holed, multi], dtype=object)


def test_tiling_on_a_pool_is_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    geoms = _zones()
    tiles, owner = tile_geometries(geoms, 500.0)
    with ThreadPoolExecutor(3) as pool:
        tiles_p, owner_p = tile_geometries(geoms, 500.0, pool)
        monkeypatch.setattr(clip, "_TRIANGULATE_CHUNK", 7)  # many chunks
        pieces_p = clip.convex_pieces(tiles_p, owner_p, pool=pool)
    np.testing.assert_array_equal(owner, owner_p)
    assert set(owner.tolist()) == {0, 2, 3}  # the missing geometry has no tiles
    assert shapely.equals_exact(tiles, tiles_p, tolerance=0).all()
    pieces = clip.convex_pieces(tiles, owner)
    np.testing.assert_array_equal(pieces.coords, pieces_p.coords)
    np.testing.assert_array_equal(pieces.owner, pieces_p.owner)
    np.testing.assert_array_equal(pieces.grid.items, pieces_p.grid.items)
    # the pieces partition the zones: 3000 x 3000 minus the triangular hole (500 000 m²)
    tri = pieces.coords[:, :3]
    area = 0.5 * np.abs(
        (tri[:, 1, 0] - tri[:, 0, 0]) * (tri[:, 2, 1] - tri[:, 0, 1])
        - (tri[:, 2, 0] - tri[:, 0, 0]) * (tri[:, 1, 1] - tri[:, 0, 1])
    )
    boxes = pieces.is_box
    w = pieces.bounds[:, 2] - pieces.bounds[:, 0]
    h = pieces.bounds[:, 3] - pieces.bounds[:, 1]
    area[boxes] = (w * h)[boxes]
    by_owner = np.bincount(pieces.owner, weights=area, minlength=4)
    assert by_owner[2] == pytest.approx(9_000_000 - 500_000, rel=1e-12)
    assert by_owner[3] == pytest.approx(700 * 700 + 3000 * 900, rel=1e-12)


def test_polygonal_pieces_equal_the_one_by_one_filter() -> None:
    a = box(0, 0, 1, 1)
    mixed = shapely.geometrycollections([box(2, 0, 3, 1), shapely.linestrings([(0, 0), (1, 1)])])
    lines = shapely.geometrycollections([shapely.points(0, 0)])
    pieces = np.array(
        [a, shapely.Polygon(), mixed, shapely.linestrings([(0, 0), (1, 0)]), lines, None, a],
        dtype=object,
    )
    expect = [p for p in (_polygonal(q) for q in pieces) if p is not None]
    got = _polygonal_pieces(pieces)
    assert len(got) == len(expect) == 3
    assert all(shapely.equals_exact(g, e, tolerance=0) for g, e in zip(got, expect, strict=True))


def test_background_entry_is_complete_when_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(tmp_path / "cache"))
    layers = write_gpkg(tmp_path / "layers.gpkg")
    first = load_zones(layers, cache=True)
    entry = geometry_cache_path(layers, 2000.0)
    # no wait here: reading the cache waits for this process's writer first
    cached = zone_cache.load_entry(entry, CACHE_CLASSES)
    assert cached is not None
    np.testing.assert_array_equal(cached["tiles"].pieces.coords, first.tiles.pieces.coords)
    assert entry.with_suffix(".sha256").read_text().strip() == zone_cache._digest(entry)
    assert not [p for p in entry.parent.iterdir() if "partial" in p.name]
