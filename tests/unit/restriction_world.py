"""Tiny synthetic worlds for the restriction-builder tests (hand-derivable answers)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import shapely

from almaty_scheme.base.model import BaseData, LayerProvenance
from almaty_scheme.catalogue import Catalogue, default_catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.crs import WORKING_CRS

X0, Y0 = 500_000.0, 4_800_000.0  # somewhere in UTM 43N


def P(x: float, y: float) -> tuple[float, float]:
    """A point offset from the world origin."""
    return (X0 + x, Y0 + y)


def line(*pts: tuple[float, float]) -> shapely.LineString:
    """A line through offsets from the origin."""
    return shapely.LineString([P(x, y) for x, y in pts])


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A rectangle in offsets from the origin."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """A GeoDataFrame in the working CRS from dicts with a 'geometry' key."""
    geoms = [r.pop("geometry") for r in rows]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=WORKING_CRS)


def make_base(dem_path: Any = None, **layers: list[dict[str, Any]]) -> BaseData:
    """BaseData with the given layers (lists of row dicts)."""
    base = BaseData(dem_path=dem_path)
    for name, rows in layers.items():
        base.set(
            name,
            frame([dict(r) for r in rows]),
            LayerProvenance(name, "loaded", "synthetic", accuracy="exact (test)"),
        )
    return base


SRC = {"type": "scheme", "quote": "test quote", "lines": [1, 1]}


def rule(rid: str, kind: str, **kw: Any) -> Rule:
    """A catalogue rule with a dummy scheme source."""
    data = {"id": rid, "family": rid.split(".")[0], "kind": kind, "title": rid, "source": SRC}
    data.update(kw)
    return Rule.model_validate(data)


def catalogue_of(rules: Iterable[Rule]) -> Catalogue:
    """A catalogue holding exactly ``rules`` (the shipped one with its rules replaced)."""
    return dataclasses.replace(
        default_catalogue(), rules={r.id: r for r in rules}, findings={}, rule_file_of={}
    )


def ngon_area(r: float, n: int = 64) -> float:
    """Area of the regular n-gon inscribed in a circle of radius r (buffer round parts)."""
    return 0.5 * n * r * r * math.sin(2 * math.pi / n)
