"""Verdict review on the real build (issue 13, item 7): parcels placed in the built zones.

The layers are built once per module from ../shared/data with the working tree's
catalogue. Each case names the zone features a parcel must lie in (and the functional
subzone); the parcel is a 40 x 40 m box placed geometrically inside all of them and at
least 60 m away from every other zone feature, so the expected verdict depends only on
the zones named. The expected verdicts were worked out by reading the scheme (the line
that decides each is given), never by running the tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from almaty_scheme.restrictions.common import LAYER_NAMES

DATA = default_data_dir()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATA / "almaty_reference.gpkg").is_file(), reason=f"reference data not found in {DATA}"
    ),
]

Feature = tuple[str, str, str | None]  # layer, rule id, status (None: any)


@dataclass(frozen=True)
class Case:
    name: str
    use: str
    inside: list[Feature]
    subzone: str
    verdict: str
    reason: str
    lines: str
    certainty: str | None = "certain"
    extra: dict[str, str] = field(default_factory=dict)


RELIC_TOWN: Feature = ("elevation_belts", "elevation.relic_apple_belt", "proposed_on_settlement")
RELIC_OPEN: Feature = ("elevation_belts", "elevation.relic_apple_belt", "proposed")
KAP_STRIP: Feature = ("water_protection_strips", "water_protection.kapchagay.strip", None)
KAP_ZONE: Feature = ("water_protection_zones", "water_protection.kapchagay.zone", None)

CASES = [
    Case(
        "town_in_relic_belt_housing",
        "residential",
        [RELIC_TOWN],
        "zoning.subzone.settlement",
        "conditional",
        "proposal_on_settlement",
        "L498-501 proposal vs L204-205 existing settlements",
    ),
    Case(
        "town_in_relic_belt_shop",
        "commercial",
        [RELIC_TOWN],
        "zoning.subzone.settlement",
        "conditional",
        "use_conditional",
        "L480-482 other construction by approval (not a ban)",
    ),
    Case(
        "town_in_relic_belt_landfill",
        "landfill",
        [RELIC_TOWN],
        "zoning.subzone.settlement",
        "prohibited",
        "use_prohibited",
        "L206-209 only ecologically clean objects in settlements",
    ),
    Case(
        "relic_belt_housing",
        "residential",
        [RELIC_OPEN],
        "zoning.subzone.protected_areas",
        "prohibited",
        "use_prohibited",
        "L498-501 with L479-484",
    ),
    Case(
        "relic_belt_farming",
        "agricultural",
        [RELIC_OPEN],
        "zoning.subzone.protected_areas",
        "prohibited",
        "use_prohibited",
        "L455-456 no agricultural production",
    ),
    Case(
        "relic_belt_dacha",
        "dacha_gardening",
        [RELIC_OPEN],
        "zoning.subzone.protected_areas",
        "prohibited",
        "use_prohibited",
        "L455-456 with L349",
    ),
    Case(
        "relic_belt_forestry",
        "forestry",
        [RELIC_OPEN],
        "zoning.subzone.protected_areas",
        "clear",
        "use_allowed",
        "L483-484 restoration measures",
    ),
    Case(
        "farmland_mining",
        "mining",
        [],
        "zoning.subzone.agricultural",
        "prohibited",
        "use_prohibited",
        "L429-433 no disturbance of the soil cover",
    ),
    Case(
        "farmland_landfill",
        "landfill",
        [],
        "zoning.subzone.agricultural",
        "prohibited",
        "use_prohibited",
        "L429-433 no pollution of subsoil water",
    ),
    Case(
        "farmland_housing",
        "residential",
        [],
        "zoning.subzone.agricultural",
        "conditional",
        "use_conditional",
        "L425-426 withdrawal of farmland restricted",
    ),
    Case(
        "farmland_farming",
        "agricultural",
        [],
        "zoning.subzone.agricultural",
        "clear",
        "use_allowed",
        "L343 arable subzone",
    ),
    Case(
        "farmland_dacha",
        "dacha_gardening",
        [],
        "zoning.subzone.agricultural",
        "clear",
        "use_allowed",
        "L349 collective gardens and dachas",
    ),
    Case(
        "mountains_housing",
        "residential",
        [],
        "zoning.subzone.recreation_mountain",
        "prohibited",
        "use_prohibited",
        "L851-852 only recreational construction",
    ),
    Case(
        "mountains_resort",
        "recreation",
        [],
        "zoning.subzone.recreation_mountain",
        "clear",
        "use_allowed",
        "L851-852 the recreational exception",
    ),
    Case(
        "mountains_pasture",
        "pasture",
        [],
        "zoning.subzone.recreation_mountain",
        "prohibited",
        "use_prohibited",
        "L455-456 no agricultural production",
    ),
    Case(
        "settlement_housing",
        "residential",
        [],
        "zoning.subzone.settlement",
        "clear",
        "use_allowed",
        "L204-207 housing in settlements",
    ),
    Case(
        "settlement_landfill",
        "landfill",
        [],
        "zoning.subzone.settlement",
        "prohibited",
        "use_prohibited",
        "L206-209",
    ),
    Case(
        "kapchagay_strip_housing",
        "residential",
        [KAP_STRIP, KAP_ZONE],
        "zoning.subzone.water_protection_strips",
        "prohibited",
        "use_prohibited",
        "L590-591 strip; Water Code regime",
    ),
    Case(
        "kapchagay_zone_housing",
        "residential",
        [KAP_ZONE],
        "zoning.subzone.water_protection_zones",
        "conditional",
        "use_conditional",
        "L589 zone; L646-651 building by agreed project",
    ),
    Case(
        "kapchagay_zone_landfill",
        "landfill",
        [KAP_ZONE],
        "zoning.subzone.water_protection_zones",
        "prohibited",
        "use_prohibited",
        "L652-655",
    ),
    Case(
        "kapchagay_zone_farm",
        "livestock_farm",
        [KAP_ZONE],
        "zoning.subzone.water_protection_zones",
        "prohibited",
        "use_prohibited",
        "L659-660",
    ),
]


def _layers(path: Path) -> dict[str, gpd.GeoDataFrame]:
    return {n: pyogrio.read_dataframe(path, layer=n) for n in LAYER_NAMES if n != "boundary"}


def _select(gdf: gpd.GeoDataFrame, rule: str, status: str | None) -> pd.Series:
    m = gdf["rule_id"].astype("string") == rule
    if status is not None:
        m &= gdf["status"].astype("string") == status
    return m.fillna(False).astype(bool)


def _place(layers: dict[str, gpd.GeoDataFrame], case: Case) -> BaseGeometry:
    """A 40 x 40 m box inside the case's features and subzone, 60 m from everything else."""
    fz = layers["functional_zones"]
    target = shapely.union_all(fz.loc[fz["rule_id"] == case.subzone].geometry.to_numpy())
    avoid: list[BaseGeometry] = [
        shapely.union_all(fz.loc[fz["rule_id"] != case.subzone].geometry.to_numpy())
    ]
    for name, gdf in layers.items():
        if name == "functional_zones" or len(gdf) == 0:
            continue
        keep = pd.Series(False, index=gdf.index)
        for lname, rule, status in case.inside:
            if lname == name:
                sel = _select(gdf, rule, status)
                sel &= gdf["certainty"].astype("string") == "certain"
                target = shapely.intersection(target, shapely.union_all(gdf.loc[sel].geometry))
                keep |= sel
        avoid.append(shapely.union_all(gdf.loc[~keep].geometry.to_numpy()))
    free = shapely.difference(target, shapely.buffer(shapely.union_all(avoid), 60.0))
    free = shapely.buffer(free, -30.0)  # room for the 40 m box
    assert not free.is_empty, f"{case.name}: no place in the build fits the case"
    p = free.point_on_surface()
    return shapely.box(p.x - 20, p.y - 20, p.x + 20, p.y + 20)


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
