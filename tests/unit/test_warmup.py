"""The warm-up compiles every kernel of the check, with the signatures a check uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fresh_interpreter import run_json

from almaty_scheme.check import warmup
from almaty_scheme.cli import main

# Run in a fresh interpreter: in the test process other tests may already have compiled
# kernels (with other signatures), which would hide a kernel the warm-up leaves cold.
_SCRIPT = r"""
import importlib, json, pkgutil, sys
import almaty_scheme.check as pkg
from almaty_scheme.check.warmup import check_dispatchers, entry_points, warm_kernels
sys.path.insert(0, sys.argv[1])
from check_world import X0, Y0, parcels, sq, write_gpkg
from shapely.geometry import MultiPolygon
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.run import run_check

for m in pkgutil.iter_modules(pkg.__path__):  # every module of the check, used or not
    importlib.import_module(f"almaty_scheme.check.{m.name}")
report = warm_kernels()
warm = {k: [str(s) for s in d.signatures] for k, d in check_dispatchers().items()}
layers = write_gpkg(__import__("pathlib").Path(sys.argv[2]) / "layers.gpkg")
geoms = [sq(100, 100), sq(1000, 4990, 50, 20), sq(1950, 300, 100, 100), sq(9000, 9000),
         MultiPolygon([sq(300, 300), sq(500, 300)]), sq(50, 50, 9000, 9000)]
gdf = parcels(geoms, parcel_id=[f"T{i}" for i in range(len(geoms))], use=["residential"] * len(geoms))
out = __import__("pathlib").Path(sys.argv[2]) / "results.gpkg"
for dest in (None, out):  # prepare the zones, then load them from the cache, and write
    opts = CheckOptions(id_field="parcel_id", use_field="use", zones_cache=sys.argv[2])
    run_check(gdf, layers=layers, out=dest, options=opts)
folder = __import__("pathlib").Path(sys.argv[2])
gdf.to_file(folder / "p.gpkg")
gdf.to_parquet(folder / "p.parquet")
for src in ("p.gpkg", "p.parquet"):  # read from files: their stored WKB
    run_check(folder / src, layers=layers, options=opts)
after = {k: [str(s) for s in d.signatures] for k, d in check_dispatchers().items()}
entries = sorted(entry_points(check_dispatchers()))
print(json.dumps({"warm": warm, "after": after, "entries": entries, "report": report.as_dict()}))
"""


@pytest.fixture(scope="module")
def signatures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_json(_SCRIPT, tmp_path_factory.mktemp("warm"))


def test_every_kernel_is_compiled_by_the_warm_up(
    signatures: dict[str, Any],
) -> None:
    warm, entries = signatures["warm"], signatures["entries"]
    # the kernels Python calls today, by name: a renamed or removed one is noticed here
    for name in (
        "_grid_fill",
        "_overlap_kernel",
        "_keyed_near_kernel",
        "_near_multi_kernel",
        "_best_per_group",
    ):
        assert f"almaty_scheme.check.kernels.{name}" in entries
    assert "almaty_scheme.io.wkb._write_wkb" in entries  # the results' geometries
    assert "almaty_scheme.check.kernels._clip_ring" not in entries  # called by a kernel
    cold = sorted(k for k in entries if not warm[k])
    assert not cold, f"the warm-up (check/warmup.py) does not reach {cold}: extend its world"


def test_a_check_after_the_warm_up_compiles_nothing(
    signatures: dict[str, Any],
) -> None:
    warm, after = signatures["warm"], signatures["after"]
    new = {k: sorted(set(after[k]) - set(warm.get(k, []))) for k in after}
    assert not {k: v for k, v in new.items() if v}, (
        "a check compiled signatures the warm-up did not"
    )


def test_report_names_the_numba_cache(signatures: dict[str, Any]) -> None:
    report = signatures["report"]
    assert report["cache_dir"] and Path(str(report["cache_dir"])).is_dir()
    assert report["seconds"] > 0


def test_cache_warm_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache", "warm", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kernels"]["almaty_scheme.check.kernels._overlap_kernel"] >= 1
    assert set(report) == {"seconds", "kernels", "cache_dir"}


def test_callees_are_not_entry_points() -> None:
    entries = warmup.entry_points(warmup.check_dispatchers())
    assert "almaty_scheme.check.kernels._overlap_kernel" in entries
    assert "almaty_scheme.check.kernels._seg_seg2" not in entries


def test_inline_helpers_are_not_listed() -> None:
    names = set(warmup.check_dispatchers())
    assert "almaty_scheme.check.kernels._cell" not in names  # inline="always"
    assert "almaty_scheme.check.kernels._clip_ring" in names
