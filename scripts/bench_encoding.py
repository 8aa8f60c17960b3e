"""Compare the attribute-encoding guesser with charset-normalizer (docs/design.md).

Random texts of 1-3 and 20-60 attribute values (Russian words for cp1251/cp866, Russian
and Kazakh for KZ-1048) are encoded, then read back with each guess; a guess is right
when it reads the text back exactly (KZ-1048 and cp1251 agree on Russian letters, so
cp1251 is right for Russian-only KZ-1048 text). Usage::

    PYTHONPATH=src python scripts/bench_encoding.py
"""

from __future__ import annotations

import random
import time

from charset_normalizer import from_bytes

from almaty_scheme.io.readers import detect_encoding

RUSSIAN = [
    "Алматы", "Есик", "Талгар", "жилой дом", "склад", "ИЖС", "КХ Нурлан", "промзона",
    "ферма", "сад", "ул. Абая 12", "Каскелен", "теплица", "СТО", "магазин", "огород",
    "пастбище",
]  # fmt: skip
KAZAKH = ["Қонаев", "Іле ауданы", "Үшқоңыр"]
CANDIDATES = ("cp1251", "cp866", "kz1048")


def charset_normalizer_guess(raw: bytes) -> str | None:
    best = from_bytes(raw, cp_isolation=list(CANDIDATES)).best()
    return best.encoding if best else None


def main(n: int = 100, seed: int = 1) -> None:
    rng = random.Random(seed)
    guessers = {"ours": detect_encoding, "charset-normalizer": charset_normalizer_guess}
    for label, most in (("1-3 values", 3), ("20-60 values", 60)):
        for enc in CANDIDATES:
            words = RUSSIAN + KAZAKH if enc == "kz1048" else RUSSIAN
            right = dict.fromkeys(guessers, 0)
            spent = dict.fromkeys(guessers, 0.0)
            for _ in range(n):
                k = rng.randint(max(1, most // 3), most)
                text = " ".join(rng.choice(words) for _ in range(k))
                raw = text.encode(enc)
                for name, guess in guessers.items():
                    t0 = time.perf_counter()
                    got = guess(raw)
                    spent[name] += time.perf_counter() - t0
                    right[name] += got is not None and raw.decode(got, "replace") == text
            shown = ", ".join(
                f"{g}: {right[g]}/{n} right, {1000 * spent[g] / n:.2f} ms" for g in guessers
            )
            print(f"{label:<12} {enc:<7} {shown}")


if __name__ == "__main__":
    main()
