"""almaty-scheme: the Almaty agglomeration scheme (decree No. 514 of 13 Aug 2020) as GIS data.

The public API for scripts (see the README's "Python API")::

    import almaty_scheme as asch

    cat = asch.catalogue()                                   # the rules, as data
    result = asch.build(base={"roads": roads_gdf}, out="layers.gpkg")
    outcome = asch.check(parcels_gdf, "layers.gpkg", options=asch.CheckOptions(use_field="use"))
    outcome.parcels, outcome.hits, outcome.summary

The names in :data:`__all__` are loaded on first use (PEP 562), so ``import
almaty_scheme`` stays cheap: no geopandas, numba or catalogue is loaded until a name is
used. The library owns all logic; :mod:`almaty_scheme.cli` is a thin shell over it.
The library logs through :mod:`logging` (logger ``almaty_scheme``) and never prints.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see: build, check, catalogue as the API functions
    from almaty_scheme.api import base_data, build, catalogue, check
    from almaty_scheme.base.model import BaseData
    from almaty_scheme.build import BuildOptions, BuildResult, load_base
    from almaty_scheme.catalogue.loader import Catalogue
    from almaty_scheme.check.options import CheckOptions
    from almaty_scheme.check.run import RunOutcome
    from almaty_scheme.errors import (
        AlmatySchemeError,
        CatalogueError,
        CRSError,
        DataError,
        OutputExistsError,
        UsageError,
    )

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_CALLABLE_MODULES = ("build", "check", "catalogue")
"""Modules that are also the API functions of the same name
(:mod:`almaty_scheme.callable_module`)."""

_EXPORTS: dict[str, str] = {
    "base_data": "almaty_scheme.api",
    "load_base": "almaty_scheme.build",
    "BuildResult": "almaty_scheme.build",
    "BuildOptions": "almaty_scheme.build",
    "CheckOptions": "almaty_scheme.check.options",
    "RunOutcome": "almaty_scheme.check.run",
    "Catalogue": "almaty_scheme.catalogue.loader",
    "BaseData": "almaty_scheme.base.model",
    "AlmatySchemeError": "almaty_scheme.errors",
    "CatalogueError": "almaty_scheme.errors",
    "CRSError": "almaty_scheme.errors",
    "DataError": "almaty_scheme.errors",
    "OutputExistsError": "almaty_scheme.errors",
    "UsageError": "almaty_scheme.errors",
}
"""Public name -> the module that defines it."""


def __getattr__(name: str) -> Any:
    """Load a public name on first use (PEP 562) and keep it as a module attribute."""
    if name in _CALLABLE_MODULES:
        return importlib.import_module(f"{__name__}.{name}")  # binds the attribute
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'almaty_scheme' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_CALLABLE_MODULES, *_EXPORTS])


__all__ = [
    "AlmatySchemeError",
    "BaseData",
    "BuildOptions",
    "BuildResult",
    "CRSError",
    "Catalogue",
    "CatalogueError",
    "CheckOptions",
    "DataError",
    "OutputExistsError",
    "RunOutcome",
    "UsageError",
    "__version__",
    "base_data",
    "build",
    "catalogue",
    "check",
    "load_base",
]
