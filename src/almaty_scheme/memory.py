"""Process-level memory tuning for the batch commands (glibc only).

glibc's ``malloc`` raises its mmap threshold each time a large block is freed, up to
32 MiB, and its trim threshold with it (to twice that). After the first few big numpy
temporaries of a parcel check, freed heap space was then kept: the resident size held
the high-water mark of every step. Pinning the threshold turns the dynamic adjustment
off, so the trim threshold stays at glibc's 128 KiB and free space at the heap's top
goes back to the system; :func:`release_free_memory` gives back the rest after the
stages that let go of much. On 10^6 parcels pinning lowered the peak resident size by
280-400 MiB (9-12 %); the value pinned, 32 MiB since issue 18's tenth round (4 MiB
before), keeps blocks of up to 32 MiB on the heap, where they are reused rather than
mapped and zeroed afresh (:data:`DEFAULT_THRESHOLD`; docs/performance.md).

:func:`gc_paused` keeps Python's cyclic garbage collector out of the decoding of many
geometries at once (reading 10^6 parcels: 0.7-1.2 s less).

:func:`arrow_on_glibc` makes glibc's ``malloc`` Arrow's default memory pool, so that
Arrow's buffers are reused on the same heap.

The CLI calls :func:`pin_mmap_threshold` and :func:`arrow_on_glibc` before a check.
Library users decide for their own process. ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_`` (glibc's own switches) and ``ARROW_DEFAULT_MEMORY_POOL``
(Arrow's) in the environment win, and ``ALMATY_SCHEME_MALLOC_TUNING=0`` turns the
tuning off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from almaty_scheme import settings

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
"""``mallopt`` parameter number of the trim threshold (glibc ``malloc.h``)."""

M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter number of the mmap threshold (glibc ``malloc.h``)."""

DEFAULT_THRESHOLD = 32 * 1024 * 1024
"""Blocks of at least this many bytes are mmap'ed; smaller ones, the per-parcel arrays
of a batch (10^6 float64 = 8 MB), come from the heap and are reused there instead of
being mapped, faulted in and zeroed afresh by the kernel each time. 32 MiB is glibc's
own ceiling for its dynamic threshold; 64 and 128 MiB gave the same. It was 4 MiB
until issue 18's tenth round: at 10^6 parcels, GeoParquet in and out, 32 MiB took
0.6-1.0 s less (a quarter less system time; 780 000 page faults -> 480 000) at the same
peak; GeoPackage in and out, and 10^5 parcels, the same (docs/performance.md).
128 KiB, glibc's initial value, cost time at 10^5 parcels."""

DEFAULT_TRIM_THRESHOLD = 2 * DEFAULT_THRESHOLD
"""Free space at the heap's top that ``free`` keeps instead of giving back at once
(glibc's own ratio for its dynamic thresholds: twice the mmap threshold; 128 KiB when
the mmap threshold is pinned and this is not). The next stage's arrays reuse it instead
of faulting fresh pages in: at 10^6 parcels, GeoParquet in and out, 0.7 s less over 5
alternating pairs (a fifth less system time), the peak 20-50 MiB higher; GeoPackage
and 10^5 parcels the same. :func:`release_free_memory` still gives everything back
where a stage has let go of much."""


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library (``None`` off Linux or without one), looked up once: glibc's
    ``libc.so.6`` first (``find_library`` starts a process, a copy of this one)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def release_free_memory() -> bool:
    """Give the heap's free pages back to the system (glibc ``malloc_trim``), after a
    stage has let go of large structures made of many small blocks (the prepared
    zones) that the mmap threshold does not cover; return whether it was done.

    Does nothing off glibc or when ``ALMATY_SCHEME_MALLOC_TUNING=0``. It takes a few
    milliseconds: the heap is walked once.
    """
    if not settings.current().malloc_tuning:
        return False
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return bool(trim(0))


def _tunable_mallopt() -> Any | None:
    """glibc's ``mallopt``, typed, where the tuning applies: on Linux with glibc,
    unless ``ALMATY_SCHEME_MALLOC_TUNING=0`` or ``MALLOC_MMAP_THRESHOLD_`` is set
    (musl and others have no ``mallopt``); else ``None``."""
    if not sys.platform.startswith("linux"):
        return None
    env = settings.current()
    if not env.malloc_tuning or env.malloc_mmap_threshold_set:
        return None
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt


def pin_mmap_threshold(
    threshold: int = DEFAULT_THRESHOLD, trim: int = DEFAULT_TRIM_THRESHOLD
) -> bool:
    """Pin glibc's mmap threshold to ``threshold`` bytes and its trim threshold to
    ``trim`` bytes; return whether the mmap threshold was set.

    Does nothing (and returns ``False``) off Linux, without glibc, when
    ``MALLOC_MMAP_THRESHOLD_`` is set, or when ``ALMATY_SCHEME_MALLOC_TUNING=0``; the
    trim threshold is left alone when ``MALLOC_TRIM_THRESHOLD_`` is set.
    """
    mallopt = _tunable_mallopt()
    if mallopt is None:
        return False
    ok = bool(mallopt(M_MMAP_THRESHOLD, int(threshold)))
    log.debug("glibc mmap threshold pinned to %d bytes: %s", threshold, ok)
    if ok and not settings.current().malloc_trim_threshold_set:
        trimmed = bool(mallopt(M_TRIM_THRESHOLD, int(trim)))
        log.debug("glibc trim threshold set to %d bytes: %s", trim, trimmed)
    return ok


def arrow_on_glibc() -> bool:
    """Make glibc's ``malloc`` Arrow's default memory pool; return whether it was done.

    Arrow's own pool (mimalloc in the wheels) gives freed pages back to the system
    after a short delay, so the next batch of Arrow buffers (Parquet reading and
    writing, the conversions to and from pandas) faults them in and has them zeroed
    again; on the heap, with the thresholds of :func:`pin_mmap_threshold`, they are
    reused. Alternating runs (docs/performance.md, the tenth round): 10^5 parcels
    0.25 s less, GeoPackage or GeoParquet, in every pair; 10^6 GeoPackage 0.3 s less;
    10^6 GeoParquet a fifth less system time (0.5 s), the wall time 0.1-0.4 s less in
    6 of 8 pairs; the peak the same or lower. Does nothing where
    :func:`pin_mmap_threshold` would not pin, or when ``ARROW_DEFAULT_MEMORY_POOL``
    chooses the pool.
    """
    if settings.current().arrow_pool_set or _tunable_mallopt() is None:
        return False
    pa.set_memory_pool(pa.system_memory_pool())
    log.debug("Arrow's default memory pool: %s", pa.default_memory_pool().backend_name)
    return True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block, back on after (unless it
    was off already).

    For blocks that create many objects that cannot form reference cycles: shapely
    geometries decoded from WKB, each tracked by the collector. Every 700 new tracked
    objects start a young collection, and the older generations are walked again and
    again while a million parcels are decoded: decoding 10^6 parcels from GeoParquet took
    0.8-1.0 s with the collector and 0.35-0.5 s without it (docs/performance.md). Nothing
    is left uncollected: objects made in the block are examined at the next collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
