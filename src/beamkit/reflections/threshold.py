"""DIALS' spot-finding thresholds ``dispersion`` and ``dispersion_extended`` (notes/dials.md §6.3-6.6).

Local sums over a (2a+1)×(2b+1) window clipped at the image edge come from
summed-area tables (exact int64 for integer images).  ``kernel_size = (a, b)``
is (slow/y, fast/x) half-sizes, as in DIALS.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import ParameterError

__all__ = ["box_sum", "local_sums", "dispersion", "dispersion_extended", "threshold_image"]

_MAX_VALUE = 2 ** 24


def _clipped_diff(cs: np.ndarray, h: int, axis: int) -> np.ndarray:
    """out[i] = cs[min(i+h+1, L)] - cs[max(i-h, 0)] along ``axis`` (0 or 1; cs has L+1 entries there)."""
    L = cs.shape[axis] - 1

    def sl(a, b):
        return (slice(a, b), slice(None)) if axis == 0 else (slice(None), slice(a, b))
    if 2 * h + 1 >= L:  # window covers most of the axis: plain index form
        i = np.arange(L)
        return np.take(cs, np.minimum(i + h + 1, L), axis=axis) - np.take(cs, np.maximum(i - h, 0), axis=axis)
    shape = list(cs.shape)
    shape[axis] = L
    out = np.empty(shape, cs.dtype)
    k = L - h  # first index whose upper bound is clipped
    out[sl(0, k)] = cs[sl(h + 1, L + 1)]
    out[sl(k, L)] = cs[sl(L, L + 1)]
    np.subtract(out[sl(h, L)], cs[sl(0, L - h)], out=out[sl(h, L)])
    out[sl(0, h)] -= cs[sl(0, 1)]
    return out


def box_sum(a: np.ndarray, half) -> np.ndarray:
    """Sum of ``a`` over the window of half-sizes ``half`` = (hy, hx), clipped at the edges."""
    hy, hx = int(half[0]), int(half[1])
    H, W = a.shape
    cs = np.zeros((H + 1, W), a.dtype)
    np.cumsum(a, axis=0, out=cs[1:])
    rows = _clipped_diff(cs, hy, 0)
    cs2 = np.zeros((H, W + 1), a.dtype)
    np.cumsum(rows, axis=1, out=cs2[:, 1:])
    return _clipped_diff(cs2, hx, 1)


def local_sums(image: np.ndarray, mask: np.ndarray, half, squares: bool = True):
    """(n, S1, S2) over the window using pixels with mask and value < 2^24 (S2 None unless ``squares``)."""
    use = mask & (image < _MAX_VALUE)
    integer = np.issubdtype(image.dtype, np.integer) or bool(np.all(np.mod(image[use], 1) == 0))
    v = np.where(use, image, 0)
    n = box_sum(use.view(np.uint8).astype(np.int32), half)
    if integer:  # exact integer sums; int32 when even the whole-image sum fits
        total = int(np.abs(v).sum(dtype=np.int64))
        s1 = box_sum(v.astype(np.int32 if total < 2**31 else np.int64), half)
        v64 = v.astype(np.int64)
        s2 = box_sum(v64 * v64, half) if squares else None
    else:
        vf = v.astype(np.float64)
        s1 = box_sum(vf, half)
        s2 = box_sum(vf * vf, half) if squares else None
    return n, s1, s2


def _check(kernel_size, min_local):
    a, b = (int(k) for k in kernel_size)
    if a < 0 or b < 0:
        raise ParameterError("kernel_size", "two non-negative half-sizes (slow, fast)", kernel_size)
    full = (2 * a + 1) * (2 * b + 1)
    ml = full if min_local <= 0 else int(min_local)
    if not 1 < ml <= full and min_local > 0:
        raise ParameterError("min_local", f"1 < min_local <= {full} (or <= 0 for the full kernel)", min_local)
    return (a, b), ml


def _dispersion_test(n, s1, s2, gain, sigma_b):
    nf = n.astype(np.float64)
    s1f = s1.astype(np.float64)
    s1l = s1.astype(np.int64) if s1.dtype.kind == "i" else s1f
    lhs = (n * s2 - s1l * s1l).astype(np.float64)
    rhs = gain * s1f * ((nf - 1) + sigma_b * np.sqrt(np.maximum(2 * (nf - 1), 0)))
    return lhs > rhs


def dispersion(image, mask, gain=1.0, kernel_size=(3, 3), sigma_background=6.0, sigma_strong=3.0,
               min_local=2, global_threshold=0.0) -> np.ndarray:
    """Classic dispersion threshold: boolean strong-pixel mask (§6.5)."""
    half, ml = _check(kernel_size, min_local)
    img = np.asarray(image)
    mask = np.asarray(mask, bool)
    n, s1, s2 = local_sums(img, mask, half)
    ok = mask & (n >= ml) & (s1 >= 0) & (img > global_threshold)
    disp = _dispersion_test(n, s1, s2, gain, sigma_background)
    v = img.astype(np.float64)
    strong = (n * v - s1) > sigma_strong * np.sqrt(np.maximum(gain * s1 * n, 0).astype(np.float64))
    return ok & disp & strong


def dispersion_extended(image, mask, gain=1.0, kernel_size=(3, 3), sigma_background=6.0, sigma_strong=3.0,
                        min_local=2, global_threshold=0.0) -> np.ndarray:
    """Extended dispersion threshold (DIALS' default): boolean strong-pixel mask (§6.6)."""
    half, ml = _check(kernel_size, min_local)
    img = np.asarray(image)
    mask = np.asarray(mask, bool)
    n, s1, s2 = local_sums(img, mask, half)
    core = (n >= ml) & (s1 >= 0)
    D = np.where(mask, core & _dispersion_test(n, s1, s2, gain, sigma_background), True)
    dist = ndimage.distance_transform_cdt(D, metric="chessboard")
    e = min(half)
    B = mask & ~(D & (dist >= e))
    half2 = (half[0] + 2, half[1] + 2)
    cand = mask & ~B & (img > global_threshold)  # only these can be strong
    out = np.zeros(img.shape, bool)
    ys, xs = np.nonzero(cand)
    if ys.size * (2 * half2[0] + 1) * (2 * half2[1] + 1) > img.size:  # dense: full summed-area tables
        n2, s12, _ = local_sums(img, B, half2, squares=False)
        n2, s12 = n2[ys, xs], s12[ys, xs]
    else:
        n2, s12 = window_sums_at(img, B, half2, ys, xs)
    mean = np.where(n2 >= 2, s12 / np.maximum(n2, 1), 0.0)
    v = img[ys, xs].astype(np.float64)
    ok = (s12 >= 0) & (v >= mean + sigma_strong * np.sqrt(np.maximum(gain * mean, 0)))
    out[ys[ok], xs[ok]] = True
    return out


def window_sums_at(image, mask, half, ys, xs):
    """(n, S1) over the clipped window around each pixel (ys, xs), using mask and value < 2^24."""
    hy, hx = half
    H, W = image.shape
    dy, dx = np.mgrid[-hy:hy + 1, -hx:hx + 1]
    yy = ys[:, None] + dy.ravel()
    xx = xs[:, None] + dx.ravel()
    inside = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
    yy, xx = np.clip(yy, 0, H - 1), np.clip(xx, 0, W - 1)
    vals = image[yy, xx]
    use = inside & mask[yy, xx] & (vals < _MAX_VALUE)
    n = use.sum(axis=1)
    if np.issubdtype(image.dtype, np.integer):
        s1 = np.where(use, vals, 0).sum(axis=1, dtype=np.int64)
    else:
        s1 = np.where(use, vals, 0).astype(np.float64).sum(axis=1)
    return n, s1


def threshold_image(image, mask, algorithm="dispersion_extended", **params) -> np.ndarray:
    """Strong-pixel mask of one image with the named algorithm."""
    if algorithm == "dispersion":
        return dispersion(image, mask, **params)
    if algorithm == "dispersion_extended":
        return dispersion_extended(image, mask, **params)
    raise ParameterError("threshold.algorithm", "dispersion or dispersion_extended", algorithm)
