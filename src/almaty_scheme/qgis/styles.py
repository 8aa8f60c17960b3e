"""Styles in GeoPackages: the ``layer_styles`` table that QGIS reads on opening a layer.

:func:`embed_styles` writes, for each styled layer of a GeoPackage, one row of the
QGIS/OGC GeoPackage style table with ``useAsDefault = 1``, so that dragging the file
into QGIS shows styled layers. The table schema is the one QGIS creates
(``QgsOgrProviderUtils``, QGIS 3.22)::

    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
    f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
    styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
    description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME

and the table is registered in ``gpkg_contents`` as an ``attributes`` table (GDAL lists
it as a layer, as QGIS does). Embedding is idempotent: the toolkit's own row of a layer
(``styleName`` = the layer name) is replaced, never duplicated, and any other row of that
layer loses ``useAsDefault`` so that exactly one default remains.

The styles themselves are the files ``styles/<layer>.qml`` and ``.sld``, generated from
``styles/styles.yaml`` by ``python -m almaty_scheme.qgis.styles --write``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sqlite3
import sys
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path

from almaty_scheme.errors import DataError
from almaty_scheme.qgis.qml import qml_text
from almaty_scheme.qgis.sld import sld_text
from almaty_scheme.qgis.spec import default_spec, load_spec, styled_layer_names
from almaty_scheme.resources import styles_dir

log = logging.getLogger(__name__)

STYLE_TABLE = "layer_styles"
STYLE_OWNER = "almaty-scheme"

_CREATE = f"""
CREATE TABLE IF NOT EXISTS "{STYLE_TABLE}" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT,
  "useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""


def style_path(layer: str, kind: str = "qml", directory: Path | None = None) -> Path:
    """Path of a shipped style file (``kind``: ``qml`` or ``sld``)."""
    return (directory or styles_dir()) / f"{layer}.{kind}"


def read_style(layer: str, directory: Path | None = None) -> tuple[str, str]:
    """The shipped QML and SLD texts of ``layer``.

    Raises
    ------
    DataError
        If the files are missing (regenerate them with ``--write``).
    """
    try:
        qml = style_path(layer, "qml", directory).read_text(encoding="utf-8")
        sld = style_path(layer, "sld", directory).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(
            f"no style files for layer {layer!r}",
            [f"Regenerate them: python -m almaty_scheme.qgis.styles --write ({exc})."],
        ) from exc
    return qml, sld


def has_style(layer: str, directory: Path | None = None) -> bool:
    """True if ``styles/<layer>.qml`` exists."""
    return style_path(layer, "qml", directory).is_file()


def generated_styles(spec_path: Path | None = None) -> dict[str, str]:
    """File name -> text of every QML and SLD file the spec defines."""
    spec = load_spec(spec_path) if spec_path else default_spec()
    out: dict[str, str] = {}
    for name in spec.layers:
        out[f"{name}.qml"] = qml_text(name, spec)
        out[f"{name}.sld"] = sld_text(name, spec)
    return out


def write_style_files(directory: Path | None = None) -> list[Path]:
    """(Re)write ``<layer>.qml`` and ``<layer>.sld`` for every layer of the spec."""
    d = directory or styles_dir()
    written = []
    for fname, text in generated_styles(d / "styles.yaml").items():
        p = d / fname
        p.write_text(text, encoding="utf-8")
        written.append(p)
    return written


def _geometry_column(con: sqlite3.Connection, table: str) -> str | None:
    row = con.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)",
        (table,),
    ).fetchone()
    return None if row is None else str(row[0])


def gpkg_tables(path: str | Path) -> list[str]:
    """Names of the feature and attribute tables of a GeoPackage (``gpkg_contents``)."""
    with closing(sqlite3.connect(str(path))) as con:
        rows = con.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type IN ('features', 'attributes')"
        ).fetchall()
    return [str(r[0]) for r in rows]


def embed_styles(
    gpkg_path: str | Path,
    layers: Iterable[str] | None = None,
    *,
    directory: Path | None = None,
) -> list[str]:
    """Write the shipped style of each layer into the GeoPackage's ``layer_styles``.

    Parameters
    ----------
    gpkg_path
        An existing GeoPackage (the builder's or checker's temporary file).
    layers
        Layers to style; default every table of the file that has a shipped style.
        A named layer that is not in the file, or has no style, is an error.
    directory
        Where the style files are (default :func:`~almaty_scheme.resources.styles_dir`).

    Returns
    -------
    list of str
        The layers that were styled.

    Raises
    ------
    DataError
        If the file is not a GeoPackage, or a named layer is missing or unstyled
        (all such problems listed together).
    """
    path = Path(gpkg_path)
    if not path.is_file():
        raise DataError(f"{path} does not exist", ["Write the GeoPackage before embedding styles."])
    try:
        present = gpkg_tables(path)
    except sqlite3.DatabaseError as exc:
        raise DataError(f"{path} is not a GeoPackage", [str(exc)]) from exc
    present_lower = {t.lower(): t for t in present}
    if layers is None:
        names = [t for t in present if t != STYLE_TABLE and has_style(t, directory)]
    else:
        names = list(dict.fromkeys(layers))
        problems = [
            f"layer {n!r} is not in {path.name}; layers there: {sorted(present)}."
            for n in names
            if n.lower() not in present_lower
        ]
        problems += [
            f"layer {n!r} has no style file {style_path(n, 'qml', directory)}; add it to "
            "styles/styles.yaml and regenerate."
            for n in names
            if not has_style(n, directory)
        ]
        if problems:
            raise DataError(f"cannot embed styles into {path.name}", problems)
        names = [present_lower[n.lower()] for n in names]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    with closing(sqlite3.connect(str(path))) as con, con:
        con.execute(_CREATE)
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) SELECT ?, 'attributes', ?, 'QGIS layer styles', ? WHERE NOT EXISTS "
            "(SELECT 1 FROM gpkg_contents WHERE lower(table_name) = lower(?))",
            (STYLE_TABLE, STYLE_TABLE, now, STYLE_TABLE),
        )
        for name in names:
            qml, sld = read_style(name, directory)
            geom = _geometry_column(con, name) or ""
            con.execute(
                f'UPDATE "{STYLE_TABLE}" SET useAsDefault = 0 WHERE lower(f_table_name) = lower(?)',
                (name,),
            )
            con.execute(
                f'DELETE FROM "{STYLE_TABLE}" WHERE lower(f_table_name) = lower(?) '
                "AND styleName = ?",
                (name, name),
            )
            con.execute(
                f'INSERT INTO "{STYLE_TABLE}" (f_table_catalog, f_table_schema, f_table_name, '
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, ?, NULL, ?)",
                (
                    name,
                    geom,
                    name,
                    qml,
                    sld,
                    f"almaty-scheme default style of {name}",
                    STYLE_OWNER,
                    now,
                ),
            )
        _sync_ogr_count(con)
    log.info("embedded styles for %d layers in %s", len(names), path.name)
    return names


def _sync_ogr_count(con: sqlite3.Connection) -> None:
    """Keep GDAL's cached feature count of ``layer_styles`` right, if GDAL keeps one.

    No row is added: without one GDAL counts the rows itself.
    """
    has = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='gpkg_ogr_contents'"
    ).fetchone()
    if not has:
        return
    n = con.execute(f'SELECT count(*) FROM "{STYLE_TABLE}"').fetchone()[0]
    con.execute(
        "UPDATE gpkg_ogr_contents SET feature_count = ? WHERE lower(table_name) = lower(?)",
        (n, STYLE_TABLE),
    )


def default_styles(gpkg_path: str | Path) -> dict[str, list[str]]:
    """Layer -> style names with ``useAsDefault`` set (for checks and tests)."""
    with closing(sqlite3.connect(str(gpkg_path))) as con:
        rows = con.execute(
            f'SELECT f_table_name, styleName FROM "{STYLE_TABLE}" WHERE useAsDefault'
        ).fetchall()
    out: dict[str, list[str]] = {}
    for table, style in rows:
        out.setdefault(str(table), []).append(str(style))
    return out


def style_finalizer(layer_names: Iterable[str] | None = None) -> Callable[[Path], None]:
    """A ``finalize`` callback for :func:`almaty_scheme.io.gpkg.write_layers`.

    It embeds the styles of ``layer_names`` (those that have a shipped style; default:
    every styled table in the file) into the temporary GeoPackage before the rename.
    """
    names = None if layer_names is None else [n for n in layer_names if has_style(n)]

    def finalize(tmp: Path) -> None:
        embed_styles(tmp, names)

    return finalize


def main(argv: list[str] | None = None) -> int:
    """``python -m almaty_scheme.qgis.styles --write|--check``: regenerate or verify files."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--write", action="store_true", help="rewrite styles/*.qml and *.sld")
    ap.add_argument("--check", action="store_true", help="fail if the files are out of date")
    ap.add_argument("--dir", type=Path, default=None, help="styles folder (default: shipped)")
    args = ap.parse_args(argv)
    d = args.dir or styles_dir()
    if args.write:
        for p in write_style_files(d):
            print(p)
        return 0
    stale = [
        f
        for f, text in generated_styles(d / "styles.yaml").items()
        if not (d / f).is_file() or (d / f).read_text(encoding="utf-8") != text
    ]
    for f in stale:
        print(f"out of date: {d / f}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = [
    "STYLE_TABLE",
    "default_styles",
    "embed_styles",
    "generated_styles",
    "read_style",
    "style_finalizer",
    "styled_layer_names",
    "write_style_files",
]
