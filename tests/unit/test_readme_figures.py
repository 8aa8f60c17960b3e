"""The README's catalogue figures come from the catalogue, not from memory."""

from __future__ import annotations

import re
from pathlib import Path

from almaty_scheme.catalogue import default_catalogue
from almaty_scheme.catalogue.regimes import regime_cells

README = Path(__file__).resolve().parents[2] / "README.md"


def _text() -> str:
    return " ".join(README.read_text(encoding="utf-8").split())


def test_findings_count() -> None:
    m = re.search(r"`almaty-scheme rules list` ends with (\d+) \*findings\*", _text())
    assert m is not None
    assert int(m.group(1)) == len(default_catalogue().findings)


def test_regime_matrix_size() -> None:
    m = re.search(r"(\d+) zone rules x (\d+) classes = ([\d ]+) cells", _text())
    assert m is not None
    cells = regime_cells(default_catalogue())
    zones = {c.zone_rule for c in cells}
    uses = {c.use for c in cells}
    assert (int(m.group(1)), int(m.group(2))) == (len(zones), len(uses))
    assert int(m.group(3).replace(" ", "")) == len(cells)
