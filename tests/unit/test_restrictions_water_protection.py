"""Water-protection zones and strips measured from the water edge (L584-632)."""

from __future__ import annotations

import pytest
import shapely
from restriction_world import box, catalogue_of, line, make_base, ngon_area, rule

from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.water_protection import build_water_protection

LAKE_STRIP = rule(
    "water_protection.test_lake.strip",
    "water_protection_strip",
    applies_to={"feature": "lake", "names": ["Square lake"]},
    width={
        "min_m": 35,
        "max_m": 100,
        "semantics": "per_side",
        "measured_from": "water_edge",
        "default": "both",
    },
)
RIVER_ZONE = rule(
    "water_protection.test_river.zone",
    "water_protection_zone",
    applies_to={"feature": "river", "names": ["Аксай"]},
    width={"value_m": 500, "semantics": "per_side", "measured_from": "water_edge"},
)
SMALL = rule(
    "water_protection.default.small_river_zone",
    "water_protection_zone",
    applies_to={"feature": "river", "river_length_km": {"max": 200}, "default_for_unnamed": True},
    width={"value_m": 500, "semantics": "per_side", "measured_from": "water_edge"},
)
SIMPLE = rule(
    "water_protection.default.other_river_simple_zone",
    "water_protection_zone",
    applies_to={
        "feature": "river",
        "river_length_km": {"min": 200, "min_inclusive": False},
        "conditions": "simple",
    },
    width={"value_m": 500, "semantics": "per_side", "measured_from": "water_edge"},
)
COMPLEX = rule(
    "water_protection.default.other_river_complex_zone",
    "water_protection_zone",
    applies_to={
        "feature": "river",
        "river_length_km": {"min": 200, "min_inclusive": False},
        "conditions": "complex",
    },
    width={"value_m": 1000, "semantics": "per_side", "measured_from": "water_edge"},
)
DSTRIP = rule(
    "water_protection.default.strip",
    "water_protection_strip",
    applies_to={"feature": "water_body", "default_for_unnamed": True},
    width={"value_m": 35, "semantics": "per_side", "measured_from": "water_edge"},
)
KAP = rule(
    "water_protection.kapchagay.strip",
    "water_protection_strip",
    applies_to={"feature": "reservoir", "names": ["Kapchagay reservoir"]},
    width={"value_m": 100, "semantics": "per_side", "measured_from": "contour", "contour_m": 479.0},
)


def _ring(r: float) -> float:
    """Area of buffer(1 km square, r) minus the square, with 16 segments per quarter."""
    return 4 * 1000 * r + ngon_area(r)


def test_35_100_strip_on_a_square_lake() -> None:
    base = make_base(
        water_bodies=[{"name": "Square lake", "kind": "lake", "geometry": box(0, 0, 1000, 1000)}]
    )
    layers, _ = build_water_protection(catalogue_of([LAKE_STRIP]), base, BuildOptions())
    s = layers["water_protection_strips"]
    cert = s[s.certainty == "certain"].geometry.iloc[0]
    poss = s[s.certainty == "possible"].geometry.iloc[0]
    assert cert.area == pytest.approx(_ring(35), rel=1e-9)  # 143 842.27 m²
    assert poss.area == pytest.approx(_ring(100) - _ring(35), rel=1e-9)
    assert cert.intersection(box(0, 0, 1000, 1000)).area == pytest.approx(0, abs=1e-6)
    assert cert.intersection(poss).area == pytest.approx(0, abs=1e-6)
    assert len(layers["water_protection_zones"]) == 0


def test_river_centreline_and_half_width() -> None:
    base = make_base(
        rivers=[{"name": "Аксай", "length_km": 1.0, "geometry": line((0, 0), (1000, 0))}]
    )
    layers, _ = build_water_protection(catalogue_of([RIVER_ZONE]), base, BuildOptions())
    z = layers["water_protection_zones"].iloc[0]
    assert z.geometry.area == pytest.approx(2 * 500 * 1000 + ngon_area(500))
    assert "centreline" in z.reading
    layers, _ = build_water_protection(
        catalogue_of([RIVER_ZONE]), base, BuildOptions(river_half_width_m=10)
    )
    z = layers["water_protection_zones"].iloc[0]
    assert z.geometry.area == pytest.approx(
        2 * 510 * 1000 + ngon_area(510) - (2 * 10 * 1000 + ngon_area(10))
    )
    assert "10 m either side" in z.reading


def test_defaults_for_unnamed_rivers_by_length_and_conditions() -> None:
    base = make_base(
        rivers=[
            {"name": "creek", "length_km": 5.0, "geometry": line((0, 0), (1000, 0))},
            {"name": "Ili", "length_km": 1000.0, "geometry": line((0, 5000), (1000, 5000))},
            {"name": "unknown length", "geometry": line((0, 10000), (1000, 10000))},
        ]
    )
    rules = [SMALL, SIMPLE, COMPLEX, DSTRIP]
    layers, _ = build_water_protection(catalogue_of(rules), base, BuildOptions())
    z = layers["water_protection_zones"].set_index("name")
    assert z.loc["creek", "rule_id"] == SMALL.id
    assert z.loc["Ili", "rule_id"] == COMPLEX.id
    assert z.loc["unknown length", "rule_id"] == SMALL.id
    assert "treated as a small river" in z.loc["unknown length", "reading"]
    layers, _ = build_water_protection(
        catalogue_of(rules), base, BuildOptions(large_river_conditions="simple")
    )
    z = layers["water_protection_zones"].set_index("name")
    assert z.loc["Ili", "rule_id"] == SIMPLE.id
    assert set(layers["water_protection_strips"].rule_id) == {DSTRIP.id}


def test_kapchagay_from_shoreline_excludes_water_and_says_so() -> None:
    base = make_base(
        water_bodies=[
            {"name": "Kapchagay reservoir", "kind": "reservoir", "geometry": box(0, 0, 1000, 1000)}
        ],
        rivers=[{"name": "creek", "length_km": 3.0, "geometry": line((500, 500), (3000, 500))}],
    )
    layers, _notes = build_water_protection(
        catalogue_of([KAP, SMALL, DSTRIP]), base, BuildOptions()
    )
    s = layers["water_protection_strips"]
    kap = s[s.rule_id == KAP.id].iloc[0]
    assert kap.geometry.area == pytest.approx(_ring(100))
    assert "shoreline" in kap.reading and "479" in kap.reading
    # no feature covers the water surface
    for lay in layers.values():
        for g in lay.geometry:
            assert g.intersection(box(0, 0, 1000, 1000)).area == pytest.approx(0, abs=1e-6)


def test_unmatched_named_rule_and_empty_input_are_reported() -> None:
    layers, notes = build_water_protection(catalogue_of([RIVER_ZONE]), make_base(), BuildOptions())
    assert all(len(g) == 0 for g in layers.values())
    assert any(n.kind == "skipped" and n.rule_id == RIVER_ZONE.id for n in notes)
    assert any(n.kind == "missing" for n in notes)


def test_strip_measured_from_polygon_edge_touches_water() -> None:
    base = make_base(
        water_bodies=[{"name": "pond", "kind": "lake", "geometry": box(0, 0, 100, 100)}]
    )
    layers, _ = build_water_protection(catalogue_of([DSTRIP]), base, BuildOptions())
    g = layers["water_protection_strips"].geometry.iloc[0]
    assert g.distance(box(0, 0, 100, 100)) == pytest.approx(0)
    assert shapely.hausdorff_distance(
        g.exterior if hasattr(g, "exterior") else g.geoms[0].exterior, box(0, 0, 100, 100).exterior
    ) == pytest.approx(35, rel=1e-6)


def test_kapchagay_contour_from_dem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from restriction_world import X0, Y0

    # 100 m cells over [-1000, 3000] x [-1000, 3000]: 470 m under the reservoir
    # (0..1000 square), 478 m in a 200 m rim around it, 490 m elsewhere
    z = np.full((40, 40), 490, dtype="int16")
    z[18:32, 8:22] = 478  # rim: x, y in [-200, 1200] (row r covers y in 3000-100(r+1)..)
    z[20:30, 10:20] = 470
    dem = tmp_path / "dem.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=40,
        height=40,
        count=1,
        dtype="int16",
        crs="EPSG:32643",
        transform=from_origin(X0 - 1000, Y0 + 3000, 100, 100),
    ) as d:
        d.write(z, 1)
    base = make_base(
        dem_path=dem,
        water_bodies=[
            {"name": "Kapchagay reservoir", "kind": "reservoir", "geometry": box(0, 0, 1000, 1000)}
        ],
    )
    layers, _ = build_water_protection(
        catalogue_of([KAP]), base, BuildOptions(contour_source="dem", elevation_min_cells=1)
    )
    g = layers["water_protection_strips"].iloc[0]
    # measured from the 479 m line (the rim's outer edge); the rim between the water
    # edge and the contour (land below the normal level) belongs to the strip too
    grown = box(-200, -200, 1200, 1200)
    rim = grown.difference(box(0, 0, 1000, 1000))
    assert g.geometry.intersection(rim).area == pytest.approx(1400**2 - 1000**2, rel=1e-9)
    assert g.geometry.intersection(box(0, 0, 1000, 1000)).area == pytest.approx(0, abs=1e-6)
    assert g.geometry.area == pytest.approx(
        (1400**2 - 1000**2) + 4 * 1400 * 100 + ngon_area(100), rel=1e-6
    )
    assert "DEM cells at or below 479" in g.reading
    # contour outline to water outline: 200 m along the sides, 200 * sqrt(2) at the corners
    assert "/ 283 m (max) from the water edge" in g.reading


def test_kapchagay_strip_from_a_contour_50_m_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """1 km square reservoir, 479 m contour 50 m outside its edge, 100 m strip: the strip
    is the land from the water edge out to 100 m beyond the contour (150 m from the
    water): (1100^2 - 1000^2) + 4 * 1100 * 100 + the rounded corners' 64-gon of 100 m."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from restriction_world import X0, Y0

    # 50 m cells over [-1000, 2000]^2; 470 m under the water, 478 m in a 50 m rim
    z = np.full((60, 60), 490, dtype="int16")
    z[19:41, 19:41] = 478  # x, y in [-50, 1050]
    z[20:40, 20:40] = 470
    dem = tmp_path / "dem50.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=60,
        height=60,
        count=1,
        dtype="int16",
        crs="EPSG:32643",
        transform=from_origin(X0 - 1000, Y0 + 2000, 50, 50),
    ) as d:
        d.write(z, 1)
    water = box(0, 0, 1000, 1000)
    base = make_base(
        dem_path=dem,
        water_bodies=[{"name": "Kapchagay reservoir", "kind": "reservoir", "geometry": water}],
    )
    layers, _ = build_water_protection(
        catalogue_of([KAP]), base, BuildOptions(contour_source="dem", elevation_min_cells=1)
    )
    g = layers["water_protection_strips"].iloc[0]
    expected = (1100**2 - 1000**2) + 4 * 1100 * 100 + ngon_area(100)
    assert g.geometry.area == pytest.approx(expected, rel=1e-6)
    assert g.geometry.intersection(water).area == pytest.approx(0, abs=1e-6)
    assert g.geometry.distance(water) == pytest.approx(0, abs=1e-6)  # starts at the water
    assert "/ 71 m (max)" in g.reading  # 50 * sqrt(2) at the corners


def test_unnamed_derived_streams_are_possible_named_ones_keep_certainty() -> None:
    derived = 'derived from DEM GEBCO 2023 15" (~337 m x 463 m)'
    base = make_base(
        rivers=[
            {
                "name": None,
                "length_km": 3.0,
                "accuracy": derived,
                "geometry": line((0, 0), (1000, 0)),
            },
            {
                "name": "Аксай",
                "length_km": 1.0,
                "accuracy": derived,
                "geometry": line((0, 5000), (1000, 5000)),
            },
            {
                "name": None,
                "length_km": 3.0,
                "accuracy": "open data (OSM)",
                "geometry": line((0, 10000), (1000, 10000)),
            },
        ]
    )
    layers, _ = build_water_protection(catalogue_of([RIVER_ZONE, SMALL]), base, BuildOptions())
    z = layers["water_protection_zones"].sort_values("source_fid").reset_index(drop=True)
    assert list(z.certainty) == ["possible", "certain", "certain"]
    assert "may not exist" in z.loc[0, "reading"]
    # every feature keeps its full 500 m area: only the certainty changes
    assert z.loc[0].geometry.area == pytest.approx(2 * 500 * 1000 + ngon_area(500))
    layers, _ = build_water_protection(
        catalogue_of([RIVER_ZONE, SMALL]), base, BuildOptions(unnamed_derived_certainty="certain")
    )
    assert set(layers["water_protection_zones"].certainty) == {"certain"}


def test_lake_default_depends_on_the_water_area() -> None:
    lake_small = rule(
        "water_protection.default.lake_zone",
        "water_protection_zone",
        applies_to={"feature": "lake", "default_for_unnamed": True, "water_area_km2": {"max": 2}},
        width={"value_m": 300, "semantics": "per_side", "measured_from": "water_edge"},
    )
    lake_large = rule(
        "water_protection.default.lake_zone_large",
        "water_protection_zone",
        applies_to={
            "feature": "lake",
            "default_for_unnamed": True,
            "water_area_km2": {"min": 2, "min_inclusive": False},
        },
        width={"value_m": 500, "semantics": "per_side", "measured_from": "water_edge"},
    )
    base = make_base(
        water_bodies=[
            {"name": "pond", "kind": "lake", "geometry": box(0, 0, 1000, 1000)},  # 1 km²
            {"name": "big lake", "kind": "lake", "geometry": box(0, 5000, 2000, 7000)},  # 4 km²
        ]
    )
    layers, _ = build_water_protection(catalogue_of([lake_small, lake_large]), base, BuildOptions())
    z = layers["water_protection_zones"].set_index("name")
    assert z.loc["pond", "rule_id"] == lake_small.id
    assert z.loc["big lake", "rule_id"] == lake_large.id
    assert z.loc["pond"].geometry.area == pytest.approx(_ring(300), rel=1e-9)
    assert "water area 1.00 km²" in z.loc["pond", "reading"]


AERIAL = rule(
    "water_protection.activity.aerial_spraying",
    "prohibited_activity",
    applies_to={"feature": "water_body"},
    width={"value_m": 2000, "semantics": "per_side", "measured_from": "water_edge"},
    regime={
        "default": "allowed",
        "conditional": ["agricultural"],
        "condition": "no aerial spraying",
    },
)


def _aerial_world() -> object:
    return make_base(
        water_bodies=[
            {
                "name": "Square lake",
                "kind": "lake",
                "source": "lake data",
                "base_id": "water_bodies:0",
                "accuracy": "exact (test)",
                "geometry": box(0, 0, 1000, 1000),
            }
        ],
        rivers=[
            {
                "name": "Аксай",
                "length_km": 1.0,
                "source": "river data",
                "base_id": "rivers:7",
                "accuracy": "exact (test)",
                "geometry": line((0, 20000), (1000, 20000)),
            }
        ],
    )


def test_aerial_spraying_band_is_not_drawn_by_default() -> None:
    layers, notes = build_water_protection(catalogue_of([AERIAL]), _aerial_world(), BuildOptions())  # type: ignore[arg-type]
    assert len(layers["water_protection_zones"]) == 0
    assert any(n.rule_id == AERIAL.id and "not drawn" in n.message for n in notes)


def test_aerial_spraying_band_on_request() -> None:
    """2000 m from the water edge: around the 1 km square lake 4*1000*2000 + the
    64-gon of radius 2000 (= 20 546 193 m²); around the 1 km river centreline
    2*2000*1000 + the same 64-gon (= 16 546 193 m²)."""
    layers, notes = build_water_protection(
        catalogue_of([AERIAL]),
        _aerial_world(),  # type: ignore[arg-type]
        BuildOptions(aerial_spraying_band=True),
    )
    z = layers["water_protection_zones"].set_index("source_layer")
    assert set(z.index) == {"rivers", "water_bodies"}
    assert z.loc["water_bodies"].geometry.area == pytest.approx(_ring(2000), rel=1e-9)
    assert z.loc["rivers"].geometry.area == pytest.approx(
        2 * 2000 * 1000 + ngon_area(2000), rel=1e-9
    )
    assert _ring(2000) == pytest.approx(20_546_193, abs=1)
    assert (z.rule_id == AERIAL.id).all() and (z.certainty == "possible").all()
    assert (z.width_m == 2000).all() and (z.measured_from == "water_edge").all()
    assert z.loc["water_bodies", "source"] == "lake data"
    assert z.loc["rivers", "source_fid"] == "rivers:7"
    assert "L642" in z.loc["rivers", "reading"]
    # the lake itself is not in its band
    lake = box(0, 0, 1000, 1000)
    assert z.loc["water_bodies"].geometry.intersection(lake).area == pytest.approx(0, abs=1e-6)
    assert any(n.rule_id == AERIAL.id and "drawn" in n.message for n in notes)
