"""A corpus of bad input, each case with its expected outcome under the contract (issue 16).

The contract (``check``, ``build``, ``import-osm`` and every reader):

* **processed**: exit 0, every input row exactly once in the output (``input_row`` 1..n),
  every bad row flagged (``invalid_input`` or a non-empty ``input_flags``) and no other;
  the GeoPackage and ``summary.json`` carry the same run id; no temporary file left;
* **rejected**: exit 1 or 2, exactly one ``error:`` line (with the fix on the lines after
  it), no traceback, no output or temporary file left, every input byte-identical.

Each case writes its files into a fresh folder; the layers GeoPackage of the hand-made
world (:mod:`check_world`) is written once per session. Expected outcomes come from the
contract and the cases' construction (how many rows are bad), never from running the tool.
``python tests/unit/test_contract_corpus.py`` prints the corpus table (cases, outcomes,
tracebacks, rows lost) for whatever ``almaty_scheme`` is on the path.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_world import CATALOGUE_DIR, X0, Y0, layers, parcels, sq

from almaty_scheme.cli import main
from almaty_scheme.crs import WORKING_CRS

OSM_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "osm" / "almaty_sample.osm"
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


# --------------------------------------------------------------------------- worlds
def write_layers_gpkg(path: Path, *, drop: tuple[str, ...] = (), lie_crs: str = "") -> Path:
    """The hand-made world as a build GeoPackage; ``drop`` leaves layers out, ``lie_crs``
    declares EPSG:4326 on that layer while keeping its UTM metres."""
    for name, gdf in layers().items():
        if name in drop:
            continue
        if name == lie_crs:
            gdf = gdf.set_crs(4326, allow_override=True)
        kw: dict[str, Any] = {"geometry_type": "MultiPolygon"} if len(gdf) == 0 else {}
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", append=path.exists(), **kw)
    info = pd.DataFrame({"key": ["catalogue_version"], "value": ["0.1.0"]})
    pyogrio.write_dataframe(info, path, layer="build_info", driver="GPKG", append=True)
    return path


@dataclass
class Ctx:
    """What a case may use: its own folder and the session's layers files."""

    d: Path
    layers: Path
    layers_missing: Path
    layers_bad_crs: Path


def four(**cols: list[Any]) -> gpd.GeoDataFrame:
    """Four good parcels in the world (two in the river zones, one by the gas pipe)."""
    base = {"parcel_id": ["A", "B", "C", "D"], "use": ["ИЖС", "ферма", "парк", "residential"]}
    base.update(cols)
    return parcels([sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), sq(3000, 2000)], **base)


def check_argv(c: Ctx, src: Path, *extra: str, out: str = "res.gpkg", lay: Path | None = None):  # type: ignore[no-untyped-def]
    return [
        "check",
        str(src),
        "--layers",
        str(lay or c.layers),
        "--out",
        str(c.d / out),
        "--catalogue",
        str(CATALOGUE_DIR),
        *extra,
    ]


def gpkg(c: Ctx, gdf: gpd.GeoDataFrame, name: str = "p.gpkg", **kw: Any) -> Path:
    p = c.d / name
    gdf.to_file(p, **kw)
    return p


def geojson(
    c: Ctx, features: list[dict[str, Any]], name: str = "p.geojson", epsg: int = 32643
) -> Path:
    fc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
        "features": features,
    }
    p = c.d / name
    p.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    return p


def feature(geom: Any, **props: Any) -> dict[str, Any]:
    g = geom if isinstance(geom, dict) or geom is None else shapely.geometry.mapping(geom)
    return {"type": "Feature", "properties": props, "geometry": g}


def ring(x: float, y: float, w: float = 100.0) -> list[list[float]]:
    return [[X0 + x, Y0 + y], [X0 + x + w, Y0 + y], [X0 + x + w, Y0 + y + w], [X0 + x, Y0 + y + w]]


def csv_wkt(c: Ctx, rows: list[tuple[str, str]], name: str = "p.csv") -> Path:
    p = c.d / name
    p.write_text("parcel_id;wkt\n" + "".join(f"{a};{w}\n" for a, w in rows), encoding="utf-8")
    return p


# --------------------------------------------------------------------------- cases
@dataclass
class Case:
    """One corpus case: ``make`` writes the inputs and returns the argv."""

    id: str
    make: Callable[[Ctx], list[str]]
    outcome: str  # "processed" | "rejected"
    rows: int | None = None  # processed: input rows (each must appear once)
    flagged: int | None = None  # processed: rows that must be flagged
    says: str = ""  # rejected: text the error must contain; processed: a column/flag
    exit_code: int | None = None  # rejected: 1 or 2 if it matters


def _c(id: str, make: Callable[[Ctx], list[str]], outcome: str, **kw: Any) -> Case:
    return Case(id, make, outcome, **kw)


def _huge_columns(c: Ctx) -> list[str]:
    g = four()
    extra = pd.DataFrame({f"c{i:04d}": np.zeros(4, np.int8) for i in range(1990)})
    wide = gpd.GeoDataFrame(
        pd.concat([g.drop(columns="geometry"), extra], axis=1), geometry=g.geometry
    )
    return check_argv(c, gpkg(c, wide))


def _corrupt_gpkg(c: Ctx) -> list[str]:
    n = 2000
    g = parcels(
        [sq(10 * (i % 100), 10 * (i // 100), 5) for i in range(n)],
        parcel_id=[f"P{i}" for i in range(n)],
        note=["x" * 200] * n,
    )
    p = gpkg(c, g)
    b = bytearray(p.read_bytes())
    mid = len(b) // 2
    b[mid : mid + 20000] = (
        np.random.default_rng(1).integers(0, 256, 20000, dtype=np.uint8).tobytes()
    )
    p.write_bytes(bytes(b))
    return check_argv(c, p)


def _truncated_gpkg(c: Ctx) -> list[str]:
    p = gpkg(c, four())
    p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])
    return check_argv(c, p)


def _text(name: str, text: str | bytes) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        p = c.d / name
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return check_argv(c, p)

    return make


def _shp_no_prj(c: Ctx) -> list[str]:
    p = gpkg(c, four(), "p.shp", driver="ESRI Shapefile")
    p.with_suffix(".prj").unlink()
    return check_argv(c, p)


def _lonlat_as(epsg: int, swap: bool = False, *extra: str) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        g = four().to_crs(4326)
        geoms = g.geometry
        if swap:
            geoms = gpd.GeoSeries(shapely.transform(geoms.to_numpy(), lambda xy: xy[:, ::-1]))
        bad = gpd.GeoDataFrame(
            g.drop(columns="geometry"), geometry=list(geoms.to_numpy()), crs=epsg
        )
        return check_argv(c, gpkg(c, bad), *extra)

    return make


def _utm_as_4326(c: Ctx) -> list[str]:
    g = four().set_crs(4326, allow_override=True)
    return check_argv(c, gpkg(c, g))


def _out_is(
    name: str, *extra: str, make_existing: Callable[[Path], None] | None = None
) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        p = gpkg(c, four())
        target = c.d / name
        if make_existing is not None:
            make_existing(target)
        return check_argv(c, p, *extra, out=name)

    return make


def _same_as_input(c: Ctx) -> list[str]:
    return check_argv(c, gpkg(c, four(), "res.gpkg"), "--overwrite", out="res.gpkg")


def _sidecar_is_input(c: Ctx) -> list[str]:
    rows = [(f"S{i}", sq(1000 + 200 * i, 6000).wkt) for i in range(3)]
    p = csv_wkt(c, rows, "res.parcels.csv")
    return check_argv(c, p, "--assume-crs", "EPSG:32643", "--csv", "--overwrite")


def _parent_is_file(c: Ctx) -> list[str]:
    (c.d / "blocker").write_text("I am a file")
    return check_argv(c, gpkg(c, four()), out="blocker/res.gpkg")


def _read_only(c: Ctx) -> list[str]:
    ro = c.d / "ro"
    ro.mkdir()
    p = gpkg(c, four())
    ro.chmod(0o555)
    return check_argv(c, p, out="ro/res.gpkg")


def _existing(c: Ctx) -> list[str]:
    p = gpkg(c, four())
    (c.d / "res.gpkg").write_bytes(b"previous results")
    return check_argv(c, p)


def _existing_summary(c: Ctx) -> list[str]:
    p = gpkg(c, four())
    (c.d / "res.summary.json").write_text("{}")
    return check_argv(c, p)


def _layers(kind: str, *extra: str) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        p = gpkg(c, four())
        lay = {"missing": c.layers_missing, "bad_crs": c.layers_bad_crs}.get(kind)
        if kind == "absent":
            lay = c.d / "nope.gpkg"
        elif kind == "junk":
            lay = c.d / "junk.gpkg"
            lay.write_bytes(os.urandom(4096))
        return check_argv(c, p, *extra, lay=lay)

    return make


def _multi_layer(*extra: str) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        p = c.d / "two.gpkg"
        four().to_file(p, layer="a")
        four().to_file(p, layer="b")
        return check_argv(c, p, *extra)

    return make


def _osm_to_check(c: Ctx) -> list[str]:
    p = c.d / "x.osm.pbf"
    p.write_bytes(b"\x00\x00\x00\x0dOSMHeader")
    return check_argv(c, p)


def _plain_parquet(c: Ctx) -> list[str]:
    p = c.d / "p.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(p)
    return check_argv(c, p)


def _geoms(geoms: list[Any], *extra: str, **cols: list[Any]) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        cols.setdefault("parcel_id", [f"G{i}" for i in range(len(geoms))])
        return check_argv(c, gpkg(c, parcels(geoms, **cols)), *extra)

    return make


def _rings_geojson(c: Ctx) -> list[str]:
    feats = [
        feature(
            {
                "type": "Polygon",
                "coordinates": [[*ring(1000 + 200 * i, 6000), ring(1000 + 200 * i, 6000)[0]]],
            },
            parcel_id=f"R{i}",
        )
        for i in range(5)
    ]
    feats[1]["geometry"]["coordinates"] = [ring(1200, 6000)]  # unclosed
    a, b = [X0 + 1400, Y0 + 6000], [X0 + 1500, Y0 + 6000]
    feats[2]["geometry"]["coordinates"] = [[a, b, a]]  # a 3-point ring
    return check_argv(c, geojson(c, feats))


def _rings_csv(c: Ctx) -> list[str]:
    unclosed = f"POLYGON(({X0 + 1000} {Y0 + 6000},{X0 + 1100} {Y0 + 6000},{X0 + 1100} {Y0 + 6100},{X0 + 1000} {Y0 + 6100}))"
    rows = [("A", sq(1500, 6000).wkt), ("B", unclosed), ("C", sq(2500, 6000).wkt)]
    return check_argv(c, csv_wkt(c, rows), "--assume-crs", "EPSG:32643")


def _m_csv(c: Ctx) -> list[str]:
    m = f"POLYGON M (({X0 + 1000} {Y0 + 6000} 1,{X0 + 1100} {Y0 + 6000} 2,{X0 + 1100} {Y0 + 6100} 3,{X0 + 1000} {Y0 + 6000} 4))"
    rows = [("A", sq(1500, 6000).wkt), ("B", m)]
    return check_argv(c, csv_wkt(c, rows), "--assume-crs", "EPSG:32643")


def _geometry_text_column(c: Ctx) -> list[str]:
    feats = [
        feature(sq(1000 + 200 * i, 6000), parcel_id=f"T{i}", geometry=f"text {i}") for i in range(3)
    ]
    return check_argv(c, geojson(c, feats))


def _json_props(c: Ctx) -> list[str]:
    feats = [
        feature(sq(1000 + 200 * i, 6000), parcel_id=f"J{i}", tags=["a", "b"], meta={"k": i})
        for i in range(3)
    ]
    return check_argv(c, geojson(c, feats), "--csv")


def _stale_partial(c: Ctx) -> list[str]:
    p = gpkg(c, four())
    dead = 2**22 + 12345  # above the usual pid_max: no such process
    (c.d / f".res.partial-{dead}-0123abcd.gpkg").write_bytes(b"x" * 1000)
    (c.d / f".res.partial-{dead}-0123abcd.gpkg-journal").write_bytes(b"x")
    return check_argv(c, p)


def _overwrite_existing(c: Ctx) -> list[str]:
    p = gpkg(c, four())
    assert main(["-q", *check_argv(c, p)]) == 0
    return check_argv(c, p, "--overwrite")


def _cp1251_shp(c: Ctx) -> list[str]:
    p = gpkg(
        c,
        four(name=["Алматы", "Талгар", "Есик", "Каскелен"]),
        "p.shp",
        driver="ESRI Shapefile",
        encoding="cp1251",
    )
    p.with_suffix(".cpg").unlink(missing_ok=True)
    return check_argv(c, p)


def _reproject(epsg: int) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        return check_argv(c, gpkg(c, four().to_crs(epsg)))

    return make


def _zero_rows(c: Ctx) -> list[str]:
    g = four().iloc[:0]
    return check_argv(c, gpkg(c, g))


def _dup_ids(c: Ctx) -> list[str]:
    return check_argv(c, gpkg(c, four(parcel_id=["A", "A", "B", "A"])), "--id-field", "parcel_id")


def _null_ids(c: Ctx) -> list[str]:
    return check_argv(c, gpkg(c, four(parcel_id=["A", None, "C", None])), "--id-field", "parcel_id")


def _unknown_use(c: Ctx) -> list[str]:
    return check_argv(
        c, gpkg(c, four(use=["ИЖС", "spaceport", "парк", "???"])), "--use-field", "use"
    )


def _reserved_cols(c: Ctx) -> list[str]:
    return check_argv(
        c, gpkg(c, four(verdict=["x"] * 4, input_row=[9, 9, 9, 9], invalid_reason=["?"] * 4))
    )


def _cyrillic_cols(c: Ctx) -> list[str]:
    return check_argv(
        c,
        gpkg(
            c,
            four(
                **{"кадастровый_номер": ["1", "2", "3", "4"], "площадь, га": [1.0, 2.0, 3.0, 4.0]}
            ),
        ),
    )


BOWTIE = shapely.Polygon(
    [(X0 + 1000, Y0 + 6000), (X0 + 1100, Y0 + 6100), (X0 + 1100, Y0 + 6000), (X0 + 1000, Y0 + 6100)]
)
HOLED = shapely.Polygon(sq(1000, 6000, 300).exterior.coords, [sq(1100, 6100).exterior.coords])
OVERLAP_GC = shapely.GeometryCollection([sq(1000, 6000), sq(1050, 6000)])
MIXED_GC = shapely.GeometryCollection(
    [sq(1000, 6000), shapely.LineString([(X0, Y0), (X0 + 10, Y0)])]
)
Z_POLY = shapely.force_3d(sq(1000, 6000), 5.0)
NAN_POLY = shapely.Polygon(
    [(X0 + 1000, Y0 + 6000), (X0 + 1100, float("nan")), (X0 + 1100, Y0 + 6100)]
)
GOOD = [sq(1500, 6000), sq(1700, 6000)]

CHECK_CASES: list[Case] = [
    # --- processed: every row out, bad rows flagged
    _c("clean", lambda c: check_argv(c, gpkg(c, four())), "processed", rows=4, flagged=0),
    _c(
        "unclosed_and_3pt_rings_geojson",
        _rings_geojson,
        "processed",
        rows=5,
        flagged=2,
        says="repaired",
    ),
    _c("unclosed_ring_csv", _rings_csv, "processed", rows=3, flagged=1, says="repaired"),
    _c("bowtie", _geoms([BOWTIE, *GOOD]), "processed", rows=3, flagged=1, says="repaired"),
    _c("null_geometry", _geoms([None, *GOOD]), "processed", rows=3, flagged=1),
    _c("empty_geometry", _geoms([shapely.Polygon(), *GOOD]), "processed", rows=3, flagged=1),
    _c(
        "point_among_polygons",
        _geoms([shapely.Point(X0 + 10, Y0 + 10), *GOOD]),
        "processed",
        rows=3,
        flagged=1,
    ),
    _c(
        "line_among_polygons",
        _geoms([shapely.LineString([(X0, Y0), (X0 + 9, Y0)]), *GOOD]),
        "processed",
        rows=3,
        flagged=1,
    ),
    _c(
        "collection_with_line",
        _geoms([MIXED_GC, *GOOD]),
        "processed",
        rows=3,
        flagged=1,
        says="non_polygon_parts_dropped",
    ),
    _c(
        "collection_overlapping",
        _geoms([OVERLAP_GC, *GOOD]),
        "processed",
        rows=3,
        flagged=1,
        says="overlapping_parts_merged",
    ),
    _c("z_coordinates", _geoms([Z_POLY, *GOOD]), "processed", rows=3, flagged=1, says="z_dropped"),
    _c("m_coordinates_csv", _m_csv, "processed", rows=2, flagged=1, says="m_dropped"),
    _c("nan_coordinate", _geoms([NAN_POLY, *GOOD]), "processed", rows=3, flagged=1),
    _c("polygon_with_hole", _geoms([HOLED, *GOOD]), "processed", rows=3, flagged=0),
    _c("sliver_polygon", _geoms([sq(1000, 6000, 1e-3), *GOOD]), "processed", rows=3, flagged=0),
    _c("all_null", _geoms([None, None, None]), "processed", rows=3, flagged=3),
    _c("zero_rows", _zero_rows, "processed", rows=0, flagged=0),
    _c("duplicate_ids", _dup_ids, "processed", rows=4, flagged=3, says="duplicate_id"),
    _c("null_ids", _null_ids, "processed", rows=4, flagged=2, says="generated_id"),
    _c("unknown_use", _unknown_use, "processed", rows=4, flagged=2, says="unknown_use"),
    _c("reserved_column_names", _reserved_cols, "processed", rows=4, flagged=0),
    _c("cyrillic_column_names", _cyrillic_cols, "processed", rows=4, flagged=0),
    _c(
        "text_column_named_geometry",
        _geometry_text_column,
        "processed",
        rows=3,
        flagged=0,
        says="geometry_1",
    ),
    _c("json_list_dict_properties", _json_props, "processed", rows=3, flagged=0, says="json"),
    _c("shapefile_cp1251_no_cpg", _cp1251_shp, "processed", rows=4, flagged=0),
    _c("lonlat_epsg4326", _reproject(4326), "processed", rows=4, flagged=0),
    _c("pulkovo_gk_28413", _reproject(28413), "processed", rows=4, flagged=0),
    _c(
        "lonlat_declared_utm_with_assume_crs",
        _lonlat_as(32643, False, "--assume-crs", "EPSG:4326"),
        "processed",
        rows=4,
        flagged=0,
    ),
    _c("overwrite_existing_result", _overwrite_existing, "processed", rows=4, flagged=0),
    _c(
        "csv_and_parquet_sidecars",
        lambda c: check_argv(c, gpkg(c, four()), "--csv", "--parquet"),
        "processed",
        rows=4,
        flagged=0,
    ),
    _c(
        "parquet_only_output",
        lambda c: check_argv(c, gpkg(c, four()), out="res.parquet"),
        "processed",
        rows=4,
        flagged=0,
    ),
    _c(
        "missing_layers_allowed",
        _layers("missing", "--allow-missing-layers", "functional_zones,water_protection_strips"),
        "processed",
        rows=4,
        flagged=0,
        says="layers_missing",
    ),
    _c("stale_partial_of_killed_run", _stale_partial, "processed", rows=4, flagged=0),
    # --- rejected: one error line, nothing written, inputs untouched
    _c("missing_file", lambda c: check_argv(c, c.d / "nope.gpkg"), "rejected", says="not found"),
    _c("empty_file", _text("p.gpkg", b""), "rejected", says="Cannot read"),
    _c("random_bytes", _text("p.gpkg", os.urandom(8192)), "rejected", says="Cannot read"),
    _c("corrupted_pages", _corrupt_gpkg, "rejected", rows=2000, says="damaged"),
    _c("truncated_gpkg", _truncated_gpkg, "rejected"),
    _c("text_as_shapefile", _text("p.shp", "hello"), "rejected", says="Cannot read"),
    _c(
        "geojson_syntax_error",
        _text("p.geojson", '{"type": "FeatureCollection", "features": [{'),
        "rejected",
    ),
    _c(
        "points_only",
        _geoms([shapely.Point(X0 + i, Y0) for i in range(3)]),
        "rejected",
        says="must be polygons",
    ),
    _c("shapefile_without_prj", _shp_no_prj, "rejected", says="--assume-crs"),
    _c("lonlat_declared_utm", _lonlat_as(32643), "rejected", says="--assume-crs"),
    _c("swapped_axes", _lonlat_as(4326, True), "rejected", says="swapped"),
    _c("utm_declared_4326", _utm_as_4326, "rejected", says="impossible"),
    _c(
        "csv_not_wkt",
        lambda c: check_argv(c, csv_wkt(c, [("A", "hello")]), "--assume-crs", "EPSG:32643"),
        "rejected",
        says="not WKT",
    ),
    _c("csv_no_geometry", _text("p.csv", "a;b\n1;2\n"), "rejected", says="no geometry"),
    _c(
        "csv_wkt_without_crs",
        lambda c: check_argv(c, csv_wkt(c, [("A", sq(0, 0).wkt)])),
        "rejected",
        says="--assume-crs",
    ),
    _c("osm_extract_given", _osm_to_check, "rejected", says="import-osm"),
    _c("unknown_suffix", _text("p.xyz", "data"), "rejected", says="unknown vector format"),
    _c("parquet_without_geo", _plain_parquet, "rejected", says="GeoParquet"),
    _c("multi_layer_no_choice", _multi_layer(), "rejected", says="--layer"),
    _c("unknown_layer", _multi_layer("--layer", "zzz"), "rejected", says="no layer"),
    _c(
        "unknown_id_field",
        lambda c: check_argv(c, gpkg(c, four()), "--id-field", "nope"),
        "rejected",
        exit_code=2,
        says="nope",
    ),
    _c(
        "unknown_use_field",
        lambda c: check_argv(c, gpkg(c, four()), "--use-field", "nope"),
        "rejected",
        exit_code=2,
    ),
    _c(
        "bad_assume_crs",
        lambda c: check_argv(c, gpkg(c, four()), "--assume-crs", "EPSG:nonsense"),
        "rejected",
    ),
    _c(
        "negative_near",
        lambda c: check_argv(c, gpkg(c, four()), "--near", "-5"),
        "rejected",
        exit_code=2,
    ),
    _c("out_bad_suffix", _out_is("res.kml"), "rejected", exit_code=2, says=".gpkg, .parquet, .fgb"),
    _c(
        "out_same_as_input", _same_as_input, "rejected", exit_code=2, says="would replace the input"
    ),
    _c(
        "csv_sidecar_is_input",
        _sidecar_is_input,
        "rejected",
        exit_code=2,
        says="would replace the input",
    ),
    _c("out_exists", _existing, "rejected", exit_code=2, says="already exists"),
    _c("summary_exists", _existing_summary, "rejected", exit_code=2, says="already exists"),
    _c(
        "out_is_folder",
        _out_is("res.gpkg", "--overwrite", make_existing=lambda p: p.mkdir()),
        "rejected",
        exit_code=2,
        says="folder",
    ),
    _c("out_parent_is_file", _parent_is_file, "rejected", exit_code=1, says="is a file"),
    pytest.param(
        _c("out_folder_read_only", _read_only, "rejected", exit_code=1, says="Cannot write"),
        marks=pytest.mark.skipif(ROOT, reason="root can write anywhere"),
    ),  # type: ignore[list-item]
    _c("too_many_columns", _huge_columns, "rejected", exit_code=1, says="2000 columns"),
    _c("layers_missing", _layers("absent"), "rejected", says="not found"),
    _c("layers_junk", _layers("junk"), "rejected", says="Cannot open"),
    _c(
        "layers_lack_layers",
        _layers("missing"),
        "rejected",
        says="--allow-missing-layers water_protection_strips,functional_zones",
    ),
    _c(
        "layers_unknown_allowed_name",
        _layers("missing", "--allow-missing-layers", "roads"),
        "rejected",
        exit_code=2,
    ),
    _c("layers_utm_declared_4326", _layers("bad_crs"), "rejected", says="impossible"),
]


# --------------------------------------------------------------------------- build and import-osm
def _build_argv(c: Ctx, *extra: str, out: str = "b.gpkg") -> list[str]:
    return ["build", "--out", str(c.d / out), "--catalogue", str(CATALOGUE_DIR), *extra]


def _user_layer(kind: str) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        line = gpd.GeoDataFrame(
            {"name": ["x"]},
            geometry=[shapely.LineString([(X0, Y0), (X0 + 5000, Y0)])],
            crs=WORKING_CRS,
        )
        p = c.d / "lines.gpkg"
        if kind == "utm_as_4326":
            line = line.set_crs(4326, allow_override=True)
        line.to_file(p)
        if kind == "junk":
            p.write_bytes(os.urandom(4096))
        if kind == "missing":
            p.unlink()
        out = "lines.gpkg" if kind == "out_is_input" else "b.gpkg"
        return _build_argv(c, "--base-layer", f"power_lines={p}", out=out)

    return make


def _build_parent_file(c: Ctx) -> list[str]:
    (c.d / "blocker").write_text("a file")
    return _build_argv(c, out="blocker/b.gpkg")


def _build_existing(name: str) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        (c.d / name).write_text("previous")
        return _build_argv(c)

    return make


def _osm(kind: str) -> Callable[[Ctx], list[str]]:
    def make(c: Ctx) -> list[str]:
        if kind == "not_osm":
            p = c.d / "x.osm.pbf"
            p.write_text("this is not an OSM extract")
        elif kind == "truncated":
            p = c.d / "x.osm"
            text = OSM_SAMPLE.read_bytes()
            p.write_bytes(text[: len(text) // 2])
        else:
            p = c.d / "nope.osm.pbf"
        return ["import-osm", str(p), "--out", str(c.d / "osm.gpkg")]

    return make


BUILD_CASES: list[Case] = [
    _c(
        "build_out_is_input",
        _user_layer("out_is_input"),
        "rejected",
        exit_code=2,
        says="would replace the input",
    ),
    _c("build_out_parent_is_file", _build_parent_file, "rejected", exit_code=1, says="is a file"),
    _c(
        "build_out_exists",
        _build_existing("b.gpkg"),
        "rejected",
        exit_code=2,
        says="already exists",
    ),
    _c(
        "build_report_exists",
        _build_existing("b.report.md"),
        "rejected",
        exit_code=2,
        says="already exists",
    ),
    _c("build_base_layer_missing", _user_layer("missing"), "rejected"),
    _c("build_base_layer_junk", _user_layer("junk"), "rejected", says="Cannot read"),
    _c("build_base_layer_utm_as_4326", _user_layer("utm_as_4326"), "rejected", says="impossible"),
    _c(
        "build_base_layer_bad_syntax",
        lambda c: _build_argv(c, "--base-layer", "power_lines"),
        "rejected",
        exit_code=2,
    ),
    _c(
        "build_field_map_missing",
        lambda c: _build_argv(c, "--field-map", str(c.d / "nope.yaml")),
        "rejected",
    ),
    _c("build_data_missing", lambda c: _build_argv(c, "--data", str(c.d / "nodata")), "rejected"),
]

OSM_CASES: list[Case] = [
    _c("osm_not_osm", _osm("not_osm"), "rejected"),
    _c("osm_truncated", _osm("truncated"), "rejected"),
    _c("osm_missing", _osm("missing"), "rejected", says="not found"),
]

ALL_CASES = CHECK_CASES + BUILD_CASES + OSM_CASES


# --------------------------------------------------------------------------- running
@dataclass
class Outcome:
    code: int | None
    stdout: str
    stderr: str
    traceback: bool


def run_cli(argv: list[str]) -> Outcome:
    """Run the CLI in-process; an exception escaping ``main`` counts as a traceback."""
    out, err = io.StringIO(), io.StringIO()
    tb = False
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code: int | None = main(["-q", *argv])
        except BaseException:
            traceback.print_exc(file=err)
            code, tb = None, True
    text = err.getvalue()
    return Outcome(code, out.getvalue(), text, tb or "Traceback (most recent call last)" in text)


def _digests(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


def _temp_files(d: Path) -> list[str]:
    return [p.name for p in d.rglob("*") if ".partial-" in p.name or ".commit-" in p.name]


def _results(argv: list[str]) -> tuple[pd.DataFrame, dict[str, Any], str | None] | None:
    """The parcels table, the summary JSON and the GeoPackage's run id of a check."""
    out = Path(argv[argv.index("--out") + 1])
    summary_path = out.with_name(out.stem + ".summary.json")
    if not summary_path.is_file():
        return None
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    if out.suffix == ".parquet":
        return pd.read_parquet(out), summary, summary.get("run_id")
    p = pyogrio.read_dataframe(out, layer="parcels", read_geometry=False)
    t = pyogrio.read_dataframe(out, layer="check_summary", read_geometry=False)
    kv = dict(zip(t["key"], t["value"], strict=True))
    run_id = kv.get("run_id")
    return p, summary, None if run_id is None else json.loads(run_id)


def evaluate(case: Case, c: Ctx) -> dict[str, Any]:
    """Run a case; return what the corpus table reports (and the assertions use)."""
    argv = case.make(c)
    before = _digests(c.d)
    res = run_cli(argv)
    after = _digests(c.d)
    row: dict[str, Any] = {"case": case.id, "expected": case.outcome, "exit": res.code}
    row["traceback"] = res.traceback
    row["stderr"] = res.stderr
    row["errors"] = sum(1 for ln in res.stderr.splitlines() if ln.startswith("error:"))
    row["temp_left"] = _temp_files(c.d)
    row["inputs_changed"] = sorted(k for k, v in before.items() if after.get(k) != v)
    row["new_files"] = sorted(set(after) - set(before))
    row["rows_lost"] = 0
    if argv[0] == "check" and res.code == 0:
        got = _results(argv)
        if got is not None:
            table, summary, gpkg_run = got
            n_in = case.rows if case.rows is not None else len(table)
            rows = table["input_row"].astype(int).tolist() if len(table) else []
            row["rows_lost"] = n_in - len(set(rows))
            row["rows_out"] = len(rows)
            row["unique_rows"] = sorted(rows) == list(range(1, n_in + 1))
            flags = (
                table["input_flags"].fillna("").astype(str)
                if len(table)
                else pd.Series([], dtype=str)
            )
            bad = (
                (table["verdict"].astype(str) == "invalid_input") | (flags != "")
                if len(table)
                else flags != ""
            )
            row["flagged"] = int(bad.sum())
            row["flags_seen"] = ",".join(sorted({f for s in flags for f in s.split(",") if f}))
            row["run_ids_match"] = (
                summary.get("run_id") is not None and summary.get("run_id") == gpkg_run
            )
            row["summary"] = summary
            row["table"] = table
    return row


def verdict_ok(case: Case, r: dict[str, Any]) -> bool:
    """Whether a case met the contract (used for the table and the assertions)."""
    if r["traceback"] or r["temp_left"]:
        return False
    if case.outcome == "rejected":
        changed = list(r["inputs_changed"])
        return (
            r["exit"] in (1, 2)
            and (case.exit_code is None or r["exit"] == case.exit_code)
            and r["errors"] == 1
            and not changed
            and not r["new_files"]
        )
    if r["exit"] != 0 or r.get("rows_lost", 0):
        return False
    if "rows_out" in r and (not r["unique_rows"] or not r["run_ids_match"]):
        return False
    return case.flagged is None or r.get("flagged") == case.flagged


# --------------------------------------------------------------------------- pytest
@pytest.fixture(scope="session")
def corpus_layers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("corpus_layers")
    return {
        "layers": write_layers_gpkg(d / "layers.gpkg"),
        "missing": write_layers_gpkg(
            d / "missing.gpkg", drop=("functional_zones", "water_protection_strips")
        ),
        "bad_crs": write_layers_gpkg(d / "bad_crs.gpkg", lie_crs="water_protection_zones"),
    }


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _ctx(tmp_path: Path, lay: dict[str, Path]) -> Ctx:
    d = tmp_path / "case"
    d.mkdir()
    return Ctx(d, lay["layers"], lay["missing"], lay["bad_crs"])


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id if isinstance(c, Case) else None)
def test_contract(case: Case, tmp_path: Path, corpus_layers: dict[str, Path]) -> None:
    c = _ctx(tmp_path, corpus_layers)
    r = evaluate(case, c)
    try:
        assert not r["traceback"], r["stderr"]
        assert not r["temp_left"], r["temp_left"]
        if case.outcome == "rejected":
            assert r["exit"] in (1, 2), r["stderr"]
            if case.exit_code is not None:
                assert r["exit"] == case.exit_code, r["stderr"]
            assert r["errors"] == 1, r["stderr"]
            assert case.says in r["stderr"], r["stderr"]
            assert not r["inputs_changed"], r["inputs_changed"]
            assert not r["new_files"], r["new_files"]
            return
        assert r["exit"] == 0, r["stderr"]
        if case.id.startswith(("build", "osm")):
            return
        assert r["rows_lost"] == 0
        assert r["rows_out"] == case.rows and r["unique_rows"]
        assert r["run_ids_match"]
        assert r["flagged"] == case.flagged, r["flags_seen"]
        _specific(case, r, c)
    finally:
        for p in c.d.rglob("*"):  # read-only folders must be removable
            if p.is_dir():
                p.chmod(0o755)


def _specific(case: Case, r: dict[str, Any], c: Ctx) -> None:
    """What a processed case shows beyond the contract (its ``says``)."""
    if case.says in (
        "repaired",
        "non_polygon_parts_dropped",
        "overlapping_parts_merged",
        "z_dropped",
        "m_dropped",
        "duplicate_id",
        "generated_id",
        "unknown_use",
    ):
        assert case.says in r["flags_seen"]
    if case.says == "geometry_1":
        assert r["table"]["geometry_1"].tolist() == ["text 0", "text 1", "text 2"]
    if case.says == "json":
        t = r["table"]
        assert json.loads(t["tags"].iloc[0]) == ["a", "b"] and json.loads(t["meta"].iloc[1]) == {
            "k": 1
        }
        csv = pd.read_csv(c.d / "res.parcels.csv", encoding="utf-8-sig")
        assert json.loads(csv["tags"].iloc[0]) == ["a", "b"]
    if case.says == "layers_missing":
        assert r["summary"]["layers_missing"] == ["water_protection_strips", "functional_zones"]
        con = sqlite3.connect(c.d / "res.gpkg")
        desc = con.execute(
            "SELECT description FROM gpkg_contents WHERE table_name='parcels'"
        ).fetchone()[0]
        con.close()
        assert "functional_zones" in desc and "--allow-missing-layers" in desc


def test_corpus_size() -> None:
    assert len(ALL_CASES) >= 60
    assert sum(isinstance(c, Case) and c.outcome == "processed" for c in ALL_CASES) >= 25


# --------------------------------------------------------------------------- table
def corpus_table(base: Path) -> list[dict[str, Any]]:
    """Run every case (no pytest) and return one row per case."""
    import tempfile

    lay_dir = Path(tempfile.mkdtemp(dir=base))
    lay = {
        "layers": write_layers_gpkg(lay_dir / "layers.gpkg"),
        "missing": write_layers_gpkg(
            lay_dir / "missing.gpkg", drop=("functional_zones", "water_protection_strips")
        ),
        "bad_crs": write_layers_gpkg(lay_dir / "bad_crs.gpkg", lie_crs="water_protection_zones"),
    }
    rows = []
    for case in ALL_CASES:
        if not isinstance(case, Case):  # a pytest.param: skipped when its mark says so
            if ROOT:
                continue
            case = case.values[0]  # type: ignore[attr-defined]
        d = Path(tempfile.mkdtemp(dir=base))
        c = _ctx(d, lay)
        try:
            r = evaluate(case, c)
        except Exception as exc:
            r = {
                "case": case.id,
                "expected": case.outcome,
                "exit": None,
                "traceback": True,
                "stderr": repr(exc),
                "errors": 0,
                "temp_left": [],
                "inputs_changed": [],
                "new_files": [],
                "rows_lost": case.rows or 0,
            }
        for p in c.d.rglob("*"):
            if p.is_dir():
                p.chmod(0o755)
        r["ok"] = verdict_ok(case, r)
        rows.append(r)
    return rows


if __name__ == "__main__":  # pragma: no cover - prints the corpus table
    import tempfile

    base = Path(tempfile.mkdtemp())
    os.environ.setdefault("ALMATY_SCHEME_CACHE_DIR", str(base / "cache"))
    rows = corpus_table(base)
    print(
        "| case | expected | exit | ok | traceback | rows lost | flagged (want) | run ids "
        "| temp left | inputs changed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        want = next((c for c in ALL_CASES if isinstance(c, Case) and c.id == r["case"]), None)
        fl = f"{r['flagged']} ({want.flagged})" if "flagged" in r and want else ""
        ids = "" if "run_ids_match" not in r else ("same" if r["run_ids_match"] else "no id")
        print(
            f"| {r['case']} | {r['expected']} | {r['exit']} | {'yes' if r['ok'] else 'NO'} | "
            f"{'yes' if r['traceback'] else ''} | {r.get('rows_lost') or ''} | {fl} | {ids} | "
            f"{len(r['temp_left']) or ''} | {len(r['inputs_changed']) or ''} |"
        )
    print(
        f"\n{len(rows)} cases: {sum(r['ok'] for r in rows)} meet the contract, "
        f"{sum(bool(r['traceback']) for r in rows)} tracebacks, "
        f"{sum(int(r.get('rows_lost') or 0) for r in rows)} rows lost"
    )
