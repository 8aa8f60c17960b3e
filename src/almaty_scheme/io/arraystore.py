"""A store for nested numpy/shapely structures that cannot execute code when read.

Pickle runs whatever a file tells it to, so a pickle planted at a predictable path
runs on the next load. This store writes one uncompressed ``.npz`` file (numpy's zip of
``.npy`` arrays, read with ``allow_pickle=False``) holding plain arrays and a JSON
manifest that describes how they nest:

* numbers, text, ``None``, lists, tuples and dicts with text keys: in the manifest;
* numeric/bool numpy arrays: one array each;
* shapely geometries and object arrays of geometries: ISO WKB (exact doubles), as one
  byte array with the lengths beside it (``-1`` for a missing geometry);
* ``pandas.DataFrame``: its columns, as arrays (not its index: it comes back as
  ``0..n-1``). Text columns
  (pandas' string dtypes, or object columns of text and one kind of missing value) are
  one UTF-8 byte array with the lengths beside it (``-1`` for a missing value); pandas'
  nullable numbers and booleans are their values and their mask. The dtype, and the
  missing value of an object column, come back as they were;
* instances of the classes the caller lists by name (dataclasses), through their
  ``__getstate__``/``__setstate__`` or ``__dict__``. No other class can be built: an
  unknown name in a manifest is an error, never an import.
"""

from __future__ import annotations

import json
import math
import struct
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
            return {"t": "df", "cols": [[str(c), self._column(v[c])] for c in v.columns]}
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

    def _column(self, s: pd.Series) -> Any:
        """A frame's column: numpy's own dtypes and geometries as arrays, text and
        pandas' nullable dtypes as described in the module docstring."""
        dt = s.dtype
        if isinstance(dt, pd.StringDtype):
            text = self._text(s.astype(object).to_numpy())
            return {**text, "t": "strings", "storage": dt.storage, "nan": dt.na_value is not pd.NA}
        if isinstance(s.array, _MASKED):
            npdt = _numpy_dtype(dt.name)
            values = s.to_numpy(dtype=npdt, na_value=npdt.type(0))
            mask = s.isna().to_numpy()
            return {"t": "masked", "dtype": dt.name, "k": self.put(values), "mask": self.put(mask)}
        values = s.to_numpy()
        if values.dtype != object or _all_geoms(values):
            return self.enc(values)
        return {**self._text(values), "t": "texts", "na": _na_kind(values)}

    def _text(self, values: np.ndarray) -> dict[str, Any]:
        missing = pd.isna(values)
        if not all(isinstance(x, str) for x in values[~missing]):
            raise TypeError("object columns must hold text or geometries")
        return self._pieces(
            [None if m else x.encode("utf-8") for x, m in zip(values, missing, strict=True)]
        )

    def _pieces(self, items: list[bytes | None]) -> dict[str, Any]:
        """Byte strings (``None``: missing) as one byte array with the lengths beside it."""
        lengths = np.array([-1 if b is None else len(b) for b in items], np.int64)
        blob = b"".join(b for b in items if b is not None)
        return {"len": self.put(lengths), "k": self.put(np.frombuffer(blob, np.uint8))}

    def _geoms(self, v: np.ndarray) -> dict[str, Any]:
        flat = v.reshape(-1)
        if not _all_geoms(flat):
            raise TypeError("object arrays must hold shapely geometries")
        pieces = self._pieces(list(shapely.to_wkb(flat)))
        return {"t": "geoms", "shape": list(v.shape), **pieces}


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
        if t in ("strings", "texts", "masked"):
            return self._column(m)
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

    def _column(self, m: Mapping[str, Any]) -> Any:
        if m["t"] == "masked":
            values = pd.array(self.arrays[m["k"]], dtype=m["dtype"])
            values[self.arrays[m["mask"]].astype(bool)] = pd.NA
            return values
        text = self._text(m)
        if m["t"] == "strings":
            na = np.nan if m["nan"] else pd.NA
            return pd.array(text, dtype=pd.StringDtype(m["storage"], na_value=na))
        text[text == None] = _NA_VALUES[m["na"]]  # noqa: E711
        return pd.Series(text, dtype=object)  # kept as object (an array would become text)

    def _pieces(self, m: Mapping[str, Any]) -> np.ndarray:
        """The byte strings (``None``: missing) of :meth:`_Writer._pieces`."""
        lengths = self.arrays[m["len"]]
        blob = self.arrays[m["k"]].tobytes()
        ends = np.cumsum(np.maximum(lengths, 0)).tolist()
        out = np.empty(len(lengths), dtype=object)
        for i, (n, e) in enumerate(zip(lengths.tolist(), ends, strict=True)):
            out[i] = None if n < 0 else blob[e - n : e]
        return out

    def _text(self, m: Mapping[str, Any]) -> np.ndarray:
        out = self._pieces(m)
        for i, b in enumerate(out):
            if b is not None:
                out[i] = b.decode("utf-8")
        return out

    def _geoms(self, m: Mapping[str, Any]) -> np.ndarray:
        wkb = self._pieces(m)
        out = np.empty(len(wkb), dtype=object)
        present = wkb != None  # noqa: E711
        out[present] = shapely.from_wkb(wkb[present])
        return out.reshape(tuple(m["shape"]))


_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
"""pandas' nullable arrays stored as values and mask."""

_NA_VALUES: dict[str, Any] = {"None": None, "NA": pd.NA, "nan": np.nan}
"""The missing value of an object text column, by its name in the manifest."""


def _numpy_dtype(name: str) -> np.dtype:
    """The numpy dtype of pandas' nullable dtype ``name`` (``Int64``: int64...)."""
    return np.dtype("bool" if name == "boolean" else name.lower())


def _all_geoms(values: np.ndarray) -> bool:
    return all(g is None or isinstance(g, shapely.Geometry) for g in values.reshape(-1))


def _na_kind(values: np.ndarray) -> str:
    """The name of the one kind of missing value in an object text column."""
    kinds = {
        "None" if x is None else "NA" if x is pd.NA else "nan" if isinstance(x, float) else "?"
        for x in values[pd.isna(values)]
    }
    if len(kinds) > 1 or "?" in kinds:
        raise TypeError("an object text column must use one kind of missing value")
    return kinds.pop() if kinds else "None"


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


def load(path: str | Path, classes: Mapping[str, type], *, verified: bool = False) -> Any:
    """Read a value written by :func:`save`; only ``classes`` (name -> class) are built.

    ``verified``: the caller has checked the file's bytes itself (e.g. against a
    SHA-256 digest), so the zip's CRC-32 checks are skipped and each array is read
    straight into its memory (:func:`_read_stored`: a third of numpy's time for the
    zone cache's 95 MB entries). An array holding Python objects is refused either way.

    Raises
    ------
    StoreError
        Not a store, or a class not in ``classes``.
    """
    try:
        arrays = _read_stored(Path(path)) if verified else _read_npz(Path(path))
    except (OSError, ValueError, struct.error, zipfile.BadZipFile) as exc:
        raise StoreError(f"not a readable store: {exc}") from exc
    if "__manifest__" not in arrays:
        raise StoreError("no manifest")
    manifest = json.loads(arrays.pop("__manifest__").tobytes().decode("utf-8"))
    return _Reader(arrays, classes).dec(manifest)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, through numpy (each member's CRC-32 checked)."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


_LOCAL_HEADER = struct.Struct("<4s22xHH")
"""A zip member's local header: its signature, then the lengths of its name and extra
field (the data follows them)."""


def _read_stored(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file of stored (uncompressed) members, each read with
    one ``readinto`` from where its data starts in the file: no CRC-32, no chunked
    copies. Falls back to :func:`_read_npz` for a compressed member, an npy format
    other than 1.0 and 2.0, or a Fortran-ordered array (none of which :func:`write`
    makes)."""
    out: dict[str, np.ndarray] = {}
    with path.open("rb") as f, zipfile.ZipFile(f) as zf:  # one handle for both
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                return _read_npz(path)
            f.seek(info.header_offset)
            sig, name_len, extra_len = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
            if sig != b"PK\x03\x04":
                raise ValueError(f"{info.filename}: no local header")
            start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
            f.seek(start)
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                return _read_npz(path)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(f)
            if dtype.hasobject:
                raise ValueError(f"{info.filename}: Python objects are not read")
            if fortran:
                return _read_npz(path)
            if f.tell() - start + math.prod(shape) * dtype.itemsize != info.file_size:
                raise ValueError(f"{info.filename}: its size does not match its header")
            a = np.empty(shape, dtype)  # its size checked first: a header cannot ask more
            if f.readinto(a.reshape(-1).view(np.uint8).data) != a.nbytes:
                raise ValueError(f"{info.filename}: truncated")
            out[info.filename.removesuffix(".npy")] = a
    return out
