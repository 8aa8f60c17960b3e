"""The compact paths of the check (issue 18) give exactly what the general ones give."""

from __future__ import annotations

import numpy as np
import pandas as pd

from almaty_scheme.check.engine import _increasing_strings, _sorted_pairs
from almaty_scheme.check.inputs import _assign_ids, _generated_ids
from almaty_scheme.check.verdict import (
    _SHARE_CASE,
    _SHARE_EN,
    _SHARE_RU,
    CONDITIONAL_REASONS,
    _factorize_rows,
    conditional_reason_codes,
    conditional_reasons,
)


def test_generated_ids_are_zero_padded_row_numbers() -> None:
    ids = _generated_ids(np.array([0, 16, 99]), 100)
    assert list(ids) == ["P000001", "P000017", "P000100"]
    # wider than 6 digits when the row count needs it
    assert list(_generated_ids(np.array([0, 999_999]), 1_000_000)) == ["P0000001", "P1000000"]


def test_assign_ids_fills_gaps_and_renames_duplicates() -> None:
    ids, generated, duplicate, report = _assign_ids(pd.Series(["a", None, "a"]), 3)
    assert list(ids) == ["a", "P000002", "a#2"]
    assert generated.tolist() == [False, True, False]
    assert duplicate.tolist() == [True, False, True]
    assert report == [{"id": "a", "count": 2}]


def test_increasing_strings() -> None:
    s = lambda v: pd.Series(v, dtype="string")  # noqa: E731
    assert _increasing_strings(s(["P01", "P02", "P10"]))
    assert not _increasing_strings(s(["P02", "P01"]))
    assert not _increasing_strings(s(["P01", "P01"]))  # equal: not unique
    assert not _increasing_strings(s(["P01", None]))
    assert not _increasing_strings(pd.Series(["a", "b"], dtype=object))  # not Arrow: hash
    assert _increasing_strings(s(["only"]))


def test_sorted_pairs() -> None:
    assert _sorted_pairs(np.array([0, 0, 1, 3]), np.array([2, 5, 0, 0]))
    assert not _sorted_pairs(np.array([0, 0]), np.array([5, 2]))
    assert not _sorted_pairs(np.array([0, 0]), np.array([2, 2]))  # a repeated pair
    assert not _sorted_pairs(np.array([1, 0]), np.array([0, 9]))


def test_factorize_rows_matches_multiindex() -> None:
    rng = np.random.default_rng(3)
    cols = [rng.integers(-1, 4, 500), rng.integers(-1, 900, 500), rng.integers(-1, 2, 500)]
    codes, rows = _factorize_rows(cols)
    ref_codes, ref_rows = pd.MultiIndex.from_arrays(cols).factorize()
    assert codes.tolist() == list(ref_codes)
    assert rows == [tuple(int(v) for v in r) for r in ref_rows]
    c, r = _factorize_rows([np.array([2, -1, 2]), np.array([0, 0, 0])])
    assert c.tolist() == [0, 1, 0] and r == [(2, 0), (-1, 0)]


def test_share_case_groups_equal_wordings() -> None:
    # 10.4 % and 10.0 % read "10 %"; 9.9 % reads "9.9 %"; 100 % is the whole parcel
    assert _SHARE_CASE[104] == _SHARE_CASE[100] != _SHARE_CASE[99]
    assert _SHARE_EN[1000] == "the whole parcel"
    for q in range(1001):
        same = np.flatnonzero(_SHARE_CASE[q] == _SHARE_CASE)
        assert set(_SHARE_EN[same]) == {_SHARE_EN[q]} and set(_SHARE_RU[same]) == {_SHARE_RU[q]}
    assert len(set(_SHARE_CASE.tolist())) == len(set(_SHARE_EN.tolist()))


def test_conditional_reason_codes() -> None:
    # prohibited rule in a possible band (also a proposal: the band wins); proposal only;
    # conditional rule with a regime; rule without a regime
    rule = np.array([2, 2, 1, 1])
    possible = np.array([True, False, False, False])
    proposal = np.array([True, True, False, False])
    has_regime = np.array([True, True, True, False])
    codes = conditional_reason_codes(rule, possible, proposal, has_regime)
    assert [CONDITIONAL_REASONS[c] for c in codes] == [
        "possibly_prohibited",
        "proposal_on_settlement",
        "use_conditional",
        "no_regime",
    ]
    assert conditional_reasons(rule, possible, proposal, has_regime) == [
        CONDITIONAL_REASONS[c] for c in codes
    ]
