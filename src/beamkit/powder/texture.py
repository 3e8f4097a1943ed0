"""Spherical-harmonic preferred orientation (GSAS-II's 'SH' Pref.Ori., cylindrical sample symmetry).

The intensity of reflection h is multiplied by

    A(h) = 1 + Σ_{L,N} C(L,N) · 4π/(2L+1) · K_L^N(φ, β) · k_L(ψ)

with L = 2, 4, … up to the harmonic order, N the crystal-symmetric indices allowed by the Laue
class (:func:`sh_coeff_names`), (φ, β) the polar/azimuthal angles of h in the crystal frame
(:func:`crystal_angles`, degrees) and ψ the angle of the diffraction vector to the sample's
cylinder axis (:func:`sample_angles`, degrees).  The pieces follow GSAS-II's definitions:

* ``P̄(l, m, ψ)`` (:func:`plm_psi`): the normalised associated Legendre function written as a
  Fourier series Σ_s A'(l,m,s)·cos(sψ) (even m) or sin(sψ) (odd m) with
  A'(l,m,s) = ±c_s·√((2l+1)/2)·Q(l,m,s)·Q(l,0,s), c_0 = 1, c_s = 2, Q the Wigner d-function at
  90° (:func:`wigner_q`); the sign rules are GSAS-II's (m ≡ 2 mod 4 or m ≡ 1 mod 4 negated).
  ∫₀^π P̄² sinψ dψ = 1.
* sample part k_L(ψ) = P̄(L, 0, ψ)/√(2π);
* crystal part K_L^N = P̄(L, N, φ)/√(2π)·(√2 if N ≠ 0)·B_N(β) with B_N = cos Nβ for the
  mmm, 4/mmm, 6/mmm, 3m1, 31m classes (sin Nβ for N ≡ 3 mod 6 in 3m1/31m) and cos Nβ + sin Nβ
  otherwise (GSAS-II also sends '3mR' there: its class list spells it 'R3mR');
  cubic classes use fixed combinations Σ_j b_j P̄(L, 4j, φ) cos 4jβ (no 1/√(2π)), :data:`CUBIC_B`.

Everything is vectorised over reflections; GSAS-II loops over them in Python.
"""
from __future__ import annotations

import re
from math import lgamma

import numpy as np

from beamkit.errors import ParameterError

__all__ = ["wigner_q", "plm_psi", "laue_class", "sh_coeff_names", "crystal_angles", "sample_angles",
           "sh_po_angles", "sh_po_correction", "CUBIC_B"]

_RSQ2PI = 1.0 / np.sqrt(2.0 * np.pi)
_SQ2 = np.sqrt(2.0)

# Cubic symmetrised harmonics: for each even L the coefficients b_j (j = 0, 1, … of P̄(L, 4j))
# of the N-th invariant function, as GSAS-II tabulates them (its BOH table, orders up to 12 here).
CUBIC_B = {
    4: [[0.30469720, 0.36418281]],
    6: [[-0.14104740, 0.52775103]],
    8: [[0.28646862, 0.21545346, 0.32826995]],
    10: [[-0.16413497, 0.33078546, 0.39371345]],
    12: [[0.26141975, 0.27266871, 0.03277460, 0.32589402],
         [0.09298802, -0.23773812, 0.49446631, 0.0]],
}

LAUE_CLASSES = ("-1", "2/m", "mmm", "4/m", "4/mmm", "3R", "3mR", "3", "3m1", "31m", "6/m", "6/mmm",
                "m3", "m3m")


def _lnfact(n: int) -> float:
    return lgamma(n + 1.0)


def wigner_q(l: int, m: int, n: int) -> float:
    """Q(l, m, n): the Wigner d-function d^l_{mn}(π/2) with GSAS-II's sign conventions (exact, float64)."""
    M, N = abs(m), abs(n)
    if N > M:
        M, N = N, M
    base = 0.5 * (_lnfact(l + N) + _lnfact(l + M) + _lnfact(l - M) + _lnfact(l - N))
    s = 0.0
    for i in range(0, l - N + 1):
        if l - M - i >= 0 and M + N + i >= 0:
            t = np.exp(base - _lnfact(i) - _lnfact(l - M - i) - _lnfact(l - N - i) - _lnfact(M + N + i))
            s += -t if i % 2 else t
    q = s / 2.0 ** l
    if (l - M - N) % 2:
        q = -q
    if m < 0 and (l + n) % 2:
        q = -q
    if n < 0 and (l + m) % 2:
        q = -q
    return q


def _aplms(l: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Fourier orders s and coefficients A'(l, m, s) of P̄(l, m, ψ)."""
    even = abs(m) % 2 == 0
    s = np.arange(0 if even else 2, l + 1, 2)
    norm = np.sqrt((2.0 * l + 1.0) / 2.0)
    a = np.array([wigner_q(l, m, int(k)) * wigner_q(l, 0, int(k)) for k in s]) * norm
    a = np.where(s == 0, a, 2.0 * a)
    if (even and abs(m) % 4 == 2) or (not even and abs(m) % 4 == 1):
        a = -a
    a = np.where(np.abs(a) < 1e-6, 0.0, a)      # GSAS-II drops terms below 1e-6
    return s, a


def plm_psi(l: int, m: int, psi, derivs: bool = False):
    """Normalised associated Legendre function P̄(l, m, ψ), even l, ψ in degrees (GSAS-II's PLMPSI).

    Returns P (same shape as psi) or, with ``derivs``, (P, dP/dψ with ψ in radians).
    """
    if l < 0 or l % 2 or abs(m) > l:       # the even-s Fourier form holds for even l only
        raise ParameterError("l, m", "even l >= 0 and |m| <= l", (l, m))
    psi = np.asarray(psi, dtype=float)
    s, a = _aplms(int(l), int(m))
    arg = np.radians(psi)[..., None] * s
    if abs(m) % 2 == 0:
        P = (a * np.cos(arg)).sum(-1)
        dP = -(s * a * np.sin(arg)).sum(-1)
    else:
        P = (a * np.sin(arg)).sum(-1)
        dP = (s * a * np.cos(arg)).sum(-1)
    return (P, dP) if derivs else P


def laue_class(sg) -> tuple[str, str]:
    """GSAS-II's Laue symbol and unique axis ('a'/'b'/'c', only meaningful for 2/m) of a
    :class:`beamkit.powder.crystal.SpaceGroup`."""
    laue = sg.laue.replace(" ", "")
    hm = sg.hm.replace(" ", "")
    rhomb = hm.endswith(":R")
    uniq = "c"
    if laue == "2/m":
        rot = np.asarray(sg.rot)
        for r in rot:
            if round(np.linalg.det(r)) == 1 and round(np.trace(r)) == -1:      # the 2-fold axis
                w, v = np.linalg.eig(r.astype(float))
                axis = np.real(v[:, np.argmin(np.abs(w - 1))])
                uniq = "abc"[int(np.argmax(np.abs(axis)))]
                break
    table = {"-1": "-1", "2/m": "2/m", "mmm": "mmm", "4/m": "4/m", "4/mmm": "4/mmm",
             "6/m": "6/m", "6/mmm": "6/mmm", "m-3": "m3", "m-3m": "m3m"}
    if laue in table:
        return table[laue], uniq
    if laue == "-3":
        return ("3R" if rhomb else "3"), uniq
    if laue == "-3m":
        if rhomb:
            return "3mR", uniq
        core = re.sub(r"[:].*$", "", hm)
        return ("31m" if re.match(r"^[PR]-?31[mc]$", core) else "3m1"), uniq
    raise ParameterError("space group", "a known Laue class", sg.laue)


def _odf_allowed(laue: str, L: int, N: int) -> bool:
    if L % 2 or abs(N) > L:
        return False
    if laue == "0":
        return N == 0
    if laue == "-1":
        return True
    if laue == "2/m":
        return N % 2 == 0
    if laue == "mmm":
        return N % 2 == 0 and N >= 0
    if laue == "4/m":
        return N % 4 == 0
    if laue == "4/mmm":
        return N % 4 == 0 and N >= 0
    if laue in ("3R", "3"):
        return N % 3 == 0
    if laue in ("3mR", "3m1", "31m"):
        return N % 3 == 0 and N >= 0
    if laue == "6/m":
        return N % 6 == 0
    if laue == "6/mmm":
        return N % 6 == 0 and N >= 0
    if laue in ("m3", "m3m"):
        return N > 0 and N <= (L // 12 if L % 12 == 2 else L // 12 + 1)
    raise ParameterError("Laue class", "one of " + ", ".join(LAUE_CLASSES), laue)


def sh_coeff_names(laue: str, order: int) -> list[str]:
    """Names 'C(L,N)' of the SH preferred-orientation coefficients up to ``order`` (cylindrical
    sample symmetry), in GSAS-II's order: L = 2, 4, …; N from −L to L."""
    out = []
    for L in range(2, int(order) + 1, 2):
        for N in range(-L, L + 1):
            if _odf_allowed(laue, L, N):
                out.append(f"C({L},{N})")
    return out


def _parse_name(name: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*C\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*", str(name))
    if not m:
        raise ParameterError("SH coefficient", "a name like 'C(2,0)'", name)
    return int(m.group(1)), int(m.group(2))


def crystal_angles(hkl, cell, laue: str, uniq: str = "c"):
    """(φ, β) in degrees of reflections hkl (n, 3): φ the angle of h to the crystal's texture axis
    (c*; b* or a* for 2/m with that unique axis) and β its azimuth, as GSAS-II's CrsAng defines
    them (including its use of c* for rhombohedral cells)."""
    H = np.atleast_2d(np.asarray(hkl, dtype=float))
    a, b, c, al, be, ga = [float(v) for v in cell]
    from beamkit.powder.crystal import cell_metric       # direct metric g; G = g⁻¹
    G = np.linalg.inv(cell_metric(cell))
    ax = np.array([0.0, 0.0, 1.0])
    if laue == "2/m":
        ax = {"a": np.array([1.0, 0, 0]), "b": np.array([0, 1.0, 0])}.get(uniq, ax)
    DH = np.einsum("ni,ij,nj->n", H, G, H)
    DR = ax @ G @ ax
    DHR = (H @ G @ ax) / np.sqrt(DR * DH)
    phi = np.where(DHR <= 1.0, np.degrees(np.arccos(np.clip(DHR, -1.0, 1.0))), 0.0)
    h, k, l_ = H.T
    cosd, sind = (lambda x: np.cos(np.radians(x))), (lambda x: np.sin(np.radians(x)))
    if laue == "-1" or (laue == "2/m" and uniq == "c"):
        BA, BB = k * a / (b - h * cosd(ga)), h * sind(ga) ** 2
    elif laue == "2/m" and uniq == "a":
        BA, BB = l_ * b / (c - k * cosd(al)), k * sind(al) ** 2
    elif laue == "2/m":
        BA, BB = h * c / (a - l_ * cosd(be)), l_ * sind(be) ** 2
    elif laue in ("mmm", "4/m", "4/mmm"):
        BA, BB = k * a, h * b
    elif laue in ("3R", "3mR"):
        BA, BB = h + k - 2.0 * l_, np.sqrt(3.0) * (h - k)
    elif laue in ("m3", "m3m"):
        BA, BB = k, h
    else:
        BA, BB = h + 2.0 * k, np.sqrt(3.0) * h
    return phi, np.degrees(np.arctan2(BA, BB))


def sample_angles(theta, omega=0.0, chi=0.0, phi=0.0, azimuth=0.0, zeros=(0.0, 0.0, 0.0),
                  coupled: bool = False):
    """(ψ, γ) in degrees of the diffraction vector in the sample frame (GSAS-II's SamAng).

    theta: Bragg angle θ (deg, array); omega, chi, phi, azimuth: goniometer angles (deg);
    zeros: sample orientation zeros (ω₀, χ₀, φ₀); coupled: ω follows θ (Bragg–Brentano scan).
    """
    c = lambda x: np.cos(np.radians(x))
    s = lambda x: np.sin(np.radians(x))
    theta = np.asarray(theta, dtype=float)
    om = omega + theta if coupled else omega + 0.0 * theta
    AT = -s(theta) * c(om) + c(theta) * c(azimuth) * s(om)
    BT = s(theta) * s(om) + c(theta) * c(azimuth) * c(om)
    CT = -c(theta) * s(azimuth) * s(chi)
    DT = -c(theta) * s(azimuth) * c(chi)
    ph = phi + zeros[2]
    BC1 = -AT * s(ph) + (CT + BT * c(chi)) * c(ph)
    BC2 = DT - BT * s(chi)
    BC3 = AT * c(ph) + (CT + BT * c(chi)) * s(ph)
    so, co, sx, cx = s(zeros[0]), c(zeros[0]), s(zeros[1]), c(zeros[1])
    BC = BC1 * co * cx + BC2 * co * sx - BC3 * so
    psi = np.degrees(np.arccos(np.clip(BC, -1.0, 1.0)))
    BA = -BC1 * sx + BC2 * cx
    BB = BC1 * so * cx + BC2 * so * sx + BC3 * co
    return psi, np.degrees(np.arctan2(BB, BA))


def sh_po_angles(theta, inst_type: str = "Debye-Scherrer", azimuth: float = 0.0):
    """ψ (deg) for SH preferred orientation: GSAS-II uses χ = 90° with ω coupled to θ for
    Bragg–Brentano samples and all goniometer angles zero otherwise (TOF: θ of the bank)."""
    if "Bragg" in str(inst_type):
        return sample_angles(theta, chi=90.0, azimuth=azimuth, coupled=True)[0]
    return sample_angles(theta, azimuth=azimuth)[0]


def _kcl(L: int, N: int, laue: str, phi, beta):
    c = lambda x: np.cos(np.radians(x))
    s = lambda x: np.sin(np.radians(x))
    if laue in ("m3", "m3m"):
        if L not in CUBIC_B or N < 1 or N > len(CUBIC_B[L]):
            raise ParameterError("SH order", "<= 12 for cubic Laue classes", L)
        row = CUBIC_B[L][N - 1]
        return sum(row[j // 4] * plm_psi(L, j, phi) * c(j * beta) for j in range(0, L + 1, 4))
    p = plm_psi(L, N, phi) * _RSQ2PI * (_SQ2 if N else 1.0)
    if laue in ("mmm", "4/mmm", "6/mmm", "3m1", "31m"):
        if laue in ("3m1", "31m") and N % 6 == 3:
            return p * s(N * beta)
        return p * c(N * beta)
    return p * (c(N * beta) + s(N * beta))


def sh_po_correction(hkl, cell, sg, theta, coeffs: dict, inst_type: str = "Debye-Scherrer",
                     azimuth: float = 0.0, derivs: bool = False):
    """SH preferred-orientation factor A(h) per reflection (GSAS-II SHPOcal / SHPOcalDerv).

    hkl (n, 3); cell (a, b, c, α, β, γ) in Å/deg; sg a SpaceGroup (or a GSAS-II Laue symbol);
    theta the Bragg angle θ in degrees per reflection (CW) or the bank's θ (TOF, scalar);
    coeffs {'C(L,N)': value}.  With ``derivs`` returns (A, {name: dA/dC}) (A is linear in C).
    """
    if isinstance(sg, str):
        laue, uniq = sg, "c"
    else:
        laue, uniq = laue_class(sg)
    hkl = np.atleast_2d(np.asarray(hkl, dtype=float))
    phi, beta = crystal_angles(hkl, cell, laue, uniq)
    psi = np.broadcast_to(sh_po_angles(theta, inst_type, azimuth), phi.shape)
    out = np.ones(len(hkl))
    dA = {}
    ksl = {}
    for name, val in coeffs.items():
        L, N = _parse_name(name)
        if not _odf_allowed(laue, L, N):
            raise ParameterError(f"Pref.Ori. {name}", f"a coefficient allowed in Laue class {laue}", name)
        if L not in ksl:
            ksl[L] = plm_psi(L, 0, psi) * _RSQ2PI
        term = 4.0 * np.pi / (2 * L + 1) * _kcl(L, N, laue, phi, beta) * ksl[L]
        out = out + float(val) * term
        dA[name] = term
    return (out, dA) if derivs else out
