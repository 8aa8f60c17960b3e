"""Widths to bands, and the zone attributes of a rule, a band and a base feature.

A rule's width gives one band (a single value) or one or two (a range, by
``range_policy``); :class:`Band` keeps the widths in the rule's semantics (total or per
side) and gives the per-side buffer distances. :class:`Features` collects a layer's
features; :meth:`Features.add_bands` is the one band loop every family uses: for each
``(rule, band)`` it builds the geometry from the band's per-side distances and the
record from the rule, the band and the feature's attributes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from almaty_scheme.catalogue.models import Rule, Width
from almaty_scheme.restrictions.frames import zones_frame
from almaty_scheme.restrictions.geometry import MIN_SLIVER_M2
from almaty_scheme.restrictions.options import RangePolicy
from almaty_scheme.restrictions.text import join_reading

Certainty = Literal["certain", "possible"]


@dataclass(frozen=True)
class Band:
    """One feature's extent across a reference, in the rule's width semantics.

    ``inner_m``/``outer_m`` are widths as the rule states them (total or per side);
    :meth:`distances` gives the per-side buffer distances.
    """

    inner_m: float
    outer_m: float
    certainty: Certainty
    semantics: str
    reading: str | None = None

    def distances(self) -> tuple[float, float]:
        """(inner, outer) buffer distances from the reference, per side, in metres."""
        f = 0.5 if self.semantics == "total" else 1.0
        return self.inner_m * f, self.outer_m * f


def width_bands(width: Width, policy: RangePolicy | None) -> list[Band]:
    """The features a width gives: one for a single value, one or two for a range.

    Ranged widths (e.g. 35-100 m): ``both`` gives the minimum as ``certain`` (0 to min)
    and the ring from min to max as ``possible`` (the two never overlap); ``min`` gives
    0 to min as ``certain``; ``max`` gives 0 to max as ``certain``. ``policy=None`` uses
    the rule's ``width.default``.
    """
    sem = width.semantics
    if not width.is_range:
        assert width.value_m is not None
        return [Band(0.0, width.value_m, "certain", sem)]
    assert width.min_m is not None and width.max_m is not None
    chosen = policy or (width.default if width.default in ("both", "min", "max") else "both")
    lo, hi = width.min_m, width.max_m
    if chosen == "min":
        return [
            Band(0.0, lo, "certain", sem, f"range {lo:g}-{hi:g} m: minimum used (range_policy=min)")
        ]
    if chosen == "max":
        return [
            Band(0.0, hi, "certain", sem, f"range {lo:g}-{hi:g} m: maximum used (range_policy=max)")
        ]
    return [
        Band(0.0, lo, "certain", sem, f"range {lo:g}-{hi:g} m: minimum built as certain"),
        Band(
            lo,
            hi,
            "possible",
            sem,
            f"range {lo:g}-{hi:g} m: band from minimum to maximum built as possible",
        ),
    ]


def rule_attributes(rule: Rule) -> dict[str, Any]:
    """The zone attributes that come from the rule alone (width columns excluded)."""
    w = rule.width
    return {
        "rule_id": rule.id,
        "family": rule.family,
        "kind": rule.kind,
        "width_semantics": w.semantics if w else None,
        "measured_from": w.measured_from if w else None,
        "width_min_m": (w.min_m if w.is_range else w.value_m) if w else None,
        "width_max_m": (w.max_m if w.is_range else w.value_m) if w else None,
        "horizon": rule.horizon,
        "citation": rule.citation(),
        "citation_ru": rule.citation_ru(),
        "verified": rule.verified,
    }


def band_record(rule: Rule, b: Band) -> dict[str, Any]:
    """Rule attributes plus the width columns of one band."""
    rec = rule_attributes(rule)
    rec.update(
        width_m=b.outer_m,
        band_inner_m=b.inner_m,
        band_outer_m=b.outer_m,
        certainty=b.certainty,
        width_semantics=b.semantics,
    )
    return rec


def source_attributes(row: Mapping[str, Any] | pd.Series, layer: str) -> dict[str, Any]:
    """``source``/``accuracy``/``source_layer``/``source_fid`` of a base feature."""

    def get(k: str) -> Any:
        v = row.get(k) if hasattr(row, "get") else None
        return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v

    return {
        "source": get("source"),
        "accuracy": get("accuracy"),
        "source_layer": layer,
        "source_fid": get("base_id"),
    }


Shape = Callable[[float, float], BaseGeometry]
"""Geometry of one band from its ``(inner, outer)`` per-side distances in metres."""


@dataclass
class Features:
    """The features of one layer as they are built: attribute dicts and geometries, in order."""

    records: list[dict[str, Any]] = field(default_factory=list)
    geoms: list[BaseGeometry] = field(default_factory=list)

    def add(self, record: dict[str, Any], geom: BaseGeometry) -> None:
        """Append one feature."""
        self.records.append(record)
        self.geoms.append(geom)

    def add_bands(
        self,
        bands: Iterable[tuple[Rule, Band]],
        shape: Shape,
        attributes: Mapping[str, Any],
        *,
        before: Sequence[str | None] = (),
        after: Sequence[str | None] = (),
        also_cite: Sequence[str] = (),
    ) -> None:
        """Append one feature per ``(rule, band)``: the band loop of every family.

        Geometric rule: the feature is ``shape(inner, outer)``, ``(inner, outer)`` being
        the band's per-side buffer distances (:meth:`Band.distances`: half a ``total``
        width, a ``per_side`` width as it is); the family's ``shape`` says from what the
        distances are measured (axis, corridor edge, water edge) and what is cut out.

        The record is :func:`band_record` (the rule's attributes and the band's width
        columns), then ``attributes`` (source, name, family columns; they override the
        band's values, e.g. ``certainty``), and ``reading`` = ``before`` + the band's own
        reading + ``after``, joined by :func:`~almaty_scheme.restrictions.text.join_reading`.
        ``also_cite`` (sources of the feature's data beside the rule's own, e.g. the scheme
        lines that give a pipeline's diameters) is appended to ``citation`` and
        ``citation_ru``.
        """
        for rule, b in bands:
            inner, outer = b.distances()
            rec = band_record(rule, b)
            rec.update(attributes)
            rec["reading"] = join_reading(*before, b.reading, *after)
            for key in ("citation", "citation_ru") if also_cite else ():
                rec[key] = "; ".join(str(c) for c in (rec.get(key), *also_cite) if c)
            self.add(rec, shape(inner, outer))

    def frame(
        self, extra: Mapping[str, str] | None = None, *, min_area: float = MIN_SLIVER_M2
    ) -> gpd.GeoDataFrame:
        """The features as a zone frame (:func:`~almaty_scheme.restrictions.frames.zones_frame`)."""
        return zones_frame(self.records, self.geoms, extra, min_area=min_area)


def rule_bands(rule: Rule, policy: RangePolicy | None) -> list[tuple[Rule, Band]]:
    """``(rule, band)`` for each band of the rule's width (none without a width)."""
    if rule.width is None:
        return []
    return [(rule, b) for b in width_bands(rule.width, policy)]
