"""Text helpers for feature attributes and readings (safe with NA/NaN/None)."""

from __future__ import annotations

from typing import Any


def text(value: Any, default: str | None = None) -> str | None:
    """``value`` if it is a non-empty string, else ``default`` (safe with NA/NaN/None)."""
    if isinstance(value, str) and value.strip():
        return value
    return default


def join_reading(*parts: str | None) -> str | None:
    """Join reading fragments with '; ' (skipping empty ones and duplicates)."""
    seen: list[str] = []
    for p in parts:
        if p and p.strip() and p.strip() not in seen:
            seen.append(p.strip())
    return "; ".join(seen) if seen else None
