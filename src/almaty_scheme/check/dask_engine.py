"""The distributed check engine: spatial partitions of parcels on a Dask cluster.

How it runs (``almaty-scheme check ... --engine dask [--scheduler ADDRESS]``):

1. the parcels get their input row number (``_row``) and are partitioned *spatially*:
   sorted by dask-geopandas' Hilbert distance of their bounding-box centres and cut
   into contiguous runs (the parcels are in the client's memory already, so this is
   cheaper than a distributed ``spatial_shuffle``), so that each partition covers a
   compact area and touches few zone tiles;
2. the prepared zones (:class:`~almaty_scheme.check.zones.PreparedZones`, picklable)
   are scattered once to every worker (``Client.scatter(..., broadcast=True)``);
3. every partition runs the same core as the local engine,
   :func:`~almaty_scheme.check.engine.check_parcels` (rows are independent, so a
   partition's answer is the answer for its rows);
4. the partitions' results come back to the client and are put back in input order
   (parcels by ``_row``; hits by ``_row``, then zone order, as the local engine
   sorts them), then concatenated with :meth:`CheckResult.concat`.

The values are identical to the local engine's (categorical columns may list their
categories in another order: compare with :func:`~almaty_scheme.check.engine.plain`).
No scheduler is written here: a ``LocalCluster`` is started when no address is
given, otherwise the client connects to an existing ``dask.distributed`` scheduler
(see ``docs/dask.md`` for Kubernetes and SSH deployments).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from almaty_scheme.check.engine import CheckResult, check_parcels
from almaty_scheme.check.kernels import set_threads
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.zones import PreparedZones
from almaty_scheme.crs import WORKING_CRS, require_working_crs
from almaty_scheme.errors import UsageError

log = logging.getLogger(__name__)

ROW = "_row"
"""Column carrying each parcel's input position through the shuffle."""

DEFAULT_PARCELS_PER_PARTITION = 50_000
"""Partition size when none is given (a few seconds of work per partition)."""


def _import_dask() -> tuple[Any, Any]:
    """The optional ``dask`` extra: dask-geopandas' Hilbert distance and
    ``dask.distributed`` (a usage error naming the extra when absent)."""
    try:
        from dask import distributed
        from dask_geopandas.hilbert_distance import _hilbert_distance
    except ImportError as exc:  # pragma: no cover - the dask extra is a dependency of dev
        raise UsageError(
            "The dask engine needs dask, distributed and dask-geopandas",
            ["Install them: pip install 'almaty-scheme[dask]'."],
        ) from exc
    return _hilbert_distance, distributed


@contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None) -> Iterator[Any]:
    """A ``dask.distributed.Client``: connected to ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``, or a scheduler file path ending in ``.json``), or to a
    new ``LocalCluster`` with ``workers`` single-threaded worker processes (default:
    one per core). The local cluster is closed on exit; a remote one is left running.
    """
    _, distributed = _import_dask()
    if scheduler:
        if scheduler.endswith(".json"):
            client = distributed.Client(scheduler_file=scheduler)
        else:
            client = distributed.Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    cluster = distributed.LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _check_partition(
    part: gpd.GeoDataFrame,
    zones: PreparedZones,
    opts: CheckOptions,
    kernel_threads: int,
) -> CheckResult:
    """Run the core on one partition (on a worker); hits get the parcels' ``_row``.

    The returned parcels leave out their geometry (the client has it): less to send."""
    set_threads(kernel_threads)
    part = gpd.GeoDataFrame(part, geometry=part.geometry.name, crs=WORKING_CRS)
    res = check_parcels(  # the workers fill the cores: the near distances in turn
        part,
        zones,
        near_m=opts.near,
        with_overlap_geometry=opts.with_overlap_geometry,
        near_beside=False,
    )
    rows = res.parcels[ROW].to_numpy()
    pos = pd.Index(res.parcels["parcel_id"].astype(object)).get_indexer(
        res.hits["parcel_id"].astype(object)
    )
    res.hits.insert(0, ROW, rows[pos] if len(pos) else np.zeros(0, np.int64))
    res.parcels = pd.DataFrame(res.parcels.drop(columns=res.parcels.geometry.name))
    return res


def check_parcels_dask(
    parcels: gpd.GeoDataFrame,
    zones: PreparedZones,
    options: CheckOptions | None = None,
    *,
    client: Any = None,
    kernel_threads: int = 1,
) -> CheckResult:
    """:func:`~almaty_scheme.check.engine.check_parcels` on a Dask cluster.

    Parameters
    ----------
    parcels, zones
        As for :func:`~almaty_scheme.check.engine.check_parcels`.
    options
        :class:`~almaty_scheme.check.options.CheckOptions`: ``near_m`` and
        ``with_overlap_geometry`` as for the local engine; ``scheduler`` (address of a
        running scheduler, or a scheduler-file ``.json``; ``None`` starts a
        ``LocalCluster`` of ``workers`` processes for the call) and ``partitions``
        (spatial partitions; default one per :data:`DEFAULT_PARCELS_PER_PARTITION`
        parcels, at least two per worker).
    client
        An existing ``dask.distributed.Client`` (then ``scheduler``/``workers`` are
        ignored and the client is left open).
    kernel_threads
        Threads of the compiled kernels inside each task (1: one task per worker
        thread already uses the cores).

    Returns
    -------
    CheckResult
        In input order, with the same values as the local engine.
    """
    require_working_crs(parcels, name="parcels")
    opts = options or CheckOptions(engine="dask")
    if client is None:
        with dask_client(opts.scheduler, workers=opts.workers) as c:
            return check_parcels_dask(parcels, zones, opts, client=c, kernel_threads=kernel_threads)
    hilbert_distance, _ = _import_dask()
    t0 = time.perf_counter()
    n = len(parcels)
    frame = parcels.reset_index(drop=True)
    if ROW in frame.columns:
        raise UsageError(f"parcels have a column {ROW!r}", ["Rename it before the check."])
    frame = frame.assign(**{ROW: np.arange(n, dtype=np.int64)})
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    npartitions = opts.partitions
    if npartitions is None:
        npartitions = max(2 * n_workers, math.ceil(n / DEFAULT_PARCELS_PER_PARTITION))
    chunks = _spatial_chunks(frame, max(1, min(npartitions, max(n, 1))), hilbert_distance)
    zones_f = client.scatter(zones, broadcast=True)
    futures = [
        client.submit(_check_partition, c, zones_f, opts, kernel_threads, pure=False)
        for c in chunks
    ]
    parts: list[CheckResult] = client.gather(futures)
    parts = [p for p in parts if len(p.parcels)]
    if not parts:
        return check_parcels(
            parcels.iloc[:0],
            zones,
            near_m=opts.near,
            with_overlap_geometry=opts.with_overlap_geometry,
        )
    res = CheckResult.concat(parts, release=True)
    p_out, h_out = _in_input_order(res, frame.geometry)
    timings = dict(res.timings)
    timings["dask_total"] = time.perf_counter() - t0
    log.info(
        "dask engine: %d parcel(s) in %d partition(s) on %d worker(s), %.1f s",
        n,
        len(parts),
        n_workers,
        timings["dask_total"],
    )
    return CheckResult(
        parcels=gpd.GeoDataFrame(p_out, geometry=frame.geometry.name, crs=WORKING_CRS),
        hits=h_out,
        near_keys=res.near_keys,
        timings=timings,
    )


def _spatial_chunks(
    frame: gpd.GeoDataFrame, npartitions: int, hilbert_distance: Any
) -> list[gpd.GeoDataFrame]:
    """Spatial partitions: the parcels sorted along dask-geopandas' Hilbert curve and cut
    into ``npartitions`` contiguous runs (the parcels are in memory already, so sorting
    here is cheaper than a distributed shuffle). Null or empty geometries cannot be
    placed on the curve: they form their own partition."""
    present = frame.geometry.notna().to_numpy() & ~frame.geometry.is_empty.to_numpy()
    chunks: list[gpd.GeoDataFrame] = []
    if present.any():
        located = frame[present]
        hd = hilbert_distance(located, total_bounds=located.total_bounds, level=16)
        located = located.iloc[np.argsort(np.asarray(hd), kind="stable")]
        bounds = np.linspace(0, len(located), npartitions + 1).astype(int)
        chunks.extend(located.iloc[a:b] for a, b in pairwise(bounds) if b > a)
    if (~present).any():
        chunks.append(frame[~present])
    return chunks


def _in_input_order(res: CheckResult, geometry: gpd.GeoSeries) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The concatenated partitions back in input order: parcels by ``_row`` (with their
    input ``geometry`` put back, last), hits by ``_row`` then zone order."""
    order = np.argsort(res.parcels[ROW].to_numpy(), kind="stable")
    p_out = pd.DataFrame(res.parcels).iloc[order].drop(columns=ROW).reset_index(drop=True)
    geom_name = geometry.name
    p_out[geom_name] = geometry.to_numpy()  # rows are in input order again
    p_out = p_out[[c for c in p_out.columns if c != geom_name] + [geom_name]]
    h = res.hits
    h_order = np.argsort(h[ROW].to_numpy(), kind="stable")  # zone order kept within a parcel
    h_out = h.iloc[h_order].drop(columns=ROW).reset_index(drop=True)
    return p_out, h_out
