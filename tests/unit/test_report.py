"""The check report: self-contained HTML, PDF, summary tables, capped parcel pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from almaty_scheme.cli import main
from almaty_scheme.errors import DataError, OutputExistsError, UsageError
from almaty_scheme.qgis.sample import write_sample
from almaty_scheme.report.check_report import collect, write_report


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
    assert rules.loc["roads.sample", "prohibited"] == 1
    assert rules.loc["water_protection.sample_zone", "prohibited"] == 0
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
