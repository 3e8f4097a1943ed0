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
           "rmphaseramp", "pause", "franzmap", "franzmap_cm", "PtyAxis"]


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


# Franz's colormap: black -> blue -> cyan/green -> yellow -> red -> dark red (segment data for
# matplotlib's LinearSegmentedColormap: (position, value below, value above) per channel)
franzmap_cm = {"red": ((0.0, 0, 0), (0.35, 0, 0), (0.66, 1, 1), (0.89, 1, 1), (1.0, 0.5, 0.5)),
               "green": ((0.0, 0, 0), (0.12, 0, 0), (0.16, 0.2, 0.2), (0.375, 1, 1), (0.64, 1, 1), (0.91, 0, 0),
                         (1.0, 0, 0)),
               "blue": ((0.0, 0, 0), (0.15, 1, 1), (0.34, 1, 1), (0.65, 0, 0), (1.0, 0, 0))}


def _franz_cmap():
    """The 'franzmap' colormap, registered with matplotlib on first use."""
    import matplotlib
    from matplotlib.colors import LinearSegmentedColormap
    if "franzmap" not in matplotlib.colormaps:
        matplotlib.colormaps.register(LinearSegmentedColormap("franzmap", franzmap_cm, N=256))
    return matplotlib.colormaps["franzmap"]


def franzmap():
    """Make 'franzmap' the default image colormap (and apply it to the current image, if any)."""
    import matplotlib.pyplot as plt
    cm = _franz_cmap()
    plt.rc("image", cmap="franzmap")
    im = plt.gci()
    if im is not None:
        im.set_cmap(cm)
    plt.draw_if_interactive()
    return cm


def _get_cmap(cmap):
    import matplotlib
    if cmap is None or callable(cmap):
        return cmap if cmap is not None else matplotlib.colormaps["gray"]
    if str(cmap) == "franzmap":
        return _franz_cmap()
    try:
        return matplotlib.colormaps[str(cmap)]
    except KeyError:
        return matplotlib.colormaps["gray"]


class PtyAxis:
    """A matplotlib image axis showing a 2-D (complex) array through :func:`imsave`, as ptypy's
    ``PtyAxis``: ``channel`` 'a' modulus, 'p' phase (rad), 'r' real, 'i' imaginary, 'c' complex
    (phase as hue, modulus as value); ``cmap`` a colormap name; keyword ``vmin``/``vmax`` fix
    the colour limits, ``rmramp`` removes the phase ramp; other keywords go to ``imshow``.
    ``ax`` None creates a figure."""

    def __init__(self, ax=None, data=None, channel="r", cmap=None, fontsize=8, **kwargs):
        if ax is None:
            import matplotlib.pyplot as plt
            ax = plt.figure().add_subplot(111)
        self.ax = ax
        self.shape = None
        self.data = None
        self.remove_phase_ramp = kwargs.pop("rmramp", False)
        self.vmin = kwargs.pop("vmin", None)
        self.vmax = kwargs.pop("vmax", None)
        cmap = kwargs.pop("cmap", cmap)
        self.cax = None
        self.mn = self.mx = None
        self.mask = None
        self._mask_radius = None
        self.psize = None
        self.fontsize = fontsize
        self.kwargs = kwargs
        self.image = None
        if data is not None:
            self.set_data(data, False)
        self.set_channel(channel, False)
        self.set_cmap(cmap, False)

    def set_psize(self, psize, update=True):
        """Pixel size (scalar, m) for labels."""
        if not np.isscalar(psize):
            raise ParameterError("psize", "a scalar pixel size", psize)
        self.psize = abs(psize)
        if update:
            self._update()

    def set_channel(self, channel, update=True):
        """One of 'a', 'p', 'c', 'r', 'i'."""
        if channel not in ("a", "c", "p", "r", "i"):
            raise ParameterError("channel", "one of 'a', 'p', 'c', 'r', 'i'", channel)
        self.channel = channel
        if update:
            self._update()

    def set_cmap(self, cmap, update=True):
        """Colormap by name or object (unknown names: 'gray')."""
        self.cmap = _get_cmap(cmap)
        if update:
            self._update()

    def set_clims(self, vmin, vmax, update=True):
        """Fixed colour limits, vmin < vmax."""
        if not vmin < vmax:
            raise ParameterError("vmin", f"a value below vmax={vmax}", vmin)
        self.vmin, self.vmax = vmin, vmax
        if update:
            self._update()

    def set_mask(self, mask, update=True):
        """Pixels that set the colour limits: a bool array, or a scalar radius (px) about the
        centre; None for all."""
        self._mask_radius = mask if mask is not None and np.isscalar(mask) else None
        if mask is None:
            self.mask = None
        elif np.isscalar(mask) and self.shape is not None:
            from .utils_array import grids
            y, x = grids(self.shape)
            self.mask = np.sqrt(x ** 2 + y ** 2) < abs(mask)
        else:
            self.mask = np.asarray(mask, bool)
            self.shape = self.shape or self.mask.shape
        if update:
            self._update()

    def set_data(self, data, update=True):
        """New 2-D data."""
        data = np.asarray(data)
        if data.ndim != 2:
            raise ParameterError("data", "a 2-d array", data.shape)
        renew = self.shape is not None and tuple(self.shape) != data.shape
        self.data, self.shape = data, data.shape
        if renew and self.mask is not None:
            # a radius follows the new shape; an array mask of the old shape is dropped
            self.set_mask(getattr(self, "_mask_radius", None), False)
        if update:
            self._update(renew_image=renew)

    def _imdata(self):
        d = self.data
        if self.channel in ("p", "c") and self.remove_phase_ramp:
            d = rmphaseramp(d, weight=self.mask)
        return {"a": np.abs, "r": np.real, "i": np.imag, "p": np.angle}.get(self.channel, lambda x: x)(d)

    def _update(self, renew_image=False):
        if self.data is None:
            return
        im = self._imdata()
        mn, mx = self.vmin, self.vmax
        if self.mask is not None and self.mask.any():
            c = np.abs(self.data) if self.channel == "c" else im
            self.mn, self.mx = float(np.min(c[self.mask])), float(np.max(c[self.mask]))
            mn = self.mn if mn is None else mn
            mx = self.mx if mx is None else mx
        pil = imsave(im, cmap=self.cmap, vmin=mn, vmax=mx)
        if self.image is None or renew_image:
            self.image = self.ax.imshow(pil, **self.kwargs)
            for lab in self.ax.get_xticklabels() + self.ax.get_yticklabels():
                lab.set_fontsize(self.fontsize)
        else:
            self.image.set_data(pil)

    def add_colorbar(self, aspect=10, fraction=0.2, pad=0.02, resolution=256):
        """A colour scale beside the axis (a phase/modulus wheel strip for 'c')."""
        import matplotlib.colorbar as mcb
        cax, _ = mcb.make_axes_gridspec(self.ax, aspect=aspect / 2.0 if self.channel == "c" else aspect,
                                        fraction=fraction, pad=pad)
        self.cax = cax
        ver, hor = np.indices((resolution, max(int(resolution / aspect), 1))) / float(resolution)
        if self.channel == "c":
            cax.imshow(imsave(ver * np.exp(2j * np.pi * hor * resolution / max(hor.shape[1], 1))),
                       extent=[0, 2 * np.pi, 0, 1], aspect="auto")
        else:
            lo = self.vmin if self.vmin is not None else (self.mn if self.mn is not None else 0.0)
            hi = self.vmax if self.vmax is not None else (self.mx if self.mx is not None else 1.0)
            cax.imshow(ver[::-1], cmap=self.cmap, extent=[0, 1, lo, hi], aspect="auto")
            cax.xaxis.set_visible(False)
        cax.yaxis.tick_right()
        return cax
