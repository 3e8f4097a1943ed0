"""Per-reflection terms of the calculation glue that the physics modules do not provide.

Instrumental CW widths from U, V, W, X, Y, Z; the d-spacing of a TOF position
(inverse of difC/difA/difB/Zero); the March–Dollase preferred-orientation factor;
GSAS-II's background functions (notes §6) while no background physics module exists.
Units: 2θ in degrees, sig in centideg², gam in centideg, TOF in µs.
"""
from __future__ import annotations

import numpy as np

from .model import inst_value

__all__ = ["tof_d_from_pos", "cw_sig_gam", "march_dollase", "background_function", "q_of_x", "BACKGROUND_TYPES"]

BACKGROUND_TYPES = ("chebyschev", "chebyschev-1", "cosine", "Q^2 power series", "Q^-2 power series",
                    "lin interpolate", "inv interpolate", "log interpolate")


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


def q_of_x(x, inst):
    """Q (Å⁻¹) of the x values: 4π·sinθ/λ for CW (2θ in degrees), 2π·difC/TOF for TOF (µs)."""
    x = np.asarray(x, float)
    if inst_value(inst, "Type", "PXC")[2] == "T":
        return 2.0 * np.pi * inst_value(inst, "difC") / x
    lam = inst_value(inst, "Lam", None) or inst_value(inst, "Lam1", 1.0)
    return 4.0 * np.pi * np.sin(np.radians(x / 2.0)) / lam


def background_function(kind, coeffs, x, inst=None, debye_terms=()):
    """GSAS-II background of type ``kind`` with coefficients ``coeffs`` on the in-limit x (ascending).

    chebyschev-1: Σ cₙ·Tₙ(x′); chebyschev: Σ cₙ·x′ⁿ (x′ = −1…1 over the range); cosine:
    Σ cₙ·cos(180°·x·n/x_N); Q^2 / Q^-2 power series: c₀ + Σ cₙ·Qⁿ-type terms built as
    GSAS-II does (Q²/n! and n!/Q²ⁿ); lin/inv/log interpolate: linear interpolation between
    n knots spaced evenly in x, 1/x or log x.  Debye terms [A, f, R, f, U, f]:
    ff²·A·sin(QR)·exp(−U·Q²)/(QR) with the Si form factor for X-rays (ff = 1 for TOF).
    """
    c = np.asarray(coeffs, float)
    x = np.asarray(x, float)
    n = c.size
    y = np.zeros_like(x)
    if x.size == 0:
        return y
    if kind in ("chebyschev", "chebyschev-1", "cosine") and n:
        dt = x[-1] - x[0]
        xn = -1.0 + 2.0 * (x - x[0]) / dt if dt > 0 else np.zeros_like(x)
        if kind == "chebyschev-1":
            y = np.polynomial.chebyshev.chebval(np.clip(xn, -1, 1), c)
        elif kind == "chebyschev":
            y = np.polynomial.polynomial.polyval(xn, c)
        else:
            k = np.arange(n)
            y = np.cos(np.radians(180.0 * x[:, None] * k[None] / x[-1])) @ c
    elif kind in ("Q^2 power series", "Q^-2 power series") and n:
        if inst is None:
            from ..errors import ParameterError
            raise ParameterError("Background", "instrument parameters for a Q power series", kind)
        q = q_of_x(x, inst)
        k = np.arange(1, n)
        if "-2" in kind:
            terms = np.cumprod(k[None, :] * q[:, None] ** -2.0, axis=1)
        else:
            terms = np.cumprod(q[:, None] ** 2 / k[None, :], axis=1)
        y = c[0] + terms @ c[1:]
    elif kind in ("lin interpolate", "inv interpolate", "log interpolate") and n:
        if n == 1:
            y = np.full_like(x, c[0])
        elif n == 2:
            t2 = (x - x[0]) / (x[-1] - x[0])
            y = c[0] * (1.0 - t2) + c[1] * t2
        else:
            lo, hi = x[0], x[-1]
            if kind == "lin interpolate":
                knots = np.linspace(lo, hi, n)
            elif kind == "inv interpolate":
                knots = 1.0 / np.linspace(1.0 / hi, 1.0 / lo, n)
            else:
                knots = np.exp(np.linspace(np.log(lo), np.log(hi), n))
            knots[0], knots[-1] = lo, hi
            y = np.interp(x, knots, c)
    elif n and kind not in BACKGROUND_TYPES:
        from ..errors import ParameterError
        raise ParameterError("Background type", "one of " + ", ".join(BACKGROUND_TYPES), kind)
    if len(debye_terms) and inst is not None:
        q = q_of_x(x, inst)
        if inst_value(inst, "Type", "PXC")[2] == "T":
            ff = 1.0
        else:
            from .scattering import xray_form_factors
            ff = xray_form_factors(["Si"], 2.0 * np.pi / q)[:, 0] ** 2
        for t in debye_terms:
            A, R, U = float(t[0]), float(t[2]), float(t[4])
            y = y + ff * A * np.sin(q * R) * np.exp(-U * q * q) / (q * R)
    return y
