"""Exact answers of the check engine on the hand-made world (see check_world.py)."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pandas as pd
import pytest
import shapely
from check_world import GAS_X, RIVER_Y, X0, Y0, parcels, prepared, sq

import almaty_scheme.check.engine as engine_mod
import almaty_scheme.check.kernels as kernels_mod
from almaty_scheme.check.engine import MIN_OVERLAP_M2, CheckResult, check_parcels, plain
from almaty_scheme.check.inputs import prepare_parcels
from almaty_scheme.check.verdict import explanation_parts_of
from almaty_scheme.check.zones import tile_geometries
from almaty_scheme.errors import CRSError


@pytest.fixture(scope="module")
def zones():  # type: ignore[no-untyped-def]
    return prepared()


def run(zones, geoms, uses=None, ids=None, **kw):  # type: ignore[no-untyped-def]
    ids = ids or [f"p{i}" for i in range(len(geoms))]
    raw = parcels(geoms, pid=ids, use=uses or ["residential"] * len(geoms))
    pin = prepare_parcels(raw, zones.land_use, id_field="pid", use_field="use")
    return check_parcels(pin.frame, zones, **kw)


def hits_of(res: CheckResult, pid: str) -> pd.DataFrame:
    h = res.hits
    return h[h["parcel_id"] == pid].set_index(["rule_id", "certainty"])


def test_overlap_share_distance_in_the_strip(zones) -> None:
    # 100 x 100 m square resting on the river line: 55 m in the certain strip,
    # 45 m in its possible band, all of it in the certain zone
    res = run(zones, [sq(1000, 5000)])
    h = hits_of(res, "p0")
    strip_c = h.loc[("water_protection.turgen.strip", "certain")]
    strip_p = h.loc[("water_protection.turgen.strip", "possible")]
    zone_c = h.loc[("water_protection.turgen.zone", "certain")]
    assert strip_c["overlap_m2"] == pytest.approx(5500.0, rel=1e-12)
    assert strip_c["share_pct"] == pytest.approx(55.0, rel=1e-12)
    assert strip_p["overlap_m2"] == pytest.approx(4500.0, rel=1e-12)
    assert zone_c["share_pct"] == pytest.approx(100.0)
    assert (h["distance_to_source_m"] == 0.0).all()
    assert strip_c["regime"] == "prohibited"
    assert strip_p["regime"] == "conditional"  # possible band caps at conditional
    assert strip_p["rule_regime"] == "prohibited"
    assert zone_c["regime"] == "conditional"
    p = res.parcels.iloc[0]
    assert p["verdict"] == "prohibited"
    assert p["verdict_reason"] == "use_prohibited"
    assert p["worst_rule_id"] == "water_protection.turgen.strip"
    assert p["worst_certainty"] == "certain"
    assert p["worst_share_pct"] == pytest.approx(55.0)
    assert p["n_hits"] == 3 and p["n_prohibited"] == 1 and p["n_conditional"] == 2
    assert p["area_m2"] == pytest.approx(10000.0)
    assert p["explanation_en"].startswith(
        "Prohibited for Residential housing: 55 % of the parcel lies in the Turgen river "
        "water-protection strip (55-110 m per side;"
    )
    assert (
        "55 % участка" in p["explanation_ru"]
        and "Водоохранная полоса реки Тургень" in p["explanation_ru"]
    )


def test_distance_to_source_is_to_the_centreline(zones) -> None:
    res = run(zones, [sq(1000, 5200), sq(2100, 2000)], uses=["ферма", "residential"])
    h0 = hits_of(res, "p0")
    assert h0.loc[
        ("water_protection.turgen.zone", "certain"), "distance_to_source_m"
    ] == pytest.approx(200.0)
    h1 = hits_of(res, "p1")
    # gas axis at x = 2000, parcel from x = 2100: 100 m; 50 m of its 100 m width in the 150 m zone
    row = h1.loc[("gas.minimum_distance.dn_600", "certain")]
    assert row["distance_to_source_m"] == pytest.approx(100.0)
    assert row["overlap_m2"] == pytest.approx(5000.0)
    assert "gas.protection_zone" not in h1.index.get_level_values(0)  # 50 m zone not reached
    assert res.parcels["verdict"].tolist() == [
        "prohibited",
        "prohibited",
    ]  # farm in zone; housing by gas


def test_possible_band_prohibition_is_conditional(zones) -> None:
    res = run(zones, [sq(1000, 6000)], uses=["ферма"])
    p = res.parcels.iloc[0]
    assert p["verdict"] == "conditional"
    assert p["verdict_reason"] == "possibly_prohibited"
    assert p["worst_certainty"] == "possible"
    assert "possible band" in p["explanation_en"]
    assert "prohibited if the wider width applies" in p["explanation_en"]
    assert "derived from DEM" in p["explanation_en"]  # caveat from the zone's accuracy
    assert hits_of(res, "p0")["distance_to_source_m"].iloc[0] == pytest.approx(1000.0)


def test_allowed_use_is_clear_and_no_regime_is_conditional(zones) -> None:
    # agriculture is allowed in the zone; parcel on the gas axis hits the no-regime rule
    res = run(zones, [sq(1000, 5200), sq(1950, 3000)], uses=["пашня", "пашня"])
    assert res.parcels["verdict"].tolist() == ["clear", "conditional"]
    assert res.parcels["verdict_reason"].tolist() == ["use_allowed", "no_regime"]
    assert "no regime in the scheme" in res.parcels["explanation_en"].iloc[1]


def test_near_distances(zones) -> None:
    # 300 m from the zone's possible band (outer edge y = 6700), 1890 m from the strip
    res = run(zones, [sq(5000, 7000), sq(1000, 5000)], near_m=500)
    p = res.parcels.iloc[0]
    assert p["verdict"] == "clear" and p["n_hits"] == 0
    assert p["near_water_protection_m"] == pytest.approx(300.0)
    assert p["near_water_protection_zones_m"] == pytest.approx(300.0)
    assert np.isnan(p["near_water_protection_strips_m"])
    assert np.isnan(p["near_gas_m"])
    assert "nearest water-protection zone 300 m" in p["explanation_en"]
    touching = res.parcels.iloc[1]
    assert touching["near_water_protection_strips_m"] == 0.0
    res2 = run(zones, [sq(5000, 7000)], near_m=3000)
    assert res2.parcels["near_water_protection_strips_m"].iloc[0] == pytest.approx(1890.0)
    assert res2.parcels["near_gas_m"].iloc[0] == pytest.approx(5000 - 2150.0)
    res3 = run(zones, [sq(5000, 7000)], near_m=None)
    assert not [c for c in res3.parcels.columns if c.startswith("near_")]


def test_near_distances_are_measured_on_their_own_thread(zones, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Stage 6 runs on a thread beside the verdicts and is joined before the hits table
    and the clear parcels' explanations (the clear parcel's text names the nearest
    zone)."""
    seen: list[str] = []
    real = engine_mod.nearest_within_by_key

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_mod, "nearest_within_by_key", spy)
    res = run(zones, [sq(5000, 7000), sq(1000, 5000)], near_m=500)
    assert seen == ["near"]
    assert res.parcels["near_water_protection_m"].iloc[0] == pytest.approx(300.0)
    assert "nearest water-protection zone 300 m" in res.parcels["explanation_en"].iloc[0]
    assert {"near", "near_wait", "verdict", "explain"} <= set(res.timings)
    # in turn (callers whose other core is busy): on the caller's thread, same answers
    seen.clear()
    turn = run(zones, [sq(5000, 7000), sq(1000, 5000)], near_m=500, near_beside=False)
    assert seen == [threading.current_thread().name]
    pd.testing.assert_frame_equal(pd.DataFrame(turn.parcels), pd.DataFrame(res.parcels))
    # measured one polygon at a time (chunks of the spatial order): the same columns;
    # the gas corridor ends at x = 2150 (its line at 2000): 2850, 750 and 2750 m away
    monkeypatch.setattr(kernels_mod, "NEAR_CHUNK", 1)
    one = run(zones, [sq(5000, 7000), sq(1000, 5000), sq(4900, 7000)], near_m=3000)
    monkeypatch.setattr(kernels_mod, "NEAR_CHUNK", 1 << 20)
    whole = run(zones, [sq(5000, 7000), sq(1000, 5000), sq(4900, 7000)], near_m=3000)
    assert one.parcels["near_gas_m"].tolist() == pytest.approx([2850.0, 750.0, 2750.0])
    pd.testing.assert_frame_equal(pd.DataFrame(one.parcels), pd.DataFrame(whole.parcels))
    # without near_m no thread is started and no near column is made
    seen.clear()
    res = run(zones, [sq(5000, 7000)], near_m=None)
    assert seen == [] and res.timings["near"] == 0.0


def test_explanations_that_need_no_near_distance_are_made_meanwhile(zones, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The near thread's kernel waits until the explanations have begun on the caller's
    thread (those of the parcels with hits, outside or invalid): in sequence this would
    never happen (30 s, then the thread's error is the check's)."""
    begun = threading.Event()
    real_begin, real_near = engine_mod.explain_begin, engine_mod.nearest_within_by_key

    def begin(*args, **kwargs):  # type: ignore[no-untyped-def]
        pending = real_begin(*args, **kwargs)
        begun.set()
        return pending

    def near(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert begun.wait(timeout=30), "the explanations waited for the near distances"
        return real_near(*args, **kwargs)

    monkeypatch.setattr(engine_mod, "explain_begin", begin)
    monkeypatch.setattr(engine_mod, "nearest_within_by_key", near)
    res = run(zones, [sq(5000, 7000), sq(1000, 5000)], near_m=500)
    assert res.parcels["verdict"].tolist()[0] == "clear"
    assert "nearest water-protection zone 300 m" in res.parcels["explanation_en"].iloc[0]


def test_an_error_on_the_near_thread_is_the_check_s_error(zones, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise MemoryError("no room for the near distances")

    monkeypatch.setattr(engine_mod, "nearest_within_by_key", broken)
    for beside in (True, False):
        with pytest.raises(MemoryError, match="no room for the near distances"):
            run(zones, [sq(5000, 7000)], near_m=500, near_beside=beside)
    assert not [t for t in threading.enumerate() if t.name == "near"]


def test_outside_boundary_and_coverage(zones) -> None:
    res = run(zones, [sq(-300, 9000), sq(9000, 9000), sq(-50, 3000), sq(7950, 3000)])
    v = res.parcels[["verdict", "verdict_reason"]].to_numpy().tolist()
    assert v[0] == ["outside", "outside_boundary"]
    assert v[1] == ["outside", "outside_coverage"]
    assert v[2] == ["clear", "partly_outside_boundary"]
    assert v[3] == ["clear", "partly_outside_coverage"]
    assert res.parcels["inside_boundary_pct"].iloc[2] == pytest.approx(50.0)
    assert res.parcels["inside_coverage_pct"].iloc[3] == pytest.approx(50.0)
    assert "outside the agglomeration boundary" in res.parcels["explanation_en"].iloc[0]
    assert "outside the coverage" in res.parcels["explanation_en"].iloc[1]


def test_touching_edge_is_not_a_hit(zones) -> None:
    # parcel whose lower edge is the strip's outer edge (y = 5110): shares a line only
    res = run(zones, [box_at(1000, RIVER_Y + 110)])
    strip = res.hits[res.hits["rule_id"] == "water_protection.turgen.strip"]
    assert strip.empty
    assert (res.hits["overlap_m2"] > MIN_OVERLAP_M2).all()


def box_at(x: float, y_abs: float) -> shapely.Polygon:
    return shapely.box(X0 + x, y_abs, X0 + x + 100, y_abs + 100)


def test_parcel_spanning_tiles_and_zones_sums_exactly(zones) -> None:
    # 3 km x 300 m parcel straddling several 2 km tiles and the gas corridor
    g = shapely.box(GAS_X - 1500, Y0 + 1000, GAS_X + 1500, Y0 + 1300)
    res = run(zones, [g])
    h = hits_of(res, "p0")
    assert h.loc[("gas.minimum_distance.dn_600", "certain"), "overlap_m2"] == pytest.approx(
        300 * 300
    )
    assert h.loc[("gas.protection_zone", "certain"), "overlap_m2"] == pytest.approx(100 * 300)
    assert h.loc[("gas.no_regime_rule", "certain"), "overlap_m2"] == pytest.approx(20 * 300)


@pytest.mark.parametrize("size", [333.0, 50_000.0])
def test_tile_size_does_not_change_answers(zones, size: float) -> None:
    other = prepared(tile_size=size)
    geoms = [
        sq(1000, 5000),
        shapely.box(GAS_X - 1500, Y0 + 4900, GAS_X + 1500, Y0 + 5300),
        sq(5000, 7000),
        sq(-50, 3000),
    ]
    a = run(zones, geoms)
    b = run(other, geoms)
    cols = ["parcel_id", "rule_id", "certainty", "overlap_m2", "distance_to_source_m", "regime"]
    pd.testing.assert_frame_equal(a.hits[cols], b.hits[cols], rtol=1e-9)
    pd.testing.assert_frame_equal(
        a.parcels.drop(columns="geometry"), b.parcels.drop(columns="geometry"), rtol=1e-9
    )


def test_tiles_partition_the_zone() -> None:
    g = shapely.buffer(shapely.LineString([(X0, Y0), (X0 + 7300, Y0 + 4100)]), 120.0)
    tiles, owner = tile_geometries(np.array([g], dtype=object), 1000.0)
    assert (owner == 0).all() and len(tiles) > 5
    assert float(shapely.area(tiles).sum()) == pytest.approx(g.area, rel=1e-12)


def test_invalid_rows_are_kept(zones) -> None:
    res = run(zones, [sq(1000, 5000), None, shapely.Polygon()], ids=["a", "b", "c"])
    assert res.parcels["parcel_id"].tolist() == ["a", "b", "c"]
    assert res.parcels["verdict"].tolist() == ["prohibited", "invalid_input", "invalid_input"]
    assert res.parcels["verdict_reason"].tolist()[1:] == ["null_geometry", "empty_geometry"]
    assert set(res.hits["parcel_id"]) == {"a"}


def test_overlap_geometry_on_request(zones) -> None:
    g = shapely.box(X0 + 900, RIVER_Y - 30, X0 + 3100, RIVER_Y + 30)  # spans tiles
    res = run(zones, [g], with_overlap_geometry=True)
    h = res.hits
    assert h.geometry.notna().all()
    assert np.allclose(h.geometry.area.to_numpy(), h["overlap_m2"].to_numpy())
    strip = h[(h["rule_id"] == "water_protection.turgen.strip") & (h["certainty"] == "certain")]
    assert strip.geometry.iloc[0].equals(g)


def test_empty_input(zones) -> None:
    res = run(zones, [])
    assert len(res.parcels) == 0 and len(res.hits) == 0


def test_engine_requires_working_crs(zones) -> None:
    gdf = parcels([sq(0, 0)], pid=["a"]).to_crs(4326)
    with pytest.raises(CRSError):
        check_parcels(gdf, zones)


def test_partitions_concatenate_to_the_whole(zones) -> None:
    geoms = [sq(1000, 5000), sq(5000, 7000), sq(2100, 2000), None, sq(9000, 9000)]
    raw = parcels(geoms, pid=list("abcde"), use=["residential"] * 5)
    frame = prepare_parcels(raw, zones.land_use, id_field="pid", use_field="use").frame
    whole = check_parcels(frame, zones)
    parts = CheckResult.concat(
        [check_parcels(frame.iloc[:2], zones), check_parcels(frame.iloc[2:], zones)]
    )
    pd.testing.assert_frame_equal(
        plain(whole.parcels.drop(columns="geometry")), plain(parts.parcels.drop(columns="geometry"))
    )
    pd.testing.assert_frame_equal(plain(whole.hits), plain(parts.hits))
    assert isinstance(parts.hits["rule_id"].dtype, pd.CategoricalDtype)


def test_use_classes_as_categories_or_as_texts_give_the_same_regimes(zones) -> None:
    # the reader gives use_class as a categorical (coded without hashing any text); a
    # frame from elsewhere may carry plain texts, unknown ids and nulls (default class)
    geoms = [sq(1000, 5000)] * 4
    raw = parcels(geoms, pid=["a", "b", "c", "d"], use=["residential"] * 4)
    pin = prepare_parcels(raw, zones.land_use, id_field="pid", use_field="use")
    cat = pin.frame.copy()
    cat["use_class"] = pd.Categorical(["residential", "agricultural", "no-such-class", None])
    txt = cat.copy()
    txt["use_class"] = pd.Series(
        ["residential", "agricultural", "no-such-class", None], dtype=object
    )
    a, b = check_parcels(cat, zones), check_parcels(txt, zones)
    assert a.parcels["verdict"].tolist() == b.parcels["verdict"].tolist()
    assert a.hits["rule_regime"].tolist() == b.hits["rule_regime"].tolist()
    assert a.parcels["verdict"].iloc[0] == "prohibited"  # residential in the strip
    default = zones.land_use.default_class
    dflt = txt.copy()
    dflt["use_class"] = [default] * 4
    c = check_parcels(dflt, zones)
    # an unknown id and a null are the default class, whichever the column's type
    assert a.parcels["verdict"].tolist()[2:] == [c.parcels["verdict"].iloc[0]] * 2
    assert a.hits[a.hits["parcel_id"] == "c"]["rule_regime"].tolist() == (
        c.hits[c.hits["parcel_id"] == "a"]["rule_regime"].tolist()
    )


@pytest.mark.parametrize(
    ("title", "title_ru"),
    [("Agriculture", "Сельское хозяйство"), ("Agriculture; gardens", "Сельское хозяйство; сады")],
)
def test_the_engines_explanation_parts_are_the_patterns(zones, title, title_ru) -> None:
    """Every explanation the engine composes, of every verdict, comes with its head,
    words and tail, and they are what ``explanation_parts_of`` finds (the results
    GeoPackage stores the engine's): also when a use's title holds a "; " of its own."""
    lu = dataclasses.replace(
        zones.land_use,
        titles={**zones.land_use.titles, "agricultural": title},
        titles_ru={**zones.land_use.titles_ru, "agricultural": title_ru},
    )
    z = dataclasses.replace(zones, land_use=lu, derived={})
    geoms = [sq(1000, 5000), sq(1000, 6000), sq(1950, 3000), sq(1000, 5200)]
    geoms += [sq(5000, 7000), sq(-50, 3000), sq(-300, 9000), None]
    res = run(z, geoms, uses=["ИЖС", "ферма", "пашня", "пашня", "ИЖС", "пашня", "ИЖС", "ИЖС"])
    assert res.parcels["verdict"].tolist() == [
        "prohibited",
        *["conditional"] * 2,
        *["clear"] * 3,
        "outside",
        "invalid_input",
    ]
    assert res.explanations is not None
    for col, lang in (("explanation_en", "en"), ("explanation_ru", "ru")):
        parts = res.explanations.of(res.parcels[col], col)
        assert parts is not None
        texts = res.parcels[col].cat.categories.tolist()
        assert ["".join(p) for p in parts] == texts
        assert [tuple(p) for p in parts] == list(
            zip(*explanation_parts_of(texts, lang), strict=True)
        )
    en = res.explanations.of(res.parcels["explanation_en"], "explanation_en")
    assert en is not None
    heads = {str(p[0]) for p in en}
    assert f"Clear: {title} is allowed in every zone the parcel touches (1)" in heads
    words = {str(p[1]) for p in en}
    assert "; nearest water-protection zone 300 m." in words  # the full stop ends it
    assert res.explanations.of(res.parcels["explanation_en"], "explanation_ru") is None
