"""Review cases for the geometry of issue 13 on the real build from ../shared/data.

Each parcel is a 4 m x 4 m square placed relative to the base geometry of the build
(the schematic New Kuldzha alignment, the Bukhara - Tashkent - Bishkek - Almaty
pipeline, ...). The expected zones come from the scheme's lines, never from running the
tool:

* L266 "граница города Алматы – БАКАД – 125 м" / L267 "БАКАД – граница агломерации –
  140 м": inside BAKAD the New Kuldzha route has a 125 m corridor (62.5 m each side),
  outside it 140 m (70 m each side); a parcel 66 m off the axis is in the corridor only
  outside BAKAD.
* L276-278 item 7 (330.5 m) is a new exit, distinct from item 6 (L274-275, 140 m): a
  parcel on item 6's line at Kaskelen is in item 6's corridor, not in item 7's.
* L576-579 "Количество ниток – 2. Диаметр труб –1020 и 530 мм." with TR EAEU 049/2020
  Table 16 (DN 1000 -> 250 m, DN 500 -> 150 m): a parcel 200 m from the line is in the
  DN 1000 zone only, one 120 m away in both, one 300 m away in neither.
* L566-568 (hazardous-objects subzone) is built from certain gas bands only: a parcel
  that only a possible band covers is not in that subzone.

The layers are built once (module fixture) and the parcels checked once with
``almaty-scheme check``; the assertions read ``parcel_hits``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point

from almaty_scheme.build import build_layers, load_base, write_build
from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.cli import main
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.resources import default_data_dir

DATA = default_data_dir()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATA / "almaty_reference.gpkg").is_file(), reason=f"reference data not found in {DATA}"
    ),
]
KUL_IN, KUL_OUT = "roads.new_kuldzha.city_bakad", "roads.new_kuldzha.bakad_boundary"
ITEM6, ITEM7 = "roads.almaty_bishkek.bakad_uzynagash", "roads.additional_exit.bakad_uzynagash"
DN1000, DN600 = "gas.minimum_distance.dn_1000", "gas.minimum_distance.dn_600"


def _line(geom: shapely.Geometry) -> LineString:
    merged = shapely.line_merge(geom)
    assert isinstance(merged, LineString), "expected one connected line"
    return merged


def _at(line: LineString, along_m: float, offset_m: float) -> Point:
    """The point ``offset_m`` to the left of ``line`` at ``along_m`` from its start."""
    p, q = line.interpolate(along_m - 1.0), line.interpolate(along_m + 1.0)
    dx, dy = q.x - p.x, q.y - p.y
    n = (dx * dx + dy * dy) ** 0.5
    c = line.interpolate(along_m)
    return Point(c.x - dy / n * offset_m, c.y + dx / n * offset_m)


def _square(p: Point, half: float = 2.0) -> shapely.Polygon:
    return shapely.box(p.x - half, p.y - half, p.x + half, p.y + half)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cat = load_catalogue()
    base, notes = load_base(DATA, catalogue=cat)
    result = build_layers(cat, base, extra_notes=notes, data_dir=DATA)
    out = tmp_path_factory.mktemp("build") / "almaty_scheme.gpkg"
    write_build(result, out)
    return out


def _btba_point(gas: gpd.GeoDataFrame, boundary: shapely.Geometry) -> tuple[LineString, float]:
    """A place on the BTBA line inside the boundary, > 1 km from every other pipeline."""
    btba = gas["name"].str.contains("Bukhara", na=False)
    line = _line(gas.geometry[btba].iloc[0])
    others = shapely.union_all(gas.geometry[~btba].to_numpy())
    for f in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
        d = f * line.length
        c = line.interpolate(d)
        straight = all(abs(_at(line, d, s).distance(line) - abs(s)) < 1.0 for s in (300, -300))
        if boundary.contains(c.buffer(1000)) and c.distance(others) > 1500 and straight:
            return line, d
    raise AssertionError("no straight BTBA stretch inside the boundary away from other lines")


@pytest.fixture(scope="module")
def cases(built: Path) -> dict[str, Point]:
    roads = pyogrio.read_dataframe(built, layer="base_roads")
    gas = pyogrio.read_dataframe(built, layer="base_gas_pipelines")
    boundary = shapely.union_all(pyogrio.read_dataframe(built, layer="boundary").geometry)
    by_id = dict(zip(roads["alignment_id"], roads.geometry, strict=True))
    kul = _line(by_id["new_kuldzha"])  # starts on the city edge
    bakad_at = kul.project(shapely.intersection(kul, by_id["bakad"]).centroid)
    item6 = _line(by_id["almaty_bishkek_uzynagash"])
    gline, gd = _btba_point(gas, boundary)
    return {
        "KUL-IN-AXIS": kul.interpolate(bakad_at / 2),
        "KUL-IN-66M": _at(kul, bakad_at / 2, 66.0),
        "KUL-OUT-AXIS": kul.interpolate(bakad_at + 20_000),
        "KUL-OUT-66M": _at(kul, bakad_at + 20_000, 66.0),
        "ITEM6-KASKELEN": item6.interpolate(item6.project(_kaskelen(built))),
        "GAS-120M": _at(gline, gd, 120.0),
        "GAS-200M": _at(gline, gd, 200.0),
        "GAS-300M": _at(gline, gd, -300.0),
    }


def _kaskelen(built: Path) -> Point:
    s = pyogrio.read_dataframe(built, layer="base_settlements")
    return s.geometry[s["scheme_name"] == "Каскелен"].iloc[0]


@pytest.fixture(scope="module")
def hits(built: Path, cases: dict[str, Point], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("review")
    parcels = gpd.GeoDataFrame(
        {"cad_num": list(cases), "use": ["ИЖС"] * len(cases)},
        geometry=[_square(p) for p in cases.values()],
        crs=WORKING_CRS,
    )
    src = tmp / "parcels.gpkg"
    parcels.to_file(src, layer="parcels")
    out = tmp / "results.gpkg"
    args = ["check", str(src), "--layers", str(built), "--out", str(out)]
    rc = main([*args, "--id-field", "cad_num", "--use-field", "use"])
    assert rc == 0
    h = pyogrio.read_dataframe(out, layer="parcel_hits", read_geometry=False)
    return h


def _rules(h: pd.DataFrame, pid: str) -> dict[str, str]:
    sel = h[h["parcel_id"] == pid]
    return dict(zip(sel["rule_id"], sel["certainty"], strict=False))


def test_new_kuldzha_inside_bakad_is_125_m_only(hits: pd.DataFrame) -> None:
    """L266: between the city boundary and BAKAD the corridor is 125 m (62.5 m a side)."""
    assert KUL_IN in _rules(hits, "KUL-IN-AXIS") and KUL_OUT not in _rules(hits, "KUL-IN-AXIS")
    assert not {KUL_IN, KUL_OUT} & set(_rules(hits, "KUL-IN-66M"))


def test_new_kuldzha_outside_bakad_is_140_m(hits: pd.DataFrame) -> None:
    """L267: from BAKAD to the boundary 140 m (70 m a side): 66 m off the axis is inside."""
    for pid in ("KUL-OUT-AXIS", "KUL-OUT-66M"):
        got = _rules(hits, pid)
        assert got.get(KUL_OUT) == "certain" and KUL_IN not in got


def test_item6_at_kaskelen_is_not_inside_item7(hits: pd.DataFrame) -> None:
    """L274-278: item 7 is its own exit; item 6's line at Kaskelen is 140 m only."""
    got = _rules(hits, "ITEM6-KASKELEN")
    assert ITEM6 in got and ITEM7 not in got


def test_btba_threads_at_their_classes(hits: pd.DataFrame) -> None:
    """L576-579 + Table 16: 1020 mm -> 250 m, 530 mm -> 150 m, both certain."""
    got120 = _rules(hits, "GAS-120M")
    assert got120.get(DN1000) == "certain" and got120.get(DN600) == "certain"
    got200 = _rules(hits, "GAS-200M")
    assert got200.get(DN1000) == "certain" and DN600 not in got200
    assert not {DN1000, DN600, "gas.minimum_distance.dn_over_1200"} & set(_rules(hits, "GAS-300M"))
    row = hits[(hits["parcel_id"] == "GAS-200M") & (hits["rule_id"] == DN1000)].iloc[0]
    assert "L576-579" in row["citation"]


def test_hazardous_subzone_only_where_a_certain_band_is(built: Path) -> None:
    """L566-568: the subzone lies inside the union of the certain gas bands."""
    gz = pyogrio.read_dataframe(built, layer="gas_pipeline_zones")
    fz = pyogrio.read_dataframe(built, layer="functional_zones")
    haz = shapely.union_all(fz.geometry[fz["subzone"] == "hazardous_objects"].to_numpy())
    certain = shapely.union_all(gz.geometry[gz["certainty"] == "certain"].to_numpy())
    possible_only = shapely.difference(
        shapely.union_all(gz.geometry[gz["certainty"] == "possible"].to_numpy()), certain
    )
    assert possible_only.area > 1_000_000  # there are possible-only bands (unknown DN)
    assert shapely.difference(haz, certain).area < 1.0
    assert shapely.intersection(haz, possible_only).area < 1.0
