"""Sequential refinement (GSAS-II 'Seq Data'): one histogram at a time, results per histogram.

With ``seqCopy`` (Controls 'Copy2Next') the refined values of each histogram start the next
one, so the histograms are refined in order.  Without it the fits are independent and run on
:func:`beamkit.core.parallel.pmap` (processes by default; a Dask cluster when the controls hold
``'seq scheduler'``).  Results are kept in ``project.data['Sequential results']['data']``
({'histNames': [...], histname: {varyList, variables, sig, covMatrix, Rvals, parmDict,
newCellDict}}) and read through :class:`G2SeqRefRes`.
"""
from __future__ import annotations

import copy

import numpy as np

from ..core.log import get_logger, progress
from ..errors import ParameterError
from .variables import cell_with_esd, split_name

__all__ = ["run_sequential", "G2SeqRefRes"]

log = get_logger("beamkit.powder.sequential")


def _snapshot(project, name, rvals):
    cov = project.data["Covariance"]["data"]
    h = project.histogram(name)
    out = {"varyList": list(cov["varyList"]), "variables": list(cov["variables"]), "sig": list(cov["sig"]),
           "covMatrix": np.asarray(cov["covMatrix"]), "Rvals": dict(rvals),
           "parmDict": {k: v for k, v in cov["parmDict"].items() if _for_hist(k, h.id)},
           "wR": h.get_wR(), "newCellDict": {}}
    for p in project.phases():
        hap = p.data["Histograms"].get(name)
        if hap is None:
            continue
        cell, esd = cell_with_esd(p.data, hap, out["varyList"], out["covMatrix"], p.id, h.id)
        out["newCellDict"][p.name] = {"cell": cell.tolist(), "esd": esd.tolist()}
    return out


def _for_hist(name, hid) -> bool:
    p, h, _, _ = split_name(name)
    return h in ("", "*") or h == str(hid)


def _copy_forward(project, src, dst):
    """Start histogram ``dst`` from the refined values of ``src`` (hist-level and HAP variables).

    As GSAS-II's SeqRefine (Copy2Next): every variable refined in ``src`` is renamed to ``dst``
    and its value copied whether or not it is refined in ``dst``.  A variable refined only in
    the first histogram (e.g. ``:0:DisplaceX``) therefore lands, fixed, in the second one and
    goes no further.  Phase variables need no copy: they live in the phase and carry over.
    """
    from .derivatives import project_variables
    vs = project_variables(project)
    hs, hd = str(project.histogram(src).id), str(project.histogram(dst).id)
    vary = project.data["Covariance"]["data"].get("varyList", [])
    for name in vary:
        p, h, nm, at = split_name(name)
        if h != hs:
            continue
        target = f"{p}:{hd}:{nm}" + (f":{at}" if at else "")
        if target in vs:
            vs[target].set(vs[name].value)


def _worker(item):
    """Refine one histogram of a project copy (pmap worker; module level so processes can run it)."""
    data, name = item
    from . import G2Project
    from .derivatives import refine_project
    proj = G2Project()
    proj.data = data
    proj._renumber()
    rv = refine_project(proj, hist_filter=[name], quiet=True)
    snap = _snapshot(proj, name, rv)
    haps = {p.name: p.data["Histograms"][name] for p in proj.phases() if name in p.data["Histograms"]}
    return snap, proj.data[name], haps


def run_sequential(project) -> dict:
    """Run the sequential refinement set up in the controls; returns the results dict."""
    from .derivatives import refine_project
    ctrl = project.data["Controls"]["data"]
    names = [project._need_hist(h).name for h in ctrl.get("Seq Data", [])]
    if not names:
        raise ParameterError("sequential", "a list of histograms (set_Controls('sequential', ...))", [])
    if ctrl.get("Reverse Seq"):
        names = names[::-1]
    for p in project.phases():      # GSAS-II's SeqRefine refuses these too
        if p.data["General"]["Cell"][0]:
            raise ParameterError(f"Phases/{p.name}/General/Cell",
                                 "cell refinement off in a sequential fit (refine the histograms' Dij instead)",
                                 True)
    results = {"histNames": list(names)}
    if ctrl.get("Copy2Next", False) or len(names) == 1:
        prev = None
        for name in progress(names, desc="sequential"):
            if prev is not None:
                _copy_forward(project, prev, name)
            rv = refine_project(project, hist_filter=[name], quiet=True)
            results[name] = _snapshot(project, name, rv)
            log.info("sequential %s: Rwp %.3f%%", name, rv["Rwp"])
            prev = name
    else:
        from ..core.parallel import pmap
        phases_backup = {p.name: copy.deepcopy(p.data) for p in project.phases()}
        items = []
        for name in names:
            d = {k: v for k, v in project.data.items() if not k.startswith("PWDR ") or k == name}
            items.append((copy.deepcopy(d), name))
        out = pmap(_worker, items, scheduler=ctrl.get("seq scheduler"), desc="sequential")
        for name, (snap, hdict, haps) in zip(names, out):
            project.data[name] = hdict
            for pname, hap in haps.items():
                phases_backup[pname]["Histograms"][name] = hap
            results[name] = snap
        for pname, pd in phases_backup.items():
            project.data["Phases"][pname] = pd
        project._renumber()
    project.data["Sequential results"] = {"data": results}
    return results


class G2SeqRefRes:
    """Results of a sequential refinement (GSAS-II's G2SeqRefRes)."""

    def __init__(self, data: dict, proj):
        self.data = data
        self.proj = proj

    def histograms(self) -> list:
        """Names of the histograms in the sequential fit, in fit order."""
        return list(self.data["histNames"])

    def _hist(self, hist):
        if isinstance(hist, (int, np.integer)):
            return self.data["histNames"][int(hist)]
        name = getattr(hist, "name", hist)
        if name not in self.data:
            if "PWDR " + str(name) in self.data:
                return "PWDR " + str(name)
            raise ParameterError("hist", "a histogram of the sequential fit", name)
        return name

    def RefData(self, hist):
        """The stored result dict of one histogram."""
        return self.data[self._hist(hist)]

    def get_cell_and_esd(self, phase, hist):
        """(cell [a, b, c, α, β, γ, V], esds, None) of a phase in one histogram."""
        name = self._hist(hist)
        pname = getattr(phase, "name", None) or (self.proj.phases()[phase].name if isinstance(phase, int)
                                                 else str(phase))
        ent = self.data[name]["newCellDict"].get(pname)
        if ent is None:
            raise ParameterError("phase", "a phase used by this histogram", pname)
        return ent["cell"], ent["esd"], None

    def _name(self, name, var):
        hid = str(self.proj.histogram(name).id)
        p, h, nm, at = split_name(var)
        if h in ("*", "") and p != "" or h == "*":
            h = hid if h == "*" or (p != "" and nm not in ("A0", "A1", "A2", "A3", "A4", "A5")) else h
        return p + ":" + h + ":" + nm + (":" + at if at else "")

    def get_Variable(self, hist, var):
        """(value, esd) of a variable in one histogram (esd None when not refined there)."""
        name = self._hist(hist)
        r = self.data[name]
        full = self._name(name, var)
        for cand in (full, var):
            if cand in r["varyList"]:
                i = r["varyList"].index(cand)
                return r["variables"][i], r["sig"][i]
            if cand in r["parmDict"]:
                return r["parmDict"][cand], None
        raise ParameterError("var", "a variable of this histogram's fit", var)

    def get_Covariance(self, hist, varList):
        """(values, covariance) of refined variables of one histogram."""
        name = self._hist(hist)
        r = self.data[name]
        names = [self._name(name, v) for v in varList]
        missing = [v for v in names if v not in r["varyList"]]
        if missing:
            raise ParameterError("varList", "variables refined in this histogram", missing)
        idx = [r["varyList"].index(v) for v in names]
        M = np.asarray(r["covMatrix"])
        return [r["variables"][i] for i in idx], M[np.ix_(idx, idx)]
