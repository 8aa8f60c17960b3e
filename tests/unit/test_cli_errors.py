"""The CLI never prints a traceback: bugs, OS errors, usage errors and warnings."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import almaty_scheme.cli.check as check_cli
from almaty_scheme.cli import main
from almaty_scheme.logs import show_warning


def _boom(exc: BaseException):  # type: ignore[no-untyped-def]
    def run_check(*a, **k):  # type: ignore[no-untyped-def]
        raise exc

    return run_check


@pytest.mark.parametrize(
    ("exc", "says", "code"),
    [
        (ValueError("unexpected"), "internal error (ValueError: unexpected)", 1),
        (PermissionError(13, "Permission denied", "/x/y.gpkg"), "Permission denied (/x/y.gpkg)", 1),
    ],
)
def test_one_error_line_never_a_traceback(
    exc: BaseException,
    says: str,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(check_cli, "run_check", _boom(exc))
    rc = main(["check", str(tmp_path / "p.gpkg"), "--out", str(tmp_path / "r.gpkg")])
    err = capsys.readouterr().err
    assert rc == code
    assert sum(ln.startswith("error:") for ln in err.splitlines()) == 1
    assert says in err and "Traceback" not in err


def test_click_usage_error_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Usage:" not in err
    assert "almaty-scheme check --help" in err


def test_third_party_warnings_are_one_log_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(tmp_path))
    assert main(["-q", "cache", "info"]) == 0  # sets up logging as every command does
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show_warning  # what the CLI installs (restored on exit)
        warnings.warn_explicit(
            "invalid value encountered in intersects",
            RuntimeWarning,
            "/venv/lib/python3.11/site-packages/shapely/predicates.py",
            900,
        )
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "warning: RuntimeWarning: invalid value encountered in "
        "intersects (shapely/predicates.py:900)"
    ]
