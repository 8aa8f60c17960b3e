"""Import an OpenStreetMap extract (``.osm.pbf`` or ``.osm``) into canonical base layers.

GDAL's OSM driver (through pyogrio) reads the extract with a configuration written by
this module (:data:`OSM_CONFIG`): the tags the mapping filters on are columns, every
other tag goes to the ``other_tags`` hstore column, which :func:`parse_hstore` reads
(quotes, commas, ``=>`` and backslashes inside values are handled). The tags of a
feature are the union of both, so the mapping also works with GDAL's default
``osmconf.ini``.

Mapping (tag -> base layer):

==========================================================  =================
``waterway=river|stream|canal``                             ``rivers``
``natural=water``, ``water=reservoir|lake|pond|...``,
``landuse=reservoir`` (areas; not riverbank areas
``water=river|canal|stream|ditch|drain|wastewater``)        ``water_bodies``
``highway=motorway|trunk|primary|secondary|tertiary``
and ``motorway_link|trunk_link``                            ``roads``
``railway=rail``                                            ``railways``
``power=line|minor_line``                                   ``power_lines``
``man_made=pipeline`` + ``substance=gas`` (or ``type=gas``) ``gas_pipelines``
``man_made=pipeline`` + ``substance=water|drinking_water``  ``water_mains``
``boundary=protected_area|national_park``,
``leisure=nature_reserve`` (areas)                          ``protected_areas``
``place=city|town|village|hamlet|...`` (nodes; areas by
their representative point)                                 ``settlements``
==========================================================  =================

Values: ``voltage`` is in volts (``220000;110000`` -> ``voltage_kv`` 220, ``voltages``
``220;110``); ``diameter`` in mm unless a unit says otherwise (``1.02 m``, ``530 mm``);
``ref`` is kept as tagged and also normalised to Cyrillic road letters in ``ref_norm``
(``M-36``, ``M36``, ``М 36`` -> ``М-36``; ``KB-15`` -> ``КВ-15``). Names: ``name``,
``name_ru`` (``name:ru``), ``name_kk`` (``name:kk``), ``name_en``.

Every feature carries source ``OpenStreetMap extract <file>``, licence ``ODbL 1.0``
and accuracy ``open data (OSM)``.
"""

from __future__ import annotations

import logging
import re
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from almaty_scheme.base.model import BASE_LAYERS, conform
from almaty_scheme.base.reference import nominal_diameter
from almaty_scheme.crs import WORKING_CRS, to_working_crs
from almaty_scheme.errors import DataError
from almaty_scheme.io.atomic import check_writable
from almaty_scheme.io.gpkg import write_layers
from almaty_scheme.io.readers import parse_diameter_mm, parse_voltages_kv, promote_to_multi

log = logging.getLogger(__name__)

OSM_LICENCE = "ODbL 1.0"
OSM_ACCURACY = "open data (OSM)"

OSM_LAYERS: tuple[str, ...] = (
    "rivers",
    "water_bodies",
    "roads",
    "railways",
    "power_lines",
    "gas_pipelines",
    "water_mains",
    "protected_areas",
    "settlements",
)
"""Canonical base layers an OSM import writes (always all of them, possibly empty)."""

ROAD_CLASSES: tuple[str, ...] = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "secondary", "tertiary",
)  # fmt: skip
RIVER_KINDS: tuple[str, ...] = ("river", "stream", "canal")
LINEAR_WATER: frozenset[str] = frozenset(
    {"river", "canal", "stream", "ditch", "drain", "wastewater", "riverbank", "fountain"}
)
WATER_SUBSTANCES: frozenset[str] = frozenset(
    {"water", "drinking_water", "cold_water", "potable_water"}
)
SETTLEMENT_PLACES: tuple[str, ...] = (
    "city", "town", "village", "hamlet", "isolated_dwelling", "suburb", "quarter",
    "neighbourhood", "farm", "allotments",
)  # fmt: skip
"""``place`` values that are populated places (``locality``, ``island``... are not)."""

_LINE_KEYS = "name,highway,waterway,railway,power,man_made,substance"
_AREA_KEYS = "name,type,natural,water,landuse,leisure,boundary,place"
OSM_CONFIG = f"""\
# almaty-scheme configuration of GDAL's OSM driver
[general]
closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,leisure,military,natural,office,place,shop,sport,tourism,water
attribute_name_laundering=yes

[points]
osm_id=yes
attributes=name,place
other_tags=yes
ignore=created_by,converted_by,source,time,note,fixme,FIXME

[lines]
osm_id=yes
attributes={_LINE_KEYS}
other_tags=yes
ignore=created_by,converted_by,source,time,note,fixme,FIXME

[multipolygons]
osm_id=yes
attributes={_AREA_KEYS}
other_tags=yes
ignore=area,created_by,converted_by,source,time,note,fixme,FIXME

[multilinestrings]
osm_id=yes
attributes=name,type
other_tags=yes

[other_relations]
osm_id=yes
attributes=name,type
other_tags=yes
"""
"""The GDAL OSM driver configuration used for the import."""

_HSTORE_PAIR = re.compile(
    r'\s*"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|(NULL))\s*(?:,|$)', re.DOTALL
)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)

_LAT_TO_CYR = str.maketrans(
    {"A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
     "P": "Р", "T": "Т", "X": "Х", "Y": "У"}
)  # fmt: skip


def parse_hstore(text: object) -> dict[str, str]:
    """Parse GDAL's ``other_tags`` hstore text (``"k"=>"v","k2"=>"v2"``) into a dict.

    Backslash escapes (``\\"``, ``\\\\``) are undone; commas and ``=>`` inside quoted
    values are kept; a ``NULL`` value is skipped; anything unparsable after the last
    good pair is logged and ignored (never raises).
    """
    if not isinstance(text, str) or not text.strip():
        return {}
    out: dict[str, str] = {}
    pos = 0
    n = len(text)
    while pos < n:
        m = _HSTORE_PAIR.match(text, pos)
        if m is None:
            log.warning("other_tags: cannot parse %r; ignored", text[pos : pos + 60])
            break
        key = _UNESCAPE.sub(r"\1", m.group(1))
        if m.group(3) is None:
            out[key] = _UNESCAPE.sub(r"\1", m.group(2))
        pos = m.end()
    return out


def normalize_ref(ref: object) -> str | None:
    """Road numbers in one spelling: Cyrillic letters, a hyphen, ``;`` between numbers.

    ``A-2`` (Latin) and ``А 2`` -> ``А-2``; ``M36`` -> ``М-36``; ``KB-15`` -> ``КВ-15``;
    ``А-3;M-39`` -> ``А-3;М-39``. European numbers (``E 40``) become ``Е-40``.
    """
    if not isinstance(ref, str) or not ref.strip():
        return None
    parts = []
    for raw in re.split(r"\s*[;,]\s*", ref.strip()):
        if not raw:
            continue
        token = raw.upper().translate(_LAT_TO_CYR)
        m = re.fullmatch(r"([А-ЯЁӘҒҚҢӨҰҮҺІ]+)\s*[-‐‑–—\s]?\s*(\d+[А-ЯA-Z]?)", token)
        parts.append(f"{m.group(1)}-{m.group(2)}" if m else token)
    return ";".join(parts) or None


def write_osm_config(folder: Path) -> Path:
    """Write :data:`OSM_CONFIG` to ``folder/osmconf.ini`` and return the path."""
    path = folder / "osmconf.ini"
    path.write_text(OSM_CONFIG, encoding="utf-8")
    return path


def _read_osm_layer(
    path: Path,
    layer: str,
    config: Path,
    where: str | None,
    bbox: tuple[float, float, float, float] | None,
) -> gpd.GeoDataFrame:
    kwargs: dict[str, Any] = {"layer": layer, "CONFIG_FILE": str(config)}
    if where:
        kwargs["where"] = where
    if bbox is not None:
        kwargs["bbox"] = bbox
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, **kwargs)
    except Exception as exc:
        raise DataError(
            f"Cannot read {path.name} as an OpenStreetMap extract",
            [
                f"GDAL's OSM driver failed on layer {layer} ({exc}); give an .osm.pbf or .osm "
                "file (e.g. from download.geofabrik.de) or re-download it."
            ],
        ) from exc
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    return to_working_crs(gdf, name=f"{path.name}:{layer}")


def _tags(gdf: gpd.GeoDataFrame) -> list[dict[str, str]]:
    """All tags of every feature: attribute columns plus the parsed ``other_tags``."""
    geom = gdf.geometry.name
    cols = [
        c
        for c in gdf.columns
        if c not in (geom, "osm_id", "osm_way_id", "other_tags", "all_tags", "z_order")
    ]
    records: list[dict[str, str]] = []
    values = {c: gdf[c].to_numpy(dtype=object) for c in cols}
    other = gdf["other_tags"].to_numpy(dtype=object) if "other_tags" in gdf else None
    alltags = gdf["all_tags"].to_numpy(dtype=object) if "all_tags" in gdf else None
    for i in range(len(gdf)):
        tags: dict[str, str] = {}
        if alltags is not None:
            tags.update(parse_hstore(alltags[i]))
        if other is not None:
            tags.update(parse_hstore(other[i]))
        for c in cols:
            v = values[c][i]
            if isinstance(v, str) and v != "":
                tags[c] = v
        records.append(tags)
    return records


def _osm_ids(gdf: gpd.GeoDataFrame, kind: str) -> list[str]:
    if "osm_id" in gdf.columns and "osm_way_id" in gdf.columns:
        rel = gdf["osm_id"].to_numpy(dtype=object)
        way = gdf["osm_way_id"].to_numpy(dtype=object)
        return [
            f"relation/{r}" if isinstance(r, str) and r else f"way/{w}"
            for r, w in zip(rel, way, strict=True)
        ]
    ids = gdf["osm_id"].astype(str) if "osm_id" in gdf.columns else pd.Series([""] * len(gdf))
    return [f"{kind}/{i}" for i in ids]


def _names(tags: Mapping[str, str]) -> dict[str, str | None]:
    return {
        "name": tags.get("name") or tags.get("name:ru") or tags.get("name:kk"),
        "name_ru": tags.get("name:ru"),
        "name_kk": tags.get("name:kk"),
        "name_en": tags.get("name:en"),
    }


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.match(r"\s*(\d+)", value.replace(" ", ""))
    return int(m.group(1)) if m else None


def _float_or_none(value: str | None) -> float | None:
    if value is None:
        return None
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)", value.replace(" ", "").replace("\u00a0", ""))
    return float(m.group(1).replace(",", ".")) if m else None


def _pressure_mpa(value: str | None) -> float | None:
    """Pressure in MPa from a tag with an explicit unit (``7.5 MPa``, ``75 bar``); else None."""
    if not value:
        return None
    num = _float_or_none(value)
    low = value.lower()
    if num is None:
        return None
    if "mpa" in low or "мпа" in low:
        return num
    if "bar" in low or "бар" in low:
        return num * 0.1
    if "kgf" in low or "кгс" in low or "atm" in low or "ат" in low:
        return num * 0.0980665
    return None


Row = dict[str, Any]
Mapper = Callable[[Mapping[str, str]], Row | None]


def _river(tags: Mapping[str, str]) -> Row | None:
    kind = tags.get("waterway")
    if kind not in RIVER_KINDS:
        return None
    return {**_names(tags), "kind": kind}


def _water_body(tags: Mapping[str, str]) -> Row | None:
    water = tags.get("water")
    natural = tags.get("natural")
    landuse = tags.get("landuse")
    if not (natural == "water" or landuse == "reservoir" or (water and water not in LINEAR_WATER)):
        return None
    if water in LINEAR_WATER:
        return None
    if water in ("reservoir", "basin") or landuse == "reservoir":
        kind = "reservoir"
    elif water in ("pond", "fishpond"):
        kind = "pond"
    else:
        kind = "lake"
    return {**_names(tags), "kind": kind, "water": water}


def _road(tags: Mapping[str, str]) -> Row | None:
    hw = tags.get("highway")
    if hw not in ROAD_CLASSES:
        return None
    ref = tags.get("ref")
    return {
        **_names(tags),
        "ref": ref,
        "ref_norm": normalize_ref(ref),
        "int_ref": tags.get("int_ref"),
        "category": hw,
    }


def _railway(tags: Mapping[str, str]) -> Row | None:
    if tags.get("railway") != "rail":
        return None
    return {
        **_names(tags),
        "status": "active",
        "tracks": _int_or_none(tags.get("tracks")),
        "usage": tags.get("usage"),
        "service": tags.get("service"),
    }


def _power_line(tags: Mapping[str, str]) -> Row | None:
    power = tags.get("power")
    if power not in ("line", "minor_line"):
        return None
    raw = tags.get("voltage")
    kvs = parse_voltages_kv(raw, None if raw and re.search(r"(?i)(kv|кв)", raw) else "V")
    uniq = sorted(set(kvs), reverse=True)
    note = None
    if power == "line" and uniq and max(uniq) < 1.0:
        note = (
            f"voltage={raw} is below 1 kV on a power=line; OSM voltages are in volts, check the tag"
        )
    return {
        **_names(tags),
        "voltage_kv": max(uniq) if uniq else np.nan,
        "voltages": ";".join(f"{v:g}" for v in uniq) if uniq else None,
        "voltage_tag": raw,
        "voltage_note": note,
        "power": power,
        "cables": tags.get("cables"),
        "operator": tags.get("operator"),
        "ref": tags.get("ref"),
    }


def _substance(tags: Mapping[str, str]) -> str | None:
    if tags.get("man_made") != "pipeline":
        return None
    return (tags.get("substance") or tags.get("type") or "").strip().lower() or None


def _pipeline_common(tags: Mapping[str, str]) -> Row:
    raw = tags.get("diameter")
    return {
        **_names(tags),
        "diameter_mm": parse_diameter_mm(raw) if raw else np.nan,
        "diameter_tag": raw,
        "location": tags.get("location"),
        "operator": tags.get("operator"),
    }


def _gas_pipeline(tags: Mapping[str, str]) -> Row | None:
    if _substance(tags) not in ("gas", "natural_gas", "cng"):
        return None
    row = _pipeline_common(tags)
    od = row["diameter_mm"]
    dn, note = nominal_diameter(None if pd.isna(od) else float(od))
    row["nominal_diameter_mm"] = np.nan if dn is None else dn
    row["diameter_note"] = (
        note + "; outside diameter as tagged in OSM (diameter=*)"
        if row["diameter_tag"]
        else "no diameter=* tag in OSM; DN unknown"
    )
    row["pressure_mpa"] = _pressure_mpa(tags.get("pressure"))
    return row


def _water_main(tags: Mapping[str, str]) -> Row | None:
    if _substance(tags) not in WATER_SUBSTANCES:
        return None
    return _pipeline_common(tags)


def _protected_area(tags: Mapping[str, str]) -> Row | None:
    boundary = tags.get("boundary")
    leisure = tags.get("leisure")
    if boundary not in ("protected_area", "national_park") and leisure != "nature_reserve":
        return None
    pc = tags.get("protect_class")
    if boundary == "national_park" or pc == "2":
        kind = "national_park"
    elif leisure == "nature_reserve" or pc in ("1", "1a", "1b"):
        kind = "nature_reserve"
    else:
        kind = "protected_area"
    return {
        **_names(tags),
        "kind": kind,
        "protect_class": pc,
        "protection_title": tags.get("protection_title"),
    }


def _settlement(tags: Mapping[str, str]) -> Row | None:
    place = tags.get("place")
    if place not in SETTLEMENT_PLACES:
        return None
    return {**_names(tags), "status": place, "population": _float_or_none(tags.get("population"))}


# canonical layer -> (GDAL OSM driver layers it comes from, tag mapper)
_PLAN: dict[str, tuple[tuple[str, ...], Mapper]] = {
    "rivers": (("lines",), _river),
    "water_bodies": (("multipolygons",), _water_body),
    "roads": (("lines",), _road),
    "railways": (("lines",), _railway),
    "power_lines": (("lines",), _power_line),
    "gas_pipelines": (("lines",), _gas_pipeline),
    "water_mains": (("lines",), _water_main),
    "protected_areas": (("multipolygons",), _protected_area),
    "settlements": (("points", "multipolygons"), _settlement),
}

_WHERE: dict[str, str] = {
    "points": "place IS NOT NULL",
    "lines": "highway IS NOT NULL OR waterway IS NOT NULL OR railway IS NOT NULL "
    "OR power IS NOT NULL OR man_made IS NOT NULL",
    "multipolygons": "natural IS NOT NULL OR water IS NOT NULL OR landuse IS NOT NULL "
    "OR leisure IS NOT NULL OR boundary IS NOT NULL OR place IS NOT NULL",
}


def read_osm(
    path: str | Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read an OSM extract into the canonical base layers of :data:`OSM_LAYERS`.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` (XML) file.
    bbox
        Optional ``(west, south, east, north)`` in degrees: only features intersecting it.

    Returns
    -------
    dict
        Layer name -> conformed GeoDataFrame in EPSG:32643 (every layer present).

    Raises
    ------
    DataError
        Missing file, wrong suffix, or a file GDAL's OSM driver cannot read.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p} not found", ["Check the path of the OSM extract."])
    name = p.name.lower()
    if not (name.endswith(".pbf") or name.endswith(".osm")):
        raise DataError(
            f"{p.name} is not an OSM extract",
            [
                "Give an .osm.pbf or .osm file (e.g. kazakhstan-latest.osm.pbf from "
                "download.geofabrik.de); other formats are read with --base LAYER=FILE."
            ],
        )
    source = f"OpenStreetMap extract {p.name}"
    with tempfile.TemporaryDirectory(prefix="almaty-osm-") as tmp:
        config = write_osm_config(Path(tmp))
        raw: dict[str, tuple[gpd.GeoDataFrame, list[dict[str, str]]]] = {}
        for drv_layer, where in _WHERE.items():
            gdf = _read_osm_layer(p, drv_layer, config, where, bbox)
            raw[drv_layer] = (gdf, _tags(gdf))
            log.info("%s: %d %s with relevant tags", p.name, len(gdf), drv_layer)
    out: dict[str, gpd.GeoDataFrame] = {}
    for layer in OSM_LAYERS:
        drv_layers, mapper = _PLAN[layer]
        rows: list[Row] = []
        geoms: list[Any] = []
        for drv in drv_layers:
            gdf, tags = raw[drv]
            ids = _osm_ids(gdf, "node" if drv == "points" else "way")
            for geom, t, oid in zip(gdf.geometry.to_numpy(), tags, ids, strict=True):
                row = mapper(t)
                if row is None or geom is None or geom.is_empty:
                    continue
                row["osm_id"] = oid
                rows.append(row)
                geoms.append(geom)
        out[layer] = _finish(layer, rows, geoms, source)
        log.info("%s: %s %d features", p.name, layer, len(out[layer]))
    return out


def _finish(layer: str, rows: list[Row], geoms: list[Any], source: str) -> gpd.GeoDataFrame:
    spec = BASE_LAYERS[layer]
    if rows:
        df = pd.DataFrame.from_records(rows)
    else:
        df = pd.DataFrame({"osm_id": pd.Series(dtype="string")})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS))
    if spec.geometry == "Point" and len(gdf):
        gdf = gdf.set_geometry(gdf.geometry.representative_point())
    elif len(gdf):
        gdf = promote_to_multi(gdf)
    if "length_km" in spec.columns:
        gdf["length_km"] = gdf.geometry.length / 1000.0
    if "area_ha" in spec.columns:
        gdf["area_ha"] = gdf.geometry.area / 1e4
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        dtype = spec.columns.get(col)
        if dtype is not None:
            gdf[col] = gdf[col].astype(dtype)
        elif gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col].dtype):
            gdf[col] = gdf[col].astype("string")
    gdf["source"] = pd.Series(source, index=gdf.index, dtype="string")
    gdf["licence"] = pd.Series(OSM_LICENCE, index=gdf.index, dtype="string")
    gdf["accuracy"] = pd.Series(OSM_ACCURACY, index=gdf.index, dtype="string")
    return conform(layer, gdf)


def import_osm(
    path: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
    bbox: tuple[float, float, float, float] | None = None,
) -> dict[str, int]:
    """Read an OSM extract and write its base layers to a GeoPackage, atomically.

    One GPKG layer per canonical name in :data:`OSM_LAYERS` (empty ones included), in
    EPSG:32643. Returns the feature count per layer.
    """
    check_writable(out, overwrite=overwrite)  # fail before the long read
    layers = read_osm(path, bbox=bbox)
    types = {name: BASE_LAYERS[name].geometry for name in layers}
    write_layers(out, layers, overwrite=overwrite, geometry_types=types)
    return {name: len(gdf) for name, gdf in layers.items()}
