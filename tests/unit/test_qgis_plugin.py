"""The QGIS plugin without QGIS: the zip, finding and running the toolkit, progress lines."""

from __future__ import annotations

import ast
import json
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg

from almaty_scheme.check.output import OUT_SUFFIXES
from almaty_scheme.cli import main
from almaty_scheme.progress import ProgressCounter, emit, progress
from almaty_scheme.qgis.plugin import outputs, toolkit
from almaty_scheme.qgis.plugin.i18n import RU
from almaty_scheme.qgis.plugin_zip import PLUGIN_SOURCE

ALLOWED_IMPORTS = {
    "__future__",
    "collections",
    "dataclasses",
    "json",
    "os",
    "pathlib",
    "processing",
    "qgis",
    "queue",
    "shutil",
    "signal",
    "subprocess",
    "sys",
    "threading",
    "time",
    "typing",
}


def test_zip_is_an_installable_plugin(tmp_path: Path) -> None:
    out = tmp_path / "plugin.zip"
    assert main(["qgis-plugin", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        meta = zf.read("almaty_scheme/metadata.txt").decode("utf-8")
        names_json = json.loads(zf.read("almaty_scheme/names.json"))
    assert all(n.startswith("almaty_scheme/") for n in names)
    assert {
        "almaty_scheme/__init__.py",
        "almaty_scheme/metadata.txt",
        "almaty_scheme/icon.svg",
        "almaty_scheme/provider.py",
        "almaty_scheme/algorithms.py",
        "almaty_scheme/toolkit.py",
        "almaty_scheme/outputs.py",
        "almaty_scheme/styles/parcels.qml",  # for results in formats without a style
        "almaty_scheme/styles/parcel_hits.qml",
    } <= names
    assert not any("__pycache__" in n for n in names)
    fields = dict(line.split("=", 1) for line in meta.splitlines() if "=" in line)
    assert fields["hasProcessingProvider"] == "yes"
    assert fields["qgisMinimumVersion"] == "3.22"
    assert f"almaty_scheme/{fields['icon']}" in names
    assert fields["version"] == __import__("almaty_scheme").__version__
    assert names_json["parcels"] == {"ru": "Участки", "en": "Parcels"}
    # existing output is kept without --overwrite; both are usage errors (exit 2)
    before = out.read_bytes()
    assert main(["qgis-plugin", "--out", str(out)]) == 2
    assert out.read_bytes() == before
    assert main(["qgis-plugin", "--out", str(tmp_path / "plugin.tar")]) == 2


def test_plugin_code_imports_only_stdlib_and_qgis() -> None:
    """QGIS's Python has no numba/geopandas, and the plugin must not import the library."""
    for path in PLUGIN_SOURCE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods = [node.module or ""]
            else:
                continue
            for m in mods:
                assert m.split(".")[0] in ALLOWED_IMPORTS, f"{path.name} imports {m}"


def _fake_exe(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "almaty-scheme"
    exe.write_text(f"#!{sys.executable}\nimport sys, json, time\n{body}\n", encoding="utf-8")
    exe.chmod(0o755)
    return exe


def test_find_toolkit_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        _fake_exe(d, "")
    monkeypatch.setenv("PATH", str(b))
    monkeypatch.setenv(toolkit.ENV_EXE, str(a / "almaty-scheme"))
    assert toolkit.find_toolkit(str(b / "almaty-scheme")).found_by == "the Processing setting"
    assert toolkit.find_toolkit(None).command == (str(a / "almaty-scheme"),)
    assert toolkit.find_toolkit(str(a)).command == (str(a / "almaty-scheme"),)  # a folder
    monkeypatch.delenv(toolkit.ENV_EXE)
    assert toolkit.find_toolkit(None).found_by == "PATH"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv(toolkit.ENV_EXE, str(tmp_path / "missing"))
    with pytest.raises(toolkit.ToolkitNotFoundError) as err:
        toolkit.find_toolkit(None, probe_python=False)
    msg = str(err.value)
    assert "ALMATY_SCHEME_EXE points to" in msg and "pip install almaty-scheme" in msg
    assert "Settings > Options > Processing > Providers > Almaty scheme" in msg


def test_run_reports_progress_and_lines(tmp_path: Path) -> None:
    exe = _fake_exe(
        tmp_path,
        "assert sys.argv[1] == '--progress-json'\n"
        "for i in range(3):\n"
        "    print(json.dumps({'progress': {'desc': f's{i}', 'done': i, 'total': 2,"
        " 'fraction': i / 2}}), file=sys.stderr, flush=True)\n"
        "print('error: something', file=sys.stderr)\n"
        "print('3 parcel(s) checked')\n"
        "sys.exit(1)",
    )
    seen: list[tuple[float | None, str | None]] = []
    lines: list[tuple[str, str]] = []
    res = toolkit.run(
        toolkit.Toolkit((str(exe),), "test"),
        ["check"],
        on_progress=lambda f, d: seen.append((f, d)),
        on_line=lambda s, t: lines.append((s, t)),
    )
    assert res.returncode == 1 and not res.cancelled
    assert seen == [(0.0, "s0"), (0.5, "s1"), (1.0, "s2")]
    assert sorted(lines) == [("stderr", "error: something"), ("stdout", "3 parcel(s) checked")]


def test_cancel_stops_the_run(tmp_path: Path) -> None:
    exe = _fake_exe(
        tmp_path,
        "print(json.dumps({'progress': {'desc': 'x', 'done': 0, 'total': 1, 'fraction': 0}}),"
        " file=sys.stderr, flush=True)\ntime.sleep(60)",
    )
    started = []
    t0 = time.monotonic()
    res = toolkit.run(
        toolkit.Toolkit((str(exe),), "test"),
        [],
        on_progress=lambda f, d: started.append(f),
        is_cancelled=lambda: bool(started),
    )
    assert res.cancelled and res.returncode != 0
    assert time.monotonic() - t0 < 10


def test_parse_progress() -> None:
    line = '{"progress": {"desc": "checking parcels", "done": 3, "total": 6, "fraction": 0.5}}'
    assert toolkit.parse_progress(line) == (0.5, "checking parcels")
    assert toolkit.parse_progress("INFO almaty_scheme: something") is None
    assert toolkit.parse_progress('{"progress": broken') is None


def test_json_progress_lines(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_PROGRESS", "json")
    assert list(progress(range(4), desc="pages")) == [0, 1, 2, 3]
    with ProgressCounter(total=2, desc="steps") as bar:
        bar.update(1)
        bar.update(1)
    emit("stage", 1, 4)
    got = [json.loads(x)["progress"] for x in capsys.readouterr().err.splitlines()]
    pages = [g["done"] for g in got if g["desc"] == "pages"]
    assert pages == [0, 1, 2, 3, 4]
    assert [g["fraction"] for g in got if g["desc"] == "steps"] == [0.0, 0.5, 1.0]
    assert got[-1] == {"desc": "stage", "done": 1, "total": 4, "fraction": 0.25}


def test_check_cli_streams_stages(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("ALMATY_SCHEME_PROGRESS", raising=False)
    layers = write_gpkg(tmp_path / "layers.gpkg")
    src = tmp_path / "p.gpkg"
    parcels([sq(1000, 5000)], cad=["A"], use=["ИЖС"]).to_file(src)
    argv = ["--progress-json", "check", str(src), "--layers", str(layers)]
    argv += ["--out", str(tmp_path / "r.gpkg"), "--catalogue", str(CATALOGUE_DIR)]
    try:
        assert main(argv) == 0
    finally:
        monkeypatch.delenv("ALMATY_SCHEME_PROGRESS", raising=False)
    err = capsys.readouterr().err.splitlines()
    stages = [json.loads(x)["progress"] for x in err if x.startswith('{"progress"')]
    fractions = [s["fraction"] for s in stages]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1
    assert "checking parcels" in [s["desc"] for s in stages]


def _shown_texts() -> list[str]:
    """Texts the algorithms show: titles, help, parameter descriptions, help, options."""
    tree = ast.parse((PLUGIN_SOURCE / "algorithms.py").read_text(encoding="utf-8"))

    def text(n: ast.AST) -> str | None:
        return n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else None

    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name.startswith(("QgsProcessingParameter", "QgsProcessingOutput")):
                out += [t for t in map(text, node.args[1:2]) if t]
                for kw in node.keywords:
                    if kw.arg == "options" and isinstance(kw.value, ast.List):
                        out += [t for t in map(text, kw.value.elts) if t]
            if name in ("_help", "tr"):
                out += [t for t in map(text, node.args[-1:]) if t]
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = getattr(node.targets[0], "id", "")
            if target in ("TITLE", "HELP", "_TOOLKIT_NOTE") and text(node.value):
                out.append(str(text(node.value)))
    return list(dict.fromkeys(out))


def test_every_shown_text_has_a_russian_translation() -> None:
    texts = _shown_texts()
    assert len(texts) > 50
    missing = [t for t in texts if t not in RU]
    assert not missing, missing
    assert RU["Check parcels against the scheme"] == "Проверка участков по схеме"


def test_ticks_show_a_long_stage_is_running(tmp_path: Path) -> None:
    exe = _fake_exe(
        tmp_path,
        "print(json.dumps({'progress': {'desc': 'x', 'done': 0, 'total': 1, 'fraction': 0}}),"
        " file=sys.stderr, flush=True)\ntime.sleep(2.6)",
    )
    ticks: list[float] = []
    res = toolkit.run(toolkit.Toolkit((str(exe),), "test"), [], on_tick=ticks.append)
    assert res.returncode == 0
    assert len(ticks) >= 2 and ticks == sorted(ticks) and ticks[-1] >= 1.5


def test_error_block_keeps_the_fixes() -> None:
    stderr = (
        "INFO almaty_scheme.io: read x\n"
        "error: --out r.gpkg already exists\n"
        "  - Pass --overwrite to replace it, or choose another path.\n"
        "WARNING later\n"
    )
    assert toolkit.error_block(stderr) == (
        "error: --out r.gpkg already exists\n"
        "  - Pass --overwrite to replace it, or choose another path."
    )
    assert toolkit.error_block("INFO nothing wrong") == ""


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("r.gpkg", "r.gpkg"),
        ("r.GPKG", "r.GPKG"),
        ("r.parquet", "r.parquet"),
        ("r.fgb", "r.fgb"),
        ("r.geojson", "r.geojson"),
        ("r.shp", "r.shp"),
        ("r", "r.gpkg"),
        ("r.txt", "r.gpkg"),
    ],
)
def test_plugin_output_name_keeps_every_cli_format(name: str, want: str) -> None:
    assert outputs.normalise_out(f"/d/{name}") == f"/d/{want}"


def test_plugin_formats_are_the_cli_formats() -> None:
    assert outputs.OUT_SUFFIXES == OUT_SUFFIXES
    assert [f".{x.split('*.')[1].rstrip(')')}" for x in outputs.FILE_FILTER.split(";;")] == list(
        OUT_SUFFIXES
    )


def test_plugin_crs_argument() -> None:
    assert outputs.crs_argument("EPSG:28413", "GEOGCRS[...]") == "EPSG:28413"
    assert outputs.crs_argument("", 'PROJCRS["local"]') == 'PROJCRS["local"]'
    assert outputs.crs_argument("", "") is None


@pytest.mark.parametrize(
    ("ext", "dst_crs", "overlap"),
    [
        (".gpkg", None, False),
        (".parquet", "EPSG:4326", False),
        (".fgb", "EPSG:4326", False),
        (".geojson", None, True),
        (".shp", "EPSG:28413", False),
    ],
)
def test_plugin_finds_the_results_the_cli_writes(
    tmp_path: Path, ext: str, dst_crs: str | None, overlap: bool
) -> None:
    """The files the plugin loads are the ones ``check --out`` writes, in the output CRS.

    A (x 1000-1100) lies 0-100 m from the river: prohibited for ИЖС (see
    tests/qgis/test_qgis_plugin_in_qgis.py); C, 2 km from the river: clear.
    """
    layers = write_gpkg(tmp_path / "layers.gpkg")
    src = tmp_path / "p.gpkg"
    parcels([sq(1000, 5000), sq(5000, 7000)], cad=["A", "C"], use=["ИЖС", "парк"]).to_file(src)
    out = outputs.normalise_out(str(tmp_path / f"r{ext}"))
    argv = ["check", str(src), "--layers", str(layers), "--out", out, "--id-field", "cad"]
    argv += ["--use-field", "use", "--catalogue", str(CATALOGUE_DIR)]
    argv += ["--dst-crs", dst_crs] if dst_crs else []
    argv += ["--with-overlap-geometry"] if overlap else []
    assert main(argv) == 0
    files = outputs.result_layers(out, overlap_geometry=overlap)
    assert files.styled == (ext == ".gpkg")
    assert json.loads(Path(files.summary).read_text(encoding="utf-8"))["by_verdict"]

    def read(uri: str) -> pd.DataFrame:
        path, _, layer = uri.partition("|layername=")
        if path.endswith(".parquet"):  # the hits are a table without geometry
            return pd.read_parquet(path) if "hits" in path else gpd.read_parquet(path)
        return gpd.read_file(path, layer=layer or None)

    got = read(files.parcels)
    assert dict(zip(got["parcel_id"], got["verdict"], strict=True)) == {
        "A": "prohibited",
        "C": "clear",
    }
    assert got.crs.to_epsg() == int((dst_crs or "EPSG:32643").split(":")[1])
    hits = read(files.hits)
    assert "A" in set(hits["parcel_id"])
    if overlap:
        assert files.hits.endswith(".hits.geojson") and hits.geometry.notna().all()
