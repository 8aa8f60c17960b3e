"""Compile the check's numba kernels ahead of the first check (``almaty-scheme cache warm``).

Every compiled kernel of the check is declared with ``cache=True``: numba writes the
machine code of each signature it compiles to disk and later processes load it instead
of compiling (about 0.5 s instead of 20-25 s on 2 cores). Without a warm-up the first
check of a fresh install pays the whole compilation.

:func:`warm_kernels` runs a real check, in memory, of a few synthetic parcels against a
tiny synthetic layers file written to a temporary folder: the same code path as
``almaty-scheme check`` (reading, validation, zone preparation, engine, summary), so
numba compiles exactly the signatures a check uses, whatever the engine passes, and
caches them. The parcels are chosen to reach every kernel: parcels inside, across and
outside zones and masks, a parcel with a hole and a multipolygon (the general ring
reader), parcels near zone outlines and zone sources of a family with two layers,
and a large parcel that overflows the per-parcel owner slots.

Where numba keeps the cache (:func:`kernel_cache_dir`): ``$NUMBA_CACHE_DIR`` when set
(numba reads it itself), else the ``__pycache__`` folder beside ``kernels.py`` when it
is writable (an editable install, or a wheel in a virtualenv the user owns), else the
user's cache folder (``~/.cache/numba``). The cache is per user and per machine (numba
compiles for the host CPU) and is keyed by the content of the source file, so a new
toolkit version compiles again (and ``make setup`` warms it again).

:func:`check_dispatchers` lists every numba function of the loaded toolkit modules and
:func:`entry_points` those that Python calls (the others are compiled into them): the
test suite fails when one of them is left cold by the warm-up.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from numba.core.dispatcher import Dispatcher
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from almaty_scheme.catalogue.loader import Catalogue, default_catalogue
from almaty_scheme.check import kernels
from almaty_scheme.check.options import CheckOptions
from almaty_scheme.check.run import run_check
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.restrictions.frames import empty_zones, zones_frame
from almaty_scheme.restrictions.schema import LAYER_NAMES

log = logging.getLogger(__name__)

_X0 = 600_000.0
_Y0 = 4_800_000.0
"""Lower-left corner of the synthetic world (EPSG:32643, inside the agglomeration's zone)."""


@dataclass
class WarmupReport:
    """What :func:`warm_kernels` did.

    Attributes
    ----------
    seconds
        Wall time of the warm-up (compiling, or loading an already warm cache).
    kernels
        Qualified name of every kernel Python calls (:func:`entry_points`) -> number of
        compiled signatures.
    cache_dir
        Where numba keeps the compiled code of the kernels (``None``: not cached).
    """

    seconds: float
    kernels: dict[str, int] = field(default_factory=dict)
    cache_dir: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "seconds": round(self.seconds, 2),
            "kernels": dict(self.kernels),
            "cache_dir": str(self.cache_dir) if self.cache_dir else None,
        }


def check_dispatchers() -> dict[str, Dispatcher]:
    """Every numba function of the toolkit's loaded modules, by ``module.name``.

    Functions declared ``inline="always"`` are left out: numba inlines them into their
    callers and never compiles them on their own.
    """
    out: dict[str, Dispatcher] = {}
    for mod_name, mod in sorted(sys.modules.items()):
        if not mod_name.startswith("almaty_scheme.") or mod is None:
            continue
        for name, obj in vars(mod).items():
            if isinstance(obj, Dispatcher) and obj.__module__ == mod_name:
                if obj.targetoptions.get("inline", "never") == "always":
                    continue
                out[f"{mod_name}.{name}"] = obj
    return out


def entry_points(dispatchers: dict[str, Dispatcher]) -> dict[str, Dispatcher]:
    """The numba functions of ``dispatchers`` that Python code calls: those no other
    numba function calls. A kernel loaded from numba's cache brings its callees'
    machine code with it, so only these need compiling (their callees are compiled
    with them)."""
    called: set[int] = set()
    for d in dispatchers.values():
        scope = d.py_func.__globals__
        for name in d.py_func.__code__.co_names:
            callee = scope.get(name)
            if isinstance(callee, Dispatcher) and callee is not d:
                called.add(id(callee))
    return {k: d for k, d in dispatchers.items() if id(d) not in called}


def kernel_cache_dir() -> Path | None:
    """The folder where numba keeps the kernels' compiled code (see the module docstring)."""
    raw = getattr(getattr(kernels._overlap_kernel, "_cache", None), "_cache_path", None)
    return Path(raw) if isinstance(raw, str) else None


def _rule(cat: Catalogue, family: str, part: str) -> str:
    """A rule id of ``family`` containing ``part`` (any rule of the family otherwise)."""
    ids = sorted(r for r, rule in cat.rules.items() if rule.family == family)
    return next((r for r in ids if part in r), ids[0])


def _zone(rule_id: str, certainty: str, source_layer: str | None, width: float) -> dict[str, Any]:
    family = rule_id.split(".", 1)[0]
    return {
        "rule_id": rule_id,
        "family": family,
        "kind": "warm-up",
        "name": "warm-up",
        "width_m": width,
        "width_min_m": width,
        "width_max_m": width,
        "band_inner_m": 0.0,
        "band_outer_m": width,
        "width_semantics": "per_side",
        "measured_from": "axis",
        "certainty": certainty,
        "citation": "warm-up",
        "verified": True,
        "source": "warm-up",
        "accuracy": "synthetic",
        "source_layer": source_layer,
        "source_fid": f"{source_layer}:0" if source_layer else None,
    }


def _world(cat: Catalogue) -> dict[str, gpd.GeoDataFrame]:
    """A 10 km square world: a river with a strip and a zone (two layers of one family,
    one band possible), a road corridor, a functional zone over everything, boundary and
    coverage (coverage only on the western 8 km)."""
    x0, y0 = _X0, _Y0
    ry, rx = y0 + 5000.0, x0 + 3000.0

    def hband(w: float) -> Polygon:
        return box(x0 - 2000, ry - w, x0 + 12000, ry + w)

    wp = "water_protection"
    out: dict[str, gpd.GeoDataFrame] = {n: empty_zones() for n in LAYER_NAMES}
    out["water_protection_strips"] = zones_frame(
        [_zone(_rule(cat, wp, "strip"), "certain", "rivers", 55.0)], [hband(55.0)]
    )
    out["water_protection_zones"] = zones_frame(
        [
            _zone(_rule(cat, wp, "zone"), "certain", "rivers", 500.0),
            _zone(_rule(cat, wp, "zone"), "possible", "rivers", 1500.0),
        ],
        [
            hband(500.0),
            MultiPolygon(
                [
                    box(x0 - 2000, ry + 500, x0 + 12000, ry + 1500),
                    box(x0 - 2000, ry - 1500, x0 + 12000, ry - 500),
                ]
            ),
        ],
    )
    # a road corridor with a wavy edge: tiles that are not boxes, cut into triangles
    edge = [(rx - 60 + 20 * (i % 2), y0 - 2000 + 250 * i) for i in range(57)]
    corridor = Polygon([*edge, (rx + 60, y0 + 12000), (rx + 60, y0 - 2000)])
    out["road_corridors"] = zones_frame(
        [_zone(_rule(cat, "roads", ""), "certain", "roads", 60.0)], [corridor]
    )
    out["functional_zones"] = zones_frame(
        [_zone(_rule(cat, "zoning", "subzone"), "certain", None, 0.0)],
        [box(x0 - 2000, y0 - 2000, x0 + 12000, y0 + 12000)],
    )
    out["boundary"] = gpd.GeoDataFrame(
        {"name": ["warm-up"]}, geometry=[box(x0, y0, x0 + 10000, y0 + 10000)], crs=WORKING_CRS
    )
    out["coverage"] = gpd.GeoDataFrame(
        {"name": ["warm-up"]}, geometry=[box(x0, y0, x0 + 8000, y0 + 10000)], crs=WORKING_CRS
    )
    for layer, line in (
        ("rivers", LineString([(x0 - 2000, ry), (x0 + 12000, ry)])),
        ("roads", LineString([(rx, y0 - 2000), (rx, y0 + 12000)])),
    ):
        out[f"base_{layer}"] = gpd.GeoDataFrame(
            {"base_id": [f"{layer}:0"], "name": ["warm-up"]}, geometry=[line], crs=WORKING_CRS
        )
    return out


def _parcels() -> gpd.GeoDataFrame:
    """Parcels that reach every kernel (see the module docstring)."""
    x0, y0 = _X0, _Y0
    ry, rx = y0 + 5000.0, x0 + 3000.0
    holed = Polygon(
        [(x0 + 6000, ry + 20), (x0 + 6200, ry + 20), (x0 + 6200, ry + 220), (x0 + 6000, ry + 220)],
        [
            [
                (x0 + 6050, ry + 70),
                (x0 + 6150, ry + 70),
                (x0 + 6150, ry + 170),
                (x0 + 6050, ry + 170),
            ]
        ],
    )
    geoms = [
        box(x0 + 1000, y0 + 1000, x0 + 1100, y0 + 1100),  # clear, far from everything
        box(x0 + 1000, ry - 30, x0 + 1100, ry + 30),  # in the strip and the zone
        box(rx - 100, y0 + 2000, rx + 100, y0 + 2100),  # across the road corridor
        box(x0 + 9000, y0 + 9000, x0 + 9100, y0 + 9100),  # outside the coverage
        box(x0 + 9950, y0 + 500, x0 + 10050, y0 + 600),  # across the boundary
        holed,
        MultiPolygon(
            [
                box(x0 + 500, ry + 600, x0 + 600, ry + 700),
                box(x0 + 700, ry + 600, x0 + 800, ry + 700),
            ]
        ),
        box(x0 + 1000, ry + 1520, x0 + 1100, ry + 1620),  # just outside a zone: near distances
        box(x0 + 100, y0 + 100, x0 + 7900, y0 + 9900),  # many tiles: overflows the owner slots
    ]
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"parcel_id": [f"W{i:03d}" for i in range(n)], "use": ["residential"] * n},
        geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS),
        crs=WORKING_CRS,
    )


def _write_layers(layers: dict[str, gpd.GeoDataFrame], path: Path, catalogue: Catalogue) -> None:
    for name, gdf in layers.items():
        kw: dict[str, Any] = {"geometry_type": "MultiPolygon"} if len(gdf) == 0 else {}
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", append=path.exists(), **kw)
    info = pd.DataFrame({"key": ["catalogue_version"], "value": [catalogue.version]})
    pyogrio.write_dataframe(info, path, layer="build_info", driver="GPKG", append=True)


def warm_kernels(catalogue: Catalogue | None = None) -> WarmupReport:
    """Compile (or load) every kernel of the check with the signatures a check uses.

    Runs a check of :func:`_parcels` against :func:`_world`, written as a layers
    GeoPackage to a temporary folder that is removed afterwards, with its results
    GeoPackage, then of the same parcels read from a GeoPackage (the kernels that read
    a file's stored WKB; no zone cache is read or written). Idempotent: on a warm cache it only loads the compiled code.

    Returns
    -------
    WarmupReport
        Time taken, compiled signatures per kernel, and numba's cache folder.
    """
    t0 = time.perf_counter()
    cat = catalogue if catalogue is not None else default_catalogue()
    with tempfile.TemporaryDirectory(prefix="almaty-scheme-warmup-") as tmp:
        path = Path(tmp) / "warmup_layers.gpkg"
        _write_layers(_world(cat), path, cat)
        opts = CheckOptions(id_field="parcel_id", use_field="use", zones_cache=False)
        check_log = logging.getLogger("almaty_scheme.check")
        level = check_log.level
        check_log.setLevel(logging.WARNING)  # the synthetic check's step lines are noise
        try:
            # written too: the results' WKB is compiled (almaty_scheme.io.wkb)
            run_check(_parcels(), layers=path, out=Path(tmp) / "warmup.gpkg", options=opts)
            # and read from a file: its stored WKB (validity and rings read from the bytes)
            _parcels().to_file(Path(tmp) / "warmup_parcels.gpkg", driver="GPKG")
            run_check(Path(tmp) / "warmup_parcels.gpkg", layers=path, options=opts)
        finally:
            check_log.setLevel(level)
    report = WarmupReport(
        seconds=time.perf_counter() - t0,
        kernels={k: len(d.signatures) for k, d in entry_points(check_dispatchers()).items()},
        cache_dir=kernel_cache_dir(),
    )
    cold = [k for k, n in report.kernels.items() if n == 0]
    if cold:
        log.warning("the warm-up did not compile %s", ", ".join(cold))
    log.info(
        "compiled kernels ready in %.1f s (%d kernels; numba cache %s)",
        report.seconds,
        len(report.kernels),
        report.cache_dir,
    )
    return report


__all__ = ["WarmupReport", "check_dispatchers", "entry_points", "kernel_cache_dir", "warm_kernels"]
