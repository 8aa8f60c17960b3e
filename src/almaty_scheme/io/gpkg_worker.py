"""The GeoPackage writer process of :mod:`almaty_scheme.io.gpkg_stream`.

Run as a script (``python -P gpkg_worker.py``); it imports only pyarrow and
pyogrio, so it starts in a fraction of a second: pyogrio's optional companions
(geopandas, pandas, shapely, pyproj), which :func:`pyogrio.write_arrow` does not use,
are marked absent before it is imported (``sys.modules[name] = None`` makes their
import fail, as when they are not installed): 0.2 s to start instead of 0.7 s, for each
of the two writers of a streamed results GeoPackage. It may be started before its file
is known (:func:`~almaty_scheme.io.gpkg_stream.prestart`): the first line of standard
input is JSON with the GeoPackage's ``path`` (the end of the input instead: nothing to
write, exit 0). Then standard input carries, per layer, one line of JSON (the keyword arguments of :func:`pyogrio.write_arrow`, and
``gdal_config``: GDAL configuration options to set first) followed by that layer's
record batches (:mod:`~almaty_scheme.io.gpkg_pipe`); a line ``MERGE`` followed by JSON
(``side``: another GeoPackage, finished; ``tables``: attribute tables of it) moves those
tables into the GeoPackage (:func:`~almaty_scheme.io.gpkg_merge.merge_tables`); a line
``END`` ends the session. A layer's JSON may also name ``path``, another GeoPackage to
write that layer into, and ask for ``ack``: a line ``done`` on standard output once the
layer is written and its file closed (the parent may then write into that file).
GDAL writes each layer in one session as its batches arrive (so the GeoPackage R-tree
is built once, in bulk, at the end of the layer). Any error goes to standard error and
the exit code is 1; the parent reports it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NOT_NEEDED = ("geopandas", "pandas", "shapely", "pyproj")
"""Imported by pyogrio when present, never used by :func:`pyogrio.write_arrow`."""
for _name in NOT_NEEDED:
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]

import pyogrio  # noqa: E402  (after the modules marked absent)

if __name__ == "__main__":  # the package's root, if it is not installed (run with -P)
    sys.path.append(str(Path(__file__).resolve().parents[2]))
from almaty_scheme.io.gpkg_merge import merge_tables  # noqa: E402  (stdlib only)
from almaty_scheme.io.gpkg_pipe import MERGE, read_layer  # noqa: E402  (pyarrow only)


def serve() -> None:
    """Write every layer sent on standard input into the GeoPackage its first line
    names (nothing if the input ends first)."""
    src = sys.stdin.buffer
    first = src.readline()
    if not first:  # started ahead and not needed
        return
    path = json.loads(first)["path"]
    while True:
        line = src.readline()
        if not line or line.strip() == b"END":
            return
        if line.startswith(MERGE):
            job = json.loads(line[len(MERGE) :])
            merge_tables(path, job["side"], job["tables"])
            continue
        options = json.loads(line)
        pyogrio.set_gdal_config_options(options.pop("gdal_config", {}))
        ack = options.pop("ack", False)
        target = options.pop("path", path)
        pyogrio.write_arrow(read_layer(src), target, driver="GPKG", **options)
        if ack:
            sys.stdout.write("done\n")
            sys.stdout.flush()


def main() -> int:
    """Entry point: ``gpkg_worker.py`` (the path comes on standard input)."""
    try:
        serve()
    except Exception as exc:  # reported by the parent, which raises
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
