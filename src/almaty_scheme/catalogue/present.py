"""Plain-text and JSON presentations of rules (used by the CLI and reports)."""

from __future__ import annotations

from typing import Any

from almaty_scheme.catalogue.loader import Catalogue
from almaty_scheme.catalogue.models import ExternalSource, Rule


def value_label(rule: Rule) -> str:
    """The rule's main value as text: width, elevation band or area."""
    if rule.width is not None:
        w = rule.width
        return f"{w.value_m:g} m" if w.value_m is not None else f"{w.min_m:g}-{w.max_m:g} m"
    if rule.elevation_m is not None:
        e = rule.elevation_m
        if e.min is not None and e.max is not None:
            return f"{e.min:g}-{e.max:g} m a.s.l."
        return f">= {e.min:g} m a.s.l." if e.min is not None else f"<= {e.max:g} m a.s.l."
    if rule.area_ha is not None:
        return f"{rule.area_ha:g} ha"
    return "-"


def semantics_label(rule: Rule) -> str:
    """Width semantics and reference, e.g. ``total from centreline``."""
    if rule.width is None:
        return "-"
    return f"{rule.width.semantics} from {rule.width.measured_from}"


def source_label(rule: Rule) -> str:
    """``scheme L259`` or ``external: act (unverified)``."""
    s = rule.source
    if isinstance(s, ExternalSource):
        return "external: " + s.cite()
    return s.cite()


def rule_row(rule: Rule) -> dict[str, Any]:
    """One row of ``rules list``."""
    return {
        "id": rule.id,
        "family": rule.family,
        "kind": rule.kind,
        "title": rule.title,
        "value": value_label(rule),
        "semantics": semantics_label(rule),
        "source": source_label(rule),
        "verified": rule.verified,
    }


def rule_record(rule: Rule, cat: Catalogue) -> dict[str, Any]:
    """Full record of a rule plus the findings that affect it."""
    data = rule.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    data["citation"] = rule.citation()
    data["file"] = cat.rule_file_of.get(rule.id)
    related = [f.id for f in cat.findings.values() if rule.id in f.affects]
    if related:
        data["findings"] = related
    return data


def rules_table(rules: list[Rule]) -> str:
    """Fixed-width table: id, family, value, semantics, source."""
    cols = ["id", "family", "value", "semantics", "source"]
    rows = [{k: str(v) for k, v in rule_row(r).items()} for r in rules]
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in cols}
    widths["source"] = min(widths["source"], 70)
    line = "  ".join(c.ljust(widths[c]) for c in cols)
    out = [line, "  ".join("-" * widths[c] for c in cols)]
    for r in rows:
        out.append("  ".join(r[c][: widths[c]].ljust(widths[c]) for c in cols).rstrip())
    return "\n".join(out)
