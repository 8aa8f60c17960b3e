"""Gas-pipeline zones, once per corridor; minimum distance by the corridor's largest DN."""

from __future__ import annotations

import pytest
from restriction_world import catalogue_of, line, make_base, ngon_area, rule

from almaty_scheme.restrictions.gas import build_gas_pipeline_zones
from almaty_scheme.restrictions.options import BuildOptions

PROT = rule(
    "gas.protection_zone",
    "gas_protection_zone",
    applies_to={"feature": "gas_pipeline"},
    width={"value_m": 50, "semantics": "per_side", "measured_from": "axis"},
)


def md(rid: str, lo: float | None, hi: float | None, w: float) -> object:
    iv: dict[str, object] = {}
    if lo is not None:
        iv.update(min=lo, min_inclusive=False)
    if hi is not None:
        iv["max"] = hi
    return rule(
        rid,
        "gas_minimum_distance",
        applies_to={
            "feature": "gas_pipeline",
            "nominal_diameter_mm": iv,
            "pressure_mpa": {"min": 2.5, "max": 10},
        },
        width={"value_m": w, "semantics": "per_side", "measured_from": "axis"},
    )


MDS = [
    md("gas.minimum_distance.dn_600", 300, 600, 150),
    md("gas.minimum_distance.dn_1000", 800, 1000, 250),
    md("gas.minimum_distance.dn_300", None, 300, 100),
]
RULES = [PROT, *MDS]


def test_two_line_corridor_gives_one_protection_zone() -> None:
    base = make_base(
        gas_pipelines=[
            {
                "name": "A",
                "nominal_diameter_mm": 1000.0,
                "corridor_id": "c1",
                "geometry": line((0, 0), (1000, 0)),
            },
            {
                "name": "B",
                "nominal_diameter_mm": 500.0,
                "corridor_id": "c1",
                "geometry": line((0, 30), (1000, 30)),
            },
        ]
    )
    gdf, _ = build_gas_pipeline_zones(catalogue_of(RULES), base, BuildOptions())
    prot = gdf[gdf.rule_id == "gas.protection_zone"]
    assert len(prot) == 1
    assert prot.geometry.area.iloc[0] == pytest.approx(1000 * 130)  # 50 + 30 + 50 m across
    assert set(prot.source_fid.iloc[0].split(",")) == {"gas_pipelines:0", "gas_pipelines:1"}
    mdz = gdf[gdf.kind == "gas_minimum_distance"]
    assert list(mdz.rule_id) == ["gas.minimum_distance.dn_1000"]  # largest DN of the corridor
    # union of two 250 m round buffers of parallel lines 30 m apart: a 530 m wide band
    # plus, at each end, a half disc and a 30 m x 250 m rectangle (polygonised: rel 1e-4)
    expected = 1000 * 530 + ngon_area(250) + 2 * 30 * 250
    assert mdz.geometry.area.iloc[0] == pytest.approx(expected, rel=1e-4)
    assert "largest DN" in mdz.reading.iloc[0]


def test_separate_corridors_separate_features() -> None:
    base = make_base(
        gas_pipelines=[
            {
                "name": "A",
                "nominal_diameter_mm": 500.0,
                "corridor_id": "c1",
                "geometry": line((0, 0), (1000, 0)),
            },
            {
                "name": "B",
                "nominal_diameter_mm": 500.0,
                "corridor_id": "c2",
                "geometry": line((0, 5000), (1000, 5000)),
            },
        ]
    )
    gdf, _ = build_gas_pipeline_zones(catalogue_of(RULES), base, BuildOptions())
    assert (gdf.rule_id == "gas.protection_zone").sum() == 2


def test_unknown_dn_gives_certain_smallest_and_possible_band() -> None:
    base = make_base(
        gas_pipelines=[{"name": "X", "corridor_id": "c1", "geometry": line((0, 0), (1000, 0))}]
    )
    gdf, _ = build_gas_pipeline_zones(catalogue_of(RULES), base, BuildOptions())
    mdz = gdf[gdf.kind == "gas_minimum_distance"].set_index("certainty")
    assert mdz.loc["certain", "rule_id"] == "gas.minimum_distance.dn_300"
    assert mdz.loc["possible", "rule_id"] == "gas.minimum_distance.dn_1000"
    c, p = mdz.loc["certain", "geometry"], mdz.loc["possible", "geometry"]
    assert c.area == pytest.approx(2 * 100 * 1000 + ngon_area(100))
    assert p.area == pytest.approx(2 * 250 * 1000 + ngon_area(250) - c.area)
    assert c.intersection(p).area == pytest.approx(0, abs=1e-6)
    assert "pressure unknown" in mdz.loc["certain", "reading"]


def test_empty_input() -> None:
    gdf, notes = build_gas_pipeline_zones(catalogue_of(RULES), make_base(), BuildOptions())
    assert len(gdf) == 0 and notes[0].kind == "missing"


def test_candidate_range_recorded_on_both_bands() -> None:
    base = make_base(
        gas_pipelines=[{"name": "X", "corridor_id": "c1", "geometry": line((0, 0), (1000, 0))}]
    )
    gdf, _ = build_gas_pipeline_zones(catalogue_of(RULES), base, BuildOptions())
    mdz = gdf[gdf.kind == "gas_minimum_distance"]
    assert set(mdz.width_min_m) == {100} and set(mdz.width_max_m) == {250}
    assert mdz.set_index("certainty").loc["possible", "band_inner_m"] == 100
