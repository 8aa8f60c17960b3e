"""Every environment variable the toolkit reads, in one place.

No other module reads ``os.environ``: they call :func:`current` and use the fields of
the frozen :class:`Settings` it returns. Nothing is read at import time; each call takes
a fresh snapshot (a handful of dictionary look-ups), so a variable set by a script or a
test before a run is seen by that run.

========================================  ==========================================  =========================================
variable                                  meaning                                     default
========================================  ==========================================  =========================================
``ALMATY_SCHEME_LAYERS``                  folder of the rule catalogue (YAML, CSV)    shipped ``layers/`` (``_data`` in a wheel)
``ALMATY_SCHEME_STYLES``                  folder of the QML/SLD styles                shipped ``styles/``
``ALMATY_SCHEME_DATA``                    folder of the reference open data           ``../shared/data`` beside the checkout
``ALMATY_SCHEME_SEED``                    the scheme's text (quote checks)            ``<data>/../seeds/000_…txt``
``ALMATY_SCHEME_CACHE_DIR``               cache of prepared zone geometry             ``$XDG_CACHE_HOME/almaty-scheme``
``XDG_CACHE_HOME``                        user cache root (freedesktop)               ``~/.cache``
``ALMATY_SCHEME_PROGRESS``                ``1``/``0`` bars on/off, ``json`` JSON lines on when stderr is a terminal
``CI``                                    set on CI runners: no progress bars         unset
``ALMATY_SCHEME_NUMBA_THREADS``           threads of the compiled check kernels       numba's default (one per core)
``ALMATY_SCHEME_MALLOC_TUNING``           ``0`` turns glibc's mmap/trim tuning off    on (``1``)
``MALLOC_MMAP_THRESHOLD_``                glibc's own switch; when set it wins        unset
``MALLOC_TRIM_THRESHOLD_``                glibc's own switch; when set it wins        unset
``ARROW_DEFAULT_MEMORY_POOL``             Arrow's own switch; when set it wins        unset (glibc's malloc in a check)
``ALMATY_SCHEME_CACHE_MAX_MB``            bound of the zone cache (LRU eviction)      1024 (``0`` keeps nothing)
``ALMATY_SCHEME_STREAM_MIN_ROWS``         fewest parcels whose results GeoPackage     200000
                                          writer processes write (``0``: never)
``ALMATY_SCHEME_FAULT_POINT``             tests: pause the writer at this named point unset
``ALMATY_SCHEME_FAULT_SIGNAL``            tests: file to write the pid to on pausing  unset
``ALMATY_SCHEME_FAULT_WAIT_S``            tests: how long to pause                    60
========================================  ==========================================  =========================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_OFF = ("0", "false", "no", "off", "")


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name)
    return Path(value) if value else None


def _threads(value: str | None) -> int | None:
    if not value:
        return None
    n = int(value)
    if n < 1:
        raise ValueError(f"ALMATY_SCHEME_NUMBA_THREADS must be >= 1, not {value!r}")
    return n


STREAM_MIN_ROWS = 200_000
"""Default of ``ALMATY_SCHEME_STREAM_MIN_ROWS``: at 10^5 parcels writing in the check's
own process took 0.3-0.6 s less, at 3 x 10^5 the writer processes were as fast or faster."""


def _stream_min_rows(value: str | None) -> int | None:
    if value is None or not value.strip():
        return STREAM_MIN_ROWS
    n = int(value)
    if n < 0:
        raise ValueError(f"ALMATY_SCHEME_STREAM_MIN_ROWS must be >= 0, not {value!r}")
    return n or None


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment variables the toolkit reads (see the module table).

    Attributes
    ----------
    layers_dir, styles_dir
        Overrides of the shipped catalogue and styles folders (``None``: shipped).
    data_dir, seed_path
        Overrides of the reference data folder and of the scheme's text.
    cache_dir
        Override of the zone-geometry cache folder.
    xdg_cache_home
        ``$XDG_CACHE_HOME`` (the cache goes to ``<it>/almaty-scheme`` without an override).
    progress
        ``True``/``False`` when ``ALMATY_SCHEME_PROGRESS`` forces bars on/off, else ``None``.
    progress_json
        ``ALMATY_SCHEME_PROGRESS=json``: progress as JSON lines (front ends, QGIS).
    ci
        ``CI`` is set to something non-empty.
    numba_threads
        Threads of the compiled kernels, or ``None`` for numba's default.
    malloc_tuning
        ``ALMATY_SCHEME_MALLOC_TUNING`` is not ``0``.
    malloc_mmap_threshold_set
        glibc's ``MALLOC_MMAP_THRESHOLD_`` is present (then it wins over the tuning).
    malloc_trim_threshold_set
        glibc's ``MALLOC_TRIM_THRESHOLD_`` is present (then it wins over the tuning).
    arrow_pool_set
        Arrow's ``ARROW_DEFAULT_MEMORY_POOL`` is present (then it wins over the tuning).
    cache_max_mb
        The zone cache's bound as given (validated by ``check.zone_cache.max_bytes``).
    stream_min_rows
        Fewest parcels whose results GeoPackage is written by writer processes while
        the check goes on (``check.gpkg_out.GpkgResults``); ``None`` never.
    fault_point, fault_signal, fault_wait_s
        Fault injection for the kill tests (``io.outset``): where to pause, the file that
        announces the pause, and for how long.
    """

    layers_dir: Path | None = None
    styles_dir: Path | None = None
    data_dir: Path | None = None
    seed_path: Path | None = None
    cache_dir: Path | None = None
    xdg_cache_home: Path | None = None
    progress: bool | None = None
    progress_json: bool = False
    ci: bool = False
    numba_threads: int | None = None
    malloc_tuning: bool = True
    malloc_mmap_threshold_set: bool = False
    malloc_trim_threshold_set: bool = False
    arrow_pool_set: bool = False
    cache_max_mb: str | None = None
    stream_min_rows: int | None = STREAM_MIN_ROWS
    fault_point: str | None = None
    fault_signal: Path | None = None
    fault_wait_s: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the variables from ``env`` (default: ``os.environ``).

        Raises
        ------
        ValueError
            ``ALMATY_SCHEME_NUMBA_THREADS`` is not a positive integer, or
            ``ALMATY_SCHEME_STREAM_MIN_ROWS`` not a whole number >= 0.
        """
        e: Mapping[str, str] = os.environ if env is None else env
        forced = e.get("ALMATY_SCHEME_PROGRESS")
        return cls(
            layers_dir=_path(e, "ALMATY_SCHEME_LAYERS"),
            styles_dir=_path(e, "ALMATY_SCHEME_STYLES"),
            data_dir=_path(e, "ALMATY_SCHEME_DATA"),
            seed_path=_path(e, "ALMATY_SCHEME_SEED"),
            cache_dir=_path(e, "ALMATY_SCHEME_CACHE_DIR"),
            xdg_cache_home=_path(e, "XDG_CACHE_HOME"),
            progress=None
            if forced is None or forced.strip().lower() == "json"
            else forced.strip().lower() not in _OFF,
            progress_json=(forced or "").strip().lower() == "json",
            ci=bool(e.get("CI")),
            numba_threads=_threads(e.get("ALMATY_SCHEME_NUMBA_THREADS")),
            malloc_tuning=e.get("ALMATY_SCHEME_MALLOC_TUNING", "1") != "0",
            malloc_mmap_threshold_set="MALLOC_MMAP_THRESHOLD_" in e,
            malloc_trim_threshold_set="MALLOC_TRIM_THRESHOLD_" in e,
            arrow_pool_set="ARROW_DEFAULT_MEMORY_POOL" in e,
            cache_max_mb=e.get("ALMATY_SCHEME_CACHE_MAX_MB"),
            stream_min_rows=_stream_min_rows(e.get("ALMATY_SCHEME_STREAM_MIN_ROWS")),
            fault_point=e.get("ALMATY_SCHEME_FAULT_POINT"),
            fault_signal=_path(e, "ALMATY_SCHEME_FAULT_SIGNAL"),
            fault_wait_s=float(e.get("ALMATY_SCHEME_FAULT_WAIT_S", "60")),
        )


def current() -> Settings:
    """The settings as the environment holds them now."""
    return Settings.from_env()


__all__ = ["Settings", "current"]
