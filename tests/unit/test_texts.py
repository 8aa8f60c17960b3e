"""Text columns in Arrow (texts.py): the same codes, values and answers as pandas'."""

from __future__ import annotations

import pandas as pd
import pytest

from almaty_scheme import texts


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_factorize_gives_pandas_codes_and_values(dtype: object) -> None:
    s = pd.Series(["b", None, "a", "b", ""], dtype=dtype)  # type: ignore[call-overload]
    codes, values = texts.factorize(s)
    assert codes.tolist() == [0, -1, 1, 0, 2]
    assert values == ["b", "a", ""]
    expect, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
    assert codes.tolist() == expect.tolist() and values == list(uniq)


def test_arrow_texts_only_for_columns_pandas_keeps_in_arrow() -> None:
    assert texts.arrow_texts(pd.Series(["x"], dtype="str")) is not None
    assert texts.arrow_texts(pd.Series(["x"], dtype=object)) is None
    assert texts.arrow_texts(pd.Series([1, 2])) is None


def test_same_values_across_text_types() -> None:
    a = pd.Series(["x", "y"], dtype="str")
    assert texts.same_values(a, pd.Series(["x", "y"], dtype="string"))
    assert texts.same_values(a, pd.Series(["x", "y"], dtype=object))
    assert not texts.same_values(a, pd.Series(["x", "z"], dtype="string"))
    assert not texts.same_values(a, pd.Series(["y", "x"], dtype="str"))


def test_all_distinct_needs_every_id_present_and_different() -> None:
    assert texts.all_distinct(pd.Series(["a", "b", "c"], dtype="string"))
    assert not texts.all_distinct(pd.Series(["a", "b", "a"], dtype="string"))
    assert not texts.all_distinct(pd.Series(["a", None], dtype="string"))
    assert not texts.all_distinct(pd.Series([1, 2]))  # not texts: the caller decides


def test_all_distinct_sorted_and_unsorted_texts() -> None:
    def arrow(values: list[str]) -> pd.Series:
        return pd.Series(values, dtype=pd.StringDtype("pyarrow"))

    assert texts.all_distinct(arrow(["03-040-000-001", "03-040-000-002", "03-041-000-000"]))
    assert not texts.all_distinct(arrow(["a", "b", "b", "c"]))  # sorted, one repeated
    assert texts.all_distinct(arrow(["c", "a", "b"]))  # not sorted: hashed
    assert not texts.all_distinct(arrow(["c", "a", "c"]))
    assert not texts.all_distinct(arrow(["b", "a", "a"]))  # decreasing, a repeat
    assert texts.all_distinct(arrow(["only"]))
    assert texts.all_distinct(arrow([]))
