"""One call for a whole check run: read, validate, check, summarise, write.

This is what ``almaty-scheme check`` calls; notebooks may call it too, or use the
pieces (:func:`~almaty_scheme.check.inputs.read_parcels`,
:func:`~almaty_scheme.check.inputs.prepare_parcels`,
:func:`~almaty_scheme.check.zones.load_zones`,
:func:`~almaty_scheme.check.engine.check_parcels`,
:func:`~almaty_scheme.check.output.write_results`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from almaty_scheme.catalogue.loader import default_catalogue, load_catalogue
from almaty_scheme.check.engine import DEFAULT_NEAR_M, CheckResult, check_parcels
from almaty_scheme.check.inputs import prepare_parcels, read_parcels
from almaty_scheme.check.output import (
    OUT_SUFFIXES,
    check_outputs_writable,
    output_paths,
    summarise,
    write_results,
)
from almaty_scheme.check.regime import land_use_from_catalogue, load_use_aliases
from almaty_scheme.check.zones import DEFAULT_TILE_SIZE_M, load_zones
from almaty_scheme.errors import UsageError
from almaty_scheme.progress import stage

log = logging.getLogger(__name__)

ENGINES: tuple[str, ...] = ("local", "dask")
"""Execution engines: ``local`` (one process, compiled kernels on every core) and
``dask`` (spatial partitions on a ``dask.distributed`` cluster,
:mod:`~almaty_scheme.check.dask_engine`)."""

FAIL_ON: tuple[str, ...] = ("prohibited", "conditional")

_STAGES = 6
"""Coarse stages of :func:`run_check` reported by :func:`~almaty_scheme.progress.stage`."""


@dataclass
class RunOutcome:
    """What a run produced."""

    result: CheckResult
    summary: dict[str, Any]
    paths: dict[str, Path]


def failing(summary: dict[str, Any], fail_on: str | None) -> bool:
    """Whether ``--fail-on`` is triggered: any ``prohibited`` parcel (for ``prohibited``),
    any ``prohibited`` or ``conditional`` parcel (for ``conditional``)."""
    if fail_on is None:
        return False
    bv = summary["by_verdict"]
    if fail_on == "prohibited":
        return bool(bv.get("prohibited", 0))
    return bool(bv.get("prohibited", 0) or bv.get("conditional", 0))


def run_check(
    parcels: str | Path,
    *,
    layers: str | Path,
    out: str | Path,
    id_field: str | None = None,
    use_field: str | None = None,
    use_aliases: str | Path | None = None,
    assume_crs: str | None = None,
    layer: str | None = None,
    near_m: float | None = DEFAULT_NEAR_M,
    with_overlap_geometry: bool = False,
    csv: bool = False,
    parquet: bool = False,
    overwrite: bool = False,
    engine: str = "local",
    catalogue_dir: str | Path | None = None,
    tile_size: float = DEFAULT_TILE_SIZE_M,
    scheduler: str | None = None,
    workers: int | None = None,
    partitions: int | None = None,
    zones_cache: bool | str | Path = True,
) -> RunOutcome:
    """Check the parcels in a file against a built GeoPackage and write the results.

    ``engine="dask"`` runs the check on a Dask cluster (``scheduler`` address, or a
    ``LocalCluster`` of ``workers`` processes), in ``partitions`` spatial partitions;
    the results are the same as the local engine's. ``zones_cache`` is passed to
    :func:`~almaty_scheme.check.zones.load_zones` (``False`` disables the cache).

    Raises
    ------
    UsageError
        Bad option values, unknown columns, existing outputs without ``overwrite``.
    DataError, CRSError, CatalogueError
        Unusable parcels, layers or catalogue.
    """
    if engine not in ENGINES:
        raise UsageError(f"Unknown engine {engine!r}", [f"Use one of: {', '.join(ENGINES)}."])
    if engine != "dask" and (scheduler or workers or partitions):
        raise UsageError(
            "--scheduler, --workers and --partitions need --engine dask",
            ["Add --engine dask, or drop those options."],
        )
    if near_m is not None and near_m < 0:
        raise UsageError("--near must be >= 0", ["Give a distance in metres, 0 to disable."])
    if Path(out).suffix.lower() not in OUT_SUFFIXES:
        raise UsageError(
            f"--out {out} must end in .gpkg or .parquet",
            [
                "For example --out results.gpkg (GeoPackage with every table) or "
                "--out results.parquet (GeoParquet files, fastest)."
            ],
        )
    if (
        Path(out).resolve() == Path(parcels).resolve()
        or Path(out).resolve() == Path(layers).resolve()
    ):
        raise UsageError("--out would replace an input file", ["Choose another output path."])
    paths = output_paths(out, csv=csv, parquet=parquet)
    check_outputs_writable(paths, overwrite=overwrite)

    timings: dict[str, float] = {}
    stage("loading the rule catalogue", 0, _STAGES)
    t = time.perf_counter()
    cat = load_catalogue(catalogue_dir) if catalogue_dir is not None else default_catalogue()
    land_use = land_use_from_catalogue(cat)
    if use_aliases is not None:
        land_use = land_use.with_aliases(load_use_aliases(use_aliases, land_use))
    timings["catalogue"] = time.perf_counter() - t

    stage("reading parcels", 1, _STAGES)
    t = time.perf_counter()
    raw = read_parcels(parcels, layer=layer, assume_crs=assume_crs)
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    pin = prepare_parcels(
        raw, land_use, id_field=id_field, use_field=use_field, name=Path(parcels).name
    )
    timings["validate"] = time.perf_counter() - t
    del raw

    stage("preparing restriction zones", 2, _STAGES)
    t = time.perf_counter()
    zones = load_zones(
        layers, catalogue=cat, land_use=land_use, tile_size=tile_size, cache=zones_cache
    )
    timings["load_zones"] = time.perf_counter() - t

    stage("checking parcels", 3, _STAGES)
    t = time.perf_counter()
    if engine == "dask":
        from almaty_scheme.check.dask_engine import check_parcels_dask

        result = check_parcels_dask(
            pin.frame,
            zones,
            near_m=near_m or None,
            with_overlap_geometry=with_overlap_geometry,
            scheduler=scheduler,
            workers=workers,
            npartitions=partitions,
        )
    else:
        result = check_parcels(
            pin.frame, zones, near_m=near_m or None, with_overlap_geometry=with_overlap_geometry
        )
    timings["check"] = time.perf_counter() - t
    for k, v in result.timings.items():
        if k != "total":
            timings[f"check.{k}"] = v
    pin.frame = pin.frame.iloc[:0]  # the result holds the parcels now: free the input copy

    inputs = {
        "parcels": str(parcels),
        "layer": layer,
        **pin.report,
        "use_aliases": str(use_aliases) if use_aliases else None,
        "near_m": near_m,
        "engine": engine,
        "scheduler": scheduler,
    }
    stage("summarising", 4, _STAGES)
    t = time.perf_counter()
    summary = summarise(result, zones=zones, inputs=inputs, timings=timings)
    summary["catalogue_version"] = cat.version
    timings["summary"] = time.perf_counter() - t
    stage("writing results", 5, _STAGES)
    t = time.perf_counter()
    written = write_results(
        result,
        out,
        summary=summary,
        issues=pin.issues,
        overwrite=overwrite,
        csv=csv,
        parquet=parquet,
    )
    timings["write"] = time.perf_counter() - t
    summary["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    stage("done", _STAGES, _STAGES)
    log.info("timings: %s", ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    return RunOutcome(result=result, summary=summary, paths=written)
