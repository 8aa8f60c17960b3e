"""Unit-test configuration: which tests are ``slow`` (left out of ``make test-fast``).

``make test-fast`` runs ``pytest -n 2 -m "not slow" tests/unit`` for quick feedback
(under 90 s on the 2-core development machine); ``make test`` (CI) runs everything.
The slow tests are listed here, in one place, with why they are slow, rather than
decorated in each file. Chosen from ``pytest -n 2 tests/unit --durations=60``: together
they took about 40 % of the unit suite's time.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI draws the same examples every run (a failure there is reproducible, never luck);
# elsewhere hypothesis explores new ones each run
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

SLOW: dict[str, str] = {
    "test_check_dask.py::test_dask_engine_equals_local_engine": "starts a Dask LocalCluster; "
    "each worker process loads (or compiles) the numba kernels",
    "test_api.py::test_readme_script": "builds every family of the shipped catalogue, then "
    "checks twice",
    "test_report.py::test_html_is_self_contained_and_pdf_has_pages": "renders a PDF",
    "test_check_clip.py::test_clipping_equals_geos": "hypothesis, 40 examples against GEOS",
    "test_check_properties.py::test_verdict_does_not_depend_on_row_order": "hypothesis, "
    "two checks per example",
    "test_plot.py::test_overview_png_and_pdf": "renders a PNG and a PDF map",
    "test_restrictions_zoning.py::test_partition_invariants": "hypothesis, a full priority "
    "overlay per example",
    "test_osm.py::test_import_writes_every_layer": "a whole OSM import",
    "test_kill_check.py::test_kill_before_commit_keeps_the_previous_set": "kills a real check "
    "subprocess, then runs another",
    "test_kill_check.py::test_kill_during_commit_is_finished_by_the_next_run": "kills a real "
    "check subprocess mid-commit, then runs another",
    "test_kill_check.py::test_kill_after_delay_leaves_a_consistent_set": "real check "
    "subprocesses killed after delays",
    "test_kill_check.py::test_a_full_disk_is_an_error_line_and_harms_nothing": "real check "
    "subprocesses whose files may not grow",
    "test_report.py::test_pdf_text_never_overlaps_and_nothing_is_cut": "renders a PDF and "
    "reads its word boxes",
}
"""``file::test`` -> why it is slow."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW` ``slow``."""
    for item in items:
        key = f"{item.path.name}::{item.originalname if isinstance(item, pytest.Function) else item.name}"
        if key in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def private_zone_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zone cache of the test's own (``ALMATY_SCHEME_CACHE_DIR``), for tests that
    check what a run writes or lets go: no entry from another test is met."""
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
