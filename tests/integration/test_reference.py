"""load_reference on the real reference data in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyproj import CRS

from almaty_scheme.base.model import BASE_LAYERS, PROVENANCE_COLUMNS, BaseData
from almaty_scheme.base.reference import REFERENCE_GPKG, load_reference
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError
from almaty_scheme.resources import default_data_dir

DATA = default_data_dir()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (DATA / REFERENCE_GPKG).is_file(), reason=f"reference data not found in {DATA}"
    ),
]


@pytest.fixture(scope="module")
def base() -> BaseData:
    return load_reference(DATA)


def test_every_layer_present_in_working_crs_with_canonical_columns(base: BaseData) -> None:
    for name, spec in BASE_LAYERS.items():
        gdf = base[name]
        assert CRS.from_user_input(gdf.crs) == WORKING_CRS, name
        assert list(gdf.columns[: len(PROVENANCE_COLUMNS) + len(spec.columns)]) == [
            *PROVENANCE_COLUMNS,
            *spec.columns,
        ], name
        if len(gdf):
            assert set(gdf.geom_type) == {spec.geometry}, name
            for c in PROVENANCE_COLUMNS:
                assert gdf[c].notna().all(), (name, c)


def test_feature_counts(base: BaseData) -> None:
    au = base["admin_units"]
    assert len(au) == 16 + 17 + 3
    assert (au["year"] == 2018).sum() == 16
    assert ((au["year"] == 2024) & (au["level"] == 2)).sum() == 17
    assert ((au["year"] == 2024) & (au["level"] == 1)).sum() == 3
    s = base["settlements"]
    assert (s["origin"] == "osm").sum() == 242
    assert (s["origin"] == "geonames").sum() == 12
    assert len(base["water_bodies"]) == 1
    assert len(base["rivers"]) == 1  # the Ili's three pieces dissolved
    assert len(base["railways"]) == 1
    assert len(base["gas_pipelines"]) == 10


def test_admin_units_kato_and_names(base: BaseData) -> None:
    au = base["admin_units"]
    kap = au[(au["kato"] == "191600000") & (au["year"] == 2018)].iloc[0]
    assert (kap["name"], kap["name_ru"], kap["name_kk"]) == ("Kapchagay", "Капчагай", "Қапшағай")
    assert kap["parent"] == "Almaty"
    region = au[(au["level"] == 1) & (au["name"] == "Almaty")].iloc[0]
    assert region["kato"] == "190000000"
    assert au["licence"].eq("CC BY 4.0").all()


def test_settlements_origins_and_names(base: BaseData) -> None:
    s = base["settlements"]
    gn = s[s["origin"] == "geonames"].set_index("name")
    assert gn.loc["Almaty", "name_ru"] == "Алматы"  # not the historical Алма-Ата
    assert gn.loc["Uzunagach", "name_kk"] == "Ұзынағаш"
    assert gn.loc["Talghar", "name_ru"] == "Талгар"
    assert pd.isna(gn.loc["Uzunagach", "population"])  # GeoNames 0 means unknown
    assert s.loc[s["origin"] == "osm", "licence"].eq("ODbL 1.0").all()
    assert s.loc[s["origin"] == "geonames", "licence"].eq("CC BY 4.0").all()
    assert s["pop_2018"].isna().all()  # Appendix 15 join happens elsewhere


def test_water_rivers_railways(base: BaseData) -> None:
    wb = base["water_bodies"].iloc[0]
    assert wb["kind"] == "reservoir"
    assert wb["area_ha"] == pytest.approx(92_186, rel=0.001)  # README: 922 km²
    ili = base["rivers"].iloc[0]
    assert (ili["name"], ili["name_ru"], ili["kind"]) == ("Ili", "Или", "river")
    assert ili["length_km"] == pytest.approx(46.96, abs=0.05)
    assert ili["length_km"] == pytest.approx(ili.geometry.length / 1000)
    assert base["railways"]["accuracy"].str.contains("coarse").all()


def test_gas_pipelines_diameters_and_corridors(base: BaseData) -> None:
    g = base["gas_pipelines"].set_index("name")
    a = g.loc["Central Asia-China Gas Pipeline Line A"]
    c = g.loc["Central Asia-China Gas Pipeline Line C"]
    assert (a["diameter_mm"], a["nominal_diameter_mm"]) == (1067.0, 1050.0)
    assert (c["diameter_mm"], c["nominal_diameter_mm"]) == (1219.0, 1200.0)
    assert "derived from the outside diameter" in a["diameter_note"]
    assert g["pressure_mpa"].isna().all()
    cac = g.loc[g.index.str.startswith("Central Asia-China"), "corridor_id"]
    assert cac.nunique() == 1
    btba = g.loc[g.index.str.startswith("Bukhara"), "corridor_id"]
    assert btba.nunique() == 1
    assert set(cac) != set(btba)
    bay2 = g.loc["Almaty-Bayserke-Talgar Gas Pipeline II", "nominal_diameter_mm"]
    assert (bay2 == 500.0).all()
    # parallel threads share a corridor; the unidentified route is alone
    assert g["corridor_id"].nunique() == 5
    assert pd.isna(g.loc["Bukhara-Tashkent-Bishkek-Almaty Gas Pipeline thread 1", "diameter_mm"])


def test_provenance_lists_missing_layers_and_dem(base: BaseData) -> None:
    prov = {p.layer: p for p in base.provenance}
    for name in ("roads", "power_lines", "water_mains", "protected_areas"):
        assert prov[name].status == "missing"
        assert "import-osm" in prov[name].note
        assert name in base.missing
    assert prov["gas_pipelines"].status == "loaded"
    assert prov["gas_pipelines"].features == 10
    assert "CC BY 4.0" in prov["gas_pipelines"].licence
    assert prov["dem"].status == "loaded"
    assert base.dem_path is not None and base.dem_path.name == "gebco2023_almaty_dem.tif"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data fetch"):
        load_reference(tmp_path / "nowhere")
    with pytest.raises(DataError, match="data fetch"):
        load_reference(tmp_path)
