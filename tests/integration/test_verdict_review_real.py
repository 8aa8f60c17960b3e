"""Verdict review on the real build (issue 13, item 7): parcels placed in the built zones.

The layers are built once per module from ../shared/data with the working tree's
catalogue. Each case names the zone features a parcel must lie in (and the functional
subzone); the parcel is a 20 x 20 m box placed geometrically inside all of them (and the
data coverage) and at least 25 m away from every other zone feature, so the expected verdict depends only on
the zones named. The expected verdicts were worked out by reading the scheme (the line
that decides each is given), never by running the tool.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.check.engine import CheckResult, check_parcels
from almaty_scheme.check.inputs import prepare_parcels
from almaty_scheme.check.zones import load_zones
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.resources import default_data_dir
from almaty_scheme.restrictions.schema import LAYER_NAMES

DATA = default_data_dir()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATA / "almaty_reference.gpkg").is_file(), reason=f"reference data not found in {DATA}"
    ),
]

Feature = tuple[str, str, str | None]
"""Layer, rule id ('*': any), status (None: any; 'possible': a possible band of any status)."""


@dataclass(frozen=True)
class Case:
    name: str
    use: str
    inside: list[Feature]
    subzone: str | None  # None: whatever functional subzone lies there
    verdict: str
    reason: str
    lines: str


RELIC_TOWN: Feature = ("elevation_belts", "elevation.relic_apple_belt", "proposed_on_settlement")
RELIC_OPEN: Feature = ("elevation_belts", "elevation.relic_apple_belt", "proposed")
KAP_STRIP: Feature = ("water_protection_strips", "water_protection.kapchagay.strip", None)
KAP_ZONE: Feature = ("water_protection_zones", "water_protection.kapchagay.zone", None)
BAKAD_BELT: Feature = ("forest_belts", "forest.bakad_belt", "proposed")
BEREKE: Feature = ("industrial_zones", "industrial.bereke", None)
GAS_POSSIBLE: Feature = ("gas_pipeline_zones", "*", "possible")  # any rule, possible band

# fmt: off
_TABLE: list[tuple[str, str, list[Feature], str | None, str, str, str]] = [
    # name, use, features the parcel lies in, functional subzone, verdict, reason, the text
    ("town_in_relic_belt_housing", "residential", [RELIC_TOWN], "zoning.subzone.settlement",
     "conditional", "proposal_on_settlement", "L498-501 proposal vs L204-205 existing towns"),
    ("town_in_relic_belt_shop", "commercial", [RELIC_TOWN], "zoning.subzone.settlement",
     "conditional", "use_conditional", "L480-482 other building by approval, not a ban"),
    ("town_in_relic_belt_landfill", "landfill", [RELIC_TOWN], "zoning.subzone.settlement",
     "prohibited", "use_prohibited", "L206-209 only ecologically clean objects in towns"),
    ("relic_belt_housing", "residential", [RELIC_OPEN], "zoning.subzone.protected_areas",
     "prohibited", "use_prohibited", "L498-501 with L479-484"),
    ("relic_belt_farming", "agricultural", [RELIC_OPEN], "zoning.subzone.protected_areas",
     "prohibited", "use_prohibited", "L455-456 no agricultural production"),
    ("relic_belt_dacha", "dacha_gardening", [RELIC_OPEN], "zoning.subzone.protected_areas",
     "prohibited", "use_prohibited", "L455-456 with L349"),
    ("relic_belt_forestry", "forestry", [RELIC_OPEN], "zoning.subzone.protected_areas",
     "clear", "use_allowed", "L483-484 restoration measures"),
    ("farmland_mining", "mining", [], "zoning.subzone.agricultural",
     "prohibited", "use_prohibited", "L429-433 no disturbance of the soil cover"),
    ("farmland_landfill", "landfill", [], "zoning.subzone.agricultural",
     "prohibited", "use_prohibited", "L429-433 no pollution of subsoil water"),
    ("farmland_housing", "residential", [], "zoning.subzone.agricultural",
     "conditional", "use_conditional", "L425-426 withdrawal of farmland restricted"),
    ("farmland_farming", "agricultural", [], "zoning.subzone.agricultural",
     "clear", "use_allowed", "L343 arable subzone"),
    ("farmland_dacha", "dacha_gardening", [], "zoning.subzone.agricultural",
     "clear", "use_allowed", "L349 collective gardens and dachas"),
    ("mountains_housing", "residential", [], "zoning.subzone.recreation_mountain",
     "prohibited", "use_prohibited", "L851-852 only recreational construction"),
    ("mountains_resort", "recreation", [], "zoning.subzone.recreation_mountain",
     "clear", "use_allowed", "L851-852 the recreational exception"),
    ("mountains_pasture", "pasture", [], "zoning.subzone.recreation_mountain",
     "prohibited", "use_prohibited", "L455-456 no agricultural production"),
    ("settlement_housing", "residential", [], "zoning.subzone.settlement",
     "clear", "use_allowed", "L204-207 housing in settlements"),
    ("settlement_landfill", "landfill", [], "zoning.subzone.settlement",
     "prohibited", "use_prohibited", "L206-209"),
    ("kapchagay_strip_housing", "residential", [KAP_STRIP, KAP_ZONE],
     "zoning.subzone.water_protection_strips", "prohibited", "use_prohibited",
     "L590-591 strip; Water Code regime"),
    ("kapchagay_zone_housing", "residential", [KAP_ZONE], "zoning.subzone.water_protection_zones",
     "conditional", "use_conditional", "L589 zone; L646-651 building by agreed project"),
    ("kapchagay_zone_landfill", "landfill", [KAP_ZONE], "zoning.subzone.water_protection_zones",
     "prohibited", "use_prohibited", "L652-655"),
    ("kapchagay_zone_farm", "livestock_farm", [KAP_ZONE], "zoning.subzone.water_protection_zones",
     "prohibited", "use_prohibited", "L659-660"),
    ("bakad_belt_housing", "residential", [BAKAD_BELT], "zoning.subzone.park_zones",
     "prohibited", "use_prohibited", "L525-527 park zones take the protected areas' rules"),
    ("bakad_belt_farming", "agricultural", [BAKAD_BELT], "zoning.subzone.park_zones",
     "prohibited", "use_prohibited", "L455-456 with L525-527"),
    ("industrial_zone_factory", "industrial", [BEREKE], "zoning.subzone.production_logistics",
     "clear", "use_allowed", "L216-219 zones for enterprises moved out of Almaty"),
    ("industrial_zone_housing", "residential", [BEREKE], "zoning.subzone.production_logistics",
     "prohibited", "use_prohibited", "L216-219"),
    ("gas_possible_band_housing", "residential", [GAS_POSSIBLE], None,
     "conditional", "possibly_prohibited",
     "L570-580 no diameter for this line: only the smallest distance is certain"),
]
# fmt: on
CASES = [Case(*row) for row in _TABLE]


def _layers(path: Path) -> dict[str, gpd.GeoDataFrame]:
    names = [n for n in LAYER_NAMES if n != "boundary"]
    return {n: pyogrio.read_dataframe(path, layer=n) for n in [*names, "coverage"]}


def _select(gdf: gpd.GeoDataFrame, rule: str, status: str | None) -> pd.Series:
    m = pd.Series(True, index=gdf.index) if rule == "*" else gdf["rule_id"] == rule
    certainty = gdf["certainty"].astype("string")
    if status == "possible":
        m &= certainty == "possible"
    else:
        m &= certainty == "certain"
        if status is not None:
            m &= gdf["status"].astype("string") == status
    return m.fillna(False).astype(bool)


def _place(layers: dict[str, gpd.GeoDataFrame], case: Case) -> BaseGeometry:
    """A 20 x 20 m box inside the case's features and subzone, 25 m from everything else."""
    fz = layers["functional_zones"]
    target = shapely.union_all(layers["coverage"].geometry.to_numpy())
    avoid: list[BaseGeometry] = []
    if case.subzone is not None:
        mine = (fz["rule_id"] == case.subzone).to_numpy()
        target = shapely.intersection(target, shapely.union_all(fz.loc[mine].geometry))
        avoid.append(shapely.union_all(fz.loc[~mine].geometry.to_numpy()))
    for name, gdf in layers.items():
        if name in ("functional_zones", "coverage") or len(gdf) == 0:
            continue
        keep = pd.Series(False, index=gdf.index)
        for lname, rule, status in case.inside:
            if lname == name:
                sel = _select(gdf, rule, status)
                target = shapely.intersection(target, shapely.union_all(gdf.loc[sel].geometry))
                keep |= sel
        avoid.append(shapely.union_all(gdf.loc[~keep].geometry.to_numpy()))
    free = shapely.difference(target, shapely.buffer(shapely.union_all(avoid), 25.0))
    free = shapely.buffer(free, -12.0)  # room for the 20 m box
    assert not free.is_empty, f"{case.name}: no place in the build fits the case"
    p = free.point_on_surface()
    return shapely.box(p.x - 10, p.y - 10, p.x + 10, p.y + 10)


@pytest.fixture(scope="module")
def checked(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[CheckResult, dict[str, BaseGeometry]]:
    from almaty_scheme.build import build_layers, load_base, write_build

    cat = load_catalogue()
    base, notes = load_base(DATA, catalogue=cat)
    result = build_layers(cat, base, extra_notes=notes, data_dir=DATA)
    out = tmp_path_factory.mktemp("review") / "almaty_scheme.gpkg"
    write_build(result, out)
    layers = _layers(out)
    boxes = {c.name: _place(layers, c) for c in CASES}
    raw = gpd.GeoDataFrame(
        {"pid": [c.name for c in CASES], "use": [c.use for c in CASES]},
        geometry=[boxes[c.name] for c in CASES],
        crs=WORKING_CRS,
    )
    zones = load_zones(out, catalogue=cat)
    pin = prepare_parcels(raw, zones.land_use, id_field="pid", use_field="use")
    return check_parcels(pin.frame, zones, near_m=None), boxes


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real_verdict_matches_the_reading(
    checked: tuple[CheckResult, dict[str, BaseGeometry]], case: Case
) -> None:
    res, _ = checked
    p = res.parcels.set_index("parcel_id").loc[case.name]
    assert (p["verdict"], p["verdict_reason"]) == (case.verdict, case.reason), (
        f"{case.lines}: {p['explanation_en']}"
    )


def test_relic_belt_leaves_existing_towns_to_the_settlement_subzone(
    checked: tuple[CheckResult, dict[str, BaseGeometry]],
) -> None:
    res, _ = checked
    town = res.parcels.set_index("parcel_id").loc["town_in_relic_belt_housing"]
    assert "proposal of the scheme (scheme L498-499)" in town["explanation_en"]
    assert "предложена схемой" in town["explanation_ru"]
