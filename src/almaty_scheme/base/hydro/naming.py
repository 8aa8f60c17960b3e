"""Naming the derived streams from the anchors of ``layers/hydro_anchors.yaml``.

See :mod:`almaty_scheme.base.hydro` for the method.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from pyproj import Transformer

from almaty_scheme.base.hydro.flow import GEOD, FlowModel, snap_cell
from almaty_scheme.base.names import loose_name
from almaty_scheme.catalogue.data_models import Anchor, AnchorPlace, HydroAnchors
from almaty_scheme.errors import ProcessingError

log = logging.getLogger(__name__)


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
                GEOD.inv(place.near[0], place.near[1], lo, la)[2]
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
        d = max(GEOD.inv(lons[0], lats[0], lo, la)[2] for lo, la in zip(lons, lats, strict=True))
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
            hit = snap_cell(model, x, y, cand, a.snap_m)
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
    anchor_of = np.zeros(ids.size, dtype="int64")
    for cell, river in anchor_cells:
        if s[cell] and anchor_of[cell] == 0:
            anchor_of[cell] = river
    par = dict(parent or {})
    anc = {r: _ancestors(r, par) for r in set(par) | set(anchor_of[anchor_of > 0].tolist())}
    label = _label_downstream(ids, upa, s, anchor_of, set(trunk), anc)
    extend = None if extend_upstream is None else set(extend_upstream)
    _extend_upstream(label, ids, upa, s, anchor_cells, extend, set(stop_cells))
    return label


def _ancestors(r: int, par: dict[int, int]) -> set[int]:
    """Every river that ``r`` flows into, through ``par`` (cycles stop)."""
    out: set[int] = set()
    while r in par and par[r] not in out:
        r = par[r]
        out.add(r)
    return out


def _next_anchors(
    order: np.ndarray, ids: np.ndarray, s: np.ndarray, anchor_of: np.ndarray
) -> np.ndarray:
    """River number of the first anchor strictly downstream of each stream cell."""
    next_anchor = np.zeros(ids.size, dtype="int64")
    for c in order[::-1]:  # mouths first
        d = ids[c]
        if d != c and s[d]:
            next_anchor[c] = anchor_of[d] if anchor_of[d] else next_anchor[d]
    return next_anchor


def _arriving_label(
    incoming: dict[int, float],
    next_anchor: int,
    main: int,
    trunk: set[int],
    anc: dict[int, set[int]],
) -> int:
    """The label a cell without its own anchor takes from its upstream neighbours."""
    if not incoming:
        return 0
    if next_anchor and next_anchor in incoming:
        return next_anchor
    trunks = [r for r in incoming if r in trunk]
    if trunks:
        return max(trunks, key=lambda r: incoming[r])
    if main in incoming or main == 0:
        return main
    # the main branch's river yields to an ancestor arriving here
    up = [r for r in incoming if r in anc.get(main, set())]
    return max(up, key=lambda r: incoming[r]) if up else 0


def _label_downstream(
    ids: np.ndarray,
    upa: np.ndarray,
    s: np.ndarray,
    anchor_of: np.ndarray,
    trunk: set[int],
    anc: dict[int, set[int]],
) -> np.ndarray:
    """Labels carried from sources to mouths (see the Notes of :func:`name_network`)."""
    n = ids.size
    # stream cells in topological order (every cell after all stream cells upstream)
    order = _topological_order(ids, s)
    next_anchor = _next_anchors(order, ids, s, anchor_of)
    label = np.zeros(n, dtype="int64")
    # incoming (label, area of the branch) per cell, gathered as we go
    best_named: dict[int, dict[int, float]] = {}
    main_area = np.full(n, -1.0)
    main_label = np.zeros(n, dtype="int64")
    for c in order:
        incoming = best_named.get(int(c), {})
        if incoming and len(incoming) > 1:
            incoming = {
                r: a for r, a in incoming.items() if not (anc.get(r, set()) & set(incoming))
            }
        if anchor_of[c] and not (anc.get(int(anchor_of[c]), set()) & set(incoming)):
            lab = int(anchor_of[c])
        else:
            lab = _arriving_label(incoming, int(next_anchor[c]), int(main_label[c]), trunk, anc)
        label[c] = lab
        d = ids[c]
        if d != c and s[d]:
            if upa[c] > main_area[d]:
                main_area[d] = upa[c]
                main_label[d] = lab
            if lab:
                inc = best_named.setdefault(int(d), {})
                inc[lab] = max(inc.get(lab, 0.0), float(upa[c]))
    return label


def _extend_upstream(
    label: np.ndarray,
    ids: np.ndarray,
    upa: np.ndarray,
    s: np.ndarray,
    anchor_cells: Sequence[tuple[int, int]],
    extend: set[int] | None,
    stops: set[int],
) -> None:
    """From each anchor with no same-named stream above, climb the largest unnamed branch."""
    ups: dict[int, list[int]] = {}
    for k in np.flatnonzero(s):
        d = ids[k]
        if d != k and s[d]:
            ups.setdefault(int(d), []).append(int(k))
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
