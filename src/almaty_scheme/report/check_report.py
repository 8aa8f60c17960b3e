"""The report of a parcel check: one self-contained HTML file and a PDF, in Russian and English.

Contents, in both formats:

1. the summary: parcels and area by verdict, and by restriction (rule): how many parcels
   each rule touches, how many it makes prohibited, the overlap area;
2. the overview map of the checked parcels by verdict over the restriction layers;
3. one page per prohibited parcel (the first ``max_parcels`` by parcel order; the report
   says how many were left out): a zoomed map, the table of zones it touches and the
   checker's explanation in Russian and English.

The HTML needs no internet: CSS is inline and every image is embedded as a base64 PNG;
the file contains no external URL. The PDF is written by matplotlib (``PdfPages``) and
needs no system service. Both are written atomically.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import logging
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from almaty_scheme import __version__
from almaty_scheme.errors import DataError, UsageError
from almaty_scheme.io.atomic import atomic_path, check_writable
from almaty_scheme.progress import progress
from almaty_scheme.qgis.spec import VERDICTS, default_spec

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
    n = len(parcels)
    area = (
        pd.to_numeric(parcels["area_m2"], errors="coerce")
        if "area_m2" in parcels
        else pd.Series(0.0, index=parcels.index)
    )
    counts = parcels["verdict"].value_counts()
    by_verdict = pd.DataFrame(
        {
            "verdict": list(VERDICTS),
            "parcels": [int(counts.get(v, 0)) for v in VERDICTS],
            "share_pct": [100.0 * counts.get(v, 0) / n if n else 0.0 for v in VERDICTS],
            "area_ha": [float(area[parcels["verdict"] == v].sum()) / 10_000 for v in VERDICTS],
        }
    )
    by_rule = _by_rule(parcels, hits)
    prohibited = parcels[parcels["verdict"] == "prohibited"]
    chosen = prohibited.head(max(max_parcels, 0))
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
        pages.append(ParcelPage(pid, row.to_dict(), ph, g))
    from almaty_scheme.qgis.project import attribution_text

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
    cols = ["rule_id", "family", "parcels", "prohibited", "overlap_ha"]
    if hits.empty or "rule_id" not in hits.columns:
        return pd.DataFrame(columns=cols)
    worst = (
        parcels.set_index("parcel_id")["worst_rule_id"]
        if "worst_rule_id" in parcels
        else pd.Series(dtype="string")
    )
    verdict = parcels.set_index("parcel_id")["verdict"]
    rows = []
    for rule, grp in hits.groupby("rule_id", sort=True):
        ids = grp["parcel_id"].unique()
        v = verdict.reindex(ids)
        w = worst.reindex(ids) if len(worst) else pd.Series(index=ids, dtype="string")
        rows.append(
            {
                "rule_id": rule,
                "family": str(grp["family"].iloc[0]) if "family" in grp else "",
                "parcels": len(ids),
                "prohibited": int(((v == "prohibited") & (w == rule)).sum()),
                "overlap_ha": _sum(grp, "overlap_m2") / 10_000,
            }
        )
    return pd.DataFrame(rows, columns=cols).sort_values(["prohibited", "parcels"], ascending=False)


# ---- figures -----------------------------------------------------------------------------


def _png(fig: Figure, dpi: int) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _layers(data: ReportData) -> dict[str, gpd.GeoDataFrame]:
    if data.layers_path is None:
        return {}
    from almaty_scheme.plot import read_layers

    return read_layers(data.layers_path)


# ---- HTML -------------------------------------------------------------------------------

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:1100px;color:#1a1a1a;
line-height:1.4;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{border-bottom:2px solid #ccc;padding-bottom:.2em;
margin-top:2em}h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}
.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid #333;margin-right:.4em;
vertical-align:middle}
.meta{color:#555;font-size:.85em}.note{background:#fff8e1;border-left:4px solid #f0a30a;
padding:.5em 1em}
.parcel{page-break-before:always;border-top:1px solid #ddd;margin-top:2em}
.explain{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.explain div{background:#f7f7f7;padding:.6em 1em;border-radius:4px}
img{max-width:100%;height:auto;border:1px solid #ddd}
footer{margin-top:3em;color:#555;font-size:.8em}
"""


def _e(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return html.escape(str(v))


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
) -> str:
    nums = set(numeric)
    digits = digits or {}
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in df.columns:
            if c in nums:
                cells.append(f'<td class="num">{_fmt(r[c], digits.get(c, 1))}</td>')
            else:
                cells.append(f"<td>{r[c] if c == '_html' else _e(r[c])}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _verdict_table(data: ReportData) -> str:
    spec = default_spec()
    df = data.by_verdict.copy()
    df.insert(
        0,
        "_html",
        [
            f'<span class="swatch" style="background:{spec.colours["verdict"][v]}"></span>'
            f"{html.escape(spec.labels['verdict'][v].ru)} / {html.escape(spec.labels['verdict'][v].en)}"
            for v in df["verdict"]
        ],
    )
    df = df.drop(columns=["verdict"])
    return _table(
        df,
        [
            "Заключение / Verdict",
            "Участков / Parcels",
            "Доля, % / Share, %",
            "Площадь, га / Area, ha",
        ],
        numeric=["parcels", "share_pct", "area_ha"],
        digits={"parcels": 0, "share_pct": 1, "area_ha": 2},
    )


def _rule_table(data: ReportData) -> str:
    if data.by_rule.empty:
        return "<p>Участки не пересекают зон ограничений. / No parcel touches a restriction.</p>"
    return _table(
        data.by_rule,
        [
            "Правило / Rule",
            "Семейство / Family",
            "Участков / Parcels",
            "Запрещено этим правилом / Prohibited by it",
            "Пересечение, га / Overlap, ha",
        ],
        numeric=["parcels", "prohibited", "overlap_ha"],
        digits={"parcels": 0, "prohibited": 0, "overlap_ha": 3},
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
    """The report as one self-contained HTML document."""
    from almaty_scheme.plot import parcel_figure, results_figure

    layers = _layers(data)
    overview = _png(results_figure(data.results_path, data.layers_path), dpi)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ru"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Проверка участков / Parcel check: {_e(data.results_path.name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Проверка участков по межрегиональной схеме / Parcel check against the "
        "interregional scheme</h1>",
        f'<p class="meta">Алматинская агломерация, постановление № 514 от 13.08.2020 / Almaty '
        f"agglomeration, decree No. 514 of 13 Aug 2020. Результаты / results: "
        f"<code>{_e(data.results_path.name)}</code>"
        + (f", слои / layers: <code>{_e(data.layers_path.name)}</code>" if data.layers_path else "")
        + (
            f", каталог правил / rule catalogue {_e(data.summary.get('catalogue_version'))}"
            if data.summary.get("catalogue_version")
            else ""
        )
        + f". {_e(data.created)}.</p>",
        "<h2>Сводка / Summary</h2>",
        f"<p>Всего участков / Parcels checked: <b>{data.n_parcels}</b>.</p>",
        "<h3>По заключениям / By verdict</h3>",
        _verdict_table(data),
        "<h3>По ограничениям / By restriction</h3>",
        _rule_table(data),
        "<h2>Обзорная карта / Overview map</h2>",
        f'<img alt="overview map of the parcels by verdict" src="data:image/png;base64,{overview}">',
        f"<h2>Запрещённые участки / Prohibited parcels ({data.n_prohibited})</h2>",
    ]
    if data.n_left_out > 0:
        parts.append(
            f'<p class="note">Показаны первые {len(data.pages)} из {data.n_prohibited} '
            f"запрещённых участков; ещё {data.n_left_out} не показаны (см. слой parcels). / "
            f"The first {len(data.pages)} of {data.n_prohibited} prohibited parcels are shown; "
            f"{data.n_left_out} more are left out (see the parcels layer).</p>"
        )
    if not data.pages:
        parts.append("<p>Запрещённых участков нет. / No parcel is prohibited.</p>")
    for page in progress(data.pages, desc="report pages", unit="parcel"):
        parts.append(_parcel_html(page, layers, parcel_figure, dpi))
    parts.append(f"<footer>{_e(data.attribution)} almaty-scheme {__version__}.</footer>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _parcel_html(
    page: ParcelPage, layers: dict[str, gpd.GeoDataFrame], parcel_figure: Any, dpi: int
) -> str:
    r = page.row
    out = [
        f'<section class="parcel"><h3>Участок / Parcel {_e(page.parcel_id)}</h3>',
        f"<p>Назначение / Use: {_e(r.get('use_input'))} ({_e(r.get('use_class'))}); "
        f"площадь / area: {_fmt(r.get('area_m2'), 0)} м²; наиболее строгое правило / "
        f"worst rule: <code>{_e(r.get('worst_rule_id'))}</code> "
        f"({_fmt(r.get('worst_share_pct'))} %).</p>",
    ]
    if page.geometry is not None:
        fig = parcel_figure(
            page.geometry,
            layers,
            hits=page.hits if isinstance(page.hits, gpd.GeoDataFrame) else None,
            title=f"{page.parcel_id}",
        )
        out.append(
            f'<img alt="map of parcel {_e(page.parcel_id)}" '
            f'src="data:image/png;base64,{_png(fig, dpi)}">'
        )
    hf = _hits_frame(page)
    if not hf.empty:
        out.append(
            _table(
                hf,
                [_HIT_HEADERS[c] for c in hf.columns],
                numeric=[
                    c
                    for c in ("overlap_m2", "share_pct", "distance_to_source_m")
                    if c in hf.columns
                ],
                digits={"overlap_m2": 0, "share_pct": 1, "distance_to_source_m": 0},
            )
        )
    out.append(
        '<div class="explain">'
        f"<div><b>Пояснение</b><br>{_e(r.get('explanation_ru'))}</div>"
        f"<div><b>Explanation</b><br>{_e(r.get('explanation_en'))}</div></div>"
    )
    out.append("</section>")
    return "\n".join(out)


# ---- PDF --------------------------------------------------------------------------------

A4_PORTRAIT = (8.27, 11.69)


def _text_page(fig: Figure, lines: list[tuple[str, float, str]], top: float = 0.95) -> float:
    y = top
    for text, size, weight in lines:
        for chunk in textwrap.wrap(text, int(95 * 9 / size)) or [""]:
            fig.text(0.07, y, chunk, fontsize=size, fontweight=weight, va="top")
            y -= size / 72 / A4_PORTRAIT[1] * 1.45
        y -= 0.006
    return y


def _mpl_table(
    fig: Figure,
    df: pd.DataFrame,
    headers: Sequence[str],
    top: float,
    height_per_row: float = 0.022,
    font: float = 7,
) -> float:
    if df.empty:
        return top
    rows = [[_plain(v) for v in r] for r in df.itertuples(index=False)]
    h = height_per_row * (len(rows) + 1)
    ax = fig.add_axes((0.07, top - h, 0.86, h))
    ax.axis("off")
    lengths = [max([len(str(h)) * 0.8] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    widths = [max(n, 6) / sum(max(m, 6) for m in lengths) for n in lengths]
    tbl = ax.table(
        cellText=rows,
        colLabels=list(headers),
        loc="upper left",
        cellLoc="left",
        colLoc="left",
        colWidths=widths,
    )
    tbl.auto_set_font_size(False)
    tbl.set_fontsize(font)
    for (r, _c), cell in tbl.get_celld().items():
        cell.set_height(1.0 / (len(rows) + 1))
        cell.set_linewidth(0.3)
        if r == 0:
            cell.set_facecolor("#eeeeee")
    return top - h - 0.02


def _plain(v: Any) -> str:
    if isinstance(v, float):
        return "" if pd.isna(v) else f"{v:,.1f}".replace(",", " ")
    return "" if v is None else textwrap.shorten(str(v), 48, placeholder="…")


def render_pdf(data: ReportData, pdf_path: Path) -> None:
    """Write the report as a PDF (A4) to ``pdf_path`` (a temporary path; see write_report)."""
    from almaty_scheme.plot import draw_parcel_map, results_figure

    layers = _layers(data)
    spec = default_spec()
    with PdfPages(
        pdf_path,
        metadata={
            "Title": "Parcel check / Проверка участков",
            "Creator": f"almaty-scheme {__version__}",
        },
    ) as pdf:
        fig = Figure(figsize=A4_PORTRAIT)
        y = _text_page(
            fig,
            [
                ("Проверка участков по межрегиональной схеме", 15, "bold"),
                (
                    "Parcel check against the interregional scheme (decree No. 514, 13.08.2020)",
                    11,
                    "normal",
                ),
                (
                    f"Results: {data.results_path.name}; layers: "
                    f"{data.layers_path.name if data.layers_path else '-'}; "
                    f"catalogue {data.summary.get('catalogue_version', '-')}; {data.created}",
                    7.5,
                    "normal",
                ),
                (f"Всего участков / Parcels checked: {data.n_parcels}", 10, "bold"),
                ("По заключениям / By verdict", 11, "bold"),
            ],
        )
        bv = data.by_verdict.copy()
        bv["verdict"] = [
            f"{spec.labels['verdict'][v].ru} / {spec.labels['verdict'][v].en}"
            for v in bv["verdict"]
        ]
        y = _mpl_table(
            fig, bv, ["Заключение / Verdict", "Участков / Parcels", "Доля, %", "Площадь, га"], y
        )
        y = _text_page(fig, [("По ограничениям / By restriction", 11, "bold")], top=y)
        br = data.by_rule.head(25)
        y = _mpl_table(
            fig, br, ["Правило / Rule", "Семейство", "Участков", "Запрещено", "Пересечение, га"], y
        )
        notes = []
        if len(data.by_rule) > 25:
            notes.append(
                (
                    f"... and {len(data.by_rule) - 25} more rules (see the HTML report).",
                    7.0,
                    "normal",
                )
            )
        if data.n_left_out > 0:
            notes.append(
                (
                    f"Показаны первые {len(data.pages)} из {data.n_prohibited} запрещённых "
                    f"участков; ещё {data.n_left_out} не показаны. / The first {len(data.pages)} "
                    f"of {data.n_prohibited} prohibited parcels follow; {data.n_left_out} more "
                    "are left out.",
                    9.0,
                    "bold",
                )
            )
        if notes:
            _text_page(fig, notes, top=y)
        fig.text(0.07, 0.02, textwrap.fill(data.attribution, 150), fontsize=5.5, color="#444")
        pdf.savefig(fig)
        ov = results_figure(data.results_path, data.layers_path)
        pdf.savefig(ov)
        for page in progress(data.pages, desc="PDF pages", unit="parcel"):
            fig = Figure(figsize=A4_PORTRAIT)
            r = page.row
            y = _text_page(
                fig,
                [
                    (f"Участок / Parcel {page.parcel_id}: запрещено / prohibited", 13, "bold"),
                    (
                        f"Use: {r.get('use_input')} ({r.get('use_class')}); area "
                        f"{_plain(r.get('area_m2'))} m²; worst rule {r.get('worst_rule_id')} "
                        f"({_plain(r.get('worst_share_pct'))} %)",
                        8,
                        "normal",
                    ),
                ],
            )
            if page.geometry is not None:
                ax = fig.add_axes((0.1, y - 0.42, 0.55, 0.4))
                handles = draw_parcel_map(
                    ax,
                    page.geometry,
                    layers,
                    hits=page.hits if isinstance(page.hits, gpd.GeoDataFrame) else None,
                )
                fig.legend(
                    handles=handles,
                    loc="upper left",
                    bbox_to_anchor=(0.68, y - 0.02),
                    fontsize=5.5,
                    frameon=False,
                )
                y -= 0.47
            hf = _hits_frame(page).head(15)
            shown = [
                c
                for c in ("rule_id", "zone_name", "certainty", "regime", "overlap_m2", "share_pct")
                if c in hf.columns
            ]
            y = _mpl_table(
                fig, hf[shown], [_HIT_HEADERS[c].split(" / ")[1] for c in shown], y, font=6.5
            )
            _text_page(
                fig,
                [
                    ("Пояснение", 9, "bold"),
                    (str(r.get("explanation_ru") or ""), 8, "normal"),
                    ("Explanation", 9, "bold"),
                    (str(r.get("explanation_en") or ""), 8, "normal"),
                ],
                top=y,
            )
            pdf.savefig(fig)


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
