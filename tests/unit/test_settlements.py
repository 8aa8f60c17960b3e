"""Appendix 15 join on synthetic points (almaty_scheme.base.settlements)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from almaty_scheme.base.settlements import dedupe_points, join_appendix15
from almaty_scheme.catalogue.data_models import (
    NameAlias,
    Placement,
    ReviewedMatch,
    SettlementNames,
)
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError

TERR = gpd.GeoDataFrame(
    {"territory": ["a", "b"]},
    geometry=[box(0, 0, 50_000, 50_000), box(50_000, 0, 100_000, 50_000)],
    crs=WORKING_CRS,
)
DISTRICTS = {"Аский район": "a", "Бэский район": "b"}


def _pts(rows: list[tuple[str, float, float, str]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "base_id": pd.Series([f"settlements:{i}" for i in range(len(rows))], dtype="string"),
            "name": pd.Series([r[0] for r in rows], dtype="string"),
            "name_ru": pd.Series([pd.NA] * len(rows), dtype="string"),
            "status": pd.Series([r[3] for r in rows], dtype="string"),
            "origin": pd.Series(["osm"] * len(rows), dtype="string"),
            "origin_id": pd.Series([f"osm:{i}" for i in range(len(rows))], dtype="string"),
        },
        geometry=[Point(r[1], r[2]) for r in rows],
        crs=WORKING_CRS,
    )


def _table(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row_id": [f"A15-{i + 1:03d}" for i in range(len(rows))],
            "number": [str(i + 1) for i in range(len(rows))],
            "row_kind": [r[0] for r in rows],
            "district": [r[1] for r in rows],
            "rural_district": ["X с/о"] * len(rows),
            "settlement": [r[2] for r in rows],
            "pop_2018": [r[3] for r in rows],
            "pop_2025": [r[3] * 2 for r in rows],
            "pop_2035": [r[3] * 3 for r in rows],
            "pop_2050": [r[3] * 4 for r in rows],
        }
    )


def test_tiers_and_district_disambiguation() -> None:
    pts = _pts(
        [
            ("Түрген", 10_000, 10_000, "village"),  # loose: Тургень
            ("Қайрат", 20_000, 20_000, "village"),  # Кайрат in district a
            ("Қайрат", 70_000, 20_000, "village"),  # Кайрат in district b
            ("Жәпек батыр", 30_000, 30_000, "village"),  # variant: Жапек батыра
            ("Unlisted", 40_000, 40_000, "hamlet"),
        ]
    )
    table = _table(
        [
            ("settlement", "Аский район", "Тургень", 100),
            ("settlement", "Бэский район", "Кайрат", 200),
            ("settlement", "Аский район", "Кайрат", 300),
            ("settlement", "Аский район", "Жапек батыра", 400),
            ("settlement", "Бэский район", "Нигде", 500),
            ("district_subtotal", "Аский район", "", 1500),
            ("planned_city", "", "Gate City", 0),
        ]
    )
    res = join_appendix15(pts, table, TERR, DISTRICTS)
    rows = res.rows.set_index("row_id")
    assert rows.loc["A15-001", "base_id"] == "settlements:0"
    assert rows.loc["A15-001", "match"] == "loose"
    assert rows.loc["A15-002", "base_id"] == "settlements:2"
    assert rows.loc["A15-003", "base_id"] == "settlements:1"
    assert rows.loc["A15-003", "match"] == "exact"
    assert rows.loc["A15-004", "match"] == "variant"
    assert pd.isna(rows.loc["A15-005", "base_id"])
    assert "no settlement point" in rows.loc["A15-005", "reason"]
    assert rows.loc["A15-007", "reason"].startswith("planned city")
    assert "A15-006" not in rows.index  # subtotals are not places
    assert res.match_rate() == pytest.approx(4 / 5)
    assert res.match_rate(existing_only=False) == pytest.approx(4 / 6)
    s = res.settlements.set_index("base_id")
    assert s.at["settlements:1", "pop_2050"] == 1200
    assert s.at["settlements:1", "name"] == "Кайрат"
    assert s.at["settlements:1", "source_name"] == "Қайрат"
    assert not s.at["settlements:4", "in_appendix15"]
    assert s.at["settlements:4", "match"] == "not in Appendix 15"


def test_one_point_serves_one_row_and_reason_names_the_taker() -> None:
    pts = _pts([("Енбек", 10_000, 10_000, "village")])
    table = _table(
        [("settlement", "Аский район", "Енбек", 100), ("settlement", "Аский район", "Енбек", 90)]
    )
    res = join_appendix15(pts, table, TERR, DISTRICTS)
    assert res.rows["base_id"].notna().sum() == 1
    assert "A15-001" in res.unmatched["reason"].iloc[0]


def test_outside_district_match_within_reach_is_flagged() -> None:
    pts = _pts([("Али", 52_000, 10_000, "village")])  # 2 km into district b
    res = join_appendix15(
        pts, _table([("settlement", "Аский район", "Али", 100)]), TERR, DISTRICTS, outside_km=5
    )
    assert res.rows["match"].iloc[0] == "exact (outside district)"
    far = join_appendix15(
        pts, _table([("settlement", "Аский район", "Али", 100)]), TERR, DISTRICTS, outside_km=1
    )
    assert "farther than 1 km" in far.rows["reason"].iloc[0]


def test_alias_for_renamed_settlement() -> None:
    pts = _pts([("Қонаев", 10_000, 10_000, "town")])
    names = SettlementNames(
        version="1.0.0",
        aliases=[NameAlias(settlement="Капчагай", aliases=["Қонаев"], note="renamed in 2022")],
    )
    table = _table([("settlement", "Аский район", "Капчагай", 100)])
    assert join_appendix15(pts, table, TERR, DISTRICTS).rows["base_id"].isna().all()
    assert (
        join_appendix15(pts, table, TERR, DISTRICTS, names=names).rows["base_id"].iloc[0]
        == "settlements:0"
    )


def test_unknown_district_and_missing_columns_are_data_errors() -> None:
    pts = _pts([("A", 1, 1, "village")])
    with pytest.raises(DataError, match="cannot be placed"):
        join_appendix15(pts, _table([("settlement", "Нет района", "A", 1)]), TERR, DISTRICTS)
    with pytest.raises(DataError, match="lacks columns"):
        join_appendix15(pts, pd.DataFrame({"row_id": []}), TERR, DISTRICTS)


def test_dedupe_keeps_osm_and_merges_geonames_names() -> None:
    pts = _pts([("Талғар", 0, 0, "town"), ("Talghar", 900, 0, "town")])
    pts.loc[1, "origin"] = "geonames"
    pts["alt_names"] = pd.Series([pd.NA, "Talgar;Талгар;Old name"], dtype="string")
    kept, dropped = dedupe_points(pts, dedupe_m=1000)
    assert list(kept.index) == [0]
    assert "Old name" in kept.at[0, "alt_names"]
    assert dropped["duplicate_of"].tolist() == ["osm:0"]
    far, none = dedupe_points(pts, dedupe_m=500)
    assert len(far) == 2 and none.empty


def test_unmatched_place_goes_to_its_rural_district_centroid() -> None:
    """Two matched places of X с/о at (10, 10) and (20, 10) km: the third goes to their
    centroid (15, 10) km, accuracy = the set's radius 5 km; a place of a district with no
    matched place goes to its territory's centroid (75, 25) km, accuracy = distance to the
    square's corner, sqrt(2) * 25 km = 35 355 m (rounded to 10 m)."""
    pts = _pts([("Алма", 10_000, 10_000, "village"), ("Берк", 20_000, 10_000, "village")])
    table = _table(
        [
            ("settlement", "Аский район", "Алма", 100),
            ("settlement", "Аский район", "Берк", 100),
            ("settlement", "Аский район", "Нигде", 100),
            ("settlement", "Бэский район", "Никуда", 50),
        ]
    )
    res = join_appendix15(pts, table, TERR, DISTRICTS)
    assert len(res.matched) == 2 and len(res.placed) == 2
    rows = res.rows.set_index("row_id")
    assert pd.isna(rows.loc["A15-003", "base_id"])  # no real point
    assert rows.loc["A15-003", "accuracy_m"] == 5000.0
    assert rows.loc["A15-003", "placement"].startswith(
        "placed: centroid of the 2 matched place(s) of X с/о"
    )
    assert rows.loc["A15-004", "accuracy_m"] == 35360.0
    assert "centroid of the territory b" in rows.loc["A15-004", "placement"]
    s = res.settlements.set_index("scheme_row")
    assert s.geometry["A15-003"].equals(Point(15_000, 10_000))
    assert s.geometry["A15-004"].equals(Point(75_000, 25_000))
    assert s.at["A15-003", "pop_2050"] == 400
    assert s.at["A15-001", "placement"] == "matched" and pd.isna(s.at["A15-001", "accuracy_m"])
    assert s.at["A15-003", "origin"] == "placed"


def test_placement_accuracy_floor() -> None:
    """A stated floor (8 km) wins over a smaller radius (5 km)."""
    pts = _pts([("Алма", 10_000, 10_000, "village"), ("Берк", 20_000, 10_000, "village")])
    table = _table(
        [
            ("settlement", "Аский район", "Алма", 100),
            ("settlement", "Аский район", "Берк", 100),
            ("settlement", "Аский район", "Нигде", 100),
        ]
    )
    names = SettlementNames(version="1.0.0", placement=Placement(min_accuracy_m=8000))
    res = join_appendix15(pts, table, TERR, DISTRICTS, names=names)
    assert res.placed["accuracy_m"].tolist() == [8000.0]
    assert "floor 8000 m" in res.placed["placement"].iloc[0]


def test_fuzzy_candidate_needs_a_review_and_a_reject_removes_one() -> None:
    pts = _pts([("Жыңғылды", 10_000, 10_000, "village"), ("Куат", 20_000, 20_000, "village")])
    table = _table(
        [
            ("settlement", "Аский район", "Жангылды", 100),
            ("settlement", "Аский район", "Жана Куат", 100),
        ]
    )
    res = join_appendix15(pts, table, TERR, DISTRICTS)
    rows = res.rows.set_index("row_id")
    assert pd.isna(rows.loc["A15-001", "base_id"])  # fuzzy 0.88, not reviewed
    assert "needs a reviewed entry" in rows.loc["A15-001", "reason"]
    assert rows.loc["A15-002", "match"] == "variant"
    names = SettlementNames(
        version="1.0.0",
        reviewed=[
            ReviewedMatch(
                settlement="Жангылды",
                point_name="Жыңғылды",
                decision="accept",
                reason="same word in Kazakh spelling",
            ),
            ReviewedMatch(
                settlement="Жана Куат",
                point_name="Куат",
                decision="reject",
                reason="another village (test)",
            ),
        ],
    )
    rows = join_appendix15(pts, table, TERR, DISTRICTS, names=names).rows.set_index("row_id")
    assert rows.loc["A15-001", "base_id"] == "settlements:0"
    assert rows.loc["A15-001", "reason"].startswith("reviewed match: same word")
    assert pd.isna(rows.loc["A15-002", "base_id"])
    assert "rejected: another village" in rows.loc["A15-002", "reason"]
