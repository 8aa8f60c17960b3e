"""Property-based tests of the check engine on random polygons (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from check_world import X0, Y0, layers, parcels, prepared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almaty_scheme.check.engine import check_parcels, plain
from almaty_scheme.check.inputs import prepare_parcels

ZONES = prepared()
WORLD = layers()
USES = [
    "residential",
    "agricultural",
    "livestock_farm",
    "recreation_open",
    "utilities",
    "теплица",
    None,
]
SETTINGS = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rectangles(draw: st.DrawFn) -> shapely.Polygon:
    """Rotated rectangles of 10 m to 3 km anywhere in (and around) the world."""
    cx = draw(st.floats(-500, 10_500))
    cy = draw(st.floats(-500, 10_500))
    w = draw(st.floats(10, 3000))
    h = draw(st.floats(10, 3000))
    a = draw(st.floats(0, 180))
    r = shapely.box(-w / 2, -h / 2, w / 2, h / 2)
    from shapely import affinity

    return affinity.translate(affinity.rotate(r, a), X0 + cx, Y0 + cy)


@st.composite
def scribbles(draw: st.DrawFn) -> shapely.Polygon:
    """Polygons from 3-8 random vertices: often self-intersecting (then repaired)."""
    cx = draw(st.floats(0, 10_000))
    cy = draw(st.floats(3_000, 7_000))
    n = draw(st.integers(3, 8))
    pts = [
        (X0 + cx + draw(st.floats(-800, 800)), Y0 + cy + draw(st.floats(-800, 800)))
        for _ in range(n)
    ]
    return shapely.Polygon(pts)


def check(geoms: list[shapely.Geometry], uses: list[str | None], **kw):  # type: ignore[no-untyped-def]
    raw = parcels(geoms, pid=[f"p{i}" for i in range(len(geoms))], use=uses)
    pin = prepare_parcels(raw, ZONES.land_use, id_field="pid", use_field="use")
    return pin, check_parcels(pin.frame, ZONES, **kw)


@SETTINGS
@given(st.lists(st.one_of(rectangles(), scribbles()), min_size=1, max_size=8), st.data())
def test_shares_in_range_and_nothing_lost(geoms, data) -> None:  # type: ignore[no-untyped-def]
    uses = [data.draw(st.sampled_from(USES)) for _ in geoms]
    _pin, res = check(geoms, uses)
    assert len(res.parcels) == len(geoms)
    assert res.parcels["parcel_id"].tolist() == [f"p{i}" for i in range(len(geoms))]
    h = res.hits
    assert ((h["share_pct"] >= 0) & (h["share_pct"] <= 100)).all()
    assert (h["overlap_m2"] > 0).all()
    w = res.parcels["worst_share_pct"].dropna()
    assert ((w >= 0) & (w <= 100)).all()
    # every hit's overlap never exceeds its parcel's area
    area = res.parcels.set_index("parcel_id")["area_m2"]
    assert (h["overlap_m2"].to_numpy() <= area.loc[h["parcel_id"]].to_numpy() * (1 + 1e-9)).all()
    assert set(res.parcels["verdict"]) <= {
        "prohibited",
        "conditional",
        "clear",
        "outside",
        "invalid_input",
    }


@SETTINGS
@given(rectangles())
def test_disjoint_pieces_sum_to_the_area(g) -> None:  # type: ignore[no-untyped-def]
    """Certain zone + possible band + the rest = the parcel, and each equals direct overlay."""
    _, res = check([g], ["residential"], with_overlap_geometry=True)
    h = res.hits[res.hits["layer"] == "water_protection_zones"]
    zones = WORLD["water_protection_zones"]
    union = shapely.union_all(zones.geometry.to_numpy())
    rest = shapely.difference(g, union).area
    assert float(h["overlap_m2"].sum()) + rest == np_approx(g.area)
    for cert in ("certain", "possible"):
        direct = shapely.intersection(
            g, zones.loc[zones["certainty"] == cert].geometry.iloc[0]
        ).area
        got = float(h.loc[h["certainty"] == cert, "overlap_m2"].sum())
        assert got == np_approx(direct)
    pieces = h.geometry.to_numpy()
    if len(pieces) == 2:
        assert shapely.intersection(pieces[0], pieces[1]).area <= 1e-6 * max(g.area, 1.0)


def np_approx(x: float):  # type: ignore[no-untyped-def]
    import pytest

    return pytest.approx(x, rel=1e-9, abs=1e-6)


@SETTINGS
@given(st.lists(st.one_of(rectangles(), scribbles()), min_size=2, max_size=8), st.data())
def test_verdict_does_not_depend_on_row_order(geoms, data) -> None:  # type: ignore[no-untyped-def]
    uses = [data.draw(st.sampled_from(USES)) for _ in geoms]
    perm = data.draw(st.permutations(range(len(geoms))))
    ids = [f"p{i}" for i in range(len(geoms))]
    raw = parcels(geoms, pid=ids, use=uses)
    a = check_parcels(
        prepare_parcels(raw, ZONES.land_use, id_field="pid", use_field="use").frame, ZONES
    )
    rawp = raw.iloc[list(perm)].reset_index(drop=True)
    b = check_parcels(
        prepare_parcels(rawp, ZONES.land_use, id_field="pid", use_field="use").frame, ZONES
    )
    cols = [
        "parcel_id",
        "verdict",
        "verdict_reason",
        "worst_rule_id",
        "worst_certainty",
        "worst_share_pct",
        "n_hits",
        "explanation_en",
        "explanation_ru",
    ]
    pa = plain(a.parcels[cols]).set_index("parcel_id").sort_index()
    pb = plain(b.parcels[cols]).set_index("parcel_id").sort_index()
    pd.testing.assert_frame_equal(pa, pb)
    key = ["parcel_id", "layer", "zone_fid"]
    ha = plain(a.hits).sort_values(key).reset_index(drop=True)
    hb = plain(b.hits).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(ha, hb)
    assert np.array_equal(
        b.parcels["parcel_id"].to_numpy(), np.asarray(ids, dtype=object)[list(perm)]
    )
