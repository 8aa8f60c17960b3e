"""The vectorised parcel-check core: overlaps, shares, distances, regimes, verdicts.

:func:`check_parcels` works on any subset of parcels (rows are independent), so an
engine may split the parcels into spatial partitions, map this function over them with
one shared :class:`~almaty_scheme.check.zones.PreparedZones`, and concatenate the
results with :meth:`CheckResult.concat`; the summary is computed afterwards by
:func:`~almaty_scheme.check.output.summarise`.

Geometric rules
---------------
* **Hit**: a parcel hits a zone feature when the area of their intersection exceeds
  :data:`MIN_OVERLAP_M2` (touching along an edge is not a hit).
* **Overlap** ``overlap_m2`` = area(parcel ∩ zone), computed as the sum over the zone's
  tiles (tiles of one zone are disjoint); when a tile properly contains the parcel the
  overlap is the parcel's area and no clipping is done.
  ``share_pct`` = 100 · overlap / area(parcel), clipped to [0, 100].
* **Distance to source** ``distance_to_source_m`` = the minimum Euclidean distance
  (EPSG:32643) between the parcel and the base feature(s) the zone was built from
  (road centreline, river line or water body, pipe axis...): 0 if they intersect;
  null when the zone has no source feature (e.g. DEM belts, composite zones).
* **Regime** of a hit: the zone rule's regime for the parcel's land-use class; in the
  ``possible`` band of a ranged width, and on the part of a proposed zone that lies on
  existing settlement land, it is capped at ``conditional`` (see
  :func:`~almaty_scheme.check.verdict.effective_regimes`).
* **Worst hit**: highest regime, then highest rule regime (a capped prohibition before
  a plain condition), then certain before possible, then largest share, then largest
  overlap, then zone order (deterministic, independent of row order).
* **Near** ``near_<key>_m``: 0 when the parcel hits a zone of the family (or layer)
  ``key``; else the distance to the nearest such zone if within ``near_m``; else null.
* **Outside**: a parcel whose overlap with the dissolved boundary (coverage) is at most
  :data:`MIN_OVERLAP_M2` is ``outside`` (``outside_boundary``, ``outside_coverage``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api.types import union_categoricals

from almaty_scheme.check.clip import overlap_by_clipping
from almaty_scheme.check.kernels import (
    FlatRings,
    best_per_group,
    keyed_distances,
    nearest_distances_by_key,
)
from almaty_scheme.check.regime import CONDITIONAL, PROHIBITED, REGIME_NAMES
from almaty_scheme.check.verdict import (
    VERDICTS,
    conditional_reasons,
    effective_regimes,
    explain,
    on_settlement_proposals,
)
from almaty_scheme.check.zones import PreparedZones, TileIndex
from almaty_scheme.crs import WORKING_CRS, require_working_crs

log = logging.getLogger(__name__)

MIN_OVERLAP_M2 = 0.01
"""Overlaps at or below this area (m², one square decimetre) are not hits: they are
shared edges or floating-point noise."""

DEFAULT_NEAR_M = 500.0
"""Default ``--near`` threshold (m)."""

SOURCE_SEARCH_MARGIN_M = 250.0
"""Extra search radius beyond a zone's outer width when looking for its source pieces;
hits whose source is not found within it fall back to the whole source geometry."""

REASONS: tuple[str, ...] = (
    "no_restrictions",
    "use_allowed",
    "partly_outside_coverage",
    "partly_outside_boundary",
    "use_conditional",
    "possibly_prohibited",
    "proposal_on_settlement",
    "no_regime",
    "use_prohibited",
    "outside_boundary",
    "outside_coverage",
    "null_geometry",
    "empty_geometry",
    "bad_coordinates",
    "not_polygon",
    "invalid_geometry",
)
"""Values of ``verdict_reason`` (invalid inputs may bring reasons of their own)."""

HIT_COLUMNS: tuple[str, ...] = (
    "parcel_id",
    "rule_id",
    "family",
    "layer",
    "zone_fid",
    "zone_name",
    "certainty",
    "overlap_m2",
    "share_pct",
    "distance_to_source_m",
    "regime",
    "rule_regime",
    "width_m",
    "band_inner_m",
    "band_outer_m",
    "width_semantics",
    "measured_from",
    "citation",
    "verified",
    "accuracy",
    "source",
    "reading",
)
"""Columns of ``parcel_hits`` (brief_contracts §5, plus widths and provenance)."""

VERDICT_COLUMNS: tuple[str, ...] = (
    "verdict",
    "verdict_reason",
    "worst_rule_id",
    "worst_family",
    "worst_layer",
    "worst_regime",
    "worst_certainty",
    "worst_share_pct",
    "n_hits",
    "n_prohibited",
    "n_conditional",
    "explanation_ru",
    "explanation_en",
    "area_m2",
    "inside_boundary_pct",
    "inside_coverage_pct",
    "functional_group",
    "subzone",
)
"""Columns the engine adds to ``parcels`` (``near_<key>_m`` follow)."""


@dataclass
class CheckResult:
    """Result of a check on a set of parcels.

    Attributes
    ----------
    parcels
        Every input parcel, in input order: its columns plus :data:`VERDICT_COLUMNS`
        and ``near_<key>_m``.
    hits
        One row per parcel x zone feature touched (:data:`HIT_COLUMNS`); a
        GeoDataFrame with the overlap geometry when requested.
    near_keys
        Keys of the ``near_<key>_m`` columns.
    timings
        Seconds per stage.
    """

    parcels: gpd.GeoDataFrame
    hits: pd.DataFrame
    near_keys: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def concat(parts: Sequence[CheckResult]) -> CheckResult:
        """Concatenate results of partitions (order of ``parts`` is kept)."""
        if not parts:
            raise ValueError("nothing to concatenate")
        frames = [p.parcels for p in parts]
        merged = _concat_frames(frames)
        parcels: Any = (
            gpd.GeoDataFrame(merged, geometry=frames[0].geometry.name, crs=WORKING_CRS)
            if all(isinstance(f, gpd.GeoDataFrame) for f in frames)
            else merged
        )
        hits = _concat_frames([p.hits for p in parts])
        if any(isinstance(p.hits, gpd.GeoDataFrame) for p in parts):
            hits = gpd.GeoDataFrame(hits, crs=WORKING_CRS)
        timings: dict[str, float] = {}
        for p in parts:
            for k, v in p.timings.items():
                timings[k] = timings.get(k, 0.0) + v
        return CheckResult(
            parcels=parcels, hits=hits, near_keys=parts[0].near_keys, timings=timings
        )


def _concat_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat`` that keeps categorical columns categorical (union of categories)."""
    out = pd.concat(frames, ignore_index=True)
    for c in frames[0].columns:
        cols = [f[c] for f in frames if c in f.columns]
        if (
            len(cols) == len(frames)
            and all(isinstance(x.dtype, pd.CategoricalDtype) for x in cols)
            and not isinstance(out[c].dtype, pd.CategoricalDtype)
        ):
            # categories as plain objects in every part (str and object dtypes differ)
            arrs = [
                pd.Categorical.from_codes(
                    x.cat.codes.to_numpy(),
                    categories=pd.Index(x.cat.categories.astype(object), dtype=object),
                )
                for x in cols
            ]
            out[c] = union_categoricals(arrs, ignore_order=True)
    return out


def _from_codes(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    cats: Any = pd.Index(list(categories), dtype=object)
    return pd.Categorical.from_codes(np.asarray(codes, np.int64), categories=cats)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with categorical columns as plain values (``string`` for text), e.g. to
    compare results whose categories were built in a different order (partitions)."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            cats = out[c].cat.categories
            text = len(cats) == 0 or cats.inferred_type in ("string", "empty")
            out[c] = out[c].astype(object).astype("string" if text else object)
    return out


@dataclass
class _Overlay:
    parcel: np.ndarray  # index into the queried geometry array
    owner: np.ndarray
    area: np.ndarray
    pieces: np.ndarray | None


def overlay_areas(
    geoms: np.ndarray,
    areas: np.ndarray,
    index: TileIndex,
    *,
    pieces: bool = False,
    rings: FlatRings | None = None,
) -> _Overlay:
    """Overlap areas of polygons with the owners of tiled polygons, aggregated per pair.

    Parameters
    ----------
    geoms, areas
        Query polygons (valid, non-empty) and their areas.
    index
        Tiles, owners, tree and convex pieces (:class:`TileIndex`).
    pieces
        Also return the overlap geometry of each (polygon, owner) pair (GEOS
        intersections; slower). Without it, areas come from the compiled clipping of
        :func:`~almaty_scheme.check.clip.overlap_by_clipping`.
    rings
        ``geoms`` already flattened (:class:`~almaty_scheme.check.kernels.FlatRings`).

    Returns
    -------
    _Overlay
        Arrays ``parcel`` (index into ``geoms``), ``owner``, ``area`` (sum over tiles),
        sorted by (parcel, owner); pairs that only touch may be included with area ~0.
    """
    empty = _Overlay(
        np.empty(0, np.int64),
        np.empty(0, np.int64),
        np.empty(0),
        np.empty(0, dtype=object) if pieces else None,
    )
    if len(geoms) == 0 or len(index.pieces) == 0:
        return empty
    if not pieces:
        gi, ow, ar = overlap_by_clipping(rings if rings is not None else geoms, index.pieces)
        return _Overlay(gi, ow, np.clip(ar, 0.0, None), None)
    pi, tj = index.tree.query(geoms, predicate="intersects")
    if len(pi) == 0:
        return empty
    t = index.tiles[tj]
    g = geoms[pi]
    inside = shapely.contains_properly(t, g)  # tiles are prepared
    ov = np.where(inside, areas[pi], 0.0)
    rest = np.flatnonzero(~inside)
    geo = g.copy()
    if len(rest):
        inter = shapely.intersection(g[rest], t[rest])
        ov[rest] = shapely.area(inter)
        geo[rest] = inter
    owner = index.owner[tj]
    order = np.lexsort((owner, pi))
    pi, owner, ov = pi[order], owner[order], ov[order]
    new = np.ones(len(pi), dtype=bool)
    new[1:] = (pi[1:] != pi[:-1]) | (owner[1:] != owner[:-1])
    starts = np.flatnonzero(new)
    sums = np.add.reduceat(ov, starts)
    geo = geo[order]
    ends = np.append(starts[1:], len(pi))
    out_pieces = np.empty(len(starts), dtype=object)
    single = (ends - starts) == 1
    out_pieces[single] = geo[starts[single]]
    for k in np.flatnonzero(~single):
        out_pieces[k] = shapely.union_all(geo[starts[k] : ends[k]])
    return _Overlay(pi[starts], owner[starts], sums, out_pieces)


def covered_area(
    geoms: np.ndarray,
    areas: np.ndarray,
    index: TileIndex | None,
    whole: shapely.Geometry | None = None,
    *,
    rings: FlatRings | None = None,
) -> np.ndarray:
    """Area of each polygon inside the (dissolved, tiled) mask; ``areas`` if no mask.

    ``whole`` (the dissolved mask) is accepted for compatibility and not needed: the
    compiled clipping settles polygons inside a piece without clipping.
    """
    if index is None:
        return areas.copy()
    out = np.zeros(len(geoms))
    if len(geoms):
        ov = overlay_areas(geoms, areas, index, rings=rings)
        np.add.at(out, ov.parcel, ov.area)
    return np.minimum(np.maximum(out, 0.0), areas)


def source_distances(
    geoms: np.ndarray,
    zone_idx: np.ndarray,
    zones: PreparedZones,
    *,
    rings: FlatRings | None = None,
    geom_idx: np.ndarray | None = None,
) -> np.ndarray:
    """Minimum distance from each geometry to the source feature(s) of its zone.

    ``geoms[i]`` is paired with zone row ``zone_idx[i]`` (or, with ``rings`` and
    ``geom_idx``, polygon ``geom_idx[i]`` of ``rings`` is; ``geoms`` must then be the
    polygons ``rings`` was made from). Source segments are searched within the zone's
    outer width plus :data:`SOURCE_SEARCH_MARGIN_M` (compiled kernel); the rare pair
    with nothing found there is measured against the whole source geometry with GEOS.
    0 where the parcel crosses or contains a source, or lies inside a polygonal one.
    NaN where the zone has no source.
    """
    n = len(zone_idx)
    out = np.full(n, np.nan)
    src = zones.sources
    if n == 0 or len(src.pairs) == 0 or src.grid is None:
        return out
    if rings is None or geom_idx is None:
        rings = FlatRings.from_geoms(np.asarray(geoms, dtype=object))
        geom_idx = np.arange(n)
        poly = np.asarray(geoms, dtype=object)
    else:
        poly = np.asarray(geoms, dtype=object)
    n_keys = np.diff(src.zone_start)
    cand = np.flatnonzero(n_keys[zone_idx] > 0)
    if len(cand) == 0:
        return out
    zt = zones.zones
    outer = pd.to_numeric(zt["band_outer_m"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    width = pd.to_numeric(zt["width_m"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    reach = np.where(np.isfinite(outer), outer, np.where(np.isfinite(width), width, 0.0))
    radius = reach[zone_idx[cand]] + SOURCE_SEARCH_MARGIN_M
    d = keyed_distances(
        rings,
        geom_idx[cand],
        zone_idx[cand],
        radius,
        src.zone_start,
        src.zone_keys,
        src.segments,
        src.segment_key,
        src.grid,
    )
    found = np.isfinite(d)
    out[cand[found]] = d[found]
    pairs = src.pairs
    # a parcel inside a polygonal source (a lake) is at distance 0
    if src.polygonal.any():
        has_poly = np.zeros(len(zt), bool)
        has_poly[pairs["zone"].to_numpy()[src.polygonal[pairs["key"].to_numpy()]]] = True
        chk = cand[has_poly[zone_idx[cand]] & ~(out[cand] == 0.0)]
        if len(chk):
            sub = pd.DataFrame({"row": chk, "zone": zone_idx[chk]}).merge(pairs, on="zone")
            sub = sub[src.polygonal[sub["key"].to_numpy()]]
            g = poly[geom_idx[sub["row"].to_numpy()]]
            inside = shapely.intersects(src.full[sub["key"].to_numpy()], g)
            out[sub["row"].to_numpy()[inside]] = 0.0
    todo = cand[np.isnan(out[cand])]
    if len(todo):
        sub = pd.DataFrame({"row": todo, "zone": zone_idx[todo]}).merge(pairs, on="zone")
        dd = shapely.distance(
            poly[geom_idx[sub["row"].to_numpy()]], src.full[sub["key"].to_numpy()]
        )
        best_s = pd.Series(dd).groupby(sub["row"].to_numpy()).min()
        out[best_s.index.to_numpy()] = best_s.to_numpy()
    return out


def _class_codes(use_class: pd.Series | None, zones: PreparedZones, n: int) -> np.ndarray:
    lu = zones.land_use
    default = lu.code[lu.default_class]
    if use_class is None:
        return np.full(n, default, dtype=np.int64)
    codes, uniq = pd.factorize(pd.Series(use_class).astype(object))
    table = np.array([lu.code.get(str(u), default) for u in uniq] + [default], dtype=np.int64)
    return table[np.where(codes < 0, len(uniq), codes)]


def check_parcels(
    parcels: gpd.GeoDataFrame,
    zones: PreparedZones,
    *,
    near_m: float | None = DEFAULT_NEAR_M,
    with_overlap_geometry: bool = False,
) -> CheckResult:
    """Check parcels against prepared restriction zones.

    Parameters
    ----------
    parcels
        EPSG:32643 GeoDataFrame with ``parcel_id`` and polygonal geometries; usually
        :attr:`~almaty_scheme.check.inputs.ParcelInput.frame`. Optional columns:
        ``use_class`` (land-use class id; default class if absent or unknown) and
        ``invalid_reason`` (rows with a reason are ``invalid_input``). Null or empty
        geometries are ``invalid_input`` in any case.
    zones
        From :func:`~almaty_scheme.check.zones.load_zones` or ``prepare_zones``.
    near_m
        Threshold for ``near_<key>_m`` distances; ``None`` or 0 disables them.
    with_overlap_geometry
        Give ``hits`` the overlap geometry (parcel ∩ zone) as a GeoDataFrame.

    Returns
    -------
    CheckResult
        ``parcels`` has exactly the input rows in input order.
    """
    require_working_crs(parcels, name="parcels")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    n = len(parcels)
    frame = parcels.reset_index(drop=True).copy(deep=False)  # copy-on-write: no data copied
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    if "parcel_id" not in frame.columns:
        frame["parcel_id"] = pd.array([f"P{i + 1:06d}" for i in range(n)], dtype="string")
    reason = np.full(n, None, dtype=object)
    if "invalid_reason" in frame.columns:
        given = frame["invalid_reason"].astype(object).to_numpy()
        has = ~pd.isna(given)
        reason[has] = given[has]
    missing = shapely.is_missing(geoms)
    empty = np.zeros(n, bool)
    empty[~missing] = shapely.is_empty(geoms[~missing])
    reason[(reason == None) & missing] = "null_geometry"  # noqa: E711
    reason[(reason == None) & empty] = "empty_geometry"  # noqa: E711
    valid = reason == None  # noqa: E711
    vidx = np.flatnonzero(valid)
    vg = geoms[vidx]
    cls = _class_codes(frame["use_class"] if "use_class" in frame.columns else None, zones, n)

    area = np.full(n, np.nan)
    area[vidx] = shapely.area(vg)
    vg_area = area[vidx]

    # --- boundary and coverage ---------------------------------------------------
    t = time.perf_counter()
    in_b = np.full(n, np.nan)
    in_c = np.full(n, np.nan)
    rings = FlatRings.from_geoms(vg)
    masks = zones.mask_pieces()
    if masks is not None and len(vidx):
        # boundary (owner 0) and coverage (owner 1) in one compiled pass
        gi, ow, ar = overlap_by_clipping(rings, masks)
        cov = np.zeros((len(vidx), 2))
        np.add.at(cov, (gi, ow), ar)
        cov = np.minimum(np.maximum(cov, 0.0), vg_area[:, None])
        in_b[vidx] = cov[:, 0] if zones.boundary is not None else vg_area
        in_c[vidx] = cov[:, 1] if zones.coverage is not None else vg_area
    else:
        in_b[vidx] = vg_area
        in_c[vidx] = vg_area
    with np.errstate(invalid="ignore", divide="ignore"):
        b_pct = np.clip(in_b / area * 100.0, 0.0, 100.0)
        c_pct = np.clip(in_c / area * 100.0, 0.0, 100.0)
    timings["boundary_coverage"] = time.perf_counter() - t

    # --- hits ------------------------------------------------------------------------
    t = time.perf_counter()
    ov = overlay_areas(vg, vg_area, zones.tiles, pieces=with_overlap_geometry, rings=rings)
    keep = ov.area > MIN_OVERLAP_M2
    h_local = ov.parcel[keep]
    h_parcel = vidx[h_local]
    h_zone = ov.owner[keep]
    h_overlap = np.minimum(ov.area[keep], area[h_parcel])  # rounding never exceeds the parcel
    h_pieces = ov.pieces[keep] if ov.pieces is not None else None
    with np.errstate(invalid="ignore", divide="ignore"):
        h_share = np.clip(h_overlap / area[h_parcel] * 100.0, 0.0, 100.0)
    zt = zones.zones
    certainty = zt["certainty"].astype(str).to_numpy() if len(zt) else np.empty(0, dtype=object)
    h_possible = certainty[h_zone] == "possible" if len(h_zone) else np.zeros(0, bool)
    h_rule_regime = (
        zones.regimes[h_zone, cls[h_parcel]].astype(np.int64)
        if len(h_zone)
        else np.zeros(0, np.int64)
    )
    h_proposal = on_settlement_proposals(zt)[h_zone] if len(h_zone) else np.zeros(0, bool)
    h_regime = effective_regimes(h_rule_regime, h_possible, h_proposal)
    timings["overlay"] = time.perf_counter() - t

    t = time.perf_counter()
    h_dist = source_distances(vg, h_zone, zones, rings=rings, geom_idx=h_local)
    timings["source_distance"] = time.perf_counter() - t

    # --- per-parcel aggregation -----------------------------------------------------
    t = time.perf_counter()
    n_hits = np.bincount(h_parcel, minlength=n)
    n_pro = np.bincount(h_parcel[h_regime == PROHIBITED], minlength=n)
    n_con = np.bincount(h_parcel[h_regime == CONDITIONAL], minlength=n)
    worst_zone = np.full(n, -1, dtype=np.int64)
    worst_regime = np.full(n, -1, dtype=np.int64)
    worst_share = np.full(n, np.nan)
    worst_hit = np.full(n, -1, dtype=np.int64)
    if len(h_parcel):
        # shares and overlaps are ranked at a fixed precision (1e-6 %, 1 mm²) so that
        # ties (e.g. two zones that both cover the whole parcel) go to the zone order
        # instead of to floating-point noise
        keys = np.column_stack(
            [
                -h_regime,
                -h_rule_regime,  # a capped prohibition names the verdict (issue 13)
                h_possible,
                -np.round(h_share, 6),
                -np.round(h_overlap, 3),
                h_zone,
            ]
        ).astype(np.float64)
        best_all = best_per_group(h_parcel, keys, n)
        p = np.flatnonzero(best_all >= 0)
        best = best_all[p]
        worst_zone[p] = h_zone[best]
        worst_regime[p] = h_regime[best]
        worst_share[p] = h_share[best]
        worst_hit[p] = best

    # verdicts and reasons as codes into VERDICTS / REASONS
    verdict = np.full(n, VERDICTS.index("clear"), dtype=np.int64)
    vreason = np.full(n, REASONS.index("no_restrictions"), dtype=np.int64)
    vreason[n_hits > 0] = REASONS.index("use_allowed")
    part_b = valid & (b_pct < 99.95)
    part_c = valid & (c_pct < 99.95)
    vreason[part_c] = REASONS.index("partly_outside_coverage")
    vreason[part_b] = REASONS.index("partly_outside_boundary")
    con = worst_regime == CONDITIONAL
    verdict[con] = VERDICTS.index("conditional")
    vreason[con] = REASONS.index("use_conditional")
    if con.any() and len(h_parcel):
        wh = worst_hit[con]
        has_reg = zt["has_regime"].to_numpy(dtype=bool)
        why = conditional_reasons(
            h_rule_regime[wh], h_possible[wh], h_proposal[wh], has_reg[h_zone[wh]]
        )
        vreason[con] = [REASONS.index(r) for r in why]
    pro = worst_regime == PROHIBITED
    verdict[pro] = VERDICTS.index("prohibited")
    vreason[pro] = REASONS.index("use_prohibited")
    out_b = valid & (in_b <= MIN_OVERLAP_M2)
    out_c = valid & ~out_b & (in_c <= MIN_OVERLAP_M2)
    verdict[out_b | out_c] = VERDICTS.index("outside")
    vreason[out_b] = REASONS.index("outside_boundary")
    vreason[out_c] = REASONS.index("outside_coverage")
    verdict[~valid] = VERDICTS.index("invalid_input")
    reasons = list(REASONS)
    if (~valid).any():
        inv_codes, inv_uniq = pd.factorize(pd.Series(reason[~valid], dtype=object))
        extra = [str(u) for u in inv_uniq if str(u) not in reasons]
        reasons += extra
        lookup = np.array([reasons.index(str(u)) for u in inv_uniq], dtype=np.int64)
        vreason[~valid] = lookup[inv_codes]

    frame["verdict"] = _from_codes(verdict, VERDICTS)
    frame["verdict_reason"] = _from_codes(vreason, reasons)
    frame["worst_rule_id"] = zones.categorical("rule_id", worst_zone)
    frame["worst_family"] = zones.categorical("family", worst_zone)
    frame["worst_layer"] = zones.categorical("layer", worst_zone)
    frame["worst_regime"] = _from_codes(np.where(worst_regime >= 0, worst_regime, -1), REGIME_NAMES)
    frame["worst_certainty"] = zones.categorical("certainty", worst_zone)
    frame["worst_share_pct"] = worst_share
    frame["n_hits"] = n_hits.astype(np.int64)
    frame["n_prohibited"] = n_pro.astype(np.int64)
    frame["n_conditional"] = n_con.astype(np.int64)
    frame["area_m2"] = area
    frame["inside_boundary_pct"] = b_pct
    frame["inside_coverage_pct"] = c_pct

    # functional group / subzone: the functional zone with the largest overlap
    fz_row = np.full(n, -1, dtype=np.int64)
    if len(h_parcel) and "functional_group" in zt.columns:
        fz = (zt["layer"].astype(str).to_numpy() == "functional_zones")[h_zone]
        if fz.any():
            hp, hz, ho = h_parcel[fz], h_zone[fz], h_overlap[fz]
            b = best_per_group(hp, np.column_stack([-np.round(ho, 3), hz]).astype(float), n)
            has_fz = b >= 0
            fz_row[has_fz] = hz[b[has_fz]]
    frame["functional_group"] = zones.categorical("functional_group", fz_row)
    frame["subzone"] = zones.categorical("subzone", fz_row)
    timings["verdict"] = time.perf_counter() - t

    # --- near distances --------------------------------------------------------------
    t = time.perf_counter()
    near_cols: list[str] = []
    if near_m:
        fam = zt["family"].astype(str).to_numpy() if len(zt) else np.empty(0, dtype=object)
        lay = zt["layer"].astype(str).to_numpy() if len(zt) else np.empty(0, dtype=object)
        near_keys = zones.near_keys
        # a family with per-layer keys is the minimum of its layers (no extra query)
        sub = {
            k: [o for o in near_keys if o != k and set(lay[fam == k]) >= {o} and o in set(lay)]
            for k in near_keys
        }
        values: dict[str, np.ndarray] = {}
        touching_by_key: dict[str, np.ndarray] = {}
        for key in near_keys:
            touch_key = ((fam == key) | (lay == key))[h_zone] if len(h_zone) else np.zeros(0, bool)
            touching = np.zeros(n, bool)
            touching[h_parcel[touch_key]] = True
            touching_by_key[key] = touching
        # leaf keys (no sub-keys): one compiled pass over a grid of every key's outlines
        leaves = [k for k in near_keys if not sub[k] and len(zones.near[k])]
        if leaves and len(vidx):
            seg, seg_key, grid = zones.near_segments(leaves)
            skip = np.column_stack([touching_by_key[k][vidx] for k in leaves])
            dist = nearest_distances_by_key(rings, skip, float(near_m), seg, seg_key, grid)
        for key in sorted(near_keys, key=lambda k: len(sub[k])):
            vals = np.full(n, np.nan)
            if sub[key]:
                vals = np.fmin.reduce([values[o] for o in sub[key]])
            elif key in leaves and len(vidx):
                d = dist[:, leaves.index(key)]
                ok = d <= near_m
                vals[vidx[ok]] = d[ok]
            vals[touching_by_key[key]] = 0.0
            values[key] = vals
        for key in near_keys:
            col = f"near_{key}_m"
            near_cols.append(col)
            frame[col] = values[key]
    timings["near"] = time.perf_counter() - t

    # --- explanations ----------------------------------------------------------------
    t = time.perf_counter()
    frame["_worst_zone"] = worst_zone
    lu = zones.land_use
    phrases = zones.derived.setdefault("phrases", {})
    en, ru = explain(frame, zt, dict(lu.titles), dict(lu.titles_ru), near_cols, phrases)
    frame["explanation_ru"] = ru
    frame["explanation_en"] = en
    frame = frame.drop(columns="_worst_zone")
    timings["explain"] = time.perf_counter() - t

    # column order: input columns, then ours, then near, geometry last
    ours = [*VERDICT_COLUMNS, *near_cols]
    base = [c for c in frame.columns if c not in ours and c != frame.geometry.name]
    frame = frame[[*base, *ours, frame.geometry.name]]

    # --- hits table ----------------------------------------------------------------------
    t = time.perf_counter()
    hits = _hits_frame(
        frame["parcel_id"],
        h_parcel,
        h_zone,
        h_overlap,
        h_share,
        h_dist,
        h_regime,
        h_rule_regime,
        zones,
        h_pieces,
    )
    timings["hits_table"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    log.debug("check of %d parcel(s): %s", n, {k: round(v, 3) for k, v in timings.items()})
    return CheckResult(
        parcels=frame, hits=hits, near_keys=list(zones.near_keys) if near_m else [], timings=timings
    )


def _hits_frame(
    ids: pd.Series,
    h_parcel: np.ndarray,
    h_zone: np.ndarray,
    h_overlap: np.ndarray,
    h_share: np.ndarray,
    h_dist: np.ndarray,
    h_regime: np.ndarray,
    h_rule_regime: np.ndarray,
    zones: PreparedZones,
    pieces: np.ndarray | None,
) -> pd.DataFrame:
    """The hits table, columnar: strings are categoricals over the zone table (and over
    the parcel ids), so no string is copied per hit."""
    # hits sorted by parcel (input order), then zone row: deterministic
    o = np.lexsort((h_zone, h_parcel))
    h_parcel, h_zone = h_parcel[o], h_zone[o]
    zt = zones.zones
    # parcel ids are unique (inputs.prepare_parcels makes them so); a frame built by
    # hand may repeat them, then the ids are copied
    pid_codes, pid_uniq = pd.factorize(ids.astype(object))
    if len(pid_uniq) == len(ids):
        parcel_id: Any = pd.Categorical.from_codes(
            np.asarray(pid_codes, np.int64)[h_parcel], categories=pd.Index(pid_uniq, dtype=object)
        )
    else:
        parcel_id = pd.array(ids.to_numpy(dtype=object)[h_parcel], dtype="string")

    def num(col: str, dtype: str) -> Any:
        if col not in zt.columns or len(h_zone) == 0:
            return pd.array(np.full(len(h_zone), None, dtype=object), dtype=dtype)  # type: ignore[call-overload]
        return pd.array(zt[col].array.take(h_zone), dtype=dtype)

    def cat(col: str) -> pd.Categorical:
        return zones.categorical(col, h_zone)

    regimes = REGIME_NAMES
    data: dict[str, Any] = {
        "parcel_id": parcel_id,
        "rule_id": cat("rule_id"),
        "family": cat("family"),
        "layer": cat("layer"),
        "zone_fid": num("zone_fid", "Int64"),
        "zone_name": cat("name"),
        "certainty": cat("certainty"),
        "overlap_m2": h_overlap[o],
        "share_pct": h_share[o],
        "distance_to_source_m": h_dist[o],
        "regime": _from_codes(h_regime[o], regimes),
        "rule_regime": _from_codes(h_rule_regime[o], regimes),
        "width_m": num("width_m", "Float64"),
        "band_inner_m": num("band_inner_m", "Float64"),
        "band_outer_m": num("band_outer_m", "Float64"),
        "width_semantics": cat("width_semantics"),
        "measured_from": cat("measured_from"),
        "citation": cat("citation"),
        "verified": num("verified", "boolean"),
        "accuracy": cat("accuracy"),
        "source": cat("source"),
        "reading": cat("reading"),
    }
    df = pd.DataFrame(data)
    if pieces is not None:
        return gpd.GeoDataFrame(
            df, geometry=gpd.GeoSeries(pieces[o], crs=WORKING_CRS), crs=WORKING_CRS
        )
    return df
