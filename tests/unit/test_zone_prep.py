"""Zone preparation on a thread pool gives the same bytes as without one; the masks cut
without a geometry per whole cell give the same pieces; the zones cut while the layers
are read give the same cache entry; the zone cache entry written in the background is
complete when the cache is read."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import shapely
from check_world import write_gpkg
from shapely.geometry import Polygon, box

from almaty_scheme.check import clip, zone_cache
from almaty_scheme.check import zones as zones_mod
from almaty_scheme.check.zones import (
    CACHE_CLASSES,
    LAYER_NAMES,
    GeometryJobs,
    TileIndex,
    _mask_tiles,
    _polygonal,
    _polygonal_pieces,
    _read_layers,
    _tile_batch,
    _tile_geometry,
    geometry_cache_path,
    layers_file_layers,
    load_zones,
    prepare_zones,
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


@pytest.mark.parametrize("size", [500.0, 2000.0])
def test_parts_cut_together_equal_the_part_by_part_cut(size: float) -> None:
    # every kind of part: one cell, many cells, halved first (the wavy mask), missing
    geoms = np.concatenate([_zones(), _masks()])
    expect = [_tile_geometry(g, size) for g in geoms]
    got = _tile_batch(geoms, size)
    assert [len(t) for t in got] == [len(t) for t in expect]
    assert sum(len(t) for t in got) > 40
    for a, b in zip(got, expect, strict=True):
        assert [shapely.to_wkb(t) for t in a] == [shapely.to_wkb(t) for t in b]


def test_runs_cut_on_the_pool_equal_the_whole_tiling(monkeypatch: pytest.MonkeyPatch) -> None:
    bowtie = Polygon(
        [(X0, Y0 - 3000), (X0 + 1000, Y0 - 2000), (X0 + 1000, Y0 - 3000), (X0, Y0 - 2000)]
    )
    geoms = np.concatenate([_zones(), [bowtie], _masks()])
    valid = zones_mod._repaired(geoms)
    assert not bowtie.is_valid and valid[4].is_valid and valid[0] is geoms[0]
    expect = TileIndex.build(valid, 500.0)
    monkeypatch.setattr(zones_mod, "_CHUNK_COORDS", 30)  # a run per geometry or two
    with GeometryJobs(500.0) as jobs:
        jobs.add_zones(geoms[:5])  # two layers
        jobs.add_zones(geoms[5:])
        assert len(jobs.zone_tiles) >= 4
        got, masks = jobs.results()
        repaired = jobs.valid_geoms()
    assert masks == {}
    assert [shapely.to_wkb(g) for g in repaired] == [shapely.to_wkb(g) for g in valid]
    np.testing.assert_array_equal(got.owner, expect.owner)
    assert [shapely.to_wkb(t) for t in got.tiles] == [shapely.to_wkb(t) for t in expect.tiles]
    for f in ("coords", "owner", "is_box", "bounds"):
        a, b = getattr(got.pieces, f), getattr(expect.pieces, f)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(got.pieces.grid.items, expect.pieces.grid.items)
    np.testing.assert_array_equal(got.pieces.grid.start, expect.pieces.grid.start)
    assert got.pieces.is_box.sum() > 20 and (~got.pieces.is_box).sum() > 20


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


def _masks() -> np.ndarray:
    """Masks with every case of the cell classification: edges on grid lines and a
    vertex on a cell corner, a hole inside one cell, an island smaller than a cell, a
    part inside a single cell, a long wavy edge (halved first: > 400 vertices over
    > 16 cells), a missing and an empty geometry."""
    aligned = Polygon(
        [
            (X0, Y0),
            (X0 + 3000, Y0),
            (X0 + 3000, Y0 + 1500),
            (X0 + 1500, Y0 + 3000),
            (X0, Y0 + 3000),
        ],
        [[(X0 + 1100, Y0 + 1100), (X0 + 1400, Y0 + 1100), (X0 + 1400, Y0 + 1400)]],
    )
    island = box(X0 + 4100, Y0 + 100, X0 + 4200, Y0 + 150)
    single = box(X0 + 5010, Y0 + 10, X0 + 5490, Y0 + 490)
    wave = [(X0 + 6000 + 7.0 * i, Y0 + 300.0 * math.sin(i / 9)) for i in range(900)]
    wavy = Polygon([*wave, (X0 + 6000 + 7.0 * 899, Y0 + 9000), (X0 + 6000, Y0 + 9000)])
    return np.array(
        [aligned, None, shapely.multipolygons([island, single]), wavy, Polygon()], dtype=object
    )


@pytest.mark.parametrize("size", [500.0, 300.0, 2000.0])
def test_mask_pieces_equal_those_of_the_tiles(size: float) -> None:
    geoms = _masks()
    tiles, owner = tile_geometries(geoms, size)
    expect = clip.convex_pieces(tiles, owner)
    got_owner, got = _mask_tiles(geoms, size)
    np.testing.assert_array_equal(got_owner, owner)
    for f in ("coords", "owner", "is_box", "bounds"):
        a, b = getattr(got, f), getattr(expect, f)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    for f in ("x0", "y0", "size", "nx", "ny"):
        assert getattr(got.grid, f) == getattr(expect.grid, f)
    np.testing.assert_array_equal(got.grid.start, expect.grid.start)
    np.testing.assert_array_equal(got.grid.items, expect.grid.items)


def test_mask_pieces_of_a_square_are_its_cells() -> None:
    # 3 km x 3 km on the 500 m grid: 36 whole cells, row by row, no triangle
    owner, pieces = _mask_tiles(np.array([box(X0, Y0, X0 + 3000, Y0 + 3000)]), 500.0)
    assert len(owner) == len(pieces) == 36 and pieces.is_box.all()
    np.testing.assert_array_equal(pieces.bounds[1], [X0 + 500, Y0, X0 + 1000, Y0 + 500])
    np.testing.assert_array_equal(pieces.bounds[6], [X0, Y0 + 500, X0 + 500, Y0 + 1000])


def _entry_bytes(tmp_path: Path, name: str, write: Callable[[Path], object]) -> bytes:
    entry = tmp_path / name / "zones" / "entry.npz"
    write(entry)
    zone_cache.wait_for_saves()
    return entry.read_bytes()


def test_zones_cut_while_reading_give_the_same_entry(tmp_path: Path) -> None:
    layers = write_gpkg(tmp_path / "layers.gpkg")
    names, _ = layers_file_layers(layers)
    present = [n for n in LAYER_NAMES if n in names]
    zl, boundary, coverage, sources = _read_layers(layers, names, present, None)
    assert boundary is not None and coverage is not None and len(zl) > 3

    def plain(entry: Path) -> object:
        return prepare_zones(
            zl, boundary=boundary, coverage=coverage, sources=sources, geometry_cache=entry
        )

    def early(entry: Path) -> object:
        with GeometryJobs(2000.0) as jobs:
            r = _read_layers(layers, names, present, jobs)
            assert sum(map(len, jobs.geoms)) == sum(len(g) for g in zl.values()) > 3
            return prepare_zones(
                r[0], boundary=r[1], coverage=r[2], sources=r[3], geometry_cache=entry, jobs=jobs
            )

    def unused(entry: Path) -> object:
        # jobs given other geometries are not used: the zones are cut again
        with GeometryJobs(2000.0) as jobs:
            jobs.add_zones(np.array([box(X0, Y0, X0 + 10, Y0 + 10)]))
            return prepare_zones(
                zl, boundary=boundary, coverage=coverage, sources=sources,
                geometry_cache=entry, jobs=jobs,
            )  # fmt: skip

    expect = _entry_bytes(tmp_path, "plain", plain)
    assert _entry_bytes(tmp_path, "early", early) == expect
    assert _entry_bytes(tmp_path, "unused", unused) == expect
