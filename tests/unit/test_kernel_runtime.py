"""numba's runtime starts on a thread without probing for BLAS, holds SciPy back from
that thread only and for that moment only, and the check's answers do not change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numba.np.arraymath as arraymath
import pytest
from check_world import seven_parcels, write_gpkg
from fresh_interpreter import run_json

from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.run import run_check

# A fresh interpreter: the test process has imported SciPy's linear algebra already, so
# numba's probe would find it and the runtime's start would not be what a check sees.
_SCRIPT = r"""
import importlib, json, pathlib, sys, threading
sys.path.insert(0, sys.argv[1])
res = {"linalg_before": "scipy.linalg" in sys.modules}
from check_world import seven_parcels, write_gpkg
from almaty_scheme.check import kernels
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.run import run_check

PARCEL_COLUMNS = {parcels!r}
HIT_COLUMNS = {hits!r}
tmp = pathlib.Path(sys.argv[2])
opts = CheckOptions(id_field="cad", use_field="use", zones_cache=str(tmp))
out = run_check(seven_parcels(), layers=write_gpkg(tmp / "layers.gpkg"), options=opts)
import numba.np.arraymath as arraymath
res["have_blas"] = arraymath._HAVE_BLAS
res["linalg_after_check"] = "scipy.linalg" in sys.modules
p, h = out.result.parcels, out.result.hits
res["parcels"] = json.loads(p[PARCEL_COLUMNS].to_json(orient="values", double_precision=15))
res["hits"] = json.loads(h[HIT_COLUMNS].to_json(orient="values", double_precision=15))
with kernels.without_blas_probe():
    try:
        importlib.import_module("scipy.linalg")
        res["own_thread"] = "imported"
    except ModuleNotFoundError:
        res["own_thread"] = "held back"

    def other() -> None:
        importlib.import_module("scipy.linalg")
        res["other_thread"] = "imported"

    t = threading.Thread(target=other)
    t.start()
    t.join()
import scipy.linalg.cython_blas
res["blas_after"] = "scipy.linalg.cython_blas" in sys.modules
print(json.dumps(res))
"""
_PARCEL_COLUMNS = ["parcel_id", "verdict", "worst_share_pct", "n_hits", "near_gas_m"]
_HIT_COLUMNS = ["parcel_id", "rule_id", "overlap_m2", "share_pct"]
_SCRIPT = _SCRIPT.replace("{parcels!r}", repr(_PARCEL_COLUMNS)).replace(
    "{hits!r}", repr(_HIT_COLUMNS)
)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_json(_SCRIPT, tmp_path_factory.mktemp("runtime"))


def test_the_runtime_starts_without_scipy(fresh: dict[str, Any]) -> None:
    assert fresh["linalg_before"] is False
    assert fresh["have_blas"] is False  # numba's probe was skipped
    assert fresh["linalg_after_check"] is False  # a whole check, SciPy's linalg untouched


def test_scipy_is_held_back_from_one_thread_for_one_block(fresh: dict[str, Any]) -> None:
    assert fresh["own_thread"] == "held back"
    assert fresh["other_thread"] == "imported"  # other threads import it meanwhile
    assert fresh["blas_after"] is True  # and this thread after the block


def test_answers_equal_a_process_where_numba_found_blas(
    fresh: dict[str, Any], tmp_path: Path
) -> None:
    opts = CheckOptions(id_field="cad", use_field="use", zones_cache=str(tmp_path))
    out = run_check(seven_parcels(), layers=write_gpkg(tmp_path / "layers.gpkg"), options=opts)
    assert arraymath._HAVE_BLAS is True  # this process had SciPy's linalg already
    p, h = out.result.parcels, out.result.hits
    assert (
        json.loads(p[_PARCEL_COLUMNS].to_json(orient="values", double_precision=15))
        == (fresh["parcels"])
    )
    assert (
        json.loads(h[_HIT_COLUMNS].to_json(orient="values", double_precision=15)) == (fresh["hits"])
    )
    assert len(fresh["hits"]) > 0 and {r[1] for r in fresh["parcels"]} >= {"prohibited", "clear"}
