"""PNG plots for reflection data: a histogram, and spots drawn over a detector image."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.files import atomic_path

__all__ = ["plot_histogram", "plot_spots"]


def _pyplot():
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo") and not _backend_set():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _backend_set() -> bool:
    import os
    return bool(os.environ.get("MPLBACKEND"))


def plot_histogram(values, path, bins=10, xlabel="value", title="", value_range=None) -> Path:
    """Histogram of ``values`` as a PNG at ``path`` (atomic)."""
    plt = _pyplot()
    v = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(v, bins=bins, range=value_range, color="#3a7dbf", edgecolor="white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.set_title(title or f"{v.size} values")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path


def plot_spots(image, xyz, path, title="", crop=None) -> Path:
    """Detector image (log scale) with spot centroids ``xyz`` (px) circled; PNG at ``path``.

    ``crop`` = (x0, x1, y0, y1) limits the view in pixels.
    """
    plt = _pyplot()
    img = np.asarray(image, dtype=float)
    xyz = np.asarray(xyz, dtype=float).reshape(-1, 3)
    fig, ax = plt.subplots(figsize=(7, 7))
    shown = np.log1p(np.clip(img, 0, None))
    ax.imshow(shown, cmap="gray_r", origin="upper", vmax=np.percentile(shown, 99.9) if shown.size else 1,
              interpolation="nearest")
    ax.scatter(xyz[:, 0] - 0.5, xyz[:, 1] - 0.5, s=40, facecolors="none", edgecolors="red", linewidths=0.8)
    if crop is not None:
        ax.set_xlim(crop[0], crop[1])
        ax.set_ylim(crop[3], crop[2])
    ax.set_title(title or f"{xyz.shape[0]} spots")
    ax.set_xlabel("x (fast, px)")
    ax.set_ylabel("y (slow, px)")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path
