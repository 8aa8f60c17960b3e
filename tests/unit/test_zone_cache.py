"""The zone cache: a format that cannot run code, a digest, a bound with LRU eviction."""

from __future__ import annotations

import logging
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from check_world import write_gpkg

from almaty_scheme.check import zone_cache
from almaty_scheme.check import zones as zones_module
from almaty_scheme.check.zones import CACHE_CLASSES, geometry_cache_path, load_zones
from almaty_scheme.cli import main
from almaty_scheme.io import arraystore


@pytest.fixture(scope="module")
def layers_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_gpkg(tmp_path_factory.mktemp("layers") / "layers.gpkg")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_DIR", str(d))
    monkeypatch.delenv("ALMATY_SCHEME_CACHE_MAX_MB", raising=False)
    return d


@pytest.fixture
def cached_entry(layers_gpkg: Path, cache_dir: Path) -> Path:
    """The zone cache's entry of ``layers_gpkg``, written (zones loaded once)."""
    load_zones(layers_gpkg, cache=True)
    zone_cache.wait_for_saves()  # the entry is written by a thread while the check runs
    return geometry_cache_path(layers_gpkg, 2000.0)


class _Planted:
    """Unpickling this writes a file: the attack a pickle cache allowed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.marker, "pwned"))


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert len(a.tiles) == len(b.tiles)
    assert shapely.equals_exact(a.tiles.tiles, b.tiles.tiles, tolerance=0).all()
    np.testing.assert_array_equal(a.tiles.pieces.coords, b.tiles.pieces.coords)
    np.testing.assert_array_equal(a.sources.segments, b.sources.segments)
    assert sorted(a.near) == sorted(b.near)


def test_round_trip_is_exact_and_has_a_digest(layers_gpkg: Path, cache_dir: Path) -> None:
    first = load_zones(layers_gpkg, cache=True)
    zone_cache.wait_for_saves()  # the entry is written by a thread while the check runs
    entry = geometry_cache_path(layers_gpkg, 2000.0)
    assert entry.suffix == ".npz" and entry.is_file()
    assert entry.with_suffix(".sha256").read_text().strip() == zone_cache._digest(entry)
    again = load_zones(layers_gpkg, cache=True)
    _same(first, again)
    assert again.derived.keys() == first.derived.keys()


def test_planted_pickle_is_never_loaded(layers_gpkg: Path, cache_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    entry = geometry_cache_path(layers_gpkg, 2000.0)
    entry.parent.mkdir(parents=True)
    legacy = entry.with_suffix(".pickle")
    legacy.write_bytes(pickle.dumps(_Planted(marker)))
    # an .npz holding a pickled object array, with a matching digest
    np.savez(entry, __manifest__=np.array([_Planted(marker)], dtype=object))
    entry.with_suffix(".sha256").write_text(zone_cache._digest(entry))
    load_zones(layers_gpkg, cache=True)
    zone_cache.wait_for_saves()
    assert not marker.exists()
    assert not legacy.exists()  # old-format entries are removed
    assert entry.is_file()  # replaced by a good entry
    assert arraystore.load(entry, CACHE_CLASSES)["_version"] >= 7


def test_unknown_class_is_refused(tmp_path: Path) -> None:
    class Evil:
        pass

    e = Evil()
    e.x = 1  # type: ignore[attr-defined]
    arraystore.save(tmp_path / "x.npz", {"a": e})
    with pytest.raises(arraystore.StoreError, match="not allowed"):
        arraystore.load(tmp_path / "x.npz", CACHE_CLASSES)


def test_digest_mismatch_rebuilds(layers_gpkg: Path, cached_entry: Path) -> None:
    entry = cached_entry
    entry.with_suffix(".sha256").write_text("0" * 64)
    assert zone_cache.load_entry(entry, CACHE_CLASSES) is None
    assert not entry.exists()
    load_zones(layers_gpkg, cache=True)
    assert zone_cache.load_entry(entry, CACHE_CLASSES) is not None


def test_a_torn_entry_is_a_digest_mismatch(
    cached_entry: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the digest is computed while the entry loads: it still decides, whatever the load
    # of a torn file raises (here zipfile's BadZipFile, which is no OSError/ValueError)
    entry = cached_entry
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])
    assert zone_cache.load_entry(entry, CACHE_CLASSES) is None
    assert "digest mismatch" in caplog.text
    assert not entry.exists() and not entry.with_suffix(".sha256").exists()


def test_lru_eviction_keeps_the_bound(
    cached_entry: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = cached_entry
    size = entry.stat().st_size + entry.with_suffix(".sha256").stat().st_size
    # two older entries: the least recently used one must go first
    old = []
    for i, age in enumerate((300, 100)):
        p = entry.with_name(f"old{i}.npz")
        p.write_bytes(entry.read_bytes())
        p.with_suffix(".sha256").write_text(zone_cache._digest(p))
        t = time.time() - age
        os.utime(p, (t, t))
        old.append(p)
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_MAX_MB", str(2.5 * size / 2**20))
    removed = zone_cache.evict(cache_dir, zone_cache.max_bytes(), keep=entry)
    assert removed == [old[0]]
    assert old[1].exists() and entry.exists()
    info = zone_cache.cache_info()
    assert info["n_entries"] == 2


def test_bad_bound_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALMATY_SCHEME_CACHE_MAX_MB", "lots")
    with pytest.raises(zone_cache.UsageError):
        zone_cache.max_bytes()


def test_cache_cli(layers_gpkg: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_zones(layers_gpkg, cache=True)
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(cache_dir) in out and "1 entr(ies)" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 2 file(s)" in capsys.readouterr().out
    assert zone_cache.cache_info()["n_entries"] == 0


def _same_table(a, b) -> None:  # type: ignore[no-untyped-def]
    """Equal zone tables: values, dtypes, and the very kind of each missing value."""
    pd.testing.assert_frame_equal(a.zones, b.zones, check_exact=True)
    for c in a.zones.columns:
        assert [type(v) for v in a.zones[c]] == [type(v) for v in b.zones[c]], c
    np.testing.assert_array_equal(a.regimes, b.regimes)
    assert a.build_info == b.build_info and a.path == b.path


def test_a_hit_reads_no_layer_and_gives_the_same_zones(
    layers_gpkg: Path,
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fresh = load_zones(layers_gpkg, cache=False)
    load_zones(layers_gpkg, cache=True)
    zone_cache.wait_for_saves()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a layer was read on a cache hit")

    monkeypatch.setattr(zones_module.pyogrio, "read_dataframe", refuse)
    with caplog.at_level(logging.WARNING, logger="almaty_scheme"):
        hit = load_zones(layers_gpkg, cache=True)
    _same_table(fresh, hit)
    _same(fresh, hit)
    assert hit.derived.keys() == fresh.derived.keys()
    # the file's build_info comes from the cache too: its catalogue is still reported
    assert hit.build_info["catalogue_version"] == "0.1.0"
    assert any("was built with catalogue 0.1.0" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("verified", [False, True])
def test_frame_columns_round_trip_with_their_dtypes(tmp_path: Path, verified: bool) -> None:
    frame = pd.DataFrame(
        {
            "str": pd.Series(["a", None, "é"], dtype="str"),
            "string": pd.array(["", None, "b"], dtype="string"),
            "string_python": pd.array(["x", "y", None], dtype=pd.StringDtype("python")),
            "Int64": pd.array([2**62 + 1, None, -3], dtype="Int64"),
            "UInt8": pd.array([255, None, 0], dtype="UInt8"),
            "Float64": pd.array([0.1, None, -2.5], dtype="Float64"),
            "boolean": pd.array([True, None, False], dtype="boolean"),
            "na_text": pd.Series(["t", pd.NA, "u"], dtype=object),
            "none_text": pd.Series([None, "v", None], dtype=object),
            "nan_text": pd.Series([np.nan, "w", np.nan], dtype=object),
            "all_na": pd.Series([pd.NA, pd.NA, pd.NA], dtype=object),
            "int": np.array([1, 2, 3]),
            "geoms": np.array([shapely.Point(0, 1), None, shapely.Point(2, 3)], dtype=object),
        }
    )
    arraystore.save(tmp_path / "f.npz", {"f": frame})
    back = arraystore.load(tmp_path / "f.npz", {}, verified=verified)["f"]
    geoms = back.pop("geoms")
    pd.testing.assert_frame_equal(back, frame.drop(columns="geoms"), check_exact=True)
    for c in back.columns:
        assert [type(v) for v in back[c]] == [type(v) for v in frame[c]], c
    assert geoms[1] is None and shapely.equals_exact(geoms[2], shapely.Point(2, 3), tolerance=0)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["a", None, pd.NA], dtype=object),  # two kinds of missing value
        pd.Series([{"a": 1}, "b", None], dtype=object),  # not text
    ],
)
def test_a_column_the_store_cannot_keep_exactly_is_refused(column: pd.Series) -> None:
    with pytest.raises(TypeError):
        arraystore.encode({"f": pd.DataFrame({"c": column})})


def _arrays() -> dict[str, np.ndarray]:
    return {
        "nan2d": np.array([[0.5, np.nan], [-0.0, np.inf], [1e300, 2.0]]),
        "empty": np.empty((0, 4), np.int64),
        "flags": np.array([True, False, True]),
        "bytes": np.frombuffer(b"\x00\xffabc", np.uint8),
        "scalar": np.array(7, np.int32),
    }


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_verified_read_gives_numpys_arrays(tmp_path: Path, save) -> None:  # type: ignore[no-untyped-def]
    """Read straight into memory (stored members; compressed ones through numpy), the
    arrays are numpy's own: same bytes, dtype and shape, aligned and writable."""
    path = tmp_path / "a.npz"
    save(path, **_arrays())
    fast, slow = arraystore._read_stored(path), arraystore._read_npz(path)
    assert list(fast) == list(slow) == list(_arrays())
    for k, a in fast.items():
        assert (a.dtype, a.shape, a.tobytes()) == (slow[k].dtype, slow[k].shape, slow[k].tobytes())
        assert a.flags.aligned and a.flags.writeable and a.flags.c_contiguous


def test_verified_read_checks_each_arrays_size(tmp_path: Path) -> None:
    """An array whose header says more than its member holds is not read past its end
    (into the next member), though no CRC is checked; a truncated file is refused."""
    path = tmp_path / "a.npz"
    np.savez(path, first=np.arange(3, dtype=np.int64), second=np.arange(5, dtype=np.int64))
    data = path.read_bytes()
    assert data.count(b"(3,)") == 1
    path.write_bytes(data.replace(b"(3,)", b"(4,)"))  # same length: the zip stays whole
    with pytest.raises(arraystore.StoreError, match=r"first\.npy: its size does not match"):
        arraystore.load(path, {}, verified=True)
    # a header asking for 8 TB: refused before any memory is taken
    head = b"'shape': (3,), }"
    i = data.index(head)
    pad = data.index(b"\n", i) - i  # the header's padding keeps the member's length
    huge = b"'shape': (1000000000000,), }".ljust(pad)
    path.write_bytes(data[:i] + huge + data[i + pad :])
    with pytest.raises(arraystore.StoreError, match=r"first\.npy: its size does not match"):
        arraystore.load(path, {}, verified=True)
    path.write_bytes(data[:-40])
    with pytest.raises(arraystore.StoreError, match="not a readable store"):
        arraystore.load(path, {}, verified=True)


def test_verified_read_refuses_python_objects(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "a.npz"
    np.savez(path, __manifest__=np.array([_Planted(marker)], dtype=object))
    with pytest.raises(arraystore.StoreError, match="Python objects are not read"):
        arraystore.load(path, {}, verified=True)
    assert not marker.exists()


def test_verified_read_refuses_a_member_past_the_end(tmp_path: Path) -> None:
    """A central directory that puts a member's header 10 bytes before the end of the
    file: a short header is "not a readable store", not a traceback."""
    path = tmp_path / "a.npz"
    np.savez(path, first=np.arange(3, dtype=np.int64))
    raw = bytearray(path.read_bytes())
    entry = raw.index(b"PK\x01\x02")  # the member's central-directory record
    raw[entry + 42 : entry + 46] = (len(raw) - 10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(arraystore.StoreError, match="not a readable store"):
        arraystore.load(path, {}, verified=True)
