"""GeoPackage writing: several layers in one file, atomically."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pyogrio

from almaty_scheme.crs import require_working_crs
from almaty_scheme.io.atomic import atomic_path

log = logging.getLogger(__name__)


def write_layers(
    path: str | Path,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    overwrite: bool = False,
    finalize: Callable[[Path], None] | None = None,
    require_metric: bool = True,
    geometry_types: Mapping[str, str] | None = None,
    write_options: Mapping[str, object] | None = None,
    config: Mapping[str, str] | None = None,
) -> Path:
    """Write ``layers`` (name -> GeoDataFrame) into one GeoPackage, atomically.

    Empty layers are written too (with their schema), so that a consumer always finds
    every layer it expects. ``finalize(tmp_path)`` runs on the temporary file before
    the rename (e.g. to embed styles in ``layer_styles``). ``write_options`` are passed
    to ``pyogrio.write_dataframe`` for every layer (e.g. ``use_arrow=True``). ``config``
    are GDAL configuration options set while the layers are written (and restored
    after), e.g. ``OGR_SQLITE_CACHE``.
    """
    with atomic_path(path, overwrite=overwrite) as tmp, gdal_config(config or {}):
        for name, gdf in layers.items():
            if require_metric:
                require_working_crs(gdf, name=name)
            kwargs: dict[str, object] = dict(write_options or {})
            if len(gdf) == 0:
                kwargs["geometry_type"] = (geometry_types or {}).get(name, "MultiPolygon")
            if not tmp.exists():
                # GeoPackage 1.2: read without warnings by QGIS 3.22 / GDAL 3.6 (Debian 12)
                kwargs["dataset_options"] = {"VERSION": "1.2"}
            pyogrio.write_dataframe(
                gdf, tmp, layer=name, driver="GPKG", append=tmp.exists(), **kwargs
            )
            log.debug("wrote layer %s (%d features)", name, len(gdf))
        if finalize is not None:
            finalize(tmp)
    return Path(path)


@contextlib.contextmanager
def gdal_config(options: Mapping[str, str]) -> Iterator[None]:
    """Set GDAL configuration options for the block; restore the previous values after.

    GDAL's options are process-wide: the block should not run beside other GDAL work
    that must not see them.
    """
    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(dict(options))
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)
