"""SLD 1.1 (Symbology Encoding) styles written from the style spec, for non-QGIS clients.

Same classes and colours as the QML (:func:`almaty_scheme.qgis.spec.style_classes`),
in the dialect QGIS itself writes and reads back (``se:`` symbolizers, ``ogc:Filter``,
``se:ElseFilter``, hatches as a ``horline`` mark rotated 45°). Widths in millimetres are
converted to pixels at 0.28 mm per pixel (the OGC standard rendering pixel).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from almaty_scheme.qgis.spec import StyleClass, StyleSpec, Symbol, default_spec, style_classes

NS = {
    "": "http://www.opengis.net/sld",
    "se": "http://www.opengis.net/se",
    "ogc": "http://www.opengis.net/ogc",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
_SLD = "{http://www.opengis.net/sld}"
_SE = "{http://www.opengis.net/se}"
_OGC = "{http://www.opengis.net/ogc}"

MM_PER_PX = 0.28
_DASHARRAY = {"dash": "4 2", "dot": "1 2", "dashdot": "4 2 1 2"}


def _px(mm: float) -> str:
    return f"{mm / MM_PER_PX:.2g}"


def _svg(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, f"{_SE}SvgParameter", name=name).text = value


def _stroke(parent: ET.Element, colour: str, width: float, dash: str = "solid") -> None:
    st = ET.SubElement(parent, f"{_SE}Stroke")
    _svg(st, "stroke", colour)
    _svg(st, "stroke-width", _px(width))
    _svg(st, "stroke-linejoin", "round")
    if dash in _DASHARRAY:
        _svg(st, "stroke-dasharray", _DASHARRAY[dash])


def _symbolizers(rule: ET.Element, sym: Symbol) -> None:
    outline = sym.outline or sym.colour
    if sym.type in ("fill", "outline", "hatch"):
        ps = ET.SubElement(rule, f"{_SE}PolygonSymbolizer")
        if sym.type == "fill":
            fill = ET.SubElement(ps, f"{_SE}Fill")
            _svg(fill, "fill", sym.colour)
            _svg(fill, "fill-opacity", f"{sym.opacity:g}")
        _stroke(ps, outline, sym.width, sym.dash)
        if sym.type == "hatch":
            ps2 = ET.SubElement(rule, f"{_SE}PolygonSymbolizer")
            fill = ET.SubElement(ps2, f"{_SE}Fill")
            graphic = ET.SubElement(ET.SubElement(fill, f"{_SE}GraphicFill"), f"{_SE}Graphic")
            mark = ET.SubElement(graphic, f"{_SE}Mark")
            ET.SubElement(mark, f"{_SE}WellKnownName").text = "horline"
            _stroke(mark, sym.colour, 0.3)
            ET.SubElement(graphic, f"{_SE}Size").text = _px(2.0)
            rot = ET.SubElement(graphic, f"{_SE}Rotation")
            ET.SubElement(rot, f"{_OGC}Literal").text = "45"
    elif sym.type in ("line", "railway"):
        ls = ET.SubElement(rule, f"{_SE}LineSymbolizer")
        _stroke(ls, sym.colour, sym.width, sym.dash)
        if sym.type == "railway":
            ls2 = ET.SubElement(rule, f"{_SE}LineSymbolizer")
            st = ET.SubElement(ls2, f"{_SE}Stroke")
            _svg(st, "stroke", "#ffffff")
            _svg(st, "stroke-width", _px(sym.width * 0.5))
            _svg(st, "stroke-dasharray", "6 6")
    else:
        pt = ET.SubElement(rule, f"{_SE}PointSymbolizer")
        graphic = ET.SubElement(pt, f"{_SE}Graphic")
        mark = ET.SubElement(graphic, f"{_SE}Mark")
        ET.SubElement(mark, f"{_SE}WellKnownName").text = "circle"
        fill = ET.SubElement(mark, f"{_SE}Fill")
        _svg(fill, "fill", sym.colour)
        _stroke(mark, outline, 0.3)
        ET.SubElement(graphic, f"{_SE}Size").text = _px(sym.size)


def _filter(rule: ET.Element, cls: StyleClass) -> None:
    if cls.is_else:
        ET.SubElement(rule, f"{_SE}ElseFilter")
        return
    flt = ET.SubElement(rule, f"{_OGC}Filter")
    parent = ET.SubElement(flt, f"{_OGC}And") if len(cls.where) > 1 else flt
    for attr, value in cls.where:
        eq = ET.SubElement(parent, f"{_OGC}PropertyIsEqualTo")
        ET.SubElement(eq, f"{_OGC}PropertyName").text = attr
        ET.SubElement(eq, f"{_OGC}Literal").text = str(value)


def _scale(rule: ET.Element, max_scale: float | None) -> None:
    if max_scale:
        ET.SubElement(rule, f"{_SE}MinScaleDenominator").text = "0"
        ET.SubElement(rule, f"{_SE}MaxScaleDenominator").text = f"{max_scale:.0f}"


def sld_element(name: str, spec: StyleSpec | None = None) -> ET.Element:
    """The ``StyledLayerDescriptor`` element of layer ``name``."""
    spec = spec or default_spec()
    st = spec.layer(name)
    root = ET.Element(
        f"{_SLD}StyledLayerDescriptor",
        {
            "version": "1.1.0",
            f"{{{NS['xsi']}}}schemaLocation": "http://www.opengis.net/sld "
            "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd",
        },
    )
    layer = ET.SubElement(root, f"{_SLD}NamedLayer")
    ET.SubElement(layer, f"{_SE}Name").text = name
    us = ET.SubElement(layer, f"{_SLD}UserStyle")
    ET.SubElement(us, f"{_SE}Name").text = name
    desc = ET.SubElement(us, f"{_SE}Description")
    ET.SubElement(desc, f"{_SE}Title").text = st.title.both()
    fts = ET.SubElement(us, f"{_SE}FeatureTypeStyle")
    for cls in style_classes(name, spec):
        rule = ET.SubElement(fts, f"{_SE}Rule")
        title = cls.label.both() if cls.group is None else f"{cls.group.both()}: {cls.label.both()}"
        ET.SubElement(rule, f"{_SE}Name").text = title
        d = ET.SubElement(rule, f"{_SE}Description")
        ET.SubElement(d, f"{_SE}Title").text = title
        if len(cls.where) and cls.where[0][0]:
            _filter(rule, cls)
        elif cls.is_else:
            ET.SubElement(rule, f"{_SE}ElseFilter")
        _scale(rule, st.max_scale)
        _symbolizers(rule, cls.symbol)
    if st.label is not None:
        field = st.label.field or _first_field(str(st.label.expression))
        rule = ET.SubElement(fts, f"{_SE}Rule")
        ET.SubElement(rule, f"{_SE}Name").text = "labels"
        _scale(rule, st.label.max_scale)
        ts = ET.SubElement(rule, f"{_SE}TextSymbolizer")
        lab = ET.SubElement(ts, f"{_SE}Label")
        ET.SubElement(lab, f"{_OGC}PropertyName").text = field
        font = ET.SubElement(ts, f"{_SE}Font")
        _svg(font, "font-family", spec.font)
        _svg(font, "font-size", f"{st.label.size * 1.333:.0f}")
        if st.label.italic:
            _svg(font, "font-style", "italic")
        halo = ET.SubElement(ts, f"{_SE}Halo")
        ET.SubElement(halo, f"{_SE}Radius").text = "1"
        hf = ET.SubElement(halo, f"{_SE}Fill")
        _svg(hf, "fill", "#ffffff")
        fill = ET.SubElement(ts, f"{_SE}Fill")
        _svg(fill, "fill", st.label.colour)
    return root


def _first_field(expression: str) -> str:
    m = re.search(r'"([^"]+)"', expression)
    return m.group(1) if m else "name"


def sld_text(name: str, spec: StyleSpec | None = None) -> str:
    """The SLD document of layer ``name``."""
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    root = sld_element(name, spec)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
