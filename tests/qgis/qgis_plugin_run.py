"""Run the plugin's check algorithm inside PyQGIS the way the Processing dialog does.

Usage (system Python, QT_QPA_PLATFORM=offscreen, ALMATY_SCHEME_EXE set)::

    /usr/bin/python3 qgis_plugin_run.py PLUGINS_DIR PARCELS.gpkg|layername=L LAYERS.gpkg \
        CATALOGUE_DIR OUT_DIR OUT.json

Runs ``almaty_scheme:check`` with ``processing.runAndLoadResults`` three times: on a
memory layer made of features 1-3, on the selected features 4-5 of the file layer
("Selected features only"), and on the memory layer again into FlatGeobuf in EPSG:4326
(a format that stores no style: the plugin applies its shipped QML). Reports the algorithm's results and the layers loaded into the project
(name, feature count, renderer, verdicts). Must not import the toolkit.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsFeatureRequest,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)


def main(argv):
    plugins, parcels, layers, catalogue, out_dir, out_json = argv[1:7]
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    sys.path.insert(0, plugins)
    from processing.core.Processing import Processing

    Processing.initialize()
    import almaty_scheme  # the plugin package, not the toolkit

    plugin = almaty_scheme.classFactory(None)
    plugin.initProcessing()
    import processing

    project = QgsProject.instance()
    src = QgsVectorLayer(parcels, "source parcels", "ogr")
    project.addMapLayer(src)
    mem = src.materialize(QgsFeatureRequest().setFilterFids([1, 2, 3]))
    mem.setName("memory parcels")
    project.addMapLayer(mem)
    common = {"LAYERS": layers, "ID_FIELD": "cad", "USE_FIELD": "use", "CATALOGUE": catalogue}
    feedback = QgsProcessingFeedback()
    runs = {}
    before = set(project.mapLayers())
    res = processing.runAndLoadResults(
        "almaty_scheme:check",
        {**common, "PARCELS": mem, "OUTPUT": str(Path(out_dir) / "memory.gpkg")},
        feedback=feedback,
    )
    runs["memory"] = {k: v for k, v in res.items() if isinstance(v, (int, float, str))}
    src.selectByIds([4, 5])
    res = processing.runAndLoadResults(
        "almaty_scheme:check",
        {
            **common,
            "PARCELS": QgsProcessingFeatureSourceDefinition(src.id(), True),
            "OUTPUT": str(Path(out_dir) / "selected.gpkg"),
        },
        feedback=feedback,
    )
    runs["selected"] = {k: v for k, v in res.items() if isinstance(v, (int, float, str))}
    res = processing.runAndLoadResults(
        "almaty_scheme:check",
        {
            **common,
            "PARCELS": mem,
            "OUTPUT": str(Path(out_dir) / "flat.fgb"),
            "DST_CRS": "EPSG:4326",
        },
        feedback=feedback,
    )
    runs["flat"] = {k: v for k, v in res.items() if isinstance(v, (int, float, str))}
    loaded = []
    for lid, lyr in project.mapLayers().items():
        if lid in before:
            continue
        info = {"name": lyr.name(), "source": lyr.source(), "count": int(lyr.featureCount())}
        info["crs"] = lyr.crs().authid()
        info["renderer"] = lyr.renderer().type() if lyr.isSpatial() else None
        if "verdict" in lyr.fields().names():
            info["verdicts"] = {str(f["parcel_id"]): f["verdict"] for f in lyr.getFeatures()}
        loaded.append(info)
    with Path(out_json).open("w", encoding="utf-8") as f:
        json.dump({"runs": runs, "loaded": loaded}, f, ensure_ascii=False, indent=1)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
