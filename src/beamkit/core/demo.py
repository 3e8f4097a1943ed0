"""``beamkit demo`` part for the core: table, parallel map, remote object server, atomic files.

Everything runs on data generated here: a synthetic peak list (table), a batch of
simulated 1-d "frames" reduced in parallel, and an array sent through the
ZeroMQ object server and back.  It writes ``peaks.h5``, ``frames.png`` and
``core.json`` into ``outdir``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

__all__ = ["run"]


def _centroid(frame: np.ndarray) -> float:
    """Centroid (pixels) of a 1-d frame above its median background, within 25 px of its maximum."""
    x = np.arange(frame.size, dtype=float)
    near = np.abs(x - np.argmax(frame)) <= 25
    signal = np.clip(frame - np.median(frame), 0.0, None) * near
    return float((signal * x).sum() / signal.sum())


def _frames(n: int = 64, size: int = 512, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """``n`` Poisson-noisy Gaussian peaks on a flat background; returns (frames, true centres)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.3 * size, 0.7 * size, n)
    x = np.arange(size)
    model = 5.0 + 400.0 * np.exp(-0.5 * ((x[None, :] - centres[:, None]) / 6.0) ** 2)
    return rng.poisson(model).astype(np.float64), centres


class _Echo:
    """The object the demo serves remotely."""

    def __init__(self):
        self.calls = 0

    def total(self, arr):
        self.calls += 1
        return np.asarray(arr).sum(axis=0)


def run(outdir) -> dict:
    """Run the core demo into ``outdir``; returns a summary dict."""
    from .files import atomic_path, atomic_write
    from .parallel import pmap
    from .remote import Proxy, Server
    from .table import Table

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    frames, centres = _frames()

    # parallel reduction (serial path: the demo must stay fast on small machines)
    t0 = time.perf_counter()
    found = np.array(pmap(_centroid, list(frames), processes=1, desc="centroids", progress=False))
    t_map = time.perf_counter() - t0

    # a columnar table of the results, saved to HDF5 and read back
    table = Table({"frame": np.arange(len(found)), "centroid": found, "true": centres,
                   "xy": np.stack([found, np.zeros_like(found)], axis=1)})
    table.sort("centroid")
    table.save_hdf5(out / "peaks.h5")
    back = Table.load_hdf5(out / "peaks.h5")

    # remote: the frames travel to a server and their sum comes back
    with Server(_Echo(), methods=["total"], properties=["calls"]) as srv:
        with Proxy(srv.address, timeout=10.0) as px:
            t0 = time.perf_counter()
            remote_sum = px.total(frames)
            t_remote = time.perf_counter() - t0
            calls = px.calls
    assert np.array_equal(remote_sum, frames.sum(axis=0))

    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg",):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(remote_sum, lw=1)
    a1.set(xlabel="pixel", ylabel="counts (sum of 64 frames)", title="frames summed over core.remote")
    a2.plot(back["true"], back["centroid"] - back["true"], "o", ms=3)
    a2.axhline(0, color="k", lw=0.5)
    a2.set(xlabel="true centre (px)", ylabel="found - true (px)", title="centroids via core.parallel")
    fig.tight_layout()
    with atomic_path(out / "frames.png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)

    res = {
        "frames": int(len(frames)),
        "centroid_rms_error_px": float(np.sqrt(np.mean((back["centroid"] - back["true"]) ** 2))),
        "pmap_seconds": round(t_map, 4),
        "remote_roundtrip_seconds": round(t_remote, 4),
        "remote_calls": int(calls),
        "files": ["peaks.h5", "frames.png", "core.json"],
    }
    with atomic_write(out / "core.json", "w") as fh:
        json.dump(res, fh, indent=2)
    return res
