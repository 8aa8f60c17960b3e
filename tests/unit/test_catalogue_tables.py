"""The appendix tables: types, malformed files, and the document's own arithmetic.

The reconciliation tests recompute the scheme's subtotals and totals from the rows of
the shipped CSVs. Where the document's figures do not add up exactly the observed
differences are written into the test with their reason, so any change (a parser bug,
a hand edit) shows up.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.catalogue.appendices import (
    load_appendix15,
    load_land_balance,
    load_population,
    load_table,
    read_table,
)
from almaty_scheme.catalogue.tables import (
    A15_POP_COLUMNS,
    A15_ROW_KINDS,
    A15_SPEC,
    HORIZON_COLUMNS,
    LAND_BALANCE_KEYS,
    LAND_BALANCE_SPEC,
    POPULATION_KEYS,
    validate_table,
)
from almaty_scheme.errors import CatalogueError
from almaty_scheme.resources import layers_dir

REPO = Path(__file__).resolve().parents[2]
KAPCHAGAY = "городская администрация Капчагай"
# L753-757: settlements per district (the breakdown sums to 188; the 189th is Gate City)
DISTRICT_COUNTS = {
    "Енбекшиказахский район": 46,
    "Жамбылский район": 14,
    "Илийский район": 29,
    "Карасайский район": 47,
    "Талгарский район": 47,
    KAPCHAGAY: 5,
}


def _script() -> ModuleType:
    name = "extract_appendices"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "extract_appendices.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def a15() -> pd.DataFrame:
    return load_appendix15()


@pytest.fixture(scope="module")
def land() -> pd.DataFrame:
    return load_land_balance().set_index("key")


@pytest.fixture(scope="module")
def pop() -> pd.DataFrame:
    return load_population().set_index("key")


# ----------------------------------------------------------------------------- types


def test_types(a15: pd.DataFrame) -> None:
    assert list(a15.columns) == list(A15_SPEC.columns)
    for c in A15_SPEC.columns:
        expected = "float64" if c in A15_POP_COLUMNS else "string"
        assert str(a15[c].dtype) == expected, c
    for df in (load_land_balance(), load_population()):
        assert [str(df[c].dtype) for c in HORIZON_COLUMNS] == ["float64"] * 4
        assert str(df["key"].dtype) == "string"


def test_a15_rows(a15: pd.DataFrame) -> None:
    assert list(a15.row_id) == [f"A15-{i:03d}" for i in range(1, len(a15) + 1)]
    assert set(a15.row_kind) <= set(A15_ROW_KINDS)
    assert a15.row_kind.value_counts().to_dict() == {
        "settlement": 188,
        "district_subtotal": 5,
        "city_admin_subtotal": 1,
        "region_total": 1,
        "city": 1,
        "grand_total": 1,
        "planned_city": 1,
    }
    numbered = a15.number.dropna().astype(int).tolist()
    assert numbered == list(range(1, 191))  # № 1..190 as printed
    for kind in ("district_subtotal", "city_admin_subtotal"):
        assert a15[a15.row_kind == kind].settlement.isna().all()


def test_a15_names_cleaned(a15: pd.DataFrame) -> None:
    """Letter-spacing and line breaks are gone from every name."""
    for col in ("district", "rural_district", "settlement"):
        for value in a15[col].dropna():
            assert "  " not in value and "\n" not in value, value
            tokens = value.split()
            singles = sum(1 for a, b in itertools.pairwise(tokens) if len(a) == len(b) == 1)
            assert singles == 0, f"letter-spaced {col}: {value!r}"
            assert "с/ о" not in value and "с /о" not in value, value
    by_number = a15.dropna(subset=["number"]).set_index("number")
    assert by_number.loc["81", "settlement"] == "Нургиса Тлендиев"
    assert by_number.loc["31", "rural_district"] == "Кырбалтабайский с/о"
    assert by_number.loc["117", "rural_district"] == "Новошамалганский с/о"
    assert by_number.loc["54", "settlement"] == "им. Балгабека Кыдырбекулы"
    assert by_number.loc["1", "rural_district"] == "Есикская городская администрация"
    assert by_number.loc["90", "rural_district"] == "Каскеленская городская администрация"
    assert by_number.loc["97", "settlement"] == "71 разъезд"


def test_a15_irregular_rows_are_documented(a15: pd.DataFrame) -> None:
    tuzd = a15[a15.settlement == "Туздыбастау"].iloc[0]
    assert pd.isna(tuzd.number) and tuzd.district == "Талгарский район"
    assert "no №" in tuzd.note
    r183 = a15[a15.number == "183"].iloc[0]
    assert r183.row_kind == "city_admin_subtotal" and r183.district == KAPCHAGAY
    assert "subtotal" in r183.note
    gate = a15[a15.row_kind == "planned_city"].iloc[0]
    assert gate.settlement == "Gate City" and gate.number == "189"
    assert math.isnan(gate.pop_2018) and math.isnan(gate.pop_2025)
    assert (gate.pop_2035, gate.pop_2050) == (60000, 71594)
    assert "L834-838" in gate.note
    karasai = a15[(a15.row_kind == "district_subtotal") & (a15.district == "Карасайский район")]
    assert karasai.pop_2050.iloc[0] == pytest.approx(443758.95)
    assert "443758,95" in karasai.note.iloc[0]
    for kind in ("region_total", "grand_total", "city", "city_admin_subtotal", "planned_city"):
        assert a15[a15.row_kind == kind].note.notna().all(), kind


def test_a15_subtotal_rows_come_before_their_districts(a15: pd.DataFrame) -> None:
    kinds = a15.row_kind.tolist()
    for i, row in a15.iterrows():
        if row.row_kind in ("district_subtotal", "city_admin_subtotal"):
            assert kinds[i + 1] == "settlement"
            assert a15.district.iloc[i + 1] == row.district


# ----------------------------------------------------------------------------- reconciliation

# settlement sum minus the document's subtotal, per district and year. 2018 is exact.
# The forecasts differ by at most 2 persons: each settlement's forecast and each
# subtotal were rounded separately from unrounded model values (and the Karasai 2050
# subtotal is printed with decimals, 443758,95).
FORECAST_DIFFS = {
    "Енбекшиказахский район": (0, 1, -2, 0),
    "Жамбылский район": (0, 0, -1, 0),
    "Илийский район": (0, -2, 0, 0),
    "Карасайский район": (0, -2, 1, -0.95),
    "Талгарский район": (0, -1, -1, 2),
    KAPCHAGAY: (0, -1, -1, 0),
}
FORECAST_TOLERANCE = 2.0  # persons per district and year


def _subtotals(a15: pd.DataFrame) -> pd.DataFrame:
    sub = a15[a15.row_kind.isin(["district_subtotal", "city_admin_subtotal"])]
    return sub.set_index("district")[list(A15_POP_COLUMNS)]


def test_a15_district_counts_match_text(a15: pd.DataFrame) -> None:
    counts = a15[a15.row_kind == "settlement"].groupby("district").size().to_dict()
    assert counts == DISTRICT_COUNTS
    # L134 / L753: 189 settlements of the region = 188 existing + Gate City
    assert sum(counts.values()) + (a15.row_kind == "planned_city").sum() == 189


def test_a15_district_subtotals(a15: pd.DataFrame) -> None:
    settlements = a15[a15.row_kind == "settlement"]
    calc = settlements.groupby("district")[list(A15_POP_COLUMNS)].sum()
    sub = _subtotals(a15)
    assert set(calc.index) == set(sub.index) == set(FORECAST_DIFFS)
    for district, expected in FORECAST_DIFFS.items():
        diff = (calc.loc[district] - sub.loc[district]).tolist()
        assert diff[0] == 0, f"{district}: 2018 must add up exactly"
        assert diff == pytest.approx(list(expected), abs=1e-6), district
        assert max(abs(d) for d in diff) <= FORECAST_TOLERANCE


def test_a15_region_total(a15: pd.DataFrame) -> None:
    """Region = district subtotals + Kapchagay (+ Gate City from 2035), rounding aside."""
    region = a15[a15.row_kind == "region_total"][list(A15_POP_COLUMNS)].iloc[0]
    gate = a15[a15.row_kind == "planned_city"][list(A15_POP_COLUMNS)].iloc[0].fillna(0)
    sub_sum = _subtotals(a15).sum()
    assert (region - sub_sum - gate).tolist() == pytest.approx([0, 0, -1, -0.95], abs=1e-6)
    settlement_sum = a15[a15.row_kind == "settlement"][list(A15_POP_COLUMNS)].sum()
    assert region.iloc[0] == settlement_sum.iloc[0] == 985232


def test_a15_grand_total(a15: pd.DataFrame) -> None:
    cols = list(A15_POP_COLUMNS)
    region = a15[a15.row_kind == "region_total"][cols].iloc[0]
    almaty = a15[a15.row_kind == "city"][cols].iloc[0]
    grand = a15[a15.row_kind == "grand_total"][cols].iloc[0]
    assert (grand - region - almaty).tolist() == [0, 0, 0, 0]
    assert grand.tolist() == [2786945, 3471300, 3904680, 4591773]


# ----------------------------------------------------------------------------- Appendix 1

# land categories minus the total (thousand ha): exact except 2035, where the printed
# categories add up to 939.19, 0.30 short of 939.49 (a slip in the document).
CATEGORY_DIFFS = {"current": 0.0, "stage1_2025": 0.0, "design_2035": -0.30, "forecast_2050": 0.0}
CATEGORIES = [
    "agricultural",
    "settlements",
    "industry_transport",
    "protected_recreational",
    "forest_fund",
    "water_fund",
    "reserve",
]


def test_land_balance_keys(land: pd.DataFrame) -> None:
    assert tuple(land.index) == LAND_BALANCE_KEYS
    assert (land.unit == "thousand ha").all()
    assert land.loc["total"].loc[list(HORIZON_COLUMNS)].tolist() == [939.49] * 4


def test_land_balance_zones_sum_to_total(land: pd.DataFrame) -> None:
    for col in HORIZON_COLUMNS:
        zones = land.loc[["zone_intensive", "zone_active", "zone_weak"], col].sum()
        assert zones == pytest.approx(land.loc["total", col], abs=1e-9)


def test_land_balance_categories_sum_to_total(land: pd.DataFrame) -> None:
    for col, expected in CATEGORY_DIFFS.items():
        diff = land.loc[CATEGORIES, col].sum() - land.loc["total", col]
        assert diff == pytest.approx(expected, abs=1e-6), col


# urban + rural minus settlements (thousand ha): exact except 2035, where the printed
# urban 94.97 and rural 97.3 add up to 192.27, 0.60 more than the printed 191.67.
URBAN_RURAL_DIFFS = {"current": 0.0, "stage1_2025": 0.0, "design_2035": 0.60, "forecast_2050": 0.0}


def test_land_balance_urban_plus_rural(land: pd.DataFrame) -> None:
    for col, expected in URBAN_RURAL_DIFFS.items():
        parts = land.loc["settlements_urban", col] + land.loc["settlements_rural", col]
        assert parts - land.loc["settlements", col] == pytest.approx(expected, abs=1e-6), col
    assert "192.27" in land.loc["settlements", "note"]


def test_population(pop: pd.DataFrame, a15: pd.DataFrame) -> None:
    assert tuple(pop.index) == POPULATION_KEYS
    cols = list(HORIZON_COLUMNS)
    total = pop.loc["total", cols].astype(float)
    parts = pop.loc["urban", cols].astype(float) + pop.loc["rural", cols].astype(float)
    # the total is printed in whole thousands (2025: the reading 3471.3, printed 3741)
    assert (total - parts).tolist() == pytest.approx([0, 0, 0.3, 0.2], abs=1e-6)
    assert "3741" in pop.loc["total", "note"]
    shares = pop.loc["urban_share", cols].astype(float) + pop.loc["rural_share", cols].astype(float)
    assert shares.tolist() == pytest.approx([100.0] * 4)
    for kind in ("urban", "rural"):
        computed = pop.loc[kind, cols].astype(float) / parts * 100
        printed = pop.loc[f"{kind}_share", cols].astype(float)
        assert (computed - printed).abs().max() <= 0.05 + 1e-9, kind
    # Appendix 1 totals agree with Appendix 15's grand total to the printed precision
    grand = a15[a15.row_kind == "grand_total"][list(A15_POP_COLUMNS)].iloc[0] / 1000
    assert (grand.to_numpy() - total.to_numpy()) == pytest.approx([-0.055, 0, -0.32, -0.227])


# ----------------------------------------------------------------------------- malformed CSVs


@pytest.fixture
def cat_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "layers"
    shutil.copytree(layers_dir(), dest)
    return dest


def _rewrite(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_missing_table_file(cat_dir: Path) -> None:
    cat = load_catalogue(cat_dir)
    (cat_dir / "appendix1_population.csv").unlink()
    with pytest.raises(CatalogueError) as info:
        load_population(cat)
    assert "appendix1_population" in str(info.value) and "missing" in str(info.value)
    with pytest.raises(CatalogueError, match=r"appendix1_population\.csv"):
        load_catalogue(cat_dir)


def test_table_not_registered(cat_dir: Path) -> None:
    _rewrite(cat_dir / "catalogue.yaml", "  appendix1_population: appendix1_population.csv\n", "")
    cat = load_catalogue(cat_dir)
    with pytest.raises(CatalogueError, match="not registered"):
        load_population(cat)
    with pytest.raises(CatalogueError, match="Unknown catalogue table"):
        load_table("appendix99", cat)


def test_malformed_a15_reports_every_problem(cat_dir: Path) -> None:
    path = cat_dir / "appendix15_settlements.csv"
    _rewrite(path, "A15-003,2,settlement", "A15-002,2,village")
    _rewrite(path, ",6847,", ",6847x,")
    _rewrite(path, "4414-4417", "4417-4414")
    problems = validate_table(path, A15_SPEC)
    assert len(problems) == 4, problems
    text = "\n".join(problems)
    assert "line 4 (row_id 'A15-002'): column 'row_kind': 'village'" in text
    assert (
        "line 4 (row_id 'A15-002'): column 'row_id': duplicate 'A15-002' (first at line 3)" in text
    )
    assert "line 4 (row_id 'A15-002'): column 'pop_2018': '6847x' is not a number" in text
    assert "column 'seed_lines': '4417-4414' is not ordered" in text
    with pytest.raises(CatalogueError) as info:
        read_table(path, A15_SPEC)
    assert info.value.problems == problems
    assert all(p.startswith("appendix15_settlements.csv: ") for p in problems)


def test_malformed_header(cat_dir: Path) -> None:
    path = cat_dir / "appendix15_settlements.csv"
    _rewrite(path, "pop_2050,", "pop2050,")
    problems = validate_table(path, A15_SPEC)
    assert len(problems) == 2
    assert "missing column(s) pop_2050" in problems[0]
    assert "unknown column(s) pop2050" in problems[1]


def test_wrong_cell_count(cat_dir: Path) -> None:
    path = cat_dir / "appendix15_settlements.csv"
    _rewrite(path, "A15-002,1,settlement,", "A15-002,1,settlement,,")
    (problem,) = validate_table(path, A15_SPEC)
    assert "line 3 (row_id 'A15-002'): 13 cells, expected 12" in problem


def test_non_utf8_table(cat_dir: Path) -> None:
    path = cat_dir / "appendix1_land_balance.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1251"))
    with pytest.raises(CatalogueError) as info:
        read_table(path, LAND_BALANCE_SPEC)
    (problem,) = info.value.problems
    assert problem.startswith("appendix1_land_balance.csv: not UTF-8") and "line 2" in problem
    with pytest.raises(CatalogueError, match=r"appendix1_land_balance\.csv: not UTF-8"):
        load_catalogue(cat_dir)


def test_missing_key_row(cat_dir: Path) -> None:
    path = cat_dir / "appendix1_land_balance.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(ln for ln in lines if not ln.startswith("reserve,")) + "\n", "utf-8")
    (problem,) = validate_table(path, LAND_BALANCE_SPEC)
    assert "column 'key': missing row(s) reserve" in problem


# ----------------------------------------------------------------------------- extraction helpers


def test_despace_letters() -> None:
    mod = _script()
    assert mod.despace_letters("Н у р г и с а  Тлендиев") == "Нургиса Тлендиев"
    assert mod.despace_letters("И т о г о  п о  ") == "Итого по"
    assert mod.despace_letters("2 З о н а  а к т и в н ы х  ") == "2 Зона активных"
    assert mod.despace_letters("Байдибек бия с/о Байдибек би") == "Байдибек бия с/о Байдибек би"


def test_clean_text_joins_split_cells() -> None:
    mod = _script()
    assert mod.clean_text(["Кырбалтабайский с/", "о"]) == "Кырбалтабайский с/о"
    assert mod.clean_text(["Новошамалганский с", "/о"]) == "Новошамалганский с/о"
    assert mod.clean_text(["Енбекшиказахский ", "район"]) == "Енбекшиказахский район"
    assert mod.clean_text(["агломерации (", "области)"]) == "агломерации (области)"


SYNTHETIC = """\
 Перечень населенных пунктов, вошедших в зону Алматинской агломерации, и
2050 год

Альфинский
район

30 33 40 50

1 Альфинский
район

Бетинский с/
о

Гамма 10 11 15 20

2 Альфинский район Бетинский с/о
Д е л ь т а|
Эпсилон

20 22 25 30

Альфинский район Бетинский с/о Зета 5 6 7 8

3 Gate City 100 200

И т о г о  п о|
Алматинской
агломерации (
области)

35 39 147 258

4 город Алматы 1 2 3 4

В с е г о  п о|
агломерации

36 41 150 262
""".replace("|", "  ")


def test_parse_synthetic_appendix15() -> None:
    mod = _script()
    rows = mod.parse_appendix15(SYNTHETIC.splitlines())
    got = [
        (
            r["row_id"],
            r["number"],
            r["row_kind"],
            r["district"],
            r["rural_district"],
            r["settlement"],
        )
        for r in rows
    ]
    assert got == [
        ("A15-001", "", "district_subtotal", "Альфинский район", "", ""),
        ("A15-002", "1", "settlement", "Альфинский район", "Бетинский с/о", "Гамма"),
        ("A15-003", "2", "settlement", "Альфинский район", "Бетинский с/о", "Дельта Эпсилон"),
        ("A15-004", "", "settlement", "Альфинский район", "Бетинский с/о", "Зета"),
        ("A15-005", "3", "planned_city", "", "", "Gate City"),
        ("A15-006", "", "region_total", "", "", ""),
        ("A15-007", "4", "city", "город Алматы", "", "Алматы"),
        ("A15-008", "", "grand_total", "", "", ""),
    ]
    assert [r["seed_lines"] for r in rows] == [
        "4-7", "9-15", "17-21", "23-23", "25-25", "27-32", "34-34", "36-39"
    ]  # fmt: skip
    assert [rows[4][c] for c in ("pop_2018", "pop_2025", "pop_2035", "pop_2050")] == [
        "",
        "",
        "100",
        "200",
    ]
    assert rows[3]["note"]  # the unnumbered row is explained


def test_parse_rejects_unknown_row() -> None:
    mod = _script()
    lines = SYNTHETIC.replace("Альфинский район Бетинский с/о Зета", "Что-то").splitlines()
    with pytest.raises(mod.ExtractionError, match="unrecognised row"):
        mod.parse_appendix15(lines)
