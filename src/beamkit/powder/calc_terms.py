"""Per-reflection terms of the calculation glue that the physics modules do not provide.

Instrumental CW widths from U, V, W, X, Y, Z; the d-spacing of a TOF position
(inverse of difC/difA/difB/Zero); the March–Dollase preferred-orientation factor.
Units: 2θ in degrees, sig in centideg², gam in centideg, TOF in µs.
"""
from __future__ import annotations

import numpy as np

from .model import inst_value

__all__ = ["tof_d_from_pos", "cw_sig_gam", "march_dollase"]


def tof_d_from_pos(tof, inst):
    """d (Å) whose TOF position (difC, difA, difB, Zero) is ``tof`` (µs), by Newton steps."""
    c, a, b, z = (inst_value(inst, k, 0.0) for k in ("difC", "difA", "difB", "Zero"))
    t = np.asarray(tof, float)
    d = (t - z) / c
    for _ in range(8):
        f = c * d + a * d * d + b / d + z - t
        d = d - f / (c + 2 * a * d - b / (d * d))
    return d


def cw_sig_gam(tth, inst):
    """Instrumental Gaussian variance sig = U·tan²θ + V·tanθ + W (centideg²) and
    Lorentzian FWHM gam = X/cosθ + Y·tanθ + Z (centideg) at 2θ (degrees)."""
    th = np.radians(np.asarray(tth, float) / 2)
    t, c = np.tan(th), np.cos(th)
    sig = inst_value(inst, "U") * t ** 2 + inst_value(inst, "V") * t + inst_value(inst, "W")
    gam = inst_value(inst, "X") / c + inst_value(inst, "Y") * t + inst_value(inst, "Z", 0.0)
    return sig, gam


def march_dollase(hkl, ratio, axis, laue_ops, A):
    """March–Dollase factor, averaged over the Laue-equivalent reflections of each hkl (GSAS-II's 'MD')."""
    from .broadening import axis_cos_sin
    if ratio == 1.0:
        return np.ones(len(hkl))
    h = np.asarray(hkl, float)
    eq = np.einsum("ni,oij->noj", h, np.asarray(laue_ops, float))       # (n, o, 3)
    n, o, _ = eq.shape
    cp, _ = axis_cos_sin(eq.reshape(-1, 3), axis, A)
    cp = np.asarray(cp, float).reshape(n, o)
    a = 1.0 / np.sqrt((ratio * cp) ** 2 + (1 - cp ** 2) / ratio)
    return np.mean(a ** 3, axis=1)
