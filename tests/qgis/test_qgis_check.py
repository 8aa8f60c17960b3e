"""The result GeoPackage of ``almaty-scheme check`` opens in the real QGIS 3.22."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from check_world import CATALOGUE_DIR, X0, Y0, parcels, sq, write_gpkg

from almaty_scheme.check import output
from almaty_scheme.cli import main

pytestmark = pytest.mark.qgis


def test_check_results_open_in_qgis(inspect_qgis: Callable[..., Any], tmp_path: Path) -> None:
    layers = write_gpkg(tmp_path / "layers.gpkg")
    src = tmp_path / "parcels.gpkg"
    parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), None],
        cad=["A", "B", "C", "D"],
        use=["ИЖС", "ферма", "парк", "residential"],
    ).to_file(src)
    out = tmp_path / "results.gpkg"
    rc = main(
        [
            "check",
            str(src),
            "--layers",
            str(layers),
            "--out",
            str(out),
            "--catalogue",
            str(CATALOGUE_DIR),
            "--id-field",
            "cad",
            "--use-field",
            "use",
            "--with-overlap-geometry",
        ]
    )
    assert rc == 0
    got = inspect_qgis("gpkg", out)
    p = got["parcels"]
    assert p["valid"] and p["feature_count"] == 4 and p["crs"] == "EPSG:32643"
    assert {"verdict", "explanation_ru", "near_water_protection_m"} <= set(p["fields"])
    assert p["db_styles"]["count"] >= 1 and p["renderer"] is not None
    h = got["parcel_hits"]
    assert h["valid"] and h["feature_count"] == 4 and h["crs"] == "EPSG:32643"
    for name in ("parcel_input_issues", "check_summary"):
        assert got[name]["valid"], name


@pytest.mark.parametrize("geometry_first", [False, True])
def test_parcels_view_opens_styled_and_identifies(
    inspect_qgis: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    geometry_first: bool,
) -> None:
    """``parcels`` is a spatial view over ``parcels_data`` and its lookup tables: QGIS
    opens it, applies its embedded style, counts it, and the identify tool at a parcel
    returns its verdict and explanations (stored as three parts, each distinct part once in
    ``explanation_parts``, joined by the view). With ``geometry_first`` (a check of
    ``SIDE_WRITER_MIN_ROWS`` parcels or more) the geometries and the R-tree are the table
    ``parcels_geom``'s, joined by the view on ``fid``: the same in QGIS."""
    if geometry_first:
        monkeypatch.setattr(output, "SIDE_WRITER_MIN_ROWS", 1)
    layers = write_gpkg(tmp_path / "layers.gpkg")
    src = tmp_path / "parcels.gpkg"
    parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000)],
        cad=["A", "B", "C"],
        use=["ИЖС", "ферма", "парк"],
    ).to_file(src)
    out = tmp_path / "results.gpkg"
    args = ["check", str(src), "--layers", str(layers), "--out", str(out), "--parquet"]
    args += ["--catalogue", str(CATALOGUE_DIR), "--id-field", "cad", "--use-field", "use"]
    assert main(args) == 0
    with closing(sqlite3.connect(out)) as con:
        kind = dict(con.execute("SELECT name, type FROM sqlite_master").fetchall())
    assert kind["parcels"] == "view" and kind["parcels_data"] == "table"
    assert (kind.get("parcels_geom") == "table") is geometry_first
    engine = gpd.read_parquet(tmp_path / "results.parcels.parquet").set_index("parcel_id")
    got = inspect_qgis("gpkg", out)["parcels"]
    assert got["valid"] and got["feature_count"] == 3 and got["crs"] == "EPSG:32643"
    assert got["db_styles"]["count"] >= 1
    assert got["renderer"]["type"] == "categorizedSymbol" and got["renderer"]["attr"] == "verdict"
    # the identify tool at the middle of parcel A (a 100 m square at x 1000, y 5000)
    ident = inspect_qgis("identify", out, "parcels", X0 + 1050, Y0 + 5050)
    assert [(r["layer"], r["fid"]) for r in ident["identified"]] == [("parcels", 1)]
    a = ident["identified"][0]["attributes"]
    assert a["parcel_id"] == "A" and a["verdict"] == engine.loc["A", "verdict"] == "prohibited"
    for col in ("explanation_ru", "explanation_en", "worst_rule_id", "verdict_reason"):
        assert a[col] == str(engine.loc["A", col]) and a[col], col
    assert "участка" in a["explanation_ru"]
    with closing(sqlite3.connect(out)) as con:  # A's share words are a part of their own
        words = con.execute(
            "SELECT e.explanation_en FROM parcels_data d "
            "JOIN explanation_pairs x ON x.code = d.explanation_code "
            "JOIN explanation_parts e ON e.code = x.part2 WHERE d.cad = 'A'"
        ).fetchone()[0]
    assert words in a["explanation_en"]
    assert words == "the whole parcel" or words.endswith(" % of the parcel")
    # and at parcel B, 1 km north
    ident = inspect_qgis("identify", out, "parcels", X0 + 1050, Y0 + 6050)
    (b,) = ident["identified"]
    assert b["attributes"]["parcel_id"] == "B"
    assert b["attributes"]["explanation_en"] == str(engine.loc["B", "explanation_en"])
