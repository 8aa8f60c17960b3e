"""Read a user's file as a canonical base layer (EPSG:32643).

:func:`read_base_layer` reads any vector format through
:func:`almaty_scheme.io.readers.read_vector`, maps the user's columns onto a base layer
(:mod:`almaty_scheme.base.fieldmaps`), converts units, checks geometry types and fills
the provenance columns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from almaty_scheme.base.fieldmaps import FieldMap, apply_field_map, load_field_map
from almaty_scheme.base.model import BASE_LAYERS, conform
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError
from almaty_scheme.io.readers import (
    UNIT_FACTORS,
    parse_diameter_mm,
    parse_numbers,
    parse_voltages_kv,
    promote_to_multi,
    read_vector,
)

log = logging.getLogger(__name__)


_GEOM_FAMILY = {
    "MultiPolygon": ("Polygon", "MultiPolygon"),
    "MultiLineString": ("LineString", "MultiLineString"),
    "Point": ("Point",),
}


def _convert_units(gdf: gpd.GeoDataFrame, layer: str, units: Mapping[str, str]) -> None:
    cols = BASE_LAYERS[layer].columns
    if "voltage_kv" in cols and "voltage_kv" in gdf.columns:
        raw = gdf["voltage_kv"]
        lists = [parse_voltages_kv(v, units.get("voltage_kv")) for v in raw]
        gdf["voltage_kv"] = pd.Series(
            [max(v) if v else np.nan for v in lists], index=gdf.index, dtype="float64"
        )
        if "voltages" not in gdf.columns or gdf["voltages"].isna().all():
            gdf["voltages"] = pd.Series(
                [
                    ";".join(f"{x:g}" for x in sorted(set(v), reverse=True)) if v else pd.NA
                    for v in lists
                ],
                index=gdf.index,
                dtype="string",
            )
    for fld in ("diameter_mm", "nominal_diameter_mm"):
        if fld in cols and fld in gdf.columns:
            gdf[fld] = pd.Series(
                [parse_diameter_mm(v, units.get(fld)) for v in gdf[fld]],
                index=gdf.index,
                dtype="float64",
            )
    for fld in ("pressure_mpa", "length_km", "area_ha"):
        if fld in cols and fld in gdf.columns:
            vals, _ = parse_numbers(gdf[fld].astype("string").fillna(""))
            gdf[fld] = vals * UNIT_FACTORS[fld].get(units.get(fld, ""), 1.0)


def _check_geometry_types(gdf: gpd.GeoDataFrame, name: str, layer_name: str) -> None:
    """Refuse features whose geometry type does not fit the base layer."""
    allowed = _GEOM_FAMILY[BASE_LAYERS[layer_name].geometry]
    kinds = gdf.geom_type
    wrong = kinds[~kinds.isin(allowed)]
    if len(wrong):
        kinds_found = ", ".join(sorted(set(wrong)))
        raise DataError(
            f"{name}: {len(wrong)} feature(s) are {kinds_found}, but {layer_name} needs "
            f"{' or '.join(allowed)}",
            [
                f"Give a file of {allowed[0]} features for {layer_name} (the first bad rows: "
                f"{', '.join(map(str, list(wrong.index[:5])))})."
            ],
        )


def _fill_provenance(
    gdf: gpd.GeoDataFrame,
    defaults: Mapping[str, str],
    mapped: Mapping[str, Any],
    *,
    keep_canonical: bool,
) -> gpd.GeoDataFrame:
    """Fill ``source``, ``licence`` and ``accuracy`` from ``defaults``.

    A file that already carries all three provenance columns is a canonical base file
    (e.g. written by 'almaty-scheme import-osm'): its provenance is kept as written
    (when ``keep_canonical``). A mapped provenance column is kept and its blanks filled;
    an unmapped user column of that name is kept as ``<name>_orig``.
    """
    canonical = keep_canonical and all(
        c in gdf.columns and gdf[c].notna().all() for c in ("source", "licence", "accuracy")
    )
    for col, default in defaults.items():
        if canonical or (col in gdf.columns and col in mapped):
            gdf[col] = gdf[col].astype("string").fillna(default)
        else:
            if col in gdf.columns:
                gdf = gdf.rename(columns={col: f"{col}_orig"})
            gdf[col] = pd.Series(default, index=gdf.index, dtype="string")
    return gdf


def _cast_columns(gdf: gpd.GeoDataFrame, name: str, layer_name: str) -> None:
    """Cast the canonical columns present to the base layer's dtypes, in place."""
    for fld, dtype in BASE_LAYERS[layer_name].columns.items():
        if fld in gdf.columns:
            try:
                gdf[fld] = gdf[fld].astype(dtype)
            except (TypeError, ValueError) as exc:
                raise DataError(
                    f"{name}: column for {layer_name}.{fld} cannot be read as {dtype}",
                    [f"Check the values of that column or map another one ({exc})."],
                ) from exc


def read_base_layer(
    path: str | Path,
    layer_name: str,
    *,
    field_map: FieldMap | Mapping[str, Any] | str | Path | None = None,
    encoding: str | None = None,
    assume_crs: str | int | CRS | None = None,
    source: str | None = None,
    licence: str = "",
    accuracy: str = "",
    file_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a user's file as canonical base layer ``layer_name`` (EPSG:32643).

    Steps: :func:`read_vector`; :func:`apply_field_map`; unit conversion (voltages to
    kV with ``voltages`` listing all circuits, diameters to mm, pressure to MPa);
    geometry-type check (lines for line layers, polygons for area layers, points for
    settlements) with single parts promoted to Multi*; derived ``length_km`` /
    ``area_ha`` where the layer has them and the data does not;
    :func:`~almaty_scheme.base.model.conform`; provenance columns.

    Features with no geometry are dropped with a warning naming how many.

    Parameters
    ----------
    field_map
        A field map (loaded or a path to its YAML).
    source, licence, accuracy
        Provenance; ``source`` defaults to ``user file <name>``, an empty ``licence``
        to ``not stated``, an empty ``accuracy`` to ``user data (accuracy not stated)``.
        A file whose features all carry ``source``, ``licence`` and ``accuracy`` (a
        canonical base file, e.g. from ``import-osm``) keeps them unless ``source`` is given.
    file_layer
        Layer inside a multi-layer file (GeoPackage).

    Raises
    ------
    DataError
        Reader errors, field-map errors, or geometries of the wrong type.
    """
    if layer_name not in BASE_LAYERS:
        raise DataError(
            f"{layer_name!r} is not a base layer", [f"Use one of {', '.join(BASE_LAYERS)}."]
        )
    p = Path(path)
    fmap = load_field_map(field_map) if isinstance(field_map, (str, Path)) else field_map
    gdf = read_vector(p, layer=file_layer, encoding=encoding, assume_crs=assume_crs)
    gdf = apply_field_map(gdf, layer_name, fmap)
    units: Mapping[str, str] = gdf.attrs.get("units", {})
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        log.warning("%s: %d feature(s) without geometry skipped", p.name, int(empty.sum()))
        gdf = gdf[~empty].copy()
    spec = BASE_LAYERS[layer_name]
    _check_geometry_types(gdf, p.name, layer_name)
    gdf = promote_to_multi(gdf) if spec.geometry.startswith("Multi") else gdf
    _convert_units(gdf, layer_name, units)
    if "length_km" in spec.columns and ("length_km" not in gdf or gdf["length_km"].isna().all()):
        gdf["length_km"] = gdf.geometry.length / 1000.0
    if "area_ha" in spec.columns and ("area_ha" not in gdf or gdf["area_ha"].isna().all()):
        gdf["area_ha"] = gdf.geometry.area / 1e4
    mapped = (fmap or {}).get(layer_name, {})
    label = f"{p.name}:{file_layer}" if file_layer else p.name
    defaults = {
        "source": source or f"user file {label}",
        "licence": licence or "not stated",
        "accuracy": accuracy or "user data (accuracy not stated)",
    }
    gdf = _fill_provenance(gdf, defaults, mapped, keep_canonical=source is None)
    if "base_id" in gdf.columns and "base_id" not in mapped:
        gdf = gdf.rename(columns={"base_id": "base_id_orig"})
    _cast_columns(gdf, p.name, layer_name)
    gdf = gdf.reset_index(drop=True)
    assert gdf.crs is not None and CRS.from_user_input(gdf.crs) == WORKING_CRS
    return conform(layer_name, gdf)


__all__ = ["read_base_layer"]
