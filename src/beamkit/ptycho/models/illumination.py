"""Initial probe and object estimates (ptypy's illumination / sample model entries).

All lengths in m unless stated; ``psize`` is the object-plane pixel size (m).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ...errors import ParameterError

__all__ = ["aperture", "init_probe", "init_object", "add_modes"]


def _get(p, key, default=None):
    if p is None:
        return default
    try:
        v = p.get(key, default)
    except AttributeError:
        v = getattr(p, key, default)
    return default if v is None else v


def aperture(shape, psize, form="circ", size=None, edge=2.0, central_stop=None, offset=0.0, rotate=0.0,
             diffuser=None, rng=None) -> np.ndarray:
    """Real aperture transmission on a (Ny, Nx) grid; ``size`` diameter/width in m (None: a third of the frame)."""
    ny, nx = shape
    psize = np.broadcast_to(np.asarray(psize, float), (2,))
    if form is None:
        return np.ones(shape, np.complex64)
    if size is None:
        size_px = np.array([ny / 3.0, nx / 3.0])
    else:
        size_px = np.broadcast_to(np.asarray(size, float), (2,)) / psize
    off = np.broadcast_to(np.asarray(offset, float), (2,)) / psize
    y = np.arange(ny) - ny // 2 - off[0]
    x = np.arange(nx) - nx // 2 - off[1]
    Y, X = np.meshgrid(y, x, indexing="ij")
    if rotate:
        c, s = np.cos(rotate), np.sin(rotate)
        Y, X = c * Y - s * X, s * Y + c * X
    if form == "circ":
        r = np.sqrt((Y / (size_px[0] / 2)) ** 2 + (X / (size_px[1] / 2)) ** 2) * (size_px.mean() / 2)
        dist = r - size_px.mean() / 2
    elif form == "rect":
        dist = np.maximum(np.abs(Y) - size_px[0] / 2, np.abs(X) - size_px[1] / 2)
    else:
        raise ParameterError("illumination.aperture.form", "None, 'circ' or 'rect'", form)
    e = float(edge or 0.0)
    if e > 0:
        ap = 0.5 * (1 - np.tanh(dist / (e / 2.0)))
        ap[dist < -2 * e] = 1.0
        ap[dist > 2 * e] = 0.0
        # match ptypy's hard disc for the default edge: pixels inside the nominal size are fully open
        ap = np.where(dist <= -0.5, 1.0, np.where(dist >= 0.5 + e, 0.0, ap))
    else:
        ap = (dist <= 0).astype(float)
    if central_stop:
        rr = np.sqrt(Y ** 2 + X ** 2)
        ap = ap * (rr > central_stop * size_px.mean() / 2)
    ap = ap.astype(np.complex64)
    if diffuser is not None:
        rng = rng or np.random.default_rng(0)
        rms, sigma = (list(diffuser) + [1.0])[:2]
        noise = ndimage.gaussian_filter(rng.normal(size=shape), float(sigma))
        noise *= float(rms) / (noise.std() + 1e-30)
        ap = ap * np.exp(1j * noise).astype(np.complex64)
    return ap


def _fresnel(field, psize, distance, wavelength):
    ny, nx = field.shape
    qy = np.fft.fftfreq(ny, psize[0])
    qx = np.fft.fftfreq(nx, psize[1])
    k = np.exp(-1j * np.pi * wavelength * distance * (qy[:, None] ** 2 + qx[None, :] ** 2))
    return np.fft.ifft2(np.fft.fft2(field) * k)


def init_probe(pars, shape, psize, wavelength, photons=None, diff_mean=None, rng=None) -> np.ndarray:
    """First probe mode (Ny, Nx) complex64 from an illumination parameter tree.

    ``model``: None (aperture, then optional propagation), an ndarray, or 'stxm'
    (back-propagated root of the mean diffraction pattern ``diff_mean``, centred frame).
    ``photons`` (total Σ|P|²) overrides; otherwise the data's maximum frame power is used.
    """
    psize = np.broadcast_to(np.asarray(psize, float), (2,))
    model = _get(pars, "model")
    if isinstance(model, np.ndarray) or (model is not None and not isinstance(model, str)):
        pr = np.asarray(model, np.complex64)
        if pr.ndim == 3:
            pr = pr[0]
        if pr.shape != tuple(shape):
            raise ParameterError("illumination.model", f"array of shape {tuple(shape)}", pr.shape)
    elif model == "stxm":
        if diff_mean is None:
            raise ParameterError("illumination.model", "diffraction data for 'stxm'", model)
        pr = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(np.sqrt(np.maximum(diff_mean, 0)))))
    elif model in (None, "recon"):
        ap = _get(pars, "aperture", {})
        prop = _get(pars, "propagation", {})
        focussed = _get(prop, "focussed")
        spot = _get(prop, "spot_size")
        size = _get(ap, "size")
        form = _get(ap, "form", "circ")
        if focussed:
            # aperture in the lens plane, sampled so that its far field lands on our grid
            lens_psize = wavelength * focussed / (np.asarray(shape) * psize)
            if spot:
                size = 2.44 * wavelength * focussed / spot
            a = aperture(shape, lens_psize, form, size, _get(ap, "edge", 2.0), _get(ap, "central_stop"),
                         _get(ap, "offset", 0.0), _get(ap, "rotate", 0.0), _get(ap, "diffuser"), rng)
            pr = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(a)))
        else:
            a = aperture(shape, psize, form, size, _get(ap, "edge", 2.0), _get(ap, "central_stop"),
                         _get(ap, "offset", 0.0), _get(ap, "rotate", 0.0), _get(ap, "diffuser"), rng)
            pr = a
        par = _get(prop, "parallel")
        if par:
            pr = _fresnel(pr, psize, par, wavelength)
    else:
        raise ParameterError("illumination.model", "None, 'stxm', 'recon' or an array", model)
    pr = np.asarray(pr, np.complex64)
    ph = _get(pars, "photons", photons)
    if ph is not None:
        norm = float(np.sum(np.abs(pr) ** 2))
        if norm > 0:
            pr *= np.float32(np.sqrt(float(ph) / norm))
    return pr


def add_modes(first: np.ndarray, nmodes: int, diversity=None, rng=None) -> np.ndarray:
    """Stack ``nmodes`` modes: mode 0 = ``first``; others scaled by ``diversity.power`` and perturbed by ``noise``."""
    out = np.empty((nmodes,) + first.shape, np.complex64)
    out[0] = first
    if nmodes == 1:
        return out
    rng = rng or np.random.default_rng(1)
    power = _get(diversity, "power", 0.1)
    powers = np.broadcast_to(np.atleast_1d(np.asarray(power, float)), (nmodes - 1,)) if np.ndim(power) == 0 \
        else np.resize(np.asarray(power, float), nmodes - 1)
    noise = _get(diversity, "noise", (0.5, 1.0))
    for k in range(1, nmodes):
        m = first.copy()
        if noise is not None:
            rms, sig = (list(noise) + [1.0])[:2]
            ph = ndimage.gaussian_filter(rng.normal(size=first.shape), float(sig))
            ph *= float(rms) * np.pi / (ph.std() + 1e-30)
            m = m * np.exp(1j * ph)
        out[k] = m * np.float32(np.sqrt(powers[k - 1]))
    return out


def init_object(pars, shape, nmodes=1) -> np.ndarray:
    """Object (modes, Ly, Lx) complex64 from a sample tree: ``fill`` (default 1) or an array ``model``."""
    model = _get(pars, "model")
    fill = _get(pars, "fill", 1.0)
    out = np.empty((nmodes,) + tuple(shape), np.complex64)
    if isinstance(model, np.ndarray):
        m = np.asarray(model, np.complex64)
        m = m[0] if m.ndim == 3 else m
        ly, lx = min(m.shape[0], shape[0]), min(m.shape[1], shape[1])
        out[...] = fill
        out[:, :ly, :lx] = m[:ly, :lx]
    else:
        out[...] = fill
    return out
