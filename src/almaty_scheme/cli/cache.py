"""``almaty-scheme cache info|clear|warm``: the zone cache (see
:mod:`almaty_scheme.check.zone_cache`) and the compiled kernels
(:mod:`almaty_scheme.check.warmup`)."""

from __future__ import annotations

import json

import click

from almaty_scheme.check.warmup import warm_kernels
from almaty_scheme.check.zone_cache import cache_info, clear_cache
from almaty_scheme.cli.options import json_option


@click.group()
def cache() -> None:
    """The zone cache (prepared restriction geometry kept between checks) and the
    compiled kernels."""


@cache.command("info")
@json_option
def info_cmd(as_json: bool) -> None:
    """Where the cache is, its entries, their size and the bound."""
    info = cache_info()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    click.echo(f"zone cache: {info['cache_dir']}")
    click.echo(
        f"  {info['n_entries']} entr(ies), {info['size_mb']:.1f} MiB of at most "
        f"{info['max_mb']:.0f} MiB (ALMATY_SCHEME_CACHE_MAX_MB; least recently used evicted)"
    )
    for e in info["entries"]:
        click.echo(f"  {e['entry']}  {e['size_mb']:8.1f} MiB  last used {e['last_used']}")


@cache.command("clear")
def clear_cmd() -> None:
    """Remove every entry (the next check prepares the zones again)."""
    n = clear_cache()
    click.echo(f"removed {n} file(s) from the zone cache")


@cache.command("warm")
@json_option
def warm_cmd(as_json: bool) -> None:
    """Compile the check's kernels once (numba's cache), so that the first check does
    not spend 20-25 s compiling them. ``make setup`` runs it."""
    report = warm_kernels()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    n = sum(report.kernels.values())
    click.echo(
        f"compiled kernels ready in {report.seconds:.1f} s: {len(report.kernels)} kernel(s), "
        f"{n} signature(s), cached in {report.cache_dir or '(no cache folder)'}"
    )
