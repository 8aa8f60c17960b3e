"""The ``boundary`` layer: the agglomeration boundary of the base, with zone columns.

Geometric rule
--------------
The base boundary (reconstructed from the scheme's words, L106-135; see
:mod:`almaty_scheme.base.boundary`) as it is, made valid, no sliver removal and no
width. Its ``citation`` comes from the catalogue rule :data:`BOUNDARY_RULE`.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.restrictions.frames import zones_frame
from almaty_scheme.restrictions.geometry import clean_polygon
from almaty_scheme.restrictions.notes import LayerNote
from almaty_scheme.restrictions.options import BuildOptions

LAYER = "boundary"
BOUNDARY_RULE = "zoning.fact.boundary"
"""The catalogue rule that quotes the scheme's description of the boundary."""
EXTRA_COLUMNS = {"base_id": "string", "licence": "string", "area_ha": "float64", "method": "string"}


def build_boundary(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """One feature per base boundary polygon (``options`` is unused: no width, no clip)."""
    notes: list[LayerNote] = []
    gdf = base["boundary"]
    if len(gdf) == 0:
        notes.append(LayerNote(LAYER, "missing", "base layer 'boundary' is empty"))
        return zones_frame([], [], EXTRA_COLUMNS), notes
    rule = catalogue.rules.get(BOUNDARY_RULE)
    citation = rule.citation() if rule is not None else None
    if rule is None:
        notes.append(
            LayerNote(LAYER, "missing", f"no rule {BOUNDARY_RULE} in the catalogue: no citation")
        )
    recs, geoms = [], []
    for _, row in gdf.iterrows():
        g = clean_polygon(row.geometry, 0.0)
        method = row.get("method") if isinstance(row.get("method"), str) else None
        recs.append(
            {
                "rule_id": None,
                "family": None,
                "kind": "boundary",
                "name": row.get("name")
                if isinstance(row.get("name"), str)
                else "agglomeration boundary",
                "certainty": "certain",
                "citation": citation,
                "reading": method,
                "source": row.get("source"),
                "accuracy": row.get("accuracy"),
                "source_layer": "boundary",
                "source_fid": row.get("base_id"),
                "base_id": row.get("base_id"),
                "licence": row.get("licence"),
                "area_ha": g.area / 1e4,
                "method": method,
            }
        )
        geoms.append(g)
    notes.append(
        LayerNote(
            LAYER,
            "input",
            f"base layer 'boundary': {len(gdf)} feature(s)",
            accuracy="; ".join(str(a) for a in pd.unique(gdf["accuracy"].dropna())),
        )
    )
    return zones_frame(recs, geoms, EXTRA_COLUMNS, min_area=0.0), notes
