"""How a check runs: :class:`CheckOptions`, the check's counterpart of ``BuildOptions``.

One frozen object instead of a long list of keyword arguments: the CLI builds it from
its flags (``almaty-scheme check --near 300 --engine dask ...``), scripts build it
directly, and both engines read it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyproj

from almaty_scheme.check.engine import DEFAULT_NEAR_M
from almaty_scheme.check.zones import DEFAULT_TILE_SIZE_M
from almaty_scheme.errors import UsageError

ENGINES: tuple[str, ...] = ("local", "dask")
"""Execution engines: ``local`` (one process, compiled kernels on every core) and
``dask`` (spatial partitions on a ``dask.distributed`` cluster,
:mod:`~almaty_scheme.check.dask_engine`)."""

FAIL_ON: tuple[str, ...] = ("prohibited", "conditional")
"""Values of ``--fail-on``."""


@dataclass(frozen=True)
class CheckOptions:
    """Options of a parcel check (every field has the CLI's default).

    Attributes
    ----------
    id_field
        Parcel id column (``--id-field``); default ``parcel_id`` if present, else ids
        ``P000001``... are generated.
    use_field
        Intended-use column (``--use-field``): land-use class id, Russian name or alias.
    use_aliases
        YAML file mapping your use codes or names to class ids (``--use-aliases``).
    assume_crs
        CRS of the parcels when the file declares none (``--assume-crs``).
    layer
        Layer of a multi-layer parcels file (``--layer``).
    near_m
        Report ``near_<key>_m``, the distance to the nearest zone of each family within
        this many metres (``--near``); ``None`` or 0 disables it.
    with_overlap_geometry
        Keep the parcel ∩ zone polygons in ``parcel_hits`` (``--with-overlap-geometry``).
    csv, parquet
        Also write CSV / GeoParquet copies of the tables (``--csv``, ``--parquet``).
    overwrite
        Replace existing outputs (``--overwrite``).
    engine
        ``local`` or ``dask`` (:data:`ENGINES`, ``--engine``).
    catalogue_dir
        A rule catalogue folder instead of the shipped one (``--catalogue``).
    tile_size
        Tile size of the prepared zones, metres.
    scheduler, workers, partitions
        Dask scheduler address or scheduler file, LocalCluster worker processes, spatial
        partitions (``--scheduler``, ``--workers``, ``--partitions``; dask engine only).
    zones_cache
        Cache of the prepared zone geometry: ``True`` (default folder), a folder, or
        ``False`` (``--no-zones-cache``).
    allow_missing_layers
        Restriction layers the user accepts to be absent from the layers file
        (``--allow-missing-layers``); they are recorded in the summary and the parcels
        table's description. Any other missing layer refuses the run.
    dst_crs
        CRS of the written geometry (``--dst-crs``, e.g. ``EPSG:4326`` or
        ``EPSG:28413`` Pulkovo-1942); ``None`` keeps EPSG:32643. Areas and distances
        are always measured in EPSG:32643.
    """

    id_field: str | None = None
    use_field: str | None = None
    use_aliases: str | Path | None = None
    assume_crs: str | None = None
    layer: str | None = None
    near_m: float | None = DEFAULT_NEAR_M
    with_overlap_geometry: bool = False
    csv: bool = False
    parquet: bool = False
    overwrite: bool = False
    engine: str = "local"
    catalogue_dir: str | Path | None = None
    tile_size: float = DEFAULT_TILE_SIZE_M
    scheduler: str | None = None
    workers: int | None = None
    partitions: int | None = None
    zones_cache: bool | str | Path = True
    allow_missing_layers: tuple[str, ...] = ()
    dst_crs: str | None = None

    def validate(self) -> None:
        """Raise :class:`~almaty_scheme.errors.UsageError` for contradictory values: an
        unknown engine, dask options without ``engine="dask"``, a negative ``near_m``."""
        if self.engine not in ENGINES:
            raise UsageError(
                f"Unknown engine {self.engine!r}", [f"Use one of: {', '.join(ENGINES)}."]
            )
        if self.engine != "dask" and (self.scheduler or self.workers or self.partitions):
            raise UsageError(
                "--scheduler, --workers and --partitions need --engine dask",
                ["Add --engine dask, or drop those options."],
            )
        if self.near_m is not None and self.near_m < 0:
            raise UsageError("--near must be >= 0", ["Give a distance in metres, 0 to disable."])
        if self.dst_crs is not None:
            try:
                pyproj.CRS.from_user_input(self.dst_crs)
            except pyproj.exceptions.CRSError:
                raise UsageError(
                    f"Unknown --dst-crs {self.dst_crs!r}",
                    ["Give an EPSG code, e.g. --dst-crs EPSG:4326 or EPSG:28413."],
                ) from None

    @property
    def near(self) -> float | None:
        """The near threshold as the engines take it (``None`` when disabled)."""
        return self.near_m or None

    def but(self, **changes: Any) -> CheckOptions:
        """A copy with some fields changed (:func:`dataclasses.replace`)."""
        return replace(self, **changes)
