"""A crystal phase from a CIF (read by the physics module's gemmi reader) as a GSAS-II phase dict.

Adds GSAS-II atom types ('Cu2+' -> 'Cu+2') and site-symmetry labels computed
from the space-group operators (vectorised over atoms × operators).
"""
from __future__ import annotations

import re

import numpy as np

from .. import model

__all__ = ["read_phase_cif", "gsas_atom_type", "site_symmetry"]


def gsas_atom_type(symbol: str) -> str:
    """CIF type symbol -> GSAS-II atom type ('Cu2+' -> 'Cu+2', 'O2-' -> 'O-2', 'Pb' -> 'Pb')."""
    m = re.fullmatch(r"([A-Za-z]{1,2})(\d*)([+-]?)", symbol.strip())
    if not m:
        return symbol.strip()
    el, n, sign = m.groups()
    el = el.capitalize()
    if sign:
        return f"{el}{sign}{n or 1}"
    return el


def _ops(sg):
    ops = list(sg.operations())  # includes centring
    rot = np.array([o.rot for o in ops], float) / 24.0
    tr = np.array([o.tran for o in ops], float) / 24.0
    return rot, tr


def site_symmetry(xyz, sg, tol: float = 1e-3):
    """(multiplicity, site-symmetry label) per atom for fractional coordinates ``xyz`` (n, 3).

    The label is '1', '-1', '2' or 'm' for stabilizers of order ≤ 2, else the stabilizer order.
    """
    rot, tr = _ops(sg)
    xyz = np.atleast_2d(np.asarray(xyz, float))
    img = np.einsum("oij,aj->aoi", rot, xyz) + tr[None]           # atoms × ops × 3
    d = img - xyz[:, None, :]
    d -= np.round(d)
    same = np.all(np.abs(d) < tol, axis=2)                          # atoms × ops
    order = same.sum(1)
    mult = (len(rot) // np.maximum(order, 1)).astype(int)
    labels = []
    for a in range(len(xyz)):
        stab = rot[same[a]]
        n = int(order[a])
        if n == 1:
            labels.append("1")
        elif n == 2:
            r = next(r for r in stab if not np.allclose(r, np.eye(3)))
            det, trc = np.linalg.det(r), np.trace(r)
            labels.append("-1" if np.isclose(trc, -3) else ("m" if det < 0 else "2"))
        else:
            labels.append(str(n))
    return mult, labels


def _has_uiso_column(path) -> bool:
    """True when the CIF's atom loop gives U_iso or B_iso (else GSAS-II's default 0.01 Å² is used)."""
    import gemmi
    try:
        doc = gemmi.cif.read(str(path))
    except Exception:          # read_cif has already reported malformed files
        return True
    for b in doc:
        for tag in ("_atom_site_U_iso_or_equiv", "_atom_site_B_iso_or_equiv"):
            vals = list(b.find_values(tag))
            if vals and any(v not in ("?", ".") for v in vals):
                return True
    return False


def read_phase_cif(path, phasename=None) -> dict:
    """Read a phase from a CIF (via :func:`beamkit.powder.crystal.read_cif`) -> GSAS-II phase dict."""
    from ..crystal import read_cif
    ph = read_cif(path)
    sg = ph.spacegroup.gemmi_sg
    _, labels = site_symmetry(ph.xyz, sg)
    has_u = _has_uiso_column(path)
    atoms = []
    for i, lab in enumerate(ph.labels):
        uij = list(ph.uaniso[i]) if ph.adp[i] == "A" else None
        # GSAS-II keeps the file's Uiso as given (0 or negative included); 0.01 only if absent
        uiso = float(ph.uiso[i]) if has_u and np.isfinite(ph.uiso[i]) else 0.01
        atoms.append(model.atom_row(lab, gsas_atom_type(ph.types[i]), *ph.xyz[i], frac=float(ph.occ[i]),
                                    site=labels[i], mult=int(ph.mult[i]), uiso=uiso, uij=uij))
    sgd = model.sgdata_from_symbol(sg.xhm())   # the CIF's exact setting (kept in 'SGGemmi')
    return model.new_phase_dict((phasename or ph.name).strip(), tuple(float(v) for v in ph.cell), sgd, atoms)
