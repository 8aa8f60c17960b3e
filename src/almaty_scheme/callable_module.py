"""Modules that are also the public functions of the same name.

``almaty_scheme.build``, ``almaty_scheme.check`` and ``almaty_scheme.catalogue`` are
library modules (``almaty_scheme.check.engine``...) *and* the public API functions
``almaty_scheme.build(...)``, ``almaty_scheme.check(...)``, ``almaty_scheme.catalogue(...)``
(:mod:`almaty_scheme.api`). Python binds a package's attribute to its submodule on
import, so a plain function of that name would be replaced by the module the first time
the module is imported. Instead the module itself is made callable: its class becomes
:class:`CallableModule`, whose ``__call__`` forwards to the API function, looked up
when first called (so importing the module does not import the API above it).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


class CallableModule(ModuleType):
    """A module that forwards calls to ``<_api_module>.<_api_name>``."""

    _api_module: str
    _api_name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the public API function (see :mod:`almaty_scheme.api`)."""
        target = getattr(importlib.import_module(self._api_module), self._api_name)
        return target(*args, **kwargs)


def make_callable(module_name: str, api_module: str, api_name: str) -> None:
    """Make the (already imported) module ``module_name`` call ``api_module.api_name``."""
    module = sys.modules[module_name]
    module.__class__ = CallableModule
    module._api_module = api_module  # type: ignore[attr-defined]
    module._api_name = api_name  # type: ignore[attr-defined]
