"""Road sections "from X to Y" cut where the line meets X and Y (issue 13, L265-267).

The world: Almaty city is the box x < 0; BAKAD is the straight line x = 4 km (tagged with
the BAKAD rule id); the agglomeration boundary is the box -5 km < x < 10 km, |y| < 1 km.
The New Kuldzha route runs along y = 0 and carries both of its sections:
125 m total from the city boundary to BAKAD and 140 m total from BAKAD to the boundary.
"""

from __future__ import annotations

import pytest
import shapely
from restriction_world import box, catalogue_of, line, make_base

from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.resources import layers_dir
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.roads import build_road_corridors
from almaty_scheme.restrictions.sections import Cutter, cut_section

BAKAD_ID = "roads.almaty_ust_kamenogorsk.bakad"
CAT = load_catalogue(layers_dir())
# the catalogue's own item 3 rules: their section ends are part of what is tested
CITY_BAKAD = CAT.get("roads.new_kuldzha.city_bakad")
BAKAD_BOUNDARY = CAT.get("roads.new_kuldzha.bakad_boundary")
RULES = [CITY_BAKAD, BAKAD_BOUNDARY]
KULDZHA_IDS = "roads.new_kuldzha.city_bakad,roads.new_kuldzha.bakad_boundary"
CITY = box(-5000, -1000, 0, 1000)
BOUNDARY = box(-5000, -1000, 10_000, 1000)


def world(x0: float, x1: float, *, bakad: bool = True, boundary: shapely.Geometry = BOUNDARY):
    roads = [{"name": "Kuldzha", "rule_ids": KULDZHA_IDS, "geometry": line((x0, 0), (x1, 0))}]
    if bakad:
        roads.append(
            {"name": "BAKAD", "rule_ids": BAKAD_ID, "geometry": line((4000, -900), (4000, 900))}
        )
    base = make_base(roads=roads, boundary=[{"name": "b", "geometry": boundary}])
    base.territories = {"almaty_city": CITY}
    return base


def areas(base) -> dict[str, float]:
    gdf, _notes = build_road_corridors(catalogue_of(RULES), base, BuildOptions())
    return dict(zip(gdf.rule_id, gdf.geometry.area, strict=True)), gdf


def test_10km_road_cut_at_bakad_4km_gives_500000_and_840000_m2() -> None:
    """4 km x 125 m = 500 000 m² inside BAKAD, 6 km x 140 m = 840 000 m² outside."""
    got, gdf = areas(world(0, 10_000))
    assert got == pytest.approx(
        {"roads.new_kuldzha.city_bakad": 500_000.0, "roads.new_kuldzha.bakad_boundary": 840_000.0}
    )
    a, b = gdf.set_index("rule_id").geometry[[CITY_BAKAD.id, BAKAD_BOUNDARY.id]]
    assert a.bounds[2] == pytest.approx(4_000 + 500_000.0) and b.bounds[0] == pytest.approx(
        504_000.0
    )
    assert a.intersection(b).area == pytest.approx(0.0, abs=1e-6)  # flat ends meet at the cut
    reading = gdf.set_index("rule_id").reading[CITY_BAKAD.id]
    assert "km 0.0 (where the line meets the outline of territory almaty_city)" in reading
    assert f"km 4.0 (where the line meets the lines of road rule {BAKAD_ID})" in reading
    assert CITY_BAKAD.applies_to is not None and CITY_BAKAD.width is not None
    assert CITY_BAKAD.width.value_m == 125 and BAKAD_BOUNDARY.width.value_m == 140  # L266-267
    reading = gdf.set_index("rule_id").reading[BAKAD_BOUNDARY.id]
    assert "km 10.0 (the line's end towards the agglomeration boundary)" in reading


def test_road_starting_downtown_is_cut_at_the_city_boundary() -> None:
    """A 12 km line from x = -2 km: the city part carries no section; same 500 000 / 840 000."""
    got, _ = areas(world(-2000, 10_000))
    assert got == pytest.approx(
        {"roads.new_kuldzha.city_bakad": 500_000.0, "roads.new_kuldzha.bakad_boundary": 840_000.0}
    )


def test_section_to_the_boundary_is_clipped_there() -> None:
    """Boundary at x = 8 km: BAKAD - boundary is 4 km x 140 m = 560 000 m²."""
    got, _ = areas(world(0, 10_000, boundary=box(-5000, -1000, 8000, 1000)))
    assert got[BAKAD_BOUNDARY.id] == pytest.approx(560_000.0)
    assert got[CITY_BAKAD.id] == pytest.approx(500_000.0)


def test_fragment_beyond_bakad_carries_only_the_outer_section() -> None:
    """A line from x = 5 to 10 km never meets the city or BAKAD: 5 km x 140 m = 700 000 m²."""
    got, gdf = areas(world(5000, 10_000))
    assert got == pytest.approx({BAKAD_BOUNDARY.id: 700_000.0})
    assert "the line's end nearest to (it never meets)" in gdf.reading.iloc[0]


def test_no_bakad_line_keeps_the_whole_line_and_says_so() -> None:
    """Without BAKAD both rules take the whole 10 km: 1 250 000 and 1 400 000 m²."""
    got, gdf = areas(world(0, 10_000, bakad=False))
    assert got == pytest.approx({CITY_BAKAD.id: 1_250_000.0, BAKAD_BOUNDARY.id: 1_400_000.0})
    assert all("section ends not applied" in r for r in gdf.reading)


def test_cut_section_picks_the_crossing_nearest_the_other_end() -> None:
    """The city outline is crossed at 1 and 2 km, BAKAD at 4 km: the section is 2-4 km."""
    ln = shapely.LineString([(0, 0), (10_000, 0)])
    city = shapely.union_all([shapely.box(-10, -5, 1000, 5), shapely.box(1500, -5, 2000, 5)])
    sec = cut_section(
        ln, Cutter("city", city), Cutter("bakad", shapely.LineString([(4000, -9), (4000, 9)]))
    )
    assert (sec.start_m, sec.end_m) == (2000.0, 4000.0)
    assert sec.line is not None and sec.line.length == pytest.approx(2000.0)
