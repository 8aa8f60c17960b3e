"""glibc mmap-threshold pinning used by the check command."""

from __future__ import annotations

import platform
import sys

import pytest

from almaty_scheme.memory import pin_mmap_threshold

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
