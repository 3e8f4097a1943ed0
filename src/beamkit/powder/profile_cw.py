"""Constant-wavelength peak shape: TCH pseudo-Voigt with Finger–Cox–Jephcoat axial asymmetry.

Units as GSAS-II uses them: peak positions and offsets in degrees 2θ, the Gaussian variance
``sig`` in centidegrees², the Lorentzian FWHM ``gam`` in centidegrees, the asymmetry ``shl``
= S/L + H/L (GSAS-II's SH/L, with S/L = H/L = SH/L/2).  Profiles are normalised to unit area
in **centidegrees** (the scale of GSAS-II's profile routine), so a peak of integrated intensity
I (counts·centidegree) adds ``I·P`` counts to a point.

All functions work element-wise on flat arrays of (point, reflection) pairs; nothing loops over
reflections in Python.  The FCJ convolution uses Gauss–Legendre quadrature from 2φ_min to 2θ with
a node count chosen per pair from 300·|2θ − 2φ_min|/γ (table of sizes 2 … 400); pairs sharing a
node count are evaluated together.
"""
from __future__ import annotations

import numpy as np

__all__ = ["STOFW", "tch_fwhm_eta", "fwhm_cw", "pseudo_voigt", "fcj_voigt", "cw_peak_window",
           "fcj_phimin"]

STOFW = 2.35482                      # Gaussian FWHM / σ  (sqrt(8 ln 2)), as in GSAS-II
_C = (2.69269, 2.42843, 4.47163, 0.07842)
_E = (1.36603, -0.47719, 0.11116)
_LN2 = np.log(2.0)
_GNORM = 2.0 * np.sqrt(_LN2 / np.pi)
_NTERMS = np.array([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 40, 50, 60, 70, 80,
                    90, 100, 110, 120, 140, 160, 180, 200, 220, 240, 260, 280, 300, 400])
_GL = {}


def _gauss_legendre(n):
    if n not in _GL:
        _GL[n] = np.polynomial.legendre.leggauss(int(n))
    return _GL[n]


def tch_fwhm_eta(sig, gam, derivs: bool = False):
    """TCH total FWHM (centideg) and mixing η from sig (centideg²) and gam (centideg).

    With ``derivs`` also returns (dF/dsig, dF/dgam, dη/dsig, dη/dgam).
    """
    sig = np.maximum(np.asarray(sig, dtype=float), 1e-12)
    gam = np.asarray(gam, dtype=float)
    g = STOFW * np.sqrt(sig)
    l = gam
    F5 = g ** 5 + _C[0] * g ** 4 * l + _C[1] * g ** 3 * l ** 2 + _C[2] * g ** 2 * l ** 3 \
        + _C[3] * g * l ** 4 + l ** 5
    F = F5 ** 0.2
    f = l / F
    eta = _E[0] * f + _E[1] * f ** 2 + _E[2] * f ** 3
    if not derivs:
        return F, eta
    dF5_dg = 5 * g ** 4 + 4 * _C[0] * g ** 3 * l + 3 * _C[1] * g ** 2 * l ** 2 \
        + 2 * _C[2] * g * l ** 3 + _C[3] * l ** 4
    dF5_dl = _C[0] * g ** 4 + 2 * _C[1] * g ** 3 * l + 3 * _C[2] * g ** 2 * l ** 2 \
        + 4 * _C[3] * g * l ** 3 + 5 * l ** 4
    dF_dF5 = 0.2 * F / F5
    dg_dsig = STOFW / (2 * np.sqrt(sig))
    dF_dsig = dF_dF5 * dF5_dg * dg_dsig
    dF_dgam = dF_dF5 * dF5_dl
    deta_df = _E[0] + 2 * _E[1] * f + 3 * _E[2] * f ** 2
    deta_dsig = deta_df * (-l / F ** 2) * dF_dsig
    deta_dgam = deta_df * (1.0 / F - l / F ** 2 * dF_dgam)
    return F, eta, dF_dsig, dF_dgam, deta_dsig, deta_dgam


def fwhm_cw(sig, gam):
    """TCH FWHM in degrees from sig (centideg²) and gam (centideg)."""
    return tch_fwhm_eta(sig, gam)[0] / 100.0


def pseudo_voigt(X, F, eta, derivs: bool = False):
    """Unit-area pseudo-Voigt at offsets X with FWHM F (same units) and mixing η.

    With ``derivs`` returns (P, dP/dX, dP/dF, dP/dη).
    """
    X = np.asarray(X, dtype=float)
    invF = 1.0 / F
    u = X * invF
    u2 = u * u
    eg = np.exp(-4.0 * _LN2 * u2)
    G = _GNORM * invF * eg
    den = 1.0 / (1.0 + 4.0 * u2)
    L = (2.0 / np.pi) * invF * den
    P = eta * L + (1.0 - eta) * G
    if not derivs:
        return P
    dG_dX = G * (-8.0 * _LN2 * u * invF)
    dL_dX = L * (-8.0 * u * invF) * den
    dG_dF = G * invF * (-1.0 + 8.0 * _LN2 * u2)
    dL_dF = L * invF * (-1.0 + 8.0 * u2 * den)
    dP_dX = eta * dL_dX + (1.0 - eta) * dG_dX
    dP_dF = eta * dL_dF + (1.0 - eta) * dG_dF
    return P, dP_dX, dP_dF, L - G


def fcj_phimin(tth, shl):
    """2φ_min (degrees) of the FCJ axial-divergence weight for peaks at 2θ (degrees)."""
    c = np.cos(np.radians(tth))
    return np.degrees(np.arccos(np.clip(c * np.sqrt(1.0 + np.asarray(shl, float) ** 2), -1.0, 1.0)))


def _pv_sig_gam(X, F, eta, dF, deta, derivs):
    """pseudo-Voigt and its derivatives wrt X, sig, gam (chain through F, η)."""
    if not derivs:
        return pseudo_voigt(X, F, eta)
    P, dX, dPF, dPe = pseudo_voigt(X, F, eta, True)
    return P, dX, dPF * dF[0] + dPe * deta[0], dPF * dF[1] + dPe * deta[1]


def fcj_voigt(dx, tth, sig, gam, shl, derivs: bool = False):
    """FCJ-asymmetric TCH pseudo-Voigt, per centidegree, on flat (point, peak) pairs.

    dx: x − 2θ_peak (degrees); tth: peak position 2θ (degrees); sig (centideg²); gam (centideg);
    shl: S/L + H/L (use max(SH/L, 0.002) as GSAS-II does; 0 gives the symmetric function).
    Returns P, or with ``derivs`` (P, dP/dpos [per degree], dP/dsig, dP/dgam, dP/dshl).
    dP/dpos is −dP/d(dx), the position derivative at fixed asymmetry weights (as GSAS-II).
    """
    dx, tth, sig, gam, shl = np.broadcast_arrays(*[np.asarray(a, dtype=float)
                                                   for a in (dx, tth, sig, gam, shl)])
    X = 100.0 * dx
    if derivs:
        F, eta, *dd = tch_fwhm_eta(sig, gam, True)
        dF, deta = (dd[0], dd[1]), (dd[2], dd[3])
    else:
        F, eta = tch_fwhm_eta(sig, gam)
        dF = deta = None
    phimin = fcj_phimin(tth, shl)
    delta = 100.0 * (tth - phimin)                       # centideg, signed (negative above 90°)
    gam_ = np.where(gam > 0, gam, np.nan)
    K = np.where(gam > 0, 300.0 * np.abs(delta) / np.where(gam > 0, gam, 1.0), 200.0 * np.abs(delta))
    asym = (shl > 0) & (np.abs(delta) > 1e-9)
    P = np.zeros_like(X)
    if derivs:
        dP = [np.zeros_like(X) for _ in range(4)]
    sym = ~asym
    if sym.any():
        r = _pv_sig_gam(X[sym], F[sym], eta[sym],
                        None if dF is None else (dF[0][sym], dF[1][sym]),
                        None if deta is None else (deta[0][sym], deta[1][sym]), derivs)
        if derivs:
            P[sym] = r[0]
            dP[0][sym] = -100.0 * r[1]
            dP[1][sym] = r[2]
            dP[2][sym] = r[3]
        else:
            P[sym] = r
    if asym.any():
        idx = np.nonzero(asym)[0]
        nsel = _NTERMS[np.minimum(np.searchsorted(_NTERMS, np.ceil(K[idx])), len(_NTERMS) - 1)]
        for n in np.unique(nsel):              # a few node-count groups, not reflections
            sel = idx[nsel == n]
            r = _fcj_group(int(n), X[sel], tth[sel], F[sel], eta[sel], shl[sel], phimin[sel],
                           None if dF is None else (dF[0][sel], dF[1][sel]),
                           None if deta is None else (deta[0][sel], deta[1][sel]), derivs)
            if derivs:
                P[sel] = r[0]
                for j in range(4):
                    dP[j][sel] = r[1 + j]
            else:
                P[sel] = r
    del gam_
    if derivs:
        return (P, *dP)
    return P


def _fcj_group(n, X, tth, F, eta, shl, phimin, dF, deta, derivs):
    """FCJ quadrature with n Gauss–Legendre nodes for one group of pairs."""
    t, w = _gauss_legendre(n)
    frac = 0.5 * (1.0 + t)                                 # node position in [0, 1] from 2φ_min
    span = (tth - phimin)[:, None]                         # degrees
    phi = phimin[:, None] + span * frac[None, :]           # (m, n) degrees
    c = np.cos(np.radians(tth))[:, None]
    cphi = np.cos(np.radians(phi))
    h2 = cphi ** 2 / c ** 2 - 1.0
    h = np.sqrt(np.maximum(h2, 1e-300))
    A = shl[:, None]
    acp = np.abs(cphi)
    W = np.maximum(A - h, 0.0) / (h * acp) * w[None, :]    # FCJ weight (S = H)
    D = W.sum(axis=1)
    off = 100.0 * (tth[:, None] - phi)                      # centideg: PV evaluated at X + off
    Xk = X[:, None] + off
    Fk = F[:, None]
    ek = eta[:, None]
    if not derivs:
        Pk = pseudo_voigt(Xk, Fk, ek)
        return (W * Pk).sum(axis=1) / D
    Pk, dXk, dFk, dek = pseudo_voigt(Xk, Fk, ek, True)
    N = (W * Pk).sum(axis=1)
    P = N / D
    dP_dX = (W * dXk).sum(axis=1) / D
    dP_dsig = (W * (dFk * dF[0][:, None] + dek * deta[0][:, None])).sum(axis=1) / D
    dP_dgam = (W * (dFk * dF[1][:, None] + dek * deta[1][:, None])).sum(axis=1) / D
    # d/dshl: the weights depend on A directly and through the nodes (via 2φ_min)
    s = np.sqrt(1.0 + shl ** 2)
    cc = np.cos(np.radians(tth))
    arg = np.clip(cc * s, -1.0, 1.0)
    dphimin_dA = np.degrees(-(cc * shl / s) / np.sqrt(np.maximum(1.0 - arg ** 2, 1e-300)))
    dphi = dphimin_dA[:, None] * (1.0 - frac[None, :])      # dφ_k/dA, degrees
    sphi = np.sin(np.radians(phi))
    dh_dphi = -(cphi * sphi) / (c ** 2 * h) * (np.pi / 180.0)   # per degree
    inner = np.where(A - h > 0, 1.0, 0.0)
    # W = (A - h)/(h |cosφ|) * w
    dW_dA = inner / (h * acp) * w[None, :]
    dacp_dphi = -np.sign(cphi) * sphi * (np.pi / 180.0)
    dW_dphi = w[None, :] * inner * (-dh_dphi * h * acp - (A - h) * (dh_dphi * acp + h * dacp_dphi)) \
        / (h * acp) ** 2
    dWk = dW_dA + dW_dphi * dphi
    dPk = dXk * (-100.0 * dphi)                              # Xk = X + 100(tth - φ)
    dN = (dWk * Pk + W * dPk).sum(axis=1)
    dD = dWk.sum(axis=1)
    dP_dshl = (dN - P * dD) / D
    return P, -100.0 * dP_dX, dP_dsig, dP_dgam, dP_dshl


def cw_peak_window(pos, sig, gam, shl):
    """GSAS-II's CW peak range (degrees below, degrees above the peak position).

    Below: 50·(fwhm + shl·|cos 2θ|); above: 75·fwhm, with fwhm = 2.355·σ + γ in degrees
    (σ = sqrt(sig)/100, γ = gam/100); the two sides swap above 90° 2θ.
    """
    pos = np.asarray(pos, dtype=float)
    fw = 2.355 * np.sqrt(np.maximum(sig, 0.0)) / 100.0 + np.asarray(gam, float) / 100.0
    fmin = 50.0 * (fw + np.asarray(shl, float) * np.abs(np.cos(np.radians(pos))))
    fmax = 75.0 * fw
    hi = pos > 90.0
    return np.where(hi, fmax, fmin), np.where(hi, fmin, fmax)
