"""Sum many peaks onto a 2θ or TOF grid inside GSAS-II's peak windows, without a Python loop
over reflections.

Each peak k covers the points with ``pos_k − lo_k <= x < pos_k + hi_k`` (``np.searchsorted``
edges, as GSAS-II cuts them).  The (point, peak) pairs are built as flat index arrays, the
profile is evaluated once on all pairs and accumulated with ``np.bincount``.

With ``derivs=True`` the functions also return a :class:`PeakDerivatives`: sparse matrices
(points × peaks) of ∂y/∂(per-peak quantity).  A refinement gets the derivative of y with respect
to any parameter θ by chaining with per-peak factors, e.g.
``dy/dθ = D.dpos @ dpos_dθ + D.dsig @ dsig_dθ + D.dgam @ dgam_dθ + D.dI @ dI_dθ``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from beamkit.errors import ParameterError
from beamkit.powder.corrections import ka2_position
from beamkit.powder.profile_cw import cw_peak_window, fcj_voigt_peaks
from beamkit.powder.profile_tof import tof_peak_window, tof_profile

__all__ = ["window_pairs", "cw_pattern", "tof_pattern", "PeakDerivatives"]

_CHUNK = 16384                       # pairs per block of TOF profile evaluation


def window_pairs(x, pos, lo, hi):
    """Flat (point, peak) index pairs for windows [pos − lo, pos + hi) on sorted x.

    Returns (ipt, ipk) int arrays; peaks outside the grid give no pairs.
    """
    x = np.asarray(x, dtype=float)
    pos = np.asarray(pos, dtype=float)
    i0 = np.searchsorted(x, pos - lo)
    i1 = np.searchsorted(x, pos + hi)
    cnt = np.maximum(i1 - i0, 0)
    total = int(cnt.sum())
    if total == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    ipk = np.repeat(np.arange(len(pos), dtype=np.intp), cnt)
    start = np.cumsum(cnt) - cnt
    ipt = np.arange(total, dtype=np.intp) + np.repeat(i0 - start, cnt)
    return ipt, ipk


@dataclass
class PeakDerivatives:
    """Sparse (npts × npeaks) derivative matrices of y wrt per-peak quantities.

    dI: ∂y/∂I_k (the profile); dpos, dsig, dgam: I_k·∂P/∂(pos, sig, gam); CW adds dshl (as a
    (npts,) vector: shl is shared by all peaks) and, with Kα2, dratio (npts,) = ∂y/∂(I(L2)/I(L1));
    TOF adds dalp and dbet.
    """

    dI: sparse.csr_matrix
    dpos: sparse.csr_matrix
    dsig: sparse.csr_matrix
    dgam: sparse.csr_matrix
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(name)

    def chain(self, **factors) -> np.ndarray:
        """Σ over quantities of matrix @ per-peak factors; factors (m,) or (m, p) -> (npts,) or (npts, p)."""
        out = None
        for key, f in factors.items():
            if f is None:
                continue
            M = getattr(self, key)
            term = M @ np.asarray(f, dtype=float)
            out = term if out is None else out + term
        return out


def _check(x, **arrays):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ParameterError("x", "a 1-D array", x.shape)
    if x.size > 1 and np.any(np.diff(x) < 0):
        raise ParameterError("x", "ascending x values", "unsorted x")
    m = None
    out = {}
    for k, v in arrays.items():
        a = np.atleast_1d(np.asarray(v, dtype=float))
        if m is None:
            m = a.size
        if a.size == 1 and m != 1:
            a = np.full(m, a[0])
        if a.size != m:
            raise ParameterError(k, f"{m} values (one per peak)", a.size)
        if not np.all(np.isfinite(a)):
            raise ParameterError(k, "finite values", "NaN or inf")
        out[k] = a
    return x, out


def _csr(vals, ipt, ipk, shape):
    return sparse.csr_matrix((vals, (ipt, ipk)), shape=shape)


def cw_pattern(x, pos, sig, gam, intensity, shl=0.002, ka2=None, derivs: bool = False):
    """Constant-wavelength pattern Σ_k I_k·P_k(x) (counts per point, P per centidegree).

    x: ascending 2θ (degrees); pos (degrees), sig (centideg²), gam (centideg), intensity per peak;
    shl: asymmetry actually used (GSAS-II: max(SH/L, 0.002)); ka2: None or
    (lam1, lam2, ratio) adding each peak's Kα2 twin at the shifted position with intensity×ratio.
    Returns y (npts,) or (y, :class:`PeakDerivatives`).
    """
    x, a = _check(x, pos=pos, sig=sig, gam=gam, intensity=intensity)
    pos, sig, gam, I = a["pos"], a["sig"], a["gam"], a["intensity"]
    n, m = x.size, pos.size
    sets = [(pos, 1.0, None)]
    if ka2 is not None:
        lam1, lam2, ratio = ka2
        p2, dp2 = ka2_position(pos, lam1, lam2, derivs=True)
        sets.append((p2, float(ratio), dp2))
    y = np.zeros(n)
    if derivs:
        acc = {k: ([], [], []) for k in ("dI", "dpos", "dsig", "dgam")}
        dshl = np.zeros(n)
        dratio = np.zeros(n)
    for p, scale, dp in sets:
        lo, hi = cw_peak_window(p, sig, gam, shl)
        ipt, ipk = window_pairs(x, p, lo, hi)
        if ipt.size == 0:
            continue
        dx = x[ipt] - p[ipk]
        if not derivs:
            P = fcj_voigt_peaks(dx, ipk, p, sig, gam, shl)
            y += np.bincount(ipt, P * (I[ipk] * scale), minlength=n)
            continue
        P, Dp, Ds, Dg, Dh = fcj_voigt_peaks(dx, ipk, p, sig, gam, shl, derivs=True)
        w = I[ipk] * scale
        yk = P * w
        y += np.bincount(ipt, yk, minlength=n)
        dshl += np.bincount(ipt, Dh * w, minlength=n)
        if dp is not None:
            dratio += np.bincount(ipt, P * I[ipk], minlength=n)
            Dp = Dp * dp[ipk]
        for key, vals in (("dI", P * scale), ("dpos", Dp * w), ("dsig", Ds * w), ("dgam", Dg * w)):
            acc[key][0].append(vals)
            acc[key][1].append(ipt)
            acc[key][2].append(ipk)
    if not derivs:
        return y
    mats = {}
    for key, (v, i, k) in acc.items():
        if v:
            mats[key] = _csr(np.concatenate(v), np.concatenate(i), np.concatenate(k), (n, m))
        else:
            mats[key] = sparse.csr_matrix((n, m))
    extra = {"dshl": dshl}
    if ka2 is not None:
        extra["dratio"] = dratio
    return y, PeakDerivatives(mats["dI"], mats["dpos"], mats["dsig"], mats["dgam"], extra)


def tof_pattern(x, pos, alp, bet, sig, gam, intensity, derivs: bool = False):
    """TOF pattern Σ_k I_k·P_k(x) with P of unit area in µs.

    x ascending TOF (µs); pos (µs), alp and bet (1/µs), sig (µs²), gam (µs) per peak.
    Returns y or (y, :class:`PeakDerivatives` with extra dalp, dbet matrices).
    """
    x, a = _check(x, pos=pos, alp=alp, bet=bet, sig=sig, gam=gam, intensity=intensity)
    pos, alp, bet, sig, gam, I = (a[k] for k in ("pos", "alp", "bet", "sig", "gam", "intensity"))
    n, m = x.size, pos.size
    lo, hi = tof_peak_window(pos, alp, bet, sig, gam)
    ipt, ipk = window_pairs(x, pos, lo, hi)
    if ipt.size == 0:
        y = np.zeros(n)
        if not derivs:
            return y
        z = sparse.csr_matrix((n, m))
        return y, PeakDerivatives(z, z, z, z, {"dalp": z, "dbet": z})
    npair = ipt.size
    P = np.empty(npair)
    if derivs:
        Dp, Da, Db, Ds, Dg = (np.empty(npair) for _ in range(5))
    for c0 in range(0, npair, _CHUNK):        # cache-sized chunks of pairs
        c = slice(c0, c0 + _CHUNK)
        k = ipk[c]
        dx = x[ipt[c]] - pos[k]
        if derivs:
            P[c], Dp[c], Da[c], Db[c], Ds[c], Dg[c] = tof_profile(dx, alp[k], bet[k], sig[k], gam[k],
                                                                  derivs=True)
        else:
            P[c] = tof_profile(dx, alp[k], bet[k], sig[k], gam[k])
    w = I[ipk]
    y = np.bincount(ipt, P * w, minlength=n)
    if not derivs:
        return y
    mk = lambda v: _csr(v, ipt, ipk, (n, m))  # noqa: E731
    return y, PeakDerivatives(mk(P), mk(Dp * w), mk(Ds * w), mk(Dg * w),
                              {"dalp": mk(Da * w), "dbet": mk(Db * w)})
