"""Helpers for tests that run the real QGIS (Debian's 3.22): PyQGIS and qgis_process."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SYSTEM_PYTHON = Path("/usr/bin/python3")
QGIS_PROCESS = Path("/usr/bin/qgis_process.bin")
INSPECT = Path(__file__).with_name("qgis_inspect.py")


def _qgis_env(tmp: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.setdefault("XDG_RUNTIME_DIR", str(tmp))
    return env


def _missing() -> str | None:
    if not QGIS_PROCESS.is_file():
        return f"{QGIS_PROCESS} is missing (apt-get install qgis; .ci/run installs it)"
    if not SYSTEM_PYTHON.is_file():
        return f"{SYSTEM_PYTHON} is missing"
    probe = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import qgis.core"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return "PyQGIS is not importable by /usr/bin/python3 (apt-get install python3-qgis)"
    return None


@pytest.fixture(scope="session")
def qgis_ok() -> None:
    reason = _missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def qgis_environ(qgis_ok: None, tmp_path: Path) -> dict[str, str]:
    """The environment to run QGIS programs in (offscreen, no venv variables)."""
    return _qgis_env(tmp_path)


@pytest.fixture
def inspect_qgis(qgis_ok: None, tmp_path: Path) -> Callable[..., Any]:
    """Run qgis_inspect.py MODE ARGS... under the system Python; return its JSON."""

    def run(mode: str, *args: str | Path) -> Any:
        out = tmp_path / f"inspect-{mode}.json"
        cmd = [str(SYSTEM_PYTHON), str(INSPECT), mode, *map(str, args), str(out)]
        res = subprocess.run(
            cmd, capture_output=True, text=True, env=_qgis_env(tmp_path), timeout=300, check=False
        )
        assert out.is_file(), f"QGIS inspection failed ({res.returncode}):\n{res.stderr[-3000:]}"
        return json.loads(out.read_text(encoding="utf-8"))

    return run


@pytest.fixture
def qgis_process(qgis_ok: None, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """Run ``qgis_process.bin --json run ALG --K=V ...``; return the JSON answer."""

    def run(alg: str, **params: object) -> dict[str, Any]:
        args = [f"--{k}={v}" for k, v in params.items()]
        cmd = [str(QGIS_PROCESS), "--json", "run", alg, *args]
        res = subprocess.run(
            cmd, capture_output=True, text=True, env=_qgis_env(tmp_path), timeout=300, check=False
        )
        assert res.returncode == 0, f"{alg} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
        start = res.stdout.find("{")
        return dict(json.loads(res.stdout[start:]))

    return run
