"""Compare two GeoPackages (or JSON summaries) table by table, for refactors that must not
change behaviour.

Every table registered in ``gpkg_contents`` is compared: feature tables by geometry
(WKB-exact after normalisation, or within ``--tol`` metres by Hausdorff distance) and
attributes; attribute tables by their rows. Keys and columns that are expected to differ
between runs (timestamps, durations, run ids, paths) are ignored; pass more with
``--ignore``. Exit 0 when everything matches, 1 with a list of differences.

    python scripts/compare_outputs.py before.gpkg after.gpkg
    python scripts/compare_outputs.py before.summary.json after.summary.json
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely

VOLATILE = re.compile(
    r"(built_at|created|timestamp|_time|time_s|seconds|duration|elapsed|timing|run_id|"
    r"^path$|_path$|data_dir|output|temp|version_info|started|finished)",
    re.IGNORECASE,
)


def _tables(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
    return dict(rows)


def _volatile_row(key: Any, extra: list[str]) -> bool:
    text = str(key)
    return bool(VOLATILE.search(text)) or any(e in text for e in extra)


def _strip(value: Any, extra: list[str]) -> Any:
    """Drop volatile keys from nested JSON-like values."""
    if isinstance(value, dict):
        return {k: _strip(v, extra) for k, v in value.items() if not _volatile_row(k, extra)}
    if isinstance(value, list):
        return [_strip(v, extra) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _strip(json.loads(value), extra)
        except json.JSONDecodeError:
            return value
    return value


def _attribute_table(path: Path, name: str, extra: list[str]) -> pd.DataFrame:
    with sqlite3.connect(path) as con:
        df = pd.read_sql_query(f'SELECT * FROM "{name}"', con)
    if {"key", "value"} <= set(df.columns):
        df = df[~df["key"].map(lambda k: _volatile_row(k, extra))]
        df = df.assign(value=df["value"].map(lambda v: json.dumps(_strip(v, extra))))
    return df.drop(columns=[c for c in df.columns if _volatile_row(c, extra)])


def _short(v: Any, n: int = 100) -> str:
    text = repr(v)
    return text if len(text) <= n else text[: n - 1] + "…"


def _compare_frames(a: pd.DataFrame, b: pd.DataFrame, where: str) -> list[str]:
    if list(a.columns) != list(b.columns):
        gone = [c for c in a.columns if c not in b.columns]
        new = [c for c in b.columns if c not in a.columns]
        return [f"{where}: columns differ (only before: {gone}; only after: {new})"]
    if len(a) != len(b):
        out = [f"{where}: {len(a)} rows before, {len(b)} after"]
        if {"key", "value"} <= set(a.columns):
            ka, kb = set(a["key"]), set(b["key"])
            out += [f"{where}: key only after: {k}" for k in sorted(kb - ka)]
            out += [f"{where}: key only before: {k}" for k in sorted(ka - kb)]
            common = sorted(ka & kb)
            va, vb = a.set_index("key")["value"], b.set_index("key")["value"]
            out += [
                f"{where}[{k}]: {_short(va[k])} -> {_short(vb[k])}"
                for k in common
                if va[k] != vb[k]
            ]
        return out
    out = []
    for col in a.columns:
        x, y = a[col].reset_index(drop=True), b[col].reset_index(drop=True)
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            same = np.isclose(x, y, rtol=1e-12, atol=1e-9, equal_nan=True)
        else:
            same = ((x.astype(str) == y.astype(str)) | (x.isna() & y.isna())).to_numpy()
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            out.append(
                f"{where}.{col}: {int((~same).sum())} row(s) differ, first at row {i}: "
                f"{_short(x.iloc[i])} -> {_short(y.iloc[i])}"
            )
    return out


def _compare_features(
    a_path: Path, b_path: Path, name: str, tol: float, extra: list[str]
) -> list[str]:
    a = pyogrio.read_dataframe(a_path, layer=name, fid_as_index=True)
    b = pyogrio.read_dataframe(b_path, layer=name, fid_as_index=True)
    out = []
    if str(a.crs) != str(b.crs):
        out.append(f"{name}: CRS {a.crs} -> {b.crs}")
    cols = [c for c in a.columns if c != "geometry" and not _volatile_row(c, extra)]
    cols_b = [c for c in b.columns if c != "geometry" and not _volatile_row(c, extra)]
    out += _compare_frames(pd.DataFrame(a[cols]), pd.DataFrame(b[cols_b]), name)
    if len(a) == len(b):
        ga = shapely.normalize(a.geometry.to_numpy())
        gb = shapely.normalize(b.geometry.to_numpy())
        exact = shapely.equals_exact(ga, gb, tolerance=0) | (
            shapely.is_empty(ga) & shapely.is_empty(gb)
        )
        if not exact.all():
            far = shapely.hausdorff_distance(ga[~exact], gb[~exact])
            bad = int((far > tol).sum())
            if bad:
                out.append(
                    f"{name}.geometry: {bad} feature(s) differ by more than {tol} m "
                    f"(max {float(np.nanmax(far)):.3f} m)"
                )
    return out


def compare_gpkg(a: Path, b: Path, tol: float = 0.0, extra: list[str] | None = None) -> list[str]:
    """Every difference between two GeoPackages, as sentences (empty when equal)."""
    extra = extra or []
    ta, tb = _tables(a), _tables(b)
    out = [f"table only before: {n}" for n in sorted(set(ta) - set(tb))]
    out += [f"table only after: {n}" for n in sorted(set(tb) - set(ta))]
    for name in sorted(set(ta) & set(tb)):
        if ta[name] == "features":
            out += _compare_features(a, b, name, tol, extra)
        else:
            out += _compare_frames(
                _attribute_table(a, name, extra), _attribute_table(b, name, extra), name
            )
    return out


def compare_json(a: Path, b: Path, extra: list[str] | None = None) -> list[str]:
    """Differences between two JSON documents, volatile keys ignored."""
    extra = extra or []
    x = _strip(json.loads(a.read_text(encoding="utf-8")), extra)
    y = _strip(json.loads(b.read_text(encoding="utf-8")), extra)
    if x == y:
        return []
    keys = sorted(set(x) | set(y)) if isinstance(x, dict) and isinstance(y, dict) else []
    diff = [k for k in keys if x.get(k) != y.get(k)]
    return [f"json differs at keys: {diff or 'root'}"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument("--tol", type=float, default=0.0, help="geometry tolerance in metres")
    p.add_argument("--ignore", action="append", default=[], help="more volatile names")
    args = p.parse_args(argv)
    if args.before.suffix == ".json":
        diffs = compare_json(args.before, args.after, args.ignore)
    else:
        diffs = compare_gpkg(args.before, args.after, args.tol, args.ignore)
    for d in diffs:
        print(d)
    print(
        f"{args.before} vs {args.after}: {'identical' if not diffs else f'{len(diffs)} difference(s)'}"
    )
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
