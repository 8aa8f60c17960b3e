"""The regime matrix (issue 13): every zone rule x land-use class with a source; the
``rules regimes`` command; proposals split at existing settlement land."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from restriction_world import box, make_base, rule

from almaty_scheme.catalogue import Catalogue, load_catalogue
from almaty_scheme.catalogue.models import Regime
from almaty_scheme.catalogue.regimes import (
    cell,
    decide,
    regime_cells,
    regime_problems,
    unsourced_cells,
    zone_rules,
)
from almaty_scheme.check.regime import REGIME_NAMES, land_use_from_catalogue, regime_code
from almaty_scheme.cli import main
from almaty_scheme.resources import layers_dir
from almaty_scheme.restrictions.proposals import PROPOSAL_ON_SETTLEMENT, split_proposals

Q455 = {"type": "scheme", "quote": "установить режим", "lines": [455, 456]}


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(layers_dir())


def test_every_cell_has_a_source(cat: Catalogue) -> None:
    assert unsourced_cells(cat) == []
    assert regime_problems(cat) == []


def test_matrix_covers_every_zone_rule_and_class(cat: Catalogue) -> None:
    cells = regime_cells(cat)
    classes = [c.id for c in cat.land_use.classes] if cat.land_use else []
    rules = zone_rules(cat)
    assert len(cells) == len(rules) * len(classes)
    assert {c.zone_rule for c in cells} == {r.id for r in rules}
    assert all(r.layer is not None and r.kind not in ("fact", "gas_fact") for r in rules)
    # the catalogue's reading of a land-use class and the check engine agree on every cell
    lu = land_use_from_catalogue(cat)
    by_rule = {r.id: r for r in rules}
    for c in cells:
        code = regime_code(by_rule[c.zone_rule].regime, c.use, lu.groups[c.use])
        assert REGIME_NAMES[code] == c.regime


@pytest.mark.parametrize(
    ("zone", "use", "regime", "lines"),
    [
        # L454-456: the whole limited group bans agricultural production (issue 13)
        ("zoning.subzone.protected_areas", "agricultural", "prohibited", (455, 456)),
        ("zoning.subzone.protected_areas", "pasture", "prohibited", (455, 456)),
        ("zoning.subzone.protected_areas", "dacha_gardening", "prohibited", (455, 456)),
        ("zoning.subzone.park_zones", "agricultural", "prohibited", (455, 456)),
        ("zoning.subzone.park_zones", "livestock_farm", "prohibited", (455, 456)),
        ("zoning.subzone.historic_monuments", "pasture", "prohibited", (455, 456)),
        ("zoning.subzone.recreation_mountain", "agricultural", "prohibited", (455, 456)),
        ("elevation.relic_apple_belt", "agricultural", "prohibited", (455, 456)),
        # L429-433: no disturbance of the soil cover, no pollution of subsoil water
        ("zoning.subzone.agricultural", "mining", "prohibited", (429, 433)),
        ("zoning.subzone.agricultural", "landfill", "prohibited", (429, 433)),
        ("zoning.subzone.agricultural", "residential", "conditional", (425, 426)),
        # L206-209 settlements: only ecologically clean communal-production objects
        ("zoning.subzone.settlement", "landfill", "prohibited", (208, 208)),
        ("zoning.subzone.settlement", "residential", "allowed", (206, 207)),
    ],
)
def test_cells_read_from_the_text(
    cat: Catalogue, zone: str, use: str, regime: str, lines: tuple[int, int]
) -> None:
    (c,) = regime_cells(cat, zone=zone, use=use)
    assert (c.regime, c.source_type, c.source_lines) == (regime, "scheme", lines)


@pytest.mark.parametrize(
    "zone",
    [
        "railways.right_of_way",
        "railways.controlled_zone.inside_settlements",
        "power.vl_500kv",
        "water_mains.wet_any",
        "zoning.subzone.hazardous_objects",
    ],
)
def test_regimes_that_had_no_source_have_one_now(cat: Catalogue, zone: str) -> None:
    cells = regime_cells(cat, zone=zone)
    assert cells and all(c.sourced for c in cells)
    external = [c for c in cells if c.source_type == "external"]
    assert all(c.verified is False for c in external)  # unverified acts say so


def test_decide_names_the_deciding_entry() -> None:
    r = Regime(
        default="conditional",
        prohibited=["group:production", "landfill"],
        conditional=["group:agricultural"],
        allowed=["agricultural"],
    )
    assert decide(r, "agricultural", ["agricultural", "open"]) == ("allowed", "agricultural")
    assert decide(r, "livestock_farm", ["production", "agricultural"]) == (
        "prohibited",
        "group:production",
    )
    assert decide(r, "pasture", ["agricultural"]) == ("conditional", "group:agricultural")
    assert decide(r, "residential", ["housing"]) == ("conditional", "default")


def test_a_note_overrides_the_regime_source() -> None:
    src = {"type": "external", "act": "Some act", "verified": False}
    r = rule(
        "zoning.subzone.x",
        "functional_subzone",
        layer="functional_zones",
        regime={
            "default": "conditional",
            "prohibited": ["mining"],
            "source": src,
            "notes": {"mining": {"source": Q455}, "default": {"reading": "why"}},
        },
    )
    mining = cell(r, "mining", ["production"])
    assert (mining.regime, mining.source, mining.decided_by) == (
        "prohibited",
        "scheme L455-456",
        "mining",
    )
    other = cell(r, "residential", ["housing"])
    assert (other.source, other.source_type, other.reading) == (None, "reading", "why")


def test_a_proposal_needs_its_words() -> None:
    with pytest.raises(ValidationError, match="status_source"):
        rule("elevation.x", "elevation_belt", status="proposed")
    r = rule("elevation.x", "elevation_belt", status="proposed", status_source=Q455)
    assert r.proposed


def test_orphan_note_is_a_matrix_problem(cat: Catalogue, tmp_path: Any) -> None:
    import shutil

    import yaml

    d = tmp_path / "layers"
    shutil.copytree(layers_dir(), d)
    path = d / "railways.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["rules"][0]["regime"]["notes"]["pasture"] = {"reading": "orphan"}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    problems = regime_problems(load_catalogue(d))
    assert problems == [
        "railways.right_of_way: regime note 'pasture' names no entry of the regime "
        "(use 'default' or an entry of prohibited / conditional / allowed)."
    ]


def test_rules_regimes_json(cat: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "regimes", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == len(regime_cells(cat))
    assert all({"zone_rule", "use", "regime", "source", "reading"} <= set(d) for d in data)
    assert all(d["source"] or d["reading"] for d in data)
    assert main(["rules", "regimes", "--zone", "zoning.subzone.park_zones", "--json"]) == 0
    park = json.loads(capsys.readouterr().out)
    assert {d["zone_rule"] for d in park} == {"zoning.subzone.park_zones"}
    assert main(["rules", "regimes", "--use", "mining", "--json"]) == 0
    mining = json.loads(capsys.readouterr().out)
    assert {d["use"] for d in mining} == {"mining"} and len(mining) == len(zone_rules(cat))


def test_rules_regimes_table_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["rules", "regimes", "--zone", "zoning.subzone.agricultural", "--use", "mining"]) == 0
    )
    out = capsys.readouterr().out
    assert "zoning.subzone.agricultural  mining  prohibited  mining" in out
    assert "scheme L429-433" in out
    assert "1 cell(s) of 1 zone rule(s); prohibited 1, conditional 0, allowed 0" in out
    assert main(["rules", "regimes", "--use", "minning"]) == 2
    assert "mining" in capsys.readouterr().err
    assert main(["rules", "regimes", "--zone", "gas.fact.length"]) == 2


def test_proposal_is_split_at_existing_settlement_land() -> None:
    # a 1000 x 1000 m proposed belt; a town footprint covers its western 400 m
    belt = rule(
        "elevation.belt",
        "elevation_belt",
        layer="elevation_belts",
        status="proposed",
        status_source=Q455,
    )
    base = make_base(settlement_footprints=[{"geometry": box(-500, 0, 400, 1000), "name": "T"}])
    recs, geoms = split_proposals(
        [{"rule_id": "elevation.belt", "reading": "DEM"}],
        [box(0, 0, 1000, 1000)],
        {belt.id: belt},
        base,
    )
    assert [r["status"] for r in recs] == ["proposed", PROPOSAL_ON_SETTLEMENT]
    assert geoms[0].area == pytest.approx(600_000.0)
    assert geoms[1].area == pytest.approx(400_000.0)
    assert geoms[0].intersection(geoms[1]).area == pytest.approx(0.0)
    assert "at most conditional" in recs[1]["reading"] and "scheme L455-456" in recs[1]["reading"]
    # a rule that is not a proposal passes through untouched
    other = rule("elevation.other", "elevation_belt", layer="elevation_belts")
    recs2, geoms2 = split_proposals(
        [{"rule_id": "elevation.other"}], [box(0, 0, 1000, 1000)], {other.id: other}, base
    )
    assert len(recs2) == 1 and geoms2[0].area == pytest.approx(1_000_000.0)
