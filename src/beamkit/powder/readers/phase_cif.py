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


def read_phase_cif(path, phasename=None) -> dict:
    """Read a phase from a CIF (via :func:`beamkit.powder.crystal.read_cif`) -> GSAS-II phase dict."""
    from ..crystal import read_cif
    ph = read_cif(path)
    sg = ph.spacegroup.gemmi_sg
    _, labels = site_symmetry(ph.xyz, sg)
    atoms = []
    for i, lab in enumerate(ph.labels):
        uij = list(ph.uaniso[i]) if ph.adp[i] == "A" else None
        uiso = float(ph.uiso[i]) if ph.uiso[i] > 0 else 0.01
        atoms.append(model.atom_row(lab, gsas_atom_type(ph.types[i]), *ph.xyz[i], frac=float(ph.occ[i]),
                                    site=labels[i], mult=int(ph.mult[i]), uiso=uiso, uij=uij))
    sgd = model.sgdata_from_symbol(sg.xhm())   # the CIF's exact setting (kept in 'SGGemmi')
    return model.new_phase_dict((phasename or ph.name).strip(), tuple(float(v) for v in ph.cell), sgd, atoms)
