"""Reconciliation with Appendix 1: circular rows are never marked comparable."""

from __future__ import annotations

import pandas as pd
import pytest
from restriction_world import box, frame, make_base

from almaty_scheme.catalogue.loader import default_catalogue
from almaty_scheme.report.build_report import reconciliation_figures
from almaty_scheme.report.reconciliation import reconciliation_rows

BALANCE = pd.DataFrame(
    {
        "key": [
            "settlements",
            "industry_transport",
            "protected_recreational",
            "forest_fund",
            "water_fund",
            "agricultural",
        ],
        "current": [1.0, 0.5, 2.0, 1.0, 0.25, 4.0],  # thousand ha
        "seed_lines": ["1-1", "2-2", "3-3", "4-4", "5-5", "6-6"],
    }
)


def _zones() -> object:
    # 1 km x 1 km = 100 ha per unit square
    return frame(
        [
            {
                "functional_group": "intensive",
                "subzone": "settlement",
                "geometry": box(0, 0, 1000, 1000),
            },
            {
                "functional_group": "intensive",
                "subzone": "transport_corridors",
                "geometry": box(1000, 0, 2000, 500),
            },
            {
                "functional_group": "limited",
                "subzone": "recreation_mountain",
                "geometry": box(0, 1000, 2000, 2000),
            },
            {
                "functional_group": "special",
                "subzone": "water_surface",
                "geometry": box(2000, 0, 3000, 1000),
            },
            {
                "functional_group": "extensive",
                "subzone": "agricultural",
                "geometry": box(2000, 1000, 3000, 3000),
            },
        ]
    )


def test_group_rows_areas_and_circularity() -> None:
    rows = {r["key"]: r for r in reconciliation_rows({"functional_zones": _zones()}, BALANCE)}
    intensive = rows["group_intensive"]
    assert intensive["ours"] == pytest.approx(150.0)  # 100 ha + 50 ha
    assert intensive["scheme"] == pytest.approx(1500.0)  # settlements 1.0 + industry 0.5 thousand
    assert intensive["comparable"] is False
    assert intensive["not_comparable"].startswith("circular")
    limited = rows["group_limited"]
    assert (limited["ours"], limited["scheme"]) == (pytest.approx(200.0), pytest.approx(3000.0))
    assert limited["comparable"] is True
    assert "recreation_mountain 0.2 thousand ha" in limited["explanation"]
    assert rows["group_special"]["scheme"] == pytest.approx(250.0)
    assert rows["group_extensive"]["ours"] == pytest.approx(200.0)
    # no forest belts: the forest-fund row has no figure and cannot be comparable
    assert rows["a1_forest_fund"]["ours"] is None and rows["a1_forest_fund"]["comparable"] is False


def test_circular_rows_of_the_report_are_not_comparable() -> None:
    cat = default_catalogue()
    base = make_base(
        settlement_footprints=[
            {"name": "A", "target_ha": 100.0, "geometry": box(0, 0, 1000, 1000)},
        ]
    )
    ind_rule = next(iter(cat.by_kind("industrial_zone")))
    layers = {
        "boundary": frame([{"geometry": box(0, 0, 3000, 3000)}]),
        "functional_zones": _zones(),
        "industrial_zones": frame(
            [{"rule_id": ind_rule.id, "area_ha_scheme": 25.0, "geometry": box(0, 0, 500, 500)}]
        ),
    }
    figs = {f["key"]: f for f in reconciliation_figures(cat, base, layers)}
    for key in ("settlement_land", "industrial_area", "functional_partition", "group_intensive"):
        assert figs[key]["comparable"] is False, key
        assert figs[key]["not_comparable"].startswith("circular"), key
    assert figs["boundary_area"]["comparable"] is True
    assert figs["boundary_area"]["ours"] == pytest.approx(900.0)
    assert figs["settlement_land"]["ours"] == pytest.approx(100.0)
