"""The garbage collector of a serving process, settled once the process has started.

A hub worker builds most of its objects before it serves: modules, the catalogue, the
reference lists, the routes and their models, the pools. CPython's cyclic collector scans
them again at every full collection, and with the default thresholds a process answering a
few hundred requests a second makes several full collections a minute (objects of requests
still in flight survive the frequent young collections and are promoted), each a pause of
the event loop that every request in flight waits through: the tail of the latencies.

``settle`` is called once the worker has started: a last full collection, then everything
alive is moved out of the collector's sight (``gc.freeze``: it is still freed by reference
counting, only no longer scanned for cycles), and the young generation is collected less
often, so that a request's objects are usually gone before a collection comes.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations of containers between two young collections (default 700)
MIDDLE_THRESHOLD = 10  # young collections between two middle ones (the default)
OLD_THRESHOLD = 10  # middle collections between two full ones (the default)


def settle() -> None:
    """Collect once, freeze what the start built, and space the young collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
