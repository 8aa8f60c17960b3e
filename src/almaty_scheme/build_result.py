"""What one build produced (:class:`BuildResult`) and where its report files go.

Kept apart from :mod:`almaty_scheme.build` so that the writers of the build's outputs
(:mod:`almaty_scheme.report.build_report`) import it downwards: ``restrictions`` ->
``build_result`` -> ``report.build_report`` -> ``build`` -> ``cli``, no cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from almaty_scheme.restrictions.notes import LayerNote
from almaty_scheme.restrictions.options import BuildOptions

__all__ = ["BuildResult", "report_paths"]


@dataclass
class BuildResult:
    """Everything one build produced (layers, report notes, figures, timings)."""

    layers: dict[str, gpd.GeoDataFrame]
    build_info: pd.DataFrame
    notes: list[LayerNote]
    figures: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    options: BuildOptions
    catalogue_version: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    base_provenance: list[dict[str, Any]] = field(default_factory=list)
    base_figures: list[dict[str, Any]] = field(default_factory=list)


def report_paths(gpkg_path: str | Path) -> tuple[Path, Path]:
    """``(<stem>.report.md, <stem>.report.json)`` beside the GeoPackage."""
    p = Path(gpkg_path)
    return p.with_name(p.stem + ".report.md"), p.with_name(p.stem + ".report.json")
