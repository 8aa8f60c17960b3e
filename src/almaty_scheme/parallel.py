"""One launch of a parallel compiled kernel at a time, in the whole process.

numba runs a ``parallel=True`` kernel on its threading layer: TBB or OpenMP when the
machine has them, else its own ``workqueue``. The workqueue layer is not thread-safe:
two Python threads in parallel kernels at once make it abort the process ("Concurrent
access has been detected", exit 134), and numba falls back to it wherever neither
``libgomp`` nor TBB can be loaded (a ``python:3.11-slim`` image has neither). The check
calls parallel kernels from more than one thread: the thread that starts numba's
runtime early (:func:`~almaty_scheme.check.zones.start_kernel_runtime`) runs one while
the parcels are validated with the same kernel, and an analyst's script may check on
several threads. So every call of a parallel kernel goes through
:func:`parallel_launch`, on any threading layer: a kernel uses every thread numba has
anyway, so one at a time costs no throughput.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_LAUNCH = threading.Lock()


@contextlib.contextmanager
def parallel_launch() -> Iterator[None]:
    """Hold the process's one right to run a parallel compiled kernel for the block
    (wait while another thread runs one). Parallel kernels are not nested, so the lock
    is never taken twice by one thread."""
    with _LAUNCH:
        yield
