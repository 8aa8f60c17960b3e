"""One registry and one loader for every data file the toolkit ships.

Every shipped data file (``layers/*.yaml``, ``styles/styles.yaml``) is listed in
:data:`REGISTRY` with the pydantic model that validates it. All of them are read by
:func:`~almaty_scheme.catalogue.datafile.load_model`, which reports *every* problem of a file at once, each naming the
file, the entry (list item with its index and id or name) and the field, e.g.
``boundary.yaml: territories #2 (id 'talgar'): field 'annex.0.year': ...``.
:func:`check_data_files` validates every registered file in one pass.

The models live in the catalogue (the bottom layer): rule files in
:mod:`~almaty_scheme.catalogue.models`, the boundary method in
:mod:`~almaty_scheme.catalogue.boundary_models`, the other reference data in
:mod:`~almaty_scheme.catalogue.data_models`, the style spec in
:mod:`~almaty_scheme.catalogue.style_models`. Facts the base schema knows (the names of
the canonical base layers) are passed in as validation ``context`` by the layer that
owns them, so the catalogue imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from almaty_scheme.catalogue.boundary_models import BoundaryConfig
from almaty_scheme.catalogue.data_models import (
    AlignmentFile,
    FootprintConfig,
    HydroAnchors,
    SchemeFigures,
    SettlementNames,
    Sources,
)
from almaty_scheme.catalogue.datafile import load_model
from almaty_scheme.catalogue.models import CatalogueIndex, LandUseFile, RuleFile
from almaty_scheme.catalogue.style_models import StyleSpec
from almaty_scheme.errors import CatalogueError
from almaty_scheme.resources import layers_dir, styles_dir


@dataclass(frozen=True)
class DataFile:
    """A shipped data file: its name, folder, model and what it holds."""

    name: str
    folder: Literal["layers", "styles"]
    model: type[BaseModel]
    holds: str


REGISTRY: tuple[DataFile, ...] = (
    DataFile("catalogue.yaml", "layers", CatalogueIndex, "catalogue index: rule files, tables"),
    DataFile("<family>.yaml", "layers", RuleFile, "the rules of one family (roads, gas, ...)"),
    DataFile("land_use.yaml", "layers", LandUseFile, "land-use classes, groups, regimes"),
    DataFile("boundary.yaml", "layers", BoundaryConfig, "how the boundary is reconstructed"),
    DataFile("alignments.yaml", "layers", AlignmentFile, "schematic road alignments"),
    DataFile("footprints.yaml", "layers", FootprintConfig, "settlement footprint method"),
    DataFile("sources.yaml", "layers", Sources, "reference data files and checksums"),
    DataFile("hydro_anchors.yaml", "layers", HydroAnchors, "named rivers and their anchors"),
    DataFile("settlement_names.yaml", "layers", SettlementNames, "Appendix 15 name aliases, gaps"),
    DataFile("scheme_figures.yaml", "layers", SchemeFigures, "the scheme's own figures"),
    DataFile("styles.yaml", "styles", StyleSpec, "layer styles and the QGIS project tree"),
)
"""Every shipped data file and its model (rule files are listed in ``catalogue.yaml``)."""


def registered(name: str) -> DataFile:
    """The registry entry of file ``name`` (``KeyError`` if it is not registered)."""
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    raise KeyError(name)


def shipped_path(name: str, directory: str | Path | None = None) -> Path:
    """Path of registered file ``name``: in ``directory`` if it holds it, else shipped."""
    if directory is not None and (Path(directory) / name).is_file():
        return Path(directory) / name
    folder = registered(name).folder
    return (layers_dir() if folder == "layers" else styles_dir()) / name


@lru_cache(maxsize=32)
def _load_cached(path: Path, model: type[BaseModel]) -> BaseModel:
    return load_model(path, model)


def load_data(name: str, directory: str | Path | None = None) -> Any:
    """The validated registered file ``name`` (from ``directory`` if it holds it), cached.

    Raises
    ------
    KeyError
        ``name`` is not registered.
    CatalogueError
        The file is missing or invalid (every problem listed).
    """
    entry = registered(name)
    return _load_cached(shipped_path(name, directory).resolve(), entry.model)


def check_data_files(
    directory: str | Path | None = None, *, context: Mapping[str, Any] | None = None
) -> list[str]:
    """Every problem of every registered file (rule files excepted: see ``load_catalogue``)."""
    problems: list[str] = []
    for entry in REGISTRY:
        if entry.name.startswith("<"):
            continue
        try:
            load_model(shipped_path(entry.name, directory), entry.model, context=context)
        except CatalogueError as exc:
            problems += exc.problems or [exc.summary]
    return problems


__all__ = ["REGISTRY", "DataFile", "check_data_files", "load_data", "registered", "shipped_path"]
