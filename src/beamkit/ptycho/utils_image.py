"""Image helpers of ``u`` (ptypy's ``utils.plot_utils`` semantics, without the GUIs).

Part of :mod:`beamkit.ptycho.utils`; import them from there.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from ..errors import FormatError, ParameterError

__all__ = ["complex2hsv", "hsv2rgb", "complex2rgb", "rgb2hsv", "hsv2complex", "rgb2complex", "imsave", "imload",
           "rmphaseramp", "pause"]


def complex2hsv(cin, vmin=0.0, vmax=None):
    """HSV channels (3, ...) of a complex array: hue = phase/(2 pi) + 1/2, saturation 1,
    value = amplitude clipped to [vmin, vmax] and scaled to [0, 1] (None: its min/max)."""
    cin = np.asarray(cin)
    h = 0.5 * np.angle(cin) / np.pi + 0.5
    s = np.ones(cin.shape)
    v = np.abs(cin).astype(float)
    vmin = v.min() if vmin is None else vmin
    vmax = v.max() if vmax is None else vmax
    if vmin == vmax:
        v = np.clip(np.ones_like(v) * v.mean(), 0.0, 1.0)
    elif vmin > vmax:
        raise ParameterError("vmin, vmax", "vmin < vmax", (vmin, vmax))
    else:
        v = (np.clip(v, vmin, vmax) - vmin) / (vmax - vmin)
    return np.asarray((h, s, v))


def hsv2rgb(hsv):
    """RGB (..., 3) with values 0-255 (float) from HSV channels in [0, 1] along the **first**
    axis (ptypy's layout, (3, H, W)); an array (H, W, 3) whose first axis is not 3 is read
    with the channels last."""
    hsv = np.asarray(hsv, float)
    if hsv.shape[0] != 3:
        if hsv.shape[-1] != 3:
            raise ParameterError("hsv", "HSV channels along the first axis, shape (3, H, W)", hsv.shape)
        hsv = np.moveaxis(hsv, -1, 0)
    h, s, v = hsv
    i = (6.0 * h).astype(int)
    f = 6.0 * h - i
    p = v * (1.0 - s)
    q = v * (1.0 - s * f)
    t = v * (1.0 - s * (1.0 - f))
    i0, i1, i2, i3, i4, i5 = (i % 6 == 0), (i == 1), (i == 2), (i == 3), (i == 4), (i == 5)
    rgb = np.zeros(h.shape + (3,), dtype=h.dtype)
    rgb[..., 0] = 255 * (i0 * v + i1 * q + i2 * p + i3 * p + i4 * t + i5 * v)
    rgb[..., 1] = 255 * (i0 * t + i1 * v + i2 * v + i3 * q + i4 * p + i5 * p)
    rgb[..., 2] = 255 * (i0 * p + i1 * p + i2 * t + i3 * v + i4 * v + i5 * q)
    return rgb


def complex2rgb(cin, **kwargs):
    """``hsv2rgb(complex2hsv(cin, **kwargs))``: RGB (..., 3), values 0-255."""
    return hsv2rgb(complex2hsv(cin, **kwargs))


def rgb2hsv(rgb):
    """HSV channels (3, H, W) from RGB (H, W, 3) (inverse of :func:`hsv2rgb` up to scale)."""
    eps = 1e-6
    rgb = np.asarray(rgb).astype(float)
    maxc, minc = rgb.max(axis=-1), rgb.min(axis=-1)
    v = maxc
    s = (maxc - minc) / (maxc + eps)
    s[maxc <= eps] = 0.0
    rc, gc, bc = ((maxc - rgb[..., k]) / (maxc - minc + eps) for k in range(3))
    h = 4.0 + gc - rc
    g_max = rgb[..., 1] == maxc
    h[g_max] = 2.0 + rc[g_max] - bc[g_max]
    r_max = rgb[..., 0] == maxc
    h[r_max] = bc[r_max] - gc[r_max]
    h[minc == maxc] = 0.0
    return np.asarray(((h / 6.0) % 1.0, s, v))


def hsv2complex(cin):
    """Complex array from HSV channels (inverse of :func:`complex2hsv`, amplitude max 1)."""
    h, s, v = cin
    return v * np.exp(np.pi * 2j * (h - 0.5)) / v.max()


def rgb2complex(rgb):
    """Complex array from an RGB image (inverse of :func:`complex2rgb`)."""
    return hsv2complex(rgb2hsv(rgb))


def _pil_format(filename):
    from PIL import Image
    ext = os.path.splitext(str(filename))[1].lower()
    fmt = Image.registered_extensions().get(ext)
    if fmt is None:
        raise ParameterError("filename", "a name ending in an image extension (.png, .tif, .jpg, ...)",
                             str(filename))
    return fmt


def imsave(a, filename=None, vmin=None, vmax=None, cmap=None):
    """A 2-d array as a ``PIL.Image`` (returned), saved to ``filename`` when given.

    Complex: phase as hue, amplitude (clipped to [vmin, vmax]) as value, mode 'RGB'.
    Real: scaled from [vmin, vmax] (default min/max) to 0-255, mode 'L', or 'RGB' through
    ``cmap`` (a matplotlib colormap name or object).  The file format follows the
    extension (PIL); the file is written atomically.
    """
    from PIL import Image
    a = np.asarray(a)
    if a.ndim != 2:
        raise ParameterError("a", "a 2-d array", a.shape)
    if isinstance(cmap, str):
        import matplotlib
        try:
            cmap = matplotlib.colormaps[cmap]
        except KeyError:
            raise ParameterError("cmap", "a matplotlib colormap name or object", cmap) from None
    elif cmap is not None and not callable(cmap):
        raise ParameterError("cmap", "a matplotlib colormap name or object", cmap)
    fmt = _pil_format(filename) if filename is not None else None
    if np.iscomplexobj(a):
        im = Image.fromarray(np.uint8(complex2rgb(a, vmin=vmin, vmax=vmax)), mode="RGB")
    else:
        a = a.astype(float)
        lo = np.nanmin(a) if vmin is None else vmin
        hi = np.nanmax(a) if vmax is None else vmax
        scaled = (255 * (np.clip(a, lo, hi) - lo) / (hi - lo)) if hi > lo else np.zeros(a.shape)
        im = Image.fromarray(np.nan_to_num(scaled).astype("uint8"))
        if cmap is not None:
            lut = np.asarray(cmap(np.arange(256) / 255.0))[:, :3] * 255
            im = Image.fromarray(lut[np.asarray(im)].astype("uint8"), mode="RGB")
    if filename is not None:
        from ..core.files import atomic_path
        if fmt == "JPEG" and im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        with atomic_path(filename) as tmp:
            im.save(tmp, format=fmt)
    return im


def imload(filename) -> np.ndarray:
    """An image file (PNG, TIFF, JPEG, ... via Pillow) as an array."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(filename) as im:
            return np.array(im)
    except (OSError, ValueError, SyntaxError, UnidentifiedImageError) as e:
        raise FormatError(f"cannot read image ({e})", path=str(filename), expected="an image file") from None


def rmphaseramp(a, weight=None, return_phaseramp=False):
    """Remove the linear phase ramp of a 2-d complex array, as ptypy.

    The mean phase gradient (``np.gradient`` of exp(i angle a)) is averaged, weighted by
    ``weight`` (an array, ``'abs'`` for |a|, or None).  Returns ``out = a*p`` and, with
    ``return_phaseramp``, also ``p = exp(-i(gy*y + gx*x))``, the factor that removes the ramp.
    """
    a = np.asarray(a)
    if a.ndim != 2:
        raise ParameterError("a", "a 2-d complex array", a.shape)
    if isinstance(weight, str):
        if weight != "abs":
            raise ParameterError("weight", "None, 'abs' or an array", weight)
        weight = np.abs(a)
    elif weight is not None:
        weight = np.asarray(weight, float)
        if weight.shape != a.shape:
            raise ParameterError("weight", f"None, 'abs' or an array of shape {a.shape}", weight.shape)
    ph = np.exp(1j * np.angle(a))
    g0, g1 = np.gradient(ph)
    g0 = -np.real(1j * g0 / ph)
    g1 = -np.real(1j * g1 / ph)
    if weight is not None:
        nrm = weight.sum()
        if not nrm > 0:
            raise ParameterError("weight", "weights with a positive sum", float(nrm))
        a0, a1 = (g0 * weight).sum() / nrm, (g1 * weight).sum() / nrm
    else:
        a0, a1 = g0.mean(), g1.mean()
    i0, i1 = np.indices(a.shape)
    p = np.exp(-1j * (a0 * i0 + a1 * i1))
    return (a * p, p) if return_phaseramp else a * p


def pause(timeout=-1, message=None):
    """Pause a script: wait for return (``timeout`` < 0) or ``timeout`` seconds, keeping
    open matplotlib figures responsive; ``message`` is printed (or the prompt)."""
    if timeout < 0:
        input("Paused. Hit return to continue." if message is None else message)
        return
    if message is not None:
        print(message)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None and plt.get_fignums() and timeout > 0:
        plt.pause(timeout)
    else:
        time.sleep(timeout)
