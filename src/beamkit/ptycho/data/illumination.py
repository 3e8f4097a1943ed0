"""Far- and near-field propagation of simulated exit waves (pure functions on numpy arrays).

Lengths in m unless stated; arrays are (rows, cols) with the optical axis at N//2.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft


__all__ = ["farfield", "farfield_phase", "farfield_intensity", "nearfield", "nearfield_kernel"]


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


def nearfield_kernel(shape, psize, z: float, lam: float) -> np.ndarray:
    """ptypy's near-field transfer function exp(2πi·(z/λ)·(√(1 − λ²q²) − 1)) in FFT order.

    ``shape`` (ny, nx) px, ``psize`` sample pixel (m), ``z`` distance (m), ``lam`` wavelength (m);
    evanescent components (λq > 1) are set to 0."""
    ny, nx = (int(v) for v in np.broadcast_to(np.asarray(shape, int), (2,)))
    py, px = np.broadcast_to(np.asarray(psize, float), (2,))
    a2 = lam ** 2 * (sfft.fftfreq(ny, py)[:, None] ** 2 + sfft.fftfreq(nx, px)[None, :] ** 2)
    return np.exp(2j * np.pi * (z / lam) * (np.sqrt(np.maximum(1.0 - a2, 0.0)) - 1.0)) * (a2 < 1)


def nearfield(field: np.ndarray, z: float, lam: float, psize) -> np.ndarray:
    """Angular-spectrum propagation of ``field`` by ``z`` m at wavelength ``lam`` m (pixel ``psize`` m)."""
    H = nearfield_kernel(field.shape[-2:], psize, z, lam)
    f = sfft.fft2(sfft.ifftshift(field, axes=(-2, -1)), workers=-1)
    return sfft.fftshift(sfft.ifft2(f * H, workers=-1), axes=(-2, -1))
