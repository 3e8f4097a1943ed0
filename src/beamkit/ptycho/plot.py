"""Reconstruction figures: object amplitude and phase, probe modes, error curves (PNG via Agg).

``plot(x)`` accepts a Ptycho, a .ptyr path or arrays; ``AutoPlot`` renders in a background
thread from snapshots, so plotting never stalls the reconstruction.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from ..core.files import atomic_path
from ..core.log import get_logger

__all__ = ["plot_storage", "plot_reconstruction", "make_figure", "make_movie", "plot_ptycho", "plot_ptyr", "plot", "AutoPlot", "complex_to_rgb",
           "figure_from_ptycho", "figure_from_ptyr"]

log = get_logger("ptycho.plot")


def complex_to_rgb(a):
    """HSV image of a complex array: hue = phase, value = amplitude / max."""
    from matplotlib.colors import hsv_to_rgb
    a = np.asarray(a)
    amp = np.abs(a)
    v = amp / max(float(amp.max()), 1e-30)
    h = (np.angle(a) + np.pi) / (2 * np.pi)
    return hsv_to_rgb(np.stack([h, np.ones_like(h), v], -1))


def _crop(obj, weights=None):
    """Crop to the illuminated region; returns (cropped object, amplitude display range or None)."""
    if weights is None or weights.shape != obj.shape:
        return obj, None
    ys, xs = np.nonzero(weights > 0)
    if not len(ys):
        return obj, None
    sl = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    amp = np.abs(obj[sl][weights[sl] > 0])
    return obj[sl], (float(np.percentile(amp, 0.5)), float(np.percentile(amp, 99.5)))


def save_figure(fig, path):
    """Write ``fig`` atomically in the format of the file's extension (png, jpg, pdf, svg, ...;
    PNG without a known one), as ptypy's ``savefig(plot_file)``."""
    import matplotlib
    ext = os.path.splitext(str(path))[1].lower().lstrip(".")
    supported = matplotlib.figure.Figure().canvas.get_supported_filetypes()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=ext if ext in supported else "png")
    return path


def plot_reconstruction(obj, probe, errors, path, title="", weights=None):
    """Write the figure with object |O| and arg O, probe modes (HSV) and normalised error curves
    (format from the file's extension)."""
    return save_figure(make_figure(obj, probe, errors, title, weights), path)


def make_figure(obj, probe, errors, title="", weights=None):
    """The reconstruction figure as a matplotlib Figure (Agg canvas; no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    obj = np.asarray(obj)
    obj = obj[0] if obj.ndim == 3 else obj
    probe = np.asarray(probe)
    probe = probe.reshape(-1, *probe.shape[-2:])
    nm = min(len(probe), 4)
    o, rng = _crop(obj, weights)
    fig = Figure(figsize=(4 * (2 + nm) / 1.3, 7.5), dpi=100)
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(2, 2 + nm)
    ax = fig.add_subplot(gs[0, 0])
    im = ax.imshow(np.abs(o), cmap="gray", vmin=rng[0] if rng else None, vmax=rng[1] if rng else None)
    fig.colorbar(im, ax=ax, shrink=0.7)
    ax.set_title("object amplitude")
    ax = fig.add_subplot(gs[0, 1])
    im = ax.imshow(np.angle(o), cmap="twilight")
    fig.colorbar(im, ax=ax, shrink=0.7)
    ax.set_title("object phase (rad)")
    for k in range(nm):
        ax = fig.add_subplot(gs[0, 2 + k])
        ax.imshow(complex_to_rgb(probe[k]))
        ax.set_title(f"probe mode {k}: P={float((np.abs(probe[k]) ** 2).sum()):.2e}")
    ax = fig.add_subplot(gs[1, :])
    e = np.asarray(errors, float).reshape(-1, 3) if errors is not None and len(errors) else np.zeros((0, 3))
    for j, name in enumerate(("Fourier", "Photons", "Exit")):
        col = e[:, j]
        if len(col) and np.nanmax(np.abs(col)) > 0:
            ax.plot(np.arange(1, len(col) + 1), col / np.nanmax(np.abs(col)), label=f"{name} ({col[-1]:.3g})")
    ax.set_xlabel("iteration")
    ax.set_ylabel("error / max")
    ax.set_yscale("log")
    if e.size:
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _parse_slices(text: str):
    """'0:4, :, 10:-10' -> a tuple of ints and slices (ptypy's string form of ``slices``; no eval)."""
    out = []
    for part in str(text).split(","):
        part = part.strip()
        if ":" in part:
            bits = [int(b) if b.strip() else None for b in part.split(":")]
            out.append(slice(*bits))
        elif part in ("...", "Ellipsis"):
            out.append(Ellipsis)
        elif part:
            out.append(int(part))
    return tuple(out)


def _length_units(number):
    """(unit, factor) to print ``number`` m in nm, um, mm, m or km (ptypy's ``length_units``)."""
    a = np.floor(np.log10(abs(float(number)))) if number else 0.0
    for lim, unit, mag in ((-6, "nm", 1e9), (-3, "um", 1e6), (0, "mm", 1e3), (3, "m", 1.0)):
        if a < lim:
            return unit, mag
    return "km", 1e-3


def plot_storage(S, fignum=100, modulus="linear", slices=(slice(1), slice(None), slice(None)), si_axes="x",
                 mask=None, **kwargs):
    """ptypy's ``u.plot_storage``: the layers of ``S.data[slices]`` side by side in figure ``fignum``
    (a matplotlib Figure, returned; pyplot's, so ``plt.show()`` shows it where a display exists).

    ``modulus`` 'linear', 'sqrt' or 'log' (log10(|a| + 1)) scales the modulus, the phase (complex)
    or sign (real) kept; ``slices`` a tuple of slices or its string ('0:4,:,:'); ``si_axes``
    'x', 'y', 'xy' or None: which axes are labelled in length units from the storage's origin and
    pixel; ``mask`` a bool array of the pixels that set the colour range (or a radius in px).
    Keywords: ``channel`` ('c' complex as hue/brightness, 'a' modulus, 'p' phase, 'r' real,
    'i' imaginary; default 'c' for complex data, 'r' for real), ``cmap``, ``vmin``, ``vmax``,
    ``rmramp`` (remove a phase ramp), others go to ``imshow``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter
    from .utils_image import complex2rgb, rmphaseramp
    slc = _parse_slices(slices) if isinstance(slices, str) else slices
    im = np.array(S.data[slc])
    if im.dtype == bool:
        im = im.astype(np.float32)
    if im.ndim == 2:
        im = im[None]
    cplx = np.iscomplexobj(im)
    phase = np.exp(1j * np.angle(im)) if cplx else np.sign(im) + (im == 0)
    if modulus == "sqrt":
        im = np.sqrt(np.abs(im)) * phase
    elif modulus == "log":
        im = np.log10(np.abs(im) + 1) * phase
    else:
        modulus = "linear"
    channel = kwargs.pop("channel", "c" if cplx else "r")
    if channel not in ("a", "c", "p", "r", "i"):
        from ..errors import ParameterError
        raise ParameterError("channel", "one of 'a', 'c', 'p', 'r', 'i'", channel)
    cmap = kwargs.pop("cmap", None) or "gray"
    vmin, vmax = kwargs.pop("vmin", None), kwargs.pop("vmax", None)
    rmramp = kwargs.pop("rmramp", False)
    fontsize = kwargs.pop("fontsize", 8)
    if mask is not None and np.isscalar(mask):
        ny, nx = im.shape[-2:]
        yy, xx = np.indices((ny, nx))
        mask = np.hypot(yy - ny // 2, xx - nx // 2) < abs(float(mask))
    mask = None if mask is None else np.broadcast_to(np.asarray(mask, bool), im.shape[-2:])
    psize = np.broadcast_to(np.asarray(getattr(S, "psize", 1.0), float), (2,))
    origin = np.asarray(getattr(S, "origin", (0.0, 0.0)), float)
    layers = im.shape[0]
    fig = plt.figure(fignum, figsize=(6 * layers, 5))
    fig.clf()
    for k in range(layers):
        a = im[k]
        if rmramp and cplx and channel in ("c", "p"):
            a = rmphaseramp(a, weight=mask)
        ax = fig.add_subplot(1, layers, k + 1)
        if channel == "c":
            amp = np.abs(a)
            sel = amp[mask] if mask is not None and mask.any() else amp
            lo = float(sel.min()) if vmin is None else vmin
            hi = float(sel.max()) if vmax is None else vmax
            rgb = np.asarray(complex2rgb(a if cplx else a.astype(complex), vmin=lo, vmax=max(hi, lo + 1e-30)))
            ax.imshow(np.clip(rgb / 255.0, 0, 1), **kwargs)
        else:
            d = {"a": np.abs, "p": np.angle, "r": np.real, "i": np.imag}[channel](a)
            sel = d[mask] if mask is not None and mask.any() else d
            lo = float(sel.min()) if vmin is None else vmin
            hi = float(sel.max()) if vmax is None else vmax
            img = ax.imshow(d, cmap=cmap, vmin=lo, vmax=hi, **kwargs)
            fig.colorbar(img, ax=ax, fraction=0.046, pad=0.02)
        for axis, i, lab in ((ax.xaxis, 1, "x"), (ax.yaxis, 0, "y")):
            if si_axes is not None and lab in str(si_axes):
                unit, mag = _length_units(psize[i] * im.shape[-2:][i])
                axis.set_major_formatter(FuncFormatter(
                    lambda v, _p, i=i, mag=mag: f"{(origin[i] + v * psize[i]) * mag:.3g}"))
                axis.set_label_text(f"{lab} [{unit}]", fontsize=fontsize + 2)
            else:
                axis.set_label_text(f"{lab} [Pixel]", fontsize=fontsize + 2)
        ax.tick_params(labelsize=fontsize)
        ax.set_title(f"{getattr(S, 'ID', 'S')}#{k}, {modulus} scaled", fontsize=fontsize + 2)
    return fig


def figure_from_ptycho(P):
    """ptypy's ``figure_from_ptycho``: the live figure of a Ptycho (for notebooks)."""
    r = P.result
    return make_figure(r.object, r.probe, r.errors, f"{P.runtime.get('run', '')} iteration {r.iterations}",
                       _weights_for(P))


def figure_from_ptyr(ptyr):
    """ptypy's ``figure_from_ptyr``: the figure of a .ptyr file."""
    obj, probe, errs = _ptyr_content(ptyr)
    return make_figure(obj, probe, errs, os.path.basename(str(ptyr)))


def _weights_for(P):
    try:
        from .metrics import fluence
        b = P.blocks[0]
        return fluence(b.probe.data, b.views.corners, b.obj.shape[-2:])
    except Exception:
        return None


def plot_ptycho(P, path):
    """Figure of a Ptycho's first object/probe storages and its error history."""
    r = P.result
    title = f"{P.runtime.get('run', '')} {P.runtime.get('engine', '')} iteration {r.iterations}"
    return plot_reconstruction(r.object, r.probe, r.errors, path, title, _weights_for(P))


def _ptyr_content(ptyr):
    from .io_ptyr import read_ptyr
    c = read_ptyr(ptyr)["content"]
    obj = next(iter(c["obj"].values()))["data"]
    probe = next(iter(c["probe"].values()))["data"]
    info = (c.get("runtime") or {}).get("iter_info") or []
    if isinstance(info, dict):
        info = [info[k] for k in sorted(info)]
    errs = np.array([np.asarray(i.get("error", [0, 0, 0]), float) for i in info]).reshape(-1, 3)
    return obj, probe, errs


def plot_ptyr(ptyr, path=None):
    """Figure of a .ptyr file (first object and probe storage, iter_info errors)."""
    obj, probe, errs = _ptyr_content(ptyr)
    path = path or os.path.splitext(str(ptyr))[0] + ".png"
    return plot_reconstruction(obj, probe, errs, path, os.path.basename(str(ptyr)))


def plot(x, path=None):
    """Plot a Ptycho, a .ptyr file name, or a (object, probe, errors) tuple; returns the PNG path."""
    if hasattr(x, "result") and hasattr(x, "runtime"):
        return plot_ptycho(x, path or x.paths.plot_file(x.runtime))
    if isinstance(x, (str, os.PathLike)):
        return plot_ptyr(x, path)
    obj, probe, errors = x
    return plot_reconstruction(obj, probe, errors, path or "reconstruction.png")


def make_movie(pngs, path, fps: float = 4.0):
    """Animated GIF of the autoplot PNGs (Pillow, which matplotlib brings); returns its path."""
    from PIL import Image
    frames = [Image.open(f).convert("P", palette=Image.ADAPTIVE) for f in pngs if os.path.isfile(f)]
    if not frames:
        return None
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0)
    return path


def autoplot_interval(pars) -> int:
    """``io.autoplot.interval`` (default 1; <= 0 means no plots, as ptypy)."""
    v = pars.get("interval")
    return int(v) if v is not None else 1


class AutoPlot:
    """Render a PNG every ``interval`` iterations in a worker thread from copied snapshots.

    Made by Ptycho when ``io.autoplot`` is active with ``dump`` True and ``interval`` > 0 (ptypy's
    switches: ``dump`` writes the image files, ``interval`` <= 0 disables plotting).
    """

    def __init__(self, P, pars):
        self.P = P
        self.interval = autoplot_interval(pars)
        self.threaded = bool(pars.get("threaded", True))
        self.make_movie = bool(pars.get("make_movie", False))
        self.movie = None
        self.files: list[str] = []
        self.frames_txt = None
        self._busy = threading.Event()
        self._thread = None
        self._weights = None
        self._last_it = None

    def maybe_plot(self):
        it = int(self.P.runtime.get("iterations", 0))
        if it % self.interval or self._busy.is_set():
            return None
        r = self.P.result
        if self._weights is None:
            self._weights = _weights_for(self.P)
        snap = (np.array(r.object), np.array(r.probe), r.errors.copy(), self.P.paths.plot_file(self.P.runtime),
                f"{self.P.runtime.get('run')} {self.P.runtime.get('engine')} iteration {it}")
        self._busy.set()
        self._last_it = it
        if self.threaded:
            self._thread = threading.Thread(target=self._render, args=snap, daemon=True)
            self._thread.start()
        else:
            self._render(*snap)
        return snap[3]

    def _render(self, obj, probe, errs, path, title):
        try:
            plot_reconstruction(obj, probe, errs, path, title, self._weights)
            self.files.append(path)
        except Exception as exc:  # plotting must never end a reconstruction
            log.warning("autoplot failed: %s", exc)
        finally:
            self._busy.clear()

    def close(self):
        if self._thread is not None:
            self._thread.join(timeout=30)
        it = int(self.P.runtime.get("iterations", 0))
        if it and it != self._last_it:
            self._busy.clear()                          # as ptypy's plot client: the final state too
            self._last_it = it
            r = self.P.result
            self._render(np.array(r.object), np.array(r.probe), r.errors.copy(), self.P.paths.plot_file(self.P.runtime),
                         f"{self.P.runtime.get('run')} {self.P.runtime.get('engine')} iteration {it}")
        if self.files:
            txt = os.path.join(os.path.dirname(self.files[-1]), "frames.txt")
            with atomic_path(txt) as tmp:
                with open(tmp, "w") as f:
                    f.write("\n".join(self.files) + "\n")
            self.frames_txt = txt
            if self.make_movie:
                self.movie = make_movie(self.files, os.path.join(os.path.dirname(self.files[-1]), "movie.gif"))
