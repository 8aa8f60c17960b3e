"""``almaty-scheme qgis-project``: a QGIS project (.qgz) of the built layers."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from almaty_scheme.cli.options import (
    lang_option,
    layers_option,
    out_option,
    overwrite_option,
    results_option,
)
from almaty_scheme.qgis.plugin_zip import write_plugin_zip
from almaty_scheme.qgis.project import write_project


@click.command("qgis-project")
@layers_option()
@results_option("Check results (almaty-scheme check), added as the top group.")
@out_option("Project file to write (.qgz, or .qgs for plain XML).")
@click.option("--title", default=None, help="Project title (default: the scheme's title).")
@lang_option("Language of the layer and group names and of the print layout.")
@overwrite_option
def qgis_project(
    layers_gpkg: Path,
    results_gpkg: Path | None,
    out: Path,
    title: str | None,
    lang: str,
    overwrite: bool,
) -> None:
    """Write a QGIS project: layers grouped by the scheme's four zone groups, base data
    and check results, styled, in EPSG:32643, with paths relative to the project, and
    a print layout (map, legend, scale bar, north arrow, title, attribution, rule
    catalogue version).

    QGIS is not needed to write it. Example:

        almaty-scheme qgis-project --layers out/almaty_scheme.gpkg --out out/almaty_scheme.qgz
    """

    path = write_project(
        layers_gpkg,
        out,
        results_gpkg=results_gpkg,
        title=title,
        overwrite=overwrite,
        lang=lang,  # type: ignore[arg-type]
    )
    click.echo(f"wrote {path}")


@click.command("qgis-plugin")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Plugin zip to write (install it with Plugins > Install from ZIP).",
)
@overwrite_option
def qgis_plugin(out: Path, overwrite: bool) -> None:
    """Write the QGIS plugin: a Processing provider 'almaty_scheme' with the algorithms
    build, check, map and report, which run this toolkit in its own environment.

    Install it in QGIS (Plugins > Manage and Install Plugins > Install from ZIP), then
    point it at this toolkit's executable (Settings > Options > Processing > Providers
    > Almaty scheme), or set ALMATY_SCHEME_EXE. Example:

        almaty-scheme qgis-plugin --out out/almaty_scheme_plugin.zip
    """

    path = write_plugin_zip(out, overwrite=overwrite)
    click.echo(f"wrote {path}")
    exe = shutil.which("almaty-scheme")
    if exe:
        click.echo(f"toolkit executable for the plugin setting / ALMATY_SCHEME_EXE: {exe}")
