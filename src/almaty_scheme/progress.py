"""Progress bars for long runs: shown on a terminal, silent in logs and CI.

>>> from almaty_scheme.progress import progress
>>> for parcel in progress(parcels, desc="checking"):   # doctest: +SKIP
...     ...

A bar is drawn (by tqdm, on stderr) only when all of these hold:

* stderr is a terminal (not a pipe, a file or a CI log);
* the run is not quiet (``-q``, see :mod:`almaty_scheme.logs`);
* ``CI`` is not set and ``ALMATY_SCHEME_PROGRESS`` is not ``0``
  (``ALMATY_SCHEME_PROGRESS=1`` forces bars on, e.g. for a demo recording).

Otherwise the iterable is returned unchanged, so wrapping costs nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm.auto import tqdm

from almaty_scheme import logs, settings

T = TypeVar("T")


def _stream() -> Any:
    """Where bars go (stderr); a function so tests can substitute a terminal."""
    return sys.stderr


def progress_enabled() -> bool:
    """Whether progress bars should be drawn now (see the module docstring)."""
    env = settings.current()
    if env.progress is not None:
        return env.progress
    if env.ci:
        return False
    if logs.is_quiet():
        return False
    stream = _stream()
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


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
        if progress_enabled():
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


__all__ = ["ProgressCounter", "iterate", "progress", "progress_enabled"]
