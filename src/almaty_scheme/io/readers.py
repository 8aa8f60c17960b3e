"""Read any vector file an analyst has into GeoDataFrames in the working CRS.

:func:`read_vector` reads GeoPackage, Shapefile (with Cyrillic attributes in UTF-8,
cp1251, cp866 or KZ-1048, with or without a ``.cpg``), GeoJSON, FlatGeobuf, GeoParquet
and CSV (a WKT column or lon/lat columns), and reprojects explicitly to EPSG:32643.
It also parses units (voltages in V or kV, diameters in mm or m) and promotes single
parts to Multi*. This module knows file formats only, nothing of the base schema:
reading a file *as a base layer* (field maps, conforming, provenance) is
:mod:`almaty_scheme.base.read`.

Every failure is a :class:`~almaty_scheme.errors.DataError` (or its subclass
:class:`~almaty_scheme.errors.CRSError`) naming the file and saying how to fix it.
"""

from __future__ import annotations

import csv
import difflib
import importlib.util
import io
import json
import logging
import math
import re
import struct
import warnings
import zipfile
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyproj import CRS

from almaty_scheme.crs import parse_crs, to_working_crs
from almaty_scheme.errors import CRSError, DataError
from almaty_scheme.io.wkb import total_bounds
from almaty_scheme.memory import gc_paused

try:  # geopandas' own Arrow -> GeoDataFrame conversion (private: checked by the tests)
    from geopandas.io.arrow import _arrow_to_geopandas as arrow_to_geopandas
except ImportError:  # pragma: no cover - another geopandas: read_parquet reads the file
    arrow_to_geopandas = None

log = logging.getLogger(__name__)

HAS_ARROW = importlib.util.find_spec("pyarrow") is not None
"""Whether pyogrio can read through Arrow (faster; needs pyarrow)."""

VECTOR_SUFFIXES: dict[str, str] = {
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".geojsonl": "GeoJSONSeq",
    ".geojsons": "GeoJSONSeq",
    ".fgb": "FlatGeobuf",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".csv": "CSV",
    ".tsv": "CSV",
    ".txt": "CSV",
    ".zip": "zipped Shapefile/GeoPackage",
    ".kml": "KML",
    ".gml": "GML",
    ".tab": "MapInfo TAB",
    ".mif": "MapInfo MIF",
    ".sqlite": "SpatiaLite",
}
"""File suffixes :func:`read_vector` accepts, with the format they mean."""

GEOMETRY_COLUMN = "geometry"
"""The name geopandas gives the geometry column (an attribute of that name is renamed)."""

WKT_COLUMNS: tuple[str, ...] = ("wkt", "geometry", "geom", "the_geom", "wkt_geom")
"""CSV columns holding WKT geometries (matched case-insensitively)."""

XY_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("lon", "lat", True),
    ("lng", "lat", True),
    ("long", "lat", True),
    ("longitude", "latitude", True),
    ("x", "y", False),
    ("easting", "northing", False),
)
"""CSV coordinate column pairs; the flag says the names literally mean lon/lat degrees."""

_CYR_LETTERS = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_COMMON_RU = frozenset("оеаинтсрвл")
_SHAPEFILE_ENCODINGS: tuple[str, ...] = ("cp1251", "cp866", "kz1048")


# --------------------------------------------------------------------------- encodings


def _dbf_text_bytes(dbf: Path | BinaryIO, max_records: int = 5000) -> bytes:
    """The raw bytes of the character fields of the first ``max_records`` DBF records."""
    with dbf.open("rb") if isinstance(dbf, Path) else nullcontext(dbf) as fh:
        head = fh.read(32)
        if len(head) < 32:
            return b""
        n_records, header_len, record_len = struct.unpack("<IHH", head[4:12])
        fields: list[tuple[int, int]] = []  # (offset in record, length) of C fields
        offset = 1  # deletion flag
        while True:
            desc = fh.read(32)
            if len(desc) < 32 or desc[0] == 0x0D:
                break
            ftype = chr(desc[11])
            flen = desc[16]
            if ftype == "C":
                flen += desc[17] * 256  # long character fields use the decimal byte (shapelib)
                fields.append((offset, flen))
            offset += flen
        fh.seek(header_len)
        chunks = []
        for _ in range(min(n_records, max_records)):
            rec = fh.read(record_len)
            if len(rec) < record_len:
                break
            for off, ln in fields:
                chunks.append(rec[off : off + ln].rstrip(b" \x00"))
    return b"\n".join(c for c in chunks if c)


def score_cyrillic(text: str) -> float:
    """How much ``text`` looks like Russian/Kazakh: 0 (not at all) to 1.5.

    The share of its non-ASCII characters that are Russian/Kazakh letters, plus half
    the share that are the ten commonest Russian letters (о е а и н т с р в л), which
    separates lower-case cp1251 text from its cp866 misreading (``склад`` -> ``ёъырф``).
    """
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return 0.0
    letters = sum(1 for ch in non_ascii if _CYR_LETTERS.match(ch))
    common = sum(1 for ch in non_ascii if ch.lower() in _COMMON_RU)
    return (letters + 0.5 * common) / len(non_ascii)


def detect_encoding(raw: bytes, candidates: tuple[str, ...] = _SHAPEFILE_ENCODINGS) -> str | None:
    """Guess the encoding of Cyrillic text bytes.

    Pure ASCII gives ``None`` (any encoding reads it). Valid UTF-8 with non-ASCII
    characters gives ``"utf-8"``. Otherwise each candidate decodes the bytes and the one
    whose non-ASCII characters are most often Russian/Kazakh letters wins (cp1251 text
    read as cp866 turns capitals into box-drawing signs; cp866 read as cp1251 turns
    them into punctuation); ties go to the earlier candidate (cp1251, then cp866).
    Measured against charset-normalizer (``scripts/bench_encoding.py``; why this is
    kept: ``docs/design.md``, libraries chosen): as good on cp1251, better on short cp866
    values and on Kazakh KZ-1048 text, which charset-normalizer reads as cp1251.
    """
    if not raw or all(b < 128 for b in raw):
        return None
    try:
        raw.decode("utf-8", errors="strict")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best, best_score = candidates[0], -1.0
    for enc in candidates:
        score = score_cyrillic(raw.decode(enc, errors="replace"))
        if score > best_score + 1e-9:
            best, best_score = enc, score
    return best


def detect_shapefile_encoding(shp: Path) -> str | None:
    """Encoding of a shapefile's attributes: its ``.cpg`` if present, else detected.

    Returns ``None`` when the ``.cpg`` names it (GDAL reads that itself) or when the
    attributes are pure ASCII.
    """
    for suffix in (".cpg", ".CPG"):
        if shp.with_suffix(suffix).is_file():
            return None
    dbf = next((shp.with_suffix(s) for s in (".dbf", ".DBF") if shp.with_suffix(s).is_file()), None)
    if dbf is None:
        return None
    enc = detect_encoding(_dbf_text_bytes(dbf))
    if enc is not None:
        log.info("%s: no .cpg; attribute encoding detected as %s", shp.name, enc)
    return enc


def detect_zip_encoding(path: Path) -> str | None:
    """Encoding of a zipped shapefile's attributes (``None``: .cpg present, ASCII, or no
    single shapefile in the zip)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            lower = {n.lower(): n for n in names}
            dbfs = [n for n in names if n.lower().endswith(".dbf")]
            if len(dbfs) != 1 or lower.get(dbfs[0][:-4].lower() + ".cpg"):
                return None
            with zf.open(dbfs[0]) as fh:
                raw = _dbf_text_bytes(io.BytesIO(fh.read()))
    except (zipfile.BadZipFile, OSError, struct.error):
        return None
    enc = detect_encoding(raw)
    if enc is not None:
        log.info("%s: no .cpg; attribute encoding detected as %s", path.name, enc)
    return enc


# --------------------------------------------------------------------------- readers


def _source_error(path: Path, exc: Exception) -> DataError:
    return DataError(
        f"Cannot read {path.name}",
        [
            f"{path} is damaged or not in a format GDAL recognises ({exc}). Open it in QGIS "
            "to check it, re-export it as GeoPackage, or give the right file."
        ],
    )


def _choose_layer(path: Path, layer: str | None) -> str | None:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise _source_error(path, exc) from exc
    names = [str(r[0]) for r in layers]
    spatial = [str(r[0]) for r in layers if r[1] is not None]
    if layer is not None:
        if layer not in names:
            raise DataError(
                f"{path.name} has no layer {layer!r}",
                [f"Choose one of: {', '.join(names) or '(none)'} (--layer NAME)."],
            )
        return layer
    if len(names) <= 1:
        return names[0] if names else None
    if len(spatial) == 1:
        return spatial[0]
    listing = ", ".join(f"{r[0]} ({r[1] or 'no geometry'})" for r in layers)
    raise DataError(
        f"{path.name} has {len(names)} layers and none was chosen",
        [f"Pick one with --layer NAME (layer=...); layers: {listing}."],
    )


_GDAL_ENCODINGS = frozenset(
    {
        "utf-8",
        "utf8",
        "cp1251",
        "cp866",
        "cp1252",
        "latin1",
        "latin-1",
        "iso-8859-1",
        "iso-8859-5",
        "koi8-r",
        "ascii",
    }
)


def _read_ogr(
    path: Path, layer: str | None, encoding: str | None, fids: bool = False
) -> gpd.GeoDataFrame:
    """Read through pyogrio; encodings GDAL's iconv may not know (``kz1048``) are read as
    Latin-1 (one char per byte) and re-decoded in Python. ``fids``: the features' ids as
    the index (named ``fid``) where GDAL reads the rows themselves."""
    if encoding is not None and encoding.lower() not in _GDAL_ENCODINGS:
        gdf = _read_ogr_raw(path, layer, "latin1", fids)
        geom = gdf.geometry.name
        for col in gdf.columns:
            if col == geom or not (
                gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col].dtype)
            ):
                continue
            gdf[col] = gdf[col].map(
                lambda v: (
                    v.encode("latin1").decode(encoding, errors="replace")
                    if isinstance(v, str)
                    else v
                )
            )
        return gdf
    return _read_ogr_raw(path, layer, encoding, fids)


def _read_ogr_raw(
    path: Path, layer: str | None, encoding: str | None, fids: bool = False
) -> gpd.GeoDataFrame:
    kwargs: dict[str, Any] = {}
    if layer is not None:
        kwargs["layer"] = layer
    if encoding is not None:
        kwargs["encoding"] = encoding
    if _has_geometry_attribute(path, kwargs):
        return _read_ogr_wkb(path, kwargs, None)
    as_frame = {**kwargs, "fid_as_index": True} if fids else kwargs  # pyogrio's frame readers
    if HAS_ARROW:
        try:
            with warnings.catch_warnings(), gc_paused():
                warnings.simplefilter("ignore", RuntimeWarning)
                gdf = pyogrio.read_dataframe(
                    path, use_arrow=True, arrow_to_pandas_kwargs=_BINARY_IN_ARROW, **as_frame
                )
            if _count_matches(path, gdf, kwargs):
                return _binary_as_bytes(gdf)
        except pyogrio.errors.DataSourceError as exc:
            raise _source_error(path, exc) from exc
        except shapely.errors.GEOSException as exc:
            return _read_ogr_wkb(path, kwargs, exc)
        except Exception as exc:  # Arrow cannot take some inputs; the row path can
            log.debug("%s: Arrow read failed (%s); reading without Arrow", path.name, exc)
    try:
        with warnings.catch_warnings(), gc_paused():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, use_arrow=False, **as_frame)
    except shapely.errors.GEOSException as exc:
        return _read_ogr_wkb(path, kwargs, exc)
    except Exception as exc:
        if "malformed" in str(exc) or "not a database" in str(exc):
            raise _damaged_error(path, kwargs, exc) from exc
        raise _source_error(path, exc) from exc
    if not _count_matches(path, gdf, kwargs):
        log.warning(
            "%s declares %d feature(s) but %d were read; using what GDAL reads row by row",
            path.name,
            _declared_count(path, kwargs),
            len(gdf),
        )
    return gdf


_BINARY_IN_ARROW: dict[str, Any] = {
    "types_mapper": {
        pa.binary(): pd.ArrowDtype(pa.binary()),
        pa.large_binary(): pd.ArrowDtype(pa.large_binary()),
    }.get
}
"""Binary columns kept in Arrow when pyogrio's Arrow table becomes a data frame: the
geometry's WKB then goes to shapely as one array of bytes (pyarrow's conversion of a
binary column to pandas objects took 0.2-0.4 s of reading 10^6 parcels); any other
binary column is turned back by :func:`_binary_as_bytes`."""


def _binary_as_bytes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Binary attribute columns left in Arrow by :data:`_BINARY_IN_ARROW` as the Python
    ``bytes`` (``None`` where null) that a plain Arrow read gives."""
    for col in gdf.columns:
        dtype = gdf[col].dtype
        if isinstance(dtype, pd.ArrowDtype) and (
            pa.types.is_binary(dtype.pyarrow_dtype) or pa.types.is_large_binary(dtype.pyarrow_dtype)
        ):
            values = pa.array(gdf[col].array).to_numpy(zero_copy_only=False)
            gdf[col] = pd.Series(values, index=gdf.index, dtype=object)
    return gdf


def _declared_count(path: Path, kwargs: Mapping[str, Any]) -> int:
    """The feature count the file declares (-1 if it cannot tell cheaply)."""
    try:
        info = pyogrio.read_info(path, layer=kwargs.get("layer"))
    except Exception:
        return -1
    return int(info.get("features", -1))


def _count_matches(path: Path, gdf: gpd.GeoDataFrame, kwargs: Mapping[str, Any]) -> bool:
    """Whether a read returned every feature the file declares.

    The Arrow read stops silently at a damaged SQLite page (a GeoPackage with corrupted
    pages gave 1 144 of 2 000 rows); the row-by-row read raises SQLite's "malformed"
    error instead, so a short Arrow read is retried row by row (:func:`_read_ogr_raw`).
    """
    declared = _declared_count(path, kwargs)
    if declared < 0 or declared == len(gdf):
        return True
    log.info("%s: %d of %d declared features read through Arrow", path.name, len(gdf), declared)
    return False


def _damaged_error(path: Path, kwargs: Mapping[str, Any], exc: Exception) -> DataError:
    declared = _declared_count(path, kwargs)
    of = f" of its {declared} features" if declared >= 0 else ""
    return DataError(
        f"{path.name} is damaged: only part{of} can be read (SQLite: {exc})",
        [
            "Nothing was checked, so that no parcel is silently lost. Restore the file from "
            "its source or a backup, or salvage it with `sqlite3 damaged.gpkg .recover | "
            "sqlite3 salvaged.gpkg` and compare the feature counts before using it."
        ],
    )


def _has_geometry_attribute(path: Path, kwargs: Mapping[str, Any]) -> bool:
    """Whether the layer has an attribute (not its geometry) named ``geometry``: geopandas
    would put the geometry in its place and the attribute would be lost."""
    try:
        fields = pyogrio.read_info(path, layer=kwargs.get("layer"))["fields"]
    except Exception:
        return False
    return GEOMETRY_COLUMN in {str(f) for f in fields}


def free_name(name: str, taken: Any) -> str:
    """``name_1``, or ``name_2``... whichever is not in ``taken``."""
    used = {str(c) for c in taken}
    k = 1
    while f"{name}_{k}" in used:
        k += 1
    return f"{name}_{k}"


def _read_ogr_wkb(
    path: Path, kwargs: Mapping[str, Any], first_error: Exception | None
) -> gpd.GeoDataFrame:
    """Read through the raw WKB, for what the frame readers cannot take whole:

    * geometries shapely refuses (an unclosed ring): decoded with ``on_invalid="fix"``
      (rings are closed); the rows that needed it are listed in
      ``attrs["repaired_on_read"]`` (0-based) so that the caller flags them per feature;
    * an attribute named ``geometry``: kept, renamed ``geometry_1``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _fids, wkb, fields = pyogrio.raw.read(path, **kwargs)
    except Exception as exc:
        raise _source_error(path, first_error or exc) from exc
    names = [str(f) for f in meta["fields"]]
    n = len(fields[0]) if len(fields) else (0 if wkb is None else len(wkb))
    wkb = np.asarray(wkb, dtype=object) if wkb is not None else np.full(n, None, dtype=object)
    with gc_paused():
        strict = shapely.from_wkb(wkb, on_invalid="ignore")
        fixed = shapely.from_wkb(wkb, on_invalid="fix")
    present = np.array([b is not None for b in wkb], bool)
    repaired = np.flatnonzero(present & shapely.is_missing(strict) & ~shapely.is_missing(fixed))
    lost = np.flatnonzero(present & shapely.is_missing(fixed))
    data = dict(zip(names, fields, strict=True))
    if GEOMETRY_COLUMN in data:
        new = free_name(GEOMETRY_COLUMN, names)
        data[new] = data.pop(GEOMETRY_COLUMN)
        log.warning("%s: the attribute 'geometry' is kept as %r", path.name, new)
    gdf = gpd.GeoDataFrame(
        pd.DataFrame(data, index=pd.RangeIndex(n)), geometry=gpd.GeoSeries(fixed), crs=meta["crs"]
    )
    gdf.attrs["repaired_on_read"] = [int(i) for i in repaired]
    if first_error is not None:
        log.warning(
            "%s: %d geometr(ies) repaired on read (unclosed rings); %d could not be decoded "
            "and are null (%s)",
            path.name,
            len(repaired),
            len(lost),
            first_error,
        )
    return gdf


def _declared_crs_problem(path: Path) -> str | None:
    """A note when a shapefile has a ``.prj`` that GDAL/pyproj could not use."""
    prj = path.with_suffix(".prj")
    if path.suffix.lower() == ".shp" and prj.is_file():
        text = prj.read_text(errors="replace").strip()
        return f"{prj.name} exists but its CRS cannot be understood: {text[:80]!r}"
    return None


def _finish_crs(
    gdf: gpd.GeoDataFrame,
    path: Path,
    label: str,
    assume_crs: str | int | CRS | None,
    bounds: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    if gdf.crs is None and assume_crs is None:
        note = _declared_crs_problem(path)
        problems = [
            f"Add a .prj / CRS to {path.name}, or pass --assume-crs (for example --assume-crs "
            "EPSG:4326 for lon/lat, EPSG:32643 for UTM 43N, EPSG:28413 for Pulkovo 1942 / "
            "Gauss-Kruger zone 13)."
        ]
        if note:
            problems.insert(0, note + ".")
        raise CRSError(f"{label} has no usable coordinate reference system", problems)
    if gdf.crs is not None:
        try:
            CRS.from_user_input(gdf.crs)
        except Exception as exc:
            raise CRSError(
                f"{label} declares a CRS that pyproj cannot use",
                [f"Fix the CRS of {path.name} in QGIS (Set CRS) or re-export it ({exc})."],
            ) from exc
    try:
        return to_working_crs(gdf, name=label, assume_crs=assume_crs, bounds=bounds)
    except CRSError:
        raise
    except Exception as exc:
        raise CRSError(
            f"{label}: cannot reproject from {gdf.crs} to EPSG:32643",
            [
                f"The declared CRS is not usable for reprojection ({exc}); set a standard "
                "EPSG CRS on the file or pass --assume-crs if the file has none."
            ],
        ) from exc


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_csv_frame(path: Path, encoding: str | None) -> pd.DataFrame:
    raw = path.read_bytes()
    enc = encoding
    if enc is None:
        if raw.startswith(b"\xef\xbb\xbf"):
            enc = "utf-8-sig"
        else:
            enc = detect_encoding(raw[:200_000]) or "utf-8"
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(
            f"Cannot decode {path.name} as {enc}",
            [f"Give the right encoding (--encoding cp1251, utf-8...) ({exc})."],
        ) from exc
    delim = _sniff_delimiter(text[:20_000])
    try:
        return pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise _source_error(path, exc) from exc


def parse_numbers(series: pd.Series) -> tuple[pd.Series, list[int]]:
    """Numbers from text (decimal comma accepted); blanks -> NaN; bad rows listed."""
    s = series.astype(str).str.strip().str.replace(",", ".", regex=False).str.replace(" ", "")
    blank = s.isin(["", "nan", "NaN", "NULL", "null", "None"])
    vals = pd.to_numeric(s.mask(blank), errors="coerce")
    bad = [int(i) for i in np.flatnonzero(vals.isna().to_numpy() & ~blank.to_numpy())]
    return vals.astype("float64"), bad


def _row_list(rows: list[int]) -> str:
    shown = ", ".join(str(r + 2) for r in rows[:10])  # +2: header line and 1-based
    return shown + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")


def _read_csv(
    path: Path, encoding: str | None, assume_crs: str | int | CRS | None, label: str
) -> gpd.GeoDataFrame:
    df = _read_csv_frame(path, encoding)
    lower = {c.lower().strip(): c for c in df.columns}
    wkt_col = next((lower[c] for c in WKT_COLUMNS if c in lower), None)
    if wkt_col is not None:
        text = df[wkt_col].astype(str).str.strip()
        blank = text.isin(["", "nan", "NULL", "null", "None"]).to_numpy()
        geoms = np.full(len(df), None, dtype=object)
        strict = np.full(len(df), None, dtype=object)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            strict[~blank] = shapely.from_wkt(text.to_numpy()[~blank], on_invalid="ignore")
            geoms[~blank] = shapely.from_wkt(text.to_numpy()[~blank], on_invalid="fix")
        repaired = [int(i) for i in np.flatnonzero(pd.isna(strict) & ~pd.isna(geoms))]
        bad = [int(i) for i in np.flatnonzero(~blank & pd.isna(geoms))]
        if bad:
            raise DataError(
                f"{path.name}: column {wkt_col!r} has text that is not WKT",
                [f"Fix lines {_row_list(bad)} of {path.name} (e.g. 'POLYGON ((x y, ...))')."],
            )
        gdf = gpd.GeoDataFrame(
            _free_geometry_name(df.drop(columns=[wkt_col])), geometry=list(geoms)
        )
        gdf.attrs["repaired_on_read"] = repaired
        if assume_crs is None:
            raise CRSError(
                f"{label}: a CSV file has no coordinate reference system",
                [
                    f"Pass --assume-crs with the CRS of the WKT in {path.name} (for example "
                    "--assume-crs EPSG:32643 or EPSG:4326)."
                ],
            )
        return _finish_crs(gdf, path, label, assume_crs)
    pair = next(
        ((lower[a], lower[b], lit) for a, b, lit in XY_COLUMNS if a in lower and b in lower), None
    )
    if pair is None:
        raise DataError(
            f"{path.name}: no geometry columns found",
            [
                f"Add a WKT column named one of {', '.join(WKT_COLUMNS)} or coordinate columns "
                f"(lon/lat, lng/lat, longitude/latitude, x/y); the file has: "
                f"{', '.join(map(str, df.columns))}."
            ],
        )
    xcol, ycol, literal = pair
    xs, bad_x = parse_numbers(df[xcol])
    ys, bad_y = parse_numbers(df[ycol])
    bad = sorted(set(bad_x) | set(bad_y))
    if bad:
        raise DataError(
            f"{path.name}: columns {xcol!r}/{ycol!r} hold values that are not numbers",
            [f"Fix lines {_row_list(bad)} of {path.name}."],
        )
    crs = assume_crs
    if crs is None:
        in_range = bool(xs.dropna().between(-180, 180).all() and ys.dropna().between(-90, 90).all())
        if literal and in_range:
            crs = "EPSG:4326"
            log.info("%s: columns %s/%s read as WGS 84 lon/lat (EPSG:4326)", path.name, xcol, ycol)
        else:
            why = (
                "the values are outside the lon/lat range"
                if literal
                else f"columns {xcol}/{ycol} do not say which CRS they are in"
            )
            raise CRSError(
                f"{label}: cannot tell the CRS of the coordinates",
                [
                    f"{why.capitalize()}; pass --assume-crs (for example EPSG:32643 for UTM 43N "
                    "metres, EPSG:28413 for Pulkovo 1942 / Gauss-Kruger zone 13)."
                ],
            )
    ok = (xs.notna() & ys.notna()).to_numpy()
    geoms = np.full(len(df), None, dtype=object)
    geoms[ok] = shapely.points(xs.to_numpy()[ok], ys.to_numpy()[ok])
    gdf = gpd.GeoDataFrame(_free_geometry_name(df), geometry=list(geoms))
    return _finish_crs(gdf, path, label, crs)


def _free_geometry_name(df: pd.DataFrame) -> pd.DataFrame:
    """Rename an attribute called ``geometry`` (it would be replaced by the geometry)."""
    if GEOMETRY_COLUMN not in df.columns:
        return df
    new = free_name(GEOMETRY_COLUMN, df.columns)
    log.warning("the attribute 'geometry' is kept as %r", new)
    return df.rename(columns={GEOMETRY_COLUMN: new})


def _read_parquet(path: Path) -> tuple[gpd.GeoDataFrame, pa.ChunkedArray | None]:
    """The GeoParquet file as :func:`geopandas.read_parquet` reads it, and the WKB of its
    geometry column as stored (``None`` unless the file has one WKB geometry column and
    no bounding-box column, the files geopandas and GDAL write: others are read by
    geopandas itself)."""
    try:
        with gc_paused():  # a million geometries decoded (memory.gc_paused)
            return _read_geoparquet(path)
    except Exception as exc:
        raise DataError(
            f"Cannot read {path.name} as GeoParquet",
            [
                f"It needs GeoParquet 'geo' metadata and a geometry column ({exc}); "
                "re-export it with geopandas .to_parquet() or GDAL."
            ],
        ) from exc


def _read_geoparquet(path: Path) -> tuple[gpd.GeoDataFrame, pa.ChunkedArray | None]:
    """:func:`_read_parquet`: the table read by pyarrow and made a GeoDataFrame by
    geopandas' own conversion, keeping the geometry's WKB column."""
    meta = pq.read_schema(path).metadata or {}
    geo = json.loads(meta.get(b"geo", b"{}"))
    columns = geo.get("columns") or {}
    primary = geo.get("primary_column")
    plain = (
        arrow_to_geopandas is not None
        and len(columns) == 1
        and primary in columns
        and columns[primary].get("encoding") == "WKB"
        and "covering" not in columns[primary]
    )
    if not plain:
        return gpd.read_parquet(path), None
    # as geopandas reads one file: a chunk per row group (pq.read_table's dataset
    # scanner cuts batches of 128 Ki rows, which the WKB readers would join again)
    table = pq.ParquetFile(path).read(use_threads=True)
    wkb = table.column(primary)
    if not (pa.types.is_binary(wkb.type) or pa.types.is_large_binary(wkb.type)):
        return gpd.read_parquet(path), None
    gdf = arrow_to_geopandas(table, None, None, meta.get(b"PANDAS_ATTRS"))
    return gdf, wkb


def read_vector(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    assume_crs: str | int | CRS | None = None,
    name: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector file into a GeoDataFrame in the working CRS (EPSG:32643).

    Parameters
    ----------
    path
        GeoPackage, Shapefile (``.shp`` or a ``.zip`` of one), GeoJSON, FlatGeobuf,
        GeoParquet, CSV (WKT or lon/lat columns), or any other format GDAL reads.
    layer
        Layer to read from a multi-layer source; required when the file has several
        spatial layers.
    encoding
        Attribute encoding (``cp1251``, ``cp866``, ``utf-8``...). Default: the
        Shapefile's ``.cpg``, else detected from the ``.dbf`` bytes (see
        :func:`detect_encoding`); CSV: BOM, else detected.
    assume_crs
        CRS to use when the file declares none (never overrides a declared CRS).
        CSV lon/lat columns literally named ``lon``/``lat`` (``lng``,
        ``longitude``/``latitude``) with values in range default to EPSG:4326.
    name
        How to call the dataset in messages (default: the file name).

    Raises
    ------
    DataError
        Missing, unreadable or unknown file; several layers and none chosen.
    CRSError
        No CRS and no ``assume_crs``; a CRS pyproj cannot use.
    """
    return read_vector_wkb(
        path, layer=layer, encoding=encoding, assume_crs=assume_crs, name=name, with_wkb=False
    ).frame


@dataclass
class VectorRead:
    """A vector file as read by :func:`read_vector_wkb`.

    Attributes
    ----------
    frame
        What :func:`read_vector` returns.
    wkb
        The WKB of ``frame``'s geometries as the file stores them, row for row, when the
        file is a GeoParquet file or a GeoPackage in the working CRS (nothing
        reprojected); else ``None``.
        Readers of the geometries' coordinates can take them from here without GEOS
        (:func:`~almaty_scheme.io.wkb.wkb_rings`), and writers can write them again.
    """

    frame: gpd.GeoDataFrame
    wkb: pa.ChunkedArray | None = None


COUNTED_SUFFIXES = (".gpkg", ".shp", ".fgb")
"""OGR formats whose files state their number of features (GDAL's count reads it; in
other formats it may read every feature)."""


def row_count(path: str | Path, *, layer: str | None = None) -> int | None:
    """The number of features in a vector file when the file states it (a GeoParquet
    file's metadata, or :data:`COUNTED_SUFFIXES`), else ``None``, as for a file that
    cannot be read (its reader reports why). Reads no feature: a run sizes its work
    with it before reading."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            return int(pq.read_metadata(p).num_rows)
        if suffix not in COUNTED_SUFFIXES:
            return None
        with warnings.catch_warnings():  # e.g. several layers: the reader says so
            warnings.simplefilter("ignore")
            n = int(pyogrio.read_info(p, layer=layer)["features"])
    except Exception:  # unknown is an answer; the reader reports the error
        return None
    return n if n >= 0 else None


def read_vector_wkb(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    assume_crs: str | int | CRS | None = None,
    name: str | None = None,
    with_wkb: bool = True,
) -> VectorRead:
    """Read a vector file as :func:`read_vector` does, with the WKB of a GeoParquet
    file's or a GeoPackage's geometries (:class:`VectorRead`; ``with_wkb`` false: not
    a GeoPackage's, which takes a second read)."""
    p = Path(path)
    label = name or p.name
    if not p.exists():
        hint = "Check the path"
        siblings = [q.name for q in p.parent.glob("*")] if p.parent.is_dir() else []
        close = difflib.get_close_matches(p.name, siblings, n=3)
        if close:
            hint += f"; did you mean {', '.join(close)}?"
        raise DataError(f"{p} not found", [hint + "."])
    if encoding is not None:
        try:
            "".encode(encoding)
        except LookupError as exc:
            raise DataError(
                f"Unknown encoding {encoding!r}", ["Use e.g. utf-8, cp1251, cp866, kz1048."]
            ) from exc
    if assume_crs is not None:
        assume_crs = parse_crs(assume_crs)
    suffix = p.suffix.lower()
    if suffix in (".pbf", ".osm") or p.name.lower().endswith(".osm.pbf"):
        raise DataError(
            f"{p.name} is an OpenStreetMap extract",
            [
                f"Convert it with `almaty-scheme import-osm {p.name} --out base.gpkg`, then read "
                "the layers of base.gpkg."
            ],
        )
    if p.is_file() and suffix not in VECTOR_SUFFIXES:
        raise DataError(
            f"{p.name}: unknown vector format {suffix or '(no suffix)'}",
            [
                f"Give one of: {', '.join(sorted(set(VECTOR_SUFFIXES.values())))} "
                f"({', '.join(VECTOR_SUFFIXES)})."
            ],
        )
    wkb = None
    if suffix in (".parquet", ".geoparquet"):
        gdf, wkb = _read_parquet(p)
    elif suffix in (".csv", ".tsv", ".txt"):
        gdf = _read_csv(p, encoding, assume_crs, label)
    else:
        chosen = _choose_layer(p, layer)
        enc = encoding
        if enc is None and suffix == ".shp":
            enc = detect_shapefile_encoding(p)
        elif enc is None and suffix == ".zip":
            enc = detect_zip_encoding(p)
        stored = with_wkb and suffix == ".gpkg"
        gdf = _read_ogr(p, chosen, enc, fids=stored)
        if stored:
            gdf, wkb = _with_stored_wkb(p, chosen, gdf)
        if chosen is not None and label == p.name and layer is not None:
            label = f"{p.name}:{chosen}"
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise DataError(f"{label} has no geometry column", ["Give a spatial layer."])
    if wkb is not None and len(wkb) != len(gdf):
        wkb = None
    # the coordinates' bounds from the stored bytes (io.wkb.total_bounds), not GEOS
    bounds = total_bounds(wkb) if wkb is not None else None
    finished = _finish_crs(gdf, p, label, assume_crs, bounds)
    if finished is not gdf or wkb is None:
        wkb = None  # reprojected: the stored bytes are not the geometries any more
    log.info("read %s: %d features", label, len(finished))
    return VectorRead(finished, wkb)


def _with_stored_wkb(
    path: Path, layer: str | None, gdf: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, pa.ChunkedArray | None]:
    """``gdf`` (a GeoPackage layer read with its fids as index) indexed from 0 as every
    reader gives it, and the WKB of its geometries as GDAL reads them (a second read,
    of the geometry column alone: 0.03 s per 10^5 parcels), as a GeoParquet file's
    stored WKB is used (:func:`read_vector_wkb`; validity and rings read from the bytes,
    0.08 s less at 10^5). ``None`` unless the two reads give the same fids in the same
    order, so that each row's bytes are its geometry's."""
    fids = gdf.index
    gdf = gdf.reset_index(drop=True)
    if fids.name != "fid" or not pd.api.types.is_integer_dtype(fids.dtype) or not len(gdf):
        return gdf, None
    try:
        meta, table = pyogrio.raw.read_arrow(path, layer=layer, columns=[], return_fids=True)
        name = meta.get("geometry_name") or "wkb_geometry"
        if table.num_rows != len(gdf) or name not in table.column_names:
            return gdf, None
        if not np.array_equal(table.column(0).to_numpy(), fids.to_numpy()):
            return gdf, None
        wkb = table.column(name)
    except Exception as exc:  # only the bytes are lost: the geometries are read
        log.debug("%s: no WKB of its own (%s)", path.name, exc)
        return gdf, None
    return gdf, wkb if pa.types.is_binary(wkb.type) else None


# --------------------------------------------------------------------------- units


UNIT_FACTORS: dict[str, dict[str, float]] = {
    "voltage_kv": {"kV": 1.0, "V": 0.001},
    "diameter_mm": {"mm": 1.0, "m": 1000.0, "cm": 10.0, "in": 25.4},
    "nominal_diameter_mm": {"mm": 1.0, "m": 1000.0, "cm": 10.0, "in": 25.4},
    "pressure_mpa": {"MPa": 1.0, "kPa": 0.001, "bar": 0.1, "kgf/cm2": 0.0980665, "atm": 0.101325},
    "length_km": {"km": 1.0, "m": 0.001},
    "area_ha": {"ha": 1.0, "m2": 1e-4, "km2": 100.0},
}
"""Units accepted per canonical field in a field map, with the factor to the canonical unit."""

_NUM = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def parse_voltages_kv(value: object, unit: str | None = None) -> list[float]:
    """All voltages (kV) in a value such as ``220000;110000``, ``110 kV``, ``35/10``.

    Without a unit, a number above 1 150 is read as volts (no line exceeds 1 150 kV;
    OSM tags voltages in volts), otherwise as kilovolts. Text with ``kV``/``кВ``
    is kilovolts, with a bare ``V``/``В`` volts.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return []
    if isinstance(value, (int, float, np.integer, np.floating)):
        parts = [float(value)]
        text_unit = None
    else:
        text = str(value).strip()
        low = text.lower()
        text_unit = (
            "kV"
            if re.search(r"(kv|кв)", low)
            else ("V" if re.search(r"\d\s*(v|в)\b", low) else None)
        )
        parts = [float(m.replace(",", ".")) for m in _NUM.findall(text.replace(" ", ""))]
    u = unit or text_unit
    out = []
    for v in parts:
        uv = u if u is not None else ("V" if v > 1150 else "kV")
        kv = v * UNIT_FACTORS["voltage_kv"][uv]
        if kv > 0:
            out.append(kv)
    return out


def parse_diameter_mm(value: object, unit: str | None = None) -> float | None:
    """A pipe diameter in millimetres from ``1020``, ``1.02 m``, ``530 mm``, ``DN500``, ``42"``.

    Without a unit, a number up to 5 is read as metres (no trunk pipe is 5 mm wide
    nor 5 m), a larger one as millimetres. A list (``530;1020``) gives the largest.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        nums = [float(value)]
        text_unit = None
    else:
        text = str(value).strip().lower()
        if not text:
            return None
        if re.search(r"\d\s*(mm|мм)", text):
            text_unit = "mm"
        elif re.search(r"\d\s*(cm|см)\b", text):
            text_unit = "cm"
        elif re.search(r"\d\s*(m|м)\b", text):
            text_unit = "m"
        elif re.search(r"\d\s*(\"|in\b|inch|″|'')", text):
            text_unit = "in"
        else:
            text_unit = None
        nums = [float(m.replace(",", ".")) for m in _NUM.findall(text)]
    if not nums:
        return None
    v = max(nums)
    u = unit or text_unit
    if u is not None:
        return v * UNIT_FACTORS["diameter_mm"][u]
    return v * 1000.0 if v <= 5 else v


# --------------------------------------------------------------------------- geometry


def promote_to_multi(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` with Polygon/LineString parts promoted to MultiPolygon/MultiLineString."""
    geoms = gdf.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    out = geoms.copy()
    for single, multi in ((3, shapely.MultiPolygon), (1, shapely.MultiLineString)):
        sel = kinds == single
        if sel.any():
            out[sel] = [multi([g]) for g in geoms[sel]]
    return gdf.set_geometry(gpd.GeoSeries(out, index=gdf.index, crs=gdf.crs))


__all__ = [
    "HAS_ARROW",
    "UNIT_FACTORS",
    "VECTOR_SUFFIXES",
    "detect_encoding",
    "detect_shapefile_encoding",
    "parse_diameter_mm",
    "parse_numbers",
    "parse_voltages_kv",
    "promote_to_multi",
    "read_vector",
]
