#!/usr/bin/env python
"""Seeded, realistic synthetic parcels for demos and benchmarks of ``almaty-scheme check``.

Parcels are 0.05-5 ha (log-uniform) irregular quadrilaterals, clustered where land is
actually allotted: around settlements (more around bigger ones), along roads, rivers,
railways and gas pipelines, plus a few scattered ones; only parcels whose centre lies
inside the agglomeration boundary are kept. Anchors come from a built GeoPackage
(``boundary``, ``base_settlements``, ``base_roads``, ``base_rivers``, ``base_railways``,
``base_gas_pipelines``).

Columns: ``cad_num`` (unique, cadastral-number style), ``use`` (a realistic mix of
land-use classes written the way analysts write them: class ids, Russian names,
abbreviations such as ИЖС, КХ, СТО, АЗС, and a few blanks and unknown values),
``area_decl_ha`` (declared area), ``anchor`` (what the parcel was placed near).

Examples::

    python scripts/make_parcels.py --n 10000 --seed 1 --out out/parcels_demo.gpkg
    python scripts/make_parcels.py --n 1000000 --out out/parcels_1m.parquet --crs EPSG:4326

The same ``--seed`` and ``--n`` give the same parcels.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from almaty_scheme.crs import WORKING_CRS, parse_crs
from almaty_scheme.errors import AlmatySchemeError, DataError
from almaty_scheme.io.atomic import atomic_path

log = logging.getLogger("make_parcels")

MIN_AREA_M2 = 500.0  # 0.05 ha
MAX_AREA_M2 = 50_000.0  # 5 ha

# anchor kind -> share of parcels
MIX: dict[str, float] = {
    "settlement": 0.55,
    "road": 0.22,
    "river": 0.10,
    "railway": 0.03,
    "gas_pipeline": 0.04,
    "scattered": 0.06,
}

# (use value as written, weight): class ids, Russian names and abbreviations
USES: list[tuple[str | None, float]] = [
    ("residential", 14.0),
    ("ИЖС", 16.0),
    ("жилая застройка", 6.0),
    ("Жильё", 2.0),
    ("многоквартирный жилой дом", 2.0),
    ("agricultural", 6.0),
    ("сельхоз", 5.0),
    ("пашня", 4.0),
    ("КХ", 3.0),
    ("ЛПХ", 2.0),
    ("pasture", 2.0),
    ("пастбище", 1.5),
    ("dacha_gardening", 3.0),
    ("дача", 3.0),
    ("садоводство", 1.0),
    ("commercial", 3.0),
    ("торговля", 2.0),
    ("магазин", 1.0),
    ("industrial", 2.5),
    ("промышленность", 1.5),
    ("warehouse_logistics", 2.0),
    ("склад", 2.0),
    ("public_facilities", 1.5),
    ("школа", 1.0),
    ("детский сад", 0.5),
    ("livestock_farm", 1.5),
    ("ферма", 1.5),
    ("птицефабрика", 0.3),
    ("recreation", 1.5),
    ("база отдыха", 1.5),
    ("recreation_open", 1.0),
    ("парк", 1.0),
    ("fuel_chemicals_storage", 0.4),
    ("АЗС", 0.8),
    ("склад ГСМ", 0.3),
    ("vehicle_service", 0.6),
    ("СТО", 0.8),
    ("автомойка", 0.4),
    ("utilities", 1.0),
    ("подстанция", 0.3),
    ("transport", 0.6),
    ("cemetery", 0.3),
    ("кладбище", 0.3),
    ("landfill", 0.2),
    ("свалка", 0.1),
    ("forestry", 0.8),
    ("лесопосадка", 0.3),
    ("mining", 0.3),
    ("карьер", 0.3),
    ("прочее", 0.5),
    ("", 0.4),
    (None, 0.8),
    ("теплица", 0.3),
    ("ГКП-17", 0.2),
]


def _read(layers: Path, name: str) -> gpd.GeoDataFrame | None:
    names = {str(r[0]) for r in pyogrio.list_layers(layers)}
    if name not in names:
        return None
    gdf = pyogrio.read_dataframe(layers, layer=name)
    if gdf.crs is None or gdf.crs != WORKING_CRS:
        gdf = gdf.to_crs(WORKING_CRS) if gdf.crs is not None else gdf.set_crs(WORKING_CRS)
    return gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty]


def _line_samples(
    lines: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points uniformly along ``lines`` (by length) and the line direction there."""
    parts = shapely.get_parts(lines)
    parts = parts[shapely.get_type_id(parts) == 1]
    lengths = shapely.length(parts)
    keep = lengths > 1.0
    parts, lengths = parts[keep], lengths[keep]
    which = rng.choice(len(parts), size=n, p=lengths / lengths.sum())
    d = rng.random(n) * lengths[which]
    eps = np.minimum(5.0, lengths[which] / 4)
    a = shapely.line_interpolate_point(parts[which], np.maximum(d - eps, 0))
    b = shapely.line_interpolate_point(parts[which], np.minimum(d + eps, lengths[which]))
    p = shapely.line_interpolate_point(parts[which], d)
    xy = shapely.get_coordinates(p)
    dxy = shapely.get_coordinates(b) - shapely.get_coordinates(a)
    ang = np.arctan2(dxy[:, 1], dxy[:, 0])
    return xy[:, 0], xy[:, 1], ang


def _centres(
    kind: str,
    n: int,
    anchors: dict[str, gpd.GeoDataFrame | None],
    boundary: shapely.Geometry,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centres, orientations and 'aligned' flags of ``n`` candidate parcels near ``kind``."""
    if kind == "settlement":
        pts = anchors.get("settlements")
        if pts is None or len(pts) == 0:
            return _centres("scattered", n, anchors, boundary, rng)
        pop = (
            np.asarray(pts.get("pop_2018", np.nan), dtype=float)
            if "pop_2018" in pts
            else np.full(len(pts), np.nan)
        )
        pop = np.where(np.isfinite(pop) & (pop > 0), pop, 800.0)
        w = np.sqrt(pop)
        idx = rng.choice(len(pts), size=n, p=w / w.sum())
        xy = shapely.get_coordinates(pts.geometry.to_numpy())[idx]
        sigma = 120.0 * pop[idx] ** 0.25
        x = xy[:, 0] + rng.normal(0, sigma)
        y = xy[:, 1] + rng.normal(0, sigma)
        # settlement grids: streets run roughly along a local axis
        ang = rng.choice([0.0, np.pi / 2], size=n) + rng.normal(0, 0.15, n)
        return x, y, ang, np.ones(n, bool)
    if kind == "scattered":
        x0, y0, x1, y1 = boundary.bounds
        return (
            rng.uniform(x0, x1, n),
            rng.uniform(y0, y1, n),
            rng.uniform(0, np.pi, n),
            np.zeros(n, bool),
        )
    layer = {
        "road": "roads",
        "river": "rivers",
        "railway": "railways",
        "gas_pipeline": "gas_pipelines",
    }[kind]
    gdf = anchors.get(layer)
    if gdf is None or len(gdf) == 0:
        return _centres("settlement", n, anchors, boundary, rng)
    x, y, ang = _line_samples(gdf.geometry.to_numpy(), n, rng)
    spread = {"road": 180.0, "river": 700.0, "railway": 250.0, "gas_pipeline": 350.0}[kind]
    off = rng.normal(0, spread, n)
    off = np.where(np.abs(off) < 25.0, np.sign(off + 1e-9) * 25.0 + off, off)
    x = x - np.sin(ang) * off
    y = y + np.cos(ang) * off
    return x, y, ang, np.ones(n, bool)


def _polygons(
    x: np.ndarray, y: np.ndarray, ang: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Irregular quadrilaterals of log-uniform area 0.05-5 ha centred on (x, y)."""
    n = len(x)
    area = np.exp(rng.uniform(np.log(MIN_AREA_M2), np.log(MAX_AREA_M2), n))
    ratio = rng.uniform(1.0, 3.0, n)
    w = np.sqrt(area * ratio)
    h = area / w
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    local = corners[None, :, :] * np.stack([w, h], axis=1)[:, None, :]
    local += rng.normal(0, 0.04, (n, 4, 2)) * np.minimum(w, h)[:, None, None]
    # rescale to the drawn area (shoelace), then rotate and translate
    xs, ys = local[..., 0], local[..., 1]
    a = 0.5 * np.abs(np.sum(xs * np.roll(ys, -1, 1) - np.roll(xs, -1, 1) * ys, axis=1))
    local *= np.sqrt(area / a)[:, None, None]
    c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
    gx = local[..., 0] * c - local[..., 1] * s + x[:, None]
    gy = local[..., 0] * s + local[..., 1] * c + y[:, None]
    ring = np.concatenate(
        [np.stack([gx, gy], axis=2), np.stack([gx[:, :1], gy[:, :1]], axis=2)], axis=1
    )
    return shapely.polygons(ring), area


def make_parcels(layers: Path, n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Generate ``n`` parcels in EPSG:32643 (see the module docstring)."""
    rng = np.random.default_rng(seed)
    boundary_gdf = _read(layers, "boundary")
    if boundary_gdf is None or len(boundary_gdf) == 0:
        raise DataError(
            f"{layers} has no boundary layer",
            ["Build the layers first: almaty-scheme build --out out/almaty_scheme.gpkg."],
        )
    boundary = shapely.union_all(boundary_gdf.geometry.to_numpy())
    shapely.prepare(boundary)
    anchors = {
        k: _read(layers, f"base_{k}")
        for k in ("settlements", "roads", "rivers", "railways", "gas_pipelines")
    }
    kinds = list(MIX)
    counts = rng.multinomial(n, [MIX[k] for k in kinds])
    geoms, areas, labels = [], [], []
    for kind, k in zip(kinds, counts, strict=True):
        got = 0
        tries = 0
        while got < k and tries < 50:
            tries += 1
            m = int((k - got) * 1.6) + 16
            x, y, ang, _ = _centres(kind, m, anchors, boundary, rng)
            inside = shapely.contains_xy(boundary, x, y)
            x, y, ang = x[inside], y[inside], ang[inside]
            take = min(len(x), k - got)
            g, a = _polygons(x[:take], y[:take], ang[:take], rng)
            geoms.append(g)
            areas.append(a)
            labels.append(np.full(take, kind, dtype=object))
            got += take
    geom = np.concatenate(geoms)
    area = np.concatenate(areas)
    anchor = np.concatenate(labels)
    order = rng.permutation(len(geom))  # mix the anchors in the file
    geom, area, anchor = geom[order], area[order], anchor[order]
    total = len(geom)
    values = np.array([u for u, _ in USES], dtype=object)
    weights = np.array([w for _, w in USES], dtype=float)
    use = values[rng.choice(len(values), size=total, p=weights / weights.sum())]
    i = np.arange(total)
    cad = [
        f"03-{a:03d}-{b:03d}-{c:03d}"
        for a, b, c in zip(40 + i // 1_000_000, (i // 1000) % 1000, i % 1000, strict=True)
    ]
    decl = np.round(area / 10_000 * rng.normal(1.0, 0.01, total), 4)
    return gpd.GeoDataFrame(
        {"cad_num": cad, "use": use, "area_decl_ha": decl, "anchor": anchor},
        geometry=gpd.GeoSeries(geom, crs=WORKING_CRS),
        crs=WORKING_CRS,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument(
        "--layers",
        type=Path,
        default=Path("out/almaty_scheme.gpkg"),
        help="built GeoPackage with boundary and base_* layers",
    )
    ap.add_argument("--n", type=int, default=10_000, help="number of parcels")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True, help=".gpkg or .parquet")
    ap.add_argument("--crs", default="EPSG:32643", help="CRS to write (e.g. EPSG:4326)")
    ap.add_argument("--overwrite", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.n < 1:
            raise DataError("--n must be at least 1")
        suffix = args.out.suffix.lower()
        if suffix not in (".gpkg", ".parquet"):
            raise DataError(f"--out {args.out}: use .gpkg or .parquet")
        if not args.layers.is_file():
            raise DataError(
                f"{args.layers} not found",
                ["Build it: almaty-scheme build --out out/almaty_scheme.gpkg."],
            )
        t = time.perf_counter()
        gdf = make_parcels(args.layers, args.n, args.seed)
        crs = parse_crs(args.crs)
        if crs != WORKING_CRS:
            gdf = gdf.to_crs(crs)
        with atomic_path(args.out, overwrite=args.overwrite) as tmp:
            if suffix == ".parquet":
                gdf.to_parquet(tmp, index=False)
            else:
                pyogrio.write_dataframe(gdf, tmp, layer="parcels", driver="GPKG", use_arrow=True)
        log.info("wrote %d parcels to %s in %.1f s", len(gdf), args.out, time.perf_counter() - t)
    except AlmatySchemeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
