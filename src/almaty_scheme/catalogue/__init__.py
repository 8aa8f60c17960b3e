"""The rule catalogue: the scheme's spatial rules as versioned, schema-checked data."""

from almaty_scheme.callable_module import make_callable
from almaty_scheme.catalogue.loader import Catalogue, default_catalogue, load_catalogue
from almaty_scheme.catalogue.models import (
    ExternalSource,
    Finding,
    Interval,
    Regime,
    Rule,
    SchemeSource,
    Width,
)

__all__ = [
    "Catalogue",
    "ExternalSource",
    "Finding",
    "Interval",
    "Regime",
    "Rule",
    "SchemeSource",
    "Width",
    "default_catalogue",
    "load_catalogue",
]

make_callable(__name__, "almaty_scheme.api", "catalogue")  # almaty_scheme.catalogue(...)
