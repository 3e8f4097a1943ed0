"""Refinement-related methods of the powder project classes (GSAS-II scripting names).

P2's ``G2Project``, ``G2PwdrData`` and ``G2Phase`` inherit these mixins.  The
work is done by :mod:`recipes` (set/clear tables), :mod:`derivatives` (the
Rietveld objective and driver), :mod:`lsq` (the minimiser), :mod:`peaks`
(peak fitting, background tools) and :mod:`sequential`.
"""
from __future__ import annotations

import os

import copy

import numpy as np

from ..core.log import get_logger
from ..errors import ParameterError
from . import peaks as _pk
from . import recipes as R

__all__ = ["ProjectRefineMixin", "HistogramRefineMixin", "PhaseRefineMixin", "run_refinement_demo"]

log = get_logger("beamkit.powder.refine")


def _controls(proj) -> dict:
    return proj.data["Controls"]["data"]


def _control_names() -> list:
    from . import params as PP
    return list(PP.SCRIPT_NAMES) + ["parmMin", "parmMax"] + list(PP.TREE["Controls"].children)


# =====================================================================  project
class ProjectRefineMixin:
    """Refinement methods of a G2Project (refine, do_refinements, variables, constraints, controls)."""

    # --- choosing histograms/phases ------------------------------------------
    @staticmethod
    def _pick(selection, every, need):
        """'all'/None -> every(); a list -> each through need(); one item -> [need(item)]."""
        if selection == "all" or selection is None:
            return every()
        if isinstance(selection, (list, tuple)):
            return [need(x) for x in selection]
        return [need(selection)]

    def _pick_hists(self, histogram="all"):
        return self._pick(histogram, self.histograms, self._need_hist)

    def _pick_phases(self, phase="all"):
        return self._pick(phase, self.phases, self._need_phase)

    # --- recipes ---------------------------------------------------------------
    def set_refinement(self, refinement, histogram="all", phase="all"):
        """Apply a 'set' table (or a step dict with set/clear/once) to histograms, phases and HAP entries."""
        if isinstance(refinement, dict) and any(k in refinement for k in ("set", "clear", "once")):
            R.check_step(refinement)
            self._apply_step(refinement, histogram, phase)
            return
        self._apply(refinement, "set", histogram, phase)

    def _apply_step(self, step, histogram, phase):
        """A step's 'set', then 'clear', then 'once' (set now, cleared after the refinement)."""
        for key, mode in (("set", "set"), ("clear", "clear"), ("once", "set")):
            if key in step:
                self._apply(step[key], mode, histogram, phase)

    def clear_refinement(self, refinement, histogram="all", phase="all"):
        """Clear the flags named in a table (the inverse of :meth:`set_refinement`)."""
        self._apply(refinement, "clear", histogram, phase)

    def _apply(self, refs, mode, histogram="all", phase="all"):
        hset, pset, hapset = R.split_refs(refs, mode)
        hists = self._pick_hists(histogram)
        phases = self._pick_phases(phase)
        if "Single xtal" in hset:
            for sk in R._flag_list(hset.pop("Single xtal"), "Single xtal"):
                R.check_key(sk, R.HIST_KEYS["Single xtal"], "Single xtal")
            log.info("'Single xtal' ignored: this project has no single-crystal histograms")
        for h in hists:
            if hset:
                h.set_refinements(hset) if mode == "set" else h.clear_refinements(hset)
        for p in phases:
            if pset:
                p.set_refinements(pset) if mode == "set" else p.clear_refinements(pset)
            if hapset:
                names = [h.name for h in hists]
                p._hap_apply(hapset, mode, [n for n in names if n in p.data["Histograms"]])

    def iter_refinements(self, refinements, histogram="all", phase="all", outputnames=None,
                         makeBack=False):
        """Run the steps of a recipe one by one, yielding the project after each."""
        if outputnames is not None and len(outputnames) != len(refinements):
            raise ParameterError("outputnames", f"{len(refinements)} names (one per step)", outputnames)
        for i, step in enumerate(refinements):
            R.check_step(step, i)
        for i, step in enumerate(refinements):
            hist = step.get("histograms", histogram)
            ph = step.get("phases", phase)
            if outputnames:
                self.filename = str(outputnames[i])
            self._apply_step(step, hist, ph)
            if "output" in step:
                self.filename = str(step["output"])
            if "skip" not in step:
                self.refine(makeBack=makeBack)
            yield self
            if "once" in step:
                self._apply(step["once"], "clear", hist, ph)
            if "call" in step:
                fn = step["call"]
                if isinstance(fn, str):
                    fn = getattr(self, fn, None)
                    if not callable(fn):
                        raise ParameterError(f"refinements[{i}].call", "a callable or a project method name",
                                             step["call"])
                args = step.get("callargs", [self])
                fn(*args)

    def do_refinements(self, refinements=None, histogram="all", phase="all", outputnames=None,
                       makeBack=False):
        """Run a recipe (a list of step dicts); ``None`` or ``[{}]`` computes once.  Returns the project."""
        if refinements is None:
            refinements = [{}]
        for _ in self.iter_refinements(refinements, histogram, phase, outputnames, makeBack):
            pass
        return self

    def refine(self, newfile=None, printFile=None, makeBack=False):
        """Refine the flagged variables (or run the sequential fit when set up); saves when named.

        Like GSAS-II, a refinement writes its listing to ``printFile`` or ``<project>.lst``."""
        from .derivatives import refine_project
        if newfile:
            self.filename = str(newfile)
        ctrl = _controls(self)
        if ctrl.get("Seq Data"):
            from .sequential import run_sequential
            run_sequential(self)
        else:
            import time
            from . import listing
            head = listing.settings_text(self)
            t0 = time.perf_counter()
            refine_project(self)
            lst = printFile or (os.path.splitext(self.filename)[0] + ".lst" if self.filename else None)
            if lst:
                listing.write_lst(self, lst, head, time.perf_counter() - t0)
        if self.filename:
            self.save()
        return None

    def seqref(self):
        """The results of the last sequential refinement (G2SeqRefRes), or None."""
        from .sequential import G2SeqRefRes
        d = self.data.get("Sequential results", {}).get("data")
        return G2SeqRefRes(d, self) if d else None

    # --- results -------------------------------------------------------------
    def _cov(self) -> dict:
        return self.data["Covariance"].setdefault("data", {})

    def get_VaryList(self):
        """Names of the variables refined in the last refinement (None before one)."""
        return self._cov().get("varyList")

    def get_Variable(self, var):
        """(value, esd) of a variable; esd None when it was not refined.  (Works, unlike GSAS-II's.)

        Atom positions may be named ``p::Ax:i`` or ``p::dAx:i``; the value is the coordinate itself
        (GSAS-II reports the last shift under ``dAx``).
        """
        from .derivatives import project_variables
        vs = project_variables(self)
        v = vs.lookup(var)
        cov = self._cov()
        vl = cov.get("varyList", [])
        esd = None
        if v.name in vl and "sig" in cov:
            esd = float(cov["sig"][vl.index(v.name)])
        return (v.value, esd)

    def get_Covariance(self, varList):
        """(values, covariance matrix) of the named variables; rows of unrefined ones are zero."""
        from .derivatives import project_variables
        vs = project_variables(self)
        vals = [vs.lookup(v).value for v in varList]
        cov = self._cov()
        vl = cov.get("varyList", [])
        M = np.asarray(cov.get("covMatrix", np.zeros((0, 0))))
        idx = [vl.index(vs.lookup(v).name) if vs.lookup(v).name in vl else None for v in varList]
        out = np.zeros((len(varList), len(varList)))
        for a, ia in enumerate(idx):
            for b, ib in enumerate(idx):
                if ia is not None and ib is not None:
                    out[a, b] = M[ia, ib]
        return vals, out

    def ComputeWorstFit(self):
        """Unrefined variables ranked by the χ² drop one cycle would give: [(name, fractional drop)]."""
        from .derivatives import ProjectObjective
        obj = ProjectObjective(self)
        names = [n for n, v in obj.vars.items() if not v.refined() and not n.split(":")[2].startswith("A")]
        if not names:
            return []
        obj.vary = names
        r = obj.residual(obj.values())
        J = obj.jacobian(obj.values())
        chi = float(r @ r)
        g = J.T @ r
        d = np.einsum("ij,ij->j", J, J)
        drop = np.where(d > 0, g * g / np.where(d > 0, d, 1.0), 0.0) / chi
        order = np.argsort(-drop)
        return [(names[i], float(drop[i])) for i in order if drop[i] > 0]

    # --- controls --------------------------------------------------------------
    def get_Controls(self, control, variable=None):
        """A refinement control: 'cycles', 'sequential', 'seqCopy', 'Reverse Seq', 'parmMin'/'parmMax'
        (``variable`` picks one), 'parmFrozen', or any key of :data:`beamkit.powder.params.TREE`'s
        Controls under GSAS-II's own name ('max cyc', 'min dM/M', 'shift factor', 'SVDtol', …)."""
        from . import params as PP
        c = _controls(self)
        if control in ("parmMin", "parmMax"):
            d = c.get(control + "Dict", {})
            return d.get(variable) if variable else d
        key = PP.SCRIPT_NAMES.get(control, control)
        if key in PP.TREE["Controls"].children:
            return c.get(key, PP.control_default(key))
        raise ParameterError("control", "'cycles', 'sequential', 'seqCopy', 'Reverse Seq', 'parmMin', "
                             "'parmMax' or a Controls key" + R._dym(control, _control_names()), control)

    def set_Controls(self, control, value, variable=None):
        """Set 'cycles', 'sequential' (histograms), 'seqCopy', 'Reverse Seq', 'parmMin'/'parmMax'
        (with ``variable``), 'seq scheduler' (a Dask address/Client for independent sequential fits),
        or any Controls key by GSAS-II's name ('max cyc', 'min dM/M', 'shift factor', 'SVDtol',
        'deriv type', …).  Values are checked on :data:`beamkit.powder.params.TREE`; a bad one raises
        ParameterError naming the control and its allowed range or choices."""
        from . import params as PP
        c = _controls(self)
        if control in ("parmMin", "parmMax"):
            if variable is None:
                raise ParameterError(control, "a variable name", None)
            from .variables import split_name
            split_name(str(variable))
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(value):
                raise ParameterError(control, "a finite number", value)
            c.setdefault(control + "Dict", {})[str(variable)] = float(value)
            return
        key = PP.SCRIPT_NAMES.get(control, control)
        if key not in PP.TREE["Controls"].children or key in ("parmMinDict", "parmMaxDict", "parmFrozen"):
            raise ParameterError("control", "'cycles', 'sequential', 'seqCopy', 'Reverse Seq', 'parmMin', "
                                 "'parmMax' or a Controls key" + R._dym(control, _control_names()), control)
        if key == "Seq Data":
            value = [self._need_hist(h).name for h in value]
        elif key == "seq scheduler" and value is not None and not isinstance(value, str):
            c[key] = value              # a dask.distributed Client object
            return
        if isinstance(value, np.generic):
            value = value.item()
        PP.check_control(key, value)
        c[key] = value

    # --- constraints -----------------------------------------------------------
    def _add_constr(self, kind, items, total=None, vary=None):
        from .variables import split_name
        for _, v in items:
            split_name(v)
        p, h, _, _ = split_name(items[0][1])
        typ = "HAP" if p and h else ("Phase" if p else "Hist")
        rec = [[float(m), str(v)] for m, v in items] + [total, vary, kind]
        self.data["Constraints"]["data"].setdefault(typ, []).append(rec)
        return rec

    def add_HoldConstr(self, varlist, reloadIdx=True, override=False):
        """Hold each variable in ``varlist`` fixed."""
        return [self._add_constr("h", [[1.0, v]]) for v in varlist]

    def add_EquivConstr(self, varlist, multlist=[], reloadIdx=True, override=False):
        """Make the variables equivalent: m₁·v₁ = mⱼ·vⱼ (multipliers default to 1)."""
        if len(varlist) < 2:
            raise ParameterError("varlist", "two or more variables", varlist)
        mult = list(multlist) or [1.0] * len(varlist)
        if len(mult) != len(varlist):
            raise ParameterError("multlist", f"{len(varlist)} multipliers", multlist)
        return self._add_constr("e", list(zip(mult, varlist)))

    def add_EqnConstr(self, total, varlist, multlist=[], reloadIdx=True, override=False):
        """Constrain Σ mᵢ·vᵢ = total."""
        mult = list(multlist) or [1.0] * len(varlist)
        if len(mult) != len(varlist):
            raise ParameterError("multlist", f"{len(varlist)} multipliers", multlist)
        return self._add_constr("c", list(zip(mult, varlist)), float(total))

    def add_NewVarConstr(self, varlist, multlist=[], name=None, vary=False, reloadIdx=True, override=False):
        """Define a new variable Σ mᵢ·vᵢ (stored; refined variables are not re-expressed through it)."""
        mult = list(multlist) or [1.0] * len(varlist)
        return self._add_constr("f", list(zip(mult, varlist)), name, bool(vary))

    # --- copying histogram settings ------------------------------------------------
    def copyHistParms(self, sourcehist, targethistlist="all", modelist="all"):
        """Copy background ('b'), instrument ('i'), limits ('l') and sample ('s') settings to other histograms."""
        src = self._need_hist(sourcehist)
        targets = self.histograms() if targethistlist == "all" else [self._need_hist(h) for h in targethistlist]
        modes = ["b", "i", "l", "s"] if modelist == "all" else [str(m).lower()[0] for m in modelist]
        keys = {"b": "Background", "i": "Instrument Parameters", "l": "Limits", "s": "Sample Parameters"}
        for m in modes:
            R.check_key(m, list(keys), "modelist")
        for t in targets:
            if t.name == src.name:
                continue
            for m in modes:
                k = keys[m]
                if m == "l":
                    t.data[k][1] = list(src.data[k][1])
                elif m == "s":
                    for sk, sv in src.data[k].items():
                        if isinstance(sv, list) and len(sv) == 2 and sk not in ("Materials",):
                            t.data[k][sk] = copy.deepcopy(sv)
                else:
                    t.data[k] = copy.deepcopy(src.data[k])


# =====================================================================  histogram
class HistogramRefineMixin:
    """Refinement methods of a G2PwdrData histogram (flags, peaks, background tools)."""

    def set_refinements(self, refs):
        """Set histogram refinement flags/values (Limits, Sample/Instrument Parameters, Background)."""
        R.apply_hist(self.data, refs, "set", fit_fixed_points=self.fit_fixed_points)

    def clear_refinements(self, refs):
        """Clear the histogram flags named in ``refs``."""
        R.apply_hist(self.data, refs, "clear")

    # --- peaks ---------------------------------------------------------------
    def add_peak(self, area, dspace=None, Q=None, ttheta=None):
        """Add a peak at d, Q or 2θ (CW) with widths from the instrument; returns the new peak row."""
        return _pk.add_peak(self.data, area, dspace=dspace, Q=Q, ttheta=ttheta)

    def set_peakFlags(self, peaklist=None, area=None, pos=None, sig=None, gam=None, alp=None, bet=None):
        """Set refine flags of peaks (all, or the indices in ``peaklist``)."""
        _pk.set_peak_flags(self.data, peaklist, area=area, pos=pos, sig=sig, gam=gam, alp=alp, bet=bet)

    def refine_peaks(self, mode="useIP"):
        """Fit the peak list and background; returns the fit summary (Rwp, GOF = χ²/(N−P), sigDict…)."""
        return _pk.do_peak_fit(self.data, _controls(self.proj), mode=mode)

    def Export_peaks(self, filename):
        """Write the peak list as a text table (correct d esds, unlike GSAS-II)."""
        return _pk.export_peaks(self.data, self.name, filename)

    # --- background ---------------------------------------------------------
    def add_back_peak(self, pos, int, sig, gam, refflags=[]):
        """Add a background peak (pos °, int, sig centideg², gam centideg) with refine flags [pos, int, sig, gam]."""
        fl = list(refflags) + [False] * (4 - len(refflags))
        extra = self.data["Background"][1]
        extra.setdefault("peaksList", []).append([float(pos), bool(fl[0]), float(int), bool(fl[1]),
                                                  float(sig), bool(fl[2]), float(gam), bool(fl[3])])
        extra["nPeaks"] = len(extra["peaksList"])

    def del_back_peak(self, peaknum):
        """Remove background peak ``peaknum``."""
        extra = self.data["Background"][1]
        pl = extra.get("peaksList", [])
        if not 0 <= int(peaknum) < len(pl):
            raise ParameterError("peaknum", f"a background-peak index 0..{len(pl) - 1}", peaknum)
        del pl[int(peaknum)]
        extra["nPeaks"] = len(pl)

    def ref_back_peak(self, peaknum, refflags=[]):
        """Set refine flags [pos, int, sig, gam] of background peak ``peaknum`` (missing ones False)."""
        pl = self.data["Background"][1].get("peaksList", [])
        if not 0 <= int(peaknum) < len(pl):
            raise ParameterError("peaknum", f"a background-peak index 0..{len(pl) - 1}", peaknum)
        fl = list(refflags) + [False] * (4 - len(refflags))
        for j in range(4):
            pl[int(peaknum)][2 * j + 1] = bool(fl[j])

    def set_background(self, key, value):
        """Set a background histogram ('background PWDR', name or None) or its multiplier ('BF mult')."""
        ent = self.data["Background"][1].setdefault("background PWDR", ["", 1.0, False])
        if key == "background PWDR":
            ent[0] = "" if value is None else getattr(value, "name", str(value))
        elif key == "BF mult":
            ent[1] = float(value)
        elif key == "refine":
            ent[2] = bool(value)
        else:
            R.check_key(key, ["background PWDR", "BF mult", "refine"], "set_background")

    def calc_autobkg(self, opt=0, logLam=None):
        """Estimate the background with pybaselines (arpls; iarpls when opt=1) and set fixed points."""
        from .peaks import auto_background
        return auto_background(self.data, opt=opt, logLam=logLam)

    def fit_fixed_points(self):
        """Fit the background terms (and flagged background peaks) to the fixed points."""
        from .peaks import fit_fixed_points
        return fit_fixed_points(self.data, _controls(self.proj))


# =====================================================================  phase
_HAP_VALUE_KEYS = ("Scale", "Size", "Mustrain", "HStrain", "Pref.Ori.", "Extinction", "Babinet",
                   "Use", "LeBail", "Show", "Layer Disp")


def _set_sh_order(po: list, order: int, general: dict) -> None:
    """Switch a HAP 'Pref.Ori.' entry to spherical harmonics of ``order`` (even, >= 0).

    The coefficient dict becomes the Laue class's C(l,n) up to that order; values already
    there are kept, new ones start at 0.
    """
    from . import texture
    from .crystal import space_group
    from .model import sg_name
    if order < 0 or order % 2:
        raise ParameterError("PO", "an even spherical-harmonics order >= 0 (or a float March-Dollase ratio)",
                             order)
    names = texture.sh_coeff_names(texture.laue_class(space_group(sg_name(general["SGData"])))[0], order)
    old = po[5] if isinstance(po[5], dict) else {}
    po[0] = "SH"
    po[4] = order
    po[5] = {n: float(old.get(n, 0.0)) for n in names}


class PhaseRefineMixin:
    """Refinement methods of a G2Phase (flags, HAP entries, sample profiles, restraints)."""

    def set_refinements(self, refs):
        """Set phase flags: Cell, Atoms {label|'all': 'FXU'}, LeBail."""
        R.apply_phase(self.data, refs, "set")

    def clear_refinements(self, refs):
        """Clear phase flags named in ``refs``."""
        R.apply_phase(self.data, refs, "clear")

    def _hist_names(self, histograms):
        hs = self.data["Histograms"]
        if histograms == "all" or histograms is None:
            return list(hs)
        if not isinstance(histograms, (list, tuple)):
            histograms = [histograms]
        out = []
        for h in histograms:
            name = self.proj._need_hist(h).name if not (isinstance(h, str) and h in hs) else h
            if name not in hs:
                raise ParameterError("histograms", f"a histogram linked to phase {self.name!r}", name)
            out.append(name)
        return out

    def _hap_apply(self, refs, mode, names):
        for n in names:
            R.apply_hap(self.data["Histograms"][n], refs, mode)

    def set_HAP_refinements(self, refs, histograms="all"):
        """Set HAP flags (Scale, Size, Mustrain, HStrain, Pref.Ori., Extinction, Babinet, Use, Show, LeBail)."""
        R.split_refs(refs, "HAP")
        for k in refs:
            R.check_key(k, R.HAP_KEYS, "HAP")
        self._hap_apply(refs, "set", self._hist_names(histograms))

    def clear_HAP_refinements(self, refs, histograms="all"):
        """Clear HAP flags named in ``refs``."""
        for k in refs:
            R.check_key(k, R.HAP_KEYS, "HAP")
        self._hap_apply(refs, "clear", self._hist_names(histograms))

    def getHAPvalues(self, histname):
        """The HAP dict of this phase for one histogram (a live reference)."""
        return self.data["Histograms"][self._hist_names([histname])[0]]

    def copyHAPvalues(self, sourcehist, targethistlist="all", skip=[], use=None):
        """Copy HAP values/flags from one histogram to others of this phase (``skip``/``use`` pick keys)."""
        src = self.getHAPvalues(sourcehist)
        keys = [k for k in src if k not in ("Histogram",)]
        if use:
            keys = [k for k in keys if k in use]
        keys = [k for k in keys if k not in skip]
        sname = self._hist_names([sourcehist])[0]
        for t in self._hist_names(targethistlist):
            if t == sname:
                continue
            for k in keys:
                self.data["Histograms"][t][k] = copy.deepcopy(src[k])

    def HAPvalue(self, param=None, newValue=None, targethistlist="all"):
        """Read (newValue None) or set one HAP value: 'Scale', 'Use', 'Extinction', 'POratio', 'PO', 'LeBail'…

        'PO' with an int selects spherical-harmonic preferred orientation of that (even) order,
        keeping the coefficients already set; with a float, March–Dollase with that ratio.
        """
        names = self._hist_names(targethistlist)
        alias = {"PO": "Pref.Ori.", "POratio": "Pref.Ori."}
        key = alias.get(param, param)
        R.check_key(key, list(_HAP_VALUE_KEYS), "HAPvalue")
        out = {}
        for n in names:
            hap = self.data["Histograms"][n]
            ent = hap[key]
            if newValue is None:
                if param == "POratio":
                    out[n] = ent[1]
                elif isinstance(ent, list) and key in ("Scale", "Extinction", "Layer Disp"):
                    out[n] = ent[0]
                else:
                    out[n] = ent
                continue
            if param == "POratio":
                ent[1] = float(newValue)
            elif param == "PO":
                if isinstance(newValue, (int, np.integer)) and not isinstance(newValue, bool):
                    _set_sh_order(ent, int(newValue), self.data["General"])
                else:
                    ent[0] = "MD"
                    ent[1] = float(newValue)
            elif key in ("Scale", "Extinction", "Layer Disp"):
                ent[0] = float(newValue)
            elif key in ("Use", "LeBail", "Show"):
                hap[key] = bool(newValue)
            else:
                hap[key] = copy.deepcopy(newValue)
        if newValue is None:
            return out[names[0]] if len(names) == 1 else out
        return None

    def setSampleProfile(self, histname, parmType, mode, val1, val2=None, axis=None, LGmix=None):
        """Set size ('size') or microstrain ('microstrain') broadening: mode 'isotropic' or 'uniaxial'."""
        hap = self.getHAPvalues(histname)
        key = {"size": "Size", "microstrain": "Mustrain", "mustrain": "Mustrain"}.get(str(parmType).lower())
        if key is None:
            raise ParameterError("parmType", "'size' or 'microstrain'", parmType)
        R.check_key(mode, ["isotropic", "uniaxial"], "mode")
        ent = hap[key]
        ent[0] = mode
        ent[1][0] = float(val1)
        if mode == "uniaxial":
            if val2 is None:
                raise ParameterError("val2", "the axial value for the uniaxial model", None)
            ent[1][1] = float(val2)
            if axis is not None:
                ent[3] = [int(v) for v in axis]
        if LGmix is not None:
            ent[1][2] = float(LGmix)

    # --- restraints -------------------------------------------------------------
    def addDistRestraint(self, origin, target, bond, factor=1.1, ESD=0.01):
        """Add bond-distance restraints between atoms of types/labels ``origin`` and ``target`` near ``bond`` Å."""
        from .restraints import add_distance_restraints
        return add_distance_restraints(self.proj, self, origin, target, bond, factor, ESD)

    def clearDistRestraint(self):
        """Remove this phase's bond-distance restraints."""
        from .restraints import clear_distance_restraints
        clear_distance_restraints(self.proj, self)

    def setDistRestraintWeight(self, factor=1):
        """Set the weight factor of this phase's bond-distance restraints."""
        from .restraints import restraint_block
        restraint_block(self.proj, self)["wtFactor"] = float(factor)


def run_refinement_demo(outdir) -> dict:
    """Demo: simulate a noisy NaCl Cu Kα pattern (shipped data), perturb the model, refine it back, plot.

    Writes ``NaCl_refined.gpx``, its listing ``.lst`` and ``NaCl_refined.png`` in ``outdir``; returns the starting and final
    Rwp, the refined cell (true a = 5.6402 Å) and the file names.  Meant for ``beamkit demo``.
    """
    from pathlib import Path
    from . import G2Project
    data = Path(__file__).with_name("data")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    gpx = G2Project(newgpx=str(out / "NaCl_refined.gpx"))
    ph = gpx.add_phase(str(data / "NaCl.cif"), phasename="NaCl", fmthint="CIF")
    h = gpx.add_simulated_powder_histogram("NaCl CuKa", str(data / "lab_CuKa.instprm"), 15.0, 120.0,
                                           Tstep=0.02, phases=[ph], scale=1000.0, noise_seed=7)
    h.data["Background"][0][:] = ["chebyschev-1", False, 3, 150.0, -60.0, 20.0]
    gpx.compute()                                   # fills y_obs with Poisson-like noise
    true_a = ph.data["General"]["Cell"][1]
    # perturbed start: cell +0.3 %, scale ×1.5, flat background, broader Gaussian width
    cell = ph.data["General"]["Cell"]
    cell[1:4] = [c * 1.003 for c in cell[1:4]]
    cell[7] = cell[1] * cell[2] * cell[3]
    h.data["Sample Parameters"]["Scale"][0] *= 1.5
    h.data["Background"][0][3:6] = [100.0, 0.0, 0.0]
    h.data["Instrument Parameters"][0]["W"][1] += 3.0
    gpx.set_Controls("cycles", 0)
    gpx.do_refinements([{}])
    rwp0 = gpx.data["Covariance"]["data"]["Rvals"]["Rwp"]
    gpx.set_Controls("cycles", 10)
    gpx.do_refinements([{"set": {"Background": {"refine": True}}},
                        {"set": {"Cell": True}},
                        {"set": {"Instrument Parameters": ["W"], "Atoms": {"all": "U"}}}])
    rv = gpx.data["Covariance"]["data"]["Rvals"]
    png = h.plot(str(out / "NaCl_refined.png"))
    a, esd = gpx.get_Variable("0::A0")
    return {"project": gpx.filename, "png": png, "lst": os.path.splitext(gpx.filename)[0] + ".lst",
            "Rwp_start": float(rwp0), "Rwp_final": float(rv["Rwp"]),
            "GOF": float(rv["GOF"]), "cell_a": float(ph.data["General"]["Cell"][1]), "true_a": float(true_a)}
