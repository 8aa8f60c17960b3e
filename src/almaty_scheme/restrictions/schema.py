"""The output schema: the restriction layers of the GeoPackage and their zone columns.

Zone feature columns (:data:`ZONE_COLUMNS`), in every layer of the built GeoPackage:

``rule_id``, ``family``, ``kind``
    catalogue rule that made the feature and its family/kind;
``name``
    what the zone is around (river, road, pipeline name);
``width_m``
    the width used for this feature (for a ``possible`` band, its outer width);
``width_min_m``, ``width_max_m``
    the rule's range where the scheme gives one (else both equal ``width_m``);
``band_inner_m``, ``band_outer_m``
    the widths that bound this feature, in the rule's width semantics (0 and
    ``width_m`` for a plain zone; ``min`` and ``max`` for a possible band; for a
    ``total`` width these are total widths, half of each lies on either side);
``width_semantics``
    ``total`` | ``per_side``; ``measured_from``: the reference (see catalogue models);
``certainty``
    ``certain`` (within the minimum / single value) | ``possible`` (only within a
    ranged maximum);
``horizon``
    2025/2035/2050 or null; ``citation`` / ``citation_ru``: the act and scheme lines
    (English / Russian);
``verified``
    false when the width rests on an unverified external norm;
``reading``
    the choices taken (range policy, edge approximation, reading of an ambiguity);
``source``, ``accuracy``
    source and accuracy of the base geometry the zone was built from;
``source_layer``, ``source_fid``
    the base layer and ``base_id`` of that geometry (to measure distances to it).

Geometry: every layer is ``MultiPolygon`` in EPSG:32643 (see
:mod:`almaty_scheme.restrictions.geometry`).
"""

from __future__ import annotations

LAYER_NAMES: tuple[str, ...] = (
    "boundary",
    "road_corridors",
    "railway_zones",
    "power_line_zones",
    "water_main_strips",
    "water_protection_zones",
    "water_protection_strips",
    "gas_pipeline_zones",
    "forest_belts",
    "elevation_belts",
    "industrial_zones",
    "functional_zones",
)
"""Restriction layers of the built GeoPackage, in drawing order (names fixed by issue 4)."""

ZONE_COLUMNS: dict[str, str] = {
    "rule_id": "string",
    "family": "string",
    "kind": "string",
    "name": "string",
    "width_m": "float64",
    "width_min_m": "float64",
    "width_max_m": "float64",
    "band_inner_m": "float64",
    "band_outer_m": "float64",
    "width_semantics": "string",
    "measured_from": "string",
    "certainty": "string",
    "horizon": "Int64",
    "citation": "string",
    "citation_ru": "string",
    "verified": "boolean",
    "reading": "string",
    "source": "string",
    "accuracy": "string",
    "source_layer": "string",
    "source_fid": "string",
}
