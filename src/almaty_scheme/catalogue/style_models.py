"""The schema of ``styles/styles.yaml``: layer styles, labels and the QGIS project tree.

What the styles are made into (QML, SLD, the project) is :mod:`almaty_scheme.qgis`;
this module only says what the file may hold. Loaded through
:func:`almaty_scheme.catalogue.registry.load_model`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Geometry = Literal["polygon", "line", "point", "none"]

Dash = Literal["solid", "dash", "dot", "dashdot"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    """A Russian and an English text."""

    ru: str
    en: str

    def both(self) -> str:
        """``"ru / en"``, or just one when they are equal."""
        return self.ru if self.ru == self.en else f"{self.ru} / {self.en}"


class Symbol(_Strict):
    """One symbol; ``type`` decides which of the other fields matter.

    ``fill``: ``colour`` fill, ``outline`` (default: ``colour``) of ``width`` mm;
    ``hatch``: diagonal lines of ``colour``, outline of ``width`` mm, ``dash`` outline;
    ``outline``: no fill, line of ``colour``/``width``/``dash``;
    ``line``: ``colour``, ``width`` mm, ``dash``; ``railway``: black line with white
    dashes; ``marker``: circle of ``size`` mm, ``colour`` fill, ``outline`` stroke.
    """

    type: Literal["fill", "hatch", "outline", "line", "railway", "marker"]
    colour: str
    outline: str | None = None
    width: float = 0.3
    dash: Dash = "solid"
    size: float = 2.0
    opacity: float = Field(default=1.0, ge=0, le=1)


class Category(_Strict):
    """A value of the categorized attribute (``None``: all other values)."""

    value: str | None
    label: Bilingual
    symbol: Symbol


class RuleSpec(_Strict):
    """A rule of a rule-based renderer: ``attribute = value`` conditions, all must hold.

    ``where: None`` is QGIS's ``ELSE``: every feature that no other rule matched.
    """

    where: dict[str, str] | None
    label: Bilingual
    symbol: Symbol


class Label(_Strict):
    """Labels: a ``field`` or an ``expression``, shown below 1:``max_scale``."""

    field: str | None = None
    expression: str | None = None
    max_scale: float | None = None
    size: float = 8.0
    colour: str = "#1a1a1a"
    italic: bool = False

    @model_validator(mode="after")
    def _one(self) -> Label:
        if (self.field is None) == (self.expression is None):
            raise ValueError("a label needs exactly one of 'field' or 'expression'")
        return self

    @property
    def text(self) -> str:
        """The QGIS label text: the field name or the expression."""
        return self.field if self.field is not None else str(self.expression)


class LayerStyle(_Strict):
    """The style of one layer."""

    title: Bilingual
    geometry: Geometry
    renderer: Literal["certainty", "groups", "categories", "rules", "single"]
    colour: str | None = None
    symbol: Symbol | None = None
    attribute: str | None = None
    categories: list[Category] = Field(default_factory=list)
    categories_from: str | None = None
    rules: list[RuleSpec] = Field(default_factory=list)
    label: Label | None = None
    max_scale: float | None = None
    opacity: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _complete(self) -> LayerStyle:
        need = {
            "certainty": self.colour is not None,
            "single": self.symbol is not None,
            "categories": self.attribute is not None
            and bool(self.categories or self.categories_from),
            "rules": bool(self.rules),
            "groups": True,
        }
        if not need[self.renderer]:
            raise ValueError(f"renderer {self.renderer!r} lacks its required fields")
        return self


class GroupSpec(_Strict):
    """A group of the project's layer tree."""

    key: str
    title: Bilingual
    layers: list[str]


class ProjectSpec(_Strict):
    """The ``.qgz`` layer tree and title."""

    title: Bilingual
    groups: list[GroupSpec]
    tree: list[str]


class StyleSpec(_Strict):
    """The whole ``styles/styles.yaml``."""

    spec_version: int
    font: str
    colours: dict[str, dict[str, str]]
    labels: dict[str, dict[str, Bilingual]]
    aliases: dict[str, str]
    near_alias: str
    layers: dict[str, LayerStyle]
    project: ProjectSpec

    def layer(self, name: str) -> LayerStyle:
        """The style of ``name``; :class:`KeyError` names the known layers."""
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(f"no style for layer {name!r}; styled: {sorted(self.layers)}") from None

    def categories(self, name: str) -> list[Category]:
        """The categories of a ``categories`` layer, expanding ``categories_from``."""
        st = self.layer(name)
        if st.categories:
            return list(st.categories)
        key = st.categories_from or ""
        cols = self.colours.get(key) or _REGIME_COLOURS
        out = []
        for value, colour in cols.items():
            lab = self.labels[key][value]
            sym = Symbol(
                type="fill", colour=colour, outline=darker(colour), width=0.3, opacity=0.75
            )
            out.append(Category(value=value, label=lab, symbol=sym))
        return out

    def group_colour(self, group: str) -> str:
        """Fill colour of a functional group."""
        return self.colours["functional_group"][group]

    def group_for(self, layer: str) -> str | None:
        """The fallback tree group of ``layer`` (None: top level or not in the tree)."""
        for g in self.project.groups:
            if layer in g.layers:
                return g.key
        return None


_REGIME_COLOURS = {"prohibited": "#d7191c", "conditional": "#fdae61", "allowed": "#a6d96a"}


def darker(hex_colour: str, factor: float = 0.7) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (r, g, b)))
