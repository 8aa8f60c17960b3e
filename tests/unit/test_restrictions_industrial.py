"""Industrial zones: schematic footprints of exactly the stated area (L225-242)."""

from __future__ import annotations

import math

import pytest
import shapely
from restriction_world import P, box, catalogue_of, line, make_base, rule

from almaty_scheme.restrictions.industrial import SCHEMATIC, build_industrial_zones
from almaty_scheme.restrictions.options import BuildOptions

KAIRAT = rule(
    "industrial.kairat",
    "industrial_zone",
    area_ha=198,
    location="Zhanalyk",
    anchor={
        "kind": "settlement",
        "name": "Жаналык",
        "district": "Талгарский район",
        "offset_m": 1000,
        "bearing_deg": 0,
    },
)
ALATAU = rule(
    "industrial.almaty_alatau",
    "industrial_zone",
    area_ha=490,
    anchor={"kind": "admin_unit", "name": "Алатауский район"},
)
R1 = rule(
    "roads.a",
    "road_corridor",
    width={"value_m": 100, "semantics": "total", "measured_from": "centreline"},
)
R2 = rule(
    "roads.b",
    "road_corridor",
    width={"value_m": 100, "semantics": "total", "measured_from": "centreline"},
)
BEREKE = rule(
    "industrial.bereke",
    "industrial_zone",
    area_ha=535,
    anchor={
        "kind": "junction",
        "roads": ["roads.a", "roads.b"],
        "offset_m": 1500,
        "bearing_deg": 90,
    },
)
ARNA = rule(
    "industrial.arna",
    "industrial_zone",
    area_ha=1303,
    anchor={"kind": "settlement", "name": "Арна"},
)


def _base() -> object:
    return make_base(
        settlements=[
            {
                "name": "Жаңалық",
                "name_ru": "Жаналык",
                "district": "Талгарский район",
                "geometry": shapely.Point(P(0, 0)),
            }
        ],
        admin_units=[
            {
                "name": "Alatau",
                "name_ru": "Алатауский",
                "level": 2,
                "year": 2018,
                "geometry": box(10_000, 10_000, 12_000, 12_000),
            }
        ],
        roads=[
            {"name": "a", "rule_ids": "roads.a", "geometry": line((-5000, 0), (5000, 0))},
            {"name": "b", "rule_ids": "roads.b", "geometry": line((0, -5000), (0, 5000))},
        ],
    )


def test_footprints_have_exactly_the_stated_area_and_are_labelled() -> None:
    gdf, _notes = build_industrial_zones(
        catalogue_of([KAIRAT, ALATAU, R1, R2, BEREKE]), _base(), BuildOptions()
    )  # type: ignore[arg-type]
    areas = dict(zip(gdf.rule_id, gdf.geometry.area / 1e4, strict=True))
    assert areas == {
        "industrial.kairat": pytest.approx(198, rel=1e-12),
        "industrial.almaty_alatau": pytest.approx(490, rel=1e-12),
        "industrial.bereke": pytest.approx(535, rel=1e-12),
    }
    assert set(gdf.accuracy) == {SCHEMATIC} and gdf.schematic.all()
    c = {r: g.centroid for r, g in zip(gdf.rule_id, gdf.geometry, strict=True)}
    assert (c["industrial.kairat"].x, c["industrial.kairat"].y) == pytest.approx(P(0, 1000))
    assert (c["industrial.bereke"].x, c["industrial.bereke"].y) == pytest.approx(P(1500, 0))
    assert box(10_000, 10_000, 12_000, 12_000).contains(c["industrial.almaty_alatau"])


def test_missing_place_is_reported_not_drawn() -> None:
    gdf, notes = build_industrial_zones(catalogue_of([ARNA]), _base(), BuildOptions())  # type: ignore[arg-type]
    assert len(gdf) == 0
    assert any(
        n.kind == "skipped" and n.rule_id == "industrial.arna" and "not found" in n.message
        for n in notes
    )


def test_clipping_by_the_boundary_is_reported() -> None:
    base = _base()
    from restriction_world import frame

    from almaty_scheme.base.model import LayerProvenance

    base.set(
        "boundary",
        frame([{"name": "b", "geometry": box(-100_000, 0, 100_000, 100_000)}]),
        LayerProvenance("boundary", "derived", "test"),
    )
    far = rule(
        "industrial.far",
        "industrial_zone",
        area_ha=10,
        anchor={"kind": "settlement", "name": "Жаналык", "offset_m": 5000, "bearing_deg": 180},
    )
    gdf, notes = build_industrial_zones(catalogue_of([KAIRAT, far, ALATAU]), base, BuildOptions())  # type: ignore[arg-type]
    assert set(gdf.rule_id) == {"industrial.kairat", "industrial.almaty_alatau"}
    assert any(
        "wholly outside the boundary" in n.message and "industrial.far" in n.message for n in notes
    )
    assert not any(n.kind == "warning" for n in notes)  # nothing partly cut here


def test_a_namesake_in_another_district_is_not_used() -> None:
    arna_kap = rule(
        "industrial.arna",
        "industrial_zone",
        area_ha=1303,
        anchor={
            "kind": "settlement",
            "name": "Арна",
            "district": "городская администрация Капчагай",
        },
    )
    base = make_base(
        settlements=[
            {
                "name": "Арна",
                "district": "Енбекшиказахский район",
                "geometry": shapely.Point(P(0, 0)),
            }
        ]
    )
    gdf, notes = build_industrial_zones(catalogue_of([arna_kap]), base, BuildOptions())  # type: ignore[arg-type]
    assert len(gdf) == 0
    assert any(
        n.kind == "skipped" and "none in городская администрация Капчагай" in n.message
        for n in notes
    )


def test_zone_on_a_placed_settlement_carries_its_accuracy() -> None:
    """Заречное has no real point: placed at a centroid with 36 600 m accuracy."""
    zar = rule(
        "industrial.arna",
        "industrial_zone",
        area_ha=1303,
        anchor={"kind": "settlement", "name": "Заречное"},
    )
    base = make_base(
        settlements=[
            {
                "name": "Заречное",
                "district": "городская администрация Капчагай",
                "placement": "placed: centroid of the territory kapchagay_ca",
                "accuracy_m": 36_600.0,
                "geometry": shapely.Point(P(0, 0)),
            }
        ]
    )
    gdf, _ = build_industrial_zones(catalogue_of([zar]), base, BuildOptions())  # type: ignore[arg-type]
    row = gdf.iloc[0]
    assert row.geometry.area / 1e4 == pytest.approx(1303, rel=1e-12)
    assert row.anchor_accuracy_m == 36_600.0
    assert row.accuracy == f"{SCHEMATIC}; anchor placed, accuracy +/- 36600 m"
    assert "no real point: placed: centroid of the territory kapchagay_ca" in row.reading
    # a real point: no anchor accuracy
    gdf, _ = build_industrial_zones(catalogue_of([KAIRAT]), _base(), BuildOptions())  # type: ignore[arg-type]
    assert gdf.iloc[0].accuracy == SCHEMATIC
    assert math.isnan(float(gdf.iloc[0].anchor_accuracy_m))
