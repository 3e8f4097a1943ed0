"""Per-reflection terms the calculation glue needs: positions, widths, intensity corrections.

Small formulas taken from the histogram's instrument/sample dicts and the
HAP entry (notes §3–§5).  Units: 2θ in degrees, sig in centideg² and gam in
centideg (CW); TOF in µs, sig in µs², gam in µs.  Vectorised over reflections.
"""
from __future__ import annotations

import numpy as np

from .model import inst_value

__all__ = ["cw_positions", "tof_positions", "tof_d_from_pos", "cw_sig_gam", "tof_sig_gam", "tof_alpha_beta",
           "polarization", "march_dollase", "cos_angle_to_axis"]

def _sval(sample, key, default=0.0):
    v = sample.get(key, default)
    return float(v[0] if isinstance(v, (list, tuple)) else v)


def cw_positions(d, inst, sample, layer_disp: float = 0.0):
    """Peak 2θ (degrees) from d (Å): Bragg angle, sample displacement/shift, then Zero."""
    lam = inst_value(inst, "Lam", None) or inst_value(inst, "Lam1")
    s = np.clip(lam / (2.0 * np.asarray(d, float)), -1.0, 1.0)
    tth = 2.0 * np.degrees(np.arcsin(s))
    R = _sval(sample, "Gonio. radius", 200.0)
    const = 9e-2 / (np.pi * R)
    if sample.get("Type") == "Bragg-Brentano":
        tth = tth - const * (4.0 * _sval(sample, "Shift") * np.cos(np.radians(tth / 2))
                             + _sval(sample, "Transparency") * np.sin(np.radians(tth)) * 100.0)
    else:
        tth = tth - 2.0 * const * (_sval(sample, "DisplaceX") * np.cos(np.radians(tth))
                                   + (_sval(sample, "DisplaceY") + layer_disp) * np.sin(np.radians(tth)))
    return tth + inst_value(inst, "Zero", 0.0)


def tof_positions(d, inst):
    """TOF (µs) = difC·d + difA·d² + difB/d + Zero."""
    d = np.asarray(d, float)
    return (inst_value(inst, "difC") * d + inst_value(inst, "difA", 0.0) * d ** 2
            + inst_value(inst, "difB", 0.0) / d + inst_value(inst, "Zero", 0.0))


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
    """Instrumental Gaussian variance sig (centideg²) and Lorentzian FWHM gam (centideg)."""
    t = np.tan(np.radians(np.asarray(tth, float) / 2))
    c = np.cos(np.radians(np.asarray(tth, float) / 2))
    sig = inst_value(inst, "U") * t ** 2 + inst_value(inst, "V") * t + inst_value(inst, "W")
    gam = inst_value(inst, "X") / c + inst_value(inst, "Y") * t + inst_value(inst, "Z", 0.0)
    return sig, gam


def tof_sig_gam(d, inst):
    """Instrumental σ² (µs²) and γ (µs) at d (Å)."""
    d = np.asarray(d, float)
    sig = (inst_value(inst, "sig-0") + inst_value(inst, "sig-1") * d ** 2 + inst_value(inst, "sig-2") * d ** 4
           + inst_value(inst, "sig-q", 0.0) * d)
    gam = inst_value(inst, "X") * d + inst_value(inst, "Y") * d ** 2 + inst_value(inst, "Z", 0.0)
    return sig, gam


def tof_alpha_beta(d, inst):
    """Rise α = alpha/d and decay β = beta-0 + beta-1/d⁴ + beta-q/d² (µs⁻¹)."""
    d = np.asarray(d, float)
    alp = inst_value(inst, "alpha") / d
    bet = inst_value(inst, "beta-0") + inst_value(inst, "beta-1") / d ** 4 + inst_value(inst, "beta-q", 0.0) / d ** 2
    return alp, bet


def polarization(P, tth, azm=0.0):
    """X-ray polarization factor for polarization fraction P at 2θ (degrees) and azimuth (degrees)."""
    c2 = np.cos(np.radians(azm)) ** 2
    s2 = 1.0 - c2
    cos2t = np.cos(np.radians(np.asarray(tth, float))) ** 2
    return ((1 - P) * c2 + P * s2) * cos2t + (1 - P) * s2 + P * c2


def cos_angle_to_axis(hkl, axis, Gstar, G):
    """cos of the angle between reciprocal vectors hkl (n, 3) and the direction ``axis`` (hkl indices)."""
    h = np.asarray(hkl, float)
    a = np.asarray(axis, float)
    num = h @ Gstar @ a
    den = np.sqrt(np.einsum("ni,ij,nj->n", h, Gstar, h) * (a @ Gstar @ a))
    return np.clip(num / np.where(den > 0, den, 1.0), -1.0, 1.0)


def march_dollase(hkl, ratio, axis, sg_laue_ops, Gstar):
    """March–Dollase correction averaged over the Laue-equivalent reflections of each hkl."""
    if ratio == 1.0:
        return np.ones(len(hkl))
    h = np.asarray(hkl, float)
    eq = np.einsum("ni,oij->noj", h, np.asarray(sg_laue_ops, float))       # (n, o, 3)
    n, o, _ = eq.shape
    cp = cos_angle_to_axis(eq.reshape(-1, 3), axis, Gstar, None).reshape(n, o)
    A = 1.0 / np.sqrt((ratio * cp) ** 2 + (1 - cp ** 2) / ratio)
    return np.mean(A ** 3, axis=1)
