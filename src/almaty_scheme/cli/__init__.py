"""The ``almaty-scheme`` command: a thin shell over the library.

It parses arguments, configures logging, calls library functions and sets the exit
code: 0 ok, 1 runtime/data error, 2 usage error (and ``--fail-on`` codes for checks).
Subcommands live in their own modules and are imported lazily, so ``--help`` is fast.
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from typing import Any, NoReturn

import click

from almaty_scheme import __version__, logs
from almaty_scheme.errors import AlmatySchemeError, UsageError
from almaty_scheme.io import writer_pool
from almaty_scheme.progress import enable_json

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
    "cache": (
        "almaty_scheme.cli.cache",
        "cache",
        "Show or clear the zone cache, compile the kernels (info, clear, warm).",
    ),
    "qgis-plugin": (
        "almaty_scheme.cli.qgis",
        "qgis_plugin",
        "Write the QGIS Processing plugin (.zip).",
    ),
}

_log = logging.getLogger("almaty_scheme.cli")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def _add_verbosity(cmd: click.Command) -> None:
    """Give ``cmd`` (and every subcommand of a group) its own ``-v``/``-q``, once."""
    names = {n for p in cmd.params for n in getattr(p, "opts", [])}
    if "--verbose" not in names:
        cmd.params.extend(_verbosity_options())
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _add_verbosity(sub)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] == "check":  # before its imports
            _start_check_writer(args[1:])
            _collector_off(ctx)
        return super().resolve_command(ctx, args)

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
        _add_verbosity(cmd)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, spec[2]) for name, spec in sorted(_COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _start_check_writer(args: list[str]) -> None:
    """Start the writer process of a check's results GeoPackage now, before the check
    command's imports (0.7 s on one core), so that it starts on the idle core
    (:mod:`~almaty_scheme.io.writer_pool`); the run ends it at once if it needs none
    (fewer parcels than :data:`~almaty_scheme.check.gpkg_out.SIDE_WRITER_MIN_ROWS`).
    Only ``--out`` and ``--engine`` are looked at in the raw arguments; click parses
    them all afterwards."""
    out = _raw_option(args, "--out")
    if out is None or not out.lower().endswith(".gpkg") or "--help" in args:
        return
    if _raw_option(args, "--engine") != "dask":
        writer_pool.prestart(1)


def _collector_off(ctx: click.Context) -> None:
    """Python's cyclic garbage collector off for a check, its imports included, and on
    again when the command's context closes (unless it was off already). A check makes
    millions of objects that form no reference cycle (pandas' and numba's tables, Arrow
    buffers, GEOS geometries); the collections still walked them: 0.14 s of a 10^5
    check and its imports at :data:`GC_THRESHOLDS`, and no more memory without them
    (10^6 parcels: 1.86-1.88 GiB either way; docs/performance.md). In the console
    script's process (:func:`run`) it stays off: the process ends with the command."""
    if not gc.isenabled():
        return
    gc.disable()
    if not (isinstance(ctx.obj, dict) and ctx.obj.get(_LAST_COMMAND)):
        ctx.call_on_close(gc.enable)  # its first collection then walks all (0.08 s)


def _raw_option(args: list[str], name: str) -> str | None:
    """The value of option ``name`` in unparsed arguments (``--name v``, ``--name=v``)."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1 :]
    return None


def _verbosity_options() -> list[click.Parameter]:
    """``-v``/``-q`` for a subcommand, so they work after it as well as before it."""

    def _set(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if not value:
            return
        meta = ctx.find_root().meta
        key = "almaty_scheme.quiet" if param.name == "quiet" else "almaty_scheme.verbose"
        meta[key] = max(int(meta.get(key, 0)), int(value))
        logs.configure(
            int(meta.get("almaty_scheme.verbose", 0)), bool(meta.get("almaty_scheme.quiet"))
        )

    return [
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_set,
            help="More log output: -v what each step found, -vv debug.",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_set,
            help="Only warnings and errors (no step lines, no progress bars).",
        ),
    ]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="almaty-scheme")
@click.option(
    "-v", "--verbose", count=True, help="More log output: -v what each step found, -vv debug."
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Only warnings and errors (no step lines, no bars)."
)
@click.option(
    "--progress-json",
    is_flag=True,
    help="Report progress as JSON lines on stderr instead of bars (for the QGIS plugin "
    "and other front ends; same as ALMATY_SCHEME_PROGRESS=json).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, progress_json: bool) -> None:
    """Restriction layers and parcel checks for the Almaty agglomeration scheme
    (decree No. 514 of 13 Aug 2020).

    By default it prints warnings and one line per finished step; -v and -q work before
    or after the subcommand."""
    ctx.meta["almaty_scheme.verbose"] = verbose
    ctx.meta["almaty_scheme.quiet"] = quiet
    logs.configure(verbose, quiet)
    enable_json(progress_json)


_LAST_COMMAND = "almaty_scheme.last_command"
"""Key of the root context's ``obj``: this process ends after the command (:func:`run`)."""


def main(argv: list[str] | None = None, *, last: bool = False) -> int:
    """Entry point: run the CLI and map errors to exit codes (``last``: the process
    ends after the command, as the console script's does)."""
    try:
        return _run(argv, last)
    finally:
        enable_json(False)  # --progress-json lasts for one invocation


GC_THRESHOLDS = (10_000, 10, 10)
"""Python's garbage-collector thresholds for one command (700, 10, 10 by default)."""


def run() -> NoReturn:
    """The console script (``almaty-scheme``, ``python -m almaty_scheme``): exit with
    :func:`main`'s code.

    Settings of Python's cyclic garbage collector for a process that runs one
    command (the library leaves the collector alone, but for
    :func:`~almaty_scheme.memory.gc_paused`):

    * a check runs without it, from its imports to the exit (:func:`_collector_off`);

    * a young collection every 10 000 new container objects instead of 700
      (:data:`GC_THRESHOLDS`): a check imports about 180 000 objects (pandas, numba's
      typing tables), which the old generations walked again and again; the collector
      took 0.33 s of a check of 10^5 parcels and 0.52 s at 10^6, and 0.15 and 0.26 s
      with these thresholds, for the same peak memory (docs/performance.md);
    * the objects still alive at the end are frozen (:func:`gc.freeze`) before the
      interpreter ends, so that its last collections skip them: 0.5 s of every check's
      exit. Every output is closed and committed by then; Python does not promise to
      finalise objects still alive at exit anyway.
    """
    gc.set_threshold(*GC_THRESHOLDS)
    code = main(last=True)
    gc.freeze()
    sys.exit(code)


def _run(argv: list[str] | None, last: bool = False) -> int:
    try:
        rv: Any = cli.main(
            args=argv, prog_name="almaty-scheme", standalone_mode=False, obj={_LAST_COMMAND: last}
        )
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:  # one "error:" line like every other refusal
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f"\n  - See '{exc.ctx.command_path} --help'."
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
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
    except OSError as exc:  # the file system said no: say what and where, no traceback
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(
            f"error: {exc.strerror or exc}{where}\n  - Check the path, its permissions and "
            "the free disk space, then run the command again.",
            err=True,
        )
        _log.debug("traceback", exc_info=True)
        return EXIT_ERROR
    except Exception as exc:  # a bug: one line for the user, the traceback with -vv
        click.echo(
            f"error: internal error ({type(exc).__name__}: {exc})\n  - This is a bug in "
            "almaty-scheme: please report it with the command you ran (-vv shows the "
            "traceback). Outputs are only replaced when a run completes.",
            err=True,
        )
        _log.debug("traceback", exc_info=True)
        return EXIT_ERROR
    if isinstance(rv, int):
        return rv
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
