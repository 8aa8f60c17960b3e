"""The check report: self-contained HTML, PDF, summary tables, capped parcel pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from almaty_scheme.cli import main
from almaty_scheme.errors import DataError, OutputExistsError, UsageError
from almaty_scheme.qgis.sample import write_sample
from almaty_scheme.report.check_report import _TEMPLATES, _table, collect, write_report


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("report")
    return write_sample(d / "layers.gpkg"), write_sample(d / "results.gpkg", results=True)


def test_tables(sample: tuple[Path, Path]) -> None:
    data = collect(sample[1], sample[0], max_parcels=2)
    assert data.n_parcels == 8
    assert dict(zip(data.by_verdict.verdict, data.by_verdict.parcels, strict=True)) == {
        "prohibited": 3,
        "conditional": 1,
        "clear": 2,
        "outside": 1,
        "invalid_input": 1,
    }
    # 7 parcels of 120 m x 120 m with geometry: 1.44 ha each
    assert data.by_verdict.set_index("verdict").area_ha["prohibited"] == pytest.approx(4.32)
    rules = data.by_rule.set_index("rule_id")
    # P-1 has two roads.sample hits (certain + possible band), both prohibited: one parcel
    assert rules.loc["roads.sample", ["regime_prohibited", "decisive"]].tolist() == [1, 1]
    # P-2's water zone is conditional for its use: touched, neither prohibiting nor deciding
    assert rules.loc[
        "water_protection.sample_zone", ["parcels", "regime_prohibited", "decisive"]
    ].tolist() == [1, 0, 0]
    # P-1 sits across the road: 7 200 m2 certain + 3 000 m2 possible band
    assert rules.loc["roads.sample", "overlap_ha"] == pytest.approx(1.02)
    assert [p.parcel_id for p in data.pages] == ["P-1", "P-5"]
    assert data.n_prohibited == 3 and data.n_left_out == 1


def test_html_is_self_contained_and_pdf_has_pages(
    sample: tuple[Path, Path], tmp_path: Path
) -> None:
    html_path, pdf_path = tmp_path / "r.html", tmp_path / "r.pdf"
    written = write_report(
        sample[1], html_path, layers_gpkg=sample[0], pdf=pdf_path, max_parcels=2, dpi=40
    )
    assert written == [html_path, pdf_path]
    text = html_path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "<script" not in text and "url(" not in text
    assert text.count('src="data:image/png;base64,') == 3  # overview + 2 parcels
    assert "Участок / Parcel P-1" in text and "Участок / Parcel P-5" in text
    assert "Parcel P-6" not in text
    assert "1 more are left out" in text
    assert "Участок P-1: prohibited" in text and "Parcel P-1: prohibited" in text
    assert "OpenStreetMap" in text
    pdf = pdf_path.read_bytes()
    assert pdf[:5] == b"%PDF-"
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 4  # summary, map, 2 parcels


def test_no_pages_when_capped_at_zero(sample: tuple[Path, Path], tmp_path: Path) -> None:
    out = write_report(sample[1], tmp_path / "r.html", max_parcels=0, dpi=40)[0]
    text = out.read_text(encoding="utf-8")
    assert text.count("base64,") == 1
    assert "3 more are left out" in text


def test_errors_before_work(sample: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        write_report(sample[1], tmp_path / "r.txt", pdf=tmp_path / "r.png", max_parcels=-1)
    assert len(err.value.problems) == 3
    with pytest.raises(DataError):
        write_report(tmp_path / "missing.gpkg", tmp_path / "r.html")
    with pytest.raises(DataError) as err2:
        write_report(sample[0], tmp_path / "r.html")  # the layers, not a check result
    assert "parcels" in str(err2.value)
    existing = tmp_path / "exists.html"
    existing.write_text("keep", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        write_report(sample[1], existing)
    assert existing.read_text(encoding="utf-8") == "keep"


def test_cli(sample: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    args = ["report", str(sample[1]), "--out", str(out), "--max-parcels", "1"]
    assert main(args) == 0
    assert out.is_file()
    assert main(args) == 2
    assert main(["report", str(tmp_path / "nope.gpkg"), "--out", str(tmp_path / "n.html")]) == 1


def _overlapping_words(page: Any) -> list[tuple[str, str]]:
    """Pairs of words on a PDF page whose boxes overlap by more than 0.5 pt both ways."""
    words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
    out = []
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if dx > 0.5 and dy > 0.5:
                out.append((a["text"], b["text"]))
    return out


def test_pdf_text_never_overlaps_and_nothing_is_cut(
    sample: tuple[Path, Path], tmp_path: Path
) -> None:
    """Render the PDF's text boxes: no two words overlap on any page (the left-out note
    and the attribution footer used to print over each other), rule titles appear in full
    and column headers are not cut."""
    import pdfplumber

    pdf_path = tmp_path / "r.pdf"
    write_report(sample[1], tmp_path / "r.html", layers_gpkg=sample[0], pdf=pdf_path,
                 max_parcels=1, dpi=40)  # fmt: skip
    with pdfplumber.open(pdf_path) as doc:
        assert len(doc.pages) >= 3
        for page in doc.pages:
            assert _overlapping_words(page) == [], f"page {page.page_number}"
        first = " ".join((doc.pages[0].extract_text() or "").split())
        words = {w["text"].strip("/,") for w in doc.pages[0].extract_words()}
    assert "Запрещено / Prohibited" in first
    # column headers wrap inside their cells instead of being cut
    assert {"Решает", "запрет", "Decides", "ban", "Участков", "зоне", "Parcels"} <= words
    # ... and whole words: "Пересечени" + "е," once broke inside the word
    assert {"Пересечение", "Overlap", "Площадь", "Семейство", "Family"} <= words
    assert "Показаны первые 1 из 3" in first
    assert "…" not in first


def test_html_template_escapes_every_value() -> None:
    """The Jinja2 template autoescapes: a parcel id or rule title with markup is text."""
    table = _table(
        pd.DataFrame({"a": ['<script>alert("x")</script>'], "n": [1234.5]}),
        ["A&B", "N"],
        numeric=["n"],
    )
    html = _TEMPLATES.get_template("macros.html.j2").module.table(table)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<th>A&amp;B</th>" in html
    assert '<td class="num">1\u202f234.5</td>' in html
