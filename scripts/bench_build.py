"""Time a full ``almaty-scheme build`` on the reference data, step by step.

Usage::

    python scripts/bench_build.py [DATA_DIR] [--repeat N]

Prints the time of loading/assembling the base, of each builder, of writing the
GeoPackage and the report, and the total (best of N runs).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from almaty_scheme.build import build_layers, load_base, write_build
from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.resources import default_data_dir


def run_once(data: Path, out: Path) -> dict[str, float]:
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    cat = load_catalogue()
    t["catalogue"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    base, notes = load_base(data, catalogue=cat)
    t["base"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    result = build_layers(cat, base, extra_notes=notes, data_dir=data)
    t["layers"] = time.perf_counter() - t1
    t.update({f"  {k}": v for k, v in result.timings.items()})
    t1 = time.perf_counter()
    write_build(result, out, overwrite=True)
    t["write"] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", type=Path, default=default_data_dir())
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run_once(args.data, Path(tmp) / "bench.gpkg") for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["total"])
    for k, v in best.items():
        print(f"{k:<28}{v:8.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
