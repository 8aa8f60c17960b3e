"""Restriction zones prepared for fast parcel checks.

:func:`load_zones` reads the built GeoPackage (brief_contracts §3);
:func:`prepare_zones` does the work on in-memory layers (tests, notebooks).

Preparation, done once per run:

* every zone feature of every restriction layer (``LAYER_NAMES`` except ``boundary``)
  becomes a row of :attr:`PreparedZones.zones` with its rule's catalogue title,
  regime codes per land-use class, width and provenance;
* zone geometries are cut into square tiles of ``tile_size`` metres (default 2 km,
  aligned on multiples of the size in EPSG:32643). Tiles of one zone are disjoint, so
  the overlap of a parcel with a zone is the sum of its overlaps with the zone's tiles;
  small tiles make index queries selective and intersections cheap, and let the engine
  skip clipping whenever a tile properly contains the parcel;
* the agglomeration ``boundary`` and the data ``coverage`` are dissolved and tiled the
  same way (``outside`` verdicts);
* every tile is further cut into convex pieces (the box itself, or triangles) for the
  numpy overlap computation of :mod:`almaty_scheme.check.clip`;
* the base features zones were built from (``base_<source_layer>`` with ``base_id`` =
  ``source_fid``) are cut into short pieces for the distance from a parcel to a
  zone's source (centreline, water edge, pipe axis);
* per family (and per layer where a family has several layers) an index over the short
  pieces of the zones' outlines gives the distance to the nearest zone
  (``near_<key>_m``); functional zones (which cover everything) have none.

Everything is plain numpy arrays of shapely geometries plus STRtrees: picklable, so a
distributed engine can broadcast one :class:`PreparedZones` to its workers. The on-disk
zone cache never uses pickle (:mod:`~almaty_scheme.check.zone_cache`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyogrio.errors
import shapely
from shapely import STRtree

from almaty_scheme import __version__, settings
from almaty_scheme.catalogue.loader import Catalogue, default_catalogue
from almaty_scheme.check import zone_cache
from almaty_scheme.check.clip import ConvexPieces, convex_pieces
from almaty_scheme.check.kernels import (
    NEAR_GRID_CELL_M,
    Grid,
    segment_bounds,
    segments_of,
    split_segments,
    without_blas_probe,
)
from almaty_scheme.check.regime import (
    LandUse,
    land_use_from_catalogue,
    regime_matrix,
    regime_source_columns,
)
from almaty_scheme.check.zone_cache import default_cache_dir
from almaty_scheme.crs import require_working_crs, to_working_crs
from almaty_scheme.errors import DataError, UsageError
from almaty_scheme.io.wkb import simple_valid, total_bounds, wkb_rings
from almaty_scheme.restrictions.schema import LAYER_NAMES, ZONE_COLUMNS

log = logging.getLogger(__name__)

DEFAULT_TILE_SIZE_M = 2000.0
"""Tile size for zones (m). Measured on the real build: tiling made queries ~13x and
intersections ~5x faster than whole zones, with identical totals."""

MASK_TILE_DIVISOR = 4
"""The boundary and coverage masks are tiled finer (``tile_size / 4``): most parcels
then fall inside a whole grid cell, which settles them without clipping."""

HIT_LAYERS: tuple[str, ...] = tuple(n for n in LAYER_NAMES if n != "boundary")
"""Layers whose features become ``parcel_hits``."""

NO_NEAR_FAMILIES: frozenset[str] = frozenset({"zoning"})
"""Families without ``near_<family>_m``: functional zones cover the whole agglomeration."""

EXTRA_ZONE_COLUMNS: tuple[str, ...] = ("functional_group", "subzone", "zone_label", "status")

_POLY = (3, 6)


# --------------------------------------------------------------------------- tiling
def _grid_boxes(ix0: int, iy0: int, ix1: int, iy1: int, size: float) -> np.ndarray:
    """Boxes of the grid cells ix0..ix1 x iy0..iy1 (cell (i, j) = [i, i+1) x [j, j+1) * size)."""
    gx, gy = _grid_cells(ix0, iy0, ix1, iy1)
    return np.asarray(shapely.box(gx * size, gy * size, (gx + 1) * size, (gy + 1) * size))


def _grid_cells(ix0: int, iy0: int, ix1: int, iy1: int) -> tuple[np.ndarray, np.ndarray]:
    """Column and row numbers (as floats) of the cells ix0..ix1 x iy0..iy1, row by row."""
    nx = ix1 - ix0 + 1
    k = np.arange(nx * (iy1 - iy0 + 1))
    return (ix0 + k % nx).astype(float), (iy0 + k // nx).astype(float)


def _polygonal(g: shapely.Geometry) -> shapely.Geometry | None:
    """Polygonal part of an intersection result, or ``None`` if it has no area."""
    if g is None or g.is_empty:
        return None
    tid = shapely.get_type_id(g)
    if tid in _POLY:
        return g
    if tid == 7:
        polys = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in _POLY]
        if not polys:
            return None
        return (
            shapely.multipolygons([q for p in polys for q in shapely.get_parts(p)])
            if len(polys) > 1
            else polys[0]
        )
    return None


_DIRECT_MAX_COORDS = 400
"""Geometries with at most this many vertices (or spanning at most 16 cells) are cut
against all their cells at once; larger ones are first halved recursively along grid
lines, so that each intersection works on a small geometry (O(n log n) overall)."""


def _cell_range(
    bounds: tuple[float, float, float, float], size: float
) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = bounds
    return (
        math.floor(x0 / size),
        math.floor(y0 / size),
        math.floor(x1 / size),
        math.floor(y1 / size),
    )


def _tile_direct(
    g: shapely.Geometry, cells: tuple[int, int, int, int], size: float
) -> list[shapely.Geometry]:
    ix0, iy0, ix1, iy1 = cells
    if ix0 == ix1 and iy0 == iy1:
        return [g]
    boxes = _grid_boxes(ix0, iy0, ix1, iy1, size)
    shapely.prepare(g)
    hit = shapely.intersects(g, boxes)
    boxes = boxes[hit]
    inside = shapely.contains_properly(g, boxes)
    pieces = np.empty(len(boxes), dtype=object)
    pieces[inside] = boxes[inside]
    if (~inside).any():
        pieces[~inside] = shapely.intersection(g, boxes[~inside])
    shapely.destroy_prepared(g)
    return _polygonal_pieces(pieces)


def _polygonal_pieces(pieces: np.ndarray) -> list[shapely.Geometry]:
    """:func:`_polygonal` of every piece, in order, those with an area only (vectorised:
    polygons pass as they are; only geometry collections are looked into)."""
    return _polygonal_kept(pieces)[1]


def _polygonal_kept(pieces: np.ndarray) -> tuple[np.ndarray, list[shapely.Geometry]]:
    """:func:`_polygonal_pieces` with the positions (in ``pieces``) of the kept ones."""
    tid = shapely.get_type_id(pieces)
    keep = ((tid == 3) | (tid == 6)) & ~shapely.is_empty(pieces)
    mixed = np.flatnonzero(tid == 7)
    if len(mixed) == 0:
        return np.flatnonzero(keep), list(pieces[keep])
    out = pieces.copy()
    out[~keep] = None
    for i in mixed:
        out[i] = _polygonal(pieces[i])
    kept = np.array([i for i, p in enumerate(out) if p is not None], dtype=np.int64)
    return kept, list(out[kept])


_Cells = tuple[int, int, int, int]
_T = TypeVar("_T")


def _tile_one(g: shapely.Geometry, size: float) -> list[shapely.Geometry]:
    """Pieces of one polygon cut by the grid (see :func:`tile_geometries`)."""
    return [t for step in _grid_steps(g, size, _tile_direct) for t in step]


def _grid_steps(
    g: shapely.Geometry,
    size: float,
    direct: Callable[[shapely.Geometry, _Cells, float], _T],
) -> list[_T]:
    """``direct(part, cells, size)`` of the parts of one polygon that are cut against
    their cells at once (:data:`_DIRECT_MAX_COORDS`), in the order of the tiles: larger
    polygons are halved recursively along grid lines first."""
    out: list[_T] = []
    stack = [(g, _cell_range(g.bounds, size))]
    while stack:
        geom, cells = stack.pop()
        ix0, iy0, ix1, iy1 = cells
        nx, ny = ix1 - ix0 + 1, iy1 - iy0 + 1
        if nx * ny <= 16 or shapely.get_num_coordinates(geom) <= _DIRECT_MAX_COORDS:
            out.append(direct(geom, cells, size))
            continue
        if nx >= ny:
            mid = ix0 + nx // 2
            halves = [(ix0, iy0, mid - 1, iy1), (mid, iy0, ix1, iy1)]
        else:
            mid = iy0 + ny // 2
            halves = [(ix0, iy0, ix1, mid - 1), (ix0, mid, ix1, iy1)]
        for hx0, hy0, hx1, hy1 in halves:
            half = shapely.box(hx0 * size, hy0 * size, (hx1 + 1) * size, (hy1 + 1) * size)
            part = _polygonal(shapely.intersection(geom, half))
            if part is None:
                continue
            px0, py0, px1, py1 = _cell_range(part.bounds, size)
            # a piece on a cell edge may report the neighbour cell: clamp to the half
            stack.append((part, (max(px0, hx0), max(py0, hy0), min(px1, hx1), min(py1, hy1))))
    return out


def _tile_geometry(g: shapely.Geometry | None, size: float) -> list[shapely.Geometry]:
    """Tiles of one input geometry, part by part (parts have tighter bounds)."""
    if g is None or g.is_empty:
        return []
    return [t for part in shapely.get_parts(g) for t in _tile_one(part, size)]


def _tile_batch(geoms: np.ndarray, size: float) -> list[list[shapely.Geometry]]:
    """:func:`_tile_geometry` of each geometry, the same tiles: the parts that are cut
    against their cells at once (most of them) are cut together, in a few vectorised
    GEOS calls for all their cells, instead of a dozen calls per part."""
    ok = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    parts, pidx = shapely.get_parts(geoms[ok], return_index=True)
    owner = ok[pidx]
    b = shapely.bounds(parts)
    cells = np.floor(b / size).astype(np.int64) if len(parts) else np.zeros((0, 4), np.int64)
    nx, ny = cells[:, 2] - cells[:, 0] + 1, cells[:, 3] - cells[:, 1] + 1
    direct = (nx * ny <= 16) | (shapely.get_num_coordinates(parts) <= _DIRECT_MAX_COORDS)
    per_part: list[list[shapely.Geometry]] = [[] for _ in range(len(parts))]
    for i in np.flatnonzero(~direct):
        per_part[i] = _tile_one(parts[i], size)
    d = np.flatnonzero(direct)
    for i, tiles in zip(d, _direct_batch(parts[d], cells[d], size), strict=True):
        per_part[i] = tiles
    out: list[list[shapely.Geometry]] = [[] for _ in range(len(geoms))]
    for i, tiles in zip(owner, per_part, strict=True):
        out[i].extend(tiles)
    return out


def _direct_batch(
    parts: np.ndarray, cells: np.ndarray, size: float
) -> list[list[shapely.Geometry]]:
    """:func:`_tile_direct` of each polygon with its cell range (rows of ``cells``),
    computed pair by pair in vectorised calls (the same GEOS operation per pair)."""
    out: list[list[shapely.Geometry]] = [[] for _ in range(len(parts))]
    nx, ny = cells[:, 2] - cells[:, 0] + 1, cells[:, 3] - cells[:, 1] + 1
    n = nx * ny
    for i in np.flatnonzero(n == 1):
        out[i] = [parts[i]]
    m = np.flatnonzero(n > 1)
    pid = np.repeat(m, n[m])
    k = np.arange(len(pid)) - np.repeat(np.cumsum(n[m]) - n[m], n[m])
    gx = (cells[pid, 0] + k % nx[pid]).astype(float)
    gy = (cells[pid, 1] + k // nx[pid]).astype(float)
    boxes = np.asarray(shapely.box(gx * size, gy * size, (gx + 1) * size, (gy + 1) * size))
    shapely.prepare(parts[m])
    g = parts[pid]
    hit = shapely.intersects(g, boxes)
    pid, boxes, g = pid[hit], boxes[hit], g[hit]
    inside = shapely.contains_properly(g, boxes)
    pieces = boxes.copy()
    if (~inside).any():
        pieces[~inside] = shapely.intersection(g[~inside], boxes[~inside])
    shapely.destroy_prepared(parts[m])
    kept, tiles = _polygonal_kept(pieces)
    for i, t in zip(pid[kept], tiles, strict=True):
        out[i].append(t)
    return out


_CHUNK_COORDS = 5_000
"""Zone geometries are cut on the pool in tasks of consecutive geometries of about this
many vertices in all (one task for a larger geometry)."""


def _chunks(geoms: np.ndarray) -> list[slice]:
    """Consecutive runs of ``geoms`` of about :data:`_CHUNK_COORDS` vertices each."""
    out: list[slice] = []
    start, total = 0, 0
    for i, c in enumerate(shapely.get_num_coordinates(geoms).tolist()):
        if total and total + c > _CHUNK_COORDS:
            out.append(slice(start, i))
            start, total = i, 0
        total += c
    if start < len(geoms):
        out.append(slice(start, len(geoms)))
    return out


def tile_geometries(
    geoms: np.ndarray, size: float = DEFAULT_TILE_SIZE_M, pool: Executor | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut polygons into the cells of a square grid of ``size`` metres.

    Returns ``(tiles, owner)``: the non-empty polygonal pieces and, for each, the
    index of the input geometry it came from. The pieces of one input partition it
    (their areas sum to its area up to floating-point rounding).

    Cells wholly inside a geometry are taken as the cell box itself (no clipping);
    large geometries are halved recursively along grid lines first. With a thread
    ``pool`` runs of geometries are cut in parallel (GEOS releases the GIL); the
    result is the same, in the same order.
    """
    geoms = np.asarray(geoms, dtype=object)
    runs = [geoms[c] for c in _chunks(geoms)]
    per_run = (
        pool.map(_tile_batch, runs, [size] * len(runs))
        if pool is not None
        else (_tile_batch(r, size) for r in runs)
    )
    return _gathered(t for run in per_run for t in run)


def _gathered(
    per_geom: Iterable[list[shapely.Geometry]],
) -> tuple[np.ndarray, np.ndarray]:
    """``(tiles, owner)`` of the tiles of each geometry, in order."""
    tiles: list[shapely.Geometry] = []
    owners: list[int] = []
    for i, pieces in enumerate(per_geom):
        tiles.extend(pieces)
        owners.extend([i] * len(pieces))
    arr = np.empty(len(tiles), dtype=object)
    arr[:] = tiles
    return arr, np.asarray(owners, dtype=np.int64)


# --------------------------------------------------------------------------- masks
@dataclass
class _MaskStep:
    """Tiles of one direct step of a mask (:func:`_mask_direct`): whole cells as their
    bounds, the other tiles as geometries, each with its cell position in the step
    (row-major over its cell range, the order :func:`_tile_direct` gives)."""

    n_cells: int
    box_pos: np.ndarray
    box_bounds: np.ndarray
    geom_pos: np.ndarray
    geoms: list[shapely.Geometry]


def _near_outline(g: shapely.Geometry, cells: _Cells, size: float) -> np.ndarray:
    """Cells (row-major over ``cells``) within one cell of the bounding box of a segment
    of ``g``'s outline. Every other cell is at least a cell's width from the outline,
    so it lies wholly inside ``g`` or wholly outside it."""
    ix0, iy0, ix1, iy1 = cells
    nx, ny = ix1 - ix0 + 1, iy1 - iy0 + 1
    rings = shapely.get_rings(shapely.get_parts(g))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[:-1] == ring[1:]
    a, b = xy[:-1][same], xy[1:][same]
    lo = np.floor(np.minimum(a, b) / size).astype(np.int64) - 1
    hi = np.floor(np.maximum(a, b) / size).astype(np.int64) + 1
    x0, x1 = np.maximum(lo[:, 0], ix0) - ix0, np.minimum(hi[:, 0], ix1) - ix0
    y0, y1 = np.maximum(lo[:, 1], iy0) - iy0, np.minimum(hi[:, 1], iy1) - iy0
    ok = (x0 <= x1) & (y0 <= y1)
    x0, x1, y0, y1 = x0[ok], x1[ok], y0[ok], y1[ok]
    # mark the rectangles with a 2-D difference array
    diff = np.zeros((ny + 1, nx + 1), np.int64)
    np.add.at(diff, (y0, x0), 1)
    np.add.at(diff, (y0, x1 + 1), -1)
    np.add.at(diff, (y1 + 1, x0), -1)
    np.add.at(diff, (y1 + 1, x1 + 1), 1)
    marks: np.ndarray = diff.cumsum(axis=0).cumsum(axis=1)[:ny, :nx] > 0
    return marks.ravel()


def _mask_direct(g: shapely.Geometry, cells: _Cells, size: float) -> _MaskStep:
    """:func:`_tile_direct` for a mask, without a geometry per whole cell.

    Cells away from the outline (:func:`_near_outline`) are inside ``g`` or not by
    their centre alone, which is what ``intersects`` and ``contains_properly`` give
    for them; the cells near the outline are tested and cut as in
    :func:`_tile_direct`, so the tiles are the same, in the same order.
    """
    ix0, iy0, ix1, iy1 = cells
    if ix0 == ix1 and iy0 == iy1:
        return _MaskStep(1, np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(1, np.int64), [g])
    gx, gy = _grid_cells(ix0, iy0, ix1, iy1)
    bounds = np.stack([gx * size, gy * size, (gx + 1) * size, (gy + 1) * size], axis=1)
    near = _near_outline(g, cells, size)
    shapely.prepare(g)
    inside = np.zeros(len(gx), bool)
    far = np.flatnonzero(~near)
    centre = (bounds[far, :2] + bounds[far, 2:]) / 2
    inside[far] = shapely.contains_xy(g, centre[:, 0], centre[:, 1])
    cand = np.flatnonzero(near)
    boxes = shapely.box(*bounds[cand].T)
    hit = shapely.intersects(g, boxes)
    cand, boxes = cand[hit], boxes[hit]
    whole = shapely.contains_properly(g, boxes)
    inside[cand[whole]] = True
    edge = cand[~whole]
    kept, geoms = _polygonal_kept(np.asarray(shapely.intersection(g, boxes[~whole])))
    shapely.destroy_prepared(g)
    box_pos = np.flatnonzero(inside)
    return _MaskStep(len(gx), box_pos, bounds[box_pos], edge[kept], geoms)


def _mask_tiles(geoms: np.ndarray, size: float) -> tuple[np.ndarray, ConvexPieces]:
    """The tile owners and :func:`~almaty_scheme.check.clip.convex_pieces` of
    ``tile_geometries(geoms, size)``, equal to theirs, without making a geometry for
    each whole cell (most of a mask's tiles: the engine needs only their bounds)."""
    steps = [
        (i, step)
        for i, g in enumerate(geoms)
        if g is not None and not g.is_empty
        for part in shapely.get_parts(g)
        for step in _grid_steps(part, size, _mask_direct)
    ]
    offset = np.cumsum([0] + [st.n_cells for _, st in steps])
    box_seq = np.concatenate([[0]] + [offset[k] + st.box_pos for k, (_, st) in enumerate(steps)])
    box_own = np.concatenate([[0]] + [np.full(len(st.box_pos), i) for i, st in steps])
    box_bounds = np.concatenate([np.zeros((1, 4))] + [st.box_bounds for _, st in steps])
    geom_seq = np.concatenate([[0]] + [offset[k] + st.geom_pos for k, (_, st) in enumerate(steps)])
    geom_own = np.concatenate([[0]] + [np.full(len(st.geoms), i) for i, st in steps])
    real = np.empty(len(geom_seq) - 1, dtype=object)
    real[:] = [t for _, st in steps for t in st.geoms]
    box_seq, box_own, box_bounds = box_seq[1:], box_own[1:], box_bounds[1:]
    geom_seq, geom_own = geom_seq[1:], geom_own[1:]
    owner = np.concatenate([box_own, geom_own])[np.argsort(np.concatenate([box_seq, geom_seq]))]
    # the whole cells join the tiles that are boxes, in tile order; triangles follow
    cp = convex_pieces(real, np.arange(len(real), dtype=np.int64))
    nb = int(cp.is_box.sum())
    b = box_bounds
    vcoords = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)
    real_box = cp.owner[:nb]
    order = np.argsort(np.concatenate([box_seq, geom_seq[real_box]]))
    coords = np.concatenate([np.concatenate([vcoords, cp.coords[:nb]])[order], cp.coords[nb:]])
    own = np.concatenate(
        [np.concatenate([box_own, geom_own[real_box]])[order], geom_own[cp.owner[nb:]]]
    )
    allc = np.ascontiguousarray(coords, dtype=float)
    bnd = (
        np.ascontiguousarray(np.concatenate([allc.min(axis=1), allc.max(axis=1)], axis=1))
        if len(allc)
        else np.zeros((0, 4))
    )
    is_box = np.arange(len(allc)) < len(box_seq) + nb
    pieces = ConvexPieces(
        coords=allc, owner=own.astype(np.int64), is_box=is_box, bounds=bnd, grid=Grid.build(bnd)
    )
    return owner.astype(np.int64), pieces


@dataclass
class TileIndex:
    """Tiles of a set of polygons, their owners, and the tiles' convex pieces (with a
    grid) for the compiled overlap computation (:mod:`.clip`). An STRtree over the
    tiles (for overlap geometries) is built on first use."""

    tiles: np.ndarray
    owner: np.ndarray
    pieces: ConvexPieces
    _tree: STRtree | None = None

    @classmethod
    def from_tiles(
        cls, tiles: np.ndarray, owner: np.ndarray, pool: Executor | None = None
    ) -> TileIndex:
        """Index existing tiles (triangulated on the threads of ``pool``, if given)."""
        return cls(tiles=tiles, owner=owner, pieces=convex_pieces(tiles, owner, pool=pool))

    @classmethod
    def build(
        cls, geoms: np.ndarray, size: float = DEFAULT_TILE_SIZE_M, pool: Executor | None = None
    ) -> TileIndex:
        """Tile ``geoms`` and index the tiles (in parallel on ``pool``, same result)."""
        tiles, owner = tile_geometries(geoms, size, pool)
        return cls.from_tiles(tiles, owner, pool)

    @property
    def tree(self) -> STRtree:
        """STRtree over the tiles (tiles are prepared for fast predicates)."""
        if self._tree is None:
            shapely.prepare(self.tiles)
            self._tree = STRtree(self.tiles)
        return self._tree

    def __len__(self) -> int:
        return len(self.tiles)

    def __getstate__(self) -> dict[str, Any]:
        # the tree is rebuilt on demand
        return {"tiles": self.tiles, "owner": self.owner, "pieces": self.pieces}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.tiles, self.owner, self.pieces = state["tiles"], state["owner"], state["pieces"]
        self._tree = None


NEAR_CHUNK_VERTICES = 16
"""Zone outlines and source lines are cut into pieces of at most this many vertices, so
that each distance computation is cheap and index queries are selective."""


def chunk_lines(
    geoms: np.ndarray, max_vertices: int = NEAR_CHUNK_VERTICES
) -> tuple[np.ndarray, np.ndarray]:
    """Cut the linework of geometries into short linestrings; ``(pieces, owner)``.

    Polygons contribute their rings (the outline: distances to a polygon from outside
    it are distances to its outline), lines themselves, points stay points.
    """
    if len(geoms) == 0:
        return np.empty(0, dtype=object), np.empty(0, np.int64)
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    tid = shapely.get_type_id(parts)
    lines_l: list[np.ndarray] = []
    own_l: list[np.ndarray] = []
    poly = np.isin(tid, (3,))
    if poly.any():
        rings, ridx = shapely.get_rings(parts[poly], return_index=True)
        lines_l.append(rings)
        own_l.append(pidx[poly][ridx])
    line = np.isin(tid, (1, 2))
    if line.any():
        lines_l.append(parts[line])
        own_l.append(pidx[line])
    point = tid == 0
    out_geoms: list[np.ndarray] = []
    out_owner: list[np.ndarray] = []
    if point.any():
        out_geoms.append(parts[point])
        out_owner.append(pidx[point])
    if lines_l:
        lines = np.concatenate(lines_l)
        lown = np.concatenate(own_l)
        xy, cidx = shapely.get_coordinates(lines, return_index=True)
        counts = np.bincount(cidx, minlength=len(lines))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        step = max_vertices - 1
        n_chunks = np.maximum(np.ceil((counts - 1) / step), 1).astype(np.int64)
        line_of = np.repeat(np.arange(len(lines)), n_chunks)
        k = np.arange(int(n_chunks.sum())) - np.repeat(np.cumsum(n_chunks) - n_chunks, n_chunks)
        c0 = starts[line_of] + k * step
        c1 = np.minimum(c0 + max_vertices, starts[line_of] + counts[line_of])
        lens = c1 - c0
        ok = lens >= 2
        c0, lens, line_of = c0[ok], lens[ok], line_of[ok]
        idx = np.repeat(c0, lens) + (
            np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        )
        chunk_id = np.repeat(np.arange(len(c0)), lens)
        out_geoms.append(shapely.linestrings(xy[idx], indices=chunk_id))
        out_owner.append(lown[line_of])
    if not out_geoms:
        return np.empty(0, dtype=object), np.empty(0, np.int64)
    return np.concatenate(out_geoms), np.concatenate(out_owner).astype(np.int64)


@dataclass
class NearIndex:
    """Outline segments of the zones of one family (or layer) for nearest-zone distances,
    with a :class:`~almaty_scheme.check.kernels.Grid` over them."""

    segments: np.ndarray
    owner: np.ndarray
    grid: Grid

    @classmethod
    def build(cls, geoms: np.ndarray, owners: np.ndarray) -> NearIndex:
        seg, own = segments_of(geoms)
        seg, own = split_segments(seg, own, NEAR_GRID_CELL_M)
        return cls(
            segments=seg,
            owner=owners[own] if len(own) else own,
            grid=Grid.build(segment_bounds(seg), NEAR_GRID_CELL_M),
        )

    def __len__(self) -> int:
        return len(self.segments)


@dataclass
class SourceIndex:
    """Pieces of the base features zones were built from, to measure distances.

    ``pairs`` maps zones to source keys: a DataFrame with ``zone`` and ``key``
    (a zone built from several features has several rows).
    """

    pieces: np.ndarray
    piece_key: np.ndarray
    tree: STRtree
    full: np.ndarray
    pairs: pd.DataFrame
    segments: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    segment_key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    grid: Grid | None = None
    zone_start: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    zone_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    polygonal: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    """Segments of the sources (split to grid cells) with their key, a grid over them,
    each zone's keys as ``zone_keys[zone_start[z]:zone_start[z + 1]]`` and whether a
    key's feature is polygonal (then a parcel inside it is at distance 0)."""

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "tree"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.tree = STRtree(self.pieces)

    @classmethod
    def empty(cls) -> SourceIndex:
        e = np.empty(0, dtype=object)
        return cls(
            e,
            np.empty(0, np.int64),
            STRtree(e),
            e,
            pd.DataFrame({"zone": np.empty(0, np.int64), "key": np.empty(0, np.int64)}),
        )


@dataclass
class PreparedZones:
    """Everything the engine needs, built once: see the module docstring.

    Attributes
    ----------
    zones
        One row per zone feature: ``layer``, ``zone_fid`` and :data:`ZONE_COLUMNS`
        (+ ``functional_group``, ``subzone``, ``zone_label``), ``title``, ``title_ru``,
        ``condition``, ``condition_ru``, ``has_regime``, ``near_keys`` (tuple).
    regimes
        ``int8`` array ``(n_zones, n_classes)`` of regime codes (0 allowed,
        1 conditional, 2 prohibited) for a *certain* hit; the engine caps possible-band
        hits at conditional.
    tiles
        :class:`TileIndex` over all zone features (owner = row of ``zones``).
    boundary, coverage
        :class:`TileIndex` of the dissolved boundary / coverage, or ``None`` if the
        layers are missing (then nothing is ``outside`` for that reason).
    sources
        :class:`SourceIndex` for distances to the zones' source features.
    near
        Key (family, or layer for families with several layers) -> :class:`NearIndex`.
    """

    zones: pd.DataFrame
    regimes: np.ndarray
    tiles: TileIndex
    land_use: LandUse
    boundary: TileIndex | None
    coverage: TileIndex | None
    sources: SourceIndex
    near: dict[str, NearIndex]
    catalogue_version: str | None = None
    build_info: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    tile_size: float = DEFAULT_TILE_SIZE_M
    boundary_geom: shapely.Geometry | None = None
    coverage_geom: shapely.Geometry | None = None
    derived: dict[str, Any] = field(default_factory=dict, repr=False)
    """Per-zone values computed on first use (explanation phrases, column codes)."""
    missing_layers: tuple[str, ...] = ()
    """Restriction layers absent from the layers file, allowed by the caller."""

    def column_codes(self, col: str) -> tuple[np.ndarray, pd.Index]:
        """``(codes, categories)`` of a zone-table column (-1 for missing), computed once;
        ``categories[codes[h_zone]]`` is the column's value for hits on zone rows ``h_zone``."""
        key = f"codes:{col}"
        if key not in self.derived:
            if col in self.zones.columns:
                codes, uniq = pd.factorize(self.zones[col].astype(object), use_na_sentinel=True)
                cats = np.asarray(uniq, dtype=object)
            else:
                codes, cats = np.full(len(self.zones), -1, np.int64), np.empty(0, dtype=object)
            self.derived[key] = (np.asarray(codes, np.int64), pd.Index(cats, dtype=object))
        out: tuple[np.ndarray, pd.Index] = self.derived[key]
        return out

    def categorical(self, col: str, rows: np.ndarray) -> pd.Categorical:
        """Column ``col`` of zone rows ``rows`` as a categorical (no per-row strings)."""
        codes, cats = self.column_codes(col)
        ext = np.append(codes, -1)  # row -1 (no zone) -> missing
        return pd.Categorical.from_codes(ext[np.asarray(rows, np.int64)], categories=cats)

    def mask_pieces(self) -> ConvexPieces | None:
        """The convex pieces of the boundary (owner 0) and the coverage (owner 1)
        together, with one grid, for a single overlap pass; ``None`` without either."""
        if "masks" not in self.derived:
            parts = [
                (i, m.pieces)
                for i, m in enumerate((self.boundary, self.coverage))
                if m is not None and len(m.pieces)
            ]
            if not parts:
                self.derived["masks"] = None
            else:
                coords = np.ascontiguousarray(np.concatenate([p.coords for _, p in parts]))
                bounds = np.ascontiguousarray(np.concatenate([p.bounds for _, p in parts]))
                self.derived["masks"] = ConvexPieces(
                    coords=coords,
                    owner=np.concatenate([np.full(len(p), i, np.int64) for i, p in parts]),
                    is_box=np.concatenate([p.is_box for _, p in parts]),
                    bounds=bounds,
                    # cells = mask tiles: an inner cell holds one box per mask
                    grid=Grid.build(bounds, self.tile_size / MASK_TILE_DIVISOR),
                )
        out: ConvexPieces | None = self.derived["masks"]
        return out

    def near_segments(self, keys: list[str]) -> tuple[np.ndarray, np.ndarray, Grid]:
        """Outline segments of the near indexes ``keys`` together: ``(segments,
        key position in keys, grid)``, built once per set of keys."""
        cache_key = "near:" + "|".join(keys)
        if cache_key not in self.derived:
            segs = [self.near[k].segments for k in keys]
            seg = np.ascontiguousarray(np.concatenate(segs)) if segs else np.zeros((0, 4))
            key = np.repeat(np.arange(len(keys), dtype=np.int64), [len(x) for x in segs])
            self.derived[cache_key] = (seg, key, Grid.build(segment_bounds(seg), NEAR_GRID_CELL_M))
        out: tuple[np.ndarray, np.ndarray, Grid] = self.derived[cache_key]
        return out

    def __post_init__(self) -> None:
        for g in (self.boundary_geom, self.coverage_geom):
            if g is not None:
                shapely.prepare(g)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    @property
    def near_keys(self) -> list[str]:
        """Keys of the ``near_<key>_m`` columns, sorted."""
        return sorted(self.near)


def _typed_column(gdf: gpd.GeoDataFrame, c: str, t: Any) -> pd.Series:
    """Column ``c`` of a zone layer as dtype ``t`` (all missing when the layer lacks it;
    text when the values do not convert; all missing for a boolean that does not)."""
    col = (
        pd.Series(gdf[c].to_numpy(), index=range(len(gdf)))
        if c in gdf.columns
        else pd.Series(pd.NA, index=range(len(gdf)), dtype=object)
    )
    try:
        return col.astype(t)
    except (TypeError, ValueError):
        if t == "boolean":
            return pd.Series(pd.NA, index=col.index, dtype=object)
        return col.astype("string")


def _zone_table(layers: Mapping[str, gpd.GeoDataFrame]) -> tuple[pd.DataFrame, np.ndarray]:
    frames = []
    geoms = []
    for lname in HIT_LAYERS:
        gdf = layers.get(lname)
        if gdf is None or len(gdf) == 0:
            continue
        require_working_crs(gdf, name=lname)
        fids = gdf.index.to_numpy() if gdf.index.name == "fid" else np.arange(1, len(gdf) + 1)
        cols: dict[str, Any] = {
            "layer": lname,
            "zone_fid": np.asarray(fids, dtype=np.int64),
        }
        for c, t in ZONE_COLUMNS.items():
            cols[c] = _typed_column(gdf, c, t)
        for c in EXTRA_ZONE_COLUMNS:
            cols[c] = (
                gdf[c].astype("string").to_numpy()
                if c in gdf.columns
                else pd.Series(pd.NA, index=range(len(gdf)), dtype=object)
            )
        df = pd.DataFrame(cols, index=range(len(gdf)))
        frames.append(df)
        geoms.append(np.asarray(gdf.geometry.to_numpy(), dtype=object))
    if not frames:
        names = ["layer", "zone_fid", *ZONE_COLUMNS, *EXTRA_ZONE_COLUMNS]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in names}), np.empty(0, dtype=object)
    zones = pd.concat(frames, ignore_index=True)
    zones["family"] = zones["family"].fillna(zones["layer"])
    zones["certainty"] = zones["certainty"].fillna("certain")
    return zones, np.concatenate(geoms)


def _dissolve(gdf: gpd.GeoDataFrame | None, name: str) -> np.ndarray | None:
    if gdf is None:
        return None
    require_working_crs(gdf, name=name)
    g = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    g = g[~shapely.is_missing(g)]
    if len(g) == 0:
        return None
    g = np.where(shapely.is_valid(g), g, shapely.make_valid(g))
    return np.array([shapely.union_all(g)], dtype=object)


def _source_index(
    zones: pd.DataFrame, sources: Mapping[str, gpd.GeoDataFrame], size: float
) -> SourceIndex:
    if len(zones) == 0 or not sources:
        return SourceIndex.empty()
    # zone -> (layer, base_id) pairs; source_fid may list several ids
    sl = zones["source_layer"].astype("string")
    sf = zones["source_fid"].astype("string")
    ok = sl.notna() & sf.notna()
    if not ok.any():
        return SourceIndex.empty()
    z = pd.DataFrame(
        {
            "zone": np.flatnonzero(ok.to_numpy()),
            "layer": sl[ok].to_numpy(),
            "fid": sf[ok].to_numpy(),
        }
    )
    z["fid"] = z["fid"].str.split(r"\s*[,;]\s*", regex=True)
    z = z.explode("fid")
    z = z[z["fid"].notna() & (z["fid"] != "")]
    feats = []
    for lname in sorted(set(z["layer"])):
        gdf = sources.get(lname)
        if gdf is None or len(gdf) == 0 or "base_id" not in gdf.columns:
            log.info(
                "zones refer to base layer %r, which is not a vector layer of the build: "
                "no distance to source for them",
                lname,
            )
            continue
        require_working_crs(gdf, name=f"base_{lname}")
        feats.append(
            pd.DataFrame(
                {
                    "layer": lname,
                    "fid": gdf["base_id"].astype(str).to_numpy(),
                    "geom": np.asarray(gdf.geometry.to_numpy(), dtype=object),
                }
            )
        )
    if not feats:
        return SourceIndex.empty()
    f = pd.concat(feats, ignore_index=True).drop_duplicates(["layer", "fid"])
    f = f[f["fid"].isin(set(z["fid"]))].reset_index(drop=True)
    f["key"] = np.arange(len(f), dtype=np.int64)
    pairs = z.merge(f[["layer", "fid", "key"]], on=["layer", "fid"], how="inner")
    missing = len(z) - len(pairs)
    if missing:
        log.info("%d zone source reference(s) not found in the base layers", missing)
    full = np.asarray(f["geom"].to_numpy(), dtype=object)
    # the compiled kernel measures against segments; no GEOS pieces are kept
    pieces, owner = np.empty(0, dtype=object), np.empty(0, np.int64)
    pairs = (
        pairs[["zone", "key"]].astype(np.int64).sort_values(["zone", "key"]).reset_index(drop=True)
    )
    seg, skey = segments_of(full)
    seg, skey = split_segments(seg, skey, NEAR_GRID_CELL_M)
    counts = np.bincount(pairs["zone"].to_numpy(), minlength=len(zones))
    return SourceIndex(
        pieces=pieces,
        piece_key=owner,
        tree=STRtree(pieces),
        full=full,
        pairs=pairs,
        segments=seg,
        segment_key=skey,
        grid=Grid.build(segment_bounds(seg), NEAR_GRID_CELL_M),
        zone_start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        zone_keys=pairs["key"].to_numpy().astype(np.int64),
        polygonal=np.isin(shapely.get_type_id(full), (3, 6)),
    )


def prepare_zones(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    boundary: gpd.GeoDataFrame | None = None,
    coverage: gpd.GeoDataFrame | None = None,
    sources: Mapping[str, gpd.GeoDataFrame] | None = None,
    catalogue: Catalogue | None = None,
    land_use: LandUse | None = None,
    build_info: Mapping[str, str] | None = None,
    tile_size: float = DEFAULT_TILE_SIZE_M,
    path: str | None = None,
    geometry_cache: Path | None = None,
    jobs: GeometryJobs | None = None,
) -> PreparedZones:
    """Prepare in-memory restriction layers for :func:`~almaty_scheme.check.engine.check_parcels`.

    Parameters
    ----------
    layers
        Layer name -> zone GeoDataFrame (EPSG:32643, :data:`ZONE_COLUMNS`); names not
        in :data:`HIT_LAYERS` are ignored (``boundary`` is passed separately).
    boundary, coverage
        Agglomeration boundary and data coverage polygons (``None``: not checked).
    sources
        Base layers by name without the ``base_`` prefix (``rivers``, ``roads``...),
        with ``base_id``; used for ``distance_to_source_m``.
    catalogue, land_use
        Rule catalogue (titles, regimes) and land-use classes (default: shipped).
    build_info
        The GeoPackage's ``build_info`` table as a dict.
    tile_size
        Tile size in metres.
    path
        Where the layers came from (reported in the summary).
    geometry_cache
        A zone cache entry for the geometric indexes (tiles, convex pieces, grids, outline
        segments, source pieces): loaded if present, written otherwise, with the zone
        table of ``layers`` and ``build_info`` (which :func:`load_zones` uses on a hit
        instead of reading the layers). Only valid for the exact layers it was made
        from (see :func:`geometry_cache_path`).
    jobs
        The masks and zones of exactly these layers already handed to a
        :class:`GeometryJobs` (:func:`load_zones` does, as it reads them); their results
        are used when the geometry is not in the cache.
    """
    table, geoms = _zone_table(layers)
    t0 = time.perf_counter()
    geo = _load_geometry_cache(geometry_cache)
    fresh = geo is None
    if geo is None:
        geo = _geometry_indexes(table, geoms, boundary, coverage, sources or {}, tile_size, jobs)
        geo["zone_table"], geo["build_info"] = table, dict(build_info or {})
    return _assemble(
        table,
        geo,
        catalogue,
        land_use,
        build_info=build_info,
        tile_size=tile_size,
        path=path,
        save_to=geometry_cache if fresh else None,
        started=t0,
    )


def _assemble(
    table: pd.DataFrame,
    geo: dict[str, Any],
    catalogue: Catalogue | None,
    land_use: LandUse | None,
    *,
    build_info: Mapping[str, str] | None,
    tile_size: float,
    path: str | None,
    save_to: Path | None,
    started: float,
) -> PreparedZones:
    """The prepared zones of the zone ``table`` (:func:`_zone_table`) and its geometric
    indexes ``geo`` (from the cache, or just made: then their derived grids are made
    here and the whole is saved to ``save_to``, when given), with the catalogue's
    titles, conditions and regimes. ``started``: when the geometry was begun (logged)."""
    cat = catalogue if catalogue is not None else default_catalogue()
    lu = land_use if land_use is not None else land_use_from_catalogue(cat)
    zones = table.copy()  # the table itself is cached as read
    rules = [cat.rules.get(r) if isinstance(r, str) else None for r in zones["rule_id"]]
    _warn_unknown_rules(zones, rules, cat)
    zones["title"] = [r.title if r else None for r in rules]
    zones["title_ru"] = [(r.title_ru or r.title) if r else None for r in rules]
    zones["has_regime"] = [bool(r is not None and r.regime is not None) for r in rules]
    zones["condition"] = [r.regime.condition if r and r.regime else None for r in rules]
    zones["condition_ru"] = [r.regime.condition_ru if r and r.regime else None for r in rules]
    zones["width_label"] = [r.width.label() if r and r.width else None for r in rules]
    for c in ("title", "title_ru", "condition", "condition_ru", "width_label"):
        zones[c] = zones[c].astype("string")
    regimes = regime_matrix(rules, lu)
    for col, values in regime_source_columns(rules, lu).items():
        zones[col] = values

    made = "derived" not in geo
    prepared = PreparedZones(
        zones=zones,
        regimes=regimes,
        tiles=geo["tiles"],
        land_use=lu,
        boundary=geo["boundary"],
        coverage=geo["coverage"],
        sources=geo["sources"],
        near=geo["near"],
        catalogue_version=cat.version,
        build_info=dict(build_info or {}),
        path=path,
        tile_size=tile_size,
        boundary_geom=geo["boundary_geom"],
        coverage_geom=geo["coverage_geom"],
        derived=dict(geo.get("derived", {})),
    )
    if made:
        # the combined grids the engine uses, built once and cached with the rest
        prepared.mask_pieces()
        prepared.near_segments([k for k in prepared.near_keys if len(prepared.near[k])])
        geo["derived"] = dict(prepared.derived)
        _save_geometry_cache(save_to, geo)
    if geo["boundary"] is None:
        log.warning("no agglomeration boundary: parcels are not tested for 'outside_boundary'")
    if geo["coverage"] is None:
        log.warning("no coverage layer: parcels are not tested for 'outside_coverage'")
    log.info(
        "%s %d zone feature(s) in %d tile(s), %d source segment(s) in %.1f s",
        "prepared" if made else "loaded from cache",
        len(zones),
        len(geo["tiles"]),
        len(geo["sources"].segments),
        time.perf_counter() - started,
    )
    return prepared


def _warn_unknown_rules(zones: pd.DataFrame, rules: Sequence[Any], cat: Catalogue) -> None:
    unknown = sorted(
        {str(r) for r, rule in zip(zones["rule_id"], rules, strict=True) if rule is None}
    )
    if unknown:
        log.warning(
            "%d rule id(s) in the zone layers are not in catalogue %s (checked as 'no regime'): %s",
            len(unknown),
            cat.version,
            ", ".join(unknown[:10]),
        )


GEOMETRY_CACHE_VERSION = 8
"""Bump when the cached geometric indexes change shape (old cache files are ignored)."""


def _geometry_indexes(
    zones: pd.DataFrame,
    geoms: np.ndarray,
    boundary: gpd.GeoDataFrame | None,
    coverage: gpd.GeoDataFrame | None,
    sources: Mapping[str, gpd.GeoDataFrame],
    tile_size: float,
    jobs: GeometryJobs | None = None,
) -> dict[str, Any]:
    """The expensive, geometry-only part of :func:`prepare_zones` (cacheable).

    ``jobs``, when :func:`load_zones` started them while reading the layers, already
    cut the masks and the zones (same input, same order); else they are cut here."""
    if jobs is not None and jobs.holds(geoms):
        tiles, masks = jobs.results()
        geoms = jobs.valid_geoms()
    else:
        with GeometryJobs(tile_size) as own:
            own.add_mask("boundary", boundary)
            own.add_mask("coverage", coverage)
            own.add_zones(geoms)
            tiles, masks = own.results()
            geoms = own.valid_geoms()
    (btiles, bindex), (ctiles, cindex) = masks["boundary"], masks["coverage"]
    near: dict[str, NearIndex] = {}
    if len(zones):
        fam = zones["family"].astype(str).to_numpy()
        lay = zones["layer"].astype(str).to_numpy()
        rows = np.arange(len(zones))
        layers_per_family = zones.groupby("family")["layer"].nunique()
        for f in sorted(set(fam)):
            if f in NO_NEAR_FAMILIES:
                continue
            if layers_per_family.get(f, 1) > 1:
                # the family's distance is the minimum over its layers' (engine)
                near[f] = NearIndex.build(np.empty(0, dtype=object), np.empty(0, np.int64))
                for lname in sorted(set(lay[fam == f])):
                    m = lay == lname
                    near[lname] = NearIndex.build(geoms[m], rows[m])
            else:
                near[f] = NearIndex.build(geoms[fam == f], rows[fam == f])
    return {
        "tiles": tiles,
        "near": near,
        "boundary": bindex,
        "coverage": cindex,
        "boundary_geom": btiles[0] if btiles is not None else None,
        "coverage_geom": ctiles[0] if ctiles is not None else None,
        "sources": _source_index(zones, sources, tile_size),
    }


def _repaired(geoms: np.ndarray) -> np.ndarray:
    """Zone geometries with the invalid ones made valid (they come from our own build,
    but be safe); a new array when any is repaired."""
    if len(geoms):
        bad = ~shapely.is_valid(geoms)
        if bad.any():
            geoms = geoms.copy()
            geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


_MaskResult = tuple[np.ndarray | None, "TileIndex | None"]


class GeometryJobs:
    """The cutting of the masks and of the zone tiles on a thread pool (GEOS releases
    the GIL), handed over piece by piece as the layers come in.

    :func:`load_zones` adds the boundary and coverage masks as soon as they are read,
    then each zone layer, so that the pool cuts them while the calling thread reads
    the next layers and builds the zone table. Each task cuts a run of consecutive
    zones (:func:`_chunks`, :func:`_tile_batch`); :meth:`results` joins the runs in the
    order the geometries were added and triangulates the tiles on the same pool: the
    same tiles and pieces as :meth:`TileIndex.build`.
    Use as a context manager (the pool is shut down, unfinished tasks cancelled).
    """

    def __init__(self, tile_size: float) -> None:
        self.tile_size = tile_size
        self.pool = ThreadPoolExecutor(_build_threads(), thread_name_prefix="zones")
        self.masks: dict[str, Future[_MaskResult]] = {}
        self.zone_tiles: list[Future[list[list[shapely.Geometry]]]] = []
        self.geoms: list[np.ndarray] = []
        self.valid: list[np.ndarray] = []

    def add_mask(self, name: str, gdf: gpd.GeoDataFrame | None) -> None:
        """Dissolve and tile the mask ``name`` (boundary, coverage); ``None``: absent."""
        self.masks[name] = self.pool.submit(_mask_of, gdf, name, self.tile_size / MASK_TILE_DIVISOR)

    def add_zones(self, geoms: np.ndarray) -> None:
        """Tile zone geometries (:func:`_repaired` first), in zone-table order."""
        self.geoms.append(geoms)
        valid = _repaired(geoms)
        self.valid.append(valid)
        self.zone_tiles.extend(
            self.pool.submit(_tile_batch, valid[c], self.tile_size) for c in _chunks(valid)
        )

    def holds(self, geoms: np.ndarray) -> bool:
        """Whether exactly ``geoms`` (the zone table's, the same objects, before any
        repair) were added, and both masks."""
        added = np.concatenate(self.geoms) if self.geoms else np.empty(0, dtype=object)
        return (
            set(self.masks) == {"boundary", "coverage"}
            and len(added) == len(geoms)
            and all(a is b for a, b in zip(added, geoms, strict=True))
        )

    def valid_geoms(self) -> np.ndarray:
        """The zone geometries added, repaired (:func:`_repaired`) as they were cut; the
        calling thread makes no GEOS call on geometries the pool may be cutting."""
        return np.concatenate(self.valid) if self.valid else np.empty(0, dtype=object)

    def results(self) -> tuple[TileIndex, dict[str, _MaskResult]]:
        """The zone :class:`TileIndex` and the masks (:func:`_mask_of` by name)."""
        arr, owners = _gathered(t for f in self.zone_tiles for t in f.result())
        index = TileIndex.from_tiles(arr, owners, self.pool)
        return index, {name: f.result() for name, f in self.masks.items()}

    def __enter__(self) -> GeometryJobs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _build_threads() -> int:
    """Threads that prepare the zones: as many as the compiled kernels use
    (``ALMATY_SCHEME_NUMBA_THREADS``, else one per core), at least 1."""
    n = settings.current().numba_threads
    return max(1, n if n is not None else (os.cpu_count() or 1))


def _mask_of(
    gdf: gpd.GeoDataFrame | None, name: str, size: float
) -> tuple[np.ndarray | None, TileIndex | None]:
    """The dissolved mask (boundary, coverage) and its :func:`_mask_index`."""
    geoms = _dissolve(gdf, name)
    return geoms, _mask_index(geoms, size)


def _mask_index(geoms: np.ndarray | None, size: float) -> TileIndex | None:
    """Tiles of a mask (boundary, coverage) keep only their convex pieces: the engine
    needs the covered area, never the tile geometries (fewer objects to cache)."""
    if geoms is None:
        return None
    owner, pieces = _mask_tiles(geoms, size)
    return TileIndex(tiles=np.empty(0, dtype=object), owner=owner, pieces=pieces)


def start_kernel_runtime() -> threading.Thread:
    """Start numba's runtime on a background thread and return the thread.

    The first call of a compiled kernel in a process costs about 1.3 s even when its
    machine code comes from numba's cache (numba sets up its compiler and typing
    tables once per process). :func:`~almaty_scheme.check.run.run_check` starts it before
    it reads the parcels, and :func:`load_zones` if nothing did, so that it runs while
    the parcels, the layers and the zone cache are read (GDAL, Arrow, hashing and WKB
    decoding release the GIL) instead of at the first overlap of the check. Only the
    first call starts a thread. The thread calls the
    kernel of :meth:`Grid.build` with the argument types the check uses; numba's
    compiler lock makes a concurrent first call from the check wait for it.
    """
    with _RUNTIME_LOCK:
        if _RUNTIME:  # once per process: the first caller starts it
            return _RUNTIME[0]
        thread = threading.Thread(target=_first_kernel_call, name="numba-runtime", daemon=False)
        thread.start()
        _RUNTIME.append(thread)
        return thread


_RUNTIME: list[threading.Thread] = []
_SQUARE_WKB = shapely.to_wkb(shapely.box(0, 0, 1, 1))
_RUNTIME_LOCK = threading.Lock()


def _first_kernel_call() -> None:
    try:
        with without_blas_probe():
            Grid.build(np.zeros((1, 4)), 1.0)
            # a GeoParquet file's parcels are bounded, shown valid and their rings read
            # from their WKB first (io.wkb.total_bounds, simple_valid, FlatRings.from_wkb)
            square = pa.array([_SQUARE_WKB], pa.binary())
            total_bounds(square)
            simple_valid(square, np.zeros(1, np.int64))
            wkb_rings(square, np.zeros(1, np.int64))
    except Exception as exc:  # the check's own first call reports any real problem
        log.debug("starting numba's runtime early failed: %s", exc)


def geometry_cache_path(
    layers: str | Path, tile_size: float, cache_dir: str | Path | None = None
) -> Path:
    """Cache entry for the prepared geometry of a layers GeoPackage
    (:mod:`~almaty_scheme.check.zone_cache`).

    The key is the SHA-256 of the file's bytes, the tile size, the cache format
    version and the toolkit version: a rebuilt GeoPackage never meets a stale cache.
    """
    h = hashlib.sha256()
    with Path(layers).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    h.update(f"|{tile_size:g}|{GEOMETRY_CACHE_VERSION}|{__version__}".encode())
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return base / "zones" / f"{h.hexdigest()[:32]}{zone_cache.ENTRY_SUFFIX}"


CACHE_CLASSES: dict[str, type] = {
    c.__name__: c for c in (TileIndex, NearIndex, SourceIndex, ConvexPieces, Grid)
}
"""The only classes a cache entry may build (:mod:`~almaty_scheme.io.arraystore`)."""


def _load_geometry_cache(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    geo = zone_cache.load_entry(path, CACHE_CLASSES)
    if isinstance(geo, dict) and geo.get("_version") == GEOMETRY_CACHE_VERSION:
        return geo
    return None


def _save_geometry_cache(path: Path | None, geo: dict[str, Any]) -> None:
    if path is not None:
        # written by a thread while the check runs (the process waits for it at exit)
        zone_cache.save_entry(path, {**geo, "_version": GEOMETRY_CACHE_VERSION}, background=True)


def load_zones(
    path: str | Path,
    *,
    catalogue: Catalogue | None = None,
    land_use: LandUse | None = None,
    tile_size: float = DEFAULT_TILE_SIZE_M,
    cache: bool | str | Path = True,
    allow_missing: Sequence[str] = (),
) -> PreparedZones:
    """Read the built GeoPackage (brief_contracts §3) and prepare it.

    Parameters
    ----------
    path
        The layers GeoPackage (never modified).
    catalogue, land_use
        Rule catalogue and land-use classes (default: shipped).
    tile_size
        Tile size in metres.
    cache
        Cache the geometric indexes (the slow part, several seconds) and the zone
        table in a file keyed by the GeoPackage's content hash: ``True`` in
        :func:`default_cache_dir`, a folder to use that one, ``False`` to prepare from
        scratch every time. On a hit no layer of the file is read.
    allow_missing
        Restriction layers the caller accepts to be absent (``--allow-missing-layers``);
        any other missing layer is refused, since parcels in its zones would come out
        milder than they are. They are kept in :attr:`PreparedZones.missing_layers`.

    Raises
    ------
    DataError
        If the file is missing, unreadable, has none of the restriction layers, or
        lacks a layer not in ``allow_missing``.
    """
    p = Path(path)
    names, missing = layers_file_layers(p, allow_missing)
    start_kernel_runtime()
    present = [n for n in LAYER_NAMES if n in names]
    if missing:
        log.warning(
            "%s lacks layer(s) %s (allowed by --allow-missing-layers): they are not checked",
            p.name,
            ", ".join(missing),
        )

    entry = (
        None
        if cache is False
        else geometry_cache_path(p, tile_size, None if cache is True else Path(cache))
    )
    zone_cache.wait_for_saves()
    t0 = time.perf_counter()
    geo = _load_geometry_cache(entry)
    if geo is not None:  # the zone table is cached too: no layer is read
        info = dict(geo["build_info"])
        prepared = _assemble(
            geo["zone_table"],
            geo,
            _catalogue_for(p, info, catalogue),
            land_use,
            build_info=info,
            tile_size=tile_size,
            path=str(p),
            save_to=None,
            started=t0,
        )
    else:
        with GeometryJobs(tile_size) as jobs:
            read = _read_layers(p, names, present, jobs)
            prepared = _prepare_read(p, names, read, catalogue, land_use, tile_size, entry, jobs)
    prepared.missing_layers = tuple(missing)
    return prepared


_Read = tuple[
    dict[str, gpd.GeoDataFrame],
    gpd.GeoDataFrame | None,
    gpd.GeoDataFrame | None,
    dict[str, gpd.GeoDataFrame],
]
"""What :func:`_read_layers` returns: zone layers, boundary, coverage, source layers."""


def _read_layers(p: Path, names: set[str], present: list[str], jobs: GeometryJobs | None) -> _Read:
    """The zone layers, boundary, coverage and source base layers of a layers file,
    each handed to ``jobs`` (when given) as soon as it is read, masks first."""

    def read(layer: str) -> gpd.GeoDataFrame:
        gdf = pyogrio.read_dataframe(p, layer=layer, fid_as_index=True)
        gdf.index.name = "fid"
        return to_working_crs(gdf, name=f"{p.name}:{layer}")

    masks = {m: read(m) if m in names else None for m in ("boundary", "coverage")}
    if jobs is not None:
        for m, gdf in masks.items():
            jobs.add_mask(m, gdf)
    layers: dict[str, gpd.GeoDataFrame] = {}
    for n in present:
        if n == "boundary":
            continue
        layers[n] = gdf = read(n)
        if jobs is not None and n in HIT_LAYERS and len(gdf):
            require_working_crs(gdf, name=n)
            jobs.add_zones(np.asarray(gdf.geometry.to_numpy(), dtype=object))
    wanted = set()
    for gdf in layers.values():
        if "source_layer" in gdf.columns:
            wanted |= {str(v) for v in gdf["source_layer"].dropna().unique()}
    sources = {s: read(f"base_{s}") for s in sorted(wanted) if f"base_{s}" in names}
    return layers, masks["boundary"], masks["coverage"], sources


def _prepare_read(
    p: Path,
    names: set[str],
    read: _Read,
    catalogue: Catalogue | None,
    land_use: LandUse | None,
    tile_size: float,
    entry: Path | None,
    jobs: GeometryJobs | None,
) -> PreparedZones:
    """:func:`prepare_zones` of the layers :func:`load_zones` read, with the file's
    ``build_info`` and a warning when its catalogue version is not the one used."""
    layers, boundary, coverage, sources = read
    build_info: dict[str, str] = {}
    if "build_info" in names:
        bi = pyogrio.read_dataframe(p, layer="build_info", read_geometry=False)
        if {"key", "value"} <= set(bi.columns):
            build_info = {str(k): str(v) for k, v in zip(bi["key"], bi["value"], strict=True)}
    cat = _catalogue_for(p, build_info, catalogue)
    return prepare_zones(
        layers,
        boundary=boundary,
        coverage=coverage,
        sources=sources,
        catalogue=cat,
        land_use=land_use,
        build_info=build_info,
        tile_size=tile_size,
        path=str(p),
        geometry_cache=entry,
        jobs=jobs,
    )


def _catalogue_for(
    p: Path, build_info: Mapping[str, str], catalogue: Catalogue | None
) -> Catalogue:
    """``catalogue`` (default: shipped), with a warning when the layers file ``p`` was
    built with another catalogue version."""
    cat = catalogue if catalogue is not None else default_catalogue()
    built_with = build_info.get("catalogue_version")
    if built_with and built_with != cat.version:
        log.warning(
            "%s was built with catalogue %s; checking with catalogue %s (titles and regimes "
            "come from the latter). Rebuild the layers to align them.",
            p.name,
            built_with,
            cat.version,
        )
    return cat


@functools.lru_cache(maxsize=8)
def _listed(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    """The layer names of a file as it is now (a check lists its layers file twice: before
    reading the parcels and when reading the zones; GDAL takes ~70 ms to open it)."""
    return tuple(str(r[0]) for r in pyogrio.list_layers(path))


def layers_file_layers(path: Path, allow_missing: Sequence[str] = ()) -> tuple[set[str], list[str]]:
    """The layer names of a layers file and its missing restriction layers (allowed
    by ``allow_missing``); cheap, so a check calls it before reading any parcel.

    Raises
    ------
    DataError
        If the file is missing, unreadable, has none of the restriction layers, or
        lacks one not allowed (:func:`check_layer_set`).
    """
    if not path.is_file():
        raise DataError(
            f"Restriction layers {path} not found",
            [
                "Build them first with 'almaty-scheme build --out out/almaty_scheme.gpkg', "
                "or pass --layers with the path of a built GeoPackage."
            ],
        )
    st = path.stat()
    try:
        names = set(_listed(str(path.resolve()), st.st_mtime_ns, st.st_size))
    except Exception as exc:
        raise DataError(f"Cannot open {path} as a GeoPackage", [f"GDAL says: {exc}."]) from None
    if not any(n in names for n in LAYER_NAMES):
        raise DataError(
            f"{path.name} holds none of the restriction layers",
            [f"Expected layers such as {', '.join(LAYER_NAMES[:4])}...; is it a build output?"],
        )
    return names, check_layer_set(path.name, names, allow_missing)


def check_layer_set(name: str, present: set[str], allow_missing: Sequence[str]) -> list[str]:
    """The restriction layers missing from a layers file, if the user allowed each.

    Raises
    ------
    UsageError
        ``allow_missing`` names a layer that does not exist.
    DataError
        A layer is missing and not allowed (with the exact option that allows it).
    """
    unknown = sorted(set(allow_missing) - set(LAYER_NAMES))
    if unknown:
        raise UsageError(
            f"--allow-missing-layers names unknown layer(s): {', '.join(unknown)}",
            [f"Layers are: {', '.join(LAYER_NAMES)}."],
        )
    missing = [n for n in LAYER_NAMES if n not in present]
    refused = [n for n in missing if n not in allow_missing]
    if refused:
        raise DataError(
            f"{name} lacks the restriction layer(s) {', '.join(refused)}: parcels in those "
            "zones would come out milder than they are",
            [
                "Rebuild the layers with 'almaty-scheme build', or accept the gap explicitly "
                f"with --allow-missing-layers {','.join(missing)} (recorded in every output)."
            ],
        )
    return missing
