"""Trunk gas pipeline zones (подзона магистральных газопроводов), L570-583.

The scheme gives no width (finding ``gas.finding.no_width_in_scheme``); the catalogue
holds external norms. Two kinds of features, built per corridor (``corridor_id`` of
the base; parallel threads of one corridor are never stacked under one rule):

* protection zone (``gas_protection_zone``): ``d`` metres each side of every thread's
  axis, flat ends, the threads' strips dissolved into one feature per corridor;
* minimum distance (``gas_minimum_distance``, the "sanitary" distance to settlements and
  buildings, TR EAEU 049/2020 Table 16): ``d`` metres from a thread's axis (round ends),
  ``d`` from the rule whose nominal-diameter interval holds the thread's DN and whose
  pressure interval holds the line's pressure (unknown pressure: trunk class 2.5-10 MPa
  assumed). When every thread's DN is known, the corridor gets **one feature per
  distance rule**, built around the threads of that class (a DN 1000 and a DN 500
  thread give a 250 m and a 150 m feature; threads of one class are dissolved). Threads
  with an unknown DN make the corridor's distance uncertain: the width of the largest
  known DN (or, with no DN known, the smallest candidate) is built around every thread
  as ``certain`` and the band up to the largest candidate as ``possible``.

Thread diameters the scheme states (``gas_fact`` rules with
``applies_to.thread_diameters_mm``, e.g. the Bukhara - Tashkent - Bishkek - Almaty line,
two threads of 1020 and 530 mm, L576-579) fill in lines of that name whose diameter the
data does not give: as many unknown-diameter lines as threads get one diameter each, in
the order the fact lists them; a single line is drawn as all the threads on one axis
(their separation is unknown). Each such line's ``diameter_note`` says so and the
features cite the scheme lines beside the norm.

``source_fid`` of a corridor feature lists the ``base_id`` of every thread, comma-separated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from almaty_scheme.base.model import BaseData
from almaty_scheme.base.reference import nominal_diameter
from almaty_scheme.catalogue import Catalogue
from almaty_scheme.catalogue.models import Rule
from almaty_scheme.restrictions.bands import Band, Features, rule_bands
from almaty_scheme.restrictions.frames import finish_layer
from almaty_scheme.restrictions.geometry import QUAD_SEGS, reference_band
from almaty_scheme.restrictions.names import feature_names, name_matches
from almaty_scheme.restrictions.notes import LayerNote, NoteBook
from almaty_scheme.restrictions.options import BuildOptions

LAYER = "gas_pipeline_zones"
EXTRA_COLUMNS = {"corridor_id": "string", "nominal_diameter_mm": "float64"}


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def line_dn(row: pd.Series) -> tuple[float | None, str | None]:
    """Nominal diameter of a pipeline row and how it was obtained."""
    dn = _num(row.get("nominal_diameter_mm"))
    note = row.get("diameter_note") if isinstance(row.get("diameter_note"), str) else None
    if dn is not None:
        return dn, note
    od = _num(row.get("diameter_mm"))
    if od is None:
        return None, note
    return nominal_diameter(od)


def distance_rules_for(rules: list[Rule], dn: float | None, pressure: float | None) -> list[Rule]:
    """Minimum-distance rules compatible with a DN and a pressure (None = unknown)."""
    out = []
    for r in rules:
        at = r.applies_to
        if at is None or r.width is None or r.width.value_m is None:
            continue
        if (
            pressure is not None
            and at.pressure_mpa is not None
            and not at.pressure_mpa.contains(pressure)
        ):
            continue
        if (
            dn is not None
            and at.nominal_diameter_mm is not None
            and not at.nominal_diameter_mm.contains(dn)
        ):
            continue
        out.append(r)
    return sorted(out, key=lambda r: (r.width.value_m if r.width else 0.0, r.id))


def _unknown_dn(row: pd.Series) -> bool:
    return _num(row.get("nominal_diameter_mm")) is None and _num(row.get("diameter_mm")) is None


def _thread_rows(pipes: gpd.GeoDataFrame, i: Any, n: int) -> tuple[gpd.GeoDataFrame, list[Any]]:
    """Replace row ``i`` by ``n`` copies on the same axis (``base_id`` + ``/thread<k>``)."""
    labels: list[Any]
    if pd.api.types.is_integer_dtype(pipes.index):
        nxt = int(pipes.index.max()) + 1
        labels = list(range(nxt, nxt + n))
    else:
        labels = [f"{i}/thread{k + 1}" for k in range(n)]
    row = pipes.loc[[i]]
    copies = [
        row.assign(base_id=f"{row['base_id'].iloc[0]}/thread{k + 1}").set_axis([labels[k]])
        for k in range(n)
    ]
    out = pd.concat([pipes.drop(index=i), *copies])
    return gpd.GeoDataFrame(out, geometry=pipes.geometry.name, crs=pipes.crs), labels


def _fact_groups(pipes: gpd.GeoDataFrame, names: list[str]) -> list[list[Any]]:
    """Row labels of the open-diameter lines named like the fact, per corridor, by base_id."""
    groups: dict[str, list[Any]] = {}
    for i, row in pipes.iterrows():
        if _unknown_dn(row) and name_matches(
            names, feature_names(row, ("name", "project", "name_ru"))
        ):
            corr = row.get("corridor_id")
            groups.setdefault(corr if isinstance(corr, str) else f"line:{i}", []).append(i)
    return [sorted(idx, key=lambda i: str(pipes.at[i, "base_id"])) for idx in groups.values()]


def apply_thread_facts(
    pipes: gpd.GeoDataFrame, facts: Iterable[Rule], nb: NoteBook
) -> gpd.GeoDataFrame:
    """Fill in the thread diameters the scheme states for pipelines the data leaves open.

    For each ``gas_fact`` rule with ``applies_to.thread_diameters_mm`` (outside
    diameters, as the text gives them) and ``names``: the lines whose name (or
    ``project``) matches and whose diameter is unknown are, per corridor, either as
    many as the threads (each gets one diameter, in the fact's order, lines sorted by
    ``base_id``) or one line (drawn as every thread on the same axis, ``base_id``
    suffixed ``/thread<i>``). Other counts are left unknown and reported. DN comes from
    the outside-to-nominal table; ``diameter_note`` and ``_dn_cite`` carry the source.
    """
    facts = [f for f in facts if f.applies_to and f.applies_to.thread_diameters_mm]
    if not facts or pipes.empty:
        return pipes
    pipes = pipes.copy()
    for col in ("_dn_cite", "diameter_note"):
        if col not in pipes.columns:
            pipes[col] = pd.Series(pd.NA, index=pipes.index, dtype="string")
    for fact in facts:
        assert fact.applies_to is not None
        ods = list(fact.applies_to.thread_diameters_mm)
        for idx in _fact_groups(pipes, fact.applies_to.names):
            if len(idx) == 1 and len(ods) > 1:
                pipes, idx = _thread_rows(pipes, idx[0], len(ods))
                how = (
                    f"the data has one line; the scheme's {len(ods)} threads are drawn on "
                    "its axis (their separation is unknown)"
                )
            elif len(idx) == len(ods):
                how = (
                    f"{len(ods)} lines in the data, given the diameters in the fact's order "
                    "(which line is which thread is not known)"
                )
            else:
                why = f"{len(idx)} matching lines for {len(ods)} threads; diameters left unknown"
                nb.add("warning", f"{fact.id}: {why}", fact.id)
                continue
            for t, (i, od) in enumerate(zip(idx, ods, strict=True)):
                dn, dn_note = nominal_diameter(od)
                pipes.loc[i, ["diameter_mm", "nominal_diameter_mm"]] = [od, dn]
                pipes.loc[i, "diameter_note"] = (
                    f"thread {t + 1} of {len(ods)}: outside diameter {od:g} mm from the scheme "
                    f"({fact.source.cite()}, rule {fact.id}); {how}; {dn_note}"
                )
                pipes.loc[i, "_dn_cite"] = f"thread diameters: {fact.citation()}"
    return pipes


def _corridors(pipes: gpd.GeoDataFrame) -> list[tuple[str, gpd.GeoDataFrame]]:
    cid = pipes["corridor_id"].astype("string") if "corridor_id" in pipes.columns else None
    keys = [
        (c if (cid is not None and isinstance(c, str) and c) else f"line:{b}")
        for c, b in zip(
            cid if cid is not None else [None] * len(pipes), pipes["base_id"], strict=True
        )
    ]
    pipes = pipes.assign(_corr=keys)
    return [(k, g) for k, g in pipes.groupby("_corr", sort=True)]


def _names(g: gpd.GeoDataFrame) -> str:
    names = [n for n in pd.unique(g["name"].dropna()) if isinstance(n, str)]
    return " + ".join(names) if names else "gas pipeline"


def _provenance(g: gpd.GeoDataFrame) -> dict[str, Any]:
    def first(col: str) -> Any:
        vals = list(pd.unique(g[col].dropna())) if col in g.columns else []
        return "; ".join(str(v) for v in vals) if vals else None

    return {
        "source": first("source"),
        "accuracy": first("accuracy"),
        "source_layer": "gas_pipelines",
        "source_fid": ",".join(sorted(str(b) for b in g["base_id"])),
    }


@dataclass(frozen=True)
class _Corridor:
    """One gas-pipeline corridor: its threads and what every feature of it carries."""

    key: str
    threads: gpd.GeoDataFrame
    lines: list[BaseGeometry]
    attributes: dict[str, Any]
    note: str


def _corridor(key: str, g: gpd.GeoDataFrame) -> _Corridor:
    lines = list(g.geometry)
    n = len(lines)
    note = (
        f"corridor {key}: {n} parallel threads, built once"
        if n > 1
        else f"corridor {key}: one line"
    )
    return _Corridor(key, g, lines, {**_provenance(g), "name": _names(g), "corridor_id": key}, note)


def _dissolved(
    lines: list[BaseGeometry], inner: float, outer: float, *, flat: bool
) -> BaseGeometry:
    """The union of the threads' bands (parallel threads never stacked)."""
    return shapely.union_all([reference_band(ln, inner, outer, flat=flat) for ln in lines])


def _distance_shape(lines: list[BaseGeometry], inner: float, outer: float) -> BaseGeometry:
    """Land within ``outer`` of any thread (round ends) but not within ``inner`` of any."""
    geom = _dissolved(lines, inner, outer, flat=False)
    if inner > 0:
        geom = shapely.difference(
            geom,
            shapely.union_all([shapely.buffer(ln, inner, quad_segs=QUAD_SEGS) for ln in lines]),
        )
    return geom


def _pressure(g: gpd.GeoDataFrame) -> float | None:
    """The highest pressure the corridor's threads give (``None``: unknown)."""
    ps = [p for p in (_num(v) for v in g.get("pressure_mpa", [])) if p is not None]
    return max(ps) if ps else None


def _width(rule: Rule) -> float:
    return float(rule.width.value_m or 0) if rule.width else 0.0


@dataclass(frozen=True)
class DistanceClass:
    """Threads of one corridor that share minimum-distance bands, and those bands.

    ``dn`` is the largest (known) DN of the threads; ``candidates`` the ``(min, max)`` of
    the candidate widths when some DN is unknown (recorded as ``width_min_m`` /
    ``width_max_m``, as for a ranged rule).
    """

    threads: gpd.GeoDataFrame
    dn: float | None
    bands: list[tuple[Rule, Band]]
    candidates: tuple[float, float] | None = None


def _by_class(
    g: gpd.GeoDataFrame, dns: list[float], dist_rules: list[Rule], pressure: float | None
) -> list[DistanceClass] | None:
    """One ``certain`` band per distance rule around the threads of its class, widest first.

    ``None`` when some thread's DN fits no distance rule.
    """
    classes: dict[str, tuple[Rule, list[int]]] = {}
    for i, dn in enumerate(dns):
        fits = distance_rules_for(dist_rules, dn, pressure)
        if not fits:
            return None
        classes.setdefault(fits[-1].id, (fits[-1], []))[1].append(i)
    out = []
    for r, idx in classes.values():
        cdns = [dns[i] for i in idx]
        dn_txt = ", ".join(f"{d:g}" for d in sorted(set(cdns)))
        why = f"DN {dn_txt}: {len(idx)} of {len(dns)} thread(s) in this class"
        band = Band(0.0, _width(r), "certain", "per_side", why)
        out.append(DistanceClass(g.iloc[idx], max(cdns), [(r, band)]))
    return sorted(out, key=lambda c: (-c.bands[0][1].outer_m, c.bands[0][0].id))


def distance_bands(
    g: gpd.GeoDataFrame, dist_rules: list[Rule], pressure: float | None
) -> list[DistanceClass]:
    """The minimum-distance bands of one corridor (rule in the module docstring).

    Every DN known: one class per distance rule (:func:`_by_class`). Some DN unknown (or
    a DN no rule holds): one class of every thread with the largest known DN's width (or
    the smallest candidate) as ``certain`` and the ring to the largest candidate as
    ``possible``, with the candidates' range. No rule for the pressure: no class.
    """
    anyc = distance_rules_for(dist_rules, None, pressure)
    if not anyc:
        return []
    dns = [line_dn(row)[0] for _, row in g.iterrows()]
    known = [d for d in dns if d is not None]
    if known and len(known) == len(dns):
        classes = _by_class(g, known, dist_rules, pressure)
        if classes is not None:
            return classes
    max_dn = max(known) if known else None
    fit = distance_rules_for(dist_rules, max_dn, pressure) if max_dn is not None else []
    lo_rule, hi_rule = (fit[-1] if fit else anyc[0]), anyc[-1]
    lo, hi = _width(lo_rule), _width(hi_rule)
    unknown = len(dns) - len(known)
    if fit:
        why = f"largest known DN {max_dn:g}, {unknown} of {len(dns)} thread(s) with unknown DN"
    elif known:
        why = f"no distance rule holds DN {max_dn:g}; candidates of every class"
    else:
        why = f"DN unknown for all {len(dns)} thread(s)"
    bands = [(lo_rule, Band(0.0, lo, "certain", "per_side", why))]
    if hi > lo:
        why_hi = why + "; band to the largest candidate"
        bands.append((hi_rule, Band(lo, hi, "possible", "per_side", why_hi)))
    return [DistanceClass(g, max_dn, bands, (lo, hi) if hi > lo else None)]


def _add_distance_zones(
    feats: Features, corr: _Corridor, dist_rules: list[Rule], nb: NoteBook
) -> None:
    """The minimum-distance features of one corridor, one band loop per class."""
    pressure = _pressure(corr.threads)
    classes = distance_bands(corr.threads, dist_rules, pressure)
    if not classes:
        nb.add("skipped", f"corridor {corr.key}: no minimum-distance rule for pressure {pressure}")
        return
    p_note = (
        f"pressure {pressure:g} MPa"
        if pressure is not None
        else "pressure unknown: trunk class 2.5-10 MPa assumed"
    )
    for dc in classes:
        dn_notes = {note for _, row in dc.threads.iterrows() if (note := line_dn(row)[1])}
        cites = dc.threads["_dn_cite"].dropna() if "_dn_cite" in dc.threads else []
        cand = dc.candidates
        feats.add_bands(
            dc.bands,
            partial(_distance_shape, list(dc.threads.geometry)),
            {
                # the candidates' range, as for a ranged rule
                **({"width_min_m": cand[0], "width_max_m": cand[1]} if cand else {}),
                **_provenance(dc.threads),
                "name": _names(dc.threads),
                "corridor_id": corr.key,
                "nominal_diameter_mm": dc.dn,
            },
            before=(corr.note,),
            after=(p_note, "; ".join(sorted(dn_notes)) or None),
            also_cite=sorted({str(c) for c in cites}),
        )


def build_gas_pipeline_zones(
    catalogue: Catalogue, base: BaseData, options: BuildOptions
) -> tuple[gpd.GeoDataFrame, list[LayerNote]]:
    """Protection zone per gas-pipeline corridor, minimum-distance zones per DN class."""
    nb = NoteBook(LAYER)
    prot_rules = catalogue.by_kind("gas_protection_zone")
    dist_rules = catalogue.by_kind("gas_minimum_distance")
    pipes = base["gas_pipelines"]
    nb.input(base, "gas_pipelines")
    if not prot_rules:
        nb.add("missing", "no gas_protection_zone rule in the catalogue")
    if not dist_rules:
        nb.add("missing", "no gas_minimum_distance rules in the catalogue")
    pipes = pipes.loc[~(pipes.geometry.isna() | pipes.geometry.is_empty)]
    pipes = apply_thread_facts(pipes, catalogue.by_kind("gas_fact"), nb)
    feats = Features()
    for key, g in _corridors(pipes):
        corr = _corridor(key, g)
        for rule in prot_rules:
            feats.add_bands(
                rule_bands(rule, options.range_policy),
                partial(_dissolved, corr.lines, flat=True),
                corr.attributes,
                before=(corr.note, "from each thread's axis, dissolved"),
            )
        if dist_rules:
            _add_distance_zones(feats, corr, dist_rules, nb)
    gdf = feats.frame(EXTRA_COLUMNS, min_area=options.min_sliver_m2)
    gdf = finish_layer(gdf, base, options, nb.notes, LAYER)
    return gdf, nb.notes
