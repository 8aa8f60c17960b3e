"""OpenStreetMap extract -> the canonical base layers (``almaty-scheme import-osm``).

The file is streamed by :func:`almaty_scheme.io.osm.iter_osm` (pyosmium; broken
features skipped, counted and listed by OSM id and reason); this module maps the tags
to the base layers of :mod:`almaty_scheme.base.model`.

Mapping (tag -> base layer):

==========================================================  =================
``waterway=river|stream|canal`` (ways)                      ``rivers``
``natural=water``, ``water=reservoir|lake|pond|...``,
``landuse=reservoir`` (areas: closed ways, multipolygons;
not riverbank areas ``water=river|canal|stream|...``)       ``water_bodies``
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
``DN 500`` is a nominal diameter (``nominal_diameter_mm`` 500, the outside diameter
from the OD->DN table); ``ref`` is kept as tagged and normalised to Cyrillic road
letters in ``ref_norm`` (``M-36``, ``M36``, ``М 36`` -> ``М-36``; ``E 40`` -> ``Е-40``).
A value that is not a number (``voltage=high``, ``diameter=big``) leaves the number
empty, says so in ``*_note`` and is counted in :attr:`OsmImport.tag_problems`.
Names in every script: ``name``, ``name_ru``, ``name_kk``, ``name_en``, ``int_name``,
``old_name``. ``osm_id`` (``way/123``) and ``osm_tags`` (the tags a check would cite,
``key=value; ...``) are kept on every feature; ``clipped`` says whether ``--bbox``
cut it.

Every feature carries source ``OpenStreetMap extract <file>``, licence ``ODbL 1.0``
and accuracy ``open data (OSM)``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from almaty_scheme.base.model import BASE_LAYERS, conform
from almaty_scheme.base.reference import OD_TO_DN_MM, nominal_diameter
from almaty_scheme.crs import to_working_crs
from almaty_scheme.errors import DataError
from almaty_scheme.io.atomic import check_writable
from almaty_scheme.io.gpkg import write_layers
from almaty_scheme.io.osm import OsmReadStats, TagSelection, check_extract_path, iter_osm
from almaty_scheme.io.readers import parse_diameter_mm, parse_voltages_kv, promote_to_multi
from almaty_scheme.progress import progress

log = logging.getLogger(__name__)

OSM_LICENCE = "ODbL 1.0"
OSM_ACCURACY = "open data (OSM)"
LOG_LAYER = "osm_import_log"
"""Attribute table of the import GeoPackage: every skipped, repaired or mis-tagged feature."""

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
STANDING_WATER: frozenset[str] = frozenset(
    {"reservoir", "lake", "pond", "basin", "oxbow", "lagoon", "fishpond", "reflecting_pool",
     "lock", "moat", "yes", "salt_lake", "intermittent"}
)  # fmt: skip
"""``water=*`` values read as water bodies (areas) even without ``natural=water``."""
GAS_SUBSTANCES: frozenset[str] = frozenset({"gas", "natural_gas", "cng"})
SETTLEMENT_PLACES: tuple[str, ...] = (
    "city", "town", "village", "hamlet", "isolated_dwelling", "suburb", "quarter",
    "neighbourhood", "farm", "allotments",
)  # fmt: skip
"""``place`` values that are populated places (``locality``, ``island``... are not)."""

NAME_TAGS: tuple[tuple[str, str], ...] = (
    ("name:ru", "name_ru"),
    ("name:kk", "name_kk"),
    ("name:en", "name_en"),
    ("int_name", "int_name"),
    ("old_name", "old_name"),
)
CITED_TAGS: tuple[str, ...] = (
    "highway", "ref", "int_ref", "waterway", "natural", "water", "landuse", "railway",
    "usage", "power", "voltage", "cables", "man_made", "substance", "type", "diameter",
    "pressure", "location", "boundary", "leisure", "protect_class", "protection_title",
    "place", "population", "operator",
)  # fmt: skip
"""Tags copied into ``osm_tags`` (with the names) so that a check can cite them."""

_F = frozenset
SELECTION = TagSelection(
    points={"place": _F(SETTLEMENT_PLACES)},
    lines={
        "highway": _F(ROAD_CLASSES),
        "waterway": _F(RIVER_KINDS),
        "railway": _F({"rail"}),
        "power": _F({"line", "minor_line"}),
        "man_made": _F({"pipeline"}),
    },
    areas={
        "natural": _F({"water"}),
        "water": _F(STANDING_WATER),
        "landuse": _F({"reservoir"}),
        "leisure": _F({"nature_reserve"}),
        "boundary": _F({"protected_area", "national_park"}),
        "place": _F(SETTLEMENT_PLACES),
    },
)
"""What the import reads from the extract."""

_LAT_TO_CYR = str.maketrans(
    {"A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
     "P": "Р", "T": "Т", "X": "Х", "Y": "У"}
)  # fmt: skip

Row = dict[str, Any]
Mapper = Callable[[Mapping[str, str]], Row | None]


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


def _names(tags: Mapping[str, str]) -> Row:
    row: Row = {"name": tags.get("name") or tags.get("name:ru") or tags.get("name:kk")}
    for key, col in NAME_TAGS:
        row[col] = tags.get(key)
    return row


def _cited(tags: Mapping[str, str]) -> str:
    keys = [k for k in tags if k == "name" or k.startswith("name:") or k.endswith("_name")]
    keys += [k for k in CITED_TAGS if k in tags]
    return "; ".join(f"{k}={tags[k]}" for k in keys)


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
    int_ref = tags.get("int_ref")
    return {
        **_names(tags),
        "ref": ref,
        "ref_norm": normalize_ref(ref),
        "int_ref": int_ref,
        "int_ref_norm": normalize_ref(int_ref),
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
    note = problem = None
    if raw and not uniq:
        note = problem = f"voltage={raw} is not a voltage in volts; voltage unknown"
    elif power == "line" and uniq and max(uniq) < 1.0:
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
        "_problem": problem,
    }


def _substance(tags: Mapping[str, str]) -> str | None:
    if tags.get("man_made") != "pipeline":
        return None
    return (tags.get("substance") or tags.get("type") or "").strip().lower() or None


_DN = re.compile(r"(?i)^\s*(?:DN|Ду|ДУ|Dу)\s*(\d+)\s*(?:mm|мм)?\s*$")
_DN_TO_OD: dict[float, float] = {}
for _od, _dn in sorted(OD_TO_DN_MM.items()):
    _DN_TO_OD.setdefault(_dn, _od)


def _diameters(raw: str | None) -> tuple[float, float, str | None, str | None]:
    """(outside mm, nominal mm, note, problem) from a ``diameter`` tag."""
    if not raw:
        return np.nan, np.nan, "no diameter=* tag in OSM; DN unknown", None
    m = _DN.match(raw)
    if m:
        dn = float(m.group(1))
        od = _DN_TO_OD.get(dn, np.nan)
        note = f"diameter={raw} is a nominal diameter (DN {dn:g})" + (
            f"; outside diameter {od:g} mm from the OD->DN table" if not np.isnan(od) else ""
        )
        return od, dn, note, None
    od_v = parse_diameter_mm(raw)
    if od_v is None:
        text = f"diameter={raw} is not a diameter; DN unknown"
        return np.nan, np.nan, text, text
    dn_v, note = nominal_diameter(od_v)
    return (
        od_v,
        np.nan if dn_v is None else dn_v,
        note + "; outside diameter as tagged in OSM (diameter=*)",
        None,
    )


def _pipeline_common(tags: Mapping[str, str]) -> Row:
    raw = tags.get("diameter")
    od, dn, note, problem = _diameters(raw)
    return {
        **_names(tags),
        "substance": _substance(tags),
        "diameter_mm": od,
        "nominal_diameter_mm": dn,
        "diameter_tag": raw,
        "diameter_note": note,
        "location": tags.get("location"),
        "operator": tags.get("operator"),
        "_problem": problem,
    }


def _gas_pipeline(tags: Mapping[str, str]) -> Row | None:
    if _substance(tags) not in GAS_SUBSTANCES:
        return None
    row = _pipeline_common(tags)
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


# canonical layer -> (feature kinds it comes from, tag mapper)
_PLAN: dict[str, tuple[tuple[str, ...], Mapper]] = {
    "rivers": (("line",), _river),
    "water_bodies": (("area",), _water_body),
    "roads": (("line",), _road),
    "railways": (("line",), _railway),
    "power_lines": (("line",), _power_line),
    "gas_pipelines": (("line",), _gas_pipeline),
    "water_mains": (("line",), _water_main),
    "protected_areas": (("area",), _protected_area),
    "settlements": (("point", "area"), _settlement),
}


@dataclass
class OsmImport:
    """The outcome of an import: layers, reader statistics and tag problems."""

    layers: dict[str, gpd.GeoDataFrame]
    stats: OsmReadStats
    tag_problems: list[tuple[str, str]] = field(default_factory=list)  # (osm_id, text)

    @property
    def counts(self) -> dict[str, int]:
        """Features per canonical layer."""
        return {name: len(gdf) for name, gdf in self.layers.items()}

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (counts, skips by reason, repairs, tag problems, time, memory)."""
        problems = Counter(re.sub(r"=.*? is", "=… is", t) for _, t in self.tag_problems)
        return {
            **self.stats.as_dict(),
            "layers": self.counts,
            "tag_problems": len(self.tag_problems),
            "tag_problem_kinds": dict(problems),
        }

    def log_table(self) -> pd.DataFrame:
        """One row per skipped, repaired or mis-tagged feature (``osm_import_log``)."""
        rows = [("skipped", s.osm_id, s.reason) for s in self.stats.skipped]
        rows += [("repaired", oid, "geometry repaired") for oid in self.stats.repaired]
        rows += [("tag problem", oid, text) for oid, text in self.tag_problems]
        return pd.DataFrame(rows, columns=["outcome", "osm_id", "reason"], dtype="string")


def read_osm(
    path: str | Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    storage: str | None = None,
) -> OsmImport:
    """Read an OSM extract into the canonical base layers of :data:`OSM_LAYERS`.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` (XML) file.
    bbox
        Optional ``(west, south, east, north)`` in degrees: clip to it.
    storage
        pyosmium node-location index (default :data:`almaty_scheme.io.osm.LOCATION_STORAGE`).

    Returns
    -------
    OsmImport
        Layers (every one present, EPSG:32643), the reader's statistics and tag problems.

    Raises
    ------
    DataError
        Missing, unreadable or truncated file; or no mapped feature at all (in the box).
    """
    p = check_extract_path(path)
    stats = OsmReadStats()
    rows: dict[str, list[Row]] = {name: [] for name in OSM_LAYERS}
    geoms: dict[str, list[Any]] = {name: [] for name in OSM_LAYERS}
    problems: list[tuple[str, str]] = []
    kwargs = {"storage": storage} if storage else {}
    features = iter_osm(p, SELECTION, bbox=bbox, stats=stats, **kwargs)
    # the number of features is not known in advance: the bar counts those read
    for feat in progress(features, desc=f"reading {p.name}", unit="feature"):
        for layer, (kinds, mapper) in _PLAN.items():
            if feat.kind not in kinds:
                continue
            row = mapper(feat.tags)
            if row is None:
                continue
            problem = row.pop("_problem", None)
            if problem:
                problems.append((feat.osm_id, problem))
            row["osm_id"] = feat.osm_id
            row["osm_tags"] = _cited(feat.tags)
            row["clipped"] = feat.clipped
            rows[layer].append(row)
            geoms[layer].append(feat.geometry)
    source = f"OpenStreetMap extract {p.name}"
    out = {name: _finish(name, rows[name], geoms[name], source) for name in OSM_LAYERS}
    result = OsmImport(out, stats, problems)
    if not any(len(g) for g in out.values()):
        raise DataError(f"{p.name}: no feature to import", [_empty_reason(p, bbox, stats)])
    for name in OSM_LAYERS:
        log.info("%s: %s %d features", p.name, name, len(out[name]))
    return result


def _fmt_box(box: tuple[float, float, float, float] | None) -> str:
    return "unknown" if box is None else " ".join(f"{v:.4f}" for v in box)


def _empty_reason(
    p: Path, bbox: tuple[float, float, float, float] | None, stats: OsmReadStats
) -> str:
    skipped = sum(stats.skip_reasons.values())
    where = (
        f"in the box {_fmt_box(bbox)} (W S E N); the extract's selected features span "
        f"{_fmt_box(stats.extent)} and its header declares {_fmt_box(stats.header_box)}: "
        "check the --bbox order (west south east north, degrees) or give the right extract"
        if bbox is not None
        else "in the extract (no road, waterway, railway, power line, pipeline, water "
        "body, protected area or place): is it the right file?"
    )
    return f"No mapped feature {where}; {skipped} selected features were skipped as broken."


def _finish(layer: str, rows: list[Row], geoms: list[Any], source: str) -> gpd.GeoDataFrame:
    spec = BASE_LAYERS[layer]
    if rows:
        df = pd.DataFrame.from_records(rows)
    else:
        df = pd.DataFrame({"osm_id": pd.Series(dtype="string")})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326)
    gdf = to_working_crs(gdf, name=f"{source}:{layer}")
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
        elif col == "clipped":
            gdf[col] = gdf[col].astype(bool)
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
    storage: str | None = None,
) -> OsmImport:
    """Read an OSM extract and write its base layers to a GeoPackage, atomically.

    One GPKG layer per canonical name in :data:`OSM_LAYERS` (empty ones included), in
    EPSG:32643, plus the attribute table :data:`LOG_LAYER` listing every skipped,
    repaired or mis-tagged feature by OSM id and reason.
    """
    check_writable(out, overwrite=overwrite)  # fail before the long read
    result = read_osm(path, bbox=bbox, storage=storage)
    types = {name: BASE_LAYERS[name].geometry for name in result.layers}
    table = result.log_table()

    def _log_table(tmp: Path) -> None:
        pyogrio.write_dataframe(table, tmp, layer=LOG_LAYER, driver="GPKG")

    write_layers(out, result.layers, overwrite=overwrite, geometry_types=types, finalize=_log_table)
    return result
