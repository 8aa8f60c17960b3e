"""Check results as FlatGeobuf, GeoJSON or ESRI Shapefile (``--out x.fgb|.geojson|.shp``).

These formats hold one layer per file, so a set is several files, all written and
replaced together by the same :class:`~almaty_scheme.io.outset.OutputSet` as the
GeoPackage (checked against the inputs and ``--overwrite``, committed atomically):

``x.<ext>``
    the ``parcels`` layer (every input parcel once, MultiPolygon, null geometry for
    invalid input);
``x.hits.csv``
    ``parcel_hits`` (UTF-8 with BOM; QGIS opens it as a table without geometry); with
    ``--with-overlap-geometry`` and ``.fgb``/``.geojson`` the hits are ``x.hits.<ext>``
    with the overlap polygons instead (a Shapefile run keeps the CSV, with a ``wkt``
    column, so that no hit field or text is cut);
``x.input_issues.csv``
    the repaired or rejected input parcels (header only when there were none, so that
    a stale list from an earlier run is never left beside new results);
``x.summary.json``
    the summary.

A Shapefile adds ``x.shx``, ``x.dbf``, ``x.prj`` and ``x.cpg`` (UTF-8), and, because
DBF field names have at most 10 characters and text at most 254 bytes:
``x.fields.csv`` (shapefile field -> full column name, type, whether text was cut) and
``x.parcels.csv`` (every parcel with full column names and full text, geometry as
``wkt``). Field names follow :data:`SHP_FIELDS`, then :func:`shp_field_names`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from almaty_scheme.io.outset import OutputSet

log = logging.getLogger(__name__)

FLAT_SUFFIXES: tuple[str, ...] = (".fgb", ".geojson", ".shp")
"""Single-layer formats of ``--out`` (this module)."""

SHP_SIDECARS: tuple[str, ...] = (".shx", ".dbf", ".prj", ".cpg")
"""Files GDAL writes beside a ``.shp`` (``.cpg`` says the DBF is UTF-8)."""

DBF_TEXT_BYTES = 254
"""Longest text a DBF field holds (bytes; a Cyrillic letter is two in UTF-8)."""

SHP_FIELDS: dict[str, str] = {
    "verdict_reason": "verd_rsn",
    "worst_rule_id": "wst_rule",
    "worst_family": "wst_family",
    "worst_layer": "wst_layer",
    "worst_regime": "wst_regime",
    "worst_certainty": "wst_cert",
    "worst_share_pct": "wst_shr_pc",
    "n_prohibited": "n_prohib",
    "n_conditional": "n_cond",
    "explanation_ru": "expl_ru",
    "explanation_en": "expl_en",
    "inside_boundary_pct": "in_bnd_pct",
    "inside_coverage_pct": "in_cov_pct",
    "functional_group": "func_group",
    "input_flags": "in_flags",
    "invalid_reason": "inv_reason",
}
"""Shapefile names of the verdict columns longer than 10 characters."""

_TEXT_CUT_NOTE = "text over 254 bytes is cut ({n} value(s) cut here); full text in {csv}"


def flat_paths(
    out: Path, *, hits_geometry: bool, csv: bool, parquet: bool = False
) -> dict[str, Path]:
    """Every file of a single-layer result set for ``out`` (module docstring); ``csv``
    adds ``x.parcels.csv``, ``parquet`` ``x.parcels.parquet`` and ``x.hits.parquet``."""
    ext = out.suffix.lower()
    stem = out.with_suffix("")
    paths: dict[str, Path] = {"parcels_file": out}
    if ext == ".shp":
        paths.update({f"shp{s}": out.with_suffix(s) for s in SHP_SIDECARS})
        paths["fields_csv"] = Path(f"{stem}.fields.csv")
        paths["parcels_csv"] = Path(f"{stem}.parcels.csv")
    elif csv:
        paths["parcels_csv"] = Path(f"{stem}.parcels.csv")
    if hits_geometry and ext != ".shp":
        paths["hits_file"] = Path(f"{stem}.hits{ext}")
    else:
        paths["hits_csv"] = Path(f"{stem}.hits.csv")
    paths["issues_csv"] = Path(f"{stem}.input_issues.csv")
    if parquet:
        paths["parcels_parquet"] = Path(f"{stem}.parcels.parquet")
        paths["hits_parquet"] = Path(f"{stem}.hits.parquet")
    paths["summary"] = Path(f"{stem}.summary.json")
    return paths


def _abbrev(name: str) -> str:
    """``near_water_protection_m`` -> ``nr_wat_pro``: the first three letters of each
    ``_`` part (``near_..._m`` -> ``nr_...``); when that is over 10 characters, the first
    two letters of each part, unseparated (``near_water_protection_strips_m`` ->
    ``nr_waprst``), cut to 10."""
    if name.startswith("near_") and name.endswith("_m"):
        head, words = "nr_", [w for w in name[5:-2].split("_") if w]
    else:
        head, words = "", [w for w in name.split("_") if w] or [name]
    three = head + "_".join(w[:3] for w in words)
    if len(three) <= 10:
        return three
    return (head + "".join(w[:2] for w in words))[:10]


def shp_field_names(columns: list[str]) -> dict[str, str]:
    """A unique (case-insensitive) shapefile field name of at most 10 characters for
    every column: names of 10 characters or fewer are kept, then :data:`SHP_FIELDS`,
    then :func:`_abbrev`; a clash gets a number (``expl_ru_2``)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for c in columns:
        base = c if len(c) <= 10 else SHP_FIELDS.get(c, _abbrev(c))
        name, i = base, 1
        while name.lower() in used:
            i += 1
            name = f"{base[: 10 - len(str(i)) - 1]}_{i}"
        used.add(name.lower())
        out[c] = name
    return out


def flat_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Columns every single-layer driver takes: categoricals and mixed objects as text."""
    out = df.copy(deep=False)
    geom = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for c in out.columns:
        s = out[c]
        if c == geom:
            continue
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
            out[c] = (
                s.astype(object)
                .where(s.notna(), None)
                .map(lambda v: v if v is None or isinstance(v, str) else str(v))
            )
        elif str(s.dtype) == "string" or s.dtype == bool:
            out[c] = s.astype(object).where(s.notna(), None)
    return out


def _cut_text(s: pd.Series) -> tuple[pd.Series, int]:
    """Text cut to :data:`DBF_TEXT_BYTES` UTF-8 bytes on a character boundary, and how
    many values were cut."""
    lens = s.map(lambda v: len(v.encode("utf-8")) if isinstance(v, str) else 0)
    long = lens > DBF_TEXT_BYTES
    if not long.any():
        return s, 0
    out = s.copy()
    out[long] = s[long].map(lambda v: v.encode("utf-8")[:DBF_TEXT_BYTES].decode("utf-8", "ignore"))
    return out, int(long.sum())


def _kind(s: pd.Series) -> str:
    """The DBF type of a column as an analyst reads it: integer, real or text."""
    if pd.api.types.is_integer_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        return "integer"
    if pd.api.types.is_float_dtype(s.dtype):
        return "real"
    return "text"


def write_flat(
    outs: OutputSet,
    parcels: gpd.GeoDataFrame,
    hits: pd.DataFrame,
    issues: pd.DataFrame,
) -> None:
    """Write the parcels, hits and issues of a single-layer set to its temporary paths
    (module docstring); ``parcels`` and ``hits`` are already in the output CRS."""
    paths = outs.paths
    hits_geo = isinstance(hits, gpd.GeoDataFrame)
    if "parcels_csv" in paths:
        _csv_with_wkt(parcels, outs.tmp("parcels_csv"))
    if "hits_file" in paths and hits_geo:
        assert isinstance(hits, gpd.GeoDataFrame)
        pyogrio.write_dataframe(
            flat_frame(hits),
            outs.tmp("hits_file"),
            promote_to_multi=True,
            **_fgb_options(hits, outs.paths["hits_file"]),
        )
    elif hits_geo:
        assert isinstance(hits, gpd.GeoDataFrame)
        _csv_with_wkt(hits, outs.tmp("hits_csv"))
    else:
        flat_frame(hits).to_csv(outs.tmp("hits_csv"), index=False, encoding="utf-8-sig")
    issues.to_csv(outs.tmp("issues_csv"), index=False, encoding="utf-8-sig")
    if "shp.shx" in paths:
        _write_shapefile(outs, parcels)
    else:
        pyogrio.write_dataframe(
            flat_frame(parcels),
            outs.tmp("parcels_file"),
            promote_to_multi=True,
            **_fgb_options(parcels, outs.paths["parcels_file"]),
        )


def _fgb_options(gdf: gpd.GeoDataFrame, target: Path) -> dict[str, object]:
    """FlatGeobuf's spatial index refuses null geometry (invalid input parcels are kept
    with none): without the index when there is one (QGIS then reads it sequentially)."""
    if target.suffix.lower() != ".fgb" or not gdf.geometry.isna().any():
        return {}
    log.info("%s: written without a spatial index (it holds parcels without geometry)", target)
    return {"layer_options": {"SPATIAL_INDEX": "NO"}}


def _csv_with_wkt(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """A table as UTF-8 CSV with BOM (Excel keeps Cyrillic), geometry as ``wkt``."""
    df = flat_frame(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    df["wkt"] = shapely.to_wkt(
        np.asarray(gdf.geometry.to_numpy(), dtype=object), rounding_precision=6
    )
    df.to_csv(path, index=False, encoding="utf-8-sig")


def _write_shapefile(outs: OutputSet, parcels: gpd.GeoDataFrame) -> None:
    """The parcels Shapefile with 10-character field names (:func:`shp_field_names`),
    text cut to 254 bytes, and ``fields.csv`` saying so."""
    paths = outs.paths
    geom = parcels.geometry.name
    cols = [c for c in parcels.columns if c != geom]
    names = shp_field_names(cols)
    df = flat_frame(parcels)
    full_csv = paths["parcels_csv"].name
    rows = []
    for c in cols:
        note, kind = "", _kind(parcels[c])
        if kind == "text":
            df[c], n_cut = _cut_text(df[c])
            note = _TEXT_CUT_NOTE.format(n=n_cut, csv=full_csv)
        rows.append({"shp_field": names[c], "full_name": c, "type": kind, "note": note})
    df = df.rename(columns=names)
    shp = outs.tmp("parcels_file")
    try:
        pyogrio.write_dataframe(
            df,
            shp,
            driver="ESRI Shapefile",
            promote_to_multi=True,
            layer_options={"ENCODING": "UTF-8"},
        )
    finally:  # GDAL wrote them beside the temporary .shp: move them to their own
        for s in SHP_SIDECARS:  # temporary names (removed with the set on failure)
            written = shp.with_suffix(s)
            if written.exists():
                written.replace(outs.tmp(f"shp{s}"))
    fields = pd.DataFrame(rows, columns=["shp_field", "full_name", "type", "note"])
    fields.to_csv(outs.tmp("fields_csv"), index=False, encoding="utf-8-sig")
    renamed = [f"{c}->{names[c]}" for c in cols if names[c] != c]
    cut = [
        r["full_name"]
        for r in rows
        if r["note"] and not r["note"].startswith("text over 254 bytes is cut (0 ")
    ]
    log.info(
        "shapefile %s: renamed %d field(s) to 10 characters (%s), full names in %s; "
        "text cut to 254 bytes in %s, full text in %s; hits in %s",
        paths["parcels_file"].name,
        len(renamed),
        ", ".join(renamed) or "none",
        paths["fields_csv"].name,
        ", ".join(cut) or "no field",
        full_csv,
        paths["hits_csv"].name,
    )


def to_output_crs(
    parcels: gpd.GeoDataFrame, hits: pd.DataFrame, dst_crs: str | None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Parcels and hits reprojected to ``dst_crs`` for writing (measurements, made in
    EPSG:32643, are kept as they are); ``None`` keeps EPSG:32643."""
    if dst_crs is None:
        return parcels, hits
    p = parcels.to_crs(dst_crs)
    h = hits.to_crs(dst_crs) if isinstance(hits, gpd.GeoDataFrame) else hits
    return p, h
