"""Illumination models and propagators (pure functions on numpy arrays).

Lengths in m unless stated; arrays are (rows, cols) with the optical axis at N//2.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy import ndimage

from ...errors import ParameterError
from ..utils import grids as _grids

__all__ = ["farfield", "farfield_phase", "farfield_intensity", "nearfield", "aperture", "focus_probe",
           "make_probe", "probe_modes", "grids"]


def farfield(field: np.ndarray) -> np.ndarray:
    """Far-field wave of exit waves (..., N, M): unitary 2-d FFT with the zero frequency at N//2."""
    f = sfft.fft2(sfft.ifftshift(field, axes=(-2, -1)), norm="ortho", workers=-1)
    return sfft.fftshift(f, axes=(-2, -1))


def farfield_phase(shape, psize, wavelength: float, distance: float, dtype=np.complex64) -> np.ndarray:
    """ptypy's far-field sample-plane phase exp(iπ(x² + y²)/(λz)) on a frame of ``shape``.

    x, y (m) are measured from pixel N//2 with the object pixel ``psize`` (m); λ and the
    distance z in m.  ptypy's far-field propagator multiplies every exit wave by it before the
    FFT, so simulated frames and reconstructions carry it the same way."""
    ny, nx = (int(v) for v in np.broadcast_to(np.asarray(shape, int), (2,)))
    ps = np.broadcast_to(np.asarray(psize, float), (2,))
    y = (np.arange(ny) - ny // 2) * ps[0]
    x = (np.arange(nx) - nx // 2) * ps[1]
    return np.exp(1j * np.pi * (y[:, None] ** 2 + x[None, :] ** 2) / (float(wavelength) * float(distance))).astype(dtype)


def farfield_intensity(field: np.ndarray, phase: np.ndarray | None = None) -> np.ndarray:
    """|farfield(field · phase)|**2 (photons per pixel when |field|**2 sums to photons);
    ``phase`` is :func:`farfield_phase` for ptypy's propagator, or None for the plain FFT."""
    f = farfield(field if phase is None else field * phase)
    return f.real ** 2 + f.imag ** 2


def grids(shape, psize):
    """Centred coordinate grids (Y, X) in m of an array of ``shape`` with pixel ``psize`` (origin at N//2)."""
    return tuple(_grids(tuple(np.broadcast_to(np.asarray(shape, int), (2,))), psize, center="fftshift"))


def nearfield(field: np.ndarray, z: float, lam: float, psize) -> np.ndarray:
    """Angular-spectrum propagation of ``field`` by ``z`` m at wavelength ``lam`` m (pixel ``psize`` m)."""
    ny, nx = field.shape[-2:]
    py, px = np.broadcast_to(np.asarray(psize, float), (2,))
    fy = sfft.fftfreq(ny, py)
    fx = sfft.fftfreq(nx, px)
    FY, FX = np.meshgrid(fy, fx, indexing="ij")
    arg = 1.0 / lam ** 2 - FY ** 2 - FX ** 2
    kz = 2 * np.pi * np.sqrt(np.maximum(arg, 0.0))
    H = np.exp(1j * kz * z) * (arg > 0)
    H *= np.exp(-2j * np.pi * z / lam)   # drop the constant phase
    f = sfft.fft2(sfft.ifftshift(field, axes=(-2, -1)), workers=-1)
    return sfft.fftshift(sfft.ifft2(f * H, workers=-1), axes=(-2, -1))


def aperture(shape, psize, form="circ", size=None, edge=2.0, central_stop=None, offset=0.0,
             rotate=0.0, diffuser=None, rng=None) -> np.ndarray:
    """Complex transmission of an aperture on a grid of ``shape`` with pixel ``psize`` (m).

    form 'circ' (size = diameter) or 'rect' (size = widths), None for fully open; edge:
    soft-edge width in px; central_stop: stop diameter as a fraction of size; offset (m)
    of the aperture centre; rotate (rad); diffuser (rms phase rad, feature size px[,
    amplitude spread]) multiplies a random phase (and amplitude) screen.
    """
    shape = tuple(np.broadcast_to(np.asarray(shape, int), (2,)))
    psize = np.broadcast_to(np.asarray(psize, float), (2,))
    Y, X = grids(shape, psize)
    off = np.broadcast_to(np.asarray(offset, float), (2,))
    Y, X = Y - off[0], X - off[1]
    if rotate:
        c, s = np.cos(rotate), np.sin(rotate)
        Y, X = c * Y - s * X, s * Y + c * X
    edge_m = max(float(edge or 0.0), 1e-3) * float(psize.min())
    if form is None:
        t = np.ones(shape)
    else:
        if size is None:
            size = 0.5 * np.asarray(shape) * psize
        sz = np.broadcast_to(np.asarray(size, float), (2,))
        if form == "circ":
            r = np.hypot(Y / (sz[0] / 2), X / (sz[1] / 2))
            d = (r - 1.0) * min(sz) / 2
        elif form == "rect":
            d = np.maximum(np.abs(Y) - sz[0] / 2, np.abs(X) - sz[1] / 2)
        else:
            raise ParameterError("illumination.aperture.form", "None, 'circ' or 'rect'", form)
        t = 0.5 * (1 - np.tanh(d / (edge_m / 2)))
        if central_stop:
            cs = float(central_stop) * min(sz)
            rr = np.hypot(Y, X) - cs / 2
            t = t * 0.5 * (1 + np.tanh(rr / (edge_m / 2)))
    t = t.astype(complex)
    if diffuser is not None:
        rng = np.random.default_rng() if rng is None else rng
        dif = list(diffuser) + [0.0] * (3 - len(diffuser))
        rms, feat, amp = float(dif[0]), float(dif[1]), float(dif[2])
        ph = ndimage.gaussian_filter(rng.standard_normal(shape), max(feat, 0.0))
        ph *= rms / (ph.std() + 1e-30)
        a = 1.0
        if amp:
            a = ndimage.gaussian_filter(rng.standard_normal(shape), max(feat, 0.0))
            a = 1 + amp * a / (a.std() + 1e-30)
        t = t * a * np.exp(1j * ph)
    return t


def focus_probe(field: np.ndarray, focal_length: float, lam: float, psize) -> np.ndarray:
    """Multiply by a thin-lens phase of focal length ``focal_length`` m."""
    Y, X = grids(field.shape[-2:], psize)
    return field * np.exp(-1j * np.pi * (Y ** 2 + X ** 2) / (lam * focal_length))


def make_probe(shape, psize, lam, aperture_pars=None, propagation=None, photons=None, model=None,
               rng=None) -> np.ndarray:
    """Probe (complex, ``shape``) at the sample from ptypy-style illumination settings.

    aperture_pars: dict(form, size, edge, central_stop, offset, rotate, diffuser);
    propagation: dict(focussed, parallel, spot_size, antialiasing).  With ``focussed`` = f
    the aperture (whose size is chosen as 1.22*lam*f/spot_size when only spot_size is
    given) sits in the lens plane and the field is propagated to the focus in the far
    field, which sets the pixel size lam*f/(N*pixel) = ``psize``; ``parallel`` then
    propagates the result by that distance (angular spectrum).  photons scales sum |P|**2.
    """
    shape = tuple(np.broadcast_to(np.asarray(shape, int), (2,)))
    psize = np.broadcast_to(np.asarray(psize, float), (2,))
    ap = dict(aperture_pars or {})
    pr = dict(propagation or {})
    if model is not None and not isinstance(model, str):
        P = np.asarray(model, complex)
        if P.shape[-2:] != shape:
            raise ParameterError("illumination.model", f"an array of shape {shape}", P.shape)
    else:
        f = pr.get("focussed")
        if f:
            f = float(f)
            lens_psize = lam * f / (np.asarray(shape) * psize)   # pixel in the lens plane
            spot = pr.get("spot_size")
            if ap.get("size") is None and spot:
                ap["size"] = 2.44 * lam * f / float(spot)   # Airy first-zero diameter = spot
            P = aperture(shape, lens_psize, **_ap_kw(ap), rng=rng)
            P = farfield(P)
        else:
            P = aperture(shape, psize, **_ap_kw(ap), rng=rng)
        z = pr.get("parallel")
        if z:
            P = nearfield(P, float(z), lam, psize)
    if photons is not None:
        P = P * np.sqrt(float(photons) / max((np.abs(P) ** 2).sum(), 1e-300))
    return P


def _ap_kw(ap):
    keys = ("form", "size", "edge", "central_stop", "offset", "rotate", "diffuser")
    out = {k: ap[k] for k in keys if k in ap and ap[k] is not None}
    if "form" in ap and ap["form"] is None:
        out["form"] = None
    return out


def probe_modes(P: np.ndarray, nmodes: int, power=0.1, noise=None, shift=None, rng=None) -> np.ndarray:
    """(nmodes, N, M) modes: mode 0 is ``P``; the others are copies scaled to ``power`` (relative,
    scalar or per mode), with random (amplitude, phase) ``noise`` and a lateral ``shift`` in px,
    orthogonalised (Gram-Schmidt)."""
    rng = np.random.default_rng() if rng is None else rng
    out = np.empty((int(nmodes),) + P.shape, complex)
    out[0] = P
    pw = np.broadcast_to(np.asarray(power if power is not None else 0.1, float), (max(nmodes - 1, 1),))
    for m in range(1, nmodes):
        q = P.copy()
        if shift:
            q = ndimage.shift(q.real, (shift * m, 0), order=1) + 1j * ndimage.shift(q.imag, (shift * m, 0), order=1)
        if noise is not None:
            a, ph = (list(noise) + [0, 0])[:2]
            q = q * (1 + a * ndimage.gaussian_filter(rng.standard_normal(P.shape), 2)) \
                * np.exp(1j * ph * ndimage.gaussian_filter(rng.standard_normal(P.shape), 2))
        for k in range(m):
            q = q - np.vdot(out[k], q) / np.vdot(out[k], out[k]) * out[k]
        q *= np.sqrt(pw[m - 1] * (np.abs(P) ** 2).sum() / max((np.abs(q) ** 2).sum(), 1e-300))
        out[m] = q
    return out
