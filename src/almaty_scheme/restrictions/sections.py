"""Sections "from X to Y" of a line, cut where the line meets X and Y.

The scheme gives some roads a width per section (L265-267: the New Kuldzha route is
125 m from the Almaty city boundary to BAKAD and 140 m from BAKAD to the agglomeration
boundary). A rule names its section's ends as geometry (``applies_to.section_from`` /
``section_to``, :class:`~almaty_scheme.catalogue.models.SectionEnd`); one centreline
can then carry several sections and each gets its own width.

Geometric rule
--------------
* The **candidate cuts** of an end are the positions along the line (metres from its
  start) where it meets the end's geometry: exact crossings (both ends of a stretch the
  line shares with it), plus a line end lying within :data:`SNAP_M` of it (a schematic
  alignment starts *on* the city outline). An end the line never meets falls back to the
  line's end nearest to it, and the reading says so.
* The two ends' cuts are paired so that the section is the shortest stretch between a
  cut of one end and a cut of the other (the last exit from the city before BAKAD).
* An ``boundary`` end (the agglomeration boundary) cuts at the line's end on the side of
  the boundary crossing nearest the other end: the section runs on to the end of the line
  and is clipped to the boundary like every layer, so a line that leaves and re-enters
  the boundary keeps its width.
* The section is the substring between the two cuts: each section of a road gets flat
  ends at the cut (:func:`~almaty_scheme.restrictions.geometry.reference_band`), so two
  sections of one road meet along a line without overlap or gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

SNAP_M = 1.0
"""A line end this close to a section end's geometry is taken as meeting it (metres)."""


@dataclass(frozen=True)
class Cutter:
    """One section end as geometry: ``label`` for readings, ``None`` when unavailable."""

    label: str
    geometry: BaseGeometry | None
    to_line_end: bool = False


@dataclass(frozen=True)
class Section:
    """The section of a line between two cuts, or why it could not be cut."""

    line: LineString | None
    start_m: float
    end_m: float
    reading: str


def _points(geom: BaseGeometry) -> list[Point]:
    out: list[Point] = []
    for part in getattr(geom, "geoms", [geom]):
        if part.is_empty:
            continue
        if isinstance(part, Point):
            out.append(part)
        elif hasattr(part, "geoms"):
            out.extend(_points(part))
        else:  # a shared stretch: both of its ends
            coords = list(part.coords)
            out.extend([Point(coords[0]), Point(coords[-1])])
    return out


def cut_candidates(line: LineString, cutter: BaseGeometry) -> tuple[list[float], bool]:
    """Positions along ``line`` where it meets ``cutter``; ``False`` when it never does.

    When the line never meets the cutter, the single candidate is the line's end
    nearest to it.
    """
    outline = cutter.boundary if cutter.geom_type in ("Polygon", "MultiPolygon") else cutter
    found = {round(line.project(p), 6) for p in _points(line.intersection(outline))}
    for m, end in ((0.0, Point(line.coords[0])), (line.length, Point(line.coords[-1]))):
        if end.distance(outline) <= SNAP_M:
            found.add(m)
    if found:
        return sorted(found), True
    d0 = Point(line.coords[0]).distance(outline)
    d1 = Point(line.coords[-1]).distance(outline)
    return [0.0 if d0 <= d1 else line.length], False


def _nearest_pair(a: list[float], b: list[float]) -> tuple[float, float]:
    return min(((x, y) for x in a for y in b), key=lambda p: (abs(p[0] - p[1]), p[0], p[1]))


def cut_section(line: LineString, start: Cutter, end: Cutter) -> Section:
    """The section of ``line`` from ``start`` to ``end`` (rule in the module docstring).

    A section with an unavailable end, or of zero length, has ``line = None`` and a
    reading that says why.
    """
    missing = [c.label for c in (start, end) if c.geometry is None or c.geometry.is_empty]
    if missing:
        return Section(None, 0.0, 0.0, f"no geometry for {' and '.join(missing)}")
    assert start.geometry is not None and end.geometry is not None
    ca, met_a = cut_candidates(line, start.geometry)
    cb, met_b = cut_candidates(line, end.geometry)
    a, b = _nearest_pair(ca, cb)
    if start.to_line_end:
        a = 0.0 if a < b else line.length
    if end.to_line_end:
        b = line.length if b > a else 0.0
    lo, hi = min(a, b), max(a, b)
    km = line.length / 1000.0

    def where(c: Cutter, m: float, met: bool) -> str:
        if c.to_line_end:
            return f"km {m / 1000.0:.1f} (the line's end towards {c.label})"
        how = "where the line meets" if met else "the line's end nearest to (it never meets)"
        return f"km {m / 1000.0:.1f} ({how} {c.label})"

    reading = (
        f"section cut at {where(start, a, met_a)} and at {where(end, b, met_b)} "
        f"of the {km:.1f} km line"
    )
    if hi - lo <= SNAP_M:
        return Section(None, lo, hi, reading + ": the section has no length on this line")
    part = substring(line, lo, hi)
    if not isinstance(part, LineString):  # pragma: no cover - guarded by the length test
        return Section(None, lo, hi, reading + ": degenerate section")
    return Section(part, lo, hi, reading)


def single_line(geom: BaseGeometry) -> LineString | None:
    """``geom`` as one LineString (parts merged), or ``None`` if it stays in pieces."""
    if isinstance(geom, LineString):
        return geom
    merged = shapely.line_merge(geom)
    return merged if isinstance(merged, LineString) else None


__all__ = ["SNAP_M", "Cutter", "Section", "cut_candidates", "cut_section", "single_line"]
