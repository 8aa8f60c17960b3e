"""Find and run the almaty-scheme toolkit from QGIS (standard library only).

QGIS's own Python cannot be relied on to load numba and geopandas, so the Processing
algorithms run the ``almaty-scheme`` command in its own environment, as a subprocess.
The command is found, in this order:

1. the Processing setting "almaty-scheme executable" (Settings > Options > Processing >
   Providers > Almaty scheme);
2. the environment variable ``ALMATY_SCHEME_EXE``;
3. ``almaty-scheme`` on ``PATH``;
4. the Python interpreter that runs QGIS, when it can import the toolkit
   (``python -m almaty_scheme``, still a subprocess: this plugin's own package is named
   ``almaty_scheme`` too and would shadow the library if imported in-process, and a
   crash in a compiled kernel must not take QGIS down).

The subprocess is started with ``--progress-json``; its stderr carries one JSON line per
progress step (see ``almaty_scheme.progress``), which :func:`run` turns into callbacks,
and every other line goes to the log. Cancelling kills the subprocess (the toolkit
writes its outputs atomically, so nothing half-written is left behind).

This module imports nothing from QGIS so that it can be tested without it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ENV_EXE = "ALMATY_SCHEME_EXE"
"""Environment variable naming the ``almaty-scheme`` executable."""

EXE_NAME = "almaty-scheme"

INSTALL_HELP = (
    "The almaty-scheme toolkit was not found. Install it in its own Python environment "
    "(QGIS's Python cannot load its compiled dependencies), for example:\n"
    "    python3.11 -m venv ~/almaty-scheme-venv\n"
    "    ~/almaty-scheme-venv/bin/pip install almaty-scheme   "
    "(or: pip install /path/to/almaty-scheme checkout)\n"
    "then point the plugin at it: Settings > Options > Processing > Providers > "
    "Almaty scheme > 'almaty-scheme executable' = ~/almaty-scheme-venv/bin/almaty-scheme "
    "(Windows: ...\\Scripts\\almaty-scheme.exe), or set the environment variable "
    f"{ENV_EXE} to that path before starting QGIS, or put it on PATH."
)


class ToolkitNotFoundError(RuntimeError):
    """The toolkit cannot be found; the message says how to install it."""


@dataclass(frozen=True)
class Toolkit:
    """How to start the toolkit: the command prefix and where it was found."""

    command: tuple[str, ...]
    found_by: str

    def argv(self, args: Sequence[str]) -> list[str]:
        """The full command line for ``almaty-scheme --progress-json ARGS...``."""
        return [*self.command, "--progress-json", *args]


def _executable(path: str) -> str | None:
    p = Path(path.strip().strip('"')).expanduser()
    if p.is_dir():
        for name in (EXE_NAME, f"{EXE_NAME}.exe", f"bin/{EXE_NAME}", f"Scripts/{EXE_NAME}.exe"):
            if (p / name).is_file():
                return str(p / name)
        return None
    return str(p) if p.is_file() and os.access(p, os.X_OK) else None


def _python_candidates() -> list[str]:
    names = [sys.executable, str(Path(sys.exec_prefix) / "bin" / "python3")]
    names.append(str(Path(sys.exec_prefix) / "python.exe"))
    out = []
    for n in names:
        if n and Path(n).name.lower().startswith("python") and Path(n).is_file():
            out.append(n)
    return list(dict.fromkeys(out))


def _python_has_toolkit(python: str) -> bool:
    probe = "import almaty_scheme.cli, sys; sys.exit(0)"
    try:
        res = subprocess.run(
            [python, "-c", probe],
            capture_output=True,
            timeout=60,
            check=False,
            cwd=str(Path.home()),  # never the plugins folder: its package shadows the library
            env=_child_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return res.returncode == 0


def find_toolkit(setting: str | None = None, *, probe_python: bool = True) -> Toolkit:
    """The toolkit command (see the module docstring for the search order).

    Raises
    ------
    ToolkitNotFoundError
        With installation instructions, or naming a setting/variable that points nowhere.
    """
    problems = []
    for value, origin in ((setting, "the Processing setting"), (os.environ.get(ENV_EXE), ENV_EXE)):
        if value and value.strip():
            exe = _executable(value)
            if exe:
                return Toolkit((exe,), origin)
            problems.append(f"{origin} points to {value!r}, which is not an executable file.")
    on_path = shutil.which(EXE_NAME)
    if on_path:
        return Toolkit((on_path,), "PATH")
    if probe_python:
        for py in _python_candidates():
            if _python_has_toolkit(py):
                return Toolkit((py, "-m", "almaty_scheme"), f"QGIS's Python ({py})")
    raise ToolkitNotFoundError("\n".join([*problems, INSTALL_HELP]))


def _child_env() -> dict[str, str]:
    """The subprocess environment: QGIS's Python variables removed, UTF-8 output."""
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "QGIS_PREFIX_PATH")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    env.pop("ALMATY_SCHEME_PROGRESS", None)  # --progress-json decides
    return env


def parse_progress(line: str) -> tuple[float | None, str | None] | None:
    """``(fraction, description)`` of a JSON progress line, ``None`` for other lines."""
    text = line.strip()
    if not text.startswith('{"progress"'):
        return None
    try:
        data = json.loads(text)["progress"]
    except (ValueError, KeyError, TypeError):
        return None
    frac = data.get("fraction")
    return (float(frac) if frac is not None else None, data.get("desc"))


def error_block(stderr: str) -> str:
    """The toolkit's ``error:`` line(s) with the indented fixes that follow each."""
    out: list[str] = []
    keep = False
    for line in stderr.splitlines():
        if line.startswith("error:"):
            keep = True
        elif not line.startswith(" "):
            keep = False
        if keep:
            out.append(line)
    return "\n".join(out)


@dataclass
class RunResult:
    """What a toolkit run returned."""

    returncode: int
    stdout: str
    stderr: str
    cancelled: bool = False


def _pump(stream: object, name: str, q: queue.Queue[tuple[str, str | None]]) -> None:
    for raw in iter(stream.readline, ""):  # type: ignore[attr-defined]
        q.put((name, raw.rstrip("\r\n")))
    q.put((name, None))


def run(
    toolkit: Toolkit,
    args: Sequence[str],
    *,
    on_progress: Callable[[float | None, str | None], None] | None = None,
    on_line: Callable[[str, str], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    on_tick: Callable[[float], None] | None = None,
    poll_s: float = 0.1,
) -> RunResult:
    """Run ``almaty-scheme --progress-json ARGS`` and wait, reporting as it goes.

    ``on_line(stream, text)`` gets every non-progress line of ``stdout``/``stderr`` as
    it arrives; ``on_progress(fraction, desc)`` every progress line. When
    ``is_cancelled()`` turns true the process is terminated (killed after 5 s).
    ``on_tick(seconds)`` is called about once a second with the time since the last
    progress line (so a front end can show that a long stage is still running).
    """
    with subprocess.Popen(
        toolkit.argv(args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=_child_env(),
        cwd=str(Path.home()),
        start_new_session=os.name == "posix",  # cancel stops the whole process group
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console on Windows
    ) as proc:
        hooks = _Hooks(on_progress, on_line, is_cancelled, on_tick)
        return _follow(proc, hooks, poll_s)


@dataclass
class _Hooks:
    on_progress: Callable[[float | None, str | None], None] | None
    on_line: Callable[[str, str], None] | None
    is_cancelled: Callable[[], bool] | None
    on_tick: Callable[[float], None] | None


def _follow(proc: subprocess.Popen[str], hooks: _Hooks, poll_s: float) -> RunResult:
    """Read both pipes until they close, dispatching lines; stop on cancel."""
    q: queue.Queue[tuple[str, str | None]] = queue.Queue()
    threads = [
        threading.Thread(target=_pump, args=(s, n, q), daemon=True)
        for s, n in ((proc.stdout, "stdout"), (proc.stderr, "stderr"))
    ]
    for t in threads:
        t.start()
    out: dict[str, list[str]] = {"stdout": [], "stderr": []}
    open_streams, cancelled = 2, False
    last_progress = last_tick = time.monotonic()
    while open_streams:
        if not cancelled and hooks.is_cancelled is not None and hooks.is_cancelled():
            cancelled = True
            _stop(proc)
        now = time.monotonic()
        if hooks.on_tick is not None and now - last_tick >= 1.0:
            last_tick = now
            hooks.on_tick(now - last_progress)
        try:
            name, line = q.get(timeout=poll_s)
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
            continue
        prog = parse_progress(line) if name == "stderr" else None
        if prog is not None:
            last_progress = time.monotonic()
            if hooks.on_progress is not None:
                hooks.on_progress(*prog)
            continue
        out[name].append(line)
        if hooks.on_line is not None:
            hooks.on_line(name, line)
    rc = proc.wait()
    return RunResult(rc, "\n".join(out["stdout"]), "\n".join(out["stderr"]), cancelled)


def _signal(proc: subprocess.Popen[str], sig: int) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, sig)
        elif sig == signal.SIGTERM:
            proc.terminate()
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):  # already gone
        pass


def _stop(proc: subprocess.Popen[str]) -> None:
    """Terminate the run (its process group on POSIX); kill it if it lingers 5 s."""
    _signal(proc, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.poll() is None:
        _signal(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
