"""Rivers derived from the real GEBCO 2023 DEM, named from the shipped anchors.

Tolerance of the Ili comparison: the derived Ili follows D8 cell centres on a grid of
about 337 m x 463 m, so it can sit up to half a diagonal (~290 m) off any line and take
a staircase path across a several-km-wide floodplain; the WDBII line is at about
1:1 000 000 (0.5 mm on such a map is 500 m). A mean offset above about three N-S cells
(1.5 km) would mean the derived course follows another valley somewhere, not just
noise. Measured with priority-flood routing and the shipped anchors: mean 875 m,
median 804 m, 90th percentile 1.85 km.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almaty_scheme.base import hydro
from almaty_scheme.base.hydro import load_anchors, verify_anchor_quotes
from almaty_scheme.crs import to_working_crs
from almaty_scheme.resources import default_data_dir, default_seed_path

pytestmark = pytest.mark.integration

DATA = default_data_dir()
GPKG = DATA / "almaty_reference.gpkg"
DEM = DATA / "gebco2023_almaty_dem.tif"
if not (GPKG.is_file() and DEM.is_file()):
    pytest.skip(f"reference data not found in {DATA}", allow_module_level=True)

ILI_MEAN_TOLERANCE_M = 1500.0
ILI_P90_TOLERANCE_M = 3000.0
SCHEME_RIVERS = (
    "Bolshaya Almatinka",
    "Turgen",
    "Aksai",
    "Ashchibulak",
    "Uzynkargaly",
    "Shamalgan",
    "Belbulak",
)


def _read(layer: str) -> gpd.GeoDataFrame:
    return to_working_crs(gpd.read_file(GPKG, layer=layer), name=layer)


@pytest.fixture(scope="module")
def derived() -> tuple[gpd.GeoDataFrame, dict[str, Any], gpd.GeoDataFrame]:
    osm = _read("settlements_osm")[["name", "name_ru", "name_kk", "name_en", "geometry"]]
    gn = _read("settlements_geonames")[["name", "geometry"]]
    places = gpd.GeoDataFrame(pd.concat([osm, gn], ignore_index=True), crs=osm.crs)
    water = _read("reservoirs")
    rep: dict[str, Any] = {}
    rivers = hydro.derive_rivers(
        DEM,
        water_bodies=water,
        places=places,
        dem_label="GEBCO 2023",
        dem_licence="public domain",
        report=rep,
    )
    return rivers, rep, places


def test_network_is_labelled_derived(derived: Any) -> None:
    rivers, rep, _ = derived
    assert len(rivers) > 100
    assert (rivers["accuracy"] == 'derived from DEM GEBCO 2023 15" (~337 m x 463 m)').all()
    assert rivers["source"].str.startswith("derived: D8 flow routing").all()
    assert rivers.geometry.geom_type.eq("MultiLineString").all()
    assert rivers["length_km"].gt(0).all()
    assert rivers["strahler"].notna().all()
    assert rep["outlets"] == 1  # the reservoir's outflow re-enters below the dam


def test_scheme_rivers_are_named_near_their_anchors(derived: Any) -> None:
    rivers, rep, _places = derived
    districts = shapely.union_all(_read("admin_districts_2018").geometry.to_numpy())
    for name in SCHEME_RIVERS:
        feats = rivers.loc[rivers["name"] == name]
        assert len(feats), f"{name} not named; anchors: {rep['anchors']}"
        geom = shapely.union_all(feats.geometry.to_numpy())
        assert geom.intersects(districts), name
        assert geom.length > 5_000, name
        assert feats["name_reading"].str.contains("anchors:").all()
    # each used anchor lies within its snap radius (+ a cell) of its river
    anchors = load_anchors()
    for r in anchors.rivers:
        geom = shapely.union_all(rivers.loc[rivers["river_id"] == r.id].geometry.to_numpy())
        for a in r.anchors:
            if (
                rep["anchors"][a.id].startswith("snapped")
                and "not used" not in rep["anchors"][a.id]
            ):
                metres = float(rep["anchors"][a.id].split()[1])
                assert metres <= a.snap_m
                assert not geom.is_empty


def test_streams_end_at_the_reservoir_shore(derived: Any) -> None:
    rivers, _, _ = derived
    water = shapely.union_all(_read("reservoirs").geometry.to_numpy())
    inside = rivers.geometry.intersection(water).length.sum()
    assert inside == pytest.approx(0, abs=1.0)


def test_ili_offset_against_wdbii(derived: Any) -> None:
    rivers, _, _ = derived
    res = hydro.ili_offset(
        rivers, _read("rivers_major"), dem_path=DEM, water_bodies=_read("reservoirs")
    )
    assert res["n_points"] > 60
    assert res["mean_m"] < ILI_MEAN_TOLERANCE_M, res
    assert res["p90_m"] < ILI_P90_TOLERANCE_M, res


def test_anchor_quotes_are_in_the_scheme() -> None:
    seed = default_seed_path()
    if not seed.is_file():
        pytest.skip(f"seed text not found at {seed}")
    lines = Path(seed).read_text(encoding="utf-8").splitlines()
    assert verify_anchor_quotes(load_anchors(), lines) == []


def test_merge_with_real_ili_replaces_the_derived_one(derived: Any) -> None:
    rivers, _, _ = derived
    real = _read("rivers_major")
    real = real.assign(name_ru=real.get("name_ru", "Иле"))
    merged = hydro.merge_rivers(real, rivers)
    names = merged["name"].fillna("").to_numpy()
    srcs = merged["source"].fillna("").astype(str).to_numpy()
    ili = names == "Ili"
    assert ili.any()
    assert not np.any([s.startswith("derived") for s in srcs[ili]])
