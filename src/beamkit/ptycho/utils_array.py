"""Array helpers of ``u`` (ptypy's ``utils.array_utils`` / ``misc`` / ``math_utils`` semantics).

Part of :mod:`beamkit.ptycho.utils`; import them from there.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import ParameterError

__all__ = ["expect2", "expect3", "rebin", "rebin_2d", "switch_orientation", "crop_pad_axis", "crop_pad",
           "crop_pad_symmetric_2d", "pad_lr", "shift_zoom", "zoom", "c_zoom", "grids", "mass_center",
           "mirror", "complex_overload", "gf", "c_gf", "gf_2d", "delxf", "delxb", "delxc"]


def complex_overload(func):
    """``f(Re c) + i f(Im c)`` for a function ``f`` of real arrays (as ptypy)."""
    def overloaded(c, *args, **kwargs):
        c = np.asarray(c)
        return func(np.real(c), *args, **kwargs).astype(c.dtype) + 1j * func(np.imag(c), *args, **kwargs)
    overloaded.__name__ = getattr(func, "__name__", "overloaded")
    overloaded.__doc__ = "*complex input*\n\n" + (func.__doc__ or "")
    return overloaded


# ---------------------------------------------------------------------------- filters, derivatives
def c_gf(a, sigma, **kwargs):
    """Gaussian filter of a complex array (real and imaginary parts separately)."""
    return complex_overload(ndimage.gaussian_filter)(a, sigma, **kwargs)


def gf(a, sigma, **kwargs):
    """Gaussian filter (scipy.ndimage.gaussian_filter); complex input filtered per part."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return c_gf(a, sigma, **kwargs)
    return ndimage.gaussian_filter(a, sigma, **kwargs)


def gf_2d(c, sigma, **kwargs):
    """Gaussian filter along the last two axes only (``sigma`` scalar or pair)."""
    c = np.asarray(c)
    if c.ndim > 2:
        return gf(c, (0,) * (c.ndim - 2) + tuple(expect2(sigma)), **kwargs)
    return gf(c, sigma, **kwargs)


def _axis(a, axis):
    try:
        return list(range(a.ndim))[axis]
    except (IndexError, TypeError):
        raise ParameterError("axis", f"an axis of a {a.ndim}-d array", axis) from None


def delxf(a, axis=-1, out=None):
    """Forward difference ``a[i+1] - a[i]`` along ``axis``; the last element is 0 (px units)."""
    a = np.asarray(a)
    ax = _axis(a, axis)
    s1 = tuple(slice(1, None) if i == ax else slice(None) for i in range(a.ndim))
    s2 = tuple(slice(None, -1) if i == ax else slice(None) for i in range(a.ndim))
    if out is None:
        out = np.zeros_like(a)
    out[s2] = a[s1] - a[s2]
    out[tuple(slice(-1, None) if i == ax else slice(None) for i in range(a.ndim))] = 0
    return out


def delxb(a, axis=-1):
    """Backward difference ``a[i] - a[i-1]`` along ``axis``; the first element is 0 (px units)."""
    a = np.asarray(a)
    ax = _axis(a, axis)
    s1 = tuple(slice(1, None) if i == ax else slice(None) for i in range(a.ndim))
    s2 = tuple(slice(None, -1) if i == ax else slice(None) for i in range(a.ndim))
    b = np.zeros_like(a)
    b[s1] = a[s1] - a[s2]
    return b


def delxc(a, axis=-1):
    """Central difference along ``axis`` (forward/backward at the two ends)."""
    a = np.asarray(a)
    ax = _axis(a, axis)
    mid = tuple(slice(1, -1) if i == ax else slice(None) for i in range(a.ndim))
    b = delxf(a, ax) + delxb(a, ax)
    b[mid] *= 0.5
    return b


# ---------------------------------------------------------------------------- shapes
def expect2(a) -> np.ndarray:
    """A 2-vector from a scalar (repeated) or a sequence (its first two entries), as ptypy."""
    a = np.atleast_1d(np.asarray(a))
    if a.size == 0:
        raise ParameterError("a", "a scalar or a sequence of 1 or more values", a)
    return np.array([a.flat[0], a.flat[0]]) if a.size == 1 else np.array([a.flat[0], a.flat[1]])


def expect3(a) -> np.ndarray:
    """A 3-vector from a scalar, a pair (last value repeated) or a sequence (first three), as ptypy."""
    a = np.atleast_1d(np.asarray(a))
    if a.size == 0:
        raise ParameterError("a", "a scalar or a sequence of 1 or more values", a)
    if a.size == 1:
        return np.array([a.flat[0]] * 3)
    if a.size == 2:
        return np.array([a.flat[0], a.flat[1], a.flat[1]])
    return np.array([a.flat[0], a.flat[1], a.flat[2]])


def rebin(a, *args):
    """Mean over blocks: ``rebin(a, n0, n1, ...)`` shrinks ``a`` to the new shape (each a divisor)."""
    a = np.asarray(a)
    shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    shape = tuple(int(s) for s in shape)
    if len(shape) != a.ndim or any(s <= 0 or o % s for o, s in zip(a.shape, shape)):
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


def orientation_flags(orientation) -> tuple:
    """ptypy's orientation (None, an int 0-7 or 3 booleans) as (transpose, flipud, fliplr)."""
    o = 0 if orientation is None else orientation
    if np.isscalar(o):
        if not (isinstance(o, (int, np.integer)) and not isinstance(o, bool) and 0 <= o <= 7):
            raise ParameterError("orientation", "an int 0-7 or 3 booleans (transpose, flipud, fliplr)", o)
        return bool(int(o) & 4), bool(int(o) & 2), bool(int(o) & 1)
    o = list(o)
    if len(o) != 3:
        raise ParameterError("orientation", "an int 0-7 or 3 booleans (transpose, flipud, fliplr)", orientation)
    return tuple(bool(x) for x in o)


def switch_orientation(A, orientation, center=None):
    """View of ``A`` transposed / flipped along the last two axes (ptypy's orientation).

    orientation: (transpose, flipud, fliplr) booleans or an int 0-7 (its 3 bits in that order).
    Returns the view, or (view, new center) when ``center`` (row, col) is given.
    """
    A = np.asarray(A)
    o = orientation_flags(orientation)
    if A.ndim < 2:
        raise ParameterError("A", "an array of at least 2 dimensions", A.shape)
    if o[0]:
        A = np.swapaxes(A, -1, -2)
        center = (center[1], center[0]) if center is not None else None
    if o[1]:
        A = A[..., ::-1, :]
        center = (A.shape[-2] - 1 - center[0], center[1]) if center is not None else None
    if o[2]:
        A = A[..., ::-1]
        center = (center[0], A.shape[-1] - 1 - center[1]) if center is not None else None
    return A if center is None else (A, np.array(center))


_FILL = {"scalar": "constant", "mirror": "symmetric", "periodic": "wrap", "project": "edge"}


def pad_lr(A, axis, l, r, fillpar=0.0, filltype="scalar"):
    """Pad ``l`` planes before and ``r`` after along ``axis``.

    filltype: 'scalar' (``fillpar``), 'mirror', 'periodic' or 'project' (repeat the edge plane).
    """
    A = np.asarray(A)
    if filltype not in _FILL:
        raise ParameterError("filltype", "'scalar', 'mirror', 'periodic' or 'project'", filltype)
    l, r = int(l), int(r)
    if l < 0 or r < 0:
        raise ParameterError("l, r", "numbers of planes >= 0", (l, r))
    spec = [(0, 0)] * A.ndim
    spec[_axis(A, axis)] = (l, r)
    if filltype == "scalar":
        return np.pad(A, spec, mode="constant", constant_values=fillpar)
    return np.pad(A, spec, mode=_FILL[filltype])


def _roll_from_pixcenter(sh, center):
    sh = np.array(sh)
    if center is None:
        return np.zeros_like(sh)
    if isinstance(center, str):
        cen = _translate_to_pix(sh, center, "cen")
    else:
        cen = sh * np.asarray(center, float) % sh - 0.5
    return (np.ceil(cen - sh / 2.0) % sh).astype(int)


def crop_pad_axis(A, hplanes, axis=-1, roll=0, fillpar=0.0, filltype="scalar"):
    """Crop (negative) or pad (positive) ``hplanes`` hyperplanes along ``axis``, as ptypy.

    hplanes: the total over both ends (int; odd: the low end gets the extra plane) or a
    (begin, end) pair.  ``roll`` rolls the array back by that many planes first and undoes it
    afterwards (used by :func:`crop_pad` with ``cen``).  fillpar/filltype as :func:`pad_lr`.
    """
    A = np.asarray(A)
    if np.ndim(hplanes) == 0:
        h = int(hplanes)
        r = (abs(h) // 2) * int(np.sign(h))
        l = h - r
    elif len(hplanes) == 2 and all(np.ndim(x) == 0 for x in hplanes):
        l, r = int(hplanes[0]), int(hplanes[1])
    else:
        raise ParameterError("hplanes", "an int (total) or a (begin, end) pair", hplanes)
    ax = _axis(A, axis)
    if A.shape[ax] + l + r < 0 or (l < 0 and -l > A.shape[ax]) or (r < 0 and -r > A.shape[ax]):
        raise ParameterError("hplanes", f"a crop of at most {A.shape[ax]} planes on axis {ax}", hplanes)
    if roll:
        A = np.roll(A, -roll, axis=ax)
    if l > 0 or r > 0:
        A = pad_lr(A, ax, max(l, 0), max(r, 0), fillpar, filltype)
    n = A.shape[ax]
    sl = tuple(slice(-min(l, 0), n + min(r, 0)) if i == ax else slice(None) for i in range(A.ndim))
    A = A[sl]
    return np.roll(A, roll + r, axis=ax) if roll else A


def crop_pad(A, hplanes, axes=None, cen=None, fillpar=0.0, filltype="scalar"):
    """Crop or pad ``A`` with ``hplanes`` hyperplanes per axis (ptypy's ``crop_pad``).

    hplanes: a list with one entry per axis, each the total over both ends (int, split
    evenly, the low end getting the odd one) or a (begin, end) pair; a list shorter than
    ``A.ndim`` applies to the last axes; a bare int applies to every axis.  ``axes`` names
    the axes explicitly (same length).  ``cen`` ('fft', 'fftshift', 'geometric') crops/pads
    around that centre instead of at the array ends (e.g. high frequencies of an
    unshifted spectrum with ``cen='fft'``).  fillpar/filltype as :func:`pad_lr`.

    >>> crop_pad(np.ones((5, 5)), [4, 4]).shape
    (9, 9)
    """
    A = np.asarray(A)
    if np.ndim(hplanes) == 0:
        hplanes = [hplanes] * A.ndim if axes is None else [hplanes] * len(np.atleast_1d(axes))
    hplanes = list(hplanes)
    if axes is None:
        if len(hplanes) > A.ndim:
            raise ParameterError("hplanes", f"at most {A.ndim} entries (one per axis)", hplanes)
        axes = list(range(A.ndim - len(hplanes), A.ndim))
    else:
        axes = [int(a) for a in np.atleast_1d(axes)]
        if len(axes) != len(hplanes):
            raise ParameterError("axes", f"{len(hplanes)} axes (one per hplanes entry)", axes)
    roll = _roll_from_pixcenter(A.shape, cen)
    for ax, cut in zip(axes, hplanes):
        A = crop_pad_axis(A, cut, ax, int(roll[_axis(A, ax)]), fillpar, filltype)
    return A


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


# ---------------------------------------------------------------------------- zoom, grids
def shift_zoom(c, zoom, cen_old=None, cen_new=None, **kwargs):
    """Move ``cen_old`` of ``c`` to ``cen_new`` and zoom by ``zoom``, as ptypy.

    ``scipy.ndimage.affine_transform(c, diag(zoom), offset=cen_old - cen_new*zoom)``: output
    pixel x samples the input at ``cen_old + zoom*(x - cen_new)``, so zoom > 1 shrinks the
    content (zoom is the input step per output pixel).  ``zoom`` scalar or one per axis;
    centres default to the geometric middle (sh-1)/2.  Shape kept; ``kwargs`` go to
    affine_transform (scipy's defaults: order 3, mode 'constant').  Complex arrays per part.
    """
    c = np.asarray(c)
    nd = c.ndim
    try:
        z = np.broadcast_to(np.asarray(zoom, float), (nd,))
    except ValueError:
        raise ParameterError("zoom", f"a scalar or {nd} factors", zoom) from None
    mid = (np.array(c.shape) - 1) / 2.0
    co = mid if cen_old is None else np.broadcast_to(np.asarray(cen_old, float), (nd,))
    cn = mid if cen_new is None else np.broadcast_to(np.asarray(cen_new, float), (nd,))
    m = np.diag(z)
    offset = co - cn.dot(m)
    at = ndimage.affine_transform
    if np.iscomplexobj(c):
        return complex_overload(at)(c, m, offset, **kwargs)
    return at(c, m, offset, **kwargs)


def zoom(c, *args, **kwargs):
    """scipy.ndimage.zoom (scipy's defaults, order 3); complex input per part, as ptypy."""
    c = np.asarray(c)
    if np.iscomplexobj(c):
        return complex_overload(ndimage.zoom)(c, *args, **kwargs)
    return ndimage.zoom(c, *args, **kwargs)


c_zoom = zoom


def _translate_to_pix(sh, center, key="center"):
    sh = np.array(sh)
    if not isinstance(center, str):
        try:
            return np.broadcast_to(np.asarray(center, float), sh.shape) % sh
        except (ValueError, TypeError):
            raise ParameterError(key, f"'geometric', 'fftshift', 'fft' or {len(sh)} coordinates", center) from None
    if center == "fftshift":
        return sh // 2.0
    if center == "geometric":
        return sh / 2.0 - 0.5
    if center == "fft":
        return sh * 0.0
    raise ParameterError(key, "'geometric', 'fftshift', 'fft' or coordinates", center)


def grids(sh, psize=None, center="geometric", FFTlike=True):
    """Coordinate grids (ndim, *sh): pixel index minus ``center``, times ``psize``, as ptypy.

    center: 'geometric' (sh/2 - 0.5, the array middle), 'fftshift' (sh//2), 'fft' (0) or
    coordinates (taken modulo sh).  ``FFTlike`` wraps the coordinates into
    [-sh//2, sh - sh//2) (so center='fft' gives fft order 0, 1, .., -2, -1).
    """
    sh = np.array([int(s) for s in np.atleast_1d(sh)])
    nd = len(sh)
    cen = _translate_to_pix(sh, center)
    g = np.indices(tuple(sh)).astype(float) - np.reshape(cen, (nd,) + nd * (1,))
    if FFTlike:
        m = np.reshape(sh, (nd,) + nd * (1,))
        g = (g + m // 2.0) % m - m // 2.0
    if psize is None:
        return g
    try:
        ps = np.broadcast_to(np.asarray(psize, float), (nd,))
    except ValueError:
        raise ParameterError("psize", f"a scalar or {nd} pixel sizes", psize) from None
    return g * ps.reshape((nd,) + nd * (1,))


def mass_center(A, axes=None, mask=None):
    """Centre of mass of ``A`` (px), as ptypy: ``sum(A*indices, axes)/sum(A)``.

    With ``axes`` None: one coordinate per axis.  ``axes`` lists the axes summed over (the
    others stay, as ptypy).  ``mask``: weights (same shape) multiplied into ``A``.
    """
    A = np.asarray(A)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != A.shape:
            raise ParameterError("mask", f"an array of shape {A.shape}", mask.shape)
        A = A * mask
    ax = tuple(range(1, A.ndim + 1)) if axes is None else tuple(np.array(axes) % A.ndim + 1)
    return np.sum(A * np.indices(A.shape), axis=ax, dtype=float) / np.sum(A, dtype=float)


def mirror(A, axis=-1):
    """``A`` reversed along ``axis``."""
    return np.flip(np.asarray(A), axis=axis)
