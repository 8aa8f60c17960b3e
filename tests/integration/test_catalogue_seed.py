"""The catalogue against the scheme's text (``../shared/seeds``).

* every ``scheme`` quote of the shipped catalogue is at its cited lines;
* deliberately wrong quotes and line numbers are caught (library and CLI);
* the appendix CSVs are exactly what ``scripts/extract_appendices.py`` extracts from
  the seed now (so the committed tables cannot drift from the parser);
* the tables' rows are where their ``seed_lines`` say, and the counts the text states
  (L134, L753-757, L834-838) match the tables.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
import yaml

from almaty_scheme.catalogue import Catalogue, SchemeSource, load_catalogue
from almaty_scheme.catalogue.appendices import (
    load_appendix15,
    load_land_balance,
    load_population,
)
from almaty_scheme.catalogue.quotes import (
    check_source,
    iter_sources,
    normalise,
    read_seed,
    verify_quotes,
)
from almaty_scheme.catalogue.tables import A15_POP_COLUMNS, HORIZON_COLUMNS
from almaty_scheme.cli import main
from almaty_scheme.errors import CatalogueError
from almaty_scheme.resources import default_seed_path, layers_dir

SEED = default_seed_path()
REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not SEED.is_file(), reason=f"the scheme's text not found at {SEED}"),
]


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
def lines() -> list[str]:
    return read_seed(SEED)


def _scheme_sources() -> list[Any]:
    """(owner, source) of every scheme quote, or one failing param if the catalogue is broken."""
    try:
        cat = load_catalogue(layers_dir())
    except CatalogueError as exc:  # reported by the test instead of a collection error
        return [
            pytest.param(
                None,
                None,
                id="catalogue-broken",
                marks=pytest.mark.xfail(reason=str(exc), strict=True),
            )
        ]
    out = []
    for i, (owner, source) in enumerate(iter_sources(cat)):
        if isinstance(source, SchemeSource):
            out.append(pytest.param(owner, source, id=f"{owner}-{i}"))
    return out


# ----------------------------------------------------------------------------- quotes


@pytest.mark.parametrize(("owner", "source"), _scheme_sources())
def test_quote_at_cited_lines(owner: str, source: SchemeSource, lines: list[str]) -> None:
    assert owner is not None, "the shipped catalogue does not load"
    problem = check_source(source, lines)
    assert problem is None, f"{owner}: {source.quote!r} at L{source.lines}: {problem}"


def test_verify_quotes_shipped(lines: list[str]) -> None:
    assert verify_quotes(load_catalogue(layers_dir()), lines) == []


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "layers"
    shutil.copytree(layers_dir(), dest)
    return dest


def _first_scheme_rule(cat: Catalogue) -> tuple[str, int, str, SchemeSource]:
    for name, rf in cat.files.items():
        for i, rule in enumerate(rf.rules):
            if isinstance(rule.source, SchemeSource):
                return name, i, rule.id, rule.source
    pytest.fail("no rule with a scheme source")


def _set_source(path: Path, index: int, **changes: Any) -> None:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    data["rules"][index]["source"].update(changes)
    path.write_text(
        yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


def test_wrong_quote_caught(tmp_path: Path, lines: list[str]) -> None:
    dest = _copy(tmp_path)
    cat = load_catalogue(dest)
    name, i, rid, src = _first_scheme_rule(cat)
    _set_source(dest / name, i, quote=src.quote + " и ещё десять метров")
    (problem,) = verify_quotes(load_catalogue(dest), lines)
    assert problem.startswith(f"{rid}: ") and problem.endswith("quote not found in the text")


def test_wrong_lines_caught_with_the_right_ones(tmp_path: Path, lines: list[str]) -> None:
    dest = _copy(tmp_path)
    name, i, rid, src = _first_scheme_rule(load_catalogue(dest))
    a, b = src.lines
    _set_source(dest / name, i, lines=[a + 7, b + 7])
    (problem,) = verify_quotes(load_catalogue(dest), lines)
    assert problem.startswith(f"{rid}: ")
    found = re.search(r"quote found at L(\d+)-(\d+), not at L(\d+)-(\d+)", problem)
    assert found, problem
    fa, fb, wa, wb = map(int, found.groups())
    assert (wa, wb) == (a + 7, b + 7)
    assert a <= fa <= fb <= b  # the hint points inside the original (correct) span


def test_lines_beyond_the_end_caught(tmp_path: Path, lines: list[str]) -> None:
    dest = _copy(tmp_path)
    name, i, _, _ = _first_scheme_rule(load_catalogue(dest))
    _set_source(dest / name, i, lines=[len(lines) + 1, len(lines) + 2])
    (problem,) = verify_quotes(load_catalogue(dest), lines)
    assert f"beyond the end of the text ({len(lines)} lines)" in problem


def test_quote_matches_across_line_breaks(lines: list[str]) -> None:
    """A quote spanning two lines matches whatever the line-break whitespace."""
    k = next(
        i for i in range(100, len(lines)) if len(lines[i].split()) > 3 and lines[i + 1].strip()
    )
    quote = " ".join(lines[k].split()[-2:]) + "\n   " + " ".join(lines[k + 1].split()[:2])
    ok = SchemeSource(type="scheme", quote=quote, lines=(k + 1, k + 2))
    assert check_source(ok, lines) is None
    one_line = SchemeSource(type="scheme", quote=quote, lines=(k + 1, k + 1))
    assert check_source(one_line, lines) is not None


def test_cli_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "verify", "--seed", str(SEED)]) == 0
    assert "match" in capsys.readouterr().out
    dest = _copy(tmp_path)
    name, i, rid, _ = _first_scheme_rule(load_catalogue(dest))
    _set_source(dest / name, i, quote="этой фразы нет в тексте схемы")
    assert main(["rules", "verify", "--catalogue", str(dest), "--seed", str(SEED)]) == 1
    err = capsys.readouterr().err
    assert "1 quote(s) do not match" in err and rid in err


def test_cli_verify_missing_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "verify", "--seed", str(tmp_path / "none.txt")]) == 1
    assert "--seed" in capsys.readouterr().err


# ----------------------------------------------------------------------------- tables vs seed


def test_committed_csvs_equal_a_fresh_extraction(lines: list[str]) -> None:
    texts = _script().render_all(lines)
    assert set(texts) == {
        "appendix15_settlements.csv",
        "appendix1_land_balance.csv",
        "appendix1_population.csv",
    }
    for name, text in texts.items():
        committed = (layers_dir() / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} differs: run python scripts/extract_appendices.py"


def test_extraction_script_check_mode(tmp_path: Path) -> None:
    mod = _script()
    assert mod.main(["--seed", str(SEED), "--check"]) == 0
    out = tmp_path / "out"
    shutil.copytree(layers_dir(), out)
    path = out / "appendix1_population.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("3471.3", "3741"), encoding="utf-8")
    assert mod.main(["--seed", str(SEED), "--out-dir", str(out), "--check"]) == 1
    assert mod.main(["--seed", str(SEED), "--out-dir", str(out)]) == 0
    assert mod.main(["--seed", str(SEED), "--out-dir", str(out), "--check"]) == 0


def _span_numbers(lines: list[str], seed_lines: str) -> set[float]:
    a, b = (int(x) for x in seed_lines.split("-"))
    text = " ".join(lines[a - 1 : b])
    text = re.sub(r"(?<![\d,])(\d{1,3}) (\d{3},\d)", r"\1\2", text)  # '1 993,9' -> '1993,9'
    return {float(t.replace(",", ".")) for t in re.findall(r"\d+(?:,\d+)?", text)}


def test_a15_rows_are_at_their_seed_lines(lines: list[str]) -> None:
    mod = _script()
    df = load_appendix15()
    for row in df.itertuples():
        a, b = (int(x) for x in row.seed_lines.split("-"))
        assert 4378 <= a <= b <= 5055, row.row_id
        numbers = _span_numbers(lines, row.seed_lines)
        for col in A15_POP_COLUMNS:
            value = getattr(row, col)
            if not pd.isna(value):
                assert value in numbers, f"{row.row_id} {col}={value} not in L{row.seed_lines}"
        text = mod.clean_text(lines[a - 1 : b])
        for col in ("settlement", "rural_district"):
            value = getattr(row, col)
            if pd.notna(value) and row.row_kind == "settlement" and row.settlement != "Капчагай":
                assert value in text, f"{row.row_id} {col}={value!r} not in L{row.seed_lines}"
        if not pd.isna(row.number):
            assert re.match(rf"{row.number}\b", text), row.row_id


def test_a15_counts_stated_in_text(lines: list[str]) -> None:
    text = normalise(" ".join(lines[752:757]))  # L753-757
    assert "вошли 189 населенных пунктов" in text
    stated = [int(n) for n in re.findall(r"(\d+) населенн", text)[1:]]  # after the 189
    df = load_appendix15()
    counts = df[df.row_kind == "settlement"].groupby("district", sort=False).size().tolist()
    assert stated == counts == [46, 14, 29, 47, 47, 5]
    assert "189 населенных пунктов Алматинской области и город Алматы" in normalise(
        " ".join(lines[133:135])
    )  # L134-135
    assert sum(counts) + int((df.row_kind == "planned_city").sum()) == 189


def test_gate_city_years_from_text(lines: list[str]) -> None:
    text = normalise(" ".join(lines[833:838]))  # L834-838
    assert "численность населения города GateCity к 2035 году составит 60 тысяч человек" in text
    df = load_appendix15()
    gate = df[df.row_kind == "planned_city"].iloc[0]
    assert gate.pop_2035 == 60 * 1000


def test_appendix1_rows_are_at_their_seed_lines(lines: list[str]) -> None:
    for df in (load_land_balance(), load_population()):
        for row in df.itertuples():
            a, b = (int(x) for x in row.seed_lines.split("-"))
            assert 3739 <= a <= b <= 3831, row.key
            numbers = _span_numbers(lines, row.seed_lines)
            for col in HORIZON_COLUMNS:
                value = getattr(row, col)
                if row.key == "total" and value == 3471.3:
                    value = 3741.0  # the documented reading of the printed typo
                assert value in numbers, f"{row.key} {col}={value} not in L{row.seed_lines}"
