"""``beamkit demo`` part for the core: parameter tree, stack, table, parallel map, remote server.

Everything runs on data generated here: the settings come from a small typed
parameter tree (saved as ``settings.yaml``), a batch of simulated 1-d "frames"
is kept as a labelled stack (``frames.h5``) and reduced in parallel, the
results go into a columnar table (``peaks.h5``), and the frames travel through
the ZeroMQ object server and back.  Plots go to ``frames.png``.
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


def settings_tree():
    """The demo's settings, declared once on the core parameter tree."""
    from .params import DescriptorTree
    tree = DescriptorTree("demo")
    tree.declare("frames.count", type="int", default=64, lowlim=1, uplim=4096, help="number of frames")
    tree.declare("frames.size", type="int", default=512, lowlim=64, help="pixels per frame")
    tree.declare("frames.sigma", type="float", default=6.0, lowlim=0.5, help="peak width (px)")
    tree.declare("frames.peak", type="float", default=400.0, lowlim=0, help="peak height (counts)")
    tree.declare("frames.background", type="float", default=5.0, lowlim=0, help="flat background (counts)")
    tree.declare("frames.seed", type="int", default=7, help="random seed")
    return tree


def _frames(count=64, size=512, sigma=6.0, peak=400.0, background=5.0, seed=7):
    """``count`` Poisson-noisy Gaussian peaks on a flat background; returns (frames, true centres)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.3 * size, 0.7 * size, count)
    x = np.arange(size)
    model = background + peak * np.exp(-0.5 * ((x[None, :] - centres[:, None]) / sigma) ** 2)
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
    from .params import Param
    from .remote import Proxy, Server
    from .stack import Stack
    from .table import Table

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    p = settings_tree().resolve(Param())
    p.save(out / "settings.yaml")
    frames, centres = _frames(**Param.load(out / "settings.yaml").frames)
    stack = Stack(frames, labels=["frame", "x"], lengths=[float(len(frames)), frames.shape[1] * 55e-6],
                  units=["", "m"], name="frames", description="simulated 1-d frames")
    stack.save_hdf5(out / "frames.h5")

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
    a1.set(xlabel="pixel", ylabel=f"counts (sum of {len(frames)} frames)", title="frames summed over core.remote")
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
        "files": ["settings.yaml", "frames.h5", "peaks.h5", "frames.png", "core.json"],
    }
    with atomic_write(out / "core.json", "w") as fh:
        json.dump(res, fh, indent=2)
    return res
