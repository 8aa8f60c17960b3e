"""``almaty-scheme build``: the restriction-layer GeoPackage and its build report."""

from __future__ import annotations

import time
from pathlib import Path

import click

from almaty_scheme.base.assemble import base_package_layers
from almaty_scheme.base.model import BASE_LAYERS
from almaty_scheme.build import (
    BUILD_STEPS,
    BuildOptions,
    BuildResult,
    build_inputs,
    build_layers,
    build_outputs,
    load_base,
    report_paths,
    write_build,
)
from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.cli.options import catalogue_option, overwrite_option
from almaty_scheme.errors import UsageError
from almaty_scheme.progress import ProgressCounter, emit
from almaty_scheme.resources import default_data_dir
from almaty_scheme.restrictions.official import (
    OfficialZones,
    load_official_zones,
    parse_zone_layer,
)

DEFAULT_OUT = Path("out") / "almaty_scheme.gpkg"


def _parse_base_layers(values: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    problems = []
    for v in values:
        name, sep, path = v.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            problems.append(f"--base-layer {v!r}: write NAME=PATH, e.g. power_lines=lines.gpkg.")
        elif name not in BASE_LAYERS:
            problems.append(
                f"--base-layer {v!r}: unknown layer {name!r}; use one of {', '.join(BASE_LAYERS)}."
            )
        elif not Path(path).exists():
            problems.append(f"--base-layer {v!r}: file {path} does not exist.")
        else:
            out[name] = Path(path)
    if problems:
        raise UsageError("Bad --base-layer option(s)", problems)
    return out


@click.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Reference data folder (default: ../shared/data).",
)
@click.option(
    "--base",
    "base_packages",
    multiple=True,
    metavar="GPKG",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A GeoPackage of base layers named like the canonical ones (e.g. from "
    "'almaty-scheme import-osm'); every non-empty one is used; repeatable.",
)
@click.option(
    "--base-layer",
    "base_layers",
    multiple=True,
    metavar="NAME=PATH",
    help="A user file for a base layer (e.g. power_lines=lines.shp); repeatable; "
    "user data wins over the reference data.",
)
@click.option(
    "--field-map",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="YAML mapping user columns to canonical fields.",
)
@catalogue_option
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Output GeoPackage.",
)
@click.option(
    "--range-policy",
    type=click.Choice(["both", "min", "max"]),
    default=None,
    help="Ranged widths: min as certain + band to max as possible (both), min or "
    "max only. Default: each rule's own default.",
)
@click.option(
    "--river-half-width",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Half channel width (m) for rivers given as centrelines.",
)
@click.option(
    "--railway-row",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Railway right-of-way half-width (m), overriding the catalogue's value.",
)
@click.option(
    "--wire-offset",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Power lines: axis-to-outermost-wire distance (m).",
)
@click.option(
    "--contour-source",
    "--kapchagay-contour",
    "contour_source",
    type=click.Choice(["shoreline", "dem"]),
    default="shoreline",
    show_default=True,
    help="How a contour that widths are measured from (Kapchagay's 479.0 m) is "
    "approximated: the water-body polygon, or DEM cells at or below it.",
)
@click.option(
    "--unnamed-derived-certainty",
    type=click.Choice(["possible", "certain"]),
    default="possible",
    show_default=True,
    help="Certainty of water-protection features around unnamed DEM-derived streams.",
)
@click.option(
    "--aerial-spraying-band",
    is_flag=True,
    help="Also draw the 2000 m aerial-spraying band from the water edge (L665-667) "
    "into water_protection_zones (conditional for farming, forestry, dachas).",
)
@click.option(
    "--zone-layer",
    "zone_layers",
    multiple=True,
    metavar="RULE_ID=PATH[:add]",
    help="Official polygons of a rule (an akimat's water-protection zones, a cadastral "
    "ZOUIT export): they replace the zones drawn for RULE_ID (':add' keeps both), with "
    "accuracy 'official'; repeatable.",
)
@click.option("--no-base-layers", is_flag=True, help="Do not write the base_* layers.")
@overwrite_option
def build(
    data_dir: Path | None,
    base_packages: tuple[Path, ...],
    base_layers: tuple[str, ...],
    field_map: Path | None,
    catalogue_dir: Path | None,
    out: Path,
    range_policy: str | None,
    river_half_width: float,
    railway_row: float | None,
    wire_offset: float,
    contour_source: str,
    unnamed_derived_certainty: str,
    aerial_spraying_band: bool,
    zone_layers: tuple[str, ...],
    no_base_layers: bool,
    overwrite: bool,
) -> None:
    """Build the restriction-layer GeoPackage (EPSG:32643) and its report.

    With no arguments it builds from ../shared/data into out/almaty_scheme.gpkg and
    writes out/almaty_scheme.report.md and .json beside it.
    """
    users: dict[str, Path] = {}
    for pkg in base_packages:
        users.update(base_package_layers(pkg))
    users.update(_parse_base_layers(base_layers))  # explicit layers win
    md, _ = report_paths(out)
    inputs = build_inputs(
        data_dir or default_data_dir(), base_packages, users, field_map, catalogue_dir
    )
    build_outputs(out, inputs=inputs, overwrite=overwrite).preflight()  # before any work
    options = BuildOptions(
        range_policy=range_policy,  # type: ignore[arg-type]
        river_half_width_m=river_half_width,
        railway_right_of_way_m=railway_row,
        power_wire_offset_m=wire_offset,
        contour_source=contour_source,  # type: ignore[arg-type]
        unnamed_derived_certainty=unnamed_derived_certainty,  # type: ignore[arg-type]
        aerial_spraying_band=aerial_spraying_band,
        include_base=not no_base_layers,
    )
    t0 = time.perf_counter()
    cat = load_catalogue(catalogue_dir)
    official = load_official_zones([parse_zone_layer(v) for v in zone_layers], cat)
    data = data_dir or default_data_dir()
    emit("loading base data", 0, None)  # --progress-json only; the steps follow
    base, notes = load_base(data, user_layers=users, field_map=field_map, catalogue=cat)
    with ProgressCounter(total=BUILD_STEPS, desc="building layers", unit="step") as bar:
        result = build_layers(
            cat,
            base,
            options,
            extra_notes=notes,
            data_dir=data,
            progress=lambda _name: bar.update(1),
            official=official,
        )
    write_build(result, out, overwrite=overwrite, inputs=inputs)
    _echo_summary(result, out, md, time.perf_counter() - t0, official)


def _echo_summary(
    result: BuildResult,
    out: Path,
    md: Path,
    elapsed: float,
    official: list[OfficialZones] | tuple[OfficialZones, ...] = (),
) -> None:
    """Print the base data, the layers, the figures and the warnings of a build."""
    click.echo("Base data:")
    for pv in result.base_provenance:
        src = str(pv.get("source") if pv.get("status") != "missing" else pv.get("note") or "")
        src = src if len(src) <= 76 else src[:73] + "..."
        click.echo(
            f"  {pv['layer']:<22} {pv.get('status', ''):<10} {pv.get('features', 0):>6}  {src}"
        )
    missing = [pv["layer"] for pv in result.base_provenance if pv.get("status") == "missing"]
    if missing:
        click.echo(
            f"  missing (add with --base / --base-layer or import-osm): {', '.join(missing)}"
        )
    base_lines = [
        f
        for f in result.base_figures
        if f.get("ours") is not None and f.get("key") not in ("boundary_area", "reservoir_inside")
    ]
    if base_lines:
        click.echo("Base figures:")
        for f in base_lines:
            ref = "" if f.get("scheme") is None else f" vs scheme {f['scheme']:,.1f}"
            pct = "" if f.get("difference_pct") is None else f" ({f['difference_pct']:+.1f} %)"
            click.echo(f"  {f['label']}: ours {f['ours']:,.1f} {f.get('unit', '')}{ref}{pct}")
    for f in result.base_figures:
        if f.get("key") == "real_geometry":
            for status in ("real", "schematic", "derived", "none"):
                click.echo(f"    {status}: {f.get(f'rules_{status}') or '-'}")
    for oz in official:
        click.echo(
            f"Official zones: {len(oz.zones)} polygon(s) from {oz.spec.path} for "
            f"{oz.spec.rule_id} ({oz.spec.mode}) in {oz.layer}"
        )
    click.echo("")
    click.echo(f"{'layer':<26}{'features':>9}{'area, ha':>14}")
    for s in result.summary:
        click.echo(f"{s['layer']:<26}{s['features']:>9}{s['area_ha']:>14,.1f}")
    click.echo("\nCompared with the scheme:")
    for f in result.figures:
        if not f["comparable"]:
            continue
        diff = "" if f["difference_pct"] is None else f" ({f['difference_pct']:+.1f} %)"
        click.echo(
            f"  {f['label']}: ours {f['ours']:,.1f} {f['unit']} vs scheme "
            f"{f['scheme']:,.1f} {f['unit']}{diff}"
        )
    warnings = [n for n in result.notes if n.kind == "warning"]
    for n in warnings:
        click.echo(f"warning: {n.layer}: {n.message}", err=True)
    click.echo(f"\nWrote {out} in {elapsed:.1f} s; report: {md}")
