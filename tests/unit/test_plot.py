"""Maps: symbol matching, cartographic furniture, PNG/PDF output."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import pytest
import shapely
from pyproj import Transformer

from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError, OutputExistsError, UsageError
from almaty_scheme.plot import (
    _matches,
    _nice_length,
    add_scale_bar,
    draw_layer,
    grid_convergence_deg,
    overview_map,
    results_figure,
    results_map,
)
from almaty_scheme.qgis.sample import write_sample
from almaty_scheme.qgis.spec import style_classes


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("plot")
    return write_sample(d / "layers.gpkg"), write_sample(d / "results.gpkg", results=True)


def test_else_class_takes_what_no_sibling_took() -> None:
    gdf = gpd.GeoDataFrame(
        {"certainty": ["certain", "possible", None, "odd"]},
        geometry=[shapely.box(0, 0, 1, 1)] * 4,
        crs=WORKING_CRS,
    )
    classes = style_classes("road_corridors")
    got = [list(_matches(gdf, c, classes)) for c in classes]
    assert got == [
        [True, False, False, False],
        [False, True, False, False],
        [False, False, True, True],
    ]


def test_draw_layer_returns_handles_for_drawn_classes_only() -> None:
    gdf = gpd.GeoDataFrame(
        {"functional_group": ["limited"], "certainty": ["certain"]},
        geometry=[shapely.box(0, 0, 10, 10)],
        crs=WORKING_CRS,
    )
    fig, ax = plt.subplots()
    handles = draw_layer(ax, "functional_zones", gdf, lang="ru")
    plt.close(fig)
    assert [h.get_label() for h in handles] == ["Функциональные зоны: 3 Ограниченное освоение"]


@pytest.mark.parametrize(
    ("span", "expected"), [(20_000, 5_000), (180_000, 50_000), (900, 200), (3_000, 500)]
)
def test_scale_bar_lengths_are_round(span: float, expected: float) -> None:
    assert _nice_length(span) == expected
    fig, ax = plt.subplots()
    ax.set_xlim(0, span)
    ax.set_ylim(0, span)
    assert add_scale_bar(ax) == expected
    plt.close(fig)


def test_north_arrow_follows_grid_convergence() -> None:
    """gamma = atan(tan(lon - 75) sin(lat)): 0 on the central meridian, 1.37 deg at 77 E."""
    to_xy = Transformer.from_crs(4326, WORKING_CRS, always_xy=True)
    assert grid_convergence_deg(*to_xy.transform(75.0, 43.2)) == pytest.approx(0.0, abs=1e-6)
    assert grid_convergence_deg(*to_xy.transform(77.0, 43.2)) == pytest.approx(1.369, abs=0.005)


def test_overview_png_and_pdf(sample: tuple[Path, Path], tmp_path: Path) -> None:
    png = overview_map(sample[0], tmp_path / "o.png", dpi=40)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = overview_map(sample[0], tmp_path / "o.pdf", title="Обзор")
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 10_000
    with pytest.raises(OutputExistsError):
        overview_map(sample[0], png)
    with pytest.raises(UsageError):
        overview_map(sample[0], tmp_path / "o.svg")
    with pytest.raises(DataError):
        overview_map(tmp_path / "missing.gpkg", tmp_path / "m.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.pdf", "o.png"]


def test_results_map_legend_counts_verdicts(sample: tuple[Path, Path], tmp_path: Path) -> None:
    fig = results_figure(sample[1], sample[0], lang="en")
    labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    plt.close(fig)
    assert labels[:5] == [
        "Prohibited: 3",
        "Conditional: 1",
        "Clear: 2",
        "Outside: 1",
        "Invalid input: 1",
    ]
    out = results_map(sample[1], None, tmp_path / "r.png", dpi=40)
    assert out.is_file()
    with pytest.raises(DataError):
        results_map(sample[0], None, tmp_path / "x.png")
