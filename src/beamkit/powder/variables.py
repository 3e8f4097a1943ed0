"""GSAS-II refinement variables ``p:h:name`` over the project's dict layouts.

A :class:`Var` ties one name (``0::A0``, ``:0:Scale``, ``0:0:Mustrain;i``,
``0::dAx:3``, ``:0:Back;2`` …) to the number it reads and writes inside the
histogram, phase and HAP dicts, and to its refine flag.  :func:`collect`
walks a project and returns every variable (refined or not) in GSAS-II's order.

Units are those of the dicts: cell A terms in Å⁻², positions in fractions,
U in Å², U/V/W centideg², X/Y/Z centideg, Shift/Displace in µm, size µm, strain 10⁻⁶.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import ParameterError

__all__ = ["Var", "VarSet", "split_name", "join_name", "cell_to_A", "A_to_cell", "cell_with_esd",
           "cell_A_vary", "dij_names", "free_xyz", "collect"]

_NAME_RE = re.compile(r"^(\d*):(\d*|\*):([^:]+)(?::(\d+))?$")


def split_name(name: str) -> tuple:
    """'0:1:Scale' -> ('0', '1', 'Scale', None); '0::dAx:3' -> ('0', '', 'dAx', '3')."""
    m = _NAME_RE.match(str(name).strip())
    if not m:
        raise ParameterError("variable", "a GSAS-II name 'p:h:name[:atom]' such as '0::A0' or ':0:Scale'", name)
    return m.group(1), m.group(2), m.group(3), m.group(4)


def join_name(p="", h="", name="", atom=None) -> str:
    """Inverse of :func:`split_name`."""
    s = f"{'' if p is None else p}:{'' if h is None else h}:{name}"
    return s if atom is None else f"{s}:{atom}"


# ---------------------------------------------------------------- cell metric
def cell_to_A(cell) -> np.ndarray:
    """Reciprocal metric terms A0..A5 (Å⁻²) from a, b, c (Å), α, β, γ (°)."""
    a, b, c, al, be, ga = (float(v) for v in cell[:6])
    ca, cb, cg = np.cos(np.radians([al, be, ga]))
    G = np.array([[a * a, a * b * cg, a * c * cb], [a * b * cg, b * b, b * c * ca],
                  [a * c * cb, b * c * ca, c * c]])
    g = np.linalg.inv(G)
    return np.array([g[0, 0], g[1, 1], g[2, 2], 2 * g[0, 1], 2 * g[0, 2], 2 * g[1, 2]])


def A_to_cell(A) -> np.ndarray:
    """a, b, c (Å), α, β, γ (°), V (Å³) from A0..A5."""
    A = np.asarray(A, float)
    g = np.array([[A[0], A[3] / 2, A[4] / 2], [A[3] / 2, A[1], A[5] / 2], [A[4] / 2, A[5] / 2, A[2]]])
    G = np.linalg.inv(g)
    a, b, c = np.sqrt(np.diag(G))
    al = np.degrees(np.arccos(G[1, 2] / (b * c)))
    be = np.degrees(np.arccos(G[0, 2] / (a * c)))
    ga = np.degrees(np.arccos(G[0, 1] / (a * b)))
    return np.array([a, b, c, al, be, ga, np.sqrt(np.linalg.det(G))])


def cell_A_vary(laue: str, uniq: str = "b") -> tuple[list, dict]:
    """Independent A terms for a Laue class and the equalities of the others.

    Returns (independent indices, {dependent index: source index}).
    """
    laue = str(laue)
    if laue in ("m3", "m-3", "m3m", "m-3m"):
        return [0], {1: 0, 2: 0}
    if laue in ("4/m", "4/mmm"):
        return [0, 2], {1: 0}
    if laue in ("6/m", "6/mmm", "3m1", "31m", "3", "-3", "-3m", "-3m1", "-31m"):
        return [0, 2], {1: 0, 3: 0}
    if laue in ("3R", "3mR"):
        return [0, 3], {1: 0, 2: 0, 4: 3, 5: 3}
    if laue == "mmm":
        return [0, 1, 2], {}
    if laue == "2/m":
        return [0, 1, 2, {"a": 5, "b": 4, "c": 3}.get(uniq, 4)], {}
    return [0, 1, 2, 3, 4, 5], {}


def dij_names(system: str, uniq: str = "b") -> list[str]:
    """Names of the hydrostatic-strain terms GSAS-II uses for a crystal system."""
    if system == "cubic":
        return ["D11"]
    if system in ("tetragonal", "hexagonal", "trigonal"):
        return ["D11", "D33"]
    if system == "rhombohedral":
        return ["D11", "D23"]
    if system == "orthorhombic":
        return ["D11", "D22", "D33"]
    if system == "monoclinic":
        return ["D11", "D22", "D33", {"a": "D23", "b": "D13", "c": "D12"}.get(uniq, "D13")]
    return ["D11", "D22", "D33", "D12", "D13", "D23"]


def sg_operators(sgdata: dict):
    """(rotations (n,3,3), translations (n,3)) of all operators incl. centring."""
    rots, trans = [], []
    cens = sgdata.get("SGCen")
    if cens is None or len(cens) == 0:
        cens = [[0.0, 0.0, 0.0]]
    for m, t in sgdata.get("SGOps", []):
        for c in cens:
            rots.append(np.asarray(m, float))
            trans.append(np.asarray(t, float) + np.asarray(c, float))
    if not rots:
        return np.eye(3)[None], np.zeros((1, 3))
    return np.array(rots), np.array(trans)


def free_xyz(sgdata: dict, xyz) -> tuple[list[int], np.ndarray]:
    """Free coordinate indices of a site and the matrix mapping them to (dx, dy, dz).

    Uses the stabiliser of the site: shifts d allowed are those with R·d = d for
    every operator that maps the site onto itself (mod 1).
    """
    R, T = sg_operators(sgdata)
    x = np.asarray(xyz, float)
    y = np.einsum("nij,j->ni", R, x) + T
    diff = y - x
    diff -= np.round(diff)
    stab = np.all(np.abs(diff) < 1e-4, axis=1)
    P = R[stab].mean(axis=0)          # projector onto the invariant subspace
    # reduced row-echelon form of Pᵀ picks independent coordinates in x, y, z order
    M = P.T.copy()
    piv = []
    r = 0
    for cidx in range(3):
        rows = np.arange(r, 3)
        if rows.size == 0:
            break
        k = rows[np.argmax(np.abs(M[rows, cidx]))]
        if abs(M[k, cidx]) < 1e-8:
            continue
        M[[r, k]] = M[[k, r]]
        M[r] /= M[r, cidx]
        for i in range(3):
            if i != r:
                M[i] -= M[i, cidx] * M[r]
        piv.append(cidx)
        r += 1
    # d = B @ free with B from P's columns at the pivots, normalised so B[piv] = I
    B = P[:, piv] if piv else np.zeros((3, 0))
    if piv:
        B = B @ np.linalg.inv(B[piv, :])
    return piv, B


# ---------------------------------------------------------------- variables
@dataclass
class Var:
    """One refinable number: name, getter/setter on the dicts, refine flag getter."""

    name: str
    get: Callable[[], float]
    set: Callable[[float], None]
    refined: Callable[[], bool]
    kind: str = ""               # 'hist' | 'phase' | 'hap' | 'inst' | 'sample' | 'back' | 'atom' | 'cell'
    linked: list = field(default_factory=list)   # (setter, coefficient) of dependent values
    batch: tuple | None = None   # (group key, index, setter of {index: value}) for values set together

    @property
    def value(self) -> float:
        return float(self.get())


class VarSet(dict):
    """name -> Var, in insertion (GSAS-II) order."""

    def vary_list(self) -> list[str]:
        """Names of the refined variables."""
        return [n for n, v in self.items() if v.refined()]

    def values(self, names=None) -> np.ndarray:  # type: ignore[override]
        names = list(self) if names is None else names
        return np.array([self[n].value for n in names], float)

    def set_values(self, names, x) -> None:
        """Write x into the dicts (dependents updated; a phase's A terms are set together)."""
        groups = {}
        for n, v in zip(names, np.asarray(x, float)):
            var = self[n]
            if var.batch is not None:
                key, idx, setter = var.batch
                groups.setdefault(key, (setter, {}))[1][idx] = float(v)
            else:
                var.set(float(v))
        for setter, vals in groups.values():
            setter(vals)

    def lookup(self, name: str) -> Var:
        """Var for a name; 'Ax' is accepted for 'dAx' and vice versa; ParameterError otherwise."""
        if name in self:
            return self[name]
        p, h, nm, at = split_name(name)
        alt = nm[1:] if nm.startswith("dA") else ("d" + nm if nm in ("Ax", "Ay", "Az") else None)
        if alt and join_name(p, h, alt, at) in self:
            return self[join_name(p, h, alt, at)]
        import difflib
        close = difflib.get_close_matches(name, list(self), n=3)
        raise ParameterError("variable", "a variable of this project"
                             + (f" (did you mean {', '.join(close)}?)" if close else ""), name)


def _item(container, key, idx=0, flagidx=1):
    """Var pieces for a [value, flag] list at container[key]."""
    def get():
        return container[key][idx]

    def set_(v):
        container[key][idx] = v

    def ref():
        return bool(container[key][flagidx])
    return get, set_, ref


def _hist_vars(vs: VarSet, h, hist: dict) -> None:
    inst = hist["Instrument Parameters"][0]
    sample = hist["Sample Parameters"]
    for key in ("Scale", "Absorption", "DisplaceX", "DisplaceY", "Shift", "Transparency",
                "SurfRoughA", "SurfRoughB"):
        if key in sample and isinstance(sample[key], list) and len(sample[key]) >= 2:
            g, s, r = _item(sample, key)
            vs[f":{h}:{key}"] = Var(f":{h}:{key}", g, s, r, "sample")
    for key, v in inst.items():
        if isinstance(v, list) and len(v) == 3 and not isinstance(v[1], str) and key not in ("Bank",):
            g, s, r = _item(inst, key, 1, 2)
            vs[f":{h}:{key}"] = Var(f":{h}:{key}", g, s, r, "inst")
    bk, extra = hist["Background"][0], hist["Background"][1]
    nb = int(bk[2])
    for i in range(nb):
        def g(i=i):
            return bk[3 + i]

        def s(v, i=i):
            bk[3 + i] = v
        vs[f":{h}:Back;{i}"] = Var(f":{h}:Back;{i}", g, s, lambda: bool(bk[1]), "back")
    for i, term in enumerate(extra.get("debyeTerms", [])):
        for j, nm in enumerate(("DebyeA", "DebyeR", "DebyeU")):
            g, s, r = _pair(term, 2 * j)
            vs[f":{h}:{nm};{i}"] = Var(f":{h}:{nm};{i}", g, s, r, "back")
    for i, pk in enumerate(extra.get("peaksList", [])):
        for j, nm in enumerate(("BkPkpos", "BkPkint", "BkPksig", "BkPkgam")):
            g, s, r = _pair(pk, 2 * j)
            vs[f":{h}:{nm};{i}"] = Var(f":{h}:{nm};{i}", g, s, r, "back")


def _pair(row, j):
    """Var pieces for a flat row [v0, f0, v1, f1, …] at value index j."""
    def get():
        return row[j]

    def set_(v):
        row[j] = v

    def ref():
        return bool(row[j + 1])
    return get, set_, ref


def _phase_vars(vs: VarSet, p, phase: dict) -> None:
    gen = phase["General"]
    cell = gen["Cell"]
    sg = gen.get("SGData", {})
    ind, dep = cell_A_vary(sg.get("SGLaue", "-1"), sg.get("SGUniq", "b"))
    def set_many(vals, cell=cell, dep=dep):
        A = cell_to_A(cell[1:7])
        for i, v in vals.items():
            A[i] = v
            for d, src in dep.items():
                if src == i:
                    A[d] = v
        new = A_to_cell(A)
        if not np.all(np.isfinite(new)):
            raise ParameterError("cell", "A terms of a positive-definite metric", [float(a) for a in A])
        cell[1:8] = [float(t) for t in new]

    for i in ind:
        def g(i=i):
            return cell_to_A(cell[1:7])[i]

        def s(v, i=i):
            set_many({i: v})
        vs[f"{p}::A{i}"] = Var(f"{p}::A{i}", g, s, lambda: bool(cell[0]), "cell",
                               batch=(("cell", p), i, set_many))
    cx, ct, cs, cia = gen.get("AtomPtrs", [3, 1, 7, 9])
    for i, at in enumerate(phase["Atoms"]):
        flags = lambda at=at: str(at[ct + 1])
        piv, B = free_xyz(sg, at[cx:cx + 3])
        for k, ax in enumerate("xyz"):
            if k not in piv:
                continue
            col = B[:, piv.index(k)]

            def g(at=at, k=k):
                return at[cx + k]

            def s(v, at=at, k=k, col=col):
                d = v - at[cx + k]
                for m in range(3):
                    if col[m] != 0:
                        at[cx + m] += col[m] * d
            vs[f"{p}::dA{ax}:{i}"] = Var(f"{p}::dA{ax}:{i}", g, s,
                                         lambda flags=flags: "X" in flags(), "atom")
        def gf(at=at):
            return at[cx + 3]

        def sf(v, at=at):
            at[cx + 3] = v
        vs[f"{p}::Afrac:{i}"] = Var(f"{p}::Afrac:{i}", gf, sf, lambda flags=flags: "F" in flags(), "atom")
        if at[cia] == "A":
            for j, nm in enumerate(("AU11", "AU22", "AU33", "AU12", "AU13", "AU23")):
                def gu(at=at, j=j):
                    return at[cia + 2 + j]

                def su(v, at=at, j=j):
                    at[cia + 2 + j] = v
                vs[f"{p}::{nm}:{i}"] = Var(f"{p}::{nm}:{i}", gu, su, lambda flags=flags: "U" in flags(), "atom")
        else:
            def gu(at=at):
                return at[cia + 1]

            def su(v, at=at):
                at[cia + 1] = v
            vs[f"{p}::AUiso:{i}"] = Var(f"{p}::AUiso:{i}", gu, su, lambda flags=flags: "U" in flags(), "atom")


def _hap_vars(vs: VarSet, p, h, hap: dict, sgdata: dict) -> None:
    pre = f"{p}:{h}:"
    g, s, r = _item(hap, "Scale")
    vs[pre + "Scale"] = Var(pre + "Scale", g, s, r, "hap")
    for key in ("Size", "Mustrain"):
        ent = hap[key]
        model = ent[0]
        if model in ("isotropic", "uniaxial"):
            subs = [("i", 0)] + ([("a", 1)] if model == "uniaxial" else []) + [("mx", 2)]
        else:
            subs = [("mx", 2)]
        for sub, j in subs:
            def gg(ent=ent, j=j):
                return ent[1][j]

            def ss(v, ent=ent, j=j):
                ent[1][j] = v

            def rr(ent=ent, j=j):
                return bool(ent[2][j])
            vs[f"{pre}{key};{sub}"] = Var(f"{pre}{key};{sub}", gg, ss, rr, "hap")
        if model in ("generalized", "ellipsoidal"):
            for j in range(len(ent[4])):
                def gg(ent=ent, j=j):
                    return ent[4][j]

                def ss(v, ent=ent, j=j):
                    ent[4][j] = v

                def rr(ent=ent, j=j):
                    return bool(ent[5][j])
                vs[f"{pre}{key};{j}"] = Var(f"{pre}{key};{j}", gg, ss, rr, "hap")
    names = dij_names(sgdata.get("SGSys", "triclinic"), sgdata.get("SGUniq", "b"))
    hs = hap["HStrain"]
    for j, nm in enumerate(names[:len(hs[0])]):
        def gg(j=j):
            return hs[0][j]

        def ss(v, j=j):
            hs[0][j] = v

        def rr(j=j):
            return bool(hs[1][j])
        vs[pre + nm] = Var(pre + nm, gg, ss, rr, "hap")
    po = hap.get("Pref.Ori.")

    def po_ref():                 # GSAS-II: the Pref.Ori. flag, and never in Le Bail mode
        return bool(po[2]) and not hap.get("LeBail")
    if po and po[0] == "MD":
        def gg():
            return po[1]

        def ss(v):
            po[1] = v
        vs[pre + "MD"] = Var(pre + "MD", gg, ss, po_ref, "hap")
    elif po and po[0] == "SH":
        # one variable p:h:C(l,n) per coefficient of the dict (the Laue class's set up to the order)
        for k in po[5]:
            def gg(k=k):
                return po[5][k]

            def ss(v, k=k):
                po[5][k] = v
            vs[pre + k] = Var(pre + k, gg, ss, po_ref, "hap")
    if "Extinction" in hap:
        g, s, r = _item(hap, "Extinction")
        vs[pre + "Extinction"] = Var(pre + "Extinction", g, s, r, "hap")
    for k in ("BabA", "BabU"):
        if k in hap.get("Babinet", {}):
            g, s, r = _item(hap["Babinet"], k)
            vs[pre + k] = Var(pre + k, g, s, r, "hap")


def collect(phases, hists) -> VarSet:
    """All variables of a project.

    phases: iterable of (phase_index, phase_dict); hists: iterable of
    (hist_index, hist_name, hist_dict).  HAP entries are phase_dict['Histograms'][hist_name].
    """
    vs = VarSet()
    phases = list(phases)
    hists = list(hists)
    for p, ph in phases:
        _phase_vars(vs, p, ph)
    for h, name, hd in hists:
        _hist_vars(vs, h, hd)
    for p, ph in phases:
        for h, name, hd in hists:
            hap = ph.get("Histograms", {}).get(name)
            if hap is not None and hap.get("Use", True):
                _hap_vars(vs, p, h, hap, ph["General"].get("SGData", {}))
    return vs


def _dA(phase_dict, hap):
    from .crystal import dij_to_dA, space_group
    sg = space_group(phase_dict["General"]["SGData"]["SpGrp"])
    return np.asarray(dij_to_dA(sg, hap["HStrain"][0]), float)


def cell_with_esd(phase_dict, hap, varylist, cov, pid, hid=None):
    """Cell (a, b, c, α, β, γ, V) of a phase and its esds propagated from ``cov`` (the covariance
    of ``varylist``); with a HAP dict ``hap`` the cell in that histogram (A + Dij terms of ``hid``)."""
    A0 = cell_to_A(phase_dict["General"]["Cell"][1:7])
    base = A0 + (_dA(phase_dict, hap) if hap is not None else 0.0)
    cell = A_to_cell(base)
    # esds: numerical Jacobian of the cell wrt the refined A and Dij terms of this phase/histogram
    sgd = phase_dict["General"]["SGData"]
    dn = dij_names(sgd.get("SGSys", "triclinic"), sgd.get("SGUniq", "b"))
    idx, cols = [], []
    for k, name in enumerate(varylist):
        p, h, nm, _ = split_name(name)
        if p != str(pid):
            continue
        if h == "" and nm in ("A0", "A1", "A2", "A3", "A4", "A5"):
            d = np.zeros(6)
            d[int(nm[1])] = 1.0
        elif hap is not None and h == str(hid) and nm in dn:
            hs = copy.deepcopy(hap)
            hs["HStrain"][0] = [0.0] * len(hs["HStrain"][0])
            hs["HStrain"][0][dn.index(nm)] = 1.0
            d = _dA(phase_dict, hs)
        else:
            continue
        idx.append(k)
        cols.append(d)
    esd = np.zeros(7)
    if idx:
        J = np.zeros((7, len(idx)))
        for j, d in enumerate(cols):
            h = 1e-7 * max(np.abs(base).max(), 1e-6)
            J[:, j] = (A_to_cell(base + h * d) - A_to_cell(base - h * d)) / (2 * h)
        C = np.asarray(cov)[np.ix_(idx, idx)]
        esd = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, C, J), 0.0))
    return cell, esd
