"""Power-line zones by voltage (L317-322)."""

from __future__ import annotations

import pytest
from restriction_world import catalogue_of, line, make_base, rule

from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.power import build_power_line_zones

VL220 = rule(
    "power.vl_220kv",
    "power_line_zone",
    applies_to={"feature": "power_line", "voltage_kv": 220},
    width={"value_m": 20, "semantics": "per_side", "measured_from": "outermost_wire"},
)
VL500 = rule(
    "power.vl_500kv",
    "power_line_zone",
    applies_to={"feature": "power_line", "voltage_kv": 500},
    width={"value_m": 30, "semantics": "per_side", "measured_from": "outermost_wire"},
)


def test_zone_by_voltage_and_skips_reported() -> None:
    base = make_base(
        power_lines=[
            {"name": "a", "voltage_kv": 220.0, "geometry": line((0, 0), (1000, 0))},
            {"name": "b", "voltage_kv": 500.0, "geometry": line((0, 500), (1000, 500))},
            {"name": "c", "voltage_kv": 10.0, "geometry": line((0, 900), (1000, 900))},
            {"name": "d", "geometry": line((0, 1500), (1000, 1500))},
        ]
    )
    gdf, notes = build_power_line_zones(catalogue_of([VL220, VL500]), base, BuildOptions())
    areas = dict(zip(gdf.rule_id, gdf.geometry.area, strict=True))
    assert areas == {
        "power.vl_220kv": pytest.approx(40_000),
        "power.vl_500kv": pytest.approx(60_000),
    }
    skipped = [n.message for n in notes if n.kind == "skipped"]
    assert any("10 kV" in m for m in skipped) and any("without voltage" in m for m in skipped)
    assert all("axis" in r for r in gdf.reading)


def test_wire_offset_widens_zone() -> None:
    base = make_base(
        power_lines=[{"name": "a", "voltage_kv": 220.0, "geometry": line((0, 0), (1000, 0))}]
    )
    gdf, _ = build_power_line_zones(
        catalogue_of([VL220]), base, BuildOptions(power_wire_offset_m=5)
    )
    assert gdf.geometry.area.iloc[0] == pytest.approx(50_000)


def test_empty_input_gives_empty_layer_and_note() -> None:
    gdf, notes = build_power_line_zones(catalogue_of([VL220]), make_base(), BuildOptions())
    assert len(gdf) == 0
    assert [n.kind for n in notes] == ["missing"]
