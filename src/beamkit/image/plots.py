"""Plots of images (with calibration rings and masks) and of 2θ-azimuth cakes (PNG, Agg)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.files import atomic_path

__all__ = ["plot_image", "plot_cake"]


def _pyplot():
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg",) and "MPLBACKEND" not in __import__("os").environ:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _out(img, filename, suffix):
    if filename is None:
        base = img.name[4:] if img.name.startswith("IMG ") else img.name
        filename = Path(base.replace(" ", "_").replace("#", "")).name + suffix
    return Path(filename)


def plot_image(img, filename=None, rings: bool = True, show_masks: bool = True, max_side: int = 1200):
    """Image (log scale, binned to <= max_side pixels) with calibrant ellipses and masks; returns the PNG path."""
    from . import calibrants as cal, calibrate as K
    plt = _pyplot()
    c = img.controls
    data = np.asarray(img.image, dtype=float)
    step = max(1, int(np.ceil(max(data.shape) / max_side)))
    shown = data[::step, ::step]
    px, py = c["pixelSize"][0] / 1000.0, c["pixelSize"][1] / 1000.0
    extent = [0, data.shape[1] * px, data.shape[0] * py, 0]
    fig, ax = plt.subplots(figsize=(7, 7))
    pos = shown[shown > 0]
    vmin, vmax = (np.percentile(pos, [5, 99.5]) if pos.size else (1, 2))
    ax.imshow(np.log10(np.clip(shown, max(vmin, 1e-3), None)), extent=extent, cmap="gray_r",
              vmin=np.log10(max(vmin, 1e-3)), vmax=np.log10(max(vmax, vmin * 1.01 + 1e-3)))
    if show_masks:
        sm = img.data["Masks"].get("SpotMask", {}).get("spotMask")
        pos_mask = img.IntMaskMap()
        if sm is not None:
            pos_mask = pos_mask | np.asarray(sm, bool)
        if pos_mask.any():
            over = np.ma.masked_where(~pos_mask[::step, ::step], np.ones_like(shown))
            ax.imshow(over, extent=extent, cmap="autumn", alpha=0.5)
    if rings and c.get("calibrant"):
        for d in cal.d_spacings(c["calibrant"], float(c["calibdmin"])):
            if c["wavelength"] / (2 * d) >= 1:
                break
            tth = 2 * np.degrees(np.arcsin(c["wavelength"] / (2 * d)))
            el = K.conic(tth, c["distance"], c["tilt"], c["rotation"], c["center"], c.get("DetDepth", 0.0))
            if el is None:
                continue
            azm = np.linspace(0, 360, 361)
            r = K.conic_radius(tth, azm, c["distance"], c["tilt"], c["rotation"])
            ax.plot(c["center"][0] + r * np.cos(np.radians(azm)), c["center"][1] + r * np.sin(np.radians(azm)),
                    "c-", lw=0.7)
        pts = c.get("rings")
        if pts is not None and len(pts):
            pts = np.asarray(pts)
            ax.plot(pts[:, 0], pts[:, 1], "r+", ms=3)
    ax.plot(*c["center"], "r+", ms=12)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title(img.name)
    out = _out(img, filename, ".png")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return str(out)


def plot_cake(img, filename=None, npt_rad: int = 1000, npt_azim: int = 360):
    """2θ-azimuth cake of the image (pyFAI integrate2d with GSAS-II's corrections); returns the PNG path."""
    from . import integrate as I
    plt = _pyplot()
    data = img.image
    cc = dict(img.controls, outChannels=npt_rad, outAzimuths=npt_azim, LRazimuth=[0.0, 360.0])
    maps = I.IntegrationMaps(cc, data.shape, img.data["Masks"])
    h, az, x, _ = I.integrate(data, cc, img.data["Masks"], maps=maps, engine="numpy")
    fig, ax = plt.subplots(figsize=(8, 5))
    pos = h[h > 0]
    vmax = np.percentile(pos, 99.5) if pos.size else 1
    ax.imshow(h, aspect="auto", origin="lower", extent=[x[0], x[-1] + (x[1] - x[0]), az[0], az[-1]],
              vmin=0, vmax=vmax, cmap="viridis")
    ax.set_xlabel("2θ (deg)")
    ax.set_ylabel("azimuth (deg)")
    ax.set_title(f"{img.name} cake")
    out = _out(img, filename, "_cake.png")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return str(out)
