"""The installable QGIS plugin zip (``almaty-scheme qgis-plugin --out FILE.zip``).

The plugin's source is the package :mod:`almaty_scheme.qgis.plugin` (real files, shipped
as package data). The zip holds it as the folder ``almaty_scheme`` (the plugin id QGIS
installs under), with ``metadata.txt`` stamped with the toolkit version and
``names.json``: the human layer names in Russian and English from the style spec, so
the plugin names loaded layers like the ``.qgz`` does without importing the toolkit,
and ``styles/parcels.qml``, ``styles/parcel_hits.qml`` for results in files that store
no style.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

from almaty_scheme import __version__
from almaty_scheme.errors import UsageError
from almaty_scheme.io.atomic import atomic_path
from almaty_scheme.qgis.spec import StyleSpec, default_spec
from almaty_scheme.qgis.styles import style_path

log = logging.getLogger(__name__)

PLUGIN_ID = "almaty_scheme"
"""The plugin folder inside the zip (and the Processing provider id)."""

PLUGIN_SOURCE = Path(__file__).resolve().with_name("plugin")
RESULT_STYLES: tuple[str, ...] = ("parcels", "parcel_hits")
"""Layers whose QML styles ship in the zip (``styles/<layer>.qml``): check results
written as GeoParquet, FlatGeobuf, GeoJSON or Shapefile store no style of their own."""
_SHIPPED_SUFFIXES = {".py", ".txt", ".svg", ".png", ".json", ".md"}


def plugin_names(spec: StyleSpec | None = None) -> dict[str, dict[str, str]]:
    """Layer -> {"ru": ..., "en": ...} for every styled layer (``names.json``)."""
    spec = spec or default_spec()
    return {name: {"ru": st.title.ru, "en": st.title.en} for name, st in spec.layers.items()}


def plugin_files() -> list[Path]:
    """The plugin's source files, relative to :data:`PLUGIN_SOURCE`, sorted."""
    return sorted(
        p.relative_to(PLUGIN_SOURCE)
        for p in PLUGIN_SOURCE.rglob("*")
        if p.is_file() and p.suffix in _SHIPPED_SUFFIXES and "__pycache__" not in p.parts
    )


def write_plugin_zip(out: str | Path, *, overwrite: bool = False) -> Path:
    """Write the plugin zip atomically.

    Raises
    ------
    UsageError
        If ``out`` does not end in ``.zip``.
    OutputExistsError
        If ``out`` exists and ``overwrite`` is false.
    """
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise UsageError(f"--out {out} must end in .zip", ["For example --out almaty_scheme.zip"])
    with (
        atomic_path(out, overwrite=overwrite) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf,
    ):
        for rel in plugin_files():
            arc = f"{PLUGIN_ID}/{rel.as_posix()}"
            data = (PLUGIN_SOURCE / rel).read_bytes()
            if rel.name == "metadata.txt":
                data = data.replace(b"@VERSION@", __version__.encode())
            zf.writestr(arc, data)
        names = json.dumps(plugin_names(), ensure_ascii=False, indent=1, sort_keys=True)
        zf.writestr(f"{PLUGIN_ID}/names.json", names.encode("utf-8"))
        for layer in RESULT_STYLES:  # for results in formats that store no style
            zf.write(style_path(layer), f"{PLUGIN_ID}/styles/{layer}.qml")
    log.info("wrote QGIS plugin %s (version %s)", out, __version__)
    return out
