"""Kill a real ``check --overwrite`` at several points: the result set stays consistent.

A first run writes ``res.gpkg`` + ``res.summary.json``. Then runs with ``--overwrite``
are killed with SIGKILL:

* at named points (``ALMATY_SCHEME_FAULT_POINT``): ``written`` (every temporary file
  written, nothing renamed) must leave the previous set intact; ``commit`` (journal
  written, the GeoPackage renamed, the JSON not yet) must leave a journal with which the
  next run finishes the set, so that both files then carry the killed run's id;
* after increasing delays (wherever the run happens to be).

In every case, after the next run's recovery the GeoPackage and the JSON carry the same
run id, and no temporary file survives the next run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyogrio
import pytest
from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg

from almaty_scheme.io.outset import recover_folder

SRC = Path(__file__).resolve().parents[2] / "src"


def _run_ids(d: Path) -> tuple[str | None, str | None]:
    """Run id of the GeoPackage's summary table and of the JSON beside it."""
    t = pyogrio.read_dataframe(d / "res.gpkg", layer="check_summary", read_geometry=False)
    kv = dict(zip(t["key"], t["value"], strict=True))
    js = json.loads((d / "res.summary.json").read_text(encoding="utf-8"))
    return json.loads(kv["run_id"]), js.get("run_id")


def _temps(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if ".partial-" in p.name or ".commit-" in p.name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("kill")
    layers = write_gpkg(d / "layers.gpkg")
    p = d / "parcels.gpkg"
    parcels(
        [sq(100 * i, 5000 + 50 * (i % 7), 40) for i in range(300)],
        parcel_id=[f"K{i}" for i in range(300)],
    ).to_file(p)
    w = {"dir": d, "layers": layers, "parcels": p, "cache": d / "cache", "first": d / "first"}
    w["first"].mkdir()
    _complete_run(w, w["first"])
    return w


def _previous(w: dict[str, Path], d: Path) -> tuple[str | None, str | None]:
    """Put the first run's result set in ``d`` (as if a run had just made it)."""
    for name in ("res.gpkg", "res.summary.json"):
        shutil.copy2(w["first"] / name, d / name)
    ids = _run_ids(d)
    assert ids[0] is not None and ids[0] == ids[1]
    return ids


def _cmd(w: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from almaty_scheme.cli import main; sys.exit(main(sys.argv[1:]))",
        "-q",
        "check",
        str(w["parcels"]),
        "--layers",
        str(w["layers"]),
        "--out",
        str(out / "res.gpkg"),
        "--catalogue",
        str(CATALOGUE_DIR),
        *extra,
    ]


def _env(w: dict[str, Path], **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["ALMATY_SCHEME_CACHE_DIR"] = str(w["cache"])
    env.update(extra)
    return env


def _complete_run(w: dict[str, Path], out: Path, *extra: str) -> None:
    r = subprocess.run(_cmd(w, out, *extra), env=_env(w), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr


def _killed_at_point(w: dict[str, Path], out: Path, point: str, files: int = 0, **env: str) -> None:
    """Kill the run paused at ``point`` (once ``files`` temporary GeoPackages exist)."""
    sig = out / f"signal-{point}"
    proc = subprocess.Popen(
        _cmd(w, out, "--overwrite"),
        env=_env(
            w,
            ALMATY_SCHEME_FAULT_POINT=point,
            ALMATY_SCHEME_FAULT_SIGNAL=str(sig),
            ALMATY_SCHEME_FAULT_WAIT_S="300",
            **env,
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while not sig.exists():
        assert proc.poll() is None, "the run ended before reaching the fault point"
        assert time.monotonic() < deadline, "the fault point was never reached"
        time.sleep(0.05)
    while len([n for n in _temps(out) if n.endswith(".gpkg")]) < files:
        assert time.monotonic() < deadline, f"{files} temporary file(s) never appeared"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    sig.unlink()


def test_kill_before_commit_keeps_the_previous_set(world: dict[str, Path], tmp_path: Path) -> None:
    before = _previous(world, tmp_path)
    gpkg_bytes = (tmp_path / "res.gpkg").read_bytes()
    _killed_at_point(world, tmp_path, "written")
    assert _run_ids(tmp_path) == before  # the previous set, untouched
    assert (tmp_path / "res.gpkg").read_bytes() == gpkg_bytes
    left = _temps(tmp_path)
    assert left and all(".partial-" in n for n in left)  # the killed run's files...
    _complete_run(world, tmp_path, "--overwrite")
    assert _temps(tmp_path) == []  # ...are gone after the next run
    after = _run_ids(tmp_path)
    assert after[0] == after[1] != before[0]


def test_kill_while_writer_processes_write_keeps_the_previous_set(
    world: dict[str, Path], tmp_path: Path
) -> None:
    """The results GeoPackage streamed to writer processes (every run streams with
    ALMATY_SCHEME_STREAM_MIN_ROWS=1), the run killed before the writers are told to
    finish: the previous set is untouched, and the next run leaves no temporary file
    (the results file and the hits' own file)."""
    before = _previous(world, tmp_path)
    gpkg_bytes = (tmp_path / "res.gpkg").read_bytes()
    # paused with both writers at work (each has its file), then killed: the writers
    # read the end of their input and exit
    _killed_at_point(world, tmp_path, "streaming", files=2, ALMATY_SCHEME_STREAM_MIN_ROWS="1")
    assert _run_ids(tmp_path) == before
    assert (tmp_path / "res.gpkg").read_bytes() == gpkg_bytes
    _complete_run(world, tmp_path, "--overwrite")
    assert _temps(tmp_path) == []
    after = _run_ids(tmp_path)
    assert after[0] == after[1] != before[0]


def test_kill_during_commit_is_finished_by_the_next_run(
    world: dict[str, Path], tmp_path: Path
) -> None:
    before = _previous(world, tmp_path)
    _killed_at_point(world, tmp_path, "commit")
    assert any(".commit-" in n for n in _temps(tmp_path))  # the journal of the killed run
    recover_folder(tmp_path)  # what the next run does first
    killed = _run_ids(tmp_path)
    assert killed[0] == killed[1] != before[0]  # the killed run's set, complete
    assert _temps(tmp_path) == []
    _complete_run(world, tmp_path, "--overwrite")
    assert _temps(tmp_path) == []
    after = _run_ids(tmp_path)
    assert after[0] == after[1] not in (before[0], killed[0])


@pytest.mark.parametrize("delay_s", [1.0, 3.0])
def test_kill_after_delay_leaves_a_consistent_set(
    world: dict[str, Path], tmp_path: Path, delay_s: float
) -> None:
    _previous(world, tmp_path)
    proc = subprocess.Popen(
        _cmd(world, tmp_path, "--overwrite"),
        env=_env(world),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    recover_folder(tmp_path)
    now = _run_ids(tmp_path)
    assert now[0] == now[1]  # one run's set, whichever it is
    assert _temps(tmp_path) == []


# the check in a process whose files may not grow past a size (a full disk for this run
# alone; the writer processes inherit the limit); SIGXFSZ ignored: write() says EFBIG
_LIMITED = (
    "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]),) * 2); "
    "from almaty_scheme.cli import main; sys.exit(main(sys.argv[2:]))"
)


@pytest.mark.parametrize("stream", ["1", "1000000"], ids=["writer-processes", "in-process"])
def test_a_full_disk_is_an_error_line_and_harms_nothing(
    world: dict[str, Path], tmp_path: Path, stream: str
) -> None:
    """Files may not grow past 150 kB (the results GeoPackage needs more): the run
    ends, with exit 1 and one error line that names the output and says what to check,
    neither a hang nor a bug report; the previous set is untouched; no temporary file
    is left."""
    before = _previous(world, tmp_path)
    gpkg_bytes = (tmp_path / "res.gpkg").read_bytes()
    cmd = _cmd(world, tmp_path, "--overwrite")
    cmd[2:3] = [_LIMITED, "150000"]
    r = subprocess.run(
        cmd,
        env=_env(world, ALMATY_SCHEME_STREAM_MIN_ROWS=stream),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, r.stderr
    assert f"error: writing {tmp_path / 'res.gpkg'} failed: " in r.stderr
    assert "Check the free disk space" in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert _run_ids(tmp_path) == before
    assert (tmp_path / "res.gpkg").read_bytes() == gpkg_bytes
    assert _temps(tmp_path) == []
