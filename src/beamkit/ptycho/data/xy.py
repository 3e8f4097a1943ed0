"""Scan patterns (pure functions).  Positions are (N, 2) float arrays, column 0 the
vertical (row) coordinate and column 1 the horizontal one, in the unit of the inputs (m)."""
from __future__ import annotations

import numpy as np

from ...errors import ParameterError

__all__ = ["round_scan", "raster_scan", "spiral_scan", "square_filter", "moonflower_positions",
           "from_pars", "augment"]


def round_scan(step: float, nshells: int, first: int = 5) -> np.ndarray:
    """Concentric shells: the origin, then shell k (1..nshells) of ``first*k`` points at radius k*step."""
    shells = np.arange(1, int(nshells) + 1)
    counts = first * shells                              # points per shell
    k = np.repeat(shells, counts)
    n = first * k
    j = np.arange(len(k)) - np.repeat(np.cumsum(counts) - counts, counts)   # index within the shell
    th = 2 * np.pi * j / np.maximum(n, 1)
    r = k * float(step)
    pts = np.stack([r * np.sin(th), r * np.cos(th)], axis=1)
    return np.concatenate([np.zeros((1, 2)), pts]) if len(pts) else np.zeros((1, 2))


def raster_scan(step, nsteps) -> np.ndarray:
    """Row-major raster of nsteps[0] x nsteps[1] points spaced by step (scalar or (dy, dx)), starting at 0."""
    dy, dx = np.broadcast_to(np.asarray(step, float), (2,))
    ny, nx = np.broadcast_to(np.asarray(nsteps, int), (2,))
    yy, xx = np.meshgrid(np.arange(ny) * dy, np.arange(nx) * dx, indexing="ij")
    return np.stack([yy.ravel(), xx.ravel()], axis=1)


def spiral_scan(step: float, radius: float) -> np.ndarray:
    """Fermat-like spiral with about one point per step**2 of area, out to ``radius``."""
    step, radius = float(step), float(radius)
    n = max(1, int(np.floor(np.pi * (radius / step) ** 2)) + 1)
    i = np.arange(n)
    r = step * np.sqrt(i / np.pi)
    th = i * np.pi * (3 - np.sqrt(5))
    pts = np.stack([r * np.sin(th), r * np.cos(th)], axis=1)
    return pts[r <= radius]


def square_filter(pos: np.ndarray, half_width) -> np.ndarray:
    """Keep positions with |y| <= half_width[0] and |x| <= half_width[1] (inclusive)."""
    hw = np.broadcast_to(np.asarray(half_width, float), (2,))
    return pos[(np.abs(pos) <= hw).all(axis=1)]


def moonflower_positions(num_frames: int, step: float, model: str = "round"):
    """Positions of ptypy's MoonFlowerScan/QuickScan (m) and the frame count actually produced.

    raster: (round(sqrt(n)) + 1)**2 points; round/spiral: shells or spiral out to
    extent/2 with extent = round(sqrt(n) + 1) * step, cut to the square of that half-width
    and truncated to ``num_frames``.
    """
    n = int(num_frames)
    if n < 1:
        raise ParameterError("num_frames", ">= 1", n)
    if model == "raster":
        steps = int(round(np.sqrt(n))) + 1
        pos = raster_scan(step, (steps, steps))
        return pos, len(pos)
    steps = int(round(np.sqrt(n) + 1))
    extent = steps * step
    if model == "round":
        pos = round_scan(step, steps // 2 + 1)
    elif model == "spiral":
        pos = spiral_scan(step, extent / 2)
    else:
        raise ParameterError("model", "'round', 'raster' or 'spiral'", model)
    pos = square_filter(pos, extent / 2)[:n]
    return pos, len(pos)


def augment(pos: np.ndarray, offset=0.0, jitter=None, count=None, rng=None) -> np.ndarray:
    """Add ``offset``, uniform random ``jitter`` (+-jitter/2) and keep the first ``count`` positions."""
    pos = np.asarray(pos, float) + np.broadcast_to(np.asarray(offset, float), (2,))
    if jitter:
        rng = np.random.default_rng() if rng is None else rng
        pos = pos + (rng.random(pos.shape) - 0.5) * np.broadcast_to(np.asarray(jitter, float), (2,))
    if count is not None:
        pos = pos[: int(count)]
    return pos


def from_pars(xy) -> np.ndarray:
    """Positions (m) from an ``xy`` sub-tree: model None/'round'/'raster'/'spiral'/array,
    spacing, steps, extent, offset, jitter, count, override."""
    get = (lambda k, d=None: xy.get(k, d)) if hasattr(xy, "get") else (lambda k, d=None: d)
    if get("override") is not None:
        return np.asarray(get("override"), float).reshape(-1, 2)
    model = get("model", None)
    if model is None:
        return None
    if not isinstance(model, str):
        pos = np.asarray(model, float)
        if pos.ndim != 2 or pos.shape[1] != 2:
            raise ParameterError("xy.model", "'round', 'raster', 'spiral' or an (N, 2) array", pos.shape)
    else:
        spacing = np.broadcast_to(np.asarray(get("spacing", 1.5e-6), float), (2,))
        steps = np.broadcast_to(np.asarray(get("steps", 10), int), (2,))
        extent = get("extent", None)
        ext = np.broadcast_to(np.asarray(extent if extent is not None else spacing * steps, float), (2,))
        if model == "raster":
            pos = raster_scan(spacing, steps)
            pos = pos - pos.mean(axis=0)
        elif model == "round":
            nsh = int(np.ceil(ext.max() / 2 / spacing[0])) + 1
            pos = square_filter(round_scan(spacing[0], nsh), ext / 2)
        elif model == "spiral":
            pos = square_filter(spiral_scan(spacing[0], ext.max() / 2), ext / 2)
        else:
            raise ParameterError("xy.model", "None, 'round', 'raster', 'spiral' or an (N, 2) array", model)
    return augment(pos, get("offset", 0.0) or 0.0, get("jitter", None), get("count", None))
