"""Crystal structures on gemmi: CIF phases, space-group operators, cell metric, reflections.

Pure functions returning plain numpy arrays.  Conventions follow GSAS-II:

* a cell is ``(a, b, c, alpha, beta, gamma)`` in Å and degrees;
* the reciprocal metric is written as ``A = (A0..A5)`` with
  ``1/d² = A0 h² + A1 k² + A2 l² + A3 hk + A4 hl + A5 kl`` (Å⁻²), i.e.
  A0 = a*², A1 = b*², A2 = c*², A3 = 2a*b*cosγ*, A4 = 2a*c*cosβ*, A5 = 2b*c*cosα*;
* Uij are ``(U11, U22, U33, U12, U13, U23)`` in Å².
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import gemmi
import numpy as np

from beamkit.errors import FormatError, ParameterError

__all__ = [
    "SpaceGroup", "CifPhase", "space_group", "read_cif", "cell_volume", "cell_to_A", "A_to_cell",
    "A_to_Gstar", "Gstar_to_A", "cell_metric", "rdsq", "rdsq_dA", "d_spacing",
    "site_multiplicity", "laue_operators", "generate_reflections", "hkl_multiplicity",
    "hstrain_terms", "dij_to_dA", "uij_constraints", "site_symmetry",
]


# ---------------------------------------------------------------- space groups

@dataclass(frozen=True)
class SpaceGroup:
    """A space group as plain arrays.

    rot (n, 3, 3) int and trans (n, 3) float are the *primitive* operators
    (x' = R x + t, inversion included when centrosymmetric); cen (m, 3) the
    centring vectors (first is 0); all_rot/all_trans the full list (n·m).
    """

    hm: str
    hall: str
    number: int
    laue: str
    system: str
    point_group: str
    centric: bool
    rot: np.ndarray
    trans: np.ndarray
    cen: np.ndarray
    all_rot: np.ndarray = field(repr=False)
    all_trans: np.ndarray = field(repr=False)
    gemmi_sg: object = field(repr=False, compare=False, default=None)

    @property
    def n_ops(self) -> int:
        """Number of operators in the full group (with centring)."""
        return len(self.all_rot)

    def is_absent(self, hkl) -> np.ndarray:
        """Systematic absences for integer hkl (n, 3) -> bool (n,)."""
        hkl = np.asarray(hkl, dtype=np.int64).reshape(-1, 3)
        phase = (hkl @ self.all_trans.T) % 1.0                     # (n, nops)
        h_rot = np.einsum("ni,oij->noj", hkl, self.all_rot)          # h·R for each op
        same = np.all(h_rot == hkl[:, None, :], axis=2)
        bad = same & (np.abs(phase - np.round(phase)) > 1e-6)
        return bad.any(axis=1)


def _from_gemmi(sg: "gemmi.SpaceGroup", ops: "gemmi.GroupOps | None" = None) -> SpaceGroup:
    if ops is None:
        ops = sg.operations()
    den = float(gemmi.Op.DEN)
    rot = np.array([op.rot for op in ops.sym_ops], dtype=np.int64) // int(den)
    trans = np.array([op.tran for op in ops.sym_ops], dtype=float) / den % 1.0
    cen = np.array(ops.cen_ops, dtype=float).reshape(-1, 3) / den % 1.0
    all_rot = np.repeat(rot[None], len(cen), axis=0).reshape(-1, 3, 3)
    all_trans = ((trans[None, :, :] + cen[:, None, :]) % 1.0).reshape(-1, 3)
    return SpaceGroup(
        hm=sg.xhm(), hall=sg.hall, number=int(sg.number), laue=sg.laue_str(),
        system=sg.crystal_system_str(), point_group=sg.point_group_hm(),
        centric=bool(ops.is_centrosymmetric()), rot=rot, trans=trans, cen=cen,
        all_rot=all_rot, all_trans=all_trans, gemmi_sg=sg)


def space_group(symbol) -> SpaceGroup:
    """Space group from an H-M symbol ('P n m a', 'Pnma', 'F d -3 m'), a Hall symbol, a number,
    or a list of operator triplets ('x,y,z', '-x,1/2+y,-z', ...).

    As in GSAS-II, a symbol without a qualifier means origin choice 2 (the centrosymmetric
    origin) where the group has two; write 'F d -3 m :1' for the other.
    """
    if isinstance(symbol, SpaceGroup):
        return symbol
    if isinstance(symbol, (list, tuple)):
        try:
            ops = gemmi.GroupOps([gemmi.Op(str(t)) for t in symbol])
        except Exception as exc:  # gemmi raises RuntimeError on bad triplets
            raise ParameterError("spacegroup", "symmetry operator triplets like 'x,-y,1/2+z'",
                                 symbol, str(exc)) from None
        sg = gemmi.find_spacegroup_by_ops(ops)
        if sg is None:
            raise ParameterError("spacegroup", "operators forming a space group", symbol,
                                 "operators do not form a tabulated space group")
        return _from_gemmi(sg, ops)
    sg = None
    try:
        if isinstance(symbol, (int, np.integer)):
            sg = gemmi.find_spacegroup_by_number(int(symbol))
            if sg is not None and sg.ext == "1":
                sg = gemmi.find_spacegroup_by_name(sg.hm + ":2") or sg
        else:
            text = str(symbol).strip()
            if ":" not in text:       # GSAS-II uses origin choice 2 where there are two
                sg = gemmi.find_spacegroup_by_name(text + ":2")
                if sg is not None and sg.ext != "2":
                    sg = None
            if sg is None:
                sg = gemmi.find_spacegroup_by_name(text)
            if sg is None and " " not in text:
                sg = gemmi.find_spacegroup_by_name(" ".join(text))
                if sg is not None and sg.ext == "1":
                    sg = gemmi.find_spacegroup_by_name(" ".join(text) + ":2") or sg
            if sg is None:
                try:
                    sg = gemmi.find_spacegroup_by_ops(gemmi.symops_from_hall(text))
                except Exception:
                    sg = None
    except Exception:
        sg = None
    if sg is None:
        raise ParameterError("spacegroup", "a space-group symbol (H-M or Hall) or number", symbol)
    return _from_gemmi(sg)


# ---------------------------------------------------------------- cell metric

def _cell_array(cell) -> np.ndarray:
    c = np.asarray(cell, dtype=float).ravel()
    if c.size < 6 or not np.all(np.isfinite(c[:6])) or np.any(c[:3] <= 0) \
            or np.any(c[3:6] <= 0) or np.any(c[3:6] >= 180):
        raise ParameterError("cell", "(a, b, c, alpha, beta, gamma) with lengths > 0 Å and angles in (0, 180)°",
                             cell)
    return c[:6]


def cell_metric(cell) -> np.ndarray:
    """Direct metric tensor G (3, 3) in Å² from a cell (Å, degrees)."""
    a, b, c, al, be, ga = _cell_array(cell)
    ca, cb, cg = np.cos(np.radians([al, be, ga]))
    return np.array([[a * a, a * b * cg, a * c * cb],
                     [a * b * cg, b * b, b * c * ca],
                     [a * c * cb, b * c * ca, c * c]])


def cell_volume(cell) -> float:
    """Unit-cell volume in Å³."""
    g = cell_metric(cell)
    det = np.linalg.det(g)
    if det <= 0:
        raise ParameterError("cell", "angles forming a valid cell", cell)
    return float(np.sqrt(det))


def Gstar_to_A(gstar) -> np.ndarray:
    """Reciprocal metric G* (3, 3) -> GSAS-II A0..A5 (Å⁻²)."""
    g = np.asarray(gstar, dtype=float)
    return np.array([g[0, 0], g[1, 1], g[2, 2], 2 * g[0, 1], 2 * g[0, 2], 2 * g[1, 2]])


def A_to_Gstar(A) -> np.ndarray:
    """GSAS-II A0..A5 (Å⁻²) -> reciprocal metric G* (3, 3)."""
    A = np.asarray(A, dtype=float)
    return np.array([[A[0], A[3] / 2, A[4] / 2],
                     [A[3] / 2, A[1], A[5] / 2],
                     [A[4] / 2, A[5] / 2, A[2]]])


def cell_to_A(cell) -> np.ndarray:
    """Cell (Å, degrees) -> A0..A5 (Å⁻²)."""
    A = Gstar_to_A(np.linalg.inv(cell_metric(cell)))
    A[np.abs(A) < 1e-14 * np.max(np.abs(A[:3]))] = 0.0     # exact zeros for right angles
    return A


def A_to_cell(A) -> np.ndarray:
    """A0..A5 (Å⁻²) -> cell (a, b, c in Å, alpha, beta, gamma in degrees)."""
    gs = A_to_Gstar(A)
    try:
        g = np.linalg.inv(gs)
    except np.linalg.LinAlgError:
        raise ParameterError("A", "a positive-definite reciprocal metric A0..A5", list(A)) from None
    if np.any(np.diag(g) <= 0):
        raise ParameterError("A", "a positive-definite reciprocal metric A0..A5", list(A))
    a, b, c = np.sqrt(np.diag(g))
    al = np.degrees(np.arccos(np.clip(g[1, 2] / (b * c), -1, 1)))
    be = np.degrees(np.arccos(np.clip(g[0, 2] / (a * c), -1, 1)))
    ga = np.degrees(np.arccos(np.clip(g[0, 1] / (a * b), -1, 1)))
    return np.array([a, b, c, al, be, ga])


def rdsq_dA(hkl) -> np.ndarray:
    """Derivatives of 1/d² wrt A0..A5: (n, 6) = [h², k², l², hk, hl, kl]."""
    h = np.asarray(hkl, dtype=float).reshape(-1, 3)
    return np.stack([h[:, 0] ** 2, h[:, 1] ** 2, h[:, 2] ** 2,
                     h[:, 0] * h[:, 1], h[:, 0] * h[:, 2], h[:, 1] * h[:, 2]], axis=1)


def rdsq(hkl, A) -> np.ndarray:
    """1/d² (Å⁻²) for reflections hkl (n, 3) and A0..A5."""
    return rdsq_dA(hkl) @ np.asarray(A, dtype=float)


def d_spacing(hkl, A) -> np.ndarray:
    """d-spacings (Å) for reflections hkl (n, 3) and A0..A5."""
    return 1.0 / np.sqrt(rdsq(hkl, A))


# ---------------------------------------------------------------- hydrostatic strain

_DIJ = {  # Laue-class families -> GSAS-II Dij names and their A-index maps
    "cubic": (("D11",), [[0, 1, 2]]),
    "hexagonal": (("D11", "D33"), [[0, 1, 3], [2]]),
    "trigonal": (("D11", "D33"), [[0, 1, 3], [2]]),
    "rhombohedral": (("D11", "D23"), [[0, 1, 2], [3, 4, 5]]),
    "tetragonal": (("D11", "D33"), [[0, 1], [2]]),
    "orthorhombic": (("D11", "D22", "D33"), [[0], [1], [2]]),
    "monoclinic": (("D11", "D22", "D33", "D13"), [[0], [1], [2], [4]]),
    "triclinic": (("D11", "D22", "D33", "D12", "D13", "D23"), [[0], [1], [2], [3], [4], [5]]),
}


def hstrain_terms(sg) -> tuple:
    """Names of the hydrostatic-strain terms Dij GSAS-II uses for this space group."""
    return _DIJ[_dij_family(space_group(sg))][0]


def _dij_family(sg: SpaceGroup) -> str:
    fam = sg.system
    if fam == "trigonal" and sg.hall.strip().startswith("R") is False and sg.hm.strip().endswith(":R"):
        return "rhombohedral"
    return fam


def dij_to_dA(sg, dij) -> np.ndarray:
    """Increment of A0..A5 (Å⁻²) from the Dij values (ordered as :func:`hstrain_terms`).

    Hexagonal/trigonal D11 adds to A0, A1 and A3 (A3 = A0 for a hexagonal metric);
    monoclinic (b unique) D13 adds to A4.
    """
    names, idx = _DIJ[_dij_family(space_group(sg))]
    dij = np.asarray(dij, dtype=float).ravel()
    if dij.size != len(names):
        raise ParameterError("HStrain", f"{len(names)} values ({', '.join(names)})", dij.tolist())
    dA = np.zeros(6)
    for v, ix in zip(dij, idx):
        dA[ix] += v
    return dA


# ---------------------------------------------------------------- sites

def stabilisers(xyz, sg, tol: float = 1e-4):
    """(space group, sites (n, 3), mask (n, nops)): which operators map each fractional site onto
    itself modulo a lattice translation (within ``tol``)."""
    sg = space_group(sg)
    x = np.asarray(xyz, dtype=float).reshape(-1, 3)
    images = np.einsum("oij,nj->noi", sg.all_rot, x) + sg.all_trans[None]   # (n, nops, 3)
    diff = images - x[:, None, :]
    diff -= np.round(diff)
    return sg, x, np.all(np.abs(diff) < tol, axis=2)


def site_multiplicity(xyz, sg, tol: float = 1e-4) -> np.ndarray:
    """Multiplicity (number of equivalent positions in the cell) of fractional sites xyz (n, 3)."""
    sg, _, stab = stabilisers(xyz, sg, tol)
    return (sg.n_ops // np.maximum(stab.sum(axis=1), 1)).astype(int)


# point groups from the numbers of their elements of each type (2, 3, 4, 6, -1, m, -3, -4, -6)
_PG_BY_COUNTS = {
    (0, 0, 0, 0, 0, 0, 0, 0, 0): "1", (0, 0, 0, 0, 1, 0, 0, 0, 0): "-1",
    (1, 0, 0, 0, 0, 0, 0, 0, 0): "2", (0, 0, 0, 0, 0, 1, 0, 0, 0): "m",
    (1, 0, 0, 0, 1, 1, 0, 0, 0): "2/m", (3, 0, 0, 0, 0, 0, 0, 0, 0): "222",
    (1, 0, 0, 0, 0, 2, 0, 0, 0): "mm2", (3, 0, 0, 0, 1, 3, 0, 0, 0): "mmm",
    (1, 0, 2, 0, 0, 0, 0, 0, 0): "4", (1, 0, 0, 0, 0, 0, 0, 2, 0): "-4",
    (1, 0, 2, 0, 1, 1, 0, 2, 0): "4/m", (5, 0, 2, 0, 0, 0, 0, 0, 0): "422",
    (1, 0, 2, 0, 0, 4, 0, 0, 0): "4mm", (3, 0, 0, 0, 0, 2, 0, 2, 0): "-42m",
    (5, 0, 2, 0, 1, 5, 0, 2, 0): "4/mmm", (0, 2, 0, 0, 0, 0, 0, 0, 0): "3",
    (0, 2, 0, 0, 1, 0, 2, 0, 0): "-3", (3, 2, 0, 0, 0, 0, 0, 0, 0): "32",
    (0, 2, 0, 0, 0, 3, 0, 0, 0): "3m", (3, 2, 0, 0, 1, 3, 2, 0, 0): "-3m",
    (1, 2, 0, 2, 0, 0, 0, 0, 0): "6", (0, 2, 0, 0, 0, 1, 0, 0, 2): "-6",
    (1, 2, 0, 2, 1, 1, 2, 0, 2): "6/m", (7, 2, 0, 2, 0, 0, 0, 0, 0): "622",
    (1, 2, 0, 2, 0, 6, 0, 0, 0): "6mm", (3, 2, 0, 0, 0, 4, 0, 0, 2): "-6m2",
    (7, 2, 0, 2, 1, 7, 2, 0, 2): "6/mmm", (3, 8, 0, 0, 0, 0, 0, 0, 0): "23",
    (3, 8, 0, 0, 1, 3, 8, 0, 0): "m-3", (9, 8, 6, 0, 0, 0, 0, 0, 0): "432",
    (3, 8, 0, 0, 0, 6, 0, 6, 0): "-43m", (9, 8, 6, 0, 1, 9, 8, 6, 0): "m-3m",
}
_ROT_TYPE = {(1, -1): 0, (1, 0): 1, (1, 1): 2, (1, 2): 3, (-1, -3): 4, (-1, 1): 5, (-1, 0): 6,
             (-1, -1): 7, (-1, -2): 8}      # (det, trace) -> index in the count tuple


def site_symmetry(xyz, sg, tol: float = 1e-4):
    """Site multiplicity and site point-group symbol (e.g. 'm', '-3m', '-43m') of each site.

    The point group of the stabiliser is identified from the numbers of its rotations of each
    type (det and trace of the integer matrices); orientation is not encoded in the symbol.
    Returns (mult (n,) int, symbols list).
    """
    sg, x, stab = stabilisers(xyz, sg, tol)
    det = np.round(np.linalg.det(sg.all_rot)).astype(int)
    tr = np.trace(sg.all_rot, axis1=1, axis2=2).astype(int)
    kind = np.array([_ROT_TYPE.get((d, t), -1) for d, t in zip(det, tr)])  # identity -> -1
    flat = sg.all_rot.reshape(len(sg.all_rot), 9)
    symbols = []
    for n in range(len(x)):       # loop over the atoms of a phase, not over reflections
        rows = np.unique(flat[stab[n]], axis=0, return_index=True)[1]
        idx = np.nonzero(stab[n])[0][rows]
        counts = np.bincount(kind[idx][kind[idx] >= 0], minlength=9)
        symbols.append(_PG_BY_COUNTS.get(tuple(int(c) for c in counts), f"order {len(idx)}"))
    mult = (sg.n_ops // np.maximum(stab.sum(axis=1), 1)).astype(int)
    return mult, symbols


def uij_constraints(xyz, sg, tol: float = 1e-4) -> np.ndarray:
    """Projector P (n, 6, 6) onto the Uij allowed by each site's symmetry (U = P @ U)."""
    sg, x, stab = stabilisers(xyz, sg, tol)
    # the action of R on the symmetric tensor, as a 6x6 matrix on (11,22,33,12,13,23)
    ij = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
    basis = np.zeros((6, 3, 3))
    for k, (i, j) in enumerate(ij):
        basis[k, i, j] = basis[k, j, i] = 1.0
    R = sg.all_rot.astype(float)
    act = np.einsum("oai,kij,obj->okab", R, basis, R)                       # R U R^T
    M = np.stack([act[..., i, j] for i, j in ij], axis=-1)                   # (ops, 6 basis, 6 comps)
    M = np.transpose(M, (0, 2, 1))
    out = np.empty((len(x), 6, 6))
    for n in range(len(x)):   # loop over atoms of a CIF (a handful), not over reflections
        P = np.mean(M[stab[n]], axis=0)
        out[n] = P
    return out


# ---------------------------------------------------------------- reflections

def laue_operators(sg) -> np.ndarray:
    """Distinct rotation matrices (k, 3, 3) of the Laue group (point group plus inversion)."""
    sg = space_group(sg)
    rots = np.concatenate([sg.rot, -sg.rot])
    return np.unique(rots.reshape(len(rots), 9), axis=0).reshape(-1, 3, 3)


def hkl_multiplicity(hkl, sg) -> np.ndarray:
    """Powder multiplicity: the number of distinct hkl equivalent under the Laue group."""
    H = np.asarray(hkl, dtype=np.int64).reshape(-1, 3)
    L = laue_operators(sg)
    eq = np.einsum("ni,oij->noj", H, L)                                      # h·R (n, k, 3)
    off = 1 << 10
    code = ((eq[..., 0] + off) << 22) + ((eq[..., 1] + off) << 11) + (eq[..., 2] + off)
    code.sort(axis=1)
    return 1 + np.count_nonzero(np.diff(code, axis=1), axis=1)


def generate_reflections(A, sg, dmin: float, dmax: float = np.inf) -> dict:
    """Unique powder reflections with dmin <= d <= dmax (Å), sorted by decreasing d.

    Returns dict(hkl (n, 3) int, d (n,) Å, mult (n,) int); systematically absent
    reflections are removed.  One representative per Laue-equivalent set (gemmi's
    reciprocal asymmetric unit; for mmm that is h, k, l >= 0).
    """
    sg = space_group(sg)
    A = np.asarray(A, dtype=float)
    if not np.isfinite(dmin) or dmin <= 0:
        raise ParameterError("dmin", "a positive d-spacing in Å", dmin)
    cell = A_to_cell(A)
    uc = gemmi.UnitCell(*cell)
    hkl = np.asarray(gemmi.make_miller_array(uc, sg.gemmi_sg, dmin * (1 - 1e-9), 0, True),
                     dtype=np.int64).reshape(-1, 3)
    hkl = hkl[np.any(hkl != 0, axis=1)]
    if len(hkl):
        hkl = hkl[~sg.is_absent(hkl)]
    # gemmi's asu may differ from GSAS-II's by sign conventions: pick the representative
    # with the most positive leading components among Laue equivalents
    hkl = _gsas_representative(hkl, sg)
    d = d_spacing(hkl, A)
    keep = (d >= dmin) & (d <= dmax)
    hkl, d = hkl[keep], d[keep]
    order = np.lexsort((-hkl[:, 2], -hkl[:, 1], -hkl[:, 0], -np.round(d, 9)))
    hkl, d = hkl[order], d[order]
    return {"hkl": hkl, "d": d, "mult": hkl_multiplicity(hkl, sg)}


def _gsas_representative(hkl: np.ndarray, sg: SpaceGroup) -> np.ndarray:
    """Choose, among Laue equivalents, the one maximising (h, k, l) lexicographically."""
    if len(hkl) == 0:
        return hkl
    L = laue_operators(sg)
    eq = np.einsum("ni,oij->noj", hkl, L)
    off = 1 << 10
    code = ((eq[..., 0] + off) << 22) + ((eq[..., 1] + off) << 11) + (eq[..., 2] + off)
    best = np.argmax(code, axis=1)
    return eq[np.arange(len(hkl)), best]


# ---------------------------------------------------------------- CIF

@dataclass
class CifPhase:
    """A phase read from a CIF: cell (Å, °), space group and atoms as arrays.

    uaniso rows are (U11, U22, U33, U12, U13, U23) in Å² (zeros where isotropic);
    adp is 'I' or 'A' per atom; mult is the site multiplicity in the cell.
    """

    name: str
    cell: np.ndarray
    spacegroup: SpaceGroup
    labels: list
    types: list
    elements: list
    xyz: np.ndarray
    occ: np.ndarray
    uiso: np.ndarray
    uaniso: np.ndarray
    adp: list
    mult: np.ndarray
    path: str = ""

    @property
    def A(self) -> np.ndarray:
        """Reciprocal metric terms A0..A5 (Å⁻²)."""
        return cell_to_A(self.cell)

    @property
    def volume(self) -> float:
        """Cell volume (Å³)."""
        return cell_volume(self.cell)


def read_cif(path, block=None) -> CifPhase:
    """Read one phase from a CIF file (the first block with a cell and atoms, or ``block``)."""
    path = Path(path)
    if not path.is_file():
        raise FormatError("file not found", path=path, expected="a CIF file")
    try:
        doc = gemmi.cif.read(str(path))
    except Exception as exc:  # gemmi reports "path:line error"
        msg = str(exc)
        line = None
        import re
        m = re.search(r":(\d+)", msg)
        if m:
            line = int(m.group(1))
        raise FormatError(f"CIF syntax error ({msg})", path=path, line=line,
                          expected="a valid CIF") from None
    blocks = [b for b in doc if b.find_value("_cell_length_a") is not None]
    if block is not None:
        blocks = [b for b in doc if b.name == block]
    if not blocks:
        raise FormatError("no data block with a unit cell", path=path,
                          expected="_cell_length_a ... in a data_ block")
    b = blocks[0]
    try:
        st = gemmi.make_small_structure_from_block(b)
    except Exception as exc:
        raise FormatError(f"cannot read the structure ({exc})", path=path,
                          expected="cell, symmetry and _atom_site loop") from None
    cell = np.array([st.cell.a, st.cell.b, st.cell.c, st.cell.alpha, st.cell.beta, st.cell.gamma])
    if not np.all(cell > 0) or st.cell.a == 1.0 and b.find_value("_cell_length_a") is None:
        raise FormatError("bad unit cell", path=path, expected="positive cell lengths and angles")
    sg = None
    if st.symops:
        try:
            sg = space_group(list(st.symops))
        except ParameterError:
            sg = None
    if sg is None:
        for name in (st.spacegroup_hall, st.spacegroup_hm):
            if name:
                try:
                    sg = space_group(name if name != st.spacegroup_hall else name)
                    break
                except ParameterError:
                    continue
    if sg is None and st.spacegroup_number:
        sg = space_group(int(st.spacegroup_number))
    if sg is None:
        raise FormatError("no usable space group", path=path,
                          expected="_symmetry_space_group_name_H-M, _space_group_name_Hall or symops")
    if len(st.sites) == 0:
        raise FormatError("no atoms", path=path, expected="an _atom_site_ loop with fract_x/y/z")
    labels = [s.label for s in st.sites]
    types = [s.type_symbol or s.element.name for s in st.sites]
    elements = [s.element.name for s in st.sites]
    if any(e == "X" for e in elements):
        bad = labels[elements.index("X")]
        raise FormatError(f"atom {bad!r} has no known element", path=path,
                          expected="_atom_site_type_symbol naming an element")
    xyz = np.array([[s.fract.x, s.fract.y, s.fract.z] for s in st.sites])
    occ = np.array([s.occ for s in st.sites], dtype=float)
    uiso = np.array([s.u_iso for s in st.sites], dtype=float)
    uan = np.zeros((len(labels), 6))
    adp = []
    for i, s in enumerate(st.sites):
        if s.aniso.nonzero():
            a = s.aniso
            uan[i] = [a.u11, a.u22, a.u33, a.u12, a.u13, a.u23]
            uiso[i] = (a.u11 + a.u22 + a.u33) / 3.0
            adp.append("A")
        else:
            adp.append("I")
    if not np.all(np.isfinite(xyz)):
        raise FormatError("non-numeric atom coordinates", path=path, expected="fractional x, y, z numbers")
    name = b.find_value("_pd_phase_name") or st.name or path.stem
    name = gemmi.cif.as_string(name) if name else path.stem
    return CifPhase(name=name, cell=cell, spacegroup=sg, labels=labels, types=types,
                    elements=elements, xyz=xyz, occ=occ, uiso=uiso, uaniso=uan, adp=adp,
                    mult=site_multiplicity(xyz, sg), path=str(path))
