"""The Processing provider ``almaty_scheme`` and its setting (the executable's path)."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS, SETTING_EXE
from .i18n import tr

ICON = Path(__file__).with_name("icon.svg")


class AlmatySchemeProvider(QgsProcessingProvider):
    """Algorithms ``almaty_scheme:build``, ``:check``, ``:map``, ``:report``."""

    def id(self) -> str:
        return "almaty_scheme"

    def name(self) -> str:
        return "Almaty scheme"

    def longName(self) -> str:
        return "Almaty agglomeration scheme (decree No. 514): restriction layers and checks"

    def icon(self) -> QIcon:
        return QIcon(str(ICON))

    def load(self) -> bool:
        _add_setting(self.name())
        self.refreshAlgorithms()
        return True

    def unload(self) -> None:
        try:
            from processing.core.ProcessingConfig import ProcessingConfig
        except ImportError:
            return
        ProcessingConfig.removeSetting(SETTING_EXE)

    def loadAlgorithms(self) -> None:
        for alg in ALGORITHMS:
            self.addAlgorithm(alg())


def _add_setting(group: str) -> None:
    """Settings > Options > Processing > Providers > Almaty scheme > executable."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig, Setting
    except ImportError:  # no Processing Python plugin: env variable and PATH still work
        return
    ProcessingConfig.settingIcons[group] = QIcon(str(ICON))
    ProcessingConfig.addSetting(
        Setting(
            group,
            SETTING_EXE,
            tr("almaty-scheme executable (in the toolkit's own Python environment)"),
            "",
            valuetype=Setting.FILE,
        )
    )
    ProcessingConfig.readSettings()
