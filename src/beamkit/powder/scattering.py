"""Scattering factors from gemmi's tables.

* X-ray: the International Tables 4-Gaussian fit (gemmi ``it92``, the same 9 coefficients GSAS-II
  prints), ``f0(s) = Σ a_i exp(-b_i s²) + c`` with ``s = sinθ/λ = 1/(2d)`` in Å⁻¹, in electrons.
* Anomalous f′, f″ (electrons) from gemmi's Cromer–Liberman at the wavelength's energy.
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
           "neutron_lengths", "scattering_factors"]

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


def anomalous(types, wavelength: float):
    """f′ and f″ (electrons, arrays (n,)) of each atom type at ``wavelength`` (Å)."""
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
                       anomalous_terms: bool = True):
    """Per-reflection, per-type scattering factors for the structure factor.

    Returns (f (m, n) real part without f′, fp (n,), fpp (n,)).  ``radiation`` is 'xray'
    (f0 from the d-spacings, f′/f″ at ``wavelength`` when given) or 'neutron'
    (constant lengths, fp = fpp = 0).
    """
    d = np.asarray(d, dtype=float).ravel()
    if radiation.lower().startswith("n"):
        b = neutron_lengths(types)
        return np.broadcast_to(b, (d.size, b.size)).copy(), np.zeros(b.size), np.zeros(b.size)
    if not radiation.lower().startswith("x"):
        raise ParameterError("radiation", "'xray' or 'neutron'", radiation)
    f0 = xray_form_factors(types, d)
    if anomalous_terms and wavelength is not None:
        fp, fpp = anomalous(types, wavelength)
    else:
        n = f0.shape[1]
        fp, fpp = np.zeros(n), np.zeros(n)
    return f0, fp, fpp
