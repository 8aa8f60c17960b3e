"""Road reserve corridors (подзона автомобильных дорог), L252-284.

Geometric rule
--------------
A corridor is the land between the red lines of a trunk road: the rule's ``total``
width split equally about the road centreline (or the schematic alignment where no
centreline exists), with **flat ends** at the segment's limits and round joins, so a
1 km straight segment with a 226.5 m corridor covers exactly 226 500 m². A ``per_side``
width (if a rule gives one) is used as the distance on each side. Ranged widths (item 4,
"Среднее полукольцо" 132-330.5 m, L270) give the minimum as ``certain`` and the ring up
to the maximum as ``possible`` (``range_policy``).

Matching base lines to rules
----------------------------
1. A line whose ``rule_ids`` column names the rule (schematic alignments, user data
   tagged with rule ids) carries that rule: exact and authoritative.
2. Otherwise a line matches a rule when one of its names / ref equals one of the rule's
   ``applies_to.names`` / ``refs`` (whole words, case- and dash-insensitive). The
   segment limits (``segment_from``/``segment_to``) cannot be applied to a line with no
   segment information, so a name match on a segmented rule says so in ``reading``.

Sections
--------
A rule whose ``applies_to`` gives its section's ends as geometry (``section_from`` /
``section_to``: the lines of another road rule such as BAKAD, a territory outline such
as the Almaty city boundary, or the agglomeration boundary) is built only on the part of
each line between them (:mod:`almaty_scheme.restrictions.sections`): the New Kuldzha
route's one centreline carries 125 m from the city boundary to BAKAD and 140 m from
BAKAD to the agglomeration boundary (L265-267), cut where it meets BAKAD. ``reading``
says where the cut was made and from which geometry. An end with no geometry (no BAKAD
line, no territory outline) leaves the whole line to the rule, and says so.

Where corridors of different rules overlap (junctions, items 2 and 7 on one road)
every feature is kept: rules are never merged silently.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule, SectionEnd
from almaty_scheme.restrictions.bands import Features, rule_bands, source_attributes
from almaty_scheme.restrictions.frames import finish_layer
from almaty_scheme.restrictions.geometry import boundary_geometry, reference_band
from almaty_scheme.restrictions.names import feature_names, name_matches
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.sections import Cutter, cut_section, single_line
from almaty_scheme.restrictions.text import text

log = logging.getLogger(__name__)

LAYER = "road_corridors"
KINDS = ("road_corridor",)


def _rule_ids(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    return [t.strip() for t in value.replace(";", ",").split(",") if t.strip()]


def match_roads(rule: Rule, roads: gpd.GeoDataFrame) -> list[tuple[int, str]]:
    """Rows of ``roads`` that carry ``rule`` and how each was matched.

    Returns ``(position, how)`` pairs, ``how`` being ``rule_ids`` or ``name``.
    """
    out: list[tuple[int, str]] = []
    at = rule.applies_to
    for pos, (_, row) in enumerate(roads.iterrows()):
        ids = _rule_ids(row.get("rule_ids"))
        if ids:
            if rule.id in ids:
                out.append((pos, "rule_ids"))
            continue  # a tagged line carries exactly the rules it names
        if at is None:
            continue
        names = feature_names(row)
        refs = [row.get("ref")] if isinstance(row.get("ref"), str) else []
        if (at.names and name_matches(at.names, names)) or (
            at.refs and name_matches(at.refs, [r for ref in refs for r in ref.split(";")])
        ):
            out.append((pos, "name"))
    return out


def _cutter(
    end: SectionEnd, base: BaseData, roads: gpd.GeoDataFrame, rules: dict[str, Rule], pos: int
) -> Cutter:
    """The geometry of one section end (the line being cut is never its own cutter)."""
    if end.road_rule:
        r = rules.get(end.road_rule)
        if r is not None:
            hits = [p for p, _ in match_roads(r, roads) if p != pos]
        else:
            hits = [
                p
                for p in range(len(roads))
                if p != pos and end.road_rule in _rule_ids(roads.iloc[p].get("rule_ids"))
            ]
        geoms = [roads.geometry.iloc[p] for p in hits]
        label = end.label() + (f" ({r.title})" if r is not None else "")
        return Cutter(label, shapely.union_all(geoms) if geoms else None)
    if end.territory:
        return Cutter(end.label(), base.territories.get(end.territory))
    return Cutter(end.label(), boundary_geometry(base), to_line_end=True)


def section_of(
    rule: Rule,
    line: BaseGeometry,
    base: BaseData,
    roads: gpd.GeoDataFrame,
    pos: int,
    rules: dict[str, Rule],
) -> tuple[BaseGeometry | None, str | None]:
    """The part of ``line`` the rule's section covers, and the reading of the cut.

    Returns ``(line, None)`` for a rule without section ends, ``(line, why)`` when the
    section cannot be cut (the whole line is kept) and ``(None, why)`` when the section
    does not lie on this line. ``rules`` are the road rules by id (to find the lines
    of a ``road_rule`` end by name as well as by tag).
    """
    at = rule.applies_to
    if at is None or at.section_from is None or at.section_to is None:
        return line, None
    single = single_line(line)
    if single is None:
        return line, "line in disconnected parts: section ends not applied, whole line built"
    start = _cutter(at.section_from, base, roads, rules, pos)
    end = _cutter(at.section_to, base, roads, rules, pos)
    sec = cut_section(single, start, end)
    if start.geometry is None or end.geometry is None:
        return line, f"{sec.reading}: section ends not applied, whole line built"
    return sec.line, sec.reading


def build_road_corridors(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """Corridor features, one (or two for a range) per rule x matched base line.

    Parameters
    ----------
    catalogue
        The catalogue (rules of kind ``road_corridor`` are used).
    base
        Base data; its ``roads`` layer gives centrelines / schematic alignments.
    options
        ``range_policy``, boundary clipping, sliver area.
    """
    nb = NoteBook(LAYER)
    road_rules = catalogue.by_kind(*KINDS)
    roads = base["roads"]
    nb.input(base, "roads")
    if not road_rules:
        nb.add("missing", "no road_corridor rules in the catalogue")
    feats = Features()
    by_id = {r.id: r for r in road_rules}
    for rule in road_rules:
        if rule.width is None:
            nb.add("skipped", "rule has no width", rule.id)
            continue
        matches = match_roads(rule, roads) if len(roads) else []
        if not matches:
            nb.add(
                "skipped",
                "no base road line carries this rule (no rule_ids tag, no name "
                "match); add the road or a schematic alignment",
                rule.id,
            )
            continue
        bands = rule_bands(rule, options.range_policy)
        how_measured = (
            "total width split equally about the centreline, flat ends"
            if rule.width.semantics == "total"
            else "per-side width from the centreline"
        )
        for pos, how in matches:
            row = roads.iloc[pos]
            line = row.geometry
            if line is None or line.is_empty:
                continue
            line, cut_note = section_of(rule, line, base, roads, pos, by_id)
            if line is None:
                nb.add("skipped", f"line {row.get('base_id')}: {cut_note}", rule.id)
                continue
            schematic = (text(row.get("category")) or "") == "schematic"
            feats.add_bands(
                bands,
                partial(reference_band, line, flat=True),
                {
                    **source_attributes(row, "roads"),
                    "name": row.get("name") if isinstance(row.get("name"), str) else rule.title,
                },
                before=(
                    how_measured,
                    "schematic alignment, not a surveyed centreline" if schematic else None,
                ),
                after=(
                    # a section cut by geometry needs no segment information on the line
                    _segment_note(rule) if how == "name" and cut_note is None else None,
                    cut_note,
                ),
            )
    gdf = feats.frame(min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes


def _segment_note(rule: Rule) -> str | None:
    """What a name match cannot apply: the rule's segment limits (``None`` if it has none)."""
    at = rule.applies_to
    if at is None or not (at.segment_from or at.segment_to):
        return None
    return (
        f"matched by name only; segment limits ({at.segment_from or '?'} - {at.segment_to or '?'})"
        " not applied (the line carries no segment information)"
    )


__all__ = ["build_road_corridors", "match_roads", "section_of"]
