"""``almaty-scheme rules list|show`` on the shipped catalogue and on broken copies.

``rules verify`` needs the scheme's text and is tested in
``tests/integration/test_catalogue_seed.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from almaty_scheme.catalogue import Catalogue, SchemeSource, load_catalogue
from almaty_scheme.catalogue.quotes import normalise
from almaty_scheme.cli import main
from almaty_scheme.resources import layers_dir


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(layers_dir())


def test_rules_list_table(cat: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["id", "family", "value", "semantics", "source"]
    assert set(lines[1]) <= {"-", " "}
    listed = {ln.split()[0] for ln in lines[2:] if ln.strip() and not ln[0].isdigit()}
    assert listed == set(cat.rules)
    assert re.search(rf"\n{len(cat)} rules, {len(cat.findings)} findings; catalogue ", out)
    row = next(ln for ln in lines if ln.startswith("roads.western_europe_western_china "))
    assert row.split()[1:5] == ["roads", "130", "m", "total"]


def test_rules_list_family_filter(cat: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--family", "roads", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in data["rules"]} == {r.id for r in cat.by_family("roads")}


def test_rules_list_json(cat: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["catalogue_version"] == cat.version
    assert [r["id"] for r in data["rules"]] == list(cat.rules)
    assert {f["id"] for f in data["findings"]} == set(cat.findings)
    for r in data["rules"]:
        assert set(r) >= {"id", "family", "kind", "value", "semantics", "source", "verified"}


def _sample(cat: Catalogue) -> list[str]:
    """The first rule of each family (one CLI call per family keeps the test fast)."""
    seen: dict[str, str] = {}
    for rule in cat:
        seen.setdefault(rule.family, rule.id)
    return list(seen.values())


def test_rules_show_quote(cat: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    for rid in _sample(cat):
        rule = cat.get(rid)
        assert main(["rules", "show", rid]) == 0
        out = capsys.readouterr().out
        assert f"id: {rid}" in out
        if isinstance(rule.source, SchemeSource):
            # YAML output may fold a long quote over lines and double single quotes
            assert normalise(rule.source.quote) in normalise(out.replace("''", "'")), rid
            assert rule.citation().split(";")[0] in out


def test_rules_show_json(cat: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    rid = _sample(cat)[0]
    assert main(["rules", "show", rid, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == rid
    assert data["source"] == cat.get(rid).source.model_dump(mode="json", exclude_none=True)
    assert data["file"] == cat.rule_file_of[rid]


def test_rules_show_finding(cat: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    if not cat.findings:
        pytest.skip("the catalogue has no findings yet")
    fid = next(iter(cat.findings))
    assert main(["rules", "show", fid]) == 0
    assert f"id: {fid}" in capsys.readouterr().out


def test_rules_show_unknown_suggests(cat: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    rid = next(iter(cat.rules))
    typo = rid[:-1] + ("x" if rid[-1] != "x" else "y")
    assert main(["rules", "show", typo]) == 2
    err = capsys.readouterr().err
    assert f"No rule with id {typo!r}" in err
    assert "Did you mean" in err and rid in err


def test_rules_show_nonsense(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show", "qqqq"]) == 2
    assert "rules list" in capsys.readouterr().err


def test_rules_list_broken_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "layers"
    shutil.copytree(layers_dir(), dest)
    index = dest / "catalogue.yaml"
    index.write_text(index.read_text(encoding="utf-8") + "bogus: 1\n", encoding="utf-8")
    assert main(["rules", "list", "--catalogue", str(dest)]) == 1
    err = capsys.readouterr().err
    assert "catalogue.yaml" in err and "'bogus'" in err
