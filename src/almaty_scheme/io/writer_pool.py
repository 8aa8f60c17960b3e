"""GeoPackage writer processes started ahead of need (standard library only).

A writer process (:mod:`almaty_scheme.io.gpkg_worker`, fed by
:class:`~almaty_scheme.io.gpkg_stream.GpkgStream`) takes 0.2-0.3 s of CPU to start:
Python, pyarrow and GDAL. Started when a stream asks for it, that start competes with
the check's parallel kernels for the two cores. :func:`prestart` starts writers while
the caller's work is on one core (the command line's imports, the reading of the
parcels), and the streams then :func:`take` them; :func:`discard_prestarted` ends
those not taken (and this process's exit does). This module imports nothing heavy, so
the command line can call it before it imports the library.
"""

from __future__ import annotations

import atexit
import contextlib
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

try:  # Linux and macOS; the pipe keeps its default size elsewhere
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

WORKER = Path(__file__).with_name("gpkg_worker.py")
"""The writer process's script."""

_PIPE_BYTES = 1 << 20
"""The writer's pipe buffer where Linux allows it (``F_SETPIPE_SZ``; 64 KiB by default,
1 MiB is what an unprivileged process may ask): the small layers after a large one
(``check_zones`` after the hits) then go into the pipe whole, so
:meth:`~almaty_scheme.io.gpkg_stream.GpkgStream.drain`
need not wait for the writer to read them."""


def can_spawn() -> bool:
    """Whether this interpreter can start the writer process (a ``python`` executable;
    not inside an application that embeds Python, such as QGIS)."""
    exe = Path(sys.executable or "")
    return exe.name.lower().startswith("python") and exe.exists()


_Writer = tuple["subprocess.Popen[bytes]", IO[bytes]]
"""A writer process and the temporary file of its standard error."""

_IDLE: list[_Writer] = []
"""Writers started ahead (:func:`prestart`), waiting for their GeoPackage's path."""
_IDLE_LOCK = threading.Lock()


def _spawn() -> _Writer:
    """Start a writer process (it waits for the first line of its input: the path)."""
    # closed by the stream's close() or abort(), or by discard_prestarted()
    stderr = tempfile.TemporaryFile()  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-P", str(WORKER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,  # a line per layer written, when asked (GpkgStream.written)
        stderr=stderr,
    )
    set_pipe = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_pipe is not None and proc.stdin is not None:
        with contextlib.suppress(OSError):  # a smaller limit: the default stays
            fcntl.fcntl(proc.stdin.fileno(), set_pipe, _PIPE_BYTES)
    return proc, stderr


def prestart(count: int) -> None:
    """Have ``count`` writer processes started and waiting for the next
    :class:`~almaty_scheme.io.gpkg_stream.GpkgStream` objects of this process to take:
    more are started, and those beyond ``count`` are ended (nothing is started where
    :func:`can_spawn` is false). A run that knows how many writers it will use calls it
    as early as it can: each writer's start (0.2-0.3 s of CPU) then overlaps the run's
    one-core work instead of its parallel kernels. :func:`discard_prestarted` ends the
    writers not taken; so does this process's exit."""
    with _IDLE_LOCK:
        extra = _IDLE[max(count, 0) :]
        del _IDLE[max(count, 0) :]
        while can_spawn() and len(_IDLE) < count:
            _IDLE.append(_spawn())
    _end(extra)


def take() -> _Writer:
    """A writer started ahead, if one is still alive, else a new one."""
    with _IDLE_LOCK:
        while _IDLE:
            proc, stderr = _IDLE.pop(0)
            if proc.poll() is None:
                return proc, stderr
            _end([(proc, stderr)])
    return _spawn()


def discard_prestarted() -> None:
    """End the writers that :func:`prestart` started and no stream took."""
    prestart(0)


def _end(idle: list[_Writer]) -> None:
    """End idle writers. They have no file yet (their first line, the path, was never
    sent), so they are killed: one still starting would make a clean exit wait for it."""
    for proc, stderr in idle:
        proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        stderr.close()


atexit.register(discard_prestarted)
