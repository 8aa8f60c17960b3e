"""Environment variables: read in ``settings.py`` only, never at import time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from almaty_scheme import settings
from almaty_scheme.settings import Settings

SRC = Path(settings.__file__).resolve().parent


def test_defaults_without_variables() -> None:
    assert Settings.from_env({}) == Settings()
    s = Settings()
    assert s.progress is None and not s.ci and s.malloc_tuning and s.numba_threads is None


def test_every_variable_is_read() -> None:
    env = {
        "ALMATY_SCHEME_LAYERS": "/l",
        "ALMATY_SCHEME_STYLES": "/s",
        "ALMATY_SCHEME_DATA": "/d",
        "ALMATY_SCHEME_SEED": "/seed.txt",
        "ALMATY_SCHEME_CACHE_DIR": "/c",
        "XDG_CACHE_HOME": "/x",
        "ALMATY_SCHEME_PROGRESS": "off",
        "CI": "true",
        "ALMATY_SCHEME_NUMBA_THREADS": "3",
        "ALMATY_SCHEME_MALLOC_TUNING": "0",
        "MALLOC_MMAP_THRESHOLD_": "65536",
        "MALLOC_TRIM_THRESHOLD_": "131072",
        "ARROW_DEFAULT_MEMORY_POOL": "jemalloc",
        "ALMATY_SCHEME_CACHE_MAX_MB": "512",
        "ALMATY_SCHEME_STREAM_MIN_ROWS": "250000",
        "ALMATY_SCHEME_FAULT_POINT": "commit",
        "ALMATY_SCHEME_FAULT_SIGNAL": "/sig",
        "ALMATY_SCHEME_FAULT_WAIT_S": "2.5",
    }
    s = Settings.from_env(env)
    assert (s.layers_dir, s.styles_dir, s.data_dir) == (Path("/l"), Path("/s"), Path("/d"))
    assert (s.seed_path, s.cache_dir, s.xdg_cache_home) == (
        Path("/seed.txt"),
        Path("/c"),
        Path("/x"),
    )
    assert s.progress is False and s.ci is True and s.numba_threads == 3
    assert s.malloc_tuning is False and s.malloc_mmap_threshold_set is True
    assert s.malloc_trim_threshold_set is True and s.arrow_pool_set is True
    assert (s.cache_max_mb, s.fault_point, s.fault_signal, s.fault_wait_s) == (
        "512",
        "commit",
        Path("/sig"),
        2.5,
    )
    assert s.stream_min_rows == 250_000
    assert Settings.from_env({"ALMATY_SCHEME_STREAM_MIN_ROWS": "0"}).stream_min_rows is None
    assert Settings().stream_min_rows == 200_000
    assert Settings.from_env({"ALMATY_SCHEME_PROGRESS": "1"}).progress is True
    # every variable of the module's table is one of these
    table = set(re.findall(r"^``([A-Z_]+)``", settings.__doc__ or "", re.M))
    assert table == set(env)


def test_bad_thread_count_is_an_error() -> None:
    with pytest.raises(ValueError, match="ALMATY_SCHEME_NUMBA_THREADS"):
        Settings.from_env({"ALMATY_SCHEME_NUMBA_THREADS": "0"})


def test_current_sees_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", "/tmp/somewhere")
    assert settings.current().cache_dir == Path("/tmp/somewhere")
    monkeypatch.delenv("ALMATY_SCHEME_CACHE_DIR")
    assert settings.current().cache_dir is None


def test_no_other_module_reads_the_environment() -> None:
    """Setting a C library's variable (``os.environ.setdefault``, libosmium's read-ahead
    in io/osm.py) is not reading one. The QGIS plugin (qgis/plugin/) is excluded: it runs in QGIS's own Python, imports
    nothing of the toolkit, and reads ALMATY_SCHEME_EXE to find it."""
    plugin = SRC / "qgis" / "plugin"
    readers = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p.name != "settings.py"
        and plugin not in p.parents
        and re.search(r"os\.environ(?!\.setdefault)|getenv\(", p.read_text())
    ]
    assert readers == []
