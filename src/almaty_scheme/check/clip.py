"""Overlap areas by polygon clipping against convex pieces (no GEOS call per pair).

Zone tiles are cut once into *convex* pieces: a tile that is a whole grid cell stays a
box, any other tile is split into triangles by a constrained Delaunay triangulation
(the triangles partition the tile exactly). The area of a parcel inside a convex piece
is then computed for millions of (parcel ring, piece) pairs by the compiled kernel
of :mod:`.kernels` with the Sutherland-Hodgman algorithm: the ring is clipped successively by the half-planes of
the piece's edges, and the clipped ring's signed (shoelace) area is its area inside
the piece. For a non-convex ring the clipped ring may contain zero-width "bridges"
along a clipping edge, which add no area, so the result is exact for any simple ring;
exteriors are oriented counter-clockwise and holes clockwise, so a parcel's overlap is
the sum over its rings.

The overlap of a parcel with a zone is the sum over the zone's pieces (which are
disjoint); the tests check it against ``shapely.intersection`` on random polygons.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import shapely

from almaty_scheme.check.kernels import FlatRings, Grid, overlap_sums


@dataclass
class ConvexPieces:
    """Convex pieces of tiled polygons.

    Attributes
    ----------
    coords
        ``(K, 4, 2)`` vertices, counter-clockwise; triangles repeat their first vertex as
        the fourth (a zero-length edge clips nothing).
    owner
        Owner (zone row) of each piece.
    is_box
        The piece is an axis-aligned box (a whole grid cell or part of one).
    bounds
        ``(K, 4)`` xmin, ymin, xmax, ymax.
    grid
        :class:`~almaty_scheme.check.kernels.Grid` over the pieces' bounds.
    """

    coords: np.ndarray
    owner: np.ndarray
    is_box: np.ndarray
    bounds: np.ndarray
    grid: Grid

    def __len__(self) -> int:
        return len(self.owner)


def _is_box(g: np.ndarray) -> np.ndarray:
    b = shapely.bounds(g)
    bb = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return (
        (shapely.get_num_coordinates(g) == 5)
        & (shapely.get_type_id(g) == 3)
        & np.isclose(shapely.area(g), bb, rtol=1e-12, atol=1e-9)
    )


_TRIANGULATE_CHUNK = 2_000
"""Tiles per task when the triangulation runs on a thread pool."""


def _triangulate(tiles: np.ndarray, pool: Executor | None) -> np.ndarray:
    """``shapely.constrained_delaunay_triangles`` of every tile, on ``pool``'s threads
    in chunks when given (GEOS releases the GIL; the result is the same)."""
    if pool is None or len(tiles) <= _TRIANGULATE_CHUNK:
        return np.asarray(shapely.constrained_delaunay_triangles(tiles))
    chunks = [tiles[i : i + _TRIANGULATE_CHUNK] for i in range(0, len(tiles), _TRIANGULATE_CHUNK)]
    return np.concatenate(list(pool.map(shapely.constrained_delaunay_triangles, chunks)))


def convex_pieces(
    tiles: np.ndarray, owner: np.ndarray, pool: Executor | None = None
) -> ConvexPieces:
    """Cut polygon tiles into boxes and triangles (see the module docstring); the
    triangulation runs on the threads of ``pool`` when one is given."""
    boxes = _is_box(tiles) if len(tiles) else np.zeros(0, bool)
    coords: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    flags: list[np.ndarray] = []
    if boxes.any():
        b = shapely.bounds(tiles[boxes])
        c = np.stack(
            [
                np.stack([b[:, 0], b[:, 1]], 1),
                np.stack([b[:, 2], b[:, 1]], 1),
                np.stack([b[:, 2], b[:, 3]], 1),
                np.stack([b[:, 0], b[:, 3]], 1),
            ],
            axis=1,
        )
        coords.append(c)
        owners.append(owner[boxes])
        flags.append(np.ones(len(c), bool))
    rest = np.flatnonzero(~boxes)
    if len(rest):
        tri = _triangulate(tiles[rest], pool)
        # every part is a triangle (4 coordinates, closed, no hole): read the coordinates
        # of the collections at once instead of making a shapely object per triangle
        flat, cidx = shapely.get_coordinates(tri, return_index=True)
        xy = flat.reshape(-1, 4, 2)
        pidx = cidx[::4]
        # orient counter-clockwise
        x, y = xy[:, :3, 0], xy[:, :3, 1]
        signed = (
            x[:, 0] * (y[:, 1] - y[:, 2])
            + x[:, 1] * (y[:, 2] - y[:, 0])
            + x[:, 2] * (y[:, 0] - y[:, 1])
        )
        cw = signed < 0
        xy[cw, 1], xy[cw, 2] = xy[cw, 2].copy(), xy[cw, 1].copy()
        keep = np.abs(signed) > 0
        xy[:, 3] = xy[:, 0]
        coords.append(xy[keep])
        owners.append(owner[rest][pidx][keep])
        flags.append(np.zeros(int(keep.sum()), bool))
    if coords:
        allc = np.ascontiguousarray(np.concatenate(coords))
        own = np.concatenate(owners)
        isb = np.concatenate(flags)
    else:
        allc, own, isb = np.zeros((0, 4, 2)), np.zeros(0, np.int64), np.zeros(0, bool)
    bounds = (
        np.ascontiguousarray(np.concatenate([allc.min(axis=1), allc.max(axis=1)], axis=1))
        if len(allc)
        else np.zeros((0, 4))
    )
    return ConvexPieces(
        coords=allc, owner=own.astype(np.int64), is_box=isb, bounds=bounds, grid=Grid.build(bounds)
    )


@dataclass
class Rings:
    """The rings of polygons, oriented (exteriors CCW, holes CW), by vertex-count bucket."""

    ring_geom: np.ndarray  # parcel index of each ring
    ring_n: np.ndarray  # vertices (without the closing one)
    ring_start: np.ndarray  # offset into coords
    coords: np.ndarray  # all ring vertices (closing vertex dropped), (N, 2)


def polygon_rings(geoms: np.ndarray) -> Rings:
    """Rings of (multi)polygons with exteriors counter-clockwise and holes clockwise."""
    oriented = shapely.orient_polygons(geoms, exterior_cw=False)
    polys, pidx = shapely.get_parts(oriented, return_index=True)
    rings, ridx = shapely.get_rings(polys, return_index=True)
    xy, cidx = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(cidx, minlength=len(rings))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # drop each ring's closing vertex
    last = starts + counts - 1
    keep = np.ones(len(xy), bool)
    keep[last] = False
    n = counts - 1
    new_starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    return Rings(ring_geom=pidx[ridx], ring_n=n, ring_start=new_starts, coords=xy[keep])


def overlap_by_clipping(
    geoms: np.ndarray | FlatRings, pieces: ConvexPieces
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap areas of polygons with the owners of convex pieces.

    ``geoms`` are valid, non-empty polygons, or their :class:`FlatRings` (flatten once
    and reuse them for several piece sets).

    Returns ``(geom_index, owner, area)`` aggregated per (polygon, owner), sorted by
    (polygon, owner); pairs whose bounding boxes meet but which do not overlap are
    included with area 0 (or a rounding residue near 0).
    """
    rings = (
        geoms
        if isinstance(geoms, FlatRings)
        else FlatRings.from_geoms(np.asarray(geoms, dtype=object))
    )
    if len(pieces) == 0 or len(rings.geom_offsets) <= 1:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return overlap_sums(
        rings, pieces.coords, pieces.bounds, pieces.is_box, pieces.owner, pieces.grid
    )
