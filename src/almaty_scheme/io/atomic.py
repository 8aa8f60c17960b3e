"""Atomic output: write to a temporary file beside the target, then rename.

An interrupted run (error, Ctrl-C) leaves no half-written file, and an existing
output is never replaced unless ``overwrite`` is true.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from almaty_scheme.errors import OutputExistsError

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


def _cleanup(tmp: Path) -> None:
    for suffix in ("", *_SIDECARS):
        q = tmp.with_name(tmp.name + suffix)
        try:
            if q.is_dir():
                import shutil

                shutil.rmtree(q)
            elif q.exists():
                q.unlink()
        except OSError:  # pragma: no cover - best effort
            log.warning("could not remove temporary file %s", q)


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
    tmp = target.with_name(
        f".{target.stem}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}{target.suffix}"
    )
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp}")
        if target.is_dir() and overwrite:
            import shutil

            shutil.rmtree(target)
        tmp.replace(target)
    except BaseException:
        _cleanup(tmp)
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
