"""Which of the scheme's rules found real geometry (OSM or the user's), and which did not.

Real features attach to rules by name and road number:

- **Roads** (:func:`attach_road_rules`): a real road carries a road rule when one of
  its road numbers (``ref``, ``int_ref``, split at ``;``, normalised to Cyrillic
  letters: ``M-39`` = ``М-39``, ``E 40`` = ``Е-40``) is one of the rule's
  ``applies_to.refs``, or when one of the rule's ``applies_to.names`` occurs as whole
  words in one of its names (``name``, ``name_ru``, ``name_kk``, ``name_en``,
  ``int_name``, ``old_name``; so "автодорога Алматы — Бишкек" carries "Алматы –
  Бишкек"). The rule ids go into ``rule_ids``; :func:`~almaty_scheme.base.alignments.merge_roads`
  then drops the schematic alignment of every rule a real road carries.
- **Rivers and reservoirs**: a water-protection rule with ``applies_to.names`` is
  attached to real geometry when a river / water body whose accuracy is not
  ``derived ...`` bears one of its names in any script (the same whole-word match);
  otherwise it attaches to a stream derived from the DEM (``derived``) or to nothing.

:func:`rule_geometry_figure` lists every named rule with ``real`` / ``schematic`` /
``derived`` / ``none`` and the features (``osm_id`` or ``base_id``) it attached to;
``build`` prints it and the build report carries it (``figures['real_geometry']``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from almaty_scheme.base.names import normalise_name

NAME_COLUMNS: tuple[str, ...] = ("name", "name_ru", "name_kk", "name_en", "int_name", "old_name")
REF_COLUMNS: tuple[str, ...] = ("ref", "int_ref")
MAX_LISTED = 5
"""Feature ids listed per rule (all are counted)."""

_LAT_TO_CYR = str.maketrans(
    {"A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
     "P": "Р", "T": "Т", "X": "Х", "Y": "У"}
)  # fmt: skip


def ref_tokens(value: object) -> set[str]:
    """Road numbers in one spelling: ``"А-3; M-39"`` -> ``{"А-3", "М-39"}``; ``E 40`` -> ``Е-40``."""
    if not isinstance(value, str) or not value.strip():
        return set()
    out = set()
    for raw in re.split(r"\s*[;,/]\s*", value.strip()):
        token = raw.upper().translate(_LAT_TO_CYR)
        m = re.fullmatch(r"([А-ЯЁӘҒҚҢӨҰҮҺІ]+)\s*[-‐‑–—\s]?\s*(\d+[А-ЯA-Z]?)", token)
        if m:
            out.add(f"{m.group(1)}-{m.group(2)}")
        elif token:
            out.add(token)
    return out


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    out = []
    for n in names:
        nn = normalise_name(n)
        if nn:
            out.append(re.compile(r"(?<!\w)" + re.escape(nn) + r"(?!\w)"))
    return out


def _names_of(row: Any, columns: Sequence[str]) -> list[str]:
    vals = []
    for c in columns:
        v = row.get(c)
        if isinstance(v, str) and v.strip():
            vals.append(normalise_name(v))
    return [v for v in vals if v]


def _matches(patterns: list[re.Pattern[str]], names: list[str]) -> bool:
    return any(p.search(v) for p in patterns for v in names)


def attach_road_rules(roads: gpd.GeoDataFrame, rules: Iterable[Any]) -> gpd.GeoDataFrame:
    """Fill ``rule_ids`` of real roads that have none, by ref and name (module docstring).

    Roads that already carry ``rule_ids`` (the user's own attribution) are left as they
    are; a road no rule matches keeps ``rule_ids`` empty.
    """
    rules = [r for r in rules if getattr(r, "applies_to", None) is not None]
    keyed = [
        (
            r.id,
            set().union(*(ref_tokens(x) for x in r.applies_to.refs))
            if r.applies_to.refs
            else set(),
            _name_patterns(r.applies_to.names),
        )
        for r in rules
    ]
    out = roads.copy()
    ids = (
        out["rule_ids"].astype("string")
        if "rule_ids" in out.columns
        else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    name_cols = [c for c in NAME_COLUMNS if c in out.columns]
    ref_cols = [c for c in REF_COLUMNS if c in out.columns]
    for i, row in out.iterrows():
        if not pd.isna(ids[i]) and str(ids[i]).strip():
            continue
        refs = set().union(*(ref_tokens(row.get(c)) for c in ref_cols)) if ref_cols else set()
        names = _names_of(row, name_cols)
        hit = [rid for rid, rrefs, pats in keyed if (refs & rrefs) or _matches(pats, names)]
        ids[i] = ",".join(hit) if hit else pd.NA
    out["rule_ids"] = ids
    return out


def _feature_ids(gdf: gpd.GeoDataFrame) -> list[str]:
    col = "osm_id" if "osm_id" in gdf.columns else "base_id"
    return [str(v) for v in gdf[col].dropna().head(MAX_LISTED)]


def _is_derived(gdf: gpd.GeoDataFrame) -> pd.Series:
    acc = gdf["accuracy"].astype("string").fillna("") if "accuracy" in gdf else None
    if acc is None:
        return pd.Series(False, index=gdf.index)
    return acc.str.startswith("derived") | acc.str.startswith("schematic")


def _road_entry(rule: Any, roads: gpd.GeoDataFrame) -> dict[str, Any]:
    ids = roads["rule_ids"].astype("string").fillna("")
    carries = ids.map(lambda v: rule.id in [x.strip() for x in v.split(",")])
    hit = roads.loc[carries.to_numpy()]
    real = hit.loc[~_is_derived(hit).to_numpy()]
    if len(real):
        src = sorted({str(s) for s in real["source"].dropna()})
        return {"status": "real", "features": len(real), "ids": _feature_ids(real), "source": src}
    if len(hit):
        return {"status": "schematic", "features": len(hit), "ids": [], "source": []}
    return {"status": "none", "features": 0, "ids": [], "source": []}


def _water_entry(rule: Any, layer: gpd.GeoDataFrame) -> dict[str, Any]:
    pats = _name_patterns(rule.applies_to.names)
    cols = [c for c in NAME_COLUMNS if c in layer.columns]
    if not len(layer) or not cols:
        return {"status": "none", "features": 0, "ids": [], "source": []}
    hit_mask = [_matches(pats, _names_of(row, cols)) for _, row in layer[cols].iterrows()]
    hit = layer.loc[hit_mask]
    real = hit.loc[~_is_derived(hit).to_numpy()]
    if len(real):
        src = sorted({str(s) for s in real["source"].dropna()})
        return {"status": "real", "features": len(real), "ids": _feature_ids(real), "source": src}
    if len(hit):
        return {"status": "derived", "features": len(hit), "ids": [], "source": []}
    return {"status": "none", "features": 0, "ids": [], "source": []}


def rule_geometry(base: Any, rules: Iterable[Any]) -> list[dict[str, Any]]:
    """One entry per named road / river / reservoir rule: where its geometry comes from."""
    out = []
    for r in rules:
        at = getattr(r, "applies_to", None)
        if at is None or not at.names:
            continue
        if r.family == "roads":
            entry = _road_entry(r, base["roads"])
        elif at.feature == "river":
            entry = _water_entry(r, base["rivers"])
        elif at.feature in ("reservoir", "lake", "water_body"):
            entry = _water_entry(r, base["water_bodies"])
        else:
            continue
        out.append({"rule_id": r.id, "feature": at.feature or r.family, **entry})
    return out


def rule_geometry_figure(base: Any, rules: Iterable[Any]) -> dict[str, Any]:
    """``figures['real_geometry']``: counts and a one-line list per status."""
    entries = rule_geometry(base, rules)
    by: dict[str, list[str]] = {"real": [], "schematic": [], "derived": [], "none": []}
    for e in entries:
        by[e["status"]].append(
            e["rule_id"] + (f" ({', '.join(e['ids'])})" if e["status"] == "real" else "")
        )
    n_real = len(by["real"])
    text = "; ".join(f"{k}: {', '.join(v)}" for k, v in by.items() if v)
    return {
        "label": "Named rules attached to real geometry",
        "ours": float(n_real),
        "scheme": None,
        "unit": "rules",
        "difference": None,
        "difference_pct": None,
        "explanation": (
            f"{n_real} of {len(entries)} road/river/reservoir rules found real geometry "
            f"(by ref and name, any script); the others keep the schematic alignment or "
            f"the DEM-derived stream, labelled. {text}"
        ),
        "citation": "",
        **{f"rules_{k}": ", ".join(v) for k, v in by.items()},
        "rules": entries,
    }


def format_rule_geometry(figure: dict[str, Any]) -> list[str]:
    """Lines for the CLI: one per rule."""
    lines = [f"{figure['label']}: {int(figure['ours'])} of {len(figure['rules'])}"]
    for e in figure["rules"]:
        ids = f" {', '.join(e['ids'])}" if e["ids"] else ""
        lines.append(f"  {e['status']:<9} {e['rule_id']}{ids}")
    return lines
