"""Land-use resolution and zone regimes for parcel checks.

A parcel declares an intended use in free text (``--use-field``): a class id
(``residential``), a Russian name (``ИЖС``), or a local code. :class:`LandUse`
turns those values into the class ids of ``layers/land_use.yaml`` using the
classes' ``aliases`` plus any user alias file (``--use-aliases``). Unknown values
are never dropped: they are checked as the catalogue's ``default_class``
(``unspecified``, treated as construction, the cautious reading) and flagged
``unknown_use``.

A zone's regime for a class (brief_contracts §4, :class:`~almaty_scheme.catalogue.models.Regime`):
a class id listed explicitly beats a ``group:`` entry, which beats ``default``; if a
class (or two of its groups) appears in several lists at the same level, the
strictest wins (prohibited > conditional > allowed). A rule without a regime gives
``conditional`` ("no regime in the scheme; agree with the local executive body").

Regimes are encoded as small integers so that the check engine can look them up
with array indexing: :data:`ALLOWED` 0, :data:`CONDITIONAL` 1, :data:`PROHIBITED` 2.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from almaty_scheme.catalogue.loader import Catalogue
from almaty_scheme.catalogue.models import LandUseClass, Regime, Rule
from almaty_scheme.catalogue.regimes import cell as matrix_cell
from almaty_scheme.catalogue.regimes import decide
from almaty_scheme.errors import CatalogueError, UsageError
from almaty_scheme.texts import factorize

log = logging.getLogger(__name__)

ALLOWED, CONDITIONAL, PROHIBITED = 0, 1, 2
REGIME_NAMES: tuple[str, str, str] = ("allowed", "conditional", "prohibited")
REGIME_CODES: dict[str, int] = {n: i for i, n in enumerate(REGIME_NAMES)}

NO_REGIME_CONDITION = "no regime in the scheme; agree with the local executive body"
NO_REGIME_CONDITION_RU = "режим схемой не установлен; согласовать с местным исполнительным органом"

_SPACES = re.compile(r"\s+")


def normalise_use(value: object) -> str | None:
    """Normalise a use value for alias matching; ``None`` for null.

    Case-folded, Unicode NFC, ``ё`` -> ``е``, surrounding quotes and spaces removed,
    inner runs of whitespace, ``_`` and ``-`` collapsed to one space, so that
    ``"Склад ГСМ"``, ``"склад_гсм"`` and ``" СКЛАД  гсм "`` are the same key.
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        if float(value).is_integer():  # codes read as floats: 101.0 -> "101"
            value = int(value)
    text = unicodedata.normalize("NFC", str(value)).casefold().replace("ё", "е")
    text = text.strip().strip("\"'«»").replace("_", " ").replace("-", " ")
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class LandUse:
    """The land-use classes, their groups and the alias table.

    Attributes
    ----------
    classes
        Class ids in catalogue order; the index of a class in this tuple is its code.
    groups
        Groups of each class id.
    default_class
        Class used for missing or unknown use values.
    aliases
        Normalised alias -> class id (class ids and titles are aliases of themselves).
    titles, titles_ru
        Human names of each class.
    """

    classes: tuple[str, ...]
    groups: Mapping[str, frozenset[str]]
    default_class: str
    aliases: Mapping[str, str]
    titles: Mapping[str, str] = field(default_factory=dict)
    titles_ru: Mapping[str, str] = field(default_factory=dict)

    @property
    def code(self) -> dict[str, int]:
        """Class id -> integer code (its position in :attr:`classes`)."""
        return {c: i for i, c in enumerate(self.classes)}

    def resolve(
        self, values: pd.Series | Iterable[object]
    ) -> tuple[pd.Categorical, np.ndarray, np.ndarray]:
        """Map raw use values to class ids.

        Returns
        -------
        classes
            Categorical of class ids (the default class where unknown or missing), its
            categories the classes used, sorted (as ``pandas.Categorical`` of the ids).
        unknown
            Boolean array: a non-empty value that matches no alias (flag ``unknown_use``).
        missing
            Boolean array: null value (flag ``no_use``); an empty string is an alias of
            the default class when the catalogue says so, else it counts as missing.
        """
        ser = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        codes, uniques = factorize(ser)
        n_u = len(uniques)
        # resolve each distinct value once (use columns have few distinct values);
        # the last slot stands for null values (factorize code -1)
        cls = np.empty(n_u + 1, dtype=object)
        unk = np.zeros(n_u + 1, dtype=bool)
        mis = np.zeros(n_u + 1, dtype=bool)
        for i, u in enumerate(uniques):
            key = normalise_use(u)
            if key is not None and key in self.aliases:
                cls[i] = self.aliases[key]
            else:
                cls[i] = self.default_class
                unk[i] = bool(key)
                mis[i] = not key
        cls[n_u] = self.default_class
        mis[n_u] = True
        idx = np.where(codes < 0, n_u, codes)
        return _sorted_categorical(cls, idx), unk[idx], mis[idx]

    def with_aliases(self, extra: Mapping[str, str]) -> LandUse:
        """A copy with user aliases added (user aliases win over shipped ones)."""
        merged = dict(self.aliases)
        for alias, cid in extra.items():
            key = normalise_use(alias)
            if key is None:
                continue
            if key in merged and merged[key] != cid:
                log.info("use alias %r: user mapping to %s replaces %s", alias, cid, merged[key])
            merged[key] = cid
        return LandUse(
            classes=self.classes,
            groups=self.groups,
            default_class=self.default_class,
            aliases=merged,
            titles=self.titles,
            titles_ru=self.titles_ru,
        )


def land_use_from_catalogue(cat: Catalogue) -> LandUse:
    """Build :class:`LandUse` from the catalogue's ``land_use.yaml``.

    Raises
    ------
    CatalogueError
        If the catalogue has no ``land_use.yaml`` or two classes claim the same alias.
    """
    if cat.land_use is None:
        raise CatalogueError(
            f"The catalogue in {cat.directory} has no land_use.yaml",
            ["Parcel checks need the land-use classes; restore layers/land_use.yaml."],
        )
    lu = cat.land_use
    aliases: dict[str, str] = {}
    problems: list[str] = []
    classes: list[LandUseClass] = list(lu.classes)
    # ids and titles first, so that an alias can never hide a class id
    for c in classes:
        for name in (c.id, c.id.replace("_", " ")):
            aliases[normalise_use(name) or ""] = c.id
    for c in classes:
        for a in [c.title, c.title_ru, *c.aliases]:
            key = normalise_use(a)
            if key is None:
                continue
            prev = aliases.get(key)
            if prev is not None and prev != c.id:
                if a in (c.title, c.title_ru):
                    continue  # a title that is also another class's alias: the alias wins
                problems.append(
                    f"land_use.yaml: alias {a!r} of class {c.id!r} is already used by class {prev!r}; "
                    "remove it from one of the classes."
                )
                continue
            aliases[key] = c.id
    if problems:
        raise CatalogueError("Conflicting land-use aliases", problems)
    return LandUse(
        classes=tuple(c.id for c in classes),
        groups={c.id: frozenset(c.groups) for c in classes},
        default_class=lu.default_class,
        aliases=aliases,
        titles={c.id: c.title for c in classes},
        titles_ru={c.id: c.title_ru for c in classes},
    )


def load_use_aliases(path: str | Path, land_use: LandUse) -> dict[str, str]:
    """Read a user alias file (``--use-aliases``) and validate it against the classes.

    Two YAML layouts are accepted (they may be mixed)::

        # alias -> class id
        aliases:
          R1: residential
          "02.004": warehouse_logistics
        # class id -> list of aliases
        classes:
          livestock_farm: [МТФ, КРС ферма]

    A top-level mapping without these keys is read as ``alias: class_id``.

    Raises
    ------
    UsageError
        If the file cannot be read or names unknown classes; every problem is listed.
    """
    p = Path(path)
    try:
        raw: Any = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"Cannot read the alias file {p}", [f"{exc.strerror}."]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"The alias file {p} is not valid UTF-8 YAML", [f"{exc}"]) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError(
            f"The alias file {p} must be a YAML mapping",
            [
                "Write 'aliases:' with lines 'CODE: class_id', or 'classes:' with 'class_id: [names]'."
            ],
        )
    pairs: list[tuple[str, object, str]] = []
    if "aliases" in raw or "classes" in raw:
        extra_keys = set(raw) - {"aliases", "classes"}
        problems = [
            f"{p.name}: unknown top-level key {k!r} (use 'aliases' or 'classes')."
            for k in extra_keys
        ]
        al = raw.get("aliases") or {}
        cl = raw.get("classes") or {}
        if not isinstance(al, dict):
            problems.append(f"{p.name}: 'aliases' must map alias -> class id.")
            al = {}
        if not isinstance(cl, dict):
            problems.append(f"{p.name}: 'classes' must map class id -> list of aliases.")
            cl = {}
        for a, cid in al.items():
            pairs.append((str(a), cid, f"aliases.{a}"))
        for cid, names in cl.items():
            if isinstance(names, str | int | float):
                names = [names]
            if not isinstance(names, list):
                problems.append(f"{p.name}: classes.{cid}: give a list of aliases.")
                continue
            for a in names:
                pairs.append((str(a), cid, f"classes.{cid}"))
    else:
        problems = []
        for a, cid in raw.items():
            pairs.append((str(a), cid, str(a)))
    out: dict[str, str] = {}
    known = set(land_use.classes)
    for alias, cid, where in pairs:
        if not isinstance(cid, str) or cid not in known:
            close = difflib.get_close_matches(str(cid), sorted(known), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            problems.append(
                f"{p.name}: {where}: {cid!r} is not a land-use class.{hint} "
                f"Known classes: {', '.join(land_use.classes)}."
            )
            continue
        out[alias] = cid
    if problems:
        raise UsageError(f"The alias file {p} has {len(problems)} problem(s)", problems)
    return out


def regime_code(regime: Regime | None, class_id: str, groups: Iterable[str]) -> int:
    """The regime code of a class under a rule's regime (see module docstring); the one
    resolution the regime matrix uses too (:func:`almaty_scheme.catalogue.regimes.decide`).

    >>> r = Regime(default="conditional", prohibited=["livestock_farm"], allowed=["group:open"])
    >>> REGIME_NAMES[regime_code(r, "livestock_farm", ["construction"])]
    'prohibited'
    >>> REGIME_NAMES[regime_code(r, "forestry", ["open"])]
    'allowed'
    >>> REGIME_NAMES[regime_code(None, "residential", [])]
    'conditional'
    """
    return REGIME_CODES[decide(regime, class_id, groups)[0]]


def regime_matrix(rules: Iterable[Rule | None], land_use: LandUse) -> np.ndarray:
    """Regime codes, shape ``(n_rules, n_classes)``, ``int8``; ``None`` rules are conditional.
    Rules repeat over zone rows: each rule's row is worked out once."""
    rows = []
    done: dict[str | None, list[int]] = {}
    for rule in rules:
        key = rule.id if rule is not None else None
        if key not in done:
            reg = rule.regime if rule is not None else None
            done[key] = [
                regime_code(reg, c, land_use.groups.get(c, frozenset())) for c in land_use.classes
            ]
        rows.append(done[key])
    if not rows:
        return np.zeros((0, len(land_use.classes)), dtype=np.int8)
    return np.asarray(rows, dtype=np.int8)


def regime_source_columns(rules: Iterable[Rule | None], land_use: LandUse) -> dict[str, list[Any]]:
    """Per zone row, what explanations cite: the regime's source for each class, and the
    words that make the rule a proposal.

    Returns ``regime_sources`` (class id -> (English, Russian) source of the matrix cell:
    the scheme line or act, or the catalogue's reading), ``proposal_citation`` and
    ``proposal_citation_ru`` (``None`` for rules that are not proposals). Rules repeat over
    zone rows, so each rule's texts are built once and shared.
    """
    cache: dict[str, tuple[dict[str, tuple[str, str]], str | None, str | None]] = {}
    out: dict[str, list[Any]] = {
        "regime_sources": [],
        "proposal_citation": [],
        "proposal_citation_ru": [],
    }
    for rule in rules:
        if rule is None:
            out["regime_sources"].append({})
            out["proposal_citation"].append(None)
            out["proposal_citation_ru"].append(None)
            continue
        if rule.id not in cache:
            texts: dict[str, tuple[str, str]] = {}
            for cid in land_use.classes:
                c = matrix_cell(rule, cid, land_use.groups.get(cid, frozenset()))
                ref = f"catalogue reading, see rules regimes --zone {rule.id} --use {cid}"
                ref_ru = f"прочтение каталога, см. rules regimes --zone {rule.id} --use {cid}"
                if c.source is not None:
                    texts[cid] = (c.source, c.source_ru or c.source)
                elif c.reading:
                    texts[cid] = (ref, ref_ru)
            st = rule.status_source if rule.proposed else None
            cache[rule.id] = (texts, st.cite() if st else None, st.cite_ru() if st else None)
        texts, p_en, p_ru = cache[rule.id]
        out["regime_sources"].append(texts)
        out["proposal_citation"].append(p_en)
        out["proposal_citation_ru"].append(p_ru)
    return out


def _sorted_categorical(values: np.ndarray, idx: np.ndarray) -> pd.Categorical:
    """``pandas.Categorical(values[idx])`` (categories the values used, sorted) built
    from the codes: the distinct values are few, the rows many (no hash per row)."""
    used = np.zeros(len(values), bool)
    used[idx] = True
    cats = sorted({values[i] for i in np.flatnonzero(used)})
    pos = {c: k for k, c in enumerate(cats)}
    code_of = np.array([pos.get(v, -1) for v in values], np.int64)
    return pd.Categorical.from_codes(code_of[idx], categories=pd.Index(cats))
