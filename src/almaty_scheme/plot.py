"""Publication maps with matplotlib: the built layers and the check results.

Colours, hatches and line styles come from ``styles/styles.yaml``, the same spec as the
QGIS styles, so a PDF map and the QGIS project agree. Every map has a legend, a scale
bar, a north arrow (true north, rotated by the UTM grid convergence), a grid in
kilometres of EPSG:32643 and an attribution line built from the data sources.

Public functions
----------------
:func:`overview_figure` / :func:`overview_map`
    the restriction layers over the boundary and the base data;
:func:`results_figure` / :func:`results_map`
    parcels coloured by verdict over faint restriction layers;
:func:`parcel_figure`
    one parcel, zoomed, with the zones it touches (for reports).

``*_map`` functions write PNG or PDF (by suffix) atomically; ``*_figure`` functions
return a :class:`matplotlib.figure.Figure` (shown inline by Jupyter). Figures are made
without pyplot, so the module changes no global matplotlib state (backend, open figures)
and works headless.
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import iuliia
import numpy as np
import pandas as pd
import pyogrio
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MultipleLocator
from matplotlib_scalebar.scalebar import ScaleBar
from pyproj import Transformer

from almaty_scheme import __version__
from almaty_scheme.crs import WORKING_CRS, WORKING_EPSG, to_working_crs
from almaty_scheme.errors import DataError, UsageError
from almaty_scheme.io.atomic import atomic_path, check_writable
from almaty_scheme.qgis.project import attribution_text, build_info
from almaty_scheme.qgis.spec import (
    VERDICTS,
    StyleClass,
    StyleSpec,
    Symbol,
    default_spec,
    style_classes,
)
from almaty_scheme.restrictions.schema import LAYER_NAMES

log = logging.getLogger(__name__)

PT_PER_MM = 72 / 25.4
HATCH = "////"
MAX_POLYGONS = 50_000
"""Above this many parcels, maps draw parcel centroids instead of outlines."""

ZONE_ORDER: tuple[str, ...] = (
    "functional_zones",
    "elevation_belts",
    "forest_belts",
    "industrial_zones",
    "water_protection_zones",
    "water_protection_strips",
    "gas_pipeline_zones",
    "power_line_zones",
    "water_main_strips",
    "railway_zones",
    "road_corridors",
)
"""Drawing order of the restriction layers (first drawn first, i.e. at the bottom)."""

BASE_BELOW = (
    "base_admin_units",
    "base_protected_areas",
    "base_heritage_sites",
    "base_water_bodies",
    "base_settlement_footprints",
)
BASE_ABOVE = (
    "base_rivers",
    "base_roads",
    "base_railways",
    "base_power_lines",
    "base_water_mains",
    "base_gas_pipelines",
    "base_settlements",
)

SAVE_FORMATS = (".png", ".pdf", ".svg")


# ---- reading ---------------------------------------------------------------------------


def read_layers(
    gpkg: str | Path, names: Iterable[str] | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Read the spatial layers of a GeoPackage (all, or ``names`` that exist) in EPSG:32643.

    Raises
    ------
    DataError
        If the file does not exist or cannot be read.
    """
    path = Path(gpkg)
    if not path.is_file():
        raise DataError(f"{path} does not exist", ["Build it first (almaty-scheme build)."])
    try:
        listed = {str(n): g for n, g in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio's DataSourceError and friends
        raise DataError(f"cannot read {path}", [f"Is it a GeoPackage? ({exc})"]) from exc
    wanted = [n for n in (names if names is not None else listed) if listed.get(n) is not None]
    out: dict[str, gpd.GeoDataFrame] = {}
    for n in wanted:
        gdf = pyogrio.read_dataframe(path, layer=n)
        if gdf.crs is None or gdf.crs != WORKING_CRS:
            gdf = to_working_crs(gdf, name=f"{path.name}:{n}")
        out[n] = gdf
    return out


# ---- symbols ---------------------------------------------------------------------------


def _matches(gdf: gpd.GeoDataFrame, cls: StyleClass, siblings: Sequence[StyleClass]) -> pd.Series:
    """Rows of ``gdf`` drawn with ``cls`` (else-classes take what no sibling took)."""
    mask = pd.Series(True, index=gdf.index)
    for attr, value in cls.where:
        if value is None:
            continue
        if attr not in gdf.columns:
            return pd.Series(False, index=gdf.index)
        mask &= gdf[attr].astype("string").fillna("") == value
    if cls.is_else:
        taken = pd.Series(False, index=gdf.index)
        for other in siblings:
            if other is cls or other.is_else:
                continue
            same_group = all(v is None or (a, v) in other.where for a, v in cls.where)
            if same_group:
                taken |= _matches(gdf, other, siblings)
        mask &= ~taken
    return mask


def _polygon_paths(geoms: Iterable[Any]) -> list[MplPath]:
    """Matplotlib paths (with holes) of the polygonal parts of ``geoms``."""
    paths = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        for poly in shapely.get_parts(g):
            if poly.geom_type != "Polygon":
                continue
            rings = [np.asarray(poly.exterior.coords)[:, :2]]
            rings += [np.asarray(r.coords)[:, :2] for r in poly.interiors]
            paths.append(MplPath.make_compound_path(*[MplPath(r, closed=True) for r in rings]))
    return paths


def _line_segments(geoms: Iterable[Any]) -> list[np.ndarray]:
    """Coordinate arrays of every line (polygons: their rings)."""
    out = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        for part in shapely.get_parts(g):
            if part.geom_type in ("Polygon",):
                out.append(np.asarray(part.exterior.coords)[:, :2])
                out += [np.asarray(r.coords)[:, :2] for r in part.interiors]
            elif part.geom_type in ("LineString", "LinearRing"):
                out.append(np.asarray(part.coords)[:, :2])
    return out


_LS: dict[str, Any] = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-."}


def _draw(
    ax: Axes, gdf: gpd.GeoDataFrame, sym: Symbol, *, alpha: float = 1.0, zorder: float = 1.0
) -> None:
    """Draw ``gdf`` with one spec symbol (collections; no per-layer redraw)."""
    if gdf.empty:
        return
    lw = max(sym.width * PT_PER_MM, 0.3)
    ls = _LS[sym.dash]
    geoms = gdf.geometry.values
    edge = sym.outline or sym.colour
    if sym.type in ("fill", "hatch", "outline"):
        paths = _polygon_paths(geoms)
        if not paths:
            return
        if sym.type == "fill":
            ax.add_collection(
                PathCollection(
                    paths,
                    facecolors=sym.colour,
                    edgecolors="none",
                    alpha=sym.opacity * alpha,
                    zorder=zorder,
                )
            )
        elif sym.type == "hatch":
            ax.add_collection(
                PathCollection(
                    paths,
                    facecolors="none",
                    edgecolors=sym.colour,
                    linewidths=0.0,
                    hatch=HATCH,
                    alpha=alpha,
                    zorder=zorder,
                )
            )
        ax.add_collection(
            PathCollection(
                paths,
                facecolors="none",
                edgecolors=edge,
                linewidths=lw,
                linestyles=ls,
                alpha=alpha,
                zorder=zorder + 0.01,
            )
        )
    elif sym.type in ("line", "railway"):
        segs = _line_segments(geoms)
        ax.add_collection(
            LineCollection(
                segs,
                colors=sym.colour,
                linewidths=lw,
                linestyles=ls,
                alpha=alpha,
                zorder=zorder,
                capstyle="round",
            )
        )
        if sym.type == "railway":
            ax.add_collection(
                LineCollection(
                    segs,
                    colors="white",
                    linewidths=lw * 0.45,
                    linestyles=[(0, (3, 3))],
                    alpha=alpha,
                    zorder=zorder + 0.01,
                )
            )
    else:
        pts = gdf.geometry.representative_point()
        ax.scatter(
            pts.x,
            pts.y,
            s=(sym.size * PT_PER_MM) ** 2,
            c=sym.colour,
            edgecolors=sym.outline or "black",
            linewidths=0.5,
            alpha=alpha,
            zorder=zorder,
        )


def _handle(sym: Symbol, label: str) -> Any:
    lw = max(sym.width * PT_PER_MM, 0.5)
    ls = _LS[sym.dash]
    if sym.type == "fill":
        return Patch(
            facecolor=sym.colour,
            alpha=max(sym.opacity, 0.35),
            edgecolor=sym.outline or sym.colour,
            label=label,
        )
    if sym.type == "hatch":
        return Patch(facecolor="none", edgecolor=sym.colour, hatch=HATCH, linestyle=ls, label=label)
    if sym.type == "outline":
        return Patch(
            facecolor="none", edgecolor=sym.colour, linewidth=lw, linestyle=ls, label=label
        )
    if sym.type in ("line", "railway"):
        return Line2D([], [], color=sym.colour, linewidth=lw, linestyle=ls, label=label)
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="none",
        markerfacecolor=sym.colour,
        markeredgecolor=sym.outline or "black",
        label=label,
    )


def draw_layer(
    ax: Axes,
    name: str,
    gdf: gpd.GeoDataFrame,
    *,
    spec: StyleSpec | None = None,
    alpha: float = 1.0,
    zorder: float = 1.0,
    lang: str = "ru",
) -> list[Any]:
    """Draw one layer with its spec style; return legend handles for the classes drawn."""
    spec = spec or default_spec()
    if name not in spec.layers or gdf.empty:
        return []
    classes = style_classes(name, spec)
    handles = []
    for cls in classes:
        sub = gdf[_matches(gdf, cls, classes)] if cls.where else gdf
        if sub.empty:
            continue
        _draw(ax, sub, cls.symbol, alpha=alpha, zorder=zorder)
        title = getattr(spec.layers[name].title, lang)
        if len(classes) == 1:
            label = title
        elif cls.group is not None:
            label = f"{title}: {getattr(cls.group, lang)}" + (
                "" if cls.symbol.type != "hatch" else f" ({getattr(cls.label, lang)})"
            )
        else:
            label = f"{title}: {getattr(cls.label, lang)}"
        handles.append(_handle(cls.symbol, label))
    return handles


# ---- cartographic furniture ------------------------------------------------------------


_SCALE_UNITS = {"ru": {"km": "км", "m": "м", "cm": "см"}, "en": {}}
"""Unit names of the scale bar in the map's language (matplotlib-scalebar writes SI)."""


def _scale_text(value: float, unit: str, lang: str) -> str:
    return f"{value:g} {_SCALE_UNITS.get(lang, {}).get(unit, unit)}"


def add_scale_bar(ax: Axes, *, location: str = "lower left", lang: str = "ru") -> ScaleBar:
    """A black-and-white scale bar (matplotlib-scalebar) without a box over the map.

    The axes are in metres of EPSG:32643 (UTM: true scale to 0.04 % here), so one data
    unit is one metre; the bar picks a round length itself and its unit is written in
    ``lang`` (``25 км``). Returns the artist.
    """
    bar = ScaleBar(
        1.0,
        "m",
        location=location,
        frameon=False,
        color="black",
        font_properties={"size": 6.5},
        length_fraction=0.22,
        width_fraction=0.008,
        scale_loc="top",
        border_pad=0.8,
        scale_formatter=lambda value, unit: _scale_text(value, unit, lang),
    )
    ax.add_artist(bar)
    return bar


def grid_convergence_deg(x: float, y: float) -> float:
    """Angle (degrees, counter-clockwise) from grid north to true north at (x, y)."""
    to_ll = Transformer.from_crs(WORKING_CRS, 4326, always_xy=True)
    to_xy = Transformer.from_crs(4326, WORKING_CRS, always_xy=True)
    lon, lat = to_ll.transform(x, y)
    x2, y2 = to_xy.transform(lon, lat + 0.05)
    return math.degrees(math.atan2(-(x2 - x), y2 - y))


NORTH = {"ru": "С", "en": "N"}
"""The north arrow's letter (*север* / north): one script per map."""


def add_north_arrow(
    ax: Axes, *, loc: tuple[float, float] = (0.95, 0.88), lang: str = "ru"
) -> float:
    """A north arrow pointing to true north (rotated by the grid convergence), marked
    in ``lang``."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    angle = grid_convergence_deg((x0 + x1) / 2, (y0 + y1) / 2)
    cx, cy = loc
    length = 0.07
    dx = -math.sin(math.radians(angle)) * length
    dy = math.cos(math.radians(angle)) * length
    ax.annotate(
        "",
        xy=(cx + dx / 2, cy + dy / 2),
        xytext=(cx - dx / 2, cy - dy / 2),
        xycoords="axes fraction",
        arrowprops={
            "arrowstyle": "-|>,head_width=0.5,head_length=0.9",
            "color": "black",
            "lw": 1.6,
        },
        zorder=60,
    )
    ax.text(
        cx + dx * 0.75,
        cy + dy * 0.75,
        NORTH.get(lang, "N"),
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=10,
        fontweight="bold",
        zorder=60,
    )
    return angle


def _nice_step(raw: float) -> float:
    exp = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * exp >= raw:
            return float(m * exp)
    return float(10 * exp)  # pragma: no cover


AXIS_LABELS = {
    "en": (f"Easting, km (WGS 84 / UTM 43N, EPSG:{WORKING_EPSG})", "Northing, km"),
    "ru": (f"Восток, км (WGS 84 / UTM 43N, EPSG:{WORKING_EPSG})", "Север, км"),
}


def add_grid(ax: Axes, lang: str = "ru") -> None:
    """Grid lines every round number of metres, labelled in km of EPSG:32643."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    step = _nice_step(max(x1 - x0, y1 - y0) / 7)
    decimals = 0 if step >= 1000 else (1 if step >= 100 else 2)
    fmt = FuncFormatter(lambda v, _pos: f"{v / 1000:,.{decimals}f}".replace(",", " "))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MultipleLocator(step))
        axis.set_major_formatter(fmt)
    ax.tick_params(labelsize=6.5, length=2)
    for lab in ax.get_yticklabels():
        lab.set_rotation(90)
        lab.set_verticalalignment("center")
    ax.grid(True, color="#8c8c8c", linewidth=0.35, linestyle=":", zorder=0.5)
    ax.set_xlabel(AXIS_LABELS[lang][0], fontsize=7)
    ax.set_ylabel(AXIS_LABELS[lang][1], fontsize=7)


_ATTRIBUTION_RU = {
    "Contains data from:": "Использованы данные:",
    "© OpenStreetMap contributors": "© участники OpenStreetMap",
}
"""The attribution's own words in Russian (OpenStreetMap's guidelines allow the
translated credit); source and licence names stay as their authors write them."""


def attribution_line(layers_gpkg: str | Path | None = None, lang: str = "ru") -> str:
    """The map's foot: the data sources' attribution (licence names as their authors
    write them), the scheme, the toolkit and the rule catalogue version, in ``lang``."""

    info = build_info(layers_gpkg) if layers_gpkg else {}
    cat = info.get("catalogue_version", "")
    if lang == "ru":
        made = f"almaty-scheme {__version__}" + (f", каталог правил {cat}" if cat else "")
        sources = attribution_text(layers_gpkg)
        for en, ru in _ATTRIBUTION_RU.items():  # the sentence in Russian; names as written
            sources = sources.replace(en, ru)
        return (
            f"{sources} Правила: Межрегиональная схема территориального "
            "развития Алматинской агломерации (постановление № 514 от 13.08.2020). "
            f"Подготовлено: {made}. Зоны — планировочные ограничения с точностью исходных "
            "данных (поле accuracy каждого объекта)."
        )
    made = f"almaty-scheme {__version__}" + (f", rule catalogue {cat}" if cat else "")
    return (
        f"{attribution_text(layers_gpkg)} Rules: Interregional scheme of territorial "
        f"development of the Almaty agglomeration (decree No. 514, 13.08.2020). "
        f"Made with {made}. Zones are planning restrictions at the accuracy of their "
        "base data; see each feature's accuracy field."
    )


def _finish(
    fig: Figure,
    ax: Axes,
    *,
    title: str,
    handles: list[Any],
    attribution: str,
    legend_title: str | None = None,
    ncol: int = 1,
    lang: str = "ru",
) -> None:
    ax.set_aspect("equal")
    add_grid(ax, lang)
    add_scale_bar(ax, lang=lang)
    add_north_arrow(ax, lang=lang)
    ax.set_title(title, fontsize=11, fontweight="bold", loc="left")
    declutter_labels(ax)
    if handles:
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.72, 0.90),
            fontsize=6.5,
            title=legend_title,
            title_fontsize=7.5,
            frameon=False,
            ncol=ncol,
            handlelength=2.2,
            handleheight=1.2,
            borderaxespad=0.0,
            alignment="left",
        )
    wrapped = "\n".join(textwrap.wrap(attribution, 190))
    fig.text(0.02, 0.012, wrapped, fontsize=5.2, color="#404040", va="bottom", ha="left")


def _extent(
    frames: Iterable[gpd.GeoDataFrame], pad: float = 0.04, min_span: float = 2_000.0
) -> tuple[float, float, float, float] | None:
    boxes = [f.total_bounds for f in frames if not f.empty]
    boxes = [b for b in boxes if np.all(np.isfinite(b))]
    if not boxes:
        return None
    arr = np.array(boxes)
    x0, y0 = arr[:, 0].min(), arr[:, 1].min()
    x1, y1 = arr[:, 2].max(), arr[:, 3].max()
    span = max(x1 - x0, y1 - y0, min_span)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w = max(x1 - x0, span * 0.6) * (1 + 2 * pad) / 2
    h = max(y1 - y0, span * 0.6) * (1 + 2 * pad) / 2
    return cx - w, cy - h, cx + w, cy + h


def _new_figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(11.69, 8.27))  # A4 landscape; no pyplot: no global state
    ax = fig.add_axes((0.06, 0.12, 0.64, 0.80))
    return fig, ax


# ---- maps ------------------------------------------------------------------------------


def overview_figure(
    layers_gpkg: str | Path,
    *,
    title: str | None = None,
    lang: str = "ru",
    spec: StyleSpec | None = None,
) -> Figure:
    """The built restriction layers over the boundary and base data (A4 landscape)."""
    spec = spec or default_spec()
    layers = read_layers(layers_gpkg)
    fig, ax = _new_figure()
    frame = [layers[n] for n in ("boundary",) if n in layers and not layers[n].empty]
    ext = _extent(frame or list(layers.values()))
    handles: list[Any] = []
    z = 1.0
    for name in BASE_BELOW:
        if name in layers:
            handles += draw_layer(ax, name, layers[name], spec=spec, zorder=z, lang=lang)
            z += 1
    possible_seen = False
    for name in ZONE_ORDER:
        if name not in layers:
            continue
        gdf = layers[name]
        hs = draw_layer(
            ax,
            name,
            gdf,
            spec=spec,
            zorder=z,
            lang=lang,
            alpha=1.0 if name != "functional_zones" else spec.layers[name].opacity * 2,
        )
        z += 1
        if spec.layers[name].renderer == "certainty":
            # one legend entry per layer (its solid colour); hatching is explained once
            solid = [h for h in hs if not (isinstance(h, Patch) and h.get_hatch())]
            handles += [_relabel(h, getattr(spec.layers[name].title, lang)) for h in solid[:1]]
            possible_seen |= len(solid) < len(hs)
        else:
            handles += hs
    if possible_seen:
        label = {
            "en": "hatched: possible band of a ranged width",
            "ru": "штриховка: возможная полоса (диапазон ширины)",
        }[lang]
        handles.append(Patch(facecolor="none", edgecolor="#555555", hatch=HATCH, label=label))
    for name in BASE_ABOVE:
        if name in layers:
            handles += draw_layer(ax, name, layers[name], spec=spec, zorder=z, lang=lang)
            z += 1
    if "base_settlements" in layers:
        _label_points(ax, layers["base_settlements"], ext, lang=lang)
    for name in ("coverage", "boundary"):
        if name in layers:
            handles += draw_layer(ax, name, layers[name], spec=spec, zorder=z, lang=lang)
            z += 1
    if ext is not None:
        ax.set_xlim(ext[0], ext[2])
        ax.set_ylim(ext[1], ext[3])
    default = {
        "en": "Almaty agglomeration: restriction zones of the interregional scheme",
        "ru": "Алматинская агломерация: зоны ограничений межрегиональной схемы",
    }[lang]
    _finish(
        fig,
        ax,
        title=title or default,
        handles=handles,
        attribution=attribution_line(layers_gpkg, lang),
        legend_title={"en": "Legend", "ru": "Условные обозначения"}[lang],
        lang=lang,
    )
    return fig


def _relabel(h: Any, label: str) -> Any:
    h.set_label(label)
    return h


def label_name(row: Mapping[str, Any], lang: str) -> str | None:
    """A settlement's label in ``lang``: the scheme's (Russian) name for ``ru``; for ``en``
    its English name where the data has one (GeoNames' ", Almaty" suffix dropped), else the
    Russian name transliterated by the Wikipedia system (iuliia), so one map uses one
    script."""
    ru = next(
        (str(row[c]) for c in ("scheme_name", "name_ru", "name") if _present(row.get(c))), None
    )
    if lang == "ru":
        return ru
    en = row.get("name_en")
    if _present(en) and str(en).isascii():
        return str(en).split(",")[0].strip()
    return iuliia.WIKIPEDIA.translate(ru) if ru else None


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != ""


def _label_points(
    ax: Axes,
    pts: gpd.GeoDataFrame,
    ext: tuple[float, ...] | None,
    limit: int = 14,
    lang: str = "ru",
) -> list[str]:
    """Label the ``limit`` most populous settlements in ``lang``, each name once (the
    most populous place of that name); returns the labels drawn."""
    if pts.empty:
        return []
    pop = next(
        (c for c in ("pop_2018", "pop_2025") if c in pts.columns and pts[c].notna().any()), None
    )
    if pop is not None:
        sel = pts[pts[pop].notna()].sort_values(pop, ascending=False, kind="stable")
    elif len(pts) > limit:
        return []
    else:
        sel = pts
    drawn: list[str] = []
    for _, row in sel.iterrows():
        if len(drawn) >= limit:
            break
        name = label_name(row, lang)
        p = row.geometry.representative_point()
        inside = ext is None or (ext[0] <= p.x <= ext[2] and ext[1] <= p.y <= ext[3])
        if not name or name in drawn or not inside:
            continue
        drawn.append(name)
        ax.annotate(
            name,
            (p.x, p.y),
            gid=LABEL_GID,
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=5.5,
            color="#1a1a1a",
            zorder=40,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6},
        )
    return drawn


LABEL_GID = "settlement-label"
"""Marks settlement labels for :func:`declutter_labels`."""


def declutter_labels(ax: Axes, pad: float = 1.15) -> list[str]:
    """Hide each settlement label whose box (grown by ``pad``) meets the box of a label
    kept before it; labels are drawn most populous first, so the larger place keeps its
    name. Run when the map's extent and aspect are final. Returns the hidden names."""
    ax.apply_aspect()
    kept: list[Any] = []
    hidden: list[str] = []
    for text in [t for t in ax.texts if t.get_gid() == LABEL_GID and t.get_visible()]:
        box = text.get_window_extent().expanded(pad, pad)
        if any(box.overlaps(k) for k in kept):
            text.set_visible(False)
            hidden.append(text.get_text())
        else:
            kept.append(box)
    return hidden


def _verdict_handles(parcels: gpd.GeoDataFrame, spec: StyleSpec, lang: str) -> list[Any]:
    counts = parcels["verdict"].value_counts() if "verdict" in parcels.columns else pd.Series()
    out = []
    for v in VERDICTS:
        lab = getattr(spec.labels["verdict"][v], lang)
        out.append(
            Patch(
                facecolor=spec.colours["verdict"][v],
                edgecolor="#333333",
                label=f"{lab}: {int(counts.get(v, 0))}",
            )
        )
    return out


def draw_parcels(
    ax: Axes,
    parcels: gpd.GeoDataFrame,
    spec: StyleSpec | None = None,
    *,
    zorder: float = 30,
    markers: bool | None = None,
) -> None:
    """Parcels filled by verdict; centroid markers too when they would be too small."""
    spec = spec or default_spec()
    valid = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
    if valid.empty:
        return
    many = len(valid) > MAX_POLYGONS
    if not many:
        for v in VERDICTS:
            sub = valid[valid["verdict"] == v]
            if not sub.empty:
                _draw(
                    ax,
                    sub,
                    Symbol(
                        type="fill",
                        colour=spec.colours["verdict"][v],
                        outline="#222222",
                        width=0.1,
                        opacity=0.9,
                    ),
                    zorder=zorder,
                )
    x0, x1 = ax.get_xlim()
    small = float(np.sqrt(valid.area.median())) < (x1 - x0) / 300 if len(valid) else False
    if markers or (markers is None and (many or small)):
        pts = valid.geometry.representative_point()
        colours = valid["verdict"].map(spec.colours["verdict"]).fillna("#000000")
        ax.scatter(
            pts.x,
            pts.y,
            s=30 if len(valid) < 2000 else 4,
            c=colours.tolist(),
            edgecolors="#222222",
            linewidths=0.3,
            zorder=zorder + 1,
        )


CONTEXT_ZONE = Symbol(type="fill", colour="#9e9e9e", outline="#6e6e6e", width=0.1, opacity=0.28)
"""Every restriction zone on the results map: one neutral grey, so that the verdict
colours are the only hues among the parcels (see :func:`results_figure`)."""
CONTEXT_LAYERS = ("base_water_bodies", "base_rivers", "base_railways", "boundary")


def _draw_context(
    ax: Axes,
    layers: Mapping[str, gpd.GeoDataFrame],
    clip: Any,
    spec: StyleSpec,
    lang: str,
) -> list[Any]:
    """The results map's background: restriction zones in one grey (functional zones,
    which cover everything, are left out), water, railways and the boundary."""

    def within(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return gdf[gdf.intersects(clip)] if clip is not None and not gdf.empty else gdf

    zones = [within(layers[n]) for n in ZONE_ORDER if n != "functional_zones" and n in layers]
    zones = [z for z in zones if not z.empty]
    handles: list[Any] = []
    if zones:
        merged = gpd.GeoDataFrame(
            geometry=pd.concat([z.geometry for z in zones], ignore_index=True), crs=WORKING_CRS
        )
        _draw(ax, merged, CONTEXT_ZONE, zorder=2)
        label = {"ru": "Зоны ограничений (все слои)", "en": "Restriction zones (all layers)"}
        handles.append(_handle(CONTEXT_ZONE, label[lang]))
    for z, name in enumerate(CONTEXT_LAYERS, start=3):
        if name in layers and not (gdf := within(layers[name])).empty:
            handles += draw_layer(ax, name, gdf, spec=spec, alpha=0.8, zorder=z, lang=lang)
    return handles


def results_figure(
    results_gpkg: str | Path,
    layers_gpkg: str | Path | None = None,
    *,
    title: str | None = None,
    lang: str = "ru",
    spec: StyleSpec | None = None,
) -> Figure:
    """Parcels coloured by verdict over the (faint) restriction layers."""
    spec = spec or default_spec()
    res = read_layers(results_gpkg, ["parcels"])
    if "parcels" not in res:
        raise DataError(
            f"{results_gpkg} has no 'parcels' layer",
            ["Pass the output of almaty-scheme check (--results)."],
        )
    parcels = res["parcels"]
    layers = read_layers(layers_gpkg) if layers_gpkg else {}
    fig, ax = _new_figure()
    shown = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
    ext = _extent([shown], pad=0.08, min_span=5_000.0)
    if ext is None:
        ext = _extent([layers[n] for n in ("boundary",) if n in layers])
    if ext is not None:
        ax.set_xlim(ext[0], ext[2])
        ax.set_ylim(ext[1], ext[3])
    clip = shapely.box(*ext) if ext is not None else None
    handles = _draw_context(ax, layers, clip, spec, lang)
    z = 20.0
    draw_parcels(ax, parcels, spec, zorder=z + 10)
    if ext is not None:
        ax.set_xlim(ext[0], ext[2])
        ax.set_ylim(ext[1], ext[3])
    vh = _verdict_handles(parcels, spec, lang)
    default = {
        "en": f"Parcel check: {len(parcels)} parcels by verdict",
        "ru": f"Проверка участков: {len(parcels)} участков по заключениям",
    }[lang]
    _finish(
        fig,
        ax,
        title=title or default,
        handles=vh + handles,
        attribution=attribution_line(layers_gpkg, lang),
        legend_title={"en": "Verdict (parcels) and context", "ru": "Заключение и контекст"}[lang],
        lang=lang,
    )
    return fig


def draw_parcel_map(
    ax: Axes,
    parcel: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    hits: gpd.GeoDataFrame | None = None,
    spec: StyleSpec | None = None,
    margin: float = 1.5,
) -> list[Any]:
    """Draw one parcel zoomed (``margin`` x its size, at least 200 m) with the zones and
    base data around it and its overlaps cross-hatched; return legend handles."""
    spec = spec or default_spec()
    geom = parcel.geometry.iloc[0]
    x0, y0, x1, y1 = geom.bounds
    span = max(x1 - x0, y1 - y0, 200.0) * margin
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ext = (cx - span, cy - span, cx + span, cy + span)
    from shapely.geometry import box

    clip = box(*ext)
    handles: list[Any] = []
    z = 1.0
    for name in (*BASE_BELOW, *ZONE_ORDER, *BASE_ABOVE, "boundary"):
        gdf = layers.get(name)
        if gdf is None or gdf.empty:
            continue
        gdf = gdf[gdf.intersects(clip)]
        if gdf.empty:
            continue
        handles += draw_layer(ax, name, gdf.clip(clip), spec=spec, zorder=z, alpha=0.8)
        z += 1
    verdict = str(parcel["verdict"].iloc[0]) if "verdict" in parcel.columns else "clear"
    colour = spec.colours["verdict"].get(verdict, "#000000")
    _draw(ax, parcel, Symbol(type="outline", colour=colour, width=0.8), zorder=z + 5)
    _draw(ax, parcel, Symbol(type="outline", colour="#000000", width=0.2), zorder=z + 6)
    if hits is not None and not hits.empty and "geometry" in hits and hits.geometry.notna().any():
        ax.add_collection(
            PathCollection(
                _polygon_paths(hits.geometry.dropna().values),
                facecolors="none",
                edgecolors="black",
                hatch="xxx",
                linewidths=0.3,
                zorder=z + 4,
            )
        )
        handles.append(
            Patch(facecolor="none", edgecolor="black", hatch="xxx", label="overlap / пересечение")
        )
    handles.insert(
        0, Line2D([], [], color=colour, linewidth=2.2, label=f"parcel / участок ({verdict})")
    )
    ax.set_xlim(ext[0], ext[2])
    ax.set_ylim(ext[1], ext[3])
    ax.set_aspect("equal")
    add_grid(ax)
    ax.set_xlabel(AXIS_LABELS["ru"][0].split(" (")[0], fontsize=6.5)
    add_scale_bar(ax)
    add_north_arrow(ax, loc=(0.92, 0.86), lang="ru")  # as the axis label
    return handles


def parcel_figure(
    parcel: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    hits: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    spec: StyleSpec | None = None,
    margin: float = 1.5,
    figsize: tuple[float, float] = (7.6, 4.6),
) -> Figure:
    """One parcel zoomed, with the zones around it and its overlaps hatched."""
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.07, 0.1, 0.49, 0.8))
    handles = draw_parcel_map(ax, parcel, layers, hits=hits, spec=spec, margin=margin)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(0.58, 0.9), fontsize=6, frameon=False
    )
    return fig


# ---- saving ----------------------------------------------------------------------------


def save_figure(
    fig: Figure, out_path: str | Path, *, overwrite: bool = False, dpi: int = 200
) -> Path:
    """Save ``fig`` atomically as PNG, PDF or SVG (by suffix)."""
    out = Path(out_path)
    if out.suffix.lower() not in SAVE_FORMATS:
        raise UsageError(
            f"cannot write {out.name}", ["Give a file name ending in .png, .pdf or .svg."]
        )
    with atomic_path(out, overwrite=overwrite) as tmp:
        meta = (
            {"Software": f"almaty-scheme {__version__}"}
            if out.suffix.lower() == ".png"
            else {"Creator": f"almaty-scheme {__version__}"}
        )
        fig.savefig(tmp, dpi=dpi, format=out.suffix.lower()[1:], metadata=meta)
    log.info("wrote map %s", out)
    return out


def overview_map(
    gpkg: str | Path,
    out_path: str | Path,
    *,
    title: str | None = None,
    overwrite: bool = False,
    lang: str = "ru",
    dpi: int = 200,
) -> Path:
    """Render :func:`overview_figure` to ``out_path`` (.png or .pdf)."""
    _check_target(out_path, overwrite)
    return save_figure(
        overview_figure(gpkg, title=title, lang=lang), out_path, overwrite=overwrite, dpi=dpi
    )


def results_map(
    results_gpkg: str | Path,
    layers_gpkg: str | Path | None,
    out_path: str | Path,
    *,
    title: str | None = None,
    overwrite: bool = False,
    lang: str = "ru",
    dpi: int = 200,
) -> Path:
    """Render :func:`results_figure` to ``out_path`` (.png or .pdf)."""
    _check_target(out_path, overwrite)
    return save_figure(
        results_figure(results_gpkg, layers_gpkg, title=title, lang=lang),
        out_path,
        overwrite=overwrite,
        dpi=dpi,
    )


def _check_target(out_path: str | Path, overwrite: bool) -> None:
    """Fail before rendering (which can take a while) if the output cannot be written."""

    out = Path(out_path)
    if out.suffix.lower() not in SAVE_FORMATS:
        raise UsageError(
            f"cannot write {out.name}", ["Give a file name ending in .png, .pdf or .svg."]
        )
    check_writable(out, overwrite=overwrite)


__all__ = [
    "LAYER_NAMES",
    "add_grid",
    "add_north_arrow",
    "add_scale_bar",
    "attribution_line",
    "declutter_labels",
    "draw_layer",
    "draw_parcel_map",
    "draw_parcels",
    "overview_figure",
    "overview_map",
    "parcel_figure",
    "read_layers",
    "results_figure",
    "results_map",
    "save_figure",
]
