"""Peak positions and intensity corrections (GSAS-II conventions), with derivatives.

CW positions in degrees 2θ; Shift, Transparency, DisplaceX/Y in µm; goniometer radius in mm;
Zero in degrees.  TOF positions in µs from d (Å) and difC (µs/Å), difA (µs/Å²), difB (µs·Å), Zero.
"""
from __future__ import annotations

import numpy as np

from beamkit.errors import ParameterError

__all__ = ["bragg_tth", "dtth_drdsq", "cw_position", "ka2_position", "lorentz_cw", "polarization",
           "tof_position", "lorentz_tof", "debye_scherrer_geometry"]

_R2D = 180.0 / np.pi


def bragg_tth(d, wavelength):
    """2θ (degrees) from d (Å) and λ (Å); NaN where λ/2d > 1 (no reflection)."""
    s = wavelength / (2.0 * np.asarray(d, dtype=float))
    with np.errstate(invalid="ignore"):
        return 2.0 * np.degrees(np.arcsin(np.where(s <= 1.0, s, np.nan)))


def dtth_drdsq(d, wavelength):
    """d(2θ)/d(1/d²) in degrees·Å² (for chaining cell derivatives: d(1/d²)/dA_i = h², …)."""
    d = np.asarray(d, dtype=float)
    s = wavelength / (2.0 * d)
    # 2θ = 2 asin(λ/2 · sqrt(r)),  r = 1/d²  ->  d2θ/dr = λ/(2 sqrt(r) sqrt(1 − s²))
    return _R2D * wavelength * d / (2.0 * np.sqrt(1.0 - s * s))


def debye_scherrer_geometry(sample_type: str | None, has_two_wavelengths: bool) -> bool:
    """True for Debye–Scherrer geometry (a missing type: single λ -> D-S, λ pair -> B-B)."""
    if sample_type is None or sample_type == "":
        return not has_two_wavelengths
    t = str(sample_type).lower()
    if t.startswith("debye"):
        return True
    if t.startswith("bragg"):
        return False
    raise ParameterError("Sample Parameters/Type", "'Debye-Scherrer' or 'Bragg-Brentano'", sample_type)


def cw_position(d, wavelength, zero=0.0, *, bragg_brentano=False, shift=0.0, transparency=0.0,
                displace_x=0.0, displace_y=0.0, layer_disp=0.0, radius=200.0, derivs=False):
    """Observed CW peak position 2θ (degrees) as GSAS-II's GetReflPos.

    Bragg–Brentano: 2θ −= (9e-2/(πR))·(4·Shift·cosθ + Transparency·sin2θ·100);
    Debye–Scherrer: 2θ −= 2·(9e-2/(πR))·(DisplaceX·cos2θ + (DisplaceY + LayerDisp)·sin2θ);
    then 2θ += Zero.  With ``derivs`` returns (pos, dict of d pos / d parameter), keys
    'Zero', 'Shift', 'Transparency', 'DisplaceX', 'DisplaceY', 'Lam', 'rdsq'.
    """
    if radius is None or not np.isfinite(radius) or radius <= 0:
        raise ParameterError("Gonio. radius", "a positive goniometer radius in mm", radius)
    tth0 = bragg_tth(d, wavelength)
    k = 9e-2 / (np.pi * radius)
    t = np.radians(tth0)
    if bragg_brentano:
        corr = k * (4.0 * shift * np.cos(t / 2) + transparency * np.sin(t) * 100.0)
    else:
        corr = 2.0 * k * (displace_x * np.cos(t) + (displace_y + layer_disp) * np.sin(t))
    pos = tth0 - corr + zero
    if not derivs:
        return pos
    dd = dtth_drdsq(d, wavelength)
    # d(corr)/d(2θ0) in degrees/degree
    if bragg_brentano:
        dcorr = k * (-2.0 * shift * np.sin(t / 2) + transparency * np.cos(t) * 100.0) / _R2D
    else:
        dcorr = 2.0 * k * (-displace_x * np.sin(t) + (displace_y + layer_disp) * np.cos(t)) / _R2D
    chain = 1.0 - dcorr
    dlam = _R2D * 2.0 / np.sqrt(np.maximum(1.0 - (wavelength / (2 * np.asarray(d))) ** 2, 1e-300)) \
        / (2.0 * np.asarray(d))
    D = {"Zero": np.ones_like(pos), "rdsq": dd * chain, "Lam": dlam * chain}
    if bragg_brentano:
        D["Shift"] = -k * 4.0 * np.cos(t / 2)
        D["Transparency"] = -k * np.sin(t) * 100.0
    else:
        D["DisplaceX"] = -2.0 * k * np.cos(t)
        D["DisplaceY"] = -2.0 * k * np.sin(t)
    return pos, D


def ka2_position(pos, lam1, lam2, derivs=False):
    """Kα2 peak position (degrees): pos + lamRatio·tan(pos/2), lamRatio = 360(λ2−λ1)/(πλ1).

    With ``derivs`` also returns d pos2 / d pos.
    """
    ratio = 360.0 * (lam2 - lam1) / (np.pi * lam1)
    half = np.radians(np.asarray(pos, dtype=float) / 2.0)
    p2 = pos + ratio * np.tan(half)
    if not derivs:
        return p2
    return p2, 1.0 + ratio * 0.5 / np.cos(half) ** 2 / _R2D


def lorentz_cw(tth):
    """CW Lorentz factor 1/(2 sin²θ cosθ) at 2θ (degrees)."""
    th = np.radians(np.asarray(tth, dtype=float) / 2.0)
    return 1.0 / (2.0 * np.sin(th) ** 2 * np.cos(th))


def polarization(P, tth, azimuth=0.0, derivs=False):
    """Polarization correction ((1−P)cos²ψ + P sin²ψ)cos²2θ + (1−P)sin²ψ + P cos²ψ.

    P: GSAS-II's 'Polariz.' (0.5 unpolarized); tth, azimuth ψ in degrees.
    With ``derivs`` returns (pola, d pola/dP, d pola/d2θ per degree).
    """
    c2 = np.cos(np.radians(np.asarray(tth, dtype=float))) ** 2
    ca = np.cos(np.radians(azimuth)) ** 2
    sa = 1.0 - ca
    pola = ((1 - P) * ca + P * sa) * c2 + (1 - P) * sa + P * ca
    if not derivs:
        return pola
    dP = (sa - ca) * c2 + ca - sa
    t = np.radians(np.asarray(tth, dtype=float))
    dt = ((1 - P) * ca + P * sa) * (-2 * np.cos(t) * np.sin(t)) / _R2D
    return pola, dP, dt


def tof_position(d, difC, difA=0.0, difB=0.0, zero=0.0, derivs=False):
    """TOF (µs) = difC·d + difA·d² + difB/d + Zero.

    With ``derivs`` returns (tof, dict with 'difC', 'difA', 'difB', 'Zero', 'd').
    """
    d = np.asarray(d, dtype=float)
    tof = difC * d + difA * d * d + difB / d + zero
    if not derivs:
        return tof
    return tof, {"difC": d, "difA": d * d, "difB": 1.0 / d, "Zero": np.ones_like(d),
                 "d": difC + 2 * difA * d - difB / (d * d)}


def lorentz_tof(d, two_theta_bank):
    """TOF Lorentz factor sin(2θ_bank/2)·d⁴ (d in Å, bank angle in degrees)."""
    return np.sin(np.radians(two_theta_bank / 2.0)) * np.asarray(d, dtype=float) ** 4
