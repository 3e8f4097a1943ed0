"""The refinement listing (``<project>.lst``) that GSAS-II writes on every refinement.

:func:`settings_text` renders the starting state (controls, phases with atoms and cell, the
phase/histogram terms, histograms with their sample, instrument and background values and
refine flags); :func:`results_text` the outcome (residuals, values with esds).  The sections,
their order and wording follow GSAS-II's listing so that users find what they look for; the
numbers come from the project and from ``Covariance['data']`` (varyList, sig, Rvals).
"""
from __future__ import annotations

import numpy as np

from .corrections import debye_scherrer_geometry

__all__ = ["settings_text", "results_text", "write_lst"]

_RULE = "=" * 135
_DASH = "-" * 135
_SAMPLE_BB = ("Scale", "Shift", "Transparency", "SurfRoughA", "SurfRoughB")
_SAMPLE_DS = ("Scale", "Absorption", "DisplaceX", "DisplaceY")
_SAMPLE_TOF = ("Scale", "Absorption")
_NOT_REFINABLE = ("Type", "Lam", "Lam1", "Lam2", "Azimuth", "fltPath", "2-theta", "Source")


def _v(item):
    """Value of a GSAS-II [value, flag] / [initial, value, flag] entry, or the item itself."""
    if isinstance(item, (list, tuple)):
        return item[1] if len(item) == 3 else item[0]
    return item


def _fmt(v, width=12):
    if v is None or v == "":
        return " " * width
    if isinstance(v, (bool, np.bool_)):
        return f"{str(bool(v)):>{width}}"
    if isinstance(v, str):
        return f"{v:>{width}}"
    v = float(v)
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e8):
        return f"{v:{width}.4g}"
    if width < 12:
        return f"{v:{width}.4g}"
    # up to 6 decimals, fewer where the integer part is long: one blank always separates columns
    room = width - 2 - len(str(int(abs(v)))) - (v < 0)
    return f"{v:{width}.{max(0, min(6, room))}f}"


def _table(names, rows, labels=("name  :", "value :", "refine:"), per_line=9, width=12):
    """GSAS-II's name/value/flag blocks, ``per_line`` columns of ``width`` characters at a time."""
    out = []
    for s in range(0, len(names), per_line):
        cut = slice(s, s + per_line)
        out.append(" " + labels[0] + "".join(f"{n:>{width}}" for n in names[cut]))
        for lab, row in zip(labels[1:], rows):
            out.append(" " + lab + "".join(_fmt(v, width) for v in row[cut]))
        out.append("")
    return out


def _sample_names(hist) -> tuple:
    inst = hist.data["Instrument Parameters"][0]
    if "T" in str(_v(inst["Type"]))[2:]:
        return _SAMPLE_TOF
    sample = hist.data["Sample Parameters"]
    ds = debye_scherrer_geometry(sample.get("Type"), "Lam1" in inst)
    return _SAMPLE_DS if ds else _SAMPLE_BB


def _inst_names(inst, refinable_only=False):
    names = sorted(k for k, v in inst.items()
                   if isinstance(v, (list, tuple)) and len(v) == 3 and k not in ("Type", "Bank"))
    return [k for k in names if k not in _NOT_REFINABLE] if refinable_only else names


def _atom_rows(phase):
    atoms = phase.data["Atoms"]
    hdr = ("   name    type  refine?   x         y         z      frac site sym  mult I/A   Uiso     U11"
           "     U22     U33     U12     U13     U23")
    out = [" Atoms:", hdr, _DASH]
    for a in atoms:
        u = f"{a[10]:8.5f}" if str(a[9]) == "I" else "        " + "".join(f"{x:8.5f}" for x in a[11:17])
        out.append(f"{a[0]:>7}{a[1]:>7}{a[2]:>7}{a[3]:10.5f}{a[4]:10.5f}{a[5]:10.5f}{a[6]:8.3f}"
                   f"{str(a[7]):>8}{int(a[8]):5d}{str(a[9]):>5} {u}")
    return out


def _hap_lines(phase, hist, sig=None):
    """Phase-in-histogram terms; with ``sig`` (name -> esd) the results form."""
    hap = phase.data["Histograms"][hist.name]
    p, h = phase.id, hist.id
    out = [f" Phase: {phase.name} in histogram: {hist.name}", _RULE]
    if sig is None:
        out.append(f" Phase fraction  : {_v(hap['Scale']):10.4g} Refine? {bool(hap['Scale'][1])}")
        po = hap["Pref.Ori."]
        if po[0] == "MD":
            out.append(f" March-Dollase PO: {float(po[1]):10.4f} Refine? {bool(po[2])} Axis: "
                       + " ".join(str(int(i)) for i in po[3]))
    else:
        hd = hist.data["data"][0]
        out.append(f" Final refinement RF, RF^2 = {hd.get(f'{p}:{h}:Rf', 0.0):.2f}%, "
                   f"{hd.get(f'{p}:{h}:Rf^2', 0.0):.2f}% on {int(hd.get(f'{p}:{h}:Nref', 0))} reflections")
        if "Durbin-Watson" in hd:
            out.append(f" Durbin-Watson statistic = {hd['Durbin-Watson']:.3f}")
        if f"{p}:{h}:Scale" in sig:
            out.append(f" Phase fraction  : {_v(hap['Scale']):10.4g}, sig {sig[f'{p}:{h}:Scale']:10.4g}")
    for key, label, unit in (("Size", "Size model    ", "µm"), ("Mustrain", "Mustrain model", "")):
        m = hap[key]
        vals = m[1]
        txt = f" {label}: {m[0]} equatorial: {vals[0]:11.4f}"
        if m[0] != "isotropic":
            txt += f" axial: {vals[1]:11.4f}"
        if sig is None:
            txt += f" Refine? {bool(m[2][0])}"
        else:
            esd = [f"{s}: {sig[n]:8.4g}" for s, n in (("sig", f"{p}:{h}:{key};i"), ("axial sig", f"{p}:{h}:{key};a"))
                   if n in sig]
            txt += "".join(", " + e for e in esd)
        out += [txt + (f" {unit}" if unit else ""), f"\t LG mixing coeff.: {vals[2]:10.4f}", ""]
    from .variables import dij_names
    sgd = phase.data["General"]["SGData"]
    dn = dij_names(sgd.get("SGSys", "triclinic"), sgd.get("SGUniq", "b"))
    dij = hap["HStrain"]
    out.append(" Hydrostatic/elastic strain:")
    row3 = list(dij[1]) if sig is None else [sig.get(f"{p}:{h}:{n}", "") for n in dn]
    out += _table(list(dn), [list(dij[0]), row3],
                  ("names :", "values:", "refine:" if sig is None else "sig   :"))
    return out


def _hist_lines(hist, sig=None):
    hd, inst = hist.data, hist.data["Instrument Parameters"][0]
    out = [f" Histogram: {hist.name} histogram Id: {hist.id}", _RULE]
    tof = "T" in str(_v(inst["Type"]))[2:]
    if sig is not None:
        d0 = hd["data"][0]
        out.append(f" PWDR histogram weight factor = {float(d0.get('wtFactor', 1.0)):.3f}")
        out.append(f" Final refinement wR = {d0.get('wR', 0.0):.2f}% on {int(d0.get('Nobs', 0))} "
                   "observations in this histogram")
        out.append(f" Other residuals: R = {d0.get('R', 0.0):.2f}%, R-bkg = {d0.get('Rb', 0.0):.2f}%, "
                   f"wR-bkg = {d0.get('wRb', 0.0):.2f}% wRmin = {d0.get('wRmin', 0.0):.2f}%")
    geo = "TOF" if tof else ("Debye-Scherrer" if _sample_names(hist) == _SAMPLE_DS else "Bragg-Brentano")
    out.append(f" Instrument type: {geo}")
    if sig is None:
        lo, hi = hd["Limits"][1]
        unit = "usec" if tof else "deg"
        out += [f" Histogram limits: {lo:8.2f} {unit} to {hi:8.2f} {unit}"]
    elif not tof and str(_v(inst["Type"]))[1] == "X":
        out += _resonant_lines(hist)
    h = hist.id
    samp = hd["Sample Parameters"]
    names = [n for n in _sample_names(hist) if n in samp]
    vals = [float(samp[n][0]) for n in names]
    third = [bool(samp[n][1]) for n in names] if sig is None else [sig.get(f":{h}:{n}", "") for n in names]
    out += ["", " Sample Parameters:"]
    out += _table(names, [vals, third], ("name  :", "value :", "refine:" if sig is None else "sig   :"), width=14)
    inames = _inst_names(inst, refinable_only=sig is not None)
    ivals = [_v(inst[k]) for k in inames]
    third = ["" if k in _NOT_REFINABLE else bool(inst[k][2]) for k in inames] if sig is None else \
        [sig.get(f":{h}:{k}", "") for k in inames]
    out += [" Instrument Parameters:"]
    out += _table(inames, [ivals, third], ("name  :", "value :", "refine:" if sig is None else "sig   :"))
    bk = hd["Background"][0]
    n = int(bk[2])
    coeffs = [float(c) for c in bk[3:3 + n]]
    if sig is None:
        out += [f" Background function: {bk[0]} Refine? {bool(bk[1])}",
                " Coefficients: " + "".join(f"{c:10.3f}" for c in coeffs), ""]
    else:
        out += [f" Background function: {bk[0]}",
                " value : " + "".join(f"{c:10.4g}" for c in coeffs),
                " sig   : " + "".join(_fmt(sig.get(f":{h}:Back;{i}", ""), 10) for i in range(n)), ""]
    return out


def _resonant_lines(hist):
    from .scattering import anomalous
    phases = [p for p in hist.proj.phases() if hist.name in p.data["Histograms"]]
    types = []
    for p in phases:
        types += [t for t in p.data["General"].get("AtomTypes", []) if t not in types]
    if not types:
        return []
    inst = hist.data["Instrument Parameters"][0]
    lam = float(_v(inst.get("Lam1", inst.get("Lam"))))
    fp, fpp = anomalous(types, lam)
    return ["", " Resonant form factors:(Cromer & Liberman)",
            " Element:" + "".join(f"{t:>9}" for t in types),
            " f'     :" + "".join(f"{v:9.3f}" for v in fp),
            ' f"     :' + "".join(f"{v:9.3f}" for v in fpp)]


def settings_text(project) -> str:
    """The listing's first part: controls and the starting values with refine flags."""
    ctrl = project.data["Controls"]["data"]
    out = ["*" * 80, "   beamkit powder refinement listing (GSAS-II layout)", "*" * 80,
           " Least squares controls:", " Refinement type: analytic Hessian",
           f" Maximum number of cycles: {int(ctrl.get('max cyc', 3))}",
           f" Initial shift factor: {float(ctrl.get('shift factor', 1.0)):.3f}", "", " Phases:", ""]
    for ph in project.phases():
        gen = ph.data["General"]
        out += [f" Phase name: {ph.name}", _RULE, "", f" Space Group: {gen['SGData']['SpGrp']}", ""]
        out += _atom_rows(ph)
        c = gen["Cell"]
        out += ["", f" Unit cell: a = {c[1]:.5f} b = {c[2]:.5f} c = {c[3]:.5f} alpha = {c[4]:.3f} "
                f"beta = {c[5]:.3f} gamma = {c[6]:.3f} volume = {c[7]:.3f} Refine? {bool(c[0])}", ""]
        for h in project.histograms():
            if h.name in ph.data["Histograms"]:
                out += _hap_lines(ph, h)
    for h in project.histograms():
        out += _hist_lines(h)
    return "\n".join(out) + "\n"


def results_text(project, elapsed: float | None = None) -> str:
    """The listing's second part: residuals and the refined values with their esds."""
    cov = project.data["Covariance"].get("data", {})
    rv = cov.get("Rvals", {})
    sig = dict(zip(cov.get("varyList") or [], cov.get("sig") or []))
    ncyc = int(rv.get("ncyc", 0))
    out = ["", " Refinement results:", _DASH,
           f" No. of observations: {int(rv.get('Nobs', 0))} No. of parameters: {int(rv.get('Nvars', 0))}"]
    if elapsed is not None:
        out.append(f" Refinement time = {elapsed:8.3f}s, {elapsed / max(ncyc, 1):8.3f}s/cycle, for {ncyc} cycles")
    out += [f" wR = {rv.get('Rwp', 0.0):7.2f}%, chi**2 = {rv.get('chisq', 0.0):12.1f}, GOF = {rv.get('GOF', 0.0):6.2f}",
            "", " Phases:"]
    for ph in project.phases():
        p = ph.id
        out += [f" Result for phase: {ph.name}", _RULE, " Reciprocal metric tensor: "]
        from .crystal import cell_to_A
        A = cell_to_A(ph.data["General"]["Cell"][1:7])
        an = [f"{p}::A{i}" for i in range(6)]
        out += _table(["A11", "A22", "A33", "A12", "A13", "A23"], [list(A), [sig.get(n, "") for n in an]],
                      ("names :", "values:", "esds  :"))
        cell, esd = ph.get_cell_and_esd()
        keys = list(cell)
        out += [" New unit cell:"]
        out += _table(["a", "b", "c", "alpha", "beta", "gamma", "Volume"],
                      [[cell[k] for k in keys], [esd[k] or "" for k in keys]], ("names :", "values:", "esds  :"))
        out += [" Atoms:", "   name      x         y         z      frac   Uiso", _DASH]
        for i, a in enumerate(ph.data["Atoms"]):
            vals = [a[3], a[4], a[5], a[6], a[10]]
            names = [f"{p}::dAx:{i}", f"{p}::dAy:{i}", f"{p}::dAz:{i}", f"{p}::Afrac:{i}", f"{p}::AUiso:{i}"]
            out += [f"{a[0]:>7}{a[1]:>7}:", " values:" + "".join(f"{v:10.5f}" for v in vals),
                    " sig   :" + "".join(_fmt(sig.get(n, ""), 10) for n in names)]
        out.append("")
        for h in project.histograms():
            if h.name in ph.data["Histograms"]:
                out += _hap_lines(ph, h, sig)
    for h in project.histograms():
        out += _hist_lines(h, sig)
    return "\n".join(out) + "\n"


def write_lst(project, path, settings: str | None = None, elapsed: float | None = None) -> str:
    """Write ``settings`` (default: the current state) and the results to ``path`` atomically."""
    from ..core.files import atomic_write
    text = (settings if settings is not None else settings_text(project)) + results_text(project, elapsed)
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return str(path)
