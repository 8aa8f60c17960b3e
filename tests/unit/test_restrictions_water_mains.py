"""Water-main strips: undeveloped land only, unknown soil as a range (L328-331)."""

from __future__ import annotations

import pytest
from restriction_world import box, catalogue_of, line, make_base, rule

from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.water_mains import build_water_main_strips

AT = {"feature": "water_main", "undeveloped_only": True}
DRY1 = rule(
    "water_mains.dry_upto_1000",
    "water_main_strip",
    applies_to={**AT, "soil": "dry", "diameter_mm": {"max": 1000}},
    width={"value_m": 10, "semantics": "per_side", "measured_from": "outermost_pipe"},
)
DRY2 = rule(
    "water_mains.dry_over_1000",
    "water_main_strip",
    applies_to={**AT, "soil": "dry", "diameter_mm": {"min": 1000, "min_inclusive": False}},
    width={"value_m": 20, "semantics": "per_side", "measured_from": "outermost_pipe"},
)
WET = rule(
    "water_mains.wet_any",
    "water_main_strip",
    applies_to={**AT, "soil": "wet"},
    width={"value_m": 50, "semantics": "per_side", "measured_from": "outermost_pipe"},
)
RULES = [DRY1, DRY2, WET]


def test_known_soil_and_diameter() -> None:
    base = make_base(
        water_mains=[
            {"name": "w", "soil": "dry", "diameter_mm": 800.0, "geometry": line((0, 0), (1000, 0))}
        ]
    )
    gdf, _ = build_water_main_strips(catalogue_of(RULES), base, BuildOptions())
    assert list(gdf.rule_id) == ["water_mains.dry_upto_1000"]
    assert gdf.geometry.area.iloc[0] == pytest.approx(20_000)


def test_unknown_soil_dry_certain_band_to_50_possible() -> None:
    base = make_base(
        water_mains=[{"name": "w", "diameter_mm": 1200.0, "geometry": line((0, 0), (1000, 0))}]
    )
    gdf, _ = build_water_main_strips(catalogue_of(RULES), base, BuildOptions())
    cert = gdf[gdf.certainty == "certain"].iloc[0]
    poss = gdf[gdf.certainty == "possible"].iloc[0]
    assert cert.rule_id == "water_mains.dry_over_1000" and cert.geometry.area == pytest.approx(
        40_000
    )
    assert poss.rule_id == "water_mains.wet_any" and poss.geometry.area == pytest.approx(60_000)
    assert "soil unknown" in cert.reading


def test_cut_out_of_settlement_footprints() -> None:
    base = make_base(
        water_mains=[{"name": "w", "soil": "wet", "geometry": line((0, 0), (1000, 0))}],
        settlement_footprints=[{"name": "s", "geometry": box(0, -100, 400, 100)}],
    )
    gdf, _ = build_water_main_strips(catalogue_of(RULES), base, BuildOptions())
    assert gdf.geometry.area.iloc[0] == pytest.approx(600 * 100)
    assert "undeveloped" in gdf.reading.iloc[0]


def test_empty_input() -> None:
    gdf, notes = build_water_main_strips(catalogue_of(RULES), make_base(), BuildOptions())
    assert len(gdf) == 0 and notes[0].kind == "missing"
