"""Run per-view work over chunks of views on a thread pool (numpy releases the GIL).

Chunks keep the working set of one task in cache (a few MB) and use every core; on the
CuPy backend there is one chunk with everything.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["ChunkRunner"]

_POOL = None


def _pool():
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="beamkit-ptycho")
    return _POOL


class ChunkRunner:
    """Split ``n`` views into chunks of about ``target_bytes`` (per-view cost ``bytes_per_view``)."""

    def __init__(self, n: int, bytes_per_view: int, gpu: bool = False, target_bytes: int = 4 << 20,
                 threads: int | None = None, max_chunks: int | None = None):
        self.n = int(n)
        self.threads = 1 if gpu else max(1, threads or os.cpu_count() or 1)
        if gpu or self.n == 0:
            size = max(self.n, 1)
        else:
            size = max(1, int(target_bytes // max(bytes_per_view, 1)))
            size = min(size, max(1, -(-self.n // self.threads)))
            if max_chunks:
                size = max(size, -(-self.n // max_chunks))
        self.bounds = [(s, min(s + size, self.n)) for s in range(0, self.n, size)] or [(0, 0)]

    def map(self, func):
        """[func(start, stop) for each chunk], in order, on the pool."""
        if self.threads == 1 or len(self.bounds) == 1:
            return [func(s, e) for s, e in self.bounds]
        return list(_pool().map(lambda b: func(*b), self.bounds))
