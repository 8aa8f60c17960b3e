"""Name normalisation for the Appendix 15 join (almaty_scheme.base.names)."""

from __future__ import annotations

import pytest

from almaty_scheme.base.names import district_key, loose_name, name_keys, normalise_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Қаскелең", "каскелен"),
        ("Түрген", "турген"),
        ("Өтеген батыр", "отеген батыр"),
        ("Әли", "али"),
        ("Ұзынағаш", "узынагаш"),
        ("Бесағаш", "бесагаш"),
        ("Ёлкино", "елкино"),
        ("им. Балгабека Кыдырбекулы", "балгабека кыдырбекулы"),
        ("имени Абая", "абая"),
        ("с. Шамалган", "шамалган"),
        ("село Абай", "абай"),
        ("Кызыл-Ту", "кызыл ту"),
        ("Құлантөбе темір жол айрығы", "кулантобе"),
        ("  Жана   Куат ", "жана куат"),
        ("Uzunagach", "uzunagach"),
        ("Kapchagay водохранилище", "kapchagay водохранилище"),  # Latin word kept
        ("Алмaты", "алматы"),  # a stray Latin "a" in a Cyrillic word is folded
        ("Алматы−Бишкек", "алматы бишкек"),  # U+2212 minus
        (None, ""),
        ("", ""),
    ],
)
def test_normalise_name(raw: str | None, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Тургень", "Түрген"),
        ("Екпинды", "Екпінді"),
        ("Шенгельды", "Шеңгелді"),
        ("Амангельды", "Амангелді"),
        ("Кызыл-Ту", "Кызылту"),
        ("Жана Куат", "Жанакуат"),
    ],
)
def test_loose_name_equal(a: str, b: str) -> None:
    assert loose_name(a) == loose_name(b)


def test_loose_name_keeps_different_places_apart() -> None:
    assert loose_name("Жаналык") != loose_name("Жаналы")
    assert loose_name("Кайнар") != loose_name("Кайназар")


def test_name_keys_genitive_and_surname() -> None:
    assert name_keys("Жапек батыра") & name_keys("Жәпек батыр")
    assert name_keys("Умбеталы Карибаева") & name_keys("Кәрібаев")
    assert name_keys("Нургиса Тлендиев") & name_keys("Тлендиева")
    assert name_keys("Мынбаево") & name_keys("Мыңбаев")
    # honorifics alone never link two places
    assert not name_keys("Отеген батыр") & name_keys("Жапек батыр")


def test_district_key() -> None:
    assert district_key("Енбекшиказахский район") == district_key("Енбекшиказахский")
    assert district_key("городская администрация Капчагай") == district_key("Капчагай")
    assert district_key("город Алматы") == district_key("Алматы")
