"""Sample broadening: crystallite size and microstrain (GSAS-II's models), with derivatives.

Both radiations share one form: size broadening ``Sgam = Ks / L(hkl)`` and strain broadening
``Mgam = Km · μ(hkl)``, where

* CW: ``Ks = 1.8·λ/(π cosθ)`` (centideg·µm), ``Km = 0.018·tanθ/π`` (centideg per 10⁻⁶ strain);
* TOF: ``Ks = 1e-4·difC·d²`` (µs·µm), ``Km = 1e-6·difC·d`` (µs per 10⁻⁶ strain).

Models: size 'isotropic' (L = Size;i µm), 'uniaxial' (Size;i across, Size;a along the axis),
'ellipsoidal' (six coefficients S11, S22, S33, S12, S13, S23 of a symmetric size tensor in µm;
L = 1/sqrt(q̂ᵀ S⁻² q̂), q̂ the unit scattering vector in Cartesian reciprocal space);
mustrain 'isotropic', 'uniaxial', 'generalized' (Stephens 1999: μ = d²·sqrt(Σ S_HKL h^H k^K l^L)).
The LG mixing ``mx`` splits each into the Lorentzian width ``gam += mx·X`` and the Gaussian
variance ``sig += ((1 − mx)·X)²/(8 ln 2)``.  Angles to the unique axis use the reciprocal metric.
"""
from __future__ import annotations

import numpy as np

from beamkit.errors import ParameterError
from beamkit.powder.crystal import A_to_Gstar

__all__ = ["mustrain_names", "mustrain_terms", "axis_cos_sin", "cw_factors", "tof_factors",
           "sample_sig_gam", "ATELN2"]

ATELN2 = 8.0 * np.log(2.0)

_MU_NAMES = {
    "-1": ["S400", "S040", "S004", "S220", "S202", "S022", "S310", "S103", "S031", "S130", "S301",
           "S013", "S211", "S121", "S112"],
    "2/m": ["S400", "S040", "S004", "S220", "S022", "S202", "S301", "S103", "S121"],
    "mmm": ["S400", "S040", "S004", "S220", "S202", "S022"],
    "4/m": ["S400", "S004", "S220", "S202", "S310"],
    "4/mmm": ["S400", "S004", "S220", "S202"],
    "6/m": ["S400", "S004", "S202"],
    "6/mmm": ["S400", "S004", "S202"],
    "-3": ["S400", "S004", "S202"],
    "-3m": ["S400", "S004", "S202"],
    "m-3": ["S400", "S220"],
    "m-3m": ["S400", "S220"],
}


def _laue_key(laue: str) -> str:
    key = laue.replace(" ", "")
    if key.startswith("-3m") or key in ("-31m", "-3m1"):
        return "-3m"
    if key not in _MU_NAMES:
        raise ParameterError("Laue class", "one of " + ", ".join(_MU_NAMES), laue)
    return key


def mustrain_names(laue: str) -> list:
    """GSAS-II names of the generalized-mustrain coefficients for a Laue class (e.g. 'mmm')."""
    return list(_MU_NAMES[_laue_key(laue)])


def mustrain_terms(hkl, laue: str) -> np.ndarray:
    """Stephens terms (m, k) multiplying each generalized-mustrain coefficient."""
    H = np.asarray(hkl, dtype=float).reshape(-1, 3)
    h, k, l = H.T
    key = _laue_key(laue)
    if key in ("m-3", "m-3m"):
        return np.stack([h ** 4 + k ** 4 + l ** 4, h * h * k * k + h * h * l * l + k * k * l * l], 1)
    if key in ("6/m", "6/mmm", "-3", "-3m"):
        hk = h * h + k * k + h * k
        return np.stack([hk ** 2, l ** 4, hk * l * l], 1)
    if key in ("4/m", "4/mmm"):
        cols = [h ** 4 + k ** 4, l ** 4, h * h * k * k, (h * h + k * k) * l * l]
        if key == "4/m":
            cols.append(h ** 3 * k - h * k ** 3)
        return np.stack(cols, 1)
    exps = [(int(n[1]), int(n[2]), int(n[3])) for n in _MU_NAMES[key]]
    return np.stack([h ** a * k ** b * l ** c for a, b, c in exps], 1)


def axis_cos_sin(hkl, axis, A):
    """cos and sin of the angle between reflections hkl (m, 3) and ``axis`` (3,), both as
    reciprocal-lattice vectors in the metric of A0..A5."""
    G = A_to_Gstar(A)
    H = np.asarray(hkl, dtype=float).reshape(-1, 3)
    P = np.asarray(axis, dtype=float).ravel()
    if P.size != 3 or not np.any(P):
        raise ParameterError("axis", "a non-zero direction [h, k, l]", axis)
    hp = H @ G @ P
    hh = np.einsum("mi,ij,mj->m", H, G, H)
    pp = P @ G @ P
    c = np.clip(hp / np.sqrt(hh * pp), -1.0, 1.0)
    return c, np.sqrt(1.0 - c * c)


def cw_factors(tth, wavelength):
    """(Ks, Km) for CW peaks at 2θ (degrees): Ks centideg·µm, Km centideg per µstrain."""
    th = np.radians(np.asarray(tth, dtype=float) / 2.0)
    return 1.8 * wavelength / (np.pi * np.cos(th)), 0.018 * np.tan(th) / np.pi


def tof_factors(d, difC):
    """(Ks, Km) for TOF peaks at d (Å): Ks µs·µm, Km µs per µstrain."""
    d = np.asarray(d, dtype=float)
    return 1e-4 * difC * d * d, 1e-6 * difC * d


def _ellipsoid_length(hkl, A, S6, derivs):
    """Size along each reflection for a symmetric size tensor (µm) and dL/dS (m, 6)."""
    G = A_to_Gstar(A)
    B = np.linalg.cholesky(G).T                 # q_cart = B h with |q|² = hᵀ G h
    H = np.asarray(hkl, dtype=float).reshape(-1, 3)
    q = H @ B.T
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    S = np.array([[S6[0], S6[3], S6[4]], [S6[3], S6[1], S6[5]], [S6[4], S6[5], S6[2]]], float)
    try:
        Si = np.linalg.inv(S)
    except np.linalg.LinAlgError:
        raise ParameterError("Size", "a non-singular ellipsoidal size tensor", list(S6)) from None
    M = Si @ Si
    qMq = np.einsum("mi,ij,mj->m", q, M, q)
    L = 1.0 / np.sqrt(qMq)
    if not derivs:
        return L, None
    dL = np.zeros((len(H), 6))
    ij = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
    u = q @ Si                                   # qᵀ S⁻¹
    v = u @ Si                                   # qᵀ S⁻²
    for k, (i, j) in enumerate(ij):
        E = np.zeros((3, 3))
        E[i, j] = E[j, i] = 1.0
        # d(qᵀ S⁻¹ S⁻¹ q) = −qᵀ S⁻¹ E S⁻² q − qᵀ S⁻² E S⁻¹ q
        dq = -2.0 * np.einsum("mi,ij,mj->m", u, E, v)
        dL[:, k] = -0.5 * qMq ** -1.5 * dq
    return L, dL


def sample_sig_gam(hkl, A, Ks, Km, size: dict, mustrain: dict, laue: str = "-1",
                   derivs: bool = False):
    """Sample contributions (Ssig, Sgam) to the Gaussian variance and Lorentzian FWHM.

    size: {'type': 'isotropic'|'uniaxial'|'ellipsoidal', 'i': µm, 'a': µm, 'axis': [h,k,l],
    'S': 6 coefficients (ellipsoidal), 'mx': LG mix}; mustrain: {'type': 'isotropic'|'uniaxial'|
    'generalized', 'i', 'a', 'axis', 'S': coefficients in :func:`mustrain_names` order, 'mx'}.
    Units follow Ks and Km (CW: centideg², centideg; TOF: µs², µs).
    With ``derivs`` also returns a dict name -> (dsig, dgam) arrays (m,) or (m, k) for the
    coefficient lists; names 'Size;i', 'Size;a', 'Size;S', 'Size;mx', 'Mustrain;i',
    'Mustrain;a', 'Mustrain;S', 'Mustrain;mx'.
    """
    H = np.asarray(hkl, dtype=float).reshape(-1, 3)
    m = len(H)
    Ks = np.broadcast_to(np.asarray(Ks, dtype=float), (m,))
    Km = np.broadcast_to(np.asarray(Km, dtype=float), (m,))
    D = {}
    # ---- size: Sgam = Ks * inv_len
    st = size.get("type", "isotropic")
    if st == "isotropic":
        si = float(size.get("i", 1.0))
        # GSAS-II evaluates 1/size for any non-zero size: a negative trial value in a refinement
        # gives a negative size broadening (the total width is floored at 0.001 by the caller)
        if si == 0 or not np.isfinite(si):
            raise ParameterError("Size;i", "a non-zero crystallite size in µm", si)
        inv = np.full(m, 1.0 / si)
        dinv = {"Size;i": np.full(m, -1.0 / si ** 2)}
    elif st == "uniaxial":
        si, sa = float(size.get("i", 1.0)), float(size.get("a", 1.0))
        if si == 0 or sa == 0 or not np.isfinite(si * sa):
            raise ParameterError("Size", "non-zero sizes Size;i and Size;a in µm", (si, sa))
        c, s = axis_cos_sin(H, size.get("axis", (0, 0, 1)), A)
        r = np.sqrt((s * sa) ** 2 + (c * si) ** 2)
        inv = r / (si * sa)
        dinv = {"Size;i": (c * c * si / r) / (si * sa) - inv / si,
                "Size;a": (s * s * sa / r) / (si * sa) - inv / sa}
    elif st in ("ellipsoidal", "ellipsoid", "generalized"):
        S6 = np.asarray(size.get("S", [1, 1, 1, 0, 0, 0]), dtype=float)
        L, dL = _ellipsoid_length(H, A, S6, derivs)
        inv = 1.0 / L
        dinv = {"Size;S": -(dL / (L * L)[:, None]) if derivs else None}
    else:
        raise ParameterError("Size type", "'isotropic', 'uniaxial' or 'ellipsoidal'", st)
    Sgam = Ks * inv
    # ---- mustrain: Mgam = Km * mu
    mt = mustrain.get("type", "isotropic")
    if mt == "isotropic":
        mi = float(mustrain.get("i", 1000.0))
        mu = np.full(m, mi)
        dmu = {"Mustrain;i": np.ones(m)}
    elif mt == "uniaxial":
        mi, ma = float(mustrain.get("i", 1000.0)), float(mustrain.get("a", 1000.0))
        c, s = axis_cos_sin(H, mustrain.get("axis", (0, 0, 1)), A)
        r = np.sqrt((mi * c) ** 2 + (ma * s) ** 2)
        r = np.where(r > 0, r, 1e-300)
        mu = mi * ma / r
        dmu = {"Mustrain;i": ma / r - mi * ma * (mi * c * c) / r ** 3,
               "Mustrain;a": mi / r - mi * ma * (ma * s * s) / r ** 3}
    elif mt == "generalized":
        terms = mustrain_terms(H, laue)
        Sc = np.asarray(mustrain.get("S"), dtype=float).ravel()
        if Sc.size != terms.shape[1]:
            raise ParameterError("Mustrain", f"{terms.shape[1]} generalized coefficients "
                                 f"({', '.join(mustrain_names(laue))})", Sc.size)
        d2 = 1.0 / np.einsum("mi,ij,mj->m", H, A_to_Gstar(A), H)
        tot = np.maximum(terms @ Sc, 0.0)
        rt = np.sqrt(tot)
        mu = d2 * rt
        with np.errstate(divide="ignore", invalid="ignore"):
            dmu = {"Mustrain;S": np.where(rt[:, None] > 0, d2[:, None] * terms / (2 * rt[:, None]), 0.0)}
    else:
        raise ParameterError("Mustrain type", "'isotropic', 'uniaxial' or 'generalized'", mt)
    Mgam = Km * mu
    smx = float(size.get("mx", 1.0))
    mmx = float(mustrain.get("mx", 1.0))
    gam = Sgam * smx + Mgam * mmx
    sig = ((Sgam * (1 - smx)) ** 2 + (Mgam * (1 - mmx)) ** 2) / ATELN2
    if not derivs:
        return sig, gam
    # chain rules
    dS_s = 2 * Sgam * (1 - smx) ** 2 / ATELN2       # dsig/dSgam
    dS_m = 2 * Mgam * (1 - mmx) ** 2 / ATELN2
    for k, v in dinv.items():
        dSg = Ks[:, None] * v if v.ndim == 2 else Ks * v
        sh = (slice(None), None) if v.ndim == 2 else (slice(None),)
        D[k] = (dS_s[sh] * dSg, smx * dSg)
    for k, v in dmu.items():
        dMg = Km[:, None] * v if v.ndim == 2 else Km * v
        sh = (slice(None), None) if v.ndim == 2 else (slice(None),)
        D[k] = (dS_m[sh] * dMg, mmx * dMg)
    D["Size;mx"] = (-2 * Sgam ** 2 * (1 - smx) / ATELN2, Sgam)
    D["Mustrain;mx"] = (-2 * Mgam ** 2 * (1 - mmx) / ATELN2, Mgam)
    return sig, gam, D
