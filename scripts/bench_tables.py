"""Markdown tables (results and the issue's targets) from a ``bench_check.py`` JSON file.

Usage::

    python scripts/bench_tables.py bench/check.json

Prints the tables for docs/performance.md: every run (time, parcels/s, peak memory,
ratio against the toolkit, agreement), the targets of the performance issue with the
measured values, and, when the file has them (``--first-run``), the first-check runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

GIB_MB = 1024.0


def _fmt(v: float | None, nd: int = 1) -> str:
    return "-" if v is None else f"{v:,.{nd}f}".replace(",", " ")


def _workers(r: dict[str, Any]) -> str:
    return f" ({r['workers']} workers)" if r.get("workers") not in (None, "default") else ""


def results_table(runs: list[dict[str, Any]]) -> str:
    """One row per run, in the file's order."""
    out = [
        "| N | engine | format | s | parcels/s | peak MB | x toolkit | agrees |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in runs:
        if r.get("seconds") is None:
            out.append(
                f"| {_fmt(r['n'], 0)} | {r['engine']} | {r['format']} | - | - | - | - | "
                f"{r.get('reason', 'not run')} |"
            )
            continue
        agrees = {True: "yes", False: "**no**", None: "-"}[r.get("agrees")]
        extra = (
            f" (best of {r['repeats']}, {r['io_floor_multiple']}x I/O floor)"
            if r.get("repeats")
            else ""
        )
        out.append(
            f"| {_fmt(r['n'], 0)} | {r['engine']}{_workers(r)}{extra} | {r['format']} | {_fmt(r['seconds'], 2)} | "
            f"{_fmt(r.get('parcels_per_s'), 0)} | {_fmt(r.get('peak_rss_mb'), 0)} | "
            f"{_fmt(r.get('ratio_vs_toolkit'), 2)} | {agrees} |"
        )
    return "\n".join(out)


def _floor_multiple(runs: list[dict[str, Any]], r: dict[str, Any] | None, fmt: str) -> float | None:
    """The toolkit's time over the I/O floor's, unrounded (the JSON's
    ``io_floor_multiple`` is rounded for reading)."""
    floor = _run(runs, "io-floor", fmt, 1_000_000)
    if r is None or floor is None or not floor["seconds"]:
        return None
    return float(r["seconds"]) / float(floor["seconds"])


def _run(runs: list[dict[str, Any]], engine: str, fmt: str, n: int) -> dict[str, Any] | None:
    for r in runs:
        if (
            r["engine"] == engine
            and r["format"] == fmt
            and r["n"] == n
            and r.get("seconds") is not None
        ):
            return r
    return None


def targets_table(data: dict[str, Any]) -> str:
    """The issue's targets against the measured values."""
    runs = data["runs"]
    rows: list[tuple[str, str, bool | None]] = []

    def add(target: str, measured: str, met: bool | None) -> None:
        rows.append((target, measured, met))

    for fmt, limit in (("gpkg", 2.0), ("parquet", 3.0)):
        r = _run(runs, "almaty-scheme", fmt, 1_000_000)
        mult = _floor_multiple(runs, r, fmt)
        add(
            f"10^6 parcels, {fmt} in and out: <= {limit:g}x its I/O floor",
            "-" if mult is None else f"{mult:.3f}x ({r['seconds']:.2f} s)",  # type: ignore[index]
            None if mult is None else mult <= limit,  # unrounded: 2.003x is not 2x
        )
        add(
            f"10^6 parcels, {fmt}: peak memory < 2 GiB",
            "-"
            if r is None
            else f"{r['peak_rss_mb'] / GIB_MB:.2f} GiB ({r['peak_rss_mb']:.0f} MB)",
            None if r is None else r["peak_rss_mb"] < 2 * GIB_MB,
        )
    r = _run(runs, "almaty-scheme", "gpkg", 1_000_000)
    size = None if r is None else r.get("out_mb")
    add(
        "10^6 parcels: the results GeoPackage <= 400 MB",
        "-" if size is None else f"{size:.0f} MB",
        None if size is None else size <= 400,
    )
    tk = _run(runs, "almaty-scheme", "gpkg", 100_000)
    for engine, need in (("naive", 30.0), ("qgis", 30.0)):
        b = _run(runs, engine, "gpkg", 100_000)
        ratio = None if tk is None or b is None else b["seconds"] / tk["seconds"]
        add(
            f"10^5 parcels: >= {need:g}x faster than {engine}",
            "-"
            if ratio is None
            else f"{ratio:.1f}x ({b['seconds']:.1f} s vs {tk['seconds']:.2f} s)",  # type: ignore[index]
            None if ratio is None else ratio >= need,
        )
    for key, fit in sorted(data.get("fits", {}).items()):
        e = fit.get("exponent_n_ge_1e5", fit.get("exponent"))
        add(
            f"linear growth ({key})",
            f"fitted exponent {e} (10^5 to 10^6; {fit.get('exponent')} over all N)",
            None,
        )
    for fmt in ("gpkg", "parquet"):
        mult = _floor_multiple(runs, _run(runs, "almaty-scheme", fmt, 1_000_000), fmt)
        if mult is not None:
            add(f"time as a multiple of the I/O floor, 10^6 {fmt}", f"{mult:.3f}x", None)
    out = ["| target | measured | met? |", "| --- | --- | --- |"]
    for t, m, ok in rows:
        out.append(f"| {t} | {m} | {'-' if ok is None else ('yes' if ok else '**no**')} |")
    return "\n".join(out)


def first_run_table(first: dict[str, Any]) -> str:
    """The first check (``bench_check.py --first-run``): every run, then the best of each
    case against the issue's targets."""
    out = [
        "| case | round | s | CPU s | peak MB |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in first.get("runs", []):
        out.append(
            f"| {r['what']} | {r['round']} | {_fmt(r.get('seconds'), 2)} | "
            f"{_fmt(r.get('cpu_s'), 2)} | {_fmt(r.get('peak_rss_mb'), 0)} |"
        )
    out += ["", "| case | best s | CPU s | runs | identical results | target | met? |"]
    out.append("| --- | ---: | ---: | ---: | --- | ---: | --- |")
    targets = first.get("targets", {})
    for case, b in first.get("best", {}).items():
        what = next((r["what"] for r in first["runs"] if r["case"] == case), case)
        same = {True: "yes", False: "**no**", None: "-"}[b.get("identical_to_warm")]
        limit = targets.get(case)
        met = "-" if limit is None else ("yes" if b["seconds"] <= limit else "**no**")
        out.append(
            f"| {what} | {_fmt(b['seconds'], 2)} | {_fmt(b.get('cpu_s'), 2)} | {b['runs']} | "
            f"{same if case != 'warm' else 'reference'} | "
            f"{'-' if limit is None else f'<= {limit:g} s'} | {met} |"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path)
    a = ap.parse_args()
    data = json.loads(a.json.read_text(encoding="utf-8"))
    print(f"Run of {data.get('date', '?')} on {data.get('machine', {})}\n")
    if data.get("runs"):
        print(results_table(data["runs"]))
        print()
        print(targets_table(data))
    if data.get("first_run"):
        print()
        print(first_run_table(data["first_run"]))


if __name__ == "__main__":
    main()
