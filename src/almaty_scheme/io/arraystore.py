"""A store for nested numpy/shapely structures that cannot execute code when read.

Pickle runs whatever a file tells it to, so a pickle planted at a predictable path
runs on the next load. This store writes one uncompressed ``.npz`` file (numpy's zip of
``.npy`` arrays, read with ``allow_pickle=False``) holding plain arrays and a JSON
manifest that describes how they nest:

* numbers, text, ``None``, lists, tuples and dicts with text keys: in the manifest;
* numeric/bool numpy arrays: one array each;
* shapely geometries and object arrays of geometries: ISO WKB (exact doubles), as one
  byte array with the lengths beside it (``-1`` for a missing geometry);
* ``pandas.DataFrame``: its columns, as arrays;
* instances of the classes the caller lists by name (dataclasses), through their
  ``__getstate__``/``__setstate__`` or ``__dict__``. No other class can be built: an
  unknown name in a manifest is an error, never an import.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely


class StoreError(ValueError):
    """The file is not a store of this format, or names a class not allowed."""


class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def put(self, a: np.ndarray) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.ascontiguousarray(a)
        return key

    def enc(self, v: Any) -> Any:
        if v is None or isinstance(v, bool | str):
            return v
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, int | float):
            return {"t": "num", "v": v}
        if isinstance(v, shapely.Geometry):
            return {"t": "geom", "k": self.put(np.frombuffer(shapely.to_wkb(v), np.uint8))}
        if isinstance(v, np.ndarray):
            if v.dtype == object:
                return self._geoms(v)
            return {"t": "nd", "k": self.put(v)}
        if isinstance(v, pd.DataFrame):
            cols = [[str(c), self.enc(v[c].to_numpy())] for c in v.columns]
            return {"t": "df", "cols": cols}
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise TypeError("only text keys can be stored")
            return {"t": "dict", "items": [[k, self.enc(x)] for k, x in v.items()]}
        if isinstance(v, list | tuple):
            return {"t": type(v).__name__, "items": [self.enc(x) for x in v]}
        if hasattr(v, "__dict__"):
            state = v.__getstate__()
            return {"t": "obj", "cls": type(v).__name__, "state": self.enc(dict(state))}
        raise TypeError(f"cannot store a {type(v).__name__}")

    def _geoms(self, v: np.ndarray) -> dict[str, Any]:
        flat = v.reshape(-1)
        if not all(g is None or isinstance(g, shapely.Geometry) for g in flat):
            raise TypeError("object arrays must hold shapely geometries")
        wkb = shapely.to_wkb(flat)
        lengths = np.array([-1 if b is None else len(b) for b in wkb], np.int64)
        blob = b"".join(b for b in wkb if b is not None)
        return {
            "t": "geoms",
            "shape": list(v.shape),
            "len": self.put(lengths),
            "k": self.put(np.frombuffer(blob, np.uint8)),
        }


class _Reader:
    def __init__(self, arrays: Mapping[str, np.ndarray], classes: Mapping[str, type]) -> None:
        self.arrays = arrays
        self.classes = classes

    def dec(self, m: Any) -> Any:
        if m is None or isinstance(m, bool | str):
            return m
        t = m["t"]
        if t == "num":
            return m["v"]
        if t == "geom":
            return shapely.from_wkb(self.arrays[m["k"]].tobytes())
        if t == "nd":
            return self.arrays[m["k"]]
        if t == "geoms":
            return self._geoms(m)
        if t == "df":
            return pd.DataFrame({c: self.dec(x) for c, x in m["cols"]})
        if t == "dict":
            return {k: self.dec(x) for k, x in m["items"]}
        if t in ("list", "tuple"):
            items = [self.dec(x) for x in m["items"]]
            return items if t == "list" else tuple(items)
        if t == "obj":
            cls = self.classes.get(m["cls"])
            if cls is None:
                raise StoreError(f"class {m['cls']!r} is not allowed in this store")
            obj: Any = object.__new__(cls)
            state = self.dec(m["state"])
            if hasattr(obj, "__setstate__"):
                obj.__setstate__(state)
            else:
                obj.__dict__.update(state)
            return obj
        raise StoreError(f"unknown entry kind {t!r}")

    def _geoms(self, m: Mapping[str, Any]) -> np.ndarray:
        lengths = self.arrays[m["len"]]
        blob = self.arrays[m["k"]].tobytes()
        ends = np.cumsum(np.maximum(lengths, 0))
        starts = ends - np.maximum(lengths, 0)
        wkb = np.array(
            [None if n < 0 else blob[s:e] for n, s, e in zip(lengths, starts, ends, strict=True)],
            dtype=object,
        )
        out = np.empty(len(wkb), dtype=object)
        present = lengths >= 0
        out[present] = shapely.from_wkb(wkb[present])
        return out.reshape(tuple(m["shape"]))


@dataclass(frozen=True)
class Encoded:
    """A value turned into the arrays of a store (:func:`encode`), ready to :func:`write`.

    Geometries are already WKB and the manifest is fixed, so the value may change after
    encoding (numeric arrays are kept by reference: do not modify them in place before
    the write).
    """

    arrays: dict[str, np.ndarray]


def encode(value: Any) -> Encoded:
    """The arrays of the store of ``value`` (see the module docstring).

    Raises
    ------
    TypeError
        If ``value`` holds something the store cannot represent.
    """
    w = _Writer()
    manifest = w.enc(value)
    text = json.dumps(manifest, allow_nan=True).encode("utf-8")
    return Encoded({"__manifest__": np.frombuffer(text, np.uint8), **w.arrays})


def write(path: str | Path, encoded: Encoded) -> None:
    """Write an :func:`encode`-d value to ``path`` (an ``.npz`` file)."""
    arrays: dict[str, Any] = encoded.arrays
    with Path(path).open("wb") as f:
        np.savez(f, **arrays)


def save(path: str | Path, value: Any) -> None:
    """Write ``value`` (see the module docstring) to ``path`` (an ``.npz`` file).

    Raises
    ------
    TypeError
        If ``value`` holds something the store cannot represent.
    """
    write(path, encode(value))


def load(path: str | Path, classes: Mapping[str, type]) -> Any:
    """Read a value written by :func:`save`; only ``classes`` (name -> class) are built.

    Raises
    ------
    StoreError
        Not a store, or a class not in ``classes``.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise StoreError(f"not a readable store: {exc}") from exc
    if "__manifest__" not in arrays:
        raise StoreError("no manifest")
    manifest = json.loads(arrays.pop("__manifest__").tobytes().decode("utf-8"))
    return _Reader(arrays, classes).dec(manifest)
