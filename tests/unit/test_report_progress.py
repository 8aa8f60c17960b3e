"""Progress bars: on a terminal only, never in logs, CI or quiet runs."""

from __future__ import annotations

import io
import logging

import pytest

from almaty_scheme.progress import ProgressCounter, progress, progress_enabled


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> _TTY:
    stream = _TTY()
    monkeypatch.setattr("almaty_scheme.progress._stream", lambda: stream)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ALMATY_SCHEME_PROGRESS", raising=False)
    logging.getLogger("almaty_scheme").setLevel(logging.INFO)
    return stream


def test_bar_drawn_on_a_terminal(tty: _TTY) -> None:
    assert progress_enabled()
    items = [1, 2, 3]
    assert list(progress(items, desc="checking parcels")) == items
    assert "checking parcels" in tty.getvalue()
    with ProgressCounter(total=10, desc="chunks") as bar:
        assert bar.active
        bar.update(10)
    assert "chunks" in tty.getvalue()


def test_quiet_in_ci_and_with_minus_q(tty: _TTY, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [1, 2]
    monkeypatch.setenv("CI", "true")
    assert progress(items) is items
    monkeypatch.delenv("CI")
    logging.getLogger("almaty_scheme").setLevel(logging.WARNING)  # what -q does
    assert progress(items) is items
    assert not ProgressCounter(total=2).active
    logging.getLogger("almaty_scheme").setLevel(logging.INFO)
    monkeypatch.setenv("ALMATY_SCHEME_PROGRESS", "0")
    assert progress(items) is items
    assert tty.getvalue() == ""


def test_quiet_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("almaty_scheme.progress._stream", io.StringIO)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ALMATY_SCHEME_PROGRESS", raising=False)
    items = (i for i in range(3))
    assert progress(items) is items
    monkeypatch.setenv("ALMATY_SCHEME_PROGRESS", "1")  # forced on, e.g. for a recording
    assert progress_enabled()
