"""The QGIS plugin in the real QGIS 3.22: install, enable, run almaty_scheme:check; the
project's print layout exported to PNG.

The plugin zip is installed into a fresh profile (``QGIS_CUSTOM_CONFIG_PATH``), enabled
with ``qgis_process.bin plugins enable almaty_scheme`` and run with ``ALMATY_SCHEME_EXE``
pointing at a wrapper that starts this checkout's CLI in the test's virtualenv.

Parcels (the synthetic world of ``tests/unit/check_world.py``, EPSG:4326 in a layer
``plots``, as in ``test_check_cli.py``), with verdicts read from the fixture catalogue:
A lies 0-100 m from the Тургень river, in its certain water-protection strip (55 m per
side), and its use ИЖС is prohibited there; B lies 1 000-1 100 m from it, in the
water-protection zone, where farming is conditional; C is 2 000 m from the river and
3 000 m from the gas pipeline, inside the coverage: clear; D lies west of the boundary
(x from -300 to -200): outside; E has no geometry: invalid_input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg

from almaty_scheme.cli import main
from almaty_scheme.qgis.spec import style_classes

pytestmark = pytest.mark.qgis

QGIS_PROCESS = Path("/usr/bin/qgis_process.bin")
SRC = Path(__file__).resolve().parents[2] / "src"
EXPECTED = {"A": "prohibited", "B": "conditional", "C": "clear", "D": "outside"}


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    layers = write_gpkg(tmp_path / "layers.gpkg")
    p = tmp_path / "parcels.gpkg"
    parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), sq(-300, 9000), None],
        cad=["A", "B", "C", "D", "E"],
        use=["ИЖС", "ферма", "парк", "residential", "ИЖС"],
    ).to_crs(4326).to_file(p, layer="plots")
    return {"layers": layers, "parcels": p, "dir": tmp_path}


def _profile(tmp_path: Path, base_env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A fresh QGIS profile with the plugin zip unpacked; the environment to use it."""
    zip_path = tmp_path / "almaty_scheme_plugin.zip"
    assert main(["qgis-plugin", "--out", str(zip_path)]) == 0
    config = tmp_path / "qgis-config"
    plugins = config / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(plugins)
    exe = tmp_path / "almaty-scheme"
    exe.write_text(f'#!/bin/sh\nPYTHONPATH="{SRC}" exec "{sys.executable}" -m almaty_scheme "$@"\n')
    exe.chmod(0o755)
    env = dict(base_env)
    env["PATH"] = "/usr/bin:/bin:" + env.get("PATH", "")  # a venv python first: exit 139
    env["QGIS_CUSTOM_CONFIG_PATH"] = str(config)
    env["ALMATY_SCHEME_EXE"] = str(exe)
    return config, env


def _qgis_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(QGIS_PROCESS), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_plugin_installs_and_check_matches_the_cli(
    qgis_environ: dict[str, str], world: dict[str, Path], tmp_path: Path
) -> None:
    _, env = _profile(tmp_path, qgis_environ)
    res = _qgis_process(env, "plugins", "enable", "almaty_scheme")
    assert res.returncode == 0, res.stdout + res.stderr
    listing = _qgis_process(env, "list")
    assert "almaty_scheme:check" in listing.stdout and "almaty_scheme:build" in listing.stdout
    helptext = _qgis_process(env, "help", "almaty_scheme:check")
    for param in ("PARCELS", "LAYERS", "ID_FIELD", "USE_FIELD", "OUTPUT", "NEAR", "FAIL_ON"):
        assert param in helptext.stdout, param

    out = tmp_path / "qgis_results.gpkg"
    res = _qgis_process(
        env,
        "run",
        "almaty_scheme:check",
        "--",
        f"PARCELS={world['parcels']}|layername=plots",
        f"LAYERS={world['layers']}",
        "ID_FIELD=cad",
        "USE_FIELD=use",
        f"CATALOGUE={CATALOGUE_DIR}",
        f"OUTPUT={out}",
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "5 parcel(s) checked" in res.stdout  # the summary is in the log
    assert "PROHIBITED:\t1" in res.stdout and "INVALID_INPUT:\t1" in res.stdout

    cli_out = tmp_path / "cli_results.gpkg"
    rc = main(
        [
            "check",
            str(world["parcels"]),
            "--layers",
            str(world["layers"]),
            "--out",
            str(cli_out),
            "--catalogue",
            str(CATALOGUE_DIR),
            "--id-field",
            "cad",
            "--use-field",
            "use",
        ]
    )
    assert rc == 0
    got = gpd.read_file(out, layer="parcels")
    want = gpd.read_file(cli_out, layer="parcels")
    assert dict(zip(got["parcel_id"], got["verdict"], strict=True)) == dict(
        zip(want["parcel_id"], want["verdict"], strict=True)
    )
    assert dict(zip(got["parcel_id"], got["verdict"], strict=True)) == {
        **EXPECTED,
        "E": "invalid_input",
    }
    assert got["explanation_ru"].tolist() == want["explanation_ru"].tolist()


def test_missing_toolkit_gives_install_help(
    qgis_environ: dict[str, str], world: dict[str, Path], tmp_path: Path
) -> None:
    _, env = _profile(tmp_path, qgis_environ)
    assert _qgis_process(env, "plugins", "enable", "almaty_scheme").returncode == 0
    env["ALMATY_SCHEME_EXE"] = str(tmp_path / "nowhere" / "almaty-scheme")
    res = _qgis_process(
        env,
        "run",
        "almaty_scheme:check",
        "--",
        f"PARCELS={world['parcels']}",
        f"LAYERS={world['layers']}",
        f"OUTPUT={tmp_path / 'x.gpkg'}",
    )
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "ALMATY_SCHEME_EXE points to" in text
    assert "pip install almaty-scheme" in text
    assert not (tmp_path / "x.gpkg").exists()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_layout_exports_to_a_png_that_is_not_blank(
    inspect_qgis: Callable[..., Any], world: dict[str, Path], tmp_path: Path, lang: str
) -> None:
    results = tmp_path / "results.gpkg"
    argv = ["check", str(world["parcels"]), "--layers", str(world["layers"])]
    argv += ["--out", str(results), "--catalogue", str(CATALOGUE_DIR), "--use-field", "use"]
    assert main(argv) == 0
    project = tmp_path / "project.qgz"
    argv = ["qgis-project", "--layers", str(world["layers"]), "--results", str(results)]
    assert main([*argv, "--out", str(project), "--lang", lang]) == 0
    png = tmp_path / "layout.png"
    got = inspect_qgis("layout", project, png, "60")
    assert got["read_ok"] and len(got["layouts"]) == 1
    assert got["export_result"] == 0 and png.is_file()
    items = got["items"]
    assert {"map", "legend", "scalebar", "north_arrow", "title", "attribution", "catalogue"} <= set(
        items
    )
    assert items["legend"]["linked_map"] == "map" and items["scalebar"]["linked_map"] == "map"
    assert items["north_arrow"]["linked_map"] == "map"
    assert "OpenStreetMap" in items["attribution"]["text"]
    word = {"ru": "Каталог правил: версия", "en": "Rule catalogue version"}[lang]
    assert word in items["catalogue"]["text"]
    parcels_name = {"ru": "Участки", "en": "Parcels"}[lang]
    assert parcels_name in items["legend"]["layers"]
    assert parcels_name in items["map"]["layers"]
    for name in items["legend"]["layers"]:  # human names only, never table names
        assert "_" not in name, name
    # the legend's labels are the layout's language, in the renderer's order
    want = [getattr(c.label, lang) for c in style_classes("parcels")]
    assert items["legend"]["labels"][parcels_name] == want
    assert want[0] == {"ru": "Запрещено", "en": "Prohibited"}[lang]
    assert items["scalebar"]["units_label"] == {"ru": "км", "en": "km"}[lang]
    # not blank: the map and legend draw many colours over a good part of the page
    assert got["non_white_share"] > 0.05
    assert got["distinct_colours"] > 20
    if os.environ.get("ALMATY_SCHEME_KEEP_PNG"):
        png.replace(Path(os.environ["ALMATY_SCHEME_KEEP_PNG"]).with_suffix(f".{lang}.png"))


@pytest.mark.parametrize(
    ("locale", "names"),
    [
        ("ru_RU.UTF-8", ("Участки", "Пересечения участков с зонами")),
        ("en_US.UTF-8", ("Parcels", "Parcel hits")),
    ],
)
def test_check_from_a_memory_layer_and_a_selection_loads_styled_results(
    qgis_environ: dict[str, str],
    world: dict[str, Path],
    tmp_path: Path,
    locale: str,
    names: tuple[str, str],
) -> None:
    """What the Processing dialog does: any layer (memory, selected features only) works,
    and the results are loaded with the verdict style and human names in QGIS's language."""
    config, env = _profile(tmp_path, qgis_environ)
    env["LANG"] = env["LC_ALL"] = locale
    plugins = config / "profiles" / "default" / "python" / "plugins"
    out = tmp_path / "run.json"
    script = Path(__file__).with_name("qgis_plugin_run.py")
    res = subprocess.run(
        [
            "/usr/bin/python3",
            str(script),
            str(plugins),
            f"{world['parcels']}|layername=plots",
            str(world["layers"]),
            str(CATALOGUE_DIR),
            str(tmp_path),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert out.is_file(), res.stdout[-3000:] + res.stderr[-3000:]
    got = json.loads(out.read_text(encoding="utf-8"))
    assert got["runs"]["memory"]["PROHIBITED"] == 1 and got["runs"]["memory"]["CLEAR"] == 1
    assert got["runs"]["selected"]["OUTSIDE"] == 1
    assert got["runs"]["selected"]["INVALID_INPUT"] == 1
    parcels_layers = [lyr for lyr in got["loaded"] if "verdicts" in lyr]
    by_file = {Path(lyr["source"].split("|")[0]).name: lyr for lyr in parcels_layers}
    assert {f: lyr["verdicts"] for f, lyr in by_file.items()} == {
        "memory.gpkg": {"A": "prohibited", "B": "conditional", "C": "clear"},
        "selected.gpkg": {"D": "outside", "E": "invalid_input"},
        "flat.fgb": {"A": "prohibited", "B": "conditional", "C": "clear"},
    }
    for lyr in parcels_layers:
        assert lyr["name"] == names[0]
        # the verdict style: from the GeoPackage, or the plugin's QML for the .fgb
        assert lyr["renderer"] == "categorizedSymbol"
    assert {f: lyr["crs"] for f, lyr in by_file.items()} == {
        "memory.gpkg": "EPSG:32643",
        "selected.gpkg": "EPSG:32643",
        "flat.fgb": "EPSG:4326",
    }
    assert got["runs"]["flat"]["OUTPUT"].endswith("flat.fgb")
    hits = [lyr for lyr in got["loaded"] if "layername=parcel_hits" in lyr["source"]]
    assert [h["name"] for h in hits] == [names[1]] * 2
    flat_hits = [lyr for lyr in got["loaded"] if lyr["source"].endswith("flat.hits.csv")]
    assert [h["name"] for h in flat_hits] == [names[1]]


@pytest.mark.parametrize(
    ("ext", "dst_crs", "epsg"),
    [(".shp", "EPSG:28413", 28413), (".fgb", "", 32643), (".parquet", "EPSG:4326", 4326)],
)
def test_plugin_check_writes_every_cli_format_in_the_output_crs(
    qgis_environ: dict[str, str],
    world: dict[str, Path],
    tmp_path: Path,
    ext: str,
    dst_crs: str,
    epsg: int,
) -> None:
    """OUTPUT's suffix picks the format and DST_CRS the CRS, as --out and --dst-crs do."""
    _, env = _profile(tmp_path, qgis_environ)
    assert _qgis_process(env, "plugins", "enable", "almaty_scheme").returncode == 0
    out = tmp_path / f"qgis_results{ext}"
    params = [f"PARCELS={world['parcels']}|layername=plots", f"LAYERS={world['layers']}"]
    params += ["ID_FIELD=cad", "USE_FIELD=use", f"CATALOGUE={CATALOGUE_DIR}", f"OUTPUT={out}"]
    params += [f"DST_CRS={dst_crs}"] if dst_crs else []
    res = _qgis_process(env, "--json", "run", "almaty_scheme:check", "--", *params)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    answer = json.loads(res.stdout[res.stdout.find("{") :])
    assert answer["results"]["OUTPUT"] == str(out)
    assert answer["results"]["PROHIBITED"] == 1 and answer["results"]["INVALID_INPUT"] == 1
    got = gpd.read_parquet(out) if ext == ".parquet" else gpd.read_file(out)
    assert got.crs.to_epsg() == epsg
    assert dict(zip(got["parcel_id"], got["verdict"], strict=True)) == {
        **EXPECTED,
        "E": "invalid_input",
    }
    hits = "qgis_results.hits.parquet" if ext == ".parquet" else "qgis_results.hits.csv"
    assert (tmp_path / hits).is_file()
    if ext == ".parquet":  # Debian's QGIS 3.22 has GDAL 3.6 without the Parquet driver
        probe = "from osgeo import ogr; print(ogr.GetDriverByName('Parquet') is not None)"
        has_driver = subprocess.run(
            ["/usr/bin/python3", "-c", probe], capture_output=True, text=True, check=True
        ).stdout.strip()
        told = f"{out}: written, but this QGIS cannot open the format" in res.stdout
        assert told == (has_driver == "False")
