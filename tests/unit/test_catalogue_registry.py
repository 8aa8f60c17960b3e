"""The registry of shipped data files and its one loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from almaty_scheme.base.model import BASE_LAYERS
from almaty_scheme.catalogue.boundary_models import BoundaryConfig
from almaty_scheme.catalogue.data_models import SchemeFigures, Sources
from almaty_scheme.catalogue.datafile import load_model, location_label
from almaty_scheme.catalogue.registry import REGISTRY, check_data_files, load_data, registered
from almaty_scheme.errors import CatalogueError, DataError
from almaty_scheme.resources import layers_dir, styles_dir


def test_every_shipped_file_is_valid() -> None:
    assert check_data_files(context={"base_layers": tuple(BASE_LAYERS)}) == []


def test_every_yaml_in_layers_is_registered_or_a_rule_file() -> None:
    index = load_data("catalogue.yaml")
    names = {e.name for e in REGISTRY} | set(index.rule_files)
    shipped = {p.name for p in layers_dir().glob("*.yaml")} | {"styles.yaml"}
    assert shipped <= names
    assert (styles_dir() / "styles.yaml").is_file()


def test_layers_readme_lists_every_file_and_model() -> None:
    text = (layers_dir() / "README.md").read_text(encoding="utf-8")
    assert "rule catalogue the layers are built from" in text
    for entry in REGISTRY:
        if not entry.name.startswith("<"):
            assert entry.name in text, entry.name
        assert entry.model.__name__ in text, entry.model.__name__


def test_location_label_names_entry_and_field() -> None:
    raw = {"territories": [{"id": "a"}, {"id": "talgar", "annex": [{"year": 1}]}]}
    assert (
        location_label(raw, ("territories", 1, "annex", 0, "year"))
        == "territories #2 (id 'talgar'), field 'annex.0.year'"
    )
    rules = {"rules": [{"id": "roads.x"}]}
    assert location_label(rules, ("rules", 0, "width")) == "rule #1 (id 'roads.x'), field 'width'"
    assert location_label({}, ()) == "top level"
    assert location_label({"version": "x"}, ("version",)) == "field 'version'"


def test_every_problem_of_a_file_at_once(tmp_path: Path) -> None:
    text = (layers_dir() / "boundary.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    n, first_partial = next(
        (i, t["id"]) for i, t in enumerate(raw["territories"]) if t["treatment"] == "partial"
    )
    # two faults: a misspelt top-level key and a bad value in the first partial territory
    text = text.replace("admin_year:", "admin_yeer:", 1)
    text = text.replace("treatment: partial", "treatment: halfway", 1)
    p = tmp_path / "boundary.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_model(p, BoundaryConfig)
    problems = err.value.problems
    assert len(problems) == 3, problems
    assert problems[0].startswith("boundary.yaml: field 'admin_year': Field required")
    assert problems[1].startswith(
        f"boundary.yaml: territories #{n + 1} (id {first_partial!r}), field 'treatment':"
    )
    assert problems[2] == (
        "boundary.yaml: field 'admin_yeer': unknown key (not in the schema; check the spelling)."
    )


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="not found"):
        load_model(tmp_path / "none.yaml", SchemeFigures)
    bad = tmp_path / "bad.yaml"
    bad.write_text("figures: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_model(bad, SchemeFigures)
    assert "invalid YAML at line 2" in err.value.problems[0]
    with pytest.raises(DataError):
        load_model(tmp_path / "none.yaml", SchemeFigures, error=DataError)


def test_base_layer_names_come_from_the_context(tmp_path: Path) -> None:
    text = (layers_dir() / "sources.yaml").read_text(encoding="utf-8")
    assert "canonical: railways" in text
    p = tmp_path / "sources.yaml"
    p.write_text(text.replace("canonical: railways", "canonical: tramways", 1), encoding="utf-8")
    load_model(p, Sources)  # no context: layer names are not checked
    with pytest.raises(CatalogueError, match="'tramways' is not a canonical base layer"):
        load_model(p, Sources, context={"base_layers": tuple(BASE_LAYERS)})


def test_scheme_figures_hold_the_scheme_values() -> None:
    figs = load_data("scheme_figures.yaml")
    # Appendix 1, L3741: 939.49 thousand ha; L639-641: 33 897.7 ha of Kapchagay inside
    assert figs.figures["total"].value == 939_490.0
    assert figs.figures["kapchagay"].value == 33_897.7
    assert figs.figures["gas_length_km"].unit == "km"
    assert "Капшагайское" in figs.reservoir_names
    assert registered("scheme_figures.yaml").model is SchemeFigures
