"""Functional zones: a gap-free, overlap-free partition of the boundary by priority overlay."""

from __future__ import annotations

import itertools

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from restriction_world import box, catalogue_of, make_base, rule

from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.resources import layers_dir
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.zoning import build_functional_zones

GROUPS = [
    rule(f"zoning.group.{g}", "functional_group", functional_group=g, priority=p)
    for g, p in (("special", 1), ("limited", 2), ("intensive", 3), ("extensive", 4))
]


def sub(name: str, group: str, prio: int, *composed: str) -> object:
    return rule(
        f"zoning.subzone.{name}",
        "functional_subzone",
        functional_group=group,
        subzone=name,
        priority=prio,
        composed_of=list(composed),
    )


SUBS = [
    sub("water_protection_zones", "special", 2, "layer:water_protection_zones/certain"),
    sub("water_surface", "special", 0, "base:water_bodies"),
    sub("park", "limited", 1, "layer:forest_belts"),
    sub("settlement", "intensive", 5, "base:settlement_footprints"),
    sub("agricultural", "extensive", 2, "remainder"),
]
RULES = [*GROUPS, *SUBS]
BOUNDARY = box(0, 0, 10_000, 10_000)


def zone_layer(*geoms: shapely.Geometry, certainty: str = "certain") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "rule_id": ["x"] * len(geoms),
            "certainty": [certainty] * len(geoms),
            "accuracy": ["test"] * len(geoms),
        },
        geometry=list(geoms),
        crs=WORKING_CRS,
    )


def assert_partition(gdf: gpd.GeoDataFrame, boundary: shapely.Geometry) -> None:
    geoms = list(gdf.geometry)
    assert all(g.is_valid for g in geoms)
    union = shapely.union_all(geoms)
    assert union.symmetric_difference(boundary).area <= 1e-6 * boundary.area
    assert sum(g.area for g in geoms) == pytest.approx(boundary.area, rel=1e-6)
    for a, b in itertools.combinations(geoms, 2):
        assert a.intersection(b).area <= 1e-6 * boundary.area


def test_priority_overlay_partition() -> None:
    base = make_base(
        boundary=[{"name": "b", "geometry": BOUNDARY}],
        water_bodies=[{"name": "lake", "kind": "lake", "geometry": box(1000, 1000, 2000, 2000)}],
        settlement_footprints=[{"name": "town", "geometry": box(1500, 1500, 4000, 4000)}],
    )
    layers = {
        "water_protection_zones": zone_layer(box(500, 500, 2500, 2500)),
        "forest_belts": zone_layer(box(3000, 0, 3500, 10_000)),
    }
    gdf, _notes = build_functional_zones(catalogue_of(RULES), base, BuildOptions(), layers)
    assert_partition(gdf, BOUNDARY)
    a = dict(zip(gdf.subzone, gdf.geometry.area, strict=True))
    assert a["water_surface"] == pytest.approx(1e6)
    assert a["water_protection_zones"] == pytest.approx(2000**2 - 1e6)
    # park (limited) beats settlement (intensive) where they overlap
    assert a["park"] == pytest.approx(500 * 10_000)
    assert a["settlement"] == pytest.approx(2500**2 - 1000**2 - 500 * 2500)
    assert a["agricultural"] == pytest.approx(
        1e8 - sum(v for k, v in a.items() if k != "agricultural")
    )
    assert set(gdf.functional_group) == {"special", "limited", "intensive", "extensive"}
    assert list(gdf.columns[-6:-1]) == [
        "functional_group",
        "subzone",
        "zone_label",
        "overlay_order",
        "area_ha",
    ]


def test_certainty_filter_excludes_possible_bands() -> None:
    base = make_base(boundary=[{"name": "b", "geometry": BOUNDARY}])
    layers = {
        "water_protection_zones": zone_layer(box(0, 0, 1000, 1000), certainty="possible"),
        "forest_belts": zone_layer(),
    }
    gdf, _ = build_functional_zones(catalogue_of(RULES), base, BuildOptions(), layers)
    assert list(gdf.subzone) == ["agricultural"]
    assert gdf.geometry.area.iloc[0] == pytest.approx(1e8)


def test_remainder_slivers_merge_into_neighbours() -> None:
    base = make_base(boundary=[{"name": "b", "geometry": BOUNDARY}])
    # the park leaves a 0.001 m wide strip (10 m²) of remainder along the east edge
    layers = {
        "water_protection_zones": zone_layer(),
        "forest_belts": zone_layer(box(0, 0, 9999.999, 10_000)),
    }
    gdf, _ = build_functional_zones(
        catalogue_of(RULES), base, BuildOptions(min_sliver_m2=100.0), layers
    )
    assert list(gdf.subzone) == ["park"]
    assert_partition(gdf, BOUNDARY)


def test_no_boundary_gives_empty_layer() -> None:
    gdf, notes = build_functional_zones(catalogue_of(RULES), make_base(), BuildOptions(), {})
    assert len(gdf) == 0 and notes[0].kind == "missing"


rects = st.tuples(
    st.floats(-2000, 11_000), st.floats(-2000, 11_000), st.floats(1, 6000), st.floats(1, 6000)
).map(lambda t: box(t[0], t[1], t[0] + t[2], t[1] + t[3]))


@settings(max_examples=15, deadline=None)
@given(st.lists(rects, max_size=4), st.lists(rects, max_size=4), st.lists(rects, max_size=3))
def test_partition_invariants(wpz: list, forest: list, towns: list) -> None:
    base = make_base(
        boundary=[{"name": "b", "geometry": BOUNDARY}],
        settlement_footprints=[{"name": "t", "geometry": g} for g in towns],
    )
    layers = {"water_protection_zones": zone_layer(*wpz), "forest_belts": zone_layer(*forest)}
    gdf, _ = build_functional_zones(catalogue_of(RULES), base, BuildOptions(), layers)
    assert_partition(gdf, BOUNDARY)


def test_hazardous_subzone_takes_certain_gas_bands_only() -> None:
    """Issue 13: the catalogue's hazardous-objects subzone is built from certain bands.

    A 10 km pipeline along y = 5000 with a certain 100 m-per-side band (10 000 x 200 m =
    200 ha) and a possible ring out to 250 m per side (10 000 x 300 m = 300 ha): the
    subzone covers exactly the 200 ha, not 500 ha (scheme L566-568 and the rule's reading).
    """
    hazardous = load_catalogue(layers_dir()).get("zoning.subzone.hazardous_objects")
    assert hazardous.composed_of == ["layer:gas_pipeline_zones/certain"]
    base = make_base(boundary=[{"name": "b", "geometry": BOUNDARY}])
    certain = zone_layer(box(0, 4900, 10_000, 5100))
    possible = zone_layer(
        box(0, 4750, 10_000, 4900), box(0, 5100, 10_000, 5250), certainty="possible"
    )
    layers = {
        "gas_pipeline_zones": gpd.GeoDataFrame(pd.concat([certain, possible]), crs=WORKING_CRS)
    }
    rules = [*GROUPS, hazardous, sub("agricultural", "extensive", 2, "remainder")]
    gdf, _notes = build_functional_zones(catalogue_of(rules), base, BuildOptions(), layers)
    assert_partition(gdf, BOUNDARY)
    row = gdf[gdf.subzone == "hazardous_objects"].iloc[0]
    assert row.geometry.area == pytest.approx(2_000_000.0)
    assert row.certainty == "certain"
    assert "certain gas-pipeline bands only" in row.reading
