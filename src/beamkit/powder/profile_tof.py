"""Time-of-flight peak shape: back-to-back exponentials convolved with a TCH pseudo-Voigt.

Units: offsets and positions in µs, ``alp`` (rise) and ``bet`` (decay) in 1/µs, ``sig`` the
Gaussian variance in µs², ``gam`` the Lorentzian FWHM in µs.  The TCH mixing gives one FWHM F
and η; the Gaussian part uses σ² = F²/(8 ln 2) and the Lorentzian part Γ = F:

* Gaussian: ``N·[e^u erfc(y) + e^v erfc(z)]``, N = αβ/(2(α+β)), u = α(ασ² + 2Δ)/2,
  v = β(βσ² − 2Δ)/2, y = (ασ² + Δ)/√(2σ²), z = (βσ² − Δ)/√(2σ²);
* Lorentzian: ``−(2N/π)·Im[e^p E₁(p) + e^q E₁(q)]``, p = −αΔ + iαΓ/2, q = −βΔ + iβΓ/2;
* profile = (1 − η)·Gaussian + η·Lorentzian, unit area in µs.

The sign of Re p follows GSAS-II's EPSVOIGT (both exponential-integral arguments are −rate·Δ),
for parity with its y_calc.  Written as an integral this Lorentzian part is
``2N·∫₀^∞ (e^{−αs} + e^{−βs})·L(Δ − s) ds``: the Lorentzian convolved with two *decaying*
exponentials, not with the rising-then-decaying pair the Gaussian part uses (a true convolution
would have p = +αΔ + iαΓ/2).  It still has unit area; its peak sits a few µs later than the
exact convolution's (2.5–4 µs for PbSO4 on POWGEN bank 2, γ ≈ 40 µs).

Widths of the instrument (GSAS-II ``GetReflSigGamTOF``/``GetReflAlpBet``) are in
:func:`tof_alpha_beta` and :func:`tof_sig_gam`.  All functions are element-wise on flat arrays.
"""
from __future__ import annotations

import numpy as np
from scipy import special

from beamkit.powder.profile_cw import tch_fwhm_eta

__all__ = ["tof_profile", "tof_peak_window", "tof_alpha_beta", "tof_sig_gam", "exp_e1", "fwhm_tof",
           "fwhm_tof_gsas_export"]

_ATELN2 = 8.0 * np.log(2.0)
_SQPI = np.sqrt(np.pi)


_E1_ASYM = 40.0                      # |z| beyond which the asymptotic series is used
_E1_TERMS = 22


def exp_e1(z):
    """e^z·E₁(z) for complex z, stable for large |z|.

    For |z| > 40 away from the strip −40 < Re z < 0 the asymptotic series Σ (−1)ⁿ n!/z^{n+1}
    (22 terms, relative error < 1e-15, so the switch leaves no visible step) is used, plus the
    Stokes term −iπ·sign(Im z)·e^z where Re z < 0.
    Elsewhere scipy's complex E₁ is used.
    """
    z = np.asarray(z, dtype=complex)
    out = np.empty_like(z)
    az = np.abs(z)
    big = (az > _E1_ASYM) & ((z.real >= 0) | (z.real < -_E1_ASYM))
    far = big & (az > 100.0)                  # 9 terms suffice there (error < 1e-13)
    for sel, nterms in ((far, 9), (big & ~far, _E1_TERMS)):
        if not sel.any():
            continue
        inv = 1.0 / z[sel]
        term = inv.copy()
        acc = term.copy()
        for n in range(1, nterms):          # fixed-length series, vectorised over pairs
            term *= -n * inv
            acc += term
        zs = z[sel]
        neg = zs.real < 0                  # Stokes term −iπ·sign(Im z)·e^z left of the imaginary axis
        acc[neg] -= 1j * np.pi * np.sign(zs.imag[neg]) * np.exp(zs[neg])
        out[sel] = acc
    sm = ~big
    if sm.any():
        zs = z[sm]
        out[sm] = np.exp(zs) * special.exp1(zs)
    return out


def _exp_erfc(a, y):
    """e^a·erfc(y), stable: uses erfcx where y >= 0 (a − y² is then the Gaussian exponent)."""
    out = np.empty(np.broadcast(a, y).shape)
    a, y = np.broadcast_arrays(a, y)
    pos = y >= 0
    out[pos] = np.exp(a[pos] - y[pos] ** 2) * special.erfcx(y[pos])
    neg = ~pos
    out[neg] = np.exp(np.minimum(a[neg], 700.0)) * special.erfc(y[neg])
    return out


def tof_profile(dx, alp, bet, sig, gam, derivs: bool = False):
    """TOF profile (unit area in µs) at offsets dx = t − TOF_peak (µs).

    Returns P, or with ``derivs`` (P, dP/dpos, dP/dalp, dP/dbet, dP/dsig, dP/dgam).
    """
    dx, alp, bet, sig, gam = np.broadcast_arrays(*[np.asarray(a, dtype=float)
                                                   for a in (dx, alp, bet, sig, gam)])
    if derivs:
        F, eta, dF_s, dF_g, de_s, de_g = tch_fwhm_eta(sig, gam, True)
    else:
        F, eta = tch_fwhm_eta(sig, gam)
    s2 = F * F / _ATELN2
    s = np.sqrt(2.0 * s2)
    N = alp * bet / (2.0 * (alp + bet))
    u = 0.5 * alp * (alp * s2 + 2.0 * dx)
    v = 0.5 * bet * (bet * s2 - 2.0 * dx)
    y = (alp * s2 + dx) / s
    z = (bet * s2 - dx) / s
    eu = _exp_erfc(u, y)
    ev = _exp_erfc(v, z)
    Gs = N * (eu + ev)
    p = -alp * dx + 0.5j * alp * F          # GSAS-II EPSVOIGT's sign (see module doc)
    q = -bet * dx + 0.5j * bet * F
    ep = exp_e1(p)
    eq = exp_e1(q)
    Ls = -2.0 * N / np.pi * (ep.imag + eq.imag)
    P = (1.0 - eta) * Gs + eta * Ls
    if not derivs:
        return P
    # Gaussian part: d[e^u erfc(y)] = e^u erfc(y)·du − (2/√π) e^{u−y²}·dy
    gy = 2.0 / _SQPI * np.exp(np.minimum(u - y * y, 700.0))
    gz = 2.0 / _SQPI * np.exp(np.minimum(v - z * z, 700.0))
    dN_da = N / alp - N / (alp + bet)
    dN_db = N / bet - N / (alp + bet)
    # w.r.t. dx
    dG_dx = N * (eu * alp - gy / s + ev * (-bet) - gz * (-1.0 / s))
    # w.r.t. alp
    dG_da = dN_da * (eu + ev) + N * (eu * (alp * s2 + dx) - gy * (s2 / s))
    dG_db = dN_db * (eu + ev) + N * (ev * (bet * s2 - dx) - gz * (s2 / s))
    # w.r.t. s2 (σ²): du = α²/2, dy = α/s − y/(2 s2)
    dy_ds2 = alp / s - y / (2.0 * s2)
    dz_ds2 = bet / s - z / (2.0 * s2)
    dG_ds2 = N * (eu * 0.5 * alp * alp - gy * dy_ds2 + ev * 0.5 * bet * bet - gz * dz_ds2)
    # Lorentzian part: d[e^p E1(p)]/dp = e^p E1(p) − 1/p
    fp = ep - 1.0 / p
    fq = eq - 1.0 / q
    k = -2.0 / np.pi
    dL_dx = k * N * ((fp * (-alp)).imag + (fq * (-bet)).imag)
    dL_da = k * dN_da * (ep.imag + eq.imag) + k * N * (fp * (-dx + 0.5j * F)).imag
    dL_db = k * dN_db * (ep.imag + eq.imag) + k * N * (fq * (-dx + 0.5j * F)).imag
    dL_dF = k * N * ((fp * 0.5j * alp).imag + (fq * 0.5j * bet).imag)
    dP_dF = (1.0 - eta) * dG_ds2 * (2.0 * F / _ATELN2) + eta * dL_dF
    dP_de = Ls - Gs
    dpos = -((1.0 - eta) * dG_dx + eta * dL_dx)
    dalp = (1.0 - eta) * dG_da + eta * dL_da
    dbet = (1.0 - eta) * dG_db + eta * dL_db
    dsig = dP_dF * dF_s + dP_de * de_s
    dgam = dP_dF * dF_g + dP_de * de_g
    return P, dpos, dalp, dbet, dsig, dgam


def fwhm_tof(sig, gam):
    """TCH FWHM (µs) of the pseudo-Voigt part from σ² (µs²) and γ (µs)."""
    return tch_fwhm_eta(sig, gam)[0]


def fwhm_tof_gsas_export(sig, gam):
    """The 'FWHM' GSAS-II writes in TOF reflection exports: the TCH formula fed with the variance
    σ² (µs²) where the Gaussian σ belongs (its getFWHM quirk), e.g. 2950.945 µs for σ² = 1243.97,
    γ = 40.231.  Use only to compare with GSAS-II's exported column."""
    return tch_fwhm_eta(np.asarray(sig, float) ** 2, gam)[0]


def tof_peak_window(pos, alp, bet, sig, gam):
    """GSAS-II's TOF peak range: (µs below, µs above) the position.

    fwhm = 2.355·σ + 2γ; below 10·fwhm·(1 + 1/α), above 10·fwhm·(1 + 1/β).
    """
    fw = 2.355 * np.sqrt(np.maximum(np.asarray(sig, float), 0.0)) + 2.0 * np.asarray(gam, float)
    return 10.0 * fw * (1.0 + 1.0 / np.asarray(alp, float)), 10.0 * fw * (1.0 + 1.0 / np.asarray(bet, float))


def tof_alpha_beta(d, alpha, beta0, beta1, betaq=0.0, derivs: bool = False):
    """α = alpha/d and β = beta-0 + beta-1/d⁴ + beta-q/d² (1/µs) for d in Å.

    With ``derivs`` returns (α, β, {'alpha': dα, 'beta-0': dβ, 'beta-1': dβ, 'beta-q': dβ}).
    """
    d = np.asarray(d, dtype=float)
    a = alpha / d
    b = beta0 + beta1 / d ** 4 + betaq / d ** 2
    if not derivs:
        return a, b
    return a, b, {"alpha": 1.0 / d, "beta-0": np.ones_like(d), "beta-1": d ** -4, "beta-q": d ** -2}


def tof_sig_gam(d, sig0, sig1, sig2, sigq=0.0, X=0.0, Y=0.0, Z=0.0, derivs: bool = False):
    """Instrumental σ² = sig-0 + sig-1·d² + sig-2·d⁴ + sig-q·d (µs², floor 0) and γ = X·d + Y·d² + Z (µs).

    With ``derivs`` returns (sig, gam, {key: d/dkey}) for the eight keys.
    """
    d = np.asarray(d, dtype=float)
    sig = np.maximum(sig0 + sig1 * d ** 2 + sig2 * d ** 4 + sigq * d, 0.0)
    gam = X * d + Y * d * d + Z
    if not derivs:
        return sig, gam
    one = np.ones_like(d)
    return sig, gam, {"sig-0": one, "sig-1": d ** 2, "sig-2": d ** 4, "sig-q": d,
                      "X": d, "Y": d * d, "Z": one}
