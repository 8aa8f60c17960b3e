"""Name matching of rules to base features (restrictions.names, industrial anchors).

The expected answers are those of the former ``restrictions.common.normalize_name``
matching (dashes, quotes, case and ё folded; whole words), which now runs on
``base.names.normalise_name``; the last cases are what the shared normaliser adds.
"""

from __future__ import annotations

import pytest
import shapely
from restriction_world import P, frame

from almaty_scheme.restrictions.industrial import find_named
from almaty_scheme.restrictions.names import feature_names, name_matches


@pytest.mark.parametrize(
    ("candidates", "values", "expected"),
    [
        (["Алматы – Бишкек"], ["автодорога Алматы-Бишкек"], True),
        (["Алматы−Бишкек"], ["Алматы - Бишкек"], True),  # U+2212 minus as a dash
        (["«Алматы – Капшагай»"], ['"Алматы-Капшагай"'], True),
        (["Тёплый ключ"], ["ТЕПЛЫЙ КЛЮЧ"], True),
        (["Или"], ["р. Или"], True),
        (["Или"], ["Илийский район"], False),
        (["БАКАД"], ["Большая Алматинская кольцевая автодорога (БАКАД)"], True),
        (["A-2"], ["A-2"], True),
        (["A-2"], ["A-21"], False),
        (["M-39"], ["A-2"], False),
        (["Kapchagay"], ["Kapchagay водохранилище"], True),  # Latin word beside Cyrillic
        (["Капчагайское водохранилище"], ["Kapchagay Reservoir"], False),
        (["Или"], [None, float("nan"), ""], False),
        ([""], ["Или"], False),
        # added by the shared normaliser: Kazakh letters and status words do not matter
        (["Каскелен"], ["р. Қаскелең"], True),
        (["с. Узынагаш"], ["Узынагаш"], True),
    ],
)
def test_name_matches(candidates: list[str], values: list[object], expected: bool) -> None:
    assert name_matches(candidates, values) is expected


def test_feature_names_skips_missing_and_empty() -> None:
    row = {"name": "Или", "name_ru": " ", "name_en": "Ili", "other": "x"}
    assert feature_names(row) == ["Или", "Ili"]


def test_find_named_ignores_generic_words_and_uses_district() -> None:
    gdf = frame(
        [
            {
                "base_id": "a",
                "name": "с. Боралдай",
                "district": "Карасайский район",
                "geometry": shapely.Point(P(0, 0)),
            },
            {
                "base_id": "b",
                "name": "Боралдай",
                "district": "Илийский район",
                "geometry": shapely.Point(P(1, 0)),
            },
            {
                "base_id": "c",
                "name": "Каскеленский с/о",
                "district": "Карасайский район",
                "geometry": shapely.Point(P(2, 0)),
            },
        ]
    )
    row, note = find_named(gdf, "Боралдай", "Илийский район")
    assert row is not None and row["base_id"] == "b" and note is None
    row, note = find_named(gdf, "Боралдай")
    assert row is not None and row["base_id"] == "a" and note is not None and "2 features" in note
    row, _ = find_named(gdf, "Каскеленский сельский округ")
    assert row is not None and row["base_id"] == "c"
    row, note = find_named(gdf, "Боралдай", "Жамбылский район")
    assert row is None and note is not None and "none in Жамбылский район" in note
