"""The wheel ships the catalogue and the styles: an installed CLI finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (whl,) = out.glob("almaty_scheme-*.whl")
    return whl


def test_wheel_holds_catalogue_and_styles(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    layers = {p.name for p in (ROOT / "layers").iterdir() if p.is_file()}
    styles = {p.name for p in (ROOT / "styles").iterdir() if p.is_file()}
    assert {f"almaty_scheme/_data/layers/{n}" for n in layers} <= names
    assert {f"almaty_scheme/_data/styles/{n}" for n in styles} <= names
    assert "almaty_scheme/py.typed" in names  # typed package (PEP 561)
    # the QGIS plugin's own files (qgis-plugin zips them from the installed package)
    plugin = ROOT / "src" / "almaty_scheme" / "qgis" / "plugin"
    files = {p.name for p in plugin.iterdir() if p.is_file() and p.suffix != ".pyc"}
    assert {"metadata.txt", "icon.svg", "algorithms.py"} <= files
    assert {f"almaty_scheme/qgis/plugin/{n}" for n in files} <= names


def test_installed_cli_uses_the_packaged_catalogue(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALMATY_SCHEME")}
    # the unpacked wheel first on the path, the test venv's dependencies after it
    env["PYTHONPATH"] = str(site)
    code = "import almaty_scheme.resources as r, sys; print(r.layers_dir()); print(r.styles_dir())"
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    layers_dir, styles_dir = res.stdout.split()
    assert Path(layers_dir) == site / "almaty_scheme" / "_data" / "layers"
    assert Path(styles_dir) == site / "almaty_scheme" / "_data" / "styles"
    res = subprocess.run(
        [sys.executable, "-m", "almaty_scheme", "rules", "list", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert '"roads.almaty_ust_kamenogorsk.bakad_kapchagay_zhana_ile"' in res.stdout
