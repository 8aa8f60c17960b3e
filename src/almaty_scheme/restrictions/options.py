"""The choices a build takes (:class:`BuildOptions`), shared by every family builder."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from almaty_scheme.restrictions.geometry import MIN_SLIVER_M2

RangePolicy = Literal["both", "min", "max"]
"""How ranged widths are built (see :attr:`BuildOptions.range_policy`)."""

LEGACY_NAMES = {"contour_source": "kapchagay_contour"}
"""Options recorded under a former name as well (``build_info``, report)."""


@dataclass(frozen=True)
class BuildOptions:
    """Choices a build takes; every one is recorded in ``build_info`` and the report.

    Parameters
    ----------
    range_policy
        How ranged widths are built: ``both`` (minimum as ``certain`` + the band up to
        the maximum as ``possible``), ``min`` or ``max``; ``None`` uses each rule's
        ``width.default``.
    river_half_width_m
        Half the channel width assumed for rivers given as centrelines: zones and
        strips are measured from a line this far from the centreline (0 = the
        centreline approximates the water edge on both banks).
    railway_right_of_way_m
        Per-side right-of-way width overriding the catalogue's flagged parameter.
    power_wire_offset_m
        Distance from a power line's axis to its outermost wire: zones measured from the
        outermost wire are built from the axis plus this offset (0 = axis).
    large_river_conditions
        ``complex`` or ``simple``: which default rule applies to rivers over 200 km
        without a project of their own (L628-632; catalogue finding
        ``water_protection.finding.ili_conditions``).
    contour_source
        How a contour that water-protection widths are ``measured_from`` (the rule's
        ``width.contour_m``, e.g. Kapchagay's 479.0 m, L590-591) is approximated:
        ``shoreline`` (the water-body polygon), ``dem`` (DEM cells at or below the contour
        connected to the water body, within ``contour_search_m`` of its shoreline, joined
        with the shoreline polygon). The CLI flag is ``--contour-source`` (alias
        ``--kapchagay-contour``); ``build_info`` records it under both
        ``option.contour_source`` and the former name ``option.kapchagay_contour``.
    contour_search_m
        How far from the shoreline the DEM contour may reach (``dem`` mode only).
    clip_to_boundary
        Clip every zone to the agglomeration boundary (when the base has one).
    include_base
        Write the base layers the zones were built from (``base_*``) into the package.
    min_sliver_m2
        Polygon parts smaller than this are dropped (partition pieces are merged into
        a neighbour instead, so that the partition stays gap-free).
    elevation_min_cells
        Elevation-belt parts smaller than this many DEM cells are dropped as specks.
    elevation_simplify_cells
        Simplification tolerance of elevation belts in DEM cells (at least 0.5; the
        default 1 removes the staircase of a 45-degree edge, whose corners lie 0.71 cell
        off the true line).
    unnamed_derived_certainty
        Certainty of water-protection features built around *unnamed* streams derived
        from a DEM: ``possible`` (default: such a stream may not exist, or run elsewhere,
        so a parcel there is flagged for checking, not prohibited) or ``certain``.
        Named rivers derived from the DEM keep the rule's certainty (the river exists;
        only its course is approximate, which each feature's ``accuracy`` says).
    aerial_spraying_band
        Draw the 2000 m band of ``water_protection.activity.aerial_spraying`` (L665-667)
        into ``water_protection_zones``: one ``possible`` feature per base layer (rivers,
        water bodies), measured from the water edge, whose regime makes agricultural,
        forestry and dacha uses conditional. Off by default: the prohibition is listed
        under "В пределах водоохранных зон запрещается" (L642), and inside the zones
        their own conditions already forbid aerial spraying (catalogue finding
        ``water_protection.finding.aerial_spraying_beyond_zone``).
    """

    range_policy: RangePolicy | None = None
    river_half_width_m: float = 0.0
    railway_right_of_way_m: float | None = None
    power_wire_offset_m: float = 0.0
    large_river_conditions: Literal["simple", "complex"] = "complex"
    contour_source: Literal["shoreline", "dem"] = "shoreline"
    contour_search_m: float = 3000.0
    clip_to_boundary: bool = True
    include_base: bool = True
    min_sliver_m2: float = MIN_SLIVER_M2
    elevation_min_cells: float = 4.0
    elevation_simplify_cells: float = 1.0
    unnamed_derived_certainty: Literal["possible", "certain"] = "possible"
    aerial_spraying_band: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Options as a plain dict (for ``build_info`` and the report).

        ``contour_source`` is followed by its former name ``kapchagay_contour`` (same
        value), which scripts reading ``build_info`` may still look for.
        """
        out: dict[str, Any] = {}
        for k, v in asdict(self).items():
            out[k] = v
            if k == "contour_source":
                out[LEGACY_NAMES[k]] = v
        return out
