"""The appendix tables as DataFrames, by file or by name (registered in ``catalogue.yaml``).

The parsing and checking of each CSV is :mod:`almaty_scheme.catalogue.tables`; this
module looks the file up in a loaded :class:`~almaty_scheme.catalogue.loader.Catalogue`
(default: the shipped one).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from almaty_scheme.catalogue.loader import Catalogue, default_catalogue
from almaty_scheme.catalogue.tables import (
    APPENDIX15,
    LAND_BALANCE,
    POPULATION,
    SPECS,
    TableSpec,
    parse_table,
)
from almaty_scheme.errors import CatalogueError


def read_table(path: str | Path, spec: TableSpec) -> pd.DataFrame:
    """Read and validate one catalogue CSV against ``spec``.

    Parameters
    ----------
    path
        The CSV file (UTF-8, comma-separated, header row).
    spec
        Expected columns and value checks.

    Returns
    -------
    pandas.DataFrame
        Columns in ``spec.columns`` order; numbers ``float64``, text ``string``.

    Raises
    ------
    CatalogueError
        Naming the file, the row (CSV line and key) and the column of every problem.
    """
    parsed = parse_table(path, spec)
    if parsed.problems:
        raise CatalogueError(
            f"Catalogue table {path} has {len(parsed.problems)} problem(s)", parsed.problems
        )
    columns: dict[str, pd.Series] = {}
    for c in spec.columns:
        if c in spec.text_columns:
            columns[c] = pd.Series(parsed.texts[c], dtype="string")
        else:
            columns[c] = pd.Series(parsed.numbers[c], dtype="float64")
    frame = pd.DataFrame(columns)
    frame.attrs["source"] = str(path)
    frame.attrs["table"] = spec.name
    return frame


def _catalogue(cat: Catalogue | None) -> Catalogue:
    return cat if cat is not None else default_catalogue()


def load_table(name: str, cat: Catalogue | None = None) -> pd.DataFrame:
    """Load a registered catalogue table by name (see :data:`SPECS`).

    Raises
    ------
    CatalogueError
        If the table is not registered in ``catalogue.yaml``, its file is missing or
        malformed.
    """
    c = _catalogue(cat)
    spec = SPECS.get(name)
    if spec is None:
        raise CatalogueError(
            f"Unknown catalogue table {name!r}", [f"Known tables: {', '.join(SPECS)}."]
        )
    if name not in c.index.tables:
        raise CatalogueError(
            f"Table {name!r} is not registered in {c.directory / 'catalogue.yaml'}",
            [f"Add '{name}: {name}.csv' under 'tables:' in catalogue.yaml."],
        )
    return read_table(c.directory / c.index.tables[name], spec)


def load_appendix15(cat: Catalogue | None = None) -> pd.DataFrame:
    """Appendix 15: settlements and their population (seed L4378-5055).

    One row per table row in document order. Sum the ``settlement`` rows of a
    ``district`` to get its ``district_subtotal`` (exact for 2018; forecasts differ
    by rounding, at most 2 persons per district). ``planned_city`` (Gate City) has
    only 2035 and 2050 values.

    Returns
    -------
    pandas.DataFrame
        ``row_id, number, row_kind, district, rural_district, settlement, pop_2018,
        pop_2025, pop_2035, pop_2050, seed_lines, note``.
    """
    return load_table(APPENDIX15, cat)


def load_land_balance(cat: Catalogue | None = None) -> pd.DataFrame:
    """Appendix 1 section 1: land balance in thousand ha (seed L3739-3802).

    Returns
    -------
    pandas.DataFrame
        ``key, label_ru, unit, current, stage1_2025, design_2035, forecast_2050,
        seed_lines, note``; ``key`` in :data:`LAND_BALANCE_KEYS`.
    """
    return load_table(LAND_BALANCE, cat)


def load_population(cat: Catalogue | None = None) -> pd.DataFrame:
    """Appendix 1 section 2.1: population totals (seed L3804-3831).

    The 2025 total is the reading 3471.3 (printed 3741, see the row's ``note``).

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`load_land_balance`; ``key`` in :data:`POPULATION_KEYS`,
        ``unit`` ``thousand persons`` or ``%``.
    """
    return load_table(POPULATION, cat)
