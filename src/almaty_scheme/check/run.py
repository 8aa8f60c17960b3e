"""One call for a whole check run: read, validate, check, summarise, write.

This is what ``almaty-scheme check`` and :func:`almaty_scheme.check` call. Its stages,
in order: the options and output paths are checked (:func:`_check_outputs`, before any
work), the catalogue and land-use classes are loaded (:func:`_rules`), the parcels are
read and validated (:func:`_parcel_input`; a GeoDataFrame is taken as it is), the
zones are prepared (:func:`~almaty_scheme.check.zones.load_zones`), the engine runs
(:func:`_run_engine`), the summary is made and, when ``out`` is given, everything is
written (:func:`~almaty_scheme.check.output.write_results`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa

from almaty_scheme import settings
from almaty_scheme.catalogue.loader import Catalogue, default_catalogue, load_catalogue
from almaty_scheme.check.dask_engine import check_parcels_dask
from almaty_scheme.check.engine import CheckResult, check_parcels, emptied
from almaty_scheme.check.gpkg_out import SIDE_WRITER_MIN_ROWS, stored_once
from almaty_scheme.check.inputs import ParcelInput, prepare_parcels, read_parcels_wkb
from almaty_scheme.check.kernels import set_threads
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.output import (
    OUT_SUFFIXES,
    SUMMARY_HIT_COLUMNS,
    ResultWriter,
    output_paths,
    summarise,
    summary_part,
    summary_whole,
)
from almaty_scheme.check.preflight import check_column_count, input_files
from almaty_scheme.check.regime import LandUse, land_use_from_catalogue, load_use_aliases
from almaty_scheme.check.zones import (
    PreparedZones,
    layers_file_layers,
    load_zones,
    start_kernel_runtime,
)
from almaty_scheme.errors import UsageError
from almaty_scheme.io.outset import OutputSet
from almaty_scheme.io.readers import row_count
from almaty_scheme.io.writer_pool import discard_prestarted, prestart
from almaty_scheme.logs import NOTICE
from almaty_scheme.memory import release_free_memory
from almaty_scheme.progress import stage

log = logging.getLogger(__name__)

IN_MEMORY = "<GeoDataFrame>"
"""What the summary's ``inputs.parcels`` says when the parcels were a GeoDataFrame."""


@dataclass
class RunOutcome:
    """What a run produced.

    Attributes
    ----------
    result
        The checked parcels (``result.parcels``, a GeoDataFrame) and their hits
        (``result.hits``).
    summary
        The summary (what ``<out>.summary.json`` holds).
    paths
        Files written, by kind (empty when no ``out`` was given).
    issues
        One row per input problem found and how it was handled
        (the ``parcel_input_issues`` table).
    """

    result: CheckResult
    summary: dict[str, Any]
    paths: dict[str, Path]
    issues: pd.DataFrame

    @property
    def parcels(self) -> gpd.GeoDataFrame:
        """Every input parcel once, in input order, with the verdict columns."""
        return self.result.parcels

    @property
    def hits(self) -> pd.DataFrame:
        """One row per parcel x zone feature touched (a GeoDataFrame with the overlap
        geometry when ``with_overlap_geometry``)."""
        return self.result.hits


def failing(summary: dict[str, Any], fail_on: str | None) -> bool:
    """Whether ``--fail-on`` is triggered: any ``prohibited`` parcel (for ``prohibited``),
    any ``prohibited`` or ``conditional`` parcel (for ``conditional``)."""
    if fail_on is None:
        return False
    bv = summary["by_verdict"]
    if fail_on == "prohibited":
        return bool(bv.get("prohibited", 0))
    return bool(bv.get("prohibited", 0) or bv.get("conditional", 0))


_STAGES = 6
"""Coarse stages of a run, reported by :func:`~almaty_scheme.progress.stage`."""

CHUNK_ROWS = 250_000
"""Parcels checked at a time when the results GeoPackage is streamed by a run that keeps
no result (:func:`_check_streamed`)."""


@dataclass(frozen=True)
class ZoneFacts:
    """What the summary needs of the prepared zones, kept when the zones themselves are
    let go after the check (see :func:`run_check`)."""

    build_info: dict[str, Any]
    path: str | None
    missing_layers: tuple[str, ...]

    @classmethod
    def of(cls, zones: PreparedZones) -> ZoneFacts:
        """The facts of ``zones``."""
        return cls(dict(zones.build_info), zones.path, tuple(zones.missing_layers))


@contextmanager
def _timed(timings: dict[str, float], name: str, done: str | None = None) -> Iterator[None]:
    """Time the block into ``timings[name]``; log ``check: <done> in X s`` (the one
    line per finished step shown by default) when ``done`` is given and it succeeds."""
    t = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = time.perf_counter() - t
    if done:
        log.log(NOTICE, "check: %s in %.1f s", done, timings[name])


def run_check(
    parcels: str | Path | gpd.GeoDataFrame,
    *,
    layers: str | Path,
    out: str | Path | None = None,
    options: CheckOptions | None = None,
    keep_result: bool = True,
) -> RunOutcome:
    """Check parcels against a built GeoPackage; write the results when ``out`` is given.

    Parameters
    ----------
    parcels
        A vector file (any format the readers know, any declared CRS), or a
        GeoDataFrame in any CRS (reprojected to EPSG:32643; ``options.assume_crs`` when
        it has none).
    layers
        The built restriction-layer GeoPackage (never modified).
    out
        Result GeoPackage (``.gpkg``) or GeoParquet base name (``.parquet``), with the
        summary JSON beside it; ``None`` keeps everything in memory.
    options
        :class:`~almaty_scheme.check.options.CheckOptions` (default: the CLI's defaults).
    keep_result
        ``False``: the caller needs the outcome's summary and paths only (the CLI), so
        what has been written is let go as the run goes, for a lower peak memory: when
        the parcels were read from a file and go to a results GeoPackage, each slice's
        geometries once sent (null in ``outcome.parcels``) and the hits once summarised
        (``outcome.hits`` empty); GeoParquet parcels are encoded slice by slice, each
        slice's geometries let go. A GeoDataFrame given as ``parcels`` is never
        modified.

    Raises
    ------
    UsageError
        Bad option values, unknown columns, existing outputs without ``overwrite``.
    DataError, CRSError, CatalogueError
        Unusable parcels, layers or catalogue.
    """
    opts = options or CheckOptions()
    opts.validate()
    _check_outputs(parcels, layers, out, opts)
    # the results GeoPackage's writer processes start while the parcels are read
    prestart(_writers_ahead(parcels, out, opts))
    try:
        return _checked(parcels, layers, out, opts, keep_result)
    finally:
        discard_prestarted()


def _checked(
    parcels: str | Path | gpd.GeoDataFrame,
    layers: str | Path,
    out: str | Path | None,
    opts: CheckOptions,
    keep_result: bool,
) -> RunOutcome:
    """:func:`run_check` once its options and outputs are checked."""
    layers_file_layers(Path(layers), opts.allow_missing_layers)  # before reading any parcel
    timings: dict[str, float] = {}
    stage("loading the rule catalogue", 0, _STAGES)
    with _timed(timings, "catalogue"):
        cat, land_use = _rules(opts)
    stage("reading parcels", 1, _STAGES)
    if opts.engine != "dask":
        start_kernel_runtime()  # numba's runtime starts while the parcels are read
    pin = _parcel_input(parcels, land_use, opts, timings)
    log.log(NOTICE, "check: read and validated %d parcel(s) in %.1f s", len(pin.frame),
            timings.get("read", 0.0) + timings.get("validate", 0.0))  # fmt: skip
    if out is not None and Path(out).suffix.lower() == ".gpkg":
        check_column_count(pin.frame, out)
    written: dict[str, Path] = {}
    # parcels read here are ours to let go once written (keep_result=False)
    release = not keep_result and not isinstance(parcels, gpd.GeoDataFrame)
    with _writer(parcels, layers, out, opts, pin, release) as writer:
        if writer is not None and opts.engine != "dask":  # written while the zones load
            writer.begin_geometry(pin.frame)
        stage("preparing restriction zones", 2, _STAGES)
        zones = _zones(layers, cat, land_use, opts, timings)
        log.log(NOTICE, "check: prepared the restriction zones in %.1f s", timings["load_zones"])
        stage("checking parcels", 3, _STAGES)
        chunked = release and writer is not None and writer.streams and opts.engine != "dask"
        empty_hits: pd.DataFrame | None = None
        if chunked:
            assert writer is not None
            result, empty_hits = _check_streamed(pin.frame, zones, opts, writer, timings, pin.wkb)
        else:
            with _timed(timings, "check", "checked the parcels"):
                # GeoParquet: the hits are written while the parcels are explained
                on_hits = writer.start_hits if writer is not None else None
                result = _run_engine(pin.frame, zones, opts, pin.wkb, on_hits)
        timings.update({f"check.{k}": v for k, v in result.timings.items() if k != "total"})
        pin.frame = emptied(pin.frame)  # the result holds the parcels now
        facts = ZoneFacts.of(zones)
        del zones  # tiles, masks and outlines (~100 MB at 10^6): writing is the peak
        release_free_memory()
        stage("summarising", 4, _STAGES)
        if not chunked:
            with _timed(timings, "write.stream"):
                if writer is not None:  # the writer process starts on the parcels meanwhile
                    writer.add(result)
                    # GeoParquet: both files written while summarising, the parcels'
                    # geometry as the file stored it when it is theirs (pin.wkb)
                    writer.start(result, wkb=pin.wkb)
                    release_free_memory()
            empty_hits = _narrow_hits(result) if release and writer and writer.streamed else None
        with _timed(timings, "summary"):
            summary = _summary(parcels, result, facts, cat, pin, opts, timings)
        if empty_hits is not None:  # summarised and written: let go
            result.hits = empty_hits
            release_free_memory()
        if writer is not None:
            stage("writing results", 5, _STAGES)
            with _timed(timings, "write"):
                written = writer.finish(result, summary=summary, issues=pin.issues)
            timings["write"] += timings["write.stream"]
            log.log(NOTICE, "check: wrote the results in %.1f s", timings["write"])
    stage("done", _STAGES, _STAGES)
    summary["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    log.info("timings: %s", ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    return RunOutcome(result=result, summary=summary, paths=written, issues=pin.issues)


def _check_streamed(
    frame: gpd.GeoDataFrame,
    zones: PreparedZones,
    opts: CheckOptions,
    writer: ResultWriter,
    timings: dict[str, float],
    wkb: pa.ChunkedArray | None = None,
) -> tuple[CheckResult, pd.DataFrame]:
    """The local engine on :data:`CHUNK_ROWS` parcels at a time, each chunk sent to the
    writer processes as soon as it is checked, so that GDAL writes one chunk while the
    next is checked (the cores are otherwise half idle in the check's single-threaded
    steps); the engine's values do not depend on the chunks (every parcel is checked on
    its own). Returns what the summary reads of the whole result
    (:func:`~almaty_scheme.check.output.summary_whole`) and the hits emptied (every
    column, no row: what a run that keeps no result gives back)."""
    set_threads(settings.current().numba_threads)
    parts: list[CheckResult] = []
    empty_hits: pd.DataFrame | None = None
    t_check = t_send = 0.0
    for a in range(0, len(frame), CHUNK_ROWS):
        t = time.perf_counter()
        part = check_parcels(
            frame.iloc[a : a + CHUNK_ROWS],
            zones,
            near_m=opts.near,
            with_overlap_geometry=opts.with_overlap_geometry,
            wkb=wkb.slice(a, CHUNK_ROWS) if wkb is not None else None,
            near_beside=False,  # the writer processes have the other core
        )
        t_check += time.perf_counter() - t
        t = time.perf_counter()
        writer.add(part)
        if empty_hits is None:
            empty_hits = emptied(part.hits)
        parts.append(summary_part(part, a))
        del part
        release_free_memory()
        t_send += time.perf_counter() - t
    writer.end_chunks()  # the writers finish while the summary is made
    timings["check"], timings["write.stream"] = t_check, t_send
    log.log(NOTICE, "check: checked the parcels in %.1f s", t_check)
    assert empty_hits is not None  # streamed sets have at least one parcel
    return summary_whole(parts), empty_hits


def _narrow_hits(result: CheckResult) -> pd.DataFrame:
    """Keep only the hits' columns the summary reads (the writers have the hits); return
    the hits emptied, with every column, for the outcome once summarised."""
    empty = emptied(result.hits)
    keep = [c for c in result.hits.columns if c in SUMMARY_HIT_COLUMNS]
    result.hits = result.hits[keep]
    release_free_memory()
    return empty


def _check_outputs(
    parcels: str | Path | gpd.GeoDataFrame,
    layers: str | Path,
    out: str | Path | None,
    opts: CheckOptions,
) -> None:
    """Check the files a run will write before any work: a known suffix, no input
    replaced, nothing existing replaced without ``overwrite``."""
    if out is None:
        if opts.csv or opts.parquet:
            raise UsageError(
                "csv and parquet copies need an output path", ["Give out=... as well."]
            )
        return
    if Path(out).suffix.lower() not in OUT_SUFFIXES:
        raise UsageError(
            f"--out {out} must end in one of {', '.join(OUT_SUFFIXES)}",
            [
                "For example --out results.gpkg (GeoPackage with every table), "
                "--out results.parquet (GeoParquet files, fastest), or results.fgb, "
                "results.geojson, results.shp (parcels layer; hits in results.hits.csv)."
            ],
        )
    paths = output_paths(
        out,
        csv=opts.csv,
        parquet=opts.parquet,
        hits_geometry=opts.with_overlap_geometry,
    )
    OutputSet(
        paths, inputs=_inputs_read(parcels, layers, opts), overwrite=opts.overwrite
    ).preflight()


def _inputs_read(
    parcels: str | Path | gpd.GeoDataFrame, layers: str | Path, opts: CheckOptions
) -> tuple[Path, ...]:
    """Every file the run reads (no output may replace one of them)."""
    pfile = None if isinstance(parcels, gpd.GeoDataFrame) else parcels
    return input_files(pfile, layers, opts.use_aliases, opts.catalogue_dir)


def _rules(opts: CheckOptions) -> tuple[Catalogue, LandUse]:
    """The rule catalogue (shipped or ``catalogue_dir``) and its land-use classes, with
    the user's aliases merged in."""
    cat = (
        load_catalogue(opts.catalogue_dir)
        if opts.catalogue_dir is not None
        else default_catalogue()
    )
    land_use = land_use_from_catalogue(cat)
    if opts.use_aliases is not None:
        land_use = land_use.with_aliases(load_use_aliases(opts.use_aliases, land_use))
    return cat, land_use


def _parcel_input(
    parcels: str | Path | gpd.GeoDataFrame,
    land_use: LandUse,
    opts: CheckOptions,
    timings: dict[str, float],
) -> ParcelInput:
    """Read (unless already a GeoDataFrame), validate, repair and flag the parcels."""
    wkb = None
    if isinstance(parcels, gpd.GeoDataFrame):
        raw, name, assume, settled = parcels, "parcels", opts.assume_crs, False
        timings["read"] = 0.0
    else:
        with _timed(timings, "read"):
            read = read_parcels_wkb(parcels, layer=opts.layer, assume_crs=opts.assume_crs)
        raw, wkb = read.frame, read.wkb
        name, assume, settled = Path(parcels).name, None, True  # the reader settled the CRS
    with _timed(timings, "validate"):
        return prepare_parcels(
            raw,
            land_use,
            id_field=opts.id_field,
            use_field=opts.use_field,
            assume_crs=assume,
            name=name,
            crs_checked=settled,
            wkb=wkb,
        )


def _zones(
    layers: str | Path,
    cat: Catalogue,
    land_use: LandUse,
    opts: CheckOptions,
    timings: dict[str, float],
) -> PreparedZones:
    """:func:`~almaty_scheme.check.zones.load_zones` for the run, timed."""
    with _timed(timings, "load_zones"):
        return load_zones(
            layers,
            catalogue=cat,
            land_use=land_use,
            tile_size=opts.tile_size,
            cache=opts.zones_cache,
            allow_missing=opts.allow_missing_layers,
        )


def _writers_ahead(
    parcels: str | Path | gpd.GeoDataFrame, out: str | Path | None, opts: CheckOptions
) -> int:
    """How many GeoPackage writer processes the run will start, as far as the parcels'
    count is known before reading them (:func:`~almaty_scheme.io.readers.row_count`):
    two for a streamed results GeoPackage (see :func:`_writer`), one for the hits of
    one written in this process (:data:`~almaty_scheme.check.gpkg_out.SIDE_WRITER_MIN_ROWS`;
    it writes the parcels' geometries first, :meth:`~almaty_scheme.check.output.ResultWriter.begin_geometry`),
    none for other outputs, small inputs or the Dask engine (its workers take the cores)."""
    if out is None or Path(out).suffix.lower() != ".gpkg" or opts.engine == "dask":
        return 0
    if isinstance(parcels, gpd.GeoDataFrame):
        n: int | None = len(parcels)
    else:
        n = row_count(parcels, layer=opts.layer)
    if n is None or n < SIDE_WRITER_MIN_ROWS:
        return 0
    # ResultWriter streams a results GeoPackage without copies in other formats
    return 2 if _streamed(n) and not opts.csv and not opts.parquet else 1


def _streamed(n: int) -> bool:
    """Whether a results GeoPackage of ``n`` parcels goes to writer processes chunk by
    chunk (``ALMATY_SCHEME_STREAM_MIN_ROWS``; see :func:`_writer`)."""
    least = settings.current().stream_min_rows
    return least is not None and n >= least


@contextmanager
def _writer(
    parcels: str | Path | gpd.GeoDataFrame,
    layers: str | Path,
    out: str | Path | None,
    opts: CheckOptions,
    pin: ParcelInput,
    release: bool = False,
) -> Iterator[ResultWriter | None]:
    """The run's output set (``None`` without ``out``); a results GeoPackage of at least
    ``ALMATY_SCHEME_STREAM_MIN_ROWS`` parcels (200 000) is streamed to writer
    processes (fewer: writer processes cost more than they save; at 10^5 parcels the
    check took 0.3-0.6 s less in its own process, at 3 x 10^5 about as long)."""
    if out is None:
        yield None
        return
    stream = _streamed(len(pin.frame))
    with ResultWriter(
        out,
        csv=opts.csv,
        parquet=opts.parquet,
        inputs=_inputs_read(parcels, layers, opts),
        overwrite=opts.overwrite,
        dst_crs=opts.dst_crs,
        hits_geometry=opts.with_overlap_geometry,
        stream=stream,
        copies=stored_once(pin.frame) if stream else None,
        release=release,
    ) as writer:
        yield writer


def _run_engine(
    frame: gpd.GeoDataFrame,
    zones: PreparedZones,
    opts: CheckOptions,
    wkb: pa.ChunkedArray | None = None,
    on_hits: Callable[[pd.DataFrame], None] | None = None,
) -> CheckResult:
    """The check itself, on this machine (compiled kernels on every core, or
    ``ALMATY_SCHEME_NUMBA_THREADS``; the rings read from ``wkb`` when given, the hits
    table handed to ``on_hits`` once made) or on a Dask cluster."""
    if opts.engine == "dask":
        return check_parcels_dask(frame, zones, opts)
    set_threads(settings.current().numba_threads)
    return check_parcels(
        frame,
        zones,
        near_m=opts.near,
        with_overlap_geometry=opts.with_overlap_geometry,
        wkb=wkb,
        on_hits=on_hits,
    )


def _summary(
    parcels: str | Path | gpd.GeoDataFrame,
    result: CheckResult,
    zones: ZoneFacts,
    cat: Catalogue,
    pin: ParcelInput,
    opts: CheckOptions,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The run's summary (:func:`~almaty_scheme.check.output.summarise`) with its inputs
    and the catalogue version."""
    inputs = {
        "parcels": IN_MEMORY if isinstance(parcels, gpd.GeoDataFrame) else str(parcels),
        "layer": opts.layer,
        **pin.report,
        "use_aliases": str(opts.use_aliases) if opts.use_aliases else None,
        "near_m": opts.near_m,
        "engine": opts.engine,
        "scheduler": opts.scheduler,
    }
    summary = summarise(result, inputs=inputs, timings=timings)
    summary["catalogue_version"] = cat.version
    summary["build_info"] = dict(zones.build_info)
    summary["layers"] = zones.path
    summary["layers_missing"] = list(zones.missing_layers)
    return summary
