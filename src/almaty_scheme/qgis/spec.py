"""The style specification (``styles/styles.yaml``): one source for QML, SLD, maps.

Every style of the toolkit is derived from this file: the QGIS ``.qml`` and ``.sld``
files in ``styles/`` (:mod:`almaty_scheme.qgis.qml`, :mod:`almaty_scheme.qgis.sld`), the
styles embedded in GeoPackages (:mod:`almaty_scheme.qgis.styles`), the ``.qgz`` layer
tree (:mod:`almaty_scheme.qgis.project`) and the matplotlib maps
(:mod:`almaty_scheme.plot`). The schema is strict: a misspelt key is an error naming it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from almaty_scheme.base.model import BASE_LAYERS, PROVENANCE_COLUMNS
from almaty_scheme.catalogue.datafile import load_model
from almaty_scheme.catalogue.models import FAMILIES
from almaty_scheme.catalogue.style_models import (
    Bilingual,
    StyleSpec,
    Symbol,
)
from almaty_scheme.errors import DataError
from almaty_scheme.resources import styles_dir
from almaty_scheme.restrictions.schema import LAYER_NAMES, ZONE_COLUMNS

SPEC_FILE = "styles.yaml"

FUNCTIONAL_EXTRA: tuple[str, ...] = ("functional_group", "subzone", "zone_label")
"""Extra columns of ``functional_zones`` (contract §3)."""

PARCEL_COLUMNS: tuple[str, ...] = (
    "parcel_id",
    "use_input",
    "use_class",
    "verdict",
    "verdict_reason",
    "worst_rule_id",
    "worst_family",
    "worst_share_pct",
    "n_hits",
    "explanation_ru",
    "explanation_en",
    "input_flags",
    "area_m2",
)
"""Columns the checker adds to ``parcels`` (contract §5), besides ``near_<family>_m``."""

HIT_COLUMNS: tuple[str, ...] = (
    "parcel_id",
    "rule_id",
    "family",
    "layer",
    "zone_name",
    "certainty",
    "overlap_m2",
    "share_pct",
    "distance_to_source_m",
    "regime",
    "citation",
    "accuracy",
)
"""Columns of ``parcel_hits`` (contract §5)."""

VERDICTS: tuple[str, ...] = ("prohibited", "conditional", "clear", "outside", "invalid_input")
"""Parcel verdicts, most severe first."""


@dataclass(frozen=True)
class StyleClass:
    """One legend entry of a layer, flattened from any renderer.

    ``where`` lists ``(attribute, value)`` conditions that must all hold; a value of
    ``None`` means "any value not taken by a sibling class" (QGIS ``ELSE`` or the
    categorized renderer's "all other values"). ``group`` is the parent rule's label
    for nested (``groups``) renderers.
    """

    label: Bilingual
    symbol: Symbol
    where: tuple[tuple[str, str | None], ...]
    group: Bilingual | None = None

    @property
    def is_else(self) -> bool:
        """True if any condition is an "all other values" one."""
        return any(v is None for _, v in self.where)


def certainty_symbols(colour: str) -> dict[str, Symbol]:
    """The fill of ``certain`` and the hatch of ``possible`` features of one colour.

    ``certain``: solid fill at 45 % opacity with a solid outline; ``possible`` (the band
    between a ranged width's minimum and maximum): diagonal hatch, dashed outline.
    """
    return {
        "certain": Symbol(type="fill", colour=colour, outline=colour, width=0.3, opacity=0.45),
        "possible": Symbol(type="hatch", colour=colour, width=0.3, dash="dash"),
    }


OTHER_COLOUR = "#9e9e9e"


def style_classes(name: str, spec: StyleSpec | None = None) -> list[StyleClass]:
    """The legend entries of layer ``name`` in drawing order (last drawn on top)."""
    spec = spec or default_spec()
    st = spec.layer(name)
    other = Bilingual(ru="прочие", en="other")
    if st.renderer == "single":
        assert st.symbol is not None
        return [StyleClass(st.title, st.symbol, ())]
    if st.renderer == "certainty":
        assert st.colour is not None
        syms = certainty_symbols(st.colour)
        out = [
            StyleClass(spec.labels["certainty"][c], syms[c], (("certainty", c),))
            for c in ("certain", "possible")
        ]
        grey = Symbol(type="fill", colour=OTHER_COLOUR, outline=OTHER_COLOUR, opacity=0.45)
        return [*out, StyleClass(other, grey, (("certainty", None),))]
    if st.renderer == "categories":
        assert st.attribute is not None
        return [
            StyleClass(c.label, c.symbol, ((st.attribute, c.value),)) for c in spec.categories(name)
        ]
    if st.renderer == "rules":
        return [
            StyleClass(r.label, r.symbol, tuple(r.where.items()) if r.where else (("", None),))
            for r in st.rules
        ]
    # groups: functional_group x certainty
    out = []
    for group, colour in spec.colours["functional_group"].items():
        glabel = spec.labels["functional_group"][group]
        syms = certainty_symbols(colour)
        for c in ("certain", "possible"):
            out.append(
                StyleClass(
                    spec.labels["certainty"][c],
                    syms[c],
                    (("functional_group", group), ("certainty", c)),
                    group=glabel,
                )
            )
    grey = Symbol(type="fill", colour=OTHER_COLOUR, outline=OTHER_COLOUR, opacity=0.45)
    return [*out, StyleClass(other, grey, (("functional_group", None),))]


def load_spec(path: str | Path | None = None) -> StyleSpec:
    """Read and validate the style spec (default: ``styles_dir()/styles.yaml``).

    Raises
    ------
    DataError
        If the file is missing or does not match the schema (all problems listed).
    """
    p = Path(path) if path is not None else styles_dir() / SPEC_FILE
    spec = load_model(p, StyleSpec, error=DataError)
    # Completeness (a style for every layer the toolkit writes) is checked by
    # tests/unit/test_styles.py, not here: a new base layer must not break loading.
    problems: list[str] = []
    placed = [n for g in spec.project.groups for n in g.layers]
    keys = {g.key for g in spec.project.groups}
    problems += [
        f"project.tree entry {t!r} is neither a group key nor a styled layer."
        for t in spec.project.tree
        if t not in keys and t not in spec.layers
    ]
    problems += [f"project group layer {n!r} has no style." for n in placed if n not in spec.layers]
    if problems:
        raise DataError(f"the style spec {p} is incomplete", problems)
    return spec


@functools.lru_cache(maxsize=4)
def default_spec() -> StyleSpec:
    """The shipped spec, cached."""
    return load_spec()


def styled_layer_names() -> tuple[str, ...]:
    """Every layer the toolkit writes and styles, in drawing order."""
    base = tuple(f"base_{n}" for n in BASE_LAYERS)
    return (*LAYER_NAMES, "coverage", *base, "parcels", "parcel_hits")


def layer_fields(name: str) -> tuple[str, ...]:
    """The columns a layer is known to carry (for aliases); extras may exist."""
    if name in LAYER_NAMES and name not in ("boundary",):
        extra = FUNCTIONAL_EXTRA if name == "functional_zones" else ()
        return (*ZONE_COLUMNS, *extra)
    if name == "boundary" or name == "base_boundary":
        return (*PROVENANCE_COLUMNS, *BASE_LAYERS["boundary"].columns, *ZONE_COLUMNS)
    if name.startswith("base_") and name[5:] in BASE_LAYERS:
        return (*PROVENANCE_COLUMNS, *BASE_LAYERS[name[5:]].columns)
    if name == "parcels":
        return (*PARCEL_COLUMNS, *(f"near_{f}_m" for f in FAMILIES))
    if name == "parcel_hits":
        return HIT_COLUMNS
    return ()


def field_aliases(name: str, spec: StyleSpec | None = None) -> dict[str, str]:
    """Russian aliases for the known fields of ``name`` (field -> alias)."""
    spec = spec or default_spec()
    out: dict[str, str] = {}
    for f in dict.fromkeys(layer_fields(name)):
        if f in spec.aliases:
            out[f] = spec.aliases[f]
        elif f.startswith("near_") and f.endswith("_m"):
            out[f] = spec.near_alias.format(family=f[5:-2])
    return out
