"""Reconstruct the agglomeration boundary from the scheme's words (L106-135).

The scheme describes its boundary in words only: parts of five districts and of the
Kapchagay city administration around Almaty (L90-93), Karasai and Talgar districts
entirely (L759-760), the south shore of Kapchagay reservoir in the north, Lake
Sorbulak in the west, the northern part of the Ile-Alatau national park in the south,
and named rural districts on the west and east (L106-123). The 189 settlements it
lists (Appendix 15) are the only spatial key to the partial districts. The toolkit
reconstructs the boundary by the method stated in ``layers/boundary.yaml`` (every
parameter and every textual anchor is data there, with its quote and seed lines):

1. **Territories** (:func:`district_territories`): each district / city
   administration named by the scheme is the union of its admin polygons of
   ``admin_year`` (KATO prefixes), corrected by ``annex`` entries where a later
   layer shows territory the older layer files under another district (the 2018
   layer's Kapchagay is the town only; its rural districts sit in "Talgar").
2. **Whole territories** (``treatment: whole``) are taken entirely.
3. **Partial territories**: the territory is split into Voronoi cells of the
   settlement points inside it (:func:`voronoi_cells`), an approximation of its
   rural districts; the cells whose settlement Appendix 15 lists are kept;
   enclosed holes are filled (``fill_holes``); the reservoir's water is cut off when
   ``reservoir.mode`` is ``shore`` (the boundary "passes along the south shore").
4. **Named features**: Lake Sorbulak (no polygon in the data) is located from the
   DEM (the lake is a flat surface in GEBCO) around a stated seed point, with a disc
   of stated area as fallback (:func:`sorbulak_polygon`), and added, joined to the
   nearest kept cell by their convex hull (the boundary "bends around it from the
   north", so the lake and the land between it and the listed settlements are in).
   The national park has no polygon: its northern part is approximated by the
   southern extent of the kept cells and whole districts (``national_park``).

The result is one feature labelled ``derived`` with its method, and per-territory
parts for transparency; :func:`boundary_figures` compares the area with the scheme's
939.49 thousand ha (Appendix 1, L3741) and the reservoir surface inside with the
scheme's 33 897.7 ha (L639-641).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from almaty_scheme.catalogue.models import SchemeSource
from almaty_scheme.crs import WORKING_CRS, require_working_crs
from almaty_scheme.errors import CatalogueError, DataError

log = logging.getLogger(__name__)

BOUNDARY_FILE = "boundary.yaml"
ACCURACY = "derived from scheme text and admin boundaries"
SOURCE = "derived: layers/boundary.yaml (admin units 2018 + Appendix 15 settlements)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SchemeFigure(_Strict):
    """A number the scheme states, with its quote."""

    value: float
    unit: str
    source: SchemeSource


class Annex(_Strict):
    """Territory that another admin layer assigns to this unit.

    The polygons of ``year`` with a KATO starting with one of ``kato_prefixes``,
    intersected with the territories ``from_territories``, move to this territory.
    """

    year: int
    kato_prefixes: list[str] = Field(min_length=1)
    from_territories: list[str] = Field(min_length=1)
    reading: str = Field(min_length=10)


class Territory(_Strict):
    """A district, city administration or city the scheme names."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_ru: str
    treatment: Literal["whole", "partial"]
    kato_prefixes: list[str] = Field(min_length=1)
    appendix15_districts: list[str] = Field(min_length=1)
    annex: list[Annex] = Field(default_factory=list)
    sources: list[SchemeSource] = Field(min_length=1)
    reading: str | None = None


class PartialMethod(_Strict):
    """How a partial territory is cut (step 3 of the module docstring)."""

    seed_exclude_status: list[str] = Field(default_factory=list)
    seed_require_name: bool = True
    cell_radius_km: float | None = Field(default=None, gt=0)
    closing_km: float = Field(default=0.0, ge=0)
    fill_holes: bool = True
    reading: str = Field(min_length=10)


class ReservoirSpec(_Strict):
    """What happens to the reservoir's water inside partial territories."""

    mode: Literal["shore", "keep"]
    kind: str = "reservoir"
    keep_water_of: list[str] = Field(default_factory=list)
    sources: list[SchemeSource] = Field(min_length=1)
    reading: str = Field(min_length=10)


class LakeSpec(_Strict):
    """A lake the text names but the data lacks, located from the DEM."""

    name_ru: str
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    territory: str
    dem_level_max_m: float
    search_radius_m: float = Field(gt=0)
    min_area_ha: float = Field(gt=0)
    max_area_ha: float = Field(gt=0)
    fallback_area_ha: float = Field(gt=0)
    link_to_kept: bool = True
    sources: list[SchemeSource] = Field(min_length=1)
    external: list[str] = Field(default_factory=list)
    reading: str = Field(min_length=10)

    @model_validator(mode="after")
    def _areas(self) -> LakeSpec:
        if self.min_area_ha >= self.max_area_ha:
            raise ValueError("min_area_ha must be below max_area_ha")
        return self


class ParkSpec(_Strict):
    """How the national park's 'northern part' is treated without a park polygon."""

    treatment: Literal["district_extent"]
    sources: list[SchemeSource] = Field(min_length=1)
    reading: str = Field(min_length=10)


class Finding(_Strict):
    """A gap or conflict in the text that the method resolves (shown in the report)."""

    id: str
    summary: str
    reading: str
    sources: list[SchemeSource] = Field(min_length=1)


class BoundaryConfig(_Strict):
    """``layers/boundary.yaml``."""

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    admin_year: int
    name: str
    scheme_area: SchemeFigure
    area_tolerance_pct: float = Field(gt=0, lt=100)
    scheme_reservoir: SchemeFigure
    territories: list[Territory] = Field(min_length=1)
    partial_method: PartialMethod
    reservoir: ReservoirSpec
    lakes: list[LakeSpec] = Field(default_factory=list)
    national_park: ParkSpec
    findings: list[Finding] = Field(default_factory=list)

    @model_validator(mode="after")
    def _refs(self) -> BoundaryConfig:
        ids = [t.id for t in self.territories]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate territory ids: {', '.join(sorted(dup))}")
        for t in self.territories:
            for a in t.annex:
                bad = [f for f in a.from_territories if f not in ids or f == t.id]
                if bad:
                    raise ValueError(f"territory {t.id!r}: annex from unknown territory {bad}")
        for lake in self.lakes:
            if lake.territory not in ids:
                raise ValueError(f"lake {lake.name_ru!r}: unknown territory {lake.territory!r}")
        return self

    def district_territory(self) -> dict[str, str]:
        """Appendix 15 district text -> territory id."""
        return {d: t.id for t in self.territories for d in t.appendix15_districts}

    def sources(self) -> list[tuple[str, SchemeSource]]:
        """Every scheme quote of the file with where it is used (for quote checks)."""
        out: list[tuple[str, SchemeSource]] = [
            ("scheme_area", self.scheme_area.source),
            ("scheme_reservoir", self.scheme_reservoir.source),
        ]
        out += [(f"territory {t.id}", s) for t in self.territories for s in t.sources]
        out += [("reservoir", s) for s in self.reservoir.sources]
        out += [(f"lake {lk.name_ru}", s) for lk in self.lakes for s in lk.sources]
        out += [("national_park", s) for s in self.national_park.sources]
        out += [(f"finding {f.id}", s) for f in self.findings for s in f.sources]
        return out


def _validation_problems(name: str, exc: ValidationError) -> list[str]:
    out = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e["loc"])
        msg = "unknown key (check the spelling)" if e["type"] == "extra_forbidden" else e["msg"]
        out.append(f"{name}: {loc or 'top level'}: {msg}.")
    return out


def load_yaml_model(path: Path, model: type[BaseModel]) -> Any:
    """Read a YAML file into a strict pydantic model; every problem in one error."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(
            f"Cannot read {path}", [f"Restore the file or point to another ({exc.strerror})."]
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise CatalogueError(f"{path.name}: invalid YAML{where}", [str(exc)]) from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(f"{path.name} is invalid", _validation_problems(path.name, exc)) \
            from None


def load_boundary_config(path: str | Path | None = None) -> BoundaryConfig:
    """Load ``layers/boundary.yaml`` (or ``path``) with its strict schema.

    Raises
    ------
    CatalogueError
        Listing every problem of the file.
    """
    from almaty_scheme.resources import layers_dir

    p = Path(path) if path is not None else layers_dir() / BOUNDARY_FILE
    cfg: BoundaryConfig = load_yaml_model(p, BoundaryConfig)
    return cfg


# ---------------------------------------------------------------------------- geometry


def _polygonal(geom: BaseGeometry | None) -> BaseGeometry:
    """Only the polygon parts of ``geom`` (an empty polygon if none)."""
    if geom is None or geom.is_empty:
        return Polygon()
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    return shapely.union_all(parts) if parts else Polygon()


def as_multipolygon(geom: BaseGeometry | None) -> MultiPolygon:
    """``geom``'s polygon parts as a MultiPolygon (empty if none)."""
    g = _polygonal(geom)
    if g.is_empty:
        return MultiPolygon()
    if isinstance(g, Polygon):
        return MultiPolygon([g])
    assert isinstance(g, MultiPolygon)
    return g


def fill_holes(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with every interior ring removed."""
    g = _polygonal(geom)
    polys = [g] if isinstance(g, Polygon) else list(getattr(g, "geoms", []))
    return shapely.union_all([Polygon(p.exterior) for p in polys if not p.is_empty])


def voronoi_cells(points: gpd.GeoSeries, region: BaseGeometry) -> gpd.GeoSeries:
    """Voronoi cells of ``points`` clipped to ``region``, aligned with ``points``' index.

    Every location of ``region`` belongs to the cell of its nearest point (ties on
    the bisector belong to both cells' boundaries). Points at identical coordinates
    share one cell, given to the first of them (the others get an empty polygon).
    One point gets the whole region.

    Examples
    --------
    Two points at (0.5, 1) and (1.5, 1) split the square (0, 0)-(2, 2) into two
    rectangles of area 2.
    """
    out = gpd.GeoSeries([Polygon()] * len(points), index=points.index, crs=points.crs)
    if len(points) == 0 or region.is_empty:
        return out
    coords = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    _, first = np.unique(coords, axis=0, return_index=True)
    first = np.sort(first)
    if len(first) == 1:
        out.iloc[int(first[0])] = _polygonal(region)
        return out
    mp = shapely.MultiPoint(coords[first])
    env = shapely.box(*shapely.union(region.envelope, mp.envelope).buffer(1.0).bounds)
    cells = shapely.voronoi_polygons(mp, extend_to=env, ordered=True)
    geoms = list(cells.geoms)
    for k, pos in enumerate(first):
        out.iloc[int(pos)] = _polygonal(shapely.intersection(geoms[k], region))
    return out


def sorbulak_polygon(
    dem_path: Path | None, lake: LakeSpec
) -> tuple[BaseGeometry, str]:
    """Polygon of a lake that the DEM shows as a flat surface, and how it was found.

    The DEM cells within ``search_radius_m`` of the seed (``lon``, ``lat``) whose
    elevation is at most ``dem_level_max_m`` and that are 4-connected to the cell
    nearest the seed form the lake. If the DEM is missing, the seed cell is above
    the level, or the region's area is outside ``min_area_ha``-``max_area_ha``, a
    disc of ``fallback_area_ha`` around the seed is used instead (and the method
    string says so).

    Returns
    -------
    (polygon, method)
        The polygon in EPSG:32643 and a one-line description.
    """
    seed = gpd.GeoSeries([Point(lake.lon, lake.lat)], crs="EPSG:4326").to_crs(WORKING_CRS)[0]
    radius = float(np.sqrt(lake.fallback_area_ha * 1e4 / np.pi))
    fallback = seed.buffer(radius, quad_segs=16)
    fb_method = (f"disc of {lake.fallback_area_ha:g} ha (r = {radius:.0f} m) around "
                 f"{lake.lat:.4f} N {lake.lon:.4f} E")
    if dem_path is None or not Path(dem_path).is_file():
        return fallback, fb_method + " (no DEM)"
    import rasterio
    import rasterio.features
    from rasterio.windows import from_bounds
    from scipy import ndimage

    deg = lake.search_radius_m / 80_000.0  # generous: 1 degree of longitude >= 80 km here
    with rasterio.open(dem_path) as src:
        win = from_bounds(lake.lon - deg, lake.lat - deg, lake.lon + deg, lake.lat + deg,
                          src.transform).round_offsets().round_lengths()
        z = src.read(1, window=win, masked=True)
        tr = src.window_transform(win)
        crs = src.crs
        r, c = rasterio.transform.rowcol(tr, lake.lon, lake.lat)
    if not (0 <= r < z.shape[0] and 0 <= c < z.shape[1]):
        return fallback, fb_method + " (seed outside the DEM)"
    low = (np.ma.filled(z, np.iinfo(np.int32).max) <= lake.dem_level_max_m)
    if not low[r, c]:
        return fallback, fb_method + f" (DEM at the seed is above {lake.dem_level_max_m:g} m)"
    labels, _ = ndimage.label(low)
    mask = labels == labels[r, c]
    shapes = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(
        mask.astype("uint8"), mask=mask, transform=tr) if v == 1]
    poly = gpd.GeoSeries([shapely.union_all(shapes)], crs=crs).to_crs(WORKING_CRS)[0]
    poly = poly.intersection(seed.buffer(lake.search_radius_m, quad_segs=16))
    area_ha = poly.area / 1e4
    if not lake.min_area_ha <= area_ha <= lake.max_area_ha:
        return fallback, fb_method + (f" (the DEM's flat area of {area_ha:.0f} ha is outside "
                                      f"{lake.min_area_ha:g}-{lake.max_area_ha:g} ha)")
    return poly, (f"DEM cells <= {lake.dem_level_max_m:g} m connected to {lake.lat:.4f} N "
                  f"{lake.lon:.4f} E ({area_ha:.0f} ha)")


def district_territories(
    admin_units: gpd.GeoDataFrame, config: BoundaryConfig
) -> gpd.GeoDataFrame:
    """Territory polygons of the districts the scheme names (step 1).

    Parameters
    ----------
    admin_units
        Canonical ``admin_units`` (``kato``, ``level``, ``year``) in EPSG:32643.

    Returns
    -------
    GeoDataFrame
        ``territory``, ``name_ru``, ``treatment``, ``note``, geometry (MultiPolygon),
        one row per territory in config order.

    Raises
    ------
    DataError
        If a territory's KATO codes match no admin unit of the stated year.
    """
    require_working_crs(admin_units, name="admin_units")
    au = admin_units
    if "level" in au.columns:
        au = au[au["level"].astype("Int64").fillna(2) == 2]
    kato = au["kato"].astype("string").fillna("")
    year = au["year"].astype("Int64") if "year" in au.columns else pd.Series(pd.NA, index=au.index)

    def union_of(y: int, prefixes: list[str]) -> BaseGeometry:
        sel = au[(year == y).fillna(False) & kato.str.startswith(tuple(prefixes))]
        return shapely.union_all(sel.geometry.to_numpy()) if len(sel) else Polygon()

    problems = []
    geoms: dict[str, BaseGeometry] = {}
    notes: dict[str, list[str]] = {t.id: [] for t in config.territories}
    for t in config.territories:
        g = union_of(config.admin_year, t.kato_prefixes)
        if g.is_empty:
            problems.append(
                f"territory {t.id!r}: no admin unit of {config.admin_year} has a KATO starting "
                f"with {', '.join(t.kato_prefixes)}; check admin_units or layers/boundary.yaml."
            )
        geoms[t.id] = g
    if problems:
        raise DataError("The district territories cannot be built", problems)
    for t in config.territories:
        for a in t.annex:
            other = union_of(a.year, a.kato_prefixes)
            if other.is_empty:
                raise DataError(
                    f"territory {t.id!r}: annex source is empty",
                    [f"No admin unit of {a.year} has a KATO starting with "
                     f"{', '.join(a.kato_prefixes)}; supply admin units of {a.year} or remove "
                     "the annex from layers/boundary.yaml."],
                )
            for src_id in a.from_territories:
                moved = _polygonal(shapely.intersection(geoms[src_id], other))
                geoms[src_id] = _polygonal(shapely.difference(geoms[src_id], moved))
                geoms[t.id] = _polygonal(shapely.union(geoms[t.id], moved))
                notes[t.id].append(f"+{moved.area / 1e7:.1f} thousand ha from {src_id}")
                notes[src_id].append(f"-{moved.area / 1e7:.1f} thousand ha to {t.id}")
    rows = [
        {"territory": t.id, "name_ru": t.name_ru, "treatment": t.treatment,
         "note": "; ".join(notes[t.id])}
        for t in config.territories
    ]
    return gpd.GeoDataFrame(
        rows, geometry=[as_multipolygon(geoms[t.id]) for t in config.territories],
        crs=WORKING_CRS,
    )


@dataclass
class BoundaryResult:
    """The boundary, its parts and the comparison figures."""

    boundary: gpd.GeoDataFrame
    parts: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    figures: dict[str, Any] = field(default_factory=dict)


def _seeds(settlements: gpd.GeoDataFrame, method: PartialMethod) -> gpd.GeoDataFrame:
    s = settlements
    if "status" in s.columns and method.seed_exclude_status:
        s = s[~s["status"].astype("string").isin(method.seed_exclude_status).fillna(False)]
    if method.seed_require_name:
        named = pd.Series(False, index=s.index)
        for c in ("name", "name_ru", "name_kk", "scheme_name"):
            if c in s.columns:
                named |= s[c].astype("string").str.strip().fillna("").ne("")
        s = s[named]
    return s


def build_boundary(
    territories: gpd.GeoDataFrame,
    settlements: gpd.GeoDataFrame,
    water_bodies: gpd.GeoDataFrame,
    config: BoundaryConfig,
    *,
    dem_path: Path | None = None,
) -> BoundaryResult:
    """Build the agglomeration boundary (steps 2-4 of the module docstring).

    Parameters
    ----------
    territories
        From :func:`district_territories`.
    settlements
        Joined settlements (``in_appendix15``, ``territory`` columns), EPSG:32643.
    water_bodies
        Canonical ``water_bodies``; those of ``kind == config.reservoir.kind`` are
        the reservoir.
    dem_path
        DEM for locating lakes (optional; discs are used without it).

    Returns
    -------
    BoundaryResult
        ``boundary`` (one feature, canonical ``boundary`` columns), ``parts`` (one row
        per territory and lake: ``part``, ``territory``, ``treatment``, ``method``,
        ``area_ha``), ``cells`` (every Voronoi cell of partial territories with
        ``kept``), ``figures``.
    """
    for gdf, nm in ((territories, "territories"), (settlements, "settlements"),
                    (water_bodies, "water_bodies")):
        require_working_crs(gdf, name=nm)
    if "in_appendix15" not in settlements.columns or "territory" not in settlements.columns:
        raise DataError(
            "The settlements are not joined to Appendix 15",
            ["Run almaty_scheme.base.settlements.join_appendix15 first (it adds "
             "'in_appendix15' and 'territory')."],
        )
    wb = water_bodies
    res = wb[wb["kind"].astype("string").eq(config.reservoir.kind).fillna(False)] \
        if "kind" in wb.columns else wb.iloc[0:0]
    reservoir = shapely.union_all(res.geometry.to_numpy()) if len(res) else Polygon()
    seeds = _seeds(settlements, config.partial_method)
    parts = []
    cell_rows = []
    for _, t in territories.iterrows():
        tgeom = t.geometry
        if t["treatment"] == "whole":
            parts.append({"part": t["territory"], "territory": t["territory"],
                          "treatment": "whole", "method": "whole territory",
                          "geometry": tgeom})
            continue
        s = seeds[seeds["territory"].astype("string").eq(t["territory"]).fillna(False)]
        cells = voronoi_cells(s.geometry, tgeom)
        radius = config.partial_method.cell_radius_km
        if radius is not None:
            discs = s.geometry.buffer(radius * 1000.0, quad_segs=16)
            cells = gpd.GeoSeries(
                [_polygonal(shapely.intersection(c, d)) for c, d in zip(cells, discs,
                                                                        strict=True)],
                index=cells.index, crs=cells.crs)
        kept_mask = s["in_appendix15"].astype(bool)
        for i in s.index:
            cell_rows.append({
                "territory": t["territory"], "base_id": s.at[i, "base_id"]
                if "base_id" in s.columns else str(i),
                "name": s.at[i, "name"] if "name" in s.columns else None,
                "kept": bool(kept_mask[i]), "geometry": cells[i],
            })
        kept = shapely.union_all(cells[kept_mask].to_numpy()) if kept_mask.any() else Polygon()
        method = (f"Voronoi cells of {int(kept_mask.sum())} listed of {len(s)} settlement "
                  "points" + (f" within {radius:g} km" if radius is not None else ""))
        if kept.is_empty:
            log.warning("territory %s: no listed settlement inside; nothing kept", t["territory"])
        closing = config.partial_method.closing_km * 1000.0
        if closing > 0 and not kept.is_empty:
            kept = _polygonal(shapely.intersection(
                kept.buffer(closing, quad_segs=16).buffer(-closing, quad_segs=16), tgeom))
            method += f", gaps under {2 * closing / 1000:g} km closed"
        if config.partial_method.fill_holes and not kept.is_empty:
            kept = _polygonal(shapely.intersection(fill_holes(kept), tgeom))
            method += ", holes filled"
        if config.reservoir.mode == "shore" and not reservoir.is_empty:
            kept = _polygonal(shapely.difference(kept, reservoir))
            method += ", reservoir water cut off (south shore)"
        if t["territory"] in config.reservoir.keep_water_of and not reservoir.is_empty:
            water = _polygonal(shapely.intersection(tgeom, reservoir))
            if not water.is_empty:
                kept = _polygonal(shapely.union(kept, water))
                method += (f", the territory's reservoir water kept "
                           f"({water.area / 1e4:,.0f} ha)")
        parts.append({"part": t["territory"], "territory": t["territory"],
                      "treatment": "partial", "method": method, "geometry": kept})
    cells_gdf = gpd.GeoDataFrame(cell_rows, geometry="geometry", crs=WORKING_CRS) if cell_rows \
        else gpd.GeoDataFrame({"territory": [], "base_id": [], "name": [], "kept": []},
                              geometry=gpd.GeoSeries([], crs=WORKING_CRS), crs=WORKING_CRS)
    lake_notes = []
    for lake in config.lakes:
        poly, how = sorbulak_polygon(dem_path, lake)
        geom = poly
        kept_cells = cells_gdf[(cells_gdf["territory"] == lake.territory)
                               & cells_gdf["kept"].astype(bool)] if len(cells_gdf) else cells_gdf
        if lake.link_to_kept and len(kept_cells):
            dist = kept_cells.distance(poly)
            nearest = kept_cells.loc[dist.idxmin()]
            if dist.min() > 0:
                geom = shapely.convex_hull(shapely.union(poly, nearest.geometry))
                how += (f"; linked to the nearest kept cell ({nearest['name']}, "
                        f"{dist.min() / 1000:.1f} km) by their convex hull")
        parts.append({"part": f"lake:{lake.name_ru}", "territory": lake.territory,
                      "treatment": "named feature", "method": how, "geometry": geom})
        lake_notes.append(f"{lake.name_ru}: {how}")
    parts_gdf = gpd.GeoDataFrame(parts, geometry="geometry", crs=WORKING_CRS)
    parts_gdf["geometry"] = [as_multipolygon(g) for g in parts_gdf.geometry]
    parts_gdf["area_ha"] = parts_gdf.geometry.area / 1e4
    whole = shapely.union_all(parts_gdf.geometry.to_numpy())
    whole = as_multipolygon(shapely.make_valid(whole))
    method = (
        "derived (layers/boundary.yaml v" + config.version + "): whole territories "
        + ", ".join(territories.loc[territories["treatment"] == "whole", "territory"])
        + "; partial territories "
        + ", ".join(territories.loc[territories["treatment"] == "partial", "territory"])
        + " as Voronoi cells of the Appendix 15 settlements; reservoir mode "
        + config.reservoir.mode + "; " + "; ".join(lake_notes)
    )
    boundary = gpd.GeoDataFrame(
        {
            "base_id": pd.Series(["boundary:0"], dtype="string"),
            "source": pd.Series([SOURCE], dtype="string"),
            "licence": pd.Series(["CC BY 4.0 (geokz admin units); ODbL 1.0 (OSM points)"],
                                 dtype="string"),
            "accuracy": pd.Series([ACCURACY], dtype="string"),
            "name": pd.Series([config.name], dtype="string"),
            "method": pd.Series([method], dtype="string"),
            "area_ha": [whole.area / 1e4],
            "status": pd.Series(["derived"], dtype="string"),
        },
        geometry=[whole],
        crs=WORKING_CRS,
    )
    result = BoundaryResult(boundary=boundary, parts=parts_gdf, cells=cells_gdf)
    result.figures = boundary_figures(boundary, reservoir, config)
    return result


def figure(
    label: str, scheme: float | None, ours: float | None, unit: str, explanation: str,
    citation: str = "", **extra: Any,
) -> dict[str, Any]:
    """One comparison figure: the scheme's number, ours, the difference and why."""
    diff = None if scheme is None or ours is None else ours - scheme
    pct = None if diff is None or not scheme else 100.0 * diff / scheme
    out: dict[str, Any] = {
        "label": label, "scheme": scheme, "ours": ours, "unit": unit,
        "difference": diff, "difference_pct": pct, "explanation": explanation,
        "citation": citation,
    }
    out.update(extra)
    return out


def boundary_figures(
    boundary: gpd.GeoDataFrame, reservoir: BaseGeometry, config: BoundaryConfig
) -> dict[str, Any]:
    """Area vs Appendix 1 (939.49 thousand ha) and reservoir water inside vs L639-641."""
    geom = shapely.union_all(boundary.geometry.to_numpy())
    area_kha = geom.area / 1e7
    sa = config.scheme_area
    within = abs(area_kha - sa.value) <= sa.value * config.area_tolerance_pct / 100.0
    inside_ha = shapely.intersection(geom, reservoir).area / 1e4 if not reservoir.is_empty \
        else 0.0
    sr = config.scheme_reservoir
    return {
        "boundary_area": figure(
            "Agglomeration area", sa.value, round(area_kha, 2), sa.unit,
            "Reconstructed from 2018 admin districts and Voronoi cells of the Appendix 15 "
            "settlements (layers/boundary.yaml); the scheme drew its line on rural-district "
            "borders, which are not open data.",
            sa.source.cite(), tolerance_pct=config.area_tolerance_pct, within_tolerance=within,
        ),
        "reservoir_inside": figure(
            "Kapchagay reservoir water inside the boundary", sr.value, round(inside_ha, 1),
            sr.unit,
            f"Reservoir mode '{config.reservoir.mode}': GSHHG shoreline (~1:1M, 922 km² in "
            "all) inside the whole territories"
            + ("; partial territories stop at the shore." if config.reservoir.mode == "shore"
               else "."),
            sr.source.cite(),
        ),
    }
