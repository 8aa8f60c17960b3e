"""The report of a parcel check: one self-contained HTML file and a PDF, in Russian and English.

Contents, in both formats:

1. the summary: parcels and area by verdict, and by restriction (rule): how many parcels
   meet each rule's zones, for how many its regime prohibits the intended use, for how
   many it decides the ban (see :func:`_by_rule`), the overlap area;
2. the overview map of the checked parcels by verdict over the restriction layers;
3. one page per prohibited parcel (the first ``max_parcels`` by parcel order; the report
   says how many were left out): a zoomed map, the table of zones it touches and the
   checker's explanation in Russian and English.

The HTML needs no internet: CSS is inline and every image is embedded as a base64 PNG;
the file contains no external URL. The PDF is laid out by ReportLab
(:mod:`almaty_scheme.report.pdf`) and needs no system library. Both are written atomically.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import pandas as pd
import pyogrio
from matplotlib.figure import Figure

from almaty_scheme import __version__
from almaty_scheme.catalogue import default_catalogue
from almaty_scheme.errors import DataError, UsageError
from almaty_scheme.io.atomic import atomic_path, check_writable
from almaty_scheme.plot import parcel_figure, read_layers, results_figure
from almaty_scheme.progress import progress
from almaty_scheme.qgis.project import attribution_text
from almaty_scheme.qgis.spec import VERDICTS, default_spec
from almaty_scheme.report import pdf

log = logging.getLogger(__name__)

DEFAULT_MAX_PARCELS = 50
"""Per-parcel pages written by default (prohibited parcels beyond it are counted only)."""

HIT_COLUMNS_SHOWN = (
    "rule_id",
    "layer",
    "zone_name",
    "certainty",
    "regime",
    "overlap_m2",
    "share_pct",
    "distance_to_source_m",
    "citation",
)


@dataclass
class ParcelPage:
    """What the report shows for one prohibited parcel."""

    parcel_id: str
    row: dict[str, Any]
    hits: pd.DataFrame
    geometry: gpd.GeoDataFrame | None


@dataclass
class ReportData:
    """Everything a report shows, computed once for the HTML and the PDF."""

    results_path: Path
    layers_path: Path | None
    n_parcels: int
    by_verdict: pd.DataFrame
    by_rule: pd.DataFrame
    pages: list[ParcelPage]
    n_prohibited: int
    summary: dict[str, Any] = field(default_factory=dict)
    attribution: str = ""
    created: str = ""

    @property
    def n_left_out(self) -> int:
        """Prohibited parcels without a page (over ``max_parcels``)."""
        return self.n_prohibited - len(self.pages)


def _read_summary(results_gpkg: Path) -> dict[str, Any]:
    """The check's summary: the GeoPackage's ``check_summary`` table (values as JSON,
    written with the results, so it always belongs to them), else the JSON beside it."""
    try:
        t = pyogrio.read_dataframe(results_gpkg, layer="check_summary", read_geometry=False)
        return {str(k): json.loads(v) for k, v in zip(t["key"], t["value"], strict=True)}
    except Exception:  # an older result (plain-text values) or no table: use the JSON
        log.debug("no JSON check_summary table in %s", results_gpkg)
    p = results_gpkg.with_suffix("").with_name(results_gpkg.stem + ".summary.json")
    alt = results_gpkg.with_name("summary.json")
    for cand in (p, alt):
        if cand.is_file():
            try:
                return dict(json.loads(cand.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                log.warning("cannot read %s; summarising from the GeoPackage", cand)
    return {}


def _read_check_result(path: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The layers listed, the parcels and the hits (attributes only) of a check result."""
    if not path.is_file():
        raise DataError(f"{path} does not exist", ["Run almaty-scheme check first."])
    try:
        listed = {str(n): g for n, g in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio's DataSourceError and friends
        raise DataError(f"cannot read {path}", [f"Is it a GeoPackage? ({exc})"]) from exc
    problems = []
    if "parcels" not in listed:
        problems.append(
            f"{path.name} has no 'parcels' layer; pass the output of almaty-scheme check."
        )
    if problems:
        raise DataError(f"{path.name} is not a check result", problems)
    parcels = pyogrio.read_dataframe(path, layer="parcels", read_geometry=False)
    if "verdict" not in parcels.columns:
        raise DataError(
            f"{path.name}: parcels have no 'verdict' column",
            ["Pass the output of almaty-scheme check."],
        )
    hits = (
        pyogrio.read_dataframe(path, layer="parcel_hits", read_geometry=False)
        if "parcel_hits" in listed
        else pd.DataFrame(columns=["parcel_id", "rule_id"])
    )
    parcels["parcel_id"] = parcels["parcel_id"].astype(str)
    hits["parcel_id"] = hits["parcel_id"].astype(str)
    return listed, parcels, hits


def _verdicts_frame(parcels: pd.DataFrame) -> pd.DataFrame:
    """Parcels, share and area per verdict."""
    n = len(parcels)
    area = (
        pd.to_numeric(parcels["area_m2"], errors="coerce")
        if "area_m2" in parcels
        else pd.Series(0.0, index=parcels.index)
    )
    counts = parcels["verdict"].value_counts()
    return pd.DataFrame(
        {
            "verdict": list(VERDICTS),
            "parcels": [int(counts.get(v, 0)) for v in VERDICTS],
            "share_pct": [100.0 * counts.get(v, 0) / n if n else 0.0 for v in VERDICTS],
            "area_ha": [float(area[parcels["verdict"] == v].sum()) / 10_000 for v in VERDICTS],
        }
    )


def _parcel_pages(
    path: Path, listed: dict[str, Any], chosen: pd.DataFrame, hits: pd.DataFrame
) -> list[ParcelPage]:
    """One page per chosen parcel: its row, its hits (with geometry) and its outline."""
    geoms: gpd.GeoDataFrame | None = None
    if not chosen.empty and listed.get("parcels") is not None:
        ids = set(chosen["parcel_id"])
        allp = pyogrio.read_dataframe(path, layer="parcels", columns=["parcel_id", "verdict"])
        allp["parcel_id"] = allp["parcel_id"].astype(str)
        geoms = allp[allp["parcel_id"].isin(ids)]
    hit_geoms = None
    if not chosen.empty and listed.get("parcel_hits") is not None:
        hg = pyogrio.read_dataframe(path, layer="parcel_hits", columns=["parcel_id"])
        hg["parcel_id"] = hg["parcel_id"].astype(str)
        hit_geoms = hg[hg["parcel_id"].isin(set(chosen["parcel_id"]))]
    pages = []
    for _, row in chosen.iterrows():
        pid = str(row["parcel_id"])
        g = None
        if geoms is not None:
            g = geoms[geoms["parcel_id"] == pid]
            if g.empty or g.geometry.isna().all():
                g = None
        ph = hits[hits["parcel_id"] == pid].copy()
        if hit_geoms is not None:
            ph = (
                gpd.GeoDataFrame(
                    ph,
                    geometry=hit_geoms[hit_geoms["parcel_id"] == pid].geometry.to_numpy(),
                    crs=hit_geoms.crs,
                )
                if len(ph) == (hit_geoms["parcel_id"] == pid).sum()
                else ph
            )
        if "share_pct" in ph.columns:
            ph = ph.sort_values("share_pct", ascending=False)
        pages.append(ParcelPage(pid, {str(k): v for k, v in row.items()}, ph, g))
    return pages


def collect(
    results_gpkg: str | Path,
    layers_gpkg: str | Path | None = None,
    *,
    max_parcels: int = DEFAULT_MAX_PARCELS,
) -> ReportData:
    """Read a check result and compute the report's tables.

    Raises
    ------
    DataError
        If the file is missing or lacks the ``parcels`` layer or its ``verdict`` column.
    """
    path = Path(results_gpkg)
    listed, parcels, hits = _read_check_result(path)
    n = len(parcels)
    by_verdict = _verdicts_frame(parcels)
    by_rule = _by_rule(parcels, hits)
    prohibited = parcels[parcels["verdict"] == "prohibited"]
    chosen = prohibited.head(max(max_parcels, 0))
    pages = _parcel_pages(path, listed, chosen, hits)

    return ReportData(
        results_path=path,
        layers_path=Path(layers_gpkg) if layers_gpkg else None,
        n_parcels=n,
        by_verdict=by_verdict,
        by_rule=by_rule,
        pages=pages,
        n_prohibited=len(prohibited),
        summary=_read_summary(path),
        attribution=attribution_text(layers_gpkg),
        created=dt.datetime.now().replace(microsecond=0).isoformat(sep=" "),
    )


def _sum(df: pd.DataFrame, col: str) -> float:
    if col not in df.columns:
        return 0.0
    return float(pd.to_numeric(df[col], errors="coerce").fillna(0).sum())


def _by_rule(parcels: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """Per rule: parcels touching it, parcels its regime prohibits, parcels it decides.

    ``regime_prohibited`` counts the parcels for whose intended use the rule's regime is
    ``prohibited`` (the CLI summary's "prohibited" per rule); ``decisive`` counts the
    prohibited parcels whose verdict this rule decided (their ``worst_rule_id``). A parcel
    in two prohibiting zones counts under both rules in the first, under one in the second.
    """
    cols = ["rule_id", "family", "parcels", "regime_prohibited", "decisive", "overlap_ha"]
    if hits.empty or "rule_id" not in hits.columns:
        return pd.DataFrame(columns=cols)
    p = parcels.set_index("parcel_id")
    worst = p["worst_rule_id"] if "worst_rule_id" in p else pd.Series(dtype="string")
    decided = worst[p["verdict"] == "prohibited"].value_counts()
    regime = hits["regime"] if "regime" in hits else pd.Series("", index=hits.index)
    banned = hits[regime == "prohibited"].groupby("rule_id")["parcel_id"].nunique()
    g = hits.groupby("rule_id", sort=True)
    out = pd.DataFrame(
        {
            "family": g["family"].first() if "family" in hits else "",
            "parcels": g["parcel_id"].nunique(),
            "overlap_ha": g["overlap_m2"].sum() / 10_000 if "overlap_m2" in hits else 0.0,
        }
    )
    out["regime_prohibited"] = banned.reindex(out.index).fillna(0).astype(int)
    out["decisive"] = decided.reindex(out.index).fillna(0).astype(int)
    out = out.reset_index()[cols]
    return out.sort_values(["decisive", "regime_prohibited", "parcels"], ascending=False)


_TITLES: dict[str, str] = {}


def rule_title(rule_id: Any) -> str:
    """``Russian title / English title (rule id)`` from the shipped catalogue; the id alone
    for rules it does not know (a user catalogue, an official layer)."""
    if rule_id is None or (isinstance(rule_id, float) and pd.isna(rule_id)) or rule_id == "":
        return ""
    if not _TITLES:
        for rule in default_catalogue():
            ru = rule.title_ru or rule.title
            _TITLES[rule.id] = f"{ru} / {rule.title}" if ru != rule.title else rule.title
    title = _TITLES.get(str(rule_id))
    return f"{title} ({rule_id})" if title else str(rule_id)


VERDICT_HEADERS = (
    "Заключение / Verdict",
    "Участков / Parcels",
    "Доля, % / Share, %",
    "Площадь, га / Area, ha",
)
RULE_HEADERS = (
    "Правило / Rule",
    "Семейство / Family",
    "Участков в зоне / Parcels in the zone",
    "Режим запрещает / Regime prohibits",
    "Решает запрет / Decides the ban",
    "Пересечение, га / Overlap, ha",
)
RULE_TABLE_NOTE = (
    "«Участков в зоне» — участки, пересекающие зону правила; «Режим запрещает» — из них те, "
    "для назначения которых режим зоны — запрет (как в сводке команды check); «Решает "
    "запрет» — запрещённые участки, для которых это правило — решающее (worst_rule_id). "
    "/ Parcels in the zone: parcels that meet the rule's zones; Regime prohibits: those whose "
    "intended use the zone's regime prohibits (as in the check command's summary); Decides "
    "the ban: prohibited parcels whose verdict this rule decided (worst_rule_id)."
)


def _rule_cells(r: Any, *, number: Any) -> list[str]:
    return [
        rule_title(r.rule_id),
        str(r.family),
        number(r.parcels, 0),
        number(r.regime_prohibited, 0),
        number(r.decisive, 0),
        number(r.overlap_ha, 2),
    ]


def _left_out_note(data: ReportData) -> str:
    return (
        f"Показаны первые {len(data.pages)} из {data.n_prohibited} запрещённых участков; "
        f"ещё {data.n_left_out} не показаны (см. слой parcels). / The first {len(data.pages)} "
        f"of {data.n_prohibited} prohibited parcels have a page; {data.n_left_out} more are "
        "left out (see the parcels layer)."
    )


# ---- figures -----------------------------------------------------------------------------


def _png(fig: Figure, dpi: int) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _layers(data: ReportData) -> dict[str, gpd.GeoDataFrame]:
    if data.layers_path is None:
        return {}

    return read_layers(data.layers_path)


# ---- HTML -------------------------------------------------------------------------------


_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("almaty_scheme.report", "templates"),
    autoescape=True,  # every value is escaped; the template marks nothing safe
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
)
"""The report's Jinja2 templates (``report/templates/``, shipped as package data)."""


def _e(v: Any) -> str:
    """A value as text: empty for missing values (the template escapes it)."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v)


def _fmt(v: Any, digits: int = 1) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _e(v)
    if pd.isna(f):
        return ""
    return f"{f:,.{digits}f}".replace(",", "\u202f")


def _table(
    df: pd.DataFrame,
    headers: Sequence[str],
    numeric: Iterable[str] = (),
    digits: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A table for the template's ``table`` macro: headers and rows of cells
    (``kind`` ``num`` right-aligned with thin-space thousands, else ``text``)."""
    nums = set(numeric)
    digits = digits or {}
    rows = [
        [
            {"kind": "num", "text": _fmt(r[c], digits.get(c, 1))}
            if c in nums
            else {"kind": "text", "text": _e(r[c])}
            for c in df.columns
        ]
        for _, r in df.iterrows()
    ]
    return {"headers": list(headers), "rows": rows}


def _verdict_table(data: ReportData) -> dict[str, Any]:
    spec = default_spec()
    df = data.by_verdict.drop(columns=["verdict"])
    table = _table(
        df,
        VERDICT_HEADERS,
        numeric=["parcels", "share_pct", "area_ha"],
        digits={"parcels": 0, "share_pct": 1, "area_ha": 2},
    )
    for row, v in zip(table["rows"], data.by_verdict["verdict"], strict=True):
        label = f"{spec.labels['verdict'][v].ru} / {spec.labels['verdict'][v].en}"
        row.insert(0, {"kind": "swatch", "text": label, "colour": spec.colours["verdict"][v]})
    return table


def _rule_table(data: ReportData) -> dict[str, Any] | None:
    if data.by_rule.empty:
        return None
    df = pd.DataFrame(
        [_rule_cells(r, number=_fmt) for r in data.by_rule.itertuples(index=False)],
        columns=["rule", "family", "parcels", "regime_prohibited", "decisive", "overlap_ha"],
    )
    return _table(
        df,
        RULE_HEADERS,
        numeric=["parcels", "regime_prohibited", "decisive", "overlap_ha"],
        digits={"parcels": 0, "regime_prohibited": 0, "decisive": 0, "overlap_ha": 2},
    )


def _hits_frame(page: ParcelPage) -> pd.DataFrame:
    cols = [c for c in HIT_COLUMNS_SHOWN if c in page.hits.columns]
    return pd.DataFrame(page.hits[cols]).reset_index(drop=True)


_HIT_HEADERS = {
    "rule_id": "Правило / Rule",
    "layer": "Слой / Layer",
    "zone_name": "Зона / Zone",
    "certainty": "Достоверность / Certainty",
    "regime": "Режим / Regime",
    "overlap_m2": "Пересечение, м² / Overlap, m²",
    "share_pct": "Доля, % / Share, %",
    "distance_to_source_m": "До объекта, м / To source, m",
    "citation": "Источник / Source",
}


def render_html(data: ReportData, *, dpi: int = 110) -> str:
    """The report as one self-contained HTML document (template
    ``report/templates/check_report.html.j2``, autoescaped)."""
    layers = _layers(data)
    overview = _png(results_figure(data.results_path, data.layers_path), dpi)
    pages = [
        _parcel_context(page, layers, dpi)
        for page in progress(data.pages, desc="report pages", unit="parcel")
    ]
    return _TEMPLATES.get_template("check_report.html.j2").render(
        results_name=data.results_path.name,
        layers_name=data.layers_path.name if data.layers_path else "",
        catalogue_version=_e(data.summary.get("catalogue_version")),
        created=data.created,
        n_parcels=data.n_parcels,
        verdict_table=_verdict_table(data),
        rule_table=_rule_table(data),
        rule_note=RULE_TABLE_NOTE,
        overview_png=overview,
        n_prohibited=data.n_prohibited,
        left_out_note=_left_out_note(data) if data.n_left_out > 0 else "",
        pages=pages,
        attribution=data.attribution,
        version=__version__,
    )


def _parcel_context(
    page: ParcelPage, layers: dict[str, gpd.GeoDataFrame], dpi: int
) -> dict[str, Any]:
    """What the template shows for one prohibited parcel: its figures, map and hits."""
    r = page.row
    png = ""
    if page.geometry is not None:
        fig = parcel_figure(
            page.geometry,
            layers,
            hits=page.hits if isinstance(page.hits, gpd.GeoDataFrame) else None,
            title=f"{page.parcel_id}",
        )
        png = _png(fig, dpi)
    hf = _hits_frame(page)
    hits = None
    if not hf.empty:
        shown = ("overlap_m2", "share_pct", "distance_to_source_m")
        hits = _table(
            hf,
            [_HIT_HEADERS[c] for c in hf.columns],
            numeric=[c for c in shown if c in hf.columns],
            digits={"overlap_m2": 0, "share_pct": 1, "distance_to_source_m": 0},
        )
    return {
        "parcel_id": _e(page.parcel_id),
        "use_input": _e(r.get("use_input")),
        "use_class": _e(r.get("use_class")),
        "area": _fmt(r.get("area_m2"), 0),
        "worst_rule_id": _e(r.get("worst_rule_id")),
        "worst_share": _fmt(r.get("worst_share_pct")),
        "png": png,
        "hits": hits,
        "explanation_ru": _e(r.get("explanation_ru")),
        "explanation_en": _e(r.get("explanation_en")),
    }


# ---- PDF --------------------------------------------------------------------------------


def _pdf_summary(data: ReportData) -> list[Any]:
    """Title block, the verdict table and the rule table (page 1 onwards)."""
    st = pdf.styles()
    spec = default_spec()
    layers = data.layers_path.name if data.layers_path else "-"
    story: list[Any] = [
        pdf.para("Проверка участков по межрегиональной схеме", st["title"]),
        pdf.para(
            "Parcel check against the interregional scheme (decree No. 514, 13.08.2020)",
            st["subtitle"],
        ),
        pdf.para(
            f"Результаты / results: {data.results_path.name}; слои / layers: {layers}; "
            f"каталог правил / rule catalogue {data.summary.get('catalogue_version', '-')}; "
            f"{data.created}",
            st["meta"],
        ),
        pdf.Spacer(1, 6),
        pdf.para(f"Всего участков / Parcels checked: {data.n_parcels}", st["h2"]),
        pdf.para("По заключениям / By verdict", st["h2"]),
    ]
    bv = data.by_verdict
    rows = [
        (
            f"{spec.labels['verdict'][v].ru} / {spec.labels['verdict'][v].en}",
            pdf.number(n, 0),
            pdf.number(sh, 1),
            pdf.number(ha, 2),
        )
        for v, n, sh, ha in bv[["verdict", "parcels", "share_pct", "area_ha"]].itertuples(
            index=False
        )
    ]
    story.append(
        pdf.table(
            rows,
            VERDICT_HEADERS,
            (0.46, 0.18, 0.14, 0.22),
            numeric=(1, 2, 3),
            swatches=[spec.colours["verdict"][v] for v in bv["verdict"]],
        )
    )
    story += [pdf.para("По ограничениям / By restriction", st["h2"])]
    story += [pdf.para(RULE_TABLE_NOTE, st["meta"]), pdf.Spacer(1, 3)]
    if data.by_rule.empty:
        story.append(
            pdf.para(
                "Участки не пересекают зон ограничений. / No parcel touches a restriction.",
                st["body"],
            )
        )
    else:
        story.append(
            pdf.table(
                [_rule_cells(r, number=pdf.number) for r in data.by_rule.itertuples(index=False)],
                RULE_HEADERS,
                (0.35, 0.15, 0.11, 0.12, 0.12, 0.15),  # whole header words
                numeric=(2, 3, 4, 5),
            )
        )
    if data.n_left_out > 0:
        story.append(pdf.para(_left_out_note(data), st["note"]))
    return story


def _pdf_parcel(page: ParcelPage, layers: dict[str, gpd.GeoDataFrame]) -> list[Any]:
    """One prohibited parcel: heading, map, the zones it meets, the explanations."""

    st = pdf.styles()
    r = page.row
    story: list[Any] = [
        pdf.PageBreak(),
        pdf.para(f"Участок / Parcel {page.parcel_id}: запрещено / prohibited", st["h2"]),
        pdf.para(
            f"Назначение / use: {r.get('use_input')} ({r.get('use_class')}); площадь / area "
            f"{pdf.number(r.get('area_m2'), 0)} м²; решающее правило / deciding rule: "
            f"{rule_title(r.get('worst_rule_id'))} ({pdf.number(r.get('worst_share_pct'))} %)",
            st["body"],
        ),
        pdf.Spacer(1, 4),
    ]
    if page.geometry is not None:
        fig = parcel_figure(
            page.geometry,
            layers,
            hits=page.hits if isinstance(page.hits, gpd.GeoDataFrame) else None,
        )
        story.append(pdf.figure_image(fig, pdf.frame_width() * 0.92))
    hf = _hits_frame(page)
    if not hf.empty:
        shown = [c for c in PDF_HIT_COLUMNS if c in hf.columns]
        rows = [
            [
                rule_title(v)
                if c == "rule_id"
                else (pdf.number(v, PDF_HIT_DIGITS[c]) if c in PDF_HIT_DIGITS else v)
                for c, v in zip(shown, row, strict=True)
            ]
            for row in hf[shown].itertuples(index=False)
        ]
        widths = [PDF_HIT_WIDTHS[c] for c in shown]
        total = sum(widths)
        story.append(
            pdf.table(
                rows,
                [_HIT_HEADERS[c] for c in shown],
                [w / total for w in widths],
                numeric=[i for i, c in enumerate(shown) if c in PDF_HIT_DIGITS],
            )
        )
    story += [
        pdf.Spacer(1, 6),
        pdf.KeepTogether(
            [pdf.para("Пояснение", st["h2"]), pdf.para(r.get("explanation_ru"), st["body"])]
        ),
        pdf.KeepTogether(
            [pdf.para("Explanation", st["h2"]), pdf.para(r.get("explanation_en"), st["body"])]
        ),
    ]
    return story


PDF_HIT_COLUMNS = (
    "rule_id",
    "certainty",
    "regime",
    "overlap_m2",
    "share_pct",
    "distance_to_source_m",
)
PDF_HIT_WIDTHS = {
    "rule_id": 0.40,
    "certainty": 0.14,
    "regime": 0.12,
    "overlap_m2": 0.12,
    "share_pct": 0.10,
    "distance_to_source_m": 0.12,
}
PDF_HIT_DIGITS = {"overlap_m2": 0, "share_pct": 1, "distance_to_source_m": 0}


def render_pdf(data: ReportData, pdf_path: Path) -> None:
    """Write the report as an A4 PDF to ``pdf_path`` (a temporary path; see write_report).

    Page 1: the summary tables; then the map of all parcels by verdict; then one page per
    prohibited parcel (at most ``max_parcels``). Laid out by ReportLab (see
    :mod:`almaty_scheme.report.pdf`), so text never overlaps and nothing is cut.
    """

    layers = _layers(data)
    story = _pdf_summary(data)
    story += [
        pdf.PageBreak(),
        pdf.para("Обзорная карта / Overview map", pdf.styles()["h2"]),
        pdf.figure_image(
            results_figure(data.results_path, data.layers_path, lang="ru"), pdf.frame_width()
        ),
    ]
    for page in progress(data.pages, desc="PDF pages", unit="parcel"):
        story += _pdf_parcel(page, layers)
    pdf.build_pdf(
        pdf_path,
        story,
        title="Проверка участков / Parcel check",
        footer=data.attribution,
        subject=f"{data.results_path.name}: {data.n_parcels} parcels",
    )


# ---- entry point ------------------------------------------------------------------------


def write_report(
    results_gpkg: str | Path,
    out_html: str | Path,
    *,
    layers_gpkg: str | Path | None = None,
    pdf: str | Path | None = None,
    max_parcels: int = DEFAULT_MAX_PARCELS,
    overwrite: bool = False,
    dpi: int = 110,
) -> list[Path]:
    """Write the HTML report (and the PDF when ``pdf`` is given); return the paths.

    Parameters
    ----------
    results_gpkg
        Output of ``almaty-scheme check``.
    out_html
        The HTML file to write (``.html``).
    layers_gpkg
        The built GeoPackage, to draw the zones on the maps (optional).
    pdf
        Also write this PDF.
    max_parcels
        Pages for at most this many prohibited parcels (the rest are counted).
    overwrite
        Replace existing files.

    Raises
    ------
    UsageError
        On a bad file name or ``max_parcels`` < 0; :class:`OutputExistsError` if an output
        exists without ``overwrite`` (checked before any work).
    DataError
        If the results cannot be read.
    """
    out = Path(out_html)
    problems = []
    if out.suffix.lower() not in (".html", ".htm"):
        problems.append(f"{out.name}: the report must end in .html.")
    if pdf is not None and Path(pdf).suffix.lower() != ".pdf":
        problems.append(f"{Path(pdf).name}: the PDF must end in .pdf.")
    if max_parcels < 0:
        problems.append("--max-parcels must be 0 or more.")
    if problems:
        raise UsageError("cannot write the report", problems)
    check_writable(out, overwrite=overwrite)
    if pdf is not None:
        check_writable(pdf, overwrite=overwrite)
    data = collect(results_gpkg, layers_gpkg, max_parcels=max_parcels)
    written = []
    text = render_html(data, dpi=dpi)
    with atomic_path(out, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    written.append(out)
    if pdf is not None:
        with atomic_path(pdf, overwrite=overwrite) as tmp:
            render_pdf(data, tmp)
        written.append(Path(pdf))
    log.info(
        "wrote report %s (%d parcel pages, %d left out)",
        ", ".join(map(str, written)),
        len(data.pages),
        data.n_left_out,
    )
    return written


__all__ = [
    "DEFAULT_MAX_PARCELS",
    "ReportData",
    "collect",
    "render_html",
    "render_pdf",
    "write_report",
]
