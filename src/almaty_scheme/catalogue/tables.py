"""The scheme's appendix tables (CSV in ``layers/``) as typed DataFrames.

Three tables are registered in ``layers/catalogue.yaml`` under ``tables:``:

``appendix15_settlements``
    Appendix 15 (seed L4378-5055): the settlements of the agglomeration and their
    population (1 Jan 2018, forecasts 2025/2035/2050), one row per table row in
    document order, including district subtotals, the region total, Almaty and the
    grand total (``row_kind``). Irregular rows are explained in ``note``.
``appendix1_land_balance``
    Appendix 1 section 1 "Территория" (L3739-3802): land balance in thousand ha by
    process zone and land category, now (``current``) and at the three horizons.
``appendix1_population``
    Appendix 1 section 2.1 (L3804-3831): total, urban and rural population in
    thousand persons and the urban/rural shares in %.

The CSVs are generated from the seed text by ``scripts/extract_appendices.py``
(never edited by hand). Loading checks the header, the numbers, the row kinds and
the keys, and reports every problem at once as a
:class:`~almaty_scheme.errors.CatalogueError` naming the file, the row and the column.

This module parses and checks the CSVs only (no pandas, so that loading the catalogue
stays fast); reading a table as a DataFrame, and by name from a catalogue, is
:mod:`almaty_scheme.catalogue.appendices`.

Types: numeric columns are ``float64`` (empty cell -> NaN); text columns are the
pandas ``string`` dtype (empty cell -> ``<NA>``).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

APPENDIX15 = "appendix15_settlements"
LAND_BALANCE = "appendix1_land_balance"
POPULATION = "appendix1_population"

A15_ROW_KINDS: tuple[str, ...] = (
    "settlement",
    "district_subtotal",
    "city_admin_subtotal",
    "region_total",
    "city",
    "grand_total",
    "planned_city",
)
"""Values of ``row_kind`` in Appendix 15."""

A15_POP_COLUMNS: tuple[str, ...] = ("pop_2018", "pop_2025", "pop_2035", "pop_2050")
HORIZON_COLUMNS: tuple[str, ...] = ("current", "stage1_2025", "design_2035", "forecast_2050")

LAND_BALANCE_KEYS: tuple[str, ...] = (
    "total",
    "zone_intensive",
    "zone_active",
    "zone_weak",
    "agricultural",
    "settlements",
    "settlements_urban",
    "settlements_rural",
    "industry_transport",
    "protected_recreational",
    "forest_fund",
    "water_fund",
    "reserve",
)
"""Keys of the land-balance table, in document order."""

POPULATION_KEYS: tuple[str, ...] = ("total", "urban", "urban_share", "rural", "rural_share")
"""Keys of the population table, in document order."""

_SEED_LINES = re.compile(r"^\d+-\d+$")


@dataclass(frozen=True)
class TableSpec:
    """Columns and value checks of one catalogue table."""

    name: str
    text_columns: tuple[str, ...]
    numeric_columns: tuple[str, ...]
    columns: tuple[str, ...]
    key_column: str
    key_pattern: str | None = None
    required_keys: tuple[str, ...] = ()
    enums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    required_text: tuple[str, ...] = ()


A15_SPEC = TableSpec(
    name=APPENDIX15,
    columns=(
        "row_id",
        "number",
        "row_kind",
        "district",
        "rural_district",
        "settlement",
        *A15_POP_COLUMNS,
        "seed_lines",
        "note",
    ),
    text_columns=(
        "row_id",
        "number",
        "row_kind",
        "district",
        "rural_district",
        "settlement",
        "seed_lines",
        "note",
    ),
    numeric_columns=A15_POP_COLUMNS,
    key_column="row_id",
    key_pattern=r"^A15-\d{3}$",
    enums=(("row_kind", A15_ROW_KINDS),),
    required_text=("row_id", "row_kind", "seed_lines"),
)

_BALANCE_COLUMNS = (
    "key",
    "label_ru",
    "unit",
    *HORIZON_COLUMNS,
    "seed_lines",
    "note",
)

LAND_BALANCE_SPEC = TableSpec(
    name=LAND_BALANCE,
    columns=_BALANCE_COLUMNS,
    text_columns=("key", "label_ru", "unit", "seed_lines", "note"),
    numeric_columns=HORIZON_COLUMNS,
    key_column="key",
    required_keys=LAND_BALANCE_KEYS,
    enums=(("key", LAND_BALANCE_KEYS), ("unit", ("thousand ha",))),
    required_text=("key", "label_ru", "unit", "seed_lines"),
)

POPULATION_SPEC = TableSpec(
    name=POPULATION,
    columns=_BALANCE_COLUMNS,
    text_columns=("key", "label_ru", "unit", "seed_lines", "note"),
    numeric_columns=HORIZON_COLUMNS,
    key_column="key",
    required_keys=POPULATION_KEYS,
    enums=(("key", POPULATION_KEYS), ("unit", ("thousand persons", "%"))),
    required_text=("key", "label_ru", "unit", "seed_lines"),
)

SPECS: dict[str, TableSpec] = {s.name: s for s in (A15_SPEC, LAND_BALANCE_SPEC, POPULATION_SPEC)}


def _parse_number(text: str) -> float | None:
    """A CSV number (``.`` decimal point); empty -> ``None``; raises ValueError otherwise."""
    t = text.strip()
    if not t:
        return None
    value = float(t)
    if not math.isfinite(value):
        raise ValueError(t)
    return value


@dataclass
class ParsedTable:
    problems: list[str]
    texts: dict[str, list[str | None]]
    numbers: dict[str, list[float]]


def _read_csv_rows(p: Path, spec: TableSpec, problems: list[str]) -> list[list[str]] | None:
    """Header and rows of a UTF-8 CSV; ``None`` with the reason in ``problems``."""
    fname = p.name
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        problems.append(
            f"{p}: table {spec.name!r} is missing; regenerate it with "
            "'python scripts/extract_appendices.py' or fix its path under 'tables:' in "
            "catalogue.yaml."
        )
        return None
    except OSError as exc:
        problems.append(f"{p}: cannot read the file ({exc.strerror}).")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            f"{fname}: not UTF-8 ({exc.reason} at byte {exc.start}, line {line}); save it as UTF-8."
        )
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        body = list(reader)
    except StopIteration:
        problems.append(f"{fname}: the file is empty; it needs a header row.")
        return None
    except csv.Error as exc:
        problems.append(f"{fname}: invalid CSV at line {reader.line_num}: {exc}.")
        return None
    return [header, *body]


def _header_problems(fname: str, header: list[str], spec: TableSpec) -> list[str]:
    """Missing, unknown and duplicate columns of the header row."""
    problems = []
    missing = [c for c in spec.columns if c not in header]
    unknown = [c for c in header if c not in spec.columns]
    dup_cols = sorted({c for c in header if header.count(c) > 1})
    if missing:
        problems.append(f"{fname}: header: missing column(s) {', '.join(missing)}.")
    if unknown:
        problems.append(
            f"{fname}: header: unknown column(s) {', '.join(unknown)} "
            f"(expected: {', '.join(spec.columns)})."
        )
    if dup_cols:
        problems.append(f"{fname}: header: duplicate column(s) {', '.join(dup_cols)}.")
    return problems


def _read_cells(
    where: str, cells: list[str], pos: dict[str, int], spec: TableSpec, result: ParsedTable
) -> None:
    """Numbers, texts and enumerations of one row into ``result`` (problems collected)."""
    for col in spec.numeric_columns:
        cell = cells[pos[col]]
        try:
            value = _parse_number(cell)
            result.numbers[col].append(math.nan if value is None else value)
        except ValueError:
            result.problems.append(
                f"{where}: column '{col}': {cell!r} is not a number "
                "(use a '.' decimal point and no thousands separator)."
            )
            result.numbers[col].append(math.nan)
    for col in spec.text_columns:
        cell = cells[pos[col]].strip()
        result.texts[col].append(cell or None)
        if col in spec.required_text and not cell:
            result.problems.append(f"{where}: column '{col}' is empty.")
    for col, allowed in dict(spec.enums).items():
        cell = cells[pos[col]].strip()
        if cell and cell not in allowed:
            result.problems.append(
                f"{where}: column '{col}': {cell!r} is not one of {', '.join(allowed)}."
            )


def _key_problems(
    where: str, key: str, lineno: int, spec: TableSpec, seen: dict[str, int]
) -> list[str]:
    """Pattern and uniqueness of a row's key (``seen`` records first lines)."""
    problems = []
    if spec.key_pattern and not re.match(spec.key_pattern, key):
        problems.append(
            f"{where}: column '{spec.key_column}': {key!r} does not match {spec.key_pattern}."
        )
    if key in seen:
        problems.append(
            f"{where}: column '{spec.key_column}': duplicate {key!r} (first at line {seen[key]})."
        )
    else:
        seen[key] = lineno
    return problems


def _seed_lines_problems(where: str, lines_cell: str) -> list[str]:
    """A ``seed_lines`` cell must be ``first-last`` with 1 <= first <= last."""
    if lines_cell and not _SEED_LINES.match(lines_cell):
        return [
            f"{where}: column 'seed_lines': {lines_cell!r} is not 'first-last' (e.g. 4412-4412)."
        ]
    if lines_cell:
        a, b = (int(x) for x in lines_cell.split("-"))
        if not 1 <= a <= b:
            return [f"{where}: column 'seed_lines': {lines_cell!r} is not ordered."]
    return []


def parse_table(path: str | Path, spec: TableSpec) -> ParsedTable:
    """Parse and check one catalogue CSV; problems are collected, not raised."""
    p = Path(path)
    fname = p.name
    texts: dict[str, list[str | None]] = {c: [] for c in spec.text_columns}
    numbers: dict[str, list[float]] = {c: [] for c in spec.numeric_columns}
    problems: list[str] = []
    result = ParsedTable(problems, texts, numbers)
    rows = _read_csv_rows(p, spec, problems)
    if rows is None:
        return result
    header, body = rows[0], rows[1:]
    problems += _header_problems(fname, header, spec)
    if problems:
        return result
    pos = {c: header.index(c) for c in spec.columns}
    seen: dict[str, int] = {}
    n_rows = 0
    for lineno, cells in enumerate(body, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank line
        n_rows += 1
        key = cells[pos[spec.key_column]] if len(cells) > pos[spec.key_column] else ""
        where = f"{fname}: line {lineno}" + (f" ({spec.key_column} {key!r})" if key else "")
        if len(cells) != len(header):
            problems.append(f"{where}: {len(cells)} cells, expected {len(header)}.")
            continue
        _read_cells(where, cells, pos, spec, result)
        if key:
            problems += _key_problems(where, key, lineno, spec, seen)
        problems += _seed_lines_problems(where, cells[pos["seed_lines"]].strip())
    absent = [k for k in spec.required_keys if k not in seen]
    if absent:
        problems.append(f"{fname}: column '{spec.key_column}': missing row(s) {', '.join(absent)}.")
    if n_rows == 0:
        problems.append(f"{fname}: the table has no rows.")
    return result


def validate_table(path: str | Path, spec: TableSpec) -> list[str]:
    """Every problem of one catalogue CSV (empty list if it is valid)."""
    return parse_table(path, spec).problems
