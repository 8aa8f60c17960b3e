"""almaty-scheme: the Almaty agglomeration scheme (decree No. 514 of 13 Aug 2020) as GIS data.

The library owns all logic; :mod:`almaty_scheme.cli` is a thin shell over it.
The library logs through :mod:`logging` (logger ``almaty_scheme``) and never prints.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
