"""The QGIS project (``.qgz``) of a built GeoPackage, written without QGIS.

A ``.qgz`` is a zip holding one ``.qgs`` XML document. :func:`write_project` writes one
whose layer tree follows the scheme's four groups of functional zones (L166-174):

* check results (``parcels``, ``parcel_hits``) on top, when a results GeoPackage is given;
* ``boundary`` and ``functional_zones`` (translucent) at the top level;
* "1 Интенсивное освоение / Intensive development", "2 Экстенсивное освоение / Extensive",
  "3 Ограниченное освоение / Limited", "4 Особый режим / Special regime": each restriction
  layer goes to the group its catalogue rules name (``Rule.functional_group``); a layer
  whose rules name several groups (``elevation_belts``: the horticulture belt is
  extensive, the relic-apple belt limited) is added once per group, filtered by
  ``rule_id``; layers whose rules name no group follow ``styles/styles.yaml`` (project:);
* "Базовые данные / Base data": ``coverage`` and the ``base_*`` layers.

Every layer carries its style from ``styles/<layer>.qml`` (renderer, labels, aliases,
scale visibility), its data source as a path relative to the project file, and metadata
(rights = the data sources' attribution). The project CRS is EPSG:32643; the project
metadata holds the title, an abstract with the attribution and the catalogue version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import sqlite3
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from pyproj import CRS

from almaty_scheme import __version__
from almaty_scheme.base.sources import load_sources, sources_path
from almaty_scheme.catalogue.datafile import read_yaml
from almaty_scheme.catalogue.loader import default_catalogue
from almaty_scheme.crs import WORKING_CRS, WORKING_EPSG
from almaty_scheme.errors import AlmatySchemeError, DataError
from almaty_scheme.io.atomic import atomic_path
from almaty_scheme.qgis.layout import Lang, LayoutText, LegendLayer, layout_element
from almaty_scheme.qgis.qml import QGIS_VERSION, qml_element, quote_field, quote_value
from almaty_scheme.qgis.spec import StyleSpec, default_spec, style_classes
from almaty_scheme.restrictions.schema import LAYER_NAMES

log = logging.getLogger(__name__)

_SKIP_TABLES = {
    "layer_styles",
    "build_info",
    # internal tables of the check results: parcels and parcel_hits are the views users read
    "parcels_data",
    "parcels_geom",
    "check_cases",
    "explanation_pairs",
    "explanation_parts",
    "check_texts",
    "parcel_hits_data",
    "check_zones",
    "check_summary",
}
"""Tables never shown as project layers."""

_EXTRA_TITLES: dict[str, dict[str, str]] = {
    "parcel_input_issues": {
        "ru": "Исправленные входные геометрии участков",
        "en": "Parcel input issues (original geometries)",
    },
}
"""Human names of shown tables that have no style of their own."""
_HIDDEN = {"coverage", "base_boundary", "base_admin_units"}
"""Layers added unchecked (duplicates or clutter at the overview scale)."""


@dataclass
class LayerEntry:
    """One map layer of the project."""

    layer: str
    gpkg: Path
    title: str
    geometry: str | None
    features: int
    extent: tuple[float, float, float, float] | None
    subset: str = ""
    rule_ids: tuple[str, ...] = ()
    visible: bool = True

    @property
    def layer_id(self) -> str:
        """A stable QGIS layer id: the name plus a hash of file, layer and filter.

        Shaped like QGIS's own ids (``name_<hex>``); QGIS 3.22 replaced some bare
        names (``boundary``, ``parcels``) by random ids on reading.
        """
        key = f"{self.gpkg.name}|{self.layer}|{self.subset}".encode()
        return f"{self.layer}_{hashlib.sha1(key).hexdigest()[:12]}"


@dataclass
class GroupNode:
    """A group of the layer tree."""

    title: str
    children: list[LayerEntry] = field(default_factory=list)


def attribution_text(gpkg: str | Path | None = None) -> str:
    """The attribution line of the data sources.

    Taken from the GeoPackage's ``build_info`` (key ``attribution``) when present, else
    from ``layers/sources.yaml`` (``attribution``), which copies the text of the
    reference data's README.
    """
    if gpkg is not None:
        info = build_info(gpkg)
        if info.get("attribution"):
            return info["attribution"]
    try:
        return " ".join(load_sources().attribution.split())
    except AlmatySchemeError as exc:
        log.debug("sources.yaml does not validate (%s); reading its attribution alone", exc)
    problems: list[str] = []
    raw = read_yaml(sources_path(), problems)
    try:
        return " ".join(str(raw["attribution"]).split())
    except (KeyError, TypeError) as exc:  # pragma: no cover - fallback
        log.warning("cannot read the data sources' attribution: %s %s", exc, problems)
        return "Contains open data; see the data sources' README for attribution."


def build_info(gpkg: str | Path) -> dict[str, str]:
    """The ``build_info`` key/value table of a built GeoPackage ({} if absent)."""
    try:
        with closing(sqlite3.connect(f"file:{Path(gpkg)}?mode=ro", uri=True)) as con:
            rows = con.execute("SELECT key, value FROM build_info").fetchall()
    except sqlite3.Error:
        return {}
    return {str(k): "" if v is None else str(v) for k, v in rows}


def _layer_infos(gpkg: Path) -> dict[str, tuple[str | None, int, tuple[float, ...] | None]]:
    """Name -> (geometry type, feature count, extent) from the GeoPackage's own tables."""
    try:
        with closing(sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)) as con:
            contents = con.execute(
                "SELECT table_name, data_type, min_x, min_y, max_x, max_y FROM gpkg_contents "
                "WHERE data_type IN ('features', 'attributes')"
            ).fetchall()
            gtypes = dict(
                con.execute(
                    "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"
                ).fetchall()
            )
            out: dict[str, tuple[str | None, int, tuple[float, ...] | None]] = {}
            for name, kind, *ext in contents:
                if name in _SKIP_TABLES:
                    continue
                n = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                box = tuple(float(v) for v in ext) if None not in ext else None
                if box is not None and not all(map(_finite, box)):
                    box = None
                gtype = gtypes.get(name) if kind == "features" else None
                out[str(name)] = (_canonical_type(gtype), int(n), box)
    except sqlite3.Error as exc:
        raise DataError(f"cannot read {gpkg}", [f"Is it a GeoPackage? ({exc})"]) from exc
    return out


def _canonical_type(name: str | None) -> str | None:
    if name is None:
        return None
    table = {t.upper(): t for t in _WKB}
    return table.get(name.upper(), "Geometry")


def _finite(x: float) -> bool:
    return x == x and abs(x) != float("inf")


def catalogue_groups(catalogue: object | None = None) -> dict[str, dict[str, list[str]]]:
    """Layer -> functional group -> rule ids, from the rules' ``layer``/``functional_group``.

    Returns ``{}`` (and logs a warning) if the catalogue cannot be loaded; the spec's
    fallback table then places every layer.
    """
    try:
        if catalogue is None:
            catalogue = default_catalogue()
        rules = list(catalogue)  # type: ignore[call-overload]
    except AlmatySchemeError as exc:
        log.warning("catalogue unavailable, using the fallback layer groups: %s", exc.summary)
        return {}
    out: dict[str, dict[str, list[str]]] = {}
    for r in rules:
        if r.layer and r.functional_group:
            out.setdefault(r.layer, {}).setdefault(r.functional_group, []).append(r.id)
    return out


def plan_tree(
    layers_gpkg: Path,
    results_gpkg: Path | None = None,
    *,
    spec: StyleSpec | None = None,
    catalogue: object | None = None,
    lang: Lang = "ru",
) -> list[GroupNode | LayerEntry]:
    """The project's layer tree, top (drawn last) to bottom.

    Layers absent from the files are left out; layers present but unknown to the spec
    are added at the end of the base-data group, with QGIS's default style. Layer and
    group names are human names in ``lang`` (Russian by default), never table names
    (except for tables the toolkit does not know, e.g. a user's extra base layer).
    """
    spec = spec or default_spec()
    infos = {n: (layers_gpkg, *i) for n, i in _layer_infos(layers_gpkg).items()}
    if results_gpkg is not None:
        infos.update({n: (results_gpkg, *i) for n, i in _layer_infos(results_gpkg).items()})
    by_group = catalogue_groups(catalogue)
    groups = {g.key: GroupNode(getattr(g.title, lang)) for g in spec.project.groups}
    top: dict[str, LayerEntry] = {}
    placed: set[str] = set()

    def entry(name: str, **kw: object) -> LayerEntry:
        gpkg, gtype, n, ext = infos[name]
        e = LayerEntry(name, gpkg, layer_title(name, lang, spec), gtype, n, ext)  # type: ignore[arg-type]
        e.visible = name not in _HIDDEN
        for k, v in kw.items():
            setattr(e, k, v)
        return e

    # restriction layers split by the groups their rules name
    for name in LAYER_NAMES:
        if name not in infos or name in spec.project.tree:
            continue
        named = {g: ids for g, ids in by_group.get(name, {}).items() if g in groups}
        if len(named) == 1:
            groups[next(iter(named))].children.append(entry(name))
            placed.add(name)
        elif len(named) > 1:
            for g, ids in named.items():
                e = entry(name, rule_ids=tuple(sorted(ids)))
                e.subset = (
                    f"{quote_field('rule_id')} IN ({', '.join(map(quote_value, e.rule_ids))})"
                )
                group_label = getattr(spec.labels["functional_group"][g], lang)
                e.title = f"{e.title}: {group_label.lstrip('0123456789 ')}"
                groups[g].children.append(e)
            placed.add(name)
    for gspec in spec.project.groups:
        for name in gspec.layers:
            if name in infos and name not in placed:
                groups[gspec.key].children.append(entry(name))
                placed.add(name)
    for name in spec.project.tree:
        if name in infos and name not in groups:
            top[name] = entry(name)
            placed.add(name)
    for name in infos:
        if name not in placed and infos[name][1] is not None:
            log.info("layer %s has no place in the project tree; added to base data", name)
            groups["base"].children.append(entry(name))
    tree: list[GroupNode | LayerEntry] = []
    for item in spec.project.tree:
        if item in groups:
            if groups[item].children:
                tree.append(groups[item])
        elif item in top:
            tree.append(top[item])
    return tree


def layer_title(name: str, lang: Lang = "ru", spec: StyleSpec | None = None) -> str:
    """The human name of layer ``name`` in ``lang`` (its table name if unknown)."""
    spec = spec or default_spec()
    if name in spec.layers:
        return str(getattr(spec.layers[name].title, lang))
    if name in _EXTRA_TITLES:
        return _EXTRA_TITLES[name][lang]
    return name


def legend_labels(name: str, lang: Lang = "ru", spec: StyleSpec | None = None) -> tuple[str, ...]:
    """The legend labels of layer ``name`` in ``lang``, in QGIS's legend-node order.

    Categorized and flat rule-based renderers have one node per class; the nested
    ``groups`` renderer has a node per parent rule (functional group) followed by its
    children. Single-symbol layers (and unknown ones) get ``()``: the layer name is
    their label.
    """
    spec = spec or default_spec()
    if name not in spec.layers or spec.layers[name].renderer == "single":
        return ()
    out: list[str] = []
    seen: set[str] = set()
    for c in style_classes(name, spec):
        if c.group is not None and c.where and c.where[0][1] is not None:
            key = str(c.where[0][1])
            if key not in seen:
                seen.add(key)
                out.append(str(getattr(c.group, lang)))
        out.append(str(getattr(c.label, lang)))
    return tuple(out)


def _srs_element(parent: ET.Element, crs: CRS) -> None:
    srs = ET.SubElement(parent, "spatialrefsys")
    ET.SubElement(srs, "wkt").text = crs.to_wkt()
    with warnings.catch_warnings():  # "you will likely lose information": fine for UTM
        warnings.simplefilter("ignore", UserWarning)
        ET.SubElement(srs, "proj4").text = crs.to_proj4()
    ET.SubElement(srs, "srid").text = str(crs.to_epsg())
    ET.SubElement(srs, "authid").text = f"EPSG:{crs.to_epsg()}"
    ET.SubElement(srs, "description").text = crs.name
    ET.SubElement(srs, "projectionacronym").text = "utm"
    ET.SubElement(srs, "ellipsoidacronym").text = "EPSG:7030"
    ET.SubElement(srs, "geographicflag").text = "false"


def _extent(parent: ET.Element, tag: str, ext: Iterable[float]) -> ET.Element:
    el = ET.SubElement(parent, tag)
    for k, v in zip(("xmin", "ymin", "xmax", "ymax"), ext, strict=True):
        ET.SubElement(el, k).text = repr(float(v))
    return el


def _datasource(e: LayerEntry, project_dir: Path) -> str:
    rel = os.path.relpath(e.gpkg.resolve(), project_dir.resolve())
    rel = rel.replace(os.sep, "/")
    if not rel.startswith("."):
        rel = "./" + rel
    src = f"{rel}|layername={e.layer}"
    if e.subset:
        src += f"|subset={e.subset}"
    return src


_WKB = {
    "Point": "Point",
    "MultiPoint": "MultiPoint",
    "LineString": "LineString",
    "MultiLineString": "MultiLineString",
    "Polygon": "Polygon",
    "MultiPolygon": "MultiPolygon",
}
_GEOM = {
    "Point": "Point",
    "MultiPoint": "Point",
    "LineString": "Line",
    "MultiLineString": "Line",
    "Polygon": "Polygon",
    "MultiPolygon": "Polygon",
}


def _maplayer(e: LayerEntry, project_dir: Path, spec: StyleSpec, rights: str) -> ET.Element:
    gtype = (e.geometry or "").replace(" Z", "").replace("25D", "")
    ml = ET.Element(
        "maplayer",
        {
            "type": "vector",
            "autoRefreshEnabled": "0",
            "refreshOnNotifyEnabled": "0",
            "geometry": _GEOM.get(gtype, "No geometry"),
            "wkbType": _WKB.get(gtype, "NoGeometry"),
        },
    )
    style = qml_element(e.layer, spec) if e.layer in spec.layers else None
    if style is not None:
        for k, v in style.attrib.items():
            if k != "version":
                ml.set(k, v)
    if e.extent is not None:
        _extent(ml, "extent", e.extent)
    ET.SubElement(ml, "id").text = e.layer_id
    ET.SubElement(ml, "datasource").text = _datasource(e, project_dir)
    ET.SubElement(ml, "layername").text = e.title
    srs = ET.SubElement(ml, "srs")
    _srs_element(srs, WORKING_CRS)
    md = ET.SubElement(ml, "resourceMetadata")
    ET.SubElement(md, "identifier").text = e.layer
    ET.SubElement(md, "type").text = "dataset"
    ET.SubElement(md, "title").text = e.title
    abstract = spec.layers[e.layer].title.both() if e.layer in spec.layers else e.layer
    if e.rule_ids:
        abstract += f" (rules: {', '.join(e.rule_ids)})"
    ET.SubElement(md, "abstract").text = abstract
    ET.SubElement(md, "rights").text = rights
    ET.SubElement(ml, "provider", encoding="UTF-8").text = "ogr"
    msm = ET.SubElement(ml, "map-layer-style-manager", current="default")
    ET.SubElement(msm, "map-layer-style", name="default")
    if style is not None:
        for child in style:
            ml.append(child)
    return ml


def _tree_layer(parent: ET.Element, e: LayerEntry, project_dir: Path) -> None:
    node = ET.SubElement(
        parent,
        "layer-tree-layer",
        {
            "id": e.layer_id,
            "name": e.title,
            "source": _datasource(e, project_dir),
            "providerKey": "ogr",
            "checked": "Qt::Checked" if e.visible else "Qt::Unchecked",
            "expanded": "0",
            "legend_exp": "",
        },
    )
    ET.SubElement(node, "customproperties")


def _entries(tree: list[GroupNode | LayerEntry]) -> list[LayerEntry]:
    out: list[LayerEntry] = []
    for item in tree:
        out.extend(item.children if isinstance(item, GroupNode) else [item])
    return out


def project_document(
    layers_gpkg: str | Path,
    project_path: str | Path,
    *,
    results_gpkg: str | Path | None = None,
    title: str | None = None,
    spec: StyleSpec | None = None,
    catalogue: object | None = None,
    lang: Lang = "ru",
) -> ET.Element:
    """The ``<qgis>`` project element for the given GeoPackages.

    ``project_path`` is where the project will be written: data sources are relative
    to its folder. Layer, group and layout texts are in ``lang``.
    """
    spec = spec or default_spec()
    layers_gpkg = Path(layers_gpkg)
    results = Path(results_gpkg) if results_gpkg is not None else None
    project_dir = Path(project_path).parent
    tree = plan_tree(layers_gpkg, results, spec=spec, catalogue=catalogue, lang=lang)
    entries = _entries(tree)
    info = build_info(layers_gpkg)
    attribution = attribution_text(layers_gpkg)
    cat_version = info.get("catalogue_version") or _catalogue_version(catalogue)
    title = title or str(getattr(spec.project.title, lang))
    now = dt.datetime.now().replace(microsecond=0).isoformat()

    root = ET.Element(
        "qgis",
        {
            "projectname": title,
            "version": QGIS_VERSION,
            "saveUser": "almaty-scheme",
            "saveDateTime": now,
        },
    )
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "autotransaction", active="0")
    ET.SubElement(root, "evaluateDefaultValues", active="0")
    ET.SubElement(root, "trust", active="0")
    pcrs = ET.SubElement(root, "projectCrs")
    _srs_element(pcrs, WORKING_CRS)

    ltg = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(ltg, "customproperties")
    for item in tree:
        if isinstance(item, GroupNode):
            g = ET.SubElement(
                ltg,
                "layer-tree-group",
                {"name": item.title, "checked": "Qt::Checked", "expanded": "1"},
            )
            ET.SubElement(g, "customproperties")
            for e in item.children:
                _tree_layer(g, e, project_dir)
        else:
            _tree_layer(ltg, item, project_dir)
    order = ET.SubElement(ltg, "custom-order", enabled="0")
    for e in entries:
        ET.SubElement(order, "item").text = e.layer_id

    full = _full_extent(entries)
    if full is not None:
        canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
        ET.SubElement(canvas, "units").text = "meters"
        _extent(canvas, "extent", full)
        ET.SubElement(canvas, "rotation").text = "0"
        dest = ET.SubElement(canvas, "destinationsrs")
        _srs_element(dest, WORKING_CRS)
        ET.SubElement(canvas, "rendermaptile").text = "0"

    pl = ET.SubElement(root, "projectlayers")
    for e in entries:
        pl.append(_maplayer(e, project_dir, spec, attribution))
    lo = ET.SubElement(root, "layerorder")
    for e in entries:
        ET.SubElement(lo, "layer", id=e.layer_id)

    props = ET.SubElement(root, "properties")
    paths = ET.SubElement(props, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    srs = ET.SubElement(props, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    meas = ET.SubElement(props, "Measurement")
    ET.SubElement(meas, "DistanceUnits", type="QString").text = "meters"
    ET.SubElement(meas, "AreaUnits", type="QString").text = "ha"
    own = ET.SubElement(props, "almaty_scheme")
    ET.SubElement(own, "attribution", type="QString").text = attribution
    ET.SubElement(own, "catalogue_version", type="QString").text = cat_version
    ET.SubElement(own, "toolkit_version", type="QString").text = __version__

    md = ET.SubElement(root, "projectMetadata")
    ET.SubElement(md, "identifier").text = f"almaty-scheme/{cat_version}"
    ET.SubElement(md, "parentidentifier")
    ET.SubElement(md, "language").text = lang
    ET.SubElement(md, "type").text = "project"
    ET.SubElement(md, "title").text = title
    abstract = (
        f"{spec.project.title.ru}. {spec.project.title.en} "
        "(Government of the Republic of Kazakhstan decree No. 514 of 13 August 2020). "
        f"Restriction layers built by almaty-scheme {__version__} from rule catalogue "
        f"version {cat_version}"
        + (f", built {info['built_at']}" if info.get("built_at") else "")
        + f". Attribution: {attribution}"
    )
    ET.SubElement(md, "abstract").text = abstract
    kw = ET.SubElement(md, "keywords", vocabulary="almaty-scheme")
    for word in (
        "Almaty agglomeration",
        "restrictions",
        "territorial planning",
        f"catalogue {cat_version}",
    ):
        ET.SubElement(kw, "keyword").text = word
    ET.SubElement(md, "links")
    ET.SubElement(md, "history").text = f"Written by almaty-scheme {__version__} on {now}"
    ET.SubElement(md, "author").text = "almaty-scheme"
    ET.SubElement(md, "creation").text = now

    view = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    ET.SubElement(view, "Scales")
    if full is not None:
        dve = ET.SubElement(
            view,
            "DefaultViewExtent",
            {
                k: repr(float(v))
                for k, v in zip(("xmin", "ymin", "xmax", "ymax"), full, strict=True)
            },
        )
        _srs_element(dve, WORKING_CRS)
        text = LayoutText(title, attribution, cat_version, __version__, info.get("built_at", ""))
        legend = [
            LegendLayer(
                e.layer_id, e.title, _datasource(e, project_dir), legend_labels(e.layer, lang, spec)
            )
            for e in entries
            if e.visible and e.features > 0 and e.geometry is not None
        ]
        root.append(
            layout_element(extent=full, legend=legend, text=text, font=spec.font, lang=lang)
        )
    return root


def _catalogue_version(catalogue: object | None) -> str:
    try:
        if catalogue is None:
            catalogue = default_catalogue()
        return str(catalogue.version)  # type: ignore[attr-defined]
    except AlmatySchemeError:
        return "unknown"


def _full_extent(entries: list[LayerEntry]) -> tuple[float, float, float, float] | None:
    exts = [e.extent for e in entries if e.extent is not None and e.features > 0]
    pref = [e.extent for e in entries if e.layer == "boundary" and e.extent is not None]
    use = pref or exts
    if not use:
        return None
    return (
        min(x[0] for x in use),
        min(x[1] for x in use),
        max(x[2] for x in use),
        max(x[3] for x in use),
    )


def project_xml(*args: object, **kwargs: object) -> str:
    """:func:`project_document` as text, with the QGIS doctype."""
    root = project_document(*args, **kwargs)  # type: ignore[arg-type]
    ET.indent(root, space="  ")
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        + ET.tostring(root, encoding="unicode")
        + "\n"
    )


def write_project(
    layers_gpkg: str | Path,
    out: str | Path,
    *,
    results_gpkg: str | Path | None = None,
    title: str | None = None,
    overwrite: bool = False,
    catalogue: object | None = None,
    lang: Lang = "ru",
) -> Path:
    """Write a ``.qgz`` (or, by suffix, a plain ``.qgs``) project atomically.

    Parameters
    ----------
    layers_gpkg
        The built GeoPackage (``almaty-scheme build``).
    out
        Project path, ``.qgz`` or ``.qgs``.
    results_gpkg
        Optional check results (``almaty-scheme check``), added as the top group.
    title
        Project title (default: the scheme's title in ``lang``).
    overwrite
        Replace an existing project.
    lang
        Language of the layer, group and layout texts: ``"ru"`` (default) or ``"en"``.

    Raises
    ------
    DataError
        If a GeoPackage cannot be read.
    OutputExistsError
        If ``out`` exists and ``overwrite`` is false.
    """
    out = Path(out)
    problems = [
        f"{p} does not exist; build it first (almaty-scheme build / check)."
        for p in (layers_gpkg, results_gpkg)
        if p is not None and not Path(p).is_file()
    ]
    if out.suffix.lower() not in (".qgz", ".qgs"):
        problems.append(f"{out.name}: the project must end in .qgz or .qgs.")
    if lang not in ("ru", "en"):
        problems.append(f"language {lang!r}: use ru or en.")
    if problems:
        raise DataError("cannot write the QGIS project", problems)
    text = project_xml(
        layers_gpkg, out, results_gpkg=results_gpkg, title=title, catalogue=catalogue, lang=lang
    )
    with atomic_path(out, overwrite=overwrite) as tmp:
        if out.suffix.lower() == ".qgs":
            tmp.write_text(text, encoding="utf-8")
        else:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"{out.stem}.qgs", text.encode("utf-8"))
    log.info("wrote QGIS project %s (EPSG:%d)", out, WORKING_EPSG)
    return out
