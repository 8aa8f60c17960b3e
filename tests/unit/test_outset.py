"""The output-set writer: preflight, commit journal, recovery of killed runs."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pyogrio.errors
import pytest

from almaty_scheme.errors import DataError, OutputExistsError, ProcessingError, UsageError
from almaty_scheme.io import outset
from almaty_scheme.io.outset import OutputSet, input_files, recover_folder

DEAD = 2**22 + 4242  # above the usual pid_max: no such process


def _set(d: Path, **kw: object) -> OutputSet:
    return OutputSet({"gpkg": d / "r.gpkg", "summary": d / "r.summary.json"}, **kw)  # type: ignore[arg-type]


def test_every_output_is_compared_with_every_input(tmp_path: Path) -> None:
    src = tmp_path / "r.summary.json"
    src.write_text("input")
    with pytest.raises(UsageError, match="would replace the input"):
        _set(tmp_path, inputs=[tmp_path / "other.gpkg", src], overwrite=True).preflight()
    assert src.read_text() == "input"


def test_a_hard_link_to_an_input_is_the_input(tmp_path: Path) -> None:
    src = tmp_path / "parcels.gpkg"
    src.write_text("input")
    os.link(src, tmp_path / "r.gpkg")
    with pytest.raises(UsageError, match="would replace the input"):
        _set(tmp_path, inputs=[src], overwrite=True).preflight()


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "r.summary.json").write_text("{}")
    with pytest.raises(OutputExistsError):
        _set(tmp_path).preflight()
    _set(tmp_path, overwrite=True).preflight()


def test_parent_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="is a file"):
        OutputSet({"gpkg": tmp_path / "f" / "sub" / "r.gpkg"}).preflight()


def test_unwritable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outset, "_probe_writable", lambda folder: "Permission denied")
    with pytest.raises(DataError, match="Cannot write to the folder"):
        _set(tmp_path).preflight()


def test_stale_partials_removed_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / f".r.partial-{DEAD}-0123abcd.gpkg"
    dead.write_text("x")
    wal = tmp_path / f".r.partial-{DEAD}-0123abcd.gpkg-wal"
    wal.write_text("x")
    live = tmp_path / f".r.partial-{os.getppid()}-0123abcd.gpkg"
    live.write_text("x")
    other = tmp_path / "notes.partial.txt"
    other.write_text("x")
    assert set(recover_folder(tmp_path)) <= {dead, wal}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_commit_writes_the_set_and_leaves_nothing(tmp_path: Path) -> None:
    s = _set(tmp_path)
    s.preflight()
    s.tmp("gpkg").write_text("new gpkg")
    s.tmp("summary").write_text("new json")
    written = s.commit(["gpkg", "summary"])
    assert written == {"gpkg": tmp_path / "r.gpkg", "summary": tmp_path / "r.summary.json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.gpkg", "r.summary.json"]


def test_abort_removes_temporaries(tmp_path: Path) -> None:
    s = _set(tmp_path)
    with pytest.raises(RuntimeError), s.writing():
        s.tmp("gpkg").write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_journal_of_a_killed_run_is_rolled_forward(tmp_path: Path) -> None:
    (tmp_path / "r.gpkg").write_text("new gpkg")  # renamed before the kill
    (tmp_path / "r.summary.json").write_text("old json")
    tmp_json = tmp_path / f".r.summary.partial-{DEAD}-0123abcd.json"
    tmp_json.write_text("new json")
    journal = tmp_path / f".r.gpkg.commit-{DEAD}.json"
    journal.write_text(
        json.dumps(
            {
                "renames": [
                    [str(tmp_path / f".r.partial-{DEAD}-0123abcd.gpkg"), str(tmp_path / "r.gpkg")],
                    [str(tmp_json), str(tmp_path / "r.summary.json")],
                ]
            }
        )
    )
    recover_folder(tmp_path)
    assert (tmp_path / "r.gpkg").read_text() == "new gpkg"
    assert (tmp_path / "r.summary.json").read_text() == "new json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.gpkg", "r.summary.json"]


def test_input_files_lists_shapefile_sidecars_and_folders(tmp_path: Path) -> None:
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "roads.yaml").write_text("x")
    got = input_files(tmp_path / "p.shp", None, tmp_path / "cat")
    names = {p.name for p in got}
    assert {"p.shp", "p.dbf", "p.shx", "p.prj", "p.cpg", "roads.yaml"} <= names


def test_a_failed_rename_leaves_a_journal_the_next_run_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.gpkg").write_text("old gpkg")
    (tmp_path / "r.summary.json").write_text("old json")
    s = _set(tmp_path, overwrite=True)
    s.tmp("gpkg").write_text("new gpkg")
    s.tmp("summary").write_text("new json")
    real = Path.replace
    calls = []

    def flaky(self: Path, target: Path) -> Path:  # the second rename fails
        calls.append(self)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return real(self, target)

    monkeypatch.setattr(Path, "replace", flaky)
    failed = r"r\.gpkg failed: OSError: Input/output error"
    with pytest.raises(ProcessingError, match=failed), s.writing():
        s.commit(["gpkg", "summary"])
    monkeypatch.setattr(Path, "replace", real)
    monkeypatch.setattr(outset, "pid_alive", lambda pid: False)  # as if the run had ended
    recover_folder(tmp_path)
    assert (tmp_path / "r.gpkg").read_text() == "new gpkg"
    assert (tmp_path / "r.summary.json").read_text() == "new json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.gpkg", "r.summary.json"]


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (
            pyogrio.errors.DataLayerError("sqlite3_exec(COMMIT) failed: disk I/O error"),
            "DataLayerError: sqlite3_exec(COMMIT) failed: disk I/O error",
        ),
        (
            sqlite3.OperationalError("database or disk is full"),
            "OperationalError: database or disk is full",
        ),
        (OSError(27, "File too large"), "OSError: File too large"),
    ],
)
def test_a_failed_write_names_the_first_output_and_removes_the_temporaries(
    tmp_path: Path, exc: Exception, said: str
) -> None:
    s = _set(tmp_path)
    with pytest.raises(ProcessingError) as info, s.writing():
        s.tmp("gpkg").write_text("half")
        raise exc
    assert str(info.value) == (
        f"writing {tmp_path / 'r.gpkg'} failed: {said}\n"
        "  - Check the free disk space and the write permission of the output folder."
    )
    assert info.value.__cause__ is exc
    assert list(tmp_path.iterdir()) == []


def test_a_bug_in_the_block_stays_a_bug(tmp_path: Path) -> None:
    with pytest.raises(KeyError), _set(tmp_path).writing():
        raise KeyError("not a write failure")
