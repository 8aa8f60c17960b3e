"""The canonical base-data model that the restriction builders consume.

Every base layer is a GeoDataFrame in the working CRS (EPSG:32643) with the columns
listed in :data:`BASE_LAYERS` plus the provenance columns :data:`PROVENANCE_COLUMNS`:

``base_id``
    stable id of the feature within the base (``"<layer>:<n>"``), referenced by the
    ``source_fid`` column of zone features;
``source``
    where the geometry comes from (dataset name, file, or ``derived: <method>``);
``licence``
    licence of that source;
``accuracy``
    ``official`` | ``open data ~1:1M`` (scale named) | ``derived from DEM <res>`` |
    ``derived from scheme figures`` | ``schematic from scheme text``.

A layer with no data is an empty GeoDataFrame with the right columns, never ``None``,
so builders need no special cases; :class:`BaseData` records which layers are missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from almaty_scheme.crs import WORKING_CRS

PROVENANCE_COLUMNS: tuple[str, ...] = ("base_id", "source", "licence", "accuracy")


@dataclass(frozen=True)
class BaseLayerSpec:
    """Geometry type and attribute columns (name -> pandas dtype) of a base layer."""

    geometry: str
    columns: dict[str, str]
    description: str


BASE_LAYERS: dict[str, BaseLayerSpec] = {
    "boundary": BaseLayerSpec(
        "MultiPolygon",
        {"name": "string", "method": "string", "area_ha": "float64"},
        "The agglomeration boundary (reconstructed from the text, L106-135).",
    ),
    "admin_units": BaseLayerSpec(
        "MultiPolygon",
        {
            "name": "string",
            "name_ru": "string",
            "name_kk": "string",
            "kato": "string",
            "level": "Int64",
            "year": "Int64",
            "parent": "string",
        },
        "Administrative units (districts, city administrations, city districts).",
    ),
    "settlements": BaseLayerSpec(
        "Point",
        {
            "name": "string",
            "name_ru": "string",
            "name_kk": "string",
            "status": "string",
            "district": "string",
            "rural_district": "string",
            "scheme_row": "string",
            "pop_2018": "float64",
            "pop_2025": "float64",
            "pop_2035": "float64",
            "pop_2050": "float64",
            "match": "string",
        },
        "Settlement points; populations from Appendix 15 where matched.",
    ),
    "settlement_footprints": BaseLayerSpec(
        "MultiPolygon",
        {"name": "string", "settlement_id": "string", "method": "string", "area_ha": "float64"},
        "Built-up footprints of settlements (real, or derived and labelled).",
    ),
    "water_bodies": BaseLayerSpec(
        "MultiPolygon",
        {"name": "string", "name_ru": "string", "kind": "string", "area_ha": "float64"},
        "Reservoirs and lakes (kind: reservoir | lake | pond).",
    ),
    "rivers": BaseLayerSpec(
        "MultiLineString",
        {
            "name": "string",
            "name_ru": "string",
            "kind": "string",
            "length_km": "float64",
            "strahler": "Int64",
        },
        "River and stream centrelines (kind: river | stream | canal).",
    ),
    "roads": BaseLayerSpec(
        "MultiLineString",
        {"name": "string", "ref": "string", "category": "string", "rule_ids": "string"},
        "Road centrelines or schematic alignments; rule_ids links alignments to rules.",
    ),
    "railways": BaseLayerSpec(
        "MultiLineString",
        {"name": "string", "status": "string", "tracks": "Int64"},
        "Railway centrelines.",
    ),
    "power_lines": BaseLayerSpec(
        "MultiLineString",
        {"name": "string", "voltage_kv": "float64", "voltages": "string"},
        "Overhead power lines; voltage_kv is the highest circuit voltage.",
    ),
    "water_mains": BaseLayerSpec(
        "MultiLineString",
        {"name": "string", "diameter_mm": "float64", "soil": "string"},
        "Water mains (водоводы); soil: dry | wet | empty if unknown.",
    ),
    "gas_pipelines": BaseLayerSpec(
        "MultiLineString",
        {
            "name": "string",
            "diameter_mm": "float64",
            "nominal_diameter_mm": "float64",
            "diameter_note": "string",
            "pressure_mpa": "float64",
            "corridor_id": "string",
            "status": "string",
        },
        "Trunk gas pipelines; diameter_mm is the outside diameter, nominal_diameter_mm DN.",
    ),
    "heritage_sites": BaseLayerSpec(
        "MultiPolygon",
        {"name": "string", "kind": "string"},
        "Historic and cultural monuments and their protection zones (user data only).",
    ),
    "protected_areas": BaseLayerSpec(
        "MultiPolygon",
        {"name": "string", "kind": "string"},
        "Protected natural areas (national park, reserve, regional park).",
    ),
}


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the columns of base layer ``name``."""
    spec = BASE_LAYERS[name]
    cols: dict[str, Any] = {c: pd.Series(dtype="string") for c in PROVENANCE_COLUMNS}
    cols.update({c: pd.Series(dtype=t) for c, t in spec.columns.items()})
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=WORKING_CRS), crs=WORKING_CRS)


def conform(name: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` with exactly the canonical columns of ``name`` (missing ones empty).

    Extra columns are kept after the canonical ones. The CRS must already be the
    working CRS.
    """
    spec = BASE_LAYERS[name]
    out = gdf.copy()
    for c in PROVENANCE_COLUMNS:
        if c not in out.columns:
            out[c] = pd.Series(pd.NA, index=out.index, dtype="string")
    for c, t in spec.columns.items():
        if c not in out.columns:
            out[c] = pd.Series(index=out.index, dtype=t)  # all-missing (NaN / <NA>)
    if out["base_id"].isna().any():
        out["base_id"] = [f"{name}:{i}" for i in range(len(out))]
    geom = out.geometry.name
    order = [*PROVENANCE_COLUMNS, *spec.columns]
    extra = [c for c in out.columns if c not in order and c != geom]
    return out[[*order, *extra, geom]]


@dataclass
class LayerProvenance:
    """Where one base layer came from and how good it is."""

    layer: str
    status: str  # loaded | derived | schematic | missing
    source: str
    licence: str = ""
    accuracy: str = ""
    features: int = 0
    note: str = ""


@dataclass
class BaseData:
    """All base layers (always present, possibly empty), the DEM path and provenance."""

    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    dem_path: Path | None = None
    provenance: list[LayerProvenance] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    territories: dict[str, BaseGeometry] = field(default_factory=dict)
    """Territory outlines of ``boundary.yaml`` by id (e.g. ``almaty_city``), EPSG:32643."""

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        if name not in BASE_LAYERS:
            raise KeyError(f"{name!r} is not a base layer; known: {', '.join(BASE_LAYERS)}")
        layer = self.layers.get(name)
        return layer if layer is not None else empty_layer(name)

    def set(self, name: str, gdf: gpd.GeoDataFrame, prov: LayerProvenance) -> None:
        """Store a conformed layer and its provenance (replacing earlier provenance)."""
        self.layers[name] = conform(name, gdf)
        prov.features = len(gdf)
        self.provenance = [p for p in self.provenance if p.layer != name] + [prov]

    @property
    def missing(self) -> list[str]:
        """Base layers with no features."""
        return [n for n in BASE_LAYERS if len(self[n]) == 0]
