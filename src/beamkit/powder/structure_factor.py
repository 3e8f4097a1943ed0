"""Structure factors for powder reflections, vectorised over reflections × atoms × operators.

``Fc² = |Σ_j Σ_ops (f_j + f′_j)·w_j·T·e^{2πi h·(R x_j + t)}|² + |Σ_j Σ_ops f″_j·w_j·T·e^{...}|²``

(the Friedel average, as powder data see it), with ``w_j = frac_j · mult_j / N_ops``, isotropic
``T = exp(−8π² U s²)`` (``s = 1/(2d)``, Å⁻¹; exponents ≥ 1 give T = 1, the GSAS-II floor) or
anisotropic ``T = exp(−2π² Σ_ab (hR)_a (hR)_b a*_a a*_b U_ab)``.  Units: scattering factors in
electrons (X-ray) or 10⁻¹² cm (neutron), so Fc² is in their square; U in Å².
"""
from __future__ import annotations

import numpy as np

from beamkit.errors import ParameterError
from beamkit.powder.crystal import SpaceGroup, space_group

__all__ = ["structure_factors"]

_IJ = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))


def _as_atoms(n, name, arr, shape):
    a = np.asarray(arr, dtype=float)
    if a.shape != shape:
        raise ParameterError(name, f"an array of shape {shape}", a.shape)
    if not np.all(np.isfinite(a)):
        raise ParameterError(name, "finite numbers", "NaN/inf")
    return a


_BLOCK_ELEMENTS = 2_000_000      # reflections × atoms × operators per block (bounds memory)


def structure_factors(hkl, A, sg, xyz, frac, mult, uiso, f, fp=None, fpp=None, uaniso=None,
                      aniso=None, derivs: bool = False) -> dict:
    """Fc² (and the phase angle of F, degrees) for reflections hkl (m, 3).

    Large problems are evaluated in blocks of reflections so that the reflections × atoms ×
    operators arrays stay below a few million elements.

    A: reciprocal metric A0..A5 (Å⁻²); sg: space group (symbol or :class:`SpaceGroup`);
    xyz (n, 3) fractional; frac (n,) occupancy; mult (n,) site multiplicity; uiso (n,) Å²;
    f (m, n) scattering factor of each atom at each reflection; fp, fpp (n,) anomalous terms;
    uaniso (n, 6) U11, U22, U33, U12, U13, U23 (Å²) used where ``aniso`` (n,) is True.

    Returns dict(Fc2 (m,), phase (m,) degrees, A, B: real and imaginary parts of the non-anomalous
    F) and, with ``derivs``, 'derivs': dFc2 wrt 'x' (m, n, 3), 'frac' (m, n), 'Uiso' (m, n) and
    'Uij' (m, n, 6).
    """
    sg = sg if isinstance(sg, SpaceGroup) else space_group(sg)
    H = np.asarray(hkl, dtype=float).reshape(-1, 3)
    m, n = len(H), len(np.asarray(xyz).reshape(-1, 3))
    f = np.asarray(f, dtype=float)
    step = max(1, _BLOCK_ELEMENTS // max(1, n * sg.n_ops))
    if m <= step:
        return _sf_block(H, A, sg, xyz, frac, mult, uiso, f, fp, fpp, uaniso, aniso, derivs)
    parts = [_sf_block(H[i:i + step], A, sg, xyz, frac, mult, uiso, f[i:i + step], fp, fpp, uaniso,
                       aniso, derivs) for i in range(0, m, step)]     # blocks of reflections
    out = {k: np.concatenate([p[k] for p in parts]) for k in ("Fc2", "phase", "A", "B")}
    if derivs:
        out["derivs"] = {k: np.concatenate([p["derivs"][k] for p in parts])
                         for k in parts[0]["derivs"]}
    return out


def _sf_block(hkl, A, sg, xyz, frac, mult, uiso, f, fp, fpp, uaniso, aniso, derivs):
    """One block of reflections of :func:`structure_factors`."""
    H = np.asarray(hkl, dtype=float).reshape(-1, 3)
    m = len(H)
    xyz = np.asarray(xyz, dtype=float).reshape(-1, 3)
    n = len(xyz)
    frac = _as_atoms(n, "frac", frac, (n,))
    mult = _as_atoms(n, "mult", mult, (n,))
    uiso = _as_atoms(n, "Uiso", uiso, (n,))
    f = _as_atoms(n, "f", f, (m, n))
    fp = np.zeros(n) if fp is None else _as_atoms(n, "fp", fp, (n,))
    fpp = np.zeros(n) if fpp is None else _as_atoms(n, "fpp", fpp, (n,))
    aniso = np.zeros(n, bool) if aniso is None else np.asarray(aniso, bool).reshape(n)
    uan = np.zeros((n, 6)) if uaniso is None else _as_atoms(n, "Uij", uaniso, (n, 6))
    A = np.asarray(A, dtype=float)
    astar = np.sqrt(A[:3])

    R = sg.all_rot.astype(float)                          # (o, 3, 3)
    T_ = sg.all_trans                                     # (o, 3)
    nops = len(R)
    hR = np.einsum("mi,oij->moj", H, R)                   # (m, o, 3): h·R
    ht = H @ T_.T                                         # (m, o)
    phase = 2 * np.pi * (np.einsum("moj,nj->mno", hR, xyz) + ht[:, None, :])   # (m, n, o)
    cosp, sinp = np.cos(phase), np.sin(phase)

    s2 = 0.25 * (H[:, 0] ** 2 * A[0] + H[:, 1] ** 2 * A[1] + H[:, 2] ** 2 * A[2]
                 + H[:, 0] * H[:, 1] * A[3] + H[:, 0] * H[:, 2] * A[4] + H[:, 1] * H[:, 2] * A[5])
    targ = -8 * np.pi ** 2 * uiso[None, :] * s2[:, None]  # (m, n)
    Tiso = np.where(targ < 1.0, np.exp(np.minimum(targ, 1.0)), 1.0)
    T = np.broadcast_to(Tiso[:, :, None], (m, n, nops)).copy()
    if aniso.any():
        ia = np.nonzero(aniso)[0]
        # hRa* products for the 6 tensor components, factor 2 for off-diagonals
        q = hR * astar[None, None, :]                     # (m, o, 3)
        comp = np.stack([q[..., a] * q[..., b] * (1.0 if a == b else 2.0) for a, b in _IJ], axis=-1)
        targ_a = -2 * np.pi ** 2 * np.einsum("mok,nk->mno", comp, uan[ia])
        T[:, ia, :] = np.exp(np.minimum(targ_a, 50.0))
    w = (frac * mult / nops)[None, :, None]
    wT = w * T                                            # (m, n, o)
    fr = (f + fp[None, :])[:, :, None]
    fi = fpp[None, :, None]
    c_ = wT * cosp
    s_ = wT * sinp
    Ar = (fr * c_).sum(axis=(1, 2))
    Br = (fr * s_).sum(axis=(1, 2))
    Ai = (fi * c_).sum(axis=(1, 2))
    Bi = (fi * s_).sum(axis=(1, 2))
    Fc2 = Ar ** 2 + Br ** 2 + Ai ** 2 + Bi ** 2
    ph = np.degrees(np.arctan2(Br, Ar))
    ph = np.where(ph <= -180.0 + 1e-9, ph + 360.0, ph)            # (-180, 180]
    out = {"Fc2": Fc2, "phase": ph, "A": Ar, "B": Br}
    if not derivs:
        return out
    # per-atom sums over operators
    C = c_.sum(axis=2)                                    # Σ_o wT cos   (m, n)
    S = s_.sum(axis=2)
    fr2 = f + fp[None, :]
    # G = 2(Ar·fr + Ai·fi) multiplies dC, 2(Br·fr + Bi·fi) multiplies dS
    gc = 2 * (Ar[:, None] * fr2 + Ai[:, None] * fpp[None, :])
    gs = 2 * (Br[:, None] * fr2 + Bi[:, None] * fpp[None, :])
    d = {}
    # occupancy: C, S are linear in frac
    Cf = (T * (mult / nops)[None, :, None] * cosp).sum(axis=2)
    Sf = (T * (mult / nops)[None, :, None] * sinp).sum(axis=2)
    d["frac"] = gc * Cf + gs * Sf
    # positions: dφ/dx_k = 2π (hR)_k
    dC = -2 * np.pi * np.einsum("mno,mok->mnk", s_, hR)
    dS = 2 * np.pi * np.einsum("mno,mok->mnk", c_, hR)
    d["x"] = gc[..., None] * dC + gs[..., None] * dS
    # Uiso (isotropic atoms only; floor region has zero derivative)
    dT_iso = np.where(targ < 1.0, -8 * np.pi ** 2 * s2[:, None], 0.0)
    d["Uiso"] = np.where(aniso[None, :], 0.0, (gc * C + gs * S) * dT_iso)
    # Uij (anisotropic atoms)
    dU = np.zeros((m, n, 6))
    if aniso.any():
        q = hR * astar[None, None, :]
        comp = np.stack([q[..., a] * q[..., b] * (1.0 if a == b else 2.0) for a, b in _IJ], axis=-1)
        gcs = gc[:, ia, None] * c_[:, ia, :] + gs[:, ia, None] * s_[:, ia, :]    # (m, na, o)
        dU[:, ia, :] = -2 * np.pi ** 2 * np.einsum("mno,mok->mnk", gcs, comp)
    d["Uij"] = dU
    out["derivs"] = d
    return out
