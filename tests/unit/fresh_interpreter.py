"""Test scripts run in a fresh interpreter: a process whose imports, numba state and
caches no other test has touched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run_json(script: str, tmp: Path, *, timeout: float = 900) -> dict[str, Any]:
    """Run ``script`` with ``sys.argv[1:] == [<tests/unit>, tmp]`` in a new interpreter
    and return the JSON object it printed last; its stderr's end if it failed."""
    proc = subprocess.run(
        [sys.executable, "-c", script, str(HERE), str(tmp)],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out
