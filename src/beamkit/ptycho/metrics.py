"""Reconstruction quality against a ground truth: illumination-weighted NRMSE.

The metric of ``ptypy-data/README``: truth windows painted into the reconstruction's
object grid, weights = normalised fluence Σ|probe|² (below 0.1 set to 0), best integer
shift within ±``max_shift`` px, global complex factor removed.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["paint_truth", "fluence", "nrmse"]


def paint_truth(truth, truth_corners, recon_corners, frame_shape, obj_shape):
    """Paint truth windows (truth[c:c+N]) at ``recon_corners`` into an array of ``obj_shape``.

    Returns (painted complex array, covered bool mask). Vectorised over frames.
    """
    truth = np.asarray(truth)
    tc = np.asarray(truth_corners, int)
    rc = np.asarray(recon_corners, int)
    ny, nx = frame_shape
    ly, lx = obj_shape
    ay, ax = np.arange(ny), np.arange(nx)
    ty = (tc[:, 0, None] + ay)[:, :, None]
    tx = (tc[:, 1, None] + ax)[:, None, :]
    ry = (rc[:, 0, None] + ay)[:, :, None]
    rx = (rc[:, 1, None] + ax)[:, None, :]
    ok = (ty >= 0) & (ty < truth.shape[0]) & (tx >= 0) & (tx < truth.shape[1]) & \
         (ry >= 0) & (ry < ly) & (rx >= 0) & (rx < lx)
    ty, tx, ry, rx = np.broadcast_arrays(ty, tx, ry, rx)
    out = np.zeros(obj_shape, truth.dtype)
    cov = np.zeros(obj_shape, bool)
    out[ry[ok], rx[ok]] = truth[ty[ok], tx[ok]]
    cov[ry[ok], rx[ok]] = True
    return out, cov


def fluence(probe, corners, obj_shape, threshold=0.1):
    """Normalised illumination Σ|P|² over all views, zero below ``threshold``."""
    p = np.asarray(probe)
    I = (np.abs(p.reshape(-1, *p.shape[-2:])) ** 2).sum(axis=0)
    ny, nx = I.shape
    ly, lx = obj_shape
    c = np.asarray(corners, int)
    fy = (c[:, 0, None] + np.arange(ny))[:, :, None]
    fx = (c[:, 1, None] + np.arange(nx))[:, None, :]
    flat = (fy * lx + fx).ravel()
    w = np.bincount(flat, weights=np.broadcast_to(I, (len(c), ny, nx)).ravel(), minlength=ly * lx).reshape(ly, lx)
    w /= max(w.max(), 1e-300)
    w[w < threshold] = 0.0
    return w


def nrmse(obj, truth_painted, weights, max_shift=16):
    """min over integer shifts |s| ≤ max_shift of sqrt(Σw|cO − T|²/Σw|T|²); returns (value, (dy, dx))."""
    O = np.asarray(obj)
    if O.ndim == 3:
        O = O[0]
    T = np.asarray(truth_painted)
    w = np.asarray(weights, float)
    if O.shape != T.shape or w.shape != T.shape:
        raise ParameterError("nrmse", f"object, truth and weights of one shape {T.shape}", (O.shape, w.shape))
    best = (np.inf, (0, 0))
    ly, lx = T.shape
    wT = (w * np.abs(T) ** 2).sum()
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            # reconstruction shifted by (dy, dx): compare O[y+dy, x+dx] with T[y, x]
            ys = slice(max(0, -dy), min(ly, ly - dy)); xs = slice(max(0, -dx), min(lx, lx - dx))
            yo = slice(ys.start + dy, ys.stop + dy); xo = slice(xs.start + dx, xs.stop + dx)
            o, t, ww = O[yo, xo], T[ys, xs], w[ys, xs]
            den = (ww * np.abs(o) ** 2).sum()
            if den <= 0:
                continue
            c = (ww * np.conj(o) * t).sum() / den
            r = (ww * np.abs(c * o - t) ** 2).sum() / wT
            if r < best[0]:
                best = (float(r), (dy, dx))
    return float(np.sqrt(best[0])), best[1]
