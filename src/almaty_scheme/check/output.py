"""Writing check results: GeoPackage, CSV, GeoParquet and the summary JSON.

Files written for ``--out results.gpkg``, replaced together by one
:class:`~almaty_scheme.io.outset.OutputSet` (temporary files in the same folder, a commit
journal, the summary last; nothing is replaced without ``overwrite``, no output may be an
input; the summary table and the JSON carry the same ``run_id``):

``results.gpkg``
    ``parcels`` (every input parcel, MultiPolygon, null geometry for invalid input; a
    registered spatial view over the narrow table ``parcels_data``, which holds the
    geometry, the numbers and integer codes, and the lookup tables ``check_cases``,
    ``explanation_texts`` and ``check_texts``, which hold each repeated text once: see
    :func:`narrow_parcels`; read as a layer by GDAL, pyogrio and QGIS, with the R-tree of
    ``parcels_data``),
    ``parcel_hits`` (one row per parcel x zone touched; a view over the narrow table
    ``parcel_hits_data`` and the zone table ``check_zones``, read as a table by GDAL,
    pyogrio and QGIS; a MultiPolygon table when overlap geometry is requested),
    ``parcel_input_issues`` (original geometry as WKT of every repaired or rejected
    parcel), ``check_summary`` (key/value), styles embedded when available;
``results.summary.json``
    the summary (:func:`summarise`);
``results.parcels.csv``, ``results.hits.csv`` (``--csv``)
    UTF-8 with BOM (opens in Excel with Cyrillic intact), parcels with a ``wkt`` column;
``results.parcels.parquet``, ``results.hits.parquet`` (``--parquet``)
    GeoParquet.

With ``--out results.fgb``, ``.geojson`` or ``.shp`` the set is single-layer files
(:mod:`~almaty_scheme.check.formats`). ``dst_crs`` (``--dst-crs``) reprojects the
written geometry only; every measure is made in EPSG:32643.

With ``--out results.parquet`` only GeoParquet is written (fastest for large
batches): ``results.parquet`` (parcels), ``results.hits.parquet``,
``results.issues.parquet`` and ``results.summary.json``. Text columns that repeat
(verdicts, rule ids, explanations) are stored dictionary-encoded.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from almaty_scheme.check.engine import CheckResult
from almaty_scheme.check.formats import FLAT_SUFFIXES, flat_paths, to_output_crs, write_flat
from almaty_scheme.check.verdict import VERDICTS
from almaty_scheme.check.zones import PreparedZones
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.io.atomic import check_writable
from almaty_scheme.io.gpkg import write_layers
from almaty_scheme.io.outset import OutputSet, fault_point
from almaty_scheme.qgis.styles import style_finalizer

log = logging.getLogger(__name__)

PARCELS_LAYER = "parcels"
HITS_LAYER = "parcel_hits"
ISSUES_LAYER = "parcel_input_issues"
SUMMARY_LAYER = "check_summary"

_WRITE_OPTIONS: dict[str, object] = {"use_arrow": True, "promote_to_multi": True}
_GDAL_CONFIG: dict[str, str] = {"OGR_SQLITE_CACHE": "128"}
"""GDAL options while the results GeoPackage is written: a 128 MB SQLite page cache
(GDAL's default is SQLite's 2 MB; paired runs at 10^6 parcels: about 10 % less time for
parcels_data, 30-140 MB more memory; 512 MB gave no more and took 200 MB more)."""


OUT_SUFFIXES: tuple[str, ...] = (".gpkg", ".parquet", *FLAT_SUFFIXES)
"""Suffixes ``--out`` may have: a GeoPackage, GeoParquet files, or FlatGeobuf, GeoJSON,
Shapefile (:mod:`~almaty_scheme.check.formats`)."""


def output_paths(
    out: str | Path, *, csv: bool = False, parquet: bool = False, hits_geometry: bool = False
) -> dict[str, Path]:
    """Every file a check writes for ``out`` (see the module docstring).

    With ``out`` ending in ``.parquet`` the results are GeoParquet only:
    ``results.parquet`` (parcels), ``results.hits.parquet``, ``results.issues.parquet``
    and the summary JSON (no GeoPackage). With ``.fgb``, ``.geojson`` or ``.shp``:
    :func:`~almaty_scheme.check.formats.flat_paths` (``hits_geometry``: the hits carry
    overlap polygons).
    """
    p = Path(out)
    stem = p.with_suffix("")
    if p.suffix.lower() in FLAT_SUFFIXES:
        return flat_paths(p, hits_geometry=hits_geometry, csv=csv, parquet=parquet)
    if p.suffix.lower() == ".parquet":
        paths = {
            "parcels_parquet": p,
            "hits_parquet": Path(f"{stem}.hits.parquet"),
            "issues_parquet": Path(f"{stem}.issues.parquet"),
            "summary": Path(f"{stem}.summary.json"),
        }
        if csv:
            paths["parcels_csv"] = Path(f"{stem}.parcels.csv")
            paths["hits_csv"] = Path(f"{stem}.hits.csv")
        return paths
    paths = {"gpkg": p, "summary": Path(f"{stem}.summary.json")}
    if csv:
        paths["parcels_csv"] = Path(f"{stem}.parcels.csv")
        paths["hits_csv"] = Path(f"{stem}.hits.csv")
    if parquet:
        paths["parcels_parquet"] = Path(f"{stem}.parcels.parquet")
        paths["hits_parquet"] = Path(f"{stem}.hits.parquet")
    return paths


def check_outputs_writable(paths: Mapping[str, Path], *, overwrite: bool) -> None:
    """Fail before any work if an output exists and ``overwrite`` is false."""
    for p in paths.values():
        check_writable(p, overwrite=overwrite)


def summarise(
    result: CheckResult,
    *,
    zones: PreparedZones | None = None,
    inputs: Mapping[str, Any] | None = None,
    timings: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The summary of a check (brief_contracts §5).

    Keys: ``n_parcels``; ``by_verdict`` (every verdict, 0 if absent); ``by_reason``;
    ``possibly_prohibited`` (conditional parcels that are prohibited if a possible band
    applies) and ``proposal_on_settlement`` (conditional because a proposed zone meets
    existing settlement land), counted apart from the plain conditional ones;
    ``area_m2`` (total area of valid parcels); ``area_by_verdict_m2``;
    ``area_affected_m2`` (area of the parcels whose verdict is prohibited or
    conditional); ``overlap_restricted_m2`` (sum of the overlaps of hits whose regime is
    prohibited or conditional; overlapping zones count once each); ``by_rule``
    (rule id -> ``count`` of parcels, ``area_m2`` of overlap, ``prohibited``,
    ``conditional``); ``by_family``; ``catalogue_version``; ``build_info``;
    ``layers``; ``inputs``; ``timings_s``.
    """
    p = result.parcels
    h = result.hits
    vc, v_cats = _codes(p["verdict"])
    area = p["area_m2"].to_numpy(dtype=float, na_value=np.nan)
    area = np.where(np.isnan(area), 0.0, area)
    n_v = np.bincount(vc, minlength=len(v_cats))
    a_v = np.bincount(vc, weights=area, minlength=len(v_cats))
    pos = {str(c): i for i, c in enumerate(v_cats)}
    by_verdict = {v: int(n_v[pos[v]]) if v in pos else 0 for v in VERDICTS}
    area_by_verdict = {v: float(a_v[pos[v]]) if v in pos else 0.0 for v in VERDICTS}
    rc, r_cats = _codes(p["verdict_reason"])
    n_r = np.bincount(rc, minlength=len(r_cats))
    by_reason = {str(r_cats[i]): int(n_r[i]) for i in range(len(r_cats)) if n_r[i]}
    by_rule: dict[str, dict[str, Any]] = {}
    by_family: dict[str, dict[str, Any]] = {}
    overlap_restricted = 0.0
    if len(h):
        pc, _ = _codes(h["parcel_id"])
        overlap = h["overlap_m2"].to_numpy(dtype=float, na_value=np.nan)
        rg, rg_cats = _codes(h["regime"])
        regime = np.asarray(rg_cats, dtype=object)[rg].astype(str)
        restricted = regime != "allowed"
        overlap_restricted = float(overlap[restricted].sum())
        n_p = int(pc.max()) + 1 if len(pc) else 1
        for key, target in (("rule_id", by_rule), ("family", by_family)):
            kc, k_cats = _codes(h[key])
            n_k = len(k_cats)
            area_k = np.bincount(kc, weights=overlap, minlength=n_k)

            def parcels_per_key(
                mask: np.ndarray, kc: np.ndarray = kc, n_k: int = n_k
            ) -> np.ndarray:
                pairs = np.sort(kc[mask] * n_p + pc[mask])  # distinct by sort: numpy's
                if len(pairs):  # hash unique is slow
                    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
                return np.bincount(pairs // n_p, minlength=n_k)

            count = parcels_per_key(np.ones(len(kc), bool))
            pro = parcels_per_key(regime == "prohibited")
            con = parcels_per_key(regime == "conditional")
            for i in np.argsort(np.asarray([str(c) for c in k_cats], dtype=object), kind="stable"):
                if count[i] == 0:
                    continue
                target[str(k_cats[i])] = {
                    "count": int(count[i]),
                    "area_m2": round(float(area_k[i]), 2),
                    "prohibited": int(pro[i]),
                    "conditional": int(con[i]),
                }
    summary: dict[str, Any] = {
        "run_id": new_run_id(),
        "n_parcels": len(p),
        "by_verdict": by_verdict,
        "by_reason": dict(sorted(by_reason.items())),
        "possibly_prohibited": by_reason.get("possibly_prohibited", 0),
        "proposal_on_settlement": by_reason.get("proposal_on_settlement", 0),
        "area_m2": round(float(area.sum()), 2),
        "area_by_verdict_m2": {k: round(v, 2) for k, v in area_by_verdict.items()},
        "area_affected_m2": round(
            area_by_verdict["prohibited"] + area_by_verdict["conditional"], 2
        ),
        "overlap_restricted_m2": round(overlap_restricted, 2),
        "n_hits": len(h),
        "by_rule": by_rule,
        "by_family": by_family,
        "catalogue_version": None,
        "build_info": {},
        "layers": None,
        "inputs": dict(inputs or {}),
        "timings_s": {k: round(float(v), 3) for k, v in (timings or result.timings).items()},
    }
    if zones is not None:
        summary["catalogue_version"] = zones.catalogue_version
        summary["build_info"] = dict(zones.build_info)
        summary["layers"] = zones.path
    return summary


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and distinct values of a column (categoricals without hashing);
    missing values get their own code (the text ``"nan"`` / ``"None"`` as before)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = np.asarray(values.cat.codes.to_numpy(), np.int64)
        cats = np.asarray(values.cat.categories.astype(object), dtype=object)
        if (codes < 0).any():
            cats = np.concatenate([cats, np.array([None], dtype=object)])
            codes = np.where(codes < 0, len(cats) - 1, codes)
        return codes, cats
    codes, uniq = pd.factorize(values.astype(object), use_na_sentinel=False)
    return np.asarray(codes, np.int64), np.asarray(uniq, dtype=object)


def format_summary(summary: Mapping[str, Any], *, top: int = 10) -> str:
    """A short human-readable summary for the terminal."""
    n = summary["n_parcels"]
    lines = [f"{n} parcel(s) checked"]
    for v in VERDICTS:
        c = summary["by_verdict"].get(v, 0)
        a = summary["area_by_verdict_m2"].get(v, 0.0) / 10_000
        pct = 100.0 * c / n if n else 0.0
        lines.append(f"  {v:<14}{c:>9}  {pct:5.1f} %  {a:12.1f} ha")
        if v == "conditional":
            for key, label in (
                ("possibly_prohibited", "possibly prohibited (possible band)"),
                ("proposal_on_settlement", "proposal on settlement land"),
            ):
                if summary.get(key):
                    lines.append(f"    of which {label}: {summary[key]}")
    lines.append(
        f"  area affected (prohibited + conditional): {summary['area_affected_m2'] / 10_000:.1f} ha"
    )
    rules = sorted(summary["by_rule"].items(), key=lambda kv: (-kv[1]["count"], kv[0]))
    if rules:
        lines.append(
            f"  restrictions touched (top {min(top, len(rules))} of {len(rules)}; parcels in "
            "the zone, overlap, and of those parcels how many the zone's regime prohibits "
            "or makes conditional for their use):"
        )
        for rid, r in rules[:top]:
            lines.append(
                f"    {rid:<52}{r['count']:>8} parcel(s) {r['area_m2'] / 10_000:10.2f} ha"
                f"  (regime prohibits {r['prohibited']}, conditional {r['conditional']})"
            )
    inp = summary.get("inputs") or {}
    notes = []
    if inp.get("n_invalid"):
        notes.append(f"{inp['n_invalid']} invalid input(s)")
    flags = inp.get("flags") or {}
    for k in (
        "repaired",
        "duplicate_id",
        "generated_id",
        "unknown_use",
        "z_dropped",
        "m_dropped",
        "overlapping_parts_merged",
    ):
        if flags.get(k):
            notes.append(f"{flags[k]} {k}")
    if notes:
        lines.append("  input: " + ", ".join(notes))
    return "\n".join(lines)


def _multi(geoms: np.ndarray) -> np.ndarray:
    """Polygonal parts only (collections from intersections lose their lines and points);
    Polygon and MultiPolygon pass unchanged (the writer promotes them to MultiPolygon)."""
    out = np.array(geoms, dtype=object)
    tid = np.full(len(out), -1)
    present = ~shapely.is_missing(out)
    tid[present] = shapely.get_type_id(out[present])
    empty = np.zeros(len(out), bool)
    empty[present] = shapely.is_empty(out[present])
    for i in np.flatnonzero(present & ~empty & ~np.isin(tid, (3, 6))):
        polys = [
            q
            for p in shapely.get_parts(out[i])
            if shapely.get_type_id(p) in (3, 6)
            for q in shapely.get_parts(p)
        ]
        out[i] = shapely.MultiPolygon(polys) if polys else None
    out[empty | ~present] = None
    return out


def _gpkg_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Make columns writable by GDAL: object columns of mixed types become strings."""
    out = df.copy(deep=False)  # copy-on-write: columns are replaced, never modified
    geom = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for c in out.columns:
        if c == geom:
            continue
        s = out[c]
        if s.dtype == object:
            sample = s.dropna()
            if len(sample) and not all(isinstance(v, str) for v in sample.head(1000)):
                out[c] = s.map(_cell_text).astype("string")
    return out


def _cell_text(v: Any) -> str | None:
    """A cell as text: lists and mappings (JSON properties) as JSON, never Python repr."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, list | tuple | dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


HITS_DATA_LAYER = "parcel_hits_data"
ZONES_LAYER = "check_zones"
_HIT_ZONE_COLUMNS = (
    "rule_id",
    "family",
    "layer",
    "zone_fid",
    "zone_name",
    "certainty",
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


PARCELS_DATA_LAYER = "parcels_data"
CASES_TABLE = "check_cases"
EXPLANATIONS_TABLE = "explanation_texts"
TEXTS_TABLE = "check_texts"
EXPLANATION_COLUMNS = ("explanation_ru", "explanation_en")
_NEVER_CODED = frozenset({"parcel_id"})
"""Columns stored as they are (the hits view joins the parcel ids from the data table)."""
_MAX_TEXT_JOINS = 40
"""Text columns coded through ``check_texts`` at most (SQLite joins at most 64 tables)."""
_SAMPLE = 10_000


@dataclass
class NarrowParcels:
    """The parcels frame split for storage (:func:`narrow_parcels`).

    Attributes
    ----------
    data
        ``parcels_data``: the geometry, every column that is not a repeated text, and
        integer codes for those that are: ``case_code`` (the engine's categorical
        texts), ``explanation_code`` and ``<column>_code`` (other repeated texts); a
        missing text has a null code.
    cases
        ``check_cases``: each distinct combination of the categorical texts (verdict,
        reason, worst rule, family, layer, regime, certainty, use class, flags,
        functional zone, subzone) once, ``code`` first.
    explanations
        ``explanation_texts`` rows ``(code, explanation_ru, explanation_en)``: each
        distinct pair once (the engine composes them per case).
    texts
        ``check_texts`` rows ``(code, column_name, text)`` for other repeated texts (a
        user's land-use column, say); codes are unique over all those columns.
    select
        The view's columns, in the frame's order: ``(name, SQL expression)``.
    joins
        The view's ``LEFT JOIN`` clauses.
    parcel_id
        The data table's column that holds the parcel ids: ``parcel_id``, or the id
        field's column when ``parcel_id`` repeats it exactly (then stored once).
    """

    data: gpd.GeoDataFrame
    cases: pd.DataFrame | None = None
    explanations: list[tuple[int, str | None, str | None]] = field(default_factory=list)
    texts: list[tuple[int, str, str]] = field(default_factory=list)
    select: list[tuple[str, str]] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    parcel_id: str = "parcel_id"


def _q(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _str_categorical(values: pd.Series) -> bool:
    """Whether a column is a categorical of texts (the engine's repeated texts)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return False
    cats = values.cat.categories
    return bool(len(cats)) and all(isinstance(v, str) for v in cats)


def text_codes(values: pd.Series) -> tuple[np.ndarray, list[str]] | None:
    """Integer codes (-1 for a missing value) and the distinct texts of a column worth
    storing once, or ``None`` to store the column as it is.

    Worth it: a categorical of texts, or a text column whose values repeat (at most a
    quarter of its values distinct, judged on the first rows before the whole column
    is factorised). Columns of other types, and columns with no value at all, keep
    their stored type.
    """
    if _str_categorical(values):
        codes = np.asarray(values.cat.codes, np.int64)
        return _used(codes, [str(v) for v in values.cat.categories])
    if isinstance(values.dtype, pd.CategoricalDtype) or not (
        values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
    ):
        return None
    head = values.iloc[:_SAMPLE]
    if head.nunique() * 4 > len(head):
        return None
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = list(uniques)
    if not texts or len(texts) * 4 > len(values) or not all(isinstance(v, str) for v in texts):
        return None
    return np.asarray(codes, np.int64), texts


def _used(codes: np.ndarray, texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """The texts some row uses, and the codes renumbered to them (-1 stays -1)."""
    used = np.bincount(codes[codes >= 0], minlength=len(texts)) > 0
    if used.all():
        return codes, texts
    new = np.cumsum(used) - 1
    kept = [t for t, u in zip(texts, used, strict=True) if u]
    return np.where(codes < 0, -1, new[np.maximum(codes, 0)]), kept


def _nullable(codes: np.ndarray) -> Any:
    """Codes with -1 as null (a nullable integer array), or the plain array."""
    missing = codes < 0
    if missing.any():
        return pd.arrays.IntegerArray(np.where(missing, 0, codes), missing)
    return codes


def _first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """The first row of each of the ``n`` codes."""
    first = np.full(n, -1, np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first


def _cases(pg: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """One code per distinct combination of the categorical columns ``cols``, and the
    table of combinations (``code`` then the columns, texts or null)."""
    key = np.zeros(len(pg), np.int64)
    for c in cols:
        k = len(pg[c].cat.categories)
        key = key * (k + 1) + np.asarray(pg[c].cat.codes, np.int64) + 1
        key = np.asarray(pd.factorize(key)[0], np.int64)  # keeps the key small
    n = int(key.max()) + 1 if len(key) else 0
    first = _first_rows(key, n)
    table = pd.DataFrame({"code": np.arange(n, dtype=np.int64)})
    for c in cols:
        codes = np.asarray(pg[c].cat.codes, np.int64)[first]
        cats = np.asarray(pg[c].cat.categories, dtype=object)
        table[c] = pd.Series(np.where(codes < 0, None, cats[np.maximum(codes, 0)]), dtype=object)
    return key, table


def _explanation_pairs(
    ru: tuple[np.ndarray, list[str]], en: tuple[np.ndarray, list[str]]
) -> tuple[np.ndarray, list[tuple[int, str | None, str | None]]]:
    """One code per distinct (Russian, English) explanation pair, and the pairs; -1 where
    both are missing."""
    (rc, rt), (ec, et) = ru, en
    if len(rt) == len(et) and np.array_equal(rc, ec):  # the engine's paired categories
        return rc, [(i, rt[i], et[i]) for i in range(len(rt))]
    some = (rc >= 0) | (ec >= 0)  # a row without either explanation gets a null code
    key = (rc[some] + 1) * (len(et) + 1) + (ec[some] + 1)
    found, uniq = pd.factorize(key)
    codes = np.full(len(rc), -1, np.int64)
    codes[some] = found
    pairs = []
    for i, k in enumerate(np.asarray(uniq, np.int64)):
        r, e = divmod(int(k), len(et) + 1)
        pairs.append((i, rt[r - 1] if r else None, et[e - 1] if e else None))
    return codes, pairs


def _explanation_codes(pg: pd.DataFrame) -> tuple[np.ndarray, list[Any]] | None:
    """Codes and pairs of the two explanation columns, when both are texts to code."""
    if not all(c in pg.columns for c in EXPLANATION_COLUMNS):
        return None
    ru, en = (text_codes(pg[c]) for c in EXPLANATION_COLUMNS)
    if ru is None or en is None:
        return None
    return _explanation_pairs(ru, en)


def _copies(pg: pd.DataFrame, cols: list[str]) -> dict[str, str]:
    """Columns that repeat another column exactly, and what they repeat: ``parcel_id``
    the id field's text (``--id-field``), ``input_row`` the feature id (1..n, the fid
    GDAL gives the rows of ``parcels_data`` in order)."""
    out: dict[str, str] = {}
    row = pg["input_row"] if "input_row" in cols else None
    if (
        row is not None
        and row.dtype == np.int64
        and np.array_equal(row.to_numpy(), np.arange(1, len(pg) + 1))
    ):
        out["input_row"] = "fid"
    if "parcel_id" not in cols or pg["parcel_id"].isna().any():
        return out
    pid = pg["parcel_id"]
    head = pid.iloc[:64].tolist()
    for c in cols:
        v = pg[c]
        if c == "parcel_id" or not (v.dtype == object or pd.api.types.is_string_dtype(v.dtype)):
            continue
        if isinstance(v.dtype, pd.CategoricalDtype) or v.isna().any():
            continue
        if v.iloc[:64].tolist() == head and (v.astype("str") == pid.astype("str")).all():
            out["parcel_id"] = c
            break
    return out


def narrow_parcels(pg: gpd.GeoDataFrame) -> NarrowParcels:
    """Split the parcels frame (as written) into a narrow data table and lookup tables
    (:class:`NarrowParcels`), so that each repeated text is stored once.

    The view ``parcels`` (:func:`write_parcels_view`) gives back every column, in
    order, with the same values: a coded column reads its text by a ``LEFT JOIN`` on
    its code, and a column that repeats another (:func:`_copies`) reads that one.
    """
    geom = pg.geometry.name
    cols = [c for c in pg.columns if c != geom]
    taken = {*cols, "fid", "geom"}
    out = NarrowParcels(data=gpd.GeoDataFrame())
    copies = _copies(pg, cols)
    plain = {*_NEVER_CODED, *copies.values()}
    out.parcel_id = copies.get("parcel_id", "parcel_id")
    data: dict[str, Any] = {}
    expl = _explanation_codes(pg)
    expl_cols = EXPLANATION_COLUMNS if expl is not None else ()
    case_cols = [
        c for c in cols if c not in expl_cols and c not in plain and _str_categorical(pg[c])
    ]
    offset = 0
    for c in cols:
        if c in copies:
            out.select.append((c, f"d.{_q(copies[c])}"))
            continue
        if c in expl_cols:
            if expl is not None:
                codes, out.explanations = expl
                expl = None
                name = _unique_name("explanation_code", taken)
                data[name] = _nullable(codes)
                out.joins.append(f"LEFT JOIN {EXPLANATIONS_TABLE} e ON e.code = d.{_q(name)}")
            out.select.append((c, f"e.{_q(c)}"))
            continue
        if c in case_cols:
            if out.cases is None:
                codes, out.cases = _cases(pg, case_cols)
                name = _unique_name("case_code", taken)
                data[name] = codes
                out.joins.append(f"LEFT JOIN {CASES_TABLE} c ON c.code = d.{_q(name)}")
            out.select.append((c, f"c.{_q(c)}"))
            continue
        coded = None
        if c not in plain and len(out.joins) < _MAX_TEXT_JOINS:
            coded = text_codes(pg[c])
        if coded is None:
            data[c] = pg[c]
            out.select.append((c, f"d.{_q(c)}"))
            continue
        codes, texts = coded
        name = _unique_name(f"{c}_code", taken)
        alias = f"t{len(out.joins)}"
        data[name] = _nullable(np.where(codes < 0, -1, codes + offset))
        out.texts += [(offset + i, c, t) for i, t in enumerate(texts)]
        offset += len(texts)
        out.joins.append(f"LEFT JOIN {TEXTS_TABLE} {alias} ON {alias}.code = d.{_q(name)}")
        out.select.append((c, f"{alias}.text"))
    out.data = gpd.GeoDataFrame(data, geometry=pg.geometry.to_numpy(), crs=pg.crs)
    return out


def _unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... not in ``taken`` (case-insensitive, as
    SQLite compares column names); the name chosen is added to ``taken``."""
    low = {t.lower() for t in taken}
    cand, i = name, 1
    while cand.lower() in low:
        i += 1
        cand = f"{name}_{i}"
    taken.add(cand)
    return cand


def _lookup_tables(con: sqlite3.Connection, narrow: NarrowParcels) -> list[tuple[str, str]]:
    """Create and fill the lookup tables of ``narrow``; return (name, description)."""
    tables = []
    if narrow.cases is not None:
        cc = [c for c in narrow.cases.columns if c != "code"]
        con.execute(
            f"CREATE TABLE {CASES_TABLE} (code INTEGER PRIMARY KEY NOT NULL, "
            + ", ".join(f"{_q(c)} TEXT" for c in cc)
            + ")"
        )
        con.executemany(
            f"INSERT INTO {CASES_TABLE} VALUES ({', '.join('?' * (len(cc) + 1))})",
            narrow.cases.astype(object).itertuples(index=False, name=None),
        )
        tables.append((CASES_TABLE, "each distinct combination of the parcels' verdict texts"))
    if narrow.explanations:
        con.execute(
            f"CREATE TABLE {EXPLANATIONS_TABLE} (code INTEGER PRIMARY KEY NOT NULL, "
            "explanation_ru TEXT, explanation_en TEXT)"
        )
        con.executemany(f"INSERT INTO {EXPLANATIONS_TABLE} VALUES (?, ?, ?)", narrow.explanations)
        tables.append((EXPLANATIONS_TABLE, "each distinct pair of explanations once"))
    if narrow.texts:
        con.execute(
            f"CREATE TABLE {TEXTS_TABLE} (code INTEGER PRIMARY KEY NOT NULL, "
            "column_name TEXT NOT NULL, text TEXT)"
        )
        con.executemany(f"INSERT INTO {TEXTS_TABLE} VALUES (?, ?, ?)", narrow.texts)
        tables.append((TEXTS_TABLE, "the distinct texts of other repeated text columns"))
    return tables


def write_parcels_view(path: Path, narrow: NarrowParcels, *, description: str) -> None:
    """Write the lookup tables of ``narrow`` and the registered spatial view ``parcels``.

    ``parcels_data`` must be in ``path`` already (written by GDAL, with its ``fid``
    primary key, ``geom`` column and R-tree). The view selects ``d.fid`` first and
    ``d.geom`` under the same names, so GDAL (and QGIS) take ``fid`` as the feature id
    and filter through the R-tree of ``parcels_data`` (GDAL's GeoPackage driver,
    "spatial views": a view column that is the base table's geometry column, and one
    that is its integer primary key). The view is registered in ``gpkg_contents`` (with
    the data table's extent), ``gpkg_geometry_columns`` and ``gpkg_ogr_contents`` (its
    feature count, kept by triggers on ``parcels_data``: counting the joined view
    would read it all).
    """
    now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
    cols = ", ".join(f"{expr} AS {_q(name)}" for name, expr in narrow.select)
    v, d = PARCELS_LAYER, PARCELS_DATA_LAYER
    with closing(sqlite3.connect(path)) as con, con:
        tables = _lookup_tables(con, narrow)
        con.executemany(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            f"last_change) VALUES (?, 'attributes', ?, ?, {now})",
            [(t, t, text) for t, text in tables],
        )
        con.execute(
            f"CREATE VIEW {v} AS SELECT d.fid AS fid, d.geom AS geom, {cols} "
            f"FROM {d} d {' '.join(narrow.joins)}"
        )
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change, min_x, min_y, max_x, max_y, srs_id) "
            f"SELECT ?, 'features', ?, ?, {now}, min_x, min_y, max_x, max_y, srs_id "
            "FROM gpkg_contents WHERE table_name = ?",
            (v, v, description, d),
        )
        con.execute(
            "INSERT INTO gpkg_geometry_columns (table_name, column_name, "
            "geometry_type_name, srs_id, z, m) SELECT ?, column_name, geometry_type_name, "
            "srs_id, z, m FROM gpkg_geometry_columns WHERE table_name = ?",
            (v, d),
        )
        con.execute(
            "INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, ?)",
            (v, len(narrow.data)),
        )
        for op, sign in (("insert", "+"), ("delete", "-")):
            con.execute(
                f"CREATE TRIGGER trigger_{op}_feature_count_{v}_view AFTER {op.upper()} ON {d} "
                f"BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count {sign} 1 "
                f"WHERE lower(table_name) = lower('{v}'); END"
            )
        con.execute(
            "UPDATE gpkg_contents SET description = ? WHERE table_name = ?",
            (f"storage of the view {v}: open {v}", d),
        )


def _write_hits_view(
    path: Path,
    hits: pd.DataFrame,
    parcel_ids: pd.Series,
    parcels_table: str = PARCELS_LAYER,
    parcel_id_column: str = "parcel_id",
) -> None:
    """Write ``parcel_hits`` as a view: one narrow row per hit in ``parcel_hits_data``
    (parcel fid, zone key, overlap, share, distance, regime codes) and one row per zone
    touched in ``check_zones`` (rule, name, widths, citation, provenance), joined by the
    registered view ``parcel_hits`` that has every column of the table it replaces, in
    the same order. GDAL, pyogrio and QGIS read it as a table; the file is ~15x smaller
    and written ~2x faster than with the zone texts repeated on every hit.

    The parcels table (``parcels_table``: ``parcels``, or ``parcels_data`` under the
    view, whose column ``parcel_id_column`` holds the ids) must be in ``path`` already,
    written in ``parcel_ids`` order (GDAL numbers its features 1..n in that order).
    """
    extra = [
        c
        for c in hits.columns
        if c
        not in (
            "parcel_id",
            *_HIT_ZONE_COLUMNS,
            "overlap_m2",
            "share_pct",
            "distance_to_source_m",
            "regime",
            "rule_regime",
        )
    ]
    if extra:  # an unexpected column: keep a plain table rather than lose it
        pyogrio.write_dataframe(
            _gpkg_ready(hits), path, layer=HITS_LAYER, driver="GPKG", append=True, use_arrow=True
        )
        return
    pid = hits["parcel_id"]
    if (
        isinstance(pid.dtype, pd.CategoricalDtype)
        and len(pid.cat.categories) == len(parcel_ids)
        and (
            np.asarray(pid.cat.categories, dtype=object) == parcel_ids.astype(object).to_numpy()
        ).all()
    ):
        fid = np.asarray(pid.cat.codes, np.int64) + 1  # the engine's categories are the parcels
    else:
        fid = pd.Index(parcel_ids.astype(object)).get_indexer(pid.astype(object)) + 1
    lay = hits["layer"]
    lay_codes = (
        np.asarray(lay.cat.codes, np.int64)
        if isinstance(lay.dtype, pd.CategoricalDtype)
        else np.asarray(pd.factorize(lay.astype(object))[0], np.int64)
    )
    zf = hits["zone_fid"].to_numpy(dtype=np.int64, na_value=-1)
    zkey, zuniq = pd.factorize(lay_codes * (int(zf.max(initial=0)) + 2) + zf + 1)
    first = np.full(len(zuniq), -1, np.int64)
    first[zkey[::-1]] = np.arange(len(zkey) - 1, -1, -1)
    zones = _gpkg_ready(
        pd.DataFrame(hits.iloc[first][list(_HIT_ZONE_COLUMNS)]).reset_index(drop=True)
    )
    zones.insert(0, "zone_key", np.arange(len(zuniq), dtype=np.int64))
    regimes = ("allowed", "conditional", "prohibited")

    def code(col: str) -> np.ndarray:
        return np.asarray(
            pd.Categorical(hits[col].astype(object), categories=list(regimes)).codes, np.int64
        )

    data = pd.DataFrame(
        {
            "parcel_fid": np.asarray(fid, np.int64),
            "zone_key": np.asarray(zkey, np.int64),
            "overlap_m2": hits["overlap_m2"].to_numpy(dtype=float, na_value=np.nan),
            "share_pct": hits["share_pct"].to_numpy(dtype=float, na_value=np.nan),
            "distance_to_source_m": hits["distance_to_source_m"].to_numpy(
                dtype=float, na_value=np.nan
            ),
            "regime_code": code("regime"),
            "rule_regime_code": code("rule_regime"),
        }
    )
    pyogrio.write_dataframe(
        data, path, layer=HITS_DATA_LAYER, driver="GPKG", append=True, use_arrow=True
    )
    pyogrio.write_dataframe(zones, path, layer=ZONES_LAYER, driver="GPKG", append=True)
    case = " ".join(f"WHEN {i} THEN '{r}'" for i, r in enumerate(regimes))
    z_cols = ", ".join(f"z.{c} AS {c}" for c in _HIT_ZONE_COLUMNS[:6])
    z_rest = ", ".join(f"z.{c} AS {c}" for c in _HIT_ZONE_COLUMNS[6:])
    con = sqlite3.connect(path)
    try:
        con.execute(
            f"CREATE VIEW {HITS_LAYER} AS SELECT d.fid AS fid, "
            f"p.{_q(parcel_id_column)} AS parcel_id, "
            f"{z_cols}, d.overlap_m2 AS overlap_m2, d.share_pct AS share_pct, "
            f"d.distance_to_source_m AS distance_to_source_m, "
            f"CASE d.regime_code {case} END AS regime, "
            f"CASE d.rule_regime_code {case} END AS rule_regime, {z_rest} "
            f"FROM {HITS_DATA_LAYER} d JOIN {parcels_table} p ON p.fid = d.parcel_fid "
            f"JOIN {ZONES_LAYER} z ON z.zone_key = d.zone_key"
        )
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES (?, 'attributes', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
            (
                HITS_LAYER,
                HITS_LAYER,
                f"one row per parcel x zone touched (view over "
                f"{HITS_DATA_LAYER} and {ZONES_LAYER})",
            ),
        )
        con.commit()
    finally:
        con.close()


def _issues_frame(issues: pd.DataFrame | None) -> pd.DataFrame:
    if issues is not None:
        return issues
    return pd.DataFrame(
        {
            "parcel_id": pd.Series(dtype="string"),
            "input_row": pd.Series(dtype="int64"),
            "issue": pd.Series(dtype="string"),
            "detail": pd.Series(dtype="string"),
            "original_wkt": pd.Series(dtype="string"),
        }
    )


def summary_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The ``check_summary`` table: one row per summary key, the value as JSON text."""
    return pd.DataFrame(
        {
            "key": list(summary.keys()),
            "value": [json.dumps(v, ensure_ascii=False, default=str) for v in summary.values()],
        }
    )


def read_summary(gpkg: str | Path) -> dict[str, Any]:
    """The summary stored in a results GeoPackage's ``check_summary`` table."""
    t = pyogrio.read_dataframe(gpkg, layer=SUMMARY_LAYER, read_geometry=False)
    out: dict[str, Any] = {}
    for k, v in zip(t["key"], t["value"], strict=True):
        try:
            out[str(k)] = json.loads(v)
        except (TypeError, ValueError):  # written by an older version: plain text
            out[str(k)] = v
    return out


def _summary_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n"


def write_results(
    result: CheckResult,
    out: str | Path,
    *,
    summary: Mapping[str, Any],
    issues: pd.DataFrame | None = None,
    overwrite: bool = False,
    csv: bool = False,
    parquet: bool = False,
    inputs: tuple[str | Path | None, ...] = (),
    dst_crs: str | None = None,
) -> dict[str, Path]:
    """Write the results (see the module docstring); return the paths written.

    ``dst_crs`` reprojects the written geometry (default EPSG:32643, the CRS every
    area and distance was measured in).

    Every file is written to a temporary path first and the set is committed together
    by one :class:`~almaty_scheme.io.outset.OutputSet` (the summary JSON last; it is
    made from the ``check_summary`` table of the written GeoPackage, and both carry the
    summary's ``run_id``). ``inputs`` are refused as outputs.

    Raises
    ------
    OutputExistsError
        If any output exists and ``overwrite`` is false (checked before writing anything).
    """
    paths = output_paths(
        out, csv=csv, parquet=parquet, hits_geometry=isinstance(result.hits, gpd.GeoDataFrame)
    )
    order = [k for k in paths if k != "summary"] + ["summary"]
    outs = OutputSet({k: paths[k] for k in order}, inputs=inputs, overwrite=overwrite)
    outs.preflight()
    if "run_id" not in summary:
        summary = {"run_id": new_run_id(), **summary}
    summary = {**summary, "output_crs": str(dst_crs or WORKING_CRS)}
    parcels, hits = to_output_crs(result.parcels, result.hits, dst_crs)
    result = CheckResult(
        parcels=parcels, hits=hits, near_keys=result.near_keys, timings=result.timings
    )
    with outs.writing():
        _write_set(outs, result, summary=summary, issues=issues, csv=csv)
        fault_point("written")
        written = outs.commit(order)
    log.info("wrote %s", ", ".join(str(p) for p in written.values()))
    return written


def _write_set(
    outs: OutputSet,
    result: CheckResult,
    *,
    summary: Mapping[str, Any],
    issues: pd.DataFrame | None,
    csv: bool,
) -> None:
    """Write every file of the set to its temporary path (:func:`write_results`)."""
    paths = outs.paths
    parcels = result.parcels
    hits = result.hits
    hits_geo = isinstance(hits, gpd.GeoDataFrame)
    if csv and "parcels_file" not in paths:
        df = _gpkg_ready(pd.DataFrame(parcels.drop(columns=parcels.geometry.name)))
        df["wkt"] = shapely.to_wkt(
            np.asarray(parcels.geometry.to_numpy(), dtype=object), rounding_precision=3
        )
        df.to_csv(outs.tmp("parcels_csv"), index=False, encoding="utf-8-sig")
        hd = pd.DataFrame(hits.drop(columns=hits.geometry.name)) if hits_geo else hits
        hd.to_csv(outs.tmp("hits_csv"), index=False, encoding="utf-8-sig")
    if "parcels_parquet" in paths:
        # two files at once: Arrow and shapely release the GIL while they encode
        with ThreadPoolExecutor(2) as ex:
            jobs = [
                ex.submit(parcels.to_parquet, outs.tmp("parcels_parquet"), index=False),
                ex.submit(hits.to_parquet, outs.tmp("hits_parquet"), index=False),
            ]
            for j in jobs:
                j.result()
    if "parcels_file" in paths:
        write_flat(outs, parcels, hits, _issues_frame(issues))
        outs.tmp("summary").write_text(_summary_json(summary), encoding="utf-8")
        return
    if "gpkg" not in paths:
        _issues_frame(issues).to_parquet(outs.tmp("issues_parquet"), index=False)
        outs.tmp("summary").write_text(_summary_json(summary), encoding="utf-8")
        return
    _write_gpkg(outs.tmp("gpkg"), result, summary=summary, issues=issues)
    # the JSON is made from the table just written: the pair cannot disagree
    outs.tmp("summary").write_text(_summary_json(read_summary(outs.tmp("gpkg"))), encoding="utf-8")


def _write_gpkg(
    path: Path,
    result: CheckResult,
    *,
    summary: Mapping[str, Any],
    issues: pd.DataFrame | None,
) -> None:
    """The results GeoPackage (module docstring) at ``path``.

    The parcels are stored narrow (:func:`narrow_parcels`): ``parcels_data`` holds the
    geometry, the numbers and an integer code for every repeated text, and the lookup
    tables ``check_texts`` and ``explanation_texts`` hold each distinct text once. The
    registered spatial view ``parcels`` joins them back into the columns, order and
    values of the parcels frame. With no parcel at all, ``parcels`` is a plain table.
    """
    parcels = result.parcels
    hits = result.hits
    hits_geo = isinstance(hits, gpd.GeoDataFrame)
    pg = gpd.GeoDataFrame(
        _gpkg_ready(pd.DataFrame(parcels.drop(columns=parcels.geometry.name))),
        geometry=gpd.GeoSeries(
            _multi(np.asarray(parcels.geometry.to_numpy(), dtype=object)), crs=parcels.crs
        ),
        crs=parcels.crs,
    )
    narrow = narrow_parcels(pg) if len(pg) else None
    layers: dict[str, gpd.GeoDataFrame] = (
        {PARCELS_LAYER: pg} if narrow is None else {PARCELS_DATA_LAYER: narrow.data}
    )
    del pg
    if hits_geo:
        assert isinstance(hits, gpd.GeoDataFrame)
        layers[HITS_LAYER] = gpd.GeoDataFrame(
            _gpkg_ready(pd.DataFrame(hits.drop(columns=hits.geometry.name))),
            geometry=gpd.GeoSeries(
                _multi(np.asarray(hits.geometry.to_numpy(), dtype=object)), crs=hits.crs
            ),
            crs=hits.crs,
        )
    styles = style_finalizer([PARCELS_LAYER, HITS_LAYER])
    table = summary_table(summary)
    note = _parcels_description(summary)

    def finalize(tmp: Path) -> None:
        if narrow is not None:
            write_parcels_view(tmp, narrow, description=note)
        if not hits_geo:
            where, pid = (
                (PARCELS_LAYER, "parcel_id")
                if narrow is None
                else (PARCELS_DATA_LAYER, narrow.parcel_id)
            )
            _write_hits_view(tmp, pd.DataFrame(hits), parcels["parcel_id"], where, pid)
        iss = _issues_frame(issues)
        pyogrio.write_dataframe(
            _gpkg_ready(iss), tmp, layer=ISSUES_LAYER, driver="GPKG", append=True
        )
        pyogrio.write_dataframe(table, tmp, layer=SUMMARY_LAYER, driver="GPKG", append=True)
        if note and narrow is None:
            with closing(sqlite3.connect(tmp)) as con, con:
                con.execute(
                    "UPDATE gpkg_contents SET description = ? WHERE table_name = ?",
                    (note, PARCELS_LAYER),
                )
        styles(tmp)

    write_layers(
        path,
        layers,
        overwrite=False,
        finalize=finalize,
        geometry_types={
            PARCELS_LAYER: "MultiPolygon",
            PARCELS_DATA_LAYER: "MultiPolygon",
            HITS_LAYER: "MultiPolygon",
        },
        write_options=_WRITE_OPTIONS,
        config=_GDAL_CONFIG,
    )


def _parcels_description(summary: Mapping[str, Any]) -> str:
    """The ``gpkg_contents`` description of the parcels table: the run id, and the
    restriction layers that were missing (allowed by ``--allow-missing-layers``)."""
    text = f"check results, run {summary.get('run_id', '?')}"
    missing = summary.get("layers_missing") or []
    if missing:
        text += (
            "; NOT CHECKED against the missing restriction layer(s) "
            f"{', '.join(missing)} (--allow-missing-layers)"
        )
    return text


def new_run_id() -> str:
    """A run id: UTC time and a random suffix (sorts by time, unique)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
