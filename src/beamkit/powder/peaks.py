"""Single-peak fitting of powder patterns (GSAS-II's DoPeakFit): the CW model, the fit driver,
the peak-list helpers and the background tools.  The TOF model is :mod:`beamkit.powder.peaks_tof`.

The model inside the limits is background (Chebyshev/power/cosine terms plus
background peaks) + Σ peaks, each peak an FCJ-asymmetric TCH pseudo-Voigt
(``profile_cw.fcj_voigt``, unit area per centidegree) with its Kα2 companion
when the instrument has Lam1/Lam2.  A peak row is GSAS-II's
``[pos, flag, int, flag, sig, flag, gam, flag]`` (pos in 2θ °, int in
counts·centideg, sig centideg², gam centideg).  With mode 'useIP' an
unrefined sig/gam follows the instrument's U, V, W / X, Y, Z at the peak.

Derivatives are analytic; :func:`numeric_jacobian` is the finite-difference
fallback (tests compare the two).  Parity with GSAS-II (default ``parity=True``):
GSAS-II's peak-fit Jacobian leaves out the position/width derivatives of the
Kα2 companion peak (only its intensity term is kept).  Since the minimiser stops
at ``min dM/M``, that changes where it stops; with the same Jacobian the FAP.XRA
documentation fit lands on GSAS-II's numbers (pos 1e-4°, areas 0.1 %), with the
exact Jacobian it goes on to a lower χ² (GOF 1.593 instead of 1.616).  Results follow GSAS-II: Rwp =
100·sqrt(χ²/Σw·y²), and the peak fitter's "GOF" is χ²/(N−P) (quirk 6; its
square root is given as ``GOF_sqrt``); esds are sqrt(diag((JᵀJ)⁻¹)·χ²/(N−P)).
"""
from __future__ import annotations

import numpy as np

from ..core.log import get_logger
from ..errors import ParameterError, RefinementError
from .lsq import hessian_lsq

__all__ = ["cw_sig", "cw_gam", "PeakModel", "do_peak_fit", "add_peak", "set_peak_flags",
           "export_peaks", "numeric_jacobian", "background_terms", "auto_background",
           "default_loglam", "fit_fixed_points"]

log = get_logger("beamkit.powder.peaks")
_INST_VARY = ("U", "V", "W", "X", "Y", "Z", "SH/L")


def _iv(inst: dict, key, default=0.0) -> float:
    v = inst.get(key)
    if v is None:
        return default
    return float(v[1] if isinstance(v, (list, tuple)) else v)


def cw_sig(inst: dict, tth) -> np.ndarray:
    """Gaussian variance U·tan²θ + V·tanθ + W (centideg²) at 2θ (degrees)."""
    t = np.tan(np.radians(np.asarray(tth, float) / 2.0))
    return _iv(inst, "U") * t * t + _iv(inst, "V") * t + _iv(inst, "W")


def cw_gam(inst: dict, tth) -> np.ndarray:
    """Lorentzian FWHM X/cosθ + Y·tanθ + Z (centideg) at 2θ (degrees)."""
    th = np.radians(np.asarray(tth, float) / 2.0)
    return _iv(inst, "X") / np.cos(th) + _iv(inst, "Y") * np.tan(th) + _iv(inst, "Z")


# ------------------------------------------------------------- background
def background_terms(kind: str, x: np.ndarray, n: int) -> np.ndarray:
    """Design matrix (N, n) of GSAS-II's polynomial background types on in-limit x.

    x is normalised to x′ ∈ [−1, 1] over its first and last points.  Types:
    'chebyschev-1' (T_n(x′)), 'chebyschev' (x′ⁿ), 'cosine' (cos(π·x·n/x_N), x in degrees).
    """
    x = np.asarray(x, float)
    if n == 0 or x.size == 0:
        return np.zeros((x.size, n))
    span = x[-1] - x[0] if x[-1] != x[0] else 1.0
    xp = -1.0 + 2.0 * (x - x[0]) / span
    k = np.arange(n)
    if kind == "chebyschev-1":
        return np.cos(k[None, :] * np.arccos(np.clip(xp, -1, 1))[:, None])
    if kind == "chebyschev":
        return xp[:, None] ** k[None, :]
    if kind == "cosine":
        return np.cos(np.pi * x[:, None] * k[None, :] / x[-1])
    raise ParameterError("Background.type", "'chebyschev-1', 'chebyschev' or 'cosine' for peak fitting", kind)


# ------------------------------------------------------------- the model
def _ragged(starts, stops):
    """Flat (row, column) index pairs of the ranges [starts[i], stops[i])."""
    lengths = np.maximum(stops - starts, 0)
    rows = np.repeat(np.arange(lengths.size), lengths)
    offs = np.cumsum(lengths) - lengths
    cols = starts[rows] + (np.arange(rows.size) - offs[rows])
    return rows, cols


class PeakModel:
    """Background + peaks on the in-limit points of one CW histogram, with parameter bookkeeping.

    ``params``: ordered names (Back;i, BkPk*;i, pos{i}, int{i}, sig{i}, gam{i}, U, V, …);
    ``vary``: the refined subset.  ``evaluate(p, jac=True)`` returns ycalc (and J).
    """

    PEAK_KEYS = ("pos", "int", "sig", "gam")     #: value/flag pairs of a peak row
    INST_VARY = _INST_VARY                        #: instrument terms the peak fit may refine
    TOF = False

    def __init__(self, x, y, w, inst: dict, background: list, peaks: list, mode: str = "useIP",
                 parity: bool = True):
        typ = str(_iv_str(inst, "Type"))
        if ("T" in typ[2:]) != self.TOF:
            want = "a TOF" if self.TOF else "a CW"
            raise ParameterError("Instrument Parameters.Type", f"{want} histogram for this peak model", typ)
        self.x = np.asarray(x, float)
        self.y = np.asarray(y, float)
        self.w = np.asarray(w, float)
        self.inst = inst
        if mode not in ("useIP", "hold", "LSQ"):
            raise ParameterError("mode", "'useIP' or 'hold'", mode)
        self.mode = mode
        self.parity = parity
        bk, extra = background
        self.bktype = bk[0]
        self.nback = int(bk[2])
        self.bkmat = background_terms(self.bktype, self.x, self.nback)
        self.bkpeaks = extra.get("peaksList", []) if isinstance(extra, dict) else []
        self.peaks = peaks
        names, vals, vary = [], [], []
        for i in range(self.nback):
            names.append(f"Back;{i}")
            vals.append(float(bk[3 + i]))
            vary.append(bool(bk[1]))
        for i, row in enumerate(self.bkpeaks):
            for j, nm in enumerate(("BkPkpos", "BkPkint", "BkPksig", "BkPkgam")):
                names.append(f"{nm};{i}")
                vals.append(float(row[2 * j]))
                vary.append(bool(row[2 * j + 1]))
        for i, row in enumerate(peaks):
            if len(row) != 2 * len(self.PEAK_KEYS):
                raise ParameterError(f"Peak List.peaks[{i}]", f"{2 * len(self.PEAK_KEYS)} entries "
                                     f"({', '.join(self.PEAK_KEYS)} with flags)", row)
            for j, nm in enumerate(self.PEAK_KEYS):
                names.append(f"{nm}{i}")
                vals.append(float(row[2 * j]))
                vary.append(bool(row[2 * j + 1]))
        for k in self.INST_VARY:
            if k in inst:
                names.append(k)
                vals.append(_iv(inst, k))
                vary.append(bool(inst[k][2]) if isinstance(inst[k], (list, tuple)) else False)
        self.names = names
        self.p0 = np.array(vals, float)
        self.vary = [n for n, v in zip(names, vary) if v]
        self.index = {n: i for i, n in enumerate(names)}
        self._setup()

    def _setup(self):
        """CW: the Kα2 companion (wavelength ratio shift and intensity ratio)."""
        inst = self.inst
        self.lam1 = _iv(inst, "Lam1", _iv(inst, "Lam", 0.0))
        self.ka2 = "Lam1" in inst and "Lam2" in inst
        if self.ka2:
            lam2 = _iv(inst, "Lam2")
            self.lam_ratio = 360.0 * (lam2 - self.lam1) / (np.pi * self.lam1)
            self.kratio = _iv(inst, "I(L2)/I(L1)", 0.5)

    # parameter access ----------------------------------------------------
    def _get(self, p, name):
        return p[self.index[name]]

    def peak_value(self, p, pos, i, key):
        """Value of ``key`` of peak i: its own for pos/int, else the width it is fitted with."""
        if key in ("pos", "int"):
            return p[self.index[f"{key}{i}"]]
        return self._widths(p, pos, i, key)[0]

    def _widths(self, p, pos, i, key):
        """sig or gam of peak i: its own value, or the instrument's (mode useIP, unrefined)."""
        nm = f"{key}{i}"
        if nm in self.vary or self.mode != "useIP":
            return p[self.index[nm]], None
        tth = pos - _iv(self.inst, "Zero")
        th = np.radians(tth / 2.0)
        t, c = np.tan(th), np.cos(th)
        ip = {k: (p[self.index[k]] if k in self.index else _iv(self.inst, k)) for k in ("U", "V", "W", "X", "Y", "Z")}
        if key == "sig":
            return ip["U"] * t * t + ip["V"] * t + ip["W"], {"U": t * t, "V": t, "W": 1.0}
        return ip["X"] / c + ip["Y"] * t + ip["Z"], {"X": 1.0 / c, "Y": t, "Z": 1.0}

    def components(self, p):
        """Per-profile-component arrays: (param-row index, pos, int scale, sig, gam, dpos/dpos0, width info)."""
        comps = []
        shl = max(self._get(p, "SH/L") if "SH/L" in self.index else _iv(self.inst, "SH/L", 0.002), 0.002)
        for i, row in enumerate(self.bkpeaks):
            pos, inten = p[self.index[f"BkPkpos;{i}"]], p[self.index[f"BkPkint;{i}"]]
            sig = max(p[self.index[f"BkPksig;{i}"]], 0.001)
            gam = max(p[self.index[f"BkPkgam;{i}"]], 0.001)
            comps.append((f"BkPk;{i}", pos, inten, 1.0, sig, gam, 1.0, None, None))
        for i in range(len(self.peaks)):
            pos, inten = p[self.index[f"pos{i}"]], p[self.index[f"int{i}"]]
            sig, dsig = self._widths(p, pos, i, "sig")
            gam, dgam = self._widths(p, pos, i, "gam")
            sig, gam = max(sig, 0.001), max(gam, 0.001)
            comps.append((str(i), pos, inten, 1.0, sig, gam, 1.0, dsig, dgam))
            if self.ka2:
                pos2 = pos + self.lam_ratio * np.tan(np.radians(pos / 2.0))
                dp2 = 1.0 + self.lam_ratio * (np.pi / 360.0) / np.cos(np.radians(pos / 2.0)) ** 2
                comps.append((str(i), pos2, inten, self.kratio, sig, gam, dp2, dsig, dgam))
        return comps, shl

    def _background(self, p, jac):
        """(background on x, J with its Back;i columns filled or None, {varied name: column})."""
        yb = self.bkmat @ p[:self.nback] if self.nback else np.zeros_like(self.x)
        J = np.zeros((self.x.size, len(self.vary))) if jac else None
        col = {n: k for k, n in enumerate(self.vary)}
        if jac:
            for i in range(self.nback):
                if f"Back;{i}" in col:
                    J[:, col[f"Back;{i}"]] = self.bkmat[:, i]
        return yb, J, col

    def evaluate(self, p, jac: bool = False):
        """ycalc on the in-limit points; with ``jac`` also J = dycalc/dp[vary] (N, nvary)."""
        p = np.asarray(p, float)
        x = self.x
        yb, J, col = self._background(p, jac)
        yc = yb.copy()
        comps, shl = self.components(p)
        if comps:
            from .profile_cw import cw_peak_window, fcj_voigt
            pos = np.array([c[1] for c in comps])
            inten = np.array([c[2] * c[3] for c in comps])
            sig = np.array([c[4] for c in comps])
            gam = np.array([c[5] for c in comps])
            below, above = cw_peak_window(pos, sig, gam, shl)
            starts = np.searchsorted(x, pos - below)
            stops = np.searchsorted(x, pos + above)
            rows, cols = _ragged(starts, stops)
            out = fcj_voigt(x[cols] - pos[rows], pos[rows], sig[rows], gam[rows], shl, derivs=jac)
            P = out[0] if jac else out
            yc += np.bincount(cols, weights=inten[rows] * P, minlength=x.size)
            if jac:
                _, dpos, dsig, dgam, dshl = out
                raw = p[self.index["SH/L"]] if "SH/L" in self.index else shl
                if raw < 0.002:
                    dshl = np.zeros_like(dshl)      # the floor max(SH/L, 0.002) is active
                self._fill_jac(J, col, comps, rows, cols, P, dpos, dsig, dgam, dshl, inten)
        self.ybkg = yb
        return (yc, J) if jac else yc

    def _fill_jac(self, J, col, comps, rows, cols, P, dpos, dsig, dgam, dshl, inten):
        """Accumulate dycalc/dparam into J from the flat (point, component) pairs, vectorised.

        Per component only the column index and multiplier of each term are tabulated;
        the pairs are summed with one bincount per term.
        """
        n, ncol = J.shape
        nc = len(comps)
        terms = {q: (np.full(nc, -1), np.zeros(nc)) for q in
                 ("pos", "int", "sig", "gam", "shl", "U", "V", "W", "X", "Y", "Z")}

        def put(q, k, name, mult):
            if name in col:
                terms[q][0][k] = col[name]
                terms[q][1][k] = mult
        for k, (tag, pos, i0, scale, sig, gam, dp2, dsg, dgm) in enumerate(comps):
            sc = inten[k]
            if tag.startswith("BkPk"):
                i = tag.split(";")[1]
                put("pos", k, f"BkPkpos;{i}", sc)
                put("int", k, f"BkPkint;{i}", scale)
                put("sig", k, f"BkPksig;{i}", sc)
                put("gam", k, f"BkPkgam;{i}", sc)
                continue
            put("int", k, f"int{tag}", scale)
            if self.parity and scale != 1.0:
                continue    # GSAS-II's peak-fit Jacobian has no shape terms for the Kα2 peak
            put("pos", k, f"pos{tag}", sc * dp2)
            if dsg is None:
                put("sig", k, f"sig{tag}", sc)
            else:
                for key, d in dsg.items():
                    put(key, k, key, sc * d)
            if dgm is None:
                put("gam", k, f"gam{tag}", sc)
            else:
                for key, d in dgm.items():
                    put(key, k, key, sc * d)
            put("shl", k, "SH/L", sc)
        quantity = {"pos": dpos, "int": P, "sig": dsig, "gam": dgam, "shl": dshl,
                    "U": dsig, "V": dsig, "W": dsig, "X": dgam, "Y": dgam, "Z": dgam}
        flat = J.reshape(-1)
        for q, (cidx, mult) in terms.items():
            c = cidx[rows]
            ok = c >= 0
            if not ok.any():
                continue
            flat += np.bincount(cols[ok] * ncol + c[ok], weights=(mult[rows] * quantity[q])[ok],
                                minlength=n * ncol)

    def store(self, hist, p) -> None:
        """Write the fitted values back into the histogram's background, peak list and instrument."""
        bk = hist["Background"][0]
        for i in range(self.nback):
            bk[3 + i] = float(p[self.index[f"Back;{i}"]])
        for i, row in enumerate(self.bkpeaks):
            for j, nm in enumerate(("BkPkpos", "BkPkint", "BkPksig", "BkPkgam")):
                row[2 * j] = float(p[self.index[f"{nm};{i}"]])
        for i, row in enumerate(self.peaks):
            pos = float(p[self.index[f"pos{i}"]])
            for j, key in enumerate(self.PEAK_KEYS):
                row[2 * j] = float(self.peak_value(p, pos, i, key))
        inst = self.inst
        for k in self.INST_VARY:
            if k in self.index and isinstance(inst.get(k), list):
                inst[k][1] = float(p[self.index[k]])

    def full(self, pv):
        """All parameter values with the varied ones replaced by ``pv``."""
        p = self.p0.copy()
        for n, v in zip(self.vary, pv):
            p[self.index[n]] = v
        return p


def make_peak_model(x, y, w, inst: dict, background: list, peaks: list, mode: str = "useIP",
                    parity: bool = True) -> PeakModel:
    """The peak model for the histogram's type: :class:`PeakModel` (CW) or
    :class:`beamkit.powder.peaks_tof.TOFPeakModel` (TOF)."""
    if "T" in str(_iv_str(inst, "Type"))[2:]:
        from .peaks_tof import TOFPeakModel
        return TOFPeakModel(x, y, w, inst, background, peaks, mode, parity)
    return PeakModel(x, y, w, inst, background, peaks, mode, parity)


def _iv_str(inst, key):
    v = inst.get(key, ["", "", 0])
    return v[1] if isinstance(v, (list, tuple)) else v


def numeric_jacobian(model: PeakModel, pv, rel: float = 1e-6) -> np.ndarray:
    """Central-difference J = dycalc/dp[vary] (the fallback; tests compare it with the analytic one)."""
    pv = np.asarray(pv, float)
    J = np.zeros((model.x.size, pv.size))
    for k in range(pv.size):
        h = rel * max(abs(pv[k]), 1e-3)
        a, b = pv.copy(), pv.copy()
        a[k] += h
        b[k] -= h
        J[:, k] = (model.evaluate(model.full(a)) - model.evaluate(model.full(b))) / (2 * h)
    return J


# ------------------------------------------------------------- fitting
def _in_limits(x, limits):
    lo, hi = limits
    b = int(np.searchsorted(x, lo))
    e = int(np.searchsorted(x, hi, side="right"))
    return b, e


def _pinv_normal(J):
    """(JᵀJ)⁻¹ by SVD pseudo-inverse in the diagonally normalised space."""
    from .lsq import pinv_svd
    A = J.T @ J
    d = np.sqrt(np.abs(np.diag(A)))
    d = np.where(d > 0, d, 1.0)
    B, _ = pinv_svd(A / np.outer(d, d), 1e-10)
    return B / np.outer(d, d)


def do_peak_fit(hist: dict, controls: dict | None = None, mode: str = "useIP", data=None,
                maxcyc: int = 200, numeric: bool = False, engine: str = "leastsq",
                parity: bool = True, peaks=None) -> dict:
    """Fit the histogram's peak list and background; updates the dicts in place.

    data: optional (x, y, w) to fit instead of the histogram's points (fixed-point fits);
    peaks: a peak list to use instead of the histogram's (``[]`` for background only).
    engine: 'leastsq' (MINPACK, GSAS-II's choice: same stopping rule, so the same numbers)
    or 'hessian' (:func:`beamkit.powder.lsq.hessian_lsq`); parity: GSAS-II's Jacobian (module doc).
    Returns {'Rwp', 'GOF' (χ²/(N−P)), 'GOF_sqrt', 'chisq', 'Nobs', 'Nvars', 'sigDict',
    'varyList', 'converged', 'ncyc'}; the same esds go to hist['Peak List']['sigDict'].
    """
    controls = controls or {}
    ftol = float(controls.get("min dM/M", 1e-4))
    inst = hist["Instrument Parameters"][0]
    lim = hist["Limits"][1]
    if data is None:
        x, y, w = (np.asarray(a, float) for a in hist["data"][1][:3])
        wt = float(hist["data"][0].get("wtFactor", 1.0))
    else:
        x, y, w = (np.asarray(a, float) for a in data)
        wt = 1.0
    b, e = _in_limits(x, lim)
    if e - b < 2:
        raise ParameterError("Limits", "a range holding at least two data points", lim)
    peaks = hist["Peak List"]["peaks"] if peaks is None else peaks
    model = make_peak_model(x[b:e], y[b:e], w[b:e] * wt, inst, hist["Background"], peaks, mode, parity)
    sw = np.sqrt(np.maximum(model.w, 0.0))
    p0 = np.array([model.p0[model.index[n]] for n in model.vary])

    def func(pv):
        return sw * (model.y - model.evaluate(model.full(pv)))

    def jac(pv):
        if numeric:
            return sw[:, None] * numeric_jacobian(model, pv)
        return sw[:, None] * model.evaluate(model.full(pv), jac=True)[1]

    nobs = int(np.count_nonzero(sw > 0))
    nv = len(model.vary)
    converged, ncyc, message = True, 0, ""
    if nv and engine == "leastsq":
        # GSAS-II's DoPeakFit: MINPACK Levenberg-Marquardt, ftol = min dM/M, analytic Dfun
        from scipy.optimize import leastsq
        with np.errstate(all="ignore"):
            xb, covx, info, msg, ier = leastsq(func, p0, Dfun=lambda pv: -jac(pv), full_output=True,
                                               ftol=ftol, maxfev=maxcyc * (nv + 1))
        fvec = info["fvec"]
        chisq = float(np.sum(fvec ** 2))
        ncyc = int(info["nfev"]) // 2
        converged, message = ier in (1, 2, 3, 4), str(msg)
        J = jac(xb)
        inv = _pinv_normal(J)
    else:
        res = hessian_lsq(func, p0, jac=jac, ftol=ftol, maxcyc=maxcyc if nv else 0,
                          names=model.vary, nobs=nobs)
        xb, chisq, inv = res.x, res.chisq, res.inv_normal
        converged, ncyc, message = res.converged, res.ncyc, res.message
    if not np.all(np.isfinite(xb)) or not np.isfinite(chisq):
        raise RefinementError("peak fit diverged (non-finite parameters); peak list left unchanged")
    pfull = model.full(xb)
    gof = chisq / max(nobs - nv, 1)
    sig = np.sqrt(np.maximum(np.diag(inv), 0.0) * gof) if nv else np.zeros(0)
    sigdict = dict(zip(model.vary, sig.tolist()))
    model.store(hist, pfull)
    yc = model.evaluate(pfull)
    if data is None:
        arrs = hist["data"][1]
        for k in (3, 4, 5):
            arrs[k] = np.asarray(arrs[k], float)
        arrs[3][:] = 0.0
        arrs[4][:] = 0.0
        arrs[5][:] = 0.0
        arrs[3][b:e] = yc
        arrs[4][b:e] = model.ybkg
        arrs[5][b:e] = model.y - yc
    if peaks is hist.get("Peak List", {}).get("peaks"):
        hist["Peak List"]["sigDict"] = sigdict
    rwp = 100.0 * np.sqrt(chisq / np.sum(model.w * model.y ** 2))
    out = {"Rwp": float(rwp), "GOF": float(gof), "GOF_sqrt": float(np.sqrt(gof)), "chisq": float(chisq),
           "Nobs": nobs, "Nvars": nv, "sigDict": sigdict, "varyList": list(model.vary),
           "converged": converged, "ncyc": ncyc, "message": message}
    log.info("peak fit: Rwp=%.3f%%  Nobs=%d  Nparm=%d  Npeaks=%d", rwp, nobs, nv, len(peaks))
    return out


# ------------------------------------------------------------- peak list helpers
def add_peak(hist: dict, area: float, dspace=None, Q=None, ttheta=None) -> list:
    """Append a peak at d (Å), Q (Å⁻¹) or 2θ (°, CW only) with widths from the instrument; returns it.

    CW rows are ``[pos, F, area, T, sig, F, gam, F]``; TOF rows ``[pos, F, area, T, alp, F, bet, F,
    sig, F, gam, F]`` (pos in µs from difC, difA, difB, Zero).  The area flag starts on, as in GSAS-II.
    """
    given = [v is not None and v is not False for v in (dspace, Q, ttheta)]
    if sum(given) != 1:
        raise ParameterError("add_peak", "exactly one of dspace, Q or ttheta", (dspace, Q, ttheta))
    inst = hist["Instrument Parameters"][0]
    typ = str(_iv_str(inst, "Type"))
    if Q is not None:
        if not float(Q) > 0:
            raise ParameterError("Q", "a positive Q in Å⁻¹", Q)
        dspace = 2 * np.pi / float(Q)
    if dspace is not None and not float(dspace) > 0:
        raise ParameterError("dspace", "a positive d-spacing in Å", dspace)
    if "T" in typ[2:]:
        if ttheta is not None:
            raise ParameterError("ttheta", "dspace or Q for a TOF histogram", ttheta)
        from .corrections import tof_position
        from .peaks_tof import tof_peak_row
        pos = tof_position(float(dspace), _iv(inst, "difC"), _iv(inst, "difA"), _iv(inst, "difB"), _iv(inst, "Zero"))
        row = tof_peak_row(inst, float(pos), area)
    else:
        if dspace is not None:
            lam = _iv(inst, "Lam1", _iv(inst, "Lam", 0.0))
            s = lam / (2.0 * float(dspace))
            if not 0 < s < 1:
                raise ParameterError("dspace", f"a d-spacing above λ/2 = {lam / 2:.4f} Å", dspace)
            ttheta = 2.0 * np.degrees(np.arcsin(s)) + _iv(inst, "Zero")
        tth = float(ttheta)
        row = [tth, False, float(area), True, float(cw_sig(inst, tth)), False, float(cw_gam(inst, tth)), False]
    pl = hist.setdefault("Peak List", {"peaks": [], "sigDict": {}})
    pl["sigDict"] = {}            # no longer valid
    pl["peaks"].append(row)
    return row


def set_peak_flags(hist: dict, peaklist=None, area=None, pos=None, sig=None, gam=None,
                   alp=None, bet=None) -> None:
    """Set refine flags of the peaks (all, or the indices in ``peaklist``); None leaves a flag as is.

    ``alp`` and ``bet`` exist for TOF peaks only (GSAS-II ignores them for CW)."""
    peaks = hist["Peak List"]["peaks"]
    tof = "T" in str(_iv_str(hist["Instrument Parameters"][0], "Type"))[2:]
    slots = ((pos, 1), (area, 3), (alp, 5), (bet, 7), (sig, 9), (gam, 11)) if tof else \
        ((pos, 1), (area, 3), (sig, 5), (gam, 7))
    idx = range(len(peaks)) if peaklist is None else list(peaklist)
    for i in idx:
        if not 0 <= int(i) < len(peaks):
            raise ParameterError("peaklist", f"peak indices 0..{len(peaks) - 1}", i)
        for f, j in slots:
            if f is not None:
                peaks[int(i)][j] = bool(f)


def export_peaks(hist: dict, name: str, filename) -> str:
    """Write the peak list as GSAS-II's text table.

    CW: pos, d, esd(d), int, σ °, γ °, FWHM °; unlike GSAS-II (quirk 5) esd(d) = ½·esd(2θ)[rad]·d/tanθ.
    TOF: pos µs, d, esd(d), int, alp, bet, sig µs², gam µs, FWHM µs (TCH FWHM + ln2·(α+β)/(αβ),
    GSAS-II's formula); esd(d) = esd(pos)/(dTOF/dd), where GSAS-II converts the esd as if it
    were a time of flight.
    """
    from ..core.files import atomic_write
    from .profile_cw import fwhm_cw
    inst = hist["Instrument Parameters"][0]
    tof = "T" in str(_iv_str(inst, "Type"))[2:]
    sigd = hist["Peak List"].get("sigDict", {})
    lines = [f"#{name} Peak List \n"]
    rows = hist["Peak List"]["peaks"]
    if tof:
        from .calc_terms import tof_d_from_pos
        from .corrections import tof_position
        from .profile_tof import fwhm_tof
        lines.append("#%9s %10s %10s %12s %10s %10s %10s %10s %10s\n"
                     % ("pos", "dsp", "esd", "int", "alp", "bet", "sig", "gam", "FWHM"))
        for i, (pos, _, inten, _, alp, _, bet, _, sig, _, gam, _) in enumerate(rows):
            d = float(tof_d_from_pos(pos, inst))
            slope = tof_position(d, _iv(inst, "difC"), _iv(inst, "difA"), _iv(inst, "difB"), derivs=True)[1]["d"]
            esd = sigd.get(f"pos{i}", 0.0) / slope
            fw = float(fwhm_tof(sig, gam)) + (alp + bet) * np.log(2.0) / (alp * bet)
            lines.append(f"{pos:10.2f} {d:10.5f} {esd:10.5f} {inten:12.2f} {alp:10.3f} {bet:10.3f} "
                         f"{sig:10.3f} {gam:10.3f} {fw:10.3f}\n")
    else:
        lam = _iv(inst, "Lam1", _iv(inst, "Lam", 0.0))
        zero = _iv(inst, "Zero")
        lines += [f"#wavelength = {lam:10.6f}\n",
                  "#      pos        dsp        esd          int        sig        gam       FWHM\n"]
        for i, (pos, _, inten, _, sig, _, gam, _) in enumerate(rows):
            th = np.radians((pos - zero) / 2.0)
            d = lam / (2.0 * np.sin(th))
            esd = 0.5 * np.radians(sigd.get(f"pos{i}", 0.0)) * d / np.tan(th)
            fw = float(fwhm_cw(sig, gam))
            lines.append(f"{pos:10.4f} {d:10.5f} {esd:10.5f} {inten:12.2f} {np.sqrt(max(sig, 0)) / 100:10.5f} "
                         f"{gam / 100:10.5f} {fw:10.5f} \n")
    with atomic_write(filename, "w") as fh:
        fh.writelines(lines)
    return str(filename)


# ------------------------------------------------------------- background tools
def default_loglam(npts: int) -> float:
    """GSAS-II's default log10(λ) for the auto-background: min(10, (int(10·log10(n)^1.5) − 9.5)/10)."""
    return min(10.0, (int(10 * np.log10(npts) ** 1.5) - 9.5) / 10.0)


def auto_background(hist: dict, opt: int = 0, logLam=None) -> list:
    """Background by pybaselines' Whittaker arpls (opt 0) or iarpls (opt 1), λ = int(10**logLam),
    10 iterations; sets every (npts//100)-th point as a fixed point.  Returns the fixed points.
    """
    from pybaselines import whittaker
    x, y = (np.asarray(a, float) for a in hist["data"][1][:2])
    npts = x.size
    if npts < 100:
        raise ParameterError("data", "at least 100 points for the auto-background", npts)
    extra = hist["Background"][1]
    prms = extra.setdefault("autoPrms", {})
    if logLam is not None:
        prms["logLam"] = float(logLam)
    elif "logLam" not in prms:
        prms["logLam"] = default_loglam(npts)
    if opt not in (0, 1):
        raise ParameterError("opt", "0 (arpls) or 1 (iarpls)", opt)
    prms["opt"] = int(opt)
    func = whittaker.arpls if opt == 0 else whittaker.iarpls
    bkg = func(y, lam=int(10 ** prms["logLam"]), max_iter=10)[0]
    step = npts // 100
    extra["FixedPoints"] = [[float(a), float(b)] for a, b in zip(x[::step], bkg[::step])]
    return extra["FixedPoints"]


def fit_fixed_points(hist: dict, controls: dict | None = None) -> dict:
    """Fit the background terms and flagged background peaks to the fixed points (weights 1).

    The fixed points are sorted, extended flat to the limits and interpolated onto the
    in-limit data points; no diffraction peaks take part.
    """
    extra = hist["Background"][1]
    pts = sorted(extra.get("FixedPoints", []), key=lambda p: p[0])
    if len(pts) < 2:
        raise ParameterError("Background.FixedPoints", "at least two fixed points", len(pts))
    extra["FixedPoints"] = [list(p) for p in pts]
    X = [p[0] for p in pts]
    Y = [p[1] for p in pts]
    lo, hi = hist["Limits"][1]
    if X[0] > lo:
        X, Y = [lo] + X, [Y[0]] + Y
    if X[-1] < hi:
        X, Y = X + [hi], Y + [Y[-1]]
    x = np.asarray(hist["data"][1][0], float)
    b, e = int(np.searchsorted(x, lo)), int(np.searchsorted(x, hi))
    xd = x[b:e]
    yd = np.interp(xd, X, Y)
    return do_peak_fit(hist, controls, mode="LSQ", data=(xd, yd, np.ones_like(xd)), peaks=[])
