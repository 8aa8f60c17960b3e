"""Derived settlement footprints on synthetic data (almaty_scheme.base.footprints)."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from almaty_scheme.base.footprints import (
    FootprintConfig,
    apply_real_footprints,
    derive_footprints,
    land_shares,
)
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError

SRC = {"type": "scheme", "quote": "some quote", "lines": [1, 1]}
CFG = FootprintConfig.model_validate(
    {
        "version": "1.0.0",
        "urban_rows": ["A15-002"],
        "urban_sources": [SRC],
        "urban_land_key": "settlements_urban",
        "rural_land_key": "settlements_rural",
        "land_sources": [SRC],
        "city_territory": "city",
        "reading": "a reading of the method",
    }
)
POLY64 = 32 * math.sin(math.pi / 32) / math.pi  # area of the 64-gon / circle
CITY = box(0, 0, 1000, 1000)  # 100 ha
BOUNDARY = box(-50_000, -50_000, 50_000, 50_000)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row_id": ["A15-001", "A15-002", "A15-003", "A15-004", "A15-005"],
            "row_kind": ["city", "settlement", "settlement", "settlement", "settlement"],
            "settlement": ["Сити", "Город", "Аул1", "Аул2", "Аул3"],
            "pop_2018": [1e6, 5000.0, 1000.0, 3000.0, 0.0],
            "pop_2025": [1e6, 5000.0, 1000.0, 1000.0, 2000.0],
            "pop_2035": [1e6, 5000.0, 1000.0, 1000.0, 2000.0],
            "pop_2050": [1e6, 5000.0, 1000.0, 1000.0, 2000.0],
        }
    )


def _balance(urban_kha: float = 0.3, rural_kha: float = 0.1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": ["settlements_urban", "settlements_rural"],
            "current": [urban_kha, rural_kha],
            "stage1_2025": [urban_kha, 0.2],
            "design_2035": [urban_kha, rural_kha],
            "forecast_2050": [urban_kha, rural_kha],
        }
    )


def _settlements(coords: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    rows = list(coords)
    return gpd.GeoDataFrame(
        {
            "base_id": [f"settlements:{i}" for i in range(len(rows))],
            "name": rows,
            "scheme_name": rows,
            "scheme_row": rows,
        },
        geometry=[Point(coords[r]) for r in rows],
        crs=WORKING_CRS,
    )


def test_land_shares_in_proportion_to_population() -> None:
    s = land_shares(pd.Series([1000.0, 3000.0, float("nan")]), 100.0)
    assert s.tolist() == pytest.approx([25.0, 75.0, 0.0])
    assert land_shares(pd.Series([0.0, 0.0]), 10.0).tolist() == [0.0, 0.0]


def test_derived_discs_have_the_population_share_of_the_land() -> None:
    pts = _settlements(
        {
            "A15-001": (500, 500),
            "A15-002": (20_000, 0),
            "A15-003": (-20_000, 0),
            "A15-004": (0, 20_000),
        }
    )
    res = derive_footprints(pts, _table(), _balance(), CITY, BOUNDARY, CFG)
    fp = res.footprints.set_index("scheme_row")
    assert fp.at["A15-001", "area_ha"] == pytest.approx(100.0)
    assert fp.at["A15-001", "accuracy"] == "official"
    assert fp.at["A15-002", "target_ha"] == pytest.approx(200.0)  # 300 urban - 100 city
    assert fp.at["A15-002", "area_ha"] == pytest.approx(200.0 * POLY64, rel=1e-9)
    assert fp.at["A15-003", "area_ha"] == pytest.approx(25.0 * POLY64, rel=1e-9)
    assert fp.at["A15-004", "area_ha"] == pytest.approx(75.0 * POLY64, rel=1e-9)
    assert fp.at["A15-003", "accuracy"] == "derived from scheme figures"
    assert "disc of 25.0 ha" in fp.at["A15-003", "method"]
    assert res.figures["footprints_rural"]["scheme"] == pytest.approx(0.1)
    # Аул3 (no point) keeps its share of 0 ha in 2018
    assert res.figures["footprints_rural"]["ours"] == pytest.approx(0.1 * POLY64, abs=1e-3)


def test_horizon_uses_the_matching_columns() -> None:
    pts = _settlements({"A15-001": (500, 500), "A15-003": (-20_000, 0), "A15-004": (0, 20_000)})
    res = derive_footprints(pts, _table(), _balance(), CITY, BOUNDARY, CFG, horizon=2025)
    fp = res.footprints.set_index("scheme_row")
    # 2025: rural land 200 ha shared 1000 : 1000 : 2000
    assert fp.at["A15-003", "target_ha"] == pytest.approx(50.0)


def test_close_neighbours_never_overlap() -> None:
    pts = _settlements({"A15-001": (500, 500), "A15-003": (10_000, 0), "A15-004": (10_100, 0)})
    fp = derive_footprints(pts, _table(), _balance(), CITY, BOUNDARY, CFG).footprints
    a, b = (
        fp[fp["scheme_row"] == "A15-003"].geometry.iloc[0],
        fp[fp["scheme_row"] == "A15-004"].geometry.iloc[0],
    )
    assert a.intersection(b).area == pytest.approx(0.0, abs=1e-6)
    assert a.area / 1e4 < 25.0


def test_unknown_urban_row_is_a_data_error() -> None:
    cfg = CFG.model_copy(update={"urban_rows": ["A15-999"]})
    with pytest.raises(DataError, match="unknown Appendix 15 rows"):
        derive_footprints(_settlements({}), _table(), _balance(), CITY, BOUNDARY, cfg)


def test_real_footprints_replace_derived_ones_by_settlement() -> None:
    pts = _settlements({"A15-001": (500, 500), "A15-003": (-20_000, 0), "A15-004": (0, 20_000)})
    derived = derive_footprints(pts, _table(), _balance(), CITY, BOUNDARY, CFG).footprints
    real = gpd.GeoDataFrame(
        {"source": ["OSM landuse=residential"] * 2},
        geometry=[box(-20_100, -100, -19_900, 100), box(30_000, 0, 30_010, 10)],
        crs=WORKING_CRS,
    )
    out = apply_real_footprints(derived, real, pts)
    assert len(out) == 4  # city + A15-004 derived, two real
    by_id = out.groupby(out["settlement_id"].fillna("none")).size().to_dict()
    assert by_id["settlements:1"] == 1
    real_row = out[out["settlement_id"] == "settlements:1"].iloc[0]
    assert real_row["area_ha"] == pytest.approx(4.0)
    assert "real footprint" in real_row["method"]
