"""The GeoPackage writer process of :mod:`almaty_scheme.io.gpkg_stream`.

Run as a script (``python -P gpkg_worker.py <path>``); it imports only pyarrow and
pyogrio, so it starts in a fraction of a second: pyogrio's optional companions
(geopandas, pandas, shapely, pyproj), which :func:`pyogrio.write_arrow` does not use,
are marked absent before it is imported (``sys.modules[name] = None`` makes their
import fail, as when they are not installed): 0.2 s to start instead of 0.7 s, for each
of the two writers of a streamed results GeoPackage. Standard input carries, per layer, one
line of JSON (the keyword arguments of :func:`pyogrio.write_arrow`, and
``gdal_config``: GDAL configuration options to set first) followed by an
Arrow IPC stream of that layer's record batches; a line ``END`` ends the session.
GDAL writes each layer in one session as its batches arrive (so the GeoPackage R-tree
is built once, in bulk, at the end of the layer). Any error goes to standard error and
the exit code is 1; the parent reports it.
"""

from __future__ import annotations

import json
import sys

NOT_NEEDED = ("geopandas", "pandas", "shapely", "pyproj")
"""Imported by pyogrio when present, never used by :func:`pyogrio.write_arrow`."""
for _name in NOT_NEEDED:
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]

import pyarrow as pa  # noqa: E402  (after the modules marked absent)
import pyogrio  # noqa: E402


def serve(path: str) -> None:
    """Write every layer sent on standard input into the GeoPackage ``path``."""
    src = sys.stdin.buffer
    while True:
        line = src.readline()
        if not line or line.strip() == b"END":
            return
        options = json.loads(line)
        pyogrio.set_gdal_config_options(options.pop("gdal_config", {}))
        reader = pa.ipc.open_stream(src)
        pyogrio.write_arrow(reader, path, driver="GPKG", **options)


def main() -> int:
    """Entry point: ``gpkg_worker.py <path>``."""
    try:
        serve(sys.argv[1])
    except Exception as exc:  # reported by the parent, which raises
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
