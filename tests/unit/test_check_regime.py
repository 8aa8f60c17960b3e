"""Land-use resolution, user aliases and regime precedence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from check_world import catalogue

from almaty_scheme.catalogue.loader import load_catalogue
from almaty_scheme.catalogue.models import Regime
from almaty_scheme.check.regime import (
    REGIME_NAMES,
    land_use_from_catalogue,
    load_use_aliases,
    normalise_use,
    regime_code,
    regime_matrix,
)
from almaty_scheme.errors import UsageError


@pytest.fixture(scope="module")
def lu():  # type: ignore[no-untyped-def]
    return land_use_from_catalogue(catalogue())


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (" Жильё ", "жилье"),
        ("Склад_ГСМ", "склад гсм"),
        ("«ИЖС»", "ижс"),
        ("a  -  b", "a b"),
        (None, None),
        (float("nan"), None),
    ],
)
def test_normalise_use(raw: object, key: str | None) -> None:
    assert normalise_use(raw) == key


def test_resolve(lu) -> None:
    cls, unknown, missing = lu.resolve(
        pd.Series(
            ["ИЖС", "residential", "Residential housing", "жильё", "теплица", None, "", "ферма"],
            dtype=object,
        )
    )
    assert cls.tolist() == ["residential"] * 4 + ["unspecified"] * 3 + ["livestock_farm"]
    assert unknown.tolist() == [False] * 4 + [True, False, False, False]
    assert missing.tolist() == [False] * 5 + [True, False, False]  # "" is an alias of unspecified


def test_resolve_numeric_codes(lu) -> None:
    lu2 = lu.with_aliases({"101": "residential", "7": "agricultural"})
    cls, unknown, _ = lu2.resolve(pd.Series([101, 7.0, 8]))
    assert cls.tolist() == ["residential", "agricultural", "unspecified"]
    assert unknown.tolist() == [False, False, True]


def test_user_aliases_both_layouts(lu, tmp_path: Path) -> None:
    f = tmp_path / "codes.yaml"
    f.write_text(
        "aliases:\n  R1: residential\n  ПАРК: agricultural\nclasses:\n  livestock_farm: [КРС, Коровник]\n",
        encoding="utf-8",
    )
    extra = load_use_aliases(f, lu)
    lu2 = lu.with_aliases(extra)
    cls, unknown, _ = lu2.resolve(pd.Series(["r1", "коровник", "парк"]))
    assert cls.tolist() == [
        "residential",
        "livestock_farm",
        "agricultural",
    ]  # user wins over 'парк'
    assert not unknown.any()
    flat = tmp_path / "flat.yaml"
    flat.write_text("X-9: utilities\n", encoding="utf-8")
    assert load_use_aliases(flat, lu) == {"X-9": "utilities"}


def test_user_aliases_errors_list_everything(lu, tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("aliases:\n  R1: residentail\n  R2: factory\nextra: 1\n", encoding="utf-8")
    with pytest.raises(UsageError) as ei:
        load_use_aliases(f, lu)
    text = str(ei.value)
    assert len(ei.value.problems) == 3
    assert "Did you mean residential" in text
    bad = tmp_path / "list.yaml"
    bad.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(UsageError, match="mapping"):
        load_use_aliases(bad, lu)


def test_regime_precedence() -> None:
    r = Regime(
        default="allowed",
        prohibited=["group:housing", "b"],
        conditional=["a", "group:open"],
        allowed=["group:open_low"],
    )
    assert REGIME_NAMES[regime_code(r, "a", ["housing"])] == "conditional"  # class beats group
    assert REGIME_NAMES[regime_code(r, "x", ["housing", "open"])] == "prohibited"  # strictest group
    assert REGIME_NAMES[regime_code(r, "y", ["open_low"])] == "allowed"
    assert REGIME_NAMES[regime_code(r, "z", [])] == "allowed"  # default
    assert REGIME_NAMES[regime_code(None, "z", [])] == "conditional"  # no regime


def test_regime_matrix_shape(lu) -> None:
    cat = catalogue()
    m = regime_matrix([cat.rules["water_protection.turgen.strip"], None], lu)
    assert m.shape == (2, len(lu.classes)) and m.dtype == np.int8
    code = lu.code
    assert m[0, code["residential"]] == 2 and m[0, code["utilities"]] == 1
    assert (m[1] == 1).all()


def test_shipped_catalogue_regimes() -> None:
    """The issue's examples of prohibited uses, on the shipped catalogue."""
    cat = load_catalogue()
    lu = land_use_from_catalogue(cat)

    def reg(rule_id: str, cls: str) -> str:
        return REGIME_NAMES[regime_code(cat.rules[rule_id].regime, cls, lu.groups[cls])]

    for cls in ("livestock_farm", "fuel_chemicals_storage", "cemetery", "landfill"):
        assert reg("water_protection.turgen.zone", cls) == "prohibited", cls
    assert reg("water_protection.turgen.strip", "residential") == "prohibited"
    assert reg("water_protection.turgen.strip", "warehouse_logistics") == "prohibited"
    assert reg("gas.minimum_distance.dn_1000", "residential") == "prohibited"
    assert reg("zoning.direction.south", "industrial") == "prohibited"
    assert reg("zoning.direction.south", "recreation") == "allowed"
    # the 2000 m aerial-spraying band (drawn on request) flags farming, not housing
    assert reg("water_protection.activity.aerial_spraying", "agricultural") == "conditional"
    assert reg("water_protection.activity.aerial_spraying", "residential") == "allowed"
    # every alias of the shipped classes resolves to its class
    for c in cat.land_use.classes:  # type: ignore[union-attr]
        cls, unknown, _ = lu.resolve(pd.Series(c.aliases, dtype=object))
        assert not unknown.any() and set(cls) <= {c.id, lu.default_class}
