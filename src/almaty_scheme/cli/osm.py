"""``almaty-scheme import-osm EXTRACT --out base.gpkg``."""

from __future__ import annotations

from pathlib import Path

import click

from almaty_scheme.cli.options import overwrite_option
from almaty_scheme.io.osm import OSM_LAYERS
from almaty_scheme.io.osm import import_osm as run_import


@click.command("import-osm")
@click.argument("extract", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="GeoPackage to write (one layer per canonical base layer, EPSG:32643).",
)
@click.option(
    "--bbox",
    nargs=4,
    type=float,
    default=None,
    metavar="W S E N",
    help="Only features intersecting this lon/lat box (e.g. 75.9 42.9 78.4 44.1).",
)
@overwrite_option
def import_osm(
    extract: Path, out: Path, bbox: tuple[float, float, float, float] | None, overwrite: bool
) -> None:
    """Import an OpenStreetMap extract (.osm.pbf or .osm) into canonical base layers.

    Writes rivers, water_bodies, roads, railways, power_lines, gas_pipelines,
    water_mains, protected_areas and settlements (licence ODbL 1.0; attribution
    "© OpenStreetMap contributors"), all in EPSG:32643.
    """
    if bbox is not None:
        w, s, e, n = bbox
        if not (w < e and s < n):
            raise click.BadParameter(
                "give west south east north with west < east, south < north", param_hint="--bbox"
            )
    counts = run_import(extract, out, overwrite=overwrite, bbox=bbox or None)
    width = max(len(n) for n in OSM_LAYERS)
    for name in OSM_LAYERS:
        click.echo(f"{name:<{width}}  {counts[name]:>8}")
    click.echo(
        f"Wrote {out} ({sum(counts.values())} features; © OpenStreetMap contributors, ODbL 1.0)"
    )
