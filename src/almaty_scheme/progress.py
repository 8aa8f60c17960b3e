"""Progress bars for long runs: shown on a terminal, silent in logs and CI.

>>> from almaty_scheme.progress import progress
>>> for parcel in progress(parcels, desc="checking"):   # doctest: +SKIP
...     ...

A bar is drawn (by tqdm, on stderr) only when all of these hold:

* stderr (where bars go) and stdout are terminals: not a pipe, a file or a CI log
  (``almaty-scheme check ... > log.txt`` draws no bar);
* the run is not quiet (``-q``, see :mod:`almaty_scheme.logs`);
* ``CI`` is not set and ``ALMATY_SCHEME_PROGRESS`` is not ``0``
  (``ALMATY_SCHEME_PROGRESS=1`` forces bars on, e.g. for a demo recording).

Otherwise the iterable is returned unchanged, so wrapping costs nothing.

**Machine-readable progress** (for the QGIS plugin and other front ends):
``almaty-scheme --progress-json ...`` or ``ALMATY_SCHEME_PROGRESS=json`` replaces the
bars by one JSON line on stderr per step, e.g.
``{"progress": {"desc": "checking parcels", "done": 3, "total": 6, "fraction": 0.5}}``
(``total``/``fraction`` are ``null`` when unknown). Lines are emitted by bars and
counters (at most ~1 % steps) and by :func:`stage` for the coarse stages of a run.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm  # the terminal's bar: bars are drawn on terminals only (above)

from almaty_scheme import logs, settings

T = TypeVar("T")

_JSON = False
"""Set by :func:`enable_json` (``--progress-json``)."""


def _stream() -> Any:
    """Where bars go (stderr); a function so tests can substitute a terminal."""
    return sys.stderr


def _stdout() -> Any:
    """The run's standard output (bars only when it is a terminal too); for tests."""
    return sys.stdout


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


def json_mode() -> bool:
    """Whether progress goes out as JSON lines (``--progress-json`` or
    ``ALMATY_SCHEME_PROGRESS=json``)."""
    return _JSON or settings.current().progress_json


def enable_json(on: bool = True) -> None:
    """Switch this process to JSON progress lines (``on=False`` switches back; the CLI
    sets it on every invocation, so one run's ``--progress-json`` never leaks into the
    next call of ``main`` in the same process)."""
    global _JSON
    _JSON = on


def emit(desc: str | None, done: int, total: int | None) -> None:
    """Write one JSON progress line to stderr (only in :func:`json_mode`)."""
    if not json_mode():
        return
    frac = None if not total else round(min(max(done / total, 0.0), 1.0), 4)
    line = {"progress": {"desc": desc, "done": done, "total": total, "fraction": frac}}
    stream = _stream()
    stream.write(json.dumps(line, ensure_ascii=False) + "\n")
    stream.flush()


_STAGE_BAR: Any = None
"""The terminal bar of the current run's coarse stages (see :func:`stage`)."""


def stage(desc: str, done: int, total: int) -> None:
    """Report that stage ``done`` of ``total`` of a run starts.

    ``done`` counts the stages finished before this one, so ``stage("writing", 5, 6)``
    puts the bar at 5/6. In JSON mode one line is emitted; on a terminal a stage bar
    shows the current stage and the elapsed time (and closes at ``done == total``).
    """
    global _STAGE_BAR
    emit(desc, done, total)
    if json_mode() or not progress_enabled():
        return
    if _STAGE_BAR is None or done == 0:
        if _STAGE_BAR is not None:
            _STAGE_BAR.close()
        _STAGE_BAR = tqdm(
            total=total, unit="stage", leave=False, file=_stream(), dynamic_ncols=True
        )
    _STAGE_BAR.set_description_str(desc)
    _STAGE_BAR.update(done - _STAGE_BAR.n)
    if done >= total:
        _STAGE_BAR.close()
        _STAGE_BAR = None


class _JsonBar:
    """A tqdm-like counter writing JSON lines, throttled to ~1 % steps or 0.5 s."""

    def __init__(self, total: int | None, desc: str | None) -> None:
        self.total, self.desc, self.n = total, desc, 0
        self._last_n, self._last_t = -1, 0.0
        self._emit(force=True)

    def _emit(self, force: bool = False) -> None:
        step = max(1, (self.total or 0) // 100)
        now = time.monotonic()
        if force or self.n - self._last_n >= step or now - self._last_t >= 0.5:
            emit(self.desc, self.n, self.total)
            self._last_n, self._last_t = self.n, now

    def update(self, n: int = 1) -> None:
        self.n += n
        self._emit(force=self.total is not None and self.n >= self.total)

    def close(self) -> None:
        if self.n != self._last_n:
            self._emit(force=True)


def _json_iter(iterable: Iterable[T], total: int | None, desc: str | None) -> Iterator[T]:
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    bar = _JsonBar(total, desc)
    for item in iterable:
        yield item
        bar.update(1)
    bar.close()


def progress_enabled() -> bool:
    """Whether progress bars should be drawn now (see the module docstring)."""
    if json_mode():
        return False
    env = settings.current()
    if env.progress is not None:
        return env.progress
    if env.ci:
        return False
    if logs.is_quiet():
        return False
    return _isatty(_stream()) and _isatty(_stdout())


def progress(
    iterable: Iterable[T],
    total: int | None = None,
    desc: str | None = None,
    *,
    unit: str = "it",
    leave: bool = False,
    **kwargs: Any,
) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar when :func:`progress_enabled`, else return it as is.

    Parameters
    ----------
    iterable
        What to iterate over.
    total
        Number of items, when ``len(iterable)`` does not work (generators).
    desc
        Short label shown before the bar (e.g. ``"checking parcels"``).
    unit
        Unit name (``"parcel"``, ``"layer"``...).
    leave
        Keep the finished bar on screen.
    kwargs
        Passed to :class:`tqdm.tqdm`.
    """
    if json_mode():
        return _json_iter(iterable, total, desc)
    if not progress_enabled():
        return iterable
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        leave=leave,
        file=_stream(),
        dynamic_ncols=True,
        **kwargs,
    )


class ProgressCounter:
    """A manually advanced bar (``update(n)``) for work done in chunks; no-op when off.

    Use as a context manager::

        with ProgressCounter(total=n_parcels, desc="checking", unit="parcel") as bar:
            for chunk in chunks:
                ...
                bar.update(len(chunk))
    """

    def __init__(
        self, total: int | None = None, desc: str | None = None, *, unit: str = "it", **kwargs: Any
    ) -> None:
        self._bar: Any = None
        self._stepped = False
        if json_mode():
            self._bar = _JsonBar(total, desc)
        elif progress_enabled():
            self._bar = tqdm(
                total=total,
                desc=desc,
                unit=unit,
                leave=False,
                file=_stream(),
                dynamic_ncols=True,
                **kwargs,
            )

    @property
    def active(self) -> bool:
        """True if a bar is drawn."""
        return self._bar is not None

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` items."""
        if self._bar is not None:
            self._bar.update(n)

    def step(self, desc: str) -> None:
        """Start the named step of a run counted in steps: the step started before (if
        any) counts as done and the bar's label becomes ``desc``, e.g.
        ``bar.step("rivers: reading the DEM")`` ... ``bar.step("rivers: naming")``."""
        if self._bar is None:
            return
        done = int(self._stepped)
        self._stepped = True
        if isinstance(self._bar, _JsonBar):  # one line: the new step, the count so far
            self._bar.desc = desc
            self._bar.n += done
            self._bar._emit(force=True)
            return
        self._bar.update(done)
        self._bar.set_description_str(desc)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressCounter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iterate(iterable: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """Generator form of :func:`progress` (same rules)."""
    yield from progress(iterable, total=total, desc=desc)


__all__ = [
    "ProgressCounter",
    "emit",
    "enable_json",
    "iterate",
    "json_mode",
    "progress",
    "progress_enabled",
    "stage",
]
