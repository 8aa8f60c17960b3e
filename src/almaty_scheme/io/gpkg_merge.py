"""Moving attribute tables from one GeoPackage into another with SQLite alone.

The standard library only: the GeoPackage writer process
(:mod:`almaty_scheme.io.gpkg_worker`) imports it to merge the hits' file into the
results GeoPackage as soon as the parcels' layer is written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path


def connect_unsynced(path: str | Path) -> sqlite3.Connection:
    """A connection to a results GeoPackage being written: a temporary file renamed into
    place only when the whole set is written, so SQLite need not sync it to disk."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    return con


def sql_name(name: str) -> str:
    """An SQL identifier (a table or column name), quoted for SQLite."""
    return '"' + name.replace('"', '""') + '"'


def merge_tables(path: str | Path, side: str | Path, tables: Sequence[str]) -> None:
    """Move the attribute tables ``tables`` that GDAL wrote into the GeoPackage ``side``
    into the GeoPackage ``path``, as GDAL would have written them there: for each, its
    definition, its rows (one ``INSERT ... SELECT``: SQLite copies the records), its
    ``gpkg_contents`` and ``gpkg_ogr_contents`` rows, then its triggers (the feature
    count's), so that they do not run once per row. ``side`` is left as it is."""
    with closing(connect_unsynced(path)) as con:
        con.execute("ATTACH DATABASE ? AS side", (str(side),))
        for table in tables:
            _merge_one(con, table)
        con.execute("DETACH DATABASE side")


def _merge_one(con: sqlite3.Connection, table: str) -> None:
    objs = con.execute(
        "SELECT type, sql FROM side.sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    with con:
        for sql in (q for kind, q in objs if kind == "table"):
            con.execute(sql)
        con.execute(f"INSERT INTO main.{sql_name(table)} SELECT * FROM side.{sql_name(table)}")
        for meta in ("gpkg_contents", "gpkg_ogr_contents"):
            con.execute(
                f"INSERT INTO main.{meta} SELECT * FROM side.{meta} WHERE table_name = ?",
                (table,),
            )
        for sql in (q for kind, q in objs if kind != "table"):
            con.execute(sql)
