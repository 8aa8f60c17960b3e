"""``almaty-scheme report``: HTML and PDF report of a parcel check."""

from __future__ import annotations

from pathlib import Path

import click

from almaty_scheme.cli.options import layers_option, out_option, overwrite_option
from almaty_scheme.report.check_report import write_report


@click.command("report")
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@layers_option(required=False, help="The built GeoPackage, to draw the zones on the maps.")
@out_option("HTML report to write (self-contained, works offline).")
@click.option(
    "--pdf",
    "pdf",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report as a PDF.",
)
@click.option(
    "--max-parcels",
    type=int,
    default=50,
    show_default=True,
    help="Pages for at most this many prohibited parcels; the rest are counted.",
)
@overwrite_option
def report(
    results: Path,
    layers_gpkg: Path | None,
    out: Path,
    pdf: Path | None,
    max_parcels: int,
    overwrite: bool,
) -> None:
    """Write a report of check RESULTS (almaty-scheme check output): summary tables by
    verdict and restriction, the overview map, and a page per prohibited parcel with a
    zoomed map, its hits and the explanation in Russian and English.

        almaty-scheme report out/results.gpkg --layers out/almaty_scheme.gpkg \\
            --out out/report.html --pdf out/report.pdf
    """

    paths = write_report(
        results, out, layers_gpkg=layers_gpkg, pdf=pdf, max_parcels=max_parcels, overwrite=overwrite
    )
    for p in paths:
        click.echo(f"wrote {p}")
