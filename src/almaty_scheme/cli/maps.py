"""``almaty-scheme map``: overview and check-result maps (PNG, PDF or SVG)."""

from __future__ import annotations

from pathlib import Path

import click

from almaty_scheme.cli.options import (
    lang_option,
    layers_option,
    out_option,
    overwrite_option,
    results_option,
)
from almaty_scheme.plot import overview_map, results_map


@click.command("map")
@layers_option()
@results_option("Check results: draw parcels by verdict instead of the overview.")
@out_option("Map file: .png, .pdf or .svg.")
@click.option("--title", default=None, help="Map title (default: a descriptive one).")
@lang_option("Language of the title, legend, labels and attribution.")
@click.option(
    "--dpi",
    type=click.IntRange(50, 1200),
    default=200,
    show_default=True,
    help="Resolution of PNG output.",
)
@overwrite_option
def map_cmd(
    layers_gpkg: Path,
    results_gpkg: Path | None,
    out: Path,
    title: str | None,
    lang: str,
    dpi: int,
    overwrite: bool,
) -> None:
    """Render a publication map: legend, scale bar, north arrow, km grid, attribution.

    Without --results: the restriction layers over the boundary and base data.
    With --results: parcels coloured by verdict over the restriction layers.

        almaty-scheme map --layers out/almaty_scheme.gpkg --out out/overview.png
    """

    if results_gpkg is None:
        path = overview_map(layers_gpkg, out, title=title, overwrite=overwrite, lang=lang, dpi=dpi)
    else:
        path = results_map(
            results_gpkg, layers_gpkg, out, title=title, overwrite=overwrite, lang=lang, dpi=dpi
        )
    click.echo(f"wrote {path}")
