"""The Dask engine gives the local engine's results (LocalCluster, 2 worker processes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from check_world import parcels, prepared, sq

from almaty_scheme.check.engine import check_parcels, plain
from almaty_scheme.check.inputs import prepare_parcels
from almaty_scheme.check.options import CheckOptions

pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")


@pytest.fixture()
def client():  # type: ignore[no-untyped-def]
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _frame(zones):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    n = 300
    geoms = [
        sq(x, y, w, h)
        for x, y, w, h in zip(
            rng.uniform(-500, 10_000, n),
            rng.uniform(-500, 10_000, n),
            rng.uniform(5, 600, n),
            rng.uniform(5, 600, n),
            strict=True,
        )
    ]
    geoms[3] = None  # invalid input travels in its own partition
    uses = rng.choice(["residential", "agricultural", "industrial", "ИЖС", "unknown thing"], n)
    raw = parcels(
        geoms, pid=[f"p{i:03d}" for i in range(n)], use=list(uses), note=[f"n{i}" for i in range(n)]
    )
    return prepare_parcels(raw, zones.land_use, id_field="pid", use_field="use").frame


def test_dask_engine_equals_local_engine(client) -> None:  # type: ignore[no-untyped-def]
    from almaty_scheme.check.dask_engine import check_parcels_dask

    zones = prepared()
    frame = _frame(zones)
    local = check_parcels(frame, zones)
    dist = check_parcels_dask(
        frame, zones, CheckOptions(engine="dask", partitions=5), client=client
    )
    # partitions really were spatial and several
    assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(plain(local.parcels), plain(dist.parcels))
    pd.testing.assert_frame_equal(plain(local.hits), plain(dist.hits))
    assert list(dist.parcels["parcel_id"]) == list(frame["parcel_id"])  # input order
    assert len(local.hits) > 100 and (local.parcels["verdict"] == "invalid_input").sum() == 1
    # with overlap geometries (hits are a GeoDataFrame)
    sub = frame.iloc[:60]
    local_g = check_parcels(sub, zones, with_overlap_geometry=True)
    opts = CheckOptions(engine="dask", partitions=3, with_overlap_geometry=True)
    dist_g = check_parcels_dask(sub, zones, opts, client=client)
    assert len(local_g.hits) == len(dist_g.hits) > 0
    assert local_g.hits.geometry.geom_equals_exact(dist_g.hits.geometry, 1e-6).all()
