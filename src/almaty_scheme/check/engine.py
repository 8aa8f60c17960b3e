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
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pandas.api.types import union_categoricals

from almaty_scheme.check.clip import overlap_by_clipping
from almaty_scheme.check.inputs import RESERVED_COLUMNS
from almaty_scheme.check.kernels import (
    FlatRings,
    best_per_group,
    keyed_distances,
    keys_met,
    nearest_within_by_key,
    worst_per_group,
)
from almaty_scheme.check.regime import CONDITIONAL, PROHIBITED, REGIME_NAMES
from almaty_scheme.check.verdict import (
    CONDITIONAL_REASONS,
    VERDICTS,
    ExplanationParts,
    PendingExplanations,
    column_codes,
    conditional_reason_codes,
    effective_regimes,
    explain_begin,
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

VERDICT_COLUMNS: tuple[str, ...] = RESERVED_COLUMNS[RESERVED_COLUMNS.index("verdict") :]
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
    explanations
        How the engine composed each distinct explanation (head, words, tail), for
        the results GeoPackage's ``explanation_parts`` table; ``None`` where the
        results were put together otherwise (it then finds the parts by pattern).
    """

    parcels: gpd.GeoDataFrame
    hits: pd.DataFrame
    near_keys: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    explanations: ExplanationParts | None = None

    @staticmethod
    def concat(parts: Sequence[CheckResult], *, release: bool = False) -> CheckResult:
        """Concatenate results of partitions (order of ``parts`` is kept). With
        ``release``, each part's parcels are emptied once copied (less memory at once;
        the parts are not to be used after)."""
        if not parts:
            raise ValueError("nothing to concatenate")
        frames = [p.parcels for p in parts]
        merged = _concat_frames(frames)
        parcels: Any = (
            gpd.GeoDataFrame(merged, geometry=frames[0].geometry.name, crs=WORKING_CRS)
            if all(isinstance(f, gpd.GeoDataFrame) for f in frames)
            else merged
        )
        if release:
            for p in parts:
                p.parcels = p.parcels.iloc[:0]
            del frames, merged
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


def emptied(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without rows and holding none of its data: its columns and types, the
    categoricals without categories (a view of no rows would keep every array)."""
    out = frame.iloc[:0].copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].cat.remove_unused_categories()
    return out


def _concat_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat`` that keeps categorical columns categorical (union of categories,
    in order of first appearance: :func:`_union`)."""
    cats = [
        c
        for c in frames[0].columns
        if all(c in f.columns and isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames)
    ]
    order = list(dict.fromkeys(c for f in frames for c in f.columns))
    out = pd.concat([f.drop(columns=cats) for f in frames], ignore_index=True)
    for c in cats:
        out[c] = _union([f[c] for f in frames])
    return out[order]


def _union(cols: Sequence[pd.Series]) -> pd.Categorical:
    """One categorical of the parts ``cols``: the categories of every part, each once in
    order of first appearance, as :func:`~pandas.api.types.union_categoricals` gives
    them. Text categories are joined with Arrow in one hash pass (pandas' own union
    took ~10 s for the hits of 10^6 parcels in 6 chunks); others through pandas."""
    cats = [x.cat.categories for x in cols]
    if not all(_texts(c) for c in cats):
        arrs = [
            pd.Categorical.from_codes(
                np.asarray(x.array.codes),
                categories=pd.Index(x.cat.categories.astype(object), dtype=object),
            )
            for x in cols
        ]
        return union_categoricals(arrs, ignore_order=True)
    texts = [pa.array(np.asarray(c, dtype=object), pa.large_string()) for c in cats]
    enc = pc.dictionary_encode(pa.concat_arrays(texts))  # dictionary: first appearance
    where = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    codes, start = [], 0
    for x, t in zip(cols, texts, strict=True):
        c = np.asarray(x.array.codes, np.int64)
        part = where[start : start + len(t)]
        start += len(t)
        codes.append(np.where(c < 0, -1, part[np.maximum(c, 0)]) if len(part) else c)
    as_str = all(isinstance(c.dtype, pd.StringDtype) for c in cats)
    values = enc.dictionary.to_numpy(zero_copy_only=False)
    categories = pd.Index(values, dtype=cats[0].dtype if as_str else object)
    return pd.Categorical.from_codes(np.concatenate(codes), categories=categories)


def _texts(index: pd.Index) -> bool:
    """Whether an index holds texts only (or nothing)."""
    return isinstance(index.dtype, pd.StringDtype) or index.inferred_type in ("string", "empty")


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


class _Clock:
    """Seconds per named stage (a stage may be entered several times: it adds up)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t

    def done(self) -> dict[str, float]:
        """The timings with ``total`` (since the clock was made)."""
        self.timings["total"] = time.perf_counter() - self.t0
        return self.timings


@dataclass
class _Parcels:
    """The parcels being checked: their frame and what every stage reads of them."""

    frame: gpd.GeoDataFrame  # reset index; the stages add their columns to it
    reason: np.ndarray  # invalid-input reason per row, None where valid
    valid: np.ndarray  # bool per row
    vidx: np.ndarray  # rows of the valid parcels
    geoms: np.ndarray  # the valid parcels' geometries (vidx order)
    rings: FlatRings  # the same, flattened for the compiled kernels
    area: np.ndarray  # area per row (m²), NaN where invalid
    use: np.ndarray  # land-use class code per row

    @property
    def n(self) -> int:
        return len(self.frame)


@dataclass
class _Coverage:
    """Area (m²) and share (%) of each parcel inside the boundary and the coverage."""

    in_b: np.ndarray
    in_c: np.ndarray
    b_pct: np.ndarray
    c_pct: np.ndarray


@dataclass
class _Hits:
    """Parcel x zone hits (one entry per pair whose overlap exceeds MIN_OVERLAP_M2)."""

    local: np.ndarray  # index into _Parcels.geoms
    parcel: np.ndarray  # row of the parcel
    zone: np.ndarray  # row of the zone in PreparedZones.zones
    overlap: np.ndarray
    share: np.ndarray
    possible: np.ndarray  # the zone is a `possible` band
    proposal: np.ndarray  # the zone is a proposal's part on existing settlement land
    rule_regime: np.ndarray  # the rule's regime code for the parcel's use
    regime: np.ndarray  # effective regime code (possible bands and proposals capped)
    pieces: np.ndarray | None  # overlap geometries, when asked for
    dist: np.ndarray = field(default_factory=lambda: np.empty(0))  # distance to source


@dataclass
class _Worst:
    """Per parcel: hit counts and the worst hit (-1 / NaN where there is none)."""

    n_hits: np.ndarray
    n_pro: np.ndarray
    n_con: np.ndarray
    zone: np.ndarray
    regime: np.ndarray
    share: np.ndarray
    hit: np.ndarray  # index into _Hits


def check_parcels(
    parcels: gpd.GeoDataFrame,
    zones: PreparedZones,
    *,
    near_m: float | None = DEFAULT_NEAR_M,
    with_overlap_geometry: bool = False,
    wkb: pa.ChunkedArray | None = None,
    on_hits: Callable[[pd.DataFrame], None] | None = None,
    near_beside: bool = True,
) -> CheckResult:
    """Check parcels against prepared restriction zones.

    The pipeline, one function per stage: validity (:func:`_validity`), boundary and
    coverage (:func:`_coverage`), overlay (:func:`_overlay`), distance to the zones'
    sources (:func:`source_distances`), worst hit and verdicts (:func:`_worst_hits`,
    :func:`_verdict_columns`), functional zone (:func:`_functional_zone_columns`), near
    distances (:class:`_NearJob`, on a thread beside the verdicts, joined before the
    hits table), the hits table (:func:`_hits_frame`), explanations
    (:func:`_explanation_columns`) and column order (:func:`_column_order`).
    ``timings["near"]`` is the near thread's own time, and ``timings["near_wait"]`` how
    long the main thread waited for it after the verdicts.

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
    wkb
        The WKB of ``parcels``' geometries, row for row, as shapely writes them
        (:attr:`~almaty_scheme.check.inputs.ParcelInput.wkb`): the rings are then read
        from it (:meth:`~almaty_scheme.check.kernels.FlatRings.from_wkb`) instead of
        from GEOS. Same results.
    on_hits
        Called with the hits table (:attr:`CheckResult.hits`) as soon as it is made,
        before the parcels are explained: a writer can start on it meanwhile (the
        explanations are Python work on one core).
    near_beside
        Measure the near distances on a thread beside the verdicts (:class:`_NearJob`):
        the kernel fills the core that the verdicts leave idle. ``False`` measures them
        in turn, for callers whose other core is busy already (the results
        GeoPackage's writer processes, Dask's workers): there the thread only competes
        (10^6 parcels streamed to a GeoPackage: 15.6 s in turn, 16.5-18.0 s beside).

    Returns
    -------
    CheckResult
        ``parcels`` has exactly the input rows in input order.
    """
    require_working_crs(parcels, name="parcels")
    clock = _Clock()
    with clock("boundary_coverage"):
        p = _validity(parcels, zones, wkb)
        cover = _coverage(p, zones)
    with clock("overlay"):
        hits = _overlay(p, zones, with_overlap_geometry)
    with clock("source_distance"):
        hits.dist = source_distances(p.geoms, hits.zone, zones, rings=p.rings, geom_idx=hits.local)
    # what a stage no longer needs is let go as it ends (the frame keeps copies of the
    # columns it was given): the peak memory of a large check is at its end
    hits.local = hits.dist[:0].astype(np.int64)
    # the near distances (a parallel kernel that releases the GIL) are measured on a
    # thread while this one makes the verdicts and the explanations that need no near
    # distance; they are joined before the hits table (beside that too, 10^6 parcels
    # peaked at 2.0-2.1 GiB instead of 1.8)
    near = _NearJob(p, hits, zones, near_m, beside=near_beside)
    with clock("verdict"):
        worst = _worst_hits(hits, p.n)
        _verdict_columns(p, cover, hits, worst, zones)
        _functional_zone_columns(p, hits, zones)
    frame, n = p.frame, p.n
    del cover, p  # the flat rings in input order (the near job has its own copy)
    with clock("explain"):
        pending = _explanations_begun(frame, worst.zone, zones)
    del worst
    with clock("near_wait"):
        near_cols = near.columns(frame)
    with clock("hits_table"):
        table = _hits_frame(frame["parcel_id"], hits, zones)
    del hits
    if on_hits is not None:
        on_hits(table)
    with clock("explain"):
        explained = _explanation_columns(frame, pending, near_cols)
    del pending
    clock.timings["near"] = near.seconds
    frame = _column_order(frame, near_cols)
    timings = clock.done()
    log.debug("check of %d parcel(s): %s", n, {k: round(v, 3) for k, v in timings.items()})
    near_keys = list(zones.near_keys) if near_m else []
    return CheckResult(
        parcels=frame, hits=table, near_keys=near_keys, timings=timings, explanations=explained
    )


def _validity(
    parcels: gpd.GeoDataFrame, zones: PreparedZones, wkb: pa.ChunkedArray | None = None
) -> _Parcels:
    """Stage 1, validity: a parcel is checked unless it has an ``invalid_reason`` or a
    null (``null_geometry``) or empty (``empty_geometry``) geometry. Gives generated ids
    (``P000001``...) when there is no ``parcel_id``, areas, land-use codes and the
    checked parcels' rings (from ``wkb`` when given and readable, else from GEOS)."""
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
    # rows of the WKB read as rings are non-empty polygons: GEOS asked about the rest
    rings = _rings_from_wkb(wkb, missing, reason)
    empty = np.zeros(n, bool)
    if rings is None:
        empty[~missing] = shapely.is_empty(geoms[~missing])
    reason[(reason == None) & missing] = "null_geometry"  # noqa: E711
    reason[(reason == None) & empty] = "empty_geometry"  # noqa: E711
    valid = reason == None  # noqa: E711
    vidx = np.flatnonzero(valid)
    vg = geoms[vidx]
    area = np.full(n, np.nan)
    area[vidx] = shapely.area(vg)
    use = _class_codes(frame["use_class"] if "use_class" in frame.columns else None, zones, n)
    if rings is None:
        rings = FlatRings.from_geoms(vg)
    return _Parcels(frame, reason, valid, vidx, vg, rings, area, use)


def _rings_from_wkb(
    wkb: pa.ChunkedArray | None, missing: np.ndarray, reason: np.ndarray
) -> FlatRings | None:
    """The rings of the parcels to check (present, no ``invalid_reason``) read from
    their WKB, when it is null exactly where the geometries are and every such row is
    a canonical polygon (:meth:`FlatRings.from_wkb`); else ``None``."""
    if wkb is None or len(wkb) != len(missing) or wkb.null_count != int(missing.sum()):
        return None
    if not np.array_equal(np.asarray(wkb.is_null()), missing):
        return None
    return FlatRings.from_wkb(wkb, np.flatnonzero(~missing & (reason == None)))  # noqa: E711


def _class_codes(use_class: pd.Series | None, zones: PreparedZones, n: int) -> np.ndarray:
    lu = zones.land_use
    default = lu.code[lu.default_class]
    if use_class is None:
        return np.full(n, default, dtype=np.int64)
    codes, uniq = column_codes(pd.Series(use_class))  # the reader's categorical: no hashing
    table = np.array([lu.code.get(str(u), default) for u in uniq] + [default], dtype=np.int64)
    return table[np.where(codes < 0, len(uniq), codes)]


def _coverage(p: _Parcels, zones: PreparedZones) -> _Coverage:
    """Stage 2, boundary and coverage: the area of each valid parcel inside the
    dissolved boundary and inside the base-data coverage (one compiled clipping pass
    over both masks); the whole parcel when a mask is absent. NaN for invalid rows."""
    n, vidx = p.n, p.vidx
    vg_area = p.area[vidx]
    in_b = np.full(n, np.nan)
    in_c = np.full(n, np.nan)
    masks = zones.mask_pieces()
    if masks is not None and len(vidx):
        # boundary (owner 0) and coverage (owner 1) in one compiled pass
        gi, ow, ar = overlap_by_clipping(p.rings, masks)
        cov = np.zeros((len(vidx), 2))
        np.add.at(cov, (gi, ow), ar)
        cov = np.minimum(np.maximum(cov, 0.0), vg_area[:, None])
        in_b[vidx] = cov[:, 0] if zones.boundary is not None else vg_area
        in_c[vidx] = cov[:, 1] if zones.coverage is not None else vg_area
    else:
        in_b[vidx] = vg_area
        in_c[vidx] = vg_area
    with np.errstate(invalid="ignore", divide="ignore"):
        b_pct = np.clip(in_b / p.area * 100.0, 0.0, 100.0)
        c_pct = np.clip(in_c / p.area * 100.0, 0.0, 100.0)
    return _Coverage(in_b, in_c, b_pct, c_pct)


def _overlay(p: _Parcels, zones: PreparedZones, with_geometry: bool) -> _Hits:
    """Stage 3, overlay: every (parcel, zone) pair overlapping by more than
    :data:`MIN_OVERLAP_M2`, with its overlap (never more than the parcel), share and
    regime: the rule's regime for the parcel's use, capped at ``conditional`` in a
    ``possible`` band and on a proposed zone's part on existing settlement land
    (:func:`~almaty_scheme.check.verdict.effective_regimes`)."""
    ov = overlay_areas(p.geoms, p.area[p.vidx], zones.tiles, pieces=with_geometry, rings=p.rings)
    keep = ov.area > MIN_OVERLAP_M2
    local = ov.parcel[keep]
    parcel = p.vidx[local]
    zone = ov.owner[keep]
    overlap = np.minimum(ov.area[keep], p.area[parcel])  # rounding never exceeds the parcel
    pieces = ov.pieces[keep] if ov.pieces is not None else None
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.clip(overlap / p.area[parcel] * 100.0, 0.0, 100.0)
    zt = zones.zones
    certainty = zt["certainty"].astype(str).to_numpy() if len(zt) else np.empty(0, dtype=object)
    possible = certainty[zone] == "possible" if len(zone) else np.zeros(0, bool)
    rule_regime = (
        zones.regimes[zone, p.use[parcel]].astype(np.int64) if len(zone) else np.zeros(0, np.int64)
    )
    proposal = on_settlement_proposals(zt)[zone] if len(zone) else np.zeros(0, bool)
    regime = effective_regimes(rule_regime, possible, proposal)
    return _Hits(
        local, parcel, zone, overlap, share, possible, proposal, rule_regime, regime, pieces
    )


def _worst_hits(h: _Hits, n: int) -> _Worst:
    """Stage 4a, worst hit per parcel: highest regime, then highest rule regime (a
    capped prohibition before a plain condition), then certain before possible, then
    largest share, then largest overlap, then zone order."""
    n_hits = np.bincount(h.parcel, minlength=n)
    n_pro = np.bincount(h.parcel[h.regime == PROHIBITED], minlength=n)
    n_con = np.bincount(h.parcel[h.regime == CONDITIONAL], minlength=n)
    w = _Worst(
        n_hits,
        n_pro,
        n_con,
        zone=np.full(n, -1, dtype=np.int64),
        regime=np.full(n, -1, dtype=np.int64),
        share=np.full(n, np.nan),
        hit=np.full(n, -1, dtype=np.int64),
    )
    if len(h.parcel):
        # shares and overlaps are ranked at a fixed precision (1e-6 %, 1 mm²) so that
        # ties (e.g. two zones that both cover the whole parcel) go to the zone order
        # instead of to floating-point noise
        # compared key by key in one compiled pass (no (H, 6) key array); the rule's
        # regime ranks second: a capped prohibition names the verdict (issue 13)
        best_all = worst_per_group(
            h.parcel,
            h.regime,
            h.rule_regime,
            h.possible,
            np.round(h.share, 6),
            np.round(h.overlap, 3),
            h.zone,
            n,
        )
        p = np.flatnonzero(best_all >= 0)
        best = best_all[p]
        w.zone[p] = h.zone[best]
        w.regime[p] = h.regime[best]
        w.share[p] = h.share[best]
        w.hit[p] = best
    return w


def _verdicts(
    p: _Parcels, cover: _Coverage, h: _Hits, w: _Worst, zones: PreparedZones
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Stage 4b, verdicts and reasons as codes into VERDICTS and the returned reasons
    (:data:`REASONS` plus the invalid-input reasons met). Later rules win: coverage
    shares, then the worst regime, then outside, then invalid input."""
    n, valid = p.n, p.valid
    verdict = np.full(n, VERDICTS.index("clear"), dtype=np.int64)
    vreason = np.full(n, REASONS.index("no_restrictions"), dtype=np.int64)
    vreason[w.n_hits > 0] = REASONS.index("use_allowed")
    part_b = valid & (cover.b_pct < 99.95)
    part_c = valid & (cover.c_pct < 99.95)
    vreason[part_c] = REASONS.index("partly_outside_coverage")
    vreason[part_b] = REASONS.index("partly_outside_boundary")
    con = w.regime == CONDITIONAL
    verdict[con] = VERDICTS.index("conditional")
    vreason[con] = REASONS.index("use_conditional")
    if con.any() and len(h.parcel):
        wh = w.hit[con]
        has_reg = zones.zones["has_regime"].to_numpy(dtype=bool)
        why = conditional_reason_codes(
            h.rule_regime[wh], h.possible[wh], h.proposal[wh], has_reg[h.zone[wh]]
        )
        vreason[con] = np.array([REASONS.index(r) for r in CONDITIONAL_REASONS])[why]
    pro = w.regime == PROHIBITED
    verdict[pro] = VERDICTS.index("prohibited")
    vreason[pro] = REASONS.index("use_prohibited")
    out_b = valid & (cover.in_b <= MIN_OVERLAP_M2)
    out_c = valid & ~out_b & (cover.in_c <= MIN_OVERLAP_M2)
    verdict[out_b | out_c] = VERDICTS.index("outside")
    vreason[out_b] = REASONS.index("outside_boundary")
    vreason[out_c] = REASONS.index("outside_coverage")
    verdict[~valid] = VERDICTS.index("invalid_input")
    reasons = list(REASONS)
    if (~valid).any():
        inv_codes, inv_uniq = pd.factorize(pd.Series(p.reason[~valid], dtype=object))
        reasons += [str(u) for u in inv_uniq if str(u) not in reasons]
        lookup = np.array([reasons.index(str(u)) for u in inv_uniq], dtype=np.int64)
        vreason[~valid] = lookup[inv_codes]
    return verdict, vreason, reasons


def _verdict_columns(
    p: _Parcels, cover: _Coverage, h: _Hits, w: _Worst, zones: PreparedZones
) -> None:
    """Stage 4c: the verdict, reason, worst-hit, count, area and inside-% columns."""
    verdict, vreason, reasons = _verdicts(p, cover, h, w, zones)
    frame = p.frame
    frame["verdict"] = _from_codes(verdict, VERDICTS)
    frame["verdict_reason"] = _from_codes(vreason, reasons)
    frame["worst_rule_id"] = zones.categorical("rule_id", w.zone)
    frame["worst_family"] = zones.categorical("family", w.zone)
    frame["worst_layer"] = zones.categorical("layer", w.zone)
    frame["worst_regime"] = _from_codes(np.where(w.regime >= 0, w.regime, -1), REGIME_NAMES)
    frame["worst_certainty"] = zones.categorical("certainty", w.zone)
    frame["worst_share_pct"] = w.share
    frame["n_hits"] = w.n_hits.astype(np.int64)
    frame["n_prohibited"] = w.n_pro.astype(np.int64)
    frame["n_conditional"] = w.n_con.astype(np.int64)
    frame["area_m2"] = p.area
    frame["inside_boundary_pct"] = cover.b_pct
    frame["inside_coverage_pct"] = cover.c_pct


def _functional_zone_columns(p: _Parcels, h: _Hits, zones: PreparedZones) -> None:
    """Stage 5, functional zone: ``functional_group`` and ``subzone`` of the
    ``functional_zones`` feature with the largest overlap (ties: zone order)."""
    n, zt = p.n, zones.zones
    fz_row = np.full(n, -1, dtype=np.int64)
    if len(h.parcel) and "functional_group" in zt.columns:
        fz = (zt["layer"].astype(str).to_numpy() == "functional_zones")[h.zone]
        if fz.any():
            hp, hz, ho = h.parcel[fz], h.zone[fz], h.overlap[fz]
            b = best_per_group(hp, np.column_stack([-np.round(ho, 3), hz]).astype(float), n)
            has_fz = b >= 0
            fz_row[has_fz] = hz[b[has_fz]]
    p.frame["functional_group"] = zones.categorical("functional_group", fz_row)
    p.frame["subzone"] = zones.categorical("subzone", fz_row)


class _NearJob:
    """Stage 6 on a thread (:func:`_near_values`), started once the hits are known: the
    near kernel runs on numba's threads without the GIL, so the verdicts are made
    meanwhile (10^6 parcels: 0.85 s of kernel beside 0.3-0.45 s of Python). The caller
    joins it (:meth:`columns`, which adds the columns and raises an error of the thread)
    before the hits table and the explanations, so that the parcels' rings are let go
    before those are made (beside them too, 10^6 parcels peaked at 2.1 GiB instead of
    1.8). Nothing runs without ``near_m``; without ``beside`` :meth:`columns` measures
    them itself."""

    def __init__(
        self,
        p: _Parcels,
        h: _Hits,
        zones: PreparedZones,
        near_m: float | None,
        *,
        beside: bool = True,
    ) -> None:
        self.keys = list(zones.near_keys) if near_m else []
        self.seconds = 0.0
        self._values: np.ndarray | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._args: tuple[Any, ...] = ()
        if near_m and self.keys:
            # the rings in spatial order (made by the overlay already): the caller lets
            # go of those in input order while the distances are measured
            srt, order = p.rings.spatial_copy()
            self._args = (p.n, p.vidx, srt, order, h.parcel, h.zone, zones, float(near_m))
        if self._args and beside:
            self._thread = threading.Thread(target=self._run, name="near", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        t = time.perf_counter()
        try:
            self._values = _near_values(*self._args)
        except BaseException as exc:  # raised by columns(), on the caller's thread
            self._error = exc
        self._args = ()  # the rings and hits are the caller's to let go
        self.seconds = time.perf_counter() - t

    def columns(self, frame: gpd.GeoDataFrame) -> list[str]:
        """Wait for the distances, add ``near_<key>_m`` to ``frame``; their names."""
        if not self.keys:
            return []
        if self._thread is not None:
            self._thread.join()
        else:  # in turn, on this thread
            self._run()
        if self._error is not None:
            raise self._error
        assert self._values is not None
        cols = [f"near_{key}_m" for key in self.keys]
        for k, col in enumerate(cols):
            frame[col] = self._values[k]
        self._values = None
        return cols


def _near_values(
    n: int,
    vidx: np.ndarray,
    srt: FlatRings,
    order: np.ndarray,
    parcel: np.ndarray,
    zone: np.ndarray,
    zones: PreparedZones,
    near_m: float,
) -> np.ndarray:
    """Stage 6, near distances, ``(K, n)`` for the sorted near keys: 0 when the parcel
    hits a zone of the family or layer ``key`` (hits ``(parcel, zone)``), else the
    distance to the nearest one within ``near_m``, else NaN. Leaf keys are measured in
    one compiled pass over the valid parcels (``vidx``, their rings ``srt`` in the
    spatial ``order``); a family with per-layer keys is the minimum of its layers."""
    zt = zones.zones
    fam = zt["family"].astype(str).to_numpy() if len(zt) else np.empty(0, dtype=object)
    lay = zt["layer"].astype(str).to_numpy() if len(zt) else np.empty(0, dtype=object)
    near_keys = zones.near_keys
    # a family with per-layer keys is the minimum of its layers (no extra query)
    sub = {
        k: [o for o in near_keys if o != k and set(lay[fam == k]) >= {o} and o in set(lay)]
        for k in near_keys
    }
    # which parcels meet a zone of each key: one pass over the hits
    zone_keys = np.zeros((len(fam), len(near_keys)), bool)
    for k, key in enumerate(near_keys):
        zone_keys[:, k] = (fam == key) | (lay == key)
    touching = keys_met(parcel, zone, zone_keys, n)
    # leaf keys (no sub-keys): one compiled pass over a grid of every key's outlines
    leaves = [k for k in near_keys if not sub[k] and len(zones.near[k])]
    # (K, n): the leaf keys' distances within near_m, NaN elsewhere
    values = np.full((len(near_keys), n), np.nan)
    if leaves and len(vidx):
        seg, seg_key, grid = zones.near_segments(leaves)
        skip = np.ascontiguousarray(touching[[near_keys.index(k) for k in leaves]][:, vidx].T)
        column = np.array([leaves.index(k) if k in leaves else -1 for k in near_keys], np.int64)
        values = nearest_within_by_key(
            srt, order, skip, near_m, seg, seg_key, grid, vidx, column, n
        )
    for key in sorted(near_keys, key=lambda k: len(sub[k])):
        k = near_keys.index(key)
        if sub[key]:
            values[k] = np.fmin.reduce([values[near_keys.index(o)] for o in sub[key]])
        values[k][touching[k]] = 0.0
    return values


def _explanations_begun(
    frame: gpd.GeoDataFrame, worst_zone: np.ndarray, zones: PreparedZones
) -> PendingExplanations:
    """Stage 7, explanations, first part: every parcel's but the clear ones'
    (:func:`~almaty_scheme.check.verdict.explain_begin`; zone phrases cached on
    ``zones``), while the near distances are measured."""
    lu = zones.land_use
    return explain_begin(
        frame.assign(_worst_zone=worst_zone),  # copy-on-write: no data copied
        zones.zones,
        dict(lu.titles),
        dict(lu.titles_ru),
        zones.derived.setdefault("phrases", {}),
    )


def _explanation_columns(
    frame: gpd.GeoDataFrame, pending: PendingExplanations, near_cols: list[str]
) -> ExplanationParts:
    """Stage 7, explanations, second part: the clear parcels' (they name the nearest
    zone: ``near_cols``), then ``explanation_ru`` / ``explanation_en`` on ``frame``
    and how each distinct text splits into parts."""
    en, ru, en_parts, ru_parts = pending.finish(frame, near_cols)
    frame["explanation_ru"] = ru
    frame["explanation_en"] = en
    return ExplanationParts(
        {
            "explanation_en": (frame["explanation_en"].cat.categories, en_parts),
            "explanation_ru": (frame["explanation_ru"].cat.categories, ru_parts),
        }
    )


def _column_order(frame: gpd.GeoDataFrame, near_cols: list[str]) -> gpd.GeoDataFrame:
    """Stage 8, column order: input columns, then :data:`VERDICT_COLUMNS`, then the
    near columns, geometry last."""
    ours = [*VERDICT_COLUMNS, *near_cols]
    base = [c for c in frame.columns if c not in ours and c != frame.geometry.name]
    return frame[[*base, *ours, frame.geometry.name]]


def _hits_frame(ids: pd.Series, h: _Hits, zones: PreparedZones) -> pd.DataFrame:
    """Stage 9, the hits table, columnar: strings are categoricals over the zone table
    (and over the parcel ids), so no string is copied per hit."""
    # hits sorted by parcel (input order), then zone row: deterministic. The overlay
    # gives them in that order already; then no permutation (and no copies) is made.
    o = None if _sorted_pairs(h.parcel, h.zone) else np.lexsort((h.zone, h.parcel))

    def ordered(a: np.ndarray) -> np.ndarray:
        return a if o is None else a[o]

    h_parcel, h_zone = ordered(h.parcel), ordered(h.zone)
    zt = zones.zones
    # parcel ids are unique (inputs.prepare_parcels makes them so); a frame built by
    # hand may repeat them, then the ids are copied. Increasing ids (generated ones
    # are) are unique without hashing them: the row is the code.
    if _increasing_strings(ids):
        parcel_id: Any = pd.Categorical.from_codes(
            h_parcel, categories=pd.Index(ids.to_numpy(dtype=object), dtype=object)
        )
    elif len(pid_uniq := pd.factorize(ids.astype(object))[1]) == len(ids):
        pid_codes = np.arange(len(ids), dtype=np.int64)  # unique: codes are the rows
        parcel_id = pd.Categorical.from_codes(
            pid_codes[h_parcel], categories=pd.Index(pid_uniq, dtype=object)
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
        "overlap_m2": ordered(h.overlap),
        "share_pct": ordered(h.share),
        "distance_to_source_m": ordered(h.dist),
        "regime": _from_codes(ordered(h.regime), regimes),
        "rule_regime": _from_codes(ordered(h.rule_regime), regimes),
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
    df = pd.DataFrame(data, copy=False)  # no consolidation: the arrays are not copied
    if h.pieces is not None:
        return gpd.GeoDataFrame(
            df, geometry=gpd.GeoSeries(ordered(h.pieces), crs=WORKING_CRS), crs=WORKING_CRS
        )
    return df


def _sorted_pairs(parcel: np.ndarray, zone: np.ndarray) -> bool:
    """Whether the (parcel, zone) pairs are strictly increasing, parcel first."""
    if len(parcel) < 2:
        return True
    dp = parcel[1:] - parcel[:-1]
    if (dp < 0).any():
        return False
    return bool(((dp > 0) | (zone[1:] > zone[:-1])).all())


def _increasing_strings(ids: pd.Series) -> bool:
    """Whether ``ids`` are Arrow-backed strings without nulls, strictly increasing (so
    unique); a vectorised comparison, no hashing."""
    if not isinstance(ids.dtype, pd.StringDtype) or ids.dtype.storage != "pyarrow":
        return False
    arr = pa.array(ids.array)
    if arr.null_count or len(arr) < 2:
        return arr.null_count == 0
    return bool(pc.all(pc.greater(arr[1:], arr[:-1])).as_py())
