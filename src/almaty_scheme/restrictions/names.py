"""Matching the names a rule gives (``applies_to.names``/``refs``) to base features."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from almaty_scheme.base.names import normalise_name


def name_matches(candidates: Sequence[str], values: Iterable[Any]) -> bool:
    """Whether any candidate name occurs, as whole words, in any of ``values``.

    Both sides are compared in the form of :func:`~almaty_scheme.base.names.normalise_name`
    (case, dashes, quotes, dots, Kazakh letters and status words such as ``с.`` or
    ``г.`` do not matter): ``"Алматы – Бишкек"`` occurs in ``"автодорога Алматы-Бишкек"``,
    ``"A-2"`` in ``"A-2"`` and ``"Каскелен"`` in ``"р. Қаскелең"``. A candidate made only
    of status words matches nothing.
    """
    vals = [normalise_name(v) for v in values if isinstance(v, str) and v.strip()]
    if not vals:
        return False
    for c in candidates:
        nc = normalise_name(c)
        if not nc:
            continue
        pat = re.compile(r"(?<!\w)" + re.escape(nc) + r"(?!\w)")
        if any(pat.search(v) for v in vals):
            return True
    return False


def feature_names(
    row: Mapping[str, Any] | pd.Series,
    cols: Sequence[str] = ("name", "name_ru", "name_kk", "name_en"),
) -> list[str]:
    """The name-like values of a base feature (missing columns skipped)."""
    out = []
    for c in cols:
        v = row.get(c) if hasattr(row, "get") else None
        if isinstance(v, str) and v.strip():
            out.append(v)
    return out
