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


def available_memory(gpu: bool = False) -> int:
    """Free memory in bytes: the GPU's (CuPy) or the host's MemAvailable (Linux), else 4 GiB."""
    if gpu:
        try:
            import cupy
            return int(cupy.cuda.runtime.memGetInfo()[0])
        except Exception:
            return 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30


def engine_memory(n: int, K: int, shape, object_pixels: int, complex_bytes: int = 8) -> dict:
    """Bytes an engine holds for n frames with K pods each (exit waves, data, masks, temporaries)."""
    npx = int(shape[-2]) * int(shape[-1])
    real = complex_bytes // 2
    exits = 2 * n * K * npx * complex_bytes          # exit waves + real-space copy (DM/RAAR)
    data = 4 * n * npx * real                         # diff, mask, sqrt(diff), photon weights
    index = n * npx * 4 + n * npx * 12                # flat indices + sparse scatter matrix
    objects = 4 * object_pixels * complex_bytes
    return dict(exit_waves=exits, data=data, index=index, objects=objects, total=exits + data + index + objects)


def frames_per_block(n: int, K: int, shape, object_pixels: int, complex_bytes: int = 8, gpu: bool = False,
                     budget: int | None = None) -> int:
    """How many frames fit in ``budget`` bytes (default: 80 % of free memory); at least 1, at most n."""
    budget = int(0.8 * available_memory(gpu)) if budget is None else int(budget)
    per = engine_memory(1, K, shape, 0, complex_bytes)["total"]
    fixed = engine_memory(0, K, shape, object_pixels, complex_bytes)["total"]
    return int(max(1, min(n, (budget - fixed) // max(per, 1))))
