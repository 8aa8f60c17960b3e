"""The ``almaty-scheme`` command: a thin shell over the library.

It parses arguments, configures logging, calls library functions and sets the exit
code: 0 ok, 1 runtime/data error, 2 usage error (and ``--fail-on`` codes for checks).
Subcommands live in their own modules and are imported lazily, so ``--help`` is fast.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from almaty_scheme import __version__
from almaty_scheme.errors import AlmatySchemeError, UsageError

# name -> (module, attribute, short help)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "rules": ("almaty_scheme.cli.rules", "rules", "List, show and verify the rule catalogue."),
    "data": ("almaty_scheme.cli.data", "data", "Fetch and inspect the reference base data."),
    "import-osm": (
        "almaty_scheme.cli.osm",
        "import_osm",
        "Import an OSM extract into base layers.",
    ),
    "build": ("almaty_scheme.cli.build", "build", "Build the restriction-layer GeoPackage."),
    "check": ("almaty_scheme.cli.check", "check", "Check parcels against the restriction layers."),
    "qgis-project": ("almaty_scheme.cli.qgis", "qgis_project", "Write a QGIS project (.qgz)."),
    "map": ("almaty_scheme.cli.maps", "map_cmd", "Render overview and check-result maps."),
    "report": ("almaty_scheme.cli.report", "report", "Write an HTML/PDF report of check results."),
    "qgis-plugin": (
        "almaty_scheme.cli.qgis",
        "qgis_plugin",
        "Write the QGIS Processing plugin (.zip).",
    ),
}

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = _COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr, _ = spec
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        cmd = getattr(module, attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, spec[2]) for name, spec in sorted(_COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    if verbose == 0 and not quiet:
        level = logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("almaty_scheme")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    if verbose < 1:
        # keep the library's chatter at INFO for our own loggers only
        logging.getLogger("pyogrio").setLevel(logging.WARNING)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="almaty-scheme")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option(
    "--progress-json",
    is_flag=True,
    help="Report progress as JSON lines on stderr instead of bars (for the QGIS plugin "
    "and other front ends; same as ALMATY_SCHEME_PROGRESS=json).",
)
def cli(verbose: int, quiet: bool, progress_json: bool) -> None:
    """Restriction layers and parcel checks for the Almaty agglomeration scheme
    (decree No. 514 of 13 Aug 2020)."""
    _setup_logging(verbose, quiet)
    if progress_json:
        from almaty_scheme.progress import enable_json

        enable_json()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes."""
    try:
        rv: Any = cli.main(args=argv, prog_name="almaty-scheme", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except UsageError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    except AlmatySchemeError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    if isinstance(rv, int):
        return rv
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
