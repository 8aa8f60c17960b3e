"""A hand-made 10 km x 10 km world for the parcel-check tests, with exact answers.

Coordinates are EPSG:32643, origin (X0, Y0). Everything is axis-aligned, so overlaps
and distances are hand-derivable:

* boundary: the square [0, 10 000] x [0, 10 000]; coverage: x in [0, 8 000] only;
* river "Тургень" along y = 5 000 (x from -5 km to 15 km), base id ``rivers:0``;
  strip: certain |dy| <= 55, possible 55 < |dy| <= 110;
  zone: certain |dy| <= 550, possible 550 < |dy| <= 1 700;
* gas pipeline along x = 2 000 (y from -5 km to 15 km), base id ``gas_pipelines:0``:
  minimum distance 150 m (|dx| <= 150), protection zone 50 m (|dx| <= 50),
  and a 10 m zone of a rule without regime.

Zones are built as rectangles (flat caps beyond the boundary), tiled by the engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LineString, MultiPolygon, box

from almaty_scheme.catalogue.loader import load_catalogue
from almaty_scheme.check.regime import land_use_from_catalogue
from almaty_scheme.check.zones import PreparedZones, prepare_zones
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.restrictions.frames import empty_zones, zones_frame
from almaty_scheme.restrictions.schema import LAYER_NAMES

X0 = 700_000.0
Y0 = 4_790_000.0
CATALOGUE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "check" / "catalogue"
RIVER_Y = Y0 + 5000
GAS_X = X0 + 2000


def catalogue():  # type: ignore[no-untyped-def]
    return load_catalogue(CATALOGUE_DIR)


def sq(x: float, y: float, w: float = 100.0, h: float | None = None) -> shapely.Polygon:
    """A box with lower-left corner (X0 + x, Y0 + y)."""
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (h if h is not None else w))


def _hband(inner: float, outer: float) -> shapely.Geometry:
    """Horizontal band around the river, inner < |dy| <= outer (x from -5 km to 15 km)."""
    xa, xb = X0 - 5000, X0 + 15000
    if inner == 0:
        return box(xa, RIVER_Y - outer, xb, RIVER_Y + outer)
    return MultiPolygon(
        [
            box(xa, RIVER_Y + inner, xb, RIVER_Y + outer),
            box(xa, RIVER_Y - outer, xb, RIVER_Y - inner),
        ]
    )


def _vband(inner: float, outer: float) -> shapely.Geometry:
    ya, yb = Y0 - 5000, Y0 + 15000
    if inner == 0:
        return box(GAS_X - outer, ya, GAS_X + outer, yb)
    return MultiPolygon(
        [box(GAS_X + inner, ya, GAS_X + outer, yb), box(GAS_X - outer, ya, GAS_X - inner, yb)]
    )


def _rec(
    rule_id: str,
    family: str,
    certainty: str,
    inner: float,
    outer: float,
    wmin: float,
    wmax: float,
    source_layer: str,
    source_fid: str,
    name: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "family": family,
        "kind": "test",
        "name": name,
        "width_m": outer,
        "width_min_m": wmin,
        "width_max_m": wmax,
        "band_inner_m": inner,
        "band_outer_m": outer,
        "width_semantics": "per_side",
        "measured_from": "water_edge" if family == "water_protection" else "axis",
        "certainty": certainty,
        "citation": f"test {rule_id}",
        "verified": True,
        "reading": None,
        "source": "test",
        "accuracy": extra.pop("accuracy", "test data"),
        "source_layer": source_layer,
        "source_fid": source_fid,
        **extra,
    }


def layers() -> dict[str, gpd.GeoDataFrame]:
    """The zone layers, boundary and coverage and base layers of the world."""
    strips = zones_frame(
        [
            _rec(
                "water_protection.turgen.strip",
                "water_protection",
                "certain",
                0,
                55,
                55,
                110,
                "rivers",
                "rivers:0",
                "Тургень",
            ),
            _rec(
                "water_protection.turgen.strip",
                "water_protection",
                "possible",
                55,
                110,
                55,
                110,
                "rivers",
                "rivers:0",
                "Тургень",
            ),
        ],
        [_hband(0, 55), _hband(55, 110)],
    )
    wzones = zones_frame(
        [
            _rec(
                "water_protection.turgen.zone",
                "water_protection",
                "certain",
                0,
                550,
                550,
                1700,
                "rivers",
                "rivers:0",
                "Тургень",
                accuracy='derived from DEM 15"',
            ),
            _rec(
                "water_protection.turgen.zone",
                "water_protection",
                "possible",
                550,
                1700,
                550,
                1700,
                "rivers",
                "rivers:0",
                "Тургень",
                accuracy='derived from DEM 15"',
            ),
        ],
        [_hband(0, 550), _hband(550, 1700)],
    )
    gas = zones_frame(
        [
            _rec(
                "gas.minimum_distance.dn_600",
                "gas",
                "certain",
                0,
                150,
                150,
                150,
                "gas_pipelines",
                "gas_pipelines:0",
                "Bukhara-Almaty",
            ),
            _rec(
                "gas.protection_zone",
                "gas",
                "certain",
                0,
                50,
                50,
                50,
                "gas_pipelines",
                "gas_pipelines:0",
                "Bukhara-Almaty",
            ),
            _rec(
                "gas.no_regime_rule",
                "gas",
                "certain",
                0,
                10,
                10,
                10,
                "gas_pipelines",
                "gas_pipelines:0",
                "Bukhara-Almaty",
            ),
        ],
        [_vband(0, 150), _vband(0, 50), _vband(0, 10)],
    )
    out: dict[str, gpd.GeoDataFrame] = {n: empty_zones() for n in LAYER_NAMES}
    out["water_protection_strips"] = strips
    out["water_protection_zones"] = wzones
    out["gas_pipeline_zones"] = gas
    out["boundary"] = gpd.GeoDataFrame(
        {"name": ["test"]}, geometry=[box(X0, Y0, X0 + 10000, Y0 + 10000)], crs=WORKING_CRS
    )
    out["coverage"] = gpd.GeoDataFrame(
        {"name": ["test"]}, geometry=[box(X0, Y0, X0 + 8000, Y0 + 10000)], crs=WORKING_CRS
    )
    out["base_rivers"] = gpd.GeoDataFrame(
        {"base_id": ["rivers:0"], "name": ["Тургень"]},
        geometry=[LineString([(X0 - 5000, RIVER_Y), (X0 + 15000, RIVER_Y)])],
        crs=WORKING_CRS,
    )
    out["base_gas_pipelines"] = gpd.GeoDataFrame(
        {"base_id": ["gas_pipelines:0"], "name": ["Bukhara-Almaty"]},
        geometry=[LineString([(GAS_X, Y0 - 5000), (GAS_X, Y0 + 15000)])],
        crs=WORKING_CRS,
    )
    return out


def prepared(tile_size: float = 2000.0) -> PreparedZones:
    """The world prepared in memory."""
    lay = layers()
    cat = catalogue()
    return prepare_zones(
        {k: v for k, v in lay.items() if k in LAYER_NAMES},
        boundary=lay["boundary"],
        coverage=lay["coverage"],
        sources={"rivers": lay["base_rivers"], "gas_pipelines": lay["base_gas_pipelines"]},
        catalogue=cat,
        land_use=land_use_from_catalogue(cat),
        build_info={"catalogue_version": cat.version},
        tile_size=tile_size,
    )


def write_gpkg(path: Path) -> Path:
    """Write the world as a build GeoPackage (brief_contracts §3)."""
    for name, gdf in layers().items():
        kw: dict[str, Any] = {}
        if len(gdf) == 0:
            kw["geometry_type"] = "MultiPolygon"
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", append=path.exists(), **kw)
    info = pd.DataFrame(
        {"key": ["catalogue_version", "toolkit_version"], "value": ["0.1.0", "test"]}
    )
    pyogrio.write_dataframe(info, path, layer="build_info", driver="GPKG", append=True)
    return path


def parcels(geoms: list[shapely.Geometry | None], **cols: list[Any]) -> gpd.GeoDataFrame:
    """A parcel GeoDataFrame in the working CRS."""
    return gpd.GeoDataFrame(
        dict(cols), geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS), crs=WORKING_CRS
    )


SEVEN_CELLS = [(1000, 5000), (1000, 6000), (5000, 7000), (-300, 9000), (1100, 5000), (5100, 7000)]
"""Lower-left corners (offsets from X0, Y0) of six 100 m parcels of the hand-made world."""


def seven_parcels() -> gpd.GeoDataFrame:
    """Six parcels at :data:`SEVEN_CELLS` and a seventh without geometry, ids ``A``-``G``
    in ``cad`` and uses (some repeated, one English) in ``use``."""
    return parcels(
        [sq(x, y) for x, y in SEVEN_CELLS] + [None],
        cad=["A", "B", "C", "D", "E", "F", "G"],
        use=["ИЖС", "ферма", "парк", "residential", "ИЖС", "парк", "ИЖС"],
    )
