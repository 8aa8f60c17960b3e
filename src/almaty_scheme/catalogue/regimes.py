"""The regime matrix: every zone rule x every land-use class, each cell with its source.

A *zone rule* is a rule that draws features a parcel can hit (it has a ``layer`` and is
not a fact or a functional group). For each zone rule and each land-use class of
``layers/land_use.yaml`` the cell holds:

``regime``
    ``prohibited`` | ``conditional`` | ``allowed``, decided by the rule's
    :class:`~almaty_scheme.catalogue.models.Regime`: a class id listed explicitly beats a
    ``group:`` entry, which beats ``default``; at the same level the strictest list wins;
``decided_by``
    the entry that decided it (the class id, the ``group:<name>`` token or ``default``);
``source`` / ``reading``
    the note of that entry (``regime.notes[entry]``), else the regime's own ``source``
    and ``reading``. A source is a scheme quote with its lines or an external act with
    its ``verified`` flag; a reading says why where the text does not state the cell.

A zone rule without a regime gives ``conditional`` with the reading
:data:`NO_REGIME_READING` (agree with the local executive body). A cell without any
source or reading is a catalogue defect: :func:`unsourced_cells` lists them and a test
keeps the list empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from almaty_scheme.catalogue.loader import Catalogue
from almaty_scheme.catalogue.models import ExternalSource, Regime, Rule, SchemeSource, Source

REGIME_ORDER: tuple[str, str, str] = ("allowed", "conditional", "prohibited")
"""Regime values, mildest first (their index is the check engine's regime code)."""

NO_REGIME_READING = (
    "the scheme sets no regime for this zone; agree with the local executive body (conditional)"
)
NOT_ZONE_KINDS: frozenset[str] = frozenset(
    {"fact", "gas_fact", "functional_group", "prohibited_activity"}
)


def decide(regime: Regime | None, class_id: str, groups: Iterable[str]) -> tuple[str, str]:
    """``(regime value, deciding entry)`` of a class under a regime.

    >>> r = Regime(default="conditional", prohibited=["group:production"], allowed=["forestry"])
    >>> decide(r, "forestry", ["open"])
    ('allowed', 'forestry')
    >>> decide(r, "mining", ["production"])
    ('prohibited', 'group:production')
    >>> decide(r, "residential", ["construction", "housing"])
    ('conditional', 'default')
    >>> decide(None, "residential", [])
    ('conditional', 'none')
    """
    if regime is None:
        return "conditional", "none"
    gtokens = [f"group:{g}" for g in groups]
    for level in ("class", "group"):
        for value in reversed(REGIME_ORDER):  # strictest first
            tokens = getattr(regime, value)
            if level == "class" and class_id in tokens:
                return value, class_id
            if level == "group":
                hit = next((t for t in tokens if t in gtokens), None)
                if hit is not None:
                    return value, hit
    return regime.default, "default"


@dataclass(frozen=True)
class RegimeCell:
    """One cell of the regime matrix (see the module docstring)."""

    zone_rule: str
    use: str
    regime: str
    decided_by: str
    source: str | None
    source_ru: str | None
    source_type: str | None
    source_lines: tuple[int, int] | None
    quote: str | None
    verified: bool | None
    reading: str | None
    condition: str | None
    status: str | None

    @property
    def sourced(self) -> bool:
        """Whether the cell has a source or a reading."""
        return self.source is not None or bool(self.reading)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the keys ``zone_rule``, ``use``, ``regime``, ``source`` and
        ``reading`` are the interface (issue 13); the others are added detail."""
        d = asdict(self)
        d["source_lines"] = list(self.source_lines) if self.source_lines else None
        return d


def zone_rules(cat: Catalogue | Iterable[Rule]) -> list[Rule]:
    """The rules whose features a parcel can hit, in catalogue order."""
    return [r for r in cat if r.layer is not None and r.kind not in NOT_ZONE_KINDS]


def _source_fields(src: Source | None) -> dict[str, Any]:
    if src is None:
        return {
            "source": None,
            "source_ru": None,
            "source_type": None,
            "source_lines": None,
            "quote": None,
            "verified": None,
        }
    if isinstance(src, SchemeSource):
        return {
            "source": src.cite(),
            "source_ru": src.cite_ru(),
            "source_type": "scheme",
            "source_lines": src.lines,
            "quote": src.quote,
            "verified": None,
        }
    assert isinstance(src, ExternalSource)
    return {
        "source": src.cite(),
        "source_ru": src.cite_ru(),
        "source_type": "external",
        "source_lines": None,
        "quote": None,
        "verified": src.verified,
    }


def cell(rule: Rule, class_id: str, groups: Iterable[str]) -> RegimeCell:
    """The matrix cell of ``rule`` for land-use class ``class_id`` (with its ``groups``)."""
    reg = rule.regime
    value, entry = decide(reg, class_id, groups)
    src: Source | None = None
    reading: str | None = None
    if reg is None:
        reading = NO_REGIME_READING
    elif entry in reg.notes:
        note = reg.notes[entry]
        src, reading = note.source, note.reading
    else:
        src, reading = reg.source, reg.reading
    fields = _source_fields(src)
    if fields["source_type"] is None and reading:
        fields["source_type"] = "reading"
    return RegimeCell(
        zone_rule=rule.id,
        use=class_id,
        regime=value,
        decided_by=entry,
        reading=reading,
        condition=reg.condition if reg is not None else None,
        status=rule.status,
        **fields,
    )


def regime_cells(
    cat: Catalogue,
    *,
    zone: str | None = None,
    use: str | None = None,
    groups: Mapping[str, Iterable[str]] | None = None,
) -> list[RegimeCell]:
    """The regime matrix as a list of cells, rules in catalogue order, classes in
    ``land_use.yaml`` order; ``zone`` / ``use`` select one rule / one class."""
    if groups is None:
        classes = cat.land_use.classes if cat.land_use is not None else []
        groups = {c.id: list(c.groups) for c in classes}
    out = []
    for rule in zone_rules(cat):
        if zone is not None and rule.id != zone:
            continue
        for cid, gs in groups.items():
            if use is not None and cid != use:
                continue
            out.append(cell(rule, cid, gs))
    return out


def unsourced_cells(cat: Catalogue) -> list[RegimeCell]:
    """Cells with neither a source nor a reading (catalogue defects)."""
    return [c for c in regime_cells(cat) if not c.sourced]


def regimes_table(cells: list[RegimeCell], source_width: int = 80) -> str:
    """Fixed-width table of cells: zone rule, use, regime, deciding entry, source."""
    cols = ("zone_rule", "use", "regime", "decided_by", "source")
    rows = []
    for c in cells:
        src = c.source or ""
        if c.reading:
            src = f"{src}; reading: {c.reading}" if src else f"reading: {c.reading}"
        rows.append(dict(zip(cols, (c.zone_rule, c.use, c.regime, c.decided_by, src), strict=True)))
    widths = {k: max([len(k), *(len(r[k]) for r in rows)]) for k in cols}
    widths["source"] = min(widths["source"], source_width)
    out = ["  ".join(k.ljust(widths[k]) for k in cols), "  ".join("-" * widths[k] for k in cols)]
    for r in rows:
        out.append("  ".join(r[k][: widths[k]].ljust(widths[k]) for k in cols).rstrip())
    return "\n".join(out)


def regime_problems(cat: Catalogue) -> list[str]:
    """Defects of the regime matrix: notes that name no entry, cells without a source."""
    out = []
    for rule in cat:
        reg = rule.regime
        if reg is None:
            continue
        listed = {"default", *reg.prohibited, *reg.conditional, *reg.allowed}
        for key in sorted(set(reg.notes) - listed):
            out.append(
                f"{rule.id}: regime note {key!r} names no entry of the regime "
                "(use 'default' or an entry of prohibited / conditional / allowed)."
            )
    for c in unsourced_cells(cat):
        out.append(
            f"{c.zone_rule} x {c.use}: {c.regime} (decided by {c.decided_by}) has no source "
            "and no reading; add regime.notes or regime.source / regime.reading."
        )
    return out
