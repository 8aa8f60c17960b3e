"""The public API for analysts' scripts: build layers, check parcels, read the catalogue.

Everything here is re-exported by :mod:`almaty_scheme` (``almaty_scheme.build(...)``,
``almaty_scheme.check(...)``...); the functions wrap the same library code the CLI
runs, so a script and ``almaty-scheme build`` / ``check`` give the same answers.

>>> import almaty_scheme as asch                                     # doctest: +SKIP
>>> result = asch.build("../shared/data", "out/almaty_scheme.gpkg")  # doctest: +SKIP
>>> outcome = asch.check(parcels_gdf, "out/almaty_scheme.gpkg",
...                      options=asch.CheckOptions(use_field="use"))  # doctest: +SKIP
>>> outcome.parcels.verdict.value_counts()                           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd

from almaty_scheme.base.model import BaseData, LayerProvenance
from almaty_scheme.build import BuildOptions, BuildResult, build_layers, load_base, write_build
from almaty_scheme.catalogue.loader import Catalogue, default_catalogue, load_catalogue
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.run import RunOutcome, run_check
from almaty_scheme.crs import to_working_crs
from almaty_scheme.resources import default_data_dir

USER_SOURCE = "user data (Python API)"
"""The ``source`` recorded for base layers given as GeoDataFrames."""


def catalogue(path: str | Path | None = None) -> Catalogue:
    """The rule catalogue: every width, distance and regime of the scheme as data.

    Parameters
    ----------
    path
        A catalogue folder (a copy of ``layers/`` with your readings); ``None`` for the
        shipped one.

    Returns
    -------
    Catalogue
        Iterable over :class:`~almaty_scheme.catalogue.models.Rule`; ``cat.get(rule_id)``
        gives one rule (value in metres, semantics, regime, source quote and lines).

    Raises
    ------
    CatalogueError
        Listing every problem of every file (file, rule and field).
    """
    return default_catalogue() if path is None else load_catalogue(path)


def base_data(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    source: str = USER_SOURCE,
    accuracy: str = "as given",
    dem: str | Path | None = None,
) -> BaseData:
    """Base data made from GeoDataFrames, e.g. a single road centreline to buffer.

    Parameters
    ----------
    layers
        Base layer name (``roads``, ``rivers``, ``boundary``, ``gas_pipelines``...; see
        :data:`almaty_scheme.base.model.BASE_LAYERS`) -> features in any declared CRS
        (reprojected to EPSG:32643; never buffered in degrees). Columns the layer does
        not have are added empty; ``rule_ids`` on a feature ties it to catalogue rules.
    source, accuracy
        Provenance written on every feature built from these layers.
    dem
        A DEM GeoTIFF (elevation belts); ``None``: none.

    Raises
    ------
    KeyError
        An unknown base layer name.
    CRSError
        A layer without a CRS.
    """
    base = BaseData(dem_path=Path(dem) if dem is not None else None)
    for name, gdf in layers.items():
        base.set(
            name,
            to_working_crs(gdf, name=name),
            LayerProvenance(name, "loaded", source, accuracy=accuracy),
        )
    return base


def build(
    data: str | Path | None = None,
    out: str | Path | None = None,
    *,
    base: BaseData | Mapping[str, gpd.GeoDataFrame] | None = None,
    user_layers: Mapping[str, str | Path] | None = None,
    field_map: str | Path | None = None,
    catalogue: Catalogue | None = None,
    options: BuildOptions | None = None,
    overwrite: bool = False,
) -> BuildResult:
    """Build the restriction layers (what ``almaty-scheme build`` does).

    Wraps :func:`~almaty_scheme.build.load_base`, :func:`~almaty_scheme.build.build_layers`
    and :func:`~almaty_scheme.build.write_build`. Every width is applied as the catalogue
    states it (``total`` widths split about the centreline with flat ends, ``per_side``
    widths measured from the reference), in EPSG:32643.

    Parameters
    ----------
    data
        Folder of the reference open data (default ``../shared/data``); not read when
        ``base`` is given.
    out
        GeoPackage to write (with the build report beside it); ``None`` keeps the layers
        in memory only.
    base
        The base data instead of ``data``: a :class:`~almaty_scheme.base.model.BaseData`,
        or GeoDataFrames by base layer name (see :func:`base_data`).
    user_layers, field_map
        Your base layers by name (files) and their field map, as ``--base-layer`` and
        ``--field-map`` (only with ``data``).
    catalogue
        The rule catalogue (default: shipped; see :func:`catalogue`).
    options
        Build choices (:class:`~almaty_scheme.build.BuildOptions`).
    overwrite
        Replace an existing ``out``.

    Returns
    -------
    BuildResult
        ``layers`` (layer name -> GeoDataFrame), ``build_info``, notes and figures.

    Raises
    ------
    DataError, CRSError, CatalogueError, OutputExistsError
        Unusable inputs, or ``out`` exists without ``overwrite``.
    """
    cat = catalogue if catalogue is not None else default_catalogue()
    if base is None:
        data = data if data is not None else default_data_dir()  # as the CLI does
        loaded, notes = load_base(data, user_layers=user_layers, field_map=field_map, catalogue=cat)
        result = build_layers(cat, loaded, options, extra_notes=notes, data_dir=data)
    else:
        given = base if isinstance(base, BaseData) else base_data(base)
        result = build_layers(cat, given, options, data_dir=data)
    if out is not None:
        write_build(result, out, overwrite=overwrite)
    return result


def check(
    parcels: str | Path | gpd.GeoDataFrame,
    layers: str | Path,
    out: str | Path | None = None,
    *,
    options: CheckOptions | None = None,
) -> RunOutcome:
    """Check parcels against built restriction layers (what ``almaty-scheme check`` does).

    Every parcel gets its overlaps with each restriction zone (area, share, distance to
    the zone's source, rule and citation), the regime for its intended use, a verdict
    (``prohibited``, ``conditional``, ``clear``, ``outside``, ``invalid_input``) and a
    one-line explanation in Russian and English. Areas and distances are measured in
    EPSG:32643.

    Parameters
    ----------
    parcels
        A vector file, or a GeoDataFrame in any declared CRS (kept in memory).
    layers
        A GeoPackage written by :func:`build` or ``almaty-scheme build``.
    out
        Result GeoPackage (``.gpkg``) or GeoParquet (``.parquet``) with the summary
        JSON beside it; ``None`` writes nothing.
    options
        :class:`~almaty_scheme.check.options.CheckOptions` (id and use columns, near
        distance, overwrite...).

    Returns
    -------
    RunOutcome
        ``parcels`` (GeoDataFrame: every input parcel once, in input order, with its
        verdict columns), ``hits`` (one row per parcel x zone; a GeoDataFrame with
        ``with_overlap_geometry``), ``issues`` (input problems), ``summary`` (dict) and
        ``paths`` (files written).

    Raises
    ------
    UsageError, DataError, CRSError, CatalogueError
        Bad options or columns, unusable parcels or layers.
    """
    return run_check(parcels, layers=layers, out=out, options=options)


__all__ = [
    "USER_SOURCE",
    "base_data",
    "build",
    "catalogue",
    "check",
]
