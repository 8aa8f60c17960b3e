"""The notebooks run end to end on the reference data, and their real outputs open in QGIS.

``notebooks/01_build_layers.ipynb`` builds the layers (styled GeoPackage, .qgz, map) and
``02_check_parcels.ipynb`` checks synthetic parcels and writes the report, both in a
temporary working folder. One build serves every assertion here (a build takes ~20-30 s):
the notebooks' inline maps, the outputs' files, and, when QGIS is installed, the real
``.qgz`` and GeoPackage opened headless by QGIS 3.22 (every layer valid, feature counts
equal to the file's, the renderer its style names, the default style applied).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from almaty_scheme.qgis.spec import default_spec
from almaty_scheme.resources import default_data_dir, repo_root

nbformat = pytest.importorskip("nbformat", reason="nbformat is in the dev extra")
nbclient = pytest.importorskip("nbclient", reason="nbclient is in the dev extra")
pytest.importorskip("ipykernel", reason="ipykernel is in the dev extra")

DATA = default_data_dir()
ROOT = repo_root()
NOTEBOOKS = ("01_build_layers", "02_check_parcels")
INSPECT = Path(__file__).parents[1] / "qgis" / "qgis_inspect.py"
RENDERER = {
    "single": "singleSymbol",
    "certainty": "categorizedSymbol",
    "categories": "categorizedSymbol",
    "rules": "RuleRenderer",
    "groups": "RuleRenderer",
}

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATA / "almaty_reference.gpkg").is_file(), reason=f"reference data not found in {DATA}"
    ),
    pytest.mark.skipif(
        ROOT is None or not (ROOT / "notebooks").is_dir(),
        reason="not a source checkout: no notebooks/",
    ),
]


def _run(name: str, cwd: Path) -> Any:
    assert ROOT is not None
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return nb


def _images(nb: Any) -> int:
    return sum(
        "image/png" in o.get("data", {})
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )


def _qgis(mode: str, *args: Path, tmp: Path) -> Any:
    if not Path("/usr/bin/qgis_process.bin").is_file():
        return None
    out = tmp / f"qgis-{mode}.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp))
    res = subprocess.run(
        ["/usr/bin/python3", str(INSPECT), mode, *map(str, args), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    if "No module named 'qgis'" in res.stderr:
        return None
    assert out.is_file(), res.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_notebooks_and_their_real_outputs(tmp_path: Path) -> None:
    nb1 = _run(NOTEBOOKS[0], tmp_path)
    out = tmp_path / "out"
    gpkg, qgz = out / "almaty_scheme.gpkg", out / "almaty_scheme.qgz"
    assert gpkg.is_file() and qgz.is_file()
    assert _images(nb1) >= 1, "the overview map is not shown inline"
    nb2 = _run(NOTEBOOKS[1], tmp_path)
    assert _images(nb2) >= 2
    report = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", report)
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"

    # --- the real outputs in the real QGIS ---------------------------------------------
    spec = default_spec()
    project = _qgis("project", qgz, tmp=tmp_path)
    if project is None:
        pytest.skip("QGIS (qgis_process.bin, PyQGIS) not installed: notebooks checked only")
    assert project["read_ok"] and project["crs"] == "EPSG:32643"
    assert len(project["tree"]) == len(project["layers"]) > 15
    for node in project["tree"]:
        lyr = project["layers"][node["layer_id"]]
        name = lyr["source"].split("layername=")[1].split("|")[0]
        assert lyr["valid"], name
        if not lyr["subset"]:
            assert lyr["feature_count"] == pyogrio.read_info(gpkg, layer=name)["features"], name
        if name in spec.layers:
            assert lyr["renderer"]["type"] == RENDERER[spec.layers[name].renderer], name
    layers = _qgis("gpkg", gpkg, tmp=tmp_path)
    for name, d in layers.items():
        if name in spec.layers and d["geometry_type"] != 4:
            assert d["db_styles"]["count"] == 1, name
            assert d["renderer"]["type"] == RENDERER[spec.layers[name].renderer], name
    results = _qgis("gpkg", out / "results.gpkg", tmp=tmp_path)
    assert results["parcels"]["renderer"]["type"] == "categorizedSymbol"
    assert results["parcels"]["renderer"]["attr"] == "verdict"
