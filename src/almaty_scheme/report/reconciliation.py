"""Functional-zone groups and Appendix 1 land categories beside the scheme's figures.

Appendix 1 (seed L3741-3802) gives the land balance of the agglomeration by land
category (settlements, industry and transport, protected and recreational, forest fund,
water fund, agricultural, reserve) and by process zone. The toolkit builds functional
zones (four regime groups, L161-733), not land categories, so every row states the
*reading* that pairs our figure with the scheme's and why they differ.

A row is ``comparable: false`` when it cannot test anything:

* **circular**: our figure was made from the scheme's (settlement footprints sized from
  Appendix 1's settlement land; industrial zones drawn at their stated areas; the
  functional-zone sum, a partition of the boundary, against the boundary itself);
* **not built**: no outline exists in the text or the open data (process zones,
  reserve land, forest fund);
* **different concept**: a regime zone against a land category where the category is
  a small part of what the zone holds (shown for scale).

Nothing here is tuned towards the scheme's figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

GROUP_CATEGORIES: dict[str, tuple[str, ...]] = {
    "intensive": ("settlements", "industry_transport"),
    "limited": ("protected_recreational", "forest_fund"),
    "special": ("water_fund",),
    "extensive": ("agricultural",),
}
"""Functional group -> the Appendix 1 land categories it is read against."""

_GROUP_READING: dict[str, str] = {
    "intensive": (
        "Read against settlement land + industry and transport land. Our group is the "
        "settlement subzone (footprints sized from Appendix 1's settlement land, so this "
        "part is circular), the road/railway corridors at the scheme's red-line widths and "
        "the named industrial zones at their stated areas. Appendix 1's settlement land is "
        "the whole administrative land of each settlement, and its industry/transport "
        "category also holds defence, communications and other non-agricultural land that "
        "has no outline in the text or the open data."
    ),
    "limited": (
        "Read against protected/recreational land + forest fund. Our group is a regime "
        "zone: all land above the southern-direction threshold (zoning.finding."
        "south_direction_outline) and the relic-orchard belt, much of which is pasture "
        "(agricultural land) in the land balance; Appendix 1 counts only land of the "
        "protected-area and forest-fund categories."
    ),
    "special": (
        "Read against water-fund land. Our group holds the water surface and the "
        "water-protection zones and strips, which are land of other categories "
        "(mostly agricultural) under a water regime; only the water surface is water-fund "
        "land (see the water-fund row)."
    ),
    "extensive": (
        "Read against agricultural land. Our group is the remainder of the boundary after "
        "the other groups (zoning.subzone.agricultural), so it absorbs the boundary's "
        "excess and every other group's over- or under-reach; Appendix 1 also has 37.54 "
        "thousand ha of reserve land, which no open data outlines."
    ),
}


@dataclass(frozen=True)
class Row:
    """One reconciliation row before formatting."""

    key: str
    label: str
    ours_ha: float | None
    scheme_keys: tuple[str, ...]
    reading: str
    comparable: bool = True
    not_comparable: str = ""


def group_areas(
    fz: gpd.GeoDataFrame | None,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Area (ha) per functional group and per group's subzones of a functional-zone layer."""
    if fz is None or not len(fz) or "functional_group" not in fz.columns:
        return {}, {}
    a = fz.geometry.area / 1e4
    groups = a.groupby(fz["functional_group"].astype(str)).sum().to_dict()
    sub: dict[str, dict[str, float]] = {}
    if "subzone" in fz.columns:
        for (g, s), v in (
            a.groupby([fz["functional_group"].astype(str), fz["subzone"]]).sum().items()
        ):
            sub.setdefault(str(g), {})[str(s)] = float(v)
    return {str(k): float(v) for k, v in groups.items()}, sub


def _made_of(sub: dict[str, float]) -> str:
    parts = sorted(sub.items(), key=lambda kv: -kv[1])
    return "made of " + ", ".join(f"{k} {v / 1000:,.1f}" for k, v in parts) + " thousand ha"


def group_rows(fz: gpd.GeoDataFrame | None) -> list[Row]:
    """One row per functional group (ours) against its Appendix 1 categories."""
    groups, sub = group_areas(fz)
    rows = []
    for g, cats in GROUP_CATEGORIES.items():
        ours = groups.get(g)
        reading = _GROUP_READING[g]
        if g in sub:
            reading = f"{reading} Ours is {_made_of(sub[g])}."
        circular = g == "intensive"
        rows.append(
            Row(
                f"group_{g}",
                f"Functional group '{g}' vs Appendix 1 ({' + '.join(cats)})",
                ours,
                cats,
                reading,
                comparable=not circular,
                not_comparable=(
                    "circular in part: its settlement subzone is sized from Appendix 1"
                    if circular
                    else ""
                ),
            )
        )
    return rows


def category_rows(layers: Mapping[str, gpd.GeoDataFrame]) -> list[Row]:
    """The Appendix 1 figures no other row covers, each with our nearest figure or none."""
    forest = layers.get("forest_belts")
    forest_ha = (
        float(forest.geometry.union_all().area) / 1e4
        if forest is not None and len(forest)
        else None
    )
    none = "not built: the scheme gives no outline and the open data has none"
    return [
        Row(
            "a1_forest_fund",
            "Forest-fund land (planned BAKAD forest belts, for scale)",
            forest_ha,
            ("forest_fund",),
            "Our only forest layer is the belt planned along BAKAD (L530-536); forest-fund "
            "land (existing forests of the state forest fund) has no open outline.",
            comparable=False,
            not_comparable="different concept (planned belts, not forest-fund land)",
        ),
        *(
            Row(k, f"Appendix 1 {k.replace('_', ' ')}", None, (k,), none, False, none)
            for k in ("zone_intensive", "zone_active", "zone_weak", "reserve")
        ),
    ]


def scheme_ha(balance: pd.DataFrame | None, keys: tuple[str, ...]) -> tuple[float, str] | None:
    """Sum of Appendix 1 rows ``keys`` (current, ha) and the citation, or ``None``."""
    if balance is None:
        return None
    sel = balance[balance["key"].isin(keys)]
    if len(sel) != len(keys):
        return None
    lines = ", ".join(f"L{x}" for x in sel["seed_lines"])
    return float(
        sel["current"].astype(float).sum()
    ) * 1000.0, f"Appendix 1, scheme {lines} (current)"


def reconciliation_rows(
    layers: Mapping[str, gpd.GeoDataFrame],
    balance: pd.DataFrame | None,
) -> list[dict[str, Any]]:
    """Group and category rows as report figures (``key``, ``scheme``, ``ours``, ...)."""
    out = []
    for r in [*group_rows(layers.get("functional_zones")), *category_rows(layers)]:
        sv = scheme_ha(balance, r.scheme_keys)
        if sv is None:
            continue
        out.append(
            {
                "key": r.key,
                "label": r.label,
                "unit": "ha",
                "scheme": round(sv[0], 2),
                "scheme_source": sv[1],
                "ours": None if r.ours_ha is None else round(r.ours_ha, 2),
                "difference": None if r.ours_ha is None else round(r.ours_ha - sv[0], 2),
                "difference_pct": None
                if r.ours_ha is None or not sv[0]
                else round(100.0 * (r.ours_ha - sv[0]) / sv[0], 1),
                "comparable": r.comparable and r.ours_ha is not None,
                "not_comparable": r.not_comparable,
                "explanation": r.reading,
            }
        )
    return out
