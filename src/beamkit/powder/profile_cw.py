"""Constant-wavelength peak shape: TCH pseudo-Voigt with Finger–Cox–Jephcoat axial asymmetry.

Units as GSAS-II uses them: peak positions and offsets in degrees 2θ, the Gaussian variance
``sig`` in centidegrees², the Lorentzian FWHM ``gam`` in centidegrees, the asymmetry ``shl``
= S/L + H/L (GSAS-II's SH/L, with S/L = H/L = SH/L/2).  Profiles are normalised to unit area
in **centidegrees** (the scale of GSAS-II's profile routine), so a peak of integrated intensity
I (counts·centidegree) adds ``I·P`` counts to a point.

All functions work element-wise on flat arrays of (point, reflection) pairs; nothing loops over
reflections in Python.  The FCJ convolution is GSAS-II's (PSVFCJO): the positive half of an
n-point Gauss–Legendre rule maps onto 2φ_min … 2θ, with n the smallest tabulated size (2 … 400)
≥ int(300·|2θ − 2φ_min|/γ), 2θ in degrees and γ in centidegrees; pairs sharing a node count are
evaluated together.
"""
from __future__ import annotations

import numpy as np

__all__ = ["STOFW", "tch_fwhm_eta", "fwhm_cw", "pseudo_voigt", "fcj_voigt", "fcj_voigt_peaks",
           "cw_peak_window", "fcj_phimin"]

STOFW = 2.35482                      # Gaussian FWHM / σ  (sqrt(8 ln 2)), as in GSAS-II
_C = (2.69269, 2.42843, 4.47163, 0.07842)
_E = (1.36603, -0.47719, 0.11116)
_LN2 = np.log(2.0)
_GNORM = 2.0 * np.sqrt(_LN2 / np.pi)
_NTERMS = np.array([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 40, 50, 60, 70, 80,
                    90, 100, 110, 120, 140, 160, 180, 200, 220, 240, 260, 280, 300, 400])
_GL = {}
_CHUNK = 16384                       # pairs per block: keeps the temporaries in cache


def _gauss_legendre(n):
    """Gauss-Legendre nodes and weights on [-1, 1] (numpy's leggauss recipe, tridiagonal solver).

    The Jacobi matrix is solved with LAPACK's tridiagonal eigenvalue routine (O(n²), single
    thread) instead of a dense eigvalsh, then one Newton step and symmetrisation as numpy does.
    """
    n = int(n)
    if n not in _GL:
        from numpy.polynomial import legendre as L
        from scipy.linalg import eigvalsh_tridiagonal
        scl = 1.0 / np.sqrt(2.0 * np.arange(n) + 1.0)
        x = eigvalsh_tridiagonal(np.zeros(n), np.arange(1, n) * scl[:-1] * scl[1:])
        c = np.zeros(n + 1)
        c[-1] = 1.0
        dy = L.legval(x, c)
        df = L.legval(x, L.legder(c))
        x = x - dy / df
        fm = L.legval(x, c[1:])
        fm /= np.abs(fm).max()
        df /= np.abs(df).max()
        w = 1.0 / (fm * df)
        w = (w + w[::-1]) / 2.0
        x = (x - x[::-1]) / 2.0
        _GL[n] = (x, w * (2.0 / w.sum()))
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
    if not derivs:
        return _pv_fast(X, invF, eta * (2.0 / np.pi), (1.0 - eta) * _GNORM)
    u = X * invF
    u2 = u * u
    G = np.exp(np.maximum(-4.0 * _LN2 * u2, -300.0)) * (_GNORM * invF)   # clipped: no slow underflow
    den = 1.0 / (1.0 + 4.0 * u2)
    L = (2.0 / np.pi) * invF * den
    a = eta * L
    b = (1.0 - eta) * G
    P = a + b
    # t = a·den + ln2·b;  dP/dX = −8·u·t/F;  dP/dF = (−P + 8·u²·t)/F;  dP/dη = L − G
    t = a * den + _LN2 * b
    dP_dX = -8.0 * u * invF * t
    dP_dF = (8.0 * u2 * t - P) * invF
    return P, dP_dX, dP_dF, L - G


def _pv_fast(X, invF, cL, cG):
    """Unit-area pseudo-Voigt value only, with few temporaries: cL = 2η/π, cG = (1 − η)·2√(ln2/π)."""
    u2 = X * invF
    shape = np.shape(u2)
    u2 = np.array(u2, dtype=float, ndmin=1)
    u2 *= u2
    den = 4.0 * u2
    den += 1.0
    np.reciprocal(den, out=den)
    den *= cL
    u2 *= -4.0 * _LN2
    np.maximum(u2, -300.0, out=u2)
    np.exp(u2, out=u2)
    u2 *= cG
    u2 += den
    u2 *= invF
    return u2.reshape(shape)


def fcj_phimin(tth, shl):
    """2φ_min (degrees) of the FCJ axial-divergence weight for peaks at 2θ (degrees)."""
    c = np.cos(np.radians(tth))
    return np.degrees(np.arccos(np.clip(c * np.sqrt(1.0 + np.asarray(shl, float) ** 2), -1.0, 1.0)))


def fcj_voigt(dx, tth, sig, gam, shl, derivs: bool = False):
    """FCJ-asymmetric TCH pseudo-Voigt, per centidegree, on flat (point, peak) pairs.

    dx: x − 2θ_peak (degrees); tth: peak position 2θ (degrees); sig (centideg²); gam (centideg);
    shl: S/L + H/L (use max(SH/L, 0.002) as GSAS-II does; 0 gives the symmetric function).
    All broadcast together.  Returns P, or with ``derivs`` (P, dP/dpos [per degree], dP/dsig,
    dP/dgam, dP/dshl).  dP/dpos is the full derivative wrt the peak position at fixed x (the
    FCJ weights move with 2θ; GSAS-II keeps them fixed).
    """
    dx, tth, sig, gam, shl = np.broadcast_arrays(*[np.asarray(a, dtype=float)
                                                   for a in (dx, tth, sig, gam, shl)])
    shape = dx.shape
    tth, sig, gam, shl = tth.ravel(), sig.ravel(), gam.ravel(), shl.ravel()
    # pairs usually come grouped by peak: collapse runs of equal peak parameters so that the
    # per-peak work (TCH width, FCJ nodes) is done once per peak, not once per pair
    if tth.size > 1:
        change = np.empty(tth.size, dtype=bool)
        change[0] = True
        np.not_equal(tth[1:], tth[:-1], out=change[1:])
        change[1:] |= (sig[1:] != sig[:-1]) | (gam[1:] != gam[:-1]) | (shl[1:] != shl[:-1])
        starts = np.nonzero(change)[0]
        ipk = np.cumsum(change) - 1
        tth, sig, gam, shl = tth[starts], sig[starts], gam[starts], shl[starts]
    else:
        ipk = np.zeros(tth.size, dtype=np.intp)
    r = fcj_voigt_peaks(dx.ravel(), ipk, tth, sig, gam, shl, derivs)
    if derivs:
        return tuple(a.reshape(shape) for a in r)
    return r.reshape(shape)


def fcj_voigt_peaks(dx, ipk, tth, sig, gam, shl, derivs: bool = False):
    """As :func:`fcj_voigt` for pairs (dx, ipk) of many peaks given per peak (tth, sig, gam, shl).

    Per-peak quantities (TCH width, mixing, quadrature nodes and weights) are computed once per
    peak.  Far from the peak (|X| > max(3·FWHM, 1000·|2θ − 2φ_min|), X in centideg) the FCJ
    convolution is replaced by the pseudo-Voigt shifted by the mean of the FCJ weight
    (relative error below ~1e-6 there).
    """
    dx = np.asarray(dx, dtype=float)
    ipk = np.asarray(ipk, dtype=np.intp)
    m = np.size(tth)
    tth = np.broadcast_to(np.asarray(tth, dtype=float), (m,))
    sig = np.broadcast_to(np.asarray(sig, dtype=float), (m,))
    gam = np.broadcast_to(np.asarray(gam, dtype=float), (m,))
    shl = np.broadcast_to(np.asarray(shl, dtype=float), (m,))
    X = 100.0 * dx
    if derivs:
        F, eta, dFs, dFg, des, deg = tch_fwhm_eta(sig, gam, True)
    else:
        F, eta = tch_fwhm_eta(sig, gam)
    phimin = fcj_phimin(tth, shl)
    span_deg = np.abs(tth - phimin)
    delta = 100.0 * (tth - phimin)
    # GSAS-II's PSVFCJO node count: int(300·|2θ − 2φmin| (deg) / γ (centideg)), or int(200·|…|)
    # for γ ≤ 0, rounded up to the next tabulated rule size
    K = np.floor(np.where(gam > 0, 300.0 * span_deg / np.where(gam > 0, gam, 1.0), 200.0 * span_deg))
    asym = (shl > 0) & (np.abs(delta) > 1e-9)
    nsel = np.zeros(m, dtype=int)
    nsel[asym] = _NTERMS[np.minimum(np.searchsorted(_NTERMS, K[asym]), len(_NTERMS) - 1)]
    mu = np.zeros(m)
    dmu = np.zeros(m)
    dmu_t = np.zeros(m)
    groups = {}
    for n in np.unique(nsel[asym]):          # a few node-count groups, not reflections
        sel = np.nonzero(nsel == n)[0]
        g = _fcj_nodes(int(n), tth[sel], shl[sel], phimin[sel], derivs)
        mu[sel] = g["mu"]
        if derivs:
            dmu[sel] = g["dmu"]
            dmu_t[sel] = g["dmu_t"]
        rowmap = np.full(m, -1, dtype=np.intp)
        rowmap[sel] = np.arange(sel.size)
        groups[int(n)] = (g, rowmap)
    core = asym[ipk] & (np.abs(X) < np.maximum(3.0 * F, 1000.0 * np.abs(delta))[ipk])
    P = np.empty_like(X)
    if derivs:
        dP = [np.empty_like(X) for _ in range(4)]
    if not derivs:
        iF, cL, cG = 1.0 / F, eta * (2.0 / np.pi), (1.0 - eta) * _GNORM
    # the shifted pseudo-Voigt on every pair, in contiguous cache-sized chunks (the few core
    # pairs are overwritten by the FCJ quadrature below: cheaper than gathering the tail)
    for c0 in range(0, X.size, _CHUNK):
        it = slice(c0, c0 + _CHUNK)
        kt = ipk[it]
        Xt = X[it] + mu[kt]
        if not derivs:
            P[it] = _pv_fast(Xt, iF[kt], cL[kt], cG[kt])
            continue
        Pt, dXt, dFt, det = pseudo_voigt(Xt, F[kt], eta[kt], True)
        P[it] = Pt
        dP[0][it] = dXt * (dmu_t[kt] - 100.0)
        dP[1][it] = dFt * dFs[kt] + det * des[kt]
        dP[2][it] = dFt * dFg[kt] + det * deg[kt]
        dP[3][it] = dXt * dmu[kt]
    if core.any():
        icore = np.nonzero(core)[0]
        gcore = nsel[ipk[icore]]
        order = np.argsort(gcore, kind="stable")
        icore, gcore = icore[order], gcore[order]
        bounds = np.searchsorted(gcore, list(groups) + [np.iinfo(int).max])
        for j, (n, (g, rowmap)) in enumerate(groups.items()):
            ic = icore[bounds[j]:bounds[j + 1]]
            if ic.size == 0:
                continue
            k = ipk[ic]
            row = rowmap[k]
            Xk = X[ic, None] + g["off"][row]
            Wn = g["Wn"][row]
            Fk, ek = F[k, None], eta[k, None]
            if not derivs:
                P[ic] = (Wn * _pv_fast(Xk, 1.0 / Fk, ek * (2.0 / np.pi), (1.0 - ek) * _GNORM)).sum(axis=1)
                continue
            Pk, dXk, dFk, dek = pseudo_voigt(Xk, Fk, ek, True)
            Pc = (Wn * Pk).sum(axis=1)
            P[ic] = Pc
            dP[0][ic] = (g["dWn_t"][row] * Pk + Wn * dXk * (g["doff_t"][row] - 100.0)).sum(axis=1)
            dP[1][ic] = (Wn * (dFk * dFs[k, None] + dek * des[k, None])).sum(axis=1)
            dP[2][ic] = (Wn * (dFk * dFg[k, None] + dek * deg[k, None])).sum(axis=1)
            dP[3][ic] = (g["dWn"][row] * Pk + Wn * dXk * g["doff"][row]).sum(axis=1)
    if derivs:
        return (P, *dP)
    return P


def _fcj_nodes(n, tth, shl, phimin, derivs):
    """Per-peak FCJ quadrature: node offsets (centideg), normalised weights, their shl derivatives."""
    t, w = _gauss_legendre(n)
    # as GSAS-II's PSVFCJO: the positive half of the n-point rule on [-1, 1], node x at
    # 2φ = 2φ_min + (2θ − 2φ_min)·x (n/2 nodes, denser towards 2θ where the weight peaks)
    pos_half = t > 0
    frac, w = t[pos_half], w[pos_half]
    span = (tth - phimin)[:, None]                         # degrees
    phi = phimin[:, None] + span * frac[None, :]           # (m, n) degrees
    c = np.cos(np.radians(tth))[:, None]
    cphi = np.cos(np.radians(phi))
    h = np.sqrt(np.maximum(cphi ** 2 / c ** 2 - 1.0, 1e-300))
    A = shl[:, None]
    acp = np.abs(cphi)
    W = np.maximum(A - h, 0.0) / (h * acp) * w[None, :]    # FCJ weight with S/L = H/L
    D = W.sum(axis=1, keepdims=True)
    Wn = W / D
    off = 100.0 * (tth[:, None] - phi)                      # PV evaluated at X + off (centideg)
    out = {"Wn": Wn, "off": off, "mu": (Wn * off).sum(axis=1)}
    if not derivs:
        return out
    s = np.sqrt(1.0 + shl ** 2)
    cc = np.cos(np.radians(tth))
    arg = np.clip(cc * s, -1.0, 1.0)
    dphimin = np.degrees(-(cc * shl / s) / np.sqrt(np.maximum(1.0 - arg ** 2, 1e-300)))
    dphi = dphimin[:, None] * (1.0 - frac[None, :])        # dφ_k/dshl (degrees)
    sphi = np.sin(np.radians(phi))
    dh_dphi = -(cphi * sphi) / (c ** 2 * h) * (np.pi / 180.0)
    inner = np.where(A - h > 0, 1.0, 0.0)
    dacp = -np.sign(cphi) * sphi * (np.pi / 180.0)
    dW_dA = inner / (h * acp) * w[None, :]
    dW_dphi = w[None, :] * inner * (-dh_dphi * h * acp - (A - h) * (dh_dphi * acp + h * dacp)) \
        / (h * acp) ** 2
    dW = dW_dA + dW_dphi * dphi
    dD = dW.sum(axis=1, keepdims=True)
    dWn = (dW - Wn * dD) / D
    doff = -100.0 * dphi
    out.update(dWn=dWn, doff=doff, dmu=(dWn * off + Wn * doff).sum(axis=1))
    # the same for the peak position 2θ (the weights move with it)
    st = np.sin(np.radians(tth))
    dphimin_t = np.where(arg < 1.0, st * s / np.sqrt(np.maximum(1.0 - arg ** 2, 1e-300)), 0.0)
    dphi_t = dphimin_t[:, None] * (1.0 - frac[None, :]) + frac[None, :]   # dφ_k/d2θ (deg/deg)
    dc_t = -st[:, None] * (np.pi / 180.0)                                 # d cos2θ / d2θ (per degree)
    dh_t = -(cphi ** 2) / (c ** 3 * h) * dc_t + dh_dphi * dphi_t
    dacp_t = dacp * dphi_t
    dW_t = w[None, :] * inner * (-dh_t * h * acp - (A - h) * (dh_t * acp + h * dacp_t)) / (h * acp) ** 2
    dWn_t = (dW_t - Wn * dW_t.sum(axis=1, keepdims=True)) / D
    doff_t = 100.0 * (1.0 - dphi_t)
    out.update(dWn_t=dWn_t, doff_t=doff_t, dmu_t=(dWn_t * off + Wn * doff_t).sum(axis=1))
    return out


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
