"""Human layer names for the plugin, in the user's language (Russian or English).

``names.json`` is written into the plugin zip by ``almaty-scheme qgis-plugin`` from the
toolkit's style spec (``styles/styles.yaml``, one source for every name); the few
names below are the fallback when it is absent (e.g. running from a checkout).
"""

from __future__ import annotations

import json
from pathlib import Path

_FALLBACK = {
    "parcels": {"ru": "Участки: результаты проверки", "en": "Parcels: check results"},
    "parcel_hits": {"ru": "Пересечения участков с зонами", "en": "Parcel hits"},
    "functional_zones": {"ru": "Функциональные зоны", "en": "Functional zones"},
    "boundary": {"ru": "Граница агломерации", "en": "Agglomeration boundary"},
}


def _names() -> dict[str, dict[str, str]]:
    path = Path(__file__).with_name("names.json")
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return dict(_FALLBACK)
    return {**_FALLBACK, **loaded}


def ui_lang() -> str:
    """``"en"`` when QGIS runs in a language other than Russian or Kazakh, else ``"ru"``.

    An unset locale (``C``, e.g. a server) gets Russian, the toolkit's default.
    """
    try:
        from qgis.core import QgsApplication
    except ImportError:  # outside QGIS
        return "ru"
    locale = (QgsApplication.locale() or "").lower()
    return "ru" if locale[:2] in ("ru", "kk", "c", "") else "en"


def layer_title(layer: str, lang: str) -> str:
    """The human name of ``layer`` in ``lang``; the layer name if unknown."""
    entry = _names().get(layer)
    if not entry:
        return layer
    return entry.get(lang) or entry.get("ru") or layer
