"""What a check can know before computing: its input files and the output's limits.

The expensive part of a check runs only after every refusal that does not need it: an
output that would replace an input (:func:`input_files` lists every file read, with a
Shapefile's sidecars, for :class:`~almaty_scheme.io.outset.OutputSet`) and a parcels
table too wide for a GeoPackage (:func:`check_column_count`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from almaty_scheme.check.engine import VERDICT_COLUMNS
from almaty_scheme.check.zones import HIT_LAYERS
from almaty_scheme.errors import DataError
from almaty_scheme.io.outset import input_files

__all__ = ["SQLITE_MAX_COLUMNS", "check_column_count", "input_files", "output_columns_bound"]

SQLITE_MAX_COLUMNS = 2000
"""SQLite's default ``SQLITE_MAX_COLUMN``: no table (nor view) may have more columns."""


def output_columns_bound(frame: pd.DataFrame) -> int:
    """An upper bound of the columns of the results' ``parcels`` table: the parcels'
    attributes, the engine's verdict columns, at most two ``near_<key>_m`` per
    restriction layer (family and layer), the fid and the geometry."""
    geom = frame.geometry.name if hasattr(frame, "geometry") else None
    n_attr = sum(1 for c in frame.columns if c != geom)
    return n_attr + len(VERDICT_COLUMNS) + 2 * len(HIT_LAYERS) + 2


def check_column_count(frame: pd.DataFrame, out: str | Path) -> None:
    """Refuse, before the check, parcels whose results table would exceed SQLite's
    column limit (a GeoPackage is SQLite).

    Raises
    ------
    DataError
        With the number of input columns and how to fit.
    """
    n = output_columns_bound(frame)
    if n <= SQLITE_MAX_COLUMNS:
        return
    n_in = len(frame.columns) - 1
    room = n_in - (n - SQLITE_MAX_COLUMNS)
    raise DataError(
        f"The parcels have {n_in} columns: with the {n - n_in} result columns the "
        f"parcels table of {Path(out).name} would pass SQLite's limit of "
        f"{SQLITE_MAX_COLUMNS} columns",
        [
            f"Keep at most {max(room, 0)} input columns (drop the others in QGIS or with "
            "ogr2ogr -select), or write GeoParquet with --out results.parquet (no limit)."
        ],
    )
