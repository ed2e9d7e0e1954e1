"""Python's cyclic garbage collector paused while a large piece of work builds objects
that live until it ends (a district's interest run, a PDF render).

Such work makes hundreds of thousands of objects that all stay alive until it is done;
the collector, left on, walks them again and again (10x district interest run: 1.4-3.2 s
of the run's 3-6 s of CPU in full collections; a yearly statement: a tenth of its
render). Reference counting still frees whatever the work drops; only reference cycles
(its own and, the switch being process-wide, other requests') wait until the last
paused piece of work ends, when the collector comes back on (if it was on) and makes
one pass over the youngest generation. One counter for the whole process, under a lock:
renders run in worker threads while batches run on the event loop.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """The collector off from the first of any overlapping pauses to the end of the last,
    then back as it was before the first (also when the work fails)."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            resume = _pauses == 0 and _was_enabled
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)
