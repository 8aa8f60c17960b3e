"""How the reconstructed boundary's area depends on each free parameter of
``layers/boundary.yaml``.

Usage::

    python scripts/boundary_sensitivity.py [DATA_DIR]

Assembles the base once (reference data), then rebuilds only the boundary with one
parameter changed at a time, and prints the area (thousand ha, against the scheme's
939.49) and the Kapchagay water inside (ha, against 33 897.7). The shipped values are
marked with ``*``. The settlements are the joined ones, placed points included (the
boundary seeds only those ``partial_method.placed_seeds`` allows). Nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from almaty_scheme.base.assemble import assemble_base
from almaty_scheme.base.boundary import build_boundary, district_territories, load_boundary_config
from almaty_scheme.catalogue.boundary_models import BoundaryConfig
from almaty_scheme.resources import default_data_dir

SCHEME_KHA = 939.49


def _variant(cfg: BoundaryConfig, path: tuple[Any, ...], value: Any) -> BoundaryConfig:
    raw = cfg.model_dump()
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return BoundaryConfig.model_validate(raw)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data", nargs="?", type=Path, default=default_data_dir())
    args = p.parse_args()
    base = assemble_base(args.data, options={"derive_rivers": False})
    cfg = load_boundary_config()
    terr = district_territories(base["admin_units"], cfg)
    grid: list[tuple[tuple[Any, ...], list[Any], Any]] = [
        (("partial_method", "cell_radius_km"), [3, 4, 5, 6, 7.5, 10], None),
        (("partial_method", "closing_km"), [0, 1, 2, 3], None),
        (("shore_band", "max_gap_km"), [15, 20, 25, 30, 40], None),
        (("partial_method", "rural_districts"), [False, True], None),
        (("partial_method", "placed_seeds"), [False, True], None),
        (("partial_method", "rural_district_hull"), [False, True], None),
        (("lakes", 0, "link_to_kept"), [False, True], None),
        (("outline", "fill_holes"), [False, True], None),
    ]
    print(f"{'parameter':32} {'value':>6}  {'area, kha':>10} {'vs 939.49':>9}  {'water, ha':>10}")
    for path, values, _ in grid:
        shipped: Any = cfg.model_dump()
        for key in path:
            shipped = shipped[key] if shipped is not None else None
        for v in values:
            res = build_boundary(
                terr,
                base["settlements"],
                base["water_bodies"],
                _variant(cfg, path, v),
                dem_path=base.dem_path,
                rivers=base["rivers"],
            )
            kha = float(res.boundary["area_ha"].iloc[0]) / 1000
            water = float(res.figures["reservoir_inside"]["ours"])
            mark = "*" if v == shipped else " "
            print(
                f"{'.'.join(map(str, path)):32} {v!s:>6}{mark} {kha:>10.1f} {100 * (kha / SCHEME_KHA - 1):>+8.1f}%"
                f"  {water:>10,.0f}"
            )
    no_line = cfg.model_copy(update={"water_line": None})
    res = build_boundary(terr, base["settlements"], base["water_bodies"], no_line,
                         dem_path=base.dem_path, rivers=base["rivers"])  # fmt: skip
    kha = float(res.boundary["area_ha"].iloc[0]) / 1000
    print(f"{'water_line':32} {'off':>6}  {kha:>10.1f} {100 * (kha / SCHEME_KHA - 1):>+8.1f}%")


if __name__ == "__main__":
    main()
