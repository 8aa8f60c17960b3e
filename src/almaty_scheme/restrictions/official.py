"""Official restriction polygons take precedence over the drawn zones of a rule.

``almaty-scheme build --zone-layer RULE_ID=PATH[:replace|:add]`` gives a rule the
approved polygons of an authority: an akimat's water-protection zones, a cadastral
export of ЗОУИТ (zones with special conditions of territory use). The geometric rule:

- ``replace`` (default): every feature the build drew for ``RULE_ID`` is removed from
  the rule's layer (``Rule.layer``) and the official polygons are put in its place;
- ``add``: the official polygons are added beside the drawn ones (e.g. the approved
  zones of some rivers, the drawn ones elsewhere).

Each official polygon becomes one zone row with the rule's attributes (``rule_id``,
``family``, ``kind``, ``citation``/``citation_ru``, ``verified``, ``horizon``) so that the
check cites the rule and applies its regime; ``certainty`` ``certain``; ``accuracy``
``official``; ``source`` the file, ``source_layer`` its layer, ``source_fid`` the feature's
row (1-based); ``width_*`` empty (the polygon is the zone: no width was applied) and
``reading`` saying so. The polygons are not clipped to the boundary: an approved zone
is taken as approved.

Files are read by :func:`almaty_scheme.io.readers.read_vector`, the reader parcels go
through, so a bad file gets the same errors (unreadable, several layers, no CRS,
reprojected to EPSG:32643 when it has one); then the geometry must be polygonal
(points and lines are refused with their rows), invalid polygons are repaired
(``make_valid``) and empty ones refused.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from almaty_scheme.catalogue.models import Rule
from almaty_scheme.errors import DataError, UsageError
from almaty_scheme.io.readers import read_vector
from almaty_scheme.restrictions.bands import rule_attributes
from almaty_scheme.restrictions.frames import zones_frame
from almaty_scheme.restrictions.notes import LayerNote

log = logging.getLogger(__name__)

Mode = Literal["replace", "add"]
MODES: tuple[str, ...] = ("replace", "add")
OFFICIAL_ACCURACY = "official"
MAX_LISTED_ROWS = 10


@dataclass(frozen=True)
class ZoneLayerSpec:
    """One ``--zone-layer RULE_ID=PATH[:MODE]`` option."""

    rule_id: str
    path: Path
    mode: Mode = "replace"


@dataclass
class OfficialZones:
    """The polygons of one official file, ready to go into the rule's layer."""

    spec: ZoneLayerSpec
    layer: str
    zones: gpd.GeoDataFrame


def parse_zone_layer(value: str) -> ZoneLayerSpec:
    """``RULE_ID=PATH``, ``RULE_ID=PATH:add`` or ``RULE_ID=PATH:replace``.

    Raises
    ------
    UsageError
        No ``=``, an empty id or path.
    """
    rule_id, sep, rest = value.partition("=")
    rule_id = rule_id.strip()
    mode: Mode = "replace"
    for m in MODES:
        if rest.endswith(f":{m}"):
            rest = rest[: -len(m) - 1]
            mode = m  # type: ignore[assignment]
            break
    if not sep or not rule_id or not rest.strip():
        raise UsageError(
            f"--zone-layer {value!r}: write RULE_ID=PATH[:replace|:add]",
            ["e.g. --zone-layer water_protection.bolshaya_almatinka.zone=akimat_zones.gpkg"],
        )
    return ZoneLayerSpec(rule_id, Path(rest.strip()), mode)


def _polygonal(gdf: gpd.GeoDataFrame, path: Path) -> np.ndarray:
    """Valid polygonal geometries, or a DataError listing the rows that are not."""
    geoms = gdf.geometry.to_numpy()
    types = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms) | pd.isna(geoms)
    bad = [
        i + 1
        for i, (t, e) in enumerate(zip(types, empty, strict=True))
        if not e and t not in (3, 6)
    ]
    if bad:
        rows = ", ".join(map(str, bad[:MAX_LISTED_ROWS])) + (" ..." if len(bad) > 10 else "")
        raise DataError(
            f"{path.name}: {len(bad)} feature(s) are not polygons (rows {rows})",
            ["An official zone layer holds polygons (the approved zone outlines); "
             "convert lines/points to the zones they bound first."],
        )  # fmt: skip
    if empty.all():
        raise DataError(f"{path.name}: no polygon", ["The file holds no zone outline."])
    return geoms


def read_official_zones(spec: ZoneLayerSpec, rule: Rule) -> OfficialZones:
    """Read one official file into zone rows of ``rule`` (module docstring).

    Raises
    ------
    UsageError
        The rule has no layer (it draws nothing).
    DataError, CRSError
        The readers' errors; non-polygon features; no polygon at all.
    """
    if not rule.layer:
        raise UsageError(
            f"--zone-layer {spec.rule_id}: the rule draws no layer",
            ["Give a rule that draws zones (see 'almaty-scheme rules show ID', field layer)."],
        )
    if not spec.path.is_file():
        raise DataError(f"{spec.path} not found", ["Check the path given to --zone-layer."])
    gdf = read_vector(spec.path, name=spec.path.name)
    geoms = _polygonal(gdf, spec.path)
    keep = ~(shapely.is_empty(geoms) | pd.isna(geoms))
    name_col = next((c for c in ("name", "NAME", "Name", "наименование") if c in gdf), None)
    attrs = rule_attributes(rule)
    records = []
    for i in np.flatnonzero(keep):
        records.append(
            {
                **attrs,
                "width_m": None,
                "width_min_m": None,
                "width_max_m": None,
                "name": gdf[name_col].iloc[i] if name_col else None,
                "certainty": "certain",
                "reading": f"official polygon ({spec.mode}): the approved zone as given in "
                f"{spec.path.name}; no width applied",
                "source": str(spec.path),
                "accuracy": OFFICIAL_ACCURACY,
                "source_layer": spec.path.stem,
                "source_fid": str(i + 1),
            }
        )
    zones = zones_frame(records, geoms[keep], min_area=0.0)
    if len(zones) == 0:
        raise DataError(f"{spec.path.name}: no polygon", ["Every zone outline is empty."])
    log.info("official zones %s: %d polygons for %s", spec.path, len(zones), rule.id)
    return OfficialZones(spec, rule.layer, zones)


def load_official_zones(
    specs: Sequence[ZoneLayerSpec], rules: Iterable[Rule]
) -> list[OfficialZones]:
    """Read every ``--zone-layer`` file (before the build, so errors come first).

    Raises
    ------
    UsageError
        Unknown rule id (with close matches), the same rule given twice in replace mode.
    """
    by_id = {r.id: r for r in rules}
    problems = []
    for s in specs:
        if s.rule_id not in by_id:
            close = difflib.get_close_matches(s.rule_id, list(by_id), n=3, cutoff=0.5)
            problems.append(
                f"--zone-layer {s.rule_id}: no such rule"
                + (f"; did you mean {', '.join(close)}?" if close else "; see 'rules list'.")
            )
    if problems:
        raise UsageError("Bad --zone-layer option(s)", problems)
    return [read_official_zones(s, by_id[s.rule_id]) for s in specs]


def apply_official_zones(
    layers: dict[str, gpd.GeoDataFrame],
    official: Sequence[OfficialZones],
    notes: list[LayerNote],
) -> None:
    """Put the official polygons into the built layers, in place (module docstring)."""
    for oz in official:
        layer = oz.layer
        cur = layers.get(layer)
        rid = oz.spec.rule_id
        drawn = 0
        if cur is not None and len(cur) and oz.spec.mode == "replace":
            mask = (cur["rule_id"].astype("string").fillna("") == rid) & (
                cur["accuracy"].astype("string").fillna("") != OFFICIAL_ACCURACY
            )
            drawn = int(mask.sum())
            cur = cur.loc[~mask.to_numpy()]
        parts = [p for p in (cur, oz.zones) if p is not None and len(p)]
        merged = pd.concat(parts, ignore_index=True) if parts else oz.zones
        layers[layer] = gpd.GeoDataFrame(merged, geometry="geometry", crs=oz.zones.crs)
        verb = (
            f"replace the {drawn} drawn feature(s)"
            if oz.spec.mode == "replace"
            else ("are added beside the drawn features")
        )
        notes.append(
            LayerNote(
                layer,
                "input",
                f"{len(oz.zones)} official polygon(s) from {oz.spec.path} {verb} of {rid}",
                rid,
                OFFICIAL_ACCURACY,
            )
        )


def official_summary(official: Sequence[OfficialZones]) -> list[Mapping[str, object]]:
    """One JSON-ready line per official file (for the CLI and the report)."""
    return [
        {
            "rule_id": oz.spec.rule_id,
            "path": str(oz.spec.path),
            "mode": oz.spec.mode,
            "layer": oz.layer,
            "features": len(oz.zones),
        }
        for oz in official
    ]
