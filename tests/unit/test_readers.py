"""read_vector: formats, encodings, CRSs and the errors a user sees."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyogrio
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj import CRS, Transformer

from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import CRSError, DataError
from almaty_scheme.io.readers import detect_encoding, read_vector

FIX = Path(__file__).parents[1] / "fixtures" / "readers"
NAMES = ["Алматы", "Есик", "Талгар", "жилой дом", "склад"]


def _line_1km(crs: int = 32643) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Большая Алматинка"], "n": [1]},
        geometry=[shapely.LineString([(500_000, 4_800_000), (501_000, 4_800_000)])],
        crs=crs,
    )


def _points_shp(path: Path, names: list[str], encoding: str) -> None:
    gdf = gpd.GeoDataFrame(
        {"NAME": names, "N": list(range(len(names)))},
        geometry=[shapely.Point(500_000 + 10 * i, 4_800_000) for i in range(len(names))],
        crs=32643,
    )
    pyogrio.write_dataframe(gdf, path, encoding=encoding)


def test_result_is_in_working_crs_and_reprojected() -> None:
    gdf = read_vector(FIX / "points_lonlat.csv")
    assert CRS.from_user_input(gdf.crs) == WORKING_CRS
    expected = Transformer.from_crs(4326, 32643, always_xy=True).transform(76.9457, 43.2383)
    assert gdf.geometry.iloc[0].x == pytest.approx(expected[0], abs=1e-6)
    assert gdf.geometry.iloc[0].y == pytest.approx(expected[1], abs=1e-6)
    assert list(gdf["name"]) == ["Алматы", "Есик", "Талгар"]


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb", ".shp", ".parquet"])
def test_formats_round_trip_a_1km_line(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"line{suffix}"
    src = _line_1km()
    if suffix == ".parquet":
        src.to_parquet(path)
    else:
        pyogrio.write_dataframe(src, path)
    gdf = read_vector(path)
    assert len(gdf) == 1
    assert gdf.geometry.iloc[0].length == pytest.approx(1000.0, abs=1e-6)
    assert gdf["name"].iloc[0] == "Большая Алматинка"


def test_geojson_in_lonlat_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(75.0, 0.0)], crs=4326).to_file(path)
    gdf = read_vector(path)
    # lon 75 E is the central meridian of UTM 43N: easting 500 000 m on the equator
    assert gdf.geometry.iloc[0].x == pytest.approx(500_000.0, abs=1e-6)
    assert gdf.geometry.iloc[0].y == pytest.approx(0.0, abs=1e-6)


def test_gpkg_several_layers_requires_a_choice(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(_line_1km(), path, layer="roads")
    pyogrio.write_dataframe(_line_1km(), path, layer="rivers", append=True)
    with pytest.raises(DataError) as err:
        read_vector(path)
    text = str(err.value)
    assert "two.gpkg" in text and "roads" in text and "rivers" in text and "--layer" in text
    assert len(read_vector(path, layer="rivers")) == 1
    with pytest.raises(DataError, match="no layer 'lakes'"):
        read_vector(path, layer="lakes")


def test_gpkg_single_layer_needs_no_choice(tmp_path: Path) -> None:
    path = tmp_path / "one.gpkg"
    pyogrio.write_dataframe(_line_1km(), path, layer="anything")
    assert len(read_vector(path)) == 1


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["cp1251", "cp866", "utf-8"])
def test_shapefile_without_cpg_detects_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "pts.shp"
    _points_shp(path, NAMES, encoding)
    cpg = path.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()
    gdf = read_vector(path)
    assert list(gdf["NAME"]) == NAMES


def test_shapefile_kazakh_kz1048_without_cpg(tmp_path: Path) -> None:
    names = ["Қонаев", "Ұзынағаш", "Өтеген батыр"]
    path = tmp_path / "kk.shp"
    # GDAL cannot write KZ-1048; write its bytes through Latin-1 (one char per byte)
    _points_shp(path, [n.encode("kz1048").decode("latin1") for n in names], "latin1")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert list(read_vector(path)["NAME"]) == names


def test_zipped_shapefile_without_cpg(tmp_path: Path) -> None:
    shp = tmp_path / "pts.shp"
    _points_shp(shp, NAMES, "cp866")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    archive = tmp_path / "pts.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("pts.*"):
            if part != archive:
                zf.write(part, part.name)
    assert list(read_vector(archive)["NAME"]) == NAMES


def test_shapefile_with_cpg_and_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "pts.shp"
    _points_shp(path, NAMES, "cp1251")
    path.with_suffix(".cpg").write_text("CP1251")
    assert list(read_vector(path)["NAME"]) == NAMES
    path.with_suffix(".cpg").unlink()
    assert list(read_vector(path, encoding="cp1251")["NAME"]) == NAMES


def test_detect_encoding_basics() -> None:
    assert detect_encoding(b"plain ascii") is None
    assert detect_encoding("склад".encode()) == "utf-8"
    assert detect_encoding("склад".encode("cp1251")) == "cp1251"
    assert detect_encoding("склад".encode("cp866")) == "cp866"


@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6))
def test_detect_encoding_property(words: list[str]) -> None:
    text = " ".join(words)
    for enc in ("cp1251", "cp866"):
        assert detect_encoding(text.encode(enc)) == enc


# --------------------------------------------------------------------------- CSV


def test_csv_xy_needs_assume_crs_and_reads_decimal_commas() -> None:
    with pytest.raises(CRSError, match="--assume-crs"):
        read_vector(FIX / "points_xy_utm.csv")
    gdf = read_vector(FIX / "points_xy_utm.csv", assume_crs="EPSG:32643")
    assert len(gdf) == 3  # the row without coordinates is kept, with no geometry
    assert gdf.geometry.iloc[1].x == pytest.approx(501_000.5)
    assert gdf.geometry.iloc[2] is None


def test_csv_lonlat_out_of_range_is_refused() -> None:
    with pytest.raises(CRSError, match="outside the lon/lat range"):
        read_vector(FIX / "lonlat_out_of_range.csv")
    gdf = read_vector(FIX / "lonlat_out_of_range.csv", assume_crs=32643)
    assert gdf.geometry.iloc[0].x == 500_000


def test_csv_wkt() -> None:
    with pytest.raises(CRSError, match="--assume-crs"):
        read_vector(FIX / "parcels_wkt.csv")
    gdf = read_vector(FIX / "parcels_wkt.csv", assume_crs="EPSG:32643")
    assert list(gdf["parcel"]) == ["P1", "P2", "P3"]
    assert gdf.geometry.iloc[0].area == pytest.approx(10_000.0)
    assert gdf.geometry.iloc[1].area == pytest.approx(1_000.0)
    assert gdf.geometry.iloc[2] is None
    assert gdf["use"].iloc[0] == "жилой дом"


def test_csv_cp1251_detected() -> None:
    gdf = read_vector(FIX / "wkt_cp1251.csv", assume_crs=32643)
    assert gdf["use"].iloc[0] == "склад"


def test_csv_bad_wkt_lists_lines() -> None:
    with pytest.raises(DataError) as err:
        read_vector(FIX / "bad_wkt.csv", assume_crs=32643)
    assert "lines 3, 4" in str(err.value) and "bad_wkt.csv" in str(err.value)


def test_csv_without_geometry_columns() -> None:
    with pytest.raises(DataError, match="no geometry columns") as err:
        read_vector(FIX / "no_geometry.csv")
    assert "lon/lat" in str(err.value)


# --------------------------------------------------------------------------- errors


def test_missing_file_suggests_close_names(tmp_path: Path) -> None:
    (tmp_path / "parcels.gpkg").write_bytes(b"")
    with pytest.raises(DataError, match="not found") as err:
        read_vector(tmp_path / "parcel.gpkg")
    assert "parcels.gpkg" in str(err.value)


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage" * 20)
    with pytest.raises(DataError, match=r"Cannot read broken\.gpkg"):
        read_vector(path)


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "data.xyz"
    path.write_text("1 2 3")
    with pytest.raises(DataError, match="unknown vector format"):
        read_vector(path)


def test_osm_extract_points_to_import_osm(tmp_path: Path) -> None:
    path = tmp_path / "x.osm.pbf"
    path.write_bytes(b"\x00")
    with pytest.raises(DataError, match="import-osm"):
        read_vector(path)


def test_shapefile_without_prj(tmp_path: Path) -> None:
    path = tmp_path / "pts.shp"
    _points_shp(path, ["a"], "utf-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match="--assume-crs"):
        read_vector(path)
    assert read_vector(path, assume_crs="EPSG:32643").geometry.iloc[0].x == 500_000


def test_shapefile_with_garbage_prj(tmp_path: Path) -> None:
    path = tmp_path / "pts.shp"
    _points_shp(path, ["a"], "utf-8")
    path.with_suffix(".prj").write_text("not a crs")
    with pytest.raises(CRSError) as err:
        read_vector(path)
    assert "pts.prj" in str(err.value)


def test_unusable_assume_crs(tmp_path: Path) -> None:
    with pytest.raises(CRSError, match="EPSG:999999"):
        read_vector(FIX / "points_xy_utm.csv", assume_crs="EPSG:999999")


def test_assume_crs_never_overrides_declared(tmp_path: Path) -> None:
    path = tmp_path / "l.gpkg"
    pyogrio.write_dataframe(_line_1km(), path)
    gdf = read_vector(path, assume_crs="EPSG:4326")
    assert gdf.geometry.iloc[0].length == pytest.approx(1000.0)


# --------------------------------------------------------------------------- Kazakh CRSs

# (EPSG, geographic datum of the CRS, central meridian, false easting)
KZ_CRS = [
    (28413, 4284, 75.0, 13_500_000.0),  # Pulkovo 1942 / Gauss-Kruger zone 13
    (28414, 4284, 81.0, 14_500_000.0),  # Pulkovo 1942 / Gauss-Kruger zone 14
    (32643, 4326, 75.0, 500_000.0),  # WGS 84 / UTM 43N
    (32644, 4326, 81.0, 500_000.0),  # WGS 84 / UTM 44N
]


@pytest.mark.parametrize(("epsg", "geog", "cm", "false_easting"), KZ_CRS)
def test_kazakh_crs_central_meridian(epsg: int, geog: int, cm: float, false_easting: float) -> None:
    """A point on the zone's central meridian maps to the false easting exactly."""
    x, _ = Transformer.from_crs(geog, epsg, always_xy=True).transform(cm, 43.0)
    assert x == pytest.approx(false_easting, abs=1e-6)


@pytest.mark.parametrize(("epsg", "geog", "cm", "false_easting"), KZ_CRS)
def test_kazakh_crs_round_trip(
    tmp_path: Path, epsg: int, geog: int, cm: float, false_easting: float
) -> None:
    """Central Almaty (76.9457 E, 43.2383 N) written in each CRS reads back to itself."""
    lon, lat = 76.9457, 43.2383
    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    path = tmp_path / f"pt_{epsg}.shp"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.Point(x, y)], crs=epsg), path
    )
    gdf = read_vector(path)
    pt = gdf.geometry.iloc[0]
    back_lon, back_lat = Transformer.from_crs(32643, 4326, always_xy=True).transform(pt.x, pt.y)
    assert back_lon == pytest.approx(lon, abs=1e-7)  # ~1 cm
    assert back_lat == pytest.approx(lat, abs=1e-7)
    wx, wy = Transformer.from_crs(4326, 32643, always_xy=True).transform(lon, lat)
    assert pt.distance(shapely.Point(wx, wy)) < 0.01


def test_detect_encoding_kazakh_letters_pick_kz1048() -> None:
    """Kazakh letters exist only in KZ-1048 (cp1251 has no Қ, Ү, І as such): short
    Kazakh values, where charset-normalizer picks cp1251 (see docs/design.md), are read
    right; Russian-only text stays cp1251 (both code pages agree on it)."""
    assert detect_encoding("Қонаев Іле ауданы".encode("kz1048")) == "kz1048"
    assert detect_encoding("Үшқоңыр".encode("kz1048")) == "kz1048"
    assert detect_encoding("Талгар склад".encode("kz1048")) == "cp1251"


def test_gpkg_binary_attribute_read_as_bytes(tmp_path: Path) -> None:
    """The geometry's WKB stays in Arrow on the way to shapely; a BLOB attribute still
    comes back as Python bytes, None where null (as a plain Arrow read gives)."""
    boxes = [shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 3), shapely.box(2, 2, 3, 3)]
    table = pa.table(
        {
            "name": ["a", None, "c"],
            "data": pa.array([b"\x00\xff\x10", None, b""], pa.binary()),
            "geometry": pa.array(list(shapely.to_wkb(boxes)), pa.binary()),
        }
    )
    path = tmp_path / "blob.gpkg"
    pyogrio.write_arrow(table, path, layer="p", driver="GPKG", geometry_name="geometry",
                        geometry_type="Polygon", crs="EPSG:32643")  # fmt: skip
    got = read_vector(path)
    assert got["data"].dtype == object
    assert got["data"].tolist() == [b"\x00\xff\x10", None, b""]
    assert got.geometry.area.tolist() == [1.0, 2.0, 1.0]
