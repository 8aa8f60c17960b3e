"""Parallel compiled kernels called from more than one thread (issue 18, eighteenth
round). numba's ``workqueue`` threading layer, which it falls back to where neither
OpenMP nor TBB can be loaded, aborts the process when two threads run parallel kernels
at once; the check's early start of numba's runtime did exactly that on every
GeoParquet input (exit 134). Each test runs in its own process with that layer."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg

WORKQUEUE = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue"}

HAMMER = textwrap.dedent(
    """
    import threading
    import numba
    import numpy as np
    import pyarrow as pa
    import shapely
    from almaty_scheme.check.kernels import FlatRings
    from almaty_scheme.io.wkb import simple_valid

    x = np.arange(20000.0)
    squares = shapely.box(x, 0.0, x + 0.5, 1.0)
    wkb = pa.array(shapely.to_wkb(squares), pa.binary())
    rows = np.arange(len(squares))
    shown = []

    def hammer():
        for _ in range(60):
            shown.append(int(simple_valid(wkb, rows).sum()))
            srt, order = FlatRings.from_geoms(squares).spatial_copy()
            shown.append(len(order))

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sorted(set(shown)), len(shown), numba.threading_layer())
    """
)


def test_two_threads_run_parallel_kernels_on_the_workqueue_layer() -> None:
    run = subprocess.run(
        [sys.executable, "-c", HAMMER], env=WORKQUEUE, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    # every square shown valid, every spatial copy of all of them, 2 x 60 x 2 answers
    assert run.stdout.split() == ["[20000]", "240", "workqueue"]


def test_a_geoparquet_check_on_the_workqueue_layer(tmp_path: Path) -> None:
    """The runtime's early start and the parcels' validation both run the WKB
    validity kernel; with the workqueue layer the check ended in an abort."""
    frame = parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), sq(-300, 9000)],
        cad=["A", "B", "C", "D"],
        use=["ИЖС", "ферма", "парк", "residential"],
    )
    frame.to_parquet(tmp_path / "parcels.parquet", index=False)
    layers = write_gpkg(tmp_path / "layers.gpkg")
    env = {**WORKQUEUE, "ALMATY_SCHEME_CACHE_DIR": str(tmp_path / "cache")}
    args = [
        sys.executable, "-m", "almaty_scheme", "check", str(tmp_path / "parcels.parquet"),
        "--layers", str(layers), "--out", str(tmp_path / "out.parquet"),
        "--catalogue", str(CATALOGUE_DIR), "--id-field", "cad", "--use-field", "use",
    ]  # fmt: skip
    for _ in range(3):  # the zone cache is written by the first run, read by the others
        run = subprocess.run([*args, "--overwrite"], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "out.summary.json").is_file()
