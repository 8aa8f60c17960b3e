"""Normalisation of Russian and Kazakh settlement and district names for matching.

The scheme spells names in Russian (Appendix 15: ``Тургень``, ``Жапек батыр``,
``им. Балгабека Кыдырбекулы``); open data spells them in Kazakh (``Түрген``), in
Russian with other conventions (``Жапек батыра``, ``Тургень``) or in Latin
transliteration (GeoNames). Matching therefore compares *keys* at three levels:

``normalise_name``
    lower case; hyphens, dashes, quotes and dots to spaces; in every word with a
    Cyrillic letter, Kazakh letters folded to their Russian look-alikes
    (ә→а, ғ→г, қ→к, ң→н, ө→о, ұ→у, ү→у, һ→х, і→и), ё→е and stray Latin look-alikes
    to Cyrillic (a pure Latin word keeps its letters); status words dropped (``с.``, ``село``, ``пос.``,
    ``посёлок``, ``г.``, ``город``, ``аул``, ``ауыл``, ``ауылы``, ``им.``, ``имени``,
    ``разъезд``); whitespace collapsed. ``"им. Балгабека Кыдырбекулы"`` →
    ``"балгабека кыдырбекулы"``; ``"Түрген"`` → ``"турген"``.
``loose_name``
    the normalised name with spaces, soft and hard signs removed, ``ы`` and ``й``
    read as ``и`` and doubled letters collapsed: ``"Тургень"`` and ``"Түрген"`` both
    give ``"турген"``, ``"Екпинды"`` and ``"Екпінді"`` both ``"екпинди"``.
``name_keys``
    the loose name plus variants without a Russian genitive/possessive ending on the
    last word (``-а``, ``-ов``/``-ев`` forms such as ``"Жапек батыра"``,
    ``"Карибаева"``, ``"Жандосово"``), and the last word alone for multi-word names
    (``"Нургиса Тлендиев"`` → ``"тлендиев"``); used only as a lower tier of matching.

Pure functions on strings; no geometry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_FOLD = str.maketrans(
    {
        "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х",
        "і": "и", "ё": "е",
        # Latin look-alikes that slip into Cyrillic names in open data
        "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "k": "к",
    }
)  # fmt: skip

_STATUS_WORDS = (
    "с",
    "село",
    "сел",
    "пос",
    "п",
    "поселок",
    "посёлок",
    "г",
    "город",
    "гор",
    "аул",
    "ауыл",
    "ауылы",
    "им",
    "имени",
    "разъезд",
    "рзд",
    "ст",
    "станция",
    "темир",
    "жол",
    "айрыгы",
)
_STATUS_RE = re.compile(r"(?:^|\s)(?:" + "|".join(_STATUS_WORDS) + r")(?=\s|$)")
_PUNCT_RE = re.compile(r"[\-‐‑‒–—―−_\"'«»“”„`´.,;:()\[\]/\\№]+")
_WS_RE = re.compile(r"\s+")


def _has_cyrillic(text: str) -> bool:
    return any("а" <= ch <= "я" or ch in "ёәғқңөұүһі" for ch in text)


def normalise_name(name: str | None) -> str:
    """Comparable form of a settlement name (see module docstring); ``""`` for none.

    Examples
    --------
    >>> normalise_name("им. Балгабека Кыдырбекулы")
    'балгабека кыдырбекулы'
    >>> normalise_name("с. Қаскелең")
    'каскелен'
    """
    if name is None:
        return ""
    text = unicodedata.normalize("NFC", str(name)).strip().lower()
    if not text or text in {"nan", "<na>", "none"}:
        return ""
    text = _PUNCT_RE.sub(" ", text)
    text = _WS_RE.sub(" ", text).strip()
    # folded word by word: a pure Latin word (GeoNames, a road ref) keeps its Latin
    # letters even beside Cyrillic ones, so "Kapchagay" matches in "Kapchagay водохранилище"
    text = " ".join(w.translate(_FOLD) if _has_cyrillic(w) else w for w in text.split(" "))
    text = _STATUS_RE.sub(" ", f" {text} ")
    return _WS_RE.sub(" ", text).strip()


def loose_name(name: str | None) -> str:
    """Spelling-tolerant key: :func:`normalise_name` without spaces, ь/ъ, ы/й→и, doubles.

    Examples
    --------
    >>> loose_name("Тургень") == loose_name("Түрген")
    True
    """
    text = normalise_name(name)
    if not text:
        return ""
    text = text.replace(" ", "").replace("ь", "").replace("ъ", "")
    text = text.replace("ы", "и").replace("й", "и").replace("э", "е")
    return re.sub(r"(.)\1+", r"\1", text)


_TITLE_WORDS = frozenset({"батир", "батира", "би", "бия", "бек", "бека", "ата", "ана", "кала"})
"""Loose forms of honorifics that never identify a place on their own."""

_GENITIVE_ENDINGS = ("ова", "ева", "ево", "ово", "ино", "ина", "а", "о")


def _strip_ending(word: str) -> list[str]:
    out = []
    for end in _GENITIVE_ENDINGS:
        if word.endswith(end) and len(word) - len(end) >= 3:
            stem = word[: -len(end)]
            out.append(stem)
            if end in ("ова", "ева", "ово", "ево"):
                out.append(stem + end[0] + "в")  # Карибаева -> карибаев
            if end in ("ино", "ина"):
                out.append(stem + "ин")
    return out


def name_keys(name: str | None) -> set[str]:
    """All lower-tier keys of a name (loose form, ending-stripped forms, last word).

    The exact and loose keys are always included; the others let a Russian genitive
    (``"Жапек батыра"``) or a surname-only label (``"Тлендиева"``) meet the scheme's
    nominative full name. Keys shorter than 3 letters are dropped.
    """
    base = normalise_name(name)
    if not base:
        return set()
    words = base.split(" ")
    variants = {base}
    last = words[-1]
    for stem in _strip_ending(last):
        variants.add(" ".join([*words[:-1], stem]))
    if len(words) > 1 and loose_name(last) not in _TITLE_WORDS:
        variants.add(last)
        variants.update(_strip_ending(last))
    keys = set()
    for v in variants:
        k = loose_name(v)
        if len(k) >= 3:
            keys.add(k)
    return keys


def all_keys(names: Iterable[str | None]) -> set[str]:
    """Union of :func:`name_keys` over several spellings of one place."""
    out: set[str] = set()
    for n in names:
        out |= name_keys(n)
    return out


_DISTRICT_WORDS = re.compile(
    r"\b(?:район|р н|городская|городской|администрация|администрации|г а|город|"
    r"сельский|округ|с о|п а|поселковая)\b"
)


def district_key(text: str | None) -> str:
    """Key of a district name: ``"Енбекшиказахский район"`` and ``"Енбекшиказахский"``
    give the same key; ``"городская администрация Капчагай"`` gives ``"капчагаи"``.
    """
    base = normalise_name(text)
    base = base.replace("/", " ")
    base = _DISTRICT_WORDS.sub(" ", base)
    return loose_name(base)
