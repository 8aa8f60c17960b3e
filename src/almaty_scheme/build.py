"""Build the scheme's GeoPackage: restriction layers from the catalogue and the base data.

:func:`build_layers` runs the family builders (one module per family in
:mod:`almaty_scheme.restrictions`) in a fixed order, then the functional-zone overlay,
and returns a :class:`BuildResult`: the layers in :data:`LAYER_NAMES` order plus
``coverage`` and the ``base_*`` layers, the report notes and the reconciliation
figures. :func:`write_build` writes the GeoPackage atomically (styles embedded when
:mod:`almaty_scheme.qgis.styles` is available) and the build report beside it
(``<stem>.report.md`` and ``.json``). Nothing here prints; the CLI does.

Identical inputs give identical layers (features sorted by rule and source, fixed buffer
segment counts, no randomness), which ``tests/unit/test_build.py`` checks.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from almaty_scheme import __version__
from almaty_scheme.base.model import BASE_LAYERS, BaseData
from almaty_scheme.catalogue.loader import Catalogue
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError
from almaty_scheme.restrictions.common import (
    LAYER_NAMES,
    BuildOptions,
    LayerNote,
    boundary_geometry,
    clean_polygon,
    text,
    zones_frame,
)
from almaty_scheme.restrictions.official import OfficialZones, apply_official_zones

log = logging.getLogger(__name__)

__all__ = [
    "BASE_OUTPUT_LAYERS",
    "BUILD_STEPS",
    "BuildOptions",
    "BuildResult",
    "build_layers",
    "load_base",
    "report_paths",
    "write_build",
]

BASE_OUTPUT_LAYERS: tuple[str, ...] = (
    "roads",
    "rivers",
    "water_bodies",
    "railways",
    "power_lines",
    "water_mains",
    "gas_pipelines",
    "settlements",
    "settlement_footprints",
)
"""Base layers written as ``base_<name>`` when ``include_base`` is set."""

_GEOMETRY_TYPES = {
    "MultiPolygon": "MultiPolygon",
    "MultiLineString": "MultiLineString",
    "Point": "Point",
}

ProgressFn = Callable[[str], None]

BUILD_STEPS = 12
"""Number of ``progress`` calls of :func:`build_layers` (for progress bars)."""


@dataclass
class BuildResult:
    """Everything one build produced (layers, report notes, figures, timings)."""

    layers: dict[str, gpd.GeoDataFrame]
    build_info: pd.DataFrame
    notes: list[LayerNote]
    figures: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    options: BuildOptions
    catalogue_version: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    base_provenance: list[dict[str, Any]] = field(default_factory=list)
    base_figures: list[dict[str, Any]] = field(default_factory=list)

    def restriction_layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Only the layers of :data:`LAYER_NAMES`."""
        return {k: v for k, v in self.layers.items() if k in LAYER_NAMES}


# --------------------------------------------------------------------------- base


def load_base(
    data_dir: str | Path | None = None,
    *,
    user_layers: Mapping[str, str | Path] | None = None,
    field_map: str | Path | None = None,
    catalogue: Catalogue | None = None,
) -> tuple[BaseData, list[LayerNote]]:
    """The complete base data via :func:`almaty_scheme.base.assemble.assemble_base`.

    While the assembly module is absent, falls back to the raw reference data (plus the
    user's layers) and says so in the returned notes: no boundary, footprints or road
    alignments then.

    Raises
    ------
    DataError
        If neither the assembly nor the reference loader is available.
    """
    notes: list[LayerNote] = []
    users = {k: Path(v) for k, v in (user_layers or {}).items()}
    assemble_base: Callable[..., BaseData] | None
    try:
        module = importlib.import_module("almaty_scheme.base.assemble")
    except ModuleNotFoundError as exc:
        if exc.name != "almaty_scheme.base.assemble":
            raise
        assemble_base = None
    else:
        assemble_base = module.assemble_base
    if assemble_base is not None:
        kwargs: dict[str, Any] = {"user_layers": users or None, "catalogue": catalogue}
        if field_map is not None:
            # one field-map file holds a section per base layer: use it for every user layer
            kwargs["options"] = {"field_maps": {name: Path(field_map) for name in users}}
        params = inspect.signature(assemble_base).parameters
        kwargs = {k: v for k, v in kwargs.items() if k in params}
        return assemble_base(Path(data_dir) if data_dir else None, **kwargs), notes
    try:
        from almaty_scheme.base.reference import load_reference
    except ModuleNotFoundError as exc:  # pragma: no cover - both absent
        raise DataError(
            "No base-data loader is available",
            ["Install almaty-scheme completely (base.assemble / base.reference)."],
        ) from exc
    base = load_reference(Path(data_dir) if data_dir else None)
    notes.append(
        LayerNote(
            "boundary",
            "warning",
            "base assembly (almaty_scheme.base.assemble) not available: built from the raw "
            "reference layers only - no boundary, settlement footprints or road alignments",
        )
    )
    if users:
        from almaty_scheme.base.model import LayerProvenance
        from almaty_scheme.io.readers import read_base_layer

        for name, path in users.items():
            gdf = read_base_layer(path, name, field_map=field_map)
            base.set(name, gdf, LayerProvenance(name, "loaded", f"user file {path.name}"))
    return base, notes


# --------------------------------------------------------------------------- layers


def build_boundary_layer(
    base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """The ``boundary`` layer: the base boundary with zone columns (no width)."""
    notes: list[LayerNote] = []
    gdf = base["boundary"]
    extra = {"base_id": "string", "licence": "string", "area_ha": "float64", "method": "string"}
    if len(gdf) == 0:
        notes.append(LayerNote("boundary", "missing", "base layer 'boundary' is empty"))
        return zones_frame([], [], extra), notes
    recs, geoms = [], []
    for _, row in gdf.iterrows():
        g = clean_polygon(row.geometry, 0.0)
        method = row.get("method") if isinstance(row.get("method"), str) else None
        recs.append(
            {
                "rule_id": None,
                "family": None,
                "kind": "boundary",
                "name": row.get("name")
                if isinstance(row.get("name"), str)
                else "agglomeration boundary",
                "certainty": "certain",
                "citation": "scheme L106-135",
                "reading": method,
                "source": row.get("source"),
                "accuracy": row.get("accuracy"),
                "source_layer": "boundary",
                "source_fid": row.get("base_id"),
                "base_id": row.get("base_id"),
                "licence": row.get("licence"),
                "area_ha": g.area / 1e4,
                "method": method,
            }
        )
        geoms.append(g)
    notes.append(
        LayerNote(
            "boundary",
            "input",
            f"base layer 'boundary': {len(gdf)} feature(s)",
            accuracy="; ".join(str(a) for a in pd.unique(gdf["accuracy"].dropna())),
        )
    )
    return zones_frame(recs, geoms, extra, min_area=0.0), notes


def build_coverage(base: BaseData, notes: list[LayerNote]) -> gpd.GeoDataFrame:
    """The ``coverage`` layer: where base data exists.

    Uses the base's own coverage (``base.figures['coverage']`` geometry or a
    ``coverage`` entry in ``base.layers``) when the assembly provides one; otherwise the
    boundary cut to the DEM's extent (the reference data covers the whole DEM window).
    """
    cov = base.layers.get("coverage") if isinstance(base.layers, dict) else None
    if cov is not None and len(cov):
        out = cov.to_crs(WORKING_CRS) if cov.crs != WORKING_CRS else cov
        method = text(out["method"].iloc[0]) if "method" in out.columns else None
        notes.append(
            LayerNote(
                "coverage", "reading", f"coverage from the base assembly: {method or 'as given'}"
            )
        )
        return out.reset_index(drop=True)
    geom = boundary_geometry(base)
    note = "agglomeration boundary"
    if base.dem_path is not None and Path(base.dem_path).is_file():
        import rasterio
        from rasterio.warp import transform_bounds

        with rasterio.open(base.dem_path) as src:
            if src.crs is not None:
                b = transform_bounds(src.crs, WORKING_CRS, *src.bounds, densify_pts=21)
                box = shapely.box(*b)
                geom = box if geom is None else shapely.intersection(geom, box)
                note = "boundary within the extent of the reference data (DEM window)"
    if geom is None or geom.is_empty:
        notes.append(LayerNote("coverage", "missing", "no boundary and no DEM: coverage empty"))
        return gpd.GeoDataFrame(
            {"name": pd.Series([], dtype="string"), "note": pd.Series([], dtype="string")},
            geometry=gpd.GeoSeries([], crs=WORKING_CRS),
            crs=WORKING_CRS,
        )
    notes.append(LayerNote("coverage", "reading", f"coverage = {note}"))
    return gpd.GeoDataFrame(
        {
            "name": pd.Series(["coverage"], dtype="string"),
            "note": pd.Series([note], dtype="string"),
        },
        geometry=gpd.GeoSeries([clean_polygon(geom, 0.0)], crs=WORKING_CRS),
        crs=WORKING_CRS,
    )


def _layer_summary(name: str, gdf: gpd.GeoDataFrame, notes: list[LayerNote]) -> dict[str, Any]:
    geoms = np.asarray(gdf.geometry.values, dtype=object) if len(gdf) else np.array([])
    area = shapely.union_all(geoms).area / 1e4 if len(geoms) else 0.0
    cert = (
        gdf.loc[(gdf["certainty"] == "certain").fillna(False).astype(bool)]
        if "certainty" in gdf.columns and len(gdf)
        else gdf.iloc[0:0]
    )
    area_c = (
        shapely.union_all(np.asarray(cert.geometry.values, dtype=object)).area / 1e4
        if len(cert)
        else 0.0
    )
    mine = [n for n in notes if n.layer == name]
    return {
        "layer": name,
        "features": len(gdf),
        "area_ha": round(area, 2),
        "area_certain_ha": round(area_c, 2),
        "rules": sorted({str(r) for r in gdf["rule_id"].dropna()}) if "rule_id" in gdf else [],
        "inputs_used": [
            {"what": n.message, "accuracy": n.accuracy} for n in mine if n.kind == "input"
        ],
        "inputs_missing": [n.message for n in mine if n.kind == "missing"],
        "readings": [n.as_dict() for n in mine if n.kind in ("reading", "warning")],
        "skipped": [n.as_dict() for n in mine if n.kind == "skipped"],
    }


def build_layers(
    catalogue: Catalogue,
    base: BaseData,
    options: BuildOptions | None = None,
    *,
    progress: ProgressFn | None = None,
    extra_notes: list[LayerNote] | None = None,
    data_dir: str | Path | None = None,
    official: Sequence[OfficialZones] = (),
) -> BuildResult:
    """Build every restriction layer, ``coverage``, the ``base_*`` layers and the figures.

    Parameters
    ----------
    catalogue
        The rule catalogue.
    base
        The base data in the working CRS (see :func:`load_base`).
    options
        Build choices (defaults: :class:`BuildOptions`).
    progress
        Called with each step's name before it runs (for progress bars).
    extra_notes
        Notes from loading the base, added to the report.
    data_dir
        Recorded in ``build_info``.
    official
        Official polygons (``--zone-layer``) that replace or join the drawn zones of
        their rule before the functional zoning (:mod:`almaty_scheme.restrictions.official`).
    """
    from almaty_scheme.restrictions.elevation import build_elevation_belts
    from almaty_scheme.restrictions.forest import build_forest_belts
    from almaty_scheme.restrictions.gas import build_gas_pipeline_zones
    from almaty_scheme.restrictions.industrial import build_industrial_zones
    from almaty_scheme.restrictions.power import build_power_line_zones
    from almaty_scheme.restrictions.railways import build_railway_zones
    from almaty_scheme.restrictions.roads import build_road_corridors
    from almaty_scheme.restrictions.water_mains import build_water_main_strips
    from almaty_scheme.restrictions.water_protection import build_water_protection
    from almaty_scheme.restrictions.zoning import build_functional_zones

    opts = options or BuildOptions()
    rules = list(catalogue)
    notes: list[LayerNote] = list(extra_notes or [])
    layers: dict[str, gpd.GeoDataFrame] = {}
    timings: dict[str, float] = {}

    def step(name: str, fn: Callable[[], Any]) -> Any:
        if progress is not None:
            progress(name)
        t0 = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t0, 3)
        log.info("built %s in %.2f s", name, timings[name])
        return out

    singles: list[tuple[str, Callable[[], tuple[gpd.GeoDataFrame, list[LayerNote]]]]] = [
        ("boundary", lambda: build_boundary_layer(base, opts)),
        ("road_corridors", lambda: build_road_corridors(rules, base, opts)),
        ("railway_zones", lambda: build_railway_zones(rules, base, opts)),
        ("power_line_zones", lambda: build_power_line_zones(rules, base, opts)),
        ("water_main_strips", lambda: build_water_main_strips(rules, base, opts)),
    ]
    for name, fn in singles:
        gdf, ns = step(name, fn)
        layers[name] = gdf
        notes.extend(ns)
    wp, ns = step("water_protection", lambda: build_water_protection(rules, base, opts))
    layers.update(wp)
    notes.extend(ns)
    for name, fn in [
        ("gas_pipeline_zones", lambda: build_gas_pipeline_zones(rules, base, opts)),
        ("forest_belts", lambda: build_forest_belts(rules, base, opts)),
        ("elevation_belts", lambda: build_elevation_belts(rules, base, opts)),
        ("industrial_zones", lambda: build_industrial_zones(rules, base, opts)),
    ]:
        gdf, ns = step(name, fn)
        layers[name] = gdf
        notes.extend(ns)
    apply_official_zones(layers, official, notes)
    fz, ns = step("functional_zones", lambda: build_functional_zones(rules, base, opts, layers))
    layers["functional_zones"] = fz
    notes.extend(ns)

    ordered: dict[str, gpd.GeoDataFrame] = {n: layers[n] for n in LAYER_NAMES}
    summary = [_layer_summary(n, ordered[n], notes) for n in LAYER_NAMES]
    ordered["coverage"] = build_coverage(base, notes)
    if opts.include_base:
        for name in BASE_OUTPUT_LAYERS:
            ordered[f"base_{name}"] = base[name]

    from almaty_scheme.report.build_report import reconciliation_figures, relevant_findings

    figures = step("figures", lambda: reconciliation_figures(catalogue, base, ordered))
    findings = relevant_findings(catalogue, ordered)
    info = {
        "catalogue_version": catalogue.version,
        "toolkit_version": __version__,
        "built_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "range_policy": opts.range_policy or "rule default",
        "data_dir": str(data_dir) if data_dir is not None else "",
        "working_crs": f"EPSG:{WORKING_CRS.to_epsg()}",
    }
    for k, v in opts.as_dict().items():
        info.setdefault(f"option.{k}", "" if v is None else str(v))
    for oz in official:
        key, val = f"zone_layer.{oz.spec.rule_id}", f"{oz.spec.path}:{oz.spec.mode}"
        info[key] = f"{info[key]}; {val}" if key in info else val
    build_info = pd.DataFrame(
        {
            "key": pd.Series(list(info), dtype="string"),
            "value": pd.Series([str(v) for v in info.values()], dtype="string"),
        }
    )
    prov = [p.__dict__ for p in base.provenance]
    return BuildResult(
        layers=ordered,
        build_info=build_info,
        notes=notes,
        figures=figures,
        summary=summary,
        options=opts,
        catalogue_version=catalogue.version,
        findings=findings,
        timings=timings,
        base_provenance=prov,
        base_figures=_base_figures(base),
    )


def _base_figures(base: BaseData) -> list[dict[str, Any]]:
    """Comparison figures of the base assembly (scalars only: no WKT, no long lists)."""
    out = []
    for key, f in (base.figures or {}).items():
        if not isinstance(f, dict) or "label" not in f:
            continue
        out.append(
            {
                "key": key,
                **{
                    k: v
                    for k, v in f.items()
                    if (k != "wkt" and isinstance(v, (str, int, float, bool))) or v is None
                },
            }
        )
    return out


# --------------------------------------------------------------------------- writing


def report_paths(gpkg_path: str | Path) -> tuple[Path, Path]:
    """``(<stem>.report.md, <stem>.report.json)`` beside the GeoPackage."""
    p = Path(gpkg_path)
    return p.with_name(p.stem + ".report.md"), p.with_name(p.stem + ".report.json")


def _geometry_types(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    out = {}
    for name in layers:
        if name.startswith("base_"):
            spec = BASE_LAYERS.get(name[5:])
            out[name] = _GEOMETRY_TYPES.get(spec.geometry, "Unknown") if spec else "Unknown"
        else:
            out[name] = "MultiPolygon"
    return out


def write_build(result: BuildResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the GeoPackage (atomically, styles embedded if available) and the report.

    Raises
    ------
    OutputExistsError
        If ``path`` or a report file exists and ``overwrite`` is false (checked first).
    """
    from almaty_scheme.io.atomic import check_writable
    from almaty_scheme.io.gpkg import write_layers
    from almaty_scheme.report.build_report import write_report

    target = Path(path)
    md, js = report_paths(target)
    for p in (target, md, js):
        check_writable(p, overwrite=overwrite)
    finalize_styles: Callable[[Path], None] | None = None
    try:
        from almaty_scheme.qgis.styles import style_finalizer
    except ImportError:
        log.info("almaty_scheme.qgis.styles not available: layers written without styles")
    else:
        finalize_styles = style_finalizer(list(result.layers))

    def finalize(tmp: Path) -> None:
        pyogrio.write_dataframe(
            result.build_info, tmp, layer="build_info", driver="GPKG", append=True
        )
        if finalize_styles is not None:
            finalize_styles(tmp)

    write_layers(
        target,
        result.layers,
        overwrite=overwrite,
        finalize=finalize,
        geometry_types=_geometry_types(result.layers),
    )
    write_report(result, target, overwrite=overwrite)
    return target
