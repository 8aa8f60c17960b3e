"""Functional zones: a planar partition of the boundary into the scheme's four zone
groups and their subzones (L161-733; ``layers/zoning.yaml``).

Geometric rule (the documented priority overlay)
------------------------------------------------
1. Every ``functional_subzone`` rule names what makes it up in ``composed_of``:
   ``layer:<built layer>`` (all its features) or ``layer:<name>/<certainty>`` (only
   ``certain`` or ``possible`` ones), ``rule:<rule id>`` (all features that rule made in
   any built layer, or, for a rule with ``elevation_m`` such as
   ``zoning.direction.south``, its DEM belt), ``base:<base layer>`` (e.g.
   ``settlement_footprints``, ``water_bodies``) and ``remainder``.
2. Subzones are taken in overlay order: group priority (``functional_group`` rules:
   special 1 > limited 2 > intensive 3 > extensive 4), then the subzone's own
   ``priority``, then catalogue order. Each takes the part of its geometry inside the
   boundary that no earlier subzone took: ``piece_i = (G_i ∩ B) - (piece_1 ∪ ... ∪ piece_{i-1})``.
3. The ``remainder`` subzone takes ``B - ∪ piece_i`` (with no remainder subzone in the
   catalogue, an extensive "agricultural remainder" is added and reported).
4. Slivers: parts of a piece under ``min_sliver_m2`` are left to the later pieces /
   remainder; parts of the remainder under it are merged into the neighbouring piece
   with the longest shared border. No area is lost or counted twice: the pieces' union
   is the boundary and their pairwise intersections have zero area (tested).

Each feature is one subzone (dissolved), with ``functional_group``, ``subzone`` and
``zone_label`` columns; ``reading`` states the overlay order and what the piece was built
from; ``accuracy`` lists the accuracies of its inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BASE_LAYERS, BaseData
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.bands import rule_attributes
from almaty_scheme.restrictions.elevation import elevation_rule_geometry
from almaty_scheme.restrictions.frames import zones_frame
from almaty_scheme.restrictions.geometry import boundary_geometry, clean_polygon
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions
from almaty_scheme.restrictions.proposals import PROPOSAL_ON_SETTLEMENT
from almaty_scheme.restrictions.text import join_reading

log = logging.getLogger(__name__)

LAYER = "functional_zones"
EXTRA_COLUMNS = {
    "functional_group": "string",
    "subzone": "string",
    "zone_label": "string",
    "overlay_order": "Int64",
    "area_ha": "float64",
}
DEFAULT_GROUP_PRIORITY = {"special": 1, "limited": 2, "intensive": 3, "extensive": 4}
REMAINDER = "remainder"


@dataclass
class _Piece:
    rule: Rule | None
    group: str
    subzone: str
    label: str
    order: int
    geom: BaseGeometry
    inputs: list[str]
    accuracies: list[str]
    remainder: bool = False


def group_priorities(catalogue: Catalogue) -> dict[str, int]:
    """Group -> overlay priority from the ``functional_group`` rules (defaults otherwise)."""
    out = dict(DEFAULT_GROUP_PRIORITY)
    for r in catalogue.by_kind("functional_group"):
        if r.functional_group and r.priority is not None:
            out[r.functional_group] = r.priority
    return out


def _certain_filter(gdf: gpd.GeoDataFrame, certainty: str | None) -> gpd.GeoDataFrame:
    if certainty is None or "certainty" not in gdf.columns:
        return gdf
    return gdf.loc[(gdf["certainty"] == certainty).fillna(False).astype(bool)]


def _established(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop the parts of proposed zones on existing settlement land: a proposal does not
    take a town's land in the partition (:mod:`almaty_scheme.restrictions.proposals`)."""
    if "status" not in gdf.columns:
        return gdf
    on_settlement = (gdf["status"].astype("string") == PROPOSAL_ON_SETTLEMENT).fillna(False)
    return gdf.loc[~on_settlement.to_numpy(dtype=bool)]


def _accuracies(gdf: pd.DataFrame) -> list[str]:
    if "accuracy" not in gdf.columns:
        return []
    return [str(v) for v in pd.unique(gdf["accuracy"].dropna())]


def _union(geoms: Iterable[BaseGeometry]) -> BaseGeometry:
    arr = [g for g in geoms if g is not None and not g.is_empty]
    if not arr:
        return shapely.MultiPolygon()
    return shapely.union_all(np.asarray(arr, dtype=object))


def resolve_token(
    token: str,
    *,
    layers: Mapping[str, gpd.GeoDataFrame],
    base: BaseData,
    rules_by_id: Mapping[str, Rule],
    options: BuildOptions,
    boundary: BaseGeometry,
    nb: NoteBook,
    owner: str,
) -> tuple[BaseGeometry, list[str]]:
    """Geometry and input accuracies of one ``composed_of`` token."""
    kind, _, ref = token.partition(":")
    if kind == "layer":
        name, _, cert = ref.partition("/")
        gdf = layers.get(name)
        if gdf is None:
            nb.add("warning", f"{owner}: composed_of names unknown layer {name!r}", owner)
            return shapely.MultiPolygon(), []
        sel = _established(_certain_filter(gdf, cert or None))
        return _union(sel.geometry), _accuracies(sel)
    if kind == "base":
        if ref not in BASE_LAYERS:
            nb.add(
                "missing",
                f"{owner}: base layer {ref!r} is not part of the base model "
                "(no data); contributes nothing",
                owner,
            )
            return shapely.MultiPolygon(), []
        gdf = base[ref]
        if len(gdf) == 0:
            nb.add("missing", f"{owner}: base layer {ref!r} is empty; contributes nothing", owner)
            return shapely.MultiPolygon(), []
        polys = gdf.loc[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        return _union(polys.geometry), _accuracies(polys)
    if kind == "rule":
        made = []
        for gdf in layers.values():
            if "rule_id" in gdf.columns:
                sel = _established(gdf.loc[(gdf["rule_id"] == ref).fillna(False).astype(bool)])
                if len(sel):
                    made.append(sel)
        if made:
            allf = pd.concat(made)
            return _union(allf.geometry), _accuracies(allf)
        rule = rules_by_id.get(ref)
        if rule is None:
            nb.add("warning", f"{owner}: composed_of names unknown rule {ref!r}", owner)
            return shapely.MultiPolygon(), []
        if rule.elevation_m is not None:
            geom, info, why = elevation_rule_geometry(rule, base, options, within=boundary)
            if geom is None or info is None:
                nb.add("missing", f"{owner}: {ref}: {why}", owner)
                return shapely.MultiPolygon(), []
            return geom, [info.label]
        nb.add("missing", f"{owner}: rule {ref!r} made no features", owner)
        return shapely.MultiPolygon(), []
    if token == REMAINDER:
        return shapely.MultiPolygon(), []
    nb.add(
        "warning",
        f"{owner}: cannot read composed_of entry {token!r} (use layer:, rule:, base: or remainder)",
        owner,
    )
    return shapely.MultiPolygon(), []


def _merge_remainder_slivers(pieces: list[_Piece], rem: _Piece, min_area: float) -> None:
    """Merge remainder parts under ``min_area`` into the neighbour with the longest border."""
    parts = list(shapely.get_parts(rem.geom))
    keep = []
    for part in parts:
        if part.area >= min_area:
            keep.append(part)
            continue
        best, best_len = None, 0.0
        for p in pieces:
            if p.geom.is_empty or not p.geom.intersects(part):
                continue
            shared = shapely.length(shapely.intersection(p.geom.boundary, part.boundary))
            if shared > best_len:
                best, best_len = p, float(shared)
        if best is None:
            keep.append(part)
        else:
            best.geom = shapely.union(best.geom, part)
    rem.geom = shapely.MultiPolygon(keep) if keep else shapely.MultiPolygon()


def _overlay_order(catalogue: Catalogue, gprio: Mapping[str, int]) -> list[tuple[int, Rule]]:
    """Subzone rules in overlay order: group priority, own priority, catalogue order."""
    subs = catalogue.by_kind("functional_subzone")
    return sorted(
        enumerate(subs),
        key=lambda t: (
            gprio.get(t[1].functional_group or "extensive", 99),
            t[1].priority if t[1].priority is not None else 99,
            t[0],
        ),
    )


@dataclass
class _Overlay:
    """What every subzone of one overlay reads."""

    catalogue: Catalogue
    base: BaseData
    options: BuildOptions
    layers: Mapping[str, gpd.GeoDataFrame]
    boundary: BaseGeometry
    nb: NoteBook

    def inputs(self, rule: Rule) -> tuple[BaseGeometry, list[str], list[str]]:
        """Union of a subzone's ``composed_of`` geometries, the tokens used, their accuracies."""
        geoms, accs, inputs = [], [], []
        for tok in rule.composed_of:
            g, a = resolve_token(
                tok,
                layers=self.layers,
                base=self.base,
                rules_by_id=self.catalogue.rules,
                options=self.options,
                boundary=self.boundary,
                nb=self.nb,
                owner=rule.id,
            )
            if not g.is_empty:
                geoms.append(g)
                inputs.append(tok)
            accs.extend(a)
        return _union(geoms), inputs, accs


def _overlay_pieces(
    ov: _Overlay, order: list[tuple[int, Rule]], min_area: float
) -> tuple[list[_Piece], BaseGeometry, Rule | None]:
    """Step 2: each subzone takes ``(G_i ∩ B)`` minus what earlier subzones took.

    Returns the pieces, their union, and the remainder subzone's rule (if any).
    """
    nb = ov.nb
    pieces: list[_Piece] = []
    taken: BaseGeometry = shapely.MultiPolygon()
    remainder_rule: Rule | None = None
    for n, (_, rule) in enumerate(order, start=1):
        if REMAINDER in rule.composed_of:
            if remainder_rule is None:
                remainder_rule = rule
            else:
                nb.add("warning", "a second remainder subzone is ignored", rule.id)
            continue
        g, inputs, accs = ov.inputs(rule)
        if g.is_empty:
            nb.add(
                "skipped",
                f"subzone {rule.subzone or rule.id} is empty (its inputs have no features)",
                rule.id,
            )
            continue
        g = shapely.intersection(g, ov.boundary)
        if clean_polygon(g, min_area).is_empty:
            nb.add(
                "skipped",
                f"subzone {rule.subzone or rule.id}: its inputs lie outside the boundary",
                rule.id,
            )
            continue
        piece = shapely.difference(g, taken) if not taken.is_empty else g
        piece = clean_polygon(piece, min_area)
        if piece.is_empty:
            nb.add(
                "skipped",
                f"subzone {rule.subzone or rule.id} is wholly covered by higher-priority subzones",
                rule.id,
            )
            continue
        taken = shapely.union(taken, piece)
        pieces.append(
            _Piece(
                rule,
                rule.functional_group or "extensive",
                rule.subzone or rule.id,
                rule.title,
                n,
                piece,
                inputs,
                sorted(set(accs)),
            )
        )
    return pieces, taken, remainder_rule


def _remainder(rule: Rule | None, geom: BaseGeometry, order_no: int, nb: NoteBook) -> _Piece:
    """Step 3: the remainder piece (an extensive agricultural one without a rule)."""
    if rule is None:
        nb.add(
            "reading",
            "no remainder subzone in the catalogue: the rest of the boundary "
            "is an extensive 'agricultural remainder'",
        )
        return _Piece(
            None,
            "extensive",
            "remainder",
            "Extensive / agricultural remainder",
            order_no,
            geom,
            [REMAINDER],
            [],
            remainder=True,
        )
    return _Piece(
        rule,
        rule.functional_group or "extensive",
        rule.subzone or "remainder",
        rule.title,
        order_no,
        geom,
        [REMAINDER],
        [],
        remainder=True,
    )


def _piece_record(p: _Piece, order_text: str) -> dict[str, Any]:
    """The attributes of one subzone feature."""
    rec: dict[str, Any] = (
        rule_attributes(p.rule)
        if p.rule is not None
        else {
            "rule_id": None,
            "family": "zoning",
            "kind": "functional_subzone",
            "citation": None,
            "verified": True,
        }
    )
    rec.update(
        name=p.label,
        certainty="certain",
        functional_group=p.group,
        subzone=p.subzone,
        zone_label=f"{p.group}: {p.subzone}",
        overlay_order=p.order,
        source=", ".join(p.inputs),
        accuracy="; ".join(p.accuracies)
        if p.accuracies
        else ("boundary remainder" if p.remainder else None),
        source_layer=None,
        source_fid=None,
        reading=join_reading(
            f"priority overlay {order_text}; overlay step {p.order}",
            "what no higher-priority subzone took"
            if p.remainder
            else f"built from {', '.join(p.inputs)} minus all earlier subzones",
            p.rule.reading if p.rule is not None else None,
        ),
    )
    rec["area_ha"] = p.geom.area / 10_000.0
    return rec


def build_functional_zones(
    catalogue: Catalogue,
    base: BaseData,
    options: BuildOptions,
    layers: Mapping[str, gpd.GeoDataFrame],
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """The partition of the boundary into functional subzones (see module docstring).

    Parameters
    ----------
    layers
        The restriction layers built so far (name -> frame), read by ``layer:`` and
        ``rule:`` entries.
    """
    nb = NoteBook(LAYER)
    boundary = boundary_geometry(base)
    if boundary is None:
        nb.add("missing", "no boundary in the base: the partition cannot be built")
        return zones_frame([], [], EXTRA_COLUMNS), nb.notes
    shapely.prepare(boundary)
    gprio = group_priorities(catalogue)
    order = _overlay_order(catalogue, gprio)
    min_area = float(options.min_sliver_m2)
    ov = _Overlay(catalogue, base, options, layers, boundary, nb)
    pieces, taken, remainder_rule = _overlay_pieces(ov, order, min_area)
    rem_geom = clean_polygon(shapely.difference(boundary, taken), 0.0)
    rem = _remainder(remainder_rule, rem_geom, len(order) + 1, nb)
    _merge_remainder_slivers(pieces, rem, min_area)
    pieces.append(rem)

    order_text = " > ".join(g for g, _ in sorted(gprio.items(), key=lambda kv: kv[1]))
    done = [p for p in pieces if not p.geom.is_empty]
    # no sliver filtering here: pieces were cleaned above and dropping parts would open gaps
    gdf = zones_frame(
        [_piece_record(p, order_text) for p in done],
        [p.geom for p in done],
        EXTRA_COLUMNS,
        min_area=0.0,
    )
    gdf = gdf.sort_values("overlay_order", kind="mergesort").reset_index(drop=True)
    return gdf, nb.notes
