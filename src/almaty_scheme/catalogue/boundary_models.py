"""The schema of ``layers/boundary.yaml``: how the agglomeration boundary is reconstructed.

The method itself (territories, Voronoi cells, shore band, lakes, outline) is
:mod:`almaty_scheme.base.boundary`; this module only says what the file may hold.
Loaded through :func:`almaty_scheme.catalogue.registry.load_model`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from almaty_scheme.catalogue.models import SchemeSource


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SchemeFigure(_Strict):
    """A number the scheme states, with its quote."""

    value: float
    unit: str
    source: SchemeSource


class Annex(_Strict):
    """Territory that another admin layer assigns to this unit.

    The polygons of ``year`` with a KATO starting with one of ``kato_prefixes``,
    intersected with the territories ``from_territories``, move to this territory.
    """

    year: int
    kato_prefixes: list[str] = Field(min_length=1)
    from_territories: list[str] = Field(min_length=1)
    reading: str = Field(min_length=10)


class Territory(_Strict):
    """A district, city administration or city the scheme names."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_ru: str
    treatment: Literal["whole", "partial"]
    kato_prefixes: list[str] = Field(min_length=1)
    appendix15_districts: list[str] = Field(min_length=1)
    annex: list[Annex] = Field(default_factory=list)
    reaches_shore: bool = False
    sources: list[SchemeSource] = Field(min_length=1)
    reading: str | None = None


class PartialMethod(_Strict):
    """How a partial territory is cut (step 3 of the module docstring)."""

    seed_exclude_status: list[str] = Field(default_factory=list)
    seed_require_name: bool = True
    cell_radius_km: float | None = Field(default=None, gt=0)
    closing_km: float = Field(default=0.0, ge=0)
    fill_holes: bool = True
    rural_districts: bool = False
    rural_district_hull: bool = False
    placed_seeds: bool = False
    reading: str = Field(min_length=10)


class ReservoirSpec(_Strict):
    """What happens to the reservoir's water inside partial territories."""

    mode: Literal["shore", "keep"]
    kind: str = "reservoir"
    keep_water_of: list[str] = Field(default_factory=list)
    sources: list[SchemeSource] = Field(min_length=1)
    reading: str = Field(min_length=10)


class WaterLineSpec(_Strict):
    """The northern line as a water line: the reservoir plus the named river below the
    dam. Land of a whole territory that lies beyond it, seen from the ``core`` territory
    (the straight line from the land to the core crosses the water), is not in the
    agglomeration; the text's only land beyond the water is partial (listed places)."""

    rivers: list[str] = Field(min_length=1)
    dam_end: Literal["west", "east", "north", "south"]
    core: str
    sources: list[SchemeSource] = Field(min_length=1)
    reading: str = Field(min_length=10)


class ShoreSettlement(_Strict):
    """A listed settlement the text puts on the reservoir's shore (its cell is shore)."""

    row_id: str = Field(pattern=r"^A15-\d{3}$")
    name_ru: str
    sources: list[SchemeSource] = Field(min_length=1)


class ShoreBandSpec(_Strict):
    """How territories with ``reaches_shore`` are extended to the south shore.

    See :func:`shore_band`: the band is the territory's land due north of the body
    and due south of the shore (the reservoir plus the kept cells of
    ``shore_settlements``) in the columns where the gap between them is under
    ``max_gap_km``.
    """

    max_gap_km: float = Field(gt=0)
    shore_settlements: list[ShoreSettlement] = Field(default_factory=list)
    sources: list[SchemeSource] = Field(min_length=1)
    reading: str = Field(min_length=10)


class LakeSpec(_Strict):
    """A lake the text names but the data lacks, located from the DEM."""

    name_ru: str
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    territory: str
    dem_level_max_m: float
    search_radius_m: float = Field(gt=0)
    min_area_ha: float = Field(gt=0)
    max_area_ha: float = Field(gt=0)
    fallback_area_ha: float = Field(gt=0)
    link_to_kept: bool = True
    sources: list[SchemeSource] = Field(min_length=1)
    external: list[str] = Field(default_factory=list)
    reading: str = Field(min_length=10)

    @model_validator(mode="after")
    def _areas(self) -> LakeSpec:
        if self.min_area_ha >= self.max_area_ha:
            raise ValueError("min_area_ha must be below max_area_ha")
        return self


class ParkSpec(_Strict):
    """How the national park's 'northern part' is treated without a park polygon."""

    treatment: Literal["district_extent"]
    sources: list[SchemeSource] = Field(min_length=1)
    reading: str = Field(min_length=10)


class OutlineSpec(_Strict):
    """Tidying of the final union (step 5 of the module docstring)."""

    fill_holes: bool = False
    min_part_ha: float = Field(default=0.0, ge=0)
    reading: str = Field(min_length=10)


class Finding(_Strict):
    """A gap or conflict in the text that the method resolves (shown in the report)."""

    id: str
    summary: str
    reading: str
    sources: list[SchemeSource] = Field(min_length=1)


class BoundaryConfig(_Strict):
    """``layers/boundary.yaml``."""

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    admin_year: int
    name: str
    scheme_area: SchemeFigure
    area_tolerance_pct: float = Field(gt=0, lt=100)
    target_pct: float | None = Field(default=None, gt=0, lt=100)
    """The accuracy the reconstruction aims at (area and reservoir water), reported as
    met or not; never used to fit a parameter."""
    scheme_reservoir: SchemeFigure
    territories: list[Territory] = Field(min_length=1)
    partial_method: PartialMethod
    reservoir: ReservoirSpec
    water_line: WaterLineSpec | None = None
    shore_band: ShoreBandSpec | None = None
    lakes: list[LakeSpec] = Field(default_factory=list)
    national_park: ParkSpec
    outline: OutlineSpec | None = None
    findings: list[Finding] = Field(default_factory=list)

    @model_validator(mode="after")
    def _refs(self) -> BoundaryConfig:
        ids = [t.id for t in self.territories]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate territory ids: {', '.join(sorted(dup))}")
        for t in self.territories:
            for a in t.annex:
                bad = [f for f in a.from_territories if f not in ids or f == t.id]
                if bad:
                    raise ValueError(f"territory {t.id!r}: annex from unknown territory {bad}")
        shore = [t.id for t in self.territories if t.reaches_shore]
        whole_shore = [t.id for t in self.territories if t.reaches_shore and t.treatment == "whole"]
        if whole_shore:
            raise ValueError(
                f"territories {whole_shore}: reaches_shore applies to partial "
                "territories only (a whole territory is inside anyway)"
            )
        if shore and self.shore_band is None:
            raise ValueError(
                f"territories {shore} reach the shore but there is no "
                "shore_band section (add one with max_gap_km)"
            )
        for lake in self.lakes:
            if lake.territory not in ids:
                raise ValueError(f"lake {lake.name_ru!r}: unknown territory {lake.territory!r}")
        return self

    def district_territory(self) -> dict[str, str]:
        """Appendix 15 district text -> territory id."""
        return {d: t.id for t in self.territories for d in t.appendix15_districts}

    def sources(self) -> list[tuple[str, SchemeSource]]:
        """Every scheme quote of the file with where it is used (for quote checks)."""
        out: list[tuple[str, SchemeSource]] = [
            ("scheme_area", self.scheme_area.source),
            ("scheme_reservoir", self.scheme_reservoir.source),
        ]
        out += [(f"territory {t.id}", s) for t in self.territories for s in t.sources]
        out += [("reservoir", s) for s in self.reservoir.sources]
        if self.shore_band is not None:
            out += [("shore_band", s) for s in self.shore_band.sources]
            out += [
                (f"shore settlement {x.name_ru}", s)
                for x in self.shore_band.shore_settlements
                for s in x.sources
            ]
        out += [(f"lake {lk.name_ru}", s) for lk in self.lakes for s in lk.sources]
        out += [("national_park", s) for s in self.national_park.sources]
        out += [(f"finding {f.id}", s) for f in self.findings for s in f.sources]
        return out
