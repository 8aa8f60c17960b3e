"""The one band loop (restrictions.bands.Features.add_bands) on a 1 km line."""

from __future__ import annotations

from functools import partial

import pytest
from restriction_world import line, rule

from almaty_scheme.restrictions.bands import Band, Features, rule_bands
from almaty_scheme.restrictions.geometry import reference_band

LINE = line((0, 0), (1000, 0))
RANGED = rule(
    "roads.test.ring",
    "road_corridor",
    width={
        "min_m": 100,
        "max_m": 200,
        "default": "both",
        "semantics": "total",
        "measured_from": "centreline",
    },
)


def test_ranged_total_width_gives_certain_core_and_possible_ring() -> None:
    feats = Features()
    feats.add_bands(
        rule_bands(RANGED, "both"),
        partial(reference_band, LINE, flat=True),
        {"name": "ring road", "source": "test"},
        before=("from the centreline",),
        after=("after",),
    )
    gdf = feats.frame()
    # total 100 m -> 50 m each side: 1000 x 100; the ring 50-100 m each side: 1000 x 100
    assert list(gdf.geometry.area) == pytest.approx([100_000.0, 100_000.0])
    assert list(gdf.certainty) == ["certain", "possible"]
    assert list(gdf.band_inner_m) == [0.0, 100.0] and list(gdf.band_outer_m) == [100.0, 200.0]
    assert list(gdf.width_m) == [100.0, 200.0]
    assert list(gdf.width_min_m) == [100.0, 100.0] and list(gdf.width_max_m) == [200.0, 200.0]
    assert set(gdf.name) == {"ring road"} and set(gdf.rule_id) == {"roads.test.ring"}
    assert gdf.reading[0] == (
        "from the centreline; range 100-200 m: minimum built as certain; after"
    )


def test_attributes_override_the_band_and_shape_gets_per_side_distances() -> None:
    seen: list[tuple[float, float]] = []

    def shape(inner: float, outer: float):  # type: ignore[no-untyped-def]
        seen.append((inner, outer))
        return reference_band(LINE, inner, outer, flat=True)

    feats = Features()
    band = Band(10.0, 30.0, "possible", "per_side", None)
    feats.add_bands([(RANGED, band)], shape, {"certainty": "certain", "width_min_m": 10.0})
    assert seen == [(10.0, 30.0)]
    rec = feats.records[0]
    assert rec["certainty"] == "certain" and rec["width_min_m"] == 10.0
    assert rec["reading"] is None
    assert feats.geoms[0].area == pytest.approx(2 * 1000 * 20)


def test_rule_without_width_gives_no_band() -> None:
    assert rule_bands(rule("zoning.fact.x", "fact"), None) == []


def test_also_cite_is_appended_to_both_citations_of_every_band() -> None:
    """The data's own source (e.g. scheme lines giving a diameter) follows the rule's."""
    feats = Features()
    feats.add_bands(
        rule_bands(RANGED, "both"),
        partial(reference_band, LINE, flat=True),
        {},
        also_cite=["thread diameters: scheme L576-579"],
    )
    gdf = feats.frame()
    own = RANGED.citation()
    assert list(gdf.citation) == [f"{own}; thread diameters: scheme L576-579"] * 2
    assert (
        list(gdf.citation_ru) == [f"{RANGED.citation_ru()}; thread diameters: scheme L576-579"] * 2
    )
