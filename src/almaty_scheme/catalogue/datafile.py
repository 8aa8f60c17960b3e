"""The one loader of every YAML data file: read, validate, word every problem.

:func:`load_model` reads a YAML file into a strict pydantic model and reports *every*
problem at once, each naming the file, the entry (list item with its 1-based position
and its id or name) and the field. :func:`read_yaml` and :func:`validation_problems`
are its two halves, used by :func:`~almaty_scheme.catalogue.loader.load_catalogue`,
which adds checks across files. The registry of shipped files is
:mod:`almaty_scheme.catalogue.registry`. This module imports no model, so reading the
catalogue stays fast.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from almaty_scheme.errors import AlmatySchemeError, CatalogueError

M = TypeVar("M", bound=BaseModel)

# libyaml's safe loader is ~10x faster than the pure-Python one; same results
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ITEM_ID = re.compile(r"^\s*-\s+id:\s*['\"]?([^'\"\s#]+)")

_SINGULAR = {"rules": "rule", "findings": "finding", "classes": "class"}
"""List keys of the rule files named in the singular ('rule #3'); others keep their key."""

_ENTRY_KEYS = ("id", "name", "name_ru", "row_id", "key")
"""Keys that name a list entry in a problem message, first present wins."""


# --------------------------------------------------------------------------- reading


def enclosing_item(text: str, line: int) -> str:
    """' (in the item with id 'x' that starts at line N)' for the list item around ``line``."""
    lines = text.splitlines()
    for i in range(min(line, len(lines)) - 1, -1, -1):
        m = _ITEM_ID.match(lines[i])
        if m:
            return f" (in the item with id {m.group(1)!r} that starts at line {i + 1})"
    return ""


def read_yaml(path: Path, problems: list[str]) -> Any:
    """The YAML document in ``path``, or ``None`` with the reason appended to ``problems``.

    Problems name the file, the line and column, and the list item (by id) around them.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(f"{path}: cannot read the file ({exc.strerror}).")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        approx = data.decode("utf-8", errors="replace")
        problems.append(
            f"{path}: not UTF-8 ({exc.reason} at byte {exc.start}, line {line})"
            f"{enclosing_item(approx, line)}; save the file as UTF-8."
        )
        return None
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = ""
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
            where += enclosing_item(text, mark.line + 1)
        hint = ""
        if "mapping values are not allowed" in str(exc):
            hint = " (a text value containing ': ' must be quoted)"
        problems.append(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}{hint}.")
        return None


# --------------------------------------------------------------------------- problems


def _entry_name(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for key in _ENTRY_KEYS:
            value = item.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return str(value)
    return None


def location_label(raw: Any, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as ``rule #3 (id 'x'): field 'width.value_m'``.

    The first list index in the location names the entry (its 1-based position and its
    id or name from the raw document); the rest is the field path.
    """
    parts: list[str] = []
    rest = list(loc)
    for i in range(len(rest) - 1):
        key, idx = rest[i], rest[i + 1]
        if isinstance(key, str) and isinstance(idx, int):
            node: Any = raw
            with contextlib.suppress(KeyError, IndexError, TypeError):
                for step in rest[: i + 2]:
                    node = node[step]
            name = _entry_name(node)
            prefix = ".".join(str(p) for p in rest[:i])
            label = _SINGULAR.get(key, f"{prefix + '.' if prefix else ''}{key}")
            parts.append(f"{label} #{idx + 1}" + (f" (id {name!r})" if name else ""))
            rest = rest[i + 2 :]
            break
    field_path = ".".join(str(p) for p in rest if p not in ("scheme", "external"))
    if field_path:
        parts.append(f"field '{field_path}'")
    return ", ".join(parts) if parts else "top level"


def validation_problems(path: Path, raw: Any, exc: ValidationError) -> list[str]:
    """One sentence per pydantic error: file, entry, field and what is wrong."""
    out = []
    for err in exc.errors():
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1]) if err["loc"] else ""
            msg = "unknown key (not in the schema; check the spelling)"
            if " " in key.strip():
                msg = (
                    "unknown key; it looks like text: a value containing ': ' or ', ' "
                    "inside {...} must be quoted"
                )
        out.append(f"{path.name}: {location_label(raw, tuple(err['loc']))}: {msg}.")
    return out


# --------------------------------------------------------------------------- loading


def load_model(
    path: str | Path,
    model: type[M],
    *,
    context: Mapping[str, Any] | None = None,
    error: type[AlmatySchemeError] = CatalogueError,
    hint: str | None = None,
) -> M:
    """Read the YAML file ``path`` into ``model``: the one loader of every data file.

    Parameters
    ----------
    context
        Validation context for the model's validators (e.g. ``base_layers``).
    error
        The exception raised (:class:`CatalogueError` for shipped files, a
        :class:`~almaty_scheme.errors.DataError` for a user's file).
    hint
        How to fix a missing file.

    Raises
    ------
    AlmatySchemeError
        Of type ``error``: the file is missing, not UTF-8 YAML, or breaks the schema;
        every problem is listed with file, entry and field.
    """
    p = Path(path)
    if not p.is_file():
        raise error(
            f"{p.name} not found at {p}",
            [hint or f"Restore {p.name} (reinstall almaty-scheme) or give another path."],
        )
    problems: list[str] = []
    raw = read_yaml(p, problems)
    if problems:
        raise error(f"{p.name} cannot be read", problems)
    try:
        return model.model_validate(raw, context=dict(context or {}))
    except ValidationError as exc:
        found = validation_problems(p, raw, exc)
        raise error(f"{p.name} is invalid ({len(found)} problem(s))", found) from None


__all__ = ["enclosing_item", "load_model", "location_label", "read_yaml", "validation_problems"]
