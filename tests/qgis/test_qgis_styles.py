"""The styles, the styled GeoPackage and the .qgz, opened by the real QGIS 3.22."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from almaty_scheme.qgis.project import write_project
from almaty_scheme.qgis.qml import class_filter
from almaty_scheme.qgis.sample import write_sample
from almaty_scheme.qgis.spec import default_spec, field_aliases, style_classes
from almaty_scheme.resources import styles_dir

pytestmark = pytest.mark.qgis

RENDERER = {
    "single": "singleSymbol",
    "certainty": "categorizedSymbol",
    "categories": "categorizedSymbol",
    "rules": "RuleRenderer",
    "groups": "RuleRenderer",
}

GROUPS = [
    "Результаты проверки",
    "1 Интенсивное освоение",
    "2 Экстенсивное освоение",
    "3 Ограниченное освоение",
    "4 Особый режим",
    "Базовые данные",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("qgis_sample")
    return write_sample(d / "layers.gpkg"), write_sample(d / "results.gpkg", results=True)


def assert_renderer_matches_spec(layer: str, got: dict[str, Any]) -> None:
    """QGIS's renderer of ``layer`` is the one styles/styles.yaml describes."""
    spec = default_spec()
    st = spec.layer(layer)
    assert got is not None, layer
    assert got["type"] == RENDERER[st.renderer], layer
    classes = style_classes(layer, spec)
    if got["type"] == "categorizedSymbol":
        assert [c["value"] for c in got["categories"]] == [c.where[0][1] or "" for c in classes]
        assert [c["label"] for c in got["categories"]] == [c.label.both() for c in classes]
        hatched = [c.symbol.type == "hatch" for c in classes]
        assert [("LinePatternFill" in c["symbol"]) for c in got["categories"]] == hatched
    elif got["type"] == "RuleRenderer":
        flat = []
        for r in got["rules"]:
            flat.extend([(r["filter"], ch["filter"]) for ch in r["children"]] or [(r["filter"],)])
        if st.renderer == "groups":
            assert len(got["rules"]) == 5
            assert [r["label"] for r in got["rules"][:4]] == [
                lab.both() for lab in spec.labels["functional_group"].values()
            ]
        else:
            assert [f[0] for f in flat] == [class_filter(c) for c in classes]


def test_every_qml_and_sld_loads_in_qgis(
    sample: tuple[Path, Path], inspect_qgis: Callable[..., Any]
) -> None:
    spec = default_spec()
    seen: dict[str, Any] = {}
    for gpkg in sample:
        seen.update(inspect_qgis("qml", gpkg, styles_dir()))
    assert set(seen) >= {"road_corridors", "functional_zones", "parcels", "base_settlements"}
    for layer, d in seen.items():
        st = spec.layer(layer)
        assert d["valid"] and d["qml_ok"], (layer, d["qml_msg"])
        assert_renderer_matches_spec(layer, d["renderer"])
        assert d["labels_enabled"] == (st.label is not None), layer
        if st.label is not None:
            assert d["label_field"] == st.label.text
            assert d["label_scale"] == st.label.max_scale
        expected_aliases = {f: a for f, a in field_aliases(layer).items() if f in d["fields"]}
        assert d["aliases"] == expected_aliases, layer
        assert d["scale_based"] == (st.max_scale is not None)
        assert d["opacity"] == pytest.approx(st.opacity)
        assert d["sld_ok"], (layer, d["sld_msg"])
        sld = d["sld_renderer"]
        if st.renderer == "single" and not st.max_scale:
            assert sld["type"] == "singleSymbol", layer
        elif st.renderer == "single":  # scale-limited rules come back rule-based
            assert sld["type"] == "RuleRenderer" and len(sld["rules"]) == 1, layer
        else:
            assert sld["type"] == "RuleRenderer", layer
            assert len(sld["rules"]) == len(style_classes(layer, spec)), layer


def test_geopackage_default_styles_apply_on_open(
    sample: tuple[Path, Path], inspect_qgis: Callable[..., Any]
) -> None:
    """Dragging the GeoPackage into QGIS: every layer comes up with its shipped style."""
    for gpkg in sample:
        layers = inspect_qgis("gpkg", gpkg)
        expected = {n for n, g in pyogrio.list_layers(gpkg) if g is not None}
        assert set(layers) >= expected
        for name in expected:
            d = layers[name]
            assert d["valid"], name
            assert d["db_styles"] == {"count": 1, "names": [name]}
            assert_renderer_matches_spec(name, d["renderer"])
            if field_aliases(name):
                assert d["aliases"], f"{name}: aliases from layer_styles not applied"


def test_project_opens_with_valid_styled_layers(
    sample: tuple[Path, Path], tmp_path: Path, inspect_qgis: Callable[..., Any]
) -> None:
    layers, results = sample
    qgz = write_project(layers, tmp_path / "project" / "scheme.qgz", results_gpkg=results)
    d = inspect_qgis("project", qgz)
    assert d["read_ok"]
    assert d["crs"] == "EPSG:32643"
    assert d["groups"] == GROUPS
    assert d["absolute_paths"] is False
    assert "OpenStreetMap" in d["metadata"]["abstract"]
    assert d["metadata"]["identifier"] == "almaty-scheme/sample"
    # every tree node is a valid layer with the expected count and renderer
    assert len(d["tree"]) == len(d["layers"])
    for node in d["tree"]:
        lyr = d["layers"][node["layer_id"]]
        name = lyr["source"].split("layername=")[1].split("|")[0]
        gpkg = results if name in ("parcels", "parcel_hits") else layers
        assert lyr["valid"], node
        assert lyr["crs"] == "EPSG:32643"
        df = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)
        if lyr["subset"]:
            rule_ids = [s.strip(" '") for s in lyr["subset"].split("(")[1].rstrip(")").split(",")]
            df = df[df["rule_id"].isin(rule_ids)]
        assert lyr["feature_count"] == len(df), name
        assert_renderer_matches_spec(name, lyr["renderer"])
    split = [n for n in d["tree"] if "elevation_belts" in d["layers"][n["layer_id"]]["source"]]
    assert [n["group"] for n in split] == [
        "2 Экстенсивное освоение",
        "3 Ограниченное освоение",
    ]
