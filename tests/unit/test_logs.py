"""Command-line logging: quiet by default, -v/-q before or after the subcommand,
third-party warnings as one log line."""

from __future__ import annotations

import io
import logging
import warnings

import pytest

from almaty_scheme import logs
from almaty_scheme.cli import main


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    root = logging.getLogger(logs.ROOT)
    saved = (root.level, list(root.handlers), root.propagate, warnings.showwarning)
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    root.propagate = saved[2]
    warnings.showwarning = saved[3]


@pytest.mark.parametrize(
    ("verbose", "quiet", "level"),
    [(0, False, logs.NOTICE), (1, False, logging.INFO), (2, False, logging.DEBUG),
     (0, True, logging.WARNING), (2, True, logging.WARNING)],
)  # fmt: skip
def test_levels(verbose: int, quiet: bool, level: int) -> None:
    assert logs.level_for(verbose, quiet) == level


def test_default_shows_steps_and_warnings_not_info() -> None:
    out = io.StringIO()
    logs.configure(0, False, stream=out)
    log = logging.getLogger("almaty_scheme.test")
    log.info("chatter")
    with logs.step(log, "validated %d parcel(s)", 3):
        pass
    log.warning("careful")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("validated 3 parcel(s) in ") and lines[0].endswith(" s")
    assert lines[1] == "warning: careful"
    assert len(lines) == 2


def test_step_not_logged_when_the_block_fails() -> None:
    out = io.StringIO()
    logs.configure(0, False, stream=out)
    with pytest.raises(ValueError), logs.step(logging.getLogger("almaty_scheme.t"), "done"):
        raise ValueError("x")
    assert out.getvalue() == ""


def test_third_party_warning_is_one_line_without_source() -> None:
    out = io.StringIO()
    logs.configure(0, False, stream=out)
    warnings.warn_explicit("invalid value", RuntimeWarning, "/x/numpy/core.py", 12)
    assert out.getvalue() == "warning: RuntimeWarning: invalid value (core.py:12)\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_and_verbose_before_or_after_the_subcommand(where: str) -> None:
    args = ["rules", "list", "--json"]
    argv = ["-q", *args] if where == "before" else [*args, "-q"]
    assert main(argv) == 0
    assert logging.getLogger(logs.ROOT).level == logging.WARNING
    argv = ["-vv", *args] if where == "before" else [*args, "-vv"]
    assert main(argv) == 0
    assert logging.getLogger(logs.ROOT).level == logging.DEBUG
    assert main(args) == 0
    assert logging.getLogger(logs.ROOT).level == logs.NOTICE


def test_deprecation_warnings_of_libraries_are_debug_only() -> None:
    out = io.StringIO()
    logs.configure(0, False, stream=out)
    warnings.warn_explicit("use @", PendingDeprecationWarning, "/v/site-packages/rasterio/w.py", 3)
    assert out.getvalue() == ""
    logs.configure(2, False, stream=out)
    warnings.warn_explicit("use @", PendingDeprecationWarning, "/v/site-packages/rasterio/w.py", 4)
    assert "PendingDeprecationWarning: use @ (rasterio/w.py:4)" in out.getvalue()
