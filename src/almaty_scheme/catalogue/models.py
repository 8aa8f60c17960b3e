"""Typed schema of the rule catalogue (``layers/*.yaml``).

Every model forbids unknown keys, so a misspelt field is an error that names the
file, the rule and the field (see :mod:`almaty_scheme.catalogue.loader`).

Vocabulary
----------
width semantics
    ``total``: the whole width of a corridor, e.g. between red lines, split equally
    about the reference line; ``per_side``: the distance on each side of the reference.
measured_from
    the reference geometry: ``centreline`` (road axis), ``axis`` (pipe or line axis),
    ``right_of_way_edge`` (edge of the railway/road land allotment), ``outermost_wire``
    (power lines), ``outermost_pipe`` (water mains), ``water_edge`` (shoreline, river
    bank), ``contour`` (an elevation contour, e.g. Kapchagay 479.0 m), ``corridor_edge``
    (edge of another zone, e.g. the BAKAD road reserve), ``boundary`` (a polygon's
    outline), ``point`` (a settlement point).
source
    ``scheme`` (exact Russian quote + seed line numbers) or ``external`` (a named act,
    with a ``verified`` flag saying whether its text was checked by the team).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Family = Literal[
    "roads",
    "railways",
    "power",
    "water_mains",
    "water_protection",
    "gas",
    "forest",
    "elevation",
    "settlement",
    "industrial",
    "zoning",
]
FAMILIES: tuple[str, ...] = Family.__args__  # type: ignore[attr-defined]

WidthSemantics = Literal["total", "per_side"]
MeasuredFrom = Literal[
    "centreline",
    "axis",
    "right_of_way_edge",
    "outermost_wire",
    "outermost_pipe",
    "water_edge",
    "contour",
    "corridor_edge",
    "boundary",
    "point",
]
RuleKind = Literal[
    "road_corridor",
    "railway_right_of_way",
    "railway_controlled_zone",
    "power_line_zone",
    "water_main_strip",
    "water_protection_zone",
    "water_protection_strip",
    "prohibited_activity",
    "gas_protection_zone",
    "gas_minimum_distance",
    "gas_fact",
    "forest_belt",
    "elevation_belt",
    "settlement_radius",
    "industrial_zone",
    "functional_group",
    "functional_subzone",
    "directional_restriction",
    "fact",
]
RegimeValue = Literal["prohibited", "conditional", "allowed"]
Horizon = Literal[2025, 2035, 2050]
FunctionalGroup = Literal["intensive", "extensive", "limited", "special"]

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SchemeSource(_Strict):
    """A passage of the scheme's text: the exact Russian quote and its seed lines.

    ``lines`` are 1-based, inclusive line numbers in
    ``../shared/seeds/000_1955661b31950516.txt``; the quote, whitespace-normalised,
    must occur in the text of those lines joined by single spaces. ``act``/``act_ru``
    name the legal act the passage reports (e.g. an akimat resolution), so citations
    can name it: "resolution No. 246 of 21.11.2011 (scheme L592-593)".
    """

    type: Literal["scheme"]
    quote: str = Field(min_length=3)
    lines: tuple[int, int]
    section: str | None = None
    act: str | None = None
    act_ru: str | None = None

    @field_validator("lines")
    @classmethod
    def _ordered(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] < 1 or v[1] < v[0]:
            raise ValueError("lines must be [first, last] with 1 <= first <= last")
        return v

    def cite(self) -> str:
        """Short citation, e.g. ``scheme L259`` or ``<act> (scheme L592-593)``."""
        a, b = self.lines
        where = f"scheme L{a}" if a == b else f"scheme L{a}-{b}"
        return f"{self.act} ({where})" if self.act else where

    def cite_ru(self) -> str:
        """Citation in Russian, e.g. ``постановление ... № 246 (схема, строки 592-593)``."""
        a, b = self.lines
        where = f"схема, строка {a}" if a == b else f"схема, строки {a}-{b}"
        return f"{self.act_ru} ({where})" if self.act_ru else where


class ExternalSource(_Strict):
    """A norm from outside the scheme (law, sanitary rules, technical regulation).

    ``verified`` is ``True`` only when the team read the act's text and checked the
    value; unverified values are shown as such in every output.
    """

    type: Literal["external"]
    act: str = Field(min_length=3)
    number: str | None = None
    date: dt.date | None = None
    article: str | None = None
    verified: bool
    url: str | None = None
    note: str | None = None

    def cite(self) -> str:
        """Short citation of the act with its number, date and article."""
        parts = [self.act]
        if self.number:
            parts.append(f"No. {self.number}")
        if self.date:
            parts.append(f"of {self.date.isoformat()}")
        if self.article:
            parts.append(self.article)
        text = ", ".join(parts)
        return text if self.verified else text + " (unverified)"

    def cite_ru(self) -> str:
        """Citation in Russian (the act's name as recorded, numbers and date)."""
        parts = [self.act]
        if self.number:
            parts.append(f"№ {self.number}")
        if self.date:
            parts.append(f"от {self.date.strftime('%d.%m.%Y')}")
        if self.article:
            parts.append(self.article)
        text = ", ".join(parts)
        return text if self.verified else text + " (не проверено)"


Source = Annotated[SchemeSource | ExternalSource, Field(discriminator="type")]


class Interval(_Strict):
    """A numeric interval with explicit inclusiveness (e.g. DN up to 1000 mm inclusive)."""

    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    @model_validator(mode="after")
    def _check(self) -> Interval:
        if self.min is None and self.max is None:
            raise ValueError("an interval needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the interval."""
        if self.min is not None and (x < self.min or (x == self.min and not self.min_inclusive)):
            return False
        return not (
            self.max is not None and (x > self.max or (x == self.max and not self.max_inclusive))
        )


class Width(_Strict):
    """A width in metres: a single ``value_m`` or a range ``min_m``-``max_m``.

    ``default`` says which value a build uses by default for a range (``min`` is the
    ``certain`` part, the band up to ``max`` is ``possible``); the build option
    ``range_policy`` may override it.
    """

    value_m: float | None = Field(default=None, gt=0)
    min_m: float | None = Field(default=None, gt=0)
    max_m: float | None = Field(default=None, gt=0)
    semantics: WidthSemantics
    measured_from: MeasuredFrom
    contour_m: float | None = None
    default: Literal["value", "min", "max", "both"] = "value"

    @model_validator(mode="after")
    def _check(self) -> Width:
        single = self.value_m is not None
        ranged = self.min_m is not None or self.max_m is not None
        if single == ranged:
            raise ValueError("give either value_m, or both min_m and max_m")
        if ranged:
            if self.min_m is None or self.max_m is None:
                raise ValueError("a ranged width needs both min_m and max_m")
            if self.min_m >= self.max_m:
                raise ValueError(f"min_m ({self.min_m}) must be below max_m ({self.max_m})")
            if self.default == "value":
                raise ValueError("a ranged width needs default: min, max or both")
        elif self.default != "value":
            raise ValueError("a single width must have default: value (or omit it)")
        if self.measured_from == "contour" and self.contour_m is None:
            raise ValueError("measured_from: contour needs contour_m")
        return self

    @property
    def is_range(self) -> bool:
        """Whether the width is a range."""
        return self.value_m is None

    def label(self) -> str:
        """Human label, e.g. ``226.5 m total`` or ``35-100 m per side``."""

        def f(x: float | None) -> str:
            return f"{x:g}"

        val = f(self.value_m) if self.value_m is not None else f"{f(self.min_m)}-{f(self.max_m)}"
        return f"{val} m {self.semantics.replace('_', ' ')}"


class SectionEnd(_Strict):
    """One end of a section "from X to Y" of a line: the geometry the line is cut at.

    Exactly one of: ``road_rule`` (the lines that carry that road rule, e.g. BAKAD),
    ``territory`` (the outline of a territory of ``boundary.yaml``, e.g. ``almaty_city``)
    or ``boundary`` (the agglomeration boundary: the section runs on to the line's end on
    that side and is clipped to the boundary like every layer).
    """

    road_rule: str | None = None
    territory: str | None = None
    boundary: bool = False

    @model_validator(mode="after")
    def _one(self) -> SectionEnd:
        n = sum([self.road_rule is not None, self.territory is not None, self.boundary])
        if n != 1:
            raise ValueError("a section end needs exactly one of road_rule, territory, boundary")
        return self

    def label(self) -> str:
        """Short text for readings, e.g. ``road rule roads.x`` or ``territory almaty_city``."""
        if self.road_rule:
            return f"the lines of road rule {self.road_rule}"
        if self.territory:
            return f"the outline of territory {self.territory}"
        return "the agglomeration boundary"


class AppliesTo(_Strict):
    """Which base features a rule applies to. Omitted fields do not restrict."""

    feature: Literal[
        "road",
        "railway",
        "power_line",
        "water_main",
        "river",
        "reservoir",
        "lake",
        "water_body",
        "gas_pipeline",
        "settlement",
        "dem",
        "boundary",
        "industrial_site",
        "protected_area",
        "place",
    ]
    names: list[str] = Field(default_factory=list)
    refs: list[str] = Field(default_factory=list)
    segment_from: str | None = None
    segment_to: str | None = None
    # the segment as geometry: the builder cuts a line carrying several sections here
    section_from: SectionEnd | None = None
    section_to: SectionEnd | None = None
    via: list[str] = Field(default_factory=list)
    voltage_kv: float | None = None
    diameter_mm: Interval | None = None
    nominal_diameter_mm: Interval | None = None
    # the matched pipeline's threads, outside diameters as the text gives them (gas facts)
    thread_diameters_mm: list[float] = Field(default_factory=list)
    pressure_mpa: Interval | None = None
    soil: Literal["dry", "wet"] | None = None
    inside_settlement: bool | None = None
    undeveloped_only: bool = False
    river_length_km: Interval | None = None
    water_area_km2: Interval | None = None
    conditions: Literal["simple", "complex"] | None = None
    default_for_unnamed: bool = False


class Anchor(_Strict):
    """Where a feature known only "in words" is placed (schematic footprints).

    ``settlement``: a settlement point (``name``, optionally ``district`` to
    disambiguate); ``admin_unit``: an administrative polygon's representative point;
    ``junction``: the intersection of the alignments of the road rules in ``roads``.
    ``offset_m``/``bearing_deg`` shift the centre (e.g. to put two zones on either side
    of one junction); ``reading`` says why this place was chosen.
    """

    kind: Literal["settlement", "admin_unit", "junction"]
    name: str | None = None
    district: str | None = None
    roads: list[str] = Field(default_factory=list)
    offset_m: float = 0.0
    bearing_deg: float = 0.0
    reading: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Anchor:
        if self.kind in ("settlement", "admin_unit") and not self.name:
            raise ValueError(f"an anchor of kind {self.kind!r} needs a name")
        if self.kind == "junction" and len(self.roads) < 2:
            raise ValueError("a junction anchor needs at least two road rule ids in roads")
        return self


class RegimeNote(_Strict):
    """Why one entry of a regime is what it is: a source, a reading, or both.

    An entry is a land-use class id, a ``group:<name>`` token or ``default``; its note
    is the source of every cell of the regime matrix that the entry decides (see
    :mod:`almaty_scheme.catalogue.regimes`). ``reading`` says how the team read the
    text where the source does not state the value outright (or where the text is
    silent, what a planner in Almaty would expect).
    """

    source: Source | None = None
    reading: str | None = None

    @model_validator(mode="after")
    def _check(self) -> RegimeNote:
        if self.source is None and not self.reading:
            raise ValueError("a regime note needs a source, a reading or both")
        return self


class Regime(_Strict):
    """What a zone allows, by land-use class (ids from ``layers/land_use.yaml``).

    List entries are land-use class ids or ``group:<name>`` (a group defined in
    ``land_use.yaml``, e.g. ``group:construction``). The most specific mention wins:
    a class id beats a group; ``default`` applies to everything unmentioned.

    Sources of the cells (zone rule x land-use class): ``notes`` maps an entry (a class
    id or ``group:`` token listed above, or ``default``) to its own
    :class:`RegimeNote`; an entry without a note takes the regime's ``source`` and
    ``reading``. Every cell must end with a source or a reading, and every note must
    name ``default`` or a listed entry (``rules verify`` and a test check both).
    """

    default: RegimeValue = "allowed"
    prohibited: list[str] = Field(default_factory=list)
    conditional: list[str] = Field(default_factory=list)
    allowed: list[str] = Field(default_factory=list)
    condition: str | None = None
    condition_ru: str | None = None
    source: Source | None = None
    reading: str | None = None
    notes: dict[str, RegimeNote] = Field(default_factory=dict)


class Rule(_Strict):
    """One spatial statement of the scheme (or an external norm it depends on)."""

    id: str
    family: Family
    kind: RuleKind
    title: str
    title_ru: str | None = None
    item: str | None = None
    layer: str | None = None
    applies_to: AppliesTo | None = None
    width: Width | None = None
    elevation_m: Interval | None = None
    area_ha: float | None = Field(default=None, gt=0)
    location: str | None = None
    location_ru: str | None = None
    anchor: Anchor | None = None
    horizon: Horizon | None = None
    functional_group: FunctionalGroup | None = None
    subzone: str | None = None
    regime: Regime | None = None
    priority: int | None = None
    composed_of: list[str] = Field(default_factory=list)
    status: Literal["established", "proposed"] | None = None
    status_source: SchemeSource | None = None
    source: Source
    also_sources: list[Source] = Field(default_factory=list)
    reading: str | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(
                f"id {v!r} must be dotted lower-case words, e.g. 'roads.bakad_uzynagash'"
            )
        return v

    @model_validator(mode="after")
    def _id_prefix(self) -> Rule:
        if self.id.split(".", 1)[0] != self.family:
            raise ValueError(f"id {self.id!r} must start with its family '{self.family}.'")
        if self.status == "proposed" and self.status_source is None:
            raise ValueError(
                "status: proposed needs status_source, the scheme's words that make the rule "
                "a proposal (e.g. 'Предлагается включить ...')"
            )
        return self

    @property
    def proposed(self) -> bool:
        """Whether the scheme only proposes this rule (it does not override existing land)."""
        return self.status == "proposed"

    def citation(self) -> str:
        """All sources of the rule as one short string."""
        return "; ".join(s.cite() for s in [self.source, *self.also_sources])

    def citation_ru(self) -> str:
        """All sources of the rule as one short string, in Russian."""
        return "; ".join(s.cite_ru() for s in [self.source, *self.also_sources])

    @property
    def verified(self) -> bool:
        """False if any source is an unverified external norm."""
        return all(
            s.verified for s in [self.source, *self.also_sources] if isinstance(s, ExternalSource)
        )


class Finding(_Strict):
    """Something in the scheme's text that a user must know: a gap, conflict or typo.

    ``reading`` states how the toolkit resolves it; ``affects`` lists rule ids.
    """

    id: str
    kind: Literal["gap", "conflict", "typo", "ambiguity", "inconsistency", "missing_norm"]
    summary: str
    sources: list[Source] = Field(min_length=1)
    reading: str
    affects: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"id {v!r} must be dotted lower-case words")
        return v


class RuleFile(_Strict):
    """One ``layers/<family>.yaml`` file."""

    catalogue_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    family: Family
    title: str
    description: str | None = None
    rules: list[Rule] = Field(min_length=1)
    findings: list[Finding] = Field(default_factory=list)


class DocumentInfo(_Strict):
    """Bibliographic data of the scheme."""

    title_ru: str
    title: str
    decree: str
    seed_file: str
    seed_lines: int = Field(gt=0)


class CatalogueIndex(_Strict):
    """``layers/catalogue.yaml``: version, the document, and the rule files in load order."""

    catalogue_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    document: DocumentInfo
    rule_files: list[str] = Field(min_length=1)
    tables: dict[str, str] = Field(default_factory=dict)


class LandUseClass(_Strict):
    """A land-use class a parcel may declare, with aliases (Russian names, local codes)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    title_ru: str
    groups: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None


class LandUseFile(_Strict):
    """``layers/land_use.yaml``."""

    catalogue_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    default_class: str
    groups: dict[str, str]
    classes: list[LandUseClass] = Field(min_length=1)
