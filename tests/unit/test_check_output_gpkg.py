"""The results GeoPackage stores parcels narrow: ``parcels`` is a spatial view over
``parcels_data`` and lookup tables, and reads back exactly as the plain table did."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from check_world import CATALOGUE_DIR, X0, Y0, parcels, sq, write_gpkg

from almaty_scheme.check import gpkg_out
from almaty_scheme.check import output as out_mod
from almaty_scheme.check.engine import HIT_COLUMNS, CheckResult
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.run import run_check
from almaty_scheme.crs import WORKING_CRS


@pytest.fixture(autouse=True)
def zone_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The hand-made world checked once: five parcels (one without geometry), results
    written to ``res.gpkg``."""
    d = tmp_path_factory.mktemp("world")
    layers = write_gpkg(d / "layers.gpkg")
    src = parcels(
        [sq(1000, 5000), sq(1000, 6000), sq(5000, 7000), sq(-300, 9000), None],
        cad=["A", "B", "C", "D", "E"],
        use=["ИЖС", "ферма", "парк", "residential", "ИЖС"],
        owner=["x", "x", "x", "x", None],
    )
    opts = CheckOptions(catalogue_dir=CATALOGUE_DIR, id_field="cad", use_field="use")
    res = d / "res.gpkg"
    outcome = run_check(src, layers=layers, out=res, options=opts)
    return {"dir": d, "gpkg": res, "result": outcome.result, "summary": outcome.summary}


def _plain(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """``frame`` written the way the parcels table was before the view: one plain table."""
    pg = gpd.GeoDataFrame(
        gpkg_out._gpkg_ready(pd.DataFrame(frame.drop(columns=frame.geometry.name))),
        geometry=gpd.GeoSeries(
            gpkg_out._multi(np.asarray(frame.geometry.to_numpy(), dtype=object)), crs=frame.crs
        ),
        crs=frame.crs,
    )
    pyogrio.write_dataframe(
        pg, path, layer="parcels", driver="GPKG", use_arrow=True, promote_to_multi=True
    )
    return path


def _same_read(a: Path, b: Path, layer: str = "parcels") -> None:
    """Both files read back alike through pyogrio (with and without Arrow): columns,
    dtypes, values, feature ids and geometry."""
    for arrow in (False, True):
        x = pyogrio.read_dataframe(a, layer=layer, use_arrow=arrow, fid_as_index=True)
        y = pyogrio.read_dataframe(b, layer=layer, use_arrow=arrow, fid_as_index=True)
        assert list(x.columns) == list(y.columns)
        assert [str(t) for t in x.dtypes] == [str(t) for t in y.dtypes]
        assert x.index.tolist() == y.index.tolist()
        pd.testing.assert_frame_equal(
            pd.DataFrame(x.drop(columns="geometry")), pd.DataFrame(y.drop(columns="geometry"))
        )
        assert x.geometry.to_wkb().tolist() == y.geometry.to_wkb().tolist()


def test_view_reads_back_as_the_plain_table(checked: dict[str, Any], tmp_path: Path) -> None:
    plain = _plain(checked["result"].parcels, tmp_path / "plain.gpkg")
    _same_read(plain, checked["gpkg"])
    p = pyogrio.read_dataframe(checked["gpkg"], layer="parcels")
    assert p["parcel_id"].tolist() == ["A", "B", "C", "D", "E"]
    assert p["verdict"].tolist() == [
        "prohibited",
        "conditional",
        "clear",
        "outside",
        "invalid_input",
    ]
    assert p.geometry.isna().tolist() == [False, False, False, False, True]
    assert "участка" in p["explanation_ru"].iloc[0]


def test_storage_is_narrow(checked: dict[str, Any]) -> None:
    frame = checked["result"].parcels
    with closing(sqlite3.connect(checked["gpkg"])) as con:
        kinds = dict(con.execute("SELECT name, type FROM sqlite_master").fetchall())
        data_cols = [r[1] for r in con.execute("PRAGMA table_info(parcels_data)")]
        cases = pd.read_sql_query("SELECT * FROM check_cases", con)
        parts = con.execute("SELECT explanation_ru, explanation_en FROM explanation_parts")
        parts = parts.fetchall()
        n_pairs = con.execute("SELECT count(*) FROM explanation_pairs").fetchone()[0]
        a_parts = con.execute(
            "SELECT e1.explanation_en, e2.explanation_en, e3.explanation_en FROM parcels_data d "
            "JOIN explanation_pairs x ON x.code = d.explanation_code "
            "JOIN explanation_parts e1 ON e1.code = x.part1 "
            "JOIN explanation_parts e2 ON e2.code = x.part2 "
            "JOIN explanation_parts e3 ON e3.code = x.part3 WHERE d.cad = 'A'"
        ).fetchone()
        texts = con.execute("SELECT column_name, text FROM check_texts ORDER BY code").fetchall()
        contents = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT table_name, data_type, srs_id, min_x, min_y, max_x, max_y "
                "FROM gpkg_contents"
            )
        }
        geom_cols = con.execute(
            "SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns "
            "WHERE table_name = 'parcels'"
        ).fetchall()
        count = con.execute(
            "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'parcels'"
        ).fetchone()[0]
    assert kinds["parcels"] == "view"
    assert kinds["parcels_data"] == kinds["check_cases"] == kinds["explanation_parts"] == "table"
    # repeated texts are codes in the data table; ids and numbers stay as they are
    for gone in ("verdict", "verdict_reason", "worst_rule_id", "explanation_ru", "explanation_en"):
        assert gone not in data_cols
    assert {"fid", "geom", "cad", "case_code", "explanation_code", "area_m2"} <= set(data_cols)
    # parcel_id repeats the id field "cad", input_row the fid: neither is stored twice
    assert "parcel_id" not in data_cols and "input_row" not in data_cols
    # "owner" repeats ("x" four times, then missing), and so does "invalid_reason"
    # (missing but for the parcel without geometry): each text is stored once
    assert {"owner_code", "invalid_reason_code"} <= set(data_cols)
    assert texts == [("owner", "x"), ("invalid_reason", "null_geometry")]
    # one row per distinct combination of the categorical texts, one per pair of parts
    case_cols = [c for c in cases.columns if c != "code"]
    assert "verdict" in case_cols and "explanation_ru" not in case_cols
    assert len(cases) == len(frame[case_cols].astype(str).drop_duplicates()) == 5
    assert len(parts) == len(set(parts))
    assert n_pairs == len(frame[["explanation_ru", "explanation_en"]].drop_duplicates())
    # parcel A's explanation: head, the share's words, tail (read back whole by the view)
    share = frame.set_index("parcel_id").loc["A", "worst_share_pct"]
    assert a_parts[1] == ("the whole parcel" if share >= 99.95 else f"{share:.0f} % of the parcel")
    assert a_parts[0].startswith("Prohibited for ") and a_parts[2].startswith(" lies ")
    assert "".join(a_parts) == frame.set_index("parcel_id").loc["A", "explanation_en"]
    # a registered spatial view with the data table's extent and CRS, and a stored count
    assert contents["parcels"] == contents["parcels_data"][:1] + contents["parcels_data"][1:]
    assert contents["parcels"][0] == "features" and contents["parcels"][1] == 32643
    assert geom_cols == [("geom", "MULTIPOLYGON", 32643)]
    assert count == 5


def test_view_count_follows_the_data_table(checked: dict[str, Any], tmp_path: Path) -> None:
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(checked["gpkg"].read_bytes())
    with closing(sqlite3.connect(copy)) as con, con:
        con.execute("DELETE FROM parcels_data WHERE cad = 'E'")
    info = pyogrio.read_info(copy, layer="parcels")
    assert info["features"] == 4 and info["capabilities"]["fast_feature_count"]
    assert len(pyogrio.read_dataframe(copy, layer="parcels")) == 4


def test_spatial_filter_uses_the_rtree(checked: dict[str, Any]) -> None:
    """GDAL filters the view through ``parcels_data``'s R-tree: the view's ``fid`` and
    ``geom`` are the data table's primary key and geometry column."""
    info = pyogrio.read_info(checked["gpkg"], layer="parcels")
    assert info["capabilities"]["fast_spatial_filter"]
    assert info["fid_column"] == "fid" and info["geometry_name"] == "geom"
    # parcel B is the 100 m square at (1000, 6000); the box holds nothing else
    bbox = (X0 + 1040, Y0 + 6040, X0 + 1060, Y0 + 6060)
    got = pyogrio.read_dataframe(checked["gpkg"], layer="parcels", bbox=bbox, fid_as_index=True)
    assert got["parcel_id"].tolist() == ["B"] and got.index.tolist() == [2]


def test_hits_view_joins_the_data_table(checked: dict[str, Any]) -> None:
    hits = pyogrio.read_dataframe(checked["gpkg"], layer="parcel_hits")
    assert list(hits.columns) == list(HIT_COLUMNS)
    engine = checked["result"].hits
    assert hits["parcel_id"].tolist() == engine["parcel_id"].astype(str).tolist()
    assert set(hits["parcel_id"]) == {"A", "B"}


def _frame() -> gpd.GeoDataFrame:
    """Eight parcels with every kind of column the split has to deal with."""
    n = 8
    ru = ["р1", "р2", "р1", "р3", "р2", "р1", None, "р1"]
    en = ["e1", "e2", "e1", "e3", "e9", "e1", None, "e1"]  # not paired code for code
    return parcels(
        [sq(i * 200, 0) for i in range(n - 1)] + [None],
        name=[f"n{i}" for i in range(n)],  # unique: kept
        kind=["a", "a", "b", "a", None, "a", "a", "b"],  # repeats: coded
        verdict=pd.Categorical(
            ["clear", "clear", "prohibited", "clear", None, "clear"] * 1 + ["x", "x"]
        ),
        case_code=np.arange(n),  # a user column with the name of the code column
        ints=pd.Categorical([1, 2, 1, 2, 1, 2, 1, 2]),  # not texts: kept as they are
        explanation_ru=pd.Categorical(ru, categories=["р3", "р2", "р1"]),
        explanation_en=pd.Categorical(en),
        value=np.linspace(0.5, 4.0, n),
    )


def test_narrow_parcels_codes_every_repeated_text(tmp_path: Path) -> None:
    frame = _frame()
    narrow = gpkg_out.narrow_parcels(gpkg_out._gpkg_ready(frame))
    assert list(narrow.data.columns) == [
        "name",
        "kind_code",
        "case_code_2",
        "case_code",
        "ints",
        "explanation_code",
        "value",
        "geometry",
    ]
    assert narrow.texts == [(0, "kind", "a"), (1, "kind", "b")]
    assert narrow.data["kind_code"].tolist() == [0, 0, 1, 0, pd.NA, 0, 0, 1]
    # explanation pairs: (р1, e1) (р2, e2) (р3, e3) (р2, e9) and none; texts that are
    # not the engine's sentences are their own first part, and the other two are empty
    parts = {p[0]: p[1:] for p in narrow.explanation_parts}
    assert len(narrow.explanations) == 4
    assert len({p[2:] for p in narrow.explanations}) == 1  # the same empty parts
    assert parts[narrow.explanations[0][2]] == ("", "")
    assert sorted(parts[p[1]] for p in narrow.explanations) == [
        ("р1", "e1"),
        ("р2", "e2"),
        ("р2", "e9"),
        ("р3", "e3"),
    ]
    assert narrow.data["explanation_code"].isna().tolist() == [False] * 6 + [True, False]
    assert narrow.cases is not None and list(narrow.cases.columns) == ["code", "verdict"]
    assert narrow.cases["verdict"].tolist() == ["clear", "prohibited", None, "x"]
    assert narrow.data["case_code_2"].tolist() == [0, 0, 1, 0, 2, 0, 3, 3]
    assert narrow.parcel_id == "parcel_id"


def test_copies_are_stored_once() -> None:
    frame = _frame()
    frame["parcel_id"] = frame["name"].astype("string")
    frame["input_row"] = np.arange(1, len(frame) + 1)
    frame["other_row"] = np.arange(1, len(frame) + 1)
    frame.insert(0, "blank", pd.array([None] * len(frame), dtype="string"))  # missing: skipped
    narrow = gpkg_out.narrow_parcels(frame)
    assert narrow.parcel_id == "name"
    assert {"parcel_id", "input_row"}.isdisjoint(narrow.data.columns)
    assert dict(narrow.select)["parcel_id"] == 'd."name"'
    assert dict(narrow.select)["input_row"] == 'd."fid"'
    assert dict(narrow.select)["other_row"] == 'd."other_row"'
    frame["input_row"] = np.arange(2, len(frame) + 2)  # not the fid: stored
    frame.loc[3, "parcel_id"] = "other"  # not the name: stored
    narrow = gpkg_out.narrow_parcels(frame)
    assert {"parcel_id", "input_row"} <= set(narrow.data.columns)


def test_written_view_equals_plain_table_for_any_columns(tmp_path: Path) -> None:
    frame = _frame()
    empty_hits = pd.DataFrame({c: pd.Series([], dtype=object) for c in HIT_COLUMNS})
    summary = {"run_id": "test"}
    result = CheckResult(parcels=frame.assign(parcel_id=frame["name"]), hits=empty_hits)
    out_mod._write_gpkg(tmp_path / "v.gpkg", result, summary=summary, issues=None)
    _same_read(_plain(result.parcels, tmp_path / "plain.gpkg"), tmp_path / "v.gpkg")


def test_no_parcels_is_a_plain_table(checked: dict[str, Any], tmp_path: Path) -> None:
    r = checked["result"]
    empty = CheckResult(parcels=r.parcels.iloc[:0], hits=r.hits.iloc[:0])
    out_mod._write_gpkg(tmp_path / "e.gpkg", empty, summary={"run_id": "t"}, issues=None)
    with closing(sqlite3.connect(tmp_path / "e.gpkg")) as con:
        kinds = dict(con.execute("SELECT name, type FROM sqlite_master").fetchall())
    assert kinds["parcels"] == "table" and "parcels_data" not in kinds
    p = pyogrio.read_dataframe(tmp_path / "e.gpkg", layer="parcels")
    assert len(p) == 0 and "verdict" in p.columns and p.crs == WORKING_CRS


def test_global_codes_with_a_memo_are_the_codes_without() -> None:
    """Slices sharing their keys: with the memo each key is looked up once, and the
    codes and the order of first use are those of a lookup per slice."""
    keys = [("a",), ("b",), ("c",), ("d",)]
    slices = [np.array([2, -1, 2]), np.array([0, 2]), np.array([-1]), np.array([3, 1, 0])]
    known_a: dict[Any, int] = {("z",): 0}  # a key coded by an earlier chunk
    known_b: dict[Any, int] = {("z",): 0}
    memo = np.full(len(keys) + 1, -1, np.int64)
    with_memo = [gpkg_out._global(c, keys, known_a, memo) for c in slices]
    without = [gpkg_out._global(c, keys, known_b) for c in slices]
    expected = [[1, -1, 1], [2, 1], [-1], [4, 3, 2]]  # c, then a, then b and d (key order)
    assert [list(x) for x in with_memo] == [list(x) for x in without] == expected
    assert list(known_a.items()) == list(known_b.items())
    assert list(memo) == [2, 3, 1, 4, -1]


def _lookup(path: Path, table: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY code").fetchall()


def test_explanation_parts_come_from_the_engine(
    checked: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer stores the parts the engine composed, without searching the texts;
    a result that has none (put together otherwise, e.g. by the Dask engine) has its
    texts split by pattern, into the same tables."""
    result = checked["result"]
    assert result.explanations is not None

    def no_search(*args: object) -> None:
        raise AssertionError("the explanations were searched by pattern")

    with monkeypatch.context() as m:
        m.setattr(gpkg_out, "explanation_parts_of", no_search)
        out_mod.write_results(result, tmp_path / "engine.gpkg", summary=checked["summary"])
    plain = dataclasses.replace(result, explanations=None)
    out_mod.write_results(plain, tmp_path / "pattern.gpkg", summary=checked["summary"])
    for table in ("explanation_pairs", "explanation_parts"):
        rows = _lookup(tmp_path / "engine.gpkg", table)
        assert rows and rows == _lookup(tmp_path / "pattern.gpkg", table)
    back = pyogrio.read_dataframe(tmp_path / "engine.gpkg", layer="parcels")
    assert back["explanation_en"].tolist() == result.parcels["explanation_en"].astype(str).tolist()


@pytest.mark.parametrize(
    ("categories", "texts"),
    [
        (pd.Index(["b", "a"], dtype=object), True),
        (pd.Index(["b", "a"], dtype="string"), True),
        (pd.Index([1, 2]), False),
        (pd.Index(["a", 1], dtype=object), False),
        (pd.Index([b"a", b"b"], dtype=object), False),
        (pd.Index([], dtype=object), False),
    ],
)
def test_a_categorical_of_texts_is_coded_with_its_texts(categories: pd.Index, texts: bool) -> None:
    """Only categories that are all texts are stored once as texts (``text_codes``), with
    the codes of the rows renumbered to the texts used."""
    codes_in = [1, -1, 1] if len(categories) else [-1, -1, -1]
    values = pd.Series(pd.Categorical.from_codes(codes_in, categories=categories))
    assert gpkg_out._str_categorical(values) is texts
    got = gpkg_out.text_codes(values)
    if texts:
        assert got is not None
        codes, kept = got
        assert codes.tolist() == [0, -1, 0] and kept == [str(categories[1])]
    else:
        assert got is None
