"""The result GeoPackage of ``almaty-scheme check`` opens in the real QGIS 3.22."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg

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
