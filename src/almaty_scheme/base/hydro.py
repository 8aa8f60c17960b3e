"""Rivers derived from a DEM when no river vector data exists (issue 7).

The scheme sets water-protection zones for named rivers (L592-617: Bolshaya Almatinka,
Turgen, Aksai, Ashchibulak, Uzynkargaly, Shamalgan, Belbulak) and defaults for the rest
(L623-632), but the open data has only the Ili. This module derives a drainage network
from a DEM, names its streams from anchors (``layers/hydro_anchors.yaml``), and labels
every feature ``derived from DEM <res>`` so that zones built on it carry that accuracy.

Method (:func:`route` then :func:`derive_rivers`)
-------------------------------------------------
1. **Grid.** The DEM is routed on its own grid, never resampled or smoothed (for the
   GEBCO 2023 clip: 15" cells, about 337 m E-W x 463 m N-S at 43.5 N). Only the
   ``barnes`` option measures slopes; it uses the cell's metric width and height at the
   window's central latitude (the E-W size varies by +-1.4 % across 42.9-44.1 N), not
   raw degrees, which would treat 337 m and 463 m as equal.
2. **Water bodies are sinks.** Cells whose centre lies in a water-body polygon are set
   below the DEM's minimum and seeded as outlets, with the DEM's edge cells, for
   priority-flood depression filling (``pyflwdir.dem.fill_depressions``, Wang & Liu
   2006). Streams therefore end at the shoreline (and are cut there). A flat reservoir
   surface (Kapchagay: 474 m in GEBCO, its rim 1-4 m higher all round) would otherwise
   be routed to whichever edge cell is lowest, which in this window is the Ili's
   *inflow* at the east edge.
3. **Flats and D8.** Filling and D8 are one priority flood (Wang & Liu 2006, in
   ``pyflwdir``): each cell drains to the neighbour from which the flood reached it,
   i.e. its lowest neighbour on slopes, and on flats (int16 GEBCO has many) towards the
   flat's outlet along the flood's order, which gives straight, parallel paths. The
   alternative ``flats="barnes"`` resolves flats by Barnes et al. (2014) gradients and
   takes steepest-descent D8 with metric distances (``pysheds`` ``resolve_flats`` and
   ``flowdir``); on the GEBCO window it ran 4x slower (pysheds compiles its numba
   kernels on every import, ~7 s CPU) and named a worse Ili (see the report), so it
   is not the default. A water body's outflow is breached through sills the coarse
   DEM leaves in the gorge below its outlet (:func:`_breach_outlet`).
4. **Accumulation in km2.** Each cell's true area on the WGS 84 ellipsoid (per row, by
   ``pyproj.Geod``: 0.1545 km2 at 44.1 N to 0.1575 km2 at 42.9 N) is accumulated
   downstream with ``pyflwdir`` ``accuflux``. A water body's total inflow re-enters
   the network at its outlet (``outlets`` in the anchors file: the Kapchagay dam), so
   the Ili below the dam carries the whole reservoir catchment inside the window.
5. **Streams** are cells with upstream area >= ``threshold_km2`` outside water bodies;
   Strahler order by ``pyflwdir``. Segments run between confluences and name changes
   and join cell centres (D8 staircase kept; nothing finer than the DEM is invented);
   a segment flowing into a water body is cut at its shoreline.
6. **Names** (:func:`name_network`): anchors snap to the nearest stream cell with
   enough upstream area within their ``snap_m``; a river's name runs downstream from
   its anchors until it loses a confluence and upstream from its anchors along the
   branch with the largest upstream area to the channel head.

Libraries: ``pyflwdir`` (Deltares) fills, routes, accumulates and orders streams.
Its functions that pass an ``affine.Affine`` into numba (``path``, ``stream_distance``,
``dem.slope``) fail with affine 3 (pyflwdir issue #108, fixed upstream, unreleased) and
are not used. ``pysheds`` 0.5 serves only the ``barnes`` option; its ``accumulation``
uses ``np.in1d``, removed in numpy 2.4 (pysheds issue #312), and is not used.

The derived Ili is compared with the WDBII Ili by :func:`compare_with_reference`.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS, Geod, Transformer

from almaty_scheme.base.hydro_anchors import (
    Anchor,
    AnchorPlace,
    HydroAnchors,
    HydroRiver,
    load_anchors,
)
from almaty_scheme.base.model import conform
from almaty_scheme.base.names import loose_name
from almaty_scheme.crs import WORKING_CRS, require_working_crs, to_working_crs
from almaty_scheme.errors import DataError, ProcessingError

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD_KM2 = 25.0
"""Upstream area from which a cell is a stream (about 160 GEBCO cells)."""

DEFAULT_CLIP_BUFFER_M = 2000.0
"""Streams are kept within this distance of the boundary (zones reach up to 1700 m)."""

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

_GEOD = Geod(ellps="WGS84")

EXTRA_COLUMNS: dict[str, str] = {
    "upstream_km2": "float64",
    "river_length_km": "float64",
    "river_id": "string",
    "anchors": "string",
    "name_reading": "string",
}
"""Columns :func:`derive_rivers` adds after the canonical ``rivers`` columns."""


# --------------------------------------------------------------------------- routing


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
    dx = _GEOD.inv(lon_c - transform.a / 2, lat_c, lon_c + transform.a / 2, lat_c)[2]
    dy = _GEOD.inv(lon_c, lat_c - abs(transform.e) / 2, lon_c, lat_c + abs(transform.e) / 2)[2]
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
        area, _ = _GEOD.polygon_area_perimeter([x0, x1, x1, x0], [y0, y0, y1, y1])
        rows[i] = abs(area) / 1e6
    return np.repeat(rows[:, None], ncol, axis=1)


def _edge_cells(valid: np.ndarray) -> np.ndarray:
    """Valid cells on the raster border or next to a nodata cell (8-connected)."""
    from scipy import ndimage

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
    import pyflwdir.dem

    zc = np.where(valid, z, np.nan).astype("float64")
    zmin = float(np.nanmin(zc))
    sinks = (water > 0) & valid
    zc[sinks] = zmin - 10.0
    seeds = np.flatnonzero(_edge_cells(valid) | sinks)
    filled, d8_flood = pyflwdir.dem.fill_depressions(zc, idxs_pit=seeds, nodata=np.nan)
    if flats == "priority_flood":
        d8 = np.asarray(d8_flood, dtype="uint8")
    elif flats == "barnes":
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
    import heapq

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


def _snap_cell(
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


def route(
    dem_path: str | Path,
    *,
    water_bodies: gpd.GeoDataFrame | None = None,
    outlets: Sequence[tuple[str, float, float, float]] = (),
    flats: str = "priority_flood",
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

    Raises
    ------
    DataError
        If the DEM cannot be read or has no CRS.
    """
    t0 = time.perf_counter()
    import pyflwdir

    path = Path(dem_path)
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
    shape = (int(z.shape[0]), int(z.shape[1]))
    zf = np.asarray(z.filled(np.nan), dtype="float64")
    valid = ~np.ma.getmaskarray(z) & np.isfinite(zf)
    if valid.sum() < 9:
        raise DataError(f"The DEM {path} has fewer than 9 valid cells", ["Check its nodata value."])
    geographic = bool(crs.is_geographic)
    dx, dy = _metric_cell(transform, shape, geographic)
    water = _rasterise_water(water_bodies, crs, transform, shape) * valid

    d8 = _condition_and_d8(zf, valid, water, dx, dy, flats=flats)
    n_pits = int(((d8 == _PYFLWDIR_PIT) & valid & (water == 0) & ~_edge_cells(valid)).sum())
    if n_pits:
        log.info(
            "%s: %d interior cells left without a D8 direction (flats/pits)", path.name, n_pits
        )
    cell = np.where(valid, cell_areas_km2(transform, shape, geographic), 0.0)
    flw = pyflwdir.from_array(
        d8, ftype="d8", transform=transform, latlon=geographic, check_ftype=False
    )
    outlet_cells: dict[int, int] = {}
    if outlets and water_bodies is not None and water.any():
        wb = water_bodies.reset_index(drop=True)
        to_dem = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        terminal = _terminal_cells(np.asarray(flw.idxs_ds))
        probe = FlowModel(
            path, crs, transform, shape, dx, dy, valid, water, np.asarray(flw.idxs_ds), cell, cell
        )
        for name, lon, lat, snap_m in outlets:
            label = _water_label(wb, name)
            if label is None or label in outlet_cells or not (water == label).any():
                continue
            x, y = to_dem.transform(lon, lat)
            hit = _snap_cell(probe, x, y, valid & (water == 0), snap_m)
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


# --------------------------------------------------------------------------- naming


@dataclass
class ResolvedAnchor:
    """An anchor placed on the network (or why it could not be)."""

    river_id: str
    anchor: Anchor
    cell: int | None
    distance_m: float | None
    note: str


def _place_point(place: AnchorPlace, places: gpd.GeoDataFrame | None) -> tuple[float, float] | str:
    """WGS 84 lon/lat of a place, or a reason why it cannot be placed."""
    if place.lon is not None and place.lat is not None:
        return place.lon, place.lat
    assert place.settlement is not None
    if places is None or len(places) == 0:
        return "no settlements layer given"
    keys = {loose_name(n) for n in place.settlement} - {""}
    name_cols = [c for c in ("name", "name_ru", "name_kk", "name_en") if c in places.columns]
    hit = np.zeros(len(places), dtype=bool)
    for c in name_cols:
        hit |= places[c].astype("string").fillna("").map(loose_name).isin(keys).to_numpy()
    found = places.loc[hit]
    if len(found) == 0:
        return f"no settlement named {place.settlement[0]!r} in the settlements layer"
    pts = found.to_crs("EPSG:4326").geometry.representative_point()
    lons, lats = pts.x.to_numpy(), pts.y.to_numpy()
    if place.near is not None:
        d = np.array(
            [
                _GEOD.inv(place.near[0], place.near[1], lo, la)[2]
                for lo, la in zip(lons, lats, strict=True)
            ]
        )
        k = int(np.argmin(d))
        if d[k] > place.near_tolerance_m:
            return (
                f"nearest {place.settlement[0]!r} is {d[k] / 1000:.1f} km from the given "
                f"'near' point (tolerance {place.near_tolerance_m / 1000:.1f} km)"
            )
        return float(lons[k]), float(lats[k])
    # several points with one name (e.g. OSM and GeoNames): accept if they agree within 5 km
    if len(found) > 1:
        d = max(_GEOD.inv(lons[0], lats[0], lo, la)[2] for lo, la in zip(lons, lats, strict=True))
        if d > 5000:
            return (
                f"{len(found)} settlements named {place.settlement[0]!r} up to "
                f"{d / 1000:.0f} km apart; add 'near' to the anchor"
            )
    return float(lons[0]), float(lats[0])


def resolve_anchors(
    model: FlowModel,
    anchors: HydroAnchors,
    streams: np.ndarray,
    places: gpd.GeoDataFrame | None = None,
) -> list[ResolvedAnchor]:
    """Snap every anchor to the nearest stream cell with enough upstream area.

    The candidates are stream cells with upstream area >= the anchor's
    ``min_upstream_km2``; the search radius is its ``snap_m`` (metres).
    """
    to_dem = Transformer.from_crs("EPSG:4326", model.crs, always_xy=True)
    out = []
    for river in anchors.rivers:
        for a in river.anchors:
            pt = _place_point(a.place, places)
            if isinstance(pt, str):
                out.append(ResolvedAnchor(river.id, a, None, None, pt))
                continue
            x, y = to_dem.transform(*pt)
            cand = streams & (model.upstream_km2 >= a.min_upstream_km2)
            hit = _snap_cell(model, x, y, cand, a.snap_m)
            if hit is None:
                out.append(
                    ResolvedAnchor(
                        river.id,
                        a,
                        None,
                        None,
                        f"no stream with >= {max(a.min_upstream_km2, 0):.0f} km2 upstream within "
                        f"{a.snap_m:.0f} m of {a.place.label}",
                    )
                )
                continue
            out.append(
                ResolvedAnchor(
                    river.id, a, hit[0], hit[1], f"snapped {hit[1]:.0f} m from {a.place.label}"
                )
            )
    return out


def name_network(
    idxs_ds: np.ndarray,
    upstream: np.ndarray,
    streams: np.ndarray,
    anchor_cells: Sequence[tuple[int, int]],
    *,
    trunk: Iterable[int] = (),
    extend_upstream: Iterable[int] | None = None,
    stop_cells: Iterable[int] = (),
    parent: dict[int, int] | None = None,
) -> np.ndarray:
    """Label stream cells with river numbers from anchors (0 = unnamed).

    Parameters
    ----------
    idxs_ds
        Flat downstream index of every cell (a pit points to itself).
    upstream
        Upstream area of every cell (flat or 2-D).
    streams
        Stream mask (flat or 2-D); only stream cells get labels.
    anchor_cells
        ``(cell, river)`` pairs, river numbers >= 1. The first pair wins a cell
        claimed by two rivers.
    trunk
        Rivers that keep their name through every confluence (the Ili: most of its
        catchment lies outside the DEM window, so in-window areas underrate it).
    extend_upstream
        Rivers whose name is extended upstream from their anchors (default: all).
    stop_cells
        Cells where the upstream extension stops (a reservoir outlet: above it lies
        the water body, not the river).
    parent
        ``{river: river it flows into}``. A parent beats its tributaries (and their
        tributaries) at a confluence, and an anchor of a tributary reached by its
        parent's name is not used.

    Returns
    -------
    numpy.ndarray
        Flat int array of labels.

    Notes
    -----
    *Downstream*, cells are visited from sources to mouths. An anchor cell takes its
    river (unless an ancestor river arrives there). Elsewhere the labels arriving from
    upstream stream neighbours compete; a label whose ancestor (``parent``) also arrives
    drops out; the winner is, in order: the river whose next anchor downstream is on this path; a trunk
    river; the label of the branch with the largest upstream area (if that branch is
    unnamed, the cell is unnamed: a small named river ends where it joins a larger
    stream). *Upstream*, from every anchor with no same-named stream above it, the name
    climbs the unnamed branch with the largest upstream area to the channel head.
    """
    ids = np.asarray(idxs_ds).ravel()
    upa = np.asarray(upstream, dtype="float64").ravel()
    s = np.asarray(streams, dtype=bool).ravel()
    n = ids.size
    anchor_of = np.zeros(n, dtype="int64")
    for cell, river in anchor_cells:
        if s[cell] and anchor_of[cell] == 0:
            anchor_of[cell] = river
    trunk_set = set(trunk)
    cells = np.flatnonzero(s)
    # stream cells in topological order (every cell after all stream cells upstream)
    order = _topological_order(ids, s)
    # next anchor downstream (river number of the first anchor strictly below a cell)
    next_anchor = np.zeros(n, dtype="int64")
    for c in order[::-1]:  # mouths first
        d = ids[c]
        if d != c and s[d]:
            next_anchor[c] = anchor_of[d] if anchor_of[d] else next_anchor[d]
    label = np.zeros(n, dtype="int64")
    # incoming (label, area of the branch) per cell, gathered as we go
    best_named: dict[int, dict[int, float]] = {}
    main_area = np.full(n, -1.0)
    main_label = np.zeros(n, dtype="int64")
    par = dict(parent or {})

    def ancestors(r: int) -> set[int]:
        out: set[int] = set()
        while r in par and par[r] not in out:
            r = par[r]
            out.add(r)
        return out

    anc = {r: ancestors(r) for r in set(par) | set(anchor_of[anchor_of > 0].tolist())}
    for c in order:
        incoming = best_named.get(int(c), {})
        if incoming and len(incoming) > 1:
            incoming = {
                r: a for r, a in incoming.items() if not (anc.get(r, set()) & set(incoming))
            }
        if anchor_of[c] and not (anc.get(int(anchor_of[c]), set()) & set(incoming)):
            lab = int(anchor_of[c])
        else:
            lab = 0
            if incoming:
                na = int(next_anchor[c])
                if na and na in incoming:
                    lab = na
                else:
                    trunks = [r for r in incoming if r in trunk_set]
                    main = int(main_label[c])
                    if trunks:
                        lab = max(trunks, key=lambda r: incoming[r])
                    elif main in incoming or main == 0:
                        lab = main
                    else:  # the main branch's river yields to an ancestor arriving here
                        up = [r for r in incoming if r in anc.get(main, set())]
                        lab = max(up, key=lambda r: incoming[r]) if up else 0
        label[c] = lab
        d = ids[c]
        if d != c and s[d]:
            if upa[c] > main_area[d]:
                main_area[d] = upa[c]
                main_label[d] = lab
            if lab:
                inc = best_named.setdefault(int(d), {})
                inc[lab] = max(inc.get(lab, 0.0), float(upa[c]))
    # upstream extension
    ups: dict[int, list[int]] = {}
    for c in cells:
        d = ids[c]
        if d != c and s[d]:
            ups.setdefault(int(d), []).append(int(c))
    extend = None if extend_upstream is None else set(extend_upstream)
    stops = set(stop_cells)
    for cell, river in anchor_cells:
        if not s[cell] or label[cell] != river or (extend is not None and river not in extend):
            continue
        c = int(cell)
        if any(label[u] == river for u in ups.get(c, [])):
            continue
        while c not in stops:
            free = [u for u in ups.get(c, []) if label[u] == 0]
            if not free:
                break
            u = max(free, key=lambda k: upa[k])
            label[u] = river
            c = u
    return label


def _topological_order(ids: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Stream cells ordered so that every cell comes after all stream cells upstream."""
    cells = np.flatnonzero(s)
    indeg = np.zeros(ids.size, dtype="int64")
    ds = ids[cells]
    inner = (ds != cells) & s[ds]
    np.add.at(indeg, ds[inner], 1)
    queue = [int(c) for c in cells if indeg[c] == 0]
    out: list[int] = []
    while queue:
        c = queue.pop()
        out.append(c)
        d = int(ids[c])
        if d != c and s[d]:
            indeg[d] -= 1
            if indeg[d] == 0:
                queue.append(d)
    if len(out) != len(cells):
        raise ProcessingError("The flow directions contain a loop; cannot order the network.")
    return np.asarray(out, dtype="int64")


# --------------------------------------------------------------------------- vectorising


def stream_segments(
    idxs_ds: np.ndarray, streams: np.ndarray, label: np.ndarray
) -> list[np.ndarray]:
    """Flat-index paths of stream segments, each ending at its downstream node.

    A segment starts at a channel head, below a confluence, or where the name changes,
    and runs down to (and includes) the first cell of the next segment, the first cell
    of a water body or nodata area, or a pit. Consecutive segments share their node.
    """
    ids = np.asarray(idxs_ds).ravel()
    s = np.asarray(streams, dtype=bool).ravel()
    lab = np.asarray(label).ravel()
    cells = np.flatnonzero(s)
    ds = ids[cells]
    inner = (ds != cells) & s[ds]
    nup = np.zeros(ids.size, dtype="int64")
    np.add.at(nup, ds[inner], 1)
    up_of = np.full(ids.size, -1, dtype="int64")
    up_of[ds[inner]] = cells[inner]

    def is_start(c: int) -> bool:
        return bool(nup[c] != 1 or lab[up_of[c]] != lab[c])

    out = []
    for c0 in cells:
        if not is_start(int(c0)):
            continue
        path = [int(c0)]
        c = int(c0)
        while True:
            d = int(ids[c])
            if d == c:
                break
            path.append(d)
            if not s[d] or is_start(d):
                break
            c = d
        out.append(np.asarray(path, dtype="int64"))
    return out


def _dem_label(path: Path, model: FlowModel, dem_label: str | None) -> str:
    """``GEBCO 2023 15" (~337 m x 463 m)``: the given label or the file name (a
    ``gebcoYYYY`` file is called ``GEBCO YYYY``), the resolution, the metric cell."""
    import re

    m = re.search(r"gebco_?(\d{4})", path.name, flags=re.IGNORECASE)
    name = dem_label or (f"GEBCO {m.group(1)}" if m else path.name)
    if model.crs.is_geographic:
        sec = abs(model.transform.a) * 3600
        res = f'{sec:g}"' if abs(sec - round(sec)) < 1e-6 else f"{abs(model.transform.a):g} deg"
    else:
        res = f"{abs(model.transform.a):g} m"
    return f"{name} {res} (~{model.dx_m:.0f} m x {model.dy_m:.0f} m)"


def derive_rivers(
    dem_path: str | Path,
    boundary: gpd.GeoDataFrame | None = None,
    anchors: HydroAnchors | str | Path | None = None,
    *,
    threshold_km2: float = DEFAULT_THRESHOLD_KM2,
    water_bodies: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    dem_label: str | None = None,
    dem_licence: str = "",
    clip_buffer_m: float = DEFAULT_CLIP_BUFFER_M,
    keep_unnamed: bool = True,
    flats: str = "priority_flood",
    reference_rivers: gpd.GeoDataFrame | None = None,
    report: dict[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    """Derive a named river network from a DEM, in the canonical ``rivers`` schema.

    Parameters
    ----------
    dem_path
        The DEM (default data: ``gebco2023_almaty_dem.tif``).
    boundary
        Agglomeration boundary (working CRS); streams are clipped to it plus
        ``clip_buffer_m``. ``None``: the whole DEM.
    anchors
        Anchors file or object; ``None`` reads ``layers/hydro_anchors.yaml``. Pass an
        empty ``HydroAnchors`` for an unnamed network.
    threshold_km2
        Upstream area from which a cell is a stream.
    water_bodies
        Reservoir/lake polygons (working CRS): sinks of the routing; streams are cut at
        their shorelines; outlets in the anchors file re-inject their inflow.
    places
        Settlements (working CRS; ``name``/``name_ru``/``name_kk``/``name_en``) used to
        place settlement anchors.
    dem_label, dem_licence
        How to name the DEM in ``accuracy`` (default: the file name) and its licence.
    keep_unnamed
        Keep unnamed streams (they get the default water-protection rule).
    flats
        ``"priority_flood"`` (default) or ``"barnes"``, see the module notes.
    reference_rivers
        Reference river lines (working CRS, e.g. the WDBII Ili): the derived Ili is
        compared with them by :func:`ili_offset` *before* clipping to the boundary;
        the result goes to ``report["ili_offset"]`` (and flat ``ili_offset_mean_m``,
        ``ili_offset_median_m``, ``ili_offset_p90_m``, ``ili_offset_n_points``).
    report
        If a dict is given it receives figures: cells, seconds, anchors (resolved or why
        not), named rivers and their lengths, the Ili offset.

    Returns
    -------
    geopandas.GeoDataFrame
        One feature per segment, working CRS, canonical ``rivers`` columns
        (``name`` empty for unnamed streams; ``kind`` ``river`` if named else ``stream``;
        ``length_km`` of the feature; ``strahler``; ``accuracy`` ``derived from DEM
        <label> <res>``; ``source`` ``derived: D8 flow routing ...``) plus
        :data:`EXTRA_COLUMNS`: ``upstream_km2`` (at the segment's downstream end),
        ``river_length_km`` (whole river, from the anchors file), ``river_id``,
        ``anchors`` (ids used), ``name_reading`` (how the name was given).
    """
    t0 = time.perf_counter()
    path = Path(dem_path)
    if boundary is not None:
        require_working_crs(boundary, name="boundary")
    if water_bodies is not None and len(water_bodies):
        require_working_crs(water_bodies, name="water_bodies")
    if places is not None and len(places):
        require_working_crs(places, name="places")
    if reference_rivers is not None and len(reference_rivers):
        require_working_crs(reference_rivers, name="reference_rivers")
    if anchors is None or isinstance(anchors, (str, Path)):
        anchors = load_anchors(anchors)
    outlets = []
    for o in anchors.outlets:
        if o.place.lon is None or o.place.lat is None:
            continue
        for name in o.water_body:
            outlets.append((name, o.place.lon, o.place.lat, o.snap_m))
    model = route(path, water_bodies=water_bodies, outlets=outlets, flats=flats)
    streams = model.stream_mask(threshold_km2)
    resolved = resolve_anchors(model, anchors, streams, places)
    rivers = list(anchors.rivers)
    number = {r.id: i + 1 for i, r in enumerate(rivers)}
    pairs = [(ra.cell, number[ra.river_id]) for ra in resolved if ra.cell is not None]
    for ra in resolved:
        lvl = logging.INFO if ra.cell is not None else logging.WARNING
        log.log(lvl, "anchor %s: %s", ra.anchor.id, ra.note)
    extend = {number[r.id] for r in rivers if any(a.extend_upstream for a in r.anchors)}
    label = name_network(
        model.idxs_ds,
        model.upstream_km2,
        streams,
        pairs,
        trunk=[number[r.id] for r in rivers if r.trunk],
        extend_upstream=extend,
        stop_cells=model.outlets.values(),
        parent={number[r.id]: number[r.tributary_of] for r in rivers if r.tributary_of},
    )
    lab_flat = label.ravel()
    for i, ra in enumerate(resolved):
        if ra.cell is not None and lab_flat[ra.cell] != number[ra.river_id]:
            other = int(lab_flat[ra.cell])
            on = rivers[other - 1].name if other else "an unnamed stream"
            resolved[i] = ResolvedAnchor(
                ra.river_id,
                ra.anchor,
                None,
                ra.distance_m,
                f"{ra.note}, but the cell lies on the derived main stem of {on}: not used",
            )
            log.warning("anchor %s: %s", ra.anchor.id, resolved[i].note)
    strahler = model.strahler(streams).ravel()
    segs = stream_segments(model.idxs_ds, streams, label)
    lines, recs = [], []
    upa = model.upstream_km2.ravel()
    ids_flat = model.idxs_ds
    used: dict[str, list[str]] = {}
    for ra in resolved:
        if ra.cell is not None:
            used.setdefault(ra.river_id, []).append(ra.anchor.id)
    for seg in segs:
        if len(seg) < 2:
            continue
        first = int(seg[0])
        own_last = int(seg[-1]) if ids_flat[seg[-1]] == seg[-1] else int(seg[-2])
        lab = int(lab_flat[first])
        if lab == 0 and not keep_unnamed:
            continue
        x, y = model.xy(seg)
        lines.append(shapely.linestrings(np.column_stack([x, y])))
        recs.append(
            {"label": lab, "strahler": int(strahler[first]), "upstream_km2": float(upa[own_last])}
        )
    acc = "derived from DEM " + _dem_label(path, model, dem_label)
    method = (
        "priority-flood D8, pyflwdir"
        if flats == "priority_flood"
        else ("Barnes flats + steepest D8, pysheds; pyflwdir accumulation")
    )
    src = (
        f"derived: D8 flow routing ({method}) on {path.name}, "
        f"streams >= {threshold_km2:g} km2 upstream"
    )
    if not lines:
        out = conform("rivers", gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WORKING_CRS)))
        return _with_extras(out)
    gdf = gpd.GeoDataFrame(
        pd.DataFrame.from_records(recs), geometry=gpd.GeoSeries(lines, crs=model.crs)
    )
    gdf = to_working_crs(gdf, name=path.name)
    if water_bodies is not None and len(water_bodies):
        water_union = shapely.union_all(water_bodies.geometry.to_numpy())
        gdf["geometry"] = gdf.geometry.difference(water_union)
    by_num = {number[r.id]: r for r in rivers}
    gdf["name"] = pd.array([by_num[v].name if v else pd.NA for v in gdf["label"]], dtype="string")
    gdf["name_ru"] = pd.array(
        [by_num[v].name_ru if v else pd.NA for v in gdf["label"]], dtype="string"
    )
    offset = None
    if reference_rivers is not None and len(reference_rivers):
        # before clipping to the boundary: the Ili below the dam lies outside it
        offset = ili_offset(
            gdf.loc[~gdf.geometry.is_empty],
            reference_rivers,
            dem_path=path,
            water_bodies=water_bodies,
        )
        log.info(
            "derived Ili vs reference Ili: mean %.0f m, median %.0f m, p90 %.0f m",
            offset["mean_m"],
            offset["median_m"],
            offset["p90_m"],
        )
    if boundary is not None and len(boundary):
        area = shapely.union_all(boundary.geometry.to_numpy()).buffer(clip_buffer_m)
        gdf["geometry"] = gdf.geometry.intersection(area)
    present = ~shapely.is_missing(gdf.geometry.to_numpy())
    gdf = gdf.loc[present & ~gdf.geometry.is_empty.to_numpy()].copy()
    gdf["geometry"] = [_multiline(g) for g in gdf.geometry]
    gdf = gdf.loc[~shapely.is_missing(gdf.geometry.to_numpy())].reset_index(drop=True)
    readings = {r.id: _name_reading(r, used.get(r.id, [])) for r in rivers}
    gdf["river_id"] = pd.array([by_num[v].id if v else pd.NA for v in gdf["label"]], dtype="string")
    gdf["kind"] = pd.array(["river" if v else "stream" for v in gdf["label"]], dtype="string")
    gdf["length_km"] = gdf.geometry.length / 1000.0
    gdf["strahler"] = gdf["strahler"].astype("Int64")
    gdf["river_length_km"] = pd.array(
        [by_num[v].length_km if v else None for v in gdf["label"]], dtype="float64"
    )
    gdf["anchors"] = pd.array(
        [",".join(used.get(by_num[v].id, [])) if v else pd.NA for v in gdf["label"]], dtype="string"
    )
    gdf["name_reading"] = pd.array(
        [readings[by_num[v].id] if v else "unnamed: default rule" for v in gdf["label"]],
        dtype="string",
    )
    gdf["source"] = pd.array([src] * len(gdf), dtype="string")
    gdf["licence"] = pd.array([dem_licence] * len(gdf), dtype="string")
    gdf["accuracy"] = pd.array([acc] * len(gdf), dtype="string")
    gdf = gdf.drop(columns="label")
    out = _with_extras(conform("rivers", gdf))
    if report is not None:
        named = out.loc[out["name"].notna()].groupby("name")["length_km"].sum()
        report.update(
            {
                "dem": str(path),
                "cells": int(model.valid.sum()),
                "cell_m": [round(model.dx_m, 1), round(model.dy_m, 1)],
                "threshold_km2": threshold_km2,
                "routing_seconds": round(model.seconds, 2),
                "seconds": round(time.perf_counter() - t0, 2),
                "features": len(out),
                "named_km": {k: round(float(v), 1) for k, v in named.items()},
                "anchors": {ra.anchor.id: ra.note for ra in resolved},
                "unresolved_anchors": [ra.anchor.id for ra in resolved if ra.cell is None],
                "outlets": len(model.outlets),
                "accuracy": acc,
                "ili_offset": offset,
                **(
                    {
                        f"ili_offset_{k}": v
                        for k, v in offset.items()
                        if k in ("mean_m", "median_m", "p90_m", "n_points")
                    }
                    if offset
                    else {}
                ),
            }
        )
    log.info(
        "derived %d river features (%d named) from %s in %.1f s",
        len(out),
        int(out["name"].notna().sum()),
        path.name,
        time.perf_counter() - t0,
    )
    return out


def _name_reading(river: HydroRiver, used: list[str]) -> str:
    parts = []
    for a in river.anchors:
        if a.id not in used:
            continue
        tag = a.citation + ("" if a.verified else ", unverified")
        parts.append(f"{a.id} ({a.place.label}; {tag})")
    if not parts:
        return "no anchor resolved"
    return "named from DEM network by anchors: " + "; ".join(parts)


def _multiline(g: Any) -> Any:
    if g is None or g.is_empty:
        return None
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "LineString" and p.length > 0]
    if not parts:
        return None
    return shapely.MultiLineString(parts)


def _with_extras(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    for c, t in EXTRA_COLUMNS.items():
        if c not in gdf.columns:
            gdf[c] = pd.Series(pd.NA, index=gdf.index, dtype=t)
        else:
            gdf[c] = gdf[c].astype(t)
    geom = gdf.geometry.name
    cols = [c for c in gdf.columns if c != geom] + [geom]
    return gdf[cols]


# --------------------------------------------------------------------------- merging


_RIVER_WORDS = ("река", "реки", "р", "river", "r", "озени", "өзені", "өзен", "озен")


def river_key(name: Any) -> str:
    """Spelling-tolerant key of a river name (``"р. Тургень"`` → ``"турген"``)."""
    if name is None or (isinstance(name, float) and math.isnan(name)) or name is pd.NA:
        return ""
    text = str(name).strip()
    low = text.lower().replace(".", " ").split()
    words = [w for w in low if w not in _RIVER_WORDS]
    return loose_name(" ".join(words))


def merge_rivers(
    real: gpd.GeoDataFrame,
    derived: gpd.GeoDataFrame,
    *,
    aliases: Iterable[Iterable[str]] | None = None,
    cover_distance_m: float = 1000.0,
    cover_share: float = 0.5,
) -> gpd.GeoDataFrame:
    """Combine real river lines (user/OSM) with derived ones; real data wins.

    Rules:

    1. A named real river replaces every derived feature of the same river: names are
       compared by :func:`river_key` over ``name``, ``name_ru``, ``name_kk``, ``name_en``,
       ``int_name`` and ``old_name``, and two names are the same river when they share
       a key or appear in one ``aliases`` group (default: the anchors file's names and
       aliases).
    2. Unnamed real rivers are kept as they are.
    3. A derived *unnamed* stream is dropped when at least ``cover_share`` of its length
       lies within ``cover_distance_m`` of a real river (it is the same watercourse).
    4. All other derived features are kept.

    Both inputs must be in the working CRS; the result has the columns of both.
    """
    require_working_crs(real, name="real rivers")
    require_working_crs(derived, name="derived rivers")
    if aliases is None:
        try:
            aliases = [r.all_names for r in load_anchors().rivers]
        except Exception:
            aliases = []
    group_of: dict[str, int] = {}
    for i, names in enumerate(aliases):
        for n in names:
            k = river_key(n)
            if k:
                group_of.setdefault(k, i)

    def keys(df: gpd.GeoDataFrame) -> list[set[Any]]:
        out = []
        for _, row in df.iterrows():
            ks: set[Any] = set()
            for c in ("name", "name_ru", "name_kk", "name_en", "int_name", "old_name"):
                if c in df.columns:
                    k = river_key(row[c])
                    if k:
                        ks.add(k)
                        if k in group_of:
                            ks.add(("group", group_of[k]))
            out.append(ks)
        return out

    real_keys = keys(real)
    real_named: set[Any] = set().union(*real_keys) if real_keys else set()
    der_keys = keys(derived)
    drop = np.zeros(len(derived), dtype=bool)
    for i, ks in enumerate(der_keys):
        if ks and ks & real_named:
            drop[i] = True
    if len(real):
        cover = shapely.union_all(real.geometry.to_numpy()).buffer(cover_distance_m)
        for i, (ks, g) in enumerate(zip(der_keys, derived.geometry, strict=True)):
            if ks or drop[i] or g is None or g.is_empty or g.length == 0:
                continue
            if g.intersection(cover).length / g.length >= cover_share:
                drop[i] = True
    kept = derived.loc[~drop]
    log.info(
        "merge_rivers: %d real features, %d of %d derived kept", len(real), len(kept), len(derived)
    )
    parts = [p for p in (real, kept) if len(p)]
    if not parts:
        return real.iloc[0:0].copy()
    merged = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry=merged.geometry.name, crs=WORKING_CRS)


# --------------------------------------------------------------------------- comparison


def sample_points(lines: Iterable[Any], step_m: float) -> np.ndarray:
    """Points every ``step_m`` along each line part (from its start; the end included)."""
    pts = []
    for g in lines:
        if g is None or g.is_empty:
            continue
        for part in shapely.get_parts(shapely.line_merge(g)):
            d = np.append(np.arange(0.0, part.length, step_m), part.length)
            pts.extend(shapely.line_interpolate_point(part, d))
    return np.asarray(pts, dtype=object)


def compare_with_reference(
    derived: gpd.GeoDataFrame | gpd.GeoSeries,
    reference: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    window: Any = None,
    exclude: Any = None,
    step_m: float = 500.0,
) -> dict[str, float | int]:
    """Distances from points along ``reference`` to the nearest ``derived`` line.

    Points are sampled every ``step_m`` along the reference lines; those outside
    ``window`` (a polygon: the DEM footprint) or inside ``exclude`` (e.g. the reservoir)
    are dropped. Both inputs in the working CRS.

    Returns
    -------
    dict
        ``n_points``, ``mean_m``, ``median_m``, ``p90_m``, ``max_m``, ``step_m``,
        ``reference_km`` (length of reference sampled). Distances are NaN if nothing
        is left to compare.
    """
    require_working_crs(derived, name="derived")
    require_working_crs(reference, name="reference")
    pts = sample_points(reference.geometry if hasattr(reference, "geometry") else reference, step_m)
    if len(pts) and window is not None:
        pts = pts[shapely.within(pts, window)]
    if len(pts) and exclude is not None:
        pts = pts[~shapely.intersects(pts, exclude)]
    target = shapely.union_all(np.asarray(derived.geometry, dtype=object))
    if len(pts) == 0 or target is None or target.is_empty:
        nan = float("nan")
        return {
            "n_points": len(pts),
            "mean_m": nan,
            "median_m": nan,
            "p90_m": nan,
            "max_m": nan,
            "step_m": step_m,
            "reference_km": 0.0,
        }
    d = shapely.distance(pts, target)
    return {
        "n_points": len(d),
        "mean_m": round(float(np.mean(d)), 1),
        "median_m": round(float(np.median(d)), 1),
        "p90_m": round(float(np.percentile(d, 90)), 1),
        "max_m": round(float(np.max(d)), 1),
        "step_m": step_m,
        "reference_km": round(len(d) * step_m / 1000.0, 1),
    }


ILI_NAMES = ("Ili", "Иле", "Или", "Іле", "Ile")


def dem_footprint(dem_path: str | Path) -> Any:
    """The DEM's extent as a polygon in the working CRS (densified edges)."""
    with rasterio.open(dem_path) as src:
        b = src.bounds
        crs = src.crs
    box = shapely.segmentize(
        shapely.box(b.left, b.bottom, b.right, b.top), (b.right - b.left) / 100
    )
    return gpd.GeoSeries([box], crs=crs.to_wkt()).to_crs(WORKING_CRS).iloc[0]


def ili_offset(
    derived: gpd.GeoDataFrame,
    reference_rivers: gpd.GeoDataFrame,
    *,
    dem_path: str | Path | None = None,
    water_bodies: gpd.GeoDataFrame | None = None,
    step_m: float = 500.0,
) -> dict[str, Any]:
    """The derived Ili against a reference Ili (WDBII): :func:`compare_with_reference`.

    Picks features named Ili (any spelling in :data:`ILI_NAMES`) in both layers, samples
    the reference inside the DEM footprint (shrunk by 1 km so edge effects are left
    out) and outside the water bodies. The result adds ``derived_km`` and a ``note``.
    """
    keys = {river_key(n) for n in ILI_NAMES}

    def pick(df: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        m = np.zeros(len(df), dtype=bool)
        for c in ("name", "name_ru"):
            if c in df.columns:
                m |= df[c].map(river_key).isin(keys).to_numpy()
        return df.loc[m]

    d, r = pick(derived), pick(reference_rivers)
    window = dem_footprint(dem_path).buffer(-1000) if dem_path is not None else None
    exclude = None
    if water_bodies is not None and len(water_bodies):
        exclude = shapely.union_all(water_bodies.geometry.to_numpy())
    res: dict[str, Any] = dict(
        compare_with_reference(d, r, window=window, exclude=exclude, step_m=step_m)
    )
    res["derived_km"] = round(float(d.geometry.length.sum()) / 1000.0, 1)
    res["note"] = (
        f"distance from points every {step_m:g} m along the reference Ili (inside the DEM "
        "window, outside water bodies) to the derived Ili"
    )
    return res
