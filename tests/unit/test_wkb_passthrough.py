"""The parcels' WKB as a GeoParquet file stores it, carried from the reader to the engine
and the writer (issue 18): read without GEOS into the engine's flat rings, written back as
it is, only when it is byte for byte what shapely writes for the checked geometries."""

from __future__ import annotations

import sqlite3
import struct
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from check_world import CATALOGUE_DIR, parcels, sq, write_gpkg
from shapely.geometry import MultiPolygon, Point, Polygon, box

import almaty_scheme.check.kernels as kernels_mod
import almaty_scheme.check.run as run_mod
from almaty_scheme.catalogue.loader import load_catalogue
from almaty_scheme.check.inputs import prepare_parcels
from almaty_scheme.check.kernels import FlatRings, distinct_per_key
from almaty_scheme.check.output import distinct_parcels_per_key, write_hits_parquet
from almaty_scheme.check.regime import land_use_from_catalogue
from almaty_scheme.cli import main
from almaty_scheme.io.geoparquet import write_geoparquet
from almaty_scheme.io.readers import read_vector_wkb
from almaty_scheme.io.wkb import canonical_polygonal, simple_valid, wkb_rings

SQUARE = box(0, 0, 1, 1)
CLOCKWISE = Polygon([(0, 0), (0, 2), (3, 2), (3, 0), (0, 0)])
HOLED = box(10, 10, 20, 20).difference(box(12, 12, 14, 14))
TWO = MultiPolygon([box(30, 30, 31, 31), HOLED])


def _wkb(geoms: list[object]) -> pa.Array:
    return pa.array(list(shapely.to_wkb(np.array(geoms, dtype=object))), pa.binary())


def test_rings_read_from_wkb_are_those_read_from_geos() -> None:
    geoms = [SQUARE, CLOCKWISE, HOLED, TWO, box(5, 5, 7, 6)]
    flat = wkb_rings(_wkb(geoms), np.arange(5))
    ref = FlatRings.from_geoms(np.array(geoms, dtype=object))
    assert flat is not None
    for got, want in zip(
        flat, [ref.x, ref.y, ref.ring_offsets, ref.geom_offsets, ref.ring_sign], strict=True
    ):
        np.testing.assert_array_equal(got, want)
    # by hand: HOLED has 2 rings (shell, hole), TWO 3 (a square, then HOLED's two)
    assert flat[3].tolist() == [0, 1, 2, 4, 7, 8]
    assert flat[4].tolist() == [1, 1, 1, -1, 1, 1, -1, 1]


def test_rings_of_some_rows_in_their_order() -> None:
    geoms = [SQUARE, None, CLOCKWISE, box(5, 5, 7, 6)]
    flat = FlatRings.from_wkb(_wkb(geoms), np.array([3, 0]))
    assert flat is not None
    assert flat.x.tolist() == [7, 7, 5, 5, 7, 1, 1, 0, 0, 1]
    assert flat.geom_offsets.tolist() == [0, 1, 2]


def _polygon_bytes(order: int = 1, kind: int = 3) -> bytes:
    fmt = "<" if order == 1 else ">"
    ring = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]
    head = bytes([order]) + struct.pack(fmt + "III", kind, 1, len(ring))
    return head + b"".join(struct.pack(fmt + "dd", x, y) for x, y in ring)


@pytest.mark.parametrize(
    ("blob", "ok"),
    [
        (_polygon_bytes(), True),
        (bytes(shapely.to_wkb(TWO)), True),
        (_polygon_bytes(order=0), False),  # big-endian: shapely writes little-endian
        (bytes(shapely.to_wkb(Polygon([(0, 0, 1), (1, 0, 1), (1, 1, 1)]))), False),  # z
        (bytes(shapely.to_wkb(shapely.set_srid(SQUARE, 32643), include_srid=True)), False),
        (_polygon_bytes() + b"\x00", False),  # a byte left over
        (_polygon_bytes()[:-1], False),  # cut short
        (bytes(shapely.to_wkb(Point(1, 2))), False),
        (bytes(shapely.to_wkb(shapely.GeometryCollection([SQUARE]))), False),
        (bytes(shapely.to_wkb(Polygon())), False),  # empty
        (None, False),
    ],
)
def test_only_shapely_s_own_bytes_are_canonical(blob: bytes | None, ok: bool) -> None:
    arr = pa.array([bytes(shapely.to_wkb(SQUARE)), blob], pa.binary())
    assert canonical_polygonal(arr, np.array([0, 1])).tolist() == [True, ok]
    assert (wkb_rings(arr, np.array([0, 1])) is None) is not ok


def test_a_geoparquet_file_is_read_as_geopandas_reads_it_with_its_wkb(tmp_path: Path) -> None:
    frame = parcels([sq(0, 0), HOLED, None, TWO], cad=["A", "B", "C", "D"])
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    got = read_vector_wkb(tmp_path / "p.parquet")
    pd.testing.assert_frame_equal(got.frame, gpd.read_parquet(tmp_path / "p.parquet"))
    assert got.wkb is not None
    assert got.wkb.equals(pq.read_table(tmp_path / "p.parquet").column("geometry"))
    # in another CRS the frame is reprojected and the stored bytes are not its geometries
    frame.to_crs(4326).to_parquet(tmp_path / "ll.parquet", index=False)
    assert read_vector_wkb(tmp_path / "ll.parquet").wkb is None
    frame.to_file(tmp_path / "p.geojson")  # neither GeoParquet nor GeoPackage: no WKB
    assert read_vector_wkb(tmp_path / "p.geojson").wkb is None


def test_a_geopackage_is_read_as_before_with_the_wkb_of_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GeoPackage layer's WKB, from a second read of its geometry column, row for row
    with the frame (fids with gaps: rows deleted), exactly shapely's bytes of the
    frame's geometries; none if the second read's fids differ, reprojected, or not asked
    (:func:`read_vector`)."""
    frame = parcels([sq(0, 0), HOLED, None, TWO, sq(5, 5)], cad=["A", "B", "C", "D", "E"])
    frame.to_file(tmp_path / "p.gpkg", layer="parcels")
    with closing(sqlite3.connect(tmp_path / "p.gpkg")) as con, con:
        con.execute("DELETE FROM parcels WHERE cad = 'B'")  # fids 1, 3, 4, 5
    got = read_vector_wkb(tmp_path / "p.gpkg")
    before = read_vector_wkb(tmp_path / "p.gpkg", with_wkb=False)
    pd.testing.assert_frame_equal(got.frame, before.frame)
    assert isinstance(got.frame.index, pd.RangeIndex) and list(got.frame["cad"]) == list("ACDE")
    assert before.wkb is None and got.wkb is not None
    want = [None if g is None else bytes(shapely.to_wkb(g)) for g in got.frame.geometry]
    assert got.wkb.to_pylist() == want  # geopandas wrote every parcel as a MultiPolygon
    assert want[0] == bytes(shapely.to_wkb(MultiPolygon([sq(0, 0)])))
    real = pyogrio.raw.read_arrow

    def shuffled(*a: object, **kw: object) -> object:
        meta, table = real(*a, **kw)
        return meta, table.take([1, 0, 2, 3])  # the same rows in another order

    monkeypatch.setattr(pyogrio.raw, "read_arrow", shuffled)
    assert read_vector_wkb(tmp_path / "p.gpkg").wkb is None
    monkeypatch.undo()
    frame.to_crs(4326).to_file(tmp_path / "ll.gpkg")
    assert read_vector_wkb(tmp_path / "ll.gpkg").wkb is None


def test_a_geopackage_s_parcels_are_checked_from_their_wkb(tmp_path: Path) -> None:
    """The check of a GeoPackage's parcels takes their stored WKB (validity and rings),
    and its results are those of the same parcels given as a frame (no WKB)."""
    layers = write_gpkg(tmp_path / "layers.gpkg")
    frame = parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), None, HOLED],
        cad=["A", "B", "C", "D", "E"],
        use=["ИЖС", "ферма", "парк", "ИЖС", "парк"],
    )
    frame.to_file(tmp_path / "p.gpkg")
    seen: list[object] = []
    real = run_mod.prepare_parcels

    def spy(*a: object, **kw: object) -> object:
        pin = real(*a, **kw)  # type: ignore[arg-type]
        seen.append(pin.wkb)
        return pin

    opts = run_mod.CheckOptions(catalogue_dir=CATALOGUE_DIR, id_field="cad", use_field="use")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run_mod, "prepare_parcels", spy)
        from_file = run_mod.run_check(tmp_path / "p.gpkg", layers=layers, options=opts)
    assert seen and seen[0] is not None
    from_frame = run_mod.run_check(frame, layers=layers, options=opts)
    pd.testing.assert_frame_equal(from_file.parcels, from_frame.parcels)
    pd.testing.assert_frame_equal(from_file.hits, from_frame.hits)


def _land_use():  # type: ignore[no-untyped-def]
    return land_use_from_catalogue(load_catalogue(CATALOGUE_DIR))


def test_prepared_parcels_keep_the_wkb_only_while_it_is_theirs() -> None:
    lu = _land_use()
    good = [sq(0, 0), TWO, None, Point(3, 3)]  # a null and a point: invalid rows
    frame = parcels(good, cad=["A", "B", "C", "D"])
    pin = prepare_parcels(frame, lu, id_field="cad", crs_checked=True, wkb=_wkb(good))
    assert pin.wkb is not None
    square, two = bytes(shapely.to_wkb(sq(0, 0))), bytes(shapely.to_wkb(TWO))
    assert pin.wkb.to_pylist() == [square, two, None, None]
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])  # repaired: another geometry
    frame = parcels([sq(0, 0), bowtie], cad=["A", "B"])
    pin = prepare_parcels(frame, lu, id_field="cad", crs_checked=True, wkb=_wkb([sq(0, 0), bowtie]))
    assert pin.report["flags"] == {"repaired": 1} and pin.wkb is None
    raised = Polygon([(0, 0, 1), (9, 0, 1), (9, 9, 1), (0, 0, 1)])  # z dropped
    frame = parcels([raised], cad=["A"])
    assert prepare_parcels(frame, lu, crs_checked=True, wkb=_wkb([raised])).wkb is None
    frame = parcels([sq(0, 0)], cad=["A"])  # not settled by the reader: reprojected here
    assert prepare_parcels(frame.to_crs(4326), lu, wkb=_wkb([sq(0, 0)])).wkb is None


@pytest.mark.parametrize("release", [False, True])
def test_geoparquet_written_from_the_wkb_is_the_same_file(tmp_path: Path, release: bool) -> None:
    geoms = [sq(0, 0), None, TWO, HOLED]
    frame = parcels(geoms, cad=["A", "B", "C", "D"], area=[1.0, np.nan, 3.0, 4.0])
    write_geoparquet(frame, tmp_path / "encoded.parquet")
    mine = frame.copy()
    write_geoparquet(
        mine, tmp_path / "as_read.parquet", wkb=pa.chunked_array([_wkb(geoms)]), release=release
    )
    assert (tmp_path / "as_read.parquet").read_bytes() == (
        tmp_path / "encoded.parquet"
    ).read_bytes()
    assert bool(mine.geometry.isna().all()) == release


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(tmp_path / "cache"))
    frame = parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), sq(-300, 9000), None],
        cad=["A", "B", "C", "D", "E"],
        use=["ИЖС", "ферма", "парк", "residential", "ИЖС"],
    )
    frame.to_parquet(tmp_path / "parcels.parquet", index=False)
    frame.to_file(tmp_path / "parcels.gpkg", layer="plots")
    return {"layers": write_gpkg(tmp_path / "layers.gpkg"), "dir": tmp_path}


def _check(w: dict[str, Path], src: str, out: str) -> int:
    return main(
        [
            "check",
            str(w["dir"] / src),
            "--layers",
            str(w["layers"]),
            "--out",
            str(w["dir"] / out),
            "--catalogue",
            str(CATALOGUE_DIR),
            "--id-field",
            "cad",
            "--use-field",
            "use",
        ]
    )


def test_check_from_the_wkb_gives_what_the_geos_path_gives(
    world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _check(world, "parcels.gpkg", "geos.parquet") == 0  # no WKB kept: rings from GEOS
    with monkeypatch.context() as m:  # the GeoParquet parcels: rings from their WKB only

        def no_geos(geoms: np.ndarray) -> FlatRings:
            raise AssertionError("rings read from GEOS")

        m.setattr(kernels_mod.FlatRings, "from_geoms", staticmethod(no_geos))
        assert _check(world, "parcels.parquet", "wkb.parquet") == 0
    d = world["dir"]
    for suffix in (".parquet", ".hits.parquet"):
        a, b = pq.read_table(d / f"geos{suffix}"), pq.read_table(d / f"wkb{suffix}")
        assert b.equals(a) and b.schema.equals(a.schema, check_metadata=True)
    got = gpd.read_parquet(d / "wkb.parquet")
    assert got["verdict"].astype(str).tolist() == [
        "prohibited",
        "conditional",
        "clear",
        "outside",
        "invalid_input",
    ]
    # the geometry written is the file's, the invalid row's null
    assert (
        pq.read_table(d / "wkb.parquet").column("geometry").to_pylist()
        == pq.read_table(d / "parcels.parquet").column("geometry").to_pylist()
    )


def test_distinct_parcels_per_key_by_hand() -> None:
    # parcel 0 hits key 1 twice and key 0; parcel 2 hits key 1; parcel 3 hits key 0
    parcel = np.array([0, 0, 0, 2, 3])
    key = np.array([1, 0, 1, 1, 0])
    pro = np.array([True, False, False, True, False])
    con = np.array([False, True, True, False, True])
    count, p, c = distinct_per_key(parcel, key, 3, pro, con)
    assert count.tolist() == [2, 2, 0] and p.tolist() == [0, 2, 0] and c.tolist() == [2, 1, 0]
    # hits out of parcel order are counted by sorting, with the same answer
    order = np.array([3, 0, 4, 1, 2])
    got = distinct_parcels_per_key(parcel[order], key[order], 3, pro[order], con[order])
    assert [g.tolist() for g in got] == [[2, 2, 0], [0, 2, 0], [2, 1, 0]]


def test_distinct_parcels_per_key_agrees_with_sorting() -> None:
    rng = np.random.default_rng(5)
    parcel = np.sort(rng.integers(0, 300, 2000))
    key = rng.integers(0, 7, 2000)
    pro, con = rng.random(2000) < 0.3, rng.random(2000) < 0.5
    fast = distinct_parcels_per_key(parcel, key, 7, pro, con)
    for mask, got in zip([np.ones(2000, bool), pro, con], fast, strict=True):
        pairs = {(a, b) for a, b, m in zip(parcel, key, mask, strict=True) if m}
        assert got.tolist() == [sum(1 for _, k in pairs if k == i) for i in range(7)]


def test_hits_file_has_no_statistics_for_its_categoricals(tmp_path: Path) -> None:
    hits = pd.DataFrame(
        {
            "parcel_id": pd.Categorical(["A", "A", "B"]),
            "rule_id": pd.Categorical(["r1", "r2", "r1"]),
            "overlap_m2": [1.5, 2.5, 3.5],
        }
    )
    write_hits_parquet(hits, tmp_path / "h.parquet")
    rg = pq.ParquetFile(tmp_path / "h.parquet").metadata.row_group(0)
    stats = {rg.column(i).path_in_schema: rg.column(i).statistics for i in range(3)}
    assert stats["rule_id"] is None
    assert (stats["parcel_id"].min, stats["parcel_id"].max) == ("A", "B")
    assert (stats["overlap_m2"].min, stats["overlap_m2"].max) == (1.5, 3.5)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "h.parquet"), hits)


@pytest.mark.parametrize(
    ("ring", "shown"),
    [
        ([(0, 0), (4, 0), (4, 3), (0, 3)], True),  # a parcel
        ([(0, 0), (0, 3), (4, 3), (4, 0)], True),  # clockwise: still valid
        ([(0, 0), (4, 0), (4, 3), (2, 3), (0, 3)], False),  # a point mid-edge: GEOS decides
        ([(0, 0), (4, 0), (4, 0), (4, 3), (0, 3)], False),  # a repeated point
        ([(0, 0), (4, 0), (0, 3), (4, 3)], False),  # a bow-tie (invalid)
        ([(0, 0), (2, 2), (4, 0), (4, 4), (2, 2), (0, 4)], False),  # touches itself
        ([(0, 0), (4, 0), (6, 0), (4, 0), (4, 3)], False),  # a spike
        ([(0, 0), (4, 0), (float("nan"), 3), (0, 3)], False),  # not a coordinate
    ],
)
def test_rings_shown_valid_without_geos(ring: list[tuple[float, float]], shown: bool) -> None:
    poly = Polygon(ring)
    arr = _wkb([poly, HOLED, TWO])
    assert simple_valid(arr, np.arange(3)).tolist() == [shown, False, False]  # holes: GEOS
    assert not shown or shapely.is_valid(poly)


def test_no_polygon_shown_valid_is_invalid_for_geos() -> None:
    rng = np.random.default_rng(0)
    polys = []
    for i in range(20_000):
        k = int(rng.integers(3, 10))
        if i % 3 == 0:  # random vertices: often crossing
            pts = rng.uniform(0, 10, (k, 2))
        elif i % 3 == 1:  # integer vertices: collinear and touching
            pts = rng.integers(0, 4, (k, 2)).astype(float)
        else:  # all but on a line
            t = rng.uniform(0, 1, k)
            pts = np.c_[t, 2 * t + rng.normal(0, 1e-13, k)]
        polys.append(Polygon(np.vstack([pts, pts[:1]])))
    geoms = np.array(polys, dtype=object)
    shown = simple_valid(_wkb(list(geoms)), np.arange(len(geoms)))
    valid = shapely.is_valid(geoms)
    assert not (shown & ~valid).any()
    assert shown.sum() > 0.5 * valid.sum()  # and it shows most valid ones


def test_a_streamed_check_reads_each_chunk_s_rings_from_its_wkb_slice(
    world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results GeoPackage streamed in chunks of 2 parcels: each chunk's rings come from
    its slice of the WKB, and the file is the one the GEOS path writes."""
    monkeypatch.setenv("ALMATY_SCHEME_STREAM_MIN_ROWS", "2")
    monkeypatch.setattr(run_mod, "CHUNK_ROWS", 2)
    assert _check(world, "parcels.gpkg", "geos.gpkg") == 0
    slices: list[int] = []
    real = kernels_mod.FlatRings.from_wkb.__func__  # type: ignore[attr-defined]

    def from_wkb(cls: type[FlatRings], wkb: pa.ChunkedArray, rows: np.ndarray) -> FlatRings | None:
        slices.append(len(wkb))
        return real(cls, wkb, rows)  # type: ignore[no-any-return]

    monkeypatch.setattr(kernels_mod.FlatRings, "from_wkb", classmethod(from_wkb))
    assert _check(world, "parcels.parquet", "wkb.gpkg") == 0
    assert slices == [2, 2, 1]
    d = world["dir"]
    for layer in ("parcels", "parcel_hits"):
        a = gpd.read_file(d / "geos.gpkg", layer=layer)
        b = gpd.read_file(d / "wkb.gpkg", layer=layer)
        pd.testing.assert_frame_equal(a, b)
