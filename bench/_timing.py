"""Timing helpers shared by the benchmarks (run as ``python bench/bench_<topic>.py``)."""
from __future__ import annotations

import time


def timed(fn, repeat: int = 5):
    """(best wall time of ``repeat`` calls of ``fn()`` in seconds, the last call's result)."""
    ts, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), out


def best(fn, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls of ``fn()``, in seconds."""
    return timed(fn, repeat)[0]
