"""Scattering factors from gemmi's tables.

* X-ray: the International Tables 4-Gaussian fit (gemmi ``it92``, the same 9 coefficients GSAS-II
  prints), ``f0(s) = Σ a_i exp(-b_i s²) + c`` with ``s = sinθ/λ = 1/(2d)`` in Å⁻¹, in electrons.
* Anomalous f′, f″ (electrons) from gemmi's Cromer–Liberman at the wavelength's energy, with
  GSAS-II's relativistic correction of f′ by default (:func:`anomalous`).
* Neutron: coherent scattering lengths in units of 10⁻¹² cm (= 10 fm), the unit GSAS-II uses:
  Sears 1992 (gemmi ``neutron92``) overridden by GSAS-II's own values where they differ
  (:data:`GSAS_NEUTRON_LENGTHS`), so that Fc² values compare directly.
"""
from __future__ import annotations

import re

import gemmi
import numpy as np

from beamkit.errors import ParameterError

__all__ = ["HC_KEV_A", "element_symbol", "ion_charge", "xray_coefficients", "xray_form_factors", "anomalous",
           "neutron_lengths", "scattering_factors", "FPRIME_CORRECTIONS"]

HC_KEV_A = 12.398419843320026   # h·c in keV·Å: E(keV) = HC_KEV_A / λ(Å)

_SYM = re.compile(r"^\s*([A-Za-z][a-z]?)")


def element_symbol(type_symbol: str) -> str:
    """Element of a GSAS-II/CIF atom type ('Pb+2' -> 'Pb', 'O-2' -> 'O', 'D' -> 'D')."""
    m = _SYM.match(str(type_symbol))
    if not m:
        raise ParameterError("atom type", "an element symbol such as 'Pb' or 'O-2'", type_symbol)
    sym = m.group(1)
    sym = sym[0].upper() + sym[1:].lower()
    el = gemmi.Element(sym)
    if el.name == "X" and len(sym) == 2:     # e.g. 'Oa' -> 'O'
        sym = sym[0]
        el = gemmi.Element(sym)
    if el.name == "X":
        raise ParameterError("atom type", "an element symbol such as 'Pb' or 'O-2'", type_symbol)
    return "D" if sym == "D" else el.name


def _elements(types):
    if isinstance(types, str):
        types = [types]
    return [element_symbol(t) for t in types]


_ION = re.compile(r"^\s*([A-Za-z][a-z]?)(\d*)([+-])(\d*)\s*$")


def ion_charge(type_symbol: str) -> int:
    """Charge of a GSAS-II/CIF atom type: 'Cu+2' -> 2, 'O-2' and 'O2-' -> -2, 'Na+' -> 1, 'Pb' -> 0."""
    m = _ION.match(str(type_symbol))
    if not m:
        return 0
    n = m.group(2) or m.group(4) or "1"
    return int(n) * (1 if m.group(3) == "+" else -1)


def _it92(type_symbol: str):
    """IT92 coefficients of an atom type: the ion's where tabulated (e.g. Cu2+, O2-), else the atom's."""
    el = gemmi.Element("H" if element_symbol(type_symbol) == "D" else element_symbol(type_symbol))
    q = ion_charge(type_symbol)
    if q:
        keep = gemmi.IT92_get_ignore_charge()
        try:
            gemmi.IT92_set_ignore_charge(False)
            coef = gemmi.IT92_get_exact(el, q)
        finally:
            gemmi.IT92_set_ignore_charge(keep)
        if coef is not None:
            return coef
    return el.it92


def xray_coefficients(types):
    """(a (n, 4), b (n, 4) Å², c (n,)) of the 4-Gaussian X-ray form factor of each atom type.

    Ionic types ('Cu+2', 'O-2') use the ionic coefficients where the table has them, as GSAS-II.
    """
    if isinstance(types, str):
        types = [types]
    coefs = [_it92(t) for t in types]
    a = np.array([c.a for c in coefs], dtype=float).reshape(-1, 4)
    b = np.array([c.b for c in coefs], dtype=float).reshape(-1, 4)
    c = np.array([c.c for c in coefs], dtype=float)
    return a, b, c


def xray_form_factors(types, d) -> np.ndarray:
    """f0 (electrons) for reflections of d-spacing ``d`` (Å, shape (m,)) -> (m, n_types)."""
    a, b, c = xray_coefficients(types)
    s2 = 0.25 / np.asarray(d, dtype=float).reshape(-1, 1) ** 2           # (sinθ/λ)²
    return np.einsum("tk,mtk->mt", a, np.exp(-b[None] * s2[..., None])) + c[None]


# Relativistic corrections to f′ (electrons), Z = 1 … 92, index Z − 1.
# gemmi's Cromer–Liberman adds "kpcor − relcor" (Kissel & Pratt 1990 minus the original
# relativistic term); the numbers are gemmi's table (src/fprime.cpp, calculate_correction).
_KP_MINUS_REL = np.array([
    0, 0, 0, -0.001, -0.001, -0.002, -0.003, -0.004, -0.005, -0.007, -0.008,
    -0.01, -0.013, -0.015, -0.018, -0.021, -0.024, -0.027, -0.031, -0.035,
    -0.04, -0.044, -0.049, -0.054, -0.06, -0.065, -0.071, -0.078, -0.085,
    -0.092, -0.099, -0.107, -0.115, -0.123, -0.132, -0.141, -0.15, -0.16,
    -0.17, -0.181, -0.191, -0.203, -0.214, -0.226, -0.238, -0.251, -0.264,
    -0.277, -0.291, -0.305, -0.32, -0.335, -0.35, -0.366, -0.382, -0.398,
    -0.415, -0.432, -0.45, -0.468, -0.4879, -0.5062, -0.5252, -0.545, -0.565,
    -0.586, -0.607, -0.629, -0.651, -0.674, -0.697, -0.721, -0.745, -0.77,
    -0.795, -0.821, -0.847, -0.874, -0.901, -0.929, -0.957, -0.986, -1.015,
    -1.045, -1.076, -1.107, -1.139, -1.171, -1.204, -1.238, -1.272, -1.306])
# GSAS-II's FPcalc instead subtracts Cromer & Liberman's own energy term ("ElEterm": the last
# number of each element's last orbital record in GSAS-II's Xsect.dat), Z = 3 … 92.
_GSAS_ELETERM = np.array([
    0.0004, 0.0006, 0.0012, 0.0018, 0.0030, 0.0042, 0.0054, 0.0066, 0.0084, 0.0110,   # Li-Mg
    0.0125, 0.0158, 0.0180, 0.0210, 0.0250, 0.0285, 0.0320, 0.0362, 0.0410, 0.0460,   # Al-Ti
    0.0510, 0.0560, 0.0616, 0.0680, 0.0740, 0.0815, 0.0878, 0.0960, 0.104, 0.114,     # V-Ge
    0.120, 0.132, 0.141, 0.150, 0.159, 0.171, 0.180, 0.192, 0.204, 0.216,             # As-Mo
    0.228, 0.246, 0.258, 0.270, 0.285, 0.300, 0.318, 0.330, 0.348, 0.363,             # Tc-Te
    0.384, 0.396, 0.414, 0.438, 0.456, 0.474, 0.492, 0.516, 0.534, 0.558,             # I-Sm
    0.582, 0.610, 0.624, 0.648, 0.672, 0.696, 0.723, 0.750, 0.780, 0.804,             # Eu-Hf
    0.834, 0.864, 0.900, 0.919, 0.948, 0.984, 1.014, 1.046, 1.080, 1.116,             # Ta-Pb
    1.149, 1.189, 1.224, 1.260, 1.296, 1.332, 1.374, 1.416, 1.458, 1.470])            # Bi-U
FPRIME_CORRECTIONS = ("gsas", "kissel-pratt")


def anomalous(types, wavelength: float, correction: str = "gsas"):
    """f′ and f″ (electrons, arrays (n,)) of each atom type at ``wavelength`` (Å).

    Cromer–Liberman orbital sums from gemmi.  ``correction`` picks the relativistic term of f′:
    'gsas' (default) as GSAS-II's FPcalc, i.e. gemmi's value without its Kissel–Pratt term and
    minus Cromer–Liberman's energy term (Pb at 1.5405 Å: −4.078, as GSAS-II lists); or
    'kissel-pratt', gemmi's value unchanged (Pb −3.948).  f″ is the same for both.
    """
    if correction not in FPRIME_CORRECTIONS:
        raise ParameterError("f' correction", "'gsas' or 'kissel-pratt'", correction)
    lam = float(wavelength)
    if not np.isfinite(lam) or lam <= 0:
        raise ParameterError("wavelength", "a positive wavelength in Å", wavelength)
    energy_ev = 1000.0 * HC_KEV_A / lam
    fp, fpp = [], []
    for e in _elements(types):   # one call per atom type (a handful per phase)
        z = gemmi.Element("H" if e == "D" else e).atomic_number
        if z < 3:
            fp.append(0.0)
            fpp.append(0.0)
            continue
        p, pp = gemmi.cromer_liberman(z=z, energy=energy_ev)
        if correction == "gsas" and z <= 92:
            p = p - _KP_MINUS_REL[z - 1] - _GSAS_ELETERM[z - 3]
        fp.append(p)
        fpp.append(pp)
    return np.array(fp), np.array(fpp)


# GSAS-II takes its neutron lengths from its own table (``GSASII/atmdata.py``, ``AtmBlens``, key
# '<El>_' for the natural element: Rauch & Waschkowski, Neutron Data Booklet 2003, with a few
# later values, e.g. Snow et al. 2020 for H, C, O, Sn, Pb, Bi).  It agrees with Sears (1992, gemmi)
# for most elements; the natural-element values where it differs by more than 5e-6 (10⁻¹² cm) are
# below, so that GSAS-II's Fc² are reproduced (PbSO4: Pb 0.94024 and O 0.58037 bring every neutron
# Fc² of the reference CSVs within their 3-decimal rounding; Sears' 0.9405/0.5803 gave 1.9e-3).
# Po…Cf: GSAS-II's placeholder 0.8 (gemmi has none); Pu: its ²⁴²Pu entry.  Elements GSAS-II treats
# with wavelength-dependent resonant lengths (Rh, Cd, Sm, Eu, Gd, Er, Yb) are not reproduced here:
# they use Sears' thermal values.
GSAS_NEUTRON_LENGTHS = {
    "H": -0.37395, "D": 0.6681, "C": 0.66472, "O": 0.58037, "Ne": 0.46, "Si": 0.41507,
    "Cl": 0.9579, "Sc": 1.21, "Ti": -0.3370, "V": -0.0443, "Mn": -0.375, "Br": 0.679,
    "Rb": 0.708, "Ru": 0.702, "Sn": 0.6239, "Te": 0.568, "Xe": 0.469, "Tb": 0.734,
    "Ho": 0.844, "Hf": 0.777, "W": 0.4755, "Au": 0.790, "Hg": 1.266, "Pb": 0.94024,
    "Bi": 0.85242, "Po": 0.8, "At": 0.8, "Rn": 0.8, "Fr": 0.8, "Ac": 0.8, "Pu": 0.81,
    "Bk": 0.8, "Cf": 0.8,
}


def neutron_lengths(types, table: str = "gsas") -> np.ndarray:
    """Coherent neutron scattering lengths (10⁻¹² cm) of each atom type.

    table: 'gsas' (GSAS-II's values: Sears 1992 via gemmi with :data:`GSAS_NEUTRON_LENGTHS`
    applied) or 'sears' (gemmi only).
    """
    if table not in ("gsas", "sears"):
        raise ParameterError("table", "'gsas' or 'sears'", table)
    out = []
    for e in _elements(types):
        if table == "gsas" and e in GSAS_NEUTRON_LENGTHS:
            out.append(GSAS_NEUTRON_LENGTHS[e])
            continue
        coefs = gemmi.Element(e).neutron92.get_coefs()
        out.append(coefs[0] / 10.0)
    return np.array(out, dtype=float)


def scattering_factors(types, d, radiation: str = "xray", wavelength: float | None = None,
                       anomalous_terms: bool = True, fprime: str = "gsas"):
    """Per-reflection, per-type scattering factors for the structure factor.

    Returns (f (m, n) real part without f′, fp (n,), fpp (n,)).  ``radiation`` is 'xray'
    (f0 from the d-spacings, f′/f″ at ``wavelength`` when given; ``fprime`` is the
    relativistic correction of :func:`anomalous`) or 'neutron' (constant lengths, fp = fpp = 0).
    """
    d = np.asarray(d, dtype=float).ravel()
    if radiation.lower().startswith("n"):
        b = neutron_lengths(types)
        return np.broadcast_to(b, (d.size, b.size)).copy(), np.zeros(b.size), np.zeros(b.size)
    if not radiation.lower().startswith("x"):
        raise ParameterError("radiation", "'xray' or 'neutron'", radiation)
    f0 = xray_form_factors(types, d)
    if anomalous_terms and wavelength is not None:
        fp, fpp = anomalous(types, wavelength, correction=fprime)
    else:
        n = f0.shape[1]
        fp, fpp = np.zeros(n), np.zeros(n)
    return f0, fp, fpp
