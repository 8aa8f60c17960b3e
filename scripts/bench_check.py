#!/usr/bin/env python
"""Benchmark ``almaty-scheme check`` against the I/O floor and the baselines an analyst has.

For each ``--n`` it generates seeded synthetic parcels once (``scripts/make_parcels.py``,
written as GeoPackage and GeoParquet), then times, each in its own subprocess under
``/usr/bin/time -v`` (wall clock and peak RSS of the whole process):

* ``almaty-scheme``: the toolkit's check end to end (read, validate, check, write the full
  results: parcels with verdicts and explanations, hits, issues, summary), GeoPackage in
  and out and GeoParquet in and out; best of ``--repeat`` runs (the zone cache is warm:
  the first run of the benchmark fills it);
* ``io-floor``: reading and writing the same parcels, no check, per format;
* ``naive``: a loop of ``geopandas.overlay(parcels, layer, how="intersection")`` per
  restriction layer plus a groupby (GeoPackage in, GeoParquet pair table out);
* ``qgis``: QGIS's "Join attributes by location (summary)" (``qgis:joinbylocationsummary``,
  predicate intersects, number of distinct zones) through ``qgis_process.bin`` against one merged layer of all
  restriction zones (capped at ``--qgis-max-n``, 10^5 by default: ~90 s there);
* ``duckdb``: DuckDB's spatial extension (``duckdb-extension-spatial``) joining the same
  parcels and zones and summing intersection areas, run with ``--duckdb-python`` (a Python
  that has the extension; the extension pins its own duckdb, so keep it in its own venv);
* ``dask``: the toolkit with ``--engine dask`` on a LocalCluster (GeoParquet).

``--first-run PARCELS`` (alone or with ``--n``) times the first check a new user makes
(:func:`run_first`): (a) both caches warm, (b) an empty zone cache, (c) a fresh install
(an empty numba cache, the warm-up step of ``make setup`` timed on its own, then the
check with an empty zone cache), and once a fresh install without the warm-up. The
results go to the JSON's ``first_run`` and ``scripts/bench_tables.py`` prints them.

Agreement (``agrees``): naive and duckdb give the same set of (parcel, layer, zone) pairs
with an overlap above 0.02 m² as the toolkit's ``parcel_hits``, with overlap areas within
0.01 % (or 0.001 m²); QGIS gives, for every parcel, the toolkit's number of zones touched (``n_hits``);
the dask engine's hits equal the local engine's; the toolkit's GeoPackage and GeoParquet
runs give the same hits. A baseline that cannot run is listed with ``seconds: null`` and
the reason.

Output (``--json FILE``)::

    {"runs": [{"engine": "almaty-scheme" | "io-floor" | "naive" | "qgis" | "duckdb" | "dask",
               "format": "gpkg" | "parquet", "n": N, "seconds": s, "parcels_per_s": r,
               "peak_rss_mb": m, "agrees": true | false | null, "ratio_vs_toolkit": x, ...}],
     "fits": {...}, "machine": {...}}

Example::

    python scripts/bench_check.py --n 10000 --n 100000 --n 1000000 \\
        --layers out/almaty_scheme.gpkg --baselines naive,qgis,duckdb --json bench/check.json
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger("bench_check")

HERE = Path(__file__).resolve().parent
BASELINES = ("naive", "qgis", "duckdb", "dask")
QGIS_BIN = "/usr/bin/qgis_process.bin"
AREA_MIN_M2 = 0.02
REL_TOL = 1e-4
ABS_TOL_M2 = 1e-3


# ------------------------------------------------------------------ subprocess timing
def _out_mb(out: Path) -> float:
    """Size in MB (10^6 bytes) of a check's result files: the GeoPackage, or the
    GeoParquet parcels file with its ``.hits``/``.issues`` siblings (summary excluded)."""
    files = [out] if out.suffix == ".gpkg" else sorted(out.parent.glob(out.stem + "*.parquet"))
    return round(sum(f.stat().st_size for f in files if f.exists()) / 1e6, 1)


def timed(
    cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 3600
) -> dict[str, Any]:
    """Run ``cmd``; wall seconds, CPU seconds and return code (``/usr/bin/time -v``), and
    the peak memory of the whole process tree: ``/usr/bin/time`` reports the largest
    single process (a run with a writer process is two), so the RSS of the command and
    all its descendants is also summed every 50 ms (psutil); ``peak_rss_mb`` is the
    larger of the two, ``peak_process_mb`` the largest single process."""
    time_bin = shutil.which("time") or "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        tpath = tf.name
    full = [time_bin, "-v", "-o", tpath, *cmd] if Path(time_bin).exists() else cmd
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errf:
        proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=errf, text=True, env=env)
        tree = _tree_peak(proc, timeout)
        rc = proc.returncode if proc.returncode is not None else -1
        errf.seek(0)
        err = errf.read() if rc != -1 else f"timed out after {timeout} s"
    seconds = time.perf_counter() - t
    rss = cpu = None
    try:
        text = Path(tpath).read_text()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        rss = int(m.group(1)) / 1024 if m else None
        u = re.search(r"User time \(seconds\): ([\d.]+)", text)
        k = re.search(r"System time \(seconds\): ([\d.]+)", text)
        cpu = float(u.group(1)) + float(k.group(1)) if u and k else None
    except OSError:
        pass
    Path(tpath).unlink(missing_ok=True)
    peak = max(x for x in (rss, tree, 0.0) if x is not None) or None
    return {
        "seconds": seconds,
        "peak_rss_mb": peak,
        "peak_process_mb": rss,
        "cpu_s": cpu,
        "rc": rc,
        "stderr": err[-2000:],
    }


def _tree_peak(proc: subprocess.Popen[str], timeout: float) -> float | None:
    """Wait for ``proc`` (killed after ``timeout`` s); the peak of the summed RSS (MiB)
    of it and its descendants, sampled every 50 ms (None without psutil)."""
    try:
        import psutil
    except ImportError:
        proc.wait(timeout)
        return None
    root, peak, end = psutil.Process(proc.pid), 0, time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > end:
            proc.kill()
            proc.wait()
            proc.returncode = None  # reported as a timeout
            return None
        try:
            procs = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs))
        except psutil.Error:
            pass
        time.sleep(0.05)
    return peak / 2**20 if peak else None


# ------------------------------------------------------------------ workers (subprocesses)
def worker_io(args: argparse.Namespace) -> int:
    """Read the parcels and write them back, nothing else (the I/O floor)."""
    import geopandas as gpd
    import pyogrio

    src, out = Path(args.parcels), Path(args.out)
    if src.suffix == ".parquet":
        gdf = gpd.read_parquet(src)
        gdf.to_parquet(out, index=False)
    else:
        gdf = pyogrio.read_dataframe(src, use_arrow=True)
        pyogrio.write_dataframe(
            gdf, out, layer="parcels", driver="GPKG", use_arrow=True, promote_to_multi=True
        )
    return 0


def _hit_layers(layers: Path) -> list[str]:
    import pyogrio

    from almaty_scheme.check.zones import HIT_LAYERS

    names = {str(r[0]) for r in pyogrio.list_layers(layers)}
    return [n for n in HIT_LAYERS if n in names]


def worker_naive(args: argparse.Namespace) -> int:
    """What an analyst writes: overlay per restriction layer, then a groupby."""
    import geopandas as gpd
    import pyogrio

    parcels = pyogrio.read_dataframe(args.parcels, columns=["cad_num"], use_arrow=True)
    out = []
    for lname in _hit_layers(Path(args.layers)):
        z = pyogrio.read_dataframe(
            args.layers, layer=lname, columns=[], fid_as_index=True, use_arrow=True
        )
        if len(z) == 0:
            continue
        z = gpd.GeoDataFrame(
            {"zone_fid": z.index.to_numpy(), "layer": lname},
            geometry=z.geometry.to_numpy(),
            crs=z.crs,
        )
        ov = gpd.overlay(parcels, z, how="intersection", keep_geom_type=True)
        ov["area"] = ov.geometry.area
        out.append(pd.DataFrame(ov[["cad_num", "layer", "zone_fid", "area"]]))
    res = (
        pd.concat(out, ignore_index=True)
        .groupby(["cad_num", "layer", "zone_fid"], as_index=False)["area"]
        .sum()
    )
    res.to_parquet(args.out, index=False)
    return 0


def worker_merge_zones(args: argparse.Namespace) -> int:
    """One polygon layer of every restriction zone (``zone_key`` = layer:fid) for the
    QGIS and DuckDB baselines."""
    import geopandas as gpd
    import pyogrio

    frames = []
    for lname in _hit_layers(Path(args.layers)):
        z = pyogrio.read_dataframe(args.layers, layer=lname, columns=[], fid_as_index=True)
        if len(z) == 0:
            continue
        frames.append(
            gpd.GeoDataFrame(
                {
                    "zone_key": [f"{lname}:{f}" for f in z.index],
                    "layer": lname,
                    "zone_fid": z.index.to_numpy(),
                },
                geometry=z.geometry.to_numpy(),
                crs=z.crs,
            )
        )
    allz = pd.concat(frames, ignore_index=True)
    gdf = gpd.GeoDataFrame(allz, geometry="geometry", crs=frames[0].crs)
    gdf = gdf.explode(index_parts=False).reset_index(drop=True)  # QGIS/DuckDB: parts
    pyogrio.write_dataframe(gdf, args.out, layer="zones", driver="GPKG")
    gdf.to_parquet(Path(args.out).with_suffix(".parquet"), index=False)
    return 0


DUCKDB_SCRIPT = r"""
import os, sys, duckdb, duckdb_extension_spatial
parcels, zones, out = sys.argv[1:4]
ext_dir = os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions")
ext = [os.path.join(r, f) for r, _, fs in os.walk(ext_dir) for f in fs
       if f.endswith(".duckdb_extension")][0]
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute(f"LOAD '{ext}'")
con.execute(f"CREATE TABLE p AS SELECT cad_num, geometry AS g FROM read_parquet('{parcels}')")
con.execute(f"CREATE TABLE z AS SELECT layer, zone_fid, geometry AS g FROM read_parquet('{zones}')")
con.execute(f'''
COPY (SELECT p.cad_num, z.layer, z.zone_fid, SUM(ST_Area(ST_Intersection(p.g, z.g))) AS area
      FROM p JOIN z ON ST_Intersects(p.g, z.g)
      GROUP BY p.cad_num, z.layer, z.zone_fid) TO '{out}' (FORMAT PARQUET)''')
"""


# --------------------------------------------------------------------------- checks
def _pairs(df: pd.DataFrame, pid: str, area: str) -> pd.Series:
    d = df[df[area] > AREA_MIN_M2]
    key = d[pid].astype(str) + "|" + d["layer"].astype(str) + "|" + d["zone_fid"].astype(str)
    return pd.Series(d[area].to_numpy(float), index=key.to_numpy()).groupby(level=0).sum()


def compare_pairs(toolkit_hits: pd.DataFrame, other: pd.DataFrame) -> tuple[bool, str]:
    """Same (parcel, layer, zone) pairs above 0.02 m², areas within 0.01 %."""
    a = _pairs(toolkit_hits, "parcel_id", "overlap_m2")
    b = _pairs(other, "cad_num", "area")
    # pairs near the threshold may sit on either side of it: ignore those
    only_a = a.index.difference(b.index)
    only_b = b.index.difference(a.index)
    only_a = [k for k in only_a if a[k] > 2 * AREA_MIN_M2]
    only_b = [k for k in only_b if b[k] > 2 * AREA_MIN_M2]
    common = a.index.intersection(b.index)
    diff = np.abs(a[common].to_numpy() - b[common].to_numpy())
    bad = diff > np.maximum(REL_TOL * np.abs(b[common].to_numpy()), ABS_TOL_M2)
    ok = not only_a and not only_b and not bad.any()
    note = (
        f"{len(common)} common pairs; {len(only_a)} only in toolkit, {len(only_b)} only "
        f"in baseline; {int(bad.sum())} areas beyond 0.01 %; max rel diff "
        f"{(diff / np.maximum(np.abs(b[common].to_numpy()), 1e-9)).max() if len(common) else 0:.2e}"
    )
    return ok, note


def compare_counts(
    toolkit_parcels: pd.DataFrame, qgis: pd.DataFrame, parcels: Path, zones: Path
) -> tuple[bool, str]:
    """Per parcel, QGIS's number of distinct zones intersected = the toolkit's n_hits.

    QGIS's predicate also counts zones that only touch a parcel (or overlap it by less
    than the toolkit's 0.01 m² hit threshold); for the parcels whose counts differ,
    the zones are re-measured with GEOS: the counts agree if QGIS's extra zones are
    exactly those with an overlap of at most 0.01 m².
    """
    import geopandas as gpd
    import shapely

    t = toolkit_parcels.set_index(toolkit_parcels["parcel_id"].astype(str))["n_hits"]
    col = next(c for c in qgis.columns if c.endswith("_unique"))
    q = qgis.set_index(qgis["cad_num"].astype(str))[col].fillna(0).astype(int)
    q = q.reindex(t.index).fillna(0).astype(int)
    diff = t.index[(q != t).to_numpy()]
    explained = 0
    if len(diff):
        p = gpd.read_parquet(parcels, columns=["cad_num", "geometry"])
        p = p[p["cad_num"].astype(str).isin(set(diff))]
        z = gpd.read_parquet(zones.with_suffix(".parquet"))
        pi, zi = z.sindex.query(p.geometry.to_numpy(), predicate="intersects")
        area = shapely.area(
            shapely.intersection(p.geometry.to_numpy()[pi], z.geometry.to_numpy()[zi])
        )
        key = z["zone_key"].to_numpy()[zi]
        df = (
            pd.DataFrame({"cad": p["cad_num"].astype(str).to_numpy()[pi], "key": key, "area": area})
            .groupby(["cad", "key"], as_index=False)["area"]
            .sum()
        )
        for cad, g in df.groupby("cad"):
            if len(g) == q[cad] and int((g["area"] > 0.01).sum()) == t[cad]:
                explained += 1
    bad = len(diff) - explained
    return bad == 0, (
        f"{len(t) - len(diff)} of {len(t)} parcels have the same count of "
        f"zones; {explained} differ only by zones touched with <= 0.01 m² "
        f"(QGIS counts them, the toolkit does not); {bad} unexplained"
    )


# ------------------------------------------------------------------------------ main
def _check_cmd(
    args: argparse.Namespace, parcels: Path, layers: Path, out: Path, *extra: str
) -> list[str]:
    """``almaty-scheme check`` of the bench's parcels (ids in ``cad_num``, use in ``use``)."""
    return [
        *_cli_cmd(args),
        "check",
        str(parcels),
        "--layers",
        str(layers),
        "--out",
        str(out),
        "--id-field",
        "cad_num",
        "--use-field",
        "use",
        "--overwrite",
        *extra,
    ]


def _cli_cmd(args: argparse.Namespace) -> list[str]:
    exe = Path(sys.executable).parent / "almaty-scheme"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "almaty_scheme"]


def byte_compile() -> str | None:
    """Byte-compile the package as ``make setup`` leaves it (an editable install is not
    compiled by pip, and Python writes no ``.pyc`` where ``PYTHONDONTWRITEBYTECODE`` is
    set): else every timed check compiles its changed modules from source, about 0.1 s
    that no installed copy pays. Returns the package's folder (``None``: not found)."""
    spec = importlib.util.find_spec("almaty_scheme")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = next(iter(spec.submodule_search_locations))
    compileall.compile_dir(folder, quiet=1)
    return folder


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    layers = Path(args.layers).resolve()
    baselines = [b for b in (args.baselines.split(",") if args.baselines else []) if b]
    unknown = set(baselines) - set(BASELINES)
    if unknown:
        raise SystemExit(f"unknown baseline(s) {sorted(unknown)}; use {', '.join(BASELINES)}")
    runs: list[dict[str, Any]] = []
    py = sys.executable
    me = str(Path(__file__).resolve())
    cat = ["--catalogue", str(args.catalogue)] if args.catalogue else []
    env = dict(os.environ)

    zones_gpkg = work / "zones_merged.gpkg"
    if any(b in baselines for b in ("qgis", "duckdb")) and not zones_gpkg.exists():
        subprocess.run(
            [py, me, "_merge_zones", "--layers", str(layers), "--out", str(zones_gpkg)], check=True
        )

    def add(
        engine: str,
        fmt: str,
        n: int,
        r: dict[str, Any] | None,
        *,
        agrees: bool | None = None,
        reason: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        sec = r["seconds"] if r and r.get("rc") == 0 else None
        row: dict[str, Any] = {
            "engine": engine,
            "format": fmt,
            "n": n,
            "seconds": round(sec, 3) if sec is not None else None,
            "parcels_per_s": round(n / sec) if sec else None,
            "peak_rss_mb": round(r["peak_rss_mb"], 1)
            if r and r.get("peak_rss_mb") and sec
            else None,
            "agrees": agrees,
        }
        if sec is None:
            row["reason"] = reason or (f"exit {r['rc']}: {r['stderr'][-400:]}" if r else "not run")
        row.update(extra)
        runs.append(row)
        log.info(
            "%-14s %-8s n=%-8d %s",
            engine,
            fmt,
            n,
            f"{row['seconds']} s, {row['parcels_per_s']}/s, {row['peak_rss_mb']} MB"
            if sec is not None
            else f"not run: {row.get('reason')}",
        )
        return row

    for n in args.n:
        pq_path = work / f"parcels_{n}.parquet"
        gp_path = work / f"parcels_{n}.gpkg"
        if not pq_path.exists():
            subprocess.run(
                [
                    py,
                    str(HERE / "make_parcels.py"),
                    "--layers",
                    str(layers),
                    "--n",
                    str(n),
                    "--seed",
                    str(args.seed),
                    "--out",
                    str(pq_path),
                ],
                check=True,
            )
        if not gp_path.exists():
            import geopandas as gpd
            import pyogrio

            pyogrio.write_dataframe(
                gpd.read_parquet(pq_path), gp_path, layer="parcels", driver="GPKG", use_arrow=True
            )
        inputs = {"gpkg": gp_path, "parquet": pq_path}

        # the toolkit, best of --repeat (first call warms the zone cache and numba's cache)
        tk: dict[str, dict[str, Any]] = {}
        for fmt in args.formats:
            out = work / f"out_{n}.{fmt}"
            cmd = _check_cmd(args, inputs[fmt], layers, out, "--json", *cat)
            if not tk:
                timed(cmd, env=env)  # warm-up, not counted
            best = None
            for _ in range(args.repeat):
                r = timed(cmd, env=env)
                if r["rc"] != 0:
                    best = r
                    break
                if best is None or r["seconds"] < best["seconds"]:
                    best = r
            assert best is not None
            tk[fmt] = best
            tk[fmt]["out"] = out
        # the I/O floor
        floor: dict[str, float] = {}
        for fmt in args.formats:
            out = work / f"io_{n}.{fmt}"
            out.unlink(missing_ok=True)
            best = None
            for _ in range(args.repeat):
                out.unlink(missing_ok=True)
                r = timed([py, me, "_io", "--parcels", str(inputs[fmt]), "--out", str(out)])
                if best is None or (r["rc"] == 0 and r["seconds"] < best["seconds"]):
                    best = r
            assert best is not None
            add("io-floor", fmt, n, best, agrees=None, note="read + write only, no check")
            if best["rc"] == 0:
                floor[fmt] = best["seconds"]

        # results of the toolkit for the agreement checks (GeoParquet run if any)
        t_hits = t_parcels = None
        if "parquet" in tk and tk["parquet"]["rc"] == 0:
            out = tk["parquet"]["out"]
            t_hits = pd.read_parquet(
                out.with_suffix(".hits.parquet"),
                columns=["parcel_id", "layer", "zone_fid", "overlap_m2"],
            )
            t_parcels = pd.read_parquet(out, columns=["parcel_id", "n_hits"])
        agreements: list[bool] = []
        if "gpkg" in tk and tk["gpkg"]["rc"] == 0 and t_hits is not None:
            import pyogrio

            g_hits = pyogrio.read_dataframe(
                tk["gpkg"]["out"],
                layer="parcel_hits",
                columns=["parcel_id", "layer", "zone_fid", "overlap_m2"],
                read_geometry=False,
            )
            same = (
                len(g_hits) == len(t_hits)
                and np.allclose(
                    g_hits["overlap_m2"].to_numpy(float), t_hits["overlap_m2"].to_numpy(float)
                )
                and (
                    g_hits["parcel_id"].astype(str).to_numpy()
                    == t_hits["parcel_id"].astype(str).to_numpy()
                ).all()
            )
            agreements.append(bool(same))

        base_rows: list[dict[str, Any]] = []
        ref_sec = tk.get("gpkg", tk.get("parquet", {})).get("seconds")
        if "naive" in baselines:
            if n > args.naive_max_n:
                base_rows.append(
                    add(
                        "naive",
                        "gpkg",
                        n,
                        None,
                        reason=f"skipped above --naive-max-n {args.naive_max_n}",
                    )
                )
            else:
                out = work / f"naive_{n}.parquet"
                r = timed(
                    [
                        py,
                        me,
                        "_naive",
                        "--parcels",
                        str(gp_path),
                        "--layers",
                        str(layers),
                        "--out",
                        str(out),
                    ],
                    timeout=args.baseline_timeout,
                )
                ok = note = None
                if r["rc"] == 0 and t_hits is not None:
                    ok, note = compare_pairs(t_hits, pd.read_parquet(out))
                    agreements.append(ok)
                base_rows.append(add("naive", "gpkg", n, r, agrees=ok, agreement=note))
        if "qgis" in baselines:
            if not Path(QGIS_BIN).exists():
                base_rows.append(add("qgis", "gpkg", n, None, reason=f"{QGIS_BIN} not found"))
            elif n > args.qgis_max_n:
                base_rows.append(
                    add(
                        "qgis",
                        "gpkg",
                        n,
                        None,
                        reason=f"skipped above --qgis-max-n {args.qgis_max_n} "
                        "(under 1 000 parcels/s here: 10^6 would take "
                        "over 15 min)",
                    )
                )
            else:
                out = work / f"qgis_{n}.gpkg"
                out.unlink(missing_ok=True)
                qenv = dict(env, QT_QPA_PLATFORM="offscreen")
                r = timed(
                    [
                        QGIS_BIN,
                        "run",
                        "qgis:joinbylocationsummary",
                        "--",
                        f"INPUT={gp_path}|layername=parcels",
                        f"JOIN={zones_gpkg}|layername=zones",
                        "PREDICATE=0",
                        "JOIN_FIELDS=zone_key",
                        "SUMMARIES=1",
                        "DISCARD_NONMATCHING=false",
                        f"OUTPUT={out}",
                    ],
                    env=qenv,
                    timeout=args.baseline_timeout,
                )
                ok = note = None
                if r["rc"] == 0 and t_parcels is not None:
                    import pyogrio

                    q = pyogrio.read_dataframe(out, read_geometry=False)
                    ok, note = compare_counts(t_parcels, q, pq_path, zones_gpkg)
                    agreements.append(ok)
                base_rows.append(add("qgis", "gpkg", n, r, agrees=ok, agreement=note))
        if "duckdb" in baselines:
            dpy = args.duckdb_python
            if (
                not dpy
                or subprocess.run(
                    [dpy, "-c", "import duckdb, duckdb_extension_spatial"],
                    capture_output=True,
                    check=False,
                ).returncode
                != 0
            ):
                base_rows.append(
                    add(
                        "duckdb",
                        "parquet",
                        n,
                        None,
                        reason="duckdb-extension-spatial not importable with "
                        f"--duckdb-python {dpy!r} (pip install "
                        "duckdb-extension-spatial into its own venv)",
                    )
                )
            else:
                out = work / f"duckdb_{n}.parquet"
                out.unlink(missing_ok=True)
                r = timed(
                    [
                        dpy,
                        "-c",
                        DUCKDB_SCRIPT,
                        str(pq_path),
                        str(zones_gpkg.with_suffix(".parquet")),
                        str(out),
                    ],
                    timeout=args.baseline_timeout,
                )
                ok = note = None
                if r["rc"] == 0 and t_hits is not None:
                    ok, note = compare_pairs(t_hits, pd.read_parquet(out))
                    agreements.append(ok)
                base_rows.append(add("duckdb", "parquet", n, r, agrees=ok, agreement=note))
        if "dask" in baselines:
            if n > args.dask_max_n:
                base_rows.append(
                    add(
                        "dask",
                        "parquet",
                        n,
                        None,
                        reason=f"skipped above --dask-max-n {args.dask_max_n}",
                    )
                )
            else:
                for workers in args.dask_workers:
                    out = work / f"dask_{n}_w{workers}.parquet"
                    extra = ["--workers", str(workers)] if workers else []
                    r = timed(
                        _check_cmd(args, pq_path, layers, out, "--engine", "dask", *extra, *cat),
                        env=env,
                    )
                    ok = None
                    if r["rc"] == 0 and t_hits is not None:
                        d_hits = pd.read_parquet(
                            out.with_suffix(".hits.parquet"),
                            columns=["parcel_id", "layer", "zone_fid", "overlap_m2"],
                        )
                        ok = bool(
                            len(d_hits) == len(t_hits)
                            and (
                                d_hits.astype(str).to_numpy() == t_hits.astype(str).to_numpy()
                            ).all()
                        )
                        agreements.append(ok)
                    base_rows.append(
                        add("dask", "parquet", n, r, agrees=ok, workers=workers or "default")
                    )
        for fmt, r in tk.items():
            row = add(
                "almaty-scheme",
                fmt,
                n,
                r,
                agrees=all(agreements) if agreements else None,
                io_floor_multiple=(
                    round(r["seconds"] / floor[fmt], 3) if r["rc"] == 0 and fmt in floor else None
                ),
                repeats=args.repeat,
                note=f"best of {args.repeat}, zone cache warm",
                out_mb=_out_mb(r["out"]) if r["rc"] == 0 else None,
            )
            row["ratio_vs_toolkit"] = 1.0
        for row in base_rows:
            if row["seconds"] and ref_sec:
                ref = tk.get(row["format"], {}).get("seconds") or ref_sec
                row["ratio_vs_toolkit"] = round(row["seconds"] / ref, 2)
        for row in runs:
            if row["engine"] == "io-floor" and row["n"] == n and row["seconds"]:
                ref = tk.get(row["format"], {}).get("seconds")
                row["ratio_vs_toolkit"] = round(row["seconds"] / ref, 3) if ref else None

    fits: dict[str, Any] = {}
    for fmt in args.formats:
        pts = [
            (r["n"], r["seconds"])
            for r in runs
            if r["engine"] == "almaty-scheme" and r["format"] == fmt and r["seconds"]
        ]
        if len(pts) >= 2:
            x = np.log([p[0] for p in pts])
            y = np.log([p[1] for p in pts])
            slope, _ = np.polyfit(x, y, 1)
            fits[f"almaty-scheme/{fmt}"] = {"exponent": round(float(slope), 3), "points": pts}
            big = [p for p in pts if p[0] >= 100_000]
            if len(big) >= 2:
                s2, _ = np.polyfit(np.log([p[0] for p in big]), np.log([p[1] for p in big]), 1)
                fits[f"almaty-scheme/{fmt}"]["exponent_n_ge_1e5"] = round(float(s2), 3)
    return {
        "runs": runs,
        "fits": fits,
        "machine": _machine(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "layers": str(layers),
        "notes": "Toolkit: best of --repeat runs, zone cache and numba cache warm; each run a "
        "fresh process (imports and JIT cache loading included). Baselines: one run.",
    }


# ------------------------------------------------------------------ first run (--first-run)
FIRST_CASES = {
    "warm": "(a) zone cache and numba cache warm",
    "zone_cache_empty": "(b) empty zone cache, numba cache warm",
    "warmup": "(c) setup's warm-up step (almaty-scheme cache warm) on an empty numba cache",
    "fresh_install": "(c) fresh install: empty zone cache, after the warm-up",
    "fresh_no_warmup": "fresh install without the warm-up: empty zone cache and numba cache",
}


def _reset(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def run_first(args: argparse.Namespace) -> dict[str, Any]:
    """The first check of ``--first-run PARCELS``: (c) a fresh install (empty numba and
    zone caches; the warm-up of ``make setup`` timed on its own, then the check), (b)
    an empty zone cache with the compiled kernels cached, (a) both caches warm; and,
    once, a fresh install without the warm-up. Every run is a new process; the numba
    cache is isolated with ``NUMBA_CACHE_DIR`` and the zone cache with
    ``ALMATY_SCHEME_CACHE_DIR``. ``--first-run-repeat`` rounds, each in the order
    c, b, a (so that the cases share the machine's load alike)."""
    from compare_outputs import compare_gpkg  # scripts/ is on sys.path

    work = Path(args.work).resolve() / "first_run"
    parcels = Path(args.first_run).resolve()
    cli = _cli_cmd(args)
    runs: list[dict[str, Any]] = []
    outs: dict[str, Path] = {}

    def one(case: str, rnd: int, cmd: list[str], numba: Path, zones: Path) -> None:
        env = {**os.environ, "NUMBA_CACHE_DIR": str(numba), "ALMATY_SCHEME_CACHE_DIR": str(zones)}
        r = timed(cmd, env=env, timeout=args.baseline_timeout)
        row = {
            "case": case,
            "what": FIRST_CASES[case],
            "round": rnd,
            "seconds": round(r["seconds"], 2) if r["rc"] == 0 else None,
            "cpu_s": round(r["cpu_s"], 2) if r.get("cpu_s") is not None else None,
            "peak_rss_mb": round(r["peak_rss_mb"], 1) if r.get("peak_rss_mb") else None,
        }
        if r["rc"] != 0:
            row["reason"] = f"exit {r['rc']}: {r['stderr'][-400:]}"
        runs.append(row)
        log.info(
            "first run %-16s round %d: %s s (cpu %s s)", case, rnd, row["seconds"], row["cpu_s"]
        )

    def check(case: str) -> list[str]:
        outs[case] = work / f"{case}.gpkg"
        return [
            *cli,
            "check",
            str(parcels),
            "--layers",
            str(Path(args.layers).resolve()),
            "--out",
            str(outs[case]),
            "--overwrite",
            "-q",
            *args.first_run_args.split(),
        ]

    for rnd in range(1, args.first_run_repeat + 1):
        if rnd == 1 and not args.first_run_skip_cold:
            one("fresh_no_warmup", rnd, check("fresh_no_warmup"),
                _reset(work / "numba_cold"), _reset(work / "zones_cold"))  # fmt: skip
        numba = _reset(work / "numba")
        one("warmup", rnd, [*cli, "cache", "warm"], numba, _reset(work / "zones"))
        one("fresh_install", rnd, check("fresh_install"), numba, _reset(work / "zones"))
        one("zone_cache_empty", rnd, check("zone_cache_empty"), numba, _reset(work / "zones"))
        one("warm", rnd, check("warm"), numba, work / "zones")
    ref = outs.get("warm")
    same = {
        case: (not compare_gpkg(ref, out)) if ref and out.is_file() else None
        for case, out in outs.items()
        if case != "warm"
    }
    best: dict[str, Any] = {}
    for case in FIRST_CASES:
        done = [r for r in runs if r["case"] == case and r["seconds"] is not None]
        if done:
            b = min(done, key=lambda r: r["seconds"])
            best[case] = {
                "seconds": b["seconds"],
                "cpu_s": b["cpu_s"],
                "runs": len(done),
                "identical_to_warm": same.get(case),
            }
    return {
        "parcels": str(parcels),
        "check_args": args.first_run_args,
        "runs": runs,
        "best": best,
        "targets": {"zone_cache_empty": 6.0, "fresh_install": 10.0},
        "notes": "Each case a new process under /usr/bin/time -v: wall seconds, user+system "
        "CPU seconds. 'fresh_install' follows the 'warmup' step of the same round (what "
        "'make setup' runs); 'identical_to_warm': scripts/compare_outputs.py finds no "
        "difference with the warm run's results.",
    }


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("_"):
        w = argparse.ArgumentParser()
        w.add_argument("worker")
        w.add_argument("--parcels")
        w.add_argument("--layers")
        w.add_argument("--out")
        a = w.parse_args(argv)
        fn = {"_io": worker_io, "_naive": worker_naive, "_merge_zones": worker_merge_zones}
        return fn[a.worker](a)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument(
        "--n",
        type=int,
        action="append",
        default=[],
        help="number of parcels (repeat for several sizes)",
    )
    ap.add_argument(
        "--first-run",
        metavar="PARCELS",
        default=None,
        help="also time the first check of these parcels: (a) warm caches, (b) empty zone "
        "cache, (c) fresh install (empty numba cache, the warm-up, then the check)",
    )
    ap.add_argument(
        "--first-run-args",
        default="--id-field cad_num --use-field use",
        help="check options for --first-run (one string)",
    )
    ap.add_argument("--first-run-repeat", type=int, default=3, help="rounds of --first-run")
    ap.add_argument(
        "--first-run-skip-cold",
        action="store_true",
        help="leave out the fresh install without the warm-up (20-30 s of compiling)",
    )
    ap.add_argument("--layers", type=Path, default=Path("out/almaty_scheme.gpkg"))
    ap.add_argument(
        "--baselines",
        default="naive,qgis,duckdb",
        help=f"comma-separated, of {', '.join(BASELINES)} (empty: none)",
    )
    ap.add_argument("--json", type=Path, required=True, help="results file")
    ap.add_argument(
        "--work",
        type=Path,
        default=Path("bench/work"),
        help="folder for parcels and outputs (git-ignored bench/ by default)",
    )
    ap.add_argument("--formats", type=lambda s: s.split(","), default=["gpkg", "parquet"])
    ap.add_argument("--repeat", type=int, default=3, help="toolkit runs per case (best kept)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--catalogue", type=Path, default=None, help="catalogue folder to check with")
    ap.add_argument("--naive-max-n", type=int, default=1_000_000)
    ap.add_argument("--qgis-max-n", type=int, default=100_000)
    ap.add_argument("--dask-max-n", type=int, default=1_000_000)
    ap.add_argument(
        "--dask-workers",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[0],
        help="worker counts of the dask runs, comma-separated (0: the engine's default)",
    )
    ap.add_argument(
        "--baseline-timeout",
        type=float,
        default=3600.0,
        help="seconds before a baseline run is stopped (listed with the reason)",
    )
    ap.add_argument(
        "--duckdb-python",
        default=sys.executable,
        help="Python with duckdb-extension-spatial installed",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.layers.is_file():
        print(f"error: {args.layers} not found; build it with almaty-scheme build", file=sys.stderr)
        return 1
    if not args.n and not args.first_run:
        print("error: give --n N (repeatable), --first-run PARCELS, or both", file=sys.stderr)
        return 2
    compiled = byte_compile()
    log.info("byte-compiled %s", compiled)
    res = (
        run_bench(args)
        if args.n
        else {
            "runs": [],
            "fits": {},
            "machine": _machine(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        }
    )
    if args.first_run:
        res["first_run"] = run_first(args)
        for r in res["first_run"]["runs"]:
            print(
                f"first run: {r['case']:<17} round {r['round']}  {r['seconds']} s  cpu {r['cpu_s']} s"
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for r in res["runs"]:
        sec = f"{r['seconds']:9.2f} s" if r["seconds"] is not None else "      n/a  "
        rate = f"{r['parcels_per_s']:>9}/s" if r["parcels_per_s"] else " " * 11
        rss = f"{r['peak_rss_mb']:8.0f} MB" if r["peak_rss_mb"] else " " * 11
        ratio = r.get("ratio_vs_toolkit")
        print(
            f"{r['engine']:<14}{r['format']:<8}{r['n']:>9} {sec} {rate} {rss}"
            f"  x{ratio if ratio is not None else '-'}  agrees={r['agrees']}"
            + (f"  ({r['reason']})" if r.get("reason") else "")
        )
    for k, v in res["fits"].items():
        print(
            f"{k}: time ~ N^{v['exponent']}"
            + (f" (N >= 1e5: N^{v['exponent_n_ge_1e5']})" if "exponent_n_ge_1e5" in v else "")
        )
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
