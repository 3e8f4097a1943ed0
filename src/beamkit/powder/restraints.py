"""Bond-distance restraints (GSAS-II's 'Restraints' tree item) as extra least-squares rows.

A restraint pulls the distance between two atoms (nearest symmetry image) towards a
target d₀ with weight 1/esd² × the phase's weight factor: row = sqrt(w)·(d₀ − d).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .variables import sg_operators

__all__ = ["restraint_block", "add_distance_restraints", "clear_distance_restraints", "restraint_rows"]


def restraint_block(project, phase) -> dict:
    """The Bond restraints dict of a phase (created on first use)."""
    rs = project.data["Restraints"].setdefault("data", {})
    ph = rs.setdefault(phase.name, {})
    return ph.setdefault("Bond", {"wtFactor": 1.0, "Range": 1.1, "Bonds": [], "Use": True})


def _ops(phase):
    """(rotations, translations) of the phase's space group incl. centring."""
    return sg_operators(phase.data["General"]["SGData"])


def _metric(phase):
    a, b, c, al, be, ga = phase.data["General"]["Cell"][1:7]
    ca, cb, cg = np.cos(np.radians([al, be, ga]))
    return np.array([[a * a, a * b * cg, a * c * cb], [a * b * cg, b * b, b * c * ca], [a * c * cb, b * c * ca, c * c]])


def _images(phase, x):
    """All symmetry images of fractional x with lattice translations −1..1: (n, 3)."""
    R, T = _ops(phase)
    y = np.einsum("nij,j->ni", R, x) + T
    y -= np.floor(y)
    sh = np.array(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1], indexing="ij")).reshape(3, -1).T
    return (y[:, None, :] + sh[None]).reshape(-1, 3), R, T, sh


def add_distance_restraints(project, phase, origin, target, bond, factor=1.1, ESD=0.01) -> int:
    """Restrain every origin–target pair (atom labels or element types) closer than bond·factor to ``bond`` Å."""
    atoms = phase.data["Atoms"]
    cx, ct = phase.data["General"]["AtomPtrs"][:2]

    def pick(sel):
        sel = [sel] if isinstance(sel, str) else list(sel)
        out = [i for i, a in enumerate(atoms) if a[0] in sel or a[ct] in sel]
        if not out:
            raise ParameterError("restraint atoms", "atom labels or types of phase " + phase.name, sel)
        return out
    G = _metric(phase)
    blk = restraint_block(project, phase)
    n0 = len(blk["Bonds"])
    for i in pick(origin):
        xi = np.array(atoms[i][cx:cx + 3], float)
        for j in pick(target):
            if i == j:
                continue
            imgs, _, _, _ = _images(phase, np.array(atoms[j][cx:cx + 3], float))
            dv = imgs - xi
            d = np.sqrt(np.einsum("ni,ij,nj->n", dv, G, dv))
            k = int(np.argmin(d))
            if 1e-3 < d[k] <= bond * factor:
                blk["Bonds"].append([[i, j], float(bond), float(ESD)])
    return len(blk["Bonds"]) - n0


def clear_distance_restraints(project, phase) -> None:
    rs = project.data["Restraints"].get("data", {})
    if phase.name in rs and "Bond" in rs[phase.name]:
        rs[phase.name]["Bond"]["Bonds"] = []


class _Rows:
    """Restraint rows of a project for the refinement objective."""

    def __init__(self, items, obj):
        self.items, self.obj = items, obj
        self.nrows = len(items)

    def _dist(self, phase, i, j):
        atoms = phase.data["Atoms"]
        cx = phase.data["General"]["AtomPtrs"][0]
        xi = np.array(atoms[i][cx:cx + 3], float)
        imgs, _, _, _ = _images(phase, np.array(atoms[j][cx:cx + 3], float))
        dv = imgs - xi
        G = _metric(phase)
        return float(np.min(np.sqrt(np.einsum("ni,ij,nj->n", dv, G, dv))))

    def residual(self):
        return np.array([np.sqrt(w) * (d0 - self._dist(ph, i, j)) for ph, i, j, d0, w in self.items])

    def jacobian(self, vary):
        """d(sqrt(w)·d)/dx (same sign convention as the pattern: J = d model/dx)."""
        J = np.zeros((self.nrows, len(vary)))
        for k, name in enumerate(vary):
            if "::dA" not in name and "::A" not in name:
                continue
            v = self.obj.vars[name]
            v0 = v.value
            h = 1e-6 * max(abs(v0), 1e-3)
            v.set(v0 + h)
            dp = np.array([np.sqrt(w) * self._dist(ph, i, j) for ph, i, j, d0, w in self.items])
            v.set(v0 - h)
            dm = np.array([np.sqrt(w) * self._dist(ph, i, j) for ph, i, j, d0, w in self.items])
            v.set(v0)
            J[:, k] = (dp - dm) / (2 * h)
        return J


def restraint_rows(project, obj):
    """The active restraint rows, or None."""
    rs = project.data.get("Restraints", {}).get("data", {})
    items = []
    for ph in project.phases():
        blk = rs.get(ph.name, {}).get("Bond")
        if not blk or not blk.get("Use", True):
            continue
        for (i, j), d0, esd in blk.get("Bonds", []):
            items.append((ph, int(i), int(j), float(d0), float(blk.get("wtFactor", 1.0)) / float(esd) ** 2))
    return _Rows(items, obj) if items else None
