"""Numerical and script helpers of ``u`` (ptypy's ``utils.math_utils``, ``array_utils`` masks and
``utils.scripts`` semantics).

Part of :mod:`beamkit.ptycho.utils`; import them from there.  Lengths are in pixels unless a
docstring says otherwise; energies in keV, wavelengths in m.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.special import erf

from ..errors import ParameterError
from .utils_array import expect2, grids, mass_center

__all__ = ["smooth_step", "gaussian", "gauss_fwhm", "gaussian2D", "rl_deconvolution", "rectangle", "ellipsis",
           "electron_wavelength", "radial_distribution", "remove_hot_pixels", "hdr_image", "xradia_star",
           "phase_from_dpc", "stxm_analysis", "stxm_init", "diversify"]

# erf argument scale: ptypy's smooth step uses 2.35 (about 2*sqrt(2 ln 2)) over the width
_FWHM_SCALE = 2.35


# ---------------------------------------------------------------------------- profiles
def smooth_step(x, mfs):
    """Smoothed step 0.5 + 0.5*erf(2.35*x/mfs): 0 for x << 0, 1 for x >> 0, 0.5 at x = 0.

    ``mfs`` is the edge width (same unit as ``x``, e.g. m or px)."""
    return 0.5 * erf(np.asarray(x) * _FWHM_SCALE / mfs) + 0.5


def gaussian(x, std=1.0, off=0.0):
    """Normalised Gaussian exp(-(x-off)**2/(2 std**2)) / (std*sqrt(2 pi)) (``std``, ``off`` in the
    unit of ``x``)."""
    x = np.asarray(x)
    return np.exp(-(x - off) ** 2 / (2.0 * std ** 2)) / (std * np.sqrt(2.0 * np.pi))


def gauss_fwhm(x, fwhm=1.0, off=0.0):
    """:func:`gaussian` of full width at half maximum ``fwhm`` (std = fwhm / (2 sqrt(2 ln 2)))."""
    return gaussian(x, fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0))), off)


def gaussian2D(size, std_x=1.0, std_y=1.0, off_x=0.0, off_y=0.0):
    """(size, size) normalised 2-D Gaussian, origin at pixel (size//2, size//2); stds and offsets
    in px (x: columns, y: rows)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise ParameterError("size", "an integer array length", size)
    c = np.arange(size) - size // 2
    gy = np.exp(-(c - off_y) ** 2 / (2.0 * std_y ** 2))
    gx = np.exp(-(c - off_x) ** 2 / (2.0 * std_x ** 2))
    return gy[:, None] * gx[None, :] / (2.0 * np.pi * std_x * std_y)


def rl_deconvolution(data, mtf, numiter):
    """Richardson-Lucy deconvolution of the 2-D intensity ``data`` by the (unshifted, symmetric)
    modulation transfer function ``mtf`` (DC at [0, 0]) for ``numiter`` iterations."""
    data = np.asarray(data)
    mtf = np.asarray(mtf)

    def conv(a):
        return np.abs(np.fft.ifft2(np.fft.fft2(a) * mtf)).astype(a.dtype)

    est = data.copy()
    for _ in range(int(numiter)):
        est *= conv(data / (conv(est) + 1e-6))
    return est


# ---------------------------------------------------------------------------- masks
def _dims(grids_, dims):
    g = np.asarray(grids_)
    if dims is None:
        return g, (g.shape[-2] / 2.0, g.shape[-1] / 2.0)
    return g, tuple(np.broadcast_to(np.asarray(dims, float), (2,)))


def rectangle(grids, dims=None, ew=2):
    """Smooth rectangle on ``grids`` (V, H) of full sizes ``dims`` (v, h) with edge width ``ew``
    (grid units); default dims: half the grid shape. 1 inside, 0 outside (ptypy's rectangle)."""
    g, (v, h) = _dims(grids, dims)
    return smooth_step(v / 2.0 - np.abs(g[0]), ew) * smooth_step(h / 2.0 - np.abs(g[1]), ew)


def ellipsis(grids, dims=None, ew=2):
    """Smooth ellipse on ``grids`` (V, H) with diameters ``dims`` (v, h) (grid units; default
    half the grid shape): smooth_step(1/2 - sqrt(V²/v² + H²/h²), ew/sqrt(v h)) (ptypy's
    ellipsis, so the 0.5 level lies at radius v/2, h/2)."""
    g, (v, h) = _dims(grids, dims)
    rho = np.sqrt(g[0] ** 2 / v ** 2 + g[1] ** 2 / h ** 2)
    return smooth_step(0.5 - rho, ew / np.sqrt(v * h))


def electron_wavelength(electron_energy):
    """Relativistic electron wavelength (m) at ``electron_energy`` (keV):
    hc / sqrt(E (2 m0c² + E)) with hc = 12.398 keV Å and m0c² = 511 keV."""
    e = np.asarray(electron_energy, float)
    return 12.398 / np.sqrt(e * (2 * 511.0 + e)) * 1e-10


# ---------------------------------------------------------------------------- analysis
def radial_distribution(A, radii=None):
    """(radii, masses): the sum of ``A`` within distance r (px, strictly less) of its mass centre
    for each r in ``radii`` (default 1 ... min(shape)//2 - 1)."""
    A = np.asarray(A)
    if radii is None:
        radii = list(range(1, np.min(A.shape) // 2))
    cen = mass_center(A).reshape((A.ndim,) + A.ndim * (1,))
    d = np.sqrt(((np.indices(A.shape) - cen) ** 2).sum(0)).ravel()
    order = np.argsort(d, kind="stable")
    ds = d[order]
    cums = np.concatenate([[0], np.cumsum(A.ravel()[order])])
    idx = np.searchsorted(ds, np.asarray(radii, float), side="left")
    return radii, list(cums[idx])


def remove_hot_pixels(data, size=3, tolerance=3, ignore_edges=False):
    """Replace outliers of the 2-D ``data`` by a local median; returns (fixed, hot) with ``hot``
    the (2, n) row/column indices of the replaced pixels (ptypy's order: interior, then edges).

    Threshold: ``tolerance`` * std(data - median_filter(data, size)). Interior pixels beyond it
    take the ``size`` median; unless ``ignore_edges``, edge pixels are compared with the median
    of their 3x2 (corners 2x2) neighbourhood and take that median."""
    data = np.asarray(data)
    if data.ndim != 2:
        raise ParameterError("data", "a 2-D array", data.shape)
    blurred = ndimage.median_filter(data, size=size)
    thr = tolerance * np.std(data - blurred)
    hot = np.array(np.nonzero(np.abs((data - blurred)[1:-1, 1:-1]) > thr)) + 1
    fixed = np.copy(data)
    fixed[hot[0], hot[1]] = blurred[hot[0], hot[1]]
    if ignore_edges:
        return fixed, hot
    h, w = data.shape
    win = np.lib.stride_tricks.sliding_window_view
    found = [hot]

    def edge(vals, meds, rows, cols):
        # interleave two sides per index (ptypy appends left/right, bottom/top in turn)
        sel = np.abs(vals - meds) > thr
        r, c, m = rows[sel], cols[sel], meds[sel]
        fixed[r, c] = m
        found.append(np.array([r, c]).reshape(2, -1))

    i = np.arange(1, h - 1)
    lm = np.median(win(data[:, :2], (3, 2)), axis=(-2, -1))[:, 0]
    rm = np.median(win(data[:, -2:], (3, 2)), axis=(-2, -1))[:, 0]
    edge(np.stack([data[i, 0], data[i, -1]], 1).ravel(), np.stack([lm, rm], 1).ravel(),
         np.repeat(i, 2), np.tile([0, w - 1], i.size))
    j = np.arange(1, w - 1)
    bm = np.median(win(data[:2, :], (2, 3)), axis=(-2, -1))[0]
    tm = np.median(win(data[-2:, :], (2, 3)), axis=(-2, -1))[0]
    edge(np.stack([data[0, j], data[-1, j]], 1).ravel(), np.stack([bm, tm], 1).ravel(),
         np.tile([0, h - 1], j.size), np.repeat(j, 2))
    cr, cc = np.array([0, 0, h - 1, h - 1]), np.array([0, w - 1, 0, w - 1])
    cm = np.array([np.median(data[:2, :2]), np.median(data[:2, -2:]), np.median(data[-2:, :2]),
                   np.median(data[-2:, -2:])])
    edge(data[cr, cc], cm, cr, cc)
    return fixed, np.concatenate(found, axis=1).astype(hot.dtype)


def hdr_image(img_list, exp_list, thresholds=(3000, 50000), dark_list=(), avg_type="highest", mask_list=(),
              ClipLongestExposure=False, ClipShortestExposure=False):
    """High-dynamic-range image from frames ``img_list`` of exposures ``exp_list`` (any time unit);
    returns (hdr, masks), hdr scaled to the longest exposure.

    Each frame is |img - dark|; its valid pixels are above ``thresholds[0]`` (dilated) and below
    ``thresholds[1]`` (eroded) -- only the upper limit for the shortest exposure and only the lower
    one for the longest, unless ``ClipShortestExposure``/``ClipLongestExposure``. ``mask_list``
    (one or one per frame) masks more pixels. ``avg_type`` 'highest': pixels come from the
    longest exposure valid there; otherwise the scaled valid values are averaged."""
    n = len(img_list)
    if n == 0 or len(exp_list) != n:
        raise ParameterError("exp_list", f"one exposure per image ({n})", len(exp_list))
    imgs = [np.asarray(i, float) for i in img_list]
    darks = list(dark_list) if len(dark_list) else [0.0]
    darks = darks * n if len(darks) == 1 else darks
    masks = list(mask_list) if len(mask_list) else [np.ones(imgs[0].shape)]
    masks = masks * n if len(masks) == 1 else masks
    masks = [np.asarray(m).astype(int) for m in masks]
    exps = np.asarray(exp_list, float)
    emin, emax = exps.min(), exps.max()
    for k in range(n):
        imgs[k] = np.abs(imgs[k] - np.asarray(darks[k], float))
        high = ndimage.binary_erosion(imgs[k] < thresholds[1])
        low = ndimage.binary_dilation(imgs[k] > thresholds[0])
        if abs(exps[k] - emin) / exps[k] < 0.01 and not ClipShortestExposure:
            masks[k] = masks[k] * low
        elif abs(exps[k] - emax) / exps[k] < 0.01 and not ClipLongestExposure:
            masks[k] = masks[k] * high
        else:
            masks[k] = masks[k] * low * high
    if avg_type == "highest":
        order = np.argsort(exps)[::-1]
        covered = masks[order[0]].astype(bool)
        hdr = imgs[order[0]] * emax / exps[order[0]]
        for k in order[1:]:
            new = ~covered & masks[k].astype(bool)
            covered |= new
            hdr[new] = imgs[k][new] * emax / exps[k]
    else:
        st = np.stack(masks)
        hdr = (np.stack(imgs) * (emax / exps).reshape((-1,) + (1,) * imgs[0].ndim) * st).sum(0)
        cnt = st.sum(0)
        hdr = hdr / np.where(cnt == 0, 1, cnt)
    return hdr, masks


def xradia_star(sh, spokes=48, std=0.5, minfeature=5, ringfact=2, rings=4, contrast=1.0, Fast=False):
    """Siemens-star test pattern (values 0...1) of shape ``sh`` (int or 2-tuple) with ``spokes``
    spokes, rings of gaps; ``minfeature`` is the inner spoke width (px), each ring
    ``ringfact`` times further out, ``rings`` at most; ``std`` the gap-edge blur (px);
    ``contrast`` 1 for uniform spokes, 0 for a gradient across them. ``Fast``: hard edges, then a
    Gaussian filter of ``std`` (ptypy's ``xradia_star``; its spoke edges use 0.5 px)."""
    def step(x, a, s=0.5):
        if Fast:
            return (x > a).astype(float)
        return 0.5 * erf((x - a) / (s * 2.0)) + 0.5

    sh = expect2(sh).astype(int)
    yy, xx = np.indices(tuple(sh), dtype=float)
    cen = (sh - 1) / 2.0
    z = (xx - cen[1]) + 1j * (yy - cen[0])
    nsp = int(spokes) // 2
    if nsp < 1:
        raise ParameterError("spokes", "at least 2 spokes", spokes)
    dphi = np.pi / nsp
    angles = np.arange(nsp) * dphi + dphi / 2.0
    r = np.abs(z)
    r0 = (minfeature / 2.0) / np.sin(dphi / 4.0)
    bands = []
    rin = r0
    for _ in range(int(rings)):
        if rin > max(sh) / np.sqrt(2.0):
            break
        rin *= ringfact
        bands.append((rin * (1 - 2 * np.sin(dphi / 4.0)), rin))
    contrast = min(abs(contrast), 1.0)
    span = angles[-1] - angles[0]
    out = np.zeros(tuple(sh))
    for a in angles:
        color = 0.5 - abs((a - angles[0]) / span - 0.5) if span > 0 else 0.0
        spoke = step(np.real(z * np.exp(-1j * (a + dphi / 4))), 0) - step(np.real(z * np.exp(-1j * (a - dphi / 4))), 0)
        out += (spoke * color + 0.5 * np.abs(spoke)) * (1 - contrast) + contrast * np.abs(spoke)
    out *= step(r, r0)
    if bands:
        out *= step(bands[-1][0], r)
    for a, b in bands[:-1]:
        out *= 1.0 - step(r, a, std) * step(-r, -b, std)
    return ndimage.gaussian_filter(out, std) if Fast else out


# ---------------------------------------------------------------------------- STXM / DPC
def phase_from_dpc(dpc_row, dpc_col):
    """Phase (rad) integrated in Fourier space from the two differential-phase maps
    ``dpc_row`` (along axis -2) and ``dpc_col`` (axis -1), rad/px, same shape (ptypy's
    ``phase_from_dpc``: mirrored 2x extension, division by i(qx + i qy))."""
    from .models.initial import phase_from_dpc as _pfd
    return _pfd(dpc_row, dpc_col)


def stxm_analysis(storage, probe=None):
    """(trans, dpc_row, dpc_col), each of ``storage.data``'s shape, from the diffraction frames of
    the pods viewing ``storage`` (ptypy's ``stxm_analysis``; one process).

    Each active view adds sqrt(frame sum) and the frame's mass-centre deflection (physical
    detector coordinate * object pixel * 2 pi / lz, in rad/px) weighted by ``probe``: None ->
    |probe| of the first view's pod; scalar s -> exp(-(x²+y²)/s²) (px); else a 2-D array of
    the view shape. Transmission is normalised by the largest frame sum."""
    s = storage
    data = np.asarray(s.data)
    trans, drow, dcol = (np.zeros(data.shape) for _ in range(3))
    nrm = np.zeros(data.shape) + 1e-10
    views = list(s.views.values()) if hasattr(s.views, "values") else list(s.views)
    if not views:
        raise ParameterError("storage", "a storage with views", getattr(s, "ID", s))
    pv = list(views[0].pods.values())[0].pr_view
    vshape = tuple(np.asarray(pv.shape)[-2:])
    if probe is None:
        pr = np.abs(np.asarray(pv.data))
    elif np.isscalar(probe):
        y, x = grids(vshape)
        pr = np.exp(-(x ** 2 + y ** 2) / float(probe) ** 2)
    else:
        pr = np.asarray(probe)
        if pr.shape != vshape:
            raise ParameterError("probe", f"an array of the view shape {vshape}", pr.shape)
    tmax = 0.0
    for v in views:
        pod = list(v.pods.values())[0]
        if not pod.active:
            continue
        diff = np.asarray(pod.diff)
        t = float(diff.sum())
        tmax = max(tmax, t)
        q = np.asarray(pod.di_view.storage._to_phys(mass_center(diff)), float)
        ps = np.broadcast_to(np.asarray(v.psize, float), (2,))
        lz = float(pod.geometry.lz)
        ss = v.slice
        drow[ss] += q[0] * ps[0] * pr * 2 * np.pi / lz
        dcol[ss] += q[1] * ps[1] * pr * 2 * np.pi / lz
        trans[ss] += np.sqrt(t) * pr
        nrm[ss] += pr
    return trans / (nrm * np.sqrt(tmax) if tmax > 0 else nrm), drow / nrm, dcol / nrm


def stxm_init(storage, probe=None):
    """Fill ``storage.data`` with trans * exp(-1j*phase_from_dpc(dpc_row, dpc_col)) from
    :func:`stxm_analysis`."""
    trans, drow, dcol = stxm_analysis(storage, probe)
    storage.data = (trans * np.exp(-1j * phase_from_dpc(drow, dcol))).astype(np.asarray(storage.data).dtype)


def diversify(A, noise=None, shift=None, power=1.0):
    """Make the modes of the stack ``A`` (modes, ...) diverse, *in place* (returns None), as
    ptypy: modes 1... times complex noise ``noise`` = (rms, mfs[, rms_mod, mfs_mod]) (rad, px;
    see ``u.parallel.MPInoise2d``), then mode k scaled by sqrt(p_k / sum p), p = (1, power...)
    with the last power repeated. ``shift`` is not implemented (as ptypy)."""
    if shift is not None:
        raise NotImplementedError("Diversity introduced by lateral shifts is not yet implemented.")
    if A.shape[0] == 1:
        return None
    from .models.illumination import diversify as _div
    A[...] = _div(A, noise=noise, power=power, rng=np.random.default_rng(np.random.randint(2 ** 31)))
    return None
