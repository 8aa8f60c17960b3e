"""The print layout of the ``.qgz`` project, written as QGIS 3.22 layout XML.

One A3 landscape layout ("Карта / Map") with:

* the map of the project's visible layers over the agglomeration boundary (extent widened
  to the map frame's proportions so the scale is the same in x and y);
* a legend of the visible layers that have features, filtered by the map's content
  (only symbols drawn in the map are listed), in two columns, its labels in the
  layout's language (the layer styles themselves keep "ru / en" labels);
* a scale bar in kilometres and a north arrow (QGIS's default arrow, grid north, linked
  to the map: the project is in EPSG:32643, UTM zone 43N);
* the title, a subtitle naming the decree, the data sources' attribution and a line
  with the rule catalogue version, the toolkit version, the CRS and the build date.

Every item carries a readable id (``map``, ``legend``, ``scalebar``, ``north_arrow``,
``title``, ``subtitle``, ``attribution``, ``catalogue``) so that QGIS users and tests can
find it. Items take QGIS's defaults for every attribute not written here.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Lang = Literal["ru", "en"]

PAGE_MM = (420.0, 297.0)
"""A3 landscape."""

MAP_RECT = (10.0, 30.0, 232.0, 236.0)
"""x, y, width, height of the map frame on the page, mm."""

NORTH_ARROW = ":/images/north_arrows/layout_default_north_arrow.svg"

_TYPES = {
    "page": 65638,
    "map": 65639,
    "picture": 65640,
    "label": 65641,
    "legend": 65642,
    "scalebar": 65646,
}

TEXT: dict[str, dict[Lang, str]] = {
    "layout": {"ru": "Карта", "en": "Map"},
    "legend": {"ru": "Условные обозначения", "en": "Legend"},
    "subtitle": {
        "ru": "Постановление Правительства Республики Казахстан № 514 от 13 августа 2020 "
        "года. Ограничения построены по каталогу правил схемы.",
        "en": "Decree of the Government of the Republic of Kazakhstan No. 514 of 13 August "
        "2020. Restrictions built from the scheme's rule catalogue.",
    },
    "catalogue": {
        "ru": "Каталог правил: версия {catalogue} · almaty-scheme {toolkit} · "
        "EPSG:32643 (WGS 84 / UTM, зона 43N){built}",
        "en": "Rule catalogue version {catalogue} · almaty-scheme {toolkit} · "
        "EPSG:32643 (WGS 84 / UTM zone 43N){built}",
    },
    "built": {"ru": " · собрано {date}", "en": " · built {date}"},
    "attribution": {"ru": "Источники данных: {text}", "en": "Data sources: {text}"},
    "km": {"ru": "км", "en": "km"},
}


@dataclass(frozen=True)
class LegendLayer:
    """A layer listed in the legend: its project id, name and data source.

    ``labels`` replace the style's (bilingual) legend labels, in the order of QGIS's
    legend nodes for the layer's renderer (empty: keep the style's labels).
    """

    layer_id: str
    name: str
    source: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayoutText:
    """The texts of the layout."""

    title: str
    attribution: str
    catalogue_version: str
    toolkit_version: str
    built: str = ""


def _uuid(name: str) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"almaty-scheme/layout/{name}")) + "}"


def _font(family: str, size: float, bold: bool = False) -> str:
    """A Qt 5 font description (family, point size, ..., weight 75 = bold)."""
    return f"{family},{size:g},-1,5,{75 if bold else 50},0,0,0,0,0"


def _colour(parent: ET.Element, tag: str, rgba: tuple[int, int, int, int]) -> None:
    r, g, b, a = rgba
    ET.SubElement(parent, tag, red=str(r), green=str(g), blue=str(b), alpha=str(a))


def _item(
    parent: ET.Element,
    kind: str,
    name: str,
    rect: tuple[float, float, float, float],
    z: int,
    *,
    frame: bool = False,
    background: bool = False,
    **attrs: str,
) -> ET.Element:
    x, y, w, h = rect
    el = ET.SubElement(
        parent,
        "LayoutItem",
        {
            "type": str(_TYPES[kind]),
            "id": name,
            "uuid": _uuid(name),
            "templateUuid": _uuid(name),
            "position": f"{x:g},{y:g},mm",
            "positionOnPage": f"{x:g},{y:g},mm",
            "size": f"{w:g},{h:g},mm",
            "zValue": str(z),
            "visibility": "1",
            "frame": "true" if frame else "false",
            "background": "true" if background else "false",
            "outlineWidthM": "0.3,mm",
            "frameJoinStyle": "miter",
            "positionLock": "false",
            "itemRotation": "0",
            "opacity": "1",
            "blendMode": "0",
            "referencePoint": "0",
            "excludeFromExports": "0",
            "groupUuid": "",
            **attrs,
        },
    )
    _colour(el, "FrameColor", (60, 60, 60, 255))
    _colour(el, "BackgroundColor", (255, 255, 255, 255))
    return el


def _label(
    parent: ET.Element,
    name: str,
    rect: tuple[float, float, float, float],
    text: str,
    font: str,
    *,
    colour: tuple[int, int, int, int] = (26, 26, 26, 255),
) -> None:
    el = _item(
        parent,
        "label",
        name,
        rect,
        20,
        labelText=text,
        htmlState="0",
        halign="1",  # Qt::AlignLeft
        valign="32",  # Qt::AlignTop
        marginX="0",
        marginY="0",
    )
    ET.SubElement(el, "LabelFont", description=font, style="")
    _colour(el, "FontColor", colour)


def fit_extent(
    extent: Sequence[float], width_mm: float, height_mm: float, margin: float = 0.03
) -> tuple[float, float, float, float]:
    """``extent`` widened (never cut) to the frame's aspect ratio, plus a margin.

    The centre is kept; the side that is too short grows so that one map metre is the
    same length on the page in x and y.
    """
    xmin, ymin, xmax, ymax = (float(v) for v in extent)
    w, h = (xmax - xmin) * (1 + 2 * margin), (ymax - ymin) * (1 + 2 * margin)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    frame = width_mm / height_mm
    if w / h < frame:
        w = h * frame
    else:
        h = w / frame
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _page(layout: ET.Element) -> None:
    pages = ET.SubElement(layout, "PageCollection")
    _item(pages, "page", "page", (0, 0, *PAGE_MM), 0, background=True)
    ET.SubElement(pages, "GuideCollection", visible="1")


def _map(layout: ET.Element, extent: Sequence[float]) -> None:
    el = _item(
        layout,
        "map",
        "map",
        MAP_RECT,
        1,
        frame=True,
        background=True,
        keepLayerSet="false",
        followPreset="false",
        followPresetName="",
        drawCanvasItems="true",
        mapRotation="0",
        labelMargin="0,mm",
        mapFlags="0",
        isTemporal="0",
    )
    xmin, ymin, xmax, ymax = fit_extent(extent, MAP_RECT[2], MAP_RECT[3])
    ET.SubElement(el, "Extent", xmin=repr(xmin), ymin=repr(ymin), xmax=repr(xmax), ymax=repr(ymax))
    ET.SubElement(el, "LayerSet")
    ET.SubElement(el, "AtlasMap", atlasDriven="0", margin="0.1", scalingMode="2")


def _legend(layout: ET.Element, layers: Sequence[LegendLayer], font: str, lang: Lang) -> None:
    x, y, w, h = MAP_RECT
    rect = (x + w + 4, y, PAGE_MM[0] - (x + w + 4) - 8, h)
    el = _item(
        layout,
        "legend",
        "legend",
        rect,
        3,
        title=TEXT["legend"][lang],
        map_uuid=_uuid("map"),
        columnCount="2",
        splitLayer="1",
        equalColumnWidth="0",
        legendFilterByMap="1",
        legendFilterByAtlas="0",
        resizeToContents="0",
        symbolWidth="5",
        symbolHeight="3",
        boxSpace="1.5",
        columnSpace="3",
        lineSpacing="0.5",
        wrapChar="",
        fontColor="#1a1a1a",
        titleAlignment="1",
        symbolAlignment="1",
        rasterBorder="0",
        wmsLegendWidth="50",
        wmsLegendHeight="25",
        maxSymbolSize="0",
        minSymbolSize="0",
    )
    styles = ET.SubElement(el, "styles")
    for name, size, bold, top in (
        ("title", 11, True, 0),
        ("group", 8, True, 2),
        ("subgroup", 7, True, 1.5),
        ("symbol", 6, False, 0.8),
        ("symbolLabel", 6, False, 0.8),
    ):
        st = ET.SubElement(
            styles, "style", name=name, alignment="1", indent="0", marginTop=f"{top:g}"
        )
        if name == "title":
            st.set("marginBottom", "2")
        if name == "symbolLabel":
            st.set("marginLeft", "1.5")
        ET.SubElement(st, "styleFont", description=_font(font, size, bold), style="")
    tree = ET.SubElement(el, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    for lyr in layers:
        node = ET.SubElement(
            tree,
            "layer-tree-layer",
            {
                "id": lyr.layer_id,
                "name": lyr.name,
                "source": lyr.source,
                "providerKey": "ogr",
                "checked": "Qt::Checked",
                "expanded": "1",
                "legend_exp": "",
                "legend_split_behavior": "0",
                "patch_size": "-1,-1",
            },
        )
        props = ET.SubElement(ET.SubElement(node, "customproperties"), "Option", type="Map")
        for i, text in enumerate(lyr.labels):
            ET.SubElement(props, "Option", name=f"legend/label-{i}", type="QString", value=text)


_NICE_KM = (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500)


def segment_km(extent: Sequence[float], map_width_mm: float, target_mm: float = 15.0) -> float:
    """A round segment length (km) close to ``target_mm`` on the page at the map's scale."""
    metres_per_mm = (float(extent[2]) - float(extent[0])) / map_width_mm
    want = target_mm * metres_per_mm / 1000.0
    return min(_NICE_KM, key=lambda k: abs(k - want) / k)


def _scalebar(layout: ET.Element, font: str, lang: Lang, extent: Sequence[float]) -> None:
    x, y, w, h = MAP_RECT
    seg = segment_km(fit_extent(extent, w, h), w)
    el = _item(
        layout,
        "scalebar",
        "scalebar",
        (x + 3, y + h - 14, 90, 11),
        4,
        background=True,
        style="Single Box",
        mapUuid=_uuid("map"),
        unitType="kilometers",
        unitLabel=TEXT["km"][lang],
        numMapUnitsPerScaleBarUnit="1000",
        numSegments="4",
        numSegmentsLeft="0",
        numSubdivisions="1",
        numUnitsPerSegment=f"{seg * 1000:g}",  # in map units (m); labelled in km
        segmentSizeMode="0",
        segmentMillimeters="15",
        height="2",
        labelBarSpace="1.5",
        boxContentSpace="1.5",
        alignment="0",
        lineJoinStyle="miter",
        lineCapStyle="square",
        minBarWidth="50",
        maxBarWidth="150",
        outlineWidth="0.3",
        labelVerticalPlacement="0",
        labelHorizontalPlacement="0",
    )
    ET.SubElement(
        el,
        "text-style",
        fontFamily=font.split(",")[0],
        fontSize="8",
        fontSizeUnit="Point",
        textColor="26,26,26,255",
        textOpacity="1",
        fontWeight="50",
        fontItalic="0",
        namedStyle="",
    )
    _colour(el, "fillColor", (26, 26, 26, 255))
    _colour(el, "fillColor2", (255, 255, 255, 255))
    _colour(el, "strokeColor", (26, 26, 26, 255))


def _north_arrow(layout: ET.Element) -> None:
    x, y, w, _ = MAP_RECT
    _item(
        layout,
        "picture",
        "north_arrow",
        (x + w - 17, y + 3, 14, 20),
        5,
        background=False,
        file=NORTH_ARROW,
        mode="0",  # SVG
        resizeMode="0",  # zoom: keep the arrow's proportions inside the frame
        anchorPoint="4",
        mapUuid=_uuid("map"),
        northMode="0",  # grid north of the linked map
        northOffset="0",
        pictureRotation="0",
        svgFillColor="26,26,26,255",
        svgBorderColor="26,26,26,255",
        svgBorderWidth="0.2",
        pictureWidth="14",
        pictureHeight="20",
    )


def layout_element(
    *,
    extent: Sequence[float],
    legend: Sequence[LegendLayer],
    text: LayoutText,
    font: str,
    lang: Lang,
) -> ET.Element:
    """The ``<Layouts>`` element of the project, holding one print layout."""
    layouts = ET.Element("Layouts")
    layout = ET.SubElement(
        layouts,
        "Layout",
        name=f"{TEXT['layout'][lang]}: {text.title}"[:120],
        units="mm",
        printResolution="300",
        worldFileMap=_uuid("map"),
    )
    ET.SubElement(
        layout, "Snapper", tolerance="5", snapToGrid="0", snapToGuides="1", snapToItems="1"
    )
    ET.SubElement(
        layout, "Grid", resolution="10", resUnits="mm", offsetX="0", offsetY="0", offsetUnits="mm"
    )
    _page(layout)
    _map(layout, extent)
    _legend(layout, legend, font, lang)
    _scalebar(layout, font, lang, extent)
    _north_arrow(layout)
    _label(layout, "title", (10, 7, 400, 11), text.title, _font(font, 17, bold=True))
    _label(layout, "subtitle", (10, 19, 400, 7), TEXT["subtitle"][lang], _font(font, 9.5))
    built = TEXT["built"][lang].format(date=text.built[:10]) if text.built else ""
    _label(
        layout,
        "attribution",
        (10, 270, 400, 9),
        TEXT["attribution"][lang].format(text=text.attribution),
        _font(font, 6.5),
        colour=(70, 70, 70, 255),
    )
    _label(
        layout,
        "catalogue",
        (10, 281, 400, 6),
        TEXT["catalogue"][lang].format(
            catalogue=text.catalogue_version, toolkit=text.toolkit_version, built=built
        ),
        _font(font, 8, bold=True),
    )
    ET.SubElement(
        layout,
        "Atlas",
        enabled="0",
        coverageLayer="",
        hideCoverage="0",
        filterFeatures="0",
        sortFeatures="0",
        pageNameExpression="",
        filenamePattern="'output_'||@atlas_featurenumber",
    )
    return layouts
