"""A crystal phase from a CIF (via gemmi) as a GSAS-II phase dict.

Site multiplicities and site-symmetry orders are computed from the space-group
operators (vectorised over atoms × operators).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...errors import FormatError
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
    """(multiplicity, site-symmetry label) per atom for fractional coordinates ``xyz`` (n, 3)."""
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
        n = len(stab) // max(int(np.sum([np.allclose(r, np.eye(3)) for r in stab])), 1)
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
    """Read the first structure block of a CIF -> GSAS-II phase dict (cell, SGData, atoms)."""
    import gemmi
    p = Path(path)
    if not p.is_file():
        raise FormatError("file not found", path=p, expected="a CIF file")
    try:
        doc = gemmi.cif.read(str(p))
    except (RuntimeError, ValueError) as e:
        m = re.search(r"line (\d+)", str(e))
        raise FormatError(f"CIF syntax error: {e}", path=p, line=int(m.group(1)) if m else None,
                          expected="a valid CIF") from None
    block = next((b for b in doc if b.find_value("_cell_length_a")), None)
    if block is None:
        raise FormatError("no block with a unit cell", path=p, expected="_cell_length_a … in a data_ block")
    st = gemmi.make_small_structure_from_block(block)
    cell = st.cell
    if cell.a <= 0 or cell.b <= 0 or cell.c <= 0:
        raise FormatError("bad cell", path=p, expected="positive cell lengths", got=(cell.a, cell.b, cell.c))
    sg = None
    hm = st.spacegroup_hm or block.find_value("_space_group_name_H-M_alt") or ""
    if hm:
        sg = gemmi.find_spacegroup_by_name(gemmi.cif.as_string(hm) if hm.startswith(("'", '"')) else hm)
    if sg is None:
        ops = list(block.find_loop("_space_group_symop_operation_xyz")) or \
            list(block.find_loop("_symmetry_equiv_pos_as_xyz"))
        if ops:
            try:
                sg = gemmi.find_spacegroup_by_ops(gemmi.GroupOps([gemmi.Op(gemmi.cif.as_string(o)) for o in ops]))
            except (RuntimeError, ValueError):
                sg = None
    if sg is None:
        raise FormatError("space group not recognised", path=p, expected="a standard H-M symbol or operators",
                          got=hm)
    if not st.sites:
        raise FormatError("no atoms", path=p, expected="an _atom_site_ loop")
    xyz = np.array([[s.fract.x, s.fract.y, s.fract.z] for s in st.sites])
    mult, labels = site_symmetry(xyz, sg)
    atoms = []
    for s, m, lab, x in zip(st.sites, mult, labels, xyz):
        aniso = s.aniso.nonzero()
        uij = [s.aniso.u11, s.aniso.u22, s.aniso.u33, s.aniso.u12, s.aniso.u13, s.aniso.u23] if aniso else None
        uiso = s.u_iso if s.u_iso > 0 else (0.01 if not aniso else (uij[0] + uij[1] + uij[2]) / 3)
        atype = gsas_atom_type(s.type_symbol or s.element.name)
        atoms.append(model.atom_row(s.label, atype, *x, frac=s.occ, site=lab, mult=int(m), uiso=uiso, uij=uij))
    name = phasename or block.find_value("_pd_phase_name") or block.name
    name = gemmi.cif.as_string(name) if name else p.stem
    sgd = model.sgdata_from_symbol(sg.xhm())   # exact setting of the CIF (kept in 'SGGemmi')
    return model.new_phase_dict(name.strip(), (cell.a, cell.b, cell.c, cell.alpha, cell.beta, cell.gamma),
                                sgd, atoms)
