"""glibc mmap-threshold pinning used by the check command."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from almaty_scheme import memory
from almaty_scheme.memory import arrow_on_glibc, pin_mmap_threshold

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="needs glibc")
def test_pins_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("ALMATY_SCHEME_MALLOC_TUNING", raising=False)
    assert pin_mmap_threshold() is True


def test_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert pin_mmap_threshold() is False
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    monkeypatch.setenv("ALMATY_SCHEME_MALLOC_TUNING", "0")
    assert pin_mmap_threshold() is False


_HEAP_PROBE = """
import ctypes, json
from pathlib import Path
from almaty_scheme.memory import pin_mmap_threshold

def in_heap(address):
    for line in Path("/proc/self/maps").read_text(encoding="ascii").splitlines():
        if line.rstrip().endswith("[heap]"):
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= address < hi:
                return True
    return False

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
pinned = pin_mmap_threshold()
blocks = {mib: libc.malloc(mib << 20) for mib in (16, 48)}
print(json.dumps({"pinned": pinned, **{str(m): in_heap(b) for m, b in blocks.items()}}))
"""
"""Run in a fresh process: in a long-lived one (a test worker), free space already on
the heap may serve any size whatever the threshold (glibc maps a block only when the
heap cannot give it)."""


@pytest.mark.skipif(not GLIBC, reason="needs glibc")
def test_pinned_threshold_keeps_blocks_below_32_mib_on_the_heap() -> None:
    # a per-parcel array of 10^6-2x10^6 numbers (8-16 MiB) is reused on the heap, not
    # mapped and zeroed afresh; a larger block is still its own mapping, given back
    # when freed (with the 4 MiB pinned before, 16 MiB was a mapping)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MALLOC_") and k != "ALMATY_SCHEME_MALLOC_TUNING"
    }
    out = subprocess.run(
        [sys.executable, "-c", _HEAP_PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == {"pinned": True, "16": True, "48": False}


class _Mallopt:
    """A stand-in for glibc's ``mallopt`` that records its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.argtypes: list[Any] = []
        self.restype: Any = None

    def __call__(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
@pytest.mark.parametrize("trim_env", [None, "131072"])
def test_trim_threshold_is_twice_the_mmap_threshold(
    monkeypatch: pytest.MonkeyPatch, trim_env: str | None
) -> None:
    # glibc's own ratio (its dynamic thresholds keep trim = 2 x mmap); a
    # MALLOC_TRIM_THRESHOLD_ in the environment is glibc's and wins
    fake = _Mallopt()
    monkeypatch.setattr(memory, "_libc", lambda: SimpleNamespace(mallopt=fake))
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("ALMATY_SCHEME_MALLOC_TUNING", raising=False)
    if trim_env is None:
        monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    else:
        monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", trim_env)
    assert pin_mmap_threshold() is True
    expected = [(memory.M_MMAP_THRESHOLD, 32 << 20)]
    if trim_env is None:
        expected.append((memory.M_TRIM_THRESHOLD, 64 << 20))
    assert fake.calls == expected


@pytest.mark.skipif(not GLIBC, reason="needs glibc")
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ["system"]),
        ({"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}, []),
        ({"ALMATY_SCHEME_MALLOC_TUNING": "0"}, []),
    ],
)
def test_arrow_uses_glibc_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: list[str]
) -> None:
    # Arrow's buffers come from the heap the thresholds above tune; a pool chosen with
    # ARROW_DEFAULT_MEMORY_POOL, or the tuning turned off, is left alone
    chosen: list[str] = []
    monkeypatch.setattr(pa, "set_memory_pool", lambda pool: chosen.append(pool.backend_name))
    for name in (
        "MALLOC_MMAP_THRESHOLD_",
        "ALMATY_SCHEME_MALLOC_TUNING",
        "ARROW_DEFAULT_MEMORY_POOL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert arrow_on_glibc() is bool(expected)
    assert chosen == expected
