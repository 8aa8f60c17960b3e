"""A tiny synthetic layer GeoPackage and check result, shaped exactly like the real ones.

The built GeoPackage (contract §3) and check results (§5) are produced by the builder
and the checker from real data; tests of styles, projects, maps and reports, and the
documentation, need small files of the same shape that exist without a build. These
are hand-made geometries near Almaty (EPSG:32643) with every column of the contracts;
their numbers are exact (a 10 km road buffered 50 m each side with flat caps covers
1 000 000 m²) so that the QGIS oracle test can compare areas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, box

from almaty_scheme.base.model import BASE_LAYERS, PROVENANCE_COLUMNS
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.io.gpkg import write_layers
from almaty_scheme.qgis.spec import HIT_COLUMNS, PARCEL_COLUMNS
from almaty_scheme.qgis.styles import style_finalizer
from almaty_scheme.restrictions.frames import zones_frame
from almaty_scheme.restrictions.geometry import band, line_buffer
from almaty_scheme.restrictions.schema import LAYER_NAMES, ZONE_COLUMNS

X0, Y0 = 640_000.0, 4_780_000.0
"""South-west corner of the sample area (about 76.7 E, 43.2 N)."""

ROAD = LineString([(X0 + 4_000, Y0 + 8_000), (X0 + 14_000, Y0 + 8_000)])
RIVER = LineString([(X0 + 2_000, Y0 + 1_000), (X0 + 6_000, Y0 + 6_000), (X0 + 9_000, Y0 + 14_000)])
RAILWAY = LineString([(X0 + 1_000, Y0 + 12_000), (X0 + 19_000, Y0 + 13_000)])
GAS = LineString([(X0 + 1_000, Y0 + 3_000), (X0 + 12_000, Y0 + 2_000), (X0 + 19_000, Y0 + 4_000)])
BOUNDARY = box(X0, Y0, X0 + 20_000, Y0 + 15_000)

SAMPLE_COUNTS = {
    "boundary": 1,
    "road_corridors": 2,
    "railway_zones": 1,
    "power_line_zones": 0,
    "water_main_strips": 0,
    "water_protection_zones": 1,
    "water_protection_strips": 1,
    "gas_pipeline_zones": 1,
    "forest_belts": 2,
    "elevation_belts": 2,
    "industrial_zones": 1,
    "functional_zones": 4,
    "coverage": 1,
}
"""Feature counts of the sample's restriction layers (tests compare QGIS's counts)."""


def _zone(
    rule_id: str,
    name: str,
    width: float,
    certainty: str = "certain",
    inner: float = 0.0,
    source_layer: str = "",
    fid: str = "",
    **extra: Any,
) -> dict[str, Any]:
    rec: dict[str, Any] = dict.fromkeys(ZONE_COLUMNS)
    rec.update(
        rule_id=rule_id,
        family=rule_id.split(".")[0],
        kind="sample",
        name=name,
        width_m=width,
        width_min_m=width,
        width_max_m=width,
        band_inner_m=inner,
        band_outer_m=width,
        width_semantics="per_side",
        measured_from="axis",
        certainty=certainty,
        horizon=None,
        citation="sample",
        verified=True,
        reading="synthetic sample",
        source="almaty_scheme.qgis.sample",
        accuracy="synthetic",
        source_layer=source_layer,
        source_fid=fid,
    )
    rec.update(extra)
    return rec


def _base(name: str, rows: list[dict[str, Any]], geoms: list[Any]) -> gpd.GeoDataFrame:
    spec = BASE_LAYERS[name]
    cols: dict[str, Any] = {}
    for c in PROVENANCE_COLUMNS:
        cols[c] = pd.Series(
            [r.get(c, f"{name}:{i}" if c == "base_id" else "sample") for i, r in enumerate(rows)],
            dtype="string",
        )
    for c, t in spec.columns.items():
        cols[c] = pd.Series([r.get(c) for r in rows], dtype=t)
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS), crs=WORKING_CRS)


def sample_layers() -> dict[str, gpd.GeoDataFrame]:
    """Every layer of a built GeoPackage (contract §3), tiny and synthetic."""
    z = _restriction_samples()
    extra = {"functional_group": "string", "subzone": "string", "zone_label": "string"}
    out: dict[str, gpd.GeoDataFrame] = {}
    for name in LAYER_NAMES:
        recs, geoms = z[name]
        out[name] = zones_frame(recs, geoms, extra if name == "functional_zones" else None)
    out["coverage"] = gpd.GeoDataFrame(
        {"name": pd.Series(["reference data"], dtype="string")},
        geometry=gpd.GeoSeries([BOUNDARY.buffer(-500, join_style="mitre")], crs=WORKING_CRS),
    )
    out.update(_base_samples())
    out["build_info"] = pd.DataFrame(
        {
            "key": ["catalogue_version", "toolkit_version", "built_at", "range_policy", "data_dir"],
            "value": [
                "sample",
                "sample",
                "2020-08-13T00:00:00",
                "min_certain_max_possible",
                "synthetic",
            ],
        }
    )
    return out


def _restriction_samples() -> dict[str, tuple[list[dict[str, Any]], list[Any]]]:
    """Records and geometries of every restriction layer (a few features each)."""
    z: dict[str, tuple[list[dict[str, Any]], list[Any]]] = {n: ([], []) for n in LAYER_NAMES}

    def add(layer: str, rec: dict[str, Any], geom: Any) -> None:
        z[layer][0].append(rec)
        z[layer][1].append(geom)

    add("boundary", _zone("zoning.boundary", "Алматинская агломерация", 0.0), BOUNDARY)
    add(
        "road_corridors",
        _zone("roads.sample", "Дорога А", 100.0, "certain", source_layer="roads", fid="roads:0"),
        line_buffer(ROAD, 50.0),
    )
    add(
        "road_corridors",
        _zone(
            "roads.sample",
            "Дорога А",
            150.0,
            "possible",
            inner=100.0,
            source_layer="roads",
            fid="roads:0",
        ),
        shapely.difference(line_buffer(ROAD, 75.0), line_buffer(ROAD, 50.0)),
    )
    add(
        "railway_zones",
        _zone(
            "railways.sample", "Ж/д Алматы - Шу", 40.0, source_layer="railways", fid="railways:0"
        ),
        line_buffer(RAILWAY, 40.0),
    )
    add(
        "water_protection_strips",
        _zone(
            "water_protection.sample_strip",
            "р. Пример",
            35.0,
            source_layer="rivers",
            fid="rivers:0",
        ),
        shapely.buffer(RIVER, 35.0, quad_segs=16),
    )
    add(
        "water_protection_zones",
        _zone(
            "water_protection.sample_zone",
            "р. Пример",
            500.0,
            source_layer="rivers",
            fid="rivers:0",
        ),
        band(RIVER, 0.0, 500.0),
    )
    add(
        "gas_pipeline_zones",
        _zone("gas.sample", "МГ Пример", 25.0, source_layer="gas_pipelines", fid="gas_pipelines:0"),
        shapely.buffer(GAS, 25.0, quad_segs=16),
    )
    add(
        "forest_belts",
        _zone("forest.bakad_belt", "Лесная полоса", 200.0),
        box(X0 + 4_000, Y0 + 8_200, X0 + 14_000, Y0 + 8_400),
    )
    add(
        "forest_belts",
        _zone("forest.bakad_belt", "Лесная полоса", 500.0, "possible", inner=200.0),
        box(X0 + 4_000, Y0 + 8_400, X0 + 14_000, Y0 + 8_700),
    )
    add(
        "elevation_belts",
        _zone("elevation.gardening_belt", "950-1250 м", 0.0),
        box(X0, Y0 + 10_000, X0 + 20_000, Y0 + 12_500),
    )
    add(
        "elevation_belts",
        _zone("elevation.relic_apple_belt", "950-1450 м", 0.0),
        box(X0, Y0 + 12_500, X0 + 20_000, Y0 + 14_000),
    )
    add(
        "industrial_zones",
        _zone("industrial.sample", "Промзона", 0.0),
        box(X0 + 15_000, Y0 + 1_000, X0 + 18_000, Y0 + 3_500),
    )
    groups = [
        ("intensive", "settlement", "Расселение"),
        ("extensive", "agriculture", "Пашни"),
        ("limited", "recreation", "Рекреация"),
        ("special", "water", "Водоохранная"),
    ]
    for i, (g, sub, label) in enumerate(groups):
        add(
            "functional_zones",
            _zone("zoning.sample", label, 0.0, functional_group=g, subzone=sub, zone_label=label),
            box(X0 + i * 5_000, Y0, X0 + (i + 1) * 5_000, Y0 + 15_000),
        )
    return z


def _base_samples() -> dict[str, gpd.GeoDataFrame]:
    """The base layers (``base_*``) the restriction samples are built from."""
    out: dict[str, gpd.GeoDataFrame] = {}
    out["base_roads"] = _base(
        "roads", [{"name": "Дорога А", "category": "schematic", "rule_ids": "roads.sample"}], [ROAD]
    )
    out["base_rivers"] = _base("rivers", [{"name": "р. Пример", "kind": "river"}], [RIVER])
    out["base_railways"] = _base("railways", [{"name": "Алматы - Шу"}], [RAILWAY])
    out["base_gas_pipelines"] = _base(
        "gas_pipelines", [{"name": "МГ Пример", "diameter_mm": 1020.0}], [GAS]
    )
    out["base_water_bodies"] = _base(
        "water_bodies",
        [{"name": "Озеро", "kind": "lake"}],
        [Point(X0 + 17_000, Y0 + 9_000).buffer(800, quad_segs=16)],
    )
    out["base_settlements"] = _base(
        "settlements",
        [
            {"name": "Сады", "name_ru": "Сады"},
            {"name": "Каскелен", "name_ru": "Каскелен"},
            {"name": "Отеген", "name_ru": "Отеген"},
        ],
        [
            Point(X0 + 3_000, Y0 + 9_500),
            Point(X0 + 10_000, Y0 + 6_000),
            Point(X0 + 16_000, Y0 + 11_000),
        ],
    )
    for name in ("power_lines", "water_mains", "settlement_footprints"):
        out[f"base_{name}"] = _base(name, [], [])
    return out


def sample_results() -> dict[str, gpd.GeoDataFrame]:
    """A check result (contract §5) for 8 square parcels over :func:`sample_layers`."""
    specs = [
        ("P-1", (X0 + 8_000, Y0 + 7_950), "prohibited", "", "roads.sample", "roads", 2),
        (
            "P-2",
            (X0 + 5_500, Y0 + 4_600),
            "conditional",
            "",
            "water_protection.sample_zone",
            "water_protection",
            1,
        ),
        ("P-3", (X0 + 12_000, Y0 + 6_000), "clear", "", None, None, 0),
        ("P-4", (X0 + 25_000, Y0 + 6_000), "outside", "outside_boundary", None, None, 0),
        ("P-5", (X0 + 16_000, Y0 + 2_000), "prohibited", "", "industrial.sample", "industrial", 1),
        ("P-6", (X0 + 9_000, Y0 + 12_950), "prohibited", "", "railways.sample", "railways", 2),
        ("P-7", (X0 + 3_000, Y0 + 600), "clear", "", None, None, 0),
        ("P-8", (X0 + 14_000, Y0 + 14_000), "invalid_input", "empty_geometry", None, None, 0),
    ]
    rows, geoms = [], []
    for pid, (x, y), verdict, reason, rule, fam, n in specs:
        g = box(x - 60, y - 60, x + 60, y + 60) if verdict != "invalid_input" else None
        rows.append(
            {
                "parcel_id": pid,
                "use_input": "жилая застройка",
                "use_class": "residential",
                "verdict": verdict,
                "verdict_reason": reason or None,
                "worst_rule_id": rule,
                "worst_family": fam,
                "worst_share_pct": 40.0 if rule else None,
                "n_hits": n,
                "explanation_ru": f"Участок {pid}: {verdict} ({rule or 'нет ограничений'}).",
                "explanation_en": f"Parcel {pid}: {verdict} ({rule or 'no restriction'}).",
                "input_flags": "",
                "area_m2": 14_400.0 if g is not None else None,
                "near_roads_m": 10.0 if fam == "roads" else None,
            }
        )
        geoms.append(g)
    parcels = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS))
    for c in PARCEL_COLUMNS:
        assert c in parcels.columns
    hit_rows, hit_geoms = [], []
    layers = sample_layers()
    for pid, _xy, _v, _r, rule, fam, _n in specs:
        if rule is None:
            continue
        pg = parcels.geometry[parcels.parcel_id == pid].iloc[0]
        layer = {
            "roads": "road_corridors",
            "water_protection": "water_protection_zones",
            "industrial": "industrial_zones",
            "railways": "railway_zones",
        }[str(fam)]
        for _, z in layers[layer].iterrows():
            inter = shapely.intersection(pg, z.geometry)
            if inter.is_empty:
                continue
            hit_rows.append(
                {
                    "parcel_id": pid,
                    "rule_id": z.rule_id,
                    "family": z.family,
                    "layer": layer,
                    "zone_name": z["name"],
                    "certainty": z.certainty,
                    "overlap_m2": inter.area,
                    "share_pct": 100 * inter.area / pg.area,
                    "distance_to_source_m": 0.0,
                    "regime": "conditional" if fam == "water_protection" else "prohibited",
                    "citation": "sample",
                    "accuracy": "synthetic",
                }
            )
            hit_geoms.append(inter)
    hits = gpd.GeoDataFrame(
        pd.DataFrame(hit_rows, columns=list(HIT_COLUMNS)),
        geometry=gpd.GeoSeries(hit_geoms, crs=WORKING_CRS),
    )
    return {"parcels": parcels, "parcel_hits": hits}


def write_sample(
    path: str | Path, *, results: bool = False, styles: bool = True, overwrite: bool = False
) -> Path:
    """Write the sample layers (or, with ``results``, the sample check result) to ``path``."""

    layers = sample_results() if results else sample_layers()
    geo = {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    types = {
        k: ("MultiLineString" if k in ("base_power_lines", "base_water_mains") else "MultiPolygon")
        for k in geo
    }
    out = write_layers(
        path,
        geo,
        overwrite=overwrite,
        geometry_types=types,
        finalize=style_finalizer(list(geo)) if styles else None,
    )
    attrs = {k: v for k, v in layers.items() if not isinstance(v, gpd.GeoDataFrame)}
    if attrs:
        import pyogrio

        for name, df in attrs.items():
            pyogrio.write_dataframe(df, out, layer=name, driver="GPKG", append=True)
    return out
