"""Output files of the plugin's check algorithm (standard library only, testable without QGIS).

The plugin writes nothing itself: it passes ``--out`` and ``--dst-crs`` to
``almaty-scheme check``, whose library code (``almaty_scheme.check.output`` and
``.formats``) writes the files. This module only knows, for each ``--out`` suffix the
CLI accepts, which of those files hold the parcels and the parcel hits, so that the
algorithm can load them into the project:

``.gpkg``
    one file, layers ``parcels`` and ``parcel_hits`` (styled from the file);
``.parquet``
    GeoParquet: ``x.parquet`` (parcels) and ``x.hits.parquet``;
``.fgb``, ``.geojson``
    ``x.<ext>`` (parcels) and ``x.hits.csv`` (or ``x.hits.<ext>`` with overlap
    polygons);
``.shp``
    ``x.shp`` (parcels, field names cut to 10 characters, see ``x.fields.csv``) and
    ``x.hits.csv`` (always CSV, so that no hit text is cut).

The summary is ``x.summary.json`` for every format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

OUT_SUFFIXES: tuple[str, ...] = (".gpkg", ".parquet", ".fgb", ".geojson", ".shp")
"""Suffixes ``almaty-scheme check --out`` accepts (``check.output.OUT_SUFFIXES``)."""

FILE_FILTER = (
    "GeoPackage (*.gpkg);;GeoParquet (*.parquet);;FlatGeobuf (*.fgb);;"
    "GeoJSON (*.geojson);;ESRI Shapefile (*.shp)"
)
"""The file dialog's filter of the check algorithm's OUTPUT, GeoPackage first (default)."""


@dataclass(frozen=True)
class ResultLayers:
    """Where the check results of one ``--out`` are, as QGIS (OGR) layer sources."""

    out: str
    parcels: str
    hits: str
    summary: str
    styled: bool
    """True when the file stores the verdict style (GeoPackage only)."""


def normalise_out(path: str) -> str:
    """``path`` if its suffix is one the CLI accepts (any case), else with ``.gpkg``
    appended in place of the suffix (``results`` -> ``results.gpkg``,
    ``results.txt`` -> ``results.gpkg``)."""
    p = Path(path)
    if p.suffix.lower() in OUT_SUFFIXES:
        return path
    return str(p.with_suffix(".gpkg"))


def result_layers(out: str, *, overlap_geometry: bool = False) -> ResultLayers:
    """The layer sources of the results written for ``--out out`` (module docstring).

    ``out`` must already be normalised (:func:`normalise_out`).
    """
    p = Path(out)
    ext = p.suffix.lower()
    stem = str(p.with_suffix(""))
    summary = f"{stem}.summary.json"
    if ext == ".gpkg":
        return ResultLayers(
            out, f"{out}|layername=parcels", f"{out}|layername=parcel_hits", summary, True
        )
    if ext == ".parquet":
        return ResultLayers(out, out, f"{stem}.hits.parquet", summary, False)
    if ext not in OUT_SUFFIXES:
        raise ValueError(f"unsupported output suffix {ext!r}; expected one of {OUT_SUFFIXES}")
    hits = f"{stem}.hits{ext}" if overlap_geometry and ext != ".shp" else f"{stem}.hits.csv"
    return ResultLayers(out, out, hits, summary, False)


def crs_argument(authid: str, wkt: str) -> str | None:
    """The ``--dst-crs`` value for a QGIS CRS: its authority id (``EPSG:28413``), else
    its WKT; ``None`` (keep EPSG:32643) when both are empty (no CRS chosen)."""
    return authid or wkt or None
