"""The anchors file schema and the shipped ``layers/hydro_anchors.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from almaty_scheme.base.hydro import load_anchors
from almaty_scheme.catalogue.data_models import HydroAnchors
from almaty_scheme.errors import CatalogueError
from almaty_scheme.resources import layers_dir

SCHEME_RIVERS = {
    "Bolshaya Almatinka",
    "Turgen",
    "Aksai",
    "Ashchibulak",
    "Uzynkargaly",
    "Shamalgan",
    "Belbulak",
}
"""Rivers with their own water-protection widths (L592-617, resolution No. 246)."""


def _doc(**river: Any) -> dict[str, Any]:
    r = {
        "id": "x",
        "name": "X",
        "name_ru": "Икс",
        "anchors": [
            {
                "id": "x.a",
                "place": {"lon": 77.0, "lat": 43.0},
                "reading": "a reading of ten+ chars",
                "verified": False,
            }
        ],
    }
    r.update(river)
    return {"version": "1.0.0", "rivers": [r]}


def test_shipped_file_loads_and_covers_the_scheme_rivers() -> None:
    a = load_anchors()
    names = {r.name for r in a.rivers}
    assert names >= SCHEME_RIVERS | {"Ili"}
    ili = a.river("ili")
    assert ili.trunk and ili.length_km and ili.length_km > 200
    assert [o.river for o in a.outlets] == ["ili"]


def test_shipped_quotes_carry_lines_and_unquoted_anchors_are_unverified() -> None:
    for r in load_anchors().rivers:
        for an in r.anchors:
            if an.quote is None:
                assert not an.verified, an.id
            else:
                assert an.lines is not None


def test_names_match_the_water_protection_rules() -> None:
    """Every scheme river's name or Russian name is one the water-protection rule lists."""
    path = layers_dir() / "water_protection.yaml"
    if not path.is_file():
        pytest.skip("layers/water_protection.yaml not present")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    listed: set[str] = set()
    for rule in doc.get("rules", []):
        at = rule.get("applies_to") or {}
        if at.get("feature") == "river":
            listed.update(at.get("names") or [])
    for r in load_anchors().rivers:
        if r.name in SCHEME_RIVERS:
            assert {r.name, r.name_ru} & listed, r.name


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"colour": "blue"}, "colour"),
        ({"anchors": []}, "anchors"),
        (
            {
                "anchors": [
                    {
                        "id": "x.a",
                        "place": {"lon": 77.0, "lat": 43.0},
                        "quote": "q",
                        "reading": "a reading of ten+ chars",
                        "verified": True,
                    }
                ]
            },
            "lines",
        ),
        (
            {
                "anchors": [
                    {
                        "id": "x.a",
                        "place": {"lon": 77.0, "lat": 43.0},
                        "reading": "a reading of ten+ chars",
                        "verified": True,
                    }
                ]
            },
            "verified",
        ),
        (
            {
                "anchors": [
                    {
                        "id": "y.a",
                        "place": {"lon": 77.0, "lat": 43.0},
                        "reading": "a reading of ten+ chars",
                        "verified": False,
                    }
                ]
            },
            "river id",
        ),
        (
            {
                "anchors": [
                    {
                        "id": "x.a",
                        "place": {"settlement": ["A"], "lon": 77.0, "lat": 43.0},
                        "reading": "a reading of ten+ chars",
                        "verified": False,
                    }
                ]
            },
            "not both",
        ),
        ({"tributary_of": "nowhere", "tributary_reading": "because"}, "unknown river"),
        ({"tributary_of": "x"}, "tributary_reading"),
        ({"length_km": 10}, "length_reading"),
    ],
)
def test_schema_rejects(change: dict[str, Any], needle: str, tmp_path: Path) -> None:
    p = tmp_path / "hydro_anchors.yaml"
    p.write_text(yaml.safe_dump(_doc(**change), allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_anchors(p)
    assert needle in str(err.value)


def test_valid_minimal_document(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text(yaml.safe_dump(_doc(), allow_unicode=True), encoding="utf-8")
    a = load_anchors(p)
    assert isinstance(a, HydroAnchors) and a.rivers[0].anchors[0].citation == "no quote"


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError):
        load_anchors(tmp_path / "none.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("rivers: [", encoding="utf-8")
    with pytest.raises(CatalogueError):
        load_anchors(p)
