"""Options shared by several subcommands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

catalogue_option = click.option(
    "--catalogue",
    "catalogue_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the rule catalogue (default: the shipped layers/).",
)
overwrite_option = click.option("--overwrite", is_flag=True, help="Replace existing output files.")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")


def layers_option(
    *, required: bool = True, help: str = "The built GeoPackage (almaty-scheme build)."
) -> Any:
    """``--layers``: the built restriction-layer GeoPackage (read only)."""
    return click.option(
        "--layers",
        "layers_gpkg",
        required=required,
        default=None,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help,
    )


def results_option(help: str) -> Any:
    """``--results``: the GeoPackage written by ``almaty-scheme check`` (optional)."""
    return click.option(
        "--results",
        "results_gpkg",
        default=None,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help,
    )


def out_option(help: str) -> Any:
    """``--out``: the file to write (required)."""
    return click.option(
        "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help=help
    )


def lang_option(help: str) -> Any:
    """``--lang ru|en`` (default ru, the scheme's language)."""
    return click.option(
        "--lang", type=click.Choice(["ru", "en"]), default="ru", show_default=True, help=help
    )
