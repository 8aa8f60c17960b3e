"""The small exception hierarchy of almaty-scheme.

Every error the library raises on purpose derives from :class:`AlmatySchemeError`.
The CLI maps :class:`UsageError` to exit code 2 and every other
:class:`AlmatySchemeError` to exit code 1; anything else is a bug.

Errors that collect several problems (validation at the boundary) carry them in
``problems`` so that a user sees all of them at once, each with how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable


class AlmatySchemeError(Exception):
    """Base class for all deliberate errors of the toolkit.

    Parameters
    ----------
    message
        One-line summary.
    problems
        Individual problems, each a full sentence that says what is wrong and how to fix it.
    """

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems: list[str] = list(problems)
        self.summary = message
        text = message
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


class UsageError(AlmatySchemeError):
    """The user asked for something impossible (bad option combination, unknown id)."""


class CatalogueError(AlmatySchemeError):
    """The rule catalogue (``layers/*.yaml`` and CSVs) is malformed or inconsistent."""


class DataError(AlmatySchemeError):
    """Input data cannot be used: unreadable file, missing CRS, wrong geometry type..."""


class CRSError(DataError):
    """A dataset has no CRS, an unusable CRS, or a geographic CRS where metres are needed."""


class OutputExistsError(UsageError):
    """An output file exists and ``overwrite`` was not requested."""


class ProcessingError(AlmatySchemeError):
    """A computation failed on valid input (e.g. a raster operation); a bug or an edge case."""
