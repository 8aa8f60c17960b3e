"""``almaty-scheme qgis-project``: a QGIS project (.qgz) of the built layers."""

from __future__ import annotations

from pathlib import Path

import click

from almaty_scheme.cli.options import overwrite_option


@click.command("qgis-project")
@click.option(
    "--layers",
    "layers_gpkg",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The built GeoPackage (almaty-scheme build).",
)
@click.option(
    "--results",
    "results_gpkg",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check results (almaty-scheme check), added as the top group.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Project file to write (.qgz, or .qgs for plain XML).",
)
@click.option("--title", default=None, help="Project title (default: the scheme's title).")
@overwrite_option
def qgis_project(
    layers_gpkg: Path, results_gpkg: Path | None, out: Path, title: str | None, overwrite: bool
) -> None:
    """Write a QGIS project: layers grouped by the scheme's four zone groups, base data
    and check results, styled, in EPSG:32643, with paths relative to the project.

    QGIS is not needed to write it. Example:

        almaty-scheme qgis-project --layers out/almaty_scheme.gpkg --out out/almaty_scheme.qgz
    """
    from almaty_scheme.qgis.project import write_project

    path = write_project(
        layers_gpkg, out, results_gpkg=results_gpkg, title=title, overwrite=overwrite
    )
    click.echo(f"wrote {path}")
