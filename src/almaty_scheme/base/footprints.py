"""Settlement footprints: derived from the scheme's land balance, replaced by real ones.

Open data has no built-up footprints for the agglomeration's settlements, but rules
"inside settlements" need them. The scheme gives the land of settlements (Appendix 1,
L3766-3773: urban 84.06, rural 93.33 thousand ha now; 95.68 / 99.36 in 2050) and the
population of every settlement (Appendix 15). :func:`derive_footprints` turns these
into approximate footprints, parameters in ``layers/footprints.yaml``:

* the city (Almaty, ``row_kind == city``): its admin territory (``official``);
* towns (``urban_rows``): the urban land minus the city's polygon, shared in
  proportion to population; villages: the rural land shared among all listed
  villages (matched to a point or not) in proportion to population;
* shape: a disc of the share's area around the point (``r = sqrt(A / pi)``), limited
  to the settlement's Voronoi cell among all footprinted settlements (footprints
  never overlap) and to the agglomeration boundary, minus the city's polygon.

A village's share is ``rural_land * pop_i / sum(pop)``; e.g. two villages of 1 000
and 3 000 people sharing 100 ha get 25 ha and 75 ha.

Every derived feature carries ``accuracy = "derived from scheme figures"`` and a
``method`` saying how. :func:`apply_real_footprints` replaces, settlement by
settlement, the derived footprint by real polygons (user file, OSM ``place``
polygons or ``landuse=residential``) that contain the settlement's point.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.boundary import as_multipolygon, figure, voronoi_cells
from almaty_scheme.base.model import conform
from almaty_scheme.catalogue.data_models import FootprintConfig
from almaty_scheme.catalogue.datafile import load_model
from almaty_scheme.catalogue.registry import shipped_path
from almaty_scheme.crs import WORKING_CRS, require_working_crs
from almaty_scheme.errors import DataError

log = logging.getLogger(__name__)

FOOTPRINTS_FILE = "footprints.yaml"
DERIVED_ACCURACY = "derived from scheme figures"
Horizon = Literal["current", 2025, 2035, 2050]

_LAND_COLUMN = {
    "current": "current",
    2025: "stage1_2025",
    2035: "design_2035",
    2050: "forecast_2050",
}
_POP_COLUMN = {"current": "pop_2018", 2025: "pop_2025", 2035: "pop_2035", 2050: "pop_2050"}


def load_footprint_config(path: str | Path | None = None) -> FootprintConfig:
    """Load ``layers/footprints.yaml`` (or ``path``) with its strict schema."""
    p = Path(path) if path is not None else shipped_path(FOOTPRINTS_FILE)
    return load_model(p, FootprintConfig)


def land_shares(pop: pd.Series, total_ha: float) -> pd.Series:
    """Split ``total_ha`` in proportion to ``pop`` (NaN or non-positive population: 0)."""
    p = pd.to_numeric(pop, errors="coerce").fillna(0.0).clip(lower=0.0)
    s = float(p.sum())
    if s <= 0:
        return pd.Series(0.0, index=pop.index)
    return p / s * total_ha


@dataclass
class FootprintResult:
    """Derived footprints and the comparison figures."""

    footprints: gpd.GeoDataFrame
    figures: dict[str, Any]


def _land(balance: pd.DataFrame, key: str, horizon: Horizon) -> float:
    col = _LAND_COLUMN[horizon]
    row = balance[balance["key"] == key]
    if row.empty or pd.isna(row[col].iloc[0]):
        raise DataError(
            f"The land balance has no {key!r} value for {col}",
            ["Check layers/appendix1_land_balance.csv and footprints.yaml's land keys."],
        )
    return float(row[col].iloc[0]) * 1000.0  # thousand ha -> ha


def derive_footprints(
    settlements: gpd.GeoDataFrame,
    table: pd.DataFrame,
    balance: pd.DataFrame,
    city_polygon: BaseGeometry,
    boundary: BaseGeometry,
    config: FootprintConfig,
    *,
    horizon: Horizon = "current",
) -> FootprintResult:
    """Derive footprints of the Appendix 15 settlements (method in the module docstring).

    Parameters
    ----------
    settlements
        Joined settlements (``scheme_row`` filled for matched points), EPSG:32643.
    table
        Appendix 15 (``load_appendix15``).
    balance
        Appendix 1 land balance (``load_land_balance``), thousand ha.
    city_polygon
        The city's admin territory (its footprint).
    boundary
        The agglomeration boundary (footprints are clipped to it).
    horizon
        Which land column and population year to use.

    Returns
    -------
    FootprintResult
        Canonical ``settlement_footprints`` (``name``, ``settlement_id`` = the point's
        ``base_id``, ``method``, ``area_ha``, plus ``scheme_row``, ``target_ha``,
        ``kind`` = city | town | village) and figures comparing the drawn land with
        Appendix 1.
    """
    require_working_crs(settlements, name="settlements")
    pop_col = _POP_COLUMN[horizon]
    urban_ha = _land(balance, config.urban_land_key, horizon)
    rural_ha = _land(balance, config.rural_land_key, horizon)
    city_ha = city_polygon.area / 1e4
    rows = _target_areas(table, config, pop_col, urban_ha, rural_ha, city_ha)
    pts = settlements[settlements["scheme_row"].notna()].copy()
    pts = pts.merge(
        rows[["row_id", "kind", "target_ha"]], left_on="scheme_row", right_on="row_id", how="left"
    )
    pts = gpd.GeoDataFrame(pts, geometry="geometry", crs=settlements.crs)
    others = pts[pts["kind"] != "city"]
    cells = voronoi_cells(others.geometry, shapely.union(boundary, city_polygon))
    feats = []
    for i, p in pts.iterrows():
        cell = None if p["kind"] == "city" else cells[i]
        feat = _footprint(p, cell, city_polygon, boundary, pop_col)
        if feat is not None:
            feats.append(feat)
    out = _footprint_layer(feats)
    vill = rows["kind"] == "village"
    unmatched_rural = float(
        rows.loc[vill & ~rows["row_id"].isin(pts["scheme_row"]), "target_ha"].sum()
    )
    figures = _footprint_figures(out, urban_ha, rural_ha, city_ha, unmatched_rural, horizon)
    return FootprintResult(footprints=out, figures=figures)


def _target_areas(
    table: pd.DataFrame,
    config: FootprintConfig,
    pop_col: str,
    urban_ha: float,
    rural_ha: float,
    city_ha: float,
) -> pd.DataFrame:
    """Appendix 15 rows with ``kind`` (city, town, village) and ``target_ha``.

    The city gets its admin territory; towns share the urban land less the city's by
    population, villages the rural land (Appendix 1, L3771/L3773).
    """
    rows = table[table["row_kind"].isin(["settlement", config.city_row_kind])].copy()
    unknown = [r for r in config.urban_rows if r not in set(rows["row_id"])]
    if unknown:
        raise DataError(
            "footprints.yaml names unknown Appendix 15 rows",
            [f"Row {r} is not a settlement row of appendix15_settlements.csv." for r in unknown],
        )
    is_city = rows["row_kind"] == config.city_row_kind
    is_town = rows["row_id"].isin(config.urban_rows)
    rows["kind"] = np.where(is_city, "city", np.where(is_town, "town", "village"))
    rows["target_ha"] = 0.0
    rows.loc[is_town, "target_ha"] = land_shares(
        rows.loc[is_town, pop_col], max(urban_ha - city_ha, 0.0)
    )
    vill = ~is_city & ~is_town
    rows.loc[vill, "target_ha"] = land_shares(rows.loc[vill, pop_col], rural_ha)
    rows.loc[is_city, "target_ha"] = city_ha
    return rows


def _footprint(
    p: pd.Series,
    cell: BaseGeometry | None,
    city_polygon: BaseGeometry,
    boundary: BaseGeometry,
    pop_col: str,
) -> dict[str, Any] | None:
    """One settlement's footprint feature (``None`` if nothing of it is left).

    The city is its admin polygon; any other settlement a disc of its target area,
    limited to its Voronoi cell and the boundary, outside the city.
    """
    if p["kind"] == "city":
        geom = city_polygon
        method = "admin territory of the city (official boundary)"
        acc = "official"
    else:
        a = float(p["target_ha"]) * 1e4
        r = float(np.sqrt(a / np.pi)) if a > 0 else 0.0
        disc = p.geometry.buffer(r, quad_segs=16) if r > 0 else Polygon()
        geom = shapely.difference(
            shapely.intersection(shapely.intersection(disc, cell), boundary), city_polygon
        )
        method = (
            f"disc of {p['target_ha']:.1f} ha (r = {r:.0f} m), the settlement's "
            f"{'urban' if p['kind'] == 'town' else 'rural'} land share by population "
            f"({pop_col}), limited to its Voronoi cell and the boundary"
        )
        acc = DERIVED_ACCURACY
    g = as_multipolygon(geom)
    if g.is_empty:
        return None
    return {
        "name": p["scheme_name"] if pd.notna(p.get("scheme_name")) else p["name"],
        "settlement_id": p["base_id"],
        "scheme_row": p["scheme_row"],
        "kind": p["kind"],
        "method": method,
        "target_ha": float(p["target_ha"]),
        "area_ha": g.area / 1e4,
        "source": "derived: layers/footprints.yaml (Appendix 1 land, Appendix 15 population)"
        if acc != "official"
        else "admin_units (geokz 2018)",
        "licence": "CC BY 4.0 (geokz)" if acc == "official" else "derived (scheme figures)",
        "accuracy": acc,
        "geometry": g,
    }


def _footprint_layer(feats: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The canonical ``settlement_footprints`` layer of the features, with ids."""
    if feats:
        out = gpd.GeoDataFrame(feats, geometry="geometry", crs=WORKING_CRS)
    else:
        out = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=WORKING_CRS))
    for c in (
        "name",
        "settlement_id",
        "scheme_row",
        "kind",
        "method",
        "source",
        "licence",
        "accuracy",
    ):
        if c in out.columns:
            out[c] = out[c].astype("string")
    out = conform("settlement_footprints", out)
    out["base_id"] = [f"settlement_footprints:{i}" for i in range(len(out))]
    return out


def _footprint_figures(
    out: gpd.GeoDataFrame,
    urban_ha: float,
    rural_ha: float,
    city_ha: float,
    unmatched_rural: float,
    horizon: Horizon,
) -> dict[str, Any]:
    """Drawn urban and rural land beside Appendix 1's (L3771, L3773)."""
    drawn_urban = float(out.loc[out["kind"].isin(["city", "town"]), "area_ha"].sum())
    drawn_rural = float(out.loc[out["kind"] == "village", "area_ha"].sum())
    return {
        "footprints_urban": figure(
            "Urban settlement land drawn as footprints",
            urban_ha / 1000.0,
            round(drawn_urban / 1000.0, 2),
            "thousand ha",
            f"Almaty's admin polygon ({city_ha / 1000:.2f}) plus discs of the towns' shares; "
            "discs lose area where they meet neighbours' cells or the boundary.",
            "scheme L3771",
            horizon=str(horizon),
            comparable=False,
            not_comparable="circular: footprints are sized from this Appendix 1 figure",
        ),
        "footprints_rural": figure(
            "Rural settlement land drawn as footprints",
            rural_ha / 1000.0,
            round(drawn_rural / 1000.0, 2),
            "thousand ha",
            f"Villages' population shares; {unmatched_rural / 1000:.2f} thousand ha belong to "
            "listed villages with no point (not drawn), the rest is lost to cell/boundary "
            "limits.",
            "scheme L3773",
            horizon=str(horizon),
            comparable=False,
            not_comparable="circular: footprints are sized from this Appendix 1 figure",
        ),
    }


def apply_real_footprints(
    derived: gpd.GeoDataFrame, real: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Replace derived footprints by real polygons, settlement by settlement.

    A real polygon belongs to the settlement whose point it contains; every derived
    footprint of a settlement that has at least one real polygon is dropped. Real
    polygons that contain no settlement point are kept as they are (their
    ``settlement_id`` stays empty). The result is the canonical
    ``settlement_footprints`` layer.
    """
    for g, n in ((derived, "derived"), (real, "real footprints"), (settlements, "settlements")):
        require_working_crs(g, name=n)
    if len(real) == 0:
        return derived
    real = real.copy()
    ids = (
        real["settlement_id"].astype("string")
        if "settlement_id" in real.columns
        else pd.Series(pd.NA, index=real.index, dtype="string")
    )
    pts = settlements[["base_id", "geometry"]]
    hit = gpd.sjoin(pts, real[["geometry"]], predicate="within", how="inner")
    first = hit.groupby("index_right")["base_id"].first()
    ids = ids.fillna(pd.Series(first, dtype="string").reindex(real.index))
    real["settlement_id"] = ids
    if "method" not in real.columns or real["method"].isna().all():
        real["method"] = (
            "real footprint ("
            + real.get("source", pd.Series("user data", index=real.index))
            .astype("string")
            .fillna("user data")
            + ")"
        )
    replaced = set(real["settlement_id"].dropna())
    keep = derived[~derived["settlement_id"].isin(replaced)]
    out = pd.concat([real, keep], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=WORKING_CRS)
    if "area_ha" in out.columns:
        out["area_ha"] = out.geometry.area / 1e4
    out = out.drop(columns=["base_id"], errors="ignore")
    log.info(
        "footprints: %d real replace the derived ones of %d settlements", len(real), len(replaced)
    )
    return conform("settlement_footprints", out)
