"""Routing a DEM: conditioning, D8 directions, cell areas and upstream accumulation.

See :mod:`almaty_scheme.base.hydro` for the method.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
from affine import Affine
from pyproj import CRS, Geod, Transformer
from scipy import ndimage

from almaty_scheme.base.names import loose_name
from almaty_scheme.errors import DataError

log = logging.getLogger(__name__)


DEFAULT_THRESHOLD_KM2 = 25.0
"""Upstream area from which a cell is a stream (about 160 GEBCO cells)."""

D8_DIRMAP: tuple[int, ...] = (64, 128, 1, 2, 4, 8, 16, 32)
"""pysheds direction codes for N, NE, E, SE, S, SW, W, NW (= pyflwdir's ESRI D8)."""

_D8_OFFSETS: dict[int, tuple[int, int]] = {
    64: (-1, 0),
    128: (-1, 1),
    1: (0, 1),
    2: (1, 1),
    4: (1, 0),
    8: (1, -1),
    16: (0, -1),
    32: (-1, -1),
}

_PYFLWDIR_PIT = 0

_PYFLWDIR_NODATA = 247

GEOD = Geod(ellps="WGS84")


@dataclass
class FlowModel:
    """D8 routing of one DEM: everything the naming and vectorising steps need.

    Arrays are 2-D in the DEM's grid (``shape``); flat indices are ``row * ncol + col``.
    """

    dem_path: Path | None
    crs: CRS
    transform: Affine
    shape: tuple[int, int]
    dx_m: float
    dy_m: float
    valid: np.ndarray
    water: np.ndarray  # int32 label of the water body (1..n) per cell, 0 = land
    idxs_ds: np.ndarray  # flat downstream index (self for pits)
    cell_km2: np.ndarray
    upstream_km2: np.ndarray
    outlets: dict[int, int] = field(default_factory=dict)  # water label -> outlet flat idx
    flw: Any = None  # pyflwdir.FlwdirRaster
    seconds: float = 0.0

    @property
    def ncol(self) -> int:
        return self.shape[1]

    def xy(self, idx: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates (DEM CRS) of flat indices."""
        r, c = np.divmod(np.asarray(idx), self.ncol)
        t = self.transform
        x = t.c + t.a * (c + 0.5) + t.b * (r + 0.5)
        y = t.f + t.d * (c + 0.5) + t.e * (r + 0.5)
        return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")

    def stream_mask(self, threshold_km2: float) -> np.ndarray:
        """Stream cells: upstream area >= threshold, valid, not in a water body."""
        return self.valid & (self.water == 0) & (self.upstream_km2 >= threshold_km2)

    def strahler(self, streams: np.ndarray) -> np.ndarray:
        """Strahler order of the stream cells (0 elsewhere)."""
        order = self.flw.stream_order(type="strahler", mask=streams)
        return np.where(streams, np.asarray(order), 0).astype("int64")


def _metric_cell(
    transform: Affine, shape: tuple[int, int], geographic: bool
) -> tuple[float, float]:
    """Cell width and height in metres (at the central latitude if geographic)."""
    if not geographic:
        return abs(transform.a), abs(transform.e)
    nrow, ncol = shape
    lon_c = transform.c + transform.a * ncol / 2
    lat_c = transform.f + transform.e * nrow / 2
    dx = GEOD.inv(lon_c - transform.a / 2, lat_c, lon_c + transform.a / 2, lat_c)[2]
    dy = GEOD.inv(lon_c, lat_c - abs(transform.e) / 2, lon_c, lat_c + abs(transform.e) / 2)[2]
    return float(dx), float(dy)


def cell_areas_km2(transform: Affine, shape: tuple[int, int], geographic: bool) -> np.ndarray:
    """Area of every cell in km² (ellipsoidal per row for lon/lat grids).

    For a geographic grid the area of a cell between latitudes φ1 and φ2 is the geodesic
    area of that lon/lat quadrilateral on the WGS 84 ellipsoid (``pyproj.Geod``), the same
    for every cell of a row. For a projected grid it is ``|a·e|`` (map units = metres).
    """
    nrow, ncol = shape
    if not geographic:
        return np.full(shape, abs(transform.a * transform.e) / 1e6)
    x0 = transform.c
    x1 = x0 + transform.a
    rows = np.empty(nrow)
    for i in range(nrow):
        y0 = transform.f + transform.e * i
        y1 = y0 + transform.e
        area, _ = GEOD.polygon_area_perimeter([x0, x1, x1, x0], [y0, y0, y1, y1])
        rows[i] = abs(area) / 1e6
    return np.repeat(rows[:, None], ncol, axis=1)


def _edge_cells(valid: np.ndarray) -> np.ndarray:
    """Valid cells on the raster border or next to a nodata cell (8-connected)."""
    inner = ndimage.binary_erosion(valid, structure=np.ones((3, 3), bool), border_value=0)
    return valid & ~inner


def _rasterise_water(
    water_bodies: gpd.GeoDataFrame | None, crs: CRS, transform: Affine, shape: tuple[int, int]
) -> np.ndarray:
    if water_bodies is None or len(water_bodies) == 0:
        return np.zeros(shape, dtype="int32")
    wb = water_bodies.to_crs(crs)
    shapes = [
        (geom, i + 1)
        for i, geom in enumerate(wb.geometry)
        if geom is not None and not geom.is_empty
    ]
    if not shapes:
        return np.zeros(shape, dtype="int32")
    return rasterio.features.rasterize(
        shapes, out_shape=shape, transform=transform, fill=0, all_touched=False, dtype="int32"
    )


def _condition_and_d8(
    z: np.ndarray,
    valid: np.ndarray,
    water: np.ndarray,
    dx: float,
    dy: float,
    flats: str = "priority_flood",
) -> np.ndarray:
    """D8 directions (pyflwdir/ESRI codes; 0 = pit/outlet, 247 = nodata).

    Depressions are filled by priority flood with the DEM's edge cells and the water
    cells as outlets (water cells are first lowered below the DEM minimum so that land
    next to them drains into them). ``flats="barnes"``: flats are then resolved by
    Barnes et al. (2014) gradients (pysheds ``resolve_flats``) and D8 is the steepest
    descent with metric distances ``dx``/``dy``. ``flats="priority_flood"``: the
    directions of the flood itself (Wang & Liu 2006): each cell drains to the
    neighbour that reached it, which on flats gives straight parallel paths.
    """
    import pyflwdir.dem  # numba JIT on import (seconds): only when rivers are derived

    zc = np.where(valid, z, np.nan).astype("float64")
    zmin = float(np.nanmin(zc))
    sinks = (water > 0) & valid
    zc[sinks] = zmin - 10.0
    seeds = np.flatnonzero(_edge_cells(valid) | sinks)
    filled, d8_flood = pyflwdir.dem.fill_depressions(zc, idxs_pit=seeds, nodata=np.nan)
    if flats == "priority_flood":
        d8 = np.asarray(d8_flood, dtype="uint8")
    elif flats == "barnes":
        # pysheds compiles its numba kernels on every import (~7 s): only for 'barnes'
        from pysheds.sgrid import sGrid
        from pysheds.sview import Raster, ViewFinder

        filled = np.asarray(filled, dtype="float64")
        vf = ViewFinder(affine=Affine(dx, 0.0, 0.0, 0.0, -dy, 0.0), shape=z.shape, nodata=np.nan)
        grid = sGrid(viewfinder=vf)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inflated = grid.resolve_flats(Raster(filled, viewfinder=vf), eps=1e-5, max_iter=5000)
            fdir = np.asarray(
                grid.flowdir(
                    inflated, routing="d8", flats=-1, pits=-2, nodata_out=0, dirmap=D8_DIRMAP
                ),
                dtype="int64",
            )
        d8 = np.where(fdir > 0, fdir, _PYFLWDIR_PIT).astype("uint8")
    else:
        raise ValueError(f"flats must be 'barnes' or 'priority_flood', not {flats!r}")
    d8 = np.where(sinks, _PYFLWDIR_PIT, d8)
    return np.where(valid, d8, _PYFLWDIR_NODATA).astype("uint8")


def _breach_outlet(
    d8: np.ndarray,
    z: np.ndarray,
    valid: np.ndarray,
    water: np.ndarray,
    start: int,
    terminal: np.ndarray,
    label: int,
    radius_cells: tuple[int, int],
) -> list[int] | None:
    """Carve the outflow path of water body ``label`` from land cell ``start``.

    A coarse DEM can close the gorge below a dam (in GEBCO the Ili gorge below the
    Kapchagay dam has a 478 m sill, above the 474 m reservoir surface), so the outflow
    is breached: a priority flood from ``start`` over land cells within
    ``radius_cells`` (rows, cols) visits cells in order of elevation until it reaches
    one whose flow does not end in the water body; the path back to ``start`` is the
    least-elevation (minimax) breach, and each of its cells is pointed at the next.
    Returns the path (``start`` first) or ``None`` if no such cell lies in the radius.
    """
    nrow, ncol = z.shape
    inv = {v: k for k, v in _D8_OFFSETS.items()}
    r_s, c_s = divmod(start, ncol)
    parent = {start: -1}
    heap = [(float(z.ravel()[start]), 0, start)]
    n = 0
    wflat = water.ravel()
    exit_cell = -1
    while heap:
        _, _, c = heapq.heappop(heap)
        if c != start and wflat[terminal[c]] != label:
            exit_cell = c
            break
        r0, c0 = divmod(c, ncol)
        for dr, dc in _D8_OFFSETS.values():
            r, cc = r0 + dr, c0 + dc
            if not (0 <= r < nrow and 0 <= cc < ncol):
                continue
            if abs(r - r_s) > radius_cells[0] or abs(cc - c_s) > radius_cells[1]:
                continue
            k = r * ncol + cc
            if k in parent or not valid[r, cc] or water[r, cc]:
                continue
            parent[k] = c
            n += 1
            heapq.heappush(heap, (float(z[r, cc]), n, k))
    if exit_cell < 0:
        return None
    path = [exit_cell]
    while parent[path[-1]] >= 0:
        path.append(parent[path[-1]])
    path.reverse()
    for a, b in itertools.pairwise(path):
        ra, ca = divmod(a, ncol)
        rb, cb = divmod(b, ncol)
        d8.ravel()[a] = inv[(rb - ra, cb - ca)]
    return path


def snap_cell(
    model: FlowModel,
    x: float,
    y: float,
    candidates: np.ndarray,
    radius_m: float,
) -> tuple[int, float] | None:
    """Nearest candidate cell (bool mask) to (x, y) in DEM CRS within ``radius_m``."""
    idx = np.flatnonzero(candidates)
    if len(idx) == 0:
        return None
    cx, cy = model.xy(idx)
    if model.crs.is_geographic:
        lat0 = math.radians(y)
        mx = (cx - x) * 111_320.0 * math.cos(lat0)
        my = (cy - y) * 110_950.0
        d = np.hypot(mx, my)
    else:
        d = np.hypot(cx - x, cy - y)
    k = int(np.argmin(d))
    if d[k] > radius_m:
        return None
    return int(idx[k]), float(d[k])


ROUTE_STEPS: tuple[str, ...] = (
    "rivers: loading the flow-routing library",
    "rivers: reading the DEM",
    "rivers: filling pits, flow directions",
    "rivers: upstream areas",
)
"""The steps :func:`route` reports to ``on_step``."""


def route(
    dem_path: str | Path,
    *,
    water_bodies: gpd.GeoDataFrame | None = None,
    outlets: Sequence[tuple[str, float, float, float]] = (),
    flats: str = "priority_flood",
    on_step: Callable[[str], None] | None = None,
) -> FlowModel:
    """Condition the DEM, compute D8 directions and upstream areas (km²).

    Parameters
    ----------
    dem_path
        Any single-band DEM GDAL reads, with a CRS (geographic or projected in metres).
    water_bodies
        Polygons (any CRS) that are sinks of the routing (reservoirs, lakes).
    outlets
        ``(water_body_name, lon, lat, snap_m)``: where a water body's inflow re-enters
        the network; the water body is the polygon under ``name`` in ``water_bodies``
        (``name``/``name_ru`` compared loosely) and the outlet cell the nearest land
        cell to lon/lat whose flow does not return to that water body.
    on_step
        Called with the name of each of the :data:`ROUTE_STEPS` steps as it starts
        (progress bars).

    Raises
    ------
    DataError
        If the DEM cannot be read or has no CRS.
    """
    t0 = time.perf_counter()
    step = on_step or (lambda _desc: None)
    step(ROUTE_STEPS[0])
    import pyflwdir  # numba JIT on import (seconds): only when rivers are derived

    path = Path(dem_path)
    step(ROUTE_STEPS[1])
    zf, valid, transform, crs = _read_dem(path)
    shape = (int(zf.shape[0]), int(zf.shape[1]))
    geographic = bool(crs.is_geographic)
    dx, dy = _metric_cell(transform, shape, geographic)
    water = _rasterise_water(water_bodies, crs, transform, shape) * valid

    step(ROUTE_STEPS[2])
    d8 = _condition_and_d8(zf, valid, water, dx, dy, flats=flats)
    n_pits = int(((d8 == _PYFLWDIR_PIT) & valid & (water == 0) & ~_edge_cells(valid)).sum())
    if n_pits:
        log.info(
            "%s: %d interior cells left without a D8 direction (flats/pits)", path.name, n_pits
        )
    step(ROUTE_STEPS[3])
    cell = np.where(valid, cell_areas_km2(transform, shape, geographic), 0.0)
    flw = pyflwdir.from_array(
        d8, ftype="d8", transform=transform, latlon=geographic, check_ftype=False
    )
    outlet_cells: dict[int, int] = {}
    if outlets and water_bodies is not None and water.any():
        probe = FlowModel(
            path, crs, transform, shape, dx, dy, valid, water, np.asarray(flw.idxs_ds), cell, cell
        )
        outlet_cells = _place_outlets(probe, d8, zf, water_bodies, outlets)
        if outlet_cells:
            flw = pyflwdir.from_array(
                d8, ftype="d8", transform=transform, latlon=geographic, check_ftype=False
            )
    idxs_ds = np.asarray(flw.idxs_ds)
    upa = np.asarray(flw.accuflux(cell), dtype="float64").reshape(shape)
    if outlet_cells:
        weights = cell.copy()
        for label, oc in outlet_cells.items():
            weights.ravel()[oc] += float(upa[water == label].sum())
        upa = np.asarray(flw.accuflux(weights), dtype="float64").reshape(shape)
    model = FlowModel(
        path,
        crs,
        transform,
        shape,
        dx,
        dy,
        valid,
        water,
        idxs_ds,
        cell,
        upa,
        outlets=outlet_cells,
        flw=flw,
    )
    model.seconds = time.perf_counter() - t0
    return model


def _read_dem(path: Path) -> tuple[np.ndarray, np.ndarray, Affine, CRS]:
    """Elevations (NaN outside), the valid mask, the transform and CRS of a north-up DEM."""
    try:
        with rasterio.open(path) as src:
            z = src.read(1, masked=True)
            transform = src.transform
            crs_r = src.crs
    except rasterio.errors.RasterioIOError as exc:
        raise DataError(
            f"Cannot read the DEM {path}",
            [f"Give a readable single-band raster (GeoTIFF) ({exc})."],
        ) from exc
    if crs_r is None:
        raise DataError(
            f"The DEM {path} has no CRS",
            ["Assign a CRS to the DEM (e.g. gdal_edit.py -a_srs EPSG:4326 dem.tif)."],
        )
    if transform.b != 0 or transform.d != 0:
        raise DataError(f"The DEM {path} is rotated", ["Warp it to a north-up grid first."])
    crs = CRS.from_user_input(crs_r.to_wkt())
    zf = np.asarray(z.filled(np.nan), dtype="float64")
    valid = ~np.ma.getmaskarray(z) & np.isfinite(zf)
    if valid.sum() < 9:
        raise DataError(f"The DEM {path} has fewer than 9 valid cells", ["Check its nodata value."])
    return zf, valid, transform, crs


def _place_outlets(
    probe: FlowModel,
    d8: np.ndarray,
    zf: np.ndarray,
    water_bodies: gpd.GeoDataFrame,
    outlets: Sequence[tuple[str, float, float, float]],
) -> dict[int, int]:
    """Water-body label -> outlet cell; each outflow is breached into ``d8`` in place."""
    valid, water, dx, dy = probe.valid, probe.water, probe.dx_m, probe.dy_m
    wb = water_bodies.reset_index(drop=True)
    to_dem = Transformer.from_crs("EPSG:4326", probe.crs, always_xy=True)
    terminal = _terminal_cells(probe.idxs_ds)
    outlet_cells: dict[int, int] = {}
    for name, lon, lat, snap_m in outlets:
        label = _water_label(wb, name)
        if label is None or label in outlet_cells or not (water == label).any():
            continue
        x, y = to_dem.transform(lon, lat)
        hit = snap_cell(probe, x, y, valid & (water == 0), snap_m)
        radius = (max(1, round(snap_m / dy)), max(1, round(snap_m / dx)))
        walk = (
            None
            if hit is None
            else _breach_outlet(d8, zf, valid, water, hit[0], terminal, label, radius)
        )
        if walk is None:
            log.warning(
                "outlet of %s at %.4f, %.4f: no outflow path found within %.0f m;"
                " its inflow stays in the water body",
                name,
                lon,
                lat,
                snap_m,
            )
            continue
        outlet_cells[label] = walk[0]
        log.info(
            "outlet of %s: %.0f m from the given point, breach of %d cells",
            name,
            hit[1] if hit else 0.0,
            len(walk) - 1,
        )
    return outlet_cells


def _water_label(wb: gpd.GeoDataFrame, name: str) -> int | None:
    """1-based row number of the water body called ``name`` (loose match), or None."""
    key = loose_name(name)
    if not key:
        return None
    for i, row in wb.iterrows():
        for c in ("name", "name_ru", "name_kk"):
            v = row.get(c)
            if v is not None and not pd.isna(v) and loose_name(str(v)) == key:
                return int(str(i)) + 1
    return None


def _terminal_cells(idxs_ds: np.ndarray) -> np.ndarray:
    """For each cell the pit its flow path ends in (pointer jumping)."""
    term = idxs_ds.copy()
    for _ in range(64):
        nxt = term[term]
        if np.array_equal(nxt, term):
            break
        term = nxt
    return term
