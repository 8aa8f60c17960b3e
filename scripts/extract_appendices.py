#!/usr/bin/env python
"""Extract the scheme's appendix tables from the seed text into ``layers/*.csv``.

Tables written (columns fixed in ``brief_contracts.md`` section 1):

``appendix15_settlements.csv``
    Appendix 15, the list of settlements of the agglomeration with their population in
    2018 and the forecasts for 2025/2035/2050 (seed L4378-5055), one CSV row per table
    row, in document order, subtotal and total rows included (``row_kind``).
``appendix1_land_balance.csv``
    Appendix 1 section 1 "Территория" (L3739-3802): the land balance in thousand ha.
``appendix1_population.csv``
    Appendix 1 section 2.1 (L3804-3831): population totals, urban and rural with shares.

The PDF-to-text extraction broke table rows over several lines, letter-spaced some
names (``Н у р г и с а  Тлендиев``) and split cells (``Кырбалтабайский с/`` + ``о``).
The parser undoes that; every irregular row is read explicitly (see ``_irregular``)
and says how in its ``note``. The output is deterministic: re-running the script on
the same seed gives byte-identical files, and ``tests/integration/test_catalogue_seed.py``
asserts that the committed CSVs equal a fresh parse.

Usage::

    python scripts/extract_appendices.py                 # write layers/appendix*.csv
    python scripts/extract_appendices.py --check         # exit 1 if the files differ
    python scripts/extract_appendices.py --seed PATH --out-dir DIR
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SEED = REPO.parent / "shared" / "seeds" / "000_1955661b31950516.txt"
DEFAULT_OUT = REPO / "layers"

A15_FILE = "appendix15_settlements.csv"
LAND_FILE = "appendix1_land_balance.csv"
POP_FILE = "appendix1_population.csv"

A15_COLUMNS = [
    "row_id",
    "number",
    "row_kind",
    "district",
    "rural_district",
    "settlement",
    "pop_2018",
    "pop_2025",
    "pop_2035",
    "pop_2050",
    "seed_lines",
    "note",
]
BALANCE_COLUMNS = [
    "key",
    "label_ru",
    "unit",
    "current",
    "stage1_2025",
    "design_2035",
    "forecast_2050",
    "seed_lines",
    "note",
]
HORIZON_COLUMNS = ["current", "stage1_2025", "design_2035", "forecast_2050"]

KAPCHAGAY_ADMIN = "городская администрация Капчагай"


class ExtractionError(Exception):
    """The seed text does not look as the parser expects (changed seed?)."""


# --------------------------------------------------------------------------- helpers

_NUM = r"\d+(?:,\d+)?"
_TRAILING_NUMS = re.compile(rf"(?:^|\s)((?:{_NUM}\s+)+{_NUM})\s*$")
_SPACES2 = re.compile(r"\s{2,}")
_WS = re.compile(r"\s+")


def read_lines(seed: Path) -> list[str]:
    """Lines of the seed (index 0 is line 1)."""
    return seed.read_text(encoding="utf-8").splitlines()


def despace_letters(line: str) -> str:
    """Undo letter-spacing: ``Н у р г и с а  Тлендиев`` -> ``Нургиса Тлендиев``.

    The extraction separates the letters of a spaced word by one space and words by
    two or more. Within each double-space-separated segment, a run of two or more
    one-letter tokens is joined; other tokens are kept.
    """
    out_segments = []
    for segment in _SPACES2.split(line.strip()):
        tokens = segment.split(" ")
        merged: list[str] = []
        run: list[str] = []
        for tok in [*tokens, ""]:
            if len(tok) == 1 and tok.isalpha():
                run.append(tok)
                continue
            if len(run) >= 2:
                merged.append("".join(run))
            else:
                merged.extend(run)
            run = []
            if tok:
                merged.append(tok)
        out_segments.append(" ".join(merged))
    return " ".join(s for s in out_segments if s)


def clean_text(parts: Sequence[str]) -> str:
    """Join broken cell lines into one normalised string.

    Repairs the split abbreviations ``с/`` + ``о`` and ``с`` + ``/о`` into ``с/о``.
    """
    text = " ".join(despace_letters(p) for p in parts)
    text = _WS.sub(" ", text).strip()
    text = re.sub(r"\bс\s*/\s*о\b", "с/о", text)
    text = text.replace("( ", "(").replace(" )", ")")
    return text


def to_number(token: str) -> float:
    """``443758,95`` -> 443758.95 (decimal comma)."""
    return float(token.replace(",", "."))


def fmt(value: float | None) -> str:
    """Deterministic number text: integers without decimals, others with ``repr``."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 6))


def span(a: int, b: int) -> str:
    """``first-last`` seed line span (1-based)."""
    return f"{a}-{b}"


# --------------------------------------------------------------------------- Appendix 15


@dataclass
class _Record:
    first: int  # 1-based seed line
    last: int
    text: str  # cleaned, without the trailing numbers
    numbers: list[float]


_A15_TITLE = "Перечень населенных пунктов, вошедших в зону Алматинской агломерации"


def _a15_records(lines: list[str]) -> list[_Record]:
    """Group the table's lines into records, each ending with its population numbers."""
    try:
        title = next(i for i, ln in enumerate(lines) if _A15_TITLE in ln)
        head_end = next(i for i in range(title, len(lines)) if lines[i].strip() == "2050 год")
    except StopIteration:
        raise ExtractionError("Appendix 15's title or header not found in the seed") from None
    records: list[_Record] = []
    pending: list[tuple[int, str]] = []
    for i in range(head_end + 1, len(lines)):
        raw = lines[i]
        if not raw.strip():
            continue
        pending.append((i + 1, raw))
        m = _TRAILING_NUMS.search(raw)
        if m and len(m.group(1).split()) >= 2:
            nums = [to_number(t) for t in m.group(1).split()]
            parts = [t for _, t in pending[:-1]] + [raw[: m.start(1)]]
            records.append(_Record(pending[0][0], i + 1, clean_text(parts), nums))
            pending = []
    if pending:
        raise ExtractionError(
            f"Appendix 15: unterminated row at L{pending[0][0]}-{pending[-1][0]}: "
            + " | ".join(t for _, t in pending)
        )
    return records


_ROW = re.compile(r"^(?P<number>\d+)\s+(?P<body>.+)$")
_DISTRICT = re.compile(r"^(?P<district>\S+ский район)(?:\s+(?P<rest>.*))?$")
_KAP_ADMIN = re.compile(r"^городская администрация Капчагай\s+(?P<rest>.+)$")
_RURAL = re.compile(r"^(?P<rural>.+?(?:с/о|г/а|п\.а\.|городская администрация))\s+(?P<name>.+)$")


def _row(
    rec: _Record,
    *,
    number: str,
    kind: str,
    district: str = "",
    rural: str = "",
    settlement: str = "",
    note: str = "",
) -> dict[str, str]:
    nums: list[float | None] = list(rec.numbers)
    if len(nums) == 2:  # Gate City: only the 2035 and 2050 forecasts
        nums = [None, None, *nums]
    if len(nums) != 4:
        raise ExtractionError(
            f"Appendix 15 L{rec.first}-{rec.last}: expected 4 numbers, got {nums}"
        )
    return {
        "row_id": "",
        "number": number,
        "row_kind": kind,
        "district": district,
        "rural_district": rural,
        "settlement": settlement,
        "pop_2018": fmt(nums[0]),
        "pop_2025": fmt(nums[1]),
        "pop_2035": fmt(nums[2]),
        "pop_2050": fmt(nums[3]),
        "seed_lines": span(rec.first, rec.last),
        "note": note,
    }


def _irregular(rec: _Record, number: str, body: str) -> dict[str, str] | None:
    """Rows that are not ``№ district rural-district settlement numbers``.

    Each reading is stated in the row's ``note``.
    """
    if number == "" and body.startswith("Итого по Алматинской агломерации"):
        return _row(
            rec,
            number="",
            kind="region_total",
            note=(
                f"Row labelled '{body}': the Almaty-region part of the agglomeration. It equals "
                "the five district subtotals plus the Kapchagay administration exactly for "
                "2018 and 2025; for 2035 and 2050 it also includes Gate City (row 189), less "
                "1 and 0.95 (rounding: 1494345 = subtotals 1434346 + 60000 - 1; 1715669 = "
                "1644075.95 + 71594 - 0.95)."
            ),
        )
    if number == "" and body.startswith("Всего по агломерации"):
        return _row(
            rec,
            number="",
            kind="grand_total",
            note=(
                f"Row labelled '{body}': the whole agglomeration; equals the region total plus "
                "Almaty city exactly at every horizon (so Gate City is included for 2035 and "
                "2050 through the region total)."
            ),
        )
    if body == "город Капчагай" and len(rec.numbers) == 4:
        return _row(
            rec,
            number=number,
            kind="city_admin_subtotal",
            district=KAPCHAGAY_ADMIN,
            note=(
                f"Numbered {number} in the document, but it is the subtotal of the Kapchagay city "
                "administration (town of Kapchagay and the rural districts Заречный and "
                "Шенгельдинский, rows 184-188 sum to it), not a settlement; read as "
                "city_admin_subtotal. The district cell reads 'город Капчагай'."
            ),
        )
    if body == "город Капчагай город Капчагай":
        return _row(
            rec,
            number=number,
            kind="settlement",
            district=KAPCHAGAY_ADMIN,
            rural="",
            settlement="Капчагай",
            note=(
                "Cells read 'город Капчагай' (district) and 'город Капчагай' (settlement), no "
                "rural district: the town itself; district normalised to the city "
                "administration like rows 185-188 (the town was renamed Конаев in 2022)."
            ),
        )
    if body == "Gate City" and len(rec.numbers) == 2:
        return _row(
            rec,
            number=number,
            kind="planned_city",
            settlement="Gate City",
            note=(
                "Planned satellite city: only two numbers (60000, 71594). Read as the 2035 and "
                "2050 forecasts: the text (L834-838) says 'численность населения города GateCity "
                "к 2035 году составит 60 тысяч человек'; 2018 and 2025 are empty. No district "
                "is given. Included in the region total for 2035 and 2050. Counting it, the "
                "table lists 189 settlements of the region (188 existing: 46+14+29+47+47+5 as "
                "L753-757, whose breakdown sums to 188, plus Gate City), as L134 and L753 say; "
                "the № column also ends at 189 because the unnumbered Туздыбастау and the "
                "numbered subtotal 183 cancel out."
            ),
        )
    if body == "город Алматы":
        return _row(
            rec,
            number=number,
            kind="city",
            district="город Алматы",
            settlement="Алматы",
            note="Almaty city (city of republican significance), outside the region total.",
        )
    return None


def parse_appendix15(lines: list[str]) -> list[dict[str, str]]:
    """Parse Appendix 15 into rows with the columns of :data:`A15_COLUMNS`."""
    rows: list[dict[str, str]] = []
    last_number = "none"
    for rec in _a15_records(lines):
        m = _ROW.match(rec.text)
        number, body = (m.group("number"), m.group("body")) if m else ("", rec.text)
        row = _irregular(rec, number, body)
        if row is None:
            d = _DISTRICT.match(body)
            k = _KAP_ADMIN.match(body)
            if d and not d.group("rest"):
                if number:
                    raise ExtractionError(
                        f"L{rec.first}: numbered row without settlement: {rec.text}"
                    )
                years = ("2018", "2025", "2035", "2050")
                odd = [
                    f"{y}: {fmt(x).replace('.', ',')}"
                    for y, x in zip(years, rec.numbers, strict=True)
                    if not float(x).is_integer()
                ]
                note = ""
                if odd:
                    note = (
                        f"Printed with decimals ({'; '.join(odd)}) although populations are "
                        "whole numbers; kept as printed."
                    )
                row = _row(
                    rec,
                    number="",
                    kind="district_subtotal",
                    district=d.group("district"),
                    note=note,
                )
            elif d is not None or k is not None:
                if d is not None:
                    district, rest = d.group("district"), d.group("rest") or ""
                else:
                    assert k is not None
                    district, rest = KAPCHAGAY_ADMIN, k.group("rest")
                r = _RURAL.match(rest)
                if r is None:
                    raise ExtractionError(f"L{rec.first}: no rural district in {rec.text!r}")
                note = ""
                if not number:
                    note = (
                        f"Row has no № in the document (printed after № {last_number}); read "
                        f"as a settlement of {district}."
                    )
                row = _row(
                    rec,
                    number=number,
                    kind="settlement",
                    district=district,
                    rural=r.group("rural"),
                    settlement=r.group("name"),
                    note=note,
                )
            else:
                raise ExtractionError(
                    f"Appendix 15 L{rec.first}-{rec.last}: unrecognised row {rec.text!r}"
                )
        rows.append(row)
        last_number = row["number"] or last_number
    for i, row in enumerate(rows, start=1):
        row["row_id"] = f"A15-{i:03d}"
    _check_appendix15(rows)
    return rows


def _check_appendix15(rows: list[dict[str, str]]) -> None:
    kinds = [r["row_kind"] for r in rows]
    if kinds.count("grand_total") != 1 or kinds.count("region_total") != 1:
        raise ExtractionError("Appendix 15: expected exactly one region total and one grand total")
    numbers = [int(r["number"]) for r in rows if r["number"]]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ExtractionError(f"Appendix 15: the № column is not 1..N in order: {numbers}")


# --------------------------------------------------------------------------- Appendix 1

_FOUR = re.compile(rf"({_NUM})\s+({_NUM})\s+({_NUM})\s+({_NUM})\s*$")

# key, label_ru (normalised), anchor (start of the label in the text), note
_BALANCE_SPEC: list[tuple[str, str, str, str]] = [
    ("total", "Территория, всего", "1) Всего", "Total area of the agglomeration."),
    (
        "zone_intensive",
        "Зона интенсивных агломерационных процессов",
        "Зона интенсивных",
        "Process zone 1; the same value at every horizon.",
    ),
    (
        "zone_active",
        "Зона активных агломерационных процессов",
        "2 Зона активных",
        "Process zone 2 (label letter-spaced in the text); the same value at every horizon.",
    ),
    (
        "zone_weak",
        "Зона слабых агломерационных процессов",
        "3 Зона слабых",
        "Process zone 3; the same value at every horizon. The three zones sum to the total.",
    ),
    (
        "agricultural",
        "земли сельскохозяйственного назначения",
        "земли сельскохозяйственного",
        "Unit cell reads 'тысяч га/%' but only thousand ha are given. The land categories "
        "follow 'в том числе:' after zone 3 but break down the whole territory (they sum to "
        "939.49, not to zone 3's 476.74).",
    ),
    (
        "settlements",
        "земли населенных пунктов",
        "земли населенных пунктов",
        "Unit '-//-' (ditto: thousand ha). Equals urban + rural except in 2035, where "
        "urban 94.97 + rural 97.3 = 192.27, 0.60 more than the printed 191.67; which figure "
        "is wrong cannot be told (with 192.27 the categories would sum to 939.79, 0.30 over).",
    ),
    (
        "settlements_urban",
        "земли населенных пунктов: городских",
        "- городских",
        "Unit '-//-'. See the settlements row for the 2035 mismatch.",
    ),
    (
        "settlements_rural",
        "земли населенных пунктов: сельских",
        "- сельских",
        "Unit '-//-'. See the settlements row for the 2035 mismatch.",
    ),
    (
        "industry_transport",
        "земли промышленности, транспорта, связи, для нужд космической деятельности, "
        "обороны, национальной безопасности и иного несельскохозяйственного назначения",
        "земли промышленности",
        "Unit '-//-'.",
    ),
    (
        "protected_recreational",
        "земли особо охраняемых территорий, земли оздоровительного, рекреационного и "
        "историко-культурного назначения",
        "земли особо охраняемых",
        "Unit '-//-'.",
    ),
    ("forest_fund", "земли лесного фонда", "земли лесного фонда", "Unit '-//-'."),
    ("water_fund", "земли водного фонда", "земли водного фонда", "Unit '-//-'."),
    (
        "reserve",
        "земли запаса",
        "земли запаса",
        "Unit '-//-'. Reserve land shrinks as the other categories grow; with it the "
        "categories sum to the total at every horizon except 2035 (939.19, 0.30 short).",
    ),
]


def _section_bounds(
    lines: list[str], start_text: str, end_text: str, after: int = 0
) -> tuple[int, int]:
    try:
        a = next(i for i in range(after, len(lines)) if lines[i].strip() == start_text)
        b = next(i for i in range(a + 1, len(lines)) if lines[i].strip().startswith(end_text))
    except StopIteration:
        raise ExtractionError(f"section {start_text!r}..{end_text!r} not found") from None
    return a, b


def _appendix1_start(lines: list[str]) -> int:
    try:
        return next(i for i, ln in enumerate(lines) if ln.strip() == "Приложение 1")
    except StopIteration:
        raise ExtractionError("'Приложение 1' not found in the seed") from None


def parse_land_balance(lines: list[str]) -> list[dict[str, str]]:
    """Parse Appendix 1 section 1 (land balance, thousand ha)."""
    a, b = _section_bounds(lines, "1 Территория", "2 Население", after=_appendix1_start(lines))
    rows = []
    pos = a
    for key, label, anchor, note in _BALANCE_SPEC:
        first = next(
            (i for i in range(pos, b) if despace_letters(lines[i]).startswith(anchor)), None
        )
        if first is None:
            raise ExtractionError(f"Appendix 1: label {anchor!r} not found in L{pos + 1}-{b}")
        if first > pos and lines[first - 1].strip().isdigit():  # '1' on its own line above
            first -= 1
        last = next((i for i in range(first, b) if _FOUR.search(lines[i])), None)
        if last is None:
            raise ExtractionError(f"Appendix 1: no values after {anchor!r} (L{first + 1})")
        m = _FOUR.search(lines[last])
        assert m is not None
        values = [to_number(g) for g in m.groups()]
        rows.append(
            {
                "key": key,
                "label_ru": label,
                "unit": "thousand ha",
                **{c: fmt(v) for c, v in zip(HORIZON_COLUMNS, values, strict=True)},
                "seed_lines": span(first + 1, last + 1),
                "note": note,
            }
        )
        pos = last + 1
    return rows


_PAIR = re.compile(r"((?:\d{1,3} )?\d+,\d+)\s*/\s*(\d+,\d+)")

# printed value, reading, reason -- applied visibly, asserted against the text
_POP_TOTAL_READINGS = {
    "stage1_2025": (
        3741.0,
        3471.3,
        "The 2025 total is printed 3741, a digit transposition: urban 2461.2 + rural 1010.1 = "
        "3471.3, and Appendix 15's grand total for 2025 is 3 471 300. Read as 3471.3.",
    ),
}


def parse_population(lines: list[str]) -> list[dict[str, str]]:
    """Parse Appendix 1 section 2.1 (population totals, urban and rural with shares)."""
    a, b = _section_bounds(
        lines, "2 Население -//-", "2) Показатели", after=_appendix1_start(lines)
    )
    total_i = next((i for i in range(a, b) if lines[i].strip().startswith("1) Всего")), None)
    urban_i = next((i for i in range(a, b) if "численность городского" in lines[i]), None)
    rural_i = next((i for i in range(a, b) if "численность сельского" in lines[i]), None)
    if total_i is None or urban_i is None or rural_i is None:
        raise ExtractionError(f"Appendix 1 section 2: rows not found in L{a + 1}-{b}")
    m = _FOUR.search(lines[total_i])
    if m is None:
        raise ExtractionError(f"Appendix 1: no totals at L{total_i + 1}")
    totals = [to_number(g) for g in m.groups()]
    notes = []
    for col, (printed, reading, reason) in _POP_TOTAL_READINGS.items():
        j = HORIZON_COLUMNS.index(col)
        if totals[j] != printed:
            raise ExtractionError(
                f"Appendix 1: expected the printed {printed} for {col}, found {totals[j]}"
            )
        totals[j] = reading
        notes.append(reason)

    def pairs(first: int, last: int) -> list[tuple[float, float]]:
        text = " ".join(lines[first:last])
        found = [(to_number(x.replace(" ", "")), to_number(y)) for x, y in _PAIR.findall(text)]
        if len(found) != 4:
            raise ExtractionError(
                f"Appendix 1: expected 4 value/share pairs at L{first + 1}-{last}"
            )
        return found

    urban = pairs(urban_i, rural_i)
    rural = pairs(rural_i, b)
    u_last = max(i for i in range(urban_i, rural_i) if lines[i].strip())
    r_last = max(i for i in range(rural_i, b) if lines[i].strip())
    urban_span = span(urban_i + 1, u_last + 1)
    rural_span = span(rural_i + 1, r_last + 1)

    def row(
        key: str, label: str, unit: str, vals: Sequence[float], lines_: str, note: str
    ) -> dict[str, str]:
        return {
            "key": key,
            "label_ru": label,
            "unit": unit,
            **{c: fmt(v) for c, v in zip(HORIZON_COLUMNS, vals, strict=True)},
            "seed_lines": lines_,
            "note": note,
        }

    return [
        row(
            "total",
            "Население, всего",
            "thousand persons",
            totals,
            span(total_i + 1, total_i + 1),
            " ".join(
                [
                    *notes,
                    "The other totals are printed in whole thousands (urban + rural: 2787.0, "
                    "3904.7, 4591.8).",
                ]
            ),
        ),
        row(
            "urban",
            "численность городского населения",
            "thousand persons",
            [v for v, _ in urban],
            urban_span,
            "Printed as 'value/share' pairs ('1 993,9/71,5': space as thousands separator).",
        ),
        row(
            "urban_share",
            "численность городского населения, % общей численности населения",
            "%",
            [s for _, s in urban],
            urban_span,
            "Share of the total population.",
        ),
        row(
            "rural",
            "численность сельского населения",
            "thousand persons",
            [v for v, _ in rural],
            rural_span,
            "Unit '-//-' (ditto: thousand persons/%).",
        ),
        row(
            "rural_share",
            "численность сельского населения, % общей численности населения",
            "%",
            [s for _, s in rural],
            rural_span,
            "Share of the total population.",
        ),
    ]


# --------------------------------------------------------------------------- output


def to_csv_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    """CSV text with ``\\n`` line ends, minimal quoting, UTF-8 ready."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def render_all(lines: list[str]) -> dict[str, str]:
    """File name -> CSV text for every table."""
    return {
        A15_FILE: to_csv_text(parse_appendix15(lines), A15_COLUMNS),
        LAND_FILE: to_csv_text(parse_land_balance(lines), BALANCE_COLUMNS),
        POP_FILE: to_csv_text(parse_population(lines), BALANCE_COLUMNS),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="the scheme's text")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, help="where to write the CSVs")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if different")
    args = parser.parse_args(argv)
    try:
        texts = render_all(read_lines(args.seed))
    except (OSError, ExtractionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    status = 0
    for name, text in texts.items():
        path = args.out_dir / name
        if args.check:
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            if current != text:
                print(f"{path}: differs from a fresh extraction", file=sys.stderr)
                status = 1
            continue
        tmp = path.with_suffix(".csv.tmp")
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(path)
        print(f"wrote {path} ({text.count(chr(10)) - 1} rows)")
    return status


if __name__ == "__main__":
    sys.exit(main())
