"""The build report (Markdown + JSON) and the reconciliation with the scheme's figures.

Per layer: features, area (union, ha; and of the ``certain`` features), inputs used with
their accuracy, inputs missing, every reading taken on an ambiguous rule and every rule
that produced nothing (and why). Then the computed figures beside the scheme's own where
they are comparable - boundary area vs 939.49 thousand ha (Appendix 1, L3741), water fund
vs 46.49 thousand ha (L3800) and the Kapchagay surface inside the boundary vs 33 897.7 ha
(L639-641), the gas-pipeline SZZ vs 65 500 ha (L582-583), settlement land vs Appendix 1
(L3766-3769), industrial zones vs 3 864 ha (L241-242) - with the difference and its
explanation. Differences are shown and explained, never tuned away.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tabulate import tabulate

from almaty_scheme.base.model import BaseData
from almaty_scheme.build_result import BuildResult, report_paths
from almaty_scheme.catalogue.appendices import load_land_balance
from almaty_scheme.catalogue.data_models import SchemeFigures
from almaty_scheme.catalogue.loader import Catalogue
from almaty_scheme.catalogue.registry import load_data
from almaty_scheme.errors import AlmatySchemeError
from almaty_scheme.io.atomic import atomic_write_text
from almaty_scheme.report.reconciliation import reconciliation_rows
from almaty_scheme.restrictions.names import name_matches
from almaty_scheme.restrictions.schema import LAYER_NAMES
from almaty_scheme.restrictions.text import text

log = logging.getLogger(__name__)

SCHEME_FIGURES_FILE = "scheme_figures.yaml"
"""The scheme's own figures and the reservoir's spellings (``layers/scheme_figures.yaml``)."""


def _scheme_figures(catalogue: Catalogue) -> SchemeFigures:
    figures: SchemeFigures = load_data(SCHEME_FIGURES_FILE, catalogue.directory)
    return figures


def _stated(catalogue: Catalogue, key: str) -> tuple[float, str]:
    """The scheme's figure ``key`` and its citation (fallback when no rule or table has it)."""
    f = _scheme_figures(catalogue).figures[key]
    return f.value, f.citation


def _union_area_ha(geoms: Any) -> float:
    arr = [g for g in np.asarray(geoms, dtype=object) if g is not None and not g.is_empty]
    if not arr:
        return 0.0
    return float(shapely.union_all(arr).area) / 1e4


def _scheme_value(
    catalogue: Catalogue, key: str, rule_id: str | None = None, balance_key: str | None = None
) -> tuple[float, str]:
    if rule_id and rule_id in catalogue.rules and catalogue.rules[rule_id].area_ha:
        r = catalogue.rules[rule_id]
        assert r.area_ha is not None
        return float(r.area_ha), f"{r.citation()} ({rule_id})"
    if balance_key:
        try:
            lb = load_land_balance(catalogue)
            row = lb.loc[lb["key"] == balance_key]
            if len(row):
                v = float(row.iloc[0]["current"]) * 1000.0
                return v, f"Appendix 1, scheme L{row.iloc[0]['seed_lines']} (current)"
        except Exception as exc:  # table absent or malformed: fall back, say so in the log
            log.debug("land balance unavailable: %s", exc)
    return _stated(catalogue, key)


def _figure(
    key: str,
    label: str,
    scheme: tuple[float, str],
    ours: float | None,
    unit: str,
    explanation: str,
    comparable: bool = True,
    not_comparable: str = "",
) -> dict[str, Any]:
    sv, src = scheme
    diff = None if ours is None else ours - sv
    pct = None if (ours is None or sv == 0) else 100.0 * (ours - sv) / sv
    return {
        "key": key,
        "label": label,
        "unit": unit,
        "scheme": round(sv, 2),
        "scheme_source": src,
        "ours": None if ours is None else round(ours, 2),
        "difference": None if diff is None else round(diff, 2),
        "difference_pct": None if pct is None else round(pct, 1),
        "comparable": comparable and ours is not None,
        "not_comparable": "" if comparable else (not_comparable or "for scale"),
        "explanation": explanation,
    }


def _kapchagay_explanation(kap_ha: float | None, has_boundary: bool) -> str:
    if kap_ha is None:
        return "No Kapchagay polygon in the base data."
    if not has_boundary:
        return "No boundary: the whole GSHHG reservoir polygon is counted."
    if kap_ha < 1.0:
        return (
            "The reconstructed boundary leaves the reservoir outside (it follows the "
            "southern shore, L116-120), while the scheme counts 33 897.7 ha of the water "
            "surface inside; the difference lies in the boundary reconstruction (see the "
            "base figures), not in the water layers."
        )
    return (
        "GSHHG shoreline (~1:1M) cut by the reconstructed boundary, which follows the "
        "southern shore only roughly (L116-120); the scheme's figure comes from cadastral "
        "data."
    )


def reconciliation_figures(
    catalogue: Catalogue, base: BaseData, layers: Mapping[str, gpd.GeoDataFrame]
) -> list[dict[str, Any]]:
    """Computed figures beside the scheme's (see module docstring)."""
    figs: list[dict[str, Any]] = []
    bnd_layer = layers.get("boundary")
    boundary = (
        shapely.union_all(np.asarray(bnd_layer.geometry.values, dtype=object))
        if bnd_layer is not None and len(bnd_layer)
        else None
    )
    b_area = boundary.area / 1e4 if boundary is not None else None
    figs.append(
        _figure(
            "boundary_area",
            "Agglomeration area",
            _scheme_value(catalogue, "total", balance_key="total"),
            b_area,
            "ha",
            "Boundary reconstructed from the text (L106-135) on small-scale administrative "
            "outlines; the difference measures the reconstruction, not the scheme."
            if b_area is not None
            else "No boundary in the base data: not computed.",
        )
    )

    def in_bnd(g: Any) -> Any:
        return g if boundary is None else shapely.intersection(g, boundary)

    bodies = base["water_bodies"]
    figs += _water_figures(catalogue, bodies, layers, in_bnd, boundary is not None)
    kap = [
        g
        for _, r in bodies.iterrows()
        for g in [r.geometry]
        if name_matches(
            _scheme_figures(catalogue).reservoir_names,
            [(text(r.get("name")) or ""), (text(r.get("name_ru")) or "")],
        )
    ]
    kap_ha = _union_area_ha([in_bnd(g) for g in kap]) if kap else None
    figs.append(
        _figure(
            "kapchagay_surface",
            "Kapchagay water surface inside the boundary",
            _scheme_value(
                catalogue, "kapchagay", "water_protection.fact.kapchagay_surface_in_boundary"
            ),
            kap_ha,
            "ha",
            _kapchagay_explanation(kap_ha, boundary is not None),
        )
    )
    figs += _gas_figures(catalogue, base, layers, in_bnd)
    figs.append(_settlement_figure(catalogue, base, in_bnd))
    figs.append(_industrial_figure(catalogue, layers))
    fz = layers.get("functional_zones")
    if fz is not None and len(fz) and b_area is not None:
        figs.append(
            _figure(
                "functional_partition",
                "Functional zones, sum of areas",
                (b_area, "the boundary above"),
                float(fz.geometry.area.sum()) / 1e4,
                "ha",
                "A planar partition: must equal the boundary area (difference = rounding).",
                comparable=False,
                not_comparable="circular: the zones partition the boundary itself (a "
                "self-check, not a comparison with the scheme)",
            )
        )
    figs += reconciliation_rows(layers, _land_balance(catalogue))
    return figs


def _water_figures(
    catalogue: Catalogue,
    bodies: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    in_bnd: Callable[[Any], Any],
    has_boundary: bool,
) -> list[dict[str, Any]]:
    """Water-fund land, alone and with the certain water-protection strips."""
    figs: list[dict[str, Any]] = []
    water_ha = _union_area_ha([in_bnd(g) for g in bodies.geometry]) if len(bodies) else 0.0
    strips = layers.get("water_protection_strips")
    strip_ha = 0.0
    if strips is not None and len(strips):
        cert = strips.loc[(strips["certainty"] == "certain").fillna(False).astype(bool)]
        strip_ha = (
            _union_area_ha(list(cert.geometry) + [in_bnd(g) for g in bodies.geometry]) - water_ha
        )
    figs.append(
        _figure(
            "water_fund",
            "Water-fund land (water surfaces in the base, inside the boundary)",
            _scheme_value(catalogue, "water_fund", balance_key="water_fund"),
            water_ha,
            "ha",
            f"Only the water bodies of the base data are counted ({len(bodies)} feature(s)). The "
            "scheme's water fund is the Kapchagay surface (33 897.7 ha) plus 12 590.3 ha by "
            "district (L633-639: rivers, canals, small lakes, land under hydro structures), "
            "which the open data lacks."
            + ("" if has_boundary else " No boundary: whole water bodies counted."),
        )
    )
    figs.append(
        _figure(
            "water_fund_with_strips",
            "Water surfaces + certain water-protection strips",
            _scheme_value(catalogue, "water_fund", balance_key="water_fund"),
            water_ha + strip_ha,
            "ha",
            "For comparison only, in case the land balance counts the land under water-protection "
            "strips in the water fund (not stated by the scheme).",
            comparable=False,
        )
    )
    return figs


def _gas_figures(
    catalogue: Catalogue,
    base: BaseData,
    layers: Mapping[str, gpd.GeoDataFrame],
    in_bnd: Callable[[Any], Any],
) -> list[dict[str, Any]]:
    """Gas-pipeline zones beside the scheme's SZZ, and the pipelines' length."""
    figs: list[dict[str, Any]] = []
    gas = layers.get("gas_pipeline_zones")
    md_c = md_all = prot = None
    if gas is not None and len(gas):
        is_md = (gas["kind"] == "gas_minimum_distance").fillna(False).astype(bool)
        is_c = (gas["certainty"] == "certain").fillna(False).astype(bool)
        md_c = _union_area_ha(gas.loc[is_md & is_c].geometry)
        md_all = _union_area_ha(gas.loc[is_md].geometry)
        prot = _union_area_ha(
            gas.loc[(gas["kind"] == "gas_protection_zone").fillna(False).astype(bool)].geometry
        )
    szz = _scheme_value(catalogue, "gas_szz", "gas.fact.szz_area")
    figs.append(
        _figure(
            "gas_szz",
            "Gas-pipeline minimum-distance zones (certain)",
            szz,
            md_c,
            "ha",
            "Minimum distances by DN (external norms, mostly unverified) along the pipelines of "
            "the base data inside the boundary. 65 500 ha over 123 km would mean a belt ~5.3 km "
            "wide - no distance norm gives that (finding gas.finding.szz_area); the scheme's "
            "figure probably counts something else.",
        )
    )
    figs.append(
        _figure(
            "gas_szz_possible",
            "Gas-pipeline minimum-distance zones incl. possible bands",
            szz,
            md_all,
            "ha",
            "Upper bound: with every unknown DN at the largest candidate distance.",
            comparable=False,
        )
    )
    figs.append(
        _figure(
            "gas_protection",
            "Gas-pipeline protection zones (50 m each side)",
            szz,
            prot,
            "ha",
            "Shown for scale: the protection zone is not the SZZ.",
            comparable=False,
        )
    )
    pipes = base["gas_pipelines"]
    glen = None
    if len(pipes):
        glen = float(sum(shapely.length(in_bnd(g)) for g in pipes.geometry)) / 1000.0
    figs.append(
        _figure(
            "gas_length",
            "Trunk gas pipelines inside the boundary (all threads)",
            _stated(catalogue, "gas_length_km"),
            glen,
            "km",
            "Each thread counted; the scheme's 123 km (L572) vs Appendix 1's 331 km (L4199) "
            "differ themselves (finding gas.finding.length_vs_appendix1).",
        )
    )
    return figs


def _settlement_figure(
    catalogue: Catalogue, base: BaseData, in_bnd: Callable[[Any], Any]
) -> dict[str, Any]:
    """Settlement footprints inside the boundary beside Appendix 1's settlement land.

    Not comparable (circular) when some footprints are derived: those are sized from
    Appendix 1's settlement land itself (``target_ha``).
    """
    fps = base["settlement_footprints"]
    fp_ha = _union_area_ha([in_bnd(g) for g in fps.geometry]) if len(fps) else None
    derived_ha = 0.0
    if len(fps) and "target_ha" in fps.columns:
        derived_ha = _union_area_ha([in_bnd(g) for g in fps.loc[fps["target_ha"].notna()].geometry])
    return _figure(
        "settlement_land",
        "Settlement land (footprints inside the boundary)",
        _scheme_value(catalogue, "settlements", balance_key="settlements"),
        fp_ha,
        "ha",
        (
            "Footprints from the base (real outlines or derived from population, see their "
            "'method'); the scheme's land of settlements counts the whole administrative land of "
            "each settlement, usually far larger than the built-up area."
            if fp_ha is not None
            else "No settlement footprints in the base data."
        ),
        comparable=derived_ha == 0,
        not_comparable=f"circular: {derived_ha:,.0f} ha of derived footprints are sized from "
        "Appendix 1's settlement land (only area lost to neighbours, the boundary and "
        "places without a real point differs)",
    )


def _industrial_figure(
    catalogue: Catalogue, layers: Mapping[str, gpd.GeoDataFrame]
) -> dict[str, Any]:
    """Industrial zones drawn, with those not drawn and those cut by the boundary."""
    ind = layers.get("industrial_zones")
    ind_ha = float(ind.geometry.area.sum()) / 1e4 if ind is not None and len(ind) else None
    all_ind = [r.id for r in catalogue.by_kind("industrial_zone")]
    drawn = set(ind["rule_id"].dropna().astype(str)) if ind is not None and len(ind) else set()
    missing = [r for r in all_ind if r not in drawn]
    cut = []
    if ind is not None and len(ind) and "area_ha_scheme" in ind.columns:
        for _, row in ind.iterrows():
            a = row.geometry.area / 1e4
            if pd.notna(row["area_ha_scheme"]) and a < float(row["area_ha_scheme"]) - 0.01:
                cut.append(f"{row['rule_id']} ({a:.0f} of {float(row['area_ha_scheme']):g} ha)")
    expl = (
        f"{len(drawn)} of {len(all_ind)} zones drawn, each a schematic footprint of exactly "
        "its stated area."
    )
    if missing:
        expl += (
            " Not drawn (place not found, or wholly outside the boundary - see the layer "
            f"notes): {', '.join(missing)}."
        )
    if cut:
        expl += f" Cut by the boundary: {', '.join(cut)}."
    return _figure(
        "industrial_area",
        "Industrial zones and parks (schematic footprints)",
        _scheme_value(catalogue, "industrial", "industrial.total_area"),
        ind_ha,
        "ha",
        expl,
        comparable=False,
        not_comparable="circular: each zone is drawn at its stated area (only zones not "
        "drawn or cut by the boundary differ)",
    )


def _land_balance(catalogue: Catalogue) -> pd.DataFrame | None:
    """Appendix 1 (``appendix1_land_balance.csv``), or ``None`` if the catalogue lacks it."""
    try:
        return load_land_balance(catalogue)
    except (AlmatySchemeError, OSError, ValueError) as exc:
        log.debug("land balance unavailable: %s", exc)
        return None


def relevant_findings(
    catalogue: Catalogue, layers: Mapping[str, gpd.GeoDataFrame]
) -> list[dict[str, Any]]:
    """Catalogue findings that affect a rule drawn into (or meant for) a built layer."""
    drawn: set[str] = set()
    for name, gdf in layers.items():
        if name in LAYER_NAMES and "rule_id" in gdf.columns:
            drawn.update(str(v) for v in gdf["rule_id"].dropna())
    meant = {r.id for r in catalogue if r.layer in LAYER_NAMES}
    out = []
    for f in catalogue.findings.values():
        hit = [a for a in f.affects if a in drawn or a in meant]
        if not hit:
            continue
        out.append(
            {
                "id": f.id,
                "kind": f.kind,
                "summary": " ".join(f.summary.split()),
                "reading": " ".join(f.reading.split()),
                "affects": hit,
                "drawn": [a for a in hit if a in drawn],
            }
        )
    return out


def report_dict(result: BuildResult, gpkg_path: str | Path | None = None) -> dict[str, Any]:
    """The whole report as a JSON-friendly dict."""
    info = dict(zip(result.build_info["key"], result.build_info["value"], strict=True))
    return {
        "geopackage": str(gpkg_path) if gpkg_path else None,
        "build_info": info,
        "options": result.options.as_dict(),
        "timings_s": result.timings,
        "layers": result.summary,
        "reconciliation": result.figures,
        "findings": result.findings,
        "base_figures": result.base_figures,
        "notes": [n.as_dict() for n in result.notes],
        "base_provenance": result.base_provenance,
    }


def _fmt(v: Any, nd: int = 1) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:,.{nd}f}".replace(",", " ")
    return str(v)


def _num(v: Any) -> Any:
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return v


def _md_cell(text: Any) -> str:
    return str(text if text is not None else "-").replace("|", "\\|").replace("\n", " ")


def _md_table(headers: list[str], rows: list[list[Any]], align: str) -> list[str]:
    """A Markdown (GitHub pipe) table by tabulate: ``align`` has one letter per column,
    ``l`` or ``r``; cells are text already formatted (``|`` escaped, no number parsing),
    padded so that the file also reads as plain text."""
    colalign = ["right" if a == "r" else "left" for a in align]
    cells = [[_md_cell(c) for c in row] for row in rows]
    text = tabulate(
        cells, headers=headers, tablefmt="pipe", colalign=colalign, disable_numparse=True
    )
    return text.splitlines()


def report_markdown(result: BuildResult, gpkg_path: str | Path | None = None) -> str:
    """The report as Markdown."""
    d = report_dict(result, gpkg_path)
    info = d["build_info"]
    lines = [
        f"# Build report: {Path(gpkg_path).name if gpkg_path else 'almaty-scheme build'}",
        "",
        f"- built at {info.get('built_at')} with almaty-scheme {info.get('toolkit_version')}, "
        f"catalogue {info.get('catalogue_version')}",
        f"- data: `{text(info.get('data_dir')) or '-'}`; CRS {info.get('working_crs')}; "
        f"range policy: {info.get('range_policy')}",
        f"- total build time: {sum(result.timings.values()):.1f} s",
        "",
        "## Layers",
        "",
    ]
    rows = []
    for s in d["layers"]:
        t = result.timings.get(
            s["layer"],
            result.timings.get(
                "water_protection" if s["layer"].startswith("water_protection") else "", None
            ),
        )
        rows.append(
            [s["layer"], s["features"], _fmt(s["area_ha"]), _fmt(s["area_certain_ha"]), _fmt(t, 2)]
        )
    lines += _md_table(["layer", "features", "area, ha", "certain, ha", "time, s"], rows, "lrrrr")
    lines += [
        "",
        "Areas are of the union of a layer's features (overlaps counted once), inside the "
        "boundary.",
        "",
        "## Reconciliation with the scheme",
        "",
    ]
    lines += _md_table(
        ["figure", "scheme", "source", "ours", "difference", "explanation"],
        _reconciliation_rows(d["reconciliation"]),
        "lrlrrl",
    )
    lines += _base_figure_lines([f for f in d.get("base_figures", []) if f.get("label")])
    lines += ["", "## Per layer: inputs, readings, gaps", ""]
    for s in d["layers"]:
        lines += _layer_lines(s)
    lines += _notes_findings_base_lines(d)
    lines += ["## Options", "", "```json", json.dumps(d["options"], indent=2), "```", ""]
    return "\n".join(lines)


def _reconciliation_rows(figs: list[dict[str, Any]]) -> list[list[Any]]:
    """Rows of the reconciliation table."""
    rows = []
    for f in figs:
        diff = (
            "-"
            if f["difference"] is None
            else (
                f"{_fmt(f['difference'])} ({f['difference_pct']:+.1f} %)"
                if f["difference_pct"] is not None
                else _fmt(f["difference"])
            )
        )
        nc = f.get("not_comparable") or "for scale"
        label = f["label"] + ("" if f["comparable"] else f" *(not comparable: {nc})*")
        rows.append(
            [
                label,
                f"{_fmt(f['scheme'])} {f['unit']}",
                f["scheme_source"],
                _fmt(f["ours"]),
                diff,
                f["explanation"],
            ]
        )
    return rows


def _base_figure_lines(bf: list[dict[str, Any]]) -> list[str]:
    """The table of the base assembly's figures (none: no lines)."""
    lines: list[str] = []
    if bf:
        lines += [
            "",
            "### Figures of the base data (from the base assembly)",
            "",
        ]
        rows = []
        for f in bf:
            diff = (
                "-"
                if f.get("difference") is None
                else (
                    f"{_fmt(_num(f.get('difference')))}"
                    + (
                        f" ({_num(f.get('difference_pct')):+.1f} %)"
                        if f.get("difference_pct") is not None
                        else ""
                    )
                )
            )
            unit = f" {f.get('unit')}" if f.get("unit") else ""
            blabel = str(f.get("label")) + (
                f" *(not comparable: {f.get('not_comparable') or 'for scale'})*"
                if f.get("comparable") is False
                else ""
            )
            rows.append(
                [
                    blabel,
                    f"{_fmt(_num(f.get('scheme')))}{unit}",
                    f"{_fmt(_num(f.get('ours')))}{unit}",
                    diff,
                    f.get("explanation"),
                ]
            )
        headers = ["figure", "scheme", "ours", "difference", "explanation"]
        lines += _md_table(headers, rows, "lrrrl")
    return lines


def _layer_lines(s: dict[str, Any]) -> list[str]:
    """One layer's section: inputs used and missing, readings, rules not built."""
    lines = []
    lines.append(f"### {s['layer']}")
    lines.append("")
    lines.append(
        f"{s['features']} feature(s), {_fmt(s['area_ha'])} ha"
        + (f"; rules: {', '.join(f'`{r}`' for r in s['rules'])}" if s["rules"] else "")
    )
    lines.append("")
    for u in s["inputs_used"]:
        lines.append(
            f"- input: {u['what']}" + (f" - accuracy: {u['accuracy']}" if u.get("accuracy") else "")
        )
    for m in s["inputs_missing"]:
        lines.append(f"- **missing**: {m}")
    for r in s["readings"]:
        tag = "warning" if r.get("kind") == "warning" else "reading"
        rid = f" (`{r['rule_id']}`)" if r.get("rule_id") else ""
        lines.append(f"- {tag}{rid}: {r['message']}")
    for r in s["skipped"]:
        rid = f" `{r['rule_id']}`" if r.get("rule_id") else ""
        lines.append(f"- not built{rid}: {r['message']}")
    lines.append("")
    return lines


def _notes_findings_base_lines(d: dict[str, Any]) -> list[str]:
    """Other notes, the catalogue findings and the base data's provenance."""
    lines: list[str] = []
    other = [n for n in d["notes"] if n["layer"] not in LAYER_NAMES]
    if other:
        lines += ["## Other notes", ""]
        lines += [f"- {n['layer']} ({n['kind']}): {n['message']}" for n in other]
        lines.append("")
    if d["findings"]:
        lines += ["## Catalogue findings that affect the built layers", ""]
        for f in d["findings"]:
            lines.append(f"- `{f['id']}` ({f['kind']}): {f['summary']} **Reading:** {f['reading']}")
        lines.append("")
    if d["base_provenance"]:
        lines += [
            "## Base data",
            "",
        ]
        rows = [
            [p.get("layer"), p.get("status"), p.get("features"), p.get("source"), p.get("accuracy")]
            for p in d["base_provenance"]
        ]
        lines += _md_table(["layer", "status", "features", "source", "accuracy"], rows, "llrll")
        lines.append("")
    return lines


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, Path):
        return str(o)
    if o is pd.NA:
        return None
    return str(o)


def report_json(result: BuildResult, gpkg_path: str | Path) -> str:
    """The JSON report as text (:func:`report_dict`)."""
    return json.dumps(
        report_dict(result, gpkg_path), ensure_ascii=False, indent=2, default=_json_default
    )


def write_report(
    result: BuildResult, gpkg_path: str | Path, *, overwrite: bool = False
) -> tuple[Path, Path]:
    """Write ``<stem>.report.md`` and ``<stem>.report.json`` beside the GeoPackage."""
    md, js = report_paths(gpkg_path)
    atomic_write_text(md, report_markdown(result, gpkg_path), overwrite=overwrite)
    atomic_write_text(js, report_json(result, gpkg_path), overwrite=overwrite)
    return md, js
