"""``almaty-scheme check PARCELS --layers out/almaty_scheme.gpkg --out results.gpkg``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from almaty_scheme.check.engine import DEFAULT_NEAR_M
from almaty_scheme.check.options import ENGINES, FAIL_ON, CheckOptions
from almaty_scheme.check.output import format_summary
from almaty_scheme.check.run import failing, run_check
from almaty_scheme.cli.options import catalogue_option, json_option, overwrite_option
from almaty_scheme.memory import arrow_on_glibc, pin_mmap_threshold

EXIT_FAIL_ON = 3
"""Exit code when ``--fail-on`` is triggered (0 ok, 1 error, 2 usage error)."""


@click.command()
@click.argument("parcels", type=click.Path(path_type=Path))
@click.option(
    "--layers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("out/almaty_scheme.gpkg"),
    show_default=True,
    help="The built restriction-layer GeoPackage.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Result file: .gpkg (layers parcels, parcel_hits), .parquet (GeoParquet files "
    "only, fastest), or .fgb, .geojson, .shp (the parcels layer; hits in <stem>.hits.csv, "
    "input issues in <stem>.input_issues.csv). A .shp has field names cut to 10 "
    "characters (mapping in <stem>.fields.csv) and text to 254 bytes (full text in "
    "<stem>.parcels.csv). Summary JSON beside every format.",
)
@click.option(
    "--dst-crs",
    default=None,
    metavar="CRS",
    help="CRS of the written geometry, e.g. EPSG:4326 or EPSG:28413 (Pulkovo-1942) "
    "(default EPSG:32643). Areas and distances are always measured in EPSG:32643.",
)
@click.option("--layer", default=None, help="Layer of PARCELS to read (multi-layer files).")
@click.option(
    "--id-field",
    default=None,
    help="Parcel id column (default: parcel_id if present, else ids are generated).",
)
@click.option(
    "--use-field",
    default=None,
    help="Intended-use column (land-use class id, Russian name or alias).",
)
@click.option(
    "--use-aliases",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML file mapping your use codes/names to class ids.",
)
@click.option(
    "--assume-crs", default=None, help="CRS of PARCELS if the file declares none (e.g. EPSG:4326)."
)
@click.option(
    "--near",
    "near_m",
    type=float,
    default=DEFAULT_NEAR_M,
    show_default=True,
    help="Report the distance to the nearest zone of each family within METRES (0 disables).",
    metavar="METRES",
)
@click.option(
    "--with-overlap-geometry",
    is_flag=True,
    help="Store the parcel-zone overlap polygons in parcel_hits.",
)
@click.option("--csv", "csv", is_flag=True, help="Also write <out>.parcels.csv and <out>.hits.csv.")
@click.option(
    "--parquet",
    is_flag=True,
    help="Also write <out>.parcels.parquet and <out>.hits.parquet (GeoParquet).",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default=None,
    help=f"Exit with code {EXIT_FAIL_ON} if any parcel is prohibited (or conditional).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="local",
    show_default=True,
    help="local: this machine, every core; dask: spatial partitions on a Dask "
    "cluster (see docs/dask.md).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Dask scheduler address (tcp://host:8786) or scheduler file (.json); "
    "default: a LocalCluster on this machine. Needs --engine dask.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes of the LocalCluster (default: one per core).",
)
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=None,
    help="Spatial partitions of the parcels (default: one per 50 000 parcels, "
    "at least two per worker).",
)
@click.option(
    "--no-zones-cache",
    is_flag=True,
    help="Prepare the zones from scratch instead of using the cache "
    "(~/.cache/almaty-scheme, or $ALMATY_SCHEME_CACHE_DIR).",
)
@click.option(
    "--allow-missing-layers",
    default="",
    metavar="LAYER,LAYER",
    help="Accept these restriction layers being absent from --layers (otherwise refused); "
    "recorded in the summary and the parcels table.",
)
@overwrite_option
@catalogue_option
@json_option
def check(
    parcels: Path,
    layers: Path,
    out: Path,
    dst_crs: str | None,
    layer: str | None,
    id_field: str | None,
    use_field: str | None,
    use_aliases: Path | None,
    assume_crs: str | None,
    near_m: float,
    with_overlap_geometry: bool,
    csv: bool,
    parquet: bool,
    fail_on: str | None,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    partitions: int | None,
    no_zones_cache: bool,
    allow_missing_layers: str,
    overwrite: bool,
    catalogue_dir: Path | None,
    as_json: bool,
) -> int:
    """Check PARCELS (any vector format, any declared CRS) against the scheme's
    restriction layers.

    Every parcel gets its overlaps with each restriction (area, share, distance to the
    zone's source, rule and citation), the regime for its intended use, a verdict
    (prohibited, conditional, clear, outside, invalid_input) and a one-line explanation
    in Russian and English. Exit codes: 0 ok, 1 data error, 2 usage error,
    3 --fail-on triggered.
    """
    pin_mmap_threshold()  # freed temporaries go back to the system (peak memory)
    arrow_on_glibc()  # Arrow's buffers reuse the same heap
    options = CheckOptions(
        id_field=id_field,
        use_field=use_field,
        use_aliases=use_aliases,
        assume_crs=assume_crs,
        layer=layer,
        near_m=near_m,
        with_overlap_geometry=with_overlap_geometry,
        csv=csv,
        parquet=parquet,
        overwrite=overwrite,
        engine=engine,
        catalogue_dir=catalogue_dir,
        scheduler=scheduler,
        workers=workers,
        partitions=partitions,
        zones_cache=not no_zones_cache,
        allow_missing_layers=tuple(s.strip() for s in allow_missing_layers.split(",") if s.strip()),
        dst_crs=dst_crs,
    )
    # only the summary and the paths are used here: what is written may be let go
    outcome = run_check(parcels, layers=layers, out=out, options=options, keep_result=False)
    if as_json:
        click.echo(json.dumps(outcome.summary, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(format_summary(outcome.summary))
        for p in outcome.paths.values():
            click.echo(f"wrote {p}")
    if failing(outcome.summary, fail_on):
        click.echo(f"--fail-on {fail_on}: failing parcels found (exit {EXIT_FAIL_ON})", err=True)
        return EXIT_FAIL_ON
    return 0
