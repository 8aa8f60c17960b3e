"""The complete base the restriction builders use.

:func:`assemble_base` = reference data (:func:`~almaty_scheme.base.reference.load_reference`)
+ the user's layers (user data wins) + the derived layers:

1. **User layers** (``user_layers``: base-layer name -> file, read by
   :func:`~almaty_scheme.io.readers.read_base_layer`) replace the reference layer of
   the same name, except ``roads`` (real centrelines get their rules by ref and name,
   :func:`~almaty_scheme.base.attach.attach_road_rules`, and replace schematic
   alignments rule by rule, :func:`~almaty_scheme.base.alignments.merge_roads`) and
   ``settlement_footprints`` (real footprints replace derived ones settlement by
   settlement, :func:`~almaty_scheme.base.footprints.apply_real_footprints`). A user
   ``boundary`` replaces the derived boundary.
2. **Territories and settlements**: district territories (``layers/boundary.yaml``)
   and the Appendix 15 join (:mod:`~almaty_scheme.base.settlements`).
3. **Boundary** (:mod:`~almaty_scheme.base.boundary`), **footprints**
   (:mod:`~almaty_scheme.base.footprints`), **schematic alignments**
   (:mod:`~almaty_scheme.base.alignments`).
4. **Derived rivers**: ``almaty_scheme.base.hydro.derive_rivers`` when that module
   exists and a DEM is present, merged with the real rivers (reference or the user's):
   a real river replaces the derived stream of the same name, and derived streams a
   real river covers are dropped (``hydro.merge_rivers``); the outcome is recorded in
   ``figures['derived_rivers']``.
5. **Coverage**: where base data exists = the extent of the reference data (the DEM
   window, lon 75.9-78.4 E, lat 42.9-44.1 N; without a DEM the bounds of the
   reference vector layers, which are cut at the same window), as a polygon in
   EPSG:32643. It is stored as ``base.layers['coverage']`` (one feature, columns
   ``name``, ``method``, ``area_km2``) and summarised in ``figures['coverage']``
   (with its WKT). It is *not* cut to the boundary: parcels outside the boundary get
   ``outside_boundary``, outside the coverage ``outside_coverage``. User layers that
   reach beyond it do not extend it (the other layers still stop at the window).

``BaseData.figures`` holds the comparison figures, each a dict with ``label``,
``scheme``, ``ours``, ``unit``, ``difference``, ``difference_pct``, ``explanation``,
``citation`` (see :func:`almaty_scheme.base.boundary.figure`): ``boundary_area``,
``reservoir_inside``, ``settlement_match`` (with ``unmatched``: row, name, district,
reason), ``footprints_urban``, ``footprints_rural``, ``alignment_length_*``,
``alignment_rules``, plus ``derived_rivers``, ``coverage`` and ``real_geometry`` (which
named road/river/reservoir rules found real geometry, :mod:`~almaty_scheme.base.attach`).
:func:`format_figures` renders them as lines for the CLI.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import rasterio
import shapely
from rasterio.errors import RasterioError

from almaty_scheme.base import hydro
from almaty_scheme.base.alignments import (
    AlignmentContext,
    build_alignments,
    load_alignments,
    merge_roads,
)
from almaty_scheme.base.attach import (
    attach_road_rules,
    format_rule_geometry,
    rule_geometry_figure,
)
from almaty_scheme.base.boundary import (
    build_boundary,
    district_territories,
    figure,
    land_beyond_water,
    load_boundary_config,
)
from almaty_scheme.base.footprints import (
    Horizon,
    apply_real_footprints,
    derive_footprints,
    load_footprint_config,
)
from almaty_scheme.base.model import BASE_LAYERS, BaseData, LayerProvenance
from almaty_scheme.base.read import read_base_layer
from almaty_scheme.base.reference import load_reference
from almaty_scheme.base.settlements import (
    JoinResult,
    is_placed,
    join_appendix15,
    load_settlement_names,
)
from almaty_scheme.catalogue.appendices import load_appendix15, load_land_balance
from almaty_scheme.catalogue.loader import default_catalogue
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import AlmatySchemeError, DataError, UsageError
from almaty_scheme.progress import ProgressCounter

log = logging.getLogger(__name__)

OPTIONS: dict[str, str] = {
    "horizon": "footprint horizon: current (default), 2025, 2035 or 2050",
    "derive_rivers": "derive small rivers from the DEM (default True)",
    "field_maps": "base-layer name -> field-map YAML for that user layer",
    "assume_crs": "CRS to assume for user files without one",
}
"""Keys ``options`` accepts."""


def _catalogue(catalogue: Any) -> Any:
    if catalogue is not None:
        return catalogue
    return default_catalogue()


def _config_path(cat: Any, name: str) -> Path | None:
    d = getattr(cat, "directory", None)
    if d is not None and (Path(d) / name).is_file():
        return Path(d) / name
    return None


def same_name_layer(path: str | Path, name: str) -> str | None:
    """``name`` if ``path`` is a multi-layer GeoPackage holding a layer of that name.

    Lets ``--base-layer roads=osm_base.gpkg`` pick the ``roads`` layer of a file written
    by ``almaty-scheme import-osm`` without naming it twice.
    """
    if Path(path).suffix.lower() != ".gpkg":
        return None
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, OSError):  # read_base_layer reports it properly
        return None
    return name if len(names) > 1 and name in names else None


def base_package_layers(path: str | Path) -> dict[str, Path]:
    """Canonical base layers (non-empty) found in a GeoPackage, e.g. from ``import-osm``.

    Raises
    ------
    DataError
        If the file cannot be read or holds no canonical base layer.
    """
    p = Path(path)
    try:
        listed = pyogrio.list_layers(p)
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise DataError(
            f"Cannot read {p} as a GeoPackage",
            [
                f"{exc}. Give a GeoPackage written by 'almaty-scheme import-osm' "
                "or with layers named like the base layers."
            ],
        ) from exc
    out = {}
    for lname, _ in listed:
        lname = str(lname)
        if lname in BASE_LAYERS and pyogrio.read_info(p, layer=lname)["features"] > 0:
            out[lname] = p
    if not out:
        raise DataError(
            f"{p} holds no base layer",
            [f"Name its layers like the base layers: {', '.join(BASE_LAYERS)}."],
        )
    return out


def _read_user_layers(
    user_layers: Mapping[str, str | Path], options: Mapping[str, Any]
) -> dict[str, gpd.GeoDataFrame]:
    problems = [
        f"--layer {name}={path}: {name!r} is not a base layer (known: {', '.join(BASE_LAYERS)})."
        for name, path in user_layers.items()
        if name not in BASE_LAYERS
    ]
    problems += [
        f"--layer {name}={path}: file not found."
        for name, path in user_layers.items()
        if name in BASE_LAYERS and not Path(path).exists()
    ]
    if problems:
        raise UsageError("Bad user layers", problems)
    fmaps = options.get("field_maps") or {}
    out = {}
    for name, path in user_layers.items():
        out[name] = read_base_layer(
            path,
            name,
            field_map=fmaps.get(name),
            assume_crs=options.get("assume_crs"),
            file_layer=same_name_layer(path, name),
        )
        log.info("user layer %s: %d features from %s", name, len(out[name]), path)
    return out


def _coverage(base: BaseData) -> gpd.GeoDataFrame:
    """Extent of the reference data (module docstring, step 5)."""
    method = ""
    geom = None
    if base.dem_path is not None and Path(base.dem_path).is_file():
        with rasterio.open(base.dem_path) as src:
            box = shapely.box(*src.bounds)
            crs = src.crs
        geom = gpd.GeoSeries([box.segmentize(0.01)], crs=crs).to_crs(WORKING_CRS)[0]
        b = src.bounds
        method = (
            f"extent of the reference DEM ({b.left:.2f}-{b.right:.2f} E, "
            f"{b.bottom:.2f}-{b.top:.2f} N)"
        )
    else:
        bounds = [
            base[n].total_bounds
            for n in ("settlements", "rivers", "railways", "gas_pipelines")
            if len(base[n])
        ]
        if bounds:
            xs = [b[0] for b in bounds] + [b[2] for b in bounds]
            ys = [b[1] for b in bounds] + [b[3] for b in bounds]
            geom = shapely.box(min(xs), min(ys), max(xs), max(ys))
            method = "bounding box of the reference vector layers (no DEM)"
    if geom is None:
        return gpd.GeoDataFrame(
            {"name": pd.Series([], dtype="string")},
            geometry=gpd.GeoSeries([], crs=WORKING_CRS),
            crs=WORKING_CRS,
        )
    return gpd.GeoDataFrame(
        {
            "name": pd.Series(["coverage"], dtype="string"),
            "method": pd.Series([method], dtype="string"),
            "area_km2": [geom.area / 1e6],
        },
        geometry=[geom],
        crs=WORKING_CRS,
    )


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def settlement_figures(join: JoinResult) -> dict[str, Any]:
    """Appendix 15 places matched to points and placed by method, with the reasons."""
    rows = join.rows
    existing = rows[rows["row_kind"] != "planned_city"]
    matched = int((existing["placement"] == "matched").sum())
    placed = join.placed
    methods = placed["placement"].str.split(" of ").str[0].value_counts().to_dict()
    return {
        "settlement_match": figure(
            "Appendix 15 settlements matched to points",
            float(len(existing)),
            float(matched),
            "settlements",
            f"{matched} of {len(existing)} existing places matched to a real point "
            f"({100 * join.match_rate():.1f} %); the other {len(placed)} are placed by a "
            "stated method (rural-district centroid; when the rural district has no "
            "matched place, across the water from its seat where settlement_names.yaml "
            "says so, else the territory's centroid), accuracy floor "
            f"{join.accuracy_floor_m:,.0f} m (base.placement); {len(rows)} rows incl. the "
            "planned city. Placed points get no derived footprint and anchor no river; "
            "they seed the boundary's cells only for a rural district with no real point "
            "(boundary.yaml partial_method.placed_seeds); a settlements file from the user "
            "replaces them.",
            "scheme L4378-5055",
            match_rate=round(join.match_rate(), 4),
            match_rate_all_rows=round(join.match_rate(existing_only=False), 4),
            matched=matched,
            placed=len(placed),
            placed_by_method=methods,
            accuracy_floor_m=round(join.accuracy_floor_m, 0),
            by_tier=rows["match"].str.split(" ").str[0].value_counts().to_dict(),
            unmatched=[
                {
                    "row_id": r["row_id"],
                    "settlement": r["settlement"],
                    "district": _text(r["district"]),
                    "rural_district": _text(r["rural_district"]),
                    "reason": r["reason"],
                    "placement": r["placement"],
                    "accuracy_m": None if pd.isna(r["accuracy_m"]) else float(r["accuracy_m"]),
                }
                for _, r in join.unmatched.iterrows()
            ],
            duplicates_dropped=len(join.duplicates),
        )
    }


def real_points(settlements: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Settlement points without the placed ones (for boundary seeds, footprints, rivers)."""
    return settlements[~is_placed(settlements)]


def _derive_rivers(
    base: BaseData, boundary: gpd.GeoDataFrame, user_rivers: bool, enabled: bool
) -> tuple[gpd.GeoDataFrame | None, dict[str, Any]]:
    status: dict[str, Any] = {"label": "Rivers derived from the DEM"}
    if not enabled:
        return None, {**status, "status": "skipped: disabled by options"}
    if user_rivers:
        status["merge"] = (
            "the user's rivers replace derived streams of the same name; "
            "derived streams a user river covers are dropped"
        )
    if base.dem_path is None:
        return None, {**status, "status": "skipped: no DEM"}
    report: dict[str, Any] = {}
    try:
        rivers = hydro.derive_rivers(
            base.dem_path,
            boundary,
            water_bodies=base["water_bodies"],
            places=real_points(base["settlements"]),
            report=report,
            reference_rivers=base["rivers"],
        )
    except (AlmatySchemeError, RasterioError, OSError, ValueError) as exc:
        # the hydrography step must not sink the whole base
        log.warning("derived rivers failed: %s", exc)
        return None, {**status, "status": f"failed: {type(exc).__name__}: {exc}"}
    return rivers, {
        **status,
        "status": "ok",
        "features": len(rivers),
        "report": {k: v for k, v in report.items() if isinstance(v, (int, float, str, bool))},
    }


BASE_STEPS: tuple[str, ...] = (
    "base data: reading the reference data",
    "base data: joining settlements to Appendix 15",
    "base data: the agglomeration boundary",
    "base data: settlement footprints, road alignments",
    "base data: rivers derived from the DEM",
    "base data: coverage and figures",
)
"""The steps of :func:`assemble_base` shown on its progress bar."""


def assemble_base(
    data_dir: str | Path | None = None,
    *,
    user_layers: Mapping[str, str | Path] | None = None,
    catalogue: Any = None,
    options: Mapping[str, Any] | None = None,
) -> BaseData:
    """The complete base data (see the module docstring for every step).

    Parameters
    ----------
    data_dir
        Reference data folder (default ``../shared/data``).
    user_layers
        Base-layer name -> the user's file; user data wins.
    catalogue
        The rule catalogue (default: the shipped one); its folder also holds
        ``boundary.yaml``, ``footprints.yaml``, ``alignments.yaml`` and
        ``settlement_names.yaml`` when present there.
    options
        See :data:`OPTIONS`.

    Raises
    ------
    UsageError
        Unknown option or user layer name, missing user file.
    DataError
        Unreadable data (all problems listed).
    """
    opts = dict(options or {})
    horizon = _check_options(opts)
    cat = _catalogue(catalogue)
    with ProgressCounter(total=len(BASE_STEPS), desc="base data", unit="step") as bar:
        bar.step(BASE_STEPS[0])
        base = _assemble(bar, data_dir, user_layers, cat, opts, horizon)
        bar.update(1)  # the last step done
    return base


def _assemble(
    bar: ProgressCounter,
    data_dir: str | Path | None,
    user_layers: Mapping[str, str | Path] | None,
    cat: Any,
    opts: Mapping[str, Any],
    horizon: Horizon,
) -> BaseData:
    """The steps of :func:`assemble_base`, each announced on ``bar``."""
    base = load_reference(Path(data_dir) if data_dir is not None else None)
    user_paths: dict[str, str | Path] = dict(user_layers or {})
    user = _read_user_layers(user_paths, opts)
    for name, gdf in user.items():
        if name in ("roads", "settlement_footprints", "boundary"):
            continue
        base.set(
            name,
            gdf,
            LayerProvenance(name, "loaded", f"user file {user_paths[name]}", accuracy="user data"),
        )
    bar.step(BASE_STEPS[1])
    table = load_appendix15(cat)
    bcfg = load_boundary_config(_config_path(cat, "boundary.yaml"))
    territories = district_territories(base["admin_units"], bcfg)
    figures: dict[str, Any] = {}
    join = _join_settlements(base, cat, table, territories, bcfg, figures)
    bar.step(BASE_STEPS[2])
    res_b = build_boundary(
        territories,
        join.settlements,
        base["water_bodies"],
        bcfg,
        dem_path=base.dem_path,
        rivers=base["rivers"],
    )
    figures.update(res_b.figures)
    _set_boundary(base, res_b.boundary, user, user_paths, figures)
    bgeom = shapely.union_all(base["boundary"].geometry.to_numpy())
    bar.step(BASE_STEPS[3])
    _set_footprints(base, cat, user, territories, join, table, bgeom, horizon, figures)
    _set_roads(base, cat, user, territories, bgeom, figures)
    bar.step(BASE_STEPS[4])
    _set_rivers(base, "rivers" in user, bool(opts.get("derive_rivers", True)), figures)
    bar.step(BASE_STEPS[5])
    cov = _coverage(base)
    base.layers["coverage"] = cov
    figures["coverage"] = _coverage_figure(base, cov)
    figures["real_geometry"] = rule_geometry_figure(base, cat)
    base.figures.update(figures)
    return base


def _check_options(opts: Mapping[str, Any]) -> Horizon:
    """The footprint horizon; unknown options or horizons are usage errors."""
    bad = sorted(set(opts) - set(OPTIONS))
    if bad:
        raise UsageError(
            "Unknown base options: " + ", ".join(bad), [f"{k}: {v}" for k, v in OPTIONS.items()]
        )
    horizon: Horizon = opts.get("horizon", "current")
    if horizon not in ("current", 2025, 2035, 2050):
        raise UsageError(
            f"Unknown footprint horizon {horizon!r}", ["Use current, 2025, 2035 or 2050."]
        )
    return horizon


def _join_settlements(
    base: BaseData,
    cat: Any,
    table: pd.DataFrame,
    territories: gpd.GeoDataFrame,
    bcfg: Any,
    figures: dict[str, Any],
) -> JoinResult:
    """Step 2: settlement points joined to Appendix 15 replace the raw points."""
    names = load_settlement_names(_config_path(cat, "settlement_names.yaml"))
    beyond = land_beyond_water(territories, base["water_bodies"], base["rivers"], bcfg)
    join = join_appendix15(
        base["settlements"],
        table,
        territories,
        bcfg.district_territory(),
        names=names,
        beyond=beyond,
    )
    figures.update(settlement_figures(join))
    base.set(
        "settlements",
        join.settlements,
        LayerProvenance(
            "settlements",
            "loaded",
            "reference/user points joined to Appendix 15 by name",
            accuracy="point positions of the source; populations from Appendix 15",
            note=f"{len(join.matched)} of {len(join.rows)} Appendix 15 rows matched to a "
            f"point, {len(join.placed)} placed (see 'placement' and 'accuracy_m')",
        ),
    )
    return join


def _set_boundary(
    base: BaseData,
    derived: gpd.GeoDataFrame,
    user: Mapping[str, gpd.GeoDataFrame],
    user_paths: Mapping[str, str | Path],
    figures: dict[str, Any],
) -> None:
    """Step 3: the user's boundary if given, else the derived one."""
    if "boundary" in user:
        base.set(
            "boundary",
            user["boundary"],
            LayerProvenance(
                "boundary",
                "loaded",
                f"user file {user_paths['boundary']}",
                note="replaces the derived boundary",
            ),
        )
        figures["boundary_area"]["note"] = "derived boundary; the user's boundary is used"
        return
    base.set(
        "boundary",
        derived,
        LayerProvenance(
            "boundary",
            "derived",
            "layers/boundary.yaml",
            accuracy="derived",
            note=str(derived["method"].iloc[0]),
        ),
    )


def _set_footprints(
    base: BaseData,
    cat: Any,
    user: Mapping[str, gpd.GeoDataFrame],
    territories: gpd.GeoDataFrame,
    join: JoinResult,
    table: pd.DataFrame,
    bgeom: Any,
    horizon: Horizon,
    figures: dict[str, Any],
) -> None:
    """Step 4: footprints derived from scheme figures; the user's replace them."""
    balance = load_land_balance(cat)
    fcfg = load_footprint_config(_config_path(cat, "footprints.yaml"))
    city = territories.loc[territories["territory"] == fcfg.city_territory, "geometry"]
    if city.empty:
        raise DataError(
            "footprints.yaml names an unknown city territory",
            [f"{fcfg.city_territory!r} is not a territory of boundary.yaml."],
        )
    fp = derive_footprints(
        real_points(join.settlements), table, balance, city.iloc[0], bgeom, fcfg, horizon=horizon
    )
    figures.update(fp.figures)
    footprints = fp.footprints
    fstatus, fnote = "derived", "derived from scheme figures (layers/footprints.yaml)"
    if "settlement_footprints" in user:
        footprints = apply_real_footprints(
            footprints, user["settlement_footprints"], base["settlements"]
        )
        fstatus, fnote = "loaded", "user footprints, derived ones where the user has none"
    base.set(
        "settlement_footprints",
        footprints,
        LayerProvenance(
            "settlement_footprints", fstatus, fnote, accuracy="derived from scheme figures"
        ),
    )


def _set_roads(
    base: BaseData,
    cat: Any,
    user: Mapping[str, gpd.GeoDataFrame],
    territories: gpd.GeoDataFrame,
    bgeom: Any,
    figures: dict[str, Any],
) -> None:
    """Step 5: schematic alignments of the scheme's roads; the user's roads win."""
    af = load_alignments(_config_path(cat, "alignments.yaml"))
    base.territories = dict(zip(territories["territory"], territories.geometry, strict=True))
    ctx = AlignmentContext(base["settlements"], bgeom, dict(base.territories))
    road_rules = [r for r in cat if getattr(r, "family", None) == "roads"]
    al = build_alignments(af, ctx, [r.id for r in road_rules])
    figures.update(al.figures)
    roads = al.roads
    rstatus = "schematic"
    if "roads" in user:
        roads = merge_roads(attach_road_rules(user["roads"], road_rules), roads, road_rules)
        rstatus = "loaded"
    base.set(
        "roads",
        roads,
        LayerProvenance(
            "roads",
            rstatus,
            "layers/alignments.yaml" + (" + user roads" if "roads" in user else ""),
            accuracy="schematic from scheme text",
            note="; ".join(al.skipped) if al.skipped else "",
        ),
    )


def _set_rivers(base: BaseData, user_rivers: bool, enabled: bool, figures: dict[str, Any]) -> None:
    """Step 6: rivers derived from the DEM, merged with the real ones by name."""
    rivers, rstat = _derive_rivers(base, base["boundary"], user_rivers, enabled)
    if rivers is not None and len(rivers):
        rep = rstat.get("report", {})
        if rep.get("ili_offset_mean_m") is not None:  # derived vs reference (WDBII) Ili
            figures["ili_offset"] = {
                "label": "Derived Ili vs reference Ili, mean offset",
                "unit": "m",
                "ours": rep["ili_offset_mean_m"],
                "median_m": rep["ili_offset_median_m"],
                "p90_m": rep["ili_offset_p90_m"],
                "n_points": rep["ili_offset_n_points"],
            }
        # real rivers replace derived ones by name (the WDBII Ili replaces the derived Ili)
        combined = hydro.merge_rivers(
            base["rivers"], rivers.drop(columns=["base_id"], errors="ignore")
        )
        combined = combined.drop(columns=["base_id"], errors="ignore")
        real = "user rivers" if user_rivers else "reference rivers"
        base.set(
            "rivers",
            combined,
            LayerProvenance("rivers", "derived", f"{real} + derived from the DEM (base.hydro)"),
        )
    figures["derived_rivers"] = rstat


def _coverage_figure(base: BaseData, cov: gpd.GeoDataFrame) -> dict[str, Any]:
    """The coverage's area and how much of the boundary lies outside it."""
    fig: dict[str, Any] = {
        "label": "Coverage (where base data exists)",
        "ours": round(float(cov["area_km2"].iloc[0]), 1) if len(cov) else None,
        "unit": "km²",
        "scheme": None,
        "difference": None,
        "difference_pct": None,
        "explanation": str(cov["method"].iloc[0]) if len(cov) else "no reference extent",
        "citation": "",
        "wkt": cov.geometry.iloc[0].wkt if len(cov) else None,
    }
    if len(cov) and len(base["boundary"]):
        bgeom_all = shapely.union_all(base["boundary"].geometry.to_numpy())
        outside = shapely.difference(bgeom_all, cov.geometry.iloc[0]).area / 1e4
        fig["boundary_outside_ha"] = round(outside, 1)
        fig["explanation"] += (
            f"; {outside / 1000:.1f} thousand ha of the boundary lie outside it (parcels "
            "there are 'outside_coverage')"
        )
    return fig


def format_figures(figures: Mapping[str, Any]) -> list[str]:
    """One line per comparison figure (scheme vs ours), then the unmatched settlements."""
    lines = []
    for key, f in figures.items():
        if not isinstance(f, dict) or "label" not in f:
            continue
        if key == "derived_rivers":
            lines.append(f"{f['label']}: {f.get('status')}")
            continue
        if key == "real_geometry":
            lines += format_rule_geometry(f)
            continue
        ours, scheme, unit = f.get("ours"), f.get("scheme"), f.get("unit", "")
        if ours is None:
            continue
        text = f"{f['label']}: ours {ours:,.2f} {unit}"
        if scheme is not None:
            pct = f.get("difference_pct")
            text += f" vs scheme {scheme:,.2f} {unit}" + (
                f" ({pct:+.1f} %)" if pct is not None else ""
            )
            if f.get("citation"):
                text += f" [{f['citation']}]"
        lines.append(text)
    un = figures.get("settlement_match", {}).get("unmatched", [])
    if un:
        lines.append(f"Appendix 15 settlements without a real point ({len(un)}):")
        for u in un:
            line = f"  {u['row_id']} {u['settlement']} ({u['district'] or '-'}): {u['reason']}"
            if str(u.get("placement") or "").startswith("placed"):
                line += f"; {u['placement']}, +/- {u['accuracy_m']:,.0f} m"
            lines.append(line)
    return lines
