"""Options shared by several subcommands."""

from __future__ import annotations

from pathlib import Path

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
