"""``almaty-scheme rules list|show|verify|regimes``."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import click

from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.catalogue.present import rule_record, rule_row, rules_table
from almaty_scheme.catalogue.quotes import verify_quotes
from almaty_scheme.catalogue.regimes import (
    regime_cells,
    regime_problems,
    regimes_table,
    zone_rules,
)
from almaty_scheme.cli.options import catalogue_option, json_option
from almaty_scheme.errors import CatalogueError, UsageError
from almaty_scheme.resources import default_seed_path


@click.group()
def rules() -> None:
    """The scheme's rules as data: list, show, verify quotes."""


@rules.command("list")
@catalogue_option
@json_option
@click.option("--family", default=None, help="Only this family (e.g. roads, water_protection).")
def list_cmd(catalogue_dir: Path | None, as_json: bool, family: str | None) -> None:
    """Table of every rule: id, family, value, semantics, source."""
    cat = load_catalogue(catalogue_dir)
    selected = [r for r in cat if family is None or r.family == family]
    if as_json:
        out = {
            "catalogue_version": cat.version,
            "rules": [rule_row(r) for r in selected],
            "findings": [f.model_dump(mode="json") for f in cat.findings.values()],
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(rules_table(selected))
    click.echo(f"\n{len(selected)} rules, {len(cat.findings)} findings; catalogue {cat.version}")


@rules.command("show")
@click.argument("rule_id")
@catalogue_option
@json_option
def show_cmd(rule_id: str, catalogue_dir: Path | None, as_json: bool) -> None:
    """Full record of one rule, with its quote and reading."""
    cat = load_catalogue(catalogue_dir)
    if rule_id in cat.findings:
        data = cat.findings[rule_id].model_dump(mode="json", exclude_none=True)
    else:
        rule = cat.get(rule_id)
        data = rule_record(rule, cat)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        import yaml

        click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))


@rules.command("verify")
@catalogue_option
@click.option(
    "--seed",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The scheme's text (default: ../shared/seeds/000_1955661b31950516.txt).",
)
def verify_cmd(catalogue_dir: Path | None, seed: Path | None) -> None:
    """Check every scheme quote against the scheme's text, and that every regime cell has a source."""
    cat = load_catalogue(catalogue_dir)
    problems = verify_quotes(cat, seed or default_seed_path())
    if problems:
        raise CatalogueError(f"{len(problems)} quote(s) do not match the scheme's text", problems)
    matrix = regime_problems(cat)
    if matrix:
        raise CatalogueError(f"{len(matrix)} problem(s) in the regime matrix", matrix)
    n_cells = len(regime_cells(cat))
    click.echo(
        f"All scheme quotes of {len(cat)} rules and {len(cat.findings)} findings match; "
        f"all {n_cells} regime cells have a source or a reading."
    )


@rules.command("regimes")
@catalogue_option
@json_option
@click.option("--zone", "zone", default=None, metavar="RULE_ID", help="Only this zone rule.")
@click.option("--use", "use", default=None, metavar="CLASS", help="Only this land-use class.")
def regimes_cmd(
    catalogue_dir: Path | None, as_json: bool, zone: str | None, use: str | None
) -> None:
    """The regime matrix: every zone rule x land-use class, each cell with its source."""
    cat = load_catalogue(catalogue_dir)
    if zone is not None and zone not in {r.id for r in zone_rules(cat)}:
        cat.get(zone)  # an unknown id: a usage error listing close matches
        raise UsageError(
            f"{zone} is not a zone rule (it draws no features a parcel can hit)",
            ["See 'almaty-scheme rules list' for the rules with a layer."],
        )
    classes = cat.land_use_classes()
    if use is not None and use not in classes:
        close = difflib.get_close_matches(use, list(classes), n=3)
        raise UsageError(
            f"{use!r} is not a land-use class",
            [f"Did you mean {', '.join(close)}?" if close else f"Classes: {', '.join(classes)}."],
        )
    cells = regime_cells(cat, zone=zone, use=use)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in cells], ensure_ascii=False, indent=2))
        return
    click.echo(regimes_table(cells))
    n_rules = len({c.zone_rule for c in cells})
    counts = {
        v: sum(c.regime == v for c in cells) for v in ("prohibited", "conditional", "allowed")
    }
    click.echo(
        f"\n{len(cells)} cell(s) of {n_rules} zone rule(s); "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f"; catalogue {cat.version}"
    )
