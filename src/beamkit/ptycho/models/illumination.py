"""Initial probe estimates (ptypy 0.9's ``illumination`` module: aperture, init_storage, _process).

All lengths in m unless stated; ``psize`` is the object-plane pixel size (m). The object
(``sample``) side, ``.ptyr`` loading and the STXM analysis are in :mod:`.initial`.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.special import erf

from ...errors import ParameterError
from ..data.illumination import nearfield

__all__ = ["aperture", "probe_modes", "diversify", "noise2d", "string_shortcut"]


def _get(p, key, default=None):
    if p is None:
        return default
    try:
        v = p.get(key, default)
    except AttributeError:
        v = getattr(p, key, default)
    return default if v is None else v


def _has(p, key) -> bool:
    """True when ``key`` is set in ``p`` (even to None)."""
    try:
        return key in p
    except TypeError:
        return hasattr(p, key)


def _is_param(p) -> bool:
    return p is None or isinstance(p, dict) or hasattr(p, "get")


def noise2d(shape, rms=1.0, mfs=2.0, rms_mod=None, mfs_mod=2.0, rng=None) -> np.ndarray:
    """ptypy's ``MPInoise2d``: complex noise ``exp(1j*phase) * amplitude`` of ``shape``.

    phase ~ N(0, rms) smoothed by a Gaussian of sigma ``mfs/2.35`` px over the last two axes;
    amplitude ~ N(1, rms_mod) smoothed by ``mfs_mod/2.35`` (only when ``rms_mod`` is given)."""
    rng = rng if rng is not None else np.random.default_rng()
    shape = tuple(shape)
    sig = (0,) * (len(shape) - 2) + (1, 1)
    a = np.ones(shape, complex)
    if rms is not None and float(rms) != 0.0:
        ph = ndimage.gaussian_filter(rng.normal(0.0, float(rms), shape), np.multiply(sig, float(mfs) / 2.35))
        a *= np.exp(1j * ph)
    if rms_mod is not None and float(rms_mod) != 0.0:
        am = ndimage.gaussian_filter(rng.normal(1.0, float(rms_mod), shape), np.multiply(sig, float(mfs_mod) / 2.35))
        a *= am
    return a


def _smooth_step(d, edge):
    """ptypy's smooth step: 0.5 + 0.5*erf(d*2.35/edge) (``d`` px inside the edge); hard for edge 0/None."""
    e = float(edge or 0.0)
    if e > 0:
        return 0.5 + 0.5 * erf(d * 2.35 / e)
    return (d >= 0).astype(float)


def string_shortcut(pars, *off):
    """ptypy's string shortcuts for ``illumination``/``sample``: 'x.ptyr' loads that file, other
    strings name the model ('stxm', ...); the entries ``off`` are switched off (None). Other values
    pass through."""
    if not isinstance(pars, str):
        return pars
    model = {"model": "recon", "recon": {"rfile": pars}} if pars.endswith(".ptyr") else {"model": pars}
    return dict(model, **{k: None for k in off})


def _pair(v, key) -> np.ndarray:
    """A scalar or a (rows, cols) pair as a float array of 2; anything else names ``key``."""
    a = np.asarray(v, float)
    if a.ndim > 1 or a.size not in (1, 2):
        raise ParameterError(key, "a number or a (rows, cols) pair", v)
    return np.broadcast_to(a, (2,)).astype(float)


def aperture(shape, psize, form="circ", size=None, edge=2.0, central_stop=None, offset=0.0, rotate=0.0,
             diffuser=None, rng=None) -> np.ndarray:
    """Aperture transmission (Ny, Nx) complex64, as ptypy's ``illumination.aperture``.

    The grid is centred at the geometric centre ``(N-1)/2`` px, shifted by ``offset`` (m) and
    rotated by ``rotate`` (rad). ``size`` diameter/width (m, scalar or (rows, cols); None: a
    third of the frame per axis). 'circ': ``0.5+0.5*erf((R-r)*2.35/edge)`` with r the
    (elliptical) radius in px; 'rect': the product of the two 1-D steps. ``central_stop`` c
    multiplies by (1 - the same aperture with size*c); ``diffuser`` (rms, mfs[, rms_mod,
    mfs_mod]) multiplies a random screen (:func:`noise2d`). ``form`` None: ones.
    """
    ny, nx = shape
    psize = np.broadcast_to(np.asarray(psize, float), (2,))
    ap = np.ones(shape, complex)
    if diffuser is not None:
        ap *= noise2d(shape, *tuple(diffuser), rng=rng)
    if form is None:
        return ap.astype(np.complex64)
    if form not in ("circ", "rect"):
        raise ParameterError("illumination.aperture.form", "None, 'circ' or 'rect'", form)
    if size is None:
        size_px = np.array([ny / 3.0, nx / 3.0])
    else:
        size_px = _pair(size, "illumination.aperture.size") / psize
    if np.any(size_px <= 0):
        raise ParameterError("illumination.aperture.size", "a positive size (m)", size)
    off = _pair(offset, "illumination.aperture.offset") / psize
    Y, X = np.meshgrid(np.arange(ny) - (ny - 1) / 2.0 - off[0], np.arange(nx) - (nx - 1) / 2.0 - off[1],
                       indexing="ij")
    if rotate:
        c, s = np.cos(rotate), np.sin(rotate)
        Y, X = c * Y - s * X, s * Y + c * X

    def shape_fn(sz):
        if form == "circ":
            ry, rx = sz / 2.0
            rmean = np.sqrt(ry * rx)
            r = np.sqrt((Y * rmean / ry) ** 2 + (X * rmean / rx) ** 2)
            return _smooth_step(rmean - r, edge)
        return _smooth_step(sz[0] / 2.0 - np.abs(Y), edge) * _smooth_step(sz[1] / 2.0 - np.abs(X), edge)

    ap *= shape_fn(size_px)
    if central_stop:
        ap *= 1.0 - shape_fn(size_px * float(central_stop))
    return ap.astype(np.complex64)


def diversify(a: np.ndarray, noise=None, power=1.0, rng=None) -> np.ndarray:
    """ptypy's ``utils.diversify`` on a copy of the stack ``a`` (modes, Ny, Nx).

    Modes 1.. are multiplied by :func:`noise2d` (``noise`` = (rms, mfs[, rms_mod, mfs_mod])
    or None); then mode k is scaled by sqrt(p_k / sum p) with p = (1, power...), the last
    power repeated, so the modes' total power is that of mode 0 before."""
    a = np.array(a, copy=True)
    if a.shape[0] == 1:
        return a
    if noise is not None:
        nz = noise2d(a.shape, *tuple(noise), rng=rng if rng is not None else np.random.default_rng(1))
        nz[0] = 1.0
        a = (a * nz).astype(a.dtype)
    p = (float(power),) if np.isscalar(power) else tuple(float(x) for x in power)
    if not p:
        raise ParameterError("diversity.power", "a float or a non-empty tuple", power)
    extra = a.shape[0] - 1 - len(p)
    p = p + (p[-1],) * extra if extra >= 1 else p[:a.shape[0] - 1]
    pw = np.array((1.0,) + p)
    pw /= pw.sum()
    return (a * np.sqrt(pw).reshape((-1,) + (1,) * (a.ndim - 1))).astype(a.dtype)


def _probe_model(model, pars, shape, psize, wavelength, diff_mean, label):
    from .initial import load_recon
    key = f"scans.{label}.illumination"
    if model is None:
        return np.ones(shape, np.complex64), True
    if isinstance(model, str):
        if model == "stxm":
            if diff_mean is None:
                raise ParameterError(f"{key}.model", "diffraction data for 'stxm'", model)
            return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(np.sqrt(np.maximum(diff_mean, 0))))), True
        if model == "recon":
            rec = _get(pars, "recon", {})
            arr = load_recon(_get(rec, "rfile", "*.ptyr"), "probe", _get(rec, "label"), label, _get(rec, "layer"),
                             f"{key}.recon.rfile")
            return arr, False
        raise ParameterError(f"{key}.model", "None, 'stxm', 'recon' or an array", model)
    return np.asarray(model), True


def _check_shape(arr, shape, key):
    arr = np.asarray(arr, np.complex64)
    if arr.ndim not in (2, 3) or arr.shape[-2:] != tuple(shape):
        raise ParameterError(key, f"array of shape {tuple(shape)} or (modes, {shape[0]}, {shape[1]})", arr.shape)
    return arr


def probe_modes(pars, shape, psize, wavelength, nmodes=1, photons=None, diff_mean=None, label="MF",
                rng=None) -> np.ndarray:
    """Initial probe (nmodes, Ny, Nx) complex64 from a scan's ``illumination`` entry, as ptypy 0.9.

    A bare ndarray is used as is (only repeated to ``nmodes``). Otherwise ``model`` None
    (ones), an ndarray, 'recon' (``recon.rfile``, no photon rescaling) or 'stxm'
    (back-propagated root of the mean pattern ``diff_mean``) is repeated to ``nmodes``, then
    each mode is multiplied by the aperture (``aperture.form`` None: none), propagated
    (``propagation.focussed`` far field from the lens plane, then ``parallel`` near field)
    and scaled so mode 0 holds ``photons`` (``illumination.photons`` over the argument,
    the data's largest frame power); last ``diversity`` (None: none) on modes 1.., which
    keeps the modes' total at ``photons``.
    """
    psize = np.broadcast_to(np.asarray(psize, float), (2,))
    key = f"scans.{label}.illumination"
    pars = string_shortcut(pars, "aperture", "propagation", "diversity")
    if not _is_param(pars):
        arr = _check_shape(pars, shape, key)
        return np.resize(arr, (nmodes,) + tuple(shape)).astype(np.complex64)
    model = _get(pars, "model")
    arr, rescale = _probe_model(model, pars, shape, psize, wavelength, diff_mean, label)
    arr = _check_shape(arr, shape, f"{key}.model" if model is None or not isinstance(model, str) else
                       f"{key}.recon.rfile")
    st = np.resize(arr, (nmodes,) + tuple(shape)).astype(complex)
    ap = _get(pars, "aperture", {}) if not (_has(pars, "aperture") and pars.get("aperture") is None) else None
    prop = _get(pars, "propagation", {}) or {}
    focussed = _get(prop, "focussed")
    form = None if ap is None else (_get(ap, "form", "circ") if not _has(ap, "form") else ap.get("form"))
    if focussed:
        # aperture in the lens plane, sampled so that its far field lands on our grid
        a_psize = wavelength * focussed / (np.asarray(shape) * psize)
        spot = _get(prop, "spot_size")
        size = 2 * 2 ** 0.25 * wavelength * focussed / spot if spot else _get(ap, "size")   # ptypy's factor
    else:                            # ptypy: spot_size stands for the aperture size here too
        a_psize, size = psize, _get(prop, "spot_size") or _get(ap, "size")
    if form is not None:
        st *= aperture(shape, a_psize, form, size, _get(ap, "edge", 2.0) if not _has(ap, "edge") else ap.get("edge"),
                       _get(ap, "central_stop"), _get(ap, "offset", 0.0), _get(ap, "rotate", 0.0),
                       _get(ap, "diffuser"), rng)
    if focussed:
        st = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(st, axes=(-2, -1))), axes=(-2, -1))
    par = _get(prop, "parallel")
    if par:
        st = nearfield(st, float(par), wavelength, psize)
    ph = _get(pars, "photons", photons)
    if rescale and ph is not None:
        norm = float(np.sum(np.abs(st[0]) ** 2))
        if norm > 0:
            st *= np.sqrt(float(ph) / norm)
    div = pars.get("diversity", {}) if _has(pars, "diversity") else {}
    if div is not None and nmodes > 1:
        st = diversify(st, div.get("noise", (0.5, 1.0)) if _has(div, "noise") else (0.5, 1.0),
                       _get(div, "power", 0.1), rng)
    return st.astype(np.complex64)
