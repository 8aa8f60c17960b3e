"""Overlap areas by vectorised polygon clipping in numpy (no GEOS call per pair).

Zone tiles are cut once into *convex* pieces: a tile that is a whole grid cell stays a
box, any other tile is split into triangles by a constrained Delaunay triangulation
(the triangles partition the tile exactly). The area of a parcel inside a convex piece
is then computed for millions of (parcel ring, piece) pairs at once with the
Sutherland-Hodgman algorithm: the ring is clipped successively by the half-planes of
the piece's edges, and the clipped ring's signed (shoelace) area is its area inside
the piece. For a non-convex ring the clipped ring may contain zero-width "bridges"
along a clipping edge, which add no area, so the result is exact for any simple ring;
exteriors are oriented counter-clockwise and holes clockwise, so a parcel's overlap is
the sum over its rings. Rings with more than :data:`MAX_RING_VERTICES` vertices are
handed to GEOS instead.

The overlap of a parcel with a zone is the sum over the zone's pieces (which are
disjoint); the tests check it against ``shapely.intersection`` on random polygons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

MAX_RING_VERTICES = 256
"""Rings with more vertices than this are intersected with GEOS (rare for parcels)."""

_BUCKETS = (4, 8, 16, 32, 64, 128, MAX_RING_VERTICES)
_CHUNK = 250_000  # pairs per numpy batch (bounds memory)


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
    tree
        STRtree over the pieces' bounding boxes (bounding-box queries only).
    """

    coords: np.ndarray
    owner: np.ndarray
    is_box: np.ndarray
    bounds: np.ndarray
    tree: STRtree

    def __len__(self) -> int:
        return len(self.owner)


def _is_box(g: np.ndarray) -> np.ndarray:
    b = shapely.bounds(g)
    bb = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return (shapely.get_num_coordinates(g) == 5) & (shapely.get_type_id(g) == 3) & np.isclose(
        shapely.area(g), bb, rtol=1e-12, atol=1e-9
    )


def convex_pieces(tiles: np.ndarray, owner: np.ndarray) -> ConvexPieces:
    """Cut polygon tiles into boxes and triangles (see the module docstring)."""
    boxes = _is_box(tiles) if len(tiles) else np.zeros(0, bool)
    coords: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    flags: list[np.ndarray] = []
    if boxes.any():
        b = shapely.bounds(tiles[boxes])
        c = np.stack([np.stack([b[:, 0], b[:, 1]], 1), np.stack([b[:, 2], b[:, 1]], 1),
                      np.stack([b[:, 2], b[:, 3]], 1), np.stack([b[:, 0], b[:, 3]], 1)], axis=1)
        coords.append(c)
        owners.append(owner[boxes])
        flags.append(np.ones(len(c), bool))
    rest = np.flatnonzero(~boxes)
    if len(rest):
        tri = shapely.constrained_delaunay_triangles(tiles[rest])
        parts, pidx = shapely.get_parts(tri, return_index=True)
        xy = shapely.get_coordinates(shapely.get_exterior_ring(parts)).reshape(len(parts), 4, 2)
        # orient counter-clockwise
        x, y = xy[:, :3, 0], xy[:, :3, 1]
        signed = (x[:, 0] * (y[:, 1] - y[:, 2]) + x[:, 1] * (y[:, 2] - y[:, 0])
                  + x[:, 2] * (y[:, 0] - y[:, 1]))
        cw = signed < 0
        xy[cw, 1], xy[cw, 2] = xy[cw, 2].copy(), xy[cw, 1].copy()
        keep = np.abs(signed) > 0
        xy[:, 3] = xy[:, 0]
        coords.append(xy[keep])
        owners.append(owner[rest][pidx][keep])
        flags.append(np.zeros(int(keep.sum()), bool))
    if coords:
        allc = np.concatenate(coords)
        own = np.concatenate(owners)
        isb = np.concatenate(flags)
    else:
        allc, own, isb = np.zeros((0, 4, 2)), np.zeros(0, np.int64), np.zeros(0, bool)
    bounds = np.concatenate([allc.min(axis=1), allc.max(axis=1)], axis=1) if len(allc) else np.zeros((0, 4))
    tree = STRtree(shapely.box(bounds[:, 0], bounds[:, 1], bounds[:, 2], bounds[:, 3]))
    return ConvexPieces(coords=allc, owner=own.astype(np.int64), is_box=isb, bounds=bounds, tree=tree)


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


def _half_plane_values(poly: np.ndarray, piece: np.ndarray) -> np.ndarray:
    """``s[m, k, i]`` >= 0 iff vertex i of ring m is on the inner side of edge k of piece m."""
    a = piece  # (M, 4, 2)
    d = np.roll(piece, -1, axis=1) - a
    px = poly[:, None, :, 0]
    py = poly[:, None, :, 1]
    return d[..., 0, None] * (py - a[..., 1, None]) - d[..., 1, None] * (px - a[..., 0, None])


def _shoelace(poly: np.ndarray) -> np.ndarray:
    x, y = poly[..., 0], poly[..., 1]
    return 0.5 * np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1)


def _sutherland_hodgman(poly: np.ndarray, piece: np.ndarray) -> np.ndarray:
    """Signed area of each ring (M, w, 2) clipped by the convex piece (M, 4, 2)."""
    m = len(poly)
    rows = np.arange(m)[:, None]
    for k in range(4):
        a = piece[:, k, :][:, None, :]
        b = piece[:, (k + 1) % 4, :][:, None, :]
        d = b - a
        s = d[..., 0] * (poly[..., 1] - a[..., 1]) - d[..., 1] * (poly[..., 0] - a[..., 0])
        nxt = np.roll(poly, -1, axis=1)
        s_n = np.roll(s, -1, axis=1)
        ins = s >= 0
        ins_n = s_n >= 0
        cross = ins != ins_n
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(cross, s / np.where(cross, s - s_n, 1.0), 0.0)
        slot_a = poly + t[..., None] * (nxt - poly)
        slot_a = np.where(cross[..., None], slot_a, nxt)
        valid = np.empty((m, 2 * s.shape[1]), bool)
        valid[:, 0::2] = cross | (ins & ins_n)
        valid[:, 1::2] = ~ins & ins_n
        out = np.empty((m, 2 * s.shape[1], 2))
        out[:, 0::2] = slot_a
        out[:, 1::2] = nxt
        cnt = valid.sum(axis=1)
        width = max(int(cnt.max()), 1)
        # compact the valid vertices to the left (scatter by running count), then pad
        pos = np.cumsum(valid, axis=1) - 1
        comp = np.zeros((m, width, 2))
        rr, cc = np.nonzero(valid)
        comp[rr, pos[rr, cc]] = out[rr, cc]
        col = np.minimum(np.arange(width)[None, :], np.maximum(cnt - 1, 0)[:, None])
        poly = comp[rows, col]
    return _shoelace(poly)


def _clip_area(ring: np.ndarray, piece: np.ndarray, ring_area: np.ndarray) -> np.ndarray:
    """Signed area of each ring (M, w, 2) inside each convex piece (M, 4, 2).

    Pairs with every vertex inside the piece take the ring's own area; pairs with every
    vertex outside one edge's half-plane take 0; only the rest are clipped.
    """
    # work in coordinates local to each piece: UTM values (~10^6 m) would cost digits
    origin = piece[:, :1, :]
    ring = ring - origin
    piece = piece - origin
    s = _half_plane_values(ring, piece)
    inside = s >= 0
    all_in = inside.all(axis=(1, 2))
    out_any = np.any(np.all(~inside, axis=2), axis=1)
    area = np.where(all_in, ring_area, 0.0)
    todo = np.flatnonzero(~all_in & ~out_any)
    if len(todo):
        area[todo] = _sutherland_hodgman(ring[todo], piece[todo])
    return area


def overlap_by_clipping(
    geoms: np.ndarray, pieces: ConvexPieces
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap areas of polygons with the owners of convex pieces.

    Returns ``(geom_index, owner, area)`` aggregated per (polygon, owner), sorted by
    (polygon, owner); pairs whose bounding boxes meet but which do not overlap are
    included with area 0 (or a rounding residue near 0).
    """
    e = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if len(geoms) == 0 or len(pieces) == 0:
        return e
    rings = polygon_rings(geoms)
    # ring bounding boxes
    seg = np.repeat(np.arange(len(rings.ring_n)), rings.ring_n)
    rx0 = np.full(len(rings.ring_n), np.inf)
    ry0 = np.full(len(rings.ring_n), np.inf)
    rx1 = np.full(len(rings.ring_n), -np.inf)
    ry1 = np.full(len(rings.ring_n), -np.inf)
    np.minimum.at(rx0, seg, rings.coords[:, 0])
    np.minimum.at(ry0, seg, rings.coords[:, 1])
    np.maximum.at(rx1, seg, rings.coords[:, 0])
    np.maximum.at(ry1, seg, rings.coords[:, 1])
    # candidate pairs by bounding box: query with the polygons, expand to rings
    gi, pj = pieces.tree.query(geoms)
    if len(gi) == 0:
        return e
    first_ring = np.searchsorted(rings.ring_geom, np.arange(len(geoms)))
    n_rings = np.bincount(rings.ring_geom, minlength=len(geoms))
    reps = n_rings[gi]
    ri = np.repeat(first_ring[gi], reps) + (np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps))
    pj = np.repeat(pj, reps)
    gi = np.repeat(gi, reps)
    # drop ring/piece pairs whose boxes do not meet (holes, parts of multipolygons)
    pb = pieces.bounds[pj]
    meet = (rx0[ri] <= pb[:, 2]) & (rx1[ri] >= pb[:, 0]) & (ry0[ri] <= pb[:, 3]) & (ry1[ri] >= pb[:, 1])
    ri, pj, gi = ri[meet], pj[meet], gi[meet]
    area = np.zeros(len(ri))
    # shortcut: ring's box strictly inside a box piece -> the ring's own signed area
    pb = pieces.bounds[pj]
    inside_box = pieces.is_box[pj] & (rx0[ri] > pb[:, 0]) & (rx1[ri] < pb[:, 2]) & (
        ry0[ri] > pb[:, 1]) & (ry1[ri] < pb[:, 3])
    ring_area = _ring_areas(rings)
    area[inside_box] = ring_area[ri[inside_box]]
    todo = np.flatnonzero(~inside_box)
    n = rings.ring_n[ri[todo]]
    lo = 0
    for hi in _BUCKETS:
        sel = todo[(n > lo) & (n <= hi)]
        lo = hi
        for c0 in range(0, len(sel), _CHUNK):
            s = sel[c0:c0 + _CHUNK]
            area[s] = _clip_area(_padded(rings, ri[s], hi), pieces.coords[pj[s]],
                                 ring_area[ri[s]])
    big = todo[n > MAX_RING_VERTICES]
    if len(big):
        area[big] = _geos_ring_area(rings, ri[big], pieces.coords[pj[big]])
    owner = pieces.owner[pj]
    key_o = owner.max() + 1 if len(owner) else 1
    key = gi.astype(np.int64) * key_o + owner
    uk, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv, weights=area, minlength=len(uk))
    return uk // key_o, uk % key_o, sums


def _ring_areas(rings: Rings) -> np.ndarray:
    seg = np.repeat(np.arange(len(rings.ring_n)), rings.ring_n)
    local = rings.coords - rings.coords[rings.ring_start][seg]  # precision: local origin
    x, y = local[:, 0], local[:, 1]
    idx = np.arange(len(x))
    nxt = idx + 1
    ends = rings.ring_start + rings.ring_n - 1
    nxt[ends] = rings.ring_start
    terms = x * y[nxt] - x[nxt] * y
    return 0.5 * np.bincount(seg, weights=terms, minlength=len(rings.ring_n))


def _padded(rings: Rings, ri: np.ndarray, width: int) -> np.ndarray:
    """Ring vertices as ``(M, width, 2)``, short rings padded with their last vertex."""
    n = rings.ring_n[ri]
    col = np.minimum(np.arange(width)[None, :], (n - 1)[:, None])
    idx = rings.ring_start[ri][:, None] + col
    return rings.coords[idx]


def _geos_ring_area(rings: Rings, ri: np.ndarray, piece: np.ndarray) -> np.ndarray:
    out = np.empty(len(ri))
    for k, r in enumerate(ri):
        s, n = rings.ring_start[r], rings.ring_n[r]
        ring = shapely.Polygon(rings.coords[s:s + n])
        sign = 1.0 if shapely.is_ccw(shapely.LinearRing(rings.coords[s:s + n])) else -1.0
        clip = shapely.Polygon(piece[k])
        if not ring.is_valid:
            ring = shapely.make_valid(ring)
        out[k] = sign * shapely.intersection(ring, clip).area
    return out
