"""Weighted residuals and their Jacobian over a whole project (Rietveld refinement).

For each histogram the pattern is Σ_phases Σ_reflections I_k·P(x − pos_k; sig_k, gam_k)
(+ Kα2) + background.  The profile derivatives dP/dpos, dP/dsig, dP/dgam, dP/dSH/L are
analytic (``profile_cw.fcj_voigt``) and are evaluated once per Jacobian; what each
variable does to the reflection quantities (I_k, pos_k, sig_k, gam_k) is taken by
forward differences of the cheap reflection-level calculation, then chained with the
profile derivatives (CW: FCJ pseudo-Voigt; TOF: back-to-back exponentials, also through
α and β).  Background variables go through the background alone.  A variable that
changes the reflection set falls back to central differences of the whole pattern
(:func:`full_fd_column`), which tests use as the check.  Spherical-harmonic texture
coefficients C(l,n) are analytic: I_k·(dPO_k/dC)/PO_k from the calculation's dPO.

Residuals are ``sqrt(wtFactor·w)·(yobs − ycalc)`` on the in-limit points of every
histogram, concatenated in project order.
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import RefinementError
from . import calc as C
from .histogram import limits_mask
from .model import flat_inst
from ..core.log import get_logger
from .variables import collect, split_name

__all__ = ["ProjectObjective", "fd_step", "refine_project", "project_variables"]

log = get_logger("beamkit.powder.refine")

_BKG_VARS = ("Back;", "BkPk", "Debye")
_SH_RE = re.compile(r"^C\(\d+,-?\d+\)$")      # spherical-harmonic texture coefficients


_TYPICAL = {"DisplaceX": 10.0, "DisplaceY": 10.0, "Shift": 10.0, "Zero": 0.01, "Transparency": 0.01,
            "Absorption": 0.1, "X": 1.0, "Y": 1.0, "Z": 1.0, "U": 1.0, "V": 1.0, "W": 1.0, "SH/L": 0.01}


def fd_step(v: float, name: str = "") -> float:
    """Central-difference step: 1e-6·max(|v|, typical size of the parameter (1e-3 by default))."""
    nm = name.split(":")[2] if name.count(":") >= 2 else name
    return 1e-6 * max(abs(float(v)), _TYPICAL.get(nm, 1e-3))


def _ragged(starts, stops):
    """(row, index) pairs of the ranges [starts[i], stops[i]): rows ascending, indices ascending in a row."""
    n = np.maximum(stops - starts, 0)
    rows = np.repeat(np.arange(n.size), n)
    shift = np.repeat(starts - (np.cumsum(n) - n), n)
    return rows, np.arange(rows.size) + shift


class _HistCalc:
    """One histogram's data, the phases that use it and its last evaluation."""

    def __init__(self, hid, name, hd, phases):
        self.hid, self.name, self.hd = hid, name, hd
        self.phases = phases          # [(pid, pname, pdict)]
        # GSAS-II fixes each phase's reflection set when a refinement starts (CW; None: TOF)
        inst = hd["Instrument Parameters"][0]
        self.refsets = {pname: C.gsas_reflection_set(ph, inst, hd["Limits"][1])
                        for pid, pname, ph, hap in self._haps()}

    def data(self):
        x, y, w = (np.asarray(a, float) for a in self.hd["data"][1][:3])
        m = limits_mask(self.hd)
        wt = float(self.hd["data"][0].get("wtFactor", 1.0))
        return x[m], y[m], np.sqrt(np.maximum(wt * w[m], 0.0)), m

    def _haps(self):
        for pid, pname, ph in self.phases:
            hap = ph["Histograms"].get(self.name)
            if hap is not None and hap.get("Use", True):
                yield pid, pname, ph, hap

    def reflections(self, xin):
        """{pname: cols} from the reflection-level calculation (no profiles)."""
        hd = self.hd
        inst = hd["Instrument Parameters"][0]
        typ = flat_inst(inst)["Type"]
        out = {}
        for pid, pname, ph, hap in self._haps():
            cols, _ = C._phase_reflections(ph, hap, inst, hd["Sample Parameters"], typ, xin[0], xin[-1],
                                           xin, hd["Limits"][1], hkl_set=self.refsets.get(pname))
            if hap.get("LeBail"):
                from .lebail import apply_stored, previous_reflist
                apply_stored(cols, previous_reflist(hd, pname))
            out[pname] = cols
        return out

    def evaluate(self, derivs: bool = False):
        """ycalc and ybkg on the in-limit points; with ``derivs`` keeps the profile derivatives."""
        hd = self.hd
        xin, yo, sw, m = self.data()
        inst = hd["Instrument Parameters"][0]
        fi = flat_inst(inst)
        typ = fi["Type"]
        self.tof = typ[2] == "T"
        ybkg = C.background_from_dict(hd["Background"], xin, inst)
        yc = ybkg.copy()
        self.shl_raw = float(fi.get("SH/L", 0.002))
        shl = max(self.shl_raw, 0.002)
        parts = {}
        self.lebail = {pname for pid, pname, ph, hap in self._haps() if hap.get("LeBail")}
        refl = self.reflections(xin) if xin.size else {}
        for pname, cols in refl.items():
            if "pos" not in cols or len(cols["pos"]) == 0:
                continue
            inten = cols["Icorr"] * cols["Fc2"]
            comps = [(cols["pos"], 1.0, np.ones(len(cols["pos"])))]
            if not self.tof and "Lam1" in fi and "Lam2" in fi:
                ratio = 360.0 * (fi["Lam2"] - fi["Lam1"]) / (np.pi * fi["Lam1"])
                th = np.radians(cols["pos"] / 2.0)
                comps.append((cols["pos"] + ratio * np.tan(th), fi.get("I(L2)/I(L1)", 0.5),
                              1.0 + ratio * (np.pi / 360.0) / np.cos(th) ** 2))
            store = []
            for pos, kr, dp in comps:
                cc = dict(cols, pos=pos)
                lo, hi = C._windows(cc, typ, shl)
                rows, pts = _ragged(np.searchsorted(xin, pos - lo), np.searchsorted(xin, pos + hi))
                dx = xin[pts] - pos[rows]
                if not derivs:
                    prof = C._tof_profile(cc) if self.tof else C._cw_profile(cc, shl)
                    P = prof(dx, rows)
                    d = None
                elif self.tof:
                    from .profile_tof import tof_profile
                    P, dpos, dalp, dbet, dsig, dgam = tof_profile(
                        dx, cols["alp"][rows], cols["bet"][rows], cols["sig"][rows], cols["gam"][rows], derivs=True)
                    d = {"pos": dpos, "sig": dsig, "gam": dgam, "alp": dalp, "bet": dbet}
                else:
                    from .profile_cw import fcj_voigt_peaks     # pairs indexed by reflection
                    P, dpos, dsig, dgam, dshl = fcj_voigt_peaks(dx, rows, pos, cols["sig"], cols["gam"],
                                                                np.full(pos.size, shl), derivs=True)
                    d = {"pos": dpos * dp[rows], "sig": dsig, "gam": dgam, "shl": dshl}
                yc += np.bincount(pts, inten[rows] * kr * P, minlength=xin.size)
                store.append((rows, pts, P, kr, d))
            parts[pname] = (cols, inten, store)
        self.x, self.yo, self.sw, self.mask = xin, yo, sw, m
        self.yc, self.ybkg, self.parts = yc, ybkg, parts
        self._sp = {}
        return yc

    def column(self, var, objective, defer=None) -> np.ndarray:
        """dycalc/dvar on the in-limit points (after ``evaluate(derivs=True)``).

        ``defer``: a list; when given, the per-reflection differences of the chain-rule branch
        are appended to it as (pname, {quantity: d(quantity)/dvar}) instead of being multiplied
        out (see :meth:`apply_deferred`), and the returned column holds the rest only.
        """
        name = var.name
        n = self.x.size
        v0 = var.value
        h = fd_step(v0, name)
        _, hfield, nm, _ = split_name(name)
        if any(nm.startswith(b) for b in _BKG_VARS):
            var.set(v0 + h)
            bp = C.background_from_dict(self.hd["Background"], self.x, self.hd["Instrument Parameters"][0])
            var.set(v0 - h)
            bm = C.background_from_dict(self.hd["Background"], self.x, self.hd["Instrument Parameters"][0])
            var.set(v0)
            return (bp - bm) / (2 * h)
        out = np.zeros(n)
        if nm == "SH/L" and not self.tof:
            if self.shl_raw >= 0.002:
                for cols, inten, store in self.parts.values():
                    for rows, pts, P, kr, d in store:
                        out += np.bincount(pts, inten[rows] * kr * d["shl"], minlength=n)
            return out
        if _SH_RE.match(nm):
            col = self._sh_column(name, nm)
            if col is not None:
                return col
        var.set(v0 + h)
        rp = self.reflections(self.x)
        var.set(v0)
        pending = []
        for pname, (cols, inten, store) in self.parts.items():
            cp = rp.get(pname)
            if cp is None or len(cp["d"]) != len(cols["d"]) or not (
                    np.array_equal(cp["h"], cols["h"]) and np.array_equal(cp["k"], cols["k"])
                    and np.array_equal(cp["l"], cols["l"])):
                return self.full_fd_column(var)
            # forward differences of the reflection quantities (cheap, no profiles), chained with
            # the analytic profile derivatives through sparse (point × reflection) matrices
            dqs = {"I": (cp["Icorr"] * cp["Fc2"] - inten) / h}
            for key in self._sparse(pname):
                if key not in ("I", "nc"):
                    # CW widths: as GSAS-II, the derivative of the width expression before its
                    # floor (sig, gam ≥ 0.001), also where the floor applies
                    raw = key + "_raw" if key in ("sig", "gam") and key + "_raw" in cols else key
                    dq = (cp[raw] - cols[raw]) / h
                    if np.any(dq):
                        dqs[key] = dq
            pending.append((pname, dqs))
        if defer is not None:
            defer.extend(pending)
            return out
        for pname, dqs in pending:
            S = self._sparse(pname)
            for key, dq in dqs.items():
                out += S[key] @ np.tile(dq, S["nc"])
        return out

    def apply_deferred(self, Jh, deferred):
        """Add the deferred chain-rule products to the columns of Jh: one sparse × dense product
        per (phase, quantity) for all columns.  deferred: [(column index, pname, {q: dq})]."""
        groups = {}
        for k, pname, dqs in deferred:
            for key, dq in dqs.items():
                groups.setdefault((pname, key), []).append((k, dq))
        for (pname, key), items in groups.items():
            S = self._sparse(pname)
            D = np.tile(np.stack([dq for _, dq in items], axis=1), (S["nc"], 1))
            ks = np.array([k for k, _ in items])
            Jh[:, ks] += S[key] @ D

    def _sh_column(self, name, coeff):
        """Analytic dycalc/dC(l,n) of a spherical-harmonic texture coefficient: I·(dPO/dC)/PO.

        None when the phase's reflection list carries no dPO for it (or a PO of zero), so
        that the caller uses differences instead.
        """
        p = split_name(name)[0]
        pname = next((pn for pid, pn, ph in self.phases if str(pid) == p), None)
        if pname not in self.parts:
            return np.zeros(self.x.size)       # no reflections of that phase in range
        cols, inten, store = self.parts[pname]
        dpo = cols.get("dPO", {}).get(coeff)
        po = cols.get("PO")
        if dpo is None or po is None or np.any(po == 0):
            return None
        S = self._sparse(pname)
        return S["I"] @ np.tile(inten * dpo / po, S["nc"])

    def _sparse(self, pname):
        """{'I', 'pos', 'sig', 'gam'[, 'alp', 'bet']}: dy/d(quantity) as CSC matrices, and 'nc'.

        Each matrix is (points × nc·reflections), one block of columns per wavelength component
        (Kα1, Kα2), so that dy = M @ tile(dq, nc).  The pairs of a component come ordered by
        reflection and, within one, by point, so the CSC arrays are assembled directly
        (no coordinate sorting or duplicate summing).
        """
        cache = self.__dict__.setdefault("_sp", {})
        key = (id(self.parts), pname)
        if key not in cache:
            from scipy.sparse import csc_matrix
            cols, inten, store = self.parts[pname]
            m, n, nc = len(cols["d"]), self.x.size, len(store)
            counts = np.concatenate([np.bincount(st[0], minlength=m) for st in store])
            indptr = np.zeros(nc * m + 1, dtype=np.int64)
            np.cumsum(counts, out=indptr[1:])
            pts = np.concatenate([st[1] for st in store])
            if pts.size < np.iinfo(np.int32).max:
                pts, indptr = pts.astype(np.int32), indptr.astype(np.int32)

            def mat(vals):
                return csc_matrix((vals, pts, indptr), shape=(n, nc * m), copy=False)

            S = {"nc": nc, "I": mat(np.concatenate([st[3] * st[2] for st in store]))}
            iw = [st[3] * inten[st[0]] for st in store]          # kr·I per pair, once
            for q in [k for k in store[0][4] if k != "shl"]:
                S[q] = mat(np.concatenate([w * st[4][q] for w, st in zip(iw, store)]))
            cache.clear()
            cache[key] = S
        return cache[key]

    def full_fd_column(self, var) -> np.ndarray:
        """dycalc/dvar by central differences of the whole pattern (the fallback and the check)."""
        v0 = var.value
        h = fd_step(v0, var.name)
        phases = {pname: ph for pid, pname, ph in self.phases}
        var.set(v0 + h)
        yp = C.pattern_from_dicts(self.hd, phases, refsets=self.refsets)["ycalc"]
        var.set(v0 - h)
        ym = C.pattern_from_dicts(self.hd, phases, refsets=self.refsets)["ycalc"]
        var.set(v0)
        return (yp - ym) / (2 * h)


class ProjectObjective:
    """Residual vector and Jacobian of a project over its refined variables.

    ``project`` needs ``histograms()`` / ``phases()`` returning objects with
    ``id``, ``name`` and ``data`` (GSAS-II dicts).  ``hist_filter``: names to use.
    """

    def __init__(self, project, hist_filter=None):
        hists = [h for h in project.histograms() if hist_filter is None or h.name in hist_filter]
        phases = [(p.id, p.name, p.data) for p in project.phases()]
        self.calcs = []
        for h in hists:
            ph = [(pid, pn, pd) for pid, pn, pd in phases if h.name in pd.get("Histograms", {})]
            self.calcs.append(_HistCalc(h.id, h.name, h.data, ph))
        self.vars = collect([(pid, pd) for pid, pn, pd in phases],
                            [(h.id, h.name, h.data) for h in hists])
        self.vary = self.vars.vary_list()
        self._hist_of_phase = {pid: {c.hid for c in self.calcs if any(q[0] == pid for q in c.phases)}
                               for pid, _, _ in phases}

    # values ---------------------------------------------------------------
    def values(self) -> np.ndarray:
        return self.vars.values(self.vary)

    def set(self, x) -> None:
        self.vars.set_values(self.vary, x)

    def _affects(self, name, hid) -> bool:
        p, h, _, _ = split_name(name)
        if h not in ("", "*"):
            return int(h) == hid
        if p != "":
            return hid in self._hist_of_phase.get(int(p), set())
        return True

    # residuals ------------------------------------------------------------
    def residual(self, x=None, derivs: bool = True) -> np.ndarray:
        """sqrt(w)·(yobs − ycalc) over all histograms (sets x first when given).

        With ``derivs`` (default) the profile derivatives are kept, so that a Jacobian
        at the same x needs no new pattern evaluation.
        """
        if x is not None:
            self.set(x)
        self._at = None if x is None else np.array(x, float)
        self._derivs = derivs
        out = []
        with np.errstate(all="ignore"):
            for c in self.calcs:
                yc = c.evaluate(derivs=derivs)
                out.append(c.sw * (c.yo - yc))
        r = np.concatenate(out) if out else np.zeros(0)
        return r

    def jacobian(self, x=None) -> np.ndarray:
        """J = d(sqrt(w)·ycalc)/dx, shape (Nobs, nvary)."""
        same = (x is not None and getattr(self, "_at", None) is not None and self._derivs
                and np.array_equal(np.asarray(x, float), self._at))
        if not same:
            self.residual(x, derivs=True)
        blocks = []
        for c in self.calcs:
            Jh = np.zeros((c.x.size, len(self.vary)))
            deferred = []
            for k, name in enumerate(self.vary):
                if self._affects(name, c.hid):
                    pend = []
                    Jh[:, k] = c.column(self.vars[name], self, defer=pend)
                    deferred.extend((k, pname, dqs) for pname, dqs in pend)
            c.apply_deferred(Jh, deferred)
            blocks.append(c.sw[:, None] * Jh)
        J = np.concatenate(blocks, axis=0) if blocks else np.zeros((0, len(self.vary)))
        if not np.all(np.isfinite(J)):
            bad = np.flatnonzero(~np.all(np.isfinite(J), axis=0))
            raise RefinementError("non-finite derivatives for " + ", ".join(self.vary[i] for i in bad))
        return J

    def nobs(self) -> int:
        return int(sum(c.x.size if hasattr(c, "x") else int(limits_mask(c.hd).sum()) for c in self.calcs))

    def sum_wyo2(self):
        """Per-histogram Σ w·yo² (for Rwp) after an evaluation."""
        return [float(np.sum((c.sw * c.yo) ** 2)) for c in self.calcs]


# ===================================================================== driver
def project_variables(project):
    """All variables of a project (:class:`~beamkit.powder.variables.VarSet`)."""
    phases = [(p.id, p.data) for p in project.phases()]
    return collect(phases, [(h.id, h.name, h.data) for h in project.histograms()])


def _constraint_rows(project, vary, vars_):
    """Linear constraints A·x = b on the varied variables, and the held names."""
    cons = project.data.get("Constraints", {}).get("data", {})
    rows, rhs, held = [], [], set()
    index = {n: i for i, n in enumerate(vary)}

    pmap = {p.data.get("ranId"): str(p.id) for p in project.phases()}
    hmap = {h.data["data"][0].get("ranId"): str(h.id) for h in project.histograms()}

    def resolve(name):
        if not isinstance(name, str):          # a GSAS-II G2VarObj from a .gpx (ranIds)
            d = getattr(name, "__dict__", {})
            ph, hi = d.get("phase", ""), d.get("histogram", "")
            ph = pmap.get(ph, "" if ph in ("", None) else str(ph))
            hi = hmap.get(hi, "" if hi in ("", None) else str(hi))
            name = f"{ph}:{hi}:{d.get('name', '')}" + (f":{d['atom']}" if d.get("atom") not in (None, "") else "")
        try:
            return vars_.lookup(name).name
        except Exception:
            return None
    for typ in ("Hist", "HAP", "Phase", "Global"):
        for rec in cons.get(typ, []):
            if not isinstance(rec, list) or len(rec) < 4:
                continue
            kind = rec[-1]
            terms = [(float(m), resolve(v)) for m, v in rec[:-3]]
            if kind == "h":
                held.update(n for _, n in terms if n)
            elif kind == "c":
                a, b = np.zeros(len(vary)), float(rec[-3])
                use = False
                for m, n in terms:
                    if n in index:
                        a[index[n]] += m
                        use = True
                    elif n is not None:
                        b -= m * vars_[n].value
                if use:
                    rows.append(a)
                    rhs.append(b)
            elif kind == "e":
                (m0, n0), rest = terms[0], terms[1:]
                for m, n in rest:
                    a, b = np.zeros(len(vary)), 0.0
                    if n0 in index:
                        a[index[n0]] += m0
                    elif n0 is not None:
                        b -= m0 * vars_[n0].value
                    if n in index:
                        a[index[n]] -= m
                    elif n is not None:
                        b += m * vars_[n].value
                    if np.any(a):
                        rows.append(a)
                        rhs.append(b)
    return (np.array(rows, float).reshape(len(rows), len(vary)), np.array(rhs, float)), held


def refine_project(project, hist_filter=None, quiet: bool = False) -> dict:
    """Refine a project's flagged variables (LM on the normal equations) and store the results.

    Results go to ``project.data['Covariance']['data']`` as GSAS-II keeps them (varyList,
    variables, sig, covMatrix, Rvals, parmDict) and the histograms are recomputed.
    Returns the Rvals dict.  BLAS runs single-threaded meanwhile (see lsq.blas_single_thread).
    """
    from .lsq import blas_single_thread
    with blas_single_thread():
        return _refine_project(project, hist_filter, quiet)


def _refine_project(project, hist_filter=None, quiet: bool = False) -> dict:
    from .lsq import hessian_lsq
    from . import calc as _calc
    ctrl = project.data["Controls"]["data"]
    obj = ProjectObjective(project, hist_filter)
    (A, b), held = _constraint_rows(project, obj.vary, obj.vars)
    vary = [n for n in obj.vary if n not in held]
    if len(vary) != len(obj.vary):
        keep = [i for i, n in enumerate(obj.vary) if n not in held]
        A = A[:, keep] if A.size else A.reshape(0, len(vary))
        obj.vary = vary
    from .restraints import restraint_rows
    rest = restraint_rows(project, obj)
    x0 = obj.values()
    x_begin = x0.copy()
    if A.shape[0]:
        x0 = x0 - np.linalg.pinv(A) @ (A @ x0 - b)      # start on the constraint surface
        # null-space basis that leaves unconstrained variables alone (keeps the scaling sane)
        inv = np.flatnonzero(np.any(A != 0, axis=0))
        free = np.flatnonzero(~np.any(A != 0, axis=0))
        u, s, vt = np.linalg.svd(A[:, inv])
        rank = int(np.sum(s > 1e-10 * max(s.max(), 1e-300)))
        Nb = vt[rank:].T
        N = np.zeros((len(vary), free.size + Nb.shape[1]))
        N[free, np.arange(free.size)] = 1.0
        N[np.ix_(inv, np.arange(free.size, N.shape[1]))] = Nb
    else:
        N = np.eye(len(vary))
    nres = 0 if rest is None else rest.nrows

    def xof(z):
        return x0 + N @ z

    def func(z):
        r = obj.residual(xof(z))
        if rest is not None:
            r = np.concatenate([r, rest.residual()])
        return r

    def jac(z):
        J = obj.jacobian(xof(z))
        if rest is not None:
            J = np.concatenate([J, rest.jacobian(obj.vary)], axis=0)
        return J @ N

    maxcyc = int(ctrl.get("max cyc", 3))
    names = vary if N.shape[1] == len(vary) and np.allclose(N, np.eye(len(vary))) else \
        [vary[int(np.argmax(np.abs(N[:, i])))] if np.count_nonzero(N[:, i]) == 1 else f"constrained combination {i}"
         for i in range(N.shape[1])]
    from ..core.log import progress
    bar = progress(total=maxcyc, desc="refining", disable=quiet or maxcyc == 0)

    def cb(cyc, z, chisq, lam):
        if hasattr(bar, "update"):
            bar.update(1)
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(chi2=f"{chisq:.6g}")
        log.debug("cycle %d: chi2 %.6g lambda %.1e", cyc, chisq, lam)
    kw = dict(jac=jac, xtol=float(ctrl.get("SVDtol", 1e-6)), names=names,
              lamda=float(ctrl.get("Marquardt", -3)),
              shift_factor=float(ctrl.get("shift factor", 1.0)))
    ftol = float(ctrl.get("min dM/M", 1e-3))
    from .lebail import extract, has_lebail
    if has_lebail(project):
        # Le Bail as GSAS-II does it (HessRefine then GetFobsSq): once per cycle, after the
        # derivatives at the current point, the intensities are re-partitioned from the pattern
        # calculated there; the trial step is then judged with the new intensities.  (Extracting
        # before every function evaluation instead converged more slowly: PBSO4.XRA recipe
        # 12.82 % after 8 cycles against 12.54 % this way; GSAS-II 12.43 %.)
        def extract_at(z):
            obj.residual(xof(z))
            for c in obj.calcs:
                extract(c)

        def jac_lb(z):
            J = jac(z)
            extract_at(z)
            return J
        res = hessian_lsq(func, np.zeros(N.shape[1]), ftol=ftol, maxcyc=maxcyc if vary else 0,
                          callback=cb, **dict(kw, jac=jac_lb))
        extract_at(res.x)             # as GSAS-II: a last extraction at the final parameters
    else:
        res = hessian_lsq(func, np.zeros(N.shape[1]), ftol=ftol, maxcyc=maxcyc if vary else 0,
                          callback=cb, **kw)
    if hasattr(bar, "close"):
        bar.close()
    x = xof(res.x)
    obj.set(x)
    nobs = int(sum(c.x.size for c in obj.calcs)) if obj.calcs and hasattr(obj.calcs[0], "x") \
        else int(obj.residual(x, derivs=False).size)
    chisq = float(res.chisq)          # includes the restraint rows
    if has_lebail(project):           # the intensities were re-partitioned at the end
        rf = func(res.x)
        chisq = float(rf @ rf)
    nvars = int(N.shape[1])
    sumw = float(sum(obj.sum_wyo2()))
    gof = float(np.sqrt(chisq / max(nobs + nres - nvars, 1)))
    covx = N @ res.inv_normal @ N.T * gof ** 2
    sig = np.sqrt(np.maximum(np.diag(covx), 0.0))
    if res.diverged:
        log.warning("%s", res.message)
    # GSAS-II's 'Max shft/sig': largest signed (final − starting value)/esd over all cycles
    with np.errstate(divide="ignore", invalid="ignore"):
        ss = np.where(sig > 0, (x - x_begin) / np.where(sig > 0, sig, 1.0), 0.0)
    max_ss = float(np.max(ss)) if ss.size else 0.0
    _calc.compute_project(project, refsets={c.name: c.refsets for c in obj.calcs})
    rvals = {"Rwp": float(100.0 * np.sqrt(chisq / sumw)) if sumw > 0 else 100.0, "GOF": gof,
             "chisq": chisq, "Nobs": nobs, "Nvars": nvars, "lamMax": float(res.lam_max),
             "SVD0": int(res.svd0), "converged": bool(res.converged), "DelChi2": float(res.delchi2),
             "Max shft/sig": max_ss, "ncyc": int(res.ncyc),
             "RestraintTerms": nres}
    if res.diverged:
        rvals["message"] = res.message
        rvals["runaway"] = res.runaway
    cov = project.data["Covariance"].setdefault("data", {})
    cov.update({"varyList": list(vary), "variables": x.tolist(), "sig": sig.tolist(),
                "covMatrix": covx, "Rvals": rvals,
                "parmDict": {n: v.value for n, v in obj.vars.items()},
                "Lastshft": (x - x_begin).tolist(),      # GSAS-II: total shift of this refinement
                "lastShifts": dict(zip(vary, (N @ res.last_shift).tolist())) if res.last_shift is not None else {}})
    log.info("refinement: Rwp %.4f%%  GOF %.4f  chi² %.6g  Nobs %d  Nvars %d  cycles %d",
             rvals["Rwp"], gof, chisq, nobs, nvars, res.ncyc)
    return rvals
