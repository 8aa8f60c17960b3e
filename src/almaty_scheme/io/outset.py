"""One writer for sets of output files that must be replaced together.

A check writes a GeoPackage, a summary JSON and optional CSV/GeoParquet sidecars; a
build writes a GeoPackage and its reports. :class:`OutputSet` owns such a set:

1. **Preflight**, before any computation (:meth:`OutputSet.preflight`): no output may be
   an input (compared by resolved path and by inode, so a hard link or ``./x`` is caught,
   and *every* output of the set is compared with *every* input); no output may exist
   without ``overwrite``; every parent folder must be a folder (not a file) and writable
   (a probe file is created and removed). Stale temporary files and unfinished commits of
   killed runs in those folders are dealt with first (:func:`recover_folder`).
2. **Write** every file to its temporary path (:meth:`OutputSet.tmp`):
   ``.<name>.partial-<pid>-<random><suffix>`` beside the target, so the rename is atomic
   and a killed run's files are recognisable (hidden, with the pid that made them).
3. **Commit** (:meth:`OutputSet.commit`): a journal ``.<name>.commit-<pid>.json`` listing
   every ``temp -> target`` rename is written and synced, the renames are made in order
   (the summary last), and the journal is removed. A run killed before the journal exists
   leaves the previous set untouched (its temporaries are removed by the next run); a run
   killed during the renames leaves a journal that the next run rolls forward, so the
   set on disk is always one run's set, never a mix.

``ALMATY_SCHEME_FAULT_POINT=<name>`` makes the writer stop at a named point (``written``:
all temporaries written; ``commit``: journal written and the first file renamed) and
wait, after touching the file named by ``ALMATY_SCHEME_FAULT_SIGNAL``: the kill test uses
it to kill a real run at a known moment.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import pyogrio.errors

from almaty_scheme import settings
from almaty_scheme.errors import DataError, OutputExistsError, ProcessingError, UsageError

log = logging.getLogger(__name__)

_SQLITE_SIDECARS = ("-journal", "-wal", "-shm")
PARTIAL_RE = re.compile(r"^\..+\.partial-(\d+)-[0-9a-f]{8}")
"""Temporary files of this writer (and :func:`~almaty_scheme.io.atomic.atomic_path`)."""
COMMIT_RE = re.compile(r"^\..+\.commit-(\d+)\.json$")
"""Commit journals of this writer."""


def partial_name(target: Path) -> Path:
    """The temporary path for ``target``: hidden, with the pid, same folder and suffix
    (so that GDAL picks the right driver and the final rename is atomic)."""
    return target.with_name(
        f".{target.stem}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}{target.suffix}"
    )


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (a reused pid counts as alive: files are
    then kept, never removed under a running process)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # pragma: no cover - exotic platforms: keep the files
        return True
    return True


def remove_path(path: Path) -> None:
    """Remove a file or folder and its SQLite sidecars, ignoring what is not there."""
    for suffix in ("", *_SQLITE_SIDECARS):
        q = path.with_name(path.name + suffix)
        try:
            if q.is_dir() and not q.is_symlink():
                shutil.rmtree(q)
            elif q.exists() or q.is_symlink():
                q.unlink()
        except OSError as exc:  # pragma: no cover - best effort
            log.warning("could not remove temporary file %s (%s)", q, exc)


def _roll_forward(journal: Path) -> None:
    """Finish the renames listed in a commit journal of a killed run, then drop it."""
    try:
        pairs = json.loads(journal.read_text(encoding="utf-8"))["renames"]
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("removing unreadable commit journal %s", journal)
        journal.unlink(missing_ok=True)
        return
    for tmp_s, target_s in pairs:
        tmp, target = Path(tmp_s), Path(target_s)
        if tmp.exists():
            if target.is_dir():
                shutil.rmtree(target)
            tmp.replace(target)
    journal.unlink(missing_ok=True)
    log.warning(
        "finished the output set of an interrupted run (%s)",
        ", ".join(Path(t).name for _, t in pairs),
    )


def recover_folder(folder: Path) -> list[Path]:
    """Deal with what killed runs left in ``folder``: roll unfinished commits forward,
    then remove temporary files whose process is gone. Return the paths removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for e in entries:
        m = COMMIT_RE.match(e.name)
        if m and not pid_alive(int(m.group(1))):
            _roll_forward(e)
    for e in entries:
        m = PARTIAL_RE.match(e.name)
        if m and (e.exists() or e.is_symlink()) and not pid_alive(int(m.group(1))):
            remove_path(e)
            removed.append(e)
    if removed:
        log.info("removed %d temporary file(s) of killed runs in %s", len(removed), folder)
    return removed


def fault_point(name: str) -> None:
    """Stop here if ``ALMATY_SCHEME_FAULT_POINT`` names this point (kill tests only)."""
    env = settings.current()
    if env.fault_point != name:
        return
    if env.fault_signal is not None:
        env.fault_signal.write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(env.fault_wait_s)


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _probe_writable(folder: Path) -> str | None:
    """Create and remove a probe file in ``folder``; the OS error text if that fails."""
    probe = folder / f".almaty-scheme.probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _first_existing_parent(p: Path) -> Path:
    q = p.parent
    while not q.exists() and q != q.parent:
        q = q.parent
    return q


_SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


def input_files(*paths: str | Path | None) -> tuple[Path, ...]:
    """Every file a run reads: the given paths, a Shapefile's sidecars, the files in a
    folder (a catalogue, a data folder); ``None`` entries are skipped."""
    out: list[Path] = []
    for p in paths:
        if p is None:
            continue
        q = Path(p)
        out.append(q)
        if q.suffix.lower() == ".shp":
            out.extend(q.with_suffix(s) for s in _SHAPEFILE_SIDECARS if s != ".shp")
        if q.is_dir():
            out.extend(f for f in q.rglob("*") if f.is_file())
    return tuple(out)


WRITE_ERRORS: tuple[type[Exception], ...] = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    sqlite3.Error,
    OSError,  # Python's, Arrow's (ArrowIOError) and the writer's pipe
)
"""How GDAL, SQLite, Arrow and Python say that a file could not be written (a full
disk, a file size limit, a file system that refuses)."""

WRITE_FIX = "Check the free disk space and the write permission of the output folder."


@contextlib.contextmanager
def write_failures(target: str | Path) -> Iterator[None]:
    """Raise a failed write of ``target`` (:data:`WRITE_ERRORS`) as one
    :class:`~almaty_scheme.errors.ProcessingError` that names it and says what to check:
    the environment's failure, never reported as a bug of the toolkit."""
    try:
        yield
    except WRITE_ERRORS as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ProcessingError(
            f"writing {target} failed: {type(exc).__name__}: {why}", [WRITE_FIX]
        ) from exc


class OutputSet:
    """Files written together and replaced together (see the module docstring).

    Parameters
    ----------
    paths
        Output key -> target path, in commit order (put the summary last).
    inputs
        Every file the run reads; an output equal to any of them is refused.
    overwrite
        Replace existing outputs (never inputs).
    """

    def __init__(
        self,
        paths: Mapping[str, Path],
        *,
        inputs: Iterable[str | Path | None] = (),
        overwrite: bool = False,
    ) -> None:
        self.paths = {k: Path(v) for k, v in paths.items()}
        self.inputs = [Path(p) for p in inputs if p is not None]
        self.overwrite = overwrite
        self._tmp: dict[str, Path] = {}
        self._journal: Path | None = None

    def preflight(self) -> None:
        """Refuse, before any work, a set that cannot be written (module docstring, 1).

        Raises
        ------
        UsageError
            An output is an input.
        OutputExistsError
            An output exists and ``overwrite`` is false, or is a folder.
        DataError
            A parent path is a file, or a folder is not writable.
        """
        for key, p in self.paths.items():
            for src in self.inputs:
                if _same_file(p, src):
                    raise UsageError(
                        f"The output {p} ({key}) would replace the input {src}",
                        ["Choose another --out path: no output may have an input's name."],
                    )
        folders: dict[Path, None] = {}
        for p in self.paths.values():
            if p.is_dir():
                raise OutputExistsError(
                    f"{p} is a folder", ["Give a file path for the output, e.g. out/results.gpkg."]
                )
            anc = _first_existing_parent(p)
            if not anc.is_dir():
                raise DataError(
                    f"Cannot write {p}: {anc} is a file, not a folder",
                    [f"Choose an output folder that does not collide with the file {anc}."],
                )
            folders[anc] = None
        for folder in folders:
            why = _probe_writable(folder)
            if why is not None:
                raise DataError(
                    f"Cannot write to the folder {folder} ({why})",
                    ["Choose a writable output folder, or fix its permissions."],
                )
            recover_folder(folder)
        for p in self.paths.values():
            if p.exists() and not self.overwrite:
                raise OutputExistsError(
                    f"{p} already exists",
                    ["Pass --overwrite to replace it, or choose another path."],
                )

    def tmp(self, key: str) -> Path:
        """The temporary path to write output ``key`` to (created on first call)."""
        if key not in self._tmp:
            target = self.paths[key]
            target.parent.mkdir(parents=True, exist_ok=True)
            self._tmp[key] = partial_name(target)
        return self._tmp[key]

    def abort(self) -> None:
        """Remove every temporary file written so far; once a commit journal exists the
        files are kept, so that the next run finishes the set (never half of it)."""
        if self._journal is not None and self._journal.exists():
            log.warning("the output set could not be completed; the next run finishes it")
            return
        for t in self._tmp.values():
            remove_path(t)
        self._tmp.clear()

    def commit(self, order: Sequence[str] | None = None) -> dict[str, Path]:
        """Rename every temporary file to its target (module docstring, 3); return the
        targets written, by key."""
        keys = [k for k in (order or list(self.paths)) if k in self._tmp]
        for k in keys:
            if not self._tmp[k].exists():
                raise FileNotFoundError(f"nothing was written to {self._tmp[k]}")
        for k in keys:
            target = self.paths[k]
            if target.exists() and not self.overwrite:
                raise OutputExistsError(
                    f"{target} appeared while the results were computed",
                    ["Pass --overwrite to replace it, or choose another path."],
                )
        if not keys:
            return {}
        first = self.paths[keys[0]]
        journal = first.with_name(f".{first.name}.commit-{os.getpid()}.json")
        renames = [[str(self._tmp[k]), str(self.paths[k])] for k in keys]
        with journal.open("w", encoding="utf-8") as f:
            json.dump({"renames": renames}, f)
            f.flush()
            os.fsync(f.fileno())
        self._journal = journal
        for i, k in enumerate(keys):
            target = self.paths[k]
            if target.is_dir():
                shutil.rmtree(target)
            self._tmp[k].replace(target)
            for suffix in _SQLITE_SIDECARS:
                with contextlib.suppress(OSError):
                    self._tmp[k].with_name(self._tmp[k].name + suffix).unlink()
            if i == 0:
                fault_point("commit")
        journal.unlink()
        self._journal = None
        self._tmp.clear()
        return {k: self.paths[k] for k in keys}

    @property
    def target(self) -> Path:
        """The set's first target, which a failed write names (:func:`write_failures`)."""
        return next(iter(self.paths.values()))

    @contextlib.contextmanager
    def writing(self) -> Iterator[OutputSet]:
        """``with outs.writing(): ...`` removes the temporaries if the block fails; a
        failed write (:func:`write_failures`) names :attr:`target`."""
        try:
            with write_failures(self.target):
                yield self
        except BaseException:
            self.abort()
            raise
