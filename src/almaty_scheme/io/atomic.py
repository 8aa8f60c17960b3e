"""Atomic output: write to a temporary file beside the target, then rename.

An interrupted run (error, Ctrl-C) leaves no half-written file, and an existing
output is never replaced unless ``overwrite`` is true. Temporary names carry the pid
(:func:`~almaty_scheme.io.outset.partial_name`); those of killed runs are removed the next
time a file is written to the same folder. Sets of files that must be replaced together
use :class:`~almaty_scheme.io.outset.OutputSet`.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from almaty_scheme.errors import OutputExistsError
from almaty_scheme.io.outset import partial_name, recover_folder, remove_path

log = logging.getLogger(__name__)

_SIDECARS = ("-journal", "-wal", "-shm")


def check_writable(path: str | Path, *, overwrite: bool) -> Path:
    """Raise :class:`OutputExistsError` if ``path`` exists and ``overwrite`` is false."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise OutputExistsError(
            f"{p} already exists", ["Pass --overwrite to replace it, or choose another path."]
        )
    return p


@contextmanager
def atomic_path(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it to ``path`` on success.

    The temporary name keeps the target's suffix so that GDAL picks the right driver.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false (checked before any work).
    """
    target = check_writable(path, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_folder(target.parent)
    tmp = partial_name(target)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp}")
        if target.is_dir() and overwrite:
            shutil.rmtree(target)
        tmp.replace(target)
    except BaseException:
        remove_path(tmp)
        raise
    finally:
        for suffix in _SIDECARS:
            q = tmp.with_name(tmp.name + suffix)
            if q.exists():
                q.unlink()


def atomic_write_text(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write a text file atomically (UTF-8)."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
