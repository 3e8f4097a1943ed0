"""Benchmark: beamkit.core.table select (boolean mask) and concat on 10^6 rows, against pandas.

Columns: float64 scalar, int32 scalar, uint64 flags, vec3 float64, Miller index int32 (n,3),
int6 bbox, mat3 float64, a short string; pandas holds the same data with vectors unpacked.
A ragged column (about 10 float32 per row) is timed separately (pandas has no such column).
Run: .venv/bin/python bench/bench_table.py [--rows N]
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from beamkit.core.table import RaggedColumn, Table
from _timing import best


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10**6)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    n = a.rows
    rng = np.random.default_rng(0)
    cols = {
        "intensity": rng.normal(size=n),
        "id": rng.integers(0, 5, n).astype(np.int32),
        "flags": rng.integers(0, 2**20, n).astype(np.uint64),
        "xyz": rng.normal(size=(n, 3)),
        "hkl": rng.integers(-50, 50, (n, 3)).astype(np.int32),
        "bbox": rng.integers(0, 2000, (n, 6)).astype(np.int32),
        "ub": rng.normal(size=(n, 3, 3)),
        "tag": np.array(["abc", "de", "fghij", "k"])[rng.integers(0, 4, n)],
    }
    t = Table(cols)
    df = t.to_pandas()
    mask = t["intensity"] > 0

    ts = best(lambda: t.select(mask), a.repeat)
    ps = best(lambda: df[mask], a.repeat)
    tc = best(lambda: Table.concat([t, t]), a.repeat)
    pc = best(lambda: pd.concat([df, df], ignore_index=True), a.repeat)

    lens = rng.integers(0, 21, n)
    rag = RaggedColumn.from_lengths(rng.normal(size=int(lens.sum())).astype(np.float32), lens)
    tr = Table({"rag": rag})
    rs = best(lambda: tr.select(mask), a.repeat)
    rc = best(lambda: Table.concat([tr, tr]), a.repeat)

    print(f"rows={n}, fixed-width columns: {len(cols)} ({df.shape[1]} pandas columns)")
    print(f"select(mask):  beamkit {ts*1e3:8.1f} ms   pandas {ps*1e3:8.1f} ms   ratio beamkit/pandas = {ts/ps:.2f}")
    print(f"concat([t,t]): beamkit {tc*1e3:8.1f} ms   pandas {pc*1e3:8.1f} ms   ratio beamkit/pandas = {tc/pc:.2f}")
    print(f"ragged column ({rag.flat.size} float32 items): select {rs*1e3:.1f} ms, concat {rc*1e3:.1f} ms")


if __name__ == "__main__":
    main()
