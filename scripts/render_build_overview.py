"""Render an overview PNG of a built GeoPackage (the picture in the README).

Usage::

    python scripts/render_build_overview.py [out/almaty_scheme.gpkg] [docs/img/build_overview.png]

Functional zones are drawn as the background partition (one colour per group), then the
restriction layers; everything in EPSG:32643, axes in km.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pyogrio
from matplotlib.patches import Patch

GROUP_COLOURS = {"special": "#9ecae1", "limited": "#a1d99b", "intensive": "#fdae6b",
                 "extensive": "#f7f4e8"}
LAYERS = [  # layer, face colour, edge colour, alpha, label
    ("elevation_belts", "none", "#31a354", 1.0, "elevation belts (950-1250 / 950-1450 m)"),
    ("water_protection_zones", "#6baed6", "none", 0.45, "water-protection zones"),
    ("water_protection_strips", "#08519c", "none", 0.9, "water-protection strips"),
    ("gas_pipeline_zones", "#cb181d", "none", 0.6, "gas pipeline zones"),
    ("forest_belts", "#238b45", "none", 0.7, "forest belt along BAKAD"),
    ("road_corridors", "#636363", "none", 0.9, "road corridors"),
    ("railway_zones", "#000000", "none", 0.9, "railway zones"),
    ("industrial_zones", "#756bb1", "#3f007d", 0.9, "industrial zones (schematic)"),
]


def main(argv: list[str]) -> int:
    gpkg = Path(argv[0]) if argv else Path("out/almaty_scheme.gpkg")
    png = Path(argv[1]) if len(argv) > 1 else Path("docs/img/build_overview.png")
    fig, ax = plt.subplots(figsize=(11, 7.5), dpi=110)
    handles = []
    fz = pyogrio.read_dataframe(gpkg, layer="functional_zones")
    for group, colour in GROUP_COLOURS.items():
        part = fz[fz["functional_group"] == group]
        if len(part):
            part.plot(ax=ax, color=colour, linewidth=0)
            handles.append(Patch(facecolor=colour, label=f"functional zones: {group}"))
    for name, face, edge, alpha, label in LAYERS:
        gdf = pyogrio.read_dataframe(gpkg, layer=name)
        if not len(gdf):
            continue
        gdf.plot(ax=ax, facecolor=face, edgecolor=edge, alpha=alpha,
                 linewidth=0.6 if edge != "none" else 0)
        handles.append(Patch(facecolor=face if face != "none" else "white", edgecolor=edge
                             if edge != "none" else face, alpha=alpha, label=label))
    bnd = pyogrio.read_dataframe(gpkg, layer="boundary")
    bnd.boundary.plot(ax=ax, color="#d7301f", linewidth=1.2)
    handles.append(Patch(facecolor="none", edgecolor="#d7301f", label="agglomeration boundary"))
    x0, y0, x1, y1 = bnd.total_bounds
    pad = 0.03 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v / 1000:.0f}")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1000:.0f}")
    ax.set_xlabel("EPSG:32643 easting, km")
    ax.set_ylabel("northing, km")
    ax.set_title("almaty-scheme build from the reference open data (../shared/data)")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
