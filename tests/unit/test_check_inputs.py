"""Reading, validating and repairing parcels: nothing lost, everything flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from check_world import X0, Y0, catalogue, parcels, prepared, sq

import almaty_scheme.crs as crs_module
from almaty_scheme.check.engine import check_parcels
from almaty_scheme.check.inputs import prepare_parcels, read_parcels
from almaty_scheme.check.regime import land_use_from_catalogue
from almaty_scheme.errors import CRSError, DataError, UsageError

PROBLEMS = Path(__file__).resolve().parents[1] / "fixtures" / "check" / "problem_parcels.geojson"


@pytest.fixture(scope="module")
def land_use():  # type: ignore[no-untyped-def]
    return land_use_from_catalogue(catalogue())


@pytest.fixture(scope="module")
def problems(land_use):  # type: ignore[no-untyped-def]
    raw = read_parcels(PROBLEMS)
    return raw, prepare_parcels(raw, land_use, id_field="cad", use_field="use")


def row(pin, note: str) -> pd.Series:  # type: ignore[no-untyped-def]
    f = pin.frame
    return f[f["note"] == note].iloc[0]


def test_problem_file_nothing_lost(problems) -> None:
    raw, pin = problems
    f = pin.frame
    assert len(f) == len(raw) == 14
    assert f["input_row"].tolist() == list(range(1, 15))
    assert f["note"].tolist() == raw["note"].tolist()  # original attributes, input order
    assert f["parcel_id"].is_unique
    assert f.crs.to_epsg() == 32643


def test_problem_file_reasons_and_flags(problems) -> None:
    _, pin = problems
    expect = {
        "empty polygon": "empty_geometry",
        "null geometry": "null_geometry",
        "a point": "not_polygon",
        "a line": "not_polygon",
        "collapsed ring, no area": "invalid_geometry",
    }
    for note, reason in expect.items():
        r = row(pin, note)
        assert r["invalid_reason"] == reason, note
        assert r.geometry is None
    assert pin.frame["invalid_reason"].notna().sum() == len(expect)

    bow = row(pin, "bow-tie, self-intersecting")
    assert "repaired" in bow["input_flags"].split(",")
    assert bow.geometry.is_valid and bow.geometry.area == pytest.approx(5000.0)  # two triangles
    z = row(pin, "3D polygon")
    assert "z_dropped" in z["input_flags"] and not shapely.has_z(z.geometry)
    gc = row(pin, "collection of a polygon and a point")
    assert "non_polygon_parts_dropped" in gc["input_flags"]
    assert gc.geometry.geom_type == "Polygon" and gc.geometry.area == pytest.approx(10000.0)
    gen = row(pin, "no id")
    assert "generated_id" in gen["input_flags"] and gen["parcel_id"] == "P000010"
    unk = row(pin, "unknown use")
    assert "unknown_use" in unk["input_flags"] and unk["use_class"] == "unspecified"
    assert unk["use_input"] == "теплица"
    nouse = row(pin, "multipolygon, no use")
    assert "no_use" in nouse["input_flags"] and nouse["use_class"] == "unspecified"
    assert row(pin, "good square in the strip")["use_class"] == "residential"  # ИЖС alias


def test_duplicate_ids_disambiguated_and_reported(problems) -> None:
    _, pin = problems
    f = pin.frame
    dup = f[f["cad"] == "A"]
    assert dup["parcel_id"].tolist() == ["A", "A#2", "A#3"]
    assert all("duplicate_id" in s for s in dup["input_flags"])
    assert pin.report["duplicate_ids"] == [{"id": "A", "count": 3}]


def test_issues_table_keeps_originals(problems) -> None:
    _, pin = problems
    iss = pin.issues.set_index("input_row")
    assert iss.loc[2, "issue"] == "repaired"
    assert shapely.from_wkt(iss.loc[2, "original_wkt"]).is_valid is False  # the bow-tie as given
    assert iss.loc[7, "issue"] == "not_polygon"
    assert iss.loc[7, "original_wkt"].startswith("POINT")
    assert pd.isna(iss.loc[4, "original_wkt"])  # null geometry
    assert set(iss["issue"]) >= {
        "repaired",
        "not_polygon",
        "empty_geometry",
        "null_geometry",
        "invalid_geometry",
        "non_polygon_parts_dropped",
    }


def test_problem_file_checks_to_one_row_each(problems) -> None:
    _, pin = problems
    res = check_parcels(pin.frame, prepared())
    assert len(res.parcels) == 14
    assert res.parcels["parcel_id"].tolist() == pin.frame["parcel_id"].tolist()
    assert (res.parcels["verdict"] == "invalid_input").sum() == 5
    assert res.parcels.loc[0, "verdict"] == "prohibited"


def test_points_only_file_is_rejected(land_use) -> None:
    raw = parcels(
        [shapely.Point(X0, Y0), shapely.LineString([(X0, Y0), (X0 + 1, Y0)])], pid=["a", "b"]
    )
    with pytest.raises(DataError, match="holds no polygons") as ei:
        prepare_parcels(raw, land_use)
    assert "buffer" in str(ei.value)


def test_coordinates_of_read_parcels_are_checked_once(
    land_use, monkeypatch: pytest.MonkeyPatch
) -> None:
    # degrees declared as UTM metres: a frame given in memory is always looked at
    lonlat = parcels([shapely.box(76.9, 43.2, 76.91, 43.21)], pid=["a"])
    with pytest.raises(CRSError, match="look like lon/lat degrees"):
        prepare_parcels(lonlat, land_use)
    # the reader's frame (crs_checked): its bounds are not measured a second time
    calls: list[int] = []
    original = crs_module.coordinate_problem

    def counted(data, bounds=None):  # type: ignore[no-untyped-def]
        calls.append(len(data))
        return original(data, bounds)

    monkeypatch.setattr(crs_module, "coordinate_problem", counted)
    good = parcels([sq(0, 0), sq(200, 0)], pid=["a", "b"])
    assert len(prepare_parcels(good, land_use, crs_checked=True).frame) == 2
    assert calls == []
    assert len(prepare_parcels(good, land_use).frame) == 2
    assert calls == [2]
    # a frame in another CRS is still reprojected, whatever the flag says
    wgs = good.to_crs(4326)
    f = prepare_parcels(wgs, land_use, crs_checked=True).frame
    assert f.crs.to_epsg() == 32643
    assert f.geometry.iloc[0].area == pytest.approx(10_000.0, rel=1e-6)


def test_missing_crs_is_an_error_unless_assumed(land_use, tmp_path: Path) -> None:
    csv = tmp_path / "nocrs.csv"
    pd.DataFrame({"pid": ["a"], "wkt": [sq(0, 0).wkt]}).to_csv(csv, index=False)
    with pytest.raises(CRSError, match="no coordinate reference system") as ei:
        read_parcels(csv)
    assert "--assume-crs" in str(ei.value)
    got = read_parcels(csv, assume_crs="EPSG:32643")
    assert got.crs.to_epsg() == 32643
    assert got.geometry.iloc[0].equals(sq(0, 0))
    # in memory: a frame without CRS
    raw = parcels([sq(0, 0)], pid=["a"]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError):
        prepare_parcels(raw, land_use)
    f = prepare_parcels(raw, land_use, assume_crs="EPSG:32643").frame
    assert f.crs.to_epsg() == 32643


def test_reprojection_from_lonlat(land_use) -> None:
    raw = parcels([sq(1000, 5000)], pid=["a"]).to_crs(4326)
    pin = prepare_parcels(raw, land_use, id_field="pid")
    assert pin.frame.crs.to_epsg() == 32643
    assert pin.frame.geometry.iloc[0].area == pytest.approx(10000.0, rel=1e-6)


def test_unknown_columns_are_usage_errors(land_use) -> None:
    raw = parcels([sq(0, 0)], pid=["a"])
    with pytest.raises(UsageError) as ei:
        prepare_parcels(raw, land_use, id_field="cad", use_field="landuse")
    assert len(ei.value.problems) == 2 and "pid" in ei.value.problems[0]


def test_default_id_column_and_generated_ids(land_use) -> None:
    raw = parcels([sq(0, 0), sq(200, 0)], parcel_id=[17, 18])
    f = prepare_parcels(raw, land_use).frame
    assert f["parcel_id"].tolist() == ["17", "18"]
    assert f["input_parcel_id"].tolist() == [17, 18]  # the original column is kept, renamed
    f2 = prepare_parcels(parcels([sq(0, 0), sq(200, 0)], x=[1, 2]), land_use).frame
    assert f2["parcel_id"].tolist() == ["P000001", "P000002"]
    assert (f2["input_flags"] == "generated_id").all()


def test_float_ids_lose_trailing_zero(land_use) -> None:
    f = prepare_parcels(
        parcels([sq(0, 0), sq(200, 0)], cad=[12.0, np.nan]), land_use, id_field="cad"
    ).frame
    assert f["parcel_id"].tolist() == ["12", "P000002"]


def test_colliding_columns_are_renamed(land_use) -> None:
    raw = parcels([sq(0, 0)], pid=["a"], Verdict=["old"], near_x_m=[1.0], fid=[5])
    pin = prepare_parcels(raw, land_use, id_field="pid")
    cols = set(pin.frame.columns)
    assert {"input_Verdict", "input_near_x_m", "input_fid"} <= cols
    assert pin.report["renamed_columns"]["Verdict"] == "input_Verdict"


def test_generated_id_clash_is_avoided(land_use) -> None:
    f = prepare_parcels(
        parcels([sq(0, 0), sq(200, 0), sq(400, 0)], cad=["A", "A", "A#2"]), land_use, id_field="cad"
    ).frame
    assert f["parcel_id"].is_unique
    assert f["parcel_id"].tolist()[0] == "A" and f["parcel_id"].tolist()[2] == "A#2"


def test_nonfinite_coordinates(land_use) -> None:
    bad = shapely.Polygon([(X0, Y0), (np.inf, Y0), (X0, Y0 + 10), (X0, Y0)])
    f = prepare_parcels(parcels([bad, sq(0, 0)], pid=["a", "b"]), land_use, id_field="pid").frame
    assert f["invalid_reason"].tolist()[0] == "bad_coordinates"
    assert pd.isna(f["invalid_reason"].iloc[1])


def test_multiple_layers_need_layer_option(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    parcels([sq(0, 0)], pid=["a"]).to_file(path, layer="one")
    parcels([sq(0, 0)], pid=["b"]).to_file(path, layer="two", mode="a")
    with pytest.raises(DataError, match="2 layers"):
        read_parcels(path)
    assert read_parcels(path, layer="two")["pid"].tolist() == ["b"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_parcels(tmp_path / "nope.gpkg")
