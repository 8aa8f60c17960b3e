"""Where the shipped data lives: the rule catalogue (``layers/``) and styles (``styles/``).

In a wheel they are package data under ``almaty_scheme/_data/``; in a source checkout
(editable install, tests) they are the top-level ``layers/`` and ``styles/`` folders.
The environment variables ``ALMATY_SCHEME_LAYERS`` and ``ALMATY_SCHEME_STYLES``
override both. The reference open data is never shipped: it is read from
``ALMATY_SCHEME_DATA`` or ``../shared/data`` next to the checkout.
"""

from __future__ import annotations

from pathlib import Path

from almaty_scheme import settings

_PKG = Path(__file__).resolve().parent


def _locate(kind: str, override: Path | None) -> Path:
    if override is not None:
        return override
    packaged = _PKG / "_data" / kind
    if packaged.is_dir():
        return packaged
    checkout = _PKG.parents[1] / kind  # src/almaty_scheme -> repository root
    return checkout


def layers_dir() -> Path:
    """Directory of the rule catalogue (YAML + CSV)."""
    return _locate("layers", settings.current().layers_dir)


def styles_dir() -> Path:
    """Directory of the QML/SLD styles."""
    return _locate("styles", settings.current().styles_dir)


def repo_root() -> Path | None:
    """Repository root when running from a checkout, else ``None``."""
    root = _PKG.parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def default_data_dir() -> Path:
    """Default directory of the reference open data (``../shared/data`` beside the checkout).

    Order: ``$ALMATY_SCHEME_DATA``; ``<repo>/../shared/data``; ``./../shared/data``
    relative to the current directory.
    """
    env = settings.current().data_dir
    if env is not None:
        return env
    root = repo_root()
    if root is not None and (root.parent / "shared" / "data").is_dir():
        return root.parent / "shared" / "data"
    return Path.cwd().parent / "shared" / "data"


def default_seed_path() -> Path:
    """The scheme's text (Russian), used by the catalogue's quote checks."""
    env = settings.current().seed_path
    if env is not None:
        return env
    return default_data_dir().parent / "seeds" / "000_1955661b31950516.txt"
