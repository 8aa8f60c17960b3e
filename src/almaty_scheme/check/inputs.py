"""Reading, validating and repairing the parcels to check.

Nothing is ever dropped: every input row comes out exactly once, in input order, with
a ``parcel_id`` and the reason it cannot be checked if it cannot
(``invalid_reason``). What happens to bad input:

=====================================  ==============================================
input                                  result
=====================================  ==============================================
no CRS                                 :class:`~almaty_scheme.errors.CRSError` unless ``assume_crs``
only points / lines in the file        :class:`~almaty_scheme.errors.DataError` ("parcels must be polygons")
null geometry                          ``invalid_reason = null_geometry``
empty geometry                         ``invalid_reason = empty_geometry``
non-finite coordinates                 ``invalid_reason = bad_coordinates``
a point or line among polygons         ``invalid_reason = not_polygon``
invalid polygon (self-intersection...) repaired with ``make_valid`` (method ``structure``),
                                       flag ``repaired``; if nothing polygonal is left,
                                       ``invalid_reason = invalid_geometry``
unclosed ring (refused by GEOS)         closed on read (:mod:`almaty_scheme.io.readers`),
                                       flag ``repaired``
geometry collection                    polygonal parts kept, flag ``non_polygon_parts_dropped``;
                                       overlapping parts merged, flag ``overlapping_parts_merged``
Z / M coordinates                      dropped, flag ``z_dropped`` / ``m_dropped``
missing id                             generated (``P000001`` by row), flag ``generated_id``
duplicate id                           first kept, later ones get ``#2``, ``#3``...; all
                                       flagged ``duplicate_id`` and listed in the report
unknown use value                      checked as the default class, flag ``unknown_use``
=====================================  ==============================================

The original geometry of every row whose geometry was changed or rejected is kept
(as WKT) in :attr:`ParcelInput.issues`, written as the ``parcel_input_issues`` table.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS

from almaty_scheme.check.regime import LandUse
from almaty_scheme.crs import WORKING_CRS, parse_crs, to_working_crs
from almaty_scheme.errors import DataError, UsageError
from almaty_scheme.io.readers import VectorRead, read_vector_wkb
from almaty_scheme.io.wkb import canonical_polygonal, one_chunk, simple_valid
from almaty_scheme.texts import all_distinct

log = logging.getLogger(__name__)

FLAGS: tuple[str, ...] = (
    "repaired",
    "non_polygon_parts_dropped",
    "overlapping_parts_merged",
    "z_dropped",
    "m_dropped",
    "generated_id",
    "duplicate_id",
    "unknown_use",
    "no_use",
)
"""Values of ``input_flags`` (comma-separated, in this order)."""

INVALID_REASONS: tuple[str, ...] = (
    "null_geometry",
    "empty_geometry",
    "bad_coordinates",
    "not_polygon",
    "invalid_geometry",
)
"""Values of ``invalid_reason`` / ``verdict_reason`` for ``invalid_input`` parcels."""

RESERVED_COLUMNS: tuple[str, ...] = (
    "fid",
    "parcel_id",
    "input_row",
    "use_input",
    "use_class",
    "input_flags",
    "invalid_reason",
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
"""Output columns; input columns with these names (case-insensitive, and any
``near_*``) are kept renamed ``input_<name>``."""

DEFAULT_ID_FIELD = "parcel_id"

_POLYGON = 3
_POLY_TYPES = (_POLYGON, 6)  # Polygon, MultiPolygon
_COLLECTION = 7


@dataclass
class ParcelInput:
    """Parcels ready for the check engine, and what was done to them.

    Attributes
    ----------
    frame
        Working-CRS GeoDataFrame, one row per input row in input order: the original
        attributes (colliding names renamed ``input_<name>``), then ``parcel_id``,
        ``input_row`` (1-based), ``use_input``, ``use_class``, ``input_flags``,
        ``invalid_reason``; geometry polygonal and 2D, or null when invalid.
    issues
        ``parcel_id``, ``input_row``, ``issue``, ``detail``, ``original_wkt`` for every
        repaired or rejected geometry.
    report
        Counts and lists for the summary (see :func:`prepare_parcels`).
    """

    frame: gpd.GeoDataFrame
    issues: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)
    wkb: pa.ChunkedArray | None = None
    """The WKB of ``frame``'s geometries, row for row, in the bytes shapely writes for
    them (null where the geometry is null), when the file stored them so and nothing
    changed them (:func:`prepare_parcels`); else ``None``."""


def read_parcels(
    path: str | Path,
    *,
    layer: str | None = None,
    assume_crs: str | int | CRS | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read parcels from any vector format the readers support, into EPSG:32643.

    A thin wrapper of :func:`almaty_scheme.io.readers.read_vector` (GeoPackage,
    Shapefile with Cyrillic attributes, GeoJSON, FlatGeobuf, GeoParquet, CSV with WKT
    or lon/lat columns...); the CRS rules are the readers' (no CRS is an error unless
    ``assume_crs``).

    Raises
    ------
    DataError, CRSError
        Missing or unreadable file, several layers and none chosen, no usable CRS.
    """

    return read_parcels_wkb(path, layer=layer, assume_crs=assume_crs, encoding=encoding).frame


def read_parcels_wkb(
    path: str | Path,
    *,
    layer: str | None = None,
    assume_crs: str | int | CRS | None = None,
    encoding: str | None = None,
) -> VectorRead:
    """:func:`read_parcels`, with the WKB of a GeoParquet file's geometries
    (:func:`~almaty_scheme.io.readers.read_vector_wkb`) for :func:`prepare_parcels`."""
    return read_vector_wkb(
        path, layer=layer, assume_crs=assume_crs, encoding=encoding, name=Path(path).name
    )


def _as_id_strings(values: pd.Series) -> pd.Series:
    """Ids as strings: integral floats lose '.0'; nulls and blanks become <NA>."""
    ser = values
    if pd.api.types.is_float_dtype(ser.dtype):
        arr = ser.to_numpy(dtype=float, na_value=np.nan)
        integral = np.isfinite(arr) & (np.floor(arr) == arr)
        out = pd.Series(pd.NA, index=ser.index, dtype="string")
        out[integral] = pd.Series(arr[integral].astype(np.int64), index=ser.index[integral]).astype(
            str
        )
        rest = np.isfinite(arr) & ~integral
        out[rest] = ser[rest].astype(str)
        return out
    out = ser.astype("string").str.strip()
    return out.mask(out == "", pd.NA)


def _generated_ids(rows: np.ndarray, n: int) -> pd.api.extensions.ExtensionArray:
    """``P`` + 1-based row number, zero-padded to ``max(6, digits of n)`` (``P000017``),
    built as Arrow strings (10^6 ids in a fraction of a second, no Python strings)."""
    width = max(6, len(str(n)))
    num = pc.cast(pa.array(np.asarray(rows, np.int64) + 1), pa.string())
    return pd.array(pc.binary_join_element_wise("P", pc.utf8_lpad(num, width, "0"), ""),
                    dtype="string")  # fmt: skip


def _assign_ids(
    raw_ids: pd.Series | None, n: int
) -> tuple[Any, np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Return ids (an array of strings), generated mask, duplicate mask and a
    duplicate report.

    Generated ids are ``P`` + 1-based row number zero-padded (``P000017``); a
    duplicate's later occurrences get ``#2``, ``#3``... in input order; any clash
    of a new id with an existing one gets a further ``~k`` suffix.
    """

    def gen(rows: np.ndarray) -> Any:
        return _generated_ids(rows, n)

    if raw_ids is None:
        return gen(np.arange(n)), np.ones(n, bool), np.zeros(n, bool), []
    if all_distinct(raw_ids):  # the usual cadastre: kept as they are, in Arrow
        return raw_ids.array, np.zeros(n, bool), np.zeros(n, bool), []
    ids = raw_ids.reset_index(drop=True)
    generated = ids.isna().to_numpy()
    out = np.array(ids.astype(object).where(ids.notna(), None).to_numpy(), dtype=object)
    out[generated] = np.asarray(gen(np.flatnonzero(generated)), dtype=object)
    ser = pd.Series(out, dtype=object)
    dup_all = ser.duplicated(keep=False).to_numpy()
    dup_report: list[dict[str, Any]] = []
    if dup_all.any():
        occ = ser.groupby(ser, sort=False).cumcount().to_numpy() + 1
        later = dup_all & (occ > 1)
        counts = ser[dup_all].value_counts(sort=False)
        dup_report = [{"id": str(k), "count": int(v)} for k, v in counts.items()]
        taken = set(ser[~later].tolist())
        for i in np.flatnonzero(later):
            cand = f"{out[i]}#{occ[i]}"
            k = 1
            while cand in taken:
                k += 1
                cand = f"{out[i]}#{occ[i]}~{k}"
            taken.add(cand)
            out[i] = cand
    return out, generated, dup_all, dup_report


def _rename_collisions(df: pd.DataFrame, geom_name: str) -> tuple[pd.DataFrame, dict[str, str]]:
    reserved = {c.casefold() for c in RESERVED_COLUMNS}
    taken = {c.casefold() for c in df.columns}
    renames: dict[str, str] = {}
    for c in df.columns:
        if c == geom_name:
            continue
        cf = str(c).casefold()
        if cf in reserved or cf.startswith("near_"):
            new = f"input_{c}"
            k = 2
            while new.casefold() in taken or new.casefold() in reserved:
                new = f"input_{c}_{k}"
                k += 1
            taken.add(new.casefold())
            renames[c] = new
    return (df.rename(columns=renames) if renames else df), renames


def _flags_categorical(flags: dict[str, np.ndarray], n: int) -> pd.Categorical:
    """Comma-joined flag names per row, from boolean masks (via bit codes), as a
    categorical: each distinct combination is composed once."""
    code = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(FLAGS):
        m = flags.get(name)
        if m is not None:
            code |= m.astype(np.int64) << bit
    inv, uniq = pd.factorize(code)
    texts = [",".join(name for bit, name in enumerate(FLAGS) if (u >> bit) & 1) for u in uniq]
    cats: Any = pd.Index(texts, dtype=object)
    return pd.Categorical.from_codes(np.asarray(inv, np.int64), categories=cats)


def _threaded(func: Any, geoms: np.ndarray, min_size: int = 50_000) -> np.ndarray:
    """``func(geoms)`` on every core: shapely's vectorised functions release the GIL."""
    workers = min(os.cpu_count() or 1, 8)
    if len(geoms) < min_size or workers < 2:
        return np.asarray(func(geoms))
    with ThreadPoolExecutor(workers) as ex:
        parts = list(ex.map(func, np.array_split(geoms, workers)))
    return np.concatenate(parts)


def _bad_coordinates(geoms: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Rows of ``among`` (a mask) whose geometry has a non-finite x or y coordinate."""
    bad = np.zeros(len(geoms), bool)
    rows = np.flatnonzero(among)
    if len(rows):
        coords, cidx = shapely.get_coordinates(geoms[rows], return_index=True)
        bad[rows[np.unique(cidx[~np.isfinite(coords).all(axis=1)])]] = True
    return bad


def _repair_geometries(
    geoms: np.ndarray, known_valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Classify and repair geometries (vectorised; Python only for the rare bad rows).

    ``known_valid`` marks rows already shown to be valid 2D Polygons
    (:func:`~almaty_scheme.io.wkb.simple_valid`), so present, non-empty, without Z or M
    and of type Polygon: GEOS classifies and checks the others only (10^6 parcels: 0.13
    s of GEOS calls left out).

    Returns the cleaned geometries (``None`` where invalid), the invalid reason per
    row (``None`` where valid), flag masks, and a detail text per row.
    """
    n = len(geoms)
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)
    out = geoms.copy()
    # a known valid row is a present, non-empty 2D Polygon: GEOS classifies the others
    known = known_valid if known_valid is not None else np.zeros(n, bool)
    is_null = np.zeros(n, bool)
    is_null[~known] = shapely.is_missing(geoms[~known])
    reason[is_null] = "null_geometry"
    is_empty = np.zeros(n, bool)
    ask = ~known & ~is_null
    is_empty[ask] = shapely.is_empty(geoms[ask])
    reason[is_empty] = "empty_geometry"
    ok = ~is_null & ~is_empty
    ask &= ok
    z = np.zeros(n, bool)
    z[ask] = shapely.has_z(geoms[ask])
    m = np.zeros(n, bool)
    m[ask] = shapely.has_m(geoms[ask])
    if (z | m).any():
        out[z | m] = shapely.force_2d(geoms[z | m])
    # validity once for all (on every core); GEOS finds any geometry with a non-finite
    # x or y invalid ("Invalid Coordinate"), so only invalid ones are searched for them
    valid = known.copy()
    valid[ask] = _threaded(shapely.is_valid, out[ask])
    bad = _bad_coordinates(out, ok & ~valid)
    reason[bad] = "bad_coordinates"
    ok &= ~bad
    tid = np.where(known, _POLYGON, -1).astype(np.int64)
    tid[ok & ~known] = shapely.get_type_id(out[ok & ~known])
    parts_dropped = np.zeros(n, bool)
    merged = np.zeros(n, bool)
    for i in np.flatnonzero(ok & (tid == _COLLECTION)):
        parts = shapely.get_parts(out[i])
        polys = [p for p in parts if shapely.get_type_id(p) in _POLY_TYPES]
        if len(polys) < len(parts):
            parts_dropped[i] = True
            detail[i] = f"{len(parts) - len(polys)} non-polygon part(s) dropped"
        if polys:
            out[i] = shapely.union_all(polys) if len(polys) > 1 else polys[0]
            parts_area = float(sum(shapely.area(polys)))
            if len(polys) > 1 and parts_area > float(shapely.area(out[i])) * (1 + 1e-9):
                merged[i] = True
                detail[i] = "; ".join(
                    x
                    for x in (
                        detail[i],
                        f"{len(polys)} overlapping polygon parts merged "
                        f"({parts_area:.1f} m² of parts, {float(shapely.area(out[i])):.1f} m² merged)",
                    )
                    if x
                )
            tid[i] = shapely.get_type_id(out[i])
            valid[i] = shapely.is_valid(out[i])  # its polygons, merged
        else:
            tid[i] = 0
    notpoly = ok & ~np.isin(tid, _POLY_TYPES)
    reason[notpoly] = "not_polygon"
    ok &= ~notpoly
    repaired = ok & ~valid
    for i in np.flatnonzero(repaired):
        why = shapely.is_valid_reason(out[i])
        fixed = shapely.make_valid(out[i], method="structure", keep_collapsed=False)
        polys = [p for p in shapely.get_parts(fixed) if shapely.get_type_id(p) in _POLY_TYPES]
        if polys and sum(p.area for p in polys) > 0:
            out[i] = shapely.union_all(polys) if len(polys) > 1 else polys[0]
            detail[i] = f"repaired: {why}"
        else:
            reason[i] = "invalid_geometry"
            detail[i] = f"nothing polygonal left after repair: {why}"
            repaired[i] = False
    out[reason != None] = None  # noqa: E711 - element-wise comparison on object array
    flags = {
        "repaired": repaired,
        "non_polygon_parts_dropped": parts_dropped,
        "overlapping_parts_merged": merged,
        "z_dropped": z,
        "m_dropped": m,
    }
    return out, reason, flags, detail


def _flag_repaired_on_read(
    rows: Any, reason: np.ndarray, flags: dict[str, np.ndarray], detail: np.ndarray
) -> None:
    """Flag ``repaired`` the rows the reader had to repair to decode at all (unclosed
    rings: :func:`almaty_scheme.io.readers.read_vector` lists them in
    ``attrs["repaired_on_read"]``)."""
    for i in rows:
        if 0 <= i < len(reason) and reason[i] is None:
            flags["repaired"][i] = True
            detail[i] = "; ".join(
                x for x in (detail[i], "ring closed on read (the file's ring was unclosed)") if x
            )


def prepare_parcels(
    raw: gpd.GeoDataFrame,
    land_use: LandUse,
    *,
    id_field: str | None = None,
    use_field: str | None = None,
    assume_crs: str | int | CRS | None = None,
    name: str = "parcels",
    crs_checked: bool = False,
    wkb: pa.ChunkedArray | pa.Array | None = None,
) -> ParcelInput:
    """Validate, reproject and repair parcels; assign ids and land-use classes.

    Parameters
    ----------
    raw
        Parcels as read (any CRS; see :func:`read_parcels`).
    land_use
        Land-use classes and aliases (with the user's ``--use-aliases`` merged in).
    id_field
        Column with parcel ids. Default: ``parcel_id`` if present, else ids are generated.
    use_field
        Column with the intended use; absent means every parcel is checked as the
        default class (``unspecified``, treated as construction).
    assume_crs
        CRS to assume when the data declares none.
    name
        Dataset name for messages (usually the file name).
    crs_checked
        ``raw`` comes from :func:`read_parcels`, which has already checked its
        coordinates against its CRS and reprojected it
        (:func:`~almaty_scheme.crs.to_working_crs`): not done twice (the bounds of
        10^5 parcels took 0.03-0.13 s) when its CRS is the working one.
    wkb
        The WKB of ``raw``'s geometries as the file stores them
        (:func:`read_parcels_wkb`): kept as :attr:`ParcelInput.wkb` when it is what
        shapely writes for the checked geometries (:func:`_same_wkb`).

    Raises
    ------
    UsageError
        If ``id_field`` or ``use_field`` is not a column (the message lists the columns).
    CRSError
        If the data has no CRS and ``assume_crs`` is not given.
    DataError
        If the file holds no polygons at all (points or lines given as parcels).
    """
    geom_name = raw.geometry.name if isinstance(raw, gpd.GeoDataFrame) else "geometry"
    attrs = [c for c in raw.columns if c != geom_name]
    problems = []
    for opt, col in (("--id-field", id_field), ("--use-field", use_field)):
        if col is not None and col not in raw.columns:
            problems.append(
                f"{opt} {col!r} is not a column of {name}; columns: {', '.join(map(str, attrs)) or 'none'}."
            )
    if problems:
        raise UsageError(f"Unknown column(s) in {name}", problems)
    if id_field is None and DEFAULT_ID_FIELD in raw.columns:
        id_field = DEFAULT_ID_FIELD
        log.info("%s: using column %r as parcel id", name, id_field)

    declared = raw.crs
    assumed = None
    if declared is None and assume_crs is not None:
        assumed = parse_crs(assume_crs)
    settled = crs_checked and raw.crs is not None and raw.crs == WORKING_CRS
    gdf = raw if settled else to_working_crs(raw, name=name, assume_crs=assume_crs)
    as_stored = gdf is raw  # not reprojected
    gdf = gdf.reset_index(drop=True)
    n = len(gdf)

    geoms_in = gdf.geometry.to_numpy()
    # the stored bytes, joined once, unless reprojected here
    whole = one_chunk(wkb) if wkb is not None and as_stored and len(wkb) == n else None
    # they show most parcels valid without GEOS (io.wkb.simple_valid)
    known = simple_valid(whole, np.arange(n)) if whole is not None else None
    geoms, reason, flags, detail = _repair_geometries(np.asarray(geoms_in, dtype=object), known)
    _flag_repaired_on_read(raw.attrs.get("repaired_on_read", ()), reason, flags, detail)

    n_present = int((reason != "null_geometry").sum() - (reason == "empty_geometry").sum())
    n_notpoly = int((reason == "not_polygon").sum())
    if n > 0 and n_present > 0 and n_notpoly == n_present:
        kinds = pd.Series(shapely.get_type_id(geoms_in[reason == "not_polygon"])).map(
            {0: "point", 1: "line", 2: "ring", 4: "multipoint", 5: "multiline", 7: "collection"}
        )
        counts = ", ".join(f"{v} {k}(s)" for k, v in kinds.value_counts().items())
        raise DataError(
            f"{name} holds no polygons ({counts}): parcels must be polygons",
            [
                "Give the parcel outlines (Polygon/MultiPolygon), not centroids or boundaries; "
                "to check a point or line location, buffer it first "
                "(e.g. ogr2ogr -dialect sqlite -sql 'SELECT ST_Buffer(geometry, 10) ...').",
            ],
        )

    ids_raw = _as_id_strings(gdf[id_field]) if id_field is not None else None
    ids, generated, duplicate, dup_report = _assign_ids(ids_raw, n)
    flags["generated_id"] = generated
    flags["duplicate_id"] = duplicate

    use_cls: Any  # a categorical of class ids
    if use_field is not None:
        use_in = gdf[use_field]
        use_cls, unknown, missing = land_use.resolve(use_in)
        use_text = use_in.astype("string")
        flags["unknown_use"] = unknown
        flags["no_use"] = missing
    else:
        # every row the default class: the categorical made without hashing n strings
        use_cls = (
            pd.Categorical.from_codes(
                np.zeros(n, np.int8), categories=pd.Index([land_use.default_class])
            )
            if n
            else pd.Categorical(np.zeros(0, dtype=object))
        )
        use_text = pd.Series(pd.NA, index=gdf.index, dtype="string")
        unknown = np.zeros(n, bool)

    attrs_df, renames = _rename_collisions(pd.DataFrame(gdf.drop(columns=geom_name)), geom_name)
    frame = gpd.GeoDataFrame(
        attrs_df,
        geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS, index=gdf.index),
        crs=WORKING_CRS,
    )
    frame["parcel_id"] = pd.array(ids, dtype="string")
    frame["input_row"] = np.arange(1, n + 1, dtype=np.int64)
    # as texts (a cast in Arrow), or as the objects they are when there is none
    frame["use_input"] = use_text.to_numpy() if use_text.isna().all() else use_text.astype("str")
    frame["use_class"] = use_cls
    frame["input_flags"] = _flags_categorical(flags, n)
    frame["invalid_reason"] = pd.array(reason, dtype="string")
    frame = frame.rename_geometry("geometry") if frame.geometry.name != "geometry" else frame

    invalid = reason != None  # noqa: E711 - element-wise comparison on object array
    # counted per reason below among the invalid rows only (every row compared once per
    # reason took 0.06 s at 10^6)
    invalid_reasons = reason[invalid]
    changed = (
        invalid
        | flags["repaired"]
        | flags["non_polygon_parts_dropped"]
        | flags["overlapping_parts_merged"]
    )
    idx = np.flatnonzero(changed)
    issue = np.where(
        reason[idx] != None,  # noqa: E711
        reason[idx],
        np.where(
            flags["repaired"][idx],
            "repaired",
            np.where(
                flags["non_polygon_parts_dropped"][idx],
                "non_polygon_parts_dropped",
                "overlapping_parts_merged",
            ),
        ),
    )
    issues = pd.DataFrame(
        {
            "parcel_id": pd.array(ids[idx], dtype="string"),
            "input_row": idx + 1,
            "issue": pd.array(issue, dtype="string"),
            "detail": pd.array(detail[idx], dtype="string"),
            "original_wkt": pd.array(
                [
                    None if g is None else shapely.to_wkt(g, rounding_precision=-1)
                    for g in geoms_in[idx]
                ],
                dtype="string",
            ),
        }
    )
    unknown_values = use_text[unknown].value_counts().head(50).to_dict() if unknown.any() else {}
    report: dict[str, Any] = {
        "name": name,
        "n_rows": n,
        "crs": (CRS.from_user_input(declared).to_string() if declared is not None else None),
        "assumed_crs": assumed.to_string() if assumed is not None else None,
        "id_field": id_field,
        "use_field": use_field,
        "renamed_columns": renames,
        "n_invalid": len(invalid_reasons),
        "invalid_by_reason": {
            r: int((invalid_reasons == r).sum())
            for r in INVALID_REASONS
            if (invalid_reasons == r).any()
        },
        "flags": {k: int(v.sum()) for k, v in flags.items() if v.any()},
        "duplicate_ids": dup_report[:100],
        "n_duplicate_ids": len(dup_report),
        "unknown_use_values": {str(k): int(v) for k, v in unknown_values.items()},
    }
    _log_report(report)
    kept = _same_wkb(whole, reason, flags) if whole is not None else None
    return ParcelInput(frame=frame, issues=issues, report=report, wkb=kept)


def _same_wkb(
    whole: pa.Array, reason: np.ndarray, flags: dict[str, np.ndarray]
) -> pa.ChunkedArray | None:
    """The stored WKB of the parcels if it is still theirs: no geometry was repaired,
    and every checked one is stored as shapely writes it (a little-endian 2D Polygon or
    MultiPolygon; :func:`~almaty_scheme.io.wkb.canonical_polygonal`), so that the
    geometry read and written back would give the same bytes; nulls where a row is
    invalid. ``None`` otherwise (z or m dropped, collections, other byte orders)."""
    valid = reason == None  # noqa: E711
    if len(whole) != len(reason) or flags["repaired"].any():
        return None
    if not canonical_polygonal(whole, np.flatnonzero(valid)).all():
        return None
    return pa.chunked_array([whole if valid.all() else pc.if_else(pa.array(valid), whole, None)])


def _log_report(r: dict[str, Any]) -> None:
    name = r["name"]
    if r["n_invalid"]:
        log.warning(
            "%s: %d parcel(s) cannot be checked (%s); they are kept as invalid_input",
            name,
            r["n_invalid"],
            ", ".join(f"{k}: {v}" for k, v in r["invalid_by_reason"].items()),
        )
    f = r["flags"]
    if f.get("repaired"):
        log.warning("%s: %d invalid geometr(ies) repaired with make_valid", name, f["repaired"])
    if f.get("z_dropped"):
        log.info("%s: Z/M coordinates dropped on %d parcel(s)", name, f["z_dropped"])
    if r["n_duplicate_ids"]:
        shown = ", ".join(f"{d['id']} (x{d['count']})" for d in r["duplicate_ids"][:5])
        log.warning(
            "%s: %d duplicate id(s), disambiguated with #2, #3...: %s%s",
            name,
            r["n_duplicate_ids"],
            shown,
            "..." if r["n_duplicate_ids"] > 5 else "",
        )
    if f.get("generated_id"):
        why = "no id column" if r["id_field"] is None else f"empty {r['id_field']!r}"
        log.info("%s: %d id(s) generated (%s)", name, f["generated_id"], why)
    if r["unknown_use_values"]:
        shown = ", ".join(repr(k) for k in list(r["unknown_use_values"])[:8])
        log.warning(
            "%s: %d parcel(s) with an unknown use (%s) checked as the default class; "
            "map them with --use-aliases",
            name,
            f.get("unknown_use", 0),
            shown,
        )
