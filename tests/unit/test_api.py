"""The public API (``almaty_scheme.build / check / catalogue``), as the README's
"Python API" script uses it, on a tiny synthetic world with hand-derived answers.

World: a 1 km centreline tied to rule ``roads.almaty_ust_kamenogorsk.bakad_kapchagay_zhana_ile``
("БАКАД – Капчагай – "Жана Иле" – 226,5 м", scheme L259; a total width, split about the
centreline with flat ends) inside a 5 km x 4 km study area (the boundary).

* corridor: 1000 m x 226.5 m = 226 500 m², |dy| <= 113.25 m;
* parcel A, 100 m x 100 m on the centreline: wholly in the corridor (10 000 m², 100 %),
  0 m from its source; housing in a trunk-road corridor is prohibited (regime
  "default: prohibited", L252-253) -> ``prohibited``;
* parcel B, 100 m x 100 m from y = 200 to 300 m: outside the corridor, 200 - 113.25 =
  86.75 m from it; in the rest of the study area, the undifferentiated agricultural
  subzone (L341-342), where agriculture is allowed (L425-426) -> ``clear``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from restriction_world import box, line

import almaty_scheme as asch
from almaty_scheme.crs import WORKING_CRS

RULE = "roads.almaty_ust_kamenogorsk.bakad_kapchagay_zhana_ile"


def test_public_names_are_listed_and_import_is_cheap() -> None:
    for name in ("build", "check", "catalogue", "BuildOptions", "CheckOptions", "load_base"):
        assert name in asch.__all__
        assert getattr(asch, name) is not None
    assert callable(asch.build) and callable(asch.check) and callable(asch.catalogue)
    assert (Path(asch.__file__).parent / "py.typed").is_file()
    code = "import sys, almaty_scheme; print('numba' in sys.modules, 'geopandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_readme_script(tmp_path: Path) -> None:
    rule = asch.catalogue().get(RULE)
    assert (rule.width.value_m, rule.width.semantics) == (226.5, "total")

    road = gpd.GeoDataFrame(
        {"name": ["Капчагайская трасса"], "rule_ids": [RULE]},
        geometry=[line((0, 0), (1000, 0))],
        crs=WORKING_CRS,
    )
    area = gpd.GeoDataFrame(
        {"name": ["study area"]}, geometry=[box(-2000, -2000, 3000, 2000)], crs=WORKING_CRS
    )
    layers = tmp_path / "layers.gpkg"
    built = asch.build(base={"roads": road, "boundary": area}, out=layers)
    corridor = built.layers["road_corridors"]
    assert len(corridor) == 1
    assert corridor.area.sum() == pytest.approx(226_500.0, rel=1e-9)
    assert layers.is_file()

    parcels = gpd.GeoDataFrame(
        {"cad_num": ["A", "B"], "use": ["residential", "agricultural"]},
        geometry=[box(100, -50, 200, 50), box(500, 200, 600, 300)],
        crs=WORKING_CRS,
    )
    opts = asch.CheckOptions(id_field="cad_num", use_field="use")
    outcome = asch.check(parcels, layers, options=opts)
    assert outcome.paths == {}  # nothing written
    p = outcome.parcels.set_index("parcel_id")
    assert isinstance(outcome.parcels, gpd.GeoDataFrame)
    assert list(p.index) == ["A", "B"]
    assert list(p["verdict"].astype(str)) == ["prohibited", "clear"]
    assert p.loc["A", "worst_rule_id"] == RULE
    assert p.loc["A", "worst_share_pct"] == pytest.approx(100.0)
    assert p.loc["A", "near_roads_m"] == 0.0
    assert p.loc["B", "near_roads_m"] == pytest.approx(86.75, abs=1e-6)
    assert p.loc["B", "subzone"] == "agricultural"
    road_hits = outcome.hits[outcome.hits["layer"].astype(str) == "road_corridors"]
    assert list(road_hits["parcel_id"].astype(str)) == ["A"]
    assert road_hits["overlap_m2"].iloc[0] == pytest.approx(10_000.0, rel=1e-9)
    assert road_hits["distance_to_source_m"].iloc[0] == 0.0
    assert outcome.summary["by_verdict"]["prohibited"] == 1
    assert outcome.summary["by_verdict"]["clear"] == 1
    assert outcome.summary["inputs"]["parcels"] == "<GeoDataFrame>"

    # the same call with an output path writes the tables, as the CLI does
    res = asch.check(parcels, layers, tmp_path / "results.gpkg", options=opts)
    assert set(res.paths) == {"gpkg", "summary"}
    back = gpd.read_file(res.paths["gpkg"], layer="parcels")
    assert list(back["verdict"]) == ["prohibited", "clear"]
