"""The parcel compliance engine.

The package is also the public function ``almaty_scheme.check(...)``
(:func:`almaty_scheme.api.check`; see :mod:`almaty_scheme.callable_module`).
"""

from almaty_scheme.callable_module import make_callable

make_callable(__name__, "almaty_scheme.api", "check")
