"""Logging for the command line: quiet by default, one line per finished step.

Levels of the ``almaty_scheme`` logger set by :func:`configure`:

========  ===========  ==========================================================
flag      level        what is shown
========  ===========  ==========================================================
``-q``    WARNING      warnings and errors only
(none)    NOTICE (25)  warnings, errors, and one line per finished step with its
                       time (``check: validated 5 000 parcel(s) in 0.4 s``)
``-v``    INFO         what each step found (inputs used, readings taken, ...)
``-vv``   DEBUG        everything, including temp file names
========  ===========  ==========================================================

Third-party warnings (pyogrio, numpy, shapely ...) go through logging as one line each
(``warning: RuntimeWarning: invalid value encountered in ...``), without the source line
Python's default warning display prints; deprecation warnings, which are addressed to
the developers of a library, are logged at DEBUG (``-vv``). Log records are written through
:func:`tqdm.tqdm.write`, so a progress bar on the terminal is not broken by them.

The library only logs (``logging.getLogger(__name__)``); it never configures handlers.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

NOTICE = 25
"""Level of the one-line-per-step messages: shown by default, hidden with ``-q``."""

logging.addLevelName(NOTICE, "NOTICE")

ROOT = "almaty_scheme"
_WARNINGS = f"{ROOT}.warnings"


class TqdmHandler(logging.StreamHandler[TextIO]):
    """A stream handler that writes through :func:`tqdm.write` so bars stay intact.

    Without an explicit stream it writes to whatever ``sys.stderr`` is when a record is
    emitted (so a replaced stderr, as in tests or notebooks, is followed)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._follow = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr if self._follow else self.stream)
        except (ValueError, OSError):  # stream closed under us
            self.handleError(record)


class _Formatter(logging.Formatter):
    """``warning: text`` for warnings and errors, plain text for steps, ``name: text`` for
    INFO and DEBUG (where the module helps to read a long log)."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {msg}"
        if record.levelno == NOTICE:
            return msg
        name = record.name.removeprefix(f"{ROOT}.")
        return f"{record.levelname.lower()} {name}: {msg}"


def level_for(verbose: int, quiet: bool) -> int:
    """The log level for ``-v`` count and ``-q``: ``-q`` wins over ``-v``."""
    if quiet:
        return logging.WARNING
    if verbose >= 2:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    return NOTICE


_DEV_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
"""Addressed to developers of a library, not to the user: shown with ``-vv`` only."""


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Replacement for :func:`warnings.showwarning`: one log line, no source line."""
    where = (
        filename.rsplit("/site-packages/", 1)[-1]
        if "/site-packages/" in filename
        else filename.rsplit("/", 1)[-1]
    )
    level = logging.DEBUG if issubclass(category, _DEV_WARNINGS) else logging.WARNING
    logging.getLogger(_WARNINGS).log(
        level, "%s: %s (%s:%d)", category.__name__, str(message).strip(), where, lineno
    )


def configure(verbose: int = 0, quiet: bool = False, stream: TextIO | None = None) -> int:
    """Set up the ``almaty_scheme`` logger for a command-line run; returns the level.

    Idempotent: calling it again (``-v`` after the subcommand) only changes the level,
    unless ``stream`` is given (tests), which replaces the handler.
    """
    level = level_for(verbose, quiet)
    root = logging.getLogger(ROOT)
    if stream is not None or not any(isinstance(h, TqdmHandler) for h in root.handlers):
        handler = TqdmHandler(stream)
        handler.setFormatter(_Formatter())
        root.handlers[:] = [handler]
        root.propagate = False
    root.setLevel(level)
    for name in ("pyogrio", "fiona", "rasterio", "numba", "distributed"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    warnings.showwarning = show_warning
    warnings.simplefilter("default")  # each distinct warning once per place
    return level


def is_quiet() -> bool:
    """True when only warnings and errors are shown (``-q``)."""
    return logging.getLogger(ROOT).getEffectiveLevel() > NOTICE


@contextmanager
def step(logger: logging.Logger, done: str, *args: Any) -> Iterator[None]:
    """Log ``done`` (a %-format with ``args``) with the elapsed time when the block ends.

    >>> with step(log, "validated %d parcel(s)", n):   # doctest: +SKIP
    ...     validate(...)
    ``validated 5000 parcel(s) in 0.4 s`` at level NOTICE, only if the block succeeds.
    """
    t0 = time.perf_counter()
    yield
    logger.log(NOTICE, done + " in %.1f s", *args, time.perf_counter() - t0)
