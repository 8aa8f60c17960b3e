"""Schematic alignments on synthetic places (almaty_scheme.base.alignments)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from pydantic import ValidationError
from shapely.geometry import LineString, MultiLineString, Point, box

from almaty_scheme.base.alignments import (
    AlignmentContext,
    AlignmentFile,
    build_alignments,
    load_alignments,
    merge_roads,
)
from almaty_scheme.base.model import conform
from almaty_scheme.catalogue.models import AppliesTo, Rule
from almaty_scheme.crs import WORKING_CRS

SRC = {"type": "scheme", "quote": "some quote", "lines": [1, 1]}


def _ctx() -> AlignmentContext:
    s = gpd.GeoDataFrame(
        {
            "name": ["Alpha", "Beta", "Gamma", "Delta"],
            "scheme_name": ["Альфа", "Бета", "Гамма", pd.NA],
            "district": ["Р район", "Р район", "Р район", pd.NA],
            "territory": ["t", "t", "t", "t"],
        },
        geometry=[Point(0, 0), Point(10_000, 0), Point(10_000, 10_000), Point(0, 5_000)],
        crs=WORKING_CRS,
    )
    return AlignmentContext(
        s, box(-20_000, -20_000, 20_000, 20_000), {"city": box(-3_000, 2_000, -1_000, 8_000)}
    )


def _file(
    alignments: list[dict[str, Any]], junctions: list[dict[str, Any]] | None = None
) -> AlignmentFile:
    return AlignmentFile.model_validate(
        {"version": "1.0.0", "junctions": junctions or [], "alignments": alignments}
    )


def _al(aid: str, wps: list[dict[str, Any]], rules: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": aid,
        "name": aid,
        "name_ru": aid,
        "rule_ids": rules or [f"roads.{aid}"],
        "waypoints": wps,
    }


def test_settlement_nearest_on_boundary_exit_and_follow() -> None:
    af = _file(
        [
            _al(
                "ring",
                [
                    {"settlement": "Альфа", "district": "Р район", "reading": "r"},
                    {"settlement": "Бета", "district": "Р район", "reading": "r"},
                    {"settlement": "Гамма", "district": "Р район", "reading": "r"},
                ],
            ),
            _al(
                "spur",
                [
                    {"nearest_on": "ring", "reading": "r"},
                    {"place": "Delta", "sources": [SRC]},
                    {"boundary_exit": True, "bearing_deg": 270, "reading": "r"},
                ],
            ),
            _al(
                "along",
                [
                    {"place": "Alpha", "reading": "r"},
                    {"place": "Gamma", "follow": "ring", "reading": "r"},
                    {"city_edge": "city", "reading": "r"},
                ],
            ),
        ]
    )
    res = build_alignments(af, _ctx(), ["roads.ring", "roads.spur", "roads.along", "roads.x"])
    roads = res.roads.set_index("alignment_id")
    assert roads.at["ring", "length_km"] == pytest.approx(20.0)
    spur = roads.geometry["spur"].geoms[0]
    flat = [c for xy in spur.coords for c in xy]
    assert flat == pytest.approx([0.0, 0.0, 0.0, 5000.0, -20000.0, 5000.0])
    along = roads.geometry["along"].geoms[0]
    assert list(along.coords)[:3] == [(0.0, 0.0), (10_000.0, 0.0), (10_000.0, 10_000.0)]
    assert list(along.coords)[-1] == pytest.approx((-1_000.0, 8_000.0))
    assert set(roads["category"]) == {"schematic"}
    assert set(roads["accuracy"]) == {"schematic from scheme text"}
    rules = res.figures["alignment_rules"]
    assert rules["missing"] == ["roads.x"]
    assert rules["ours"] == 3


def test_unlocatable_waypoint_skips_the_alignment_with_a_reason() -> None:
    af = _file(
        [
            _al(
                "lost",
                [
                    {"settlement": "Нигде", "district": "Р район", "reading": "r"},
                    {"place": "Alpha", "reading": "r"},
                ],
            )
        ]
    )
    res = build_alignments(af, _ctx())
    assert len(res.roads) == 0
    assert "Нигде" in res.skipped[0] and "not matched" in res.skipped[0]


def test_junction_shared_by_two_alignments() -> None:
    af = _file(
        [
            _al("a", [{"junction": "j", "reading": "r"}, {"place": "Alpha", "reading": "r"}]),
            _al("b", [{"place": "Gamma", "reading": "r"}, {"junction": "j", "reading": "r"}]),
        ],
        junctions=[{"id": "j", "name": "J", "at": {"place": "Beta", "reading": "r"}}],
    )
    roads = build_alignments(af, _ctx()).roads.set_index("alignment_id")
    pa = roads.geometry["a"].geoms[0].coords[0]
    pb = roads.geometry["b"].geoms[0].coords[-1]
    assert pa == pb == (10_000.0, 0.0)


@pytest.mark.parametrize(
    ("wp", "message"),
    [
        ({"settlement": "X", "place": "Y", "reading": "r", "district": "d"}, "exactly one"),
        ({"place": "Y"}, r"quote \(sources\) or a reading"),
        ({"boundary_exit": True, "reading": "r"}, "bearing_deg"),
        ({"lon": 76.0, "lat": 43.0, "sources": [SRC]}, "reading"),
        ({"settlement": "X", "reading": "r"}, "district"),
    ],
)
def test_waypoint_schema(wp: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _file([_al("a", [wp, {"place": "Alpha", "reading": "r"}])])


def test_references_must_point_to_earlier_alignments() -> None:
    with pytest.raises(ValidationError, match="defined above"):
        _file(
            [
                _al("a", [{"nearest_on": "b", "reading": "r"}, {"place": "A", "reading": "r"}]),
                _al("b", [{"place": "A", "reading": "r"}, {"place": "B", "reading": "r"}]),
            ]
        )


def test_real_centreline_wins_rule_by_rule() -> None:
    schematic = build_alignments(
        _file(
            [
                _al(
                    "both",
                    [{"place": "Alpha", "reading": "r"}, {"place": "Beta", "reading": "r"}],
                    rules=["roads.one", "roads.two"],
                )
            ]
        ),
        _ctx(),
    ).roads
    rule = Rule.model_validate(
        {
            "id": "roads.one",
            "family": "roads",
            "kind": "road_corridor",
            "title": "One",
            "applies_to": AppliesTo(feature="road", names=["Дорога Один"], refs=["А-1"]),
            "source": SRC,
        }
    )
    real = conform(
        "roads",
        gpd.GeoDataFrame(
            {
                "name": pd.Series(["дорога один"], dtype="string"),
                "ref": pd.Series([pd.NA], dtype="string"),
            },
            geometry=[MultiLineString([LineString([(0, 0), (1, 1)])])],
            crs=WORKING_CRS,
        ),
    )
    out = merge_roads(real, schematic, [rule])
    assert out["rule_ids"].tolist() == ["roads.one", "roads.two"]
    assert out["category"].isna().iloc[0] and out["category"].iloc[1] == "schematic"
    assert schematic["rule_ids"].iloc[0] == "roads.one,roads.two"  # input untouched


def test_shipped_alignments_load() -> None:
    af = load_alignments()
    assert "bakad" in {a.id for a in af.alignments}


def test_item7_has_its_own_alignment_through_shamalgan() -> None:
    """Issue 13: item 7 (330.5 m) no longer lies on item 6's line (the real alignments.yaml).

    Synthetic places: BAKAD's western end Kyrgauyldy at (0, 0), Kaskelen at (-10, 0) km,
    Uzynagash at (-20, 0) km, Shamalgan at (-10, -3) km. Item 6 is the straight 20 km line
    along y = 0; item 7 bends through Shamalgan, 2 x sqrt(10² + 3²) km = 20.8806 km long,
    and Kaskelen lies 3 x 10 / sqrt(10² + 3²) = 2.8735 km from it: the 70 m and 165.25 m
    half-widths are far apart there. Alignments whose places are absent are skipped.
    """
    pts = {
        "Кыргауылды": (0, 0),
        "Каскелен": (-10_000, 0),
        "Узынагаш": (-20_000, 0),
        "Шамалган": (-10_000, -3_000),
    }
    districts = {"Узынагаш": "Жамбылский район"}
    s = gpd.GeoDataFrame(
        {
            "name": list(pts),
            "scheme_name": list(pts),
            "district": [districts.get(n, "Карасайский район") for n in pts],
        },
        geometry=[Point(*p) for p in pts.values()],
        crs=WORKING_CRS,
    )
    ctx = AlignmentContext(s, box(-50_000, -50_000, 50_000, 50_000), {})
    res = build_alignments(load_alignments(), ctx)
    lines = {r.alignment_id: r.geometry.geoms[0] for r in res.roads.itertuples()}
    assert set(res.roads.loc[res.roads.alignment_id == "additional_exit", "rule_ids"]) == {
        "roads.additional_exit.bakad_uzynagash"
    }
    assert set(res.roads.loc[res.roads.alignment_id == "almaty_bishkek_uzynagash", "rule_ids"]) == {
        "roads.almaty_bishkek.bakad_uzynagash"
    }
    item6, item7 = lines["almaty_bishkek_uzynagash"], lines["additional_exit"]
    assert item6.length == pytest.approx(20_000.0)
    assert item7.length == pytest.approx(2 * (10_000**2 + 3_000**2) ** 0.5)
    assert Point(-10_000, 0).distance(item7) == pytest.approx(30_000_000 / (109_000_000**0.5))
    assert item7.distance(Point(-10_000, -3_000)) == pytest.approx(0.0)
