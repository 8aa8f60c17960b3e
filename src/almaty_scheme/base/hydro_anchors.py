"""Anchors that name DEM-derived streams: ``layers/hydro_anchors.yaml``.

The open data has no small rivers, so :func:`almaty_scheme.base.hydro.derive_rivers`
derives a drainage network from the DEM and names its streams from *anchors*: places
where the scheme's text ties a river to a settlement (L3634 "плотины на реке Тургень,
ниже села Батан", L3665-3666, L3668-3669, L3672-3673, L2936, L516-517), or, where the
text names a river but no place, a well-known place with an explicit ``reading`` and
``verified: false``. Quotes are never invented: an anchor without a quote says so.

File format (strict: unknown keys are errors)::

    version: 1.0.0
    rivers:
      - id: turgen
        name: Turgen                    # canonical ``name`` of the derived features
        name_ru: Тургень
        aliases: [Түрген]               # other spellings (merging real data by name)
        trunk: false                    # true: keeps its name through every confluence
        length_km: null                 # whole-river length where known (+ length_reading)
        anchors:
          - id: turgen.batan
            place: {settlement: [Батан], near: [77.76, 43.24]}
            quote: строительство селезадерживающей плотины на реке Тургень, ниже села Батан
            lines: [3634, 3634]
            reading: ...
            verified: true
    outlets:                            # where a reservoir's outflow leaves it
      - id: kapchagay.dam
        water_body: [Капшагайское водохранилище, Kapchagay reservoir]
        river: ili
        place: {lon: 77.115, lat: 43.913}
        reading: ...
        verified: false

``place`` is a settlement (looked up by name in the settlements layer given to the
deriver; ``near`` [lon, lat] picks one of several places with that name, within
``near_tolerance_m``) or a lon/lat point (WGS 84), never both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from almaty_scheme.errors import CatalogueError
from almaty_scheme.resources import layers_dir

ANCHORS_FILE = "hydro_anchors.yaml"

_STRICT = ConfigDict(extra="forbid", frozen=True)


class AnchorPlace(BaseModel):
    """A settlement (by name) or a lon/lat point (WGS 84)."""

    model_config = _STRICT

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

    model_config = _STRICT

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

    model_config = _STRICT

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

    model_config = _STRICT

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

    model_config = _STRICT

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


def _problems(path: Path, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        out.append(f"{path.name}: {loc or '(top)'}: {err['msg']}. Fix the entry in {path}.")
    return out


def load_anchors(path: str | Path | None = None) -> HydroAnchors:
    """Read and validate the anchors file (default: ``layers/hydro_anchors.yaml``).

    Raises
    ------
    CatalogueError
        If the file is missing, not YAML, or breaks the schema (every problem listed).
    """
    p = Path(path) if path is not None else layers_dir() / ANCHORS_FILE
    try:
        raw: Any = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(
            f"Cannot read the hydrography anchors at {p}",
            [f"Restore {ANCHORS_FILE} in the catalogue folder or pass a path ({exc})."],
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(
            f"{p.name} is not valid YAML", [f"Fix the YAML syntax: {exc}"]
        ) from exc
    try:
        return HydroAnchors.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(f"{p.name} is invalid", _problems(p, exc)) from None


def verify_anchor_quotes(anchors: HydroAnchors, seed_lines: list[str]) -> list[str]:
    """Problems with anchor quotes: each quote must be in the seed lines it cites.

    Whitespace is normalised (runs of blanks and line breaks are one space), nothing else,
    as for the catalogue's quotes.
    """
    from almaty_scheme.catalogue.quotes import normalise

    problems = []
    for r in anchors.rivers:
        for a in r.anchors:
            if a.quote is None or a.lines is None:
                continue
            first, last = a.lines
            if last > len(seed_lines):
                problems.append(f"{a.id}: lines {first}-{last} beyond the text's end.")
                continue
            window = normalise(" ".join(seed_lines[first - 1 : last]))
            if normalise(a.quote) not in window:
                problems.append(
                    f"{a.id}: quote not found in {a.citation}; copy it verbatim from the text."
                )
    return problems
