"""``almaty-scheme import-osm EXTRACT --out base.gpkg``."""

from __future__ import annotations

from pathlib import Path

import click

from almaty_scheme.base.osm import LOG_LAYER, OSM_LAYERS, OsmImport
from almaty_scheme.base.osm import import_osm as run_import
from almaty_scheme.cli.options import overwrite_option

MAX_SHOWN = 10


def _echo_result(result: OsmImport, out: Path, bbox: bool) -> None:
    counts = result.counts
    width = max(len(n) for n in OSM_LAYERS)
    for name in OSM_LAYERS:
        click.echo(f"{name:<{width}}  {counts[name]:>8}")
    st = result.stats
    n_skip = sum(st.skip_reasons.values())
    where = " in the whole extract (a broken feature cannot be placed in the box)" if bbox else ""
    click.echo(f"skipped {n_skip} broken features{where}:" if n_skip else "skipped 0 features")
    for reason, n in st.skip_reasons.most_common():
        click.echo(f"  {n:>7}  {reason}")
    for s in st.skipped[:MAX_SHOWN]:
        click.echo(f"    e.g. {s.osm_id}: {s.reason}")
    click.echo(f"repaired {len(st.repaired)} geometries (invalid polygons, ways cut at the border)")
    if result.tag_problems:
        click.echo(f"{len(result.tag_problems)} tag values not understood (numbers left empty):")
        for oid, text in result.tag_problems[:MAX_SHOWN]:
            click.echo(f"    {oid}: {text}")
    if st.outside_bbox:
        click.echo(f"{st.outside_bbox} features outside --bbox dropped")
    click.echo(f"read in {st.seconds:.1f} s, peak memory {st.peak_rss_mib:.0f} MiB")
    click.echo(
        f"Wrote {out} ({sum(counts.values())} features; every skip/repair/tag problem in its "
        f"table {LOG_LAYER}; © OpenStreetMap contributors, ODbL 1.0)"
    )


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
    help="Clip to this lon/lat box (e.g. 75.9 42.9 78.4 44.1); features outside are dropped.",
)
@click.option(
    "--location-index",
    default=None,
    metavar="TYPE",
    help="pyosmium node-location index: sparse_mem_array (default, 16 B/node in RAM) or "
    "sparse_file_array,PATH (on disk, for planet-sized files).",
)
@overwrite_option
def import_osm(
    extract: Path,
    out: Path,
    bbox: tuple[float, float, float, float] | None,
    location_index: str | None,
    overwrite: bool,
) -> None:
    """Import an OpenStreetMap extract (.osm.pbf or .osm) into canonical base layers.

    Writes rivers, water_bodies, roads, railways, power_lines, gas_pipelines,
    water_mains, protected_areas and settlements (licence ODbL 1.0; attribution
    "© OpenStreetMap contributors"), all in EPSG:32643. Broken features are skipped
    and listed by OSM id and reason; the rest is imported.
    """
    if bbox is not None:
        w, s, e, n = bbox
        if not (w < e and s < n and w >= -180 and e <= 180 and s >= -90 and n <= 90):
            raise click.BadParameter(
                "give west south east north in degrees with west < east, south < north",
                param_hint="--bbox",
            )
    result = run_import(
        extract, out, overwrite=overwrite, bbox=bbox or None, storage=location_index
    )
    _echo_result(result, out, bbox is not None)
