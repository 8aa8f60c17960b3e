"""Reconstruct the agglomeration boundary from the scheme's words (L106-135).

The scheme describes its boundary in words only: parts of five districts and of the
Kapchagay city administration around Almaty (L90-93), Karasai and Talgar districts
entirely (L759-760), the south shore of Kapchagay reservoir in the north, Lake
Sorbulak in the west, the northern part of the Ile-Alatau national park in the south,
and named rural districts on the west and east (L106-123). The 189 settlements it
lists (Appendix 15) are the only spatial key to the partial districts. The toolkit
reconstructs the boundary by the method stated in ``layers/boundary.yaml`` (every
parameter and every textual anchor is data there, with its quote and seed lines):

1. **Territories** (:func:`district_territories`): each district / city
   administration named by the scheme is the union of its admin polygons of
   ``admin_year`` (KATO prefixes), corrected by ``annex`` entries where a later
   layer shows territory the older layer files under another district (the 2018
   layer's Kapchagay is the town only; its rural districts sit in "Talgar").
2. **Whole territories** (``treatment: whole``) are taken entirely, except their land
   beyond the northern water line (``water_line``: the reservoir and its river below
   the dam, :func:`clip_beyond_water`): the text's north line runs along the south
   shore (L115-116), and only listed places of partial territories lie beyond it.
3. **Partial territories**: the territory is split into Voronoi cells of the
   settlement points inside it (:func:`voronoi_cells`), an approximation of its
   rural districts, each cell limited to the reach around its point and to its
   point's side of the water line (:func:`seed_bank`); the cells whose settlement
   Appendix 15 lists are kept and merged per rural district
   (:func:`merge_rural_districts`; a rural district without any real point stands on
   its placed village, ``placed_seeds``);
   enclosed holes are filled (``fill_holes``); the reservoir's water is cut off when
   ``reservoir.mode`` is ``shore`` (the boundary "passes along the south shore").
   **Shore band** (:func:`shore_band`): a partial territory flagged ``reaches_shore``
   also takes its land lying between the agglomeration's body and the reservoir's
   south shore, column by column due (grid) north, where that gap is under
   ``shore_band.max_gap_km`` (the northern boundary "passes along the south shore of
   Kapchagay reservoir", L115-116; Kapchagay town on the western shore, L130-131,
   counts as shore); the band is then closed and hole-filled like kept land.
4. **Named features**: Lake Sorbulak (no polygon in the data) is located from the
   DEM (the lake is a flat surface in GEBCO) around a stated seed point, with a disc
   of stated area as fallback (:func:`sorbulak_polygon`), and added, joined to the
   nearest kept cell by their convex hull (the boundary "bends around it from the
   north", so the lake and the land between it and the listed settlements are in).
   The national park has no polygon: its northern part is approximated by the
   southern extent of the kept cells and whole districts (``national_park``).

5. **Outline** (``outline``): the union of all parts is one outer line: holes are
   filled (they are left where unlisted points of one territory are enclosed by kept
   land of others, and as slivers where admin polygons of different years do not meet
   exactly), except excluded reservoir water; parts under ``min_part_ha`` (slivers
   of the admin layer) are dropped.

The result is one feature labelled ``derived`` with its method, and per-territory
parts for transparency; :func:`boundary_figures` compares the area with the scheme's
939.49 thousand ha (Appendix 1, L3741) and the reservoir surface inside with the
scheme's 33 897.7 ha (L639-641).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from rasterio.windows import from_bounds
from scipy import ndimage
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from almaty_scheme.catalogue.boundary_models import (
    BoundaryConfig,
    LakeSpec,
    OutlineSpec,
    PartialMethod,
)
from almaty_scheme.catalogue.datafile import load_model
from almaty_scheme.catalogue.registry import shipped_path
from almaty_scheme.crs import WORKING_CRS, require_working_crs
from almaty_scheme.errors import DataError

log = logging.getLogger(__name__)

BOUNDARY_FILE = "boundary.yaml"
ACCURACY = "derived from scheme text and admin boundaries"
SOURCE = "derived: layers/boundary.yaml (admin units 2018 + Appendix 15 settlements)"


def load_boundary_config(path: str | Path | None = None) -> BoundaryConfig:
    """Load ``layers/boundary.yaml`` (or ``path``) with its strict schema.

    Raises
    ------
    CatalogueError
        Listing every problem of the file.
    """
    p = Path(path) if path is not None else shipped_path(BOUNDARY_FILE)
    return load_model(p, BoundaryConfig)


# ---------------------------------------------------------------------------- geometry


def _polygonal(geom: BaseGeometry | None) -> BaseGeometry:
    """Only the polygon parts of ``geom`` (an empty polygon if none)."""
    if geom is None or geom.is_empty:
        return Polygon()
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    return shapely.union_all(parts) if parts else Polygon()


def as_multipolygon(geom: BaseGeometry | None) -> MultiPolygon:
    """``geom``'s polygon parts as a MultiPolygon (empty if none)."""
    g = _polygonal(geom)
    if g.is_empty:
        return MultiPolygon()
    if isinstance(g, Polygon):
        return MultiPolygon([g])
    assert isinstance(g, MultiPolygon)
    return g


def fill_holes(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with every interior ring removed."""
    g = _polygonal(geom)
    polys = [g] if isinstance(g, Polygon) else list(getattr(g, "geoms", []))
    return shapely.union_all([Polygon(p.exterior) for p in polys if not p.is_empty])


def voronoi_cells(points: gpd.GeoSeries, region: BaseGeometry) -> gpd.GeoSeries:
    """Voronoi cells of ``points`` clipped to ``region``, aligned with ``points``' index.

    Every location of ``region`` belongs to the cell of its nearest point (ties on
    the bisector belong to both cells' boundaries). Points at identical coordinates
    share one cell, given to the first of them (the others get an empty polygon).
    One point gets the whole region.

    Examples
    --------
    Two points at (0.5, 1) and (1.5, 1) split the square (0, 0)-(2, 2) into two
    rectangles of area 2.
    """
    out = gpd.GeoSeries([Polygon()] * len(points), index=points.index, crs=points.crs)
    if len(points) == 0 or region.is_empty:
        return out
    coords = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    _, first = np.unique(coords, axis=0, return_index=True)
    first = np.sort(first)
    if len(first) == 1:
        out.iloc[int(first[0])] = _polygonal(region)
        return out
    mp = shapely.MultiPoint(coords[first])
    env = shapely.box(*shapely.union(region.envelope, mp.envelope).buffer(1.0).bounds)
    cells = shapely.voronoi_polygons(mp, extend_to=env, ordered=True)
    geoms = list(cells.geoms)
    for k, pos in enumerate(first):
        out.iloc[int(pos)] = _polygonal(shapely.intersection(geoms[k], region))
    return out


def sweep(geom: BaseGeometry | None, dx: float, dy: float) -> BaseGeometry:
    """The area ``geom``'s polygons cover when moved along the vector (``dx``, ``dy``).

    This is the Minkowski sum of the polygons with the segment from (0, 0) to
    (``dx``, ``dy``): the union of the polygons, their translate by the vector and,
    for every edge, the parallelogram the edge sweeps. A point is in the result iff
    a point of ``geom`` lies behind it along the vector at a distance of at most the
    vector's length. Non-polygon parts of ``geom`` are ignored.

    Examples
    --------
    The 1 x 1 square swept 2 north is the rectangle (0, 0)-(1, 3), area 3.
    """
    g = _polygonal(geom)
    if g.is_empty or (dx == 0 and dy == 0):
        return g
    v = np.array([dx, dy], dtype=float)
    pieces: list[BaseGeometry] = [g, shapely.transform(g, lambda c: c + v)]
    for poly in shapely.get_parts(g):
        if poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            c = np.asarray(ring.coords)[:, :2]
            a, b = c[:-1], c[1:]
            e = b - a
            swept = np.abs(e[:, 0] * v[1] - e[:, 1] * v[0]) > 0  # edges along v sweep nothing
            a, b = a[swept], b[swept]
            if len(a):
                quads = np.stack([a, b, b + v, a + v, a], axis=1)
                pieces.extend(shapely.polygons(quads))
    return _polygonal(shapely.union_all(pieces))


def shore_band(
    region: BaseGeometry,
    body: BaseGeometry,
    shore: BaseGeometry,
    water: BaseGeometry,
    max_gap_m: float,
) -> BaseGeometry:
    """Land of ``region`` between ``body`` and ``shore`` along grid north (L115-116).

    A point of ``region`` outside ``water`` belongs to the band iff, on its north-south
    line (a column of EPSG:32643), the first thing due north of it is ``shore``, some
    ``body`` lies due south of it, and the gap between them is under ``max_gap_m``
    (at exactly ``max_gap_m`` body and shore only touch after the sweep: nothing).
    Formally, with ``S(g, d)`` the sweep of ``g`` by ``d`` metres north
    (:func:`sweep`, negative = south), ``g`` = ``max_gap_m`` and ``body'`` = ``body``
    outside ``shore``::

        H    = shore ∩ S(body', g)     shore points with body at most g due south
        K    = body' − S(shore, g)     body not lying just north of the shore
        band = region ∩ S(H, −g) ∩ S(body, g) − S(K, −g) − water

    A column whose gap exceeds ``max_gap_m`` contributes nothing (no floating strip in
    its middle), and gaps between two pieces of body in one column are not the band's
    (``K`` north of them takes them out; closing and hole filling deal with them),
    while body beyond the water (north shore) does not block. The band includes the
    parts of ``region`` already in ``body`` (union it with the kept land; no sliver is
    left between them).

    Parameters
    ----------
    region
        The territory the band may take land from.
    body
        The agglomeration's land reconstructed so far (whole territories and kept
        cells), without water.
    shore
        The reservoir and the cells of settlements the text puts on its shore.
    water
        Water surface the band never takes (the reservoir).
    max_gap_m
        Body-to-shore gaps (metres) narrower than this are filled.

    Examples
    --------
    A 10 km wide body with its top at y = 10 km and water from y = 20 km: with
    ``max_gap_m`` 15 000 the band adds the 10 x 10 km between them; with 9 000 nothing.
    """
    if max_gap_m <= 0:
        raise ValueError("max_gap_m must be positive")
    region, body, shore = _polygonal(region), _polygonal(body), _polygonal(shore)
    if region.is_empty or body.is_empty or shore.is_empty:
        return Polygon()
    body_free = _polygonal(shapely.difference(body, shore))
    reach = _polygonal(shapely.intersection(shore, sweep(body_free, 0.0, max_gap_m)))
    if reach.is_empty:
        return Polygon()
    band = shapely.intersection(sweep(reach, 0.0, -max_gap_m), sweep(body, 0.0, max_gap_m))
    band = _polygonal(shapely.intersection(_polygonal(band), region))
    blockers = _polygonal(shapely.difference(body_free, sweep(shore, 0.0, max_gap_m)))
    if not blockers.is_empty:
        band = _polygonal(shapely.difference(band, sweep(blockers, 0.0, -max_gap_m)))
    return _polygonal(shapely.difference(band, _polygonal(water)))


def sorbulak_polygon(dem_path: Path | None, lake: LakeSpec) -> tuple[BaseGeometry, str]:
    """Polygon of a lake that the DEM shows as a flat surface, and how it was found.

    The DEM cells within ``search_radius_m`` of the seed (``lon``, ``lat``) whose
    elevation is at most ``dem_level_max_m`` and that are 4-connected to the cell
    nearest the seed form the lake. If the DEM is missing, the seed cell is above
    the level, or the region's area is outside ``min_area_ha``-``max_area_ha``, a
    disc of ``fallback_area_ha`` around the seed is used instead (and the method
    string says so).

    Returns
    -------
    (polygon, method)
        The polygon in EPSG:32643 and a one-line description.
    """
    seed = gpd.GeoSeries([Point(lake.lon, lake.lat)], crs="EPSG:4326").to_crs(WORKING_CRS)[0]
    radius = float(np.sqrt(lake.fallback_area_ha * 1e4 / np.pi))
    fallback = seed.buffer(radius, quad_segs=16)
    fb_method = (
        f"disc of {lake.fallback_area_ha:g} ha (r = {radius:.0f} m) around "
        f"{lake.lat:.4f} N {lake.lon:.4f} E"
    )
    if dem_path is None or not Path(dem_path).is_file():
        return fallback, fb_method + " (no DEM)"
    deg = lake.search_radius_m / 80_000.0  # generous: 1 degree of longitude >= 80 km here
    with rasterio.open(dem_path) as src:
        win = (
            from_bounds(
                lake.lon - deg, lake.lat - deg, lake.lon + deg, lake.lat + deg, src.transform
            )
            .round_offsets()
            .round_lengths()
        )
        z = src.read(1, window=win, masked=True)
        tr = src.window_transform(win)
        crs = src.crs
        r, c = rasterio.transform.rowcol(tr, lake.lon, lake.lat)
    if not (0 <= r < z.shape[0] and 0 <= c < z.shape[1]):
        return fallback, fb_method + " (seed outside the DEM)"
    low = np.ma.filled(z, np.iinfo(np.int32).max) <= lake.dem_level_max_m
    if not low[r, c]:
        return fallback, fb_method + f" (DEM at the seed is above {lake.dem_level_max_m:g} m)"
    labels, _ = ndimage.label(low)
    mask = labels == labels[r, c]
    shapes = [
        shapely.geometry.shape(g)
        for g, v in rasterio.features.shapes(mask.astype("uint8"), mask=mask, transform=tr)
        if v == 1
    ]
    poly = gpd.GeoSeries([shapely.union_all(shapes)], crs=crs).to_crs(WORKING_CRS)[0]
    poly = poly.intersection(seed.buffer(lake.search_radius_m, quad_segs=16))
    area_ha = poly.area / 1e4
    if not lake.min_area_ha <= area_ha <= lake.max_area_ha:
        return fallback, fb_method + (
            f" (the DEM's flat area of {area_ha:.0f} ha is outside "
            f"{lake.min_area_ha:g}-{lake.max_area_ha:g} ha)"
        )
    return poly, (
        f"DEM cells <= {lake.dem_level_max_m:g} m connected to {lake.lat:.4f} N "
        f"{lake.lon:.4f} E ({area_ha:.0f} ha)"
    )


def district_territories(admin_units: gpd.GeoDataFrame, config: BoundaryConfig) -> gpd.GeoDataFrame:
    """Territory polygons of the districts the scheme names (step 1).

    Parameters
    ----------
    admin_units
        Canonical ``admin_units`` (``kato``, ``level``, ``year``) in EPSG:32643.

    Returns
    -------
    GeoDataFrame
        ``territory``, ``name_ru``, ``treatment``, ``note``, geometry (MultiPolygon),
        one row per territory in config order.

    Raises
    ------
    DataError
        If a territory's KATO codes match no admin unit of the stated year.
    """
    require_working_crs(admin_units, name="admin_units")
    au = admin_units
    if "level" in au.columns:
        au = au[au["level"].astype("Int64").fillna(2) == 2]
    kato = au["kato"].astype("string").fillna("")
    year = au["year"].astype("Int64") if "year" in au.columns else pd.Series(pd.NA, index=au.index)

    def union_of(y: int, prefixes: list[str]) -> BaseGeometry:
        sel = au[(year == y).fillna(False) & kato.str.startswith(tuple(prefixes))]
        return shapely.union_all(sel.geometry.to_numpy()) if len(sel) else Polygon()

    problems = []
    geoms: dict[str, BaseGeometry] = {}
    notes: dict[str, list[str]] = {t.id: [] for t in config.territories}
    for t in config.territories:
        g = union_of(config.admin_year, t.kato_prefixes)
        if g.is_empty:
            problems.append(
                f"territory {t.id!r}: no admin unit of {config.admin_year} has a KATO starting "
                f"with {', '.join(t.kato_prefixes)}; check admin_units or layers/boundary.yaml."
            )
        geoms[t.id] = g
    if problems:
        raise DataError("The district territories cannot be built", problems)
    for t in config.territories:
        for a in t.annex:
            other = union_of(a.year, a.kato_prefixes)
            if other.is_empty:
                raise DataError(
                    f"territory {t.id!r}: annex source is empty",
                    [
                        f"No admin unit of {a.year} has a KATO starting with "
                        f"{', '.join(a.kato_prefixes)}; supply admin units of {a.year} or remove "
                        "the annex from layers/boundary.yaml."
                    ],
                )
            for src_id in a.from_territories:
                moved = _polygonal(shapely.intersection(geoms[src_id], other))
                geoms[src_id] = _polygonal(shapely.difference(geoms[src_id], moved))
                geoms[t.id] = _polygonal(shapely.union(geoms[t.id], moved))
                notes[t.id].append(f"+{moved.area / 1e7:.1f} thousand ha from {src_id}")
                notes[src_id].append(f"-{moved.area / 1e7:.1f} thousand ha to {t.id}")
    rows = [
        {
            "territory": t.id,
            "name_ru": t.name_ru,
            "treatment": t.treatment,
            "note": "; ".join(notes[t.id]),
        }
        for t in config.territories
    ]
    return gpd.GeoDataFrame(
        rows,
        geometry=[as_multipolygon(geoms[t.id]) for t in config.territories],
        crs=WORKING_CRS,
    )


@dataclass
class BoundaryResult:
    """The boundary, its parts and the comparison figures."""

    boundary: gpd.GeoDataFrame
    parts: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    figures: dict[str, Any] = field(default_factory=dict)
    rural_districts: gpd.GeoDataFrame | None = None
    """One row per merged rural district (``partial_method.rural_districts``)."""


def _placed_mask(s: gpd.GeoDataFrame) -> pd.Series:
    if "placement" not in s.columns:
        return pd.Series(False, index=s.index)
    return s["placement"].astype("string").str.startswith("placed").fillna(False).astype(bool)


def _rd_key(s: gpd.GeoDataFrame) -> pd.Series:
    """(district, rural district) of each listed point as one text key, NA otherwise."""
    if "rural_district" not in s.columns or "district" not in s.columns:
        return pd.Series(pd.NA, index=s.index, dtype="string")
    rd = s["rural_district"].astype("string").str.strip()
    key = s["district"].astype("string").fillna("") + " / " + rd
    ok = rd.fillna("").ne("") & s["in_appendix15"].astype(bool)
    return key.where(ok, pd.NA).astype("string")


def _seeds(settlements: gpd.GeoDataFrame, method: PartialMethod) -> gpd.GeoDataFrame:
    """The Voronoi seeds: real named points; placed points only where ``placed_seeds``
    lets a rural district without any real point stand on its placed place (one seed per
    rural district, when its accuracy is within the cells' reach)."""
    s = settlements
    placed = _placed_mask(s)
    extra = s.iloc[0:0]
    if method.placed_seeds and placed.any() and "accuracy_m" in s.columns:
        key = _rd_key(s)
        real_rd = set(key[~placed].dropna())
        reach = (method.cell_radius_km or np.inf) * 1000.0
        acc = pd.to_numeric(s["accuracy_m"], errors="coerce")
        cand = placed & key.notna() & ~key.isin(real_rd) & (acc <= reach).fillna(False)
        extra = s[cand].loc[~key[cand].duplicated()]
    s = s[~placed]
    if "status" in s.columns and method.seed_exclude_status:
        s = s[~s["status"].astype("string").isin(method.seed_exclude_status).fillna(False)]
    if method.seed_require_name:
        named = pd.Series(False, index=s.index)
        for c in ("name", "name_ru", "name_kk", "scheme_name"):
            if c in s.columns:
                named |= s[c].astype("string").str.strip().fillna("").ne("")
        s = s[named]
    return pd.concat([s, extra]) if len(extra) else s


def tidy_outline(
    geom: BaseGeometry, water: BaseGeometry, spec: OutlineSpec
) -> tuple[MultiPolygon, str]:
    """The final union as one outer line per part (step 5 of the module docstring).

    With ``spec.fill_holes`` every interior ring is removed, but water of ``water``
    that was outside ``geom`` stays outside (an enclosed, excluded stretch of the
    reservoir is not filled). Parts smaller than ``spec.min_part_ha`` are dropped.

    Returns
    -------
    (MultiPolygon, note)
        The tidied geometry and a note for the method string ("" if nothing changed).
    """
    g = as_multipolygon(geom)
    notes = []
    if spec.fill_holes and not g.is_empty:
        filled = _polygonal(fill_holes(g))
        excluded = _polygonal(shapely.difference(_polygonal(water), g))
        if not excluded.is_empty:
            filled = _polygonal(shapely.difference(filled, excluded))
        added = filled.area - g.area
        g = as_multipolygon(shapely.make_valid(filled))
        if added > 0:
            notes.append(f"holes filled (+{added / 1e4:,.1f} ha)")
    if spec.min_part_ha > 0 and not g.is_empty:
        small = [p for p in g.geoms if p.area < spec.min_part_ha * 1e4]
        if small:
            g = MultiPolygon([p for p in g.geoms if p.area >= spec.min_part_ha * 1e4])
            notes.append(
                f"{len(small)} part(s) under {spec.min_part_ha:g} ha dropped "
                f"({sum(p.area for p in small) / 1e4:,.2f} ha)"
            )
    return g, ("; outline: " + ", ".join(notes)) if notes else ""


def _close_and_fill(
    kept: BaseGeometry, tgeom: BaseGeometry, method: PartialMethod
) -> tuple[BaseGeometry, str]:
    """Close gaps under 2 x ``closing_km`` and fill holes, within the territory."""
    how = ""
    closing = method.closing_km * 1000.0
    if closing > 0 and not kept.is_empty:
        kept = _polygonal(
            shapely.intersection(
                kept.buffer(closing, quad_segs=16).buffer(-closing, quad_segs=16), tgeom
            )
        )
        how += f", gaps under {2 * closing / 1000:g} km closed"
    if method.fill_holes and not kept.is_empty:
        kept = _polygonal(shapely.intersection(fill_holes(kept), tgeom))
        how += ", holes filled"
    return kept, how


def _add_shore_bands(
    parts: list[dict[str, Any]],
    territories: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    reservoir: BaseGeometry,
    config: BoundaryConfig,
) -> str:
    """Extend the kept land of ``reaches_shore`` territories to the south shore (step 3).

    The body is the land of every part so far (whole territories and kept land of
    partial ones, before any water operation) minus the reservoir; the shore is the
    reservoir plus the kept cells of ``shore_band.shore_settlements``. Each band
    (:func:`shore_band`) is added to its territory's kept land, which is then closed
    and hole-filled again (``partial_method``) so no sliver is left. Updates
    ``parts`` in place and returns a note for the boundary's method.
    """
    spec = config.shore_band
    flagged = {t.id for t in config.territories if t.reaches_shore}
    if spec is None or not flagged:
        return ""
    if reservoir.is_empty:
        log.warning("no %s polygon in water_bodies: no shore band", config.reservoir.kind)
        return f"; no shore band (no {config.reservoir.kind} polygon)"
    body = _polygonal(
        shapely.difference(shapely.union_all([_polygonal(p["geometry"]) for p in parts]), reservoir)
    )
    shore = reservoir
    anchors = []
    for ss in spec.shore_settlements:
        hit = (
            cells[
                cells["scheme_row"].astype("string").eq(ss.row_id).fillna(False)
                & cells["kept"].astype(bool)
            ]
            if len(cells)
            else cells
        )
        if not len(hit):
            log.warning(
                "shore settlement %s %s has no kept cell; the reservoir alone is the shore there",
                ss.row_id,
                ss.name_ru,
            )
            anchors.append(f"{ss.name_ru} (no kept cell)")
            continue
        shore = _polygonal(shapely.union(shore, shapely.union_all(hit.geometry.to_numpy())))
        anchors.append(ss.name_ru)
    gap = spec.max_gap_km * 1000.0
    for part in parts:
        if part["territory"] not in flagged or part["treatment"] != "partial":
            continue
        tgeom = territories.loc[territories["territory"] == part["territory"], "geometry"].iloc[0]
        band = shore_band(tgeom, body, shore, reservoir, gap)
        before = _polygonal(part["geometry"])
        if _polygonal(shapely.difference(band, before)).is_empty:
            part["method"] += (
                f", no land between the body and the shore within {spec.max_gap_km:g} km"
            )
            continue
        kept, how = _close_and_fill(
            _polygonal(shapely.union(before, band)), tgeom, config.partial_method
        )
        added = _polygonal(shapely.difference(kept, before)).area / 1e4
        part["geometry"] = kept
        part["shore_band_ha"] = added
        part["method"] += (
            f", shore band: its land up to the reservoir's south shore where "
            f"the gap north of the body is under {spec.max_gap_km:g} km "
            f"(+{added:,.0f} ha{how})"
        )
    return (
        f"; territories {', '.join(sorted(flagged))} extended to the south shore "
        f"(gaps up to {spec.max_gap_km:g} km; shore = reservoir"
        + "".join(f" + {a}" for a in anchors)
        + ")"
    )


def build_boundary(
    territories: gpd.GeoDataFrame,
    settlements: gpd.GeoDataFrame,
    water_bodies: gpd.GeoDataFrame,
    config: BoundaryConfig,
    *,
    dem_path: Path | None = None,
    rivers: gpd.GeoDataFrame | None = None,
) -> BoundaryResult:
    """Build the agglomeration boundary (steps 2-4 of the module docstring).

    Parameters
    ----------
    territories
        From :func:`district_territories`.
    settlements
        Joined settlements (``in_appendix15``, ``territory`` columns), EPSG:32643.
    water_bodies
        Canonical ``water_bodies``; those of ``kind == config.reservoir.kind`` are
        the reservoir.
    dem_path
        DEM for locating lakes (optional; discs are used without it).
    rivers
        Canonical ``rivers``: the river of ``config.water_line`` below the dam continues
        the northern water line (whole territories lose their land beyond it).

    Returns
    -------
    BoundaryResult
        ``boundary`` (one feature, canonical ``boundary`` columns), ``parts`` (one row
        per territory and lake: ``part``, ``territory``, ``treatment``, ``method``,
        ``shore_band_ha``, ``area_ha``), ``cells`` (every Voronoi cell of partial
        territories with ``kept`` and the settlement's ``scheme_row``), ``figures``
        (``boundary_area`` also gives ``shore_band_kha``).
    """
    _check_inputs(territories, settlements, water_bodies)
    reservoir = _reservoir(water_bodies, config)
    seeds = _seeds(settlements, config.partial_method)
    parts: list[dict[str, Any]] = []
    cell_rows: list[dict[str, Any]] = []
    rd_rows: list[dict[str, Any]] = []
    water_line = _water_line(reservoir, rivers, config)
    core = land_this_side(territories, water_line, config)
    for _, t in territories.iterrows():
        if t["treatment"] == "whole":
            geom, how = clip_beyond_water(t.geometry, water_line, core)
            parts.append(
                _part(t["territory"], t["territory"], "whole", "whole territory" + how, geom)
            )
            continue
        part, rows, rds = _partial_territory(t, seeds, config.partial_method, water_line)
        parts.append(part)
        cell_rows += rows
        rd_rows += rds
    cells_gdf = _cells_frame(cell_rows)
    shore_note = _add_shore_bands(parts, territories, cells_gdf, reservoir, config)
    _apply_reservoir(parts, territories, reservoir, config)
    lake_notes = []
    for lake in config.lakes:
        part, how = _lake_part(lake, dem_path, cells_gdf)
        parts.append(part)
        lake_notes.append(f"{lake.name_ru}: {how}")
    parts_gdf = gpd.GeoDataFrame(parts, geometry="geometry", crs=WORKING_CRS)
    parts_gdf["geometry"] = [as_multipolygon(g) for g in parts_gdf.geometry]
    parts_gdf["area_ha"] = parts_gdf.geometry.area / 1e4
    whole = shapely.union_all(parts_gdf.geometry.to_numpy())
    whole = as_multipolygon(shapely.make_valid(whole))
    outline_note = ""
    if config.outline is not None:
        whole, outline_note = tidy_outline(whole, reservoir, config.outline)
    method = (
        "derived (layers/boundary.yaml v"
        + config.version
        + "): whole territories "
        + ", ".join(territories.loc[territories["treatment"] == "whole", "territory"])
        + "; partial territories "
        + ", ".join(territories.loc[territories["treatment"] == "partial", "territory"])
        + " as Voronoi cells of the Appendix 15 settlements"
        + shore_note
        + "; reservoir mode "
        + config.reservoir.mode
        + "; "
        + "; ".join(lake_notes)
        + outline_note
    )
    boundary = _boundary_feature(whole, method, config)
    result = BoundaryResult(boundary=boundary, parts=parts_gdf, cells=cells_gdf)
    if rd_rows:
        result.rural_districts = gpd.GeoDataFrame(rd_rows, geometry="geometry", crs=WORKING_CRS)
    result.figures = boundary_figures(boundary, reservoir, config)
    band_ha = float(parts_gdf["shore_band_ha"].sum())
    if config.shore_band is not None and band_ha > 0:
        result.figures["boundary_area"]["explanation"] += (
            f" The partial territories on the reservoir reach its south shore (shore band, "
            f"+{band_ha / 1000:,.2f} thousand ha for gaps up to "
            f"{config.shore_band.max_gap_km:g} km)."
        )
    result.figures["boundary_area"]["shore_band_kha"] = round(band_ha / 1000, 2)
    return result


def _water_line(
    reservoir: BaseGeometry, rivers: gpd.GeoDataFrame | None, config: BoundaryConfig
) -> BaseGeometry:
    """The northern water line: the reservoir and its river below the dam.

    The dam is at the reservoir's ``dam_end`` (its downstream end; Kapchagay's is the
    western one): of the named river's parts outside the reservoir that touch it, the
    river below the dam is the one whose contact lies farthest toward that end, with the
    parts that continue it.
    """
    spec = config.water_line
    if spec is None or reservoir.is_empty:
        return reservoir
    if rivers is None or rivers.empty:
        log.warning("no rivers given: the water line is the reservoir alone")
        return reservoir
    named = pd.Series(False, index=rivers.index)
    for col in ("name", "name_ru"):
        if col in rivers.columns:
            named |= rivers[col].astype("string").isin(spec.rivers).fillna(False)
    river = shapely.union_all(rivers.loc[named, "geometry"].to_numpy())
    pieces = list(shapely.get_parts(shapely.line_merge(shapely.difference(river, reservoir))))
    touching = [p for p in pieces if p.distance(reservoir) < 50.0]
    if not touching:
        log.warning("the river %s does not reach the reservoir", spec.rivers[0])
        return reservoir
    axis, sign = {"west": (0, 1), "east": (0, -1), "south": (1, 1), "north": (1, -1)}[spec.dam_end]

    def contact(p: BaseGeometry) -> float:
        ends = [q for q in (p.coords[0], p.coords[-1]) if Point(q).distance(reservoir) < 50.0]
        return sign * min(sign * q[axis] for q in ends) if ends else np.inf

    chain = [min(touching, key=lambda p: sign * contact(p))]
    grown = True
    while grown:
        grown = False
        for p in pieces:
            if p not in chain and p not in touching and any(p.distance(c) < 50.0 for c in chain):
                chain.append(p)
                grown = True
    return shapely.union_all([reservoir, *[c.buffer(1.0) for c in chain]])


def clip_beyond_water(
    geom: BaseGeometry, water: BaseGeometry, this_side: BaseGeometry | None
) -> tuple[BaseGeometry, str]:
    """``geom`` without its land beyond ``water``.

    ``this_side`` is the land reachable from the core without crossing the water (see
    :func:`land_this_side`). The pieces of ``geom``'s land outside it are removed; the
    water itself stays (its treatment is the reservoir's, not this step's).
    """
    if this_side is None or water.is_empty:
        return geom, ""
    land = _polygonal(shapely.difference(geom, water))
    beyond = _polygonal(shapely.difference(land, this_side.buffer(1.0)))
    if beyond.area < 1e4:
        return geom, ""
    kept = _polygonal(shapely.difference(geom, beyond))
    return kept, f", without {beyond.area / 1e7:,.1f} thousand ha beyond the water line"


def land_this_side(
    territories: gpd.GeoDataFrame, water: BaseGeometry, config: BoundaryConfig
) -> BaseGeometry | None:
    """The whole territories' land connected to the core territory without crossing the
    water line: the connected piece of (union of whole territories minus the water) that
    holds the core's representative point."""
    if config.water_line is None or water.is_empty:
        return None
    whole = territories[territories["treatment"] == "whole"]
    core = territories.loc[territories["territory"] == config.water_line.core, "geometry"]
    if core.empty:
        raise DataError(
            f"boundary.yaml: water_line.core {config.water_line.core!r} is not a territory",
            ["Name one of the territories' ids."],
        )
    anchor = core.iloc[0].representative_point()
    land = _polygonal(shapely.difference(shapely.union_all(whole.geometry.to_numpy()), water))
    pieces = shapely.get_parts(land)
    return min(pieces, key=lambda p: p.distance(anchor)) if len(pieces) else None


def land_beyond_water(
    territories: gpd.GeoDataFrame,
    water_bodies: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame | None,
    config: BoundaryConfig,
) -> dict[str, BaseGeometry]:
    """Each territory's land beyond the northern water line, as seen from the core.

    The water line is the reservoir and the river below its dam (:func:`_water_line`).
    A territory's land (outside the water line) is *this side* where it is connected,
    through the whole territories and itself, to the piece nearest the core territory's
    representative point; the rest is *beyond* (empty when nothing lies beyond, or no
    ``water_line`` is configured). Used to place a rural district the text puts across
    the water (settlement_names.yaml ``placement.far_bank``).
    """
    reservoir = _reservoir(water_bodies, config)
    line = _water_line(reservoir, rivers, config)
    if config.water_line is None or line.is_empty:
        return {}
    core = territories.loc[territories["territory"] == config.water_line.core, "geometry"]
    if core.empty:
        return {}
    anchor = core.iloc[0].representative_point()
    whole = shapely.union_all(
        territories.loc[territories["treatment"] == "whole", "geometry"].to_numpy()
    )
    out: dict[str, BaseGeometry] = {}
    for _, t in territories.iterrows():
        land = _polygonal(shapely.difference(shapely.union(whole, t.geometry), line))
        pieces = list(shapely.get_parts(land))
        if not pieces:
            continue
        near = min(pieces, key=lambda p: p.distance(anchor))
        own = _polygonal(shapely.difference(t.geometry, line))
        out[str(t["territory"])] = _polygonal(shapely.difference(own, near.buffer(1.0)))
    return out


def _check_inputs(
    territories: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, water_bodies: gpd.GeoDataFrame
) -> None:
    for gdf, nm in (
        (territories, "territories"),
        (settlements, "settlements"),
        (water_bodies, "water_bodies"),
    ):
        require_working_crs(gdf, name=nm)
    if "in_appendix15" not in settlements.columns or "territory" not in settlements.columns:
        raise DataError(
            "The settlements are not joined to Appendix 15",
            [
                "Run almaty_scheme.base.settlements.join_appendix15 first (it adds "
                "'in_appendix15' and 'territory')."
            ],
        )


def _reservoir(water_bodies: gpd.GeoDataFrame, config: BoundaryConfig) -> BaseGeometry:
    """The union of the water bodies of the reservoir's ``kind`` (empty if none)."""
    wb = water_bodies
    res = (
        wb[wb["kind"].astype("string").eq(config.reservoir.kind).fillna(False)]
        if "kind" in wb.columns
        else wb.iloc[0:0]
    )
    return shapely.union_all(res.geometry.to_numpy()) if len(res) else Polygon()


def _part(
    part: str, territory: str, treatment: str, method: str, geometry: BaseGeometry
) -> dict[str, Any]:
    return {
        "part": part,
        "territory": territory,
        "treatment": treatment,
        "method": method,
        "shore_band_ha": 0.0,
        "geometry": geometry,
    }


def seed_bank(cell: BaseGeometry, seed: Point, water: BaseGeometry | None) -> BaseGeometry:
    """``cell`` without its land across ``water`` from ``seed``.

    The land of ``cell`` outside ``water`` falls into pieces; the piece nearest the
    seed is the seed's bank, the others lie across the water (a village's fields do not
    cross the reservoir or the river below the dam) and are removed. The water itself
    stays (the reservoir's treatment decides it).

    Examples
    --------
    A 10 x 10 km cell cut by a 2 km river along y 4-6 km, seed at y = 2 km: the 10 x 4
    km across the river go, 60 km² stay (the seed's bank and the river).
    """
    if water is None or water.is_empty or not cell.intersects(water):
        return cell
    pieces = list(shapely.get_parts(_polygonal(shapely.difference(cell, water))))
    if len(pieces) < 2:
        return cell
    own = min(range(len(pieces)), key=lambda k: pieces[k].distance(seed))
    across = shapely.union_all([p for k, p in enumerate(pieces) if k != own])
    return _polygonal(shapely.difference(cell, across))


def _partial_territory(
    t: pd.Series,
    seeds: gpd.GeoDataFrame,
    method_cfg: PartialMethod,
    water_line: BaseGeometry | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Kept land of a partial territory (step 3), one row per Voronoi cell and one per
    merged rural district. Cells lose their land across ``water_line`` from their seed
    (:func:`seed_bank`)."""
    tgeom = t.geometry
    s = seeds[seeds["territory"].astype("string").eq(t["territory"]).fillna(False)]
    cells = voronoi_cells(s.geometry, tgeom)
    radius = method_cfg.cell_radius_km
    if radius is not None:
        discs = s.geometry.buffer(radius * 1000.0, quad_segs=16)
        cells = gpd.GeoSeries(
            [_polygonal(shapely.intersection(c, d)) for c, d in zip(cells, discs, strict=True)],
            index=cells.index,
            crs=cells.crs,
        )
    cells = gpd.GeoSeries(
        [seed_bank(c, p, water_line) for c, p in zip(cells, s.geometry, strict=True)],
        index=cells.index,
        crs=cells.crs,
    )
    kept_mask = s["in_appendix15"].astype(bool)
    cell_rows = [
        {
            "territory": t["territory"],
            "base_id": s.at[i, "base_id"] if "base_id" in s.columns else str(i),
            "name": s.at[i, "name"] if "name" in s.columns else None,
            "scheme_row": s.at[i, "scheme_row"] if "scheme_row" in s.columns else None,
            "kept": bool(kept_mask[i]),
            "geometry": cells[i],
        }
        for i in s.index
    ]
    rd_rows: list[dict[str, Any]] = []
    if method_cfg.rural_districts:
        kept, rd_rows = merge_rural_districts(
            cells[kept_mask],
            _rd_key(s)[kept_mask],
            tgeom,
            hull=method_cfg.rural_district_hull,
        )
        for r in rd_rows:
            r["territory"] = t["territory"]
    else:
        kept = shapely.union_all(cells[kept_mask].to_numpy()) if kept_mask.any() else Polygon()
    method = f"Voronoi cells of {int(kept_mask.sum())} listed of {len(s)} settlement points" + (
        f" within {radius:g} km" if radius is not None else ""
    )
    if method_cfg.rural_districts:
        method += (
            f", merged into {sum(1 for r in rd_rows if r['rural_district'])} rural districts"
            + (" (each with the land between its places)" if method_cfg.rural_district_hull else "")
        )
    if kept.is_empty:
        log.warning("territory %s: no listed settlement inside; nothing kept", t["territory"])
    kept, how = _close_and_fill(kept, tgeom, method_cfg)
    part = _part(t["territory"], t["territory"], "partial", method + how, kept)
    return part, cell_rows, rd_rows


def merge_rural_districts(
    cells: gpd.GeoSeries,
    keys: pd.Series,
    region: BaseGeometry,
    *,
    hull: bool = False,
) -> tuple[BaseGeometry, list[dict[str, Any]]]:
    """The land of the listed rural districts: each one the union of its places' cells.

    Appendix 15 gives every place its rural district (L4378-5055) and the text draws
    the partial districts' lines along rural-district borders (L113-114, L117-118,
    L121-123). A rural district is one contiguous unit holding its villages, so its
    land is the union of the (reach-limited) Voronoi cells of its places and, with
    ``hull``, also the land between them: the convex hull of those cells, clipped to
    ``region``. Places without a rural district (towns) keep their own cell.
    ``points``, ``cells`` and ``keys`` (rural-district key or NA) share one index.

    Returns
    -------
    (land, rows)
        The union over all rural districts, and one row per rural district
        (``rural_district``, ``places``, ``area_ha``, ``geometry``).

    Examples
    --------
    Two places of one rural district 4 km apart whose 1 km square cells do not touch:
    without ``hull`` 2 km², with it the 1 x 5 km rectangle they span, 5 km².
    """
    rows: list[dict[str, Any]] = []
    lands = []
    for key, idx in keys.fillna("").groupby(keys.fillna("")).groups.items():
        members = list(idx)
        land = _polygonal(shapely.union_all(cells.loc[members].to_numpy()))
        if hull and key and len(members) >= 2 and not land.is_empty:
            h = shapely.convex_hull(land)
            land = _polygonal(shapely.union(land, shapely.intersection(h, region)))
        lands.append(land)
        rows.append(
            {
                "rural_district": key,
                "places": len(members),
                "area_ha": land.area / 1e4,
                "geometry": land,
            }
        )
    return (shapely.union_all(lands) if lands else Polygon()), rows


def _cells_frame(cell_rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    if cell_rows:
        return gpd.GeoDataFrame(cell_rows, geometry="geometry", crs=WORKING_CRS)
    return gpd.GeoDataFrame(
        {"territory": [], "base_id": [], "name": [], "scheme_row": [], "kept": []},
        geometry=gpd.GeoSeries([], crs=WORKING_CRS),
        crs=WORKING_CRS,
    )


def _apply_reservoir(
    parts: list[dict[str, Any]],
    territories: gpd.GeoDataFrame,
    reservoir: BaseGeometry,
    config: BoundaryConfig,
) -> None:
    """Cut the reservoir's water off partial territories, or keep it (``keep_water_of``)."""
    for part in parts:
        if part["treatment"] != "partial":
            continue
        kept, tid = part["geometry"], part["territory"]
        tgeom = territories.loc[territories["territory"] == tid, "geometry"].iloc[0]
        if config.reservoir.mode == "shore" and not reservoir.is_empty:
            kept = _polygonal(shapely.difference(kept, reservoir))
            part["method"] += ", reservoir water cut off (south shore)"
        if tid in config.reservoir.keep_water_of and not reservoir.is_empty:
            water = _polygonal(shapely.intersection(tgeom, reservoir))
            if not water.is_empty:
                kept = _polygonal(shapely.union(kept, water))
                part["method"] += (
                    f", the territory's reservoir water kept ({water.area / 1e4:,.0f} ha)"
                )
        part["geometry"] = kept


def _lake_part(
    lake: LakeSpec, dem_path: Path | None, cells_gdf: gpd.GeoDataFrame
) -> tuple[dict[str, Any], str]:
    """A named lake (step 4), joined to the nearest kept cell by their convex hull."""
    poly, how = sorbulak_polygon(dem_path, lake)
    geom = poly
    kept_cells = (
        cells_gdf[(cells_gdf["territory"] == lake.territory) & cells_gdf["kept"].astype(bool)]
        if len(cells_gdf)
        else cells_gdf
    )
    if lake.link_to_kept and len(kept_cells):
        dist = kept_cells.distance(poly)
        nearest = kept_cells.loc[dist.idxmin()]
        if dist.min() > 0:
            geom = shapely.convex_hull(shapely.union(poly, nearest.geometry))
            how += (
                f"; linked to the nearest kept cell ({nearest['name']}, "
                f"{dist.min() / 1000:.1f} km) by their convex hull"
            )
    return _part(f"lake:{lake.name_ru}", lake.territory, "named feature", how, geom), how


def _boundary_feature(whole: BaseGeometry, method: str, config: BoundaryConfig) -> gpd.GeoDataFrame:
    """The one-feature canonical ``boundary`` layer."""
    return gpd.GeoDataFrame(
        {
            "base_id": pd.Series(["boundary:0"], dtype="string"),
            "source": pd.Series([SOURCE], dtype="string"),
            "licence": pd.Series(
                ["CC BY 4.0 (geokz admin units); ODbL 1.0 (OSM points)"], dtype="string"
            ),
            "accuracy": pd.Series([ACCURACY], dtype="string"),
            "name": pd.Series([config.name], dtype="string"),
            "method": pd.Series([method], dtype="string"),
            "area_ha": [whole.area / 1e4],
            "status": pd.Series(["derived"], dtype="string"),
        },
        geometry=[whole],
        crs=WORKING_CRS,
    )


def figure(
    label: str,
    scheme: float | None,
    ours: float | None,
    unit: str,
    explanation: str,
    citation: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """One comparison figure: the scheme's number, ours, the difference and why."""
    diff = None if scheme is None or ours is None else ours - scheme
    pct = None if diff is None or not scheme else 100.0 * diff / scheme
    out: dict[str, Any] = {
        "label": label,
        "scheme": scheme,
        "ours": ours,
        "unit": unit,
        "difference": diff,
        "difference_pct": pct,
        "explanation": explanation,
        "citation": citation,
    }
    out.update(extra)
    return out


def _target_note(target_pct: float | None, pct: float) -> str:
    """' Target ±t %: met / not met.' (empty without a target)."""
    if target_pct is None:
        return ""
    met = "met" if abs(pct) <= target_pct else "not met"
    return f" Target ±{target_pct:g} %: {met} ({pct:+.1f} %)."


def free_parameters(config: BoundaryConfig) -> dict[str, Any]:
    """Every free parameter of the reconstruction and its value (for the report)."""
    pm = config.partial_method
    out: dict[str, Any] = {
        "partial_method.cell_radius_km": pm.cell_radius_km,
        "partial_method.closing_km": pm.closing_km,
        "partial_method.rural_districts": pm.rural_districts,
        "partial_method.rural_district_hull": pm.rural_district_hull,
        "partial_method.placed_seeds": pm.placed_seeds,
    }
    if config.shore_band is not None:
        out["shore_band.max_gap_km"] = config.shore_band.max_gap_km
    for i, lake in enumerate(config.lakes):
        out[f"lakes.{i}.link_to_kept"] = lake.link_to_kept
    if config.outline is not None:
        out["outline.fill_holes"] = config.outline.fill_holes
    return out


def boundary_figures(
    boundary: gpd.GeoDataFrame, reservoir: BaseGeometry, config: BoundaryConfig
) -> dict[str, Any]:
    """Area vs Appendix 1 (939.49 thousand ha) and reservoir water inside vs L639-641."""
    geom = shapely.union_all(boundary.geometry.to_numpy())
    area_kha = geom.area / 1e7
    sa = config.scheme_area
    within = abs(area_kha - sa.value) <= sa.value * config.area_tolerance_pct / 100.0
    inside_ha = shapely.intersection(geom, reservoir).area / 1e4 if not reservoir.is_empty else 0.0
    sr = config.scheme_reservoir
    params = free_parameters(config)
    inside_pct = 100.0 * (inside_ha - sr.value) / sr.value if sr.value else 0.0
    area_pct = 100.0 * (area_kha - sa.value) / sa.value if sa.value else 0.0
    return {
        "boundary_area": figure(
            "Agglomeration area",
            sa.value,
            round(area_kha, 2),
            sa.unit,
            "Reconstructed from 2018 admin districts and Voronoi cells of the Appendix 15 "
            "settlements merged per rural district (layers/boundary.yaml v"
            + config.version
            + "); the scheme drew its line on rural-district borders, which are not open "
            "data. Free parameters, none fitted to the scheme's figure (their effect: "
            "scripts/boundary_sensitivity.py): "
            + ", ".join(f"{k} = {v}" for k, v in params.items())
            + "."
            + _target_note(config.target_pct, area_pct),
            sa.source.cite(),
            tolerance_pct=config.area_tolerance_pct,
            within_tolerance=within,
            parameters=params,
        ),
        "reservoir_inside": figure(
            "Kapchagay reservoir water inside the boundary",
            sr.value,
            round(inside_ha, 1),
            sr.unit,
            f"Reservoir mode '{config.reservoir.mode}': GSHHG shoreline (~1:1M, 922 km² in "
            "all) inside the whole territories"
            + (
                "; partial territories stop at the shore"
                if config.reservoir.mode == "shore"
                else ""
            )
            + (
                ", except the water of "
                + ", ".join(config.reservoir.keep_water_of)
                + " (reservoir.keep_water_of: the scheme's figure reads as that "
                "administration's share of the reservoir, not as the water the text's "
                "line encloses; the difference is the generalisation of the 1:1M shoreline "
                "and of the admin lines across the water)."
                if config.reservoir.keep_water_of
                else "."
            )
            + _target_note(config.target_pct, inside_pct),
            sr.source.cite(),
        ),
    }
