"""An explanation splits into a head, the words that vary with the parcel's numbers, and a
tail (``verdict.explanation_parts``): the results GeoPackage stores each part once."""

from __future__ import annotations

import pytest

from almaty_scheme.check.verdict import (
    ZonePhrases,
    clear_sentence,
    compose_hit,
    explanation_parts,
    explanation_parts_of,
    invalid_sentence,
    near_suffix,
    outside_sentence,
    share_text,
)

ZONE = ZonePhrases(
    zone_en="the road corridor: Kuldzha route, 10.5 km",  # a colon and numbers in the zone
    zone_ru="«Кульджинская трасса: 10.5 км»",
    details_en="140 m total; scheme L267",
    details_ru="140 м общая ширина; схема, строка 267",
    possible=False,
    regime_src={"residential": ("scheme L252-253", "схема, строки 252-253")},
)


@pytest.mark.parametrize("q", range(0, 1001, 37))
@pytest.mark.parametrize("reason", ["use_prohibited", "possibly_prohibited", "no_regime"])
def test_a_hit_sentence_splits_around_the_share(q: int, reason: str) -> None:
    share = q / 10
    en, ru = compose_hit(
        ZONE,
        use_title="Residential housing",
        use_title_ru="Жилая застройка",
        share_en=share_text(share, "en"),
        share_ru=share_text(share, "ru"),
        regime="prohibited",
        reason=reason,
        use="residential",
    )
    head, words, tail = explanation_parts(en, "en")
    assert (head, words) == ("Prohibited for Residential housing: ", share_text(share, "en"))
    assert tail.startswith(" lies in the road corridor: Kuldzha route, 10.5 km (140 m total")
    head, words, tail = explanation_parts(ru, "ru")
    assert head == "Запрещено для «Жилая застройка»: "
    assert words == share_text(share, "ru")
    assert head + words + tail == ru


def test_every_share_wording_is_found() -> None:
    """All 1001 steps of 0.1 %, each in its own sentence: the words are always part 2."""
    for q in range(1001):
        for lang in ("en", "ru"):
            s = share_text(q / 10, lang)
            assert explanation_parts(f"Conditional for X: {s} lies in Y.", lang)[1] == s


def test_a_clear_sentence_splits_around_the_nearest_zone() -> None:
    en, ru = clear_sentence(3, "Residential housing", "Жилая застройка")
    near_en, near_ru = near_suffix("roads", 230.0)
    text = en + near_en + "; 5 % of the parcel is outside the agglomeration boundary."
    assert explanation_parts(text, "en") == (
        en,
        near_en,
        "; 5 % of the parcel is outside the agglomeration boundary.",
    )
    # the suffix ends the sentence: its full stop goes with it
    assert explanation_parts(ru + near_ru + ".", "ru") == (ru, near_ru + ".", "")
    # without the nearest zone: nothing varies but the tail's share
    assert explanation_parts(en + "; 5 % of the parcel is outside.", "en") == (
        en,
        "",
        "; 5 % of the parcel is outside.",
    )
    assert explanation_parts(en + ".", "en") == (en + ".", "", "")


def test_many_texts_at_once_and_missing_ones() -> None:
    en, _ = clear_sentence(0, "", "")
    texts = [en + ".", None, "Prohibited for X: 5.0 % of the parcel lies in Y.", "Other."]
    head, words, tail = explanation_parts_of(texts, "en")
    assert head == [en + ".", None, "Prohibited for X: ", "Other."]
    assert words == ["", "", "5.0 % of the parcel", ""]
    assert tail == ["", "", " lies in Y.", ""]


def test_other_sentences_are_their_own_head() -> None:
    for en, ru in (outside_sentence("outside_boundary"), invalid_sentence("null_geometry")):
        assert explanation_parts(en, "en") == (en, "", "")
        assert explanation_parts(ru, "ru") == (ru, "", "")
    assert explanation_parts("", "en") == ("", "", "")


def test_a_semicolon_in_a_uses_title_stays_in_the_head() -> None:
    """The title "Storage of fuel...; filling stations" holds a "; ": the head is still
    the whole sentence, and only the nearest zone and the share outside are split off."""
    title, title_ru = "Storage of fuel; filling stations", "Склады ГСМ; АЗС"
    en, ru = clear_sentence(2, title, title_ru)
    near_en, near_ru = near_suffix("roads", 110.0)
    outside = "; 4 % of the parcel is outside the agglomeration boundary"
    assert explanation_parts(en + ".", "en") == (en + ".", "", "")
    assert explanation_parts(en + near_en + ".", "en") == (en, near_en + ".", "")
    assert explanation_parts(en + outside + ".", "en") == (en, "", outside + ".")
    assert explanation_parts(en + near_en + outside + ".", "en") == (en, near_en, outside + ".")
    outside_ru = "; 4 % участка за границей агломерации"
    assert explanation_parts(ru + near_ru + outside_ru + ".", "ru") == (
        ru,
        near_ru,
        outside_ru + ".",
    )
    assert explanation_parts(ru + ".", "ru") == (ru + ".", "", "")
