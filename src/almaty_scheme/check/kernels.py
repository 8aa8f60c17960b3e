"""Compiled (numba) kernels of the parcel check: overlap areas and nearest distances.

Both kernels loop over parcels in parallel (``numba.prange``, one thread per core) and
find their candidates in a uniform grid (:class:`Grid`) instead of materialising
millions of candidate pairs from an STRtree. Geometry comes in as flat coordinate
arrays (:class:`FlatRings`, from :func:`shapely.to_ragged_array`), so no GEOS call
and no Python object is touched per parcel.

Geometric rules (the same as the numpy clipping of :mod:`.clip`):

* **Overlap** of a parcel with a convex piece = signed area of each ring of the parcel
  clipped by the piece (Sutherland-Hodgman), exteriors counted positive and holes
  negative; exact for any simple ring, because a convex clip region only adds
  zero-area bridges to a non-convex ring. A ring whose bounding box lies strictly
  inside an axis-aligned box piece takes its own area without clipping. Overlaps are
  summed per (parcel, owner of the piece).
* **Distance** of a parcel to a set of segments = the minimum Euclidean distance
  between any edge of the parcel and any segment (0 if they cross), searched within a
  radius; segments are pruned by the distance between bounding boxes.

Coordinates are shifted to a local origin per piece (overlaps) or per parcel
(distances): UTM values (~10^6 m) would otherwise cost digits.

Speed without changing a bit of the answers: the kernels walk a copy of the rings in
Z-order (:meth:`FlatRings.spatial_copy`) and read each grid cell's items (bounds,
segments) from arrays in cell order, so memory is read front to back; before clipping,
one pass over the ring's own vertices settles a ring wholly outside one edge of the
piece (by a margin far above rounding: area 0, as the clipping would give) or inside
every edge (the clipping would copy it unchanged: its shoelace); a parcel edge whose
box is farther from a segment than the best distance so far is not measured; threads
take small tasks as they become free (parcels cluster, so equal shares are unequal work).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import math
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from types import ModuleType

import numba
import numpy as np
import pyarrow as pa
import shapely
from numba import njit, prange

from almaty_scheme.io.wkb import wkb_rings
from almaty_scheme.parallel import parallel_launch

MAX_OWNERS_PER_PARCEL = 16
"""Slots per parcel for distinct owners in one overlap pass; parcels touching more
owners (very large parcels) are recomputed with enough slots."""

_CHUNK = 200_000  # parcels per kernel call (bounds the slot buffers' memory)

# Threads take work in small tasks as they become free (numba's dynamic scheduling)
# instead of one equal share each: parcels cluster, and an equal share of parcels in
# Z-order can be very unequal work (a town against open steppe).
_BLOCKS_PER_TASK = 4  # the overlap kernel's prange runs over blocks of parcels
_PARCELS_PER_TASK = 256  # the source-distance kernel's prange runs over parcels
_NEAR_BLOCK = 64  # parcels per block of the near kernel (its prange runs over blocks)


def set_threads(n: int | None) -> None:
    """Use ``n`` threads in the compiled kernels (``None``: leave numba's setting, one per
    core unless ``NUMBA_NUM_THREADS`` caps it); capped at numba's maximum.

    The check run calls it with :attr:`~almaty_scheme.settings.Settings.numba_threads`
    (``ALMATY_SCHEME_NUMBA_THREADS``).
    """
    if n is not None:
        numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]


class _ScipyHeldBack(importlib.abc.MetaPathFinder):
    """An import finder that refuses ``scipy`` to one thread at a time and is inert
    for every other thread (installed once, first on :data:`sys.meta_path`, never
    removed: a finder removed while another thread imports could make it skip one)."""

    def __init__(self) -> None:
        self.thread: int | None = None

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if self.thread == threading.get_ident() and fullname.partition(".")[0] == "scipy":
            raise ModuleNotFoundError(f"{fullname} is held back here", name=fullname)
        return None


_SCIPY_HELD_BACK = _ScipyHeldBack()
_HOLD_LOCK = threading.Lock()


@contextlib.contextmanager
def without_blas_probe() -> Iterator[None]:
    """Start numba's CPU target in this thread without its BLAS probe.

    When numba's compiler first starts in a process, ``numba.np.arraymath`` probes
    for BLAS by importing ``scipy.linalg.cython_blas``, and importing SciPy's linear
    algebra takes 0.24 s (its array-API layer imports ``numpy.f2py`` and
    ``numpy.testing``): a tenth of a small check. The kernels call no BLAS (no
    ``np.dot``, ``np.linalg``, ``np.correlate`` or ``np.convolve``); numba then uses its
    own loop for the one thing the probe decides (``np.correlate`` and ``np.convolve``
    of floats). Within this block SciPy cannot be imported *by this thread*; other
    threads import it as usual, and so does this one after the block.
    """
    with _HOLD_LOCK:
        if _SCIPY_HELD_BACK not in sys.meta_path:
            sys.meta_path.insert(0, _SCIPY_HELD_BACK)
        busy = _SCIPY_HELD_BACK.thread is not None
        if not busy:
            _SCIPY_HELD_BACK.thread = threading.get_ident()
    try:
        yield
    finally:
        if not busy:
            _SCIPY_HELD_BACK.thread = None


# ----------------------------------------------------------------------------- data
def _coords_threaded(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``shapely.get_coordinates`` and ``get_num_coordinates`` on two threads."""
    if len(geoms) < 100_000:
        return shapely.get_coordinates(geoms), shapely.get_num_coordinates(geoms)
    halves = np.array_split(geoms, 2)
    with ThreadPoolExecutor(2) as ex:
        xy = list(ex.map(shapely.get_coordinates, halves))
        nc = list(ex.map(shapely.get_num_coordinates, halves))
    return np.concatenate(xy), np.concatenate(nc)


@dataclass
class FlatRings:
    """Rings of polygons as flat arrays.

    Attributes
    ----------
    x, y
        Vertex coordinates, rings one after another, each closed (first vertex repeated).
    ring_offsets
        ``(R + 1)``: ring ``r`` is ``x[ring_offsets[r]:ring_offsets[r + 1]]``.
    geom_offsets
        ``(G + 1)``: geometry ``g`` owns rings ``geom_offsets[g]:geom_offsets[g + 1]``.
    ring_sign
        ``+1`` for an exterior ring, ``-1`` for a hole.
    """

    x: np.ndarray
    y: np.ndarray
    ring_offsets: np.ndarray
    geom_offsets: np.ndarray
    ring_sign: np.ndarray
    _order: np.ndarray | None = None
    _sorted: FlatRings | None = None

    def spatial_copy(self) -> tuple[FlatRings, np.ndarray]:
        """The same rings stored in :meth:`spatial_order` (position ``j`` holds geometry
        ``order[j]``), and that order; made once. Kernels walk the copy front to back, so
        neighbouring parcels are also neighbours in memory (their coordinates are read
        from the cache instead of one cache miss per parcel)."""
        order = self.spatial_order()
        if self._sorted is None:
            ring_n = np.diff(self.geom_offsets)[order]
            geom_off = np.zeros(len(order) + 1, np.int64)
            np.cumsum(ring_n, out=geom_off[1:])
            ring_idx = _ranges(self.geom_offsets[:-1][order], ring_n)
            vert_n = np.diff(self.ring_offsets)[ring_idx]
            ring_off = np.zeros(len(ring_idx) + 1, np.int64)
            np.cumsum(vert_n, out=ring_off[1:])
            with parallel_launch():
                x, y = _gather_coords(self.x, self.y, self.ring_offsets, ring_idx, ring_off)
            srt = FlatRings(x, y, ring_off, geom_off, self.ring_sign[ring_idx])
            srt._order = np.arange(len(order), dtype=np.int64)
            self._sorted = srt
        return self._sorted, order

    def spatial_order(self) -> np.ndarray:
        """Geometry indices sorted along a Morton (Z-order) curve of 250 m cells of
        their first vertex: kernels that visit geometries in this order touch the same
        zone pieces one after another (cache-friendly), whatever the input order."""
        if self._order is None:
            self._order = _morton_order(self.x, self.y, self.ring_offsets, self.geom_offsets)
        return self._order

    @classmethod
    def from_wkb(cls, wkb: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> FlatRings | None:
        """The rings of the geometries ``rows`` of ``wkb``, read from their bytes
        (:func:`~almaty_scheme.io.wkb.wkb_rings`: 10^6 parcels in 0.1 s, against
        0.25-0.5 s from GEOS on two threads); the same arrays as :meth:`from_geoms` of
        those geometries. ``None`` unless every row is a 2D Polygon or MultiPolygon as
        shapely writes it."""
        flat = wkb_rings(wkb, rows)
        return None if flat is None else cls(*flat)

    @classmethod
    def from_geoms(cls, geoms: np.ndarray) -> FlatRings:
        """Flatten valid, non-empty Polygons / MultiPolygons (orientation is free)."""
        n = len(geoms)
        if n == 0:
            z = np.zeros(1, np.int64)
            return cls(np.zeros(0), np.zeros(0), z, z.copy(), np.zeros(0))
        tid = shapely.get_type_id(geoms)
        if (tid == 3).all() and not shapely.get_num_interior_rings(geoms).any():
            # the common case, simple polygons: one ring each, read in one pass
            # (in threads: shapely releases the GIL)
            xy, nc = _coords_threaded(geoms)
            off = np.zeros(n + 1, np.int64)
            np.cumsum(nc, out=off[1:])
            return cls(
                np.ascontiguousarray(xy[:, 0]),
                np.ascontiguousarray(xy[:, 1]),
                off,
                np.arange(n + 1, dtype=np.int64),
                np.ones(n),
            )
        gtype, coords, offsets = shapely.to_ragged_array(geoms)
        if gtype == shapely.GeometryType.POLYGON:
            ring_off, poly_off = offsets
            geom_poly = np.arange(n + 1, dtype=np.int64)
        else:
            ring_off, poly_off, geom_poly = offsets
        ring_off = np.asarray(ring_off, np.int64)
        poly_off = np.asarray(poly_off, np.int64)
        geom_off = poly_off[np.asarray(geom_poly, np.int64)]
        sign = np.full(len(ring_off) - 1, -1.0)
        first = poly_off[:-1][np.diff(poly_off) > 0]
        sign[first] = 1.0
        return cls(
            np.ascontiguousarray(coords[:, 0]),
            np.ascontiguousarray(coords[:, 1]),
            ring_off,
            geom_off,
            sign,
        )


def _ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(start, count)])``, vectorised."""
    total = int(count.sum())
    out = np.ones(total, np.int64)
    if total == 0:
        return out
    nz = count > 0
    first = np.zeros(int(nz.sum()) + 1, np.int64)
    np.cumsum(count[nz], out=first[1:])
    out[first[:-1]] = start[nz]
    out[first[1:-1]] -= start[nz][:-1] + count[nz][:-1] - 1
    return np.cumsum(out)


@njit(cache=True, parallel=True)
def _gather_coords(
    x: np.ndarray, y: np.ndarray, ring_off: np.ndarray, ring_idx: np.ndarray, new_off: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - jit
    """The coordinates of rings ``ring_idx``, one after another (new offsets ``new_off``)."""
    nx = np.empty(new_off[-1])
    ny = np.empty(new_off[-1])
    for j in prange(len(ring_idx)):
        s = ring_off[ring_idx[j]]
        d = new_off[j]
        for i in range(new_off[j + 1] - d):
            nx[d + i] = x[s + i]
            ny[d + i] = y[s + i]
    return nx, ny


@njit(cache=True, inline="always")
def _part1by1(v: int) -> int:  # pragma: no cover - jit
    """Spread the low 16 bits of ``v`` to the even bit positions (Morton codes)."""
    v = v & 0xFFFF
    v = (v | (v << 8)) & 0x00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F
    v = (v | (v << 2)) & 0x33333333
    return (v | (v << 1)) & 0x55555555


@njit(cache=True)
def _morton_order(
    x: np.ndarray, y: np.ndarray, ring_off: np.ndarray, geom_off: np.ndarray
) -> np.ndarray:  # pragma: no cover - jit
    """Geometry indices sorted (stably) by the Morton code of the 250 m cell of their
    first vertex, cells counted from the least x and y of those vertices and capped at
    65 535 (a geometry without rings counts as vertex 0); a radix sort of two 16-bit
    passes, as ``np.argsort(codes, kind="stable")`` orders them."""
    n = len(geom_off) - 1
    if len(x) == 0:
        return np.arange(n)
    first = np.empty(n, np.int64)
    for g in range(n):
        first[g] = ring_off[geom_off[g]] if geom_off[g + 1] > geom_off[g] else 0
    x0 = np.inf
    y0 = np.inf
    for g in range(n):
        x0 = min(x0, x[first[g]])
        y0 = min(y0, y[first[g]])
    code = np.empty(n, np.int64)
    for g in range(n):
        ix = min(max(int((x[first[g]] - x0) / 250.0), 0), 0xFFFF)
        iy = min(max(int((y[first[g]] - y0) / 250.0), 0), 0xFFFF)
        code[g] = _part1by1(ix) | (_part1by1(iy) << 1)
    order = np.arange(n)
    tmp = np.empty(n, np.int64)
    for shift in (0, 16):  # least significant half first: the sort stays stable
        count = np.zeros(65537, np.int64)
        for g in range(n):
            count[((code[order[g]] >> shift) & 0xFFFF) + 1] += 1
        for k in range(65536):
            count[k + 1] += count[k]
        for g in range(n):
            b = (code[order[g]] >> shift) & 0xFFFF
            tmp[count[b]] = order[g]
            count[b] += 1
        order, tmp = tmp, order
    return order


@dataclass
class Grid:
    """A uniform grid over bounding boxes: cell ``c`` lists items ``items[start[c]:start[c+1]]``.

    Every item is listed in each cell its bounding box meets.
    """

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    start: np.ndarray
    items: np.ndarray

    def fields(self) -> tuple[float, float, float, int, int, np.ndarray, np.ndarray]:
        """``(x0, y0, size, nx, ny, start, items)``: the grid as the kernels take it, in
        their arguments' order."""
        return self.x0, self.y0, self.size, self.nx, self.ny, self.start, self.items

    @classmethod
    def build(cls, bounds: np.ndarray, size: float | None = None) -> Grid:
        """Index ``(K, 4)`` bounds (xmin, ymin, xmax, ymax).

        The default cell size is about twice the median item extent (at least 50 m),
        so that a typical item sits in a few cells.
        """
        k = len(bounds)
        if k == 0:
            return cls(0.0, 0.0, 1.0, 1, 1, np.zeros(2, np.int64), np.zeros(0, np.int64))
        ext = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        if size is None:
            size = max(50.0, 2.0 * float(np.median(ext)))
        x0 = math.floor(float(bounds[:, 0].min()) / size) * size  # aligned on multiples
        y0 = math.floor(float(bounds[:, 1].min()) / size) * size  # (tiles are, too)
        nx = max(1, math.floor((bounds[:, 2].max() - x0) / size) + 1)
        ny = max(1, math.floor((bounds[:, 3].max() - y0) / size) + 1)
        # keep the grid to a few million cells
        while nx * ny > 4_000_000:
            size *= 2
            nx = max(1, math.floor((bounds[:, 2].max() - x0) / size) + 1)
            ny = max(1, math.floor((bounds[:, 3].max() - y0) / size) + 1)
        ix0 = np.clip(np.floor((bounds[:, 0] - x0) / size).astype(np.int64), 0, nx - 1)
        iy0 = np.clip(np.floor((bounds[:, 1] - y0) / size).astype(np.int64), 0, ny - 1)
        ix1 = np.clip(np.floor((bounds[:, 2] - x0) / size).astype(np.int64), 0, nx - 1)
        iy1 = np.clip(np.floor((bounds[:, 3] - y0) / size).astype(np.int64), 0, ny - 1)
        start, items = _grid_fill(ix0, iy0, ix1, iy1, nx, ny)
        return cls(x0, y0, float(size), nx, ny, start, items)


@njit(cache=True)
def _grid_fill(
    ix0: np.ndarray, iy0: np.ndarray, ix1: np.ndarray, iy1: np.ndarray, nx: int, ny: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - jit
    counts = np.zeros(nx * ny + 1, np.int64)
    for k in range(len(ix0)):
        for j in range(iy0[k], iy1[k] + 1):
            for i in range(ix0[k], ix1[k] + 1):
                counts[j * nx + i + 1] += 1
    start = np.cumsum(counts)
    fill = start[:-1].copy()
    items = np.empty(start[-1], np.int64)
    for k in range(len(ix0)):
        for j in range(iy0[k], iy1[k] + 1):
            for i in range(ix0[k], ix1[k] + 1):
                c = j * nx + i
                items[fill[c]] = k
                fill[c] += 1
    return start, items


# -------------------------------------------------------------------------- overlaps
@njit(cache=True, inline="always")
def _cell(v: float, v0: float, size: float, n: int) -> int:  # pragma: no cover - jit
    i = math.floor((v - v0) / size)
    if i < 0:
        return 0
    if i > n - 1:
        return n - 1
    return i


@njit(cache=True)
def _clip_ring(
    x: np.ndarray,
    y: np.ndarray,
    s: int,
    n: int,
    piece: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
) -> float:  # pragma: no cover - jit
    """Signed area of ring vertices ``s .. s+n-1`` clipped by the convex piece (4, 2)."""
    ox = piece[0, 0]
    oy = piece[0, 1]
    m = n
    reach = 0.0
    for i in range(n):
        bx[i] = x[s + i] - ox
        by[i] = y[s + i] - oy
        reach = max(reach, abs(bx[i]), abs(by[i]))
    # pre-test on the ring's own vertices: a ring wholly outside one edge's half-plane
    # (by a margin far above rounding, so that no clipped vertex could come back inside)
    # clips to nothing; a ring inside every half-plane comes out of the clipping
    # unchanged. Both give bit for bit what the clipping gives, without clipping.
    inside = True
    for k in range(4):
        ax = piece[k, 0] - ox
        ay = piece[k, 1] - oy
        k2 = (k + 1) % 4
        dx = piece[k2, 0] - ox - ax
        dy = piece[k2, 1] - oy - ay
        if dx == 0.0 and dy == 0.0:
            continue
        span = abs(dx) + abs(dy)
        margin = 1e-10 * span * (span + reach + abs(ax) + abs(ay))
        away = True
        for i in range(n):
            sq = dx * (by[i] - ay) - dy * (bx[i] - ax)
            if sq < 0.0:
                inside = False
            if sq >= -margin:
                away = False
        if away:
            return 0.0
    first = 4 if inside else 0  # inside: nothing to clip, straight to the shoelace
    for k in range(first, 4):
        ax = piece[k, 0] - ox
        ay = piece[k, 1] - oy
        k2 = (k + 1) % 4
        dx = piece[k2, 0] - ox - ax
        dy = piece[k2, 1] - oy - ay
        if dx == 0.0 and dy == 0.0:
            continue
        out = 0
        px = bx[m - 1]
        py = by[m - 1]
        sp = dx * (py - ay) - dy * (px - ax)
        for i in range(m):
            qx = bx[i]
            qy = by[i]
            sq = dx * (qy - ay) - dy * (qx - ax)
            if sq >= 0.0:
                if sp < 0.0:
                    t = sp / (sp - sq)
                    cx[out] = px + t * (qx - px)
                    cy[out] = py + t * (qy - py)
                    out += 1
                cx[out] = qx
                cy[out] = qy
                out += 1
            elif sp >= 0.0:
                t = sp / (sp - sq)
                cx[out] = px + t * (qx - px)
                cy[out] = py + t * (qy - py)
                out += 1
            px = qx
            py = qy
            sp = sq
        if out == 0:
            return 0.0
        m = out
        for i in range(m):
            bx[i] = cx[i]
            by[i] = cy[i]
    a = 0.0
    for i in range(m):
        j = i + 1 if i + 1 < m else 0
        a += bx[i] * by[j] - bx[j] * by[i]
    return 0.5 * a


@njit(cache=True)
def _ring_area(x: np.ndarray, y: np.ndarray, s: int, n: int) -> float:  # pragma: no cover
    ox = x[s]
    oy = y[s]
    a = 0.0
    for i in range(n):
        j = i + 1 if i + 1 < n else 0
        a += (x[s + i] - ox) * (y[s + j] - oy) - (x[s + j] - ox) * (y[s + i] - oy)
    return 0.5 * a


@njit(cache=True, inline="always")
def _ring_bounds(
    x: np.ndarray, y: np.ndarray, s: int, nv: int
) -> tuple[float, float, float, float]:  # pragma: no cover - jit
    """``(xmin, xmax, ymin, ymax)`` of the ``nv`` vertices of a ring from ``s``."""
    rx0 = x[s]
    rx1 = x[s]
    ry0 = y[s]
    ry1 = y[s]
    for i in range(s + 1, s + nv):
        if x[i] < rx0:
            rx0 = x[i]
        if x[i] > rx1:
            rx1 = x[i]
        if y[i] < ry0:
            ry0 = y[i]
        if y[i] > ry1:
            ry1 = y[i]
    return rx0, rx1, ry0, ry1


@njit(cache=True, inline="always")
def _add_to_owner(
    owners: np.ndarray, areas: np.ndarray, gl: int, c: int, o: int, a: float, slots: int
) -> tuple[int, bool]:  # pragma: no cover - jit
    """Add area ``a`` to owner ``o`` among parcel ``gl``'s ``c`` slots (a new slot when
    ``o`` is not there yet); returns the new slot count and whether the slots overflowed."""
    for h in range(c):
        if owners[gl, h] == o:
            areas[gl, h] += a
            return c, False
    if c < slots:
        owners[gl, c] = o
        areas[gl, c] = a
        return c + 1, False
    return c, True


@njit(cache=True, inline="always")
def _sort_owners(
    owners: np.ndarray, areas: np.ndarray, gl: int, c: int
) -> None:  # pragma: no cover - jit
    """Parcel ``gl``'s ``c`` owners in increasing order (insertion sort of a few entries)."""
    for i in range(1, c):
        ko = owners[gl, i]
        ka = areas[gl, i]
        j = i - 1
        while j >= 0 and owners[gl, j] > ko:
            owners[gl, j + 1] = owners[gl, j]
            areas[gl, j + 1] = areas[gl, j]
            j -= 1
        owners[gl, j + 1] = ko
        areas[gl, j + 1] = ka


@njit(cache=True, parallel=True)
def _overlap_kernel(
    gidx: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    ring_off: np.ndarray,
    geom_off: np.ndarray,
    ring_sign: np.ndarray,
    pcoords: np.ndarray,
    ibounds: np.ndarray,
    pbox: np.ndarray,
    powner: np.ndarray,
    gx0: float,
    gy0: float,
    gsize: float,
    gnx: int,
    gny: int,
    gstart: np.ndarray,
    gitems: np.ndarray,
    slots: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - jit
    n = len(gidx)
    count = np.zeros(n, np.int64)
    owners = np.empty((n, slots), np.int64)
    areas = np.empty((n, slots), np.float64)
    # blocks of parcels per task: scratch buffers are allocated once per block
    n_blocks = max(1, min(n, 1024))
    for blk in prange(n_blocks):
        lo = blk * n // n_blocks
        hi = (blk + 1) * n // n_blocks
        bx = np.empty(144)
        by = np.empty(144)
        cx = np.empty(144)
        cy = np.empty(144)
        for gl in range(lo, hi):
            g = gidx[gl]
            r0 = geom_off[g]
            r1 = geom_off[g + 1]
            maxn = 4
            for r in range(r0, r1):
                nv = ring_off[r + 1] - ring_off[r] - 1
                if nv > maxn:
                    maxn = nv
            if 16 * (maxn + 4) > len(bx):  # scratch buffers grow for big rings only
                cap = 16 * (maxn + 4)
                bx = np.empty(cap)
                by = np.empty(cap)
                cx = np.empty(cap)
                cy = np.empty(cap)
            c = 0
            overflow = False
            for r in range(r0, r1):
                s = ring_off[r]
                nv = ring_off[r + 1] - s - 1
                if nv < 3:
                    continue
                rx0, rx1, ry0, ry1 = _ring_bounds(x, y, s, nv)
                rarea = _ring_area(x, y, s, nv)
                sgn = ring_sign[r]
                orient = 1.0 if rarea >= 0.0 else -1.0
                ix0 = _cell(rx0, gx0, gsize, gnx)
                ix1 = _cell(rx1, gx0, gsize, gnx)
                iy0 = _cell(ry0, gy0, gsize, gny)
                iy1 = _cell(ry1, gy0, gsize, gny)
                one_cell = ix0 == ix1 and iy0 == iy1
                for cj in range(iy0, iy1 + 1):
                    for ci in range(ix0, ix1 + 1):
                        cell = cj * gnx + ci
                        for q in range(gstart[cell], gstart[cell + 1]):
                            # the bounds of the cell's items, one after another
                            kx0 = ibounds[q, 0]
                            ky0 = ibounds[q, 1]
                            kx1 = ibounds[q, 2]
                            ky1 = ibounds[q, 3]
                            if kx0 > rx1 or kx1 < rx0 or ky0 > ry1 or ky1 < ry0:
                                continue
                            # report the pair once: in the cell of its boxes' common corner
                            # (a ring within one cell meets its pieces there only)
                            refx = rx0 if rx0 > kx0 else kx0
                            refy = ry0 if ry0 > ky0 else ky0
                            if not one_cell and (
                                _cell(refx, gx0, gsize, gnx) != ci
                                or _cell(refy, gy0, gsize, gny) != cj
                            ):
                                continue
                            k = gitems[q]
                            if pbox[k] and rx0 > kx0 and rx1 < kx1 and ry0 > ky0 and ry1 < ky1:
                                a = abs(rarea) * sgn
                            else:
                                a = (
                                    _clip_ring(x, y, s, nv, pcoords[k], bx, by, cx, cy)
                                    * orient
                                    * sgn
                                )
                            c, full = _add_to_owner(owners, areas, gl, c, powner[k], a, slots)
                            overflow = overflow or full
            _sort_owners(owners, areas, gl, c)
            count[gl] = -1 if overflow else c
    return count, owners, areas


def _overlap_pass(
    gidx: np.ndarray,
    rings: FlatRings,
    coords: np.ndarray,
    bounds: np.ndarray,
    is_box: np.ndarray,
    owner: np.ndarray,
    grid: Grid,
    slots: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_overlap_kernel` on polygons ``gidx`` with ``slots`` owners per polygon
    (``bounds`` of the grid's items in the grid's order: :func:`_item_bounds`)."""
    with parallel_launch(), numba.parallel_chunksize(_BLOCKS_PER_TASK):
        return _overlap_kernel(
            gidx,
            rings.x,
            rings.y,
            rings.ring_offsets,
            rings.geom_offsets,
            rings.ring_sign,
            coords,
            bounds,
            is_box,
            owner,
            *grid.fields(),
            slots,
        )


def _item_bounds(bounds: np.ndarray, grid: Grid) -> np.ndarray:
    """The bounds of every entry of ``grid.items`` (an item once per cell it is in), so
    that a scan of a cell reads consecutive memory instead of jumping to each piece."""
    return np.ascontiguousarray(bounds[grid.items])


def overlap_sums(
    rings: FlatRings,
    coords: np.ndarray,
    bounds: np.ndarray,
    is_box: np.ndarray,
    owner: np.ndarray,
    grid: Grid,
    geoms: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap areas of every polygon with every owner of the convex pieces it meets.

    Parameters
    ----------
    rings
        The polygons (:class:`FlatRings`).
    coords, bounds, is_box, owner
        Convex pieces ``(K, 4, 2)`` counter-clockwise (triangles repeat a vertex), their
        bounds, whether each is an axis-aligned box, and the owner of each.
    grid
        :class:`Grid` over ``bounds``.

    Returns
    -------
    tuple
        ``(geom_index, owner, area)`` sorted by (geometry, owner); pairs whose bounding
        boxes meet but which do not overlap appear with area ~0.
    """
    g_total = len(rings.geom_offsets) - 1
    e = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if g_total == 0 or len(owner) == 0:
        return e
    slots = MAX_OWNERS_PER_PARCEL
    bounds = _item_bounds(bounds, grid)
    srt, order = rings.spatial_copy()  # the kernel walks the sorted copy front to back
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    per_geom = np.zeros(g_total, np.int64)
    for a in range(0, g_total, _CHUNK):
        gidx = np.ascontiguousarray(order[a : a + _CHUNK])  # geometries (placement)
        pos = np.arange(a, a + len(gidx), dtype=np.int64)  # their places in the copy
        cnt, own, area = _overlap_pass(pos, srt, coords, bounds, is_box, owner, grid, slots)
        per_geom[gidx] = np.maximum(cnt, 0)
        for r in np.flatnonzero(cnt < 0):  # rare: parcels touching many owners, alone
            one = gidx[int(r) : int(r) + 1]
            cnt2, own2, area2 = _overlap_pass(
                pos[int(r) : int(r) + 1], srt, coords, bounds, is_box, owner, grid,
                int(owner.max()) + 1,
            )  # fmt: skip
            blocks.append((one, cnt2, *_compact_slots(cnt2, own2, area2)))
            per_geom[one] = cnt2[0]
            cnt[r] = 0
        blocks.append((gidx, cnt, *_compact_slots(cnt, own, area)))  # the slots let go
    # place each geometry's owners at its position in geometry order (no sort needed:
    # owners are already sorted within a geometry)
    start = np.zeros(g_total + 1, np.int64)
    np.cumsum(per_geom, out=start[1:])
    gi = np.repeat(np.arange(g_total, dtype=np.int64), per_geom)
    ow = np.empty(int(start[-1]), np.int64)
    ar = np.empty(int(start[-1]))
    for gidx, cnt, own_v, area_v in blocks:
        _place_slots(gidx, cnt, own_v, area_v, start, ow, ar)
    return gi, ow, ar


@njit(cache=True, nogil=True)
def _compact_slots(
    cnt: np.ndarray, own: np.ndarray, area: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - jit
    """The first ``cnt[r]`` slots of each row ``r`` of ``own`` and ``area``, one row
    after another (a negative count: none)."""
    total = 0
    for r in range(len(cnt)):
        total += max(cnt[r], 0)
    o = np.empty(total, np.int64)
    a = np.empty(total)
    j = 0
    for r in range(len(cnt)):
        for k in range(cnt[r]):
            o[j] = own[r, k]
            a[j] = area[r, k]
            j += 1
    return o, a


@njit(cache=True, nogil=True)
def _place_slots(
    gidx: np.ndarray,
    cnt: np.ndarray,
    own: np.ndarray,
    area: np.ndarray,
    start: np.ndarray,
    ow_out: np.ndarray,
    ar_out: np.ndarray,
) -> None:  # pragma: no cover - jit
    """Put the compacted owners and areas of geometries ``gidx`` (``cnt`` each, one
    geometry after another) at each geometry's ``start`` in the outputs."""
    j = 0
    for r in range(len(gidx)):
        s = start[gidx[r]]
        for k in range(cnt[r]):
            ow_out[s + k] = own[j]
            ar_out[s + k] = area[j]
            j += 1


# ------------------------------------------------------------------------ ranking
@njit(cache=True)
def _best_per_group(
    group: np.ndarray, keys: np.ndarray, n_groups: int
) -> np.ndarray:  # pragma: no cover - jit
    best = np.full(n_groups, -1, np.int64)
    m = keys.shape[1]
    for i in range(len(group)):
        g = group[i]
        b = best[g]
        if b < 0:
            best[g] = i
            continue
        for j in range(m):
            if keys[i, j] < keys[b, j]:
                best[g] = i
                break
            if keys[i, j] > keys[b, j]:
                break
    return best


def best_per_group(group: np.ndarray, keys: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the row with the smallest ``keys`` (lexicographic over the columns of a
    ``(H, m)`` float array; the first row wins a full tie) in each group, -1 for empty
    groups. One pass, no sort."""
    if len(group) == 0:
        return np.full(n_groups, -1, np.int64)
    return _best_per_group(
        np.ascontiguousarray(group, np.int64),  # type: ignore[no-any-return, unused-ignore]
        np.ascontiguousarray(keys, np.float64),
        int(n_groups),
    )


@njit(cache=True)
def _worst_per_group(
    group: np.ndarray,
    regime: np.ndarray,
    rule_regime: np.ndarray,
    possible: np.ndarray,
    share: np.ndarray,
    overlap: np.ndarray,
    zone: np.ndarray,
    n_groups: int,
) -> np.ndarray:  # pragma: no cover - jit
    best = np.full(n_groups, -1, np.int64)
    for i in range(len(group)):
        g = group[i]
        b = best[g]
        if b < 0:
            best[g] = i
            continue
        # the keys of best_per_group, column by column, without building them
        a0 = -float(regime[i])
        b0 = -float(regime[b])
        if a0 != b0:
            if a0 < b0:
                best[g] = i
            continue
        a0 = -float(rule_regime[i])
        b0 = -float(rule_regime[b])
        if a0 != b0:
            if a0 < b0:
                best[g] = i
            continue
        if possible[i] != possible[b]:
            if not possible[i]:  # certain before possible
                best[g] = i
            continue
        a0 = -share[i]
        b0 = -share[b]
        if a0 < b0:
            best[g] = i
            continue
        if a0 > b0:
            continue
        a0 = -overlap[i]
        b0 = -overlap[b]
        if a0 < b0:
            best[g] = i
            continue
        if a0 > b0:
            continue
        if float(zone[i]) < float(zone[b]):
            best[g] = i
    return best


def worst_per_group(
    group: np.ndarray,
    regime: np.ndarray,
    rule_regime: np.ndarray,
    possible: np.ndarray,
    share: np.ndarray,
    overlap: np.ndarray,
    zone: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """:func:`best_per_group` on the keys ``(-regime, -rule_regime, possible, -share,
    -overlap, zone)`` (``share`` and ``overlap`` already rounded), without building the
    ``(H, 6)`` key array: the index of each group's worst row, -1 for empty groups."""
    if len(group) == 0:
        return np.full(n_groups, -1, np.int64)
    return _worst_per_group(
        np.ascontiguousarray(group, np.int64),
        np.ascontiguousarray(regime, np.int64),
        np.ascontiguousarray(rule_regime, np.int64),
        np.ascontiguousarray(possible, np.bool_),
        np.ascontiguousarray(share, np.float64),
        np.ascontiguousarray(overlap, np.float64),
        np.ascontiguousarray(zone, np.int64),
        int(n_groups),
    )


@njit(cache=True, nogil=True)
def _distinct_per_key(
    parcel: np.ndarray, key: np.ndarray, n_keys: int, pro: np.ndarray, con: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - jit
    out = np.zeros((3, n_keys), np.int64)
    last = np.full((3, n_keys), -1, np.int64)
    for i in range(len(parcel)):
        g = parcel[i]
        k = key[i]
        for j in range(3):
            if (j == 1 and not pro[i]) or (j == 2 and not con[i]):
                continue
            if last[j, k] != g:
                last[j, k] = g
                out[j, k] += 1
    return out[0], out[1], out[2]


def distinct_per_key(
    parcel: np.ndarray, key: np.ndarray, n_keys: int, pro: np.ndarray, con: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct parcels per key code ``0 .. n_keys - 1``: among all rows, among the rows
    ``pro`` and among the rows ``con``, for rows that come group by group (all rows of
    a parcel consecutive): a parcel is counted for a key when it differs from the last
    parcel counted for that key."""
    return _distinct_per_key(
        np.ascontiguousarray(parcel, np.int64),
        np.ascontiguousarray(key, np.int64),
        int(n_keys),
        np.ascontiguousarray(pro, np.bool_),
        np.ascontiguousarray(con, np.bool_),
    )


@njit(cache=True, nogil=True)
def _keys_met(
    parcel: np.ndarray, zone: np.ndarray, zone_keys: np.ndarray, n: int
) -> np.ndarray:  # pragma: no cover - jit
    out = np.zeros((zone_keys.shape[1], n), np.bool_)
    for i in range(len(parcel)):
        z = zone[i]
        for k in range(zone_keys.shape[1]):
            if zone_keys[z, k]:
                out[k, parcel[i]] = True
    return out


def keys_met(parcel: np.ndarray, zone: np.ndarray, zone_keys: np.ndarray, n: int) -> np.ndarray:
    """``(K, n)``: whether parcel ``g`` has a hit on a zone of key ``k``, for hits
    ``(parcel, zone)`` and ``zone_keys[z, k]``, whether zone ``z`` belongs to key ``k``
    (one pass over the hits; each row of the result is contiguous)."""
    return _keys_met(  # type: ignore[no-any-return, unused-ignore]
        np.ascontiguousarray(parcel, np.int64),
        np.ascontiguousarray(zone, np.int64),
        np.ascontiguousarray(zone_keys, np.bool_),
        int(n),
    )


# ------------------------------------------------------------------------- distances
@njit(cache=True, inline="always")
def _pt_seg2(
    px: float, py: float, ax: float, ay: float, bx: float, by: float
) -> float:  # pragma: no cover - jit
    dx = bx - ax
    dy = by - ay
    ll = dx * dx + dy * dy
    t = 0.0
    if ll > 0.0:
        t = ((px - ax) * dx + (py - ay) * dy) / ll
        if t < 0.0:
            t = 0.0
        elif t > 1.0:
            t = 1.0
    ex = ax + t * dx - px
    ey = ay + t * dy - py
    return ex * ex + ey * ey


@njit(cache=True, inline="always")
def _orient(
    ax: float, ay: float, bx: float, by: float, cx: float, cy: float
) -> float:  # pragma: no cover - jit
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


@njit(cache=True)
def _seg_seg2(
    ax: float, ay: float, bx: float, by: float, cx: float, cy: float, dx: float, dy: float
) -> float:  # pragma: no cover - jit
    """Squared distance between segments AB and CD (0 if they cross)."""
    d1 = _orient(ax, ay, bx, by, cx, cy)
    d2 = _orient(ax, ay, bx, by, dx, dy)
    d3 = _orient(cx, cy, dx, dy, ax, ay)
    d4 = _orient(cx, cy, dx, dy, bx, by)
    if ((d1 > 0 and d2 < 0) or (d1 < 0 and d2 > 0)) and (
        (d3 > 0 and d4 < 0) or (d3 < 0 and d4 > 0)
    ):
        return 0.0
    m = _pt_seg2(ax, ay, cx, cy, dx, dy)
    v = _pt_seg2(bx, by, cx, cy, dx, dy)
    if v < m:
        m = v
    v = _pt_seg2(cx, cy, ax, ay, bx, by)
    if v < m:
        m = v
    v = _pt_seg2(dx, dy, ax, ay, bx, by)
    if v < m:
        m = v
    return m


@njit(cache=True)
def _inside(
    x: np.ndarray, y: np.ndarray, ring_off: np.ndarray, r0: int, r1: int, px: float, py: float
) -> bool:  # pragma: no cover - jit
    """Even-odd point-in-polygon over rings ``r0 .. r1-1``."""
    inside = False
    for r in range(r0, r1):
        for i in range(ring_off[r], ring_off[r + 1] - 1):
            ax = x[i]
            ay = y[i]
            bx = x[i + 1]
            by = y[i + 1]
            if (ay > py) != (by > py):
                xc = ax + (py - ay) * (bx - ax) / (by - ay)
                if px < xc:
                    inside = not inside
    return inside


@njit(cache=True, inline="always")
def _edge_gap2(
    ax: float, ay: float, bx: float, by: float, sx0: float, sy0: float, sx1: float, sy1: float
) -> float:  # pragma: no cover - jit
    """Squared gap between the bounding box of edge AB and the box ``sx0..sx1, sy0..sy1``
    (a lower bound of their distance)."""
    gx = max(0.0, max(sx0 - max(ax, bx), min(ax, bx) - sx1))
    gy = max(0.0, max(sy0 - max(ay, by), min(ay, by) - sy1))
    return gx * gx + gy * gy


@njit(cache=True, parallel=True)
def _keyed_near_kernel(
    x: np.ndarray,
    y: np.ndarray,
    ring_off: np.ndarray,
    geom_off: np.ndarray,
    pair_geom: np.ndarray,
    pair_group: np.ndarray,
    radius: np.ndarray,
    group_start: np.ndarray,
    group_keys: np.ndarray,
    seg: np.ndarray,
    seg_key: np.ndarray,
    gx0: float,
    gy0: float,
    gsize: float,
    gnx: int,
    gny: int,
    gstart: np.ndarray,
    gitems: np.ndarray,
) -> np.ndarray:  # pragma: no cover - jit
    """``seg`` and ``seg_key`` are per grid entry (in ``gitems`` order, see
    :func:`keyed_distances`); ``gitems`` itself is not read."""
    n = len(pair_geom)
    out = np.full(n, np.inf)
    for t in prange(n):
        g = pair_geom[t]
        grp = pair_group[t]
        k0 = group_start[grp]
        k1 = group_start[grp + 1]
        rad = radius[t]
        r0 = geom_off[g]
        r1 = geom_off[g + 1]
        s0 = ring_off[r0]
        s1 = ring_off[r1]
        ox = x[s0]
        oy = y[s0]
        bx0 = x[s0]
        bx1 = x[s0]
        by0 = y[s0]
        by1 = y[s0]
        for i in range(s0, s1):
            bx0 = min(bx0, x[i])
            bx1 = max(bx1, x[i])
            by0 = min(by0, y[i])
            by1 = max(by1, y[i])
        best2 = rad * rad
        found = False
        ix0 = _cell(bx0 - rad, gx0, gsize, gnx)
        ix1 = _cell(bx1 + rad, gx0, gsize, gnx)
        iy0 = _cell(by0 - rad, gy0, gsize, gny)
        iy1 = _cell(by1 + rad, gy0, gsize, gny)
        for cj in range(iy0, iy1 + 1):
            for ci in range(ix0, ix1 + 1):
                cell = cj * gnx + ci
                for k in range(gstart[cell], gstart[cell + 1]):
                    key = seg_key[k]
                    member = False
                    for j in range(k0, k1):
                        if group_keys[j] == key:
                            member = True
                            break
                    if not member:
                        continue
                    sx0 = min(seg[k, 0], seg[k, 2])
                    sx1 = max(seg[k, 0], seg[k, 2])
                    sy0 = min(seg[k, 1], seg[k, 3])
                    sy1 = max(seg[k, 1], seg[k, 3])
                    gxd = max(0.0, max(sx0 - bx1, bx0 - sx1))
                    gyd = max(0.0, max(sy0 - by1, by0 - sy1))
                    if gxd * gxd + gyd * gyd > best2:
                        continue
                    if (
                        sx0 >= bx0
                        and sx1 <= bx1
                        and sy0 >= by0
                        and sy1 <= by1
                        and _inside(x, y, ring_off, r0, r1, seg[k, 0], seg[k, 1])
                    ):
                        best2 = 0.0  # the segment lies inside the polygon
                        found = True
                        continue
                    cx = seg[k, 0] - ox
                    cy = seg[k, 1] - oy
                    dx = seg[k, 2] - ox
                    dy = seg[k, 3] - oy
                    for r in range(r0, r1):
                        a = ring_off[r]
                        b = ring_off[r + 1]
                        for i in range(a, b - 1):
                            # an edge whose box is farther than the best so far cannot
                            # come nearer
                            if (
                                _edge_gap2(x[i], y[i], x[i + 1], y[i + 1], sx0, sy0, sx1, sy1)
                                > best2
                            ):
                                continue
                            d = _seg_seg2(
                                x[i] - ox, y[i] - oy, x[i + 1] - ox, y[i + 1] - oy, cx, cy, dx, dy
                            )
                            if d <= best2:
                                best2 = d
                                found = True
        if found:
            out[t] = math.sqrt(best2)
    return out


def keyed_distances(
    rings: FlatRings,
    pair_geom: np.ndarray,
    pair_group: np.ndarray,
    radius: np.ndarray,
    group_start: np.ndarray,
    group_keys: np.ndarray,
    segments: np.ndarray,
    seg_key: np.ndarray,
    grid: Grid,
) -> np.ndarray:
    """Distance from polygon ``pair_geom[i]`` to the nearest segment whose key is one of
    group ``pair_group[i]``'s keys (``group_keys[group_start[g]:group_start[g + 1]]``),
    within ``radius[i]``; ``inf`` if none is that close. A segment inside the polygon
    is at distance 0; a polygon inside a polygonal source (whose segments are its
    rings) is not detected here: test containment separately.
    """
    if len(pair_geom) == 0 or len(segments) == 0:
        return np.full(len(pair_geom), np.inf)
    srt, order = rings.spatial_copy()
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    pos = rank[np.asarray(pair_geom, np.int64)]  # places of the pairs' polygons in the copy
    o = np.argsort(pos, kind="stable")
    with parallel_launch(), numba.parallel_chunksize(_PARCELS_PER_TASK):
        d = _keyed_near_kernel(
            srt.x,
            srt.y,
            srt.ring_offsets,
            srt.geom_offsets,
            np.ascontiguousarray(pos[o]),
            np.ascontiguousarray(np.asarray(pair_group, np.int64)[o]),
            np.ascontiguousarray(np.asarray(radius, np.float64)[o]),
            group_start,
            group_keys,
            # per grid entry: a cell's segments are read one after another
            np.ascontiguousarray(segments[grid.items]),
            np.ascontiguousarray(seg_key[grid.items]),
            *grid.fields(),
        )
    out = np.empty(len(pair_geom))
    out[o] = d
    return out


@njit(cache=True, parallel=True)
def _near_multi_kernel(
    x: np.ndarray,
    y: np.ndarray,
    ring_off: np.ndarray,
    geom_off: np.ndarray,
    sel: np.ndarray,
    skip: np.ndarray,
    seg: np.ndarray,
    seg_key: np.ndarray,
    rad: float,
    gx0: float,
    gy0: float,
    gsize: float,
    gnx: int,
    gny: int,
    gstart: np.ndarray,
    gitems: np.ndarray,
) -> np.ndarray:  # pragma: no cover - jit
    """``seg`` and ``seg_key`` are per grid entry (in ``gitems`` order, see
    :func:`nearest_within_by_key`); ``gitems`` itself is not read."""
    n = len(sel)
    n_keys = skip.shape[1]
    out = np.full((n, n_keys), np.inf)
    n_blocks = (n + _NEAR_BLOCK - 1) // _NEAR_BLOCK
    for blk in prange(n_blocks):
        best2 = np.empty(n_keys)  # scratch, once per block of parcels
        found = np.empty(n_keys, np.bool_)
        for t in range(blk * _NEAR_BLOCK, min(n, (blk + 1) * _NEAR_BLOCK)):
            g = sel[t]
            r0 = geom_off[g]
            r1 = geom_off[g + 1]
            s0 = ring_off[r0]
            s1 = ring_off[r1]
            if s1 <= s0:
                continue
            ox = x[s0]
            oy = y[s0]
            bx0 = x[s0]
            bx1 = x[s0]
            by0 = y[s0]
            by1 = y[s0]
            for i in range(s0, s1):
                bx0 = min(bx0, x[i])
                bx1 = max(bx1, x[i])
                by0 = min(by0, y[i])
                by1 = max(by1, y[i])
            best2[:] = rad * rad
            found[:] = False
            ix0 = _cell(bx0 - rad, gx0, gsize, gnx)
            ix1 = _cell(bx1 + rad, gx0, gsize, gnx)
            iy0 = _cell(by0 - rad, gy0, gsize, gny)
            iy1 = _cell(by1 + rad, gy0, gsize, gny)
            for cj in range(iy0, iy1 + 1):
                for ci in range(ix0, ix1 + 1):
                    cell = cj * gnx + ci
                    for k in range(gstart[cell], gstart[cell + 1]):
                        key = seg_key[k]
                        if skip[t, key]:
                            continue
                        sx0 = min(seg[k, 0], seg[k, 2])
                        sx1 = max(seg[k, 0], seg[k, 2])
                        sy0 = min(seg[k, 1], seg[k, 3])
                        sy1 = max(seg[k, 1], seg[k, 3])
                        gxd = max(0.0, max(sx0 - bx1, bx0 - sx1))
                        gyd = max(0.0, max(sy0 - by1, by0 - sy1))
                        b2 = best2[key]
                        if gxd * gxd + gyd * gyd > b2:
                            continue
                        cx = seg[k, 0] - ox
                        cy = seg[k, 1] - oy
                        dx = seg[k, 2] - ox
                        dy = seg[k, 3] - oy
                        for r in range(r0, r1):
                            a = ring_off[r]
                            b = ring_off[r + 1]
                            for i in range(a, b - 1):
                                # an edge whose box is farther than the best so far
                                # cannot come nearer
                                if (
                                    _edge_gap2(x[i], y[i], x[i + 1], y[i + 1], sx0, sy0, sx1, sy1)
                                    > b2
                                ):
                                    continue
                                d = _seg_seg2(
                                    x[i] - ox,
                                    y[i] - oy,
                                    x[i + 1] - ox,
                                    y[i + 1] - oy,
                                    cx,
                                    cy,
                                    dx,
                                    dy,
                                )
                                if d <= b2:
                                    b2 = d
                                    found[key] = True
                        best2[key] = b2
            for key in range(n_keys):
                if found[key]:
                    out[t, key] = math.sqrt(best2[key])
    return out


def nearest_within_by_key(
    srt: FlatRings,
    order: np.ndarray,
    skip: np.ndarray,
    radius: float,
    segments: np.ndarray,
    segment_key: np.ndarray,
    grid: Grid,
    rows: np.ndarray,
    column: np.ndarray,
    n: int,
) -> np.ndarray:
    """Distance from every polygon to the nearest segment of each key within ``radius``,
    in one pass over a shared grid, for the polygons' rings in spatial order (``srt,
    order`` of :meth:`FlatRings.spatial_copy`; the caller may let go of the rings in
    input order meanwhile): ``(K, n)``,
    for key ``k`` with ``column[k] >= 0`` the distance of polygon ``j`` (row ``rows[j]``)
    to segment key ``column[k]`` where it is at most ``radius`` and not ``skip[j,
    column[k]]``, else NaN.

    Measured :data:`NEAR_CHUNK` polygons of the spatial order at a time and spread at
    once, so that no ``(G, L)`` array of every polygon's distances is made (10^6
    parcels, 8 keys: 64 MB, and as much again to put it back in input order).
    """
    values = np.full((len(column), n), np.nan)
    g = len(order)
    if g == 0 or len(segments) == 0 or skip.shape[1] == 0:
        return values
    # per grid entry: a cell's segments are read one after another
    seg = np.ascontiguousarray(segments[grid.items])
    seg_key = np.ascontiguousarray(segment_key[grid.items])
    for a in range(0, g, NEAR_CHUNK):
        pos = order[a : a + NEAR_CHUNK]
        with parallel_launch(), numba.parallel_chunksize(_BLOCKS_PER_TASK):
            d = _near_multi_kernel(
                srt.x,
                srt.y,
                srt.ring_offsets,
                srt.geom_offsets,
                np.arange(a, a + len(pos), dtype=np.int64),
                np.ascontiguousarray(skip[pos]),
                seg,
                seg_key,
                float(radius),
                *grid.fields(),
            )
        at = rows[pos]
        for k, c in enumerate(column):
            if c >= 0:
                within = d[:, c] <= radius
                values[k, at[within]] = d[within, c]
    return values


NEAR_CHUNK = 131_072
"""Polygons measured at a time by :func:`nearest_within_by_key`."""

NEAR_GRID_CELL_M = 250.0
"""Cell size of the grids over outline segments; longer segments are split."""


def split_segments(
    seg: np.ndarray, owner: np.ndarray, max_len: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cut segments longer than ``max_len`` into equal pieces no longer than it."""
    if len(seg) == 0:
        return seg, owner
    length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    k = np.maximum(np.ceil(length / max_len), 1).astype(np.int64)
    if (k == 1).all():
        return seg, owner
    rep = np.repeat(np.arange(len(seg)), k)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
    t0 = (j / k[rep])[:, None]
    t1 = ((j + 1) / k[rep])[:, None]
    a = seg[rep, :2]
    d = seg[rep, 2:] - a
    out = np.concatenate([a + t0 * d, a + t1 * d], axis=1)
    return np.ascontiguousarray(out), owner[rep]


def segments_of(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments of the linework of geometries (polygon rings, lines; points as
    zero-length segments): ``(S, 4)`` array and the geometry index of each."""
    if len(geoms) == 0:
        return np.zeros((0, 4)), np.zeros(0, np.int64)
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    tid = shapely.get_type_id(parts)
    lines: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    poly = tid == 3
    if poly.any():
        rr, ridx = shapely.get_rings(parts[poly], return_index=True)
        lines.append(rr)
        owners.append(pidx[poly][ridx])
    ln = np.isin(tid, (1, 2))
    if ln.any():
        lines.append(parts[ln])
        owners.append(pidx[ln])
    out: list[np.ndarray] = []
    own: list[np.ndarray] = []
    if lines:
        allg = np.concatenate(lines)
        allo = np.concatenate(owners)
        xy, ci = shapely.get_coordinates(allg, return_index=True)
        same = ci[1:] == ci[:-1]
        out.append(np.concatenate([xy[:-1][same], xy[1:][same]], axis=1))
        own.append(allo[ci[:-1][same]])
    pt = tid == 0
    if pt.any():
        xy = shapely.get_coordinates(parts[pt])
        out.append(np.concatenate([xy, xy], axis=1))
        own.append(pidx[pt])
    if not out:
        return np.zeros((0, 4)), np.zeros(0, np.int64)
    return np.ascontiguousarray(np.concatenate(out)), np.concatenate(own).astype(np.int64)


def segment_bounds(seg: np.ndarray) -> np.ndarray:
    """``(S, 4)`` bounds of segments."""
    return np.stack(
        [
            np.minimum(seg[:, 0], seg[:, 2]),
            np.minimum(seg[:, 1], seg[:, 3]),
            np.maximum(seg[:, 0], seg[:, 2]),
            np.maximum(seg[:, 1], seg[:, 3]),
        ],
        axis=1,
    )
