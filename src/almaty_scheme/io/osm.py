"""Stream features out of an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``).

Format reading only: this module knows OSM's data model (nodes, ways, relations, the
areas assembled from closed ways and multipolygon relations) and nothing of the
project's base layers. The caller says which tags it wants (:class:`TagSelection`);
:func:`iter_osm` yields every selected object as an :class:`OsmFeature` (OSM id,
kind, all its tags, a shapely geometry in WGS 84 lon/lat) and records in
:class:`OsmReadStats` what it skipped and why.

Reader: pyosmium (libosmium), chosen by measurement (``docs/design.md``): it streams
the file in one pass for locations and a second for multipolygon relations, keeps
node locations in a compact index (``sparse_mem_array`` by default, 16 bytes per
node; ``sparse_file_array`` on disk for planet-sized files) and filters tags in C++,
so only selected objects reach Python. GDAL's OSM driver (the previous reader) aborts
a whole layer on one broken multipolygon.

Per-feature tolerance (nothing is lost silently):

- a way or area whose node locations are missing from the extract (cut at its
  border) is skipped: ``missing node locations``;
- a way with fewer than two distinct points is skipped: ``degenerate line``;
- a multipolygon whose rings do not close is skipped with libosmium's reason;
- a multipolygon relation whose member ways are missing from the extract is never
  assembled by libosmium; it is reported as ``multipolygon not assembled``;
- an invalid polygon (self-intersection, bow tie) is repaired with
  ``shapely.make_valid`` keeping the polygonal parts (counted in ``repaired``); if
  nothing polygonal remains it is skipped.

With ``bbox`` (west, south, east, north in degrees) geometries are clipped to the box
(``shapely.clip_by_rect``; a straight segment in lon/lat is kept as such) and features
entirely outside it are dropped (counted in ``outside_bbox``, not as skips).

A file that is not OSM, or a truncated one, raises :class:`~almaty_scheme.errors.DataError`
(never a partial result).
"""

from __future__ import annotations

import logging
import os
import re
import resource
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import osmium
import osmium.filter
import osmium.index
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.errors import DataError, UsageError

log = logging.getLogger(__name__)

OSM_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")
"""File name endings pyosmium reads (it picks the format by the ending)."""

LOCATION_STORAGE = "sparse_mem_array"
"""Node location index: 16 bytes per node in RAM (a 120 MB country PBF: ~15 M nodes)."""

READ_AHEAD: dict[str, str] = {
    "OSMIUM_MAX_INPUT_QUEUE_SIZE": "4",
    "OSMIUM_MAX_OSMDATA_QUEUE_SIZE": "4",
    "OSMIUM_MAX_WORK_QUEUE_SIZE": "4",
}
"""libosmium's read-ahead queues (default 20 buffers each). The decoding threads outrun
the Python loop, so full queues held ~300 MiB of decoded blocks on a 113 MiB PBF; with 4
the peak fell from 715 to 409 MiB (``docs/design.md``). Set only where the environment
does not already say otherwise."""

MAX_LISTED_SKIPS = 1000
"""How many skipped features are listed one by one (all are counted)."""

Kind = Literal["point", "line", "area"]


@dataclass(frozen=True)
class TagSelection:
    """Which objects to read: ``key -> values`` (any value when the set is empty).

    Parameters
    ----------
    points, lines, areas
        Tag selections for nodes (points), ways (lines) and areas (closed ways and
        multipolygon relations). An object is read when any pair matches.
    """

    points: Mapping[str, frozenset[str]]
    lines: Mapping[str, frozenset[str]]
    areas: Mapping[str, frozenset[str]]

    def matches(self, kind: Kind, tags: Mapping[str, str]) -> bool:
        """Whether ``tags`` select an object of ``kind``."""
        sel = {"point": self.points, "line": self.lines, "area": self.areas}[kind]
        for key, values in sel.items():
            v = tags.get(key)
            if v is not None and (not values or v in values):
                return True
        return False

    def keys(self) -> list[str]:
        """Every key of the three selections (for the C++ pre-filter)."""
        return sorted(set(self.points) | set(self.lines) | set(self.areas))

    def prefilter(self, *kinds: Kind) -> osmium.filter.TagFilter | osmium.filter.KeyFilter:
        """A C++ filter passing the objects any of ``kinds`` could select.

        Exact ``(key, value)`` pairs when every key lists its values (so that the
        millions of ``power=tower`` nodes or ``highway=footway`` ways of a country
        never reach Python); a key filter when one key takes any value.
        """
        sels = [{"point": self.points, "line": self.lines, "area": self.areas}[k] for k in kinds]
        if any(not values for sel in sels for values in sel.values()):
            return osmium.filter.KeyFilter(*sorted({k for sel in sels for k in sel}))
        pairs = sorted({(k, v) for sel in sels for k, values in sel.items() for v in values})
        return osmium.filter.TagFilter(*pairs)


@dataclass(frozen=True)
class OsmFeature:
    """One selected OSM object with its geometry in WGS 84 (lon/lat)."""

    osm_id: str  # "node/1", "way/2", "relation/3"
    kind: Kind
    tags: dict[str, str]
    geometry: BaseGeometry
    clipped: bool = False


@dataclass(frozen=True)
class OsmSkip:
    """A selected object that could not be imported, and why."""

    osm_id: str
    reason: str


@dataclass
class OsmReadStats:
    """What a read did: counts, skips with reasons, time and peak memory."""

    path: str = ""
    read: Counter[str] = field(default_factory=Counter)
    skipped: list[OsmSkip] = field(default_factory=list)
    skip_reasons: Counter[str] = field(default_factory=Counter)
    repaired: list[str] = field(default_factory=list)
    outside_bbox: int = 0
    extent: tuple[float, float, float, float] | None = None
    header_box: tuple[float, float, float, float] | None = None
    seconds: float = 0.0
    peak_rss_mib: float = 0.0

    def skip(self, osm_id: str, reason: str) -> None:
        """Record a skipped object (listed up to :data:`MAX_LISTED_SKIPS`, always counted)."""
        self.skip_reasons[reason] += 1
        if len(self.skipped) < MAX_LISTED_SKIPS:
            self.skipped.append(OsmSkip(osm_id, reason))

    def grow(self, geom: BaseGeometry) -> None:
        """Extend :attr:`extent` by a geometry's bounds (before clipping)."""
        x0, y0, x1, y1 = shapely.bounds(geom)
        e = self.extent
        self.extent = (
            (x0, y0, x1, y1)
            if e is None
            else (min(e[0], x0), min(e[1], y0), max(e[2], x1), max(e[3], y1))
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "path": self.path,
            "read": dict(self.read),
            "skipped": sum(self.skip_reasons.values()),
            "skip_reasons": dict(self.skip_reasons),
            "skipped_features": [{"osm_id": s.osm_id, "reason": s.reason} for s in self.skipped],
            "repaired": len(self.repaired),
            "repaired_features": self.repaired[:MAX_LISTED_SKIPS],
            "outside_bbox": self.outside_bbox,
            "extent": list(self.extent) if self.extent else None,
            "seconds": round(self.seconds, 2),
            "peak_rss_mib": round(self.peak_rss_mib, 1),
        }


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (``getrusage``; Linux KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def check_extract_path(path: str | Path) -> Path:
    """The extract's path, or :class:`DataError` if missing or not named like OSM data."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p} not found", ["Check the path of the OSM extract."])
    if not p.name.lower().endswith(OSM_SUFFIXES):
        raise DataError(
            f"{p.name} is not an OSM extract",
            [
                "Give an .osm.pbf or .osm file (e.g. kazakhstan-latest.osm.pbf from "
                "download.geofabrik.de); other formats are read with --base-layer NAME=FILE."
            ],
        )
    return p


def check_storage(storage: str) -> str:
    """The node-location index name, or :class:`UsageError` naming the valid ones."""
    kinds = list(osmium.index.map_types())
    if storage.split(",", 1)[0] not in kinds:
        raise UsageError(
            f"Unknown node-location index {storage!r}",
            [f"Use one of {', '.join(kinds)} (file-based ones as TYPE,PATH)."],
        )
    return storage


def header_box(path: Path) -> tuple[float, float, float, float] | None:
    """The bounding box the extract's header declares (None if it has none)."""
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            box = reader.header().box()
        finally:
            reader.close()
    except RuntimeError as exc:
        raise _unreadable(path, exc) from exc
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def _unreadable(path: Path, exc: BaseException) -> DataError:
    if "out of order" in str(exc):
        return DataError(
            f"{path.name} is not sorted by object type and id",
            [
                f"{exc}. OSM files must list nodes, then ways, then relations, each by "
                f"ascending id: sort it with 'osmium sort {path.name} -o sorted.osm.pbf'."
            ],
        )
    return DataError(
        f"Cannot read {path.name} as an OpenStreetMap extract",
        [
            f"{exc}. The file is not OSM data, or it is truncated or corrupt: "
            "re-download it (e.g. from download.geofabrik.de) and check its size/md5."
        ],
    )


def _geometry(
    obj: Any, kind: Kind, wkb: osmium.geom.WKBFactory
) -> tuple[BaseGeometry | None, str | None]:
    """Geometry of an osmium object, or (None, reason)."""
    try:
        if kind == "point":
            raw = wkb.create_point(obj)
        elif kind == "line":
            raw = wkb.create_linestring(obj)
        else:
            raw = wkb.create_multipolygon(obj)
    except osmium.InvalidLocationError:
        if kind == "line":
            return _partial_line(obj)
        return None, "missing node locations (cut at the extract's border)"
    except RuntimeError as exc:
        text = re.sub(r"\s*\((way|relation|area)_id=\d+\)", "", str(exc))
        if kind == "line":
            return None, f"degenerate line ({text})"
        return None, (
            f"broken area ({text}: rings that do not close, with fewer than 3 points, "
            "or that cross themselves)"
        )
    return shapely.from_wkb(raw), None


def _partial_line(way: Any) -> tuple[BaseGeometry | None, str | None]:
    """The part of a way cut at the extract's border, when it is one contiguous run.

    The nodes with a location must be consecutive (the way leaves the extract once):
    joining two runs would draw a segment that does not exist, so such a way is
    skipped. Fewer than two distinct located points is skipped too.
    """
    flags = [n.location.valid() for n in way.nodes]
    idx = [i for i, ok in enumerate(flags) if ok]
    if len(idx) < 2:
        return None, "missing node locations (cut at the extract's border)"
    if idx[-1] - idx[0] + 1 != len(idx):
        return None, "missing node locations inside the way (cut at the extract's border)"
    coords = [(way.nodes[i].lon, way.nodes[i].lat) for i in idx]
    line = shapely.LineString(coords)
    if line.length == 0:
        return None, "degenerate line (need at least two points for linestring)"
    return line, "partial"


def _repair_area(geom: BaseGeometry) -> BaseGeometry | None:
    """Valid polygonal part of an area (``make_valid``, polygons kept), or None."""
    fixed = shapely.make_valid(geom)
    polys = [
        g
        for g in shapely.get_parts(fixed)
        if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty
    ]
    if not polys:
        return None
    out = shapely.union_all(polys)
    return out if not out.is_empty else None


def _remember_invalid_ring(way: Any, store: dict[int, BaseGeometry]) -> None:
    """Keep the repaired polygon of a closed way whose ring is invalid (e.g. a bow tie).

    libosmium refuses such rings (the area comes out empty); the polygon built from the
    way's own nodes and repaired by :func:`_repair_area` replaces it. Only invalid rings
    are stored, so memory stays small.
    """
    if not way.is_closed() or len(way.nodes) < 4:
        return
    try:
        coords = [(nd.lon, nd.lat) for nd in way.nodes]
    except osmium.InvalidLocationError:
        return
    ring = shapely.Polygon(coords)
    if ring.is_valid:
        return
    fixed = _repair_area(ring)
    if fixed is not None:
        store[way.id] = fixed


def _osm_id(obj: Any, kind: Kind) -> str:
    if kind == "point":
        return f"node/{obj.id}"
    if kind == "line":
        return f"way/{obj.id}"
    return f"way/{obj.orig_id()}" if obj.from_way() else f"relation/{obj.orig_id()}"


def _finish_geometry(
    geom: BaseGeometry,
    kind: Kind,
    osm_id: str,
    bbox: tuple[float, float, float, float] | None,
    stats: OsmReadStats,
) -> tuple[BaseGeometry | None, bool]:
    if kind == "area" and not geom.is_valid:
        fixed = _repair_area(geom)
        if fixed is None:
            stats.skip(osm_id, "invalid polygon with no area left after repair")
            return None, False
        stats.repaired.append(osm_id)
        geom = fixed
    stats.grow(geom)
    if bbox is None:
        return geom, False
    x0, y0, x1, y1 = shapely.bounds(geom)
    if x0 >= bbox[0] and y0 >= bbox[1] and x1 <= bbox[2] and y1 <= bbox[3]:
        return geom, False
    cut = shapely.clip_by_rect(geom, *bbox)
    if cut.is_empty or (kind != "point" and cut.geom_type == "GeometryCollection"):
        stats.outside_bbox += 1
        return None, False
    return cut, True


def _processor(path: Path, selection: TagSelection, storage: str) -> osmium.FileProcessor:
    return (
        osmium.FileProcessor(str(path))
        .with_locations(storage)
        .with_areas(selection.prefilter("area"))
        .with_filter(selection.prefilter("point", "line", "area"))
    )


def _kind(obj: Any) -> Kind | None:
    if obj.is_node():
        return "point"
    if obj.is_way():
        return "line"
    if obj.is_area():
        return "area"
    return None


def iter_osm(
    path: str | Path,
    selection: TagSelection,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    stats: OsmReadStats | None = None,
    storage: str = LOCATION_STORAGE,
) -> Iterator[OsmFeature]:
    """Yield the selected objects of an OSM extract, streaming (see the module docstring).

    Parameters
    ----------
    path
        The extract.
    selection
        Which tags to read for points, lines and areas.
    bbox
        Optional ``(west, south, east, north)`` in degrees: clip to it.
    stats
        Filled with counts, skips (OSM id and reason), repairs, time and peak memory.
    storage
        pyosmium node-location index (``sparse_mem_array``, ``sparse_file_array,PATH``...).

    Raises
    ------
    DataError
        Missing, misnamed, not-OSM or truncated file (raised even after some features
        were yielded: a truncated file is never a partial success).
    UsageError
        Unknown ``storage``.
    """
    p = check_extract_path(path)
    check_storage(storage)
    st = stats if stats is not None else OsmReadStats()
    st.path = str(p)
    st.header_box = header_box(p)
    for key, value in READ_AHEAD.items():  # libosmium reads these (we only set them)
        os.environ.setdefault(key, value)
    t0 = time.perf_counter()
    wkb = osmium.geom.WKBFactory()
    candidates: dict[int, str] = {}  # multipolygon relations selected as areas
    assembled: set[int] = set()
    invalid_rings: dict[int, BaseGeometry] = {}  # closed ways libosmium will reject
    try:
        obj: Any
        for obj in _processor(p, selection, storage):
            if obj.is_relation():
                if obj.tags.get("type") in ("multipolygon", "boundary"):
                    tags = dict(obj.tags)
                    if selection.matches("area", tags):
                        candidates[obj.id] = "relation"
                continue
            kind = _kind(obj)
            if kind is None:
                continue
            if kind == "area" and not obj.from_way():
                assembled.add(obj.orig_id())
            tags = dict(obj.tags)
            if kind == "line" and selection.matches("area", tags):
                _remember_invalid_ring(obj, invalid_rings)
            if not selection.matches(kind, tags):
                continue
            osm_id = _osm_id(obj, kind)
            geom, why = _geometry(obj, kind, wkb)
            if geom is None and kind == "area" and obj.from_way():
                geom = invalid_rings.pop(obj.orig_id(), None)
                why = "partial" if geom is not None else why
            if geom is None:
                st.skip(osm_id, why or "no geometry")
                continue
            if why == "partial":
                st.repaired.append(osm_id)
            geom, clipped = _finish_geometry(geom, kind, osm_id, bbox, st)
            if geom is None:
                continue
            st.read[kind] += 1
            yield OsmFeature(osm_id, kind, tags, geom, clipped)
    except RuntimeError as exc:  # libosmium: bad PBF blob, XML parse error, truncation
        raise _unreadable(p, exc) from exc
    for rid in sorted(set(candidates) - assembled):
        st.skip(
            f"relation/{rid}",
            "multipolygon not assembled (member ways missing from the extract, or rings "
            "that cannot be built)",
        )
    st.seconds = time.perf_counter() - t0
    st.peak_rss_mib = peak_rss_mib()
    log.info(
        "%s: %s read, %d skipped, %d repaired, %.1f s, peak %.0f MiB",
        p.name,
        dict(st.read),
        sum(st.skip_reasons.values()),
        len(st.repaired),
        st.seconds,
        st.peak_rss_mib,
    )
