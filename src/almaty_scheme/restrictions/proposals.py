"""Proposals against what exists: a proposed zone does not override existing settlements.

The scheme proposes some zones ("Предлагается включить в особо охраняемые территории
зону реликтовых дикоплодных садов", L498-501; the forest belts the project "provides for",
L533-536). Such rules carry ``status: proposed`` in the catalogue. Existing towns and
villages are the components of the settlement zone (L204-205); a proposal does not turn
them into a protected area as if it were already established (catalogue finding
``zoning.finding.proposals_vs_existing_settlements``).

Geometric rule
--------------
*Existing settlement land* ``S`` is the union of the polygons of the base layer
``settlement_footprints`` (a user layer when one is given; otherwise the footprints
around the Appendix 15 settlements matched to open points, sized from the scheme's land
balance and populations, accuracy ``derived from scheme figures``). Each feature ``G`` of
a proposed rule is split into ``G - S`` (unchanged) and ``G ∩ S``, which keeps the rule
and its attributes with ``status`` = ``proposed_on_settlement`` and a reading that says
so. The parts are disjoint and their union is ``G``: no area is lost or counted twice.
The functional-zone overlay leaves ``G ∩ S`` to the settlement subzone; a parcel check
caps the regime of hits on it at ``conditional`` (reason ``proposal_on_settlement``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.notes import NoteBook
from almaty_scheme.restrictions.text import join_reading

PROPOSAL_ON_SETTLEMENT = "proposed_on_settlement"
"""``status`` of the part of a proposed zone that lies on existing settlement land."""

STATUS_COLUMN = {"status": "string"}
"""Extra zone column of the layers that hold proposals."""

SETTLEMENT_LAYER = "settlement_footprints"


def settlement_land(base: BaseData) -> BaseGeometry:
    """The union of the existing settlement footprints (empty if there are none)."""
    gdf = base[SETTLEMENT_LAYER]
    if len(gdf) == 0:
        return shapely.MultiPolygon()
    polys = gdf.geometry[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    return shapely.union_all(shapely.make_valid(polys.to_numpy()))


def split_proposals(
    records: Sequence[Mapping[str, Any]],
    geoms: Sequence[BaseGeometry | None],
    rules: Mapping[str, Rule],
    base: BaseData,
    nb: NoteBook | None = None,
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    """Split the features of proposed rules at existing settlement land (module docstring).

    ``records``/``geoms`` are a layer's feature attributes and geometries; features of
    rules that are not proposals pass through unchanged (``status`` = the rule's status).
    """
    out_r: list[dict[str, Any]] = []
    out_g: list[BaseGeometry | None] = []
    land: BaseGeometry | None = None
    for rec, geom in zip(records, geoms, strict=True):
        rule = rules.get(str(rec.get("rule_id")))
        if rule is None or not rule.proposed or geom is None or geom.is_empty:
            out_r.append({**rec, "status": rule.status if rule else None})
            out_g.append(geom)
            continue
        if land is None:
            land = settlement_land(base)
            if nb is not None:
                if land.is_empty:
                    nb.add("missing", "no settlement footprints: proposals are not split")
                else:
                    nb.input(base, SETTLEMENT_LAYER, " (existing settlement land vs proposals)")
        inside = shapely.intersection(geom, land) if not land.is_empty else None
        if inside is None or inside.is_empty or inside.area <= 0.0:
            out_r.append({**rec, "status": "proposed"})
            out_g.append(geom)
            continue
        out_r.append({**rec, "status": "proposed"})
        out_g.append(shapely.difference(geom, land))
        cite = rule.status_source.cite() if rule.status_source else rule.citation()
        out_r.append(
            {
                **rec,
                "status": PROPOSAL_ON_SETTLEMENT,
                "reading": join_reading(
                    rec.get("reading"),
                    f"proposal ({cite}) on existing settlement land "
                    f"(base {SETTLEMENT_LAYER}): at most conditional",
                ),
            }
        )
        out_g.append(inside)
        if nb is not None:
            nb.add(
                "reading",
                f"{inside.area / 10_000:,.1f} ha of the proposal lie on existing settlement "
                "land and keep status proposed_on_settlement (at most conditional)",
                rule.id,
            )
    return out_r, out_g
