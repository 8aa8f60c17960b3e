"""``check --out`` in every format and ``--dst-crs``, on the hand-made world."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg

from almaty_scheme.check.formats import shp_field_names
from almaty_scheme.cli import main


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Layers and four parcels (one of them invalid: no geometry), written once."""
    d = tmp_path_factory.mktemp("fmt")
    p = d / "parcels.gpkg"
    parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), None],
        cad=["A", "B", "C", "D"],
        use=["ИЖС", "ферма", "парк", "residential"],
    ).to_file(p, layer="plots")
    return {"layers": write_gpkg(d / "layers.gpkg"), "parcels": p, "dir": d}


@pytest.fixture(autouse=True)
def zone_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def run(w: dict[str, Path], out: Path, *extra: str) -> int:
    argv = ["check", str(w["parcels"]), "--layers", str(w["layers"]), "--out", str(out)]
    return main([*argv, "--catalogue", str(CATALOGUE_DIR), *extra])


def verdicts(path: Path) -> dict[str, str]:
    layer = "parcels" if path.suffix == ".gpkg" else None
    df = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    assert df["parcel_id"].is_unique
    return dict(zip(df["parcel_id"], df["verdict"], strict=True))


@pytest.fixture(scope="module")
def reference(world: dict[str, Path]) -> dict[str, str]:
    out = world["dir"] / "ref.gpkg"
    assert run(world, out) == 0
    return verdicts(out)


@pytest.mark.parametrize("ext", [".fgb", ".geojson", ".shp", ".parquet"])
def test_every_format_has_every_parcel_once(
    world: dict[str, Path], reference: dict[str, str], tmp_path: Path, ext: str
) -> None:
    out = tmp_path / f"res{ext}"
    assert run(world, out) == 0
    assert (tmp_path / "res.summary.json").exists()
    if ext == ".parquet":
        got = pd.read_parquet(out)
        assert dict(zip(got["parcel_id"], got["verdict"], strict=True)) == reference
        return
    assert verdicts(out) == reference
    assert len(reference) == 4
    hits = pd.read_csv(tmp_path / "res.hits.csv", encoding="utf-8-sig")
    assert set(hits["parcel_id"]) <= set(reference)
    assert (tmp_path / "res.input_issues.csv").exists()
    assert pyogrio.read_info(out)["crs"] == "EPSG:32643"


def test_shapefile_fields_follow_the_mapping(world: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "res.shp"
    assert run(world, out) == 0
    for s in (".shx", ".dbf", ".prj", ".cpg"):
        assert out.with_suffix(s).exists()
    assert out.with_suffix(".cpg").read_text().strip().upper() in ("UTF-8", "UTF8")
    fields = pd.read_csv(tmp_path / "res.fields.csv", encoding="utf-8-sig")
    info = pyogrio.read_info(out)
    assert list(info["fields"]) == list(fields["shp_field"])
    assert all(len(f) <= 10 for f in fields["shp_field"])
    m = dict(zip(fields["full_name"], fields["shp_field"], strict=True))
    assert m["explanation_ru"] == "expl_ru"
    assert m["verdict"] == "verdict"
    note = fields.set_index("full_name").loc["explanation_ru", "note"]
    assert "res.parcels.csv" in note
    full = pd.read_csv(tmp_path / "res.parcels.csv", encoding="utf-8-sig")
    shp = pyogrio.read_dataframe(out, read_geometry=False)
    for f, s in zip(full["explanation_ru"], shp["expl_ru"], strict=True):
        assert f.startswith(s)  # the shapefile holds the start, the CSV all of it
        assert len(s.encode("utf-8")) <= 254


def test_field_names_are_short_and_unique() -> None:
    names = shp_field_names(
        [
            "near_water_protection_m",
            "near_water_protection_strips_m",
            "explanation_ru",
            "explanation_rus",
            "EXPL_RU",
            "a",
        ]
    )
    assert names["near_water_protection_m"] == "nr_wat_pro"
    assert names["near_water_protection_strips_m"] == "nr_waprst"
    assert names["explanation_ru"] == "expl_ru"
    assert names["a"] == "a"
    low = [v.lower() for v in names.values()]
    assert len(set(low)) == len(low) and all(len(v) <= 10 for v in low)


def test_dst_crs_4326(world: dict[str, Path], reference: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "res.fgb"
    assert run(world, out, "--dst-crs", "EPSG:4326") == 0
    assert verdicts(out) == reference
    gdf = pyogrio.read_dataframe(out)
    assert gdf.crs.to_epsg() == 4326
    b = gdf.total_bounds  # Almaty is near 77 E, 43 N; the world lies a few km around it
    assert 70 < b[0] < b[2] < 85 and 38 < b[1] < b[3] < 48


def test_unknown_suffix_refused(
    world: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(world, tmp_path / "res.kml") == 2
    err = capsys.readouterr().err
    assert ".gpkg" in err and ".fgb" in err and ".shp" in err and ".geojson" in err
    assert not list(tmp_path.iterdir())


def test_unknown_dst_crs_refused(world: dict[str, Path], tmp_path: Path) -> None:
    assert run(world, tmp_path / "res.fgb", "--dst-crs", "EPSG:999999") == 2


def test_overlap_geometry_hits_beside(world: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "res.geojson"
    assert run(world, out, "--with-overlap-geometry", "--dst-crs", "EPSG:28413", "--parquet") == 0
    assert len(pd.read_parquet(tmp_path / "res.parcels.parquet")) == 4
    hits = pyogrio.read_dataframe(tmp_path / "res.hits.geojson")
    assert len(hits) and hits.crs.to_epsg() == 28413
    assert not (tmp_path / "res.hits.csv").exists()
