"""Vectorising the named network into the canonical ``rivers`` layer.

See :mod:`almaty_scheme.base.hydro` for the method.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from almaty_scheme.base.hydro.anchors import load_anchors
from almaty_scheme.base.hydro.flow import DEFAULT_THRESHOLD_KM2, ROUTE_STEPS, FlowModel, route
from almaty_scheme.base.hydro.merge import ili_offset
from almaty_scheme.base.hydro.naming import ResolvedAnchor, name_network, resolve_anchors
from almaty_scheme.base.model import conform
from almaty_scheme.catalogue.data_models import HydroAnchors, HydroRiver
from almaty_scheme.crs import WORKING_CRS, require_working_crs, to_working_crs
from almaty_scheme.progress import ProgressCounter

log = logging.getLogger(__name__)


DEFAULT_CLIP_BUFFER_M = 2000.0
"""Streams are kept within this distance of the boundary (zones reach up to 1700 m)."""

EXTRA_COLUMNS: dict[str, str] = {
    "upstream_km2": "float64",
    "river_length_km": "float64",
    "river_id": "string",
    "anchors": "string",
    "name_reading": "string",
}
"""Columns :func:`derive_rivers` adds after the canonical ``rivers`` columns."""


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
    m = re.search(r"gebco_?(\d{4})", path.name, flags=re.IGNORECASE)
    name = dem_label or (f"GEBCO {m.group(1)}" if m else path.name)
    if model.crs.is_geographic:
        sec = abs(model.transform.a) * 3600
        res = f'{sec:g}"' if abs(sec - round(sec)) < 1e-6 else f"{abs(model.transform.a):g} deg"
    else:
        res = f"{abs(model.transform.a):g} m"
    return f"{name} {res} (~{model.dx_m:.0f} m x {model.dy_m:.0f} m)"


DERIVE_STEPS: tuple[str, ...] = (
    *ROUTE_STEPS,
    "rivers: naming rivers from the anchors",
    "rivers: tracing stream segments",
    "rivers: cutting at shorelines, clipping",
)
"""The steps of :func:`derive_rivers` shown on its progress bar (a few seconds each)."""


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
    _require_inputs(boundary, water_bodies, places, reference_rivers)
    if anchors is None or isinstance(anchors, (str, Path)):
        anchors = load_anchors(anchors)
    with ProgressCounter(total=len(DERIVE_STEPS), desc="rivers", unit="step") as bar:
        model = route(
            path,
            water_bodies=water_bodies,
            outlets=_outlets(anchors),
            flats=flats,
            on_step=bar.step,
        )
        bar.step(DERIVE_STEPS[-3])
        streams = model.stream_mask(threshold_km2)
        label, resolved = _named_network(model, anchors, streams, places)
        bar.step(DERIVE_STEPS[-2])
        lines, recs = _segment_lines(model, streams, label, keep_unnamed)
        src, acc = _provenance(path, model, flats, threshold_km2, dem_label)
        if not lines:
            return _no_rivers()
        bar.step(DERIVE_STEPS[-1])
        by_num = dict(enumerate(anchors.rivers, start=1))
        gdf, offset = _river_lines(
            gpd.GeoDataFrame(
                pd.DataFrame.from_records(recs), geometry=gpd.GeoSeries(lines, crs=model.crs)
            ),
            by_num,
            path,
            water_bodies=water_bodies,
            reference_rivers=reference_rivers,
            clip_area=_clip_area(boundary, clip_buffer_m),
        )
        bar.update(1)  # the last step done
    _river_attributes(
        gdf, by_num, resolved, {"source": src, "licence": dem_licence, "accuracy": acc}
    )
    out = _with_extras(conform("rivers", gdf.drop(columns="label")))
    if report is not None:
        report.update(_river_report(out, model, resolved, path, threshold_km2, acc, offset, t0))
    log.info(
        "derived %d river features (%d named) from %s in %.1f s",
        len(out),
        int(out["name"].notna().sum()),
        path.name,
        time.perf_counter() - t0,
    )
    return out


def _no_rivers() -> gpd.GeoDataFrame:
    """An empty canonical ``rivers`` layer with the extra columns."""
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WORKING_CRS))
    return _with_extras(conform("rivers", empty))


def _require_inputs(
    boundary: gpd.GeoDataFrame | None,
    water_bodies: gpd.GeoDataFrame | None,
    places: gpd.GeoDataFrame | None,
    reference_rivers: gpd.GeoDataFrame | None,
) -> None:
    """Every vector input given (and non-empty) must be in the working CRS."""
    if boundary is not None:
        require_working_crs(boundary, name="boundary")
    for gdf, nm in (
        (water_bodies, "water_bodies"),
        (places, "places"),
        (reference_rivers, "reference_rivers"),
    ):
        if gdf is not None and len(gdf):
            require_working_crs(gdf, name=nm)


def _provenance(
    path: Path, model: FlowModel, flats: str, threshold_km2: float, dem_label: str | None
) -> tuple[str, str]:
    """``source`` and ``accuracy`` of the derived features."""
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
    return src, acc


def _clip_area(boundary: gpd.GeoDataFrame | None, clip_buffer_m: float) -> Any:
    """The boundary grown by ``clip_buffer_m`` (``None``: no boundary, keep all)."""
    if boundary is None or not len(boundary):
        return None
    return shapely.union_all(boundary.geometry.to_numpy()).buffer(clip_buffer_m)


def _river_lines(
    gdf: gpd.GeoDataFrame,
    by_num: dict[int, HydroRiver],
    path: Path,
    *,
    water_bodies: gpd.GeoDataFrame | None,
    reference_rivers: gpd.GeoDataFrame | None,
    clip_area: Any,
) -> tuple[gpd.GeoDataFrame, dict[str, Any] | None]:
    """Segments in the working CRS, cut at water bodies, named, clipped to ``clip_area``.

    Also the offset of the derived Ili from the reference one, measured before clipping
    (the Ili below the dam lies outside the boundary).
    """
    gdf = to_working_crs(gdf, name=path.name)
    if water_bodies is not None and len(water_bodies):
        water_union = shapely.union_all(water_bodies.geometry.to_numpy())
        gdf["geometry"] = gdf.geometry.difference(water_union)
    gdf["name"] = pd.array([by_num[v].name if v else pd.NA for v in gdf["label"]], dtype="string")
    gdf["name_ru"] = pd.array(
        [by_num[v].name_ru if v else pd.NA for v in gdf["label"]], dtype="string"
    )
    offset = None
    if reference_rivers is not None and len(reference_rivers):
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
    if clip_area is not None:
        gdf["geometry"] = gdf.geometry.intersection(clip_area)
    present = ~shapely.is_missing(gdf.geometry.to_numpy())
    gdf = gdf.loc[present & ~gdf.geometry.is_empty.to_numpy()].copy()
    gdf["geometry"] = [_multiline(g) for g in gdf.geometry]
    gdf = gdf.loc[~shapely.is_missing(gdf.geometry.to_numpy())].reset_index(drop=True)
    return gdf, offset


def _river_report(
    out: gpd.GeoDataFrame,
    model: FlowModel,
    resolved: list[ResolvedAnchor],
    path: Path,
    threshold_km2: float,
    acc: str,
    offset: dict[str, Any] | None,
    t0: float,
) -> dict[str, Any]:
    """What :func:`derive_rivers` puts into its ``report``."""
    named = out.loc[out["name"].notna()].groupby("name")["length_km"].sum()
    return {
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


def _outlets(anchors: HydroAnchors) -> list[tuple[str, float, float, float]]:
    """``(water body name, lon, lat, snap_m)`` of every outlet with a point."""
    outlets = []
    for o in anchors.outlets:
        if o.place.lon is None or o.place.lat is None:
            continue
        for name in o.water_body:
            outlets.append((name, o.place.lon, o.place.lat, o.snap_m))
    return outlets


def _named_network(
    model: FlowModel,
    anchors: HydroAnchors,
    streams: np.ndarray,
    places: gpd.GeoDataFrame | None,
) -> tuple[np.ndarray, list[ResolvedAnchor]]:
    """River labels of the stream cells (step 6) and the anchors as resolved.

    An anchor whose cell ends up on another river's main stem is reported and not used.
    """
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
    return label, resolved


def _segment_lines(
    model: FlowModel, streams: np.ndarray, label: np.ndarray, keep_unnamed: bool
) -> tuple[list[Any], list[dict[str, Any]]]:
    """One line (DEM CRS) per stream segment with its label, Strahler order and area."""
    lab_flat = label.ravel()
    strahler = model.strahler(streams).ravel()
    segs = stream_segments(model.idxs_ds, streams, label)
    lines, recs = [], []
    upa = model.upstream_km2.ravel()
    ids_flat = model.idxs_ds
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
    return lines, recs


def _river_attributes(
    gdf: gpd.GeoDataFrame,
    by_num: dict[int, HydroRiver],
    resolved: list[ResolvedAnchor],
    provenance: dict[str, str],
) -> None:
    """The ``rivers`` columns from each feature's label, in place."""
    used: dict[str, list[str]] = {}
    for ra in resolved:
        if ra.cell is not None:
            used.setdefault(ra.river_id, []).append(ra.anchor.id)
    readings = {r.id: _name_reading(r, used.get(r.id, [])) for r in by_num.values()}
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
    for col, value in provenance.items():
        gdf[col] = pd.array([value] * len(gdf), dtype="string")


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
