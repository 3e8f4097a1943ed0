"""Single-peak fitting of TOF powder patterns (the TOF branch of GSAS-II's DoPeakFit).

A TOF peak row is GSAS-II's ``[pos, flag, int, flag, alp, flag, bet, flag, sig, flag, gam, flag]``:
pos in µs, int in counts·µs, alp and bet in 1/µs, sig the Gaussian variance in µs², gam the
Lorentzian FWHM in µs.  Each peak is the back-to-back-exponential pseudo-Voigt of
:func:`beamkit.powder.profile_tof.tof_profile` (unit area).  With mode 'useIP' an unrefined
width follows the instrument at d = (pos − Zero)/difC, as GSAS-II does:
α = alpha/d, β = beta-0 + beta-1/d⁴ + beta-q/d², σ² = sig-0 + sig-1·d² + sig-2·d⁴ + sig-q·d,
γ = X·d + Y·d² + Z; those instrument terms can then be refined.  GSAS-II's floors apply
(α ≥ 0.1, β ≥ 10⁻⁴, γ ≥ 0.001; the derivative is zero where a floor is active).  Background
peaks use the same profile with α = β = 1.  Derivatives are analytic (tested against
:func:`beamkit.powder.peaks.numeric_jacobian`).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .peaks import PeakModel, _iv, _ragged
from .profile_tof import tof_alpha_beta, tof_peak_window, tof_profile, tof_sig_gam

__all__ = ["TOFPeakModel", "TOF_INST_VARY", "tof_peak_row", "tof_d"]

#: instrument terms a TOF peak fit may refine (GSAS-II's list)
TOF_INST_VARY = ("alpha", "beta-0", "beta-1", "beta-q", "sig-0", "sig-1", "sig-2", "sig-q", "X", "Y", "Z")
_FLOOR = {"alp": 0.1, "bet": 1e-4, "gam": 1e-3}


def tof_d(inst: dict, pos) -> np.ndarray:
    """GSAS-II's d for the peak widths: (pos − Zero)/difC (Å; pos in µs)."""
    difc = _iv(inst, "difC")
    if not difc > 0:
        raise ParameterError("Instrument Parameters.difC", "a positive difC (µs/Å)", difc)
    return (np.asarray(pos, float) - _iv(inst, "Zero")) / difc


def _inst_widths(inst_value, d, derivs=False):
    """(alp, bet, sig, gam) of the instrument at d, with {term: (width, dwidth/dterm)} if asked."""
    g = inst_value
    a, b, dab = tof_alpha_beta(d, g("alpha"), g("beta-0"), g("beta-1"), g("beta-q"), derivs=True)
    s, gm, dsg = tof_sig_gam(d, g("sig-0"), g("sig-1"), g("sig-2"), g("sig-q"), g("X"), g("Y"), g("Z"),
                             derivs=True)
    if not derivs:
        return a, b, s, gm
    dep = {"alp": {"alpha": dab["alpha"]},
           "bet": {k: dab[k] for k in ("beta-0", "beta-1", "beta-q")},
           "sig": {k: dsg[k] for k in ("sig-0", "sig-1", "sig-2", "sig-q")},
           "gam": {k: dsg[k] for k in ("X", "Y", "Z")}}
    return (a, b, s, gm), dep


def tof_peak_row(inst: dict, pos: float, area: float) -> list:
    """A new TOF peak row at ``pos`` (µs): widths from the instrument at d = pos/difC (GSAS-II's
    setPeakparms), area flag on, the others off."""
    d = float(pos) / _iv(inst, "difC")
    a, b, s, g = (float(v) for v in _inst_widths(lambda k: _iv(inst, k), d))
    return [float(pos), False, float(area), True, a, False, b, False, s, False, g, False]


class TOFPeakModel(PeakModel):
    """Background + TOF peaks on the in-limit points of one TOF histogram (see module doc)."""

    PEAK_KEYS = ("pos", "int", "alp", "bet", "sig", "gam")
    INST_VARY = TOF_INST_VARY
    TOF = True

    def _setup(self):
        tof_d(self.inst, 0.0)          # checks difC

    def _ip(self, p):
        """Current instrument value getter (refined values from p)."""
        return lambda k: p[self.index[k]] if k in self.index else _iv(self.inst, k)

    def _width(self, p, i, key, inst_val, inst_dep):
        """(value, {column: d value/d column}) of width ``key`` of peak i."""
        nm = f"{key}{i}"
        if nm in self.vary or self.mode != "useIP":
            v, dep = p[self.index[nm]], {nm: 1.0}
        else:
            v, dep = inst_val, inst_dep
        floor = _FLOOR.get(key)
        if floor is not None and v < floor:
            return floor, {}
        return v, dep

    def peak_value(self, p, pos, i, key):
        if key in ("pos", "int"):
            return p[self.index[f"{key}{i}"]]
        vals, dep = _inst_widths(self._ip(p), tof_d(self.inst, pos), derivs=True)
        j = ("alp", "bet", "sig", "gam").index(key)
        return self._width(p, i, key, float(vals[j]), dep[key])[0]

    def components(self, p):
        """Per component: (pos, int, alp, bet, sig, gam, {column: (quantity, multiplier)})."""
        comps = []
        for i in range(len(self.bkpeaks)):
            g = {k: p[self.index[f"BkPk{k};{i}"]] for k in ("pos", "int", "sig", "gam")}
            sig, gam = max(g["sig"], 1e-3), max(g["gam"], 1e-3)
            cols = {f"BkPkpos;{i}": ("pos", g["int"]), f"BkPkint;{i}": ("int", 1.0),
                    f"BkPksig;{i}": ("sig", g["int"]), f"BkPkgam;{i}": ("gam", g["int"])}
            comps.append((g["pos"], g["int"], 1.0, 1.0, sig, gam, cols))
        ip = self._ip(p)
        for i in range(len(self.peaks)):
            pos, inten = p[self.index[f"pos{i}"]], p[self.index[f"int{i}"]]
            vals, dep = _inst_widths(ip, tof_d(self.inst, pos), derivs=True)
            cols = {f"pos{i}": ("pos", inten), f"int{i}": ("int", 1.0)}
            w = []
            for key, v in zip(("alp", "bet", "sig", "gam"), vals):
                val, dv = self._width(p, i, key, float(v), {k: float(x) for k, x in dep[key].items()})
                w.append(val)
                for name, mult in dv.items():
                    cols[name] = (key, inten * mult)
            comps.append((pos, inten, *w, cols))
        return comps

    def evaluate(self, p, jac: bool = False):
        """ycalc on the in-limit points; with ``jac`` also J = dycalc/dp[vary] (N, nvary)."""
        p = np.asarray(p, float)
        x = self.x
        yb, J, col = self._background(p, jac)
        yc = yb.copy()
        comps = self.components(p)
        if comps:
            pos, inten, alp, bet, sig, gam = (np.array([c[k] for c in comps], float) for k in range(6))
            sig = np.maximum(sig, 1e-6)
            below, above = tof_peak_window(pos, alp, bet, sig, gam)
            rows, cols = _ragged(np.searchsorted(x, pos - below), np.searchsorted(x, pos + above))
            out = tof_profile(x[cols] - pos[rows], alp[rows], bet[rows], sig[rows], gam[rows], derivs=jac)
            P = out[0] if jac else out
            yc += np.bincount(cols, weights=inten[rows] * P, minlength=x.size)
            if jac:
                quantity = dict(zip(("int", "pos", "alp", "bet", "sig", "gam"), out))
                self._fill_jac_tof(J, col, comps, rows, cols, quantity)
        self.ybkg = yb
        return (yc, J) if jac else yc

    @staticmethod
    def _fill_jac_tof(J, col, comps, rows, cols, quantity):
        """J[:, c] = Σ over (point, component) pairs of multiplier·∂P/∂quantity, one bincount per column."""
        n = J.shape[0]
        per_col = {}
        for k, comp in enumerate(comps):
            for name, (q, mult) in comp[6].items():
                if name in col:
                    per_col.setdefault(name, [q, np.zeros(len(comps))])[1][k] += mult
        for name, (q, mult) in per_col.items():
            m = mult[rows]
            ok = m != 0
            J[:, col[name]] += np.bincount(cols[ok], weights=(m * quantity[q])[ok], minlength=n)
