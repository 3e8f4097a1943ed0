"""Sample models (pure functions): refractive index of a material and complex transmission.

The refractive index n = 1 - delta - i*beta comes from the ``periodictable`` package
(X-ray scattering factors, Henke tables): :func:`refractive_index`.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ...errors import BeamkitError, ParameterError
from .resources import flower_obj
from ..utils_array import c_gf

__all__ = ["refractive_index", "transmission", "make_object", "height_map", "shift_fill"]


def refractive_index(formula: str, density: float, energy_kev: float):
    """(delta, beta) of a material of chemical ``formula`` and ``density`` (g/cm^3) at ``energy_kev``."""
    try:
        from periodictable import xsf
    except ImportError:  # pragma: no cover - depends on the environment
        raise BeamkitError("sample.process.formula needs the 'periodictable' package "
                           "(pip install periodictable), or give sample.process.ref_index") from None
    if not density or float(density) <= 0:
        raise ParameterError("sample.process.density", "a density > 0 (g/cm^3)", density)
    try:
        n = xsf.index_of_refraction(compound=str(formula), density=float(density), energy=float(energy_kev))
    except Exception as e:  # periodictable raises several types for bad formulas
        raise ParameterError("sample.process.formula", "a chemical formula such as 'Si3N4' or 'Au'", formula,
                             message=f"cannot parse formula {formula!r}: {e}") from None
    n = complex(np.asarray(n).ravel()[0])
    return 1.0 - n.real, -n.imag if n.imag < 0 else n.imag


def transmission(height, thickness: float, delta: float, beta: float, lam: float) -> np.ndarray:
    """exp(-i k delta t) * exp(-k beta t) with t = thickness * height (m), k = 2 pi / lam."""
    k = 2 * np.pi / lam
    t = float(thickness) * np.asarray(height, float)
    return np.exp(-1j * k * delta * t - k * beta * t)


def height_map(obj) -> np.ndarray:
    """A 0..1 map from a model: |obj| normalised to its maximum (complex or real input)."""
    a = np.abs(np.asarray(obj))
    m = a.max()
    return a / m if m > 0 else a


def shift_fill(a: np.ndarray, offset, fill=1.0) -> np.ndarray:
    """``a`` with its content moved by -``offset`` px (rows, cols; whole pixels): out[i, j] =
    a[i + oy, j + ox] where that exists, ``fill`` elsewhere (no wrap-around; ptypy's sample offset)."""
    a = np.asarray(a)
    oy, ox = (int(round(v)) for v in np.broadcast_to(np.asarray(offset, float), (2,)))
    out = np.full(a.shape, fill, dtype=np.result_type(a.dtype, np.asarray(fill).dtype))
    ny, nx = a.shape[-2:]
    dst = (slice(max(0, -oy), min(ny, ny - oy)), slice(max(0, -ox), min(nx, nx - ox)))
    src = (slice(max(0, oy), min(ny, ny + oy)), slice(max(0, ox), min(nx, nx + ox)))
    if dst[0].start < dst[0].stop and dst[1].start < dst[1].stop:
        out[..., dst[0], dst[1]] = a[..., src[0], src[1]]
    return out


def _model_array(model, shape, fill):
    if model is None:
        return np.full(shape, complex(fill), complex)
    if isinstance(model, str):
        if model.lower() in ("flower", "flowers", "moonflower"):
            return flower_obj(shape)
        raise ParameterError("sample.model", "None, 'flower' or a 2-d array", model)
    a = np.asarray(model)
    if a.ndim != 2:
        raise ParameterError("sample.model", "a 2-d array", a.shape)
    out = np.full(shape, complex(fill), complex)
    sh = np.minimum(shape, a.shape)
    out[:sh[0], :sh[1]] = a[:sh[0], :sh[1]]
    return out


def make_object(shape, model=None, fill=1.0, process=None, lam=None, energy_kev=None) -> np.ndarray:
    """Complex object of ``shape`` from ptypy-style sample settings.

    model: None (flat ``fill``), 'flower' or an array (placed at the top-left, rest filled).
    process (dict or None): ``zoom`` and ``smoothing`` act on the model, ``smoothing`` as a
    Gaussian of sigma smoothing/2.35 px (ptypy: a minimum feature size, FWHM-like); then with
    ``formula`` the model's normalised amplitude is a height map of ``thickness`` (m) of that
    material (``density`` g/cm^3, needs ``lam`` m and ``energy_kev``); without a formula
    ``ref_index`` = (phase, absorption) gives the phase shift (rad) and the attenuation exponent
    at full height.  Last, ``offset`` (px, (rows, cols)) moves the content by -offset and fills
    the uncovered border with ``fill`` (:func:`shift_fill`, as ptypy: no wrap-around).

    Not copied from ptypy 0.9: its processing of a complex array model with a ``thickness``
    (exp(i k d obj) of the complex transmission itself, a degenerate result); beamkit keeps its
    height-map reading of the model's amplitude.
    """
    shape = tuple(np.broadcast_to(np.asarray(shape, int), (2,)))
    obj = _model_array(model, shape, fill)
    if not process:
        return obj
    z = process.get("zoom")
    if z is not None and np.any(np.asarray(z, float) != 1):
        zr = ndimage.zoom(obj.real, z, order=1)
        zi = ndimage.zoom(obj.imag, z, order=1)
        obj = _model_array(zr + 1j * zi, shape, fill)
    sm = process.get("smoothing")
    if sm:
        sig = float(sm) / 2.35
        obj = c_gf(obj, sig)
    obj = _material(obj, process, lam, energy_kev)
    off = process.get("offset")
    if off is not None and np.any(np.asarray(off) != 0):
        obj = shift_fill(obj, off, complex(fill))
    return obj


def _material(obj, process, lam, energy_kev):
    """The transmission of a processed model (formula / ref_index; the model itself without them)."""
    h = height_map(obj)
    formula = process.get("formula")
    if formula:
        if lam is None or energy_kev is None:
            raise ParameterError("energy", "an energy to evaluate the refractive index", None)
        delta, beta = refractive_index(formula, process.get("density", 1.0), energy_kev)
        return transmission(h, process.get("thickness", 1e-6), delta, beta, lam)
    ri = process.get("ref_index")
    if ri is None:
        return obj
    ph, ab = (list(np.atleast_1d(ri)) + [0.0, 0.0])[:2]
    return np.exp(1j * float(ph) * h - float(ab) * h)
