"""QGIS plugin "Almaty scheme": a Processing provider running the almaty-scheme toolkit.

This folder is the plugin package: ``almaty-scheme qgis-plugin --out FILE.zip`` copies it
into a zip as the folder ``almaty_scheme`` (with ``names.json`` written from the style
spec). Inside QGIS it is a top-level package, so its modules import each other
relatively and never import the toolkit: QGIS's Python need not have numba or
geopandas (see :mod:`.toolkit`).
"""

from __future__ import annotations

from typing import Any


def classFactory(iface: Any) -> Any:  # the name QGIS looks for
    """The plugin instance QGIS asks for."""
    from .plugin import AlmatySchemePlugin  # needs QGIS: imported only inside it

    return AlmatySchemePlugin(iface)
