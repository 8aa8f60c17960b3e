"""Join the scheme's settlement list (Appendix 15) to settlement points by name.

The scheme lists 190 numbered rows (seed L4378-5055): 188 settlements of the Almaty
region, the planned satellite city "Gate City" and the city of Almaty. Open data gives
points (OSM ``place`` nodes, GeoNames) with Russian, Kazakh or Latin names. The join:

1. **Deduplicate points** (:func:`dedupe_points`): a GeoNames point within
   ``dedupe_m`` of an OSM point sharing a name key is the same place; the OSM point
   wins (better names, tagged status).
2. **Territory of each point**: the reconstructed district territory it lies in
   (:func:`almaty_scheme.base.boundary.district_territories`), so that names repeated
   in several districts (Кайрат, Енбекши, Амангельды, Кайнар...) are told apart.
3. **Candidates** for each Appendix 15 row: points sharing a name key at one of four
   tiers (:mod:`almaty_scheme.base.names`): ``exact`` (normalised names equal),
   ``loose`` (spelling-tolerant key equal), ``variant`` (genitive ending / surname
   only), ``fuzzy`` (similarity 2 x LCS / (sum of lengths) of loose keys >= ``fuzzy_min``,
   rapidfuzz ``fuzz.ratio``; same territory only).
   Aliases from ``layers/settlement_names.yaml`` (renamings such as Капчагай →
   Қонаев) count as the row's own names.
4. **Assignment**, one point per row and one row per point, greedily by the best
   candidate pairs: inside the row's territory before a neighbour within
   ``outside_km`` km, better tier first, then town > village > hamlet, then the
   tagged population nearest to the scheme's 2018 population.

   A ``fuzzy`` candidate counts only when ``settlement_names.yaml`` ``reviewed``
   accepts it (with a reason); a ``reject`` entry removes a candidate at any tier.
5. **Placement** of the rows left without a point (:mod:`almaty_scheme.base.placement`):
   the rural district's matched places' centroid, or the territory's centroid, with
   ``accuracy_m`` and a ``placement`` label; the layer holds these points too.

Every row ends either matched (``match`` says how) or placed, with the reason it has no
point.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from almaty_scheme.base.model import conform
from almaty_scheme.base.names import all_keys, district_key, loose_name, normalise_name
from almaty_scheme.base.placement import MATCHED, PLACED_PREFIX, Placed, place_unmatched
from almaty_scheme.catalogue.data_models import ReviewedMatch, SettlementNames
from almaty_scheme.catalogue.datafile import load_model
from almaty_scheme.catalogue.registry import shipped_path
from almaty_scheme.crs import require_working_crs
from almaty_scheme.errors import DataError

log = logging.getLogger(__name__)

NAMES_FILE = "settlement_names.yaml"

TIERS: tuple[str, ...] = ("exact", "loose", "variant", "fuzzy")
"""Match tiers, best first."""

MATCHABLE_KINDS: tuple[str, ...] = ("settlement", "city", "planned_city")
"""Appendix 15 row kinds that name a place (the others are subtotals)."""

_STATUS_RANK = {"city": 0, "town": 1, "village": 2, "hamlet": 3, "isolated_dwelling": 4}
_NAME_COLUMNS = ("name", "name_ru", "name_kk", "name_en")


def load_settlement_names(path: str | Path | None = None) -> SettlementNames:
    """Load the alias table (default ``layers/settlement_names.yaml``).

    Raises
    ------
    CatalogueError
        If the file is unreadable or does not follow the schema (all problems listed).
    """
    p = Path(path) if path is not None else shipped_path(NAMES_FILE)
    return load_model(p, SettlementNames)


@dataclass
class JoinResult:
    """Outcome of :func:`join_appendix15`.

    Attributes
    ----------
    settlements
        Every (deduplicated) point as the canonical ``settlements`` layer, Appendix 15
        columns filled where matched and ``name`` set to the scheme's spelling; extra
        columns ``in_appendix15`` (bool), ``scheme_name``, ``source_name`` (the
        point's own name), ``territory`` (territory id), and the input's extras
        (``origin``, ``origin_id``, ``alt_names``...).
    rows
        One line per matchable Appendix 15 row: ``row_id``, ``number``, ``row_kind``,
        ``district``, ``settlement``, ``territory``, ``base_id`` (matched real point
        or NA), ``match`` (tier, ``placed`` or ``unmatched``), ``reason``,
        ``placement`` (``matched``, the placement method, or ``unmatched``),
        ``accuracy_m`` and ``placed_id`` (the placed point's ``base_id``) for placed
        rows (:mod:`almaty_scheme.base.placement`).
    duplicates
        Points dropped as duplicates: ``origin_id``, ``name``, ``duplicate_of``.
    """

    settlements: gpd.GeoDataFrame
    rows: pd.DataFrame
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)
    accuracy_floor_m: float = 0.0

    @property
    def matched(self) -> pd.DataFrame:
        """Rows matched to a real point."""
        return self.rows[self.rows["placement"] == MATCHED]

    @property
    def placed(self) -> pd.DataFrame:
        """Rows without a real point, placed by a stated method (``placement``)."""
        return self.rows[self.rows["placement"].str.startswith(PLACED_PREFIX)]

    @property
    def unmatched(self) -> pd.DataFrame:
        """Rows without a real point (placed or not), with the reason."""
        return self.rows[self.rows["placement"] != MATCHED]

    def match_rate(self, *, existing_only: bool = True) -> float:
        """Share of rows matched to a real point (``existing_only``: no planned cities)."""
        rows = self.rows
        if existing_only:
            rows = rows[rows["row_kind"] != "planned_city"]
        return float((rows["placement"] == MATCHED).mean()) if len(rows) else 0.0


def _point_names(row: pd.Series) -> list[str]:
    names = [row.get(c) for c in _NAME_COLUMNS]
    alt = row.get("alt_names")
    if isinstance(alt, str) and alt:
        names.extend(a for a in alt.split(";") if a.strip())
    return [str(n) for n in names if isinstance(n, str) and n.strip()]


def dedupe_points(
    points: gpd.GeoDataFrame, *, dedupe_m: float = 10_000.0
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Drop GeoNames points that repeat an OSM point (same name key within ``dedupe_m``).

    The OSM point wins (better names, tagged status) and inherits the GeoNames
    point's names in ``alt_names`` (GeoNames keeps old names, e.g. Ушконыр).

    Parameters
    ----------
    points
        Settlement points in the working CRS with ``origin`` (``osm`` | ``geonames`` |
        anything else, treated like OSM) and the name columns.

    Returns
    -------
    (kept, dropped)
        ``kept`` keeps the input's index; ``dropped`` lists each removed point's
        ``origin_id``, ``name`` and the ``duplicate_of`` ``origin_id``.
    """
    require_working_crs(points, name="settlements")
    cols = ["origin_id", "name", "duplicate_of"]
    if "origin" not in points.columns or len(points) == 0:
        return points, pd.DataFrame(columns=cols)
    is_gn = points["origin"].astype("string").eq("geonames").fillna(False).to_numpy()
    others = points[~is_gn]
    keys = {i: all_keys(_point_names(r)) for i, r in points.iterrows()}
    oid = (
        points["origin_id"]
        if "origin_id" in points.columns
        else pd.Series(points.index.astype(str), index=points.index)
    )
    out = points.copy()
    if "alt_names" not in out.columns:
        out["alt_names"] = pd.Series(pd.NA, index=out.index, dtype="string")
    drop: list[Any] = []
    rows = []
    for i in points.index[is_gn]:
        dist = others.geometry.distance(points.geometry[i])
        for j in dist[dist <= dedupe_m].sort_values().index:
            if keys[i] & keys[j]:
                drop.append(i)
                rows.append(
                    {"origin_id": oid[i], "name": points.at[i, "name"], "duplicate_of": oid[j]}
                )
                extra = ";".join(_point_names(points.loc[i]))
                old = out.at[j, "alt_names"]
                out.at[j, "alt_names"] = f"{old};{extra}" if isinstance(old, str) and old else extra
                break
    return out.drop(index=drop), pd.DataFrame(rows, columns=cols)


def assign_territory(
    points: gpd.GeoDataFrame, territories: gpd.GeoDataFrame, *, id_column: str = "territory"
) -> pd.Series:
    """Territory id of each point (``NA`` outside all territories).

    A point on a shared border goes to the first territory in ``territories`` order.
    """
    require_working_crs(points, name="settlements")
    require_working_crs(territories, name="territories")
    out = pd.Series(pd.NA, index=points.index, dtype="string")
    for _, t in territories.iterrows():
        inside = points.geometry.intersects(t.geometry) & out.isna()
        out[inside] = t[id_column]
    return out


def _fuzzy(a: str, b: str) -> float:
    """Similarity 2 x LCS / (len a + len b) in [0, 1] (rapidfuzz ``fuzz.ratio`` / 100,
    the normalised Indel similarity)."""
    return float(fuzz.ratio(a, b)) / 100.0


_Keys = tuple[frozenset[str], frozenset[str], frozenset[str]]


def name_key_sets(names: Sequence[str]) -> _Keys:
    """Normalised, loose and lower-tier keys of several spellings of one place."""
    return (
        frozenset({normalise_name(n) for n in names} - {""}),
        frozenset({loose_name(n) for n in names} - {""}),
        frozenset(all_keys(names)),
    )


def match_tier(row: _Keys, point: _Keys, fuzzy_min: float = 0.85) -> tuple[int, float] | None:
    """Best tier (index into :data:`TIERS`) and similarity of two key sets, or ``None``."""
    if row[0] & point[0]:
        return 0, 1.0
    if row[1] & point[1]:
        return 1, 1.0
    if row[2] & point[2]:
        return 2, 1.0
    best = max((_fuzzy(a, b) for a in row[1] for b in point[1]), default=0.0)
    if best >= fuzzy_min:
        return 3, best
    return None


def _rural_district_distance(
    pairs: list[list[Any]], rows: pd.DataFrame, pts: gpd.GeoDataFrame
) -> None:
    """Fill slot 3 of each candidate pair: distance to the row's rural-district centre.

    The centre is the mean position of the points matched without ambiguity (one
    candidate at the row's best tier, inside its territory) by the *other* rows of the
    same district and rural district; 0 where there is none. Among equally good
    candidates, the one nearest the rest of its rural district wins.
    """
    by_row: dict[Any, list[list[Any]]] = {}
    for p in pairs:
        by_row.setdefault(p[6], []).append(p)
    anchor: dict[Any, Any] = {}
    for idx, ps in by_row.items():
        best = min(tuple(p[:3]) for p in ps)
        top = [p for p in ps if tuple(p[:3]) == best]
        if len(top) == 1 and top[0][0] == 0:
            anchor[idx] = top[0][7]
    groups: dict[tuple[str, str], list[Any]] = {}
    for idx in anchor:
        key = (str(rows.at[idx, "district"]), str(rows.at[idx, "rural_district"]))
        groups.setdefault(key, []).append(idx)
    for p in pairs:
        idx = p[6]
        key = (str(rows.at[idx, "district"]), str(rows.at[idx, "rural_district"]))
        others = [anchor[k] for k in groups.get(key, []) if k != idx]
        if not others or key[1] in ("nan", "None", "<NA>", ""):
            continue
        cx = float(np.mean([pts.geometry[k].x for k in others]))
        cy = float(np.mean([pts.geometry[k].y for k in others]))
        g = pts.geometry[p[7]]
        p[3] = round(float(np.hypot(g.x - cx, g.y - cy)), -2)


def join_appendix15(
    points: gpd.GeoDataFrame,
    table: pd.DataFrame,
    territories: gpd.GeoDataFrame,
    district_territory: Mapping[str, str],
    *,
    names: SettlementNames | None = None,
    fuzzy_min: float = 0.85,
    outside_km: float = 10.0,
    dedupe_m: float = 10_000.0,
    beyond: dict[str, Any] | None = None,
) -> JoinResult:
    """Join Appendix 15 rows to settlement points (method in the module docstring).

    Parameters
    ----------
    points
        Canonical ``settlements`` points (EPSG:32643) with name columns; ``origin``,
        ``origin_id``, ``status``, ``population``, ``alt_names`` are used when present.
    table
        The Appendix 15 table (``load_appendix15``), columns per the contract.
    territories
        Polygons with a ``territory`` id column (district territories).
    district_territory
        Appendix 15 ``district`` text -> territory id(s), comma-separated for a
        district split over several territories (``город Алматы`` -> its 8 districts).
    names
        Aliases and known gaps (``layers/settlement_names.yaml``).
    fuzzy_min
        Minimum similarity for the ``fuzzy`` tier (same territory only).
    outside_km
        A point in another territory may still match when it lies within this
        distance of the row's territory and no point inside matches.
    beyond
        Territory id -> its land beyond the northern water line, for the far-bank
        placement (:func:`almaty_scheme.base.placement.far_bank_point`).

    Raises
    ------
    DataError
        If the table lacks contract columns or a row's district has no territory.
    """
    require_working_crs(points, name="settlements")
    _check_table_columns(table)
    names = names or SettlementNames(version="0.0.0")
    pts, dropped = dedupe_points(points, dedupe_m=dedupe_m)
    pts = pts.copy()
    pts["territory"] = assign_territory(pts, territories)
    rows = table[table["row_kind"].isin(MATCHABLE_KINDS)].copy()
    row_terr = _row_territories(rows, district_territory)
    ctx = _JoinContext(
        rows=rows,
        pts=pts,
        row_terr=row_terr,
        names=names,
        pt_keys={i: name_key_sets(_point_names(p)) for i, p in pts.iterrows()},
        outside_km=outside_km,
    )
    pairs = _candidate_pairs(ctx, territories, fuzzy_min)
    _rural_district_distance(pairs, rows, pts)
    pairs.sort(key=lambda p: tuple(p[:6]))
    row_to_pt, pt_to_row, how = _assign_pairs(pairs)
    res_rows = _result_rows(ctx, pairs, row_to_pt, pt_to_row, how)
    layer = _settlement_layer(pts, rows, row_to_pt, how)
    # map the input index to the conformed base_id
    base_ids = dict(zip(pts.index, layer["base_id"], strict=True)) if "base_id" in layer else {}
    res_rows["base_id"] = res_rows["point"].map(base_ids).astype("string")
    res_rows = res_rows.drop(columns=["point"])
    res_rows["placement"] = np.where(res_rows["base_id"].notna(), MATCHED, "unmatched")
    res_rows["accuracy_m"] = np.nan
    res_rows["placed_id"] = pd.Series(pd.NA, index=res_rows.index, dtype="string")
    placed, floor_m = place_unmatched(
        res_rows, layer.set_index("base_id").geometry, territories, names.placement, beyond
    )
    layer = _add_placed(layer, rows, res_rows, placed)
    log.info(
        "Appendix 15 join: %d of %d rows matched, %d placed (accuracy floor %.0f m)",
        int((res_rows["placement"] == MATCHED).sum()),
        len(res_rows),
        len(placed),
        floor_m,
    )
    return JoinResult(
        settlements=layer, rows=res_rows, duplicates=dropped, accuracy_floor_m=floor_m
    )


def _add_placed(
    layer: gpd.GeoDataFrame,
    rows: pd.DataFrame,
    res_rows: pd.DataFrame,
    placed: dict[Any, Placed],
) -> gpd.GeoDataFrame:
    """Append one point per placed row to the layer and record it in ``res_rows``."""
    layer = layer.copy()
    layer["placement"] = pd.Series(pd.NA, index=layer.index, dtype="string")
    layer.loc[layer["in_appendix15"], "placement"] = MATCHED
    layer["accuracy_m"] = np.nan
    if not placed:
        return layer
    by_row_id = {r["row_id"]: r for _, r in rows.iterrows()}
    new = []
    for idx, p in placed.items():
        rr = res_rows.loc[idx]
        r = by_row_id[rr["row_id"]]
        bid = f"settlements:placed:{rr['row_id']}"
        res_rows.at[idx, "placed_id"] = bid
        res_rows.at[idx, "placement"] = p.placement
        res_rows.at[idx, "accuracy_m"] = p.accuracy_m
        res_rows.at[idx, "match"] = "placed"
        rd = r.get("rural_district")
        rec: dict[str, Any] = {
            "base_id": bid,
            "source": "placed from Appendix 15 (no point in the data)",
            "accuracy": f"+/- {p.accuracy_m:.0f} m ({p.placement})",
            "name": r["settlement"],
            "district": r.get("district"),
            "rural_district": rd if isinstance(rd, str) and rd else pd.NA,
            "scheme_row": r["row_id"],
            "match": "placed",
            "in_appendix15": True,
            "scheme_name": r["settlement"],
            "territory": str(rr["territory"]).split(",")[0] or pd.NA,
            "origin": "placed",
            "placement": p.placement,
            "accuracy_m": p.accuracy_m,
            "geometry": p.point,
        }
        for c in ("pop_2018", "pop_2025", "pop_2035", "pop_2050"):
            rec[c] = pd.to_numeric(pd.Series([r.get(c)]), errors="coerce").iloc[0]
        new.append(rec)
    add = gpd.GeoDataFrame(new, geometry="geometry", crs=layer.crs)
    out = pd.concat([layer, add], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=layer.crs)
    out["in_appendix15"] = out["in_appendix15"].astype(bool)
    return conform("settlements", out)


def is_placed(settlements: pd.DataFrame) -> pd.Series:
    """True for points placed by :mod:`almaty_scheme.base.placement` (not real points)."""
    if "placement" not in settlements.columns:
        return pd.Series(False, index=settlements.index)
    return (
        settlements["placement"].astype("string").str.startswith(PLACED_PREFIX).fillna(False)
    ).astype(bool)


def _check_table_columns(table: pd.DataFrame) -> None:
    need = {"row_id", "row_kind", "district", "settlement", "pop_2018"}
    missing = need - set(table.columns)
    if missing:
        raise DataError(
            "The Appendix 15 table lacks columns " + ", ".join(sorted(missing)),
            [
                "Use almaty_scheme.catalogue.appendices.load_appendix15 to read layers/"
                "appendix15_settlements.csv (columns in the interface contract)."
            ],
        )


def _row_territories(
    rows: pd.DataFrame, district_territory: Mapping[str, str]
) -> dict[Any, list[str]]:
    """Territory ids of each row's district (none for the planned city without one)."""
    dkeys = {district_key(k): v for k, v in district_territory.items()}
    problems = []
    row_terr: dict[Any, list[str]] = {}
    for idx, r in rows.iterrows():
        d = r.get("district")
        if r["row_kind"] == "planned_city" and (not isinstance(d, str) or not d.strip()):
            row_terr[idx] = []
            continue
        terr = dkeys.get(district_key(d if isinstance(d, str) else ""))
        if terr is None:
            problems.append(
                f"Appendix 15 row {r['row_id']}: district {d!r} has no territory; add it to "
                "the 'appendix15_districts' of a territory in layers/boundary.yaml."
            )
            row_terr[idx] = []
        else:
            row_terr[idx] = [t.strip() for t in terr.split(",")]
    if problems:
        raise DataError("Appendix 15 districts cannot be placed", problems)
    return row_terr


@dataclass
class _JoinContext:
    """What the steps of :func:`join_appendix15` share."""

    rows: pd.DataFrame
    pts: gpd.GeoDataFrame
    row_terr: dict[Any, list[str]]
    names: SettlementNames
    pt_keys: dict[Any, _Keys]
    outside_km: float
    refused: dict[Any, list[str]] = field(default_factory=dict)
    """Row index -> candidates refused by review (or fuzzy ones not reviewed), as text."""


def _review(names: SettlementNames, r: pd.Series, point_keys: _Keys) -> ReviewedMatch | None:
    """The ``reviewed`` entry of ``settlement_names.yaml`` for row ``r`` and a point."""
    for e in names.reviewed:
        if loose_name(e.settlement) != loose_name(r["settlement"]):
            continue
        if e.district and district_key(e.district) != district_key(r.get("district")):
            continue
        if loose_name(e.point_name) in point_keys[1]:
            return e
    return None


def _reviewed_tier(
    ctx: _JoinContext, idx: Any, r: pd.Series, j: Any, t: tuple[int, float]
) -> tuple[int, float] | None:
    """Apply the review table: rejected pairs and unreviewed fuzzy pairs are dropped."""
    e = _review(ctx.names, r, ctx.pt_keys[j])
    pname = str(ctx.pts.at[j, "name"]) if "name" in ctx.pts.columns else str(j)
    label = f"{TIERS[t[0]]} {t[1]:.2f}" if t[0] == 3 else TIERS[t[0]]
    if e is not None and e.decision == "reject":
        ctx.refused.setdefault(idx, []).append(f"{pname!r} ({label}) rejected: {e.reason}")
        return None
    if t[0] == 3 and e is None:
        ctx.refused.setdefault(idx, []).append(
            f"{pname!r} ({label}) not accepted: a fuzzy candidate needs a reviewed entry "
            "in layers/settlement_names.yaml"
        )
        return None
    return t


def _aliases_for(names: SettlementNames, r: pd.Series) -> list[str]:
    """Other names of row ``r`` from ``settlement_names.yaml``."""
    out = []
    for a in names.aliases:
        if loose_name(a.settlement) != loose_name(r["settlement"]):
            continue
        if a.district and district_key(a.district) != district_key(r.get("district")):
            continue
        out.extend(a.aliases)
    return out


def _candidate_pairs(
    ctx: _JoinContext, territories: gpd.GeoDataFrame, fuzzy_min: float
) -> list[list[Any]]:
    """Every (row, point) that may match, as a sortable list ending with row and point.

    Keys: outside the district, tier, -similarity, rural-district distance (filled
    later), status rank, population difference.
    """
    pts = ctx.pts
    terr_geom = {t["territory"]: t.geometry for _, t in territories.iterrows()}
    terr_of = {j: (None if pd.isna(v) else str(v)) for j, v in pts["territory"].items()}
    pairs = []
    for idx, r in ctx.rows.iterrows():
        if r["row_kind"] == "planned_city":
            continue
        rkeys = name_key_sets([str(r["settlement"]), *_aliases_for(ctx.names, r)])
        terrs = ctx.row_terr[idx]
        region = [terr_geom[t] for t in terrs if t in terr_geom]
        for j in pts.index:
            inside = terr_of[j] in terrs
            if not inside:
                if not region:
                    continue
                dist = min(pts.geometry[j].distance(g) for g in region)
                if dist > ctx.outside_km * 1000.0:
                    continue
            t = match_tier(rkeys, ctx.pt_keys[j], fuzzy_min)
            if t is None or (t[0] == 3 and not inside):
                continue
            t = _reviewed_tier(ctx, idx, r, j, t)
            if t is None:
                continue
            status = pts.at[j, "status"] if "status" in pts.columns else None
            rank = _STATUS_RANK.get(str(status), 5)
            pop = pts.at[j, "population"] if "population" in pts.columns else np.nan
            pdiff = (
                abs(float(pop) - float(r["pop_2018"]))
                if pd.notna(pop) and pd.notna(r["pop_2018"])
                else np.inf
            )
            pairs.append([0 if inside else 1, t[0], -t[1], 0.0, rank, pdiff, idx, j])
    return pairs


def _assign_pairs(
    pairs: list[list[Any]],
) -> tuple[dict[Any, Any], dict[Any, Any], dict[Any, str]]:
    """Greedy one-to-one assignment in sorted order: row -> point, point -> row, how."""
    counts: dict[tuple[Any, int, int], int] = {}
    for p in pairs:
        counts[(p[6], p[0], p[1])] = counts.get((p[6], p[0], p[1]), 0) + 1
    row_to_pt: dict[Any, Any] = {}
    pt_to_row: dict[Any, Any] = {}
    how: dict[Any, str] = {}
    for inside, tier, negsim, _rd, _rank, _pd, idx, j in pairs:
        if idx in row_to_pt or j in pt_to_row:
            continue
        row_to_pt[idx] = j
        pt_to_row[j] = idx
        label = TIERS[tier] + (f" {-negsim:.2f}" if tier == 3 else "")
        if inside:
            label += " (outside district)"
        n = counts[(idx, inside, tier)]
        if n > 1:
            label += f" (1 of {n} candidates)"
        how[idx] = label
    return row_to_pt, pt_to_row, how


def _unmatched_reason(
    ctx: _JoinContext, idx: Any, r: pd.Series, pairs: list[list[Any]], pt_to_row: dict[Any, Any]
) -> str:
    """Why row ``r`` found no point (known gap, points taken by others, too far, none)."""
    if r["row_kind"] == "planned_city":
        return "planned city: no settlement exists on the ground (no point to match)"
    known = {
        (loose_name(k.settlement), district_key(k.district)): k.reason
        for k in ctx.names.known_missing
    }
    reason = known.get((loose_name(r["settlement"]), district_key(r.get("district"))))
    reason = reason or known.get((loose_name(r["settlement"]), ""))
    if reason is not None:
        return reason
    if idx in ctx.refused and not any(p[6] == idx for p in pairs):
        return "candidates refused: " + "; ".join(ctx.refused[idx])
    near = sorted({p[7] for p in pairs if p[6] == idx})
    rk = name_key_sets([str(r["settlement"]), *_aliases_for(ctx.names, r)])
    far = [
        k
        for k in ctx.pts.index
        if k not in near and match_tier(rk, ctx.pt_keys[k], 0.99) is not None
    ]
    if near:
        taken = sorted({str(ctx.rows.at[pt_to_row[k], "row_id"]) for k in near if k in pt_to_row})
        return (
            "every point with this name within reach is matched to another row ("
            + ", ".join(taken)
            + ")"
        )
    if far:
        return (
            f"points with this name exist only farther than {ctx.outside_km:g} km from the district"
        )
    return "no settlement point with this or a similar name in the data"


def _result_rows(
    ctx: _JoinContext,
    pairs: list[list[Any]],
    row_to_pt: dict[Any, Any],
    pt_to_row: dict[Any, Any],
    how: dict[Any, str],
) -> pd.DataFrame:
    """One row per Appendix 15 row: its point (input index), match tier and reason."""
    out_rows = []
    for idx, r in ctx.rows.iterrows():
        j = row_to_pt.get(idx)
        if j is None:
            reason = _unmatched_reason(ctx, idx, r, pairs, pt_to_row)
        else:
            e = _review(ctx.names, r, ctx.pt_keys[j])
            reason = f"reviewed match: {e.reason}" if e is not None else ""
        out_rows.append(
            {
                "row_id": r["row_id"],
                "number": r.get("number"),
                "row_kind": r["row_kind"],
                "district": r.get("district"),
                "rural_district": r.get("rural_district"),
                "settlement": r["settlement"],
                "territory": ",".join(ctx.row_terr[idx]),
                "point": j,
                "match": how.get(idx, "unmatched"),
                "reason": reason,
            }
        )
    return pd.DataFrame(out_rows)


def _settlement_layer(
    pts: gpd.GeoDataFrame, rows: pd.DataFrame, row_to_pt: dict[Any, Any], how: dict[Any, str]
) -> gpd.GeoDataFrame:
    """The canonical ``settlements`` layer with the Appendix 15 columns of matched points."""
    layer = pts.copy()
    layer["in_appendix15"] = False
    for c in ("district", "rural_district", "scheme_row"):
        layer[c] = pd.Series(pd.NA, index=layer.index, dtype="string")
    for c in ("pop_2018", "pop_2025", "pop_2035", "pop_2050"):
        layer[c] = np.nan
    layer["match"] = pd.Series("not in Appendix 15", index=layer.index, dtype="string")
    layer["scheme_name"] = pd.Series(pd.NA, index=layer.index, dtype="string")
    layer["source_name"] = layer["name"].astype("string")
    for idx, j in row_to_pt.items():
        r = rows.loc[idx]
        layer.at[j, "in_appendix15"] = True
        layer.at[j, "scheme_row"] = r["row_id"]
        layer.at[j, "scheme_name"] = r["settlement"]
        layer.at[j, "source_name"] = layer.at[j, "name"]
        layer.at[j, "name"] = r["settlement"]
        layer.at[j, "district"] = r.get("district")
        rd = r.get("rural_district")
        layer.at[j, "rural_district"] = rd if isinstance(rd, str) and rd else pd.NA
        for c in ("pop_2018", "pop_2025", "pop_2035", "pop_2050"):
            if c in r.index:
                layer.at[j, c] = pd.to_numeric(r[c], errors="coerce")
        layer.at[j, "match"] = how[idx]
    layer["in_appendix15"] = layer["in_appendix15"].astype(bool)
    return conform("settlements", layer.reset_index(drop=True))
