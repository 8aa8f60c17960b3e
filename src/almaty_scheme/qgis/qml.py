"""QGIS 3.22 QML styles written from the style spec, without QGIS.

The QML is the subset of QGIS's own ``saveNamedStyle`` output that carries meaning here
(renderer, symbols, labels, scale visibility, field aliases, opacity); QGIS fills every
omitted element with its defaults. ``tests/qgis`` loads each file in real QGIS and checks
the renderer, categories/rules, labels and aliases it reads back.

Element layout follows QGIS 3.22 (``QgsVectorLayer::writeSymbology``): a ``<qgis>`` root
with ``hasScaleBasedVisibilityFlag``/``minScale``/``maxScale``/``labelsEnabled``,
``<renderer-v2>`` (``categorizedSymbol`` | ``RuleRenderer`` | ``singleSymbol``), symbol
layers with both the ``<Option type="Map">`` and the legacy ``<prop>`` properties,
``<labeling type="simple">``, ``<aliases>``, ``<layerOpacity>`` and ``<layerGeometryType>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from almaty_scheme.catalogue.style_models import Label, LayerStyle, StyleSpec, Symbol
from almaty_scheme.qgis.spec import (
    StyleClass,
    default_spec,
    field_aliases,
    style_classes,
)

QGIS_VERSION = "3.22.16-Białowieża"
"""The version written into the files (the oldest QGIS the styles are tested with)."""

GEOMETRY_TYPE = {"point": "0", "line": "1", "polygon": "2", "none": "4"}
_DASH = {"solid": "solid", "dash": "dash", "dot": "dot", "dashdot": "dash dot"}
_PLACEMENT = {"point": "0", "line": "2", "polygon": "0", "none": "0"}
# QgsPalLayerSettings::Placement: AroundPoint=0 (polygons: around centroid), Line=2


def rgba(hex_colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` -> QGIS colour string ``"r,g,b,a"`` (alpha 0-255)."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(opacity * 255)}"


def quote_field(name: str) -> str:
    """A field name as a QGIS expression identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_value(value: str) -> str:
    """A string literal in a QGIS expression."""
    return "'" + value.replace("'", "''") + "'"


def class_filter(cls: StyleClass) -> str:
    """The QGIS filter expression of a flattened class (``ELSE`` for other-values)."""
    if cls.is_else:
        return "ELSE"
    return " AND ".join(f"{quote_field(a)} = {quote_value(str(v))}" for a, v in cls.where)


def _props(parent: ET.Element, props: Mapping[str, str]) -> None:
    opt = ET.SubElement(parent, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(opt, "Option", name=k, type="QString", value=v)
    for k, v in props.items():
        ET.SubElement(parent, "prop", k=k, v=v)


def _layer(parent: ET.Element, cls: str, props: Mapping[str, str]) -> ET.Element:
    el = ET.SubElement(parent, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    _props(el, props)
    return el


def _line_props(colour: str, width: float, dash: str, opacity: float = 1.0) -> dict[str, str]:
    return {
        "line_color": rgba(colour, opacity),
        "line_width": f"{width:g}",
        "line_width_unit": "MM",
        "line_style": _DASH.get(dash, "solid"),
        "capstyle": "round",
        "joinstyle": "round",
        "use_custom_dash": "0",
        "customdash": "5;2",
        "customdash_unit": "MM",
        "offset": "0",
        "offset_unit": "MM",
    }


def symbol_element(sym: Symbol, name: str) -> ET.Element:
    """A ``<symbol>`` element (fill, line or marker) for one spec symbol."""
    kind = {
        "fill": "fill",
        "hatch": "fill",
        "outline": "fill",
        "line": "line",
        "railway": "line",
        "marker": "marker",
    }[sym.type]
    el = ET.Element(
        "symbol",
        {"name": name, "type": kind, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    outline = sym.outline or sym.colour
    if sym.type in ("fill", "outline", "hatch"):
        fill_colour = rgba(sym.colour, sym.opacity) if sym.type == "fill" else "0,0,0,0"
        _layer(
            el,
            "SimpleFill",
            {
                "color": fill_colour,
                "style": "solid" if sym.type == "fill" else "no",
                "outline_color": rgba(outline),
                "outline_style": _DASH.get(sym.dash, "solid"),
                "outline_width": f"{sym.width:g}",
                "outline_width_unit": "MM",
                "joinstyle": "round",
                "offset": "0,0",
                "offset_unit": "MM",
            },
        )
        if sym.type == "hatch":
            hatch = _layer(
                el,
                "LinePatternFill",
                {
                    "angle": "45",
                    "distance": "2",
                    "distance_unit": "MM",
                    "line_width": "0.3",
                    "line_width_unit": "MM",
                    "color": rgba(sym.colour),
                    "offset": "0",
                    "offset_unit": "MM",
                },
            )
            sub = ET.SubElement(
                hatch,
                "symbol",
                {
                    "name": f"@{name}@1",
                    "type": "line",
                    "alpha": "1",
                    "clip_to_extent": "1",
                    "force_rhr": "0",
                },
            )
            _layer(sub, "SimpleLine", _line_props(sym.colour, 0.3, "solid"))
    elif sym.type == "line":
        _layer(el, "SimpleLine", _line_props(sym.colour, sym.width, sym.dash, sym.opacity))
    elif sym.type == "railway":
        _layer(el, "SimpleLine", _line_props(sym.colour, sym.width, "solid"))
        dashes = _line_props("#ffffff", sym.width * 0.5, "solid")
        dashes.update({"use_custom_dash": "1", "customdash": "3;3", "capstyle": "flat"})
        _layer(el, "SimpleLine", dashes)
    else:  # marker
        _layer(
            el,
            "SimpleMarker",
            {
                "name": "circle",
                "color": rgba(sym.colour, sym.opacity),
                "outline_color": rgba(outline),
                "outline_style": "solid",
                "outline_width": "0.3",
                "outline_width_unit": "MM",
                "size": f"{sym.size:g}",
                "size_unit": "MM",
                "angle": "0",
                "offset": "0,0",
                "offset_unit": "MM",
                "scale_method": "diameter",
                "joinstyle": "round",
            },
        )
    return el


def renderer_element(name: str, spec: StyleSpec) -> ET.Element:
    """The ``<renderer-v2>`` element of layer ``name``."""
    st = spec.layer(name)
    classes = style_classes(name, spec)
    common = {"symbollevels": "0", "enableorderby": "0", "forceraster": "0", "referencescale": "-1"}
    if st.renderer == "single":
        r = ET.Element("renderer-v2", {"type": "singleSymbol", **common})
        syms = ET.SubElement(r, "symbols")
        syms.append(symbol_element(classes[0].symbol, "0"))
        return r
    if st.renderer in ("certainty", "categories"):
        attr = classes[0].where[0][0]
        r = ET.Element("renderer-v2", {"type": "categorizedSymbol", "attr": attr, **common})
        cats = ET.SubElement(r, "categories")
        syms = ET.SubElement(r, "symbols")
        for i, c in enumerate(classes):
            value = c.where[0][1]
            ET.SubElement(
                cats,
                "category",
                {"symbol": str(i), "value": value or "", "label": c.label.both(), "render": "true"},
            )
            syms.append(symbol_element(c.symbol, str(i)))
        return r
    # rule-based: "rules" (flat) or "groups" (parent rule per group, children by certainty)
    r = ET.Element("renderer-v2", {"type": "RuleRenderer", **common})
    root = ET.SubElement(r, "rules", key=f"{{{name}-root}}")
    syms = ET.SubElement(r, "symbols")
    parents: dict[str, ET.Element] = {}
    for i, c in enumerate(classes):
        attrs = {"key": f"{{{name}-{i}}}", "symbol": str(i), "label": c.label.both()}
        if c.group is not None and c.where[0][1] is not None:
            gattr, gval = c.where[0]
            parent = parents.get(str(gval))
            if parent is None:
                parent = ET.SubElement(
                    root,
                    "rule",
                    {
                        "key": f"{{{name}-{gval}}}",
                        "label": c.group.both(),
                        "filter": f"{quote_field(gattr)} = {quote_value(str(gval))}",
                    },
                )
                parents[str(gval)] = parent
            rest = StyleClass(c.label, c.symbol, c.where[1:])
            ET.SubElement(parent, "rule", {**attrs, "filter": class_filter(rest)})
        else:
            ET.SubElement(root, "rule", {**attrs, "filter": class_filter(c)})
        syms.append(symbol_element(c.symbol, str(i)))
    return r


def labeling_element(label: Label, st: LayerStyle, font: str) -> ET.Element:
    """``<labeling type="simple">`` for a field or an expression, scale-limited."""
    lab = ET.Element("labeling", type="simple")
    settings = ET.SubElement(lab, "settings", calloutType="simple")
    ts = ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": label.text,
            "isExpression": "0" if label.field else "1",
            "fontFamily": font,
            "fontSize": f"{label.size:g}",
            "fontSizeUnit": "Point",
            "fontItalic": "1" if label.italic else "0",
            "fontWeight": "50",
            "textColor": rgba(label.colour),
            "textOpacity": "1",
            "multilineHeight": "1",
            "blendMode": "0",
            "allowHtml": "0",
            "capitalization": "0",
            "namedStyle": "",
        },
    )
    ET.SubElement(
        ts,
        "text-buffer",
        {
            "bufferDraw": "1",
            "bufferSize": "0.7",
            "bufferSizeUnits": "MM",
            "bufferColor": "255,255,255,255",
            "bufferOpacity": "0.85",
            "bufferNoFill": "1",
            "bufferJoinStyle": "128",
            "bufferBlendMode": "0",
        },
    )
    ET.SubElement(
        settings, "text-format", {"wrapChar": "", "autoWrapLength": "0", "multilineAlign": "3"}
    )
    placement = _PLACEMENT[st.geometry]
    ET.SubElement(
        settings,
        "placement",
        {
            "placement": placement,
            "placementFlags": "10",
            "dist": "1" if st.geometry == "point" else "0",
            "distUnits": "MM",
            "centroidInside": "1",
            "fitInPolygonOnly": "0",
            "priority": "5",
            "repeatDistance": "0",
        },
    )
    scale = label.max_scale
    ET.SubElement(
        settings,
        "rendering",
        {
            "scaleVisibility": "1" if scale else "0",
            "scaleMin": "0",
            "scaleMax": f"{scale:.0f}" if scale else "0",
            "obstacle": "1",
            "obstacleType": "1",
            "drawLabels": "1",
            "labelPerPart": "0",
            "mergeLines": "1" if st.geometry == "line" else "0",
            "limitNumLabels": "0",
            "maxNumLabels": "2000",
            "displayAll": "0",
            "upsidedownLabels": "0",
            "minFeatureSize": "0",
        },
    )
    return lab


def qml_element(name: str, spec: StyleSpec | None = None) -> ET.Element:
    """The ``<qgis>`` root element of layer ``name``'s style."""
    spec = spec or default_spec()
    st = spec.layer(name)
    root = ET.Element(
        "qgis",
        {
            "version": QGIS_VERSION,
            "styleCategories": "AllStyleCategories",
            "hasScaleBasedVisibilityFlag": "1" if st.max_scale else "0",
            # QGIS: minScale is the most zoomed-out denominator shown, maxScale the most zoomed-in
            "minScale": f"{st.max_scale:.0f}" if st.max_scale else "100000000",
            "maxScale": "0",
            "labelsEnabled": "1" if st.label else "0",
            "readOnly": "0",
            "simplifyDrawingHints": "1" if st.geometry != "point" else "0",
            "simplifyDrawingTol": "1",
            "simplifyLocal": "1",
            "simplifyMaxScale": "1",
            "simplifyAlgorithm": "0",
        },
    )
    if st.geometry != "none":
        root.append(renderer_element(name, spec))
        if st.label:
            root.append(labeling_element(st.label, st, spec.font))
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = f"{st.opacity:g}"
    aliases = ET.SubElement(root, "aliases")
    for i, (field, alias) in enumerate(field_aliases(name, spec).items()):
        ET.SubElement(aliases, "alias", {"field": field, "index": str(i), "name": alias})
    display = st.label.text if st.label else "name"
    ET.SubElement(root, "previewExpression").text = (
        display if st.label and st.label.expression else quote_field(display)
    )
    ET.SubElement(root, "layerGeometryType").text = GEOMETRY_TYPE[st.geometry]
    return root


def qml_text(name: str, spec: StyleSpec | None = None) -> str:
    """The QML document of layer ``name`` (UTF-8 text, with the QGIS doctype)."""
    root = qml_element(name, spec)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"
