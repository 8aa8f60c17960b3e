"""Railway right-of-way and controlled zones: 50 m outside, 20 m inside settlements."""

from __future__ import annotations

import pytest
import shapely
from restriction_world import box, catalogue_of, line, make_base, rule

from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.railways import build_railway_zones

ROW = rule(
    "railways.right_of_way",
    "railway_right_of_way",
    layer="railway_zones",
    applies_to={"feature": "railway"},
    width={"value_m": 25, "semantics": "per_side", "measured_from": "axis"},
)
OUT = rule(
    "railways.controlled_zone.outside_settlements",
    "railway_controlled_zone",
    applies_to={"feature": "railway", "inside_settlement": False},
    width={"value_m": 50, "semantics": "per_side", "measured_from": "right_of_way_edge"},
)
IN = rule(
    "railways.controlled_zone.inside_settlements",
    "railway_controlled_zone",
    applies_to={"feature": "railway", "inside_settlement": True},
    width={"value_m": 20, "semantics": "per_side", "measured_from": "right_of_way_edge"},
)
RULES = [ROW, OUT, IN]


def _world() -> object:
    return make_base(
        railways=[{"name": "rail", "geometry": line((0, 0), (2000, 0))}],
        settlement_footprints=[{"name": "town", "geometry": box(500, -1000, 1500, 1000)}],
    )


def test_switches_from_50_to_20_m_at_the_footprint_edge() -> None:
    gdf, _ = build_railway_zones(catalogue_of(RULES), _world(), BuildOptions())  # type: ignore[arg-type]
    by = dict(zip(gdf.rule_id, gdf.geometry, strict=True))
    assert by["railways.right_of_way"].area == pytest.approx(2000 * 50)
    # outside: 2 sides x 50 m x (2000 - 1000) m
    assert by["railways.controlled_zone.outside_settlements"].area == pytest.approx(100_000)
    # inside: 2 sides x 20 m x 1000 m
    assert by["railways.controlled_zone.inside_settlements"].area == pytest.approx(40_000)
    inside = by["railways.controlled_zone.inside_settlements"]
    outside = by["railways.controlled_zone.outside_settlements"]
    assert inside.bounds[0] == pytest.approx(500 + 500_000) and inside.bounds[2] == pytest.approx(
        1500 + 500_000
    )
    assert inside.bounds[3] - 4_800_000 == pytest.approx(45)  # 25 + 20 from the axis
    assert outside.bounds[3] - 4_800_000 == pytest.approx(75)  # 25 + 50 from the axis
    assert inside.intersection(outside).area == pytest.approx(0, abs=1e-6)
    assert shapely.intersection(inside, by["railways.right_of_way"]).area == pytest.approx(
        0, abs=1e-6
    )


def test_right_of_way_override() -> None:
    gdf, _notes = build_railway_zones(
        catalogue_of(RULES), _world(), BuildOptions(railway_right_of_way_m=10)
    )  # type: ignore[arg-type]
    row = gdf[gdf.rule_id == "railways.right_of_way"].iloc[0]
    assert row.geometry.area == pytest.approx(2000 * 20)
    assert "override" in row.reading


def test_no_footprints_all_outside_with_warning() -> None:
    base = make_base(railways=[{"name": "rail", "geometry": line((0, 0), (2000, 0))}])
    gdf, notes = build_railway_zones(catalogue_of(RULES), base, BuildOptions())
    assert set(gdf.rule_id) == {
        "railways.right_of_way",
        "railways.controlled_zone.outside_settlements",
    }
    assert any(n.kind == "warning" for n in notes)


def test_empty_input_gives_empty_layer() -> None:
    gdf, notes = build_railway_zones(catalogue_of(RULES), make_base(), BuildOptions())
    assert len(gdf) == 0
    assert any(n.kind == "missing" and "railways" in n.message for n in notes)
