"""Powder backgrounds as GSAS-II defines them, with derivatives.

The x values passed in are the points **inside the limits** (2θ in degrees or TOF in µs);
polynomial types use ``x′ = −1 + 2(x − x₀)/(x_N − x₀)`` over the first and last of them.

Types: 'chebyschev-1' (Σ cₙ Tₙ(x′)), 'chebyschev' (Σ cₙ x′ⁿ, a power series despite the
name), 'cosine' (Σ cₙ cos(180°·n·x/x_N)), 'Q^2 power series' (c₀ + Σ_{n≥1} cₙ Q²ⁿ),
'Q^-2 power series' (c₀ + Σ cₙ Q⁻²ⁿ), 'lin interpolate' / 'inv interpolate' /
'log interpolate' (linear interpolation through n points spaced evenly in x, 1/x or log x,
the coefficients being the values there).  Extras: Debye terms
``ff²·A·sin(QR)·exp(−U·Q²)/(QR)`` (ff the Si X-ray form factor for X-ray data, 1 for neutrons;
R in Å, U in Å²) and background peaks (``int`` × the histogram's peak shape of ``sig``, ``gam``;
TOF peaks use α = β = 1).  Q = 4π sinθ/λ (CW) or 2π/d with d = TOF/difC (TOF), in Å⁻¹.
"""
from __future__ import annotations

import numpy as np

from beamkit.errors import ParameterError
from beamkit.powder.pattern import window_pairs
from beamkit.powder.profile_cw import cw_peak_window, fcj_voigt_peaks
from beamkit.powder.profile_tof import tof_peak_window, tof_profile
from beamkit.powder.scattering import xray_form_factors

__all__ = ["BACKGROUND_TYPES", "normalized_x", "background_terms", "debye_terms", "background_peaks",
           "background", "q_of_x"]

BACKGROUND_TYPES = ("chebyschev", "chebyschev-1", "cosine", "Q^2 power series", "Q^-2 power series",
                    "lin interpolate", "inv interpolate", "log interpolate")


def _inst(inst, key, default=None):
    """Value of an instrument parameter from a GSAS-II dict (key -> [orig, cur, flag]) or a flat dict."""
    if inst is None or key not in inst:
        return default
    v = inst[key]
    if isinstance(v, (list, tuple)):
        return v[1] if len(v) > 1 else v[0]
    return v


def normalized_x(x):
    """x′ in [−1, 1] over the first and last x (zeros for a single point)."""
    x = np.asarray(x, dtype=float)
    if x.size < 2 or x[-1] == x[0]:
        return np.zeros_like(x)
    return -1.0 + 2.0 * (x - x[0]) / (x[-1] - x[0])


def q_of_x(x, inst):
    """Q (Å⁻¹) at x for a CW (2θ degrees, λ from 'Lam' or 'Lam1') or TOF (µs, 'difC') histogram."""
    typ = str(_inst(inst, "Type", "PXC"))
    x = np.asarray(x, dtype=float)
    if len(typ) > 2 and typ[2] == "T":
        difc = _inst(inst, "difC")
        if not difc:
            raise ParameterError("Instrument Parameters/difC", "a TOF difC in µs/Å", difc)
        return 2.0 * np.pi * difc / x
    lam = _inst(inst, "Lam", None) or _inst(inst, "Lam1", None)
    if not lam:
        raise ParameterError("Instrument Parameters/Lam", "a wavelength in Å", lam)
    return 4.0 * np.pi * np.sin(np.radians(x / 2.0)) / lam


def background_terms(kind: str, n: int, x, inst=None) -> np.ndarray:
    """Design matrix (npts, n): the background is ``terms @ coeffs`` (all types are linear)."""
    x = np.asarray(x, dtype=float)
    npts = x.size
    if n < 0:
        raise ParameterError("Background/no. coeffs", "a non-negative number of terms", n)
    if n == 0 or npts == 0:
        return np.zeros((npts, n))
    if kind == "chebyschev-1":
        return np.polynomial.chebyshev.chebvander(normalized_x(x), n - 1)
    if kind == "chebyschev":
        return np.polynomial.polynomial.polyvander(normalized_x(x), n - 1)
    if kind == "cosine":
        k = np.arange(n)
        return np.cos(np.radians(180.0 * x[:, None] * k[None, :] / x[-1]))
    if kind in ("Q^2 power series", "Q^-2 power series"):
        q2 = q_of_x(x, inst) ** 2
        if kind == "Q^-2 power series":
            q2 = 1.0 / q2
        return q2[:, None] ** np.arange(n)[None, :]
    if kind.endswith("interpolate"):
        if n == 1:
            return np.ones((npts, 1))
        x0, x1 = x[0], x[-1]
        if kind == "lin interpolate":
            nodes = np.linspace(x0, x1, n)
        elif kind == "inv interpolate":
            nodes = np.sort(1.0 / np.linspace(1.0 / x1, 1.0 / x0, n))
        elif kind == "log interpolate":
            if x0 <= 0:
                raise ParameterError("Background", "positive x for 'log interpolate'", x0)
            nodes = np.exp(np.linspace(np.log(x0), np.log(x1), n))
        else:
            raise ParameterError("Background type", "one of " + ", ".join(BACKGROUND_TYPES), kind)
        nodes[0], nodes[-1] = x0, x1
        j = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, n - 2)
        t = (x - nodes[j]) / (nodes[j + 1] - nodes[j])
        M = np.zeros((npts, n))
        rows = np.arange(npts)
        M[rows, j] = 1.0 - t
        M[rows, j + 1] += t
        return M
    raise ParameterError("Background type", "one of " + ", ".join(BACKGROUND_TYPES), kind)


def debye_terms(x, terms, inst, derivs: bool = False):
    """Debye-scattering background Σ ff²·A·sin(QR)·exp(−U Q²)/(QR); terms rows (A, R, U).

    Returns y or (y, d (npts, nterms, 3) wrt A, R, U).
    """
    x = np.asarray(x, dtype=float)
    T = np.asarray(terms, dtype=float).reshape(-1, 3)
    q = q_of_x(x, inst)
    typ = str(_inst(inst, "Type", "PXC"))
    if typ[1:2] == "X":
        ff = xray_form_factors(["Si"], 2 * np.pi / q)[:, 0] ** 2
    else:
        ff = np.ones_like(q)
    A, R, U = T[:, 0], T[:, 1], T[:, 2]
    if np.any(R <= 0):
        raise ParameterError("Background/debyeTerms", "positive distances R in Å", R.tolist())
    qr = q[:, None] * R[None, :]
    e = np.exp(-U[None, :] * q[:, None] ** 2)
    s = np.sin(qr) / qr
    base = ff[:, None] * e * s
    y = (base * A[None, :]).sum(axis=1)
    if not derivs:
        return y
    ds_dR = (np.cos(qr) * q[:, None] * qr - np.sin(qr) * q[:, None]) / qr ** 2
    d = np.stack([base, ff[:, None] * e * A[None, :] * ds_dR,
                  base * A[None, :] * (-(q[:, None] ** 2))], axis=-1)
    return y, d


def background_peaks(x, peaks, inst, derivs: bool = False):
    """Background peaks; rows (pos, int, sig, gam) in the histogram's units.

    Returns y or (y, d (npts, npeaks, 4) wrt pos, int, sig, gam).
    """
    x = np.asarray(x, dtype=float)
    P = np.asarray(peaks, dtype=float).reshape(-1, 4)
    n, m = x.size, len(P)
    y = np.zeros(n)
    d = np.zeros((n, m, 4)) if derivs else None
    if m == 0 or n == 0:
        return (y, d) if derivs else y
    pos, inten, sig, gam = P.T
    typ = str(_inst(inst, "Type", "PXC"))
    tof = len(typ) > 2 and typ[2] == "T"
    if tof:
        one = np.ones(m)
        lo, hi = tof_peak_window(pos, one, one, sig, gam)
    else:
        shl = max(float(_inst(inst, "SH/L", 0.002) or 0.0), 0.002)
        lo, hi = cw_peak_window(pos, sig, gam, shl)
    ipt, ipk = window_pairs(x, pos, lo, hi)
    if ipt.size == 0:
        return (y, d) if derivs else y
    dx = x[ipt] - pos[ipk]
    if tof:
        r = tof_profile(dx, 1.0, 1.0, sig[ipk], gam[ipk], derivs)
        if derivs:
            prof, dpos, dsig, dgam = r[0], r[1], r[4], r[5]
        else:
            prof = r
    else:
        r = fcj_voigt_peaks(dx, ipk, pos, sig, gam, shl, derivs)
        if derivs:
            prof, dpos, dsig, dgam = r[0], r[1], r[2], r[3]
        else:
            prof = r
    y = np.bincount(ipt, prof * inten[ipk], minlength=n)
    if not derivs:
        return y
    w = inten[ipk]
    for j, v in enumerate((dpos * w, prof, dsig * w, dgam * w)):
        np.add.at(d[:, :, j], (ipt, ipk), v)
    return y, d


def background(kind: str, coeffs, x, extra: dict | None = None, inst=None, derivs: bool = False):
    """Total background on the in-limit x from a GSAS-II 'Background' entry.

    kind/coeffs: the first list ([type, refine, n, c0, c1, …]); extra: the second dict
    ('debyeTerms' rows [A, flag, R, flag, U, flag], 'peaksList' rows
    [pos, flag, int, flag, sig, flag, gam, flag]); inst: instrument parameters.
    Returns (y, derivs) where derivs is None or a dict with 'Back' (npts, n), 'Debye'
    (npts, nDebye, 3: A, R, U) and 'BkPk' (npts, nPeaks, 4: pos, int, sig, gam).
    """
    x = np.asarray(x, dtype=float)
    c = np.asarray(coeffs, dtype=float).ravel()
    if not np.all(np.isfinite(c)):
        raise ParameterError("Background", "finite coefficients", c.tolist())
    M = background_terms(kind, c.size, x, inst)
    y = M @ c if c.size else np.zeros(x.size)
    out = {"Back": M} if derivs else None
    extra = extra or {}
    deb = [row for row in extra.get("debyeTerms", [])][: int(extra.get("nDebye", len(extra.get("debyeTerms", []))))]
    if deb:
        terms = [[r[0], r[2], r[4]] for r in deb]
        r = debye_terms(x, terms, inst, derivs)
        if derivs:
            y = y + r[0]
            out["Debye"] = r[1]
        else:
            y = y + r
    pk = [row for row in extra.get("peaksList", [])][: int(extra.get("nPeaks", len(extra.get("peaksList", []))))]
    if pk:
        rows = [[r[0], r[2], r[4], r[6]] for r in pk]
        r = background_peaks(x, rows, inst, derivs)
        if derivs:
            y = y + r[0]
            out["BkPk"] = r[1]
        else:
            y = y + r
    return y, out
