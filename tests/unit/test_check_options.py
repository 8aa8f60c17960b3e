"""``CheckOptions``: the CLI's flags as one frozen object, with the CLI's defaults."""

from __future__ import annotations

import dataclasses

import pytest

from almaty_scheme.check.options import CheckOptions
from almaty_scheme.cli.check import check as check_command
from almaty_scheme.errors import UsageError

# CLI parameter -> CheckOptions field, where the names differ
RENAMED = {"no_zones_cache": "zones_cache"}
CLI_ONLY = {"parcels", "layers", "out", "fail_on", "as_json", "verbose", "quiet"}


def test_defaults_are_the_cli_defaults() -> None:
    opts = CheckOptions()
    fields = {f.name for f in dataclasses.fields(CheckOptions)}
    ctx = check_command.make_context("check", ["parcels.gpkg", "--out", "results.gpkg"])
    seen = set()
    for name, default in ctx.params.items():
        if name in CLI_ONLY:
            continue
        field = RENAMED.get(name, name)
        assert field in fields, name
        seen.add(field)
        if name == "no_zones_cache":
            assert opts.zones_cache is (not default)
        elif name == "allow_missing_layers":  # comma-separated on the command line
            assert opts.allow_missing_layers == tuple(x for x in default.split(",") if x)
        else:
            assert getattr(opts, field) == default, name
    assert fields - seen == {"tile_size"}  # the only option without a flag


def test_frozen_and_validated() -> None:
    opts = CheckOptions(use_field="use")
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.use_field = "x"  # type: ignore[misc]
    assert opts.but(near_m=0).near is None and opts.near == 500.0
    with pytest.raises(UsageError, match="Unknown engine"):
        CheckOptions(engine="spark").validate()
    with pytest.raises(UsageError, match="need --engine dask"):
        CheckOptions(workers=2).validate()
    with pytest.raises(UsageError, match="--near must be >= 0"):
        CheckOptions(near_m=-1).validate()
    CheckOptions(engine="dask", workers=2, partitions=4).validate()
