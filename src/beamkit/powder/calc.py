"""Glue from the project's dicts to the physics: y_calc, background, reflection lists, residuals.

:func:`pattern_from_dicts` takes a GSAS-II histogram dict and the phase dicts
linked to it and returns ``dict(ycalc, ybkg, reflists={phase: {...arrays}})`` on
the in-limit x values; :func:`compute_histogram` does that for a project
histogram and stores the results as GSAS-II does ('data' arrays, 'Reflection
Lists', residuals in ``data[0]``).  No Python loop over reflections or points.
For a phase in LeBail mode (HAP 'LeBail' True) the Fc² column of the stored
reflection list is used when its hkl match (the extracted intensities);
otherwise Fc² comes from the structure (the starting intensities).
"""
from __future__ import annotations

import numpy as np

from ..core.log import get_logger
from ..errors import ParameterError
from . import calc_terms as T
from .histogram import limits_mask
from .model import flat_inst, sg_name

_log = get_logger("beamkit.powder")

__all__ = ["pattern_from_dicts", "compute_histogram", "compute_project", "residuals", "sum_peaks",
           "background_from_dict", "background_peaks", "REFLIST_COLUMNS_CW", "REFLIST_COLUMNS_TOF", "reflist_array"]

REFLIST_COLUMNS_CW = ("h", "k", "l", "mult", "d", "pos", "sig", "gam", "Fo2", "Fc2", "phase", "Icorr",
                      "Prfo", "Trans", "ExtP")
REFLIST_COLUMNS_TOF = ("h", "k", "l", "mult", "d", "pos", "sig", "gam", "Fo2", "Fc2", "phase", "Icorr",
                       "alp", "bet", "Prfo", "Trans", "ExtP")


# ------------------------------------------------------------------ peak sums
def sum_peaks(x, pos, lo, hi, intensity, profile):
    """Σ_k I_k·profile_k(x) over each peak's window [pos−lo, pos+hi] (x sorted ascending).

    ``profile(dx, k)`` gets flat offsets x−pos and peak indices and returns values.
    Returns (y, (pt, peak, vals)) — the flat pairs are kept for Fo² extraction.
    """
    x = np.asarray(x, float)
    pos = np.asarray(pos, float)
    i0 = np.searchsorted(x, pos - lo)
    i1 = np.searchsorted(x, pos + hi)
    cnt = np.maximum(i1 - i0, 0)
    total = int(cnt.sum())
    n = len(x)
    if total == 0:
        return np.zeros(n), (np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    peak = np.repeat(np.arange(len(pos)), cnt)
    start = np.cumsum(cnt) - cnt
    pt = np.arange(total) - np.repeat(start, cnt) + np.repeat(i0, cnt)
    vals = profile(x[pt] - pos[peak], peak) * np.asarray(intensity, float)[peak]
    return np.bincount(pt, vals, minlength=n), (pt, peak, vals)


# ------------------------------------------------------------------ background
def background_from_dict(bkg, x, inst=None):
    """Background on the in-limit x from a GSAS-II 'Background' entry: function, Debye terms, peaks."""
    head, extra = bkg[0], bkg[1] if len(bkg) > 1 else {}
    kind, n = head[0], int(head[2])
    coeffs = np.asarray(head[3:3 + n], float)
    x = np.asarray(x, float)
    if len(x) == 0:
        return np.zeros(0)
    debye = extra.get("debyeTerms", [])[:int(extra.get("nDebye", 0))] if extra else []
    peaks = extra.get("peaksList", [])[:int(extra.get("nPeaks", 0))] if extra else []
    return T.background_function(kind, coeffs, x, inst, debye) + background_peaks(peaks, x, inst)


def background_peaks(peaks, x, inst):
    """Σ int·profile of background peaks [pos, f, int, f, sig, f, gam, f] (CW: FCJ with SH/L; TOF: α = β = 1)."""
    if not len(peaks) or inst is None:
        return np.zeros(len(x))
    P = np.array([[float(p[0]), float(p[2]), float(p[4]), float(p[6])] for p in peaks])
    pos, inten, sig, gam = P.T
    sig = np.maximum(sig, 0.01)
    gam = np.maximum(gam, 0.1)
    fi = flat_inst(inst)
    cols = {"pos": pos, "sig": sig, "gam": gam, "alp": np.ones(len(pos)), "bet": np.ones(len(pos))}
    typ = fi["Type"]
    shl = max(float(fi.get("SH/L", 0.002)), 0.002)
    lo, hi = _windows(cols, typ, shl)
    prof = _tof_profile(cols) if typ[2] == "T" else _cw_profile(cols, shl)
    return sum_peaks(x, pos, lo, hi, inten, prof)[0]


# ------------------------------------------------------------------ one phase
_CACHE: dict = {}
_CACHE_SIZE = 32


def _cached(key, compute):
    """Memo of the reflection list / structure factors of one phase, keyed on every input.

    A refinement's derivative columns of profile, background and instrument parameters
    recompute the reflection quantities with the cell and atoms unchanged; this skips the hkl
    generation and the structure factors then.  Callers copy what they may modify.
    """
    hit = _CACHE.pop(key, None)
    if hit is None:
        hit = compute()
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = hit                      # most recently used last
    return hit


def gsas_reflection_set(phase, inst, limits):
    """GSAS-II's reflection set of a phase in a constant-wavelength histogram, or None for TOF.

    As GSASIIstrIO.GetHistogramPhaseData builds it when a refinement starts: the phase's cell
    without the histogram's Dij, d ≥ λ/(2·sin(hi/2)) (λ = Lam or Lam1), and only reflections with
    lo < 2·asin(λ/2d) + Zero < hi.  GSAS-II keeps this set for the whole refinement, however the
    cell, Dij or sample displacement move the peaks.  Returns dict(hkl (n, 3), mult (n,)).
    """
    from .crystal import cell_to_A, generate_reflections, space_group
    fi = flat_inst(inst)
    if fi["Type"][2] == "T":
        return None
    gen = phase["General"]
    sgn = sg_name(gen["SGData"])
    A = cell_to_A(gen["Cell"][1:7])
    lam = float(fi.get("Lam", fi.get("Lam1")))
    lo, hi = float(limits[0]), float(limits[1])
    dmin = lam / (2.0 * np.sin(np.radians(min(hi, 179.9) / 2.0)))
    refl = _cached(("refl", sgn, np.asarray(A, float).tobytes(), float(dmin), np.inf),
                   lambda: generate_reflections(A, space_group(sgn), dmin, np.inf))
    pos0 = 2.0 * np.degrees(np.arcsin(np.clip(lam / (2.0 * refl["d"]), -1.0, 1.0))) + float(fi.get("Zero", 0.0))
    keep = (pos0 > lo) & (pos0 < hi)
    return {"hkl": refl["hkl"][keep].copy(), "mult": refl["mult"][keep].copy()}


def _phase_reflections(phase, hap, inst, sample, typ, xlo, xhi, x, limits, prev=None, hkl_set=None):
    """Reflection columns of one phase in one histogram -> (cols, space group).

    cols: hkl, mult, d, pos, sig, gam, (alp, bet), Fc², phase angle, Icorr (intensity per unit
    Fc²) from the phase, HAP, instrument and sample dicts; ``x`` is unused (kept for callers).
    CW: the reflections are ``hkl_set`` (a refinement's fixed set, :func:`gsas_reflection_set`)
    or, when None, GSAS-II's set for the current parameters; their d from the cell with Dij.
    """
    from .broadening import cw_factors, tof_factors
    from .corrections import (cw_position, debye_scherrer_geometry, lorentz_cw, lorentz_tof, polarization,
                              tof_position)
    from .profile_tof import tof_alpha_beta, tof_sig_gam
    from .crystal import (A_to_Gstar, cell_to_A, d_spacing, dij_to_dA, generate_reflections, laue_operators,
                          space_group)
    from .scattering import scattering_factors
    from .structure_factor import structure_factors

    gen = phase["General"]
    sg = space_group(sg_name(gen["SGData"]))
    A = cell_to_A(gen["Cell"][1:7])
    A = A + dij_to_dA(sg, hap["HStrain"][0])
    Gstar = A_to_Gstar(A)
    tof = typ[2] == "T"
    if tof:
        dmin = max(T.tof_d_from_pos(max(limits[0], xlo), inst), 0.05)
        dmax = float(T.tof_d_from_pos(min(limits[1], xhi), inst))
        rkey = (sg_name(gen["SGData"]), np.asarray(A, float).tobytes(), float(dmin), float(dmax))
        refl = _cached(("refl",) + rkey, lambda: generate_reflections(A, sg, dmin, dmax))
        hkl, d, mult = refl["hkl"].copy(), refl["d"].copy(), refl["mult"].copy()
    else:
        if hkl_set is None:
            hkl_set = gsas_reflection_set(phase, inst, limits)
        hkl, mult = hkl_set["hkl"].copy(), hkl_set["mult"].copy()
        d = d_spacing(hkl, A) if len(hkl) else np.zeros(0)
        rkey = (sg_name(gen["SGData"]), np.asarray(A, float).tobytes(), hkl.tobytes())
    m = len(d)
    cols = {"h": hkl[:, 0], "k": hkl[:, 1], "l": hkl[:, 2], "mult": mult.astype(float), "d": d}
    if m == 0:
        return cols, None
    atoms = phase["Atoms"]
    cx, ct, cs, cia = gen["AtomPtrs"]
    types = [a[ct] for a in atoms]
    xyz = np.array([a[cx:cx + 3] for a in atoms], float).reshape(-1, 3)
    frac = np.array([a[cx + 3] for a in atoms], float)
    amult = np.array([a[cs + 1] for a in atoms], float)
    aniso = np.array([a[cia] == "A" for a in atoms], bool)
    uiso = np.array([a[cia + 1] for a in atoms], float)
    uij = np.array([a[cia + 2:cia + 8] for a in atoms], float).reshape(-1, 6)
    radiation = "neutron" if typ[1] == "N" else "xray"
    wave = None if tof else flat_inst(inst).get("Lam", flat_inst(inst).get("Lam1"))
    if len(atoms):
        def _fc2():
            f, fp, fpp = scattering_factors(types, d, radiation, wavelength=wave)
            sf = structure_factors(hkl, A, sg, xyz, frac, amult, uiso, f, fp, fpp, uaniso=uij, aniso=aniso)
            return np.asarray(sf["Fc2"], float), np.asarray(sf["phase"], float)
        skey = rkey + (tuple(types), radiation, wave) + tuple(
            a.tobytes() for a in (xyz, frac, amult, aniso, uiso, uij))
        Fc2, phs = (a.copy() for a in _cached(("sf",) + skey, _fc2))
    else:
        Fc2, phs = np.zeros(m), np.zeros(m)
    if hap.get("LeBail") and prev is not None and len(prev) == m and np.array_equal(prev[:, :3], hkl):
        Fc2 = np.asarray(prev[:, 9], float).copy()     # LeBail: keep the extracted intensities
    V = 1.0 / np.sqrt(np.linalg.det(Gstar))
    Vst = 1.0 / V
    scale = float(hap["Scale"][0]) * float(sample["Scale"][0])
    po = hap["Pref.Ori."]
    dPO = None
    if po[0] == "MD" and float(po[1]) != 1.0:
        PO = T.march_dollase(hkl, float(po[1]), po[3], laue_operators(sg), A)
    else:
        PO = np.ones(m)          # SH: computed below, once the peak positions are known
    bab = hap.get("Babinet", {})
    if _sv(hap, "Extinction") or any(_sv(bab, k) for k in ("BabA",)):
        _log.warning("extinction and Babinet terms are not modelled; factor 1 used for %s", gen["Name"])
    fi = flat_inst(inst)
    if tof:
        pos = tof_position(d, fi["difC"], fi.get("difA", 0.0), fi.get("difB", 0.0), fi.get("Zero", 0.0))
        sig, gam = tof_sig_gam(d, fi.get("sig-0", 0.0), fi.get("sig-1", 0.0), fi.get("sig-2", 0.0),
                               fi.get("sig-q", 0.0), fi.get("X", 0.0), fi.get("Y", 0.0), fi.get("Z", 0.0))
        ssig, sgam = _sample(hap, hkl, A, *tof_factors(d, fi["difC"]), gen["SGData"])
        alp, bet = tof_alpha_beta(d, fi.get("alpha", 0.0), fi.get("beta-0", 0.0), fi.get("beta-1", 0.0),
                                  fi.get("beta-q", 0.0))
        if po[0] == "SH":
            PO, dPO = _sh_po(po, hkl, A, sg, fi["2-theta"] / 2.0, sample, fi)
        icorr = scale * mult * Vst * lorentz_tof(d, fi["2-theta"]) * PO
        cols.update(pos=pos, sig=sig + ssig, gam=gam + sgam, alp=alp, bet=bet)
    else:
        bb = not debye_scherrer_geometry(sample.get("Type"), "Lam1" in fi)
        pos = cw_position(d, wave, fi.get("Zero", 0.0), bragg_brentano=bb, shift=_sv(sample, "Shift"),
                          transparency=_sv(sample, "Transparency"), displace_x=_sv(sample, "DisplaceX"),
                          displace_y=_sv(sample, "DisplaceY"), layer_disp=_sv(hap, "Layer Disp"),
                          radius=_sv(sample, "Gonio. radius", 200.0))
        sig, gam = T.cw_sig_gam(pos, inst)
        ssig, sgam = _sample(hap, hkl, A, *cw_factors(pos, wave), gen["SGData"])
        sig_raw, gam_raw = sig + ssig, gam + sgam       # GSAS-II differentiates these unclamped
        sig = np.maximum(sig_raw, 0.001)
        gam = np.maximum(gam_raw, 0.001)
        pola = polarization(fi.get("Polariz.", 0.5), pos, fi.get("Azimuth", 0.0)) if typ[1] == "X" else 1.0
        if po[0] == "SH":
            PO, dPO = _sh_po(po, hkl, A, sg, pos / 2.0, sample, fi)
        icorr = scale * mult * Vst * lorentz_cw(pos) * pola * PO
        cols.update(pos=pos, sig=sig, gam=gam, sig_raw=sig_raw, gam_raw=gam_raw)
    cols.update(Fc2=Fc2, phase=phs, Icorr=icorr, Fo2=np.zeros(m), Prfo=np.ones(m), Trans=np.ones(m),
                ExtP=np.zeros(m), PO=PO)
    if dPO is not None:
        cols["dPO"] = dPO          # {'C(l,n)': dPO/dC} for the refinement's analytic derivatives
    return cols, sg


def _sh_po(po, hkl, A, sg, theta, sample, fi):
    """Spherical-harmonic preferred orientation of a HAP 'Pref.Ori.' entry ['SH', …, order, {C(l,n): value}].

    theta: Bragg angle θ (deg) per reflection (CW: from the shifted peak positions) or the TOF bank's.
    The cell is that of A (Dij included), as GSAS-II uses it.  Returns (PO per reflection, {name: dPO/dC}).
    """
    from . import texture
    from .variables import A_to_cell
    names = texture.sh_coeff_names(texture.laue_class(sg)[0], int(po[4]))
    coeffs = po[5] if isinstance(po[5], dict) else {}
    return texture.sh_po_correction(hkl, A_to_cell(A)[:6], sg, theta,
                                    {n: float(coeffs.get(n, 0.0)) for n in names},
                                    sample.get("Type", "Debye-Scherrer"), float(fi.get("Azimuth", 0.0)),
                                    derivs=True)


def _sv(d, key, default=0.0) -> float:
    """A sample/HAP value that may be stored as [value, refine]."""
    v = d.get(key, default)
    return float(v[0] if isinstance(v, (list, tuple)) else v)


def _sample(hap, hkl, A, Ks, Km, sgdata):
    """Size and mustrain contributions (Ssig, Sgam) from the HAP 'Size'/'Mustrain' lists."""
    from .broadening import sample_sig_gam
    sz, mu = hap["Size"], hap["Mustrain"]
    size = {"type": sz[0], "i": sz[1][0], "a": sz[1][1], "mx": sz[1][2], "axis": sz[3], "S": sz[4]}
    must = {"type": mu[0], "i": mu[1][0], "a": mu[1][1], "mx": mu[1][2], "axis": mu[3], "S": mu[4]}
    return sample_sig_gam(hkl, A, Ks, Km, size, must, laue=sgdata.get("SGLaue", "-1"))


def _cw_profile(cols, shl):
    from .profile_cw import fcj_voigt_peaks

    def prof(dx, k):
        return fcj_voigt_peaks(dx, k, cols["pos"], cols["sig"], cols["gam"], shl)
    return prof


def _tof_profile(cols):
    from .profile_tof import tof_profile

    def prof(dx, k):
        return tof_profile(dx, cols["alp"][k], cols["bet"][k], cols["sig"][k], cols["gam"][k])
    return prof


def _windows(cols, typ, shl):
    if typ[2] == "T":
        from .profile_tof import tof_peak_window
        return tof_peak_window(cols["pos"], cols["alp"], cols["bet"], cols["sig"], cols["gam"])
    from .profile_cw import cw_peak_window
    return cw_peak_window(cols["pos"], cols["sig"], cols["gam"], shl)


def pattern_from_dicts(hist: dict, phases: dict, x=None, refsets=None) -> dict:
    """Compute a pattern from GSAS-II dicts.

    hist: histogram dict; phases: {name: phase dict} (their 'Histograms' entry for this
    histogram is the HAP dict); x: the full x array (default ``hist['data'][1][0]``);
    refsets: {phase name: fixed reflection set} (a refinement's, see :func:`gsas_reflection_set`).
    Returns dict(x (in limits), mask, ycalc, ybkg, reflists={name: {column: array}}, pairs).
    """
    xall = np.asarray(hist["data"][1][0] if x is None else x, float)
    inst = hist["Instrument Parameters"][0]
    fi = flat_inst(inst)
    typ = fi["Type"]
    sample = hist["Sample Parameters"]
    hname = hist["data"][2] if len(hist["data"]) > 2 else None
    mask = limits_mask({"data": [None, [xall]], "Limits": hist["Limits"]})
    xin = xall[mask]
    ybkg = background_from_dict(hist["Background"], xin, inst)
    ycalc = ybkg.copy()
    reflists, pairs = {}, {}
    if len(xin) == 0:
        return dict(x=xin, mask=mask, ycalc=ycalc, ybkg=ybkg, reflists=reflists, pairs=pairs)
    shl = max(float(fi.get("SH/L", 0.002)), 0.002)
    limits = hist["Limits"][1]
    for pname, ph in phases.items():
        hap = ph["Histograms"].get(hname) if hname is not None else next(iter(ph["Histograms"].values()), None)
        if hap is None or not hap.get("Use", True):
            continue
        prev = hist.get("Reflection Lists", {}).get(pname, {}).get("RefList")
        cols, _ = _phase_reflections(ph, hap, inst, sample, typ, xin[0], xin[-1], xin, limits,
                                     prev=None if prev is None else np.asarray(prev, float),
                                     hkl_set=(refsets or {}).get(pname))
        if "pos" not in cols:
            reflists[pname] = cols
            continue
        lo, hi = _windows(cols, typ, shl)
        prof = _tof_profile(cols) if typ[2] == "T" else _cw_profile(cols, shl)
        inten = cols["Icorr"] * cols["Fc2"]
        y, pr = sum_peaks(xin, cols["pos"], lo, hi, inten, prof)
        pairs[pname] = [pr]
        if typ[2] != "T" and "Lam2" in fi and "Lam1" in fi:
            lam1, lam2 = fi["Lam1"], fi["Lam2"]
            ratio = 360.0 * (lam2 - lam1) / (np.pi * lam1)
            pos2 = cols["pos"] + ratio * np.tan(np.radians(cols["pos"] / 2.0))
            cols2 = dict(cols, pos=pos2)
            lo2, hi2 = _windows(cols2, typ, shl)
            y2, pr2 = sum_peaks(xin, pos2, lo2, hi2, inten * fi.get("I(L2)/I(L1)", 0.5),
                                _cw_profile(cols2, shl))
            y = y + y2
            pairs[pname].append(pr2)
        ycalc += y
        reflists[pname] = cols
    return dict(x=xin, mask=mask, ycalc=ycalc, ybkg=ybkg, reflists=reflists, pairs=pairs)


def _extract_fo2(res, yobs_in):
    """Rietveld partition of (yobs − ybkg) among reflections -> Fo² per phase (in place)."""
    net_c = res["ycalc"] - res["ybkg"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(net_c > 0, (yobs_in - res["ybkg"]) / np.where(net_c > 0, net_c, 1.0), 0.0)
    for pname, prs in res["pairs"].items():
        cols = res["reflists"][pname]
        m = len(cols["d"])
        num = np.zeros(m)
        den = np.zeros(m)
        for pt, peak, vals in prs:
            num += np.bincount(peak, vals * ratio[pt], minlength=m)
            den += np.bincount(peak, vals, minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["Fo2"] = np.where(den > 0, cols["Fc2"] * num / np.where(den > 0, den, 1.0), 0.0)


def residuals(yobs, ycalc, ybkg, w, wtFactor: float = 1.0) -> dict:
    """wR, R, wRb, Rb, wRmin (%), Nobs, Σw·yo², χ² and Durbin-Watson as GSAS-II defines them (notes §8)."""
    yo, yc, yb = (np.asarray(a, float) for a in (yobs, ycalc, ybkg))
    W = wtFactor * np.asarray(w, float)
    n = int(yo.size)
    sumwyo = float(np.sum(W * yo ** 2))
    wR = min(100.0, 100.0 * np.sqrt(np.sum(W * (yo - yc) ** 2) / sumwyo)) if sumwyo > 0 else 100.0
    R = 100.0 * float(np.sum(np.abs(yo - yc)) / np.sum(yo)) if np.sum(yo) > 0 else 100.0
    sel = yc != yb
    yob, ycb = yo[sel] - yb[sel], yc[sel] - yb[sel]
    swb = float(np.sum(W[sel] * yob ** 2))
    wRb = 100.0 * np.sqrt(np.sum(W[sel] * (yob - ycb) ** 2) / swb) if swb > 0 else 100.0
    Rb = 100.0 * float(np.sum(np.abs(yob - ycb)) / np.sum(np.abs(yob))) if np.sum(np.abs(yob)) > 0 else 100.0
    wRmin = 100.0 * np.sqrt(n / sumwyo) if sumwyo > 0 else 100.0
    res = np.sqrt(W) * (yo - yc)
    dw = float(np.sum(np.diff(res) ** 2) / np.sum(res ** 2)) if np.any(res) else 0.0
    return {"R": R, "Rb": Rb, "wR": float(wR), "wRb": float(wRb), "wRmin": float(wRmin), "Nobs": n,
            "sumwYo": sumwyo, "chisq": float(np.sum(W * (yo - yc) ** 2)), "Durbin-Watson": dw}


def reflist_array(cols: dict, tof: bool) -> np.ndarray:
    """GSAS-II 'RefList' array (n, 15 CW | 17 TOF) from reflection columns."""
    names = REFLIST_COLUMNS_TOF if tof else REFLIST_COLUMNS_CW
    n = len(cols["d"])
    return np.stack([np.asarray(cols.get(c, np.zeros(n)), float) for c in names], axis=1) if n else \
        np.zeros((0, len(names)))


def _simulated_yobs(yc, seed):
    """GSAS-II's fill of an empty y_obs: yc + |poisson(yc) − yc|·(+1, −1, +1, …); seed None -> yc."""
    if seed is None:
        return yc.copy()
    rng = np.random.default_rng(int(seed))
    noise = np.abs(rng.poisson(np.maximum(yc, 0)) - yc)
    sign = np.where(np.arange(yc.size) % 2 == 0, 1.0, -1.0)
    return np.maximum(yc + noise * sign, 0.0)


def _add_fixed_background(project, hd, res):
    """Add 'background PWDR' [name, mult, flag]: another histogram's y_obs × mult (same x grid)."""
    extra = hd["Background"][1] if len(hd["Background"]) > 1 else {}
    name, mult = (extra.get("background PWDR") or ["", 1.0])[:2]
    if not name:
        return
    other = project.histogram(name)
    if other is None:
        raise ParameterError("Background.background PWDR", f"one of {project._hist_names()}", name)
    ox, oy = (np.asarray(a, float) for a in other.data["data"][1][:2])
    x = np.asarray(hd["data"][1][0], float)
    if ox.shape != x.shape or not np.allclose(ox, x):
        raise ParameterError("Background.background PWDR", "a histogram on the same x grid", name)
    add = float(mult) * oy[res["mask"]]
    res["ybkg"] = res["ybkg"] + add
    res["ycalc"] = res["ycalc"] + add


def compute_histogram(project, hist, refsets=None) -> dict:
    """Compute one project histogram; stores ycalc/ybkg/ydiff, 'Reflection Lists' and residuals.

    refsets: {phase name: reflection set} to use (a refinement's fixed sets); default GSAS-II's
    set for the current parameters."""
    h = project.histogram(hist) if not hasattr(hist, "data") else hist
    hd = h.data
    phases = {p.name: p.data for p in project.phases() if h.name in p.data["Histograms"]}
    res = pattern_from_dicts(hd, phases, refsets=refsets)
    arrays = hd["data"][1]
    _add_fixed_background(project, hd, res)
    x, yobs, w = arrays[0], np.asarray(arrays[1], float), np.asarray(arrays[2], float)
    mask = res["mask"]
    info = hd["data"][0]
    if info.get("Dummy") and not np.any(yobs):
        yin = _simulated_yobs(res["ycalc"], info.get("noise_seed", 0))
        yobs = np.zeros(len(x))
        yobs[mask] = yin
        w = np.where(yobs > 0, 1.0 / np.where(yobs > 0, yobs, 1.0), 1.0)   # GSAS-II: w = 1 where y = 0
        arrays[1], arrays[2] = yobs, w
    yc = np.zeros(len(x))
    yb = np.zeros(len(x))
    yc[mask] = res["ycalc"]
    yb[mask] = res["ybkg"]
    arrays[3], arrays[4], arrays[5] = yc, yb, yobs - yc
    _extract_fo2(res, yobs[mask])
    tof = hd["Instrument Parameters"][0]["Type"][1][2] == "T"
    rl = {}
    for pname, cols in res["reflists"].items():
        rl[pname] = {"RefList": reflist_array(cols, tof), "Type": hd["Instrument Parameters"][0]["Type"][1],
                     "FF": {}, "Super": 0}
    hd["Reflection Lists"] = rl
    r = residuals(yobs[mask], res["ycalc"], res["ybkg"], w[mask], info.get("wtFactor", 1.0))
    info.update({k: r[k] for k in ("R", "Rb", "wR", "wRb", "wRmin", "Nobs", "sumwYo", "Durbin-Watson")})
    for pname, cols in res["reflists"].items():
        pid = project.phase(pname).id
        fo, fc = cols["Fo2"], cols["Fc2"]
        key = f"{pid}:{h.id}:"
        info[key + "Nref"] = int(len(fc))
        info[key + "Rf^2"] = float(100 * np.sum(np.abs(fo - fc)) / np.sum(fo)) if np.sum(fo) > 0 else 0.0
        sfo = np.sqrt(np.maximum(fo, 0))
        info[key + "Rf"] = float(100 * np.sum(np.abs(sfo - np.sqrt(np.maximum(fc, 0)))) / np.sum(sfo)) \
            if np.sum(sfo) > 0 else 0.0
        # this phase's own calculated intensity inside the limits (Kα1 and Kα2 peaks)
        info[key + "sumInt"] = float(sum(np.sum(v) for _, _, v in res["pairs"].get(pname, [])))
    return {"ycalc": res["ycalc"], "ybkg": res["ybkg"], "reflists": res["reflists"], "residuals": r,
            "x": res["x"]}


def compute_project(project, refsets=None) -> dict:
    """Compute every histogram; returns {histogram name: result} and sets Covariance 'Rvals'.

    refsets: {histogram name: {phase name: reflection set}} (see :func:`compute_histogram`)."""
    out = {}
    chisq = sumw = 0.0
    nobs = 0
    for h in project.histograms():
        out[h.name] = compute_histogram(project, h, (refsets or {}).get(h.name))
        r = out[h.name]["residuals"]
        chisq += r["chisq"]
        sumw += r["sumwYo"]
        nobs += r["Nobs"]
    if out:
        rwp = 100.0 * np.sqrt(chisq / sumw) if sumw > 0 else 100.0
        gof = float(np.sqrt(chisq / max(nobs, 1)))
        cov = project.data["Covariance"].setdefault("data", {})
        cov["Rvals"] = {"Rwp": float(rwp), "GOF": gof, "chisq": chisq, "Nobs": nobs, "Nvars": 0,
                        "converged": True, "lamMax": 0.0}
    return out
