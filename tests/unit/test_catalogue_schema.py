"""Malformed catalogues fail with one CatalogueError naming file, rule and field.

Each test copies the shipped ``layers/`` to ``tmp_path``, breaks one thing and checks
that :func:`load_catalogue` reports it with the file name, the rule (id or index) and
the field, so that a user can fix it without reading a traceback. The tests pick their
victims from whatever the catalogue holds, so they keep working as rule files grow.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from almaty_scheme.catalogue import load_catalogue
from almaty_scheme.catalogue.loader import WIDTH_KINDS
from almaty_scheme.errors import CatalogueError
from almaty_scheme.resources import layers_dir


@pytest.fixture(scope="module")
def shipped() -> Any:
    return load_catalogue(layers_dir())


@pytest.fixture
def cat_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "layers"
    shutil.copytree(layers_dir(), dest)
    return dest


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    change(data)
    path.write_text(
        yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


def _pick(shipped: Any, pred: Callable[[Any], bool]) -> tuple[str, int, str]:
    """(file, 0-based index, id) of the first rule satisfying ``pred``."""
    for name, rf in shipped.files.items():
        for i, rule in enumerate(rf.rules):
            if pred(rule):
                return name, i, rule.id
    pytest.fail("no rule in the shipped catalogue fits this test")


def _problems(directory: Path) -> list[str]:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(directory)
    err = info.value
    assert err.problems, "a CatalogueError must list its problems"
    assert str(directory) in err.summary
    return err.problems


def _one(problems: list[str], *needles: str) -> str:
    """The single problem that contains every needle."""
    hits = [p for p in problems if all(n in p for n in needles)]
    assert len(hits) == 1, f"expected one problem with {needles}, got:\n" + "\n".join(problems)
    return hits[0]


def test_shipped_catalogue_loads(shipped: Any) -> None:
    assert len(shipped) > 0
    assert set(shipped.rule_file_of) == set(shipped.rules)
    for name in shipped.index.rule_files:
        assert name in shipped.files


def test_unknown_key(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: True)
    _edit(cat_dir / name, lambda d: d["rules"][i].update(widht=5))
    msg = _one(_problems(cat_dir), name, f"rule #{i + 1}", repr(rid), "'widht'")
    assert "unknown key" in msg


def test_unknown_key_that_looks_like_text(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: True)
    _edit(
        cat_dir / name, lambda d: d["rules"][i]["source"].update({"заказников, памятников": None})
    )
    msg = _one(_problems(cat_dir), name, repr(rid), "source.заказников")
    assert "must be quoted" in msg


def test_wrong_type(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: r.width is not None and r.width.value_m is not None)
    _edit(cat_dir / name, lambda d: d["rules"][i]["width"].update(value_m="wide"))
    msg = _one(_problems(cat_dir), name, repr(rid), "'width.value_m'")
    assert "number" in msg


def test_bad_id(cat_dir: Path, shipped: Any) -> None:
    name, i, _ = _pick(shipped, lambda r: True)
    _edit(cat_dir / name, lambda d: d["rules"][i].update(id="Bad Id"))
    msg = _one(_problems(cat_dir), name, f"rule #{i + 1}", "'Bad Id'", "field 'id'")
    assert "dotted lower-case" in msg


def test_id_of_other_family(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: True)
    wrong = "zz." + rid.split(".", 1)[1]
    _edit(cat_dir / name, lambda d: d["rules"][i].update(id=wrong))
    _one(_problems(cat_dir), name, f"rule #{i + 1}", repr(wrong), "must start with its family")


def test_missing_width(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: r.kind in WIDTH_KINDS)
    _edit(cat_dir / name, lambda d: d["rules"][i].pop("width"))
    msg = _one(_problems(cat_dir), name, f"rule #{i + 1}", repr(rid), "field 'width'")
    assert "missing" in msg


def test_width_without_value(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: r.width is not None and r.width.value_m is not None)
    _edit(cat_dir / name, lambda d: d["rules"][i]["width"].pop("value_m"))
    msg = _one(_problems(cat_dir), name, repr(rid), "field 'width'")
    assert "value_m" in msg


def test_width_min_above_max(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: r.width is not None)

    def change(d: dict[str, Any]) -> None:
        w = d["rules"][i]["width"]
        for k in ("value_m", "min_m", "max_m"):
            w.pop(k, None)
        w.update(min_m=100, max_m=50, default="min")

    _edit(cat_dir / name, change)
    msg = _one(_problems(cat_dir), name, repr(rid), "field 'width'")
    assert "min_m (100.0) must be below max_m (50.0)" in msg


def test_interval_min_above_max(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: True)
    _edit(cat_dir / name, lambda d: d["rules"][i].update(elevation_m={"min": 2000, "max": 1000}))
    msg = _one(_problems(cat_dir), name, repr(rid), "field 'elevation_m'")
    assert "greater than max" in msg


def test_duplicate_id_across_files(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: True)
    data = yaml.load((cat_dir / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    extra = {**data, "rules": [data["rules"][i]], "findings": []}
    (cat_dir / "extra.yaml").write_text(
        yaml.dump(extra, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    _edit(cat_dir / "catalogue.yaml", lambda d: d["rule_files"].append("extra.yaml"))
    msg = _one(_problems(cat_dir), "extra.yaml", "rule #1", repr(rid), "field 'id'")
    assert "duplicate" in msg and name in msg


def test_finding_affects_unknown_rule(cat_dir: Path, shipped: Any) -> None:
    name = next(n for n, rf in shipped.files.items() if rf.findings)
    fid = shipped.files[name].findings[0].id
    _edit(cat_dir / name, lambda d: d["findings"][0]["affects"].append("roads.no_such_rule"))
    msg = _one(_problems(cat_dir), name, repr(fid), "field 'affects'")
    assert "'roads.no_such_rule'" in msg


def test_unknown_land_use_class_in_regime(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: r.regime is not None)

    def change(d: dict[str, Any]) -> None:
        d["rules"][i]["regime"] = {**d["rules"][i]["regime"], "prohibited": ["no_such_class"]}

    _edit(cat_dir / name, change)
    msg = _one(_problems(cat_dir), name, f"rule #{i + 1}", repr(rid), "'regime.prohibited'")
    assert "'no_such_class'" in msg


def test_unknown_land_use_group_in_regime(cat_dir: Path, shipped: Any) -> None:
    name, i, rid = _pick(shipped, lambda r: r.regime is not None)

    def change(d: dict[str, Any]) -> None:
        d["rules"][i]["regime"] = {**d["rules"][i]["regime"], "conditional": ["group:nope"]}

    _edit(cat_dir / name, change)
    _one(_problems(cat_dir), name, repr(rid), "'regime.conditional'", "'group:nope'")


def test_invalid_yaml_names_line_and_rule(cat_dir: Path, shipped: Any) -> None:
    name, _, rid = _pick(shipped, lambda r: True)
    path = cat_dir / name
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(k for k, ln in enumerate(lines) if ln.strip() in (f"- id: {rid}", f"- id: '{rid}'"))
    lines.insert(at + 1, "    title: [unclosed")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    msg = _one(_problems(cat_dir), name, "invalid YAML")
    assert "line" in msg and repr(rid) in msg


def test_non_utf8_file_names_line_and_rule(cat_dir: Path, shipped: Any) -> None:
    name, _, rid = _pick(shipped, lambda r: True)
    path = cat_dir / name
    text = path.read_text(encoding="utf-8")
    start = text.index(f"id: {rid}")
    cut = text.index("title:", start)
    # a cp1251 'Ж' (0xC6, an invalid UTF-8 start here) inside the rule's title
    data = text[:cut].encode("utf-8") + b"title: \xc6" + text[cut + 6 :].encode("utf-8")
    path.write_bytes(data)
    msg = _one(_problems(cat_dir), name, "not UTF-8")
    line = text[:cut].count("\n") + 1
    assert f"line {line}" in msg and repr(rid) in msg


def test_missing_rule_file(cat_dir: Path) -> None:
    _edit(cat_dir / "catalogue.yaml", lambda d: d["rule_files"].append("nope.yaml"))
    _one(_problems(cat_dir), "catalogue.yaml", "'nope.yaml'", "missing")


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"No catalogue index"):
        load_catalogue(tmp_path)


def test_invalid_index_field(cat_dir: Path) -> None:
    _edit(cat_dir / "catalogue.yaml", lambda d: d.update(catalogue_version="one"))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(cat_dir)
    assert any("catalogue.yaml" in p and "catalogue_version" in p for p in info.value.problems)


def test_problems_in_several_files_reported_together(cat_dir: Path, shipped: Any) -> None:
    names = list(shipped.files)
    assert len(names) >= 2, "needs two rule files"
    a, b = names[0], names[1]
    _edit(cat_dir / a, lambda d: d["rules"][0].update(widht=1))
    _edit(cat_dir / b, lambda d: d["rules"][0].update(kind="no_such_kind"))
    (cat_dir / "land_use.yaml").write_bytes(
        (cat_dir / "land_use.yaml").read_bytes().replace(b"default_class:", b"defaultclass:", 1)
    )
    problems = _problems(cat_dir)
    _one(problems, a, "'widht'")
    _one(problems, b, "field 'kind'")
    assert any("land_use.yaml" in p for p in problems)


def test_invalid_file_does_not_cascade(cat_dir: Path, shipped: Any) -> None:
    """A finding pointing at a rule of a broken file is not reported as a second error."""
    names = list(shipped.files)
    a, b = names[0], names[1]
    target = shipped.files[a].rules[0].id

    def add_finding(d: dict[str, Any]) -> None:
        d.setdefault("findings", []).append(
            {
                "id": f"{d['family']}.finding.test_cascade",
                "kind": "gap",
                "summary": "test",
                "sources": [d["rules"][0]["source"]],
                "reading": "test",
                "affects": [target],
            }
        )

    _edit(cat_dir / b, add_finding)
    load_catalogue(cat_dir)  # valid so far: the finding points at an existing rule
    _edit(cat_dir / a, lambda d: d["rules"][0].update(widht=1))
    problems = _problems(cat_dir)
    assert len(problems) == 1, problems
    assert a in problems[0]


def test_broken_table_is_reported_by_the_loader(cat_dir: Path) -> None:
    path = cat_dir / "appendix15_settlements.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",35542,", ",35 542,", 1)  # row A15-002 (Есик)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    msg = _one(_problems(cat_dir), "appendix15_settlements.csv", "line 3", "'A15-002'")
    assert "'pop_2018'" in msg and "'35 542'" in msg
