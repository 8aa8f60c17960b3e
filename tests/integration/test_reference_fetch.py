"""`data fetch` / `data info` against a mirror built from ../shared/data in tmp_path."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pyogrio
import pytest

from almaty_scheme.base.reference import REFERENCE_GPKG
from almaty_scheme.base.sources import load_sources, sha256_file
from almaty_scheme.cli import main
from almaty_scheme.resources import default_data_dir

DATA = default_data_dir()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (DATA / REFERENCE_GPKG).is_file(), reason=f"reference data not found in {DATA}"
    ),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    d = tmp_path / "mirror"
    d.mkdir()
    for f in load_sources().files:
        shutil.copy(DATA / f.name, d / f.name)
    return d


@pytest.fixture
def url(mirror: Path) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_QuietHandler, directory=str(mirror))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_sources_file_matches_the_shared_data() -> None:
    src = load_sources()
    for f in src.files:
        path = DATA / f.name
        assert sha256_file(path) == f.sha256, f.name
        assert path.stat().st_size == f.size, f.name
    layers = {str(n) for n, _ in pyogrio.list_layers(DATA / REFERENCE_GPKG)}
    declared = src.file(REFERENCE_GPKG).layers
    assert {lyr.name for lyr in declared} == layers
    for lyr in declared:
        info = pyogrio.read_info(DATA / REFERENCE_GPKG, layer=lyr.name)
        assert info["features"] == lyr.features, lyr.name


def test_fetch_over_http_then_info(
    tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    assert main(["-q", "data", "fetch", "--to", str(out), "--url", url]) == 0
    text = capsys.readouterr().out
    assert text.count("fetched") == 3
    for f in load_sources().files:
        assert sha256_file(out / f.name) == f.sha256
    assert main(["-q", "data", "info", "--data", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [f["status"] for f in info["files"]] == ["ok", "ok", "ok"]
    layers = {p["layer"]: p for p in info["layers"]}
    assert layers["gas_pipelines"]["features"] == 10
    assert layers["roads"]["status"] == "missing"
    assert "roads" in info["missing"]


def test_fetch_from_local_mirror_and_corrupt_copy(
    tmp_path: Path, mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (mirror / "README.md").open("a") as fh:
        fh.write("tampered\n")
    out = tmp_path / "data"
    assert main(["-q", "data", "fetch", "--to", str(out), "--from", str(mirror)]) == 1
    err = capsys.readouterr().err
    assert "checksum mismatch" in err and "README.md" in err
    assert not (out / "README.md").exists()
    assert (out / REFERENCE_GPKG).is_file()


def test_info_on_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "data", "info", "--data", str(tmp_path)]) == 1
    assert "data fetch" in capsys.readouterr().err
