"""Field maps: which column of a user's file is which canonical field of a base layer.

A field map (``--field-map FILE``) names, per base layer, the user's column for each
canonical field and optionally its unit (voltage in V or kV, diameters in mm or m,
pressure in MPa, bar or kgf/cm²). Fields not mapped are found by their canonical name or
a known alias. This is base-schema knowledge, so it lives in ``base``; the generic format
readers stay in :mod:`almaty_scheme.io.readers`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
from pydantic import BaseModel, ConfigDict, ValidationError

from almaty_scheme.base.model import BASE_LAYERS, PROVENANCE_COLUMNS
from almaty_scheme.catalogue.datafile import read_yaml
from almaty_scheme.errors import DataError
from almaty_scheme.io.readers import UNIT_FACTORS


class ColumnSpec(BaseModel):
    """A user column and, optionally, the unit its values are in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    unit: str | None = None


LayerMap = dict[str, ColumnSpec]
FieldMap = dict[str, LayerMap]

_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "название", "наименование", "naim", "nazvanie", "atauy", "атауы"),
    "name_ru": ("name_ru", "name:ru"),
    "name_kk": ("name_kk", "name:kk"),
    "voltage_kv": ("voltage_kv", "voltage", "napr", "напряжение", "u_kv", "kv"),
    "voltages": ("voltages",),
    "diameter_mm": ("diameter_mm", "diameter", "diam", "диаметр", "d_mm"),
    "nominal_diameter_mm": ("nominal_diameter_mm", "dn", "du", "ду"),
    "pressure_mpa": ("pressure_mpa", "pressure", "давление"),
    "ref": ("ref", "номер", "road_ref"),
    "category": ("category", "категория", "highway", "class"),
    "kind": ("kind", "type", "вид", "тип"),
    "status": ("status", "статус", "place"),
    "kato": ("kato", "като"),
}


def _parse_spec(value: object) -> object:
    if isinstance(value, str):
        return {"column": value}
    return value


def _validate_field_map(raw: object, label: str) -> FieldMap:
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        raise DataError(
            f"{label} must be a mapping of base layers",
            ["Write e.g. `power_lines: {voltage_kv: NAPR, name: NAME}`."],
        )
    out: FieldMap = {}
    for layer, fields in raw.items():
        if layer not in BASE_LAYERS:
            close = difflib.get_close_matches(str(layer), list(BASE_LAYERS), n=1)
            problems.append(
                f"{layer!r} is not a base layer"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; known: {', '.join(BASE_LAYERS)}."
            )
            continue
        if not isinstance(fields, Mapping):
            problems.append(f"{layer}: give a mapping `canonical_field: USER_COLUMN`.")
            continue
        allowed = [*BASE_LAYERS[layer].columns, *PROVENANCE_COLUMNS]
        lmap: LayerMap = {}
        for fld, spec in fields.items():
            if fld not in allowed:
                close = difflib.get_close_matches(str(fld), allowed, n=1)
                problems.append(
                    f"{layer}.{fld}: not a field of {layer}"
                    + (f" (did you mean {close[0]!r}?)" if close else "")
                    + f"; fields: {', '.join(allowed)}."
                )
                continue
            try:
                cs = ColumnSpec.model_validate(_parse_spec(spec))
            except ValidationError as exc:
                problems.append(
                    f"{layer}.{fld}: give a column name or {{column: NAME, unit: U}} "
                    f"({exc.errors()[0]['msg']})."
                )
                continue
            if cs.unit is not None:
                units = UNIT_FACTORS.get(str(fld))
                if units is None:
                    problems.append(f"{layer}.{fld}: takes no unit (remove `unit`).")
                    continue
                if cs.unit not in units:
                    problems.append(
                        f"{layer}.{fld}: unit {cs.unit!r} unknown; use one of {', '.join(units)}."
                    )
                    continue
            lmap[str(fld)] = cs
        out[str(layer)] = lmap
    if problems:
        raise DataError(f"{label} is not a valid field map", problems)
    return out


def load_field_map(path: str | Path) -> FieldMap:
    """Load a field-map YAML: which user column is which canonical field, per base layer.

    Format::

        power_lines:
          voltage_kv: NAPR                 # or {column: NAPR, unit: V}
          name: NAME
        gas_pipelines:
          diameter_mm: {column: DIAM, unit: m}

    Raises
    ------
    DataError
        Missing file, bad YAML, unknown layer/field/unit (all problems listed).
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"Field map {p} not found", ["Check the --field-map path."])
    problems: list[str] = []
    raw = read_yaml(p, problems)
    if problems:
        raise DataError(f"{p.name} cannot be read", problems)
    return _validate_field_map(raw or {}, p.name)


def _resolve_column(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    matches = [c for c in columns if c.lower() == wanted.lower()]
    return matches[0] if len(matches) == 1 else None


def apply_field_map(
    gdf: gpd.GeoDataFrame,
    layer: str,
    mapping: Mapping[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    """Rename the user's columns to the canonical fields of base layer ``layer``.

    ``mapping`` is a whole field map (``{layer: {field: column}}``), the mapping of this
    layer (``{field: column}``), or ``None``. Fields not mapped are taken from a column
    with the canonical name or a known alias (case-insensitive: ``NAPR`` ->
    ``voltage_kv``, ``Название`` -> ``name``...). The user's other columns are kept.
    Units are recorded in ``gdf.attrs["units"]`` for :func:`read_base_layer`.

    Raises
    ------
    DataError
        A mapped column is not in the data (every such column listed).
    """
    if layer not in BASE_LAYERS:
        raise DataError(f"{layer!r} is not a base layer", [f"Use one of {', '.join(BASE_LAYERS)}."])
    lmap: Mapping[str, Any]
    if mapping is None:
        lmap = {}
    elif layer in mapping and isinstance(mapping[layer], Mapping):
        lmap = mapping[layer]
    elif any(k in BASE_LAYERS for k in mapping):
        lmap = {}
    else:
        lmap = mapping
    specs = _validate_field_map({layer: dict(lmap)}, "field map")[layer]
    geom = gdf.geometry.name
    columns = [c for c in gdf.columns if c != geom]
    problems = []
    renames: dict[str, str] = {}
    units: dict[str, str] = {}
    for fld, cs in specs.items():
        col = _resolve_column(columns, cs.column)
        if col is None:
            close = difflib.get_close_matches(cs.column, columns, n=2)
            problems.append(
                f"{layer}.{fld}: column {cs.column!r} not found"
                + (f" (did you mean {', '.join(close)}?)" if close else "")
                + f"; columns: {', '.join(columns)}."
            )
            continue
        renames[col] = fld
        if cs.unit:
            units[fld] = cs.unit
    if problems:
        raise DataError("The field map does not fit the data", problems)
    mapped = set(renames.values())
    lowered = {c.lower(): c for c in columns if c not in renames}
    for fld in BASE_LAYERS[layer].columns:
        if fld in mapped:
            continue
        for alias in _ALIASES.get(fld, (fld,)):
            col = lowered.get(alias.lower())
            if col is not None and col not in renames:
                renames[col] = fld
                mapped.add(fld)
                break
    # a user column already named like a canonical field we map onto goes out of the way
    clash = {c: f"{c}_orig" for c in columns if c in mapped and c not in renames}
    out = gdf.rename(columns={**clash, **renames})
    out.attrs["units"] = units
    return out


__all__ = ["ColumnSpec", "FieldMap", "LayerMap", "apply_field_map", "load_field_map"]
