"""Writing check results: GeoPackage, CSV, GeoParquet and the summary JSON.

Files written for ``--out results.gpkg``, replaced together by one
:class:`~almaty_scheme.io.outset.OutputSet` (temporary files in the same folder, a commit
journal, the summary last; nothing is replaced without ``overwrite``, no output may be an
input; the summary table and the JSON carry the same ``run_id``):

``results.gpkg``
    ``parcels`` (every input parcel, MultiPolygon, null geometry for invalid input; a
    registered spatial view over the narrow table ``parcels_data``, which holds the
    geometry, the numbers and integer codes, and the lookup tables ``check_cases``,
    ``explanation_pairs``, ``explanation_parts`` and ``check_texts``, which hold each
    repeated text (or part of an explanation) once: see
    :func:`narrow_parcels`; read as a layer by GDAL, pyogrio and QGIS, with the R-tree of
    ``parcels_data``; from 50 000 parcels written in this process the geometry and its
    R-tree are the table ``parcels_geom``'s, joined on ``fid``,
    :meth:`ResultWriter.begin_geometry`),
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
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import closing
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from almaty_scheme.check.engine import CheckResult
from almaty_scheme.check.formats import FLAT_SUFFIXES, flat_paths, to_output_crs, write_flat
from almaty_scheme.check.gpkg_out import (
    EXPLANATION_COLUMNS,
    GDAL_CONFIG,
    HITS_DATA_LAYER,
    HITS_LAYER,
    ISSUES_LAYER,
    PARCELS_LAYER,
    SIDE_WRITER_MIN_ROWS,
    SUMMARY_LAYER,
    ZONES_LAYER,
    GpkgResults,
    HitCoder,
    _gpkg_ready,
    gpkg_frame,
    parcel_fids,
    write_hits_view,
)
from almaty_scheme.check.kernels import distinct_per_key
from almaty_scheme.check.verdict import VERDICTS
from almaty_scheme.check.zones import PreparedZones
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.io.atomic import check_writable
from almaty_scheme.io.geoparquet import geoparquet_table, release_geometries, write_geoparquet
from almaty_scheme.io.gpkg import write_layers
from almaty_scheme.io.outset import OutputSet, fault_point, write_failures
from almaty_scheme.qgis.styles import style_finalizer

log = logging.getLogger(__name__)


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


SUMMARY_HIT_COLUMNS: tuple[str, ...] = ("parcel_id", "overlap_m2", "regime", "rule_id", "family")
"""The hits' columns :func:`summarise` reads."""

PLAIN_HIT_COLUMNS: tuple[str, ...] = (
    "parcel_id",
    "overlap_m2",
    "share_pct",
    "distance_to_source_m",
)
"""The hits' columns written to Parquet without a dictionary (:func:`write_hits_parquet`):
the parcel ids, and numbers nearly all distinct, for which Parquet's dictionary fills its
page and falls back to plain values (2.4 M hits: 0.07 s and 17.1 MB for ``overlap_m2``
with the attempt, 0.04 s and 16.3 MB without)."""

PLAIN_PARCEL_COLUMNS: tuple[str, ...] = ("parcel_id", "input_row", "area_m2", "worst_share_pct")
"""The parcels' GeoParquet columns written without a dictionary, with the ``near_*_m``
distances (:func:`_plain`): as for :data:`PLAIN_HIT_COLUMNS`."""

SUMMARY_PARCEL_COLUMNS: tuple[str, ...] = ("parcel_id", "verdict", "verdict_reason", "area_m2")
"""The parcels' columns :func:`summarise` reads, and their ids."""


def summary_part(part: CheckResult, first_row: int) -> CheckResult:
    """What :func:`summarise` reads of ``part``, the result of a chunk whose first parcel
    is row ``first_row`` (0-based) of the run: the parcels' :data:`SUMMARY_PARCEL_COLUMNS`
    and geometry, the hits' :data:`SUMMARY_HIT_COLUMNS` with ``parcel_id`` replaced by
    the row of the hit's parcel in the run. Join the parts with :func:`summary_whole`."""
    p = part.parcels
    keep = [c for c in SUMMARY_PARCEL_COLUMNS if c in p.columns] + [p.geometry.name]
    h = part.hits
    rows = parcel_fids(h["parcel_id"], p["parcel_id"]) - 1 + first_row
    hits = pd.DataFrame({c: (rows if c == "parcel_id" else h[c]) for c in SUMMARY_HIT_COLUMNS})
    return CheckResult(parcels=p[keep], hits=hits, near_keys=part.near_keys, timings=part.timings)


def summary_whole(parts: list[CheckResult]) -> CheckResult:
    """The :func:`summary_part` of consecutive chunks joined: it summarises as the whole
    result would. The hits' ``parcel_id`` is a categorical of the parcels' rows (the ids
    of a run are unique, so the parcels count the same), so that no text column of the
    whole run is joined (the hits' parcel ids had ~10^6 categories: 2-3 s at 10^6)."""
    res = CheckResult.concat(parts, release=True)
    rows = res.hits["parcel_id"].to_numpy(dtype=np.int64)
    res.hits["parcel_id"] = pd.Categorical.from_codes(rows, pd.RangeIndex(len(res.parcels)))
    return res


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
        rg_names = np.array([str(c) for c in rg_cats], dtype=object)  # no text per hit

        def regime_is(name: str) -> np.ndarray:
            return np.asarray(rg_names == name, dtype=bool)[rg]

        restricted = ~regime_is("allowed")
        overlap_restricted = float(overlap[restricted].sum())
        for key, target in (("rule_id", by_rule), ("family", by_family)):
            kc, k_cats = _codes(h[key])
            n_k = len(k_cats)
            area_k = np.bincount(kc, weights=overlap, minlength=n_k)

            count, pro, con = distinct_parcels_per_key(
                pc, kc, n_k, regime_is("prohibited"), regime_is("conditional")
            )
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


def distinct_parcels_per_key(
    parcel: np.ndarray, key: np.ndarray, n_keys: int, pro: np.ndarray, con: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per key code, the distinct parcels among the hits, among the prohibited hits
    (``pro``) and among the conditional ones (``con``).

    Hits that come parcel by parcel (``parcel`` non-decreasing, as the engine makes
    them) are counted in one compiled pass (:func:`~almaty_scheme.check.kernels.
    distinct_per_key`: 0.01 s for 2.4 M hits, against 0.14 s for the three sorts);
    others by sorting the (parcel, key) pairs."""
    if len(parcel) < 2 or bool(np.all(parcel[1:] >= parcel[:-1])):
        return distinct_per_key(parcel, key, n_keys, pro, con)

    def per_key(mask: np.ndarray) -> np.ndarray:
        pairs = np.sort(parcel[mask] * n_keys + key[mask], kind="stable")
        if len(pairs):
            pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
        return np.bincount(pairs % n_keys, minlength=n_keys)

    return per_key(np.ones(len(key), bool)), per_key(pro), per_key(con)


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


class ResultWriter:
    """An output set open for one run (see the module docstring): the chunks of a
    check go in with :meth:`add` as the engine makes them, and :meth:`finish` writes
    the rest and commits the set. Use it as a context manager: leaving the block with
    an exception removes every temporary file and stops the writer process.

    With ``stream`` (a results GeoPackage without copies in other formats), the
    GeoPackage's ``parcels_data`` rows are written by another process while the next
    chunk is checked (:class:`~almaty_scheme.check.gpkg_out.GpkgResults`); ``copies``
    are then the stored-once columns decided on the whole input. Otherwise :meth:`add`
    does nothing and :meth:`finish` writes the whole result.

    Raises
    ------
    OutputExistsError
        If any output exists and ``overwrite`` is false (checked before any work).
    """

    def __init__(
        self,
        out: str | Path,
        *,
        csv: bool = False,
        parquet: bool = False,
        inputs: tuple[str | Path | None, ...] = (),
        overwrite: bool = False,
        dst_crs: str | None = None,
        hits_geometry: bool = False,
        stream: bool = False,
        copies: Mapping[str, str] | None = None,
        release: bool = False,
    ) -> None:
        paths = output_paths(out, csv=csv, parquet=parquet, hits_geometry=hits_geometry)
        self.order = [k for k in paths if k != "summary"] + ["summary"]
        self.outs = OutputSet({k: paths[k] for k in self.order}, inputs=inputs, overwrite=overwrite)
        self.outs.preflight()
        self.csv = csv
        self.dst_crs = dst_crs
        streams = stream and "gpkg" in paths and not csv and not parquet
        self.gpkg = (
            GpkgResults(self.outs.tmp("gpkg"), copies=copies, name=self.outs.target)
            if streams
            else None
        )
        self.rows = 0
        self.release = release
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: list[Future[None]] = []
        self._free_later: gpd.GeoDataFrame | None = None
        self._hits_job: Future[None] | None = None
        self._parcels_started = False
        self._early: GpkgResults | None = None  # begin_geometry

    def begin_geometry(self, frame: gpd.GeoDataFrame) -> None:
        """Start writing the parcels' geometries into the results GeoPackage now, before
        the check, where :meth:`finish` writes it in this process with a writer process
        for the hits (:data:`~almaty_scheme.check.gpkg_out.SIDE_WRITER_MIN_ROWS` parcels
        or more, not reprojected; :meth:`~almaty_scheme.check.gpkg_out.GpkgResults.begin_geometry`).
        ``frame`` is the checked parcels' input, whose geometry objects the result
        carries on. Does nothing otherwise."""
        paths = self.outs.paths
        if (
            self.gpkg is not None
            or self._early is not None
            or "gpkg" not in paths
            or "parcels_file" in paths
            or self.dst_crs is not None
            or len(frame) < SIDE_WRITER_MIN_ROWS
        ):
            return
        early = GpkgResults(self.outs.tmp("gpkg"), process=False, side=True, name=self.outs.target)
        try:
            if early.begin_geometry(frame.geometry):
                self._early = early
                return
        except BaseException:
            early.abort()
            raise
        early.abort()  # no writer process here: finish() writes it all

    @property
    def streams(self) -> bool:
        """Whether :meth:`add` sends the parcels and hits to the writer processes."""
        return self.gpkg is not None

    @property
    def streamed(self) -> bool:
        """Whether the parcels and hits went to the writer processes with :meth:`add`."""
        return self.gpkg is not None and self.rows > 0

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if self._pool is not None:  # the files being written are removed after
            wait(self._jobs)
            self._pool.shutdown()
        if kind is not None:
            for gpkg in (self.gpkg, self._early):
                if gpkg is not None:
                    gpkg.abort()
            self.outs.abort()

    def add(self, part: CheckResult) -> None:
        """Write the next checked chunk (parcels in input order) if streaming; with
        ``release``, its parcels' geometries are set to null once sent (see
        :meth:`~almaty_scheme.check.gpkg_out.GpkgResults.add`)."""
        if self.gpkg is None or not len(part.parcels):
            return
        parcels, hits = to_output_crs(part.parcels, part.hits, self.dst_crs)
        self.gpkg.add(parcels, hits, release=self.release, explained=part.explanations)
        self.rows += len(parcels)

    def end_chunks(self) -> None:
        """Every chunk is added: the writer processes end their layers now (the parcels'
        R-tree, the hits' merge) while the caller summarises
        (:meth:`~almaty_scheme.check.gpkg_out.GpkgResults.end_layers`)."""
        if self.gpkg is not None and self.rows:
            self.gpkg.end_layers()

    def start_hits(self, hits: pd.DataFrame) -> None:
        """Start writing the GeoParquet hits of a GeoParquet-only set on another thread
        as soon as the engine has them (``check_parcels(on_hits=...)``): Parquet encodes
        them on the core the engine leaves idle while it explains the parcels. Does
        nothing for other sets, for hits with overlap geometries (:meth:`start` writes
        those, reprojected if asked), or when called again."""
        if self._hits_job is not None or not self._parquet_only():
            return
        if isinstance(hits, gpd.GeoDataFrame):
            return
        self._hits_job = self._executor().submit(
            write_hits_parquet, hits, self.outs.tmp("hits_parquet")
        )
        self._jobs.append(self._hits_job)

    def start(self, result: CheckResult, *, wkb: pa.ChunkedArray | None = None) -> None:
        """Start writing the whole ``result`` where nothing else is needed: the GeoParquet
        parcels and hits of a GeoParquet-only set (the hits unless :meth:`start_hits`
        has). The parcels' Arrow table is made here (pandas' conversion holds the GIL:
        on this thread it does not wait for the caller's summary) and Parquet writes it
        on another thread while the caller summarises; :meth:`finish` then writes the
        rest. Does nothing for other sets or when called again.

        ``wkb`` is the WKB of the parcels' geometries, row for row, as shapely writes
        them (:attr:`~almaty_scheme.check.inputs.ParcelInput.wkb`): written as it is
        unless the geometries are reprojected for writing."""
        if self._parcels_started or not self._parquet_only():
            return
        self._parcels_started = True
        parcels, hits = to_output_crs(result.parcels, result.hits, self.dst_crs)
        if parcels is not result.parcels or (wkb is not None and len(wkb) != len(parcels)):
            wkb = None  # reprojected: the geometries' bytes change
        # written from their WKB, the geometries are let go by finish() instead, on this
        # thread while Parquet writes (freeing 10^6 of them holds the GIL for 0.1-0.3 s)
        self._free_later = parcels if self.release and wkb is not None else None
        release = self._free_later is None and self.release
        table = geoparquet_table(
            parcels,
            release=release,
            no_statistics=_unstated(parcels),
            wkb=wkb,
            plain=_plain(parcels),
        )
        pool = self._executor()
        if table is None:
            self._jobs.append(_parcels_job(pool, self.outs, parcels, release, wkb))
        else:
            self._jobs.append(pool.submit(table.write, self.outs.tmp("parcels_parquet")))
        del table
        if self._hits_job is None:
            self._hits_job = pool.submit(write_hits_parquet, hits, self.outs.tmp("hits_parquet"))
            self._jobs.append(self._hits_job)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(2, thread_name_prefix="parquet")
        return self._pool

    def _parquet_only(self) -> bool:
        paths = self.outs.paths
        return "parcels_parquet" in paths and not {"gpkg", "parcels_file", "parcels_csv"} & set(
            paths
        )

    def finish(
        self, result: CheckResult, *, summary: Mapping[str, Any], issues: pd.DataFrame | None
    ) -> dict[str, Path]:
        """Write the rest of the set for the whole ``result`` and commit it; return the
        paths written, by kind."""
        if "run_id" not in summary:
            summary = {"run_id": new_run_id(), **summary}
        summary = {**summary, "output_crs": str(self.dst_crs or WORKING_CRS)}
        # a full disk: an error line, not a bug report (the writers are stopped first, by
        # __exit__, then the temporaries removed: not outs.writing())
        with write_failures(self.outs.target):
            self._write_rest(result, summary, issues)
        fault_point("written")
        written = self.outs.commit(self.order)
        log.info("wrote %s", ", ".join(str(p) for p in written.values()))
        return written

    def _write_rest(
        self, result: CheckResult, summary: Mapping[str, Any], issues: pd.DataFrame | None
    ) -> None:
        """Every temporary file of the set not written yet (:meth:`finish`)."""
        if self.gpkg is not None and self.rows:
            if self.rows != len(result.parcels):
                raise ValueError(f"{self.rows} parcels streamed, {len(result.parcels)} checked")
            self.gpkg.finish(
                _gpkg_finalizer(summary, issues), description=_parcels_description(summary)
            )
            _summary_from_gpkg(self.outs)
        elif self._jobs:  # the GeoParquet files were started: the rest, then wait
            self.start(result)  # the parcels, if only the hits were started
            _issues_frame(issues).to_parquet(self.outs.tmp("issues_parquet"), index=False)
            self.outs.tmp("summary").write_text(_summary_json(summary), encoding="utf-8")
            if self._free_later is not None:
                release_geometries(self._free_later)
                self._free_later = None
            for job in self._jobs:
                job.result()
        else:
            if self.gpkg is not None:  # nothing was streamed: stop the idle writers
                self.gpkg.abort()
            parcels, hits = to_output_crs(result.parcels, result.hits, self.dst_crs)
            full = CheckResult(
                parcels=parcels,
                hits=hits,
                near_keys=result.near_keys,
                timings=result.timings,
                explanations=result.explanations,
            )
            early, self._early = self._early, None
            _write_set(
                self.outs,
                full,
                summary=summary,
                issues=issues,
                csv=self.csv,
                release=self.release,
                gpkg=early,
            )


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
    summary's ``run_id``). ``inputs`` are refused as outputs. :class:`ResultWriter`
    does the same for results that come in chunks.

    Raises
    ------
    OutputExistsError
        If any output exists and ``overwrite`` is false (checked before writing anything).
    """
    with ResultWriter(
        out,
        csv=csv,
        parquet=parquet,
        inputs=inputs,
        overwrite=overwrite,
        dst_crs=dst_crs,
        hits_geometry=isinstance(result.hits, gpd.GeoDataFrame),
    ) as writer:
        return writer.finish(result, summary=summary, issues=issues)


def _summary_from_gpkg(outs: OutputSet) -> None:
    """The summary JSON, made from the table just written: the pair cannot disagree."""
    text = _summary_json(read_summary(outs.tmp("gpkg")))
    outs.tmp("summary").write_text(text, encoding="utf-8")


def _write_set(
    outs: OutputSet,
    result: CheckResult,
    *,
    summary: Mapping[str, Any],
    issues: pd.DataFrame | None,
    csv: bool,
    release: bool = False,
    gpkg: GpkgResults | None = None,
) -> None:
    """Write every file of the set to its temporary path (:func:`write_results`); with
    ``release`` the GeoParquet parcels' geometries are let go once encoded
    (:func:`~almaty_scheme.io.geoparquet.write_geoparquet`). ``gpkg``: the results
    GeoPackage begun already (:meth:`ResultWriter.begin_geometry`)."""
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
        # the last use of the geometries unless a GeoPackage or another file follows
        release = release and "gpkg" not in paths and "parcels_file" not in paths
        with ThreadPoolExecutor(2) as ex:
            for job in _parquet_jobs(ex, outs, parcels, hits, release):
                job.result()
    if "parcels_file" in paths:
        write_flat(outs, parcels, hits, _issues_frame(issues))
        outs.tmp("summary").write_text(_summary_json(summary), encoding="utf-8")
        return
    if "gpkg" not in paths:
        _issues_frame(issues).to_parquet(outs.tmp("issues_parquet"), index=False)
        outs.tmp("summary").write_text(_summary_json(summary), encoding="utf-8")
        return
    _write_gpkg(outs.tmp("gpkg"), result, summary=summary, issues=issues, begun=gpkg)
    _summary_from_gpkg(outs)


def _parquet_jobs(
    pool: ThreadPoolExecutor,
    outs: OutputSet,
    parcels: gpd.GeoDataFrame,
    hits: pd.DataFrame,
    release: bool,
) -> list[Future[None]]:
    """The GeoParquet parcels and hits, written at once on ``pool``'s two threads (Arrow,
    Parquet and shapely's encoding release the GIL)."""
    return [
        _parcels_job(pool, outs, parcels, release),
        pool.submit(write_hits_parquet, hits, outs.tmp("hits_parquet")),
    ]


def _parcels_job(
    pool: ThreadPoolExecutor,
    outs: OutputSet,
    parcels: gpd.GeoDataFrame,
    release: bool,
    wkb: pa.ChunkedArray | None = None,
) -> Future[None]:
    """The GeoParquet parcels written on ``pool``, their geometry as ``wkb`` when given
    (:func:`~almaty_scheme.io.geoparquet.write_geoparquet`), without min/max statistics
    for the explanations and the categoricals (:func:`_coded`)."""
    return pool.submit(
        write_geoparquet,
        parcels,
        outs.tmp("parcels_parquet"),
        release=release,
        no_statistics=_unstated(parcels),
        wkb=wkb,
        plain=_plain(parcels),
    )


def _plain(parcels: pd.DataFrame) -> list[str]:
    """The parcels' columns of :data:`PLAIN_PARCEL_COLUMNS` and the near distances."""
    near = [c for c in parcels.columns if str(c).startswith("near_") and str(c).endswith("_m")]
    return [c for c in PLAIN_PARCEL_COLUMNS if c in parcels.columns] + near


def _unstated(parcels: pd.DataFrame) -> list[str]:
    """The parcels' columns written without min/max statistics: the explanations and
    the categoricals (:func:`_coded`)."""
    return [*EXPLANATION_COLUMNS, *(c for c in parcels.columns if _coded(parcels, c))]


def write_hits_parquet(hits: pd.DataFrame, path: Path) -> None:
    """The hits as ``hits.to_parquet(path, index=False)`` writes them, except that the
    Parquet pages hold the parcel ids themselves, not codes into a dictionary page (and
    so the other :data:`PLAIN_HIT_COLUMNS`, whose values are nearly all distinct).

    The column is a categorical over every parcel's id, and Parquet wrote its whole
    dictionary into every row group: each of the three row groups of the 2.4 M hits of
    10^6 parcels held all 10^6 ids (4.2 MB compressed) besides its codes. A parcel's
    hits are consecutive rows, so the plain ids compress well (2.6 MB a row group).
    Those hits were written in 1.03 s instead of 1.38 s and read in 0.27 s instead of
    0.73 s, and took 59 MB instead of 71 MB. The file's schema keeps the column's Arrow
    type (a dictionary), so pandas reads back a categorical of the same values, in the
    parcels' order; its categories are the ids of the parcels with a hit (they were
    every parcel's), and Arrow gives each row group the dictionary of the ids in it.
    """
    encoded = [c for c in hits.columns if c not in PLAIN_HIT_COLUMNS]
    hits.to_parquet(
        path,
        index=False,
        use_dictionary=encoded or False,
        write_statistics=[c for c in hits.columns if not _coded(hits, c)] or False,
    )


def _coded(frame: pd.DataFrame, column: str) -> bool:
    """Whether ``column`` is written with min/max statistics left out: a categorical
    (but the hits' parcel ids, which come in order): its few values recur in every row
    group, so the least and greatest of each prune nothing, and computing them took
    0.33 s of the 1.29 s that Parquet took to write 2.4 M hits (18 such columns)."""
    return column not in PLAIN_HIT_COLUMNS and isinstance(frame[column].dtype, pd.CategoricalDtype)


def _gpkg_finalizer(
    summary: Mapping[str, Any], issues: pd.DataFrame | None
) -> Callable[[Path], None]:
    """What the results GeoPackage gets last: the issues, the summary, the styles."""
    styles = style_finalizer([PARCELS_LAYER, HITS_LAYER])
    table = summary_table(summary)

    def finalize(path: Path) -> None:
        iss = _gpkg_ready(_issues_frame(issues))
        pyogrio.write_dataframe(iss, path, layer=ISSUES_LAYER, driver="GPKG", append=True)
        pyogrio.write_dataframe(table, path, layer=SUMMARY_LAYER, driver="GPKG", append=True)
        styles(path)

    return finalize


def _write_gpkg(
    path: Path,
    result: CheckResult,
    *,
    summary: Mapping[str, Any],
    issues: pd.DataFrame | None,
    begun: GpkgResults | None = None,
) -> None:
    """The results GeoPackage (module docstring) at ``path``, in this process
    (``begun``: with the parcels' geometries written already, :meth:`ResultWriter.begin_geometry`).

    The parcels are stored narrow (:func:`~almaty_scheme.check.gpkg_out.narrow_parcels`):
    ``parcels_data`` holds the geometry, the numbers and an integer code for every
    repeated text, and the lookup tables ``check_cases``, ``check_texts``,
    ``explanation_pairs`` and ``explanation_parts`` hold each distinct text (or part of
    an explanation) once. The registered spatial view
    ``parcels`` joins them back into the columns, order and values of the parcels
    frame. With no parcel at all, ``parcels`` is a plain table.
    """
    finalize = _gpkg_finalizer(summary, issues)
    note = _parcels_description(summary)
    if not len(result.parcels):
        if begun is not None:
            begun.abort()
        _write_empty_gpkg(path, result, finalize, note)
        return
    out = begun or GpkgResults(
        path, process=False, side=len(result.parcels) >= SIDE_WRITER_MIN_ROWS
    )
    try:
        out.add(result.parcels, result.hits, explained=result.explanations)
        out.finish(finalize, description=note)
    except BaseException:
        out.abort()
        raise


def _write_empty_gpkg(
    path: Path, result: CheckResult, finalize: Callable[[Path], None], note: str
) -> None:
    """The results GeoPackage of no parcel: plain ``parcels`` (and hits) tables with
    every column, so that a consumer finds each layer it expects."""
    hits = result.hits
    layers = {PARCELS_LAYER: gpkg_frame(result.parcels)}
    if isinstance(hits, gpd.GeoDataFrame):
        layers[HITS_LAYER] = gpkg_frame(hits)

    def finish(tmp: Path) -> None:
        if not isinstance(hits, gpd.GeoDataFrame):
            coder = HitCoder()
            rows = coder.encode(pd.DataFrame(hits), result.parcels["parcel_id"])
            for name, table in ((HITS_DATA_LAYER, rows), (ZONES_LAYER, coder.zone_table())):
                pyogrio.write_dataframe(table, tmp, layer=name, driver="GPKG", append=True)
            write_hits_view(tmp, PARCELS_LAYER, "parcel_id")
        with closing(sqlite3.connect(tmp)) as con, con:
            con.execute(
                "UPDATE gpkg_contents SET description = ? WHERE table_name = ?",
                (note, PARCELS_LAYER),
            )
        finalize(tmp)

    write_layers(
        path,
        layers,
        overwrite=False,
        finalize=finish,
        geometry_types={PARCELS_LAYER: "MultiPolygon", HITS_LAYER: "MultiPolygon"},
        write_options={"use_arrow": True, "promote_to_multi": True},
        config=GDAL_CONFIG,
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
