"""Load and validate the rule catalogue.

All problems across all files are collected and raised together as one
:class:`~almaty_scheme.errors.CatalogueError`, each naming the file, the rule
(index and id) and the field, so a user fixes everything in one pass. The files are
read and their schema problems worded by :mod:`almaty_scheme.catalogue.registry`, the
one loader of every shipped data file; this module adds the cross-file checks.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from almaty_scheme.catalogue.datafile import read_yaml, validation_problems
from almaty_scheme.catalogue.models import (
    CatalogueIndex,
    Finding,
    LandUseClass,
    LandUseFile,
    Regime,
    Rule,
    RuleFile,
)
from almaty_scheme.catalogue.tables import SPECS, validate_table
from almaty_scheme.errors import CatalogueError, UsageError
from almaty_scheme.resources import layers_dir

log = logging.getLogger(__name__)

INDEX_FILE = "catalogue.yaml"
LAND_USE_FILE = "land_use.yaml"


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue: rules by id, findings, land-use classes, table paths."""

    directory: Path
    index: CatalogueIndex
    files: dict[str, RuleFile]
    rules: dict[str, Rule]
    findings: dict[str, Finding]
    land_use: LandUseFile | None
    rule_file_of: dict[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """The catalogue's semantic version."""
        return self.index.catalogue_version

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule:
        """Rule by id.

        Raises
        ------
        UsageError
            If no rule has this id; the message lists close matches.
        """
        try:
            return self.rules[rule_id]
        except KeyError:
            close = difflib.get_close_matches(rule_id, list(self.rules), n=5, cutoff=0.5)
            hint = (
                f"Did you mean: {', '.join(close)}?" if close else "See 'almaty-scheme rules list'."
            )
            raise UsageError(f"No rule with id {rule_id!r}", [hint]) from None

    def by_family(self, family: str) -> list[Rule]:
        """Rules of one family, in file order."""
        return [r for r in self.rules.values() if r.family == family]

    def by_kind(self, *kinds: str) -> list[Rule]:
        """Rules of the given kinds, in catalogue order."""
        return [r for r in self.rules.values() if r.kind in kinds]

    def table_path(self, name: str) -> Path:
        """Path of a CSV table named in ``catalogue.yaml`` (e.g. ``appendix15``)."""
        try:
            return self.directory / self.index.tables[name]
        except KeyError:
            raise UsageError(
                f"No table {name!r} in the catalogue",
                [f"Known tables: {', '.join(sorted(self.index.tables)) or 'none'}."],
            ) from None

    def land_use_classes(self) -> dict[str, LandUseClass]:
        """Land-use classes by id (empty if ``land_use.yaml`` is absent)."""
        if self.land_use is None:
            return {}
        return {c.id: c for c in self.land_use.classes}


def _regime_problems(
    where: str, regime: Regime, classes: dict[str, LandUseClass], groups: set[str]
) -> list[str]:
    out = []
    for bucket in ("prohibited", "conditional", "allowed"):
        for token in getattr(regime, bucket):
            if token.startswith("group:"):
                if token[6:] not in groups:
                    out.append(
                        f"{where}: field 'regime.{bucket}': unknown land-use group {token!r} "
                        f"(groups: {', '.join(sorted(groups))})."
                    )
            elif token not in classes:
                close = difflib.get_close_matches(token, list(classes), n=3, cutoff=0.6)
                hint = (
                    f"; did you mean {', '.join(close)}?" if close else f" (see {LAND_USE_FILE})."
                )
                out.append(
                    f"{where}: field 'regime.{bucket}': unknown land-use class {token!r}{hint}"
                )
    return out


WIDTH_KINDS: frozenset[str] = frozenset(
    {
        "road_corridor",
        "railway_right_of_way",
        "railway_controlled_zone",
        "power_line_zone",
        "water_main_strip",
        "water_protection_zone",
        "water_protection_strip",
        "gas_protection_zone",
        "gas_minimum_distance",
        "forest_belt",
        "settlement_radius",
    }
)
"""Rule kinds that are buffers and so need a ``width``."""


def _shape_problems(where: str, rule: Rule) -> list[str]:
    """Cross-field checks the pydantic schema does not express."""
    out = []
    if rule.kind in WIDTH_KINDS and rule.width is None:
        out.append(
            f"{where}: field 'width' is missing; a rule of kind {rule.kind!r} is a buffer "
            "and needs width: {value_m: ..., semantics: ..., measured_from: ...}."
        )
    if rule.kind == "elevation_belt" and rule.elevation_m is None:
        out.append(f"{where}: field 'elevation_m' is missing; an elevation_belt needs it.")
    return out


def _raw_ids(raw: Any) -> set[str]:
    """Rule ids of a raw (possibly invalid) rule file, to avoid cascading errors."""
    out: set[str] = set()
    items = raw.get("rules") if isinstance(raw, dict) else None
    if isinstance(items, list):
        out.update(r["id"] for r in items if isinstance(r, dict) and isinstance(r.get("id"), str))
    return out


def _load_index(base: Path) -> CatalogueIndex:
    """The validated ``catalogue.yaml`` of folder ``base`` (raises on any problem)."""
    index_path = base / INDEX_FILE
    if not index_path.is_file():
        raise CatalogueError(
            f"No catalogue index at {index_path}",
            ["Point --catalogue (or ALMATY_SCHEME_LAYERS) at a folder holding catalogue.yaml."],
        )
    problems: list[str] = []
    raw_index = read_yaml(index_path, problems)
    if raw_index is None:
        raise CatalogueError("The catalogue index cannot be read", problems)
    try:
        return CatalogueIndex.model_validate(raw_index)
    except ValidationError as exc:
        raise CatalogueError(
            "The catalogue index is invalid", validation_problems(index_path, raw_index, exc)
        ) from None


def _load_land_use(base: Path, problems: list[str]) -> LandUseFile | None:
    """``land_use.yaml`` if present and valid (problems appended), else ``None``."""
    lu_path = base / LAND_USE_FILE
    if not lu_path.is_file():
        return None
    raw_lu = read_yaml(lu_path, problems)
    if raw_lu is None:
        return None
    try:
        return LandUseFile.model_validate(raw_lu)
    except ValidationError as exc:
        problems.extend(validation_problems(lu_path, raw_lu, exc))
        return None


@dataclass
class _Collected:
    """Rule files read so far, with what cross-file checks need."""

    files: dict[str, RuleFile] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)
    rule_file_of: dict[str, str] = field(default_factory=dict)
    invalid_ids: set[str] = field(default_factory=set)  # ids in invalid files (no cascades)


def _add_rule_file(name: str, rf: RuleFile, got: _Collected, problems: list[str]) -> None:
    """Register the rules and findings of one valid file; family and id checks."""
    got.files[name] = rf
    for i, rule in enumerate(rf.rules):
        where = f"{name}: rule #{i + 1} (id {rule.id!r})"
        if rule.family != rf.family:
            problems.append(
                f"{where}: field 'family' is {rule.family!r} but the file is {rf.family!r}."
            )
        problems.extend(_shape_problems(where, rule))
        if rule.id in got.rules:
            problems.append(
                f"{where}: field 'id': duplicate id, already defined in "
                f"{got.rule_file_of[rule.id]}; ids must be unique across all files."
            )
            continue
        got.rules[rule.id] = rule
        got.rule_file_of[rule.id] = name
    for i, finding in enumerate(rf.findings):
        if finding.id in got.findings or finding.id in got.rules:
            problems.append(
                f"{name}: finding #{i + 1} (id {finding.id!r}): field 'id': duplicate id."
            )
        got.findings[finding.id] = finding


def _read_rule_files(base: Path, index: CatalogueIndex, problems: list[str]) -> _Collected:
    """Every rule file the index lists, validated (problems appended)."""
    got = _Collected()
    for name in index.rule_files:
        path = base / name
        if not path.is_file():
            problems.append(f"{INDEX_FILE}: rule file {name!r} is listed but missing.")
            continue
        raw = read_yaml(path, problems)
        if raw is None:
            continue
        try:
            rf = RuleFile.model_validate(raw)
        except ValidationError as exc:
            problems.extend(validation_problems(path, raw, exc))
            got.invalid_ids.update(_raw_ids(raw))
            continue
        _add_rule_file(name, rf, got, problems)
    return got


def _reference_problems(got: _Collected) -> list[str]:
    """Findings' ``affects`` and rules' ``composed_of`` must name known rules."""
    problems = []
    known = got.rules
    for name, rf in got.files.items():
        for i, f in enumerate(rf.findings):
            for rid in f.affects:
                if rid not in known and rid not in got.invalid_ids:
                    close = difflib.get_close_matches(rid, list(known), n=3, cutoff=0.6)
                    hint = f"; did you mean {', '.join(close)}?" if close else "."
                    problems.append(
                        f"{name}: finding #{i + 1} (id {f.id!r}): field 'affects': "
                        f"unknown rule {rid!r}{hint}"
                    )
        for i, rule in enumerate(rf.rules):
            for j, ref in enumerate(rule.composed_of):
                kind, _, target = ref.partition(":")
                if kind == "rule" and target not in known and target not in got.invalid_ids:
                    problems.append(
                        f"{name}: rule #{i + 1} (id {rule.id!r}): field 'composed_of.{j}': "
                        f"unknown rule {target!r}."
                    )
    return problems


def _land_use_problems(land_use: LandUseFile, files: dict[str, RuleFile]) -> list[str]:
    """Groups and default class of ``land_use.yaml``; every regime names known classes."""
    problems = []
    classes = {c.id: c for c in land_use.classes}
    groups = set(land_use.groups)
    for c in land_use.classes:
        for g in c.groups:
            if g not in groups:
                problems.append(f"{LAND_USE_FILE}: class {c.id!r}: unknown group {g!r}.")
    if land_use.default_class not in classes:
        problems.append(
            f"{LAND_USE_FILE}: default_class {land_use.default_class!r} is not a class."
        )
    for name, rf in files.items():
        for i, rule in enumerate(rf.rules):
            if rule.regime is not None:
                where = f"{name}: rule #{i + 1} (id {rule.id!r})"
                problems.extend(_regime_problems(where, rule.regime, classes, groups))
    return problems


def _table_problems(base: Path, index: CatalogueIndex) -> list[str]:
    """Every CSV table the index lists must exist and pass its spec."""
    problems = []
    for tname, tfile in index.tables.items():
        tpath = base / tfile
        if not tpath.is_file():
            problems.append(f"{INDEX_FILE}: table {tname!r} file {tfile!r} is missing.")
            continue
        if tname in SPECS:
            problems.extend(validate_table(tpath, SPECS[tname]))
    return problems


def load_catalogue(directory: str | Path | None = None) -> Catalogue:
    """Load, validate and cross-check the catalogue in ``directory`` (default: shipped one).

    Steps: the index; ``land_use.yaml``; every rule file (schema, family, unique ids);
    references between rules and findings; regimes against the land-use classes; the
    CSV tables.

    Raises
    ------
    CatalogueError
        Listing every problem found in every file.
    """
    base = Path(directory) if directory is not None else layers_dir()
    index = _load_index(base)
    problems: list[str] = []
    land_use = _load_land_use(base, problems)
    got = _read_rule_files(base, index, problems)
    problems += _reference_problems(got)
    if land_use is not None:
        problems += _land_use_problems(land_use, got.files)
    problems += _table_problems(base, index)
    if problems:
        raise CatalogueError(f"The catalogue in {base} has {len(problems)} problem(s)", problems)
    log.debug("loaded catalogue %s: %d rules", index.catalogue_version, len(got.rules))
    return Catalogue(
        directory=base,
        index=index,
        files=got.files,
        rules=got.rules,
        findings=got.findings,
        land_use=land_use,
        rule_file_of=got.rule_file_of,
    )


@lru_cache(maxsize=4)
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue(None)
