"""Simulated detector images with Gaussian spots of known centre (for the demo, tests and benches)."""
from __future__ import annotations

import numpy as np
from scipy.special import erf

__all__ = ["simulate_still", "tile_shoeboxes"]


def simulate_still(shape=(512, 512), n_spots=60, intensity=(2000, 20000), sigma=1.0, background=1.0,
                   gap_rows=(), seed=0):
    """A Poisson image (int32, slow × fast) with pixel-integrated Gaussian spots.

    Returns (image, centres (n, 2) as (x, y) in px with pixel centres at i + 0.5,
    intensities).  Rows in ``gap_rows`` are set to −1 (a module gap).
    """
    rng = np.random.default_rng(seed)
    H, W = shape
    margin = 12
    # spots on a jittered grid so they never overlap
    g = int(np.ceil(np.sqrt(n_spots)))
    cy = np.linspace(margin, H - margin, g)[:, None] * np.ones(g)
    cx = np.ones(g)[:, None] * np.linspace(margin, W - margin, g)
    pos = np.stack([cx.ravel(), cy.ravel()], axis=1)[:n_spots] + rng.uniform(-0.5, 0.5, (n_spots, 2))
    amp = rng.uniform(intensity[0], intensity[1], n_spots)
    img = np.full(shape, float(background))
    r = int(np.ceil(5 * sigma)) + 1
    ks = np.arange(-r, r + 1)
    for (x, y), a in zip(pos, amp):  # one small stamp per spot (n_spots is small)
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        xs, ys = x0 + ks, y0 + ks
        fx = 0.5 * (erf((xs + 1 - x) / (np.sqrt(2) * sigma)) - erf((xs - x) / (np.sqrt(2) * sigma)))
        fy = 0.5 * (erf((ys + 1 - y) / (np.sqrt(2) * sigma)) - erf((ys - y) / (np.sqrt(2) * sigma)))
        img[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1] += a * np.outer(fy, fx)
    out = rng.poisson(img).astype(np.int32)
    for row in gap_rows:
        out[row] = -1
    return out, pos, amp


def tile_shoeboxes(sb, n_rows: int):
    """A ShoeboxColumn of ``n_rows`` rows made by repeating the rows of ``sb`` (for benchmarks)."""
    reps = int(np.ceil(n_rows / len(sb)))
    idx = np.tile(np.arange(len(sb)), reps)[:n_rows]
    return sb.select(idx)
