"""The plugin object QGIS loads: registers the Processing provider."""

from __future__ import annotations

from typing import Any

from qgis.core import QgsApplication

from .provider import AlmatySchemeProvider


class AlmatySchemePlugin:
    """Adds the ``almaty_scheme`` Processing provider (no toolbar, no menu of its own)."""

    def __init__(self, iface: Any = None) -> None:
        self.iface = iface
        self.provider: AlmatySchemeProvider | None = None

    def initProcessing(self) -> None:
        """Called by QGIS (and qgis_process) before ``initGui``."""
        if self.provider is None:
            self.provider = AlmatySchemeProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:
        self.initProcessing()

    def unload(self) -> None:
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
