"""The working CRS and reprojection rules.

All computation and every output of almaty-scheme is in :data:`WORKING_CRS`
(EPSG:32643, WGS 84 / UTM zone 43N), a metric CRS covering the agglomeration
(lon 75.9-78.4 E lies across the 43N/44N boundary at 78 E; the scale error at
78.4 E is below 0.1 %, far under the accuracy of any base data used here).

Data in other CRSs is reprojected explicitly on read; data with no CRS is refused
unless the caller names the CRS to assume. Buffers are never computed in degrees.
"""

from __future__ import annotations

import logging
from typing import TypeVar

import geopandas as gpd
from pyproj import CRS

from almaty_scheme.errors import CRSError

log = logging.getLogger(__name__)

WORKING_EPSG = 32643
WORKING_CRS = CRS.from_epsg(WORKING_EPSG)

GeoT = TypeVar("GeoT", gpd.GeoDataFrame, gpd.GeoSeries)


def parse_crs(value: str | int | CRS) -> CRS:
    """Parse a user-given CRS (``"EPSG:28473"``, ``32643``, WKT, PROJ string).

    Raises
    ------
    CRSError
        If pyproj cannot understand ``value``.
    """
    try:
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj raises CRSError or ValueError
        raise CRSError(
            f"Cannot understand the CRS {value!r}",
            [f"Give an EPSG code such as 'EPSG:32643' or a WKT/PROJ string ({exc})."],
        ) from exc


def to_working_crs(
    data: GeoT,
    *,
    name: str = "dataset",
    assume_crs: str | int | CRS | None = None,
) -> GeoT:
    """Return ``data`` in the working CRS, reprojecting explicitly if needed.

    Parameters
    ----------
    data
        GeoDataFrame or GeoSeries.
    name
        How to call the dataset in error messages (usually its file name).
    assume_crs
        CRS to assign when ``data`` has none. Never overrides a declared CRS.

    Raises
    ------
    CRSError
        If ``data`` has no CRS and ``assume_crs`` is not given.
    """
    crs = data.crs
    if crs is None:
        if assume_crs is None:
            raise CRSError(
                f"{name} has no coordinate reference system",
                [
                    f"Add a .prj / CRS to {name}, or pass --assume-crs "
                    "(for example --assume-crs EPSG:4326 for lon/lat, EPSG:32643 for UTM 43N)."
                ],
            )
        data = data.set_crs(parse_crs(assume_crs))
        log.info("%s: no CRS declared, assuming %s", name, data.crs.to_string())
    if CRS.from_user_input(data.crs) == WORKING_CRS:
        return data
    log.info("%s: reprojecting from %s to EPSG:%d", name, data.crs.to_string(), WORKING_EPSG)
    return data.to_crs(WORKING_CRS)


def require_working_crs(data: gpd.GeoDataFrame | gpd.GeoSeries, *, name: str = "dataset") -> None:
    """Raise :class:`CRSError` unless ``data`` is already in the working CRS.

    Pure geometric functions call this instead of reprojecting silently.
    """
    if data.crs is None or CRS.from_user_input(data.crs) != WORKING_CRS:
        got = "no CRS" if data.crs is None else data.crs.to_string()
        raise CRSError(
            f"{name} must be in EPSG:{WORKING_EPSG} (WGS 84 / UTM 43N), got {got}",
            [f"Reproject it first with almaty_scheme.crs.to_working_crs({name})."],
        )
