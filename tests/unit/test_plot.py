"""Maps: symbol matching, cartographic furniture, PNG/PDF output."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import pytest
import shapely
from matplotlib.figure import Figure
from pyproj import Transformer

from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.errors import DataError, OutputExistsError, UsageError
from almaty_scheme.plot import (
    CONTEXT_ZONE,
    _matches,
    add_scale_bar,
    draw_layer,
    grid_convergence_deg,
    label_name,
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


def test_scale_bar_is_metric_and_draws_no_box_over_the_map() -> None:
    fig, ax = plt.subplots()
    ax.set_xlim(0, 20_000)
    ax.set_ylim(0, 20_000)
    bar = add_scale_bar(ax)
    fig.canvas.draw()
    assert bar in ax.artists
    assert bar.dx == 1.0 and bar.units == "m"  # one data unit (EPSG:32643) is one metre
    assert bar.frameon is False
    assert bar.scale_formatter(25, "km") == "25 км"  # the map's language (default ru)
    assert add_scale_bar(ax, lang="en").scale_formatter(500, "m") == "500 m"
    plt.close(fig)


def _lab(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour blended at ``alpha`` over white."""
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    rgb = [alpha * c + (1 - alpha) for c in rgb]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def test_verdict_colours_stand_out_from_the_results_map_background() -> None:
    """Every verdict colour differs from every zone/context fill of the results map by
    a CIE76 colour difference of at least 25 (clearly different at a glance)."""
    from almaty_scheme.qgis.spec import VERDICTS, default_spec

    spec = default_spec()
    background = [_lab(CONTEXT_ZONE.colour, CONTEXT_ZONE.opacity), _lab("#ffffff")]
    water = spec.layers["base_water_bodies"].symbol
    assert water is not None
    background.append(_lab(water.colour, water.opacity))
    for v in VERDICTS:
        c = _lab(spec.colours["verdict"][v])
        for b in background:
            assert sum((p - q) ** 2 for p, q in zip(c, b, strict=True)) ** 0.5 >= 25, v


def test_labels_use_one_script_per_map() -> None:
    row = {"scheme_name": "Талгар", "name_ru": "Талгар", "name_en": None, "name": "Talgar"}
    assert label_name(row, "ru") == "Талгар"
    assert label_name(row, "en") == "Talgar"  # transliterated (Wikipedia system)
    row = {"scheme_name": None, "name_ru": "Рыскулов", "name_en": "Ryskulov, Almaty"}
    assert label_name(row, "en") == "Ryskulov"
    assert label_name({"name_ru": "Есик", "name_en": "Есік"}, "en") == "Yesik"


def test_settlement_labels_are_not_repeated(tmp_path: Path) -> None:
    from almaty_scheme.plot import _label_points

    pts = gpd.GeoDataFrame(
        {"name_ru": ["Шамалган", "Шамалган", "Каскелен"], "pop_2018": [9000, 3000, 60000]},
        geometry=[shapely.Point(0, 0), shapely.Point(5000, 0), shapely.Point(0, 5000)],
        crs=WORKING_CRS,
    )
    fig, ax = plt.subplots()
    assert _label_points(ax, pts, None, lang="ru") == ["Каскелен", "Шамалган"]
    assert _label_points(ax, pts, None, lang="en") == ["Kaskelen", "Shamalgan"]
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
    svg = overview_map(sample[0], tmp_path / "o.svg")
    assert b"<svg" in svg.read_bytes()[:400]
    with pytest.raises(UsageError):
        overview_map(sample[0], tmp_path / "o.tif")
    with pytest.raises(DataError):
        overview_map(tmp_path / "missing.gpkg", tmp_path / "m.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.pdf", "o.png", "o.svg"]


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


def test_overlapping_settlement_labels_keep_the_larger_place() -> None:
    """Two names 300 m apart on a 50 km map overlap: the more populous keeps its label;
    a third 20 km away is kept."""
    from almaty_scheme.plot import _label_points, declutter_labels

    pts = gpd.GeoDataFrame(
        {"name_ru": ["Шамалган", "Каскелен", "Талгар"], "pop_2018": [9000, 60000, 50000]},
        geometry=[shapely.Point(0, 0), shapely.Point(300, 200), shapely.Point(20_000, 0)],
        crs=WORKING_CRS,
    )
    fig = Figure(figsize=(6, 6))
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.set_xlim(-25_000, 25_000)
    ax.set_ylim(-25_000, 25_000)
    ax.set_aspect("equal")
    assert _label_points(ax, pts, None, lang="ru") == ["Каскелен", "Талгар", "Шамалган"]
    assert declutter_labels(ax) == ["Шамалган"]
    shown = [t.get_text() for t in ax.texts if t.get_visible()]
    assert shown == ["Каскелен", "Талгар"]


def test_russian_map_has_russian_north_and_attribution() -> None:
    from almaty_scheme.plot import NORTH, attribution_line

    assert NORTH == {"ru": "С", "en": "N"}
    ru = attribution_line(None, "ru")
    assert ru.startswith("Использованы данные:") and "© участники OpenStreetMap" in ru
    assert "Contains data" not in ru and "contributors" not in ru
    assert attribution_line(None, "en").startswith("Contains data from:")
