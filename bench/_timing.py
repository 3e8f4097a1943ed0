"""Timing helper shared by the benchmarks (run as ``python bench/bench_<topic>.py``)."""
from __future__ import annotations

import time


def best(fn, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls of ``fn()``, in seconds."""
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)
