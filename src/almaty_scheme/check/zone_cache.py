"""The zone cache: prepared zone geometry of a layers file, kept between checks.

Preparing the zones of a built GeoPackage (tiles, convex pieces, grids, outline
segments) takes several seconds; a check keeps the result in
``<cache dir>/zones/<key>.npz`` with ``<key>.sha256`` beside it:

* **where**: ``$ALMATY_SCHEME_CACHE_DIR``, else ``$XDG_CACHE_HOME/almaty-scheme``, else
  ``~/.cache/almaty-scheme`` (:func:`default_cache_dir`);
* **what**: numpy arrays and WKB in an ``.npz`` read with ``allow_pickle=False``
  (:mod:`almaty_scheme.io.arraystore`): reading an entry cannot run code. The key is the
  SHA-256 of the layers file's bytes, the tile size and the format and toolkit versions;
  the ``.sha256`` file holds the digest of the entry, checked before it is used (a
  damaged or swapped entry is removed and rebuilt). Entries of the old pickle format are
  never read; they are removed;
* **bound**: at most ``$ALMATY_SCHEME_CACHE_MAX_MB`` MiB (default
  :data:`DEFAULT_MAX_MB`), least recently used entries evicted first (a hit refreshes
  an entry's time);
* ``almaty-scheme cache info`` / ``cache clear`` show and empty it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from almaty_scheme import settings
from almaty_scheme.errors import UsageError
from almaty_scheme.io import arraystore
from almaty_scheme.io.atomic import atomic_path
from almaty_scheme.io.outset import PARTIAL_RE, pid_alive, remove_path

log = logging.getLogger(__name__)

DEFAULT_MAX_MB = 1024.0
"""Default bound of the zone cache (MiB): about ten layers files of the reference build."""

ENTRY_SUFFIX = ".npz"
DIGEST_SUFFIX = ".sha256"
_LEGACY_SUFFIXES = (".pickle",)


def default_cache_dir() -> Path:
    """``$ALMATY_SCHEME_CACHE_DIR``, else ``$XDG_CACHE_HOME/almaty-scheme``
    (``~/.cache/almaty-scheme``)."""
    env = settings.current()
    if env.cache_dir is not None:
        return env.cache_dir
    xdg = env.xdg_cache_home
    return (xdg if xdg is not None else Path.home() / ".cache") / "almaty-scheme"


def max_bytes() -> int:
    """The cache bound in bytes (``$ALMATY_SCHEME_CACHE_MAX_MB``, default
    :data:`DEFAULT_MAX_MB`; 0 keeps nothing).

    Raises
    ------
    UsageError
        If the variable is not a number >= 0.
    """
    raw = settings.current().cache_max_mb
    try:
        mb = DEFAULT_MAX_MB if raw in (None, "") else float(raw)
    except ValueError:
        mb = -1.0
    if mb < 0:
        raise UsageError(
            f"ALMATY_SCHEME_CACHE_MAX_MB={raw!r} is not a size",
            ["Give the zone cache bound in MiB, e.g. ALMATY_SCHEME_CACHE_MAX_MB=2048 (0: none)."],
        )
    return int(mb * 1024 * 1024)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _digest_path(entry: Path) -> Path:
    return entry.with_suffix(DIGEST_SUFFIX)


def _load_checked(entry: Path, expected: str, classes: Mapping[str, type]) -> Any:
    """:func:`arraystore.load` of ``entry`` while its digest is computed on a thread
    (hashing and reading release the GIL: the reference build's 95 MB entry took
    0.21 s hashed then loaded, 0.13 s both at once). The digest decides first: a
    damaged entry is a digest mismatch, whatever the load made of it. So the load
    skips the zip's own CRC-32 checks (``verified``: 0.05 s instead of 0.09 s for
    that entry, and the digest's 0.07 s is then what the two take)."""
    with ThreadPoolExecutor(1, thread_name_prefix="zone-cache-digest") as pool:
        digest = pool.submit(_digest, entry)
        failure: Exception | None = None
        try:
            value = arraystore.load(entry, classes, verified=True)
        except Exception as exc:  # raised below, once the digest says the entry is whole
            failure = exc
        if digest.result() != expected:
            raise arraystore.StoreError("digest mismatch")
    if failure is not None:
        raise failure
    return value


def load_entry(entry: Path, classes: Mapping[str, type]) -> Any | None:
    """The cached value at ``entry`` if its digest matches, else ``None`` (a bad entry
    is removed). A hit refreshes the entry's time (least-recently-used eviction)."""
    wait_for_saves()
    if not entry.is_file():
        return None
    try:
        expected = _digest_path(entry).read_text(encoding="ascii").strip()
        value = _load_checked(entry, expected, classes)
        now = time.time()
        os.utime(entry, (now, now))
        return value
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring and removing the zone cache entry %s (%s)", entry.name, exc)
        for p in (entry, _digest_path(entry)):
            with contextlib.suppress(OSError):
                p.unlink()
        return None


_pending: list[threading.Thread] = []
_pending_lock = threading.Lock()


def wait_for_saves() -> None:
    """Wait until the entries this process writes in the background are on disk."""
    with _pending_lock:
        pending = [t for t in _pending if t is not threading.current_thread()]
        _pending[:] = [t for t in _pending if t not in pending]
    for t in pending:
        t.join()


def save_entry(entry: Path, value: Any, *, background: bool = False) -> None:
    """Store ``value`` at ``entry`` with its digest, then evict to the bound. Never
    fatal: a read-only home or a full disk only costs the cache.

    With ``background``, the value is encoded now and written by a thread while the
    caller goes on (the check runs meanwhile); the process waits for the thread before
    it exits, and :func:`load_entry`, :func:`cache_info` and :func:`clear_cache` wait
    for it first. The entry appears at once, complete, or not at (written atomically).
    """
    try:
        encoded = arraystore.encode(value)
    except TypeError as exc:
        log.info("could not write the zone cache %s (%s)", entry, exc)
        return
    if not background:
        _write_entry(entry, encoded)
        return
    thread = threading.Thread(
        target=_write_entry, args=(entry, encoded), name="zone-cache-save", daemon=False
    )
    with _pending_lock:
        _pending.append(thread)
    thread.start()


def _write_entry(entry: Path, encoded: arraystore.Encoded) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(entry, overwrite=True) as tmp:
            arraystore.write(tmp, encoded)
        with atomic_path(_digest_path(entry), overwrite=True) as tmp:
            tmp.write_text(_digest(entry) + "\n", encoding="ascii")
        log.info("cached prepared zone geometry in %s", entry)
    except (OSError, ValueError, TypeError) as exc:
        log.info("could not write the zone cache %s (%s)", entry, exc)
        return
    try:
        limit = max_bytes()
    except UsageError as exc:
        log.warning("%s; keeping the default bound of %.0f MiB", exc.summary, DEFAULT_MAX_MB)
        limit = int(DEFAULT_MAX_MB * 2**20)
    evict(entry.parent.parent, limit, keep=entry)


def _entries(cache_dir: Path) -> list[Path]:
    zones = cache_dir / "zones"
    if not zones.is_dir():
        return []
    return sorted(
        p
        for p in zones.iterdir()
        if p.suffix == ENTRY_SUFFIX and not p.name.startswith(".") and p.is_file()
    )


def _entry_size(entry: Path) -> int:
    d = _digest_path(entry)
    return entry.stat().st_size + (d.stat().st_size if d.exists() else 0)


def _drop_legacy(cache_dir: Path) -> int:
    """Remove old-format (pickle) entries and temporary files of killed writers."""
    zones = cache_dir / "zones"
    n = 0
    if zones.is_dir():
        for p in zones.iterdir():
            m = PARTIAL_RE.match(p.name)
            if p.suffix in _LEGACY_SUFFIXES or (m and not pid_alive(int(m.group(1)))):
                remove_path(p)
                n += 1
    return n


def evict(cache_dir: Path, limit: int, *, keep: Path | None = None) -> list[Path]:
    """Remove least recently used entries until the cache holds at most ``limit``
    bytes (``keep``, the entry just written, goes last). Return the entries removed."""
    _drop_legacy(cache_dir)
    entries = sorted(_entries(cache_dir), key=lambda p: (p == keep, p.stat().st_mtime))
    total = sum(_entry_size(p) for p in entries)
    removed: list[Path] = []
    for p in entries:
        if total <= limit:
            break
        total -= _entry_size(p)
        for q in (p, _digest_path(p)):
            with contextlib.suppress(OSError):
                q.unlink()
        removed.append(p)
    if removed:
        log.info("zone cache: evicted %d least recently used entr(ies)", len(removed))
    return removed


def cache_info(cache_dir: Path | None = None) -> dict[str, Any]:
    """Where the cache is, its entries (name, MiB, last use) and total against the bound."""
    wait_for_saves()
    d = cache_dir or default_cache_dir()
    entries = _entries(d)
    rows = [
        {
            "entry": p.name,
            "size_mb": round(_entry_size(p) / 2**20, 1),
            "last_used": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(p.stat().st_mtime)),
        }
        for p in sorted(entries, key=lambda p: -p.stat().st_mtime)
    ]
    return {
        "cache_dir": str(d),
        "n_entries": len(rows),
        "size_mb": round(sum(_entry_size(p) for p in entries) / 2**20, 1),
        "max_mb": round(max_bytes() / 2**20, 1),
        "entries": rows,
    }


def clear_cache(cache_dir: Path | None = None) -> int:
    """Remove every entry (and old-format or temporary files); return how many files."""
    wait_for_saves()
    d = cache_dir or default_cache_dir()
    n = _drop_legacy(d)
    for p in _entries(d):
        for q in (p, _digest_path(p)):
            if q.exists():
                q.unlink()
                n += 1
    return n
