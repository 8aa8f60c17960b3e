"""What every restriction (zone) feature carries, and the geometric primitives.

Zone feature columns (:data:`ZONE_COLUMNS`), in every layer of the built GeoPackage:

``rule_id``, ``family``, ``kind``
    catalogue rule that made the feature and its family/kind;
``name``
    what the zone is around (river, road, pipeline name);
``width_m``
    the width used for this feature (for a ``possible`` band, its outer width);
``width_min_m``, ``width_max_m``
    the rule's range where the scheme gives one (else both equal ``width_m``);
``band_inner_m``, ``band_outer_m``
    the widths that bound this feature, in the rule's width semantics (0 and
    ``width_m`` for a plain zone; ``min`` and ``max`` for a possible band; for a
    ``total`` width these are total widths, half of each lies on either side);
``width_semantics``
    ``total`` | ``per_side``; ``measured_from``: the reference (see catalogue models);
``certainty``
    ``certain`` (within the minimum / single value) | ``possible`` (only within a
    ranged maximum);
``horizon``
    2025/2035/2050 or null; ``citation`` / ``citation_ru``: the act and scheme lines
    (English / Russian);
``verified``
    false when the width rests on an unverified external norm;
``reading``
    the choices taken (range policy, edge approximation, reading of an ambiguity);
``source``, ``accuracy``
    source and accuracy of the base geometry the zone was built from;
``source_layer``, ``source_fid``
    the base layer and ``base_id`` of that geometry (to measure distances to it).

Geometry: buffers use :data:`QUAD_SEGS` segments per quarter circle everywhere, so
areas are reproducible and comparable with QGIS ``native:buffer`` at the same setting.

Every family builder has the signature
``build_<layer>(rules, base, options) -> (GeoDataFrame, list[LayerNote])``: ``rules``
is the whole catalogue (a :class:`~almaty_scheme.catalogue.loader.Catalogue` or any
iterable of rules; each builder picks its own), ``base`` the canonical
:class:`~almaty_scheme.base.model.BaseData`, ``options`` a :class:`BuildOptions`.
Builders are pure: they read nothing from disk except the DEM named in ``base``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.catalogue.models import Rule, Width
from almaty_scheme.crs import WORKING_CRS

if TYPE_CHECKING:
    from almaty_scheme.base.model import BaseData

QUAD_SEGS = 16
"""Segments per quarter circle for every buffer (QGIS: ``SEGMENTS=16``)."""

MIN_SLIVER_M2 = 1.0
"""Polygon parts smaller than this (m²) are dropped from outputs as slivers."""

LAYER_NAMES: tuple[str, ...] = (
    "boundary",
    "road_corridors",
    "railway_zones",
    "power_line_zones",
    "water_main_strips",
    "water_protection_zones",
    "water_protection_strips",
    "gas_pipeline_zones",
    "forest_belts",
    "elevation_belts",
    "industrial_zones",
    "functional_zones",
)
"""Restriction layers of the built GeoPackage, in drawing order (names fixed by issue 4)."""

ZONE_COLUMNS: dict[str, str] = {
    "rule_id": "string",
    "family": "string",
    "kind": "string",
    "name": "string",
    "width_m": "float64",
    "width_min_m": "float64",
    "width_max_m": "float64",
    "band_inner_m": "float64",
    "band_outer_m": "float64",
    "width_semantics": "string",
    "measured_from": "string",
    "certainty": "string",
    "horizon": "Int64",
    "citation": "string",
    "citation_ru": "string",
    "verified": "boolean",
    "reading": "string",
    "source": "string",
    "accuracy": "string",
    "source_layer": "string",
    "source_fid": "string",
}

RangePolicy = Literal["both", "min", "max"]
Certainty = Literal["certain", "possible"]
NoteKind = Literal["input", "missing", "reading", "warning", "skipped"]


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class BuildOptions:
    """Choices a build takes; every one is recorded in ``build_info`` and the report.

    Parameters
    ----------
    range_policy
        How ranged widths are built: ``both`` (minimum as ``certain`` + the band up to
        the maximum as ``possible``), ``min`` or ``max``; ``None`` uses each rule's
        ``width.default``.
    river_half_width_m
        Half the channel width assumed for rivers given as centrelines: zones and
        strips are measured from a line this far from the centreline (0 = the
        centreline approximates the water edge on both banks).
    railway_right_of_way_m
        Per-side right-of-way width overriding the catalogue's flagged parameter.
    power_wire_offset_m
        Distance from a power line's axis to its outermost wire: zones measured from the
        outermost wire are built from the axis plus this offset (0 = axis).
    large_river_conditions
        ``complex`` or ``simple``: which default rule applies to rivers over 200 km
        without a project of their own (L628-632; catalogue finding
        ``water_protection.finding.ili_conditions``).
    kapchagay_contour
        How the 479.0 m contour is approximated: ``shoreline`` (the reservoir polygon),
        ``dem`` (DEM cells at or below the contour connected to the reservoir, within
        ``contour_search_m`` of its shoreline, joined with the shoreline polygon).
    contour_search_m
        How far from the shoreline the DEM contour may reach (``dem`` mode only).
    clip_to_boundary
        Clip every zone to the agglomeration boundary (when the base has one).
    include_base
        Write the base layers the zones were built from (``base_*``) into the package.
    min_sliver_m2
        Polygon parts smaller than this are dropped (partition pieces are merged into
        a neighbour instead, so that the partition stays gap-free).
    elevation_min_cells
        Elevation-belt parts smaller than this many DEM cells are dropped as specks.
    elevation_simplify_cells
        Simplification tolerance of elevation belts in DEM cells (at least 0.5; the
        default 1 removes the staircase of a 45-degree edge, whose corners lie 0.71 cell
        off the true line).
    unnamed_derived_certainty
        Certainty of water-protection features built around *unnamed* streams derived
        from a DEM: ``possible`` (default: such a stream may not exist, or run elsewhere,
        so a parcel there is flagged for checking, not prohibited) or ``certain``.
        Named rivers derived from the DEM keep the rule's certainty (the river exists;
        only its course is approximate, which each feature's ``accuracy`` says).
    aerial_spraying_band
        Draw the 2000 m band of ``water_protection.activity.aerial_spraying`` (L665-667)
        into ``water_protection_zones``: one ``possible`` feature per base layer (rivers,
        water bodies), measured from the water edge, whose regime makes agricultural,
        forestry and dacha uses conditional. Off by default: the prohibition is listed
        under "В пределах водоохранных зон запрещается" (L642), and inside the zones
        their own conditions already forbid aerial spraying (catalogue finding
        ``water_protection.finding.aerial_spraying_beyond_zone``).
    """

    range_policy: RangePolicy | None = None
    river_half_width_m: float = 0.0
    railway_right_of_way_m: float | None = None
    power_wire_offset_m: float = 0.0
    large_river_conditions: Literal["simple", "complex"] = "complex"
    kapchagay_contour: Literal["shoreline", "dem"] = "shoreline"
    contour_search_m: float = 3000.0
    clip_to_boundary: bool = True
    include_base: bool = True
    min_sliver_m2: float = MIN_SLIVER_M2
    elevation_min_cells: float = 4.0
    elevation_simplify_cells: float = 1.0
    unnamed_derived_certainty: Literal["possible", "certain"] = "possible"
    aerial_spraying_band: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Options as a plain dict (for ``build_info`` and the report)."""
        from dataclasses import asdict

        return asdict(self)


# --------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class LayerNote:
    """One line of the build report about a layer.

    ``kind``: ``input`` (a base layer used, with its accuracy), ``missing`` (an input
    that would have been used but is absent or empty), ``reading`` (a choice taken on an
    ambiguous rule), ``warning`` (something a user must look at), ``skipped`` (a rule
    that produced no feature and why).
    """

    layer: str
    kind: NoteKind
    message: str
    rule_id: str | None = None
    accuracy: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The note as a JSON-friendly dict."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def input_note(layer: str, base: BaseData, base_layer: str, what: str = "") -> LayerNote:
    """An ``input`` note (features, source, accuracy) or a ``missing`` note for a base layer."""
    gdf = base[base_layer]
    if len(gdf) == 0:
        return LayerNote(layer, "missing", f"base layer '{base_layer}' is empty{what}")
    acc = _distinct(gdf, "accuracy")
    src = _distinct(gdf, "source")
    prov = next((p for p in base.provenance if p.layer == base_layer), None)
    if prov is not None:
        acc = prov.accuracy or acc if acc == "unknown" else acc
        src = prov.source or src if src == "unknown" else src
    return LayerNote(
        layer,
        "input",
        f"base layer '{base_layer}': {len(gdf)} feature(s) from {src}{what}",
        accuracy=acc,
    )


def _distinct(gdf: pd.DataFrame, col: str, limit: int = 3) -> str:
    if col not in gdf.columns:
        return "unknown"
    vals = [str(v) for v in pd.unique(gdf[col].dropna())]
    if not vals:
        return "unknown"
    text = "; ".join(vals[:limit])
    return text + (f"; +{len(vals) - limit} more" if len(vals) > limit else "")


# --------------------------------------------------------------------------- frames


def empty_zones(extra: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """An empty zone layer with :data:`ZONE_COLUMNS` (+ ``extra``) in the working CRS."""
    cols = {**ZONE_COLUMNS, **(extra or {})}
    data = {c: pd.Series(dtype=t) for c, t in cols.items()}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=WORKING_CRS), crs=WORKING_CRS)


def rule_attributes(rule: Rule) -> dict[str, Any]:
    """The zone attributes that come from the rule alone (width columns excluded)."""
    w = rule.width
    return {
        "rule_id": rule.id,
        "family": rule.family,
        "kind": rule.kind,
        "width_semantics": w.semantics if w else None,
        "measured_from": w.measured_from if w else None,
        "width_min_m": (w.min_m if w.is_range else w.value_m) if w else None,
        "width_max_m": (w.max_m if w.is_range else w.value_m) if w else None,
        "horizon": rule.horizon,
        "citation": rule.citation(),
        "citation_ru": rule.citation_ru(),
        "verified": rule.verified,
    }


def zones_frame(
    records: Iterable[Mapping[str, Any]],
    geometries: Iterable[BaseGeometry | None],
    extra: Mapping[str, str] | None = None,
    *,
    min_area: float = MIN_SLIVER_M2,
) -> gpd.GeoDataFrame:
    """Assemble a zone layer from attribute dicts and geometries, with canonical dtypes.

    Geometries are made valid, polygonal parts only, slivers below ``min_area``
    removed, and empty results dropped.
    """
    recs = list(records)
    geoms = list(geometries)
    if not recs:
        return empty_zones(extra)
    cols: dict[str, Any] = {**ZONE_COLUMNS, **(extra or {})}
    df = pd.DataFrame.from_records(recs)
    for c, t in cols.items():
        if c not in df.columns:
            df[c] = pd.NA
        df[c] = _coerce(df[c], t)
    garr = clean_polygons(np.asarray(geoms, dtype=object), min_area=min_area)
    gdf = gpd.GeoDataFrame(df[list(cols)], geometry=gpd.GeoSeries(garr, crs=WORKING_CRS))
    keep = ~(gdf.geometry.is_empty | gdf.geometry.isna())
    return gdf.loc[keep].reset_index(drop=True)


def _coerce(series: pd.Series, dtype: Any) -> pd.Series:
    """``series`` as ``dtype``, missing values (None, NA, NaN) kept missing."""
    if str(dtype).startswith("float"):
        obj = series.astype(object)
        return obj.where(obj.notna(), np.nan).astype(dtype)
    return series.astype(dtype)


def clean_polygons(geoms: np.ndarray, min_area: float = MIN_SLIVER_M2) -> np.ndarray:
    """Make valid, keep polygonal parts, drop parts under ``min_area``; MultiPolygon out."""
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        out[i] = clean_polygon(g, min_area)
    return out


def clean_polygon(g: BaseGeometry | None, min_area: float = MIN_SLIVER_M2) -> shapely.MultiPolygon:
    """One geometry made valid, polygonal parts only, parts under ``min_area`` dropped."""
    if g is None or g.is_empty:
        return shapely.MultiPolygon()
    if not g.is_valid:
        g = shapely.make_valid(g)
    polys: list[shapely.Polygon] = []
    for p in shapely.get_parts(g):
        if p.geom_type == "Polygon":
            polys.append(p)
        elif p.geom_type in ("MultiPolygon", "GeometryCollection"):
            polys.extend(q for q in shapely.get_parts(p) if q.geom_type == "Polygon")
    polys = [p for p in polys if p.area >= min_area]
    mp = shapely.MultiPolygon(polys) if polys else shapely.MultiPolygon()
    if not mp.is_valid:  # touching parts from make_valid: dissolve them
        mp = clean_polygon(shapely.union_all(polys), min_area) if polys else mp
    return mp


# --------------------------------------------------------------------------- buffers


def line_buffer(geom: BaseGeometry, distance: float, *, flat: bool = True) -> BaseGeometry:
    """Buffer a line ``distance`` metres on each side.

    ``flat=True`` gives flat ends at the line's end points (a 1 km segment buffered
    113.25 m each side covers exactly 226 500 m²); joins are round with
    :data:`QUAD_SEGS` segments.
    """
    return shapely.buffer(
        geom,
        distance,
        quad_segs=QUAD_SEGS,
        cap_style="flat" if flat else "round",
        join_style="round",
    )


def band(geom: BaseGeometry, inner: float, outer: float, *, flat: bool = False) -> BaseGeometry:
    """The ring between ``inner`` and ``outer`` metres from ``geom`` (inner may be 0)."""
    outer_g = shapely.buffer(
        geom, outer, quad_segs=QUAD_SEGS, cap_style="flat" if flat else "round"
    )
    if inner <= 0:
        return outer_g
    inner_g = shapely.buffer(
        geom, inner, quad_segs=QUAD_SEGS, cap_style="flat" if flat else "round"
    )
    return shapely.difference(outer_g, inner_g)


def reference_band(
    geom: BaseGeometry,
    inner: float,
    outer: float,
    *,
    flat: bool,
    exclude: BaseGeometry | None = None,
) -> BaseGeometry:
    """Land between ``inner`` and ``outer`` metres from a reference geometry.

    For a line this is :func:`band` (with flat or round ends). For a polygon the
    reference is its outline, outwards only: ``buffer(poly, outer) - buffer(poly, inner)``
    with ``buffer(poly, 0) = poly`` so the polygon itself (e.g. a water surface) is never
    part of a zone. ``exclude`` (e.g. a river channel) is removed as well.
    """
    polygonal = geom.geom_type in ("Polygon", "MultiPolygon")
    cap = "flat" if (flat and not polygonal) else "round"
    out_g = shapely.buffer(geom, outer, quad_segs=QUAD_SEGS, cap_style=cap, join_style="round")
    if inner > 0:
        out_g = shapely.difference(
            out_g,
            shapely.buffer(geom, inner, quad_segs=QUAD_SEGS, cap_style=cap, join_style="round"),
        )
    elif polygonal:
        out_g = shapely.difference(out_g, geom)
    if exclude is not None and not exclude.is_empty:
        out_g = shapely.difference(out_g, exclude)
    return out_g


@dataclass(frozen=True)
class Band:
    """One feature's extent across a reference, in the rule's width semantics.

    ``inner_m``/``outer_m`` are widths as the rule states them (total or per side);
    :meth:`distances` gives the per-side buffer distances.
    """

    inner_m: float
    outer_m: float
    certainty: Certainty
    semantics: str
    reading: str | None = None

    def distances(self) -> tuple[float, float]:
        """(inner, outer) buffer distances from the reference, per side, in metres."""
        f = 0.5 if self.semantics == "total" else 1.0
        return self.inner_m * f, self.outer_m * f


def width_bands(width: Width, policy: RangePolicy | None) -> list[Band]:
    """The features a width gives: one for a single value, one or two for a range.

    Ranged widths (e.g. 35-100 m): ``both`` gives the minimum as ``certain`` (0 to min)
    and the ring from min to max as ``possible`` (the two never overlap); ``min`` gives
    0 to min as ``certain``; ``max`` gives 0 to max as ``certain``. ``policy=None`` uses
    the rule's ``width.default``.
    """
    sem = width.semantics
    if not width.is_range:
        assert width.value_m is not None
        return [Band(0.0, width.value_m, "certain", sem)]
    assert width.min_m is not None and width.max_m is not None
    chosen = policy or (width.default if width.default in ("both", "min", "max") else "both")
    lo, hi = width.min_m, width.max_m
    if chosen == "min":
        return [
            Band(0.0, lo, "certain", sem, f"range {lo:g}-{hi:g} m: minimum used (range_policy=min)")
        ]
    if chosen == "max":
        return [
            Band(0.0, hi, "certain", sem, f"range {lo:g}-{hi:g} m: maximum used (range_policy=max)")
        ]
    return [
        Band(0.0, lo, "certain", sem, f"range {lo:g}-{hi:g} m: minimum built as certain"),
        Band(
            lo,
            hi,
            "possible",
            sem,
            f"range {lo:g}-{hi:g} m: band from minimum to maximum built as possible",
        ),
    ]


def range_bands(lo: float, hi: float, semantics: str, why: str) -> list[Band]:
    """Bands for a width known only to lie between ``lo`` and ``hi`` (ambiguous input)."""
    if hi <= lo:
        return [Band(0.0, lo, "certain", semantics, why)]
    return [
        Band(
            0.0,
            lo,
            "certain",
            semantics,
            f"{why}; the smallest candidate ({lo:g} m) built as certain",
        ),
        Band(
            lo,
            hi,
            "possible",
            semantics,
            f"{why}; band up to the largest candidate ({hi:g} m) built as possible",
        ),
    ]


def band_record(rule: Rule, b: Band) -> dict[str, Any]:
    """Rule attributes plus the width columns of one band."""
    rec = rule_attributes(rule)
    rec.update(
        width_m=b.outer_m,
        band_inner_m=b.inner_m,
        band_outer_m=b.outer_m,
        certainty=b.certainty,
        width_semantics=b.semantics,
    )
    return rec


def source_attributes(row: Mapping[str, Any] | pd.Series, layer: str) -> dict[str, Any]:
    """``source``/``accuracy``/``source_layer``/``source_fid`` of a base feature."""

    def get(k: str) -> Any:
        v = row.get(k) if hasattr(row, "get") else None
        return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v

    return {
        "source": get("source"),
        "accuracy": get("accuracy"),
        "source_layer": layer,
        "source_fid": get("base_id"),
    }


def text(value: Any, default: str | None = None) -> str | None:
    """``value`` if it is a non-empty string, else ``default`` (safe with NA/NaN/None)."""
    if isinstance(value, str) and value.strip():
        return value
    return default


def join_reading(*parts: str | None) -> str | None:
    """Join reading fragments with '; ' (skipping empty ones and duplicates)."""
    seen: list[str] = []
    for p in parts:
        if p and p.strip() and p.strip() not in seen:
            seen.append(p.strip())
    return "; ".join(seen) if seen else None


# --------------------------------------------------------------------------- boundary


def boundary_geometry(base: BaseData) -> BaseGeometry | None:
    """The agglomeration boundary as one valid polygonal geometry, or ``None`` if absent."""
    gdf = base["boundary"]
    if len(gdf) == 0:
        return None
    g = shapely.union_all(shapely.make_valid(np.asarray(gdf.geometry.values, dtype=object)))
    return clean_polygon(g, 0.0)


def clip(geom: BaseGeometry, boundary: BaseGeometry | None) -> BaseGeometry:
    """``geom`` inside ``boundary`` (unchanged when there is no boundary)."""
    if boundary is None or geom.is_empty:
        return geom
    return shapely.intersection(geom, boundary)


def clip_frame(
    gdf: gpd.GeoDataFrame,
    boundary: BaseGeometry | None,
    min_area: float = MIN_SLIVER_M2,
    *,
    keep_area: bool = False,
) -> gpd.GeoDataFrame:
    """Clip a zone frame to ``boundary``; drop features left empty.

    With ``keep_area`` the result has a column ``_area_before`` (m², before clipping) and
    the dropped rows are kept with an empty geometry (for reporting; the caller drops them).
    """
    if boundary is None or len(gdf) == 0:
        return gdf
    shapely.prepare(boundary)
    before = np.asarray(gdf.geometry.area, dtype=float)
    geoms = shapely.intersection(np.asarray(gdf.geometry.values, dtype=object), boundary)
    out = gdf.copy()
    out = out.set_geometry(
        gpd.GeoSeries(clean_polygons(geoms, min_area), crs=WORKING_CRS, index=gdf.index)
    )
    if keep_area:
        out["_area_before"] = before
        return out.reset_index(drop=True)
    keep = ~out.geometry.is_empty
    return out.loc[keep].reset_index(drop=True)


def finish_layer(
    gdf: gpd.GeoDataFrame,
    base: BaseData,
    options: BuildOptions,
    notes: list[LayerNote],
    layer: str,
) -> gpd.GeoDataFrame:
    """Clip to the boundary (if asked and available), sort deterministically, reindex."""
    if options.clip_to_boundary and len(gdf):
        bnd = boundary_geometry(base)
        if bnd is None:
            notes.append(
                LayerNote(layer, "missing", "no boundary in the base: zones are not clipped")
            )
        else:
            clipped = clip_frame(gdf, bnd, options.min_sliver_m2, keep_area=True)
            gone = clipped.geometry.is_empty
            if gone.any():
                ids = sorted({str(r) for r in clipped.loc[gone, "rule_id"].dropna()})
                notes.append(
                    LayerNote(
                        layer,
                        "reading",
                        f"{int(gone.sum())} feature(s) lie wholly outside the boundary and are "
                        f"not in the layer (rules: {', '.join(ids) or '-'})",
                    )
                )
            gdf = clipped.loc[~gone].drop(columns="_area_before").reset_index(drop=True)
            if layer == "industrial_zones":  # stated areas: say where the boundary cut one
                for _, row in clipped.loc[~gone].iterrows():
                    after = row.geometry.area
                    if after < row["_area_before"] * (1 - 1e-9):
                        notes.append(
                            LayerNote(
                                layer,
                                "warning",
                                f"footprint cut by the boundary: {after / 1e4:.1f} of "
                                f"{row['_area_before'] / 1e4:.1f} ha inside",
                                row["rule_id"],
                            )
                        )
    if len(gdf):
        keys = [
            c
            for c in ("rule_id", "source_fid", "band_inner_m", "certainty", "name")
            if c in gdf.columns
        ]
        gdf = gdf.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)
    return gdf


# --------------------------------------------------------------------------- matching

_DASHES = re.compile(r"[\u2010-\u2015\u2212-]+")
_QUOTES = re.compile(r"[\"'«»“”„`]")
_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Fold a name for matching: NFC, lower case, ё→е, dashes and quotes unified."""
    t = unicodedata.normalize("NFKC", str(text)).lower().replace("ё", "е")
    t = _QUOTES.sub("", t)
    t = _DASHES.sub(" - ", t)
    return _SPACES.sub(" ", t).strip()


def name_matches(candidates: Sequence[str], values: Iterable[Any]) -> bool:
    """Whether any candidate name occurs, as whole words, in any of ``values``."""
    vals = [normalize_name(v) for v in values if isinstance(v, str) and v.strip()]
    if not vals:
        return False
    for c in candidates:
        nc = normalize_name(c)
        if not nc:
            continue
        pat = re.compile(r"(?<!\w)" + re.escape(nc) + r"(?!\w)")
        if any(pat.search(v) for v in vals):
            return True
    return False


def feature_names(
    row: Mapping[str, Any] | pd.Series,
    cols: Sequence[str] = ("name", "name_ru", "name_kk", "name_en"),
) -> list[str]:
    """The name-like values of a base feature (missing columns skipped)."""
    out = []
    for c in cols:
        v = row.get(c) if hasattr(row, "get") else None
        if isinstance(v, str) and v.strip():
            out.append(v)
    return out


def select_rules(
    rules: Iterable[Rule],
    *,
    kinds: Sequence[str] = (),
    layer: str | None = None,
    family: str | None = None,
) -> list[Rule]:
    """Rules of the given kinds / layer / family, in catalogue order."""
    out = []
    for r in rules:
        if kinds and r.kind not in kinds:
            continue
        if layer is not None and r.layer not in (None, layer):
            continue
        if family is not None and r.family != family:
            continue
        out.append(r)
    return out


def union_of(gdf: gpd.GeoDataFrame) -> BaseGeometry:
    """Union of a frame's geometries (empty polygon if none)."""
    if len(gdf) == 0:
        return shapely.MultiPolygon()
    return shapely.union_all(np.asarray(gdf.geometry.values, dtype=object))


@dataclass
class NoteBook:
    """Collects notes for one layer."""

    layer: str
    notes: list[LayerNote] = field(default_factory=list)

    def add(
        self, kind: NoteKind, message: str, rule_id: str | None = None, accuracy: str | None = None
    ) -> None:
        """Append a note."""
        self.notes.append(LayerNote(self.layer, kind, message, rule_id, accuracy))

    def input(self, base: BaseData, base_layer: str, what: str = "") -> None:
        """Append an ``input``/``missing`` note for a base layer."""
        self.notes.append(input_note(self.layer, base, base_layer, what))
