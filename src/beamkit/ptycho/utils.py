"""ptypy-style utilities (``from beamkit.ptycho import utils as u``).

``u.Param`` is :class:`beamkit.core.params.Param`; ``u.verbose`` sets the print level.
Array helpers work on the last two axes of stacks unless stated; lengths in pixels
unless stated; energies in keV, wavelengths in m.
"""
from __future__ import annotations

import numbers
import types

import numpy as np
from scipy import ndimage

from ..core.log import get_logger, get_print_level, set_print_level
from ..core.params import Param, param_from_json, param_from_yaml
from ..errors import ParameterError

__all__ = ["Param", "param_from_json", "param_from_yaml", "verbose", "abs2", "cabs2", "norm2", "norm",
           "ntrue", "gf", "c_gf", "ortho", "rebin", "rebin_2d", "crop_pad", "crop_pad_symmetric_2d",
           "pad_lr", "shift_zoom", "zoom", "c_zoom", "ellipse", "grids", "expect2", "expect3", "keV2m",
           "m2keV", "mass_center", "complex2hsv", "hsv2rgb", "complex2rgb", "imsave", "imload", "clean_path",
           "rmphaseramp", "mirror", "parallel", "logger"]

# ---------------------------------------------------------------------------- verbosity
_BY_NUMBER = {0: "none", 1: "error", 2: "warn", 3: "info", 4: "info", 5: "debug"}
_BY_NAME = {"critical": "none", "none": "none", "error": "error", "warning": "warn", "warn": "warn",
            "info": "info", "inspect": "info", "interactive": "info", "detail": "debug", "debug": "debug"}


def _set_level(level):
    """Print level from ptypy's numbers (0 none .. 5 debug) or names ('info', 'warning', ...)."""
    if isinstance(level, numbers.Integral) and not isinstance(level, bool):
        key = _BY_NUMBER.get(int(min(max(level, 0), 5)))
    else:
        key = _BY_NAME.get(str(level).lower())
    if key is None:
        raise ParameterError("verbose_level", "0-5 or one of " + ", ".join(sorted(_BY_NAME)), level)
    set_print_level(key)


verbose = types.SimpleNamespace(set_level=_set_level, get_level=get_print_level,
                                logger=get_logger("ptycho"), log=get_logger("ptycho").info)
verbose.__doc__ = "ptypy's ``u.verbose``: ``set_level(n | name)``, ``get_level()``, ``logger``."
logger = verbose.logger

# ptypy's MPI helpers for scripts that test them; beamkit runs one process and parallelises inside it
parallel = types.SimpleNamespace(MPIenabled=False, master=True, rank=0, size=1, comm=None,
                                 barrier=lambda: None, allreduce=lambda a, op=None: a,
                                 bcast=lambda data, source=0: data)


# ---------------------------------------------------------------------------- norms
def abs2(a):
    """|a|**2 elementwise (real result)."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return a.real ** 2 + a.imag ** 2
    return a * a


def cabs2(a):
    """|a|**2 elementwise, kept in a's dtype (complex stays complex, for in-place arithmetic)."""
    a = np.asarray(a)
    return (a * np.conj(a)).astype(a.dtype, copy=False)


def norm2(a) -> float:
    """Squared 2-norm sum |a|**2."""
    return float(abs2(a).sum())


def norm(a) -> float:
    """2-norm sqrt(sum |a|**2)."""
    return float(np.sqrt(norm2(a)))


def ntrue(a, axis=None):
    """Number of true (non-zero) elements (along ``axis``)."""
    return np.count_nonzero(a, axis=axis)


def gf(a, sigma, **kwargs):
    """Gaussian filter (scipy.ndimage.gaussian_filter); complex input filtered per part."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return c_gf(a, sigma, **kwargs)
    return ndimage.gaussian_filter(a, sigma, **kwargs)


def c_gf(a, sigma, **kwargs):
    """Gaussian filter of a complex array (real and imaginary parts separately)."""
    a = np.asarray(a)
    return ndimage.gaussian_filter(a.real, sigma, **kwargs) + 1j * ndimage.gaussian_filter(a.imag, sigma, **kwargs)


# ---------------------------------------------------------------------------- modes
def ortho(modes):
    """Orthogonalise modes (list or array with modes along axis 0).

    Returns (amp, modes): relative powers (sum 1, decreasing) and the orthogonal modes with
    the same total power, from the eigen-decomposition of the overlap matrix.
    """
    m = np.asarray(modes)
    n = m.shape[0]
    flat = m.reshape(n, -1)
    S = flat.conj() @ flat.T                       # S[i, j] = <m_i | m_j>
    w, v = np.linalg.eigh(S)
    order = np.argsort(w)[::-1]
    w, v = w[order], v[:, order]
    new = (v.T @ flat).reshape(m.shape)
    pw = abs2(new).reshape(n, -1).sum(1)
    amp = pw / max(pw.sum(), 1e-300)
    return amp, (list(new) if isinstance(modes, list) else new)


# ---------------------------------------------------------------------------- shapes
def expect2(a) -> np.ndarray:
    """A scalar or pair as a length-2 array."""
    return np.broadcast_to(np.atleast_1d(np.asarray(a)), (2,)).copy()


def expect3(a) -> np.ndarray:
    """A scalar or triple as a length-3 array."""
    return np.broadcast_to(np.atleast_1d(np.asarray(a)), (3,)).copy()


def rebin(a, *args):
    """Mean over blocks: ``rebin(a, n0, n1, ...)`` shrinks ``a`` to the new shape (each a divisor)."""
    a = np.asarray(a)
    shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    shape = tuple(int(s) for s in shape)
    if len(shape) != a.ndim or any(o % s for o, s in zip(a.shape, shape)):
        raise ParameterError("rebin shape", f"{a.ndim} divisors of {a.shape}", shape)
    split = []
    for o, s in zip(a.shape, shape):
        split += [s, o // s]
    return a.reshape(split).mean(axis=tuple(range(1, 2 * a.ndim, 2)))


def rebin_2d(a, rebin=1):
    """Mean over ``rebin`` x ``rebin`` blocks of the last two axes (shape must divide)."""
    a = np.asarray(a)
    f = int(rebin)
    if f <= 1:
        return a
    H, W = a.shape[-2:]
    if H % f or W % f:
        raise ParameterError("rebin", f"a divisor of {H}x{W}", f)
    return a.reshape(a.shape[:-2] + (H // f, f, W // f, f)).mean(axis=(-3, -1))


def _pad_spec(hplanes, axes, ndim):
    axes = list(range(ndim)) if axes is None else [ax % ndim for ax in np.atleast_1d(axes)]
    hp = hplanes
    if np.isscalar(hp):
        hp = [hp] * len(axes)
    hp = list(hp)
    if len(hp) != len(axes):
        raise ParameterError("hplanes", f"{len(axes)} entries (one per axis)", hplanes)
    spec = [(0, 0)] * ndim
    for ax, h in zip(axes, hp):
        lo, hi = (int(h), int(h)) if np.isscalar(h) else (int(h[0]), int(h[1]))
        spec[ax] = (lo, hi)
    return spec


def crop_pad(A, hplanes, axes=None, cen=None, fillpar=0.0, filltype="scalar"):
    """Pad (positive) or crop (negative) ``hplanes`` planes on both sides of each axis.

    hplanes: int, one per axis, or (low, high) pairs; axes: which axes (default all);
    filltype 'scalar' (fill with ``fillpar``), 'mirror' or 'periodic'.  ``cen`` is accepted
    for ptypy compatibility and must be None (symmetric operation).
    """
    if cen is not None:
        raise ParameterError("cen", "None (crop_pad works symmetrically)", cen)
    A = np.asarray(A)
    spec = _pad_spec(hplanes, axes, A.ndim)
    pad = [(max(lo, 0), max(hi, 0)) for lo, hi in spec]
    if any(p != (0, 0) for p in pad):
        if filltype == "scalar":
            A = np.pad(A, pad, mode="constant", constant_values=fillpar)
        elif filltype == "mirror":
            A = np.pad(A, pad, mode="symmetric")
        elif filltype == "periodic":
            A = np.pad(A, pad, mode="wrap")
        else:
            raise ParameterError("filltype", "'scalar', 'mirror' or 'periodic'", filltype)
    sl = tuple(slice(-min(lo, 0), A.shape[i] + min(hi, 0)) for i, (lo, hi) in enumerate(spec))
    return A[sl]


def crop_pad_symmetric_2d(A, newshape, center=None):
    """Crop/pad the last two axes to ``newshape`` around ``center`` (default the middle).

    Returns (array, new center) where the new center is where ``center`` ended up.
    """
    A = np.asarray(A)
    sh = np.array(A.shape[-2:])
    newshape = expect2(newshape).astype(int)
    center = sh / 2.0 if center is None else np.asarray(center, float)
    start = np.floor(center + 0.5).astype(int) - newshape // 2
    out = np.zeros(A.shape[:-2] + tuple(newshape), A.dtype)
    y0, x0 = max(start[0], 0), max(start[1], 0)
    y1, x1 = min(start[0] + newshape[0], sh[0]), min(start[1] + newshape[1], sh[1])
    if y1 > y0 and x1 > x0:
        out[..., y0 - start[0]:y1 - start[0], x0 - start[1]:x1 - start[1]] = A[..., y0:y1, x0:x1]
    return out, center - start


def pad_lr(A, axis, l, r, fillpar=0.0, filltype="scalar"):
    """Pad ``l`` planes before and ``r`` after along ``axis`` (see :func:`crop_pad`)."""
    return crop_pad(A, [(l, r)], axes=[axis], fillpar=fillpar, filltype=filltype)


def shift_zoom(c, zoom=1.0, cen_old=None, cen_new=None, **kwargs):
    """Zoom ``c`` by ``zoom`` about ``cen_old`` and place that point at ``cen_new`` (px).

    Shape is kept; ``kwargs`` go to scipy.ndimage.affine_transform (order 1 by default,
    ``mode='constant'``).  Complex arrays are transformed per part.
    """
    c = np.asarray(c)
    nd = c.ndim
    z = np.broadcast_to(np.asarray(zoom, float), (nd,))
    mid = (np.array(c.shape) - 1) / 2.0
    co = mid if cen_old is None else np.broadcast_to(np.asarray(cen_old, float), (nd,))
    cn = mid if cen_new is None else np.broadcast_to(np.asarray(cen_new, float), (nd,))
    kwargs.setdefault("order", 1)
    kwargs.setdefault("mode", "constant")
    # output pixel x comes from input co + (x - cn) / z
    offset = co - cn / z

    def tf(a):
        return ndimage.affine_transform(a, 1.0 / z, offset=offset, output_shape=c.shape, **kwargs)
    if np.iscomplexobj(c):
        return tf(c.real) + 1j * tf(c.imag)
    return tf(c)


def zoom(c, *args, **kwargs):
    """scipy.ndimage.zoom (order 1 by default)."""
    kwargs.setdefault("order", 1)
    return ndimage.zoom(c, *args, **kwargs)


def c_zoom(c, *args, **kwargs):
    """Zoom of a complex array (real and imaginary parts separately)."""
    c = np.asarray(c)
    return zoom(c.real, *args, **kwargs) + 1j * zoom(c.imag, *args, **kwargs)


def grids(sh, psize=None, center="geometric", FFTlike=True):
    """Coordinate grids (ndim, *sh): pixel index minus ``center``, times ``psize``.

    center: 'geometric' (sh/2 for FFT-like, (sh-1)/2 otherwise), 'fftshift' (sh//2),
    'fft' (0) or explicit coordinates.
    """
    sh = tuple(int(s) for s in np.atleast_1d(sh))
    nd = len(sh)
    if isinstance(center, str):
        if center == "geometric":
            c = np.array(sh) / 2.0 if FFTlike else (np.array(sh) - 1) / 2.0
        elif center == "fftshift":
            c = np.array(sh) // 2
        elif center == "fft":
            c = np.zeros(nd)
        else:
            raise ParameterError("center", "'geometric', 'fftshift', 'fft' or coordinates", center)
    else:
        c = np.broadcast_to(np.asarray(center, float), (nd,))
    g = np.indices(sh, dtype=float) - np.asarray(c, float).reshape((nd,) + (1,) * nd)
    if psize is not None:
        g *= np.broadcast_to(np.asarray(psize, float), (nd,)).reshape((nd,) + (1,) * nd)
    return g


def ellipse(grids, dims=None, ew=2):
    """Smooth ellipse mask on ``grids`` (as from :func:`grids`) with semi-axes ``dims`` and an
    edge of width ``ew`` (grid units); 1 inside, 0 outside."""
    g = np.asarray(grids, float)
    nd = g.shape[0]
    dims = np.broadcast_to(np.asarray(dims if dims is not None else np.abs(g).reshape(nd, -1).max(1) / 2, float),
                           (nd,))
    r = np.sqrt(sum((g[i] / dims[i]) ** 2 for i in range(nd)))
    d = (r - 1.0) * dims.min()
    return 0.5 * (1.0 - np.tanh(d / max(float(ew), 1e-9) * 2.0))


def keV2m(keV):
    """Wavelength (m) of photons of ``keV``."""
    return 1.23984193e-9 / np.asarray(keV, float)


def m2keV(m):
    """Photon energy (keV) of wavelength ``m``."""
    return 1.23984193e-9 / np.asarray(m, float)


def mass_center(A, axes=None):
    """Centre of mass (px) of ``A`` along ``axes`` (default all)."""
    A = np.asarray(A, float)
    axes = tuple(range(A.ndim)) if axes is None else tuple(axes)
    tot = A.sum()
    out = []
    for ax in axes:
        other = tuple(i for i in range(A.ndim) if i != ax)
        out.append((A.sum(axis=other) * np.arange(A.shape[ax])).sum() / tot)
    return np.array(out)


# ---------------------------------------------------------------------------- images
def complex2hsv(cin, vmin=0.0, vmax=None):
    """HSV image (..., 3) of a complex array: hue = phase, value = amplitude scaled to [vmin, vmax]."""
    c = np.asarray(cin)
    h = (np.angle(c) + np.pi) / (2 * np.pi)
    a = np.abs(c)
    vmax = a.max() if vmax is None else vmax
    v = np.clip((a - vmin) / max(vmax - vmin, 1e-300), 0, 1)
    return np.stack([h % 1.0, np.ones_like(h), v], axis=-1)


def hsv2rgb(hsv):
    """RGB (..., 3) in [0, 1] from HSV (..., 3) in [0, 1]."""
    from matplotlib.colors import hsv_to_rgb
    return hsv_to_rgb(np.clip(hsv, 0, 1))


def complex2rgb(cin, **kwargs):
    """RGB uint8 image (..., 3) of a complex array (phase as hue, amplitude as brightness)."""
    return (hsv2rgb(complex2hsv(cin, **kwargs)) * 255).astype(np.uint8)


def imsave(a, filename=None, vmin=None, vmax=None, cmap=None):
    """Image of a 2-d array as RGB uint8 (complex: phase as hue), saved as PNG when
    ``filename`` is given (atomically).  Returns the RGB array."""
    a = np.asarray(a)
    if a.ndim != 2:
        raise ParameterError("a", "a 2-d array", a.shape)
    if np.iscomplexobj(a):
        rgb = complex2rgb(a, vmin=0.0 if vmin is None else vmin, vmax=vmax)
    else:
        import matplotlib
        lo = np.nanmin(a) if vmin is None else vmin
        hi = np.nanmax(a) if vmax is None else vmax
        cm = matplotlib.colormaps[cmap or "gray"]
        rgb = (cm(np.clip((a - lo) / max(hi - lo, 1e-300), 0, 1))[..., :3] * 255).astype(np.uint8)
    if filename is not None:
        import matplotlib.image as mpimg
        from ..core.files import atomic_path
        with atomic_path(filename) as tmp:
            mpimg.imsave(tmp, rgb, format="png")
    return rgb


def imload(filename) -> np.ndarray:
    """An image file (PNG, TIFF, JPEG via matplotlib/Pillow) as an array."""
    import matplotlib.image as mpimg
    from ..errors import FormatError
    try:
        return np.asarray(mpimg.imread(filename))
    except (OSError, ValueError, SyntaxError) as e:
        raise FormatError(f"cannot read image ({e})", path=str(filename), expected="an image file") from None


def rmphaseramp(a, weight=None, return_phaseramp=False):
    """Remove the linear phase ramp of a 2-d complex array (weighted mean phase gradient).

    Returns the corrected array, and the ramp exp(i(gy*y + gx*x)) too when ``return_phaseramp``.
    """
    a = np.asarray(a)
    w = np.ones(a.shape) if weight is None else np.asarray(weight, float)
    wy = w[1:, :] * w[:-1, :]
    wx = w[:, 1:] * w[:, :-1]
    gy = np.angle((wy * a[1:, :] * np.conj(a[:-1, :])).sum())
    gx = np.angle((wx * a[:, 1:] * np.conj(a[:, :-1])).sum())
    Y, X = np.indices(a.shape, dtype=float)
    ramp = np.exp(1j * (gy * Y + gx * X))
    out = a * np.conj(ramp)
    return (out, ramp) if return_phaseramp else out


def mirror(A, axis=-1):
    """``A`` reversed along ``axis``."""
    return np.flip(np.asarray(A), axis=axis)


def clean_path(path: str) -> str:
    """``path`` with ``~`` and environment variables expanded and made absolute."""
    import os
    return os.path.abspath(os.path.expandvars(os.path.expanduser(str(path))))
