"""Progress bars: on a terminal only, never in logs, CI or quiet runs."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import geopandas as gpd
import pytest
from fresh_interpreter import run_json
from shapely.geometry import box

from almaty_scheme.base.hydro.streams import DERIVE_STEPS, derive_rivers
from almaty_scheme.base.osm import read_osm
from almaty_scheme.catalogue.data_models import HydroAnchors
from almaty_scheme.cli import main
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError
from almaty_scheme.progress import ProgressCounter, progress, progress_enabled

OSM_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "osm" / "almaty_sample.osm"


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> _TTY:
    stream = _TTY()
    monkeypatch.setattr("almaty_scheme.progress._stream", lambda: stream)
    monkeypatch.setattr("almaty_scheme.progress._stdout", _TTY)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ALMATY_SCHEME_PROGRESS", raising=False)
    logging.getLogger("almaty_scheme").setLevel(logging.INFO)
    return stream


def test_bar_drawn_on_a_terminal(tty: _TTY) -> None:
    assert progress_enabled()
    items = [1, 2, 3]
    assert list(progress(items, desc="checking parcels")) == items
    assert "checking parcels" in tty.getvalue()
    with ProgressCounter(total=10, desc="chunks") as bar:
        assert bar.active
        bar.update(10)
    assert "chunks" in tty.getvalue()


def test_quiet_in_ci_and_with_minus_q(tty: _TTY, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [1, 2]
    monkeypatch.setenv("CI", "true")
    assert progress(items) is items
    monkeypatch.delenv("CI")
    logging.getLogger("almaty_scheme").setLevel(logging.WARNING)  # what -q does
    assert progress(items) is items
    assert not ProgressCounter(total=2).active
    logging.getLogger("almaty_scheme").setLevel(logging.INFO)
    monkeypatch.setenv("ALMATY_SCHEME_PROGRESS", "0")
    assert progress(items) is items
    assert tty.getvalue() == ""


def test_quiet_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("almaty_scheme.progress._stream", io.StringIO)
    monkeypatch.setattr("almaty_scheme.progress._stdout", _TTY)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ALMATY_SCHEME_PROGRESS", raising=False)
    items = (i for i in range(3))
    assert progress(items) is items
    monkeypatch.setenv("ALMATY_SCHEME_PROGRESS", "1")  # forced on, e.g. for a recording
    assert progress_enabled()


def test_quiet_when_stdout_is_not_a_terminal(tty: _TTY, monkeypatch: pytest.MonkeyPatch) -> None:
    """``almaty-scheme ... > log.txt``: the output is captured, so no bar on stderr."""
    monkeypatch.setattr("almaty_scheme.progress._stdout", io.StringIO)
    assert not progress_enabled()
    with ProgressCounter(total=2, desc="steps") as bar:
        bar.step("one")
        bar.step("two")
        assert not bar.active
    assert tty.getvalue() == ""


def test_named_steps(tty: _TTY, monkeypatch: pytest.MonkeyPatch) -> None:
    """``step(desc)`` counts the step before as done and shows the new one's name."""
    with ProgressCounter(total=3, desc="rivers", unit="step") as bar:
        bar.step("rivers: reading the DEM")
        assert bar._bar.n == 0 and bar._bar.desc == "rivers: reading the DEM"
        bar.step("rivers: naming")
        assert bar._bar.n == 1 and bar._bar.desc == "rivers: naming"
    assert "rivers: reading the DEM" in tty.getvalue()
    tty.truncate(0)
    tty.seek(0)
    monkeypatch.setenv("ALMATY_SCHEME_PROGRESS", "json")
    with ProgressCounter(total=2, desc="rivers", unit="step") as bar:
        bar.step("a")
        bar.step("b")
        bar.update(1)
    got = [json.loads(x)["progress"] for x in tty.getvalue().splitlines()]
    assert [(g["desc"], g["done"]) for g in got] == [
        ("rivers", 0),
        ("a", 0),
        ("b", 1),
        ("b", 2),
    ]


def test_river_derivation_reports_its_steps(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """Every step of the ~7-20 s derivation is named on the bar, in order (JSON form)."""
    monkeypatch.setenv("ALMATY_SCHEME_PROGRESS", "json")
    boundary = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=WORKING_CRS)
    with pytest.raises(DataError):  # a missing DEM: the bar still names the steps it reached
        derive_rivers("/nonexistent/dem.tif", boundary, HydroAnchors(version="1.0.0"))
    got = [json.loads(x)["progress"]["desc"] for x in capsys.readouterr().err.splitlines()]
    assert got[:3] == ["rivers", DERIVE_STEPS[0], DERIVE_STEPS[1]]


def test_osm_import_bar_and_minus_q(tty: _TTY, tmp_path: Path) -> None:
    """import-osm draws a bar of features read on a terminal, none with -q."""
    read_osm(OSM_FIXTURE)
    assert f"reading {OSM_FIXTURE.name}" in tty.getvalue()
    tty.truncate(0)
    tty.seek(0)
    assert main(["import-osm", str(OSM_FIXTURE), "--out", str(tmp_path / "a.gpkg"), "-q"]) == 0
    assert tty.getvalue() == ""
    assert main(["import-osm", str(OSM_FIXTURE), "--out", str(tmp_path / "b.gpkg")]) == 0
    assert f"reading {OSM_FIXTURE.name}" in tty.getvalue()


def test_the_cli_imports_no_asyncio(tmp_path: Path) -> None:
    """Bars are for terminals, so the terminal's bar class: ``tqdm.auto`` imported
    asyncio (and with it ssl and subprocess) into every command, 0.02 s of each."""
    script = (
        "import json, sys\n"
        "import almaty_scheme.cli, almaty_scheme.check.run, almaty_scheme.progress\n"
        "print(json.dumps({'asyncio': 'asyncio' in sys.modules}))\n"
    )
    assert run_json(script, tmp_path) == {"asyncio": False}
