"""Road corridors: total width split about the centreline, flat ends (L252-284)."""

from __future__ import annotations

import pytest
from restriction_world import box, catalogue_of, line, make_base, rule

from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.roads import build_road_corridors
from almaty_scheme.restrictions.schema import ZONE_COLUMNS

KUL = rule(
    "roads.test_kapchagay",
    "road_corridor",
    layer="road_corridors",
    applies_to={"feature": "road", "names": ["Капчагайская трасса"]},
    width={"value_m": 226.5, "semantics": "total", "measured_from": "centreline"},
)
RING = rule(
    "roads.test_ring",
    "road_corridor",
    layer="road_corridors",
    applies_to={"feature": "road", "names": ["Среднее полукольцо"]},
    width={
        "min_m": 132,
        "max_m": 330.5,
        "semantics": "total",
        "measured_from": "centreline",
        "default": "both",
    },
)


def test_1km_corridor_226_5_m_is_226500_m2() -> None:
    base = make_base(
        roads=[
            {
                "name": "road",
                "rule_ids": "roads.test_kapchagay",
                "geometry": line((0, 0), (1000, 0)),
            }
        ]
    )
    gdf, _notes = build_road_corridors(catalogue_of([KUL]), base, BuildOptions())
    assert len(gdf) == 1
    assert gdf.crs == WORKING_CRS
    assert list(gdf.columns[: len(ZONE_COLUMNS)]) == list(ZONE_COLUMNS)
    assert gdf.geometry.area.iloc[0] == pytest.approx(226_500.0, rel=1e-9)
    row = gdf.iloc[0]
    assert row.rule_id == "roads.test_kapchagay"
    assert row.width_m == 226.5 and row.width_semantics == "total"
    assert row.measured_from == "centreline" and row.certainty == "certain"
    assert "flat ends" in row.reading
    # flat ends: nothing beyond the segment's end points
    minx, _, maxx, _ = gdf.total_bounds
    assert maxx - minx == pytest.approx(1000.0)


def test_name_match_when_no_rule_ids() -> None:
    base = make_base(
        roads=[
            {"name": "Капчагайская трасса", "geometry": line((0, 0), (1000, 0))},
            {"name": "other road", "geometry": line((0, 500), (1000, 500))},
        ]
    )
    gdf, _ = build_road_corridors(catalogue_of([KUL]), base, BuildOptions())
    assert len(gdf) == 1 and gdf.iloc[0]["name"] == "Капчагайская трасса"


def test_range_both_gives_certain_min_and_possible_ring() -> None:
    base = make_base(roads=[{"name": "Среднее полукольцо", "geometry": line((0, 0), (1000, 0))}])
    gdf, _ = build_road_corridors(catalogue_of([RING]), base, BuildOptions())
    cert = gdf[gdf.certainty == "certain"]
    poss = gdf[gdf.certainty == "possible"]
    assert cert.geometry.area.sum() == pytest.approx(132_000.0)
    assert poss.geometry.area.sum() == pytest.approx(330_500.0 - 132_000.0)
    assert cert.geometry.iloc[0].intersection(poss.geometry.iloc[0]).area == pytest.approx(
        0.0, abs=1e-6
    )
    assert poss.iloc[0].band_inner_m == 132 and poss.iloc[0].band_outer_m == 330.5


@pytest.mark.parametrize(("policy", "area"), [("min", 132_000.0), ("max", 330_500.0)])
def test_range_policy_min_max(policy: str, area: float) -> None:
    base = make_base(roads=[{"name": "Среднее полукольцо", "geometry": line((0, 0), (1000, 0))}])
    gdf, _ = build_road_corridors(catalogue_of([RING]), base, BuildOptions(range_policy=policy))  # type: ignore[arg-type]
    assert len(gdf) == 1 and gdf.iloc[0].certainty == "certain"
    assert gdf.geometry.area.iloc[0] == pytest.approx(area)


def test_overlapping_segments_of_two_rules_are_both_kept() -> None:
    base = make_base(
        roads=[
            {
                "name": "x",
                "rule_ids": "roads.test_kapchagay,roads.test_ring",
                "geometry": line((0, 0), (1000, 0)),
            }
        ]
    )
    gdf, _ = build_road_corridors(catalogue_of([KUL, RING]), base, BuildOptions(range_policy="min"))
    assert sorted(gdf.rule_id) == ["roads.test_kapchagay", "roads.test_ring"]


def test_clipped_to_boundary() -> None:
    base = make_base(
        roads=[
            {"name": "x", "rule_ids": "roads.test_kapchagay", "geometry": line((0, 0), (1000, 0))}
        ],
        boundary=[{"name": "b", "geometry": box(-100, -500, 500, 500)}],
    )
    gdf, _ = build_road_corridors(catalogue_of([KUL]), base, BuildOptions())
    assert gdf.geometry.area.iloc[0] == pytest.approx(500 * 226.5)


def test_no_roads_gives_empty_layer_and_notes() -> None:
    gdf, notes = build_road_corridors(catalogue_of([KUL]), make_base(), BuildOptions())
    assert len(gdf) == 0 and list(gdf.columns[:-1]) == list(ZONE_COLUMNS)
    kinds = {n.kind for n in notes}
    assert "missing" in kinds and "skipped" in kinds
