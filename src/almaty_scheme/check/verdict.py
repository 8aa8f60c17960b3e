"""Verdict names and one-line explanations in Russian and English.

A parcel's verdict (brief_contracts §5):

``invalid_input``
    the geometry cannot be checked (``verdict_reason`` = the input problem);
``outside``
    no part of the parcel lies inside the agglomeration boundary
    (``outside_boundary``) or inside the coverage of the base data (``outside_coverage``);
``prohibited``
    the intended use is prohibited in at least one zone the parcel overlaps with a
    *certain* hit (``use_prohibited``);
``conditional``
    the use needs approvals in some zone (``use_conditional``), the zone's rule has no
    regime (``no_regime``: agree with the local executive body), the use would be
    prohibited but every prohibiting hit lies only in a ``possible`` band (the band of a
    ranged width, an unknown pipe diameter or soil, a DEM-derived unnamed stream:
    ``possibly_prohibited``, counted apart in the summary), or the prohibition comes from
    a proposed zone (``status: proposed``) on existing settlement land
    (``proposal_on_settlement``, finding
    ``zoning.finding.proposals_vs_existing_settlements``);
``clear``
    every touched zone allows the use (``use_allowed``) or nothing is touched
    (``no_restrictions``); ``partly_outside_coverage`` / ``partly_outside_boundary``
    say that a part of the parcel could not be checked.

The explanation names the worst finding: the share of the parcel, the zone (rule title
and the name of what it surrounds), the width (and the band for a possible hit), the
zone's citation, caveats on the geometry (``derived from DEM``, ``schematic``) and on
unverified widths, and the source of the regime that decided the verdict (the regime
matrix cell of the zone's rule and the parcel's use: a scheme line, an external act or
the catalogue's reading, see ``almaty-scheme rules regimes``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from almaty_scheme.check.regime import CONDITIONAL, PROHIBITED
from almaty_scheme.restrictions.proposals import PROPOSAL_ON_SETTLEMENT

VERDICTS: tuple[str, ...] = ("prohibited", "conditional", "clear", "outside", "invalid_input")
"""All verdicts, worst first."""


def on_settlement_proposals(zones: pd.DataFrame) -> np.ndarray:
    """Boolean per zone row: the feature is a proposal on existing settlement land."""
    if "status" not in zones.columns or len(zones) == 0:
        return np.zeros(len(zones), dtype=bool)
    return (
        (zones["status"].astype("string") == PROPOSAL_ON_SETTLEMENT)
        .fillna(False)
        .to_numpy(dtype=bool)
    )


def effective_regimes(
    rule_regime: np.ndarray, possible: np.ndarray, proposal: np.ndarray
) -> np.ndarray:
    """Regime codes of hits after the caps: a hit in a ``possible`` band, or on a proposed
    zone's part on existing settlement land, is at most conditional (code 1).

    >>> effective_regimes(np.array([2, 2, 2, 0]), np.array([False, True, False, True]),
    ...                   np.array([False, False, True, False])).tolist()
    [2, 1, 1, 0]
    """
    return np.where(possible | proposal, np.minimum(rule_regime, CONDITIONAL), rule_regime)


CONDITIONAL_REASONS: tuple[str, ...] = (
    "possibly_prohibited",
    "proposal_on_settlement",
    "use_conditional",
    "no_regime",
)
"""The ``verdict_reason`` values of conditional parcels (:func:`conditional_reason_codes`)."""


def conditional_reason_codes(
    rule_regime: np.ndarray, possible: np.ndarray, proposal: np.ndarray, has_regime: np.ndarray
) -> np.ndarray:
    """``verdict_reason`` of conditional parcels from their worst hit's arrays, as codes
    into :data:`CONDITIONAL_REASONS`.

    A capped prohibition names the reason: ``possibly_prohibited`` (possible band; it wins
    when both caps apply) or ``proposal_on_settlement``; else ``no_regime`` when the
    rule has no regime; else ``use_conditional``.
    """
    capped = rule_regime == PROHIBITED
    return np.where(
        capped & possible,
        0,
        np.where(capped & proposal, 1, np.where(has_regime, 2, 3)),
    ).astype(np.int64)


def conditional_reasons(
    rule_regime: np.ndarray, possible: np.ndarray, proposal: np.ndarray, has_regime: np.ndarray
) -> list[str]:
    """:func:`conditional_reason_codes` as names."""
    codes = conditional_reason_codes(rule_regime, possible, proposal, has_regime)
    return [CONDITIONAL_REASONS[int(c)] for c in codes]


REGIME_EN = {"prohibited": "Prohibited", "conditional": "Conditional", "allowed": "Allowed"}
REGIME_RU = {
    "prohibited": "Запрещено",
    "conditional": "Допускается по согласованию",
    "allowed": "Разрешено",
}
SEMANTICS_EN = {"per_side": "per side", "total": "total"}
SEMANTICS_RU = {"per_side": "в каждую сторону", "total": "общая ширина"}

INVALID_EN = {
    "null_geometry": "no geometry",
    "empty_geometry": "empty geometry",
    "bad_coordinates": "non-finite coordinates",
    "not_polygon": "not a polygon",
    "invalid_geometry": "invalid geometry that could not be repaired",
}
INVALID_RU = {
    "null_geometry": "нет геометрии",
    "empty_geometry": "пустая геометрия",
    "bad_coordinates": "некорректные координаты",
    "not_polygon": "не полигон",
    "invalid_geometry": "некорректная геометрия, не поддающаяся исправлению",
}

NEAR_RU = {
    "roads": "дорожный коридор",
    "railways": "зона железной дороги",
    "power": "охранная зона ЛЭП",
    "water_mains": "охранная зона водовода",
    "water_protection": "водоохранная зона или полоса",
    "water_protection_zones": "водоохранная зона",
    "water_protection_strips": "водоохранная полоса",
    "gas": "зона газопровода",
    "forest": "лесной пояс",
    "elevation": "высотный пояс",
    "settlement": "зона расселения",
    "industrial": "индустриальная зона",
    "zoning": "функциональная зона",
}
NEAR_EN = {
    "roads": "road corridor",
    "railways": "railway zone",
    "power": "power-line zone",
    "water_mains": "water-main strip",
    "water_protection": "water-protection zone or strip",
    "water_protection_zones": "water-protection zone",
    "water_protection_strips": "water-protection strip",
    "gas": "gas-pipeline zone",
    "forest": "forest belt",
    "elevation": "elevation belt",
    "settlement": "settlement zone",
    "industrial": "industrial zone",
    "zoning": "functional zone",
}

_COMMON_FIRST_WORDS = {
    "default",
    "minimum",
    "trunk",
    "water-protection",
    "railway",
    "road",
    "power",
    "gas",
    "forest",
    "elevation",
    "industrial",
    "functional",
    "protection",
    "sanitary",
    "controlled",
    "right",
    "overhead",
    "water",
    "new",
    "planned",
    "southern",
    "zone",
    "belt",
    "corridor",
    "strip",
    "band",
    "all",
    "aerial",
    "reserve",
    "relic",
}


def fmt_m(x: float | None) -> str:
    """Metres without trailing zeros (``55``, ``132.5``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "?"
    return f"{x:g}"


def share_text(share: float, lang: str) -> str:
    """``"42 % of the parcel"`` / ``"42 % участка"``; the whole parcel at >= 99.95 %."""
    if share >= 99.95:
        return "the whole parcel" if lang == "en" else "весь участок"
    if share >= 10:
        s = f"{share:.0f} %"
    elif share >= 0.1:
        s = f"{share:.1f} %"
    else:
        s = "<0.1 %"
    return f"{s} of the parcel" if lang == "en" else f"{s} участка"


def cite_ru(citation: str) -> str:
    """Citation text in Russian (``scheme L592-593`` -> ``схема, строки 592-593``).

    Used only for layers built before zones carried ``citation_ru``.
    """
    text = re.sub(r"\bscheme L", "схема, строки ", citation)
    return text.replace("(unverified)", "(не проверено)")


def _g(z: pd.Series, key: str) -> object:
    """``z[key]`` with pandas' missing values (NA, NaN, None) as ``None``."""
    v = z.get(key)
    try:
        if v is None or bool(pd.isna(v)):
            return None
    except (TypeError, ValueError):  # array-like values are not missing
        return v
    return v


def _named(t: str, name: object, other_title: object) -> str:
    """Append the zone's ``name`` unless a title of the rule already contains it."""
    if not isinstance(name, str) or not name.strip():
        return t
    low = name.casefold()
    if low in t.casefold() or (isinstance(other_title, str) and low in other_title.casefold()):
        return t
    return f"{t} ({name})"


def _zone_en(z: pd.Series) -> str:
    t = _g(z, "title")
    t = t if isinstance(t, str) and t else str(_g(z, "rule_id"))
    first = t.split(" ", 1)[0].rstrip(",").casefold()
    if first in _COMMON_FIRST_WORDS:
        t = t[0].lower() + t[1:]
    return "the " + _named(t, _g(z, "name"), _g(z, "title_ru"))


def _zone_ru(z: pd.Series) -> str:
    t = _g(z, "title_ru")
    t = t if isinstance(t, str) and t else str(_g(z, "rule_id"))
    return "«" + _named(t, _g(z, "name"), _g(z, "title")) + "»"


def _f(z: pd.Series, key: str) -> float | None:
    v = _g(z, key)
    try:
        return float(v) if v is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _width(z: pd.Series, lang: str) -> str:
    """``55-110 m per side``; for a possible band ``band 55-110 m of the 55-110 m per side range``."""
    sem = str(_g(z, "width_semantics") or "")
    wmin, wmax = _f(z, "width_min_m"), _f(z, "width_max_m")
    inner, outer = _f(z, "band_inner_m"), _f(z, "band_outer_m")
    sems = (SEMANTICS_EN if lang == "en" else SEMANTICS_RU).get(sem, "")
    unit = "m" if lang == "en" else "м"
    if wmin is not None and wmax is not None and wmin != wmax:
        base = f"{fmt_m(wmin)}-{fmt_m(wmax)} {unit} {sems}".strip()
        if str(_g(z, "certainty")) == "possible" and inner is not None and outer is not None:
            band = f"{fmt_m(inner)}-{fmt_m(outer)} {unit}"
            return (
                f"band {band} of the {base} range"
                if lang == "en"
                else f"полоса {band} из диапазона {base}"
            )
        return base
    w = next((v for v in (wmax, wmin, _f(z, "width_m")) if v is not None), None)
    return f"{fmt_m(w)} {unit} {sems}".strip() if w is not None else ""


def _caveats(z: pd.Series, lang: str) -> list[str]:
    out = []
    acc = str(_g(z, "accuracy") or "").casefold()
    if "dem" in acc:
        out.append("geometry derived from DEM" if lang == "en" else "геометрия по ЦМР")
    if "schematic" in acc:
        out.append("schematic geometry" if lang == "en" else "схематичная геометрия")
    ver = _g(z, "verified")
    if ver is not None and not bool(ver):
        out.append("width unverified" if lang == "en" else "ширина не подтверждена")
    return out


@dataclass(frozen=True)
class ZonePhrases:
    """The parts of an explanation that depend on the zone only (computed once per zone).

    ``regime_src`` maps a land-use class to the English and Russian source of the
    zone rule's regime for it (the regime matrix cell); ``proposal`` is the citation of
    the words that make the rule a proposal, for a feature on existing settlement land.
    """

    zone_en: str
    zone_ru: str
    details_en: str
    details_ru: str
    possible: bool
    regime_src: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    proposal: tuple[str, str] | None = None


def zone_phrases(z: pd.Series) -> ZonePhrases:
    """Name, width, citation and caveats of zone row ``z`` in English and Russian."""
    cit = str(_g(z, "citation") or "")
    cit_ru = str(_g(z, "citation_ru") or "") or (cite_ru(cit) if cit else "")
    details_en = [p for p in (_width(z, "en"), cit) if p] + _caveats(z, "en")
    details_ru = [p for p in (_width(z, "ru"), cit_ru) if p] + _caveats(z, "ru")
    src = _g(z, "regime_sources")
    prop = _g(z, "proposal_citation")
    on_settlement = str(_g(z, "status")) == PROPOSAL_ON_SETTLEMENT
    return ZonePhrases(
        zone_en=_zone_en(z),
        zone_ru=_zone_ru(z),
        details_en="; ".join(details_en),
        details_ru="; ".join(details_ru),
        possible=str(_g(z, "certainty")) == "possible",
        regime_src=src if isinstance(src, Mapping) else {},
        proposal=(
            (str(prop), str(_g(z, "proposal_citation_ru") or prop))
            if on_settlement and isinstance(prop, str) and prop
            else None
        ),
    )


def compose_hit(
    ph: ZonePhrases,
    *,
    use_title: str,
    use_title_ru: str,
    share_en: str,
    share_ru: str,
    regime: str,
    reason: str,
    use: str = "",
) -> tuple[str, str]:
    """The explanation sentence of a hit verdict from its parts.

    ``use`` is the parcel's land-use class: the sentence ends with the source of the
    zone rule's regime for it (issue 13: the zone *and* the regime's source).
    """
    where_en = "lies only in the possible band of" if ph.possible else "lies in"
    where_ru = "только в возможной полосе зоны" if ph.possible else "в зоне"
    en = (
        f"{REGIME_EN[regime]} for {use_title}: {share_en} {where_en} {ph.zone_en} ({ph.details_en})"
    )
    ru = (
        f"{REGIME_RU[regime]} для «{use_title_ru}»: {share_ru} — {where_ru} "
        f"{ph.zone_ru} ({ph.details_ru})"
    )
    src = ph.regime_src.get(use)
    if src is not None:
        en += f"; regime: {src[0]}"
        ru += f"; режим: {src[1]}"
    if reason == "possibly_prohibited":
        en += "; possibly prohibited: prohibited if the wider width applies"
        ru += "; возможно запрещено: запрещено, если действует большая ширина"
    elif reason == "proposal_on_settlement":
        p_en, p_ru = ph.proposal or ("the scheme", "схема")
        en += (
            f"; the zone is a proposal of the scheme ({p_en}) on existing settlement land, "
            "so at most conditional"
        )
        ru += (
            f"; зона лишь предложена схемой ({p_ru}) на землях существующего населённого "
            "пункта, поэтому не строже согласования"
        )
    elif reason == "no_regime":
        en += "; no regime in the scheme: agree with the local executive body"
        ru += "; режим схемой не установлен: согласовать с местным исполнительным органом"
    return en + ".", ru + "."


_SHARE_EN = np.array([share_text(q / 10, "en") for q in range(1001)], dtype=object)
_SHARE_RU = np.array([share_text(q / 10, "ru") for q in range(1001)], dtype=object)
_SHARE_CASE = np.asarray(
    pd.factorize(pd.MultiIndex.from_arrays([_SHARE_EN, _SHARE_RU]))[0], dtype=np.int64
)
"""Share (in 0.1 % steps) -> code of its distinct text pair: 192 texts for 1001 steps,
so explanations are composed once per distinct text, not once per step."""


_PART_PATTERNS = {
    lang: (
        # a clear sentence: the nearest-zone suffix (near_suffix) up to the share outside
        # the boundary or coverage (the tail), with the closing full stop when it comes
        # last; the head is the shortest that lets them match (a use's title may hold
        # a "; " of its own)
        re.compile(rf"(?s){clear}.*?(?P<words>{near}[^;]*?)?(?P<tail>(?:{outside}.*)?)"),
        # a hit sentence: the share's words (share_text) after the use (compose_hit)
        re.compile(rf": (?P<words>{whole}|(?:<0\.1|\d+(?:\.\d)?) % {part}) "),
    )
    for lang, clear, near, outside, whole, part in (
        (
            "en",
            "Clear: ",
            "; nearest ",
            r"; \d+ % of the parcel is outside",
            "the whole parcel",
            "of the parcel",
        ),
        (
            "ru",
            "Ограничений нет: ",
            r"; до ближайшей зоны \(",
            r"; \d+ % участка ",
            "весь участок",
            "участка",
        ),
    )
}


def explanation_parts_of(
    texts: Sequence[str | None], lang: str
) -> tuple[list[str | None], list[str], list[str]]:
    """Each explanation as ``(head, words, tail)`` with ``head + words + tail == text``
    (three lists; a missing text is a missing head and two empty parts).

    ``words`` are what varies with the parcel's numbers: the share's words of a hit
    sentence (``"42 % of the parcel"``, :func:`compose_hit`), or the nearest-zone
    suffix of a clear sentence (``"; nearest road corridor 230 m"``,
    :func:`near_suffix`, with the full stop when it ends the sentence); the head and
    tail depend on the case (use, zone, regime, reason). The results GeoPackage stores
    each distinct part once: the 87 000 distinct texts of 10^6 parcels are 4 500 parts.
    Any other text is its own head.
    """
    clear, hit = _PART_PATTERNS[lang]
    heads: list[str | None] = []
    words: list[str] = []
    tails: list[str] = []
    for text in texts:
        m = None if text is None else clear.fullmatch(text) or hit.search(text)
        if text is None or m is None:
            heads.append(text)
            words.append("")
            tails.append("")
            continue
        i, j = m.span("words")
        if i < 0:  # a clear sentence without the nearest zone: words are empty
            i = j = m.start("tail")
        heads.append(text[:i])
        words.append(text[i:j])
        tails.append(text[j:])
    return heads, words, tails


def explanation_parts(text: str, lang: str) -> tuple[str, str, str]:
    """:func:`explanation_parts_of` of one text."""
    head, words, tail = explanation_parts_of([text], lang)
    return str(head[0]), words[0], tail[0]


@dataclass(frozen=True)
class ExplanationParts:
    """The explanations of a check as :func:`explain` composed them: for each column
    (``explanation_en``, ``explanation_ru``), its categorical's categories and each
    category's head, words and tail (a ``(len(categories), 3)`` object array), the
    split :func:`explanation_parts_of` would find by its patterns, without the search
    (a fifth of a second at 10^6 parcels)."""

    columns: Mapping[str, tuple[pd.Index, np.ndarray]]

    def of(self, values: pd.Series, column: str) -> np.ndarray | None:
        """The parts of each category of ``values``, the column ``column``, when its
        categories are the ones recorded (the same object: a slice of the column
        shares them); else ``None``."""
        hit = self.columns.get(column)
        if hit is None or not isinstance(values.dtype, pd.CategoricalDtype):
            return None
        return hit[1] if values.cat.categories is hit[0] else None


def outside_sentence(reason: str) -> tuple[str, str]:
    """Explanation of an ``outside`` verdict."""
    if reason == "outside_boundary":
        return (
            "Outside: the parcel lies outside the agglomeration boundary; the scheme does not apply.",
            "Вне границы: участок за пределами границы агломерации; схема не применяется.",
        )
    return (
        "Outside: the parcel lies outside the coverage of the base data; it could not be checked.",
        "Вне покрытия: на территорию участка нет исходных данных; проверка невозможна.",
    )


def invalid_sentence(reason: str) -> tuple[str, str]:
    """Explanation of an ``invalid_input`` verdict."""
    return (
        f"Invalid input ({INVALID_EN.get(reason, reason)}): the parcel was not checked.",
        f"Некорректные входные данные ({INVALID_RU.get(reason, reason)}): участок не проверен.",
    )


def clear_sentence(n_hits: int, use_title: str, use_title_ru: str) -> tuple[str, str]:
    """Explanation of a ``clear`` verdict (before the near / coverage suffixes)."""
    if n_hits == 0:
        return (
            "Clear: no restriction zone of the scheme touches the parcel",
            "Ограничений нет: участок не затрагивает зон ограничений схемы",
        )
    return (
        f"Clear: {use_title} is allowed in every zone the parcel touches ({n_hits})",
        f"Ограничений нет: «{use_title_ru}» разрешено во всех затронутых зонах ({n_hits})",
    )


def near_suffix(key: str, dist: float) -> tuple[str, str]:
    """``"; nearest water-protection strip 230 m"`` and its Russian form."""
    return (
        f"; nearest {NEAR_EN.get(key, key)} {dist:.0f} m",
        f"; до ближайшей зоны ({NEAR_RU.get(key, key)}) — {dist:.0f} м",
    )


def column_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the distinct values (object array) of a column;
    categoricals give theirs without hashing the rows."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = np.asarray(values.cat.codes.to_numpy(), np.int64)
        cats = np.asarray(values.cat.categories.astype(object), dtype=object)
        return codes, cats
    codes, uniq = pd.factorize(values.astype(object))
    return np.asarray(codes, np.int64), np.asarray(uniq, dtype=object)


class _Texts:
    """Texts per row built as categorical codes (no per-row string copies), each
    distinct text with its head, words and tail (:func:`explanation_parts_of`)."""

    def __init__(self, n: int, lang: str) -> None:
        self.codes = np.full(n, -1, dtype=np.int32)
        self.cats: list[np.ndarray] = []
        self.parts: list[np.ndarray] = []
        self.size = 0
        self.lang = lang

    def __setitem__(self, rows: np.ndarray, value: object) -> None:
        idx = np.flatnonzero(rows) if rows.dtype == bool else rows
        if isinstance(value, str):
            self.set_codes(idx, np.zeros(len(idx), np.int64), np.array([value], dtype=object))
        else:
            codes, uniq = pd.factorize(np.asarray(value, dtype=object))
            self.set_codes(idx, codes, np.asarray(uniq, dtype=object))

    def set_codes(
        self, idx: np.ndarray, codes: np.ndarray, uniq: np.ndarray, parts: np.ndarray | None = None
    ) -> None:
        """Rows ``idx`` get the texts ``uniq[codes]``; ``parts``: each text's head, words
        and tail as composed (``(len(uniq), 3)``), else found by pattern."""
        if parts is None:
            parts = _parts_array(explanation_parts_of(list(uniq), self.lang))
        self.codes[idx] = codes + self.size
        self.cats.append(uniq)
        self.parts.append(parts)
        self.size += len(uniq)

    def categorical(self) -> tuple[pd.Categorical, np.ndarray]:
        """The texts, each distinct one once, and the parts of each category."""
        cats = np.concatenate([*self.cats, np.array([""], dtype=object)])
        parts = np.concatenate([*self.parts, _parts_array(([""], [""], [""]))])
        codes = np.where(self.codes < 0, len(cats) - 1, self.codes)
        remap, uniq = _first_seen(cats)
        first = np.empty(len(uniq), np.int64)
        first[remap[::-1]] = np.arange(len(remap) - 1, -1, -1)  # a text's first row
        texts = pd.Categorical.from_codes(remap[codes], categories=pd.Index(uniq, dtype=object))
        return texts, parts[first]


def _first_seen(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(texts)`` of an object array of strings: the code of each text and
    the distinct texts in order of first appearance, through a dict. pandas 3 turns an
    object array of strings into an Arrow string array to factorize it: the 87 000
    distinct explanations of 10^6 parcels (300 characters each) took 0.21 s per
    language that way, and 0.05 s here (Python caches a string's hash)."""
    seen: dict[str, int] = {}
    codes = np.fromiter((seen.setdefault(t, len(seen)) for t in texts), np.int64, len(texts))
    uniq = np.empty(len(seen), dtype=object)
    uniq[:] = list(seen)
    return codes, uniq


def _parts_array(parts: tuple[Sequence[str | None], ...]) -> np.ndarray:
    """Heads, words and tails (three lists) as one ``(k, 3)`` object array."""
    out = np.empty((len(parts[0]), 3), dtype=object)
    for k in range(3):
        out[:, k] = parts[k]
    return out


@dataclass
class _Cases:
    """The columns :func:`explain` reads, as integer codes and their distinct values."""

    v_codes: np.ndarray
    v_cats: np.ndarray
    w_all: np.ndarray
    w_uni: np.ndarray
    u_all: np.ndarray
    u_uni: np.ndarray
    r_all: np.ndarray
    r_uni: np.ndarray
    wz: np.ndarray
    share: np.ndarray
    nh: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Cases:
        return cls(
            *column_codes(frame["verdict"]),
            *column_codes(frame["verdict_reason"]),
            *column_codes(frame["use_class"]),
            *column_codes(frame["worst_regime"]),
            wz=frame["_worst_zone"].to_numpy(),
            share=frame["worst_share_pct"].to_numpy(dtype=float, na_value=np.nan),
            nh=frame["n_hits"].to_numpy(),
        )

    def is_verdict(self, *names: str) -> np.ndarray:
        wanted = [i for i, c in enumerate(self.v_cats) if c in names]
        return np.isin(self.v_codes, wanted)

    def is_reason(self, name: str) -> np.ndarray:
        wanted = [i for i, c in enumerate(self.w_uni) if c == name]
        return np.isin(self.w_all, wanted)


def explain(
    frame: pd.DataFrame,
    zones: pd.DataFrame,
    titles: dict[str, str],
    titles_ru: dict[str, str],
    near_cols: list[str],
    phrases: dict[int, ZonePhrases] | None = None,
) -> tuple[pd.Categorical, pd.Categorical, np.ndarray, np.ndarray]:
    """Explanations for every parcel of ``frame`` (engine columns), vectorised by unique case.

    ``frame`` needs ``verdict``, ``verdict_reason``, ``use_class``, ``n_hits``,
    ``_worst_zone`` (row of ``zones`` or -1), ``worst_share_pct``, ``worst_regime``,
    ``inside_coverage_pct`` and the ``near_*`` columns. ``phrases`` caches
    :func:`zone_phrases` per zone row across calls (e.g. partitions of one run).
    Returns the English and Russian texts as categoricals (each distinct text once),
    and each one's categories split into head, words and tail (``(k, 3)`` object
    arrays, as :func:`explanation_parts_of` splits them). The same as
    :func:`explain_begin` then :meth:`PendingExplanations.finish`.
    """
    return explain_begin(frame, zones, titles, titles_ru, phrases).finish(frame, near_cols)


@dataclass
class PendingExplanations:
    """The explanations of :func:`explain_begin`: every parcel's but the clear ones'
    (those name the nearest zone, so they wait for the near distances)."""

    cases: _Cases
    en: _Texts
    ru: _Texts
    titles: dict[str, str]
    titles_ru: dict[str, str]

    def finish(
        self, frame: pd.DataFrame, near_cols: list[str]
    ) -> tuple[pd.Categorical, pd.Categorical, np.ndarray, np.ndarray]:
        """The clear parcels' texts from ``frame``'s ``near_cols``, then every text, as
        :func:`explain` returns them (``frame``: the rows given to :func:`explain_begin`,
        in the same order, with the near columns)."""
        _explain_clear(frame, self.cases, self.titles, self.titles_ru, near_cols, self.en, self.ru)
        (en_texts, en_parts), (ru_texts, ru_parts) = self.en.categorical(), self.ru.categorical()
        return en_texts, ru_texts, en_parts, ru_parts


def explain_begin(
    frame: pd.DataFrame,
    zones: pd.DataFrame,
    titles: dict[str, str],
    titles_ru: dict[str, str],
    phrases: dict[int, ZonePhrases] | None = None,
) -> PendingExplanations:
    """The first part of :func:`explain`, which needs no near distances: the
    ``outside`` and ``invalid_input`` parcels' texts and those of the parcels with hits
    (the engine makes them while the near distances are measured on another thread)."""
    n = len(frame)
    en = _Texts(n, "en")
    ru = _Texts(n, "ru")
    c = _Cases.of(frame)
    _explain_outside_invalid(c, en, ru)
    _explain_hits(c, zones, titles, titles_ru, phrases if phrases is not None else {}, en, ru)
    return PendingExplanations(c, en, ru, titles, titles_ru)


def _explain_outside_invalid(c: _Cases, en: _Texts, ru: _Texts) -> None:
    """``outside`` and ``invalid_input`` parcels: one sentence per reason."""
    for r in ("outside_boundary", "outside_coverage"):
        m = c.is_verdict("outside") & c.is_reason(r)
        if m.any():
            e, rr = outside_sentence(r)
            en[m], ru[m] = e, rr
    inv = c.is_verdict("invalid_input")
    for rcode in np.unique(c.w_all[inv]):
        m = inv & (c.w_all == rcode)
        e, rr = invalid_sentence(str(c.w_uni[rcode]) if rcode >= 0 else "invalid")
        en[m], ru[m] = e, rr


def _explain_hits(
    c: _Cases,
    zones: pd.DataFrame,
    titles: dict[str, str],
    titles_ru: dict[str, str],
    cache: dict[int, ZonePhrases],
    en: _Texts,
    ru: _Texts,
) -> None:
    """``prohibited`` / ``conditional`` parcels: the worst hit's sentence, composed once
    per distinct case: the zone's phrases (zones with the same phrases are one case),
    use, wording of the share (0.1 % steps), regime and reason."""
    hit_v = c.is_verdict("prohibited", "conditional")
    if not hit_v.any():
        return
    idx = np.flatnonzero(hit_v)
    q = np.clip(np.rint(np.nan_to_num(c.share[idx]) * 10), 0, 1000).astype(np.int64)
    zc = c.wz[idx].astype(np.int64)
    uc, rc, wc = c.u_all[idx], c.r_all[idx], c.w_all[idx]
    uz = [int(z) for z in pd.unique(zc)]
    missing = [z for z in uz if z not in cache]
    if missing:
        rows = zones.iloc[missing].to_dict("records")
        for z, rec in zip(missing, rows, strict=True):
            cache[z] = zone_phrases(rec)  # type: ignore[arg-type]
    # the texts depend on the zone only through its phrases, and on the share only
    # through its wording: key on those, so each distinct text is composed once
    case_of: dict[tuple[object, ...], int] = {}
    zone_case = np.zeros(max(uz) + 1, np.int64)
    for z in uz:
        zone_case[z] = case_of.setdefault(_phrase_key(cache[z]), len(case_of))
    # a sentence is a template (zone, use, regime, reason) with the share's words in it:
    # the template is composed once, and each text is the template's two halves around
    # the share's words (the same string compose_hit gives)
    tmpl = (
        ((zone_case[zc] * (len(c.u_uni) + 1) + uc + 1) * (len(c.r_uni) + 1) + rc + 1)
        * (len(c.w_uni) + 1)
        + wc
        + 1
    )
    key = tmpl * 1001 + _SHARE_CASE[q]
    inv, ukeys = pd.factorize(key)  # (numpy's unique is slow on millions)
    inv = np.asarray(inv, np.int64)
    first = np.empty(len(ukeys), np.int64)
    first[inv[::-1]] = np.arange(len(inv) - 1, -1, -1)
    t_inv, t_keys = pd.factorize(tmpl[first])
    t_first = np.empty(len(t_keys), np.int64)
    t_first[t_inv] = first  # a row of each template (any: they all give it)
    u_arr, r_arr, w_arr = c.u_uni, c.r_uni, c.w_uni
    halves_en = np.empty((len(t_keys), 2), dtype=object)
    halves_ru = np.empty((len(t_keys), 2), dtype=object)
    for k, f in enumerate(t_first.tolist()):
        u = str(u_arr[uc[f]]) if uc[f] >= 0 else ""
        e, r = compose_hit(
            cache[int(zc[f])],
            use_title=titles.get(u, u),
            use_title_ru=titles_ru.get(u, u),
            share_en=_SHARE_MARK,
            share_ru=_SHARE_MARK,
            regime=str(r_arr[rc[f]]),
            reason=str(w_arr[wc[f]]),
            use=u,
        )
        halves_en[k] = e.split(_SHARE_MARK)
        halves_ru[k] = r.split(_SHARE_MARK)
    t_of = np.asarray(t_inv, np.int64)
    qf = q[first]
    # each text is head (the template's first half), words (the share's) and tail
    p_en = np.column_stack([halves_en[t_of, 0], _SHARE_EN[qf], halves_en[t_of, 1]])
    p_ru = np.column_stack([halves_ru[t_of, 0], _SHARE_RU[qf], halves_ru[t_of, 1]])
    en.set_codes(idx, inv.ravel(), p_en[:, 0] + p_en[:, 1] + p_en[:, 2], p_en)
    ru.set_codes(idx, inv.ravel(), p_ru[:, 0] + p_ru[:, 1] + p_ru[:, 2], p_ru)


_SHARE_MARK = "\x00share\x00"
"""Stands for the share's words in a sentence template (no text contains it)."""


def _factorize_rows(cols: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Codes of the distinct rows of integer columns (each >= -1) and those rows, in
    order of first appearance (as ``pd.MultiIndex.factorize``), through one int64 key."""
    cols = [np.asarray(x, np.int64) for x in cols]
    spans = [int(x.max()) + 2 if len(x) else 1 for x in cols]
    if len(cols[0]) == 0 or math.prod(spans) >= 2**62:  # no room for one key
        codes, uniq = pd.MultiIndex.from_arrays(cols).factorize()
        return np.asarray(codes, np.int64), [tuple(int(v) for v in u) for u in uniq]
    key = np.zeros(len(cols[0]), np.int64)
    for x, span in zip(cols, spans, strict=True):
        key = key * span + (x + 1)
    codes, _ = pd.factorize(key)
    codes = np.asarray(codes, np.int64)
    first = np.empty(int(codes.max()) + 1, np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write is the first row
    rows = [tuple(r) for r in np.column_stack([x[first] for x in cols]).tolist()]
    return codes, rows


def _phrase_key(ph: ZonePhrases) -> tuple[object, ...]:
    """Everything of a zone's phrases that :func:`compose_hit` reads (hashable)."""
    return (
        ph.zone_en,
        ph.zone_ru,
        ph.details_en,
        ph.details_ru,
        ph.possible,
        repr(sorted(ph.regime_src.items())),  # values may be lists
        ph.proposal,
    )


def _explain_clear(
    frame: pd.DataFrame,
    c: _Cases,
    titles: dict[str, str],
    titles_ru: dict[str, str],
    near_cols: list[str],
    en: _Texts,
    ru: _Texts,
) -> None:
    """``clear`` parcels: the sentence, then the nearest zone and the share outside the
    boundary or the coverage, composed once per distinct case."""
    clear = c.is_verdict("clear")
    if not clear.any():
        return
    idx = np.flatnonzero(clear)
    codes, uniq = _factorize_rows([c.u_all[idx], c.nh[idx]])
    texts = []
    for uc0, h in uniq:
        u = str(c.u_uni[uc0]) if uc0 >= 0 else ""
        texts.append(clear_sentence(int(h), titles.get(u, u), titles_ru.get(u, u)))
    m = len(idx)
    # every suffix as an integer code; texts are composed once per distinct case
    suf = np.full(m, -1, dtype=np.int64)
    # the most specific keys: a family column is dropped when it has layer columns
    specific = [
        col
        for col in near_cols
        if not any(o != col and o.startswith(col[:-2] + "_") for o in near_cols)
    ]
    span = 1
    if specific:
        near = np.column_stack(
            [frame[col].to_numpy(dtype=float, na_value=np.nan)[idx] for col in specific]
        )
        near = np.where(near > 0, near, np.nan)
        has = ~np.isnan(near).all(axis=1)
        if has.any():
            j = np.nanargmin(np.where(np.isnan(near[has]), np.inf, near[has]), axis=1)
            d = np.rint(near[has][np.arange(int(has.sum())), j]).astype(np.int64)
            span = int(d.max()) + 1
            suf[has] = j * span + d  # f"{d:.0f}" rounds half to even, as rint does
    bnd = frame["inside_boundary_pct"].to_numpy(dtype=float, na_value=np.nan)[idx]
    cov = frame["inside_coverage_pct"].to_numpy(dtype=float, na_value=np.nan)[idx]
    part_b = np.isfinite(bnd) & (bnd < 99.95)
    part = np.isfinite(cov) & (cov < 99.95) & ~part_b
    pb = np.full(m, -1, dtype=np.int64)
    pc = np.full(m, -1, dtype=np.int64)
    pb[part_b] = np.rint(100 - bnd[part_b]).astype(np.int64)
    pc[part] = np.rint(100 - cov[part]).astype(np.int64)
    combo, cases = _factorize_rows([codes, suf, pb, pc])
    p_en = np.empty((len(cases), 3), dtype=object)
    p_ru = np.empty((len(cases), 3), dtype=object)
    for k, (c0, sc, b0, c1) in enumerate(cases):
        se = sr = te = tr = ""
        if sc >= 0:
            key = specific[int(sc) // span][len("near_") : -len("_m")]
            se, sr = near_suffix(key, float(int(sc) % span))
        if b0 >= 0:
            te += f"; {b0} % of the parcel is outside the agglomeration boundary"
            tr += f"; {b0} % участка за границей агломерации"
        if c1 >= 0:
            te += f"; {c1} % of the parcel is outside the base-data coverage and was not checked"
            tr += f"; {c1} % участка вне покрытия исходных данных и не проверено"
        p_en[k] = _clear_parts(texts[int(c0)][0], se, te)
        p_ru[k] = _clear_parts(texts[int(c0)][1], sr, tr)
    t_en = p_en[:, 0] + p_en[:, 1] + p_en[:, 2]
    t_ru = p_ru[:, 0] + p_ru[:, 1] + p_ru[:, 2]
    en.set_codes(idx, np.asarray(combo, np.int64), t_en, p_en)
    ru.set_codes(idx, np.asarray(combo, np.int64), t_ru, p_ru)


def _clear_parts(sentence: str, near: str, tail: str) -> tuple[str, str, str]:
    """Head, words and tail of a clear sentence (:func:`explanation_parts_of`): the
    nearest-zone suffix is the words; the full stop ends the tail, else the words,
    else the head."""
    if tail:
        return sentence, near, tail + "."
    if near:
        return sentence, near + ".", ""
    return sentence + ".", "", ""
