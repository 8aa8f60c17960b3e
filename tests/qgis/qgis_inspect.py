"""Run under the system Python with PyQGIS: open layers the way a QGIS user does, report JSON.

Usage (QT_QPA_PLATFORM=offscreen)::

    /usr/bin/python3 qgis_inspect.py project FILE.qgz OUT.json
    /usr/bin/python3 qgis_inspect.py gpkg FILE.gpkg OUT.json        # default styles from layer_styles
    /usr/bin/python3 qgis_inspect.py qml FILE.gpkg STYLES_DIR OUT.json   # each <layer>.qml / .sld
    /usr/bin/python3 qgis_inspect.py layout FILE.qgz OUT.png DPI OUT.json  # export the layout
    /usr/bin/python3 qgis_inspect.py identify FILE.gpkg LAYER X Y OUT.json  # identify tool

Per layer it reports: valid, feature count, geometry type, subset string, renderer type,
categories (value, label) or rules (filter, label, nested), the symbol layer classes,
labels, aliases, scale visibility and opacity. This file must not import the toolkit
(the system Python has no geopandas); the tests compare its JSON with expectations.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsProject,
    QgsRuleBasedRenderer,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
)


def _symbol_classes(symbol):
    if symbol is None:
        return []
    return [symbol.symbolLayer(i).layerType() for i in range(symbol.symbolLayerCount())]


def _rule(rule):
    return {
        "filter": rule.filterExpression(),
        "label": rule.label(),
        "symbol": _symbol_classes(rule.symbol()),
        "else": rule.isElse(),
        "children": [_rule(c) for c in rule.children()],
    }


def describe(layer):
    out = {
        "name": layer.name(),
        "valid": layer.isValid(),
        "feature_count": int(layer.featureCount()) if layer.isValid() else None,
        "subset": layer.subsetString(),
        "crs": layer.crs().authid(),
        "geometry_type": int(layer.geometryType()),
        "labels_enabled": bool(layer.labelsEnabled()),
        "label_field": None,
        "label_scale": None,
        "aliases": {f.name(): f.alias() for f in layer.fields() if f.alias()},
        "fields": [f.name() for f in layer.fields()],
        "scale_based": bool(layer.hasScaleBasedVisibility()),
        "min_scale": layer.minimumScale(),
        "opacity": layer.opacity(),
        "renderer": None,
        "source": layer.source(),
    }
    lab = layer.labeling()
    if lab is not None and layer.labelsEnabled():
        s = lab.settings()
        out["label_field"] = s.fieldName
        out["label_scale"] = s.minimumScale if s.scaleVisibility else None
    r = layer.renderer()
    if r is None:
        return out
    rd = {"type": r.type()}
    if isinstance(r, QgsCategorizedSymbolRenderer):
        rd["attr"] = r.classAttribute()
        rd["categories"] = [
            {"value": c.value(), "label": c.label(), "symbol": _symbol_classes(c.symbol())}
            for c in r.categories()
        ]
    elif isinstance(r, QgsRuleBasedRenderer):
        rd["rules"] = [_rule(c) for c in r.rootRule().children()]
    elif isinstance(r, QgsSingleSymbolRenderer):
        rd["symbol"] = _symbol_classes(r.symbol())
    out["renderer"] = rd
    return out


def _tree(node, path):
    out = []
    for child in node.children():
        if isinstance(child, QgsLayerTreeGroup):
            out += _tree(child, [*path, child.name()])
        elif isinstance(child, QgsLayerTreeLayer):
            out.append(
                {
                    "layer_id": child.layerId(),
                    "group": " / ".join(path) or None,
                    "name": child.name(),
                    "visible": child.isVisible(),
                }
            )
    return out


def inspect_project(path):
    proj = QgsProject.instance()
    ok = proj.read(path)
    layers = {lid: describe(lyr) for lid, lyr in proj.mapLayers().items()}
    tree = _tree(proj.layerTreeRoot(), [])
    groups = [g.name() for g in proj.layerTreeRoot().children() if isinstance(g, QgsLayerTreeGroup)]
    md = proj.metadata()
    return {
        "read_ok": bool(ok),
        "crs": proj.crs().authid(),
        "title": proj.title(),
        "metadata": {
            "title": md.title(),
            "abstract": md.abstract(),
            "identifier": md.identifier(),
            "author": md.author(),
            "keywords": {k: list(v) for k, v in md.keywords().items()},
        },
        "groups": groups,
        "tree": tree,
        "layers": layers,
        "absolute_paths": proj.readBoolEntry("Paths", "/Absolute", True)[0],
    }


def _gpkg_layers(path):
    from osgeo import ogr

    ds = ogr.Open(path)
    names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
    ds = None
    return [n for n in names if n != "layer_styles"]


def inspect_gpkg(path):
    out = {}
    for name in _gpkg_layers(path):
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        d = describe(layer)
        styles = layer.listStylesInDatabase()
        n = int(styles[0])
        d["db_styles"] = {"count": n, "names": list(styles[2])[:n]}
        out[name] = d
    return out


def inspect_qml(path, styles_dir):
    out = {}
    for name in _gpkg_layers(path):
        qml = str(Path(styles_dir) / f"{name}.qml")
        if not Path(qml).exists():
            continue
        layer = QgsVectorLayer(
            f"{path}|layername={name}", name, "ogr", QgsVectorLayer.LayerOptions(True, False)
        )
        msg, ok = layer.loadNamedStyle(qml, True)  # True: the file, not layer_styles
        d = describe(layer)
        d["qml_ok"] = bool(ok)
        d["qml_msg"] = msg
        sld = str(Path(styles_dir) / f"{name}.sld")
        sld_layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        smsg, sok = sld_layer.loadSldStyle(sld)
        d["sld_ok"] = bool(sok)
        d["sld_msg"] = smsg
        d["sld_renderer"] = describe(sld_layer)["renderer"]
        out[name] = d
    return out


def _item_info(item):
    from qgis.core import (
        QgsLayoutItemLabel,
        QgsLayoutItemLegend,
        QgsLayoutItemMap,
        QgsLayoutItemPicture,
        QgsLayoutItemScaleBar,
    )

    rect = item.sceneBoundingRect()
    info = {
        "type": type(item).__name__,
        "rect_mm": [rect.x(), rect.y(), rect.width(), rect.height()],
    }
    if isinstance(item, QgsLayoutItemLabel):
        info["text"] = item.currentText()
    elif isinstance(item, QgsLayoutItemMap):
        ext = item.extent()
        info["extent"] = [ext.xMinimum(), ext.yMinimum(), ext.xMaximum(), ext.yMaximum()]
        info["scale"] = item.scale()
        info["layers"] = [lyr.name() for lyr in item.layersToRender()]
    elif isinstance(item, QgsLayoutItemLegend):
        info["linked_map"] = item.linkedMap().id() if item.linkedMap() else None
        root = item.model().rootGroup()
        info["layers"] = [n.name() for n in root.findLayers()]
        info["title"] = item.title()
        model = item.model()
        info["labels"] = {
            n.name(): [ln.data(0) for ln in model.layerOriginalLegendNodes(n)]
            for n in root.findLayers()
        }
    elif isinstance(item, QgsLayoutItemScaleBar):
        info["linked_map"] = item.linkedMap().id() if item.linkedMap() else None
        info["units_label"] = item.unitLabel()
    elif isinstance(item, QgsLayoutItemPicture):
        info["file"] = item.picturePath()
        info["linked_map"] = item.linkedMap().id() if item.linkedMap() else None
    return info


def inspect_layout(path, png, dpi):
    """Open the project, describe its layouts and export the first one to ``png``."""
    from qgis.core import QgsLayoutExporter
    from qgis.PyQt.QtGui import QImage

    proj = QgsProject.instance()
    ok = proj.read(path)
    layouts = proj.layoutManager().printLayouts()
    out = {"read_ok": bool(ok), "layouts": [lay.name() for lay in layouts]}
    if not layouts:
        return out
    layout = layouts[0]
    out["pages"] = layout.pageCollection().pageCount()
    page = layout.pageCollection().page(0)
    out["page_mm"] = [page.pageSize().width(), page.pageSize().height()]
    out["items"] = {
        item.id(): _item_info(item) for item in layout.items() if hasattr(item, "id") and item.id()
    }
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = float(dpi)
    settings.appendGeoreference = False  # PNG cannot take GDAL's georeference update
    settings.exportMetadata = False
    res = QgsLayoutExporter(layout).exportToImage(png, settings)
    out["export_result"] = int(res)
    img = QImage(png)
    out["png_size"] = [img.width(), img.height()]
    # share of non-white pixels and distinct colours, sampled on a grid
    step = max(1, min(img.width(), img.height()) // 200)
    total = non_white = 0
    colours = set()
    for y in range(0, img.height(), step):
        for x in range(0, img.width(), step):
            c = img.pixel(x, y) & 0xFFFFFF
            total += 1
            non_white += c != 0xFFFFFF
            colours.add(c)
    out["non_white_share"] = non_white / max(total, 1)
    out["distinct_colours"] = len(colours)
    return out


def inspect_identify(path, name, x, y):
    """Click QGIS's identify tool (all layers, top-down) on a map canvas at (x, y), in the
    layer's CRS, the way a user does; report the layer and the features it returns."""
    from qgis.core import QgsPointXY, QgsRectangle
    from qgis.gui import QgsMapCanvas, QgsMapToolIdentify

    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    out = describe(layer)
    canvas = QgsMapCanvas()
    canvas.resize(400, 400)
    canvas.setDestinationCrs(layer.crs())
    canvas.setLayers([layer])
    canvas.setExtent(QgsRectangle(x - 500, y - 500, x + 500, y + 500))
    tool = QgsMapToolIdentify(canvas)
    px = canvas.getCoordinateTransform().transform(QgsPointXY(x, y))
    found = tool.identify(int(px.x()), int(px.y()), [layer], QgsMapToolIdentify.TopDownAll)
    out["identified"] = [
        {
            "layer": r.mLayer.name(),
            "fid": int(r.mFeature.id()),
            "attributes": {
                f.name(): r.mFeature[f.name()] for f in r.mFeature.fields() if f.name() != "fid"
            },
        }
        for r in found
    ]
    return out


def main(argv):
    mode = argv[1]
    app = QgsApplication([], mode == "identify")  # the identify tool needs a map canvas
    app.initQgis()
    if mode == "project":
        result = inspect_project(argv[2])
        out_path = argv[3]
    elif mode == "gpkg":
        result = inspect_gpkg(argv[2])
        out_path = argv[3]
    elif mode == "qml":
        result = inspect_qml(argv[2], argv[3])
        out_path = argv[4]
    elif mode == "layout":
        result = inspect_layout(argv[2], argv[3], argv[4])
        out_path = argv[5]
    elif mode == "identify":
        result = inspect_identify(argv[2], argv[3], float(argv[4]), float(argv[5]))
        out_path = argv[6]
    else:
        raise SystemExit(f"unknown mode {mode}")
    with Path(out_path).open("w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1, default=str)
    sys.stdout.flush()
    # QGIS may crash while tearing down in a script; the JSON is already written.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
