"""Automatic pixel mask: outliers from the median of their 2θ ring (GSAS-II's GeneratePixelMask).

The 2θ range ``IOtth`` is cut into ``outChannels`` rings.  In each ring the
median and the median absolute deviation (scaled by 1.4826 to a normal σ) of the
unframed pixels are computed; a pixel is masked when it lies more than
``esdMul`` MADs from its ring's median.  Pixels outside IOtth, outside the
Frame, or in rings outside [SearchMin, SearchMax] are left unmasked.
All rings are processed at once with two sorts (no loop over rings).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["auto_pixel_mask", "fast_pixel_mask_available", "ring_median_mad"]

MAD_SCALE = 1.4826


def fast_pixel_mask_available() -> bool:
    """True: the vectorised mask below is always available (GSAS-II's fmask C module is not needed)."""
    return True


def _group_lower_median(keys: np.ndarray, values: np.ndarray, nbins: int):
    """Lower median (element (n-1)//2) of ``values`` per key, for input sorted by (key, value)."""
    counts = np.bincount(keys, minlength=nbins)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    med = np.full(nbins, np.nan)
    has = counts > 0
    med[has] = values[(starts + (counts - 1) // 2)[has]]
    return med, counts


def _sorted_by_bin(bins: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Integer ``values`` sorted by (bin, value) through one sort of packed 64-bit keys."""
    v = values.astype(np.int64)
    vmin = int(v.min()) if v.size else 0
    span = int(v.max()) - vmin + 1 if v.size else 1
    if span >= 2 ** 40 or bins.size and int(bins.max()) >= 2 ** 22:
        return v[np.lexsort((v, bins))]
    keys = np.sort((bins.astype(np.int64) << 40) + (v - vmin))
    return (keys & ((1 << 40) - 1)) + vmin


def ring_median_mad(bins: np.ndarray, values: np.ndarray, nbins: int):
    """Per-bin lower median and scaled MAD (1.4826 × lower median of |v − median|) of integer ``values``."""
    b_sorted = np.sort(bins)
    med, counts = _group_lower_median(b_sorted, _sorted_by_bin(bins, values).astype(np.float64), nbins)
    dev = np.abs(values - med[bins])
    mad, _ = _group_lower_median(b_sorted, _sorted_by_bin(bins, dev).astype(np.float64), nbins)
    return med, mad * MAD_SCALE, counts


def default_channels(controls: dict) -> int:
    """GSAS-II's number of rings: half the pixels spanned by IOtth along azimuth 0."""
    from .calibrate import conic_radius
    from .geometry import penetration

    c = controls
    dist = float(c["distance"])
    r = [conic_radius(t, 0.0, dist, float(c["tilt"]), float(c["rotation"]),
                      penetration(t, float(c.get("DetDepth", 0.0)), dist)) for t in c["IOtth"]]
    return max(int(1000.0 * (r[1] - r[0]) / float(c["pixelSize"][0])) // 2, 1)


def auto_pixel_mask(image, tth, controls: dict, esd_mul: float = 3.0, frame=None,
                    search_min: float = 0.0, search_max: float = 180.0, n_channels=None) -> np.ndarray:
    """Boolean mask (True = bad) of ring outliers; ``tth`` is the per-pixel 2θ map (deg).

    Medians are taken over all unframed pixels of each ring (rings with < 10
    pixels are skipped); only pixels with search_min <= 2θ <= search_max and
    inside IOtth are masked.  ``n_channels`` defaults to :func:`default_channels`.
    """
    img = np.asarray(image)
    if np.shape(tth) != img.shape:
        raise ParameterError("ThetaMap", f"a 2θ map of shape {img.shape}", np.shape(tth))
    if not esd_mul or esd_mul <= 0:
        raise ParameterError("esdMul", "a positive number of MADs", esd_mul)
    lo, hi = (float(v) for v in controls["IOtth"])
    nch = int(n_channels or default_channels(controls))
    dtth = (hi - lo) / nch
    t = np.asarray(tth).ravel()
    inside = (t >= lo) & (t < lo + nch * dtth)
    if frame is not None:
        inside &= ~np.asarray(frame, dtype=bool).ravel()
    sel = np.nonzero(inside)[0]
    b = np.minimum(((t[sel] - lo) / dtth).astype(np.int64), nch - 1)
    v = np.rint(img.ravel()[sel]).astype(np.int64) if img.dtype.kind == "f" else img.ravel()[sel].astype(np.int64)
    med, mad, counts = ring_median_mad(b, v, nch)
    start = lo + dtth * np.arange(nch)
    use = (counts >= 10) & (start + dtth >= search_min) & (start <= search_max)
    ts = t[sel]
    limit = (ts >= max(search_min, lo)) & (ts <= min(search_max, hi))
    bad = ((v > med[b] + esd_mul * mad[b]) | (v < med[b] - esd_mul * mad[b])) & use[b] & limit
    out = np.zeros(img.size, dtype=bool)
    out[sel[bad]] = True
    return out.reshape(img.shape)
