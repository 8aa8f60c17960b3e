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
import numpy as np
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
    bounds: np.ndarray | None = None,
) -> GeoT:
    """Return ``data`` in the working CRS, reprojecting explicitly if needed.

    Parameters
    ----------
    data
        GeoDataFrame or GeoSeries.
    name
        How to call the dataset in error messages (usually its file name).
    assume_crs
        CRS to assign when ``data`` has none, or when the declared CRS is impossible for
        the coordinates (:func:`coordinate_problem`); never overrides a plausible one.
    bounds
        ``data``'s total bounds when the caller has them (see :func:`coordinate_problem`).

    Raises
    ------
    CRSError
        If ``data`` has no CRS and ``assume_crs`` is not given, or its coordinates are
        impossible for its CRS (degrees declared as metres, swapped axes, metres
        declared as degrees) and no ``assume_crs`` fixes that.
    """
    crs = data.crs
    problem = coordinate_problem(data, bounds) if crs is not None else None
    if problem is not None and assume_crs is not None:
        assumed = parse_crs(assume_crs)
        log.warning("%s: %s; using --assume-crs %s instead", name, problem, assumed.to_string())
        data = data.set_crs(assumed, allow_override=True)
        crs = data.crs
        problem = coordinate_problem(data, bounds)
    if problem is not None:
        raise CRSError(
            f"{name}: {problem}",
            [
                "Fix the CRS declared by the file (QGIS: Layer > Set CRS, then re-export), "
                "or pass --assume-crs with the CRS the coordinates are really in (for example "
                "--assume-crs EPSG:4326 for lon/lat degrees, EPSG:32643 for UTM 43N metres)."
            ],
        )
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


REGION_LONLAT: tuple[float, float, float, float] = (46.0, 40.0, 88.0, 56.0)
"""Kazakhstan, roughly (lon/lat bounds): where data for this toolkit can lie. Used only to
tell degrees from metres and swapped axes apart, never to refuse data elsewhere."""


def _meets_region(xmin: float, ymin: float, xmax: float, ymax: float) -> bool:
    rx0, ry0, rx1, ry1 = REGION_LONLAT
    return xmin <= rx1 and xmax >= rx0 and ymin <= ry1 and ymax >= ry0


def coordinate_problem(
    data: gpd.GeoDataFrame | gpd.GeoSeries, bounds: np.ndarray | None = None
) -> str | None:
    """What is impossible about the coordinates for the declared CRS, or ``None``.

    * geographic CRS, values beyond +-180 / +-90: metres declared as degrees (a UTM
      layer labelled EPSG:4326 used to overflow while tiling);
    * geographic CRS, the data misses the region but lies in it with x and y swapped:
      latitude, longitude order;
    * projected CRS, every value within +-180 / +-90 and in the region read as
      lon/lat (or lat/lon): degrees declared as metres (came out 100 % ``outside``).

    Empty data and data without coordinates have no problem. ``bounds``, when given,
    are the data's ``total_bounds`` already known (read from a file's WKB:
    :func:`~almaty_scheme.io.wkb.total_bounds`), not asked of GEOS again.
    """
    crs = CRS.from_user_input(data.crs)
    geoms = data.geometry if isinstance(data, gpd.GeoDataFrame) else data
    if len(geoms) == 0:
        return None
    b = np.asarray(geoms.total_bounds if bounds is None else bounds, dtype=float)
    if not np.isfinite(b).all():
        return None
    xmin, ymin, xmax, ymax = (float(v) for v in b)
    label = crs.to_string()
    in_degrees = xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90
    if crs.is_geographic:
        if not in_degrees:
            return (
                f"coordinates x {xmin:.6g}..{xmax:.6g}, y {ymin:.6g}..{ymax:.6g} are "
                f"impossible for {label} (degrees lie within +-180 / +-90): they look like "
                "metres of a projected CRS"
            )
        if not _meets_region(xmin, ymin, xmax, ymax) and _meets_region(ymin, xmin, ymax, xmax):
            return (
                f"the axes look swapped: x {xmin:.4f}..{xmax:.4f} and y {ymin:.4f}..{ymax:.4f} "
                f"lie in Kazakhstan only read as latitude, longitude (declared {label}); swap "
                "x and y (QGIS: Processing > Swap X and Y coordinates) and check again"
            )
        return None
    if in_degrees and (
        _meets_region(xmin, ymin, xmax, ymax) or _meets_region(ymin, xmin, ymax, xmax)
    ):
        return (
            f"coordinates x {xmin:.4f}..{xmax:.4f}, y {ymin:.4f}..{ymax:.4f} look like "
            f"lon/lat degrees, but the file declares {label} (metres)"
        )
    return None


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
