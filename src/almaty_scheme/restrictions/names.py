"""Matching the names a rule gives (``applies_to.names``/``refs``) to base features."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

_DASHES = re.compile(r"[\u2010-\u2015\u2212-]+")
_QUOTES = re.compile(r"[\"'«»“”„`]")
_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Fold a name for matching: NFC, lower case, ё→е, dashes and quotes unified."""
    t = unicodedata.normalize("NFKC", str(text)).lower().replace("ё", "е")
    t = _QUOTES.sub("", t)
    t = _DASHES.sub(" - ", t)
    return _SPACES.sub(" ", t).strip()


def name_matches(candidates: Sequence[str], values: Iterable[Any]) -> bool:
    """Whether any candidate name occurs, as whole words, in any of ``values``."""
    vals = [normalize_name(v) for v in values if isinstance(v, str) and v.strip()]
    if not vals:
        return False
    for c in candidates:
        nc = normalize_name(c)
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
