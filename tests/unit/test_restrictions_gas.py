"""Gas-pipeline zones: protection zone once per corridor; minimum distance per DN class."""

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
    mdz = gdf[gdf.kind == "gas_minimum_distance"].set_index("rule_id")
    # one feature per class, each around its own thread (TR EAEU 049/2020 Table 16):
    # DN 1000 -> 250 m round buffer of A, DN 500 -> 150 m round buffer of B
    assert list(mdz.index) == ["gas.minimum_distance.dn_1000", "gas.minimum_distance.dn_600"]
    a, b = mdz.geometry
    assert a.area == pytest.approx(1000 * 500 + ngon_area(250))
    assert b.area == pytest.approx(1000 * 300 + ngon_area(150))
    assert list(mdz.nominal_diameter_mm) == [1000, 500]
    assert list(mdz.source_fid) == ["gas_pipelines:0", "gas_pipelines:1"]
    assert set(mdz.certainty) == {"certain"}
    assert "DN 1000: 1 of 2 thread(s)" in mdz.reading.iloc[0]


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


BTBA = rule(
    "gas.fact.btba",
    "gas_fact",
    applies_to={
        "feature": "gas_pipeline",
        "names": ["Bukhara-Tashkent-Bishkek-Almaty"],
        "thread_diameters_mm": [1020, 530],
    },
)
RULES_BTBA = [*RULES, BTBA]


def test_scheme_threads_on_one_open_line() -> None:
    """One 1 km open line named like the pipeline, diameter unknown (issue 13, L576-579).

    It becomes two threads on one axis: 1020 mm -> DN 1000 -> 250 m (1000 x 500 + disc of
    250 m) and 530 mm -> DN 500 -> 150 m (1000 x 300 + disc of 150 m), both certain; the
    protection zone stays one 1000 x 100 m feature.
    """
    base = make_base(
        gas_pipelines=[
            {
                "name": "Bukhara-Tashkent-Bishkek-Almaty Gas Pipeline",
                "corridor_id": "c1",
                "geometry": line((0, 0), (1000, 0)),
            }
        ]
    )
    gdf, _ = build_gas_pipeline_zones(catalogue_of(RULES_BTBA), base, BuildOptions())
    prot = gdf[gdf.rule_id == "gas.protection_zone"]
    assert len(prot) == 1 and prot.geometry.area.iloc[0] == pytest.approx(100_000)
    mdz = gdf[gdf.kind == "gas_minimum_distance"].set_index("rule_id")
    assert list(mdz.index) == ["gas.minimum_distance.dn_1000", "gas.minimum_distance.dn_600"]
    assert list(mdz.geometry.area) == pytest.approx(
        [1000 * 500 + ngon_area(250), 1000 * 300 + ngon_area(150)]
    )
    assert set(mdz.certainty) == {"certain"}
    assert list(mdz.source_fid) == ["gas_pipelines:0/thread1", "gas_pipelines:0/thread2"]
    assert "outside diameter 1020 mm from the scheme" in mdz.reading.iloc[0]
    assert "separation is unknown" in mdz.reading.iloc[0]
    assert "scheme L1" in mdz.citation.iloc[0]  # the fact's source beside the norm


def test_scheme_threads_on_two_open_lines_in_order() -> None:
    """Two unknown-diameter lines 30 m apart get 1020 and 530 mm in the fact's order."""
    rows = [
        {
            "name": f"Bukhara-Tashkent-Bishkek-Almaty Gas Pipeline thread {k + 1}",
            "corridor_id": "c1",
            "geometry": line((0, 30 * k), (1000, 30 * k)),
        }
        for k in range(2)
    ]
    gdf, _ = build_gas_pipeline_zones(
        catalogue_of(RULES_BTBA), make_base(gas_pipelines=rows), BuildOptions()
    )
    mdz = gdf[gdf.kind == "gas_minimum_distance"].set_index("rule_id")
    assert dict(zip(mdz.index, mdz.source_fid, strict=True)) == {
        "gas.minimum_distance.dn_1000": "gas_pipelines:0",
        "gas.minimum_distance.dn_600": "gas_pipelines:1",
    }
    assert list(mdz.geometry.area) == pytest.approx(
        [1000 * 500 + ngon_area(250), 1000 * 300 + ngon_area(150)]
    )


def test_thread_fact_leaves_known_diameters_alone() -> None:
    base = make_base(
        gas_pipelines=[
            {
                "name": "Bukhara-Tashkent-Bishkek-Almaty Gas Pipeline",
                "nominal_diameter_mm": 300.0,
                "corridor_id": "c1",
                "geometry": line((0, 0), (1000, 0)),
            }
        ]
    )
    gdf, _ = build_gas_pipeline_zones(catalogue_of(RULES_BTBA), base, BuildOptions())
    assert list(gdf[gdf.kind == "gas_minimum_distance"].rule_id) == ["gas.minimum_distance.dn_300"]


def test_scheme_threads_in_two_corridors() -> None:
    """Two single lines in two corridors: each gets both threads (4 distance features)."""
    rows = [
        {
            "name": "Bukhara-Tashkent-Bishkek-Almaty Gas Pipeline",
            "corridor_id": f"c{k}",
            "geometry": line((0, 5000 * k), (1000, 5000 * k)),
        }
        for k in range(2)
    ]
    gdf, _ = build_gas_pipeline_zones(
        catalogue_of(RULES_BTBA), make_base(gas_pipelines=rows), BuildOptions()
    )
    mdz = gdf[gdf.kind == "gas_minimum_distance"]
    assert sorted(mdz.source_fid) == [
        "gas_pipelines:0/thread1",
        "gas_pipelines:0/thread2",
        "gas_pipelines:1/thread1",
        "gas_pipelines:1/thread2",
    ]
    assert mdz.geometry.area.sum() == pytest.approx(
        2 * (1000 * 500 + ngon_area(250) + 1000 * 300 + ngon_area(150))
    )
