"""Forest belt along BAKAD: per side from the corridor edge (L533-537)."""

from __future__ import annotations

import pytest
from restriction_world import catalogue_of, line, make_base, rule

from almaty_scheme.restrictions.forest import build_forest_belts
from almaty_scheme.restrictions.options import BuildOptions

BAKAD = rule(
    "roads.test_bakad",
    "road_corridor",
    applies_to={"feature": "road", "names": ["БАКАД"]},
    width={"value_m": 150, "semantics": "total", "measured_from": "centreline"},
)
BELT = rule(
    "forest.bakad_belt",
    "forest_belt",
    applies_to={"feature": "road", "names": ["БАКАД", "BAKAD"]},
    width={
        "min_m": 200,
        "max_m": 500,
        "semantics": "per_side",
        "measured_from": "corridor_edge",
        "default": "both",
    },
)


def test_belt_from_corridor_edge_flat_ends() -> None:
    base = make_base(roads=[{"name": "БАКАД", "geometry": line((0, 0), (1000, 0))}])
    gdf, _ = build_forest_belts(catalogue_of([BAKAD, BELT]), base, BuildOptions())
    c = gdf[gdf.certainty == "certain"].geometry.iloc[0]
    p = gdf[gdf.certainty == "possible"].geometry.iloc[0]
    assert c.area == pytest.approx(2 * 200 * 1000)
    assert p.area == pytest.approx(2 * 300 * 1000)
    # starts at the corridor edge, 75 m from the centreline
    assert c.distance(line((0, 0), (1000, 0))) == pytest.approx(75)
    assert p.distance(line((0, 0), (1000, 0))) == pytest.approx(275)
    assert c.bounds[3] - c.bounds[1] == pytest.approx(2 * 275)


def test_composed_of_names_the_road_rule() -> None:
    belt = BELT.model_copy(update={"composed_of": ["roads.test_bakad"], "applies_to": None})
    base = make_base(
        roads=[
            {"name": "ring", "rule_ids": "roads.test_bakad", "geometry": line((0, 0), (1000, 0))}
        ]
    )
    gdf, _ = build_forest_belts(catalogue_of([BAKAD, belt]), base, BuildOptions(range_policy="min"))
    assert len(gdf) == 1 and gdf.geometry.area.iloc[0] == pytest.approx(400_000)


def test_no_road_is_reported() -> None:
    gdf, notes = build_forest_belts(catalogue_of([BAKAD, BELT]), make_base(), BuildOptions())
    assert len(gdf) == 0 and any(n.kind == "skipped" for n in notes)
