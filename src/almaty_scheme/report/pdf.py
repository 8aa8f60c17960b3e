"""The check report as an A4 PDF, laid out by ReportLab's Platypus.

Why ReportLab: its flowables (paragraphs, tables whose cells wrap, images) are placed by
a frame that breaks pages itself, so no text is placed by hand and nothing can overlap:
long rule titles wrap inside their cell, a table longer than a page continues on the
next with its header repeated, and the attribution footer is drawn in the page margin,
outside the frame the content flows in. It is pure Python (wheels on PyPI) and needs no
system libraries, unlike HTML-to-PDF engines that need Pango.

Fonts: DejaVu Sans (Cyrillic and Latin), the TTF that matplotlib ships.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from almaty_scheme import __version__

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
MARGIN = 15 * mm
FOOTER_H = 14 * mm
"""Height of the page margin reserved for the footer (attribution, page number)."""


def register_fonts() -> None:
    """Register DejaVu Sans (regular, bold) from matplotlib's font folder, once."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    ttf = Path(mpl.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(ttf / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(ttf / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles of the report (sizes in points); registers the fonts."""
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11)
    return {
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=15, leading=19),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=11, leading=14, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2", base, fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "meta": ParagraphStyle("meta", base, fontSize=7.5, leading=9.5, textColor="#555555"),
        "body": base,
        "note": ParagraphStyle(
            "note", base, backColor="#fff8e1", borderPadding=4, spaceBefore=6, spaceAfter=6
        ),
        "cell": ParagraphStyle("cell", base, fontSize=7, leading=8.6),
        "cell_num": ParagraphStyle("cell_num", base, fontSize=7, leading=8.6, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", base, fontName=FONT_BOLD, fontSize=7, leading=8.6),
        "head_num": ParagraphStyle(
            "head_num", base, fontName=FONT_BOLD, fontSize=7, leading=8.6, alignment=TA_RIGHT
        ),
    }


def para(text: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; ``None``/NaN give an empty one)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        text = ""
    return Paragraph(escape(str(text)), style)


def number(value: Any, digits: int = 1) -> str:
    """``1 234.5`` with a narrow no-break space as the thousands separator."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if pd.isna(f):
        return ""
    return f"{f:,.{digits}f}".replace(",", "\u202f")


def table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    widths: Sequence[float],
    *,
    numeric: Sequence[int] = (),
    swatches: Sequence[str | None] | None = None,
) -> Table:
    """A table whose cells wrap, with the header repeated on every page it spans.

    ``widths`` are fractions of the frame width; ``numeric`` the right-aligned columns;
    ``swatches`` an optional fill colour per row for the first cell.
    """
    st = styles()
    frame_w = A4[0] - 2 * MARGIN
    swatch = 4 * mm if swatches else 0.0
    data: list[list[Any]] = [
        [para(h, st["head_num"] if i in numeric else st["head"]) for i, h in enumerate(headers)]
    ]
    for r in rows:
        data.append(
            [para(v, st["cell_num"] if i in numeric else st["cell"]) for i, v in enumerate(r)]
        )
    col_widths = [w * (frame_w - swatch) for w in widths]
    if swatches:
        data = [["", *row] for row in data]
        col_widths = [swatch, *col_widths]
    t = Table(data, colWidths=col_widths, repeatRows=1)
    cmds: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b0b0b0")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for i, colour in enumerate(swatches or []):
        if colour:
            cmds.append(("BACKGROUND", (0, i + 1), (0, i + 1), colors.HexColor(colour)))
    t.setStyle(TableStyle(cmds))
    return t


def figure_image(fig: Figure, width: float, dpi: int = 130) -> Image:
    """A matplotlib figure as a PNG flowable ``width`` points wide (aspect kept)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    buf.seek(0)
    w_in, h_in = fig.get_size_inches()
    return Image(buf, width=width, height=width * h_in / w_in)


def frame_width() -> float:
    """Width of the content frame in points."""
    return float(A4[0] - 2 * MARGIN)


def build_pdf(
    path: Path, story: list[Flowable], *, title: str, footer: str, subject: str = ""
) -> None:
    """Lay out ``story`` on A4 pages with the attribution ``footer`` in the bottom margin."""
    register_fonts()
    st = styles()
    foot = ParagraphStyle("foot", st["meta"], fontSize=6, leading=7.4)

    def on_page(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        p = Paragraph(escape(f"{footer} almaty-scheme {__version__}. — {doc.page}"), foot)
        _w, h = p.wrap(frame_width(), FOOTER_H)
        p.drawOn(canvas, MARGIN, max(4 * mm, (FOOTER_H - h) / 2 + 2 * mm))
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER_H,
        title=title,
        author=f"almaty-scheme {__version__}",
        subject=subject,
        creator=f"almaty-scheme {__version__}",
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


__all__ = [
    "FONT",
    "KeepTogether",
    "PageBreak",
    "Spacer",
    "build_pdf",
    "figure_image",
    "frame_width",
    "number",
    "para",
    "register_fonts",
    "styles",
    "table",
]
