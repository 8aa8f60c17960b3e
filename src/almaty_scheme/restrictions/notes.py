"""Notes of the build report: what each layer used, missed, read and skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from almaty_scheme.base.model import BaseData

NoteKind = Literal["input", "missing", "reading", "warning", "skipped"]


@dataclass(frozen=True)
class LayerNote:
    """One line of the build report about a layer.

    ``kind``: ``input`` (a base layer used, with its accuracy), ``missing`` (an input
    that would have been used but is absent or empty), ``reading`` (a choice taken on an
    ambiguous rule), ``warning`` (something a user must look at), ``skipped`` (a rule
    that produced no feature and why).
    """

    layer: str
    kind: NoteKind
    message: str
    rule_id: str | None = None
    accuracy: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The note as a JSON-friendly dict."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def input_note(layer: str, base: BaseData, base_layer: str, what: str = "") -> LayerNote:
    """An ``input`` note (features, source, accuracy) or a ``missing`` note for a base layer."""
    gdf = base[base_layer]
    if len(gdf) == 0:
        return LayerNote(layer, "missing", f"base layer '{base_layer}' is empty{what}")
    acc = _distinct(gdf, "accuracy")
    src = _distinct(gdf, "source")
    prov = next((p for p in base.provenance if p.layer == base_layer), None)
    if prov is not None:
        acc = prov.accuracy or acc if acc == "unknown" else acc
        src = prov.source or src if src == "unknown" else src
    return LayerNote(
        layer,
        "input",
        f"base layer '{base_layer}': {len(gdf)} feature(s) from {src}{what}",
        accuracy=acc,
    )


def _distinct(gdf: pd.DataFrame, col: str, limit: int = 3) -> str:
    if col not in gdf.columns:
        return "unknown"
    vals = [str(v) for v in pd.unique(gdf[col].dropna())]
    if not vals:
        return "unknown"
    text = "; ".join(vals[:limit])
    return text + (f"; +{len(vals) - limit} more" if len(vals) > limit else "")


@dataclass
class NoteBook:
    """Collects notes for one layer."""

    layer: str
    notes: list[LayerNote] = field(default_factory=list)

    def add(
        self, kind: NoteKind, message: str, rule_id: str | None = None, accuracy: str | None = None
    ) -> None:
        """Append a note."""
        self.notes.append(LayerNote(self.layer, kind, message, rule_id, accuracy))

    def input(self, base: BaseData, base_layer: str, what: str = "") -> None:
        """Append an ``input``/``missing`` note for a base layer."""
        self.notes.append(input_note(self.layer, base, base_layer, what))
