"""The verdict review set (issue 13, item 7) on a synthetic world and the shipped catalogue.

The expected verdicts in ``tests/data/verdict_review.yaml`` were worked out by reading the
scheme's text; this test builds each site's zones as boxes (see the YAML header), checks
one parcel per case and compares the verdict, the reason and the source the explanation
cites for the deciding regime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import yaml
from check_world import X0, Y0
from shapely.geometry import box

from almaty_scheme.catalogue import default_catalogue
from almaty_scheme.check.engine import CheckResult, check_parcels
from almaty_scheme.check.inputs import prepare_parcels
from almaty_scheme.check.output import format_summary, summarise
from almaty_scheme.check.regime import land_use_from_catalogue
from almaty_scheme.check.zones import PreparedZones, prepare_zones
from almaty_scheme.crs import WORKING_CRS
from almaty_scheme.restrictions.frames import empty_zones, zones_frame
from almaty_scheme.restrictions.schema import LAYER_NAMES

REVIEW = Path(__file__).resolve().parents[1] / "data" / "verdict_review.yaml"
SITE_STEP = 3000.0
EXTENTS = {"core": (0.0, 1000.0), "band": (1000.0, 1500.0)}
PARCELS = {
    "inside": (450.0, 550.0),
    "band": (1200.0, 1300.0),
    "edge": (950.0, 1050.0),
    "touch": (1000.0, 1100.0),
    "beyond": (1600.0, 1700.0),
}


def _sites() -> list[dict[str, Any]]:
    return list(yaml.safe_load(REVIEW.read_text(encoding="utf-8"))["sites"])


def _cases() -> list[tuple[int, str, str, list[str]]]:
    return [
        (i, s["site"], use, exp) for i, s in enumerate(_sites()) for use, exp in s["cases"].items()
    ]


def _world() -> PreparedZones:
    cat = default_catalogue()
    by_layer: dict[str, tuple[list[dict[str, Any]], list[Any]]] = {}
    for i, site in enumerate(_sites()):
        x = X0 + i * SITE_STEP
        for z in site["zones"]:
            rule = cat.rules[z["rule"]]
            assert rule.layer is not None, z["rule"]
            a, b = EXTENTS[z.get("extent", "core")]
            rec = {
                "rule_id": rule.id,
                "family": rule.family,
                "kind": rule.kind,
                "name": site["site"],
                "certainty": z.get("certainty", "certain"),
                "citation": rule.citation(),
                "citation_ru": rule.citation_ru(),
                "verified": rule.verified,
                "source": "test",
                "accuracy": "test data",
            }
            extra = {"status": z["status"]} if "status" in z else {}
            recs, geoms = by_layer.setdefault(rule.layer, ([], []))
            recs.append({**rec, **extra})
            geoms.append(box(x + a, Y0, x + b, Y0 + 1000.0))
    layers = {n: empty_zones() for n in LAYER_NAMES}
    for name, (recs, geoms) in by_layer.items():
        extra_cols = {"status": "string"}
        if name == "functional_zones":
            extra_cols |= {"functional_group": "string", "subzone": "string"}
        layers[name] = zones_frame(recs, geoms, extra_cols)
    n = len(_sites())
    outline = gpd.GeoDataFrame(
        {"name": ["world"]},
        geometry=[box(X0 - 1000, Y0 - 1000, X0 + n * SITE_STEP + 1000, Y0 + 2000)],
        crs=WORKING_CRS,
    )
    return prepare_zones(
        {k: v for k, v in layers.items() if k != "boundary"},
        boundary=outline,
        coverage=outline,
        catalogue=cat,
        land_use=land_use_from_catalogue(cat),
    )


@pytest.fixture(scope="module")
def result() -> CheckResult:
    zones = _world()
    geoms, ids, uses = [], [], []
    for i, site_name, use, _ in _cases():
        site = _sites()[i]
        a, b = PARCELS[site["parcel"]]
        x = X0 + i * SITE_STEP
        geoms.append(box(x + a, Y0 + 450.0, x + b, Y0 + 550.0))
        ids.append(f"{site_name}:{use}")
        uses.append(use)
    raw = gpd.GeoDataFrame({"pid": ids, "use": uses}, geometry=geoms, crs=WORKING_CRS)
    pin = prepare_parcels(raw, zones.land_use, id_field="pid", use_field="use")
    return check_parcels(pin.frame, zones, near_m=None)


def test_the_review_set_is_large_and_covers_the_families() -> None:
    cases = _cases()
    assert len(cases) >= 60
    cat = default_catalogue()
    families = {cat.rules[z["rule"]].family for s in _sites() for z in s["zones"]}
    assert families >= {
        "roads",
        "railways",
        "power",
        "water_mains",
        "water_protection",
        "gas",
        "forest",
        "elevation",
        "industrial",
        "zoning",
    }
    uses = {u for _, _, u, _ in cases}
    assert uses >= {"residential", "agricultural", "industrial", "mining", "landfill"}
    assert uses >= {"dacha_gardening"}
    reasons = {e[1] for *_, e in cases}
    assert {"possibly_prohibited", "proposal_on_settlement", "use_prohibited"} <= reasons


@pytest.mark.parametrize(("site_index", "site", "use", "expected"), _cases())
def test_verdict_matches_the_reading(
    result: CheckResult, site_index: int, site: str, use: str, expected: list[str]
) -> None:
    verdict, reason, source = expected
    p = result.parcels.set_index("parcel_id").loc[f"{site}:{use}"]
    assert (p["verdict"], p["verdict_reason"]) == (verdict, reason), p["explanation_en"]
    if source != "-":
        en = str(p["explanation_en"])
        assert "; regime: " in en, en
        assert source in en.split("; regime: ", 1)[1], en
        assert "режим:" in p["explanation_ru"]


def test_summary_counts_possible_and_proposal_prohibitions_apart(result: CheckResult) -> None:
    cases = _cases()
    summary = summarise(result)
    n_possible = sum(e[1] == "possibly_prohibited" for *_, e in cases)
    n_proposal = sum(e[1] == "proposal_on_settlement" for *_, e in cases)
    assert n_possible >= 5 and n_proposal >= 5
    assert summary["possibly_prohibited"] == n_possible
    assert summary["proposal_on_settlement"] == n_proposal
    assert summary["by_verdict"]["conditional"] == sum(e[0] == "conditional" for *_, e in cases)
    text = format_summary(summary)
    assert f"of which possibly prohibited (possible band): {n_possible}" in text
    assert f"of which proposal on settlement land: {n_proposal}" in text
