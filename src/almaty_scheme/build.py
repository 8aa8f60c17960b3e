"""Build the scheme's GeoPackage: restriction layers from the catalogue and the base data.

:func:`build_layers` runs the family builders (one module per family in
:mod:`almaty_scheme.restrictions`) in a fixed order, then the functional-zone overlay,
and returns a :class:`BuildResult`: the layers in :data:`LAYER_NAMES` order plus
``coverage`` and the ``base_*`` layers, the report notes and the reconciliation
figures. :func:`write_build` writes the GeoPackage atomically (styles embedded) and the
build report beside it (``<stem>.report.md`` and ``.json``). Nothing here prints; the
CLI does.

Identical inputs give identical layers (features sorted by rule and source, fixed buffer
segment counts, no randomness), which ``tests/unit/test_build.py`` checks.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from rasterio.warp import transform_bounds

from almaty_scheme import __version__
from almaty_scheme.base.assemble import assemble_base
from almaty_scheme.base.model import BASE_LAYERS, BaseData
from almaty_scheme.build_result import BuildResult, report_paths
from almaty_scheme.callable_module import make_callable
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.io.gpkg import write_layers
from almaty_scheme.io.outset import OutputSet, input_files
from almaty_scheme.logs import NOTICE, step
from almaty_scheme.qgis.styles import style_finalizer
from almaty_scheme.report.build_report import (
    reconciliation_figures,
    relevant_findings,
    report_json,
    report_markdown,
)
from almaty_scheme.restrictions.boundary import build_boundary
from almaty_scheme.restrictions.elevation import build_elevation_belts
from almaty_scheme.restrictions.forest import build_forest_belts
from almaty_scheme.restrictions.gas import build_gas_pipeline_zones
from almaty_scheme.restrictions.geometry import boundary_geometry, clean_polygon
from almaty_scheme.restrictions.industrial import build_industrial_zones
from almaty_scheme.restrictions.notes import LayerNote
from almaty_scheme.restrictions.official import OfficialZones, apply_official_zones
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.power import build_power_line_zones
from almaty_scheme.restrictions.railways import build_railway_zones
from almaty_scheme.restrictions.roads import build_road_corridors
from almaty_scheme.restrictions.schema import LAYER_NAMES
from almaty_scheme.restrictions.text import text
from almaty_scheme.restrictions.water_mains import build_water_main_strips
from almaty_scheme.restrictions.water_protection import build_water_protection
from almaty_scheme.restrictions.zoning import build_functional_zones

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
FamilyBuilder = Callable[
    [Catalogue, BaseData, BuildOptions], tuple[gpd.GeoDataFrame, list[LayerNote]]
]
LayersBuilder = Callable[
    [Catalogue, BaseData, BuildOptions], tuple[dict[str, gpd.GeoDataFrame], list[LayerNote]]
]


def _one_layer(name: str, builder: FamilyBuilder) -> LayersBuilder:
    """A one-layer family builder as a builder of ``{name: layer}``."""

    def run(
        catalogue: Catalogue, base: BaseData, options: BuildOptions
    ) -> tuple[dict[str, gpd.GeoDataFrame], list[LayerNote]]:
        gdf, notes = builder(catalogue, base, options)
        return {name: gdf}, notes

    return run


FAMILY_STEPS: tuple[tuple[str, LayersBuilder], ...] = (
    ("boundary", _one_layer("boundary", build_boundary)),
    ("road_corridors", _one_layer("road_corridors", build_road_corridors)),
    ("railway_zones", _one_layer("railway_zones", build_railway_zones)),
    ("power_line_zones", _one_layer("power_line_zones", build_power_line_zones)),
    ("water_main_strips", _one_layer("water_main_strips", build_water_main_strips)),
    ("water_protection", build_water_protection),
    ("gas_pipeline_zones", _one_layer("gas_pipeline_zones", build_gas_pipeline_zones)),
    ("forest_belts", _one_layer("forest_belts", build_forest_belts)),
    ("elevation_belts", _one_layer("elevation_belts", build_elevation_belts)),
    ("industrial_zones", _one_layer("industrial_zones", build_industrial_zones)),
)
"""The family steps in build order (``water_protection`` makes two layers); the
``functional_zones`` overlay, which reads them all, runs after them."""

BUILD_STEPS = len(FAMILY_STEPS) + 2
"""Number of ``progress`` calls of :func:`build_layers` (for progress bars): the family
steps, the functional zones and the figures."""

_T = TypeVar("_T")


# --------------------------------------------------------------------------- base


def load_base(
    data_dir: str | Path | None = None,
    *,
    user_layers: Mapping[str, str | Path] | None = None,
    field_map: str | Path | None = None,
    catalogue: Catalogue | None = None,
) -> tuple[BaseData, list[LayerNote]]:
    """The complete base data via :func:`almaty_scheme.base.assemble.assemble_base`.

    Parameters
    ----------
    data_dir
        Reference data folder (default ``../shared/data``).
    user_layers
        Base layer name -> user file; user data wins over the reference data.
    field_map
        One field-map file with a section per base layer, used for every user layer.
    catalogue
        The rule catalogue (schematic alignments of the road rules).

    Returns
    -------
    The base data in EPSG:32643 and the notes of loading it for the build report
    (the assembly records its own provenance in ``base.provenance``, so none today).
    """
    users = {k: Path(v) for k, v in (user_layers or {}).items()}
    options = (
        {"field_maps": {name: Path(field_map) for name in users}} if field_map is not None else None
    )
    with step(log, "build: assembled the base data (boundary, settlements, roads, rivers)"):
        base = assemble_base(
            Path(data_dir) if data_dir else None,
            user_layers=users or None,
            catalogue=catalogue,
            options=options,
        )
    return base, []


# --------------------------------------------------------------------------- layers


def build_coverage(base: BaseData, notes: list[LayerNote]) -> gpd.GeoDataFrame:
    """The ``coverage`` layer: where base data exists.

    Uses the base's own coverage (a ``coverage`` entry in ``base.layers``) when the
    assembly provides one; otherwise the boundary cut to the DEM's extent (the reference
    data covers the whole DEM window).
    """
    cov = base.layers.get("coverage")
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


@dataclass
class _Steps:
    """Runs the named build steps: progress callback, timing, log line."""

    progress: ProgressFn | None
    timings: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, fn: Callable[[], _T]) -> _T:
        if self.progress is not None:
            self.progress(name)
        t0 = time.perf_counter()
        out = fn()
        self.timings[name] = round(time.perf_counter() - t0, 3)
        log.log(NOTICE, "build: %s in %.1f s", name, self.timings[name])
        return out


def _restriction_layers(
    catalogue: Catalogue,
    base: BaseData,
    opts: BuildOptions,
    steps: _Steps,
    notes: list[LayerNote],
    official: Sequence[OfficialZones] = (),
) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of :data:`LAYER_NAMES`, in that order (notes appended to ``notes``);
    official polygons replace or join their rule's zones before the functional zoning."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name, builder in FAMILY_STEPS:
        made, ns = steps.run(name, partial(builder, catalogue, base, opts))
        layers.update(made)
        notes.extend(ns)
    apply_official_zones(layers, official, notes)
    fz, ns = steps.run(
        "functional_zones", lambda: build_functional_zones(catalogue, base, opts, layers)
    )
    layers["functional_zones"] = fz
    notes.extend(ns)
    return {n: layers[n] for n in LAYER_NAMES}


def _build_info(
    catalogue: Catalogue,
    opts: BuildOptions,
    data_dir: str | Path | None,
    official: Sequence[OfficialZones] = (),
) -> pd.DataFrame:
    """The ``build_info`` table: versions, time, CRS and every option (key/value strings)."""
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
    return pd.DataFrame(
        {
            "key": pd.Series(list(info), dtype="string"),
            "value": pd.Series([str(v) for v in info.values()], dtype="string"),
        }
    )


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
    official
        Official polygons (``--zone-layer``) that replace or join the drawn zones of
        their rule before the functional zoning (:mod:`almaty_scheme.restrictions.official`).
    """
    opts = options or BuildOptions()
    notes: list[LayerNote] = list(extra_notes or [])
    steps = _Steps(progress)
    ordered = _restriction_layers(catalogue, base, opts, steps, notes, official)
    summary = [_layer_summary(n, ordered[n], notes) for n in LAYER_NAMES]
    ordered["coverage"] = build_coverage(base, notes)
    if opts.include_base:
        for name in BASE_OUTPUT_LAYERS:
            ordered[f"base_{name}"] = base[name]
    figures = steps.run("figures", lambda: reconciliation_figures(catalogue, base, ordered))
    return BuildResult(
        layers=ordered,
        build_info=_build_info(catalogue, opts, data_dir, official),
        notes=notes,
        figures=figures,
        summary=summary,
        options=opts,
        catalogue_version=catalogue.version,
        findings=relevant_findings(catalogue, ordered),
        timings=steps.timings,
        base_provenance=[p.__dict__ for p in base.provenance],
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


def _geometry_types(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    out = {}
    for name in layers:
        if name.startswith("base_"):
            spec = BASE_LAYERS.get(name[5:])
            out[name] = _GEOMETRY_TYPES.get(spec.geometry, "Unknown") if spec else "Unknown"
        else:
            out[name] = "MultiPolygon"
    return out


def build_inputs(
    data_dir: str | Path | None,
    base_packages: tuple[Path, ...],
    user_layers: Mapping[str, Path],
    field_map: str | Path | None,
    catalogue_dir: str | Path | None,
) -> tuple[Path, ...]:
    """Every file a build reads (no output may replace one of them)."""
    return input_files(data_dir, *base_packages, *user_layers.values(), field_map, catalogue_dir)


def build_outputs(
    path: str | Path, *, inputs: tuple[str | Path | None, ...] = (), overwrite: bool = False
) -> OutputSet:
    """The files a build writes (GeoPackage, Markdown and JSON report), as one set."""
    target = Path(path)
    md, js = report_paths(target)
    return OutputSet(
        {"gpkg": target, "report_md": md, "report_json": js}, inputs=inputs, overwrite=overwrite
    )


def write_build(
    result: BuildResult,
    path: str | Path,
    *,
    overwrite: bool = False,
    inputs: tuple[str | Path | None, ...] = (),
) -> Path:
    """Write the GeoPackage (styles embedded if available) and the report, replaced
    together (:class:`~almaty_scheme.io.outset.OutputSet`).

    Raises
    ------
    OutputExistsError
        If ``path`` or a report file exists and ``overwrite`` is false (checked first).
    UsageError
        If an output is one of ``inputs``.
    """
    target = Path(path)
    outs = build_outputs(target, inputs=inputs, overwrite=overwrite)
    outs.preflight()
    finalize_styles = style_finalizer(list(result.layers))

    def finalize(tmp: Path) -> None:
        pyogrio.write_dataframe(
            result.build_info, tmp, layer="build_info", driver="GPKG", append=True
        )
        finalize_styles(tmp)

    with outs.writing():
        write_layers(
            outs.tmp("gpkg"),
            result.layers,
            finalize=finalize,
            geometry_types=_geometry_types(result.layers),
        )
        outs.tmp("report_md").write_text(report_markdown(result, target), encoding="utf-8")
        outs.tmp("report_json").write_text(report_json(result, target), encoding="utf-8")
        outs.commit(["gpkg", "report_md", "report_json"])
    return target


make_callable(__name__, "almaty_scheme.api", "build")  # almaty_scheme.build(...): api.build
