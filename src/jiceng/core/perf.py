"""Small helpers for the few code paths that build many objects per request."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused for the block.

    A view of thousands of units builds tens of thousands of small rows; each few hundred
    allocations would start a collection that walks them (and the whole process) again,
    about half the time of such a request. Reference counting still frees everything;
    cycles made in the block are collected once it ends. Nested or concurrent uses keep
    the collector off until the outermost block that paused it ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
